// web/src/ui/receipt.js, the election page's receipt check (spec/verification.md R1–R4): on a
// receipt the ballot server made (test/fixtures/receipt.json, written by
// e2e/make-receipt-fixture.mjs) and on the Merkle vectors of spec/vectors/merkle.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { vector } from '../scripts/vectors.js';
import {
  EMPTY_ROOT, checkCurrentHead, checkEntry, checkReceipt, fragmentParam, leafHash, logId, normaliseCode, normaliseCredential,
  parseReceipt, verifyConsistency, verifyInclusion, verifyReceipt,
} from '../src/ui/receipt.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/receipt.json', import.meta.url), 'utf8'));
const utf8 = (s) => new TextEncoder().encode(s);
const clone = (x) => structuredClone(x);
/** The base64url text with character `i` (not the last) changed: other bytes, same length. */
const flip = (text, i = 0) => text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);

/** The board of the fixture, as the election page's fetches would give it. */
function board(over = {}) {
  return {
    boardKey: fx.board_key,
    entry: async () => utf8(fx.entry),
    head: async () => fx.head,
    consistency: async () => fx.consistency,
    ...over,
  };
}

test('Merkle vectors: every inclusion and consistency proof of merkle.json, and their refusals', () => {
  const m = vector('merkle.json');
  const leaves = m.entries_utf8.map((s) => leafHash(utf8(s)));
  const { index, size, path } = m.inclusion;
  assert.ok(verifyInclusion(leaves[index], index, size, path, m.roots[size - 1]));
  assert.ok(!verifyInclusion(leaves[index + 1], index, size, path, m.roots[size - 1]));
  assert.ok(!verifyInclusion(leaves[index], index + 1, size, path, m.roots[size - 1]));
  assert.ok(!verifyInclusion(leaves[index], index, size, path.slice(1), m.roots[size - 1]));
  assert.ok(!verifyInclusion(leaves[index], size, size, path, m.roots[size - 1]));
  assert.ok(verifyInclusion(leaves[0], 0, 1, [], m.roots[0]), 'a tree of one leaf');
  const c = m.consistency;
  assert.ok(verifyConsistency(c.old, c.new, m.roots[c.old - 1], m.roots[c.new - 1], c.path));
  assert.ok(!verifyConsistency(c.old, c.new, m.roots[c.old], m.roots[c.new - 1], c.path));
  assert.ok(!verifyConsistency(c.old, c.new, m.roots[c.old - 1], m.roots[c.new - 2], c.path));
  assert.ok(!verifyConsistency(c.old, c.new, m.roots[c.old - 1], m.roots[c.new - 1], c.path.slice(0, -1)));
  assert.ok(!verifyConsistency(c.new, c.old, m.roots[c.new - 1], m.roots[c.old - 1], c.path));
  assert.ok(verifyConsistency(4, 4, m.roots[3], m.roots[3], []));
  assert.ok(!verifyConsistency(4, 4, m.roots[3], m.roots[4], []));
  assert.ok(verifyConsistency(0, 5, EMPTY_ROOT, m.roots[4], []));
  assert.ok(!verifyConsistency(3, 7, m.roots[2], m.roots[6], []));
});

test('log id of record.md §9.2', () => {
  assert.equal(logId('vector-election'), 'KfZmzmOqk_WzihktyvNLfgAhdqPUvdcgPla-j_NBvQ8');
  assert.equal(logId(fx.receipt.election_id), fx.receipt.tree_head.log_id);
});

test('a receipt the server made passes R1–R4 against its board', async () => {
  assert.equal(verifyReceipt(fx.receipt, fx.board_key), null);
  assert.deepEqual(checkEntry(fx.receipt, utf8(fx.entry)), []);
  assert.deepEqual(checkCurrentHead(fx.receipt, fx.head, fx.board_key), []);
  assert.ok(fx.head.size > fx.receipt.tree_head.size, 'the fixture exercises a real consistency proof');
  const report = await checkReceipt(JSON.stringify(fx.receipt), board());
  assert.deepEqual(report.steps.map((s) => [s.id, s.status]), [['R1', 'passed'], ['R2', 'passed'], ['R3', 'passed'], ['R4', 'passed']]);
  assert.ok(report.passed);
});

test('R1 names the first failure, as Receipt::verify', () => {
  const r = fx.receipt;
  const other = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'; // RFC 8032 test key 1
  assert.equal(verifyReceipt({ ...r, tracking_code: flip(r.tracking_code) }, fx.board_key).code, 'signature');
  assert.equal(verifyReceipt({ ...r, index: r.index + 1 }, fx.board_key).code, 'signature');
  assert.equal(verifyReceipt(r, other).code, 'signature');
  const head = clone(r); head.tree_head.signature = flip(head.tree_head.signature, 5);
  assert.equal(verifyReceipt(head, fx.board_key).code, 'tree-head', 'the receipt signs the head without its signature');
  const inc = clone(r); inc.inclusion[0] = flip(inc.inclusion[0]);
  assert.equal(verifyReceipt(inc, fx.board_key).code, 'inclusion');
});

test('R2–R4 refuse a wrong entry, a smaller or forged head, an inconsistent proof', async () => {
  const r = fx.receipt;
  const codes = (fs) => fs.map((f) => f.code);
  assert.deepEqual(codes(checkEntry(r, utf8(fx.entry.replace(/"time_ms":\d+/, '"time_ms":1')))), ['leaf']);
  const otherEntry = JSON.stringify({ index: r.index, time_ms: 1, kind: 'close', data: { ballots: 1 } });
  assert.deepEqual(codes(checkEntry(r, utf8(otherEntry))), ['leaf', 'kind']);
  assert.deepEqual(codes(checkCurrentHead(r, { ...fx.head, size: r.tree_head.size - 1 }, fx.board_key)), ['signature', 'shrunk']);
  assert.deepEqual(codes(checkCurrentHead(r, { ...fx.head, timestamp_ms: 0 }, fx.board_key)), ['signature', 'older']);

  const bad = clone(fx.consistency); bad.proof[0] = flip(bad.proof[0]);
  let report = await checkReceipt(r, board({ consistency: async () => bad }));
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'failed']);
  assert.equal(report.steps[3].failures[0].code, 'inconsistent');
  report = await checkReceipt(r, board({ entry: async () => { throw new Error('the log has no entry'); }, head: async () => { throw new Error('offline'); } }));
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'failed', 'failed', 'skipped']);
  assert.ok(!report.passed);
  // The current head is the receipt's own: R4 compares the roots of equal sizes.
  report = await checkReceipt(r, board({ head: async () => r.tree_head }));
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'passed']);
});

test('receipt parsing and the links of the booth', () => {
  assert.throws(() => parseReceipt('{'), /not JSON/);
  assert.throws(() => parseReceipt({ ...fx.receipt, extra: 1 }), /unknown field extra/);
  const { signature, ...noSig } = fx.receipt;
  assert.ok(signature);
  assert.throws(() => parseReceipt(noSig), /missing field signature/);
  assert.throws(() => parseReceipt({ ...fx.receipt, index: -1 }), /index/);
  const code = fx.receipt.tracking_code;
  assert.equal(normaliseCode(` ${code.slice(0, 8)} ${code.slice(8, 30)}\n${code.slice(30)} `), code);
  assert.equal(normaliseCode(code.slice(1)), null);
  assert.equal(normaliseCode(`${code}=`), null);
  assert.equal(normaliseCredential(' AB'.repeat(32)), 'ab'.repeat(32));
  assert.equal(normaliseCredential('ab'.repeat(31)), null);
  assert.equal(fragmentParam(`#receipt=${fx.receipt.tracking_code}`, 'receipt'), fx.receipt.tracking_code);
  assert.equal(fragmentParam('#credential=ab', 'receipt'), null);
});
