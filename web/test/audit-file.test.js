// The audit file's check in the browser (spec/verification.md §7.7, A1–A4): the audited ballot of
// election-record.json passes; a flipped value, another ballot's opening, a ballot of another
// election, a board without the audit, a cast ballot and a file that is not one are caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as P from '../src/piaojue.js';
import { checkAuditFile, parseAuditFile } from '../src/ui/audit-file.js';
import { vector } from '../scripts/vectors.js';

const record = vector('election-record.json');
const E = record.election;
const election = new P.Election({ manifest: E.manifest, fingerprint: E.fingerprint, jointKey: E.ceremony_output.joint_key });
const audited = record.audited[0];
const code = P.trackingCode(audited.ballot);
const board = (entries) => async (c) => entries[c] ?? null;
const onBoard = board({ [code]: { kind: 'audited', data: audited } });
const check = (a, boardEntry = onBoard) => checkAuditFile(a, { election, credentials: E.credentials, boardEntry });
const statuses = (r) => Object.fromEntries(r.steps.map((s) => [s.id, s.status]));

test('the audited ballot of the record passes A1–A4 and reveals its selection', async () => {
  const r = await check(parseAuditFile(JSON.stringify(audited)));
  assert.equal(r.passed, true, JSON.stringify(r.steps));
  assert.equal(r.code, code);
  assert.deepEqual(r.selection, P.checkOpening(election, audited));
  assert.deepEqual(statuses(r), { A1: 'passed', A2: 'passed', A3: 'passed', A4: 'passed' });
});

test('a flipped revealed value fails A2 only', async () => {
  const a = structuredClone(audited);
  a.opening.contests[1][0].value = 1 - a.opening.contests[1][0].value;
  const r = await check(a);
  assert.equal(r.passed, false);
  assert.deepEqual(statuses(r), { A1: 'passed', A2: 'failed', A3: 'passed', A4: 'passed' });
  assert.equal(r.steps[1].failures[0].code, 'V6.2');
});

test('a changed ciphertext fails A2 and A3, and the board does not hold that ballot', async () => {
  const a = structuredClone(audited);
  const s = a.ballot.contests[0].selections;
  [s[0].ciphertext, s[1].ciphertext] = [s[1].ciphertext, s[0].ciphertext];
  const r = await check(a);
  assert.equal(statuses(r).A2, 'failed');
  assert.equal(statuses(r).A3, 'failed');
  assert.equal(statuses(r).A4, 'failed');
});

test('a ballot of another election fails A1 and skips the rest', async () => {
  const a = structuredClone(audited);
  a.ballot.election = 'A'.repeat(43);
  const r = await check(a);
  assert.deepEqual(statuses(r), { A1: 'failed', A2: 'skipped', A3: 'skipped', A4: 'skipped' });
  assert.equal(r.steps[0].failures[0].code, 'V5.1');
});

test('A4: a board without the audit, or that shows the ballot as cast, fails', async () => {
  let r = await check(audited, board({}));
  assert.deepEqual(r.steps[3].failures.map((f) => f.code), ['not-on-board']);
  r = await check(audited, board({ [code]: { kind: 'ballot', data: audited.ballot } }));
  assert.deepEqual(r.steps[3].failures.map((f) => f.code), ['cast']);
  r = await check(audited, async () => { throw new Error('offline'); });
  assert.deepEqual(r.steps[3].failures.map((f) => f.code), ['fetch']);
});

test('a file that is not an audit file is refused before any check', () => {
  for (const text of ['', 'null', '[]', '{"ballot": {}}', '{"ballot": {}, "opening": {}, "x": 1}', 'not json'])
    assert.throws(() => parseAuditFile(text), (e) => e.code === 'not-audit-file', text);
});
