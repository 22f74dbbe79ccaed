// web/src/ui/receipt.js, the election page's receipt check (spec/verification.md R1–R4): on a
// receipt the ballot server made (test/fixtures/receipt.json, written by
// e2e/make-receipt-fixture.mjs), on that receipt's ballot in a fake board's log (the fixture has
// neither entry 0 nor its inclusion proof, which R3 now checks: test/fixtures/fake-board.js signs
// the log with a key of its own) and on the Merkle vectors of spec/vectors/merkle.json. The
// witnesses' part of R3 and R4: test/witnessed.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { vector } from '../scripts/vectors.js';
import { trackingCode } from '../src/piaojue.js';
import { readTrackingCode } from '../src/tracking.js';
import {
  ENTRY_CONCURRENCY, EMPTY_ROOT, checkCurrentHead, checkEntry, checkReceipt, fragmentParam, leafHash, logId, normaliseCredential,
  parseReceipt, verifyConsistency, verifyInclusion, verifyReceipt,
} from '../src/ui/receipt.js';
import { Log, keyPair, signedHead, signedReceipt } from './fixtures/fake-board.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/receipt.json', import.meta.url), 'utf8'));
const utf8 = (s) => new TextEncoder().encode(s);
const clone = (x) => structuredClone(x);
/** The base64url text with character `i` (not the last) changed: other bytes, same length. */
const flip = (text, i = 0) => text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);

const receipted = JSON.parse(fx.entry);
const ID = fx.receipt.election_id;
const BOARD = keyPair(0xb0);
/**
 * Entry 0 of a board: the manifest of election-record.json for the fixture's election, naming
 * the fake board's key and no witness, with revote rule `revote`.
 */
const manifestEntry = (revote) => ({
  index: 0, time_ms: 1, kind: 'manifest',
  data: { ...vector('election-record.json').election.manifest, election_id: ID, board: { origin: `board.example/${ID}`, key: BOARD.key }, revote },
});

/**
 * The fixture's ballot on a fake board, as the election page's fetches would give it: entry 0
 * the manifest (revote `first_final`), the receipted ballot's exact bytes at its index (25), the
 * entries between them fillers, `later[0]` after it (by default a filler); the receipt of the
 * first 26 entries and the head of all 27 signed by the fake board's key (`b.receipt`), with a
 * range read unless `over.entries` is null.
 */
function board(over = {}, { manifest = manifestEntry('first_final'), later = [] } = {}) {
  const filler = (i) => ({ index: i, time_ms: 2, kind: 'close', data: { ballots: 1 } });
  const entries = [manifest, ...Array.from({ length: fx.receipt.index - 1 }, (_, k) => filler(k + 1)), utf8(fx.entry), later[0] ?? filler(fx.receipt.index + 1)];
  const log = new Log(entries);
  const size = log.size;
  const parsed = (i) => (i === fx.receipt.index ? receipted : JSON.parse(new TextDecoder().decode(log.entries[i])));
  const head = signedHead(log, ID, size, receipted.time_ms + 10, BOARD.seed);
  const b = {
    boardKey: BOARD.key,
    entry: async (i) => {
      if (!(i < size)) throw new Error(`the log has no entry ${i}`);
      return log.entries[i];
    },
    entries: async (from, limit) => Array.from({ length: Math.max(0, Math.min(limit, size - from)) }, (_, k) => parsed(from + k)),
    head: async () => head,
    consistency: async (m, n) => log.consistency(m, n),
    inclusion: async (i, n) => log.inclusion(i, n),
    checkpoint: async () => { throw new Error('the manifest names no witnesses: no checkpoint is asked for'); },
    ...over,
  };
  if (b.entries === null) delete b.entries;
  Object.defineProperties(b, {
    receipt: { value: signedReceipt(log, ID, fx.receipt.index, fx.receipt.index + 1, receipted.time_ms, BOARD.seed) },
    log: { value: log },
    currentHead: { value: head },
  });
  return b;
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

test('a receipt the server made passes R1, R2 and the head checks of R3; R4 holds for its proof', async () => {
  assert.equal(verifyReceipt(fx.receipt, fx.board_key), null);
  assert.deepEqual(checkEntry(fx.receipt, utf8(fx.entry)), []);
  assert.deepEqual(checkCurrentHead(fx.receipt, fx.head, fx.board_key), []);
  assert.ok(fx.head.size > fx.receipt.tree_head.size, 'the fixture exercises a real consistency proof');
  const { old, new: n, proof } = fx.consistency;
  assert.ok(verifyConsistency(old, n, fx.receipt.tree_head.root, fx.head.root, proof));
});

test('its ballot in a fake board signed with another key passes R1–R4', async () => {
  const b = board();
  const report = await checkReceipt(JSON.stringify(b.receipt), b);
  assert.deepEqual(report.steps.map((s) => [s.id, s.status]), [['R1', 'passed'], ['R2', 'passed'], ['R3', 'passed'], ['R4', 'passed']]);
  assert.ok(report.passed);
  assert.equal(b.receipt.tracking_code, fx.receipt.tracking_code);
  assert.deepEqual(report.steps[2].detail.witnesses, { none: true });
  assert.deepEqual(report.steps[3].detail, { old: 26, new: 27 });
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

  const b = board();
  const bad = b.log.consistency(26, 27); bad.proof[0] = flip(bad.proof[0]);
  let report = await checkReceipt(b.receipt, board({ consistency: async () => bad }));
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'failed']);
  assert.equal(report.steps[3].failures[0].code, 'inconsistent');
  report = await checkReceipt(b.receipt, board({ consistency: async () => ({ ...bad, old: 25 }) }));
  assert.deepEqual(report.steps[3].failures.map((f) => f.code), ['sizes']);
  report = await checkReceipt(b.receipt, board({ consistency: async () => { throw new Error('HTTP 500'); } }));
  assert.deepEqual(report.steps[3].failures.map((f) => f.message), ['no consistency proof: HTTP 500']);
  report = await checkReceipt(b.receipt, board({ entry: async () => { throw new Error('the log has no entry'); }, head: async () => { throw new Error('offline'); } }));
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'failed', 'failed', 'skipped']);
  assert.ok(!report.passed);
  // The current head is the receipt's own: R4 compares the roots of equal sizes.
  report = await checkReceipt(b.receipt, board({ head: async () => b.receipt.tree_head }));
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'passed']);
  // Another head of the receipt's size, signed by the board: it forked.
  const other = new Log([...b.log.entries.slice(0, 25), utf8('another entry')]);
  report = await checkReceipt(b.receipt, board({ head: async () => signedHead(other, ID, 26, b.currentHead.timestamp_ms, BOARD.seed) }));
  assert.deepEqual(report.steps.map((s) => s.status), ['passed', 'passed', 'passed', 'failed']);
  assert.deepEqual(report.steps[3].failures.map((f) => f.code), ['forked']);
});

test('receipt parsing and the links of the booth', () => {
  assert.throws(() => parseReceipt('{'), /not JSON/);
  assert.throws(() => parseReceipt({ ...fx.receipt, extra: 1 }), /unknown field extra/);
  const { signature, ...noSig } = fx.receipt;
  assert.ok(signature);
  assert.throws(() => parseReceipt(noSig), /missing field signature/);
  assert.throws(() => parseReceipt({ ...fx.receipt, index: -1 }), /index/);
  const code = fx.receipt.tracking_code;
  assert.deepEqual(readTrackingCode(` ${code.slice(0, 8)} ${code.slice(8, 30)}\n${code.slice(30)} `), { full: code });
  assert.equal(readTrackingCode(code.slice(1)), null);
  assert.equal(readTrackingCode(`${code}=`), null);
  assert.equal(normaliseCredential(' AB'.repeat(32)), 'ab'.repeat(32));
  assert.equal(normaliseCredential('ab'.repeat(31)), null);
  assert.equal(fragmentParam(`#receipt=${fx.receipt.tracking_code}`, 'receipt'), fx.receipt.tracking_code);
  assert.equal(fragmentParam('#credential=ab', 'receipt'), null);
});

// R2's last check (verification.md §7.4, `receipt::replaced_by`): under `last_counts` a later
// ballot of the same credential replaces the receipted one, which then does not count.
const OTHER_KEY = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'; // RFC 8032 test key 1
/** A later `ballot` entry at `index`: the receipted ballot re-signed (another tracking code), of `credential`. */
function laterBallot(index, credential = receipted.data.credential) {
  const data = clone(receipted.data);
  data.credential = credential;
  data.signature = flip(data.signature, 10);
  return { index, time_ms: receipted.time_ms + 1, kind: 'ballot', data };
}
const statuses = (report) => report.steps.map((s) => `${s.id} ${s.status}`);
/** R1–R4 on the receipt a fake board signed, against that board. */
const check = (b) => checkReceipt(b.receipt, b);

test('R2: under last_counts a later ballot of the same credential replaces the receipted one', async () => {
  const r = fx.receipt;
  const later = laterBallot(r.index + 1);
  const code = trackingCode(later.data);
  assert.notEqual(code, r.tracking_code);
  for (const range of [true, false]) {
    const report = await check(board(range ? {} : { entries: null }, { manifest: manifestEntry('last_counts'), later: [later] }));
    assert.deepEqual(statuses(report), ['R1 passed', 'R2 failed', 'R3 passed', 'R4 passed'], `range read: ${range}`);
    assert.ok(!report.passed);
    assert.deepEqual(report.steps[1].failures, [{
      code: 'replaced', params: { index: r.index + 1, trackingCode: code },
      message: `a later ballot of the same credential (entry ${r.index + 1}, tracking code ${code}) replaces this one: it does not count`,
    }]);
  }
});

test('R2: a later ballot of another credential, or another revote rule: the receipt passes', async () => {
  const r = fx.receipt;
  let report = await check(board({}, { manifest: manifestEntry('last_counts'), later: [laterBallot(r.index + 1, OTHER_KEY)] }));
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 passed', 'R3 passed', 'R4 passed']);
  // Under first_final (named, or the default when absent) a later ballot changes nothing: the
  // board refuses it anyway, and the first one counts.
  const noRule = manifestEntry('first_final');
  delete noRule.data.revote;
  for (const manifest of [manifestEntry('first_final'), noRule]) {
    let asked = 0;
    const b = board({}, { manifest, later: [laterBallot(r.index + 1)] });
    const entries = b.entries;
    b.entries = (...a) => { asked++; return entries(...a); };
    report = await check(b);
    assert.deepEqual(statuses(report), ['R1 passed', 'R2 passed', 'R3 passed', 'R4 passed']);
    assert.equal(asked, 0, 'no later entry is read under first_final');
  }
});

test('R2: entry 0 not a manifest, no head, entries the board does not give: R2 fails as the spec says', async () => {
  const r = fx.receipt;
  const notManifest = { index: 0, time_ms: 1, kind: 'tellers', data: { signing_keys: [] } };
  let report = await check(board({}, { manifest: notManifest }));
  // R3 reads entry 0 too: not the manifest naming the board's key.
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 failed', 'R3 failed', 'R4 skipped']);
  assert.deepEqual(report.steps[1].failures.map((f) => f.message), ["entry 0 is not the election's manifest: the revote rule is unknown"]);
  assert.deepEqual(report.steps[2].failures.map((f) => f.code), ['manifest-board']);
  const last = manifestEntry('last_counts');
  // The head cannot be had: R2 and R3 both fail, R4 is skipped.
  report = await check(board({ head: async () => { throw new Error('offline'); } }, { manifest: last }));
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 failed', 'R3 failed', 'R4 skipped']);
  assert.equal(report.steps[1].failures[0].message, "the board's head could not be had: offline");
  // A range read that leaves out the later entry, or answers another one; a later entry that
  // does not parse; an entry the board will not give.
  report = await check(board({ entries: async () => [] }, { manifest: last }));
  assert.deepEqual(report.steps[1].failures.map((f) => f.message), [`entry ${r.index + 1}: the log has no entry ${r.index + 1}`]);
  report = await check(board({ entries: async () => [receipted] }, { manifest: last }));
  assert.deepEqual(report.steps[1].failures.map((f) => f.code), ['later-fetch']);
  report = await check(board({ entries: null }, { manifest: last, later: [{ index: r.index + 1, kind: 'ballot', data: { credential: 'x' } }] }));
  assert.deepEqual(report.steps[1].failures.map((f) => f.code), ['later-parse']);
  const b = board({ entries: null }, { manifest: last });
  const entry = b.entry;
  b.entry = async (i) => { if (i === r.index + 1) throw new Error('HTTP 500'); return entry(i); };
  report = await check(b);
  assert.deepEqual(report.steps[1].failures.map((f) => f.message), [`entry ${r.index + 1}: HTTP 500`]);
});

test('R2 reads the later entries by pages, or one by one with bounded concurrency, up to the head', async () => {
  const r = fx.receipt;
  const size = 2500;
  const head = { ...fx.head, size }; // its signature no longer holds: only R2 matters here
  const later = Array.from({ length: size - r.index - 1 }, (_, k) => laterBallot(r.index + 1 + k, OTHER_KEY));
  later[size - r.index - 2] = laterBallot(size - 1); // the last entry replaces the ballot
  const at = (i) => (i === 0 ? manifestEntry('last_counts') : later[i - r.index - 1]);
  const pages = [];
  let report = await check(board({
    head: async () => head,
    entries: async (from, limit) => { pages.push([from, limit]); return Array.from({ length: Math.min(limit, size - from) }, (_, k) => at(from + k)); },
  }, { manifest: manifestEntry('last_counts') }));
  assert.deepEqual(pages, [[r.index + 1, 1000], [r.index + 1001, 1000], [r.index + 2001, size - r.index - 2001]]);
  assert.equal(report.steps[1].failures[0].params.index, size - 1);
  let inFlight = 0;
  let most = 0;
  const asked = new Set();
  report = await check(board({
    head: async () => head,
    entries: null,
    entry: async (i) => {
      if (i === r.index) return utf8(fx.entry);
      asked.add(i);
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((ok) => setTimeout(ok, 0));
      inFlight--;
      return utf8(JSON.stringify(at(i)));
    },
  }));
  assert.equal(most, ENTRY_CONCURRENCY);
  assert.equal(asked.size, size - r.index - 1 + 1, 'every later entry, and entry 0');
  assert.equal(report.steps[1].failures[0].code, 'replaced');
  assert.equal(report.steps[1].failures[0].params.index, size - 1);
});
