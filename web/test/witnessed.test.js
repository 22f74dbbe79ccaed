// R3's witness part and R4's check of the cosigned checkpoint (spec/verification.md §7.4,
// `receipt::check_witnessed`) in web/src/ui/receipt.js, with the signed notes, checkpoints and
// cosignatures it reads (spec/protocol.md §14): the C2SP vectors of spec/vectors/checkpoint.json,
// then a fake board with real keys (test/fixtures/fake-board.js) whose manifest names 3 witnesses
// with a quorum of 2, honest and dishonest in every way the spec names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { vector } from '../scripts/vectors.js';
import { toBase64 } from '../src/piaojue.js';
import {
  SIG_COSIGNATURE_V1, SIG_ED25519, checkReceipt, cosignedMessage, encodeVkey, fromStdBase64, noteKeyId, parseCheckpoint, parseNote,
  toStdBase64, verifyConsistency, verifyNote, verifyNoteSignature,
} from '../src/ui/receipt.js';
import {
  Log, boardLine, checkpointText, cosignatureLine, keyPair, note, signatureLine, signedHead, signedReceipt,
} from './fixtures/fake-board.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/receipt.json', import.meta.url), 'utf8'));
const utf8 = (s) => new TextEncoder().encode(s);
const hex = (b) => Buffer.from(b).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
const b64url = (std) => toBase64(fromStdBase64(std));

// ---------------------------------------------------------------------------------------------
// The C2SP formats against spec/vectors/checkpoint.json

test('checkpoint.json: key ids, verifier keys, the cosigned message and both signature lines, byte for byte', () => {
  const v = vector('checkpoint.json');
  const { board, witness, checkpoint } = v;
  assert.equal(hex(noteKeyId(board.origin, SIG_ED25519, board.public_key)), board.key_id);
  assert.equal(encodeVkey(board.origin, SIG_ED25519, board.public_key), board.vkey);
  const bk = keyPair(0xb0);
  assert.equal(hex(new Uint8Array(32).fill(0xb0)), board.seed_hex);
  assert.equal(bk.key, board.public_key);
  const wk = keyPair(0xc0);
  assert.equal(hex(wk.seed), witness.seed_hex);
  assert.equal(hex(noteKeyId(witness.name, SIG_COSIGNATURE_V1, wk.key)), witness.key_id);
  assert.equal(encodeVkey(witness.name, SIG_COSIGNATURE_V1, wk.key), witness.vkey);
  assert.equal(new TextDecoder().decode(cosignedMessage(checkpoint.text, witness.timestamp)), witness.cosigned_message);
  // Ed25519 is deterministic: the lines made here are the vector's.
  assert.equal(boardLine(checkpoint.text, board.origin, bk), checkpoint.signature_line);
  assert.equal(cosignatureLine(checkpoint.text, witness.name, wk, witness.timestamp), witness.cosignature_line);
  assert.equal(note(checkpoint.text, [checkpoint.signature_line, witness.cosignature_line]), witness.cosigned_note);
});

test('checkpoint.json: the notes parse and verify, every invalid note is refused', () => {
  const v = vector('checkpoint.json');
  const boardKey = { name: v.board.origin, type: SIG_ED25519, key: v.board.public_key };
  const witnessKey = { name: v.witness.name, type: SIG_COSIGNATURE_V1, key: keyPair(0xc0).key };
  const keys = [boardKey, witnessKey];

  const n = parseNote(utf8(v.witness.cosigned_note));
  assert.equal(n.text, v.checkpoint.text);
  assert.deepEqual(n.signatures.map((s) => [s.name, hex(s.keyId), s.bytes.length]), [[v.board.origin, v.board.key_id, 64], [v.witness.name, v.witness.key_id, 72]]);
  assert.deepEqual(verifyNote(n, keys), keys);
  assert.ok(verifyNoteSignature(n.text, n.signatures[1], witnessKey));
  assert.ok(!verifyNoteSignature(n.text, n.signatures[1], { ...witnessKey, type: SIG_ED25519 }), 'a cosignature is not an Ed25519 note signature');
  assert.ok(!verifyNoteSignature(n.text, n.signatures[0], witnessKey));
  assert.deepEqual(parseCheckpoint(n.text), { origin: v.board.origin, size: 5, root: b64url(v.checkpoint.root), extensions: [] });
  assert.deepEqual(verifyNote(parseNote(v.checkpoint.note), keys), [boardKey]);
  const empty = parseNote(v.empty_checkpoint.note);
  assert.deepEqual(verifyNote(empty, keys), [boardKey]);
  assert.equal(parseCheckpoint(empty.text).size, 0);

  for (const bad of v.invalid) {
    assert.throws(() => verifyNote(parseNote(bad.note), keys), undefined, bad.why);
  }

  // The vector's log: the fake board's Merkle trees are RFC 9162's.
  const log = new Log(v.log.entries_utf8);
  assert.equal(log.root(5), b64url(v.checkpoint.root));
  assert.equal(log.root(3), b64url(v.log.old.root));
  assert.deepEqual(log.consistency(3, 5).proof, v.log.consistency_proof_3_5.map(b64url));
  assert.ok(verifyConsistency(3, 5, log.root(3), log.root(5), log.consistency(3, 5).proof));
});

test('signed notes and checkpoints are read strictly', () => {
  const v = vector('checkpoint.json');
  const { text, signature_line: line } = v.checkpoint;
  const refused = [
    [`${text}\n${line.slice(0, -1)}`, 'the last line without its newline'],
    [`${text}${line}`, 'no empty line'],
    [`${text}\n- ${line.slice(2)}`, 'a hyphen for the em dash'],
    [`${text}\n—${line.slice(2)}`, 'no space after the em dash'],
    [`${text}\n${line.replace('=\n', '\n')}`, 'base64 without its padding'],
    [`${text}\n${line.replace(/ (\S+)\n$/, (m, b) => ` ${b.replace(/\+/g, '-').replace(/\//g, '_')}\n`)}`, 'base64url, not base64'],
    [`${text}\n— a\u00a0b ${line.split(' ').pop()}`, 'white space in the key name'],
    [`${text}\n— a+b ${line.split(' ').pop()}`, "a '+' in the key name"],
    [`${text}\n— x AAAAAA==\n`, 'a signature of no byte after the key id'],
    [`${text}\n`, 'no signature'],
    [`${text}\n${line}\t`, 'a tab'],
  ];
  for (const [n, why] of refused) assert.throws(() => parseNote(n), undefined, why);
  assert.throws(() => parseNote(new Uint8Array([0xff, 0x0a, 0x0a])), /UTF-8/);
  assert.throws(() => parseNote(`${'x'.repeat(70000)}\n\n${line}`), /more than/);
  // The text may have empty lines: the last empty line separates it.
  assert.equal(parseNote(`a\n\nb\n\n${line}`).text, 'a\n\nb\n');

  const root = v.checkpoint.root;
  for (const [t, why] of [
    [`o\n5\n${root}`, 'no final newline'],
    ['o\n5\n', 'two lines'],
    [`o\n05\n${root}\n`, 'a leading zero'],
    [`o\n+5\n${root}\n`, 'a sign'],
    [`o\n5\n${root}\n\n`, 'an empty extension line'],
    [`o\n5\n${root.slice(0, -2)}==\n`, 'a root of 31 bytes'],
    [`o\n5\n${toBase64(fromStdBase64(root))}\n`, 'a base64url root'],
  ]) assert.throws(() => parseCheckpoint(t), undefined, why);
  assert.deepEqual(parseCheckpoint(`o\n5\n${root}\next\n`).extensions, ['ext']);
  assert.equal(toStdBase64(fromStdBase64(root)), root);
});

// ---------------------------------------------------------------------------------------------
// R3 and R4 against a fake board whose manifest names witnesses

const receipted = JSON.parse(fx.entry);
const ID = fx.receipt.election_id;
const ORIGIN = `board.example/${ID}`;
const BOARD = keyPair(0xb0);
const W = [1, 2, 3].map((i) => ({ name: `witness.example/w${i}`, url: `https://w${i}.example/`, ...keyPair(0xc0 + i) }));
const NOT_LISTED = { name: 'witness.example/w4', ...keyPair(0xc4) };
const T = 1767225600;

const manifestEntry = (witnesses) => ({
  index: 0, time_ms: 1, kind: 'manifest',
  data: { ...vector('election-record.json').election.manifest, election_id: ID, board: { origin: ORIGIN, key: BOARD.key }, witnesses },
});
const NAMED = { quorum: 2, list: W.map(({ name, key, url }) => ({ name, key, url })) };
const filler = (i) => ({ index: i, time_ms: 2, kind: 'close', data: { ballots: 1 } });
/** The receipted ballot's exact JSON, moved to entry `i` (its tracking code is its data's). */
const ballotAt = (i) => JSON.stringify({ ...receipted, index: i });

/**
 * A small log: 0 the manifest, 1 a filler, 2 the receipted ballot, 3 and 4 fillers (`size`
 * entries). The receipt is of the first 3 entries, the current head of all of them.
 */
function makeLog(witnesses = NAMED, size = 5, extra = (i) => filler(i)) {
  return new Log([manifestEntry(witnesses), filler(1), ballotAt(2), ...Array.from({ length: size - 3 }, (_, k) => extra(k + 3))]);
}

/**
 * The fake board of `log`: the page's fetchers, the checkpoint a signed note (by default the
 * checkpoint of the whole log, signed by the board, cosigned by all three witnesses), the
 * receipt of entry 2 at size 3, the head of the whole log. `over` replaces fetchers.
 */
function fakeBoard(log, over = {}, { checkpoint } = {}) {
  const text = checkpointText(log, ORIGIN, log.size);
  const cosigned = checkpoint ?? note(text, [boardLine(text, ORIGIN, BOARD), ...W.map((w) => cosignatureLine(text, w.name, w, T))]);
  const head = signedHead(log, ID, log.size, receipted.time_ms + 10, BOARD.seed);
  const asked = { checkpoint: 0, consistency: [] };
  const b = {
    boardKey: BOARD.key,
    entry: async (i) => { if (!(i < log.size)) throw new Error(`the log has no entry ${i}`); return log.entries[i]; },
    head: async () => head,
    consistency: async (m, n) => { asked.consistency.push([m, n]); return log.consistency(m, n); },
    inclusion: async (i, n) => log.inclusion(i, n),
    checkpoint: async () => { asked.checkpoint++; return utf8(cosigned); },
    ...over,
  };
  Object.defineProperties(b, {
    receipt: { value: signedReceipt(log, ID, 2, 3, receipted.time_ms, BOARD.seed) },
    asked: { value: asked },
  });
  return b;
}

const check = (b) => checkReceipt(b.receipt, b);
const statuses = (report) => report.steps.map((s) => `${s.id} ${s.status}`);
/** R3's failures as `[code, params]`, R4 skipped. */
async function r3Fails(b) {
  const report = await check(b);
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 passed', 'R3 failed', 'R4 skipped']);
  assert.ok(!report.passed);
  assert.equal(report.steps[2].detail.witnesses, null);
  return report.steps[2].failures;
}
/** A signature line with byte `at` of its signature (after the key id; a cosignature's timestamp is bytes 0–7) changed. */
function damage(line, at = 20) {
  const [, name, b64] = line.match(/^\u2014 (\S+) (\S+)\n$/);
  const raw = fromStdBase64(b64);
  raw[4 + at] ^= 1;
  return signatureLine(name, raw.slice(0, 4), raw.slice(4));
}
/** The checkpoint of the first `n` entries of `log` as a note with the board's line and these lines. */
function cosigned(log, n, lines, origin = ORIGIN) {
  const text = checkpointText(log, origin, n);
  return note(text, [boardLine(text, origin, BOARD), ...lines(text)]);
}

test('an honest board whose manifest names 3 witnesses (quorum 2): the receipt passes, cosigned by 3', async () => {
  const log = makeLog();
  const b = fakeBoard(log);
  const report = await check(b);
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 passed', 'R3 passed', 'R4 passed']);
  assert.ok(report.passed);
  assert.deepEqual(report.steps[2].detail.witnesses, { size: 5, count: 3, quorum: 2 });
  assert.deepEqual(report.steps[3].detail, { old: 3, new: 5, witnessed: 5 });
  assert.equal(b.asked.checkpoint, 1);
  // A quorum exactly, a checkpoint of the receipt's own size (no proof asked for it), lines of
  // others (a witness the manifest does not name, an unknown type) ignored.
  const exact = fakeBoard(log, {}, {
    checkpoint: cosigned(log, 3, (t) => [cosignatureLine(t, W[2].name, W[2], T), cosignatureLine(t, NOT_LISTED.name, NOT_LISTED, T),
      signatureLine('other.example', Uint8Array.of(1, 2, 3, 4), Uint8Array.of(9)), cosignatureLine(t, W[0].name, W[0], T + 1)]),
  });
  const r = await check(exact);
  assert.deepEqual(statuses(r), ['R1 passed', 'R2 passed', 'R3 passed', 'R4 passed']);
  assert.deepEqual(r.steps[2].detail.witnesses, { size: 3, count: 2, quorum: 2 });
  assert.deepEqual(exact.asked.consistency, [[3, 5]], 'only the proof to the current head');
  // Without the board's own line, the cosignatures still count (the spec checks the lines there are).
  const text = checkpointText(log, ORIGIN, 4);
  const noBoardLine = fakeBoard(log, {}, { checkpoint: note(text, W.map((w) => cosignatureLine(text, w.name, w, T))) });
  assert.ok((await check(noBoardLine)).passed);
});

test('the manifest names no witnesses: passes as before, no checkpoint asked for', async () => {
  const b = fakeBoard(makeLog({ quorum: 0, list: [] }), { checkpoint: async () => { throw new Error('never asked'); } });
  const report = await check(b);
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 passed', 'R3 passed', 'R4 passed']);
  assert.deepEqual(report.steps[2].detail.witnesses, { none: true });
  assert.deepEqual(report.steps[3].detail, { old: 3, new: 5 });
});

test('R3: no cosigned checkpoint to be had fails it with the error', async () => {
  const log = makeLog();
  const failures = await r3Fails(fakeBoard(log, { checkpoint: async () => { throw new Error('no checkpoint has the quorum of cosignatures yet'); } }));
  assert.deepEqual(failures, [{
    code: 'checkpoint-fetch', params: { error: 'no checkpoint has the quorum of cosignatures yet' },
    message: "no checkpoint cosigned by the manifest's witnesses could be had: no checkpoint has the quorum of cosignatures yet",
  }]);
  // A board without the fetcher at all.
  assert.deepEqual((await r3Fails(fakeBoard(log, { checkpoint: undefined }))).map((f) => f.code), ['checkpoint-fetch']);
});

test('R3: a checkpoint of another origin, or not a signed checkpoint, is refused', async () => {
  const log = makeLog();
  const message = "the board's cosigned checkpoint is not a signed checkpoint of this election's log";
  const other = cosigned(log, 5, (t) => W.map((w) => cosignatureLine(t, w.name, w, T)), 'board.example/other');
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: other })), [{ code: 'checkpoint', message }]);
  const text = checkpointText(log, ORIGIN, 5);
  for (const bad of [text, `${text}\n`, note(text.replace('\n5\n', '\n05\n'), W.map((w) => cosignatureLine(text, w.name, w, T))), '']) {
    assert.deepEqual((await r3Fails(fakeBoard(log, {}, { checkpoint: bad }))).map((f) => f.code), ['checkpoint']);
  }
});

test("R3: a board line that does not verify is refused, even with the witnesses' quorum", async () => {
  const log = makeLog();
  const text = checkpointText(log, ORIGIN, 5);
  const bad = note(text, [damage(boardLine(text, ORIGIN, BOARD)), ...W.map((w) => cosignatureLine(text, w.name, w, T))]);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: bad })), [{ code: 'checkpoint-signature', message: "the board's signature on its cosigned checkpoint does not verify" }]);
  // Another key's line under the board's name and key id.
  const otherKey = keyPair(0xee);
  const otherSig = ed25519.sign(utf8(text), otherKey.seed);
  const forged = note(text, [signatureLine(ORIGIN, noteKeyId(ORIGIN, SIG_ED25519, BOARD.key), otherSig), ...W.map((w) => cosignatureLine(text, w.name, w, T))]);
  assert.deepEqual((await r3Fails(fakeBoard(log, {}, { checkpoint: forged }))).map((f) => f.code), ['checkpoint-signature']);
});

test('R3: short of the quorum: a damaged cosignature, one witness twice, a witness the manifest does not name', async () => {
  const log = makeLog();
  const short = (count) => [{
    code: 'cosignatures', params: { count, quorum: 2 },
    message: `the board's cosigned checkpoint has ${count} valid cosignatures of the manifest's witnesses, fewer than the quorum of 2`,
  }];
  const damaged = cosigned(log, 5, (t) => [cosignatureLine(t, W[0].name, W[0], T), damage(cosignatureLine(t, W[1].name, W[1], T))]);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: damaged })), short(1));
  const twice = cosigned(log, 5, (t) => [cosignatureLine(t, W[0].name, W[0], T), cosignatureLine(t, W[0].name, W[0], T + 60)]);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: twice })), short(1));
  const stranger = cosigned(log, 5, (t) => [cosignatureLine(t, W[0].name, W[0], T), cosignatureLine(t, NOT_LISTED.name, NOT_LISTED, T)]);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: stranger })), short(1));
  // A witness's key under another witness's name; a timestamp changed; one above 2^63 − 1.
  const swapped = cosigned(log, 5, (t) => [cosignatureLine(t, W[0].name, W[0], T), cosignatureLine(t, W[1].name, W[2], T)]);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: swapped })), short(1));
  const retimed = cosigned(log, 5, (t) => [cosignatureLine(t, W[0].name, W[0], T), damage(cosignatureLine(t, W[1].name, W[1], T), 7)]);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: retimed })), short(1));
  const late = cosigned(log, 5, (t) => [cosignatureLine(t, W[0].name, W[0], T), cosignatureLine(t, W[1].name, W[1], 1n << 63n)]);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: late })), short(1));
  const none = cosigned(log, 5, () => []);
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: none })), short(0));
});

test('R3: a checkpoint smaller than the receipt: the witnesses have not yet seen this ballot', async () => {
  const log = makeLog();
  const small = cosigned(log, 2, (t) => W.map((w) => cosignatureLine(t, w.name, w, T)));
  assert.deepEqual(await r3Fails(fakeBoard(log, {}, { checkpoint: small })), [{
    code: 'not-witnessed', params: { size: 2, receiptSize: 3 },
    message: 'the latest checkpoint the witnesses cosigned has 2 entries, fewer than the 3 of the receipt: the witnesses have not yet seen this ballot; check again in a minute',
  }]);
});

test('R3: entry 0 not in the receipt head’s tree, not this board’s manifest, or not to be had', async () => {
  const log = makeLog();
  const changed = utf8(JSON.stringify(manifestEntry({ quorum: 1, list: NAMED.list.slice(0, 1) })));
  const b = fakeBoard(log);
  const entry = b.entry;
  const inclusionFails = [{ code: 'manifest-inclusion', message: "the board's proof that entry 0 is in the log the receipt was signed for does not verify: the board changed that log or its entry 0" }];
  assert.deepEqual(await r3Fails(fakeBoard(log, { entry: async (i) => (i === 0 ? changed : entry(i)) })), inclusionFails);
  const proof = log.inclusion(0, 3);
  for (const bad of [{ ...proof, size: 4 }, { ...proof, index: 1 }, { ...proof, proof: proof.proof.slice(1) }, { ...proof, proof: ['x'] }, null])
    assert.deepEqual(await r3Fails(fakeBoard(log, { inclusion: async () => bad })), inclusionFails);
  assert.deepEqual(await r3Fails(fakeBoard(log, { inclusion: async () => { throw new Error('HTTP 400'); } })), [{
    code: 'manifest-fetch', params: { error: 'HTTP 400' },
    message: "the election's manifest (entry 0) and its inclusion proof could not be had: HTTP 400",
  }]);
  // A log whose entry 0 is the manifest of another election, or names another board key: the
  // board signs the receipt, so the proof holds, and the manifest is refused.
  const other = manifestEntry(NAMED);
  other.data.board = { origin: ORIGIN, key: keyPair(0xee).key };
  const wrongElection = manifestEntry(NAMED);
  wrongElection.data.election_id = 'other-election';
  for (const m of [other, wrongElection]) {
    const l = new Log([m, ...log.entries.slice(1)]);
    assert.deepEqual((await r3Fails(fakeBoard(l))).map((f) => f.code), ['manifest-board']);
  }
  // Not a manifest at all (R2 fails too: the revote rule is unknown).
  const report = await check(fakeBoard(new Log([filler(0), ...log.entries.slice(1)])));
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 failed', 'R3 failed', 'R4 skipped']);
  assert.deepEqual(report.steps[2].failures.map((f) => f.code), ['manifest-board']);
});

test('R3: the head checks and the witness check both count; either fails R3', async () => {
  const log = makeLog();
  const b = fakeBoard(log, { checkpoint: async () => { throw new Error('HTTP 404'); } });
  const headless = { ...b.receipt.tree_head, size: 2 }; // smaller than the receipt's, signature broken
  const report = await checkReceipt(b.receipt, { ...b, head: async () => headless });
  assert.deepEqual(report.steps[2].failures.map((f) => f.code), ['signature', 'shrunk', 'checkpoint-fetch']);
});

test("R4: a cosigned checkpoint of another branch: the board showed the witnesses another log", async () => {
  const log = makeLog();
  // Another branch: the same first 3 entries but for entry 1, 6 entries, cosigned by all.
  const branch = new Log([log.entries[0], utf8(JSON.stringify({ ...filler(1), data: { ballots: 2 } })), ...log.entries.slice(2), utf8(JSON.stringify(filler(5)))]);
  const fork = cosigned(branch, 6, (t) => W.map((w) => cosignatureLine(t, w.name, w, T)));
  const b = fakeBoard(log, { consistency: async (m, n) => (n === 6 ? branch.consistency(m, n) : log.consistency(m, n)) }, { checkpoint: fork });
  let report = await check(b);
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 passed', 'R3 passed', 'R4 failed']);
  assert.deepEqual(report.steps[2].detail.witnesses, { size: 6, count: 3, quorum: 2 });
  assert.deepEqual(report.steps[3].failures, [{
    code: 'witnessed-inconsistent', params: { m: 3, n: 6 },
    message: "the consistency proof from the receipt's 3 entries to the cosigned checkpoint's 6 does not verify: the board showed the witnesses another log",
  }]);
  // The branch's checkpoint of the receipt's size: same size, another root.
  const same = cosigned(branch, 3, (t) => W.map((w) => cosignatureLine(t, w.name, w, T)));
  report = await check(fakeBoard(log, {}, { checkpoint: same }));
  assert.deepEqual(statuses(report), ['R1 passed', 'R2 passed', 'R3 passed', 'R4 failed']);
  assert.deepEqual(report.steps[3].failures, [{
    code: 'witnessed-forked', params: { size: 3 },
    message: "the checkpoint the witnesses cosigned has the receipt's size but another root: the board showed the witnesses another log",
  }]);
  // A proof of other sizes, or none: the same failures as for the head.
  const big = makeLog(NAMED, 7);
  const ahead = cosigned(big, 7, (t) => W.map((w) => cosignatureLine(t, w.name, w, T)));
  const answers = { 5: (m, n) => log.consistency(m, n) };
  report = await check(fakeBoard(log, { consistency: async (m, n) => (answers[n] ? answers[n](m, n) : { old: m, new: 6, proof: [] }) }, { checkpoint: ahead }));
  assert.deepEqual(report.steps[3].failures.map((f) => [f.code, f.message]), [['sizes', 'the board answered with a proof from 3 to 6, not from 3 to 7']]);
  report = await check(fakeBoard(log, { consistency: async (m, n) => { if (n === 7) throw new Error('HTTP 400'); return log.consistency(m, n); } }, { checkpoint: ahead }));
  assert.deepEqual(report.steps[3].failures.map((f) => f.message), ['no consistency proof: HTTP 400']);
  // The head's and the checkpoint's failures both count.
  const bad = log.consistency(3, 5); bad.proof[0] = toBase64(new Uint8Array(32));
  report = await check(fakeBoard(log, { consistency: async (m, n) => (n === 6 ? branch.consistency(m, n) : bad) }, { checkpoint: fork }));
  assert.deepEqual(report.steps[3].failures.map((f) => f.code), ['inconsistent', 'witnessed-inconsistent']);
});

test('the receipt check of a log that grew past the witnessed checkpoint: both proofs asked for, it passes', async () => {
  const log = makeLog(NAMED, 8);
  const b = fakeBoard(log, {}, { checkpoint: cosigned(log, 6, (t) => W.slice(1).map((w) => cosignatureLine(t, w.name, w, T))) });
  const report = await check(b);
  assert.ok(report.passed);
  assert.deepEqual(b.asked.consistency, [[3, 8], [3, 6]]);
  assert.deepEqual(report.steps[2].detail.witnesses, { size: 6, count: 2, quorum: 2 });
});

// Every code the check can give has a Chinese text on the election page (no Latin letter in it,
// every parameter used), and the English page shows the spec's own message.
test('every R3 and R4 failure code has its Chinese text on the election page', () => {
  const page = readFileSync(new URL('../src/ui/pages/election.js', import.meta.url), 'utf8');
  const src = readFileSync(new URL('../src/ui/receipt.js', import.meta.url), 'utf8');
  const texts = (key) => [...page.matchAll(new RegExp(`'${key.replace(/\./g, '\\.')}': (['"])(.*?)\\1`, 'g'))].map((m) => m[2]);
  const zh = (key) => texts(key)[0];
  const codes = {
    R3: ['fetch', 'signature', 'wrong-log', 'shrunk', 'older', 'manifest-fetch', 'manifest-inclusion', 'manifest-board', 'checkpoint-fetch', 'checkpoint', 'checkpoint-signature', 'cosignatures', 'not-witnessed'],
    R4: ['forked', 'fetch', 'sizes', 'inconsistent', 'witnessed-forked', 'witnessed-inconsistent'],
  };
  for (const [step, list] of Object.entries(codes)) {
    for (const code of list) {
      const text = zh(`el.fail.${step}.${code}`);
      assert.ok(text && /[\u4e00-\u9fff]/.test(text) && !/[A-Za-z]/.test(text.replace(/\{\w+\}/g, '')), `el.fail.${step}.${code}: ${text}`);
      assert.ok(src.includes(`code: '${code}'`), `receipt.js gives ${code}`);
    }
  }
  for (const key of ['el.R3.witnessed', 'el.R3.no_witnesses']) {
    const [zhText, enText, ...more] = texts(key);
    assert.ok(zhText && enText && !more.length, `${key} in both languages`);
    assert.ok(!/[A-Za-z]/.test(zhText.replace(/\{\w+\}/g, '')) && !/[\u4e00-\u9fff]/.test(enText), key);
  }
  // The English of the spec's summary (verification.md §7.4 R3).
  assert.equal(texts('el.R3.witnessed')[1], "The checkpoint of {size} entries is cosigned by {count} of the manifest's witnesses (quorum {quorum}).");
  assert.equal(texts('el.R3.no_witnesses')[1], 'The manifest names no witnesses.');
  for (const [k, p] of [['el.fail.R3.cosignatures', ['count', 'quorum']], ['el.fail.R3.not-witnessed', ['size', 'receiptSize']], ['el.fail.R4.witnessed-inconsistent', ['m', 'n']], ['el.R3.witnessed', ['size', 'count', 'quorum']]])
    for (const x of p) assert.ok(zh(k).includes(`{${x}}`), `${k} uses {${x}}`);
});
