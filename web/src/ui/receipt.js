// A deputy's receipt checked in the browser, as `piaojue-verify receipt` does it
// (spec/verification.md §7.4, R1–R4; spec/record.md §9.2–§9.4). No DOM here: the election page
// gives it a `board` (the server's API) and shows the steps; web/test/receipt.test.js runs it on a
// receipt the server made.
//
//   R1 Receipt        the board's signatures on the receipt and its tree head (strict ed25519),
//                     the head's log id, the inclusion proof to the head's root;
//   R2 Entry          the entry's bytes hash to the leaf, parse, have the index, and are the
//                     ballot (cast or audited) with the receipt's tracking code; under the
//                     revote rule last_counts, no later ballot of the same credential replaces
//                     a cast one;
//   R3 Current head   the board's latest head: signature, log id, not smaller, not older; and
//                     the witnesses: the manifest (entry 0, proved in the receipt's tree) names
//                     this board's key, and if it names witnesses, a checkpoint cosigned by a
//                     quorum of them covers the receipt (receipt::check_witnessed);
//   R4 Consistency    the latest head, and the cosigned checkpoint, extend the receipt's
//                     (RFC 9162 consistency proofs).
//
// The witnesses' formats (spec/protocol.md §14): signed notes (c2sp.org/signed-note), checkpoints
// (c2sp.org/tlog-checkpoint) and cosignature/v1 (c2sp.org/tlog-cosignature), as
// crypto/src/board/note.rs, checkpoint.rs and cosignature.rs have them.

import { sha256 } from '@noble/hashes/sha2.js';
import { DecodeError, Writer, decodeCredentialKey, fromBase64, toBase64, toHex, trackingCode, verifySignature } from '../piaojue.js';

export const TAG_LOG = 'piaojue-v1/log';
export const TAG_TREE_HEAD = 'piaojue-v1/tree-head';
export const TAG_RECEIPT = 'piaojue-v1/receipt';
/** MTH of the empty log. */
export const EMPTY_ROOT = '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU';

const utf8 = new TextEncoder();

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
}

function same(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const hash32 = (x) => (typeof x === 'string' ? fromBase64(x, 32) : x);
const big = (n) => BigInt(n);

/** `log_id(election_id)` (record.md §9.2), base64url. */
export function logId(electionId) {
  return toBase64(Writer.tagged(TAG_LOG).str(electionId).sha256());
}

/** A tree head's signed bytes (record.md §9.3), from its JSON. */
export function treeHeadSignedBytes(head) {
  return Writer.tagged(TAG_TREE_HEAD)
    .fixed(fromBase64(head.log_id, 32)).u64(head.size).fixed(fromBase64(head.root, 32)).u64(head.timestamp_ms)
    .bytes();
}

/** A receipt's signed bytes (record.md §9.4), from its JSON. */
export function receiptSignedBytes(r) {
  return Writer.tagged(TAG_RECEIPT)
    .str(r.election_id).u64(r.index).fixed(fromBase64(r.tracking_code, 32)).fixed(fromBase64(r.leaf_hash, 32))
    .fixed(treeHeadSignedBytes(r.tree_head))
    .bytes();
}

/** `SHA-256(0x00 ‖ bytes)`, base64url. */
export function leafHash(bytes) {
  return toBase64(sha256(concat(Uint8Array.of(0), bytes)));
}

function nodeHash(l, r) {
  return sha256(concat(Uint8Array.of(1), l, r));
}

/** RFC 9162 §2.1.3.2, as `merkle::verify_inclusion`. Hashes as base64url or bytes. */
export function verifyInclusion(leaf, index, size, proof, root) {
  let fn = big(index);
  let sn = big(size) - 1n;
  if (fn > sn) return false;
  let r = hash32(leaf);
  for (const p of proof.map(hash32)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && same(r, hash32(root));
}

/** RFC 9162 §2.1.4.2, as `merkle::verify_consistency` (with its cases for equal and 0 sizes). */
export function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  const m = big(oldSize);
  const n = big(newSize);
  const [or, nr] = [hash32(oldRoot), hash32(newRoot)];
  if (m > n) return false;
  if (m === n) return proof.length === 0 && same(or, nr);
  if (m === 0n) return proof.length === 0 && same(or, fromBase64(EMPTY_ROOT, 32));
  if (proof.length === 0) return false;
  const path = [...((m & (m - 1n)) === 0n ? [or] : []), ...proof.map(hash32)];
  let fn = m - 1n;
  let sn = n - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return same(fr, or) && same(sr, nr) && sn === 0n;
}

// ---------------------------------------------------------------------------------------------
// Signed notes, checkpoints and cosignatures (spec/protocol.md §14), strictly as Piaojue reads
// them (crypto/src/board/note.rs): base64 here is the STANDARD alphabet with padding, canonical.

/** Signature types of a note: Ed25519 (the board's checkpoint signature) and cosignature/v1. */
export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
/** The largest note read, in bytes (note.rs `MAX_NOTE_BYTES`). */
export const MAX_NOTE_BYTES = 64 * 1024;
/** A signature line's prefix: em dash (U+2014) and a space. */
export const SIGNATURE_PREFIX = '\u2014 ';
const MAX_TIMESTAMP = (1n << 63n) - 1n;
// A control character other than newline (below U+0020).
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

/** Whether `name` may be a key name: not empty, no Unicode white space, no '+'. */
export function isNoteKeyName(name) {
  return typeof name === 'string' && name.length > 0 && !/[\p{White_Space}+]/u.test(name);
}

/** Canonical standard base64 with padding (RFC 4648 §4) → bytes; throws DecodeError. */
export function fromStdBase64(text) {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    throw new DecodeError('not canonical base64 (RFC 4648 §4, with padding)');
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) throw new DecodeError('not canonical base64 (RFC 4648 §4, with padding)');
  try {
    return fromBase64(body.replace(/\+/g, '-').replace(/\//g, '_'));
  } catch {
    throw new DecodeError('not canonical base64 (RFC 4648 §4, with padding)');
  }
}

/** Bytes → standard base64 with padding. */
export function toStdBase64(bytes) {
  const s = toBase64(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

/** `SHA-256(name ‖ 0x0A ‖ type ‖ key)[0..4]`, the 4 bytes of a key id. */
export function noteKeyId(name, type, key) {
  return sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, type), decodeCredentialKey(key))).slice(0, 4);
}

/** A verifier key's text (`name+hex8(key id)+base64(type ‖ key)`). */
export function encodeVkey(name, type, key) {
  return `${name}+${toHex(noteKeyId(name, type, key))}+${toStdBase64(concat(Uint8Array.of(type), decodeCredentialKey(key)))}`;
}

/** The message a cosignature/v1 signs: `cosignature/v1\ntime <t>\n` and the checkpoint text. */
export function cosignedMessage(text, timestamp) {
  return utf8.encode(`cosignature/v1\ntime ${BigInt(timestamp)}\n${text}`);
}

function parseSignatureLine(line) {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new DecodeError('a signature line must start with "— " (U+2014, space)');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new DecodeError('a signature line must be "— <key name> <base64 signature>"');
  const name = rest.slice(0, space);
  if (!isNoteKeyName(name)) throw new DecodeError(`invalid key name ${JSON.stringify(name)}`);
  const raw = fromStdBase64(rest.slice(space + 1));
  if (raw.length < 5) throw new DecodeError('a signature must have a 4-byte key id and at least one byte more');
  return { name, keyId: raw.slice(0, 4), bytes: raw.slice(4) };
}

/**
 * A signed note (c2sp.org/signed-note), bytes or text → `{ text, signatures: [{ name, keyId,
 * bytes }] }`: at most `MAX_NOTE_BYTES`, UTF-8, no control character but newline, the text
 * (ending in a newline) separated from the signature lines by the last empty line, one or more
 * signature lines `— <name> <base64(key id ‖ signature)>`, each ending in a newline. Throws
 * DecodeError.
 */
export function parseNote(input) {
  const bytes = typeof input === 'string' ? utf8.encode(input) : input;
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('a note is bytes or text');
  if (bytes.length > MAX_NOTE_BYTES) throw new DecodeError(`the note has ${bytes.length} bytes, more than the ${MAX_NOTE_BYTES} accepted`);
  let all;
  try { all = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes); } catch { throw new DecodeError('the note is not valid UTF-8'); }
  if (CONTROL.test(all)) throw new DecodeError('the note has a control character other than newline');
  const split = all.lastIndexOf('\n\n');
  if (split < 0) throw new DecodeError("no empty line separates the note's text from its signatures");
  const text = all.slice(0, split + 1);
  const sigs = all.slice(split + 2);
  if (!sigs) throw new DecodeError('the note has no signature');
  if (!sigs.endsWith('\n')) throw new DecodeError('the last signature line does not end in a newline');
  return { text, signatures: sigs.slice(0, -1).split('\n').map(parseSignatureLine) };
}

/**
 * A checkpoint text (c2sp.org/tlog-checkpoint) → `{ origin, size, root (base64url), extensions }`:
 * three or more non-empty lines, each ending in a newline, the size a decimal without leading
 * zeros (here at most 2^53 − 1, the sizes a page can count), the root the canonical padded
 * base64 of 32 bytes. Throws DecodeError.
 */
export function parseCheckpoint(text) {
  if (typeof text !== 'string' || CONTROL.test(text)) throw new DecodeError('a checkpoint is text without control characters but newline');
  if (!text.endsWith('\n')) throw new DecodeError("the note's text must be non-empty and end in a newline");
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new DecodeError('a checkpoint has at least three lines: origin, tree size, root hash');
  const empty = lines.indexOf('');
  if (empty >= 0) throw new DecodeError(`line ${empty + 1} of the checkpoint is empty`);
  const [origin, sizeLine, rootLine] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine)))
    throw new DecodeError(`the tree size ${JSON.stringify(sizeLine)} is not a decimal number without leading zeros`);
  let root;
  try { root = fromStdBase64(rootLine); } catch { root = null; }
  if (root?.length !== 32) throw new DecodeError(`the root hash ${JSON.stringify(rootLine)} is not the base64 of 32 bytes`);
  return { origin, size: Number(sizeLine), root: toBase64(root), extensions: lines.slice(3) };
}

/** Whether signature `sig` of a note claims to be by `key` (`{ name, type, key }`): same name and key id. */
export function signatureMatches(sig, key) {
  return sig.name === key.name && same(sig.keyId, noteKeyId(key.name, key.type, key.key));
}

/**
 * Whether `sig` is `key`'s (`{ name, type: SIG_ED25519 | SIG_COSIGNATURE_V1, key }`) and verifies
 * over the note's `text` with Piaojue's strict Ed25519: type 0x01 a 64-byte signature of the
 * text; type 0x04 `u64_be(timestamp) ‖ signature` of `cosignedMessage(text, timestamp)`,
 * timestamp ≤ 2^63 − 1.
 */
export function verifyNoteSignature(text, sig, key) {
  try {
    if (!signatureMatches(sig, key)) return false;
    if (key.type === SIG_ED25519)
      return sig.bytes.length === 64 && verifySignature(sig.bytes, utf8.encode(text), key.key);
    if (key.type === SIG_COSIGNATURE_V1) {
      if (sig.bytes.length !== 72) return false;
      const timestamp = new DataView(sig.bytes.buffer, sig.bytes.byteOffset, 8).getBigUint64(0);
      if (timestamp > MAX_TIMESTAMP) return false;
      return verifySignature(sig.bytes.slice(8), cosignedMessage(text, timestamp), key.key);
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * A note verified against trusted keys as c2sp.org/signed-note says (note.rs `Note::verify`):
 * signatures of no trusted key are ignored; every signature of a trusted key must verify; at
 * least one must. Returns the trusted keys that signed, each once; throws DecodeError.
 */
export function verifyNote(note, keys) {
  const signed = new Set();
  for (const sig of note.signatures) {
    for (const k of keys) {
      if (!signatureMatches(sig, k)) continue;
      if (!verifyNoteSignature(note.text, sig, k)) throw new DecodeError(`the signature by ${sig.name} (key id ${toHex(sig.keyId)}) does not verify`);
      signed.add(k);
    }
  }
  if (!signed.size) throw new DecodeError('the note carries no signature by a trusted key');
  return keys.filter((k) => signed.has(k));
}

// The base64url texts of 32 and 64 bytes (protocol §2.6): the unused low bits of the last
// character are zero, so the last character is one of 16 (32 bytes) or 4 (64 bytes).
const B32 = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const B64 = /^[A-Za-z0-9_-]{85}[AQgw]$/;
const HEX32 = /^[0-9a-f]{64}$/;
const isU64 = (x) => Number.isSafeInteger(x) && x >= 0;

/** A credential sign-in code as typed (spaces, dashes, upper case) → 64 lower-case hex, or null. */
export function normaliseCredential(text) {
  const s = String(text ?? '').replace(/[\s-]/g, '').toLowerCase();
  return HEX32.test(s) ? s : null;
}

/**
 * A receipt's JSON (text or value) checked for shape: every field of record.md §9.4, nothing
 * else. Throws DecodeError; returns the receipt object.
 */
export function parseReceipt(input) {
  let r = input;
  if (typeof input === 'string') {
    try { r = JSON.parse(input); } catch (e) { throw new DecodeError(`not JSON: ${e.message}`); }
  }
  const fail = (what) => { throw new DecodeError(`not a receipt: ${what}`); };
  if (!r || typeof r !== 'object' || Array.isArray(r)) fail('not an object');
  const fields = ['election_id', 'tracking_code', 'index', 'leaf_hash', 'tree_head', 'inclusion', 'signature'];
  for (const k of Object.keys(r)) if (!fields.includes(k)) fail(`unknown field ${k}`);
  for (const k of fields) if (!(k in r)) fail(`missing field ${k}`);
  if (typeof r.election_id !== 'string' || !r.election_id) fail('election_id');
  if (!B32.test(r.tracking_code ?? '')) fail('tracking_code');
  if (!isU64(r.index)) fail('index');
  if (!B32.test(r.leaf_hash ?? '')) fail('leaf_hash');
  if (!B64.test(r.signature ?? '')) fail('signature');
  if (!Array.isArray(r.inclusion) || !r.inclusion.every((x) => B32.test(x ?? ''))) fail('inclusion');
  checkHeadShape(r.tree_head, fail);
  return r;
}

function checkHeadShape(h, fail) {
  if (!h || typeof h !== 'object') fail('tree_head');
  const fields = ['log_id', 'size', 'root', 'timestamp_ms', 'signature'];
  for (const k of Object.keys(h)) if (!fields.includes(k)) fail(`tree head: unknown field ${k}`);
  if (!B32.test(h.log_id ?? '') || !B32.test(h.root ?? '') || !B64.test(h.signature ?? '')
    || !isU64(h.size) || !isU64(h.timestamp_ms)) fail('tree_head');
}

function headSignatureOk(head, boardKey) {
  try {
    return verifySignature(head.signature, treeHeadSignedBytes(head), boardKey);
  } catch {
    return false;
  }
}

/**
 * R1 (`Receipt::verify`): null when it passes, else the first failure's message (English, with
 * `code` for the page's translation).
 */
export function verifyReceipt(r, boardKey) {
  decodeCredentialKey(boardKey);
  let ok = false;
  try { ok = verifySignature(r.signature, receiptSignedBytes(r), boardKey); } catch { ok = false; }
  if (!ok) return { code: 'signature', message: "the board's signature on the receipt does not verify" };
  if (!headSignatureOk(r.tree_head, boardKey)) return { code: 'tree-head', message: "the board's signature on the tree head does not verify" };
  if (r.tree_head.log_id !== logId(r.election_id)) return { code: 'wrong-log', message: 'the tree head is for another log' };
  if (!verifyInclusion(r.leaf_hash, r.index, r.tree_head.size, r.inclusion, r.tree_head.root))
    return { code: 'inclusion', message: "the inclusion proof does not lead to the tree head's root" };
  return null;
}

/** R2: the entry's exact bytes against the receipt. Returns a list of failures (empty: passed). */
export function checkEntry(r, bytes) {
  const failures = [];
  if (leafHash(bytes) !== r.leaf_hash) failures.push({ code: 'leaf', message: "the entry's leaf hash is not the receipt's" });
  let entry;
  try {
    entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    failures.push({ code: 'parse', message: `the entry does not parse: ${e.message}` });
    return failures;
  }
  if (entry.index !== r.index) failures.push({ code: 'index', message: `the entry says it is entry ${entry.index}, the receipt ${r.index}`, params: { entry: entry.index, receipt: r.index } });
  const ballot = entry.kind === 'ballot' ? entry.data : entry.kind === 'audited' ? entry.data?.ballot : null;
  if (!ballot) {
    failures.push({ code: 'kind', message: `the entry is a ${entry.kind}, not a ballot`, params: { kind: entry.kind } });
    return failures;
  }
  let code;
  try { code = trackingCode(ballot); } catch (e) { code = `(${e.message})`; }
  if (code !== r.tracking_code)
    failures.push({ code: 'tracking-code', message: `the entry's ballot has tracking code ${code}, the receipt ${r.tracking_code}`, params: { code, receipt: r.tracking_code } });
  return failures;
}

/** The cast ballot of an entry's exact bytes, or null (not JSON, not a `ballot` entry). */
function castBallot(bytes) {
  try {
    const entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return entry?.kind === 'ballot' && entry.data && typeof entry.data === 'object' ? entry.data : null;
  } catch {
    return null;
  }
}

/** A credential key's 32 bytes from its base64url text; throws DecodeError. */
const credentialBytes = (text) => fromBase64(text, 32);

/** Entries read at once from a board with a range read (`GET …/board/entries?from=&limit=`). */
export const ENTRY_PAGE = 1000;
/** Entries fetched at once, one by one, from a board without a range read. */
export const ENTRY_CONCURRENCY = 8;

/**
 * The entries `from … to − 1` of the board, in order, as `[index, entry | Error]` pairs: by
 * pages of `board.entries(from, limit)` (parsed entries) when the board has it, else
 * `board.entry(i)` (exact bytes, parsed here) with at most `ENTRY_CONCURRENCY` requests at once.
 * Stops at the first pair for which `stop(index, entry | Error)` is true.
 */
async function scanEntries(board, from, to, stop) {
  const parse = (bytes) => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  for (let start = from; start < to;) {
    const n = Math.min(board.entries ? ENTRY_PAGE : ENTRY_CONCURRENCY, to - start);
    let got;
    if (board.entries) {
      let page;
      try { page = await board.entries(start, n); } catch (e) { page = e; }
      got = Array.from({ length: n }, (_, k) => {
        if (page instanceof Error) return page;
        const e = Array.isArray(page) ? page[k] : undefined;
        if (e === undefined) return new Error(`the log has no entry ${start + k}`);
        if (e?.index !== start + k) return new Error(`the board answered with entry ${e?.index}`);
        return e;
      });
    } else {
      got = await Promise.all(Array.from({ length: n }, (_, k) => board.entry(start + k).then(
        (bytes) => { try { return parse(bytes); } catch (e) { return new SyntaxError(e.message); } },
        (e) => (e instanceof Error ? e : new Error(String(e))))));
    }
    for (const [k, e] of got.entries()) if (stop(start + k, e)) return;
    start += n;
  }
}

/**
 * R2, its last check (`receipt::replaced_by`, verification.md §7.4): if entry 0's manifest has
 * `revote = last_counts`, no entry `j` with `index < j < n` (`n` the size of `head`, the board's
 * current head, or the error fetching it) is a `ballot` with the credential of `ballot`, the
 * receipted cast ballot. Returns a list of failures (`code` `revote-unknown`, `head`,
 * `replaced` with `params` `{ index, trackingCode }`, `later-fetch`, `later-parse`).
 */
export async function checkNotReplaced(r, ballot, board, head) {
  let entry0 = null;
  try { entry0 = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await board.entry(0))); } catch { entry0 = null; }
  if (entry0?.kind !== 'manifest' || !entry0.data || typeof entry0.data !== 'object')
    return [{ code: 'revote-unknown', message: "entry 0 is not the election's manifest: the revote rule is unknown" }];
  if ((entry0.data.revote ?? 'first_final') !== 'last_counts') return [];
  if (head instanceof Error || !isU64(head?.size))
    return [{ code: 'head', message: `the board's head could not be had: ${head instanceof Error ? head.message : 'no size'}`, params: { error: head?.message ?? '' } }];
  let mine;
  try { mine = credentialBytes(ballot.credential); } catch { return []; } // not a ballot: the checks above said so
  const failures = [];
  await scanEntries(board, r.index + 1, head.size, (j, e) => {
    if (e instanceof SyntaxError) failures.push({ code: 'later-parse', message: `entry ${j} does not parse: ${e.message}`, params: { index: j } });
    else if (e instanceof Error) failures.push({ code: 'later-fetch', message: `entry ${j}: ${e.message}`, params: { index: j } });
    else if (e?.kind === 'ballot') {
      let same = false;
      let code;
      try {
        same = credentialBytes(e.data?.credential).every((b, i) => b === mine[i]);
        if (same) code = trackingCode(e.data);
      } catch (err) {
        failures.push({ code: 'later-parse', message: `entry ${j} does not parse: ${err.message}`, params: { index: j } });
        return true;
      }
      if (same)
        failures.push({ code: 'replaced', message: `a later ballot of the same credential (entry ${j}, tracking code ${code}) replaces this one: it does not count`, params: { index: j, trackingCode: code } });
    }
    return failures.length > 0;
  });
  return failures;
}

/** R3: the board's current head against the receipt's. Returns a list of failures. */
export function checkCurrentHead(r, head, boardKey) {
  const failures = [];
  if (!headSignatureOk(head, boardKey)) failures.push({ code: 'signature', message: "the board's signature on its current tree head does not verify" });
  if (head.log_id !== logId(r.election_id)) failures.push({ code: 'wrong-log', message: 'the current tree head is for another log' });
  if (head.size < r.tree_head.size)
    failures.push({ code: 'shrunk', message: `the board's log has ${head.size} entries now, fewer than the ${r.tree_head.size} of the receipt`, params: { size: head.size, receiptSize: r.tree_head.size } });
  if (head.timestamp_ms < r.tree_head.timestamp_ms)
    failures.push({ code: 'older', message: `the current tree head's time ${head.timestamp_ms} is before the receipt's ${r.tree_head.timestamp_ms}`, params: { time: head.timestamp_ms, receiptTime: r.tree_head.timestamp_ms } });
  return failures;
}

/** A fetch's failure as an Error. */
const asError = (e) => (e instanceof Error ? e : new Error(String(e)));

/**
 * R3's witness part, its first half (`receipt::receipt_manifest`): the election's manifest is
 * entry 0 of the log the receipt was signed for (its inclusion proof in the receipt head's tree,
 * `board.inclusion(0, m)`), for this election, naming this board's key. Returns
 * `{ manifest }` or `{ failure }`.
 */
export async function receiptManifest(r, board) {
  const m = r.tree_head.size;
  let bytes;
  let proof;
  try {
    bytes = await board.entry(0);
    proof = await board.inclusion(0, m);
  } catch (err) {
    const e = asError(err);
    return { failure: { code: 'manifest-fetch', message: `the election's manifest (entry 0) and its inclusion proof could not be had: ${e.message}`, params: { error: e.message } } };
  }
  let included = false;
  try {
    included = proof?.index === 0 && proof?.size === m && Array.isArray(proof.proof)
      && verifyInclusion(leafHash(bytes), 0, m, proof.proof, r.tree_head.root);
  } catch { included = false; }
  if (!included) return { failure: { code: 'manifest-inclusion', message: "the board's proof that entry 0 is in the log the receipt was signed for does not verify: the board changed that log or its entry 0" } };
  const manifest = manifestOf(bytes);
  let boardKey = null;
  try { boardKey = decodeCredentialKey(board.boardKey); } catch { boardKey = null; }
  let named = null;
  try { named = manifest && decodeCredentialKey(manifest.board.key); } catch { named = null; }
  if (!manifest || manifest.election_id !== r.election_id || !boardKey || !named || !same(named, boardKey))
    return { failure: { code: 'manifest-board', message: "entry 0 is not the manifest of this election naming this board's key" } };
  return { manifest };
}

/**
 * The manifest of an entry's exact bytes, or null: a `manifest` entry whose data has what R3
 * reads, well formed (`election_id`; `board` with `origin` and a valid `key`; `witnesses` with a
 * u32 `quorum` and a `list` of `{ name, key, url }`, every key valid).
 */
function manifestOf(bytes) {
  let entry;
  try { entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)); } catch { return null; }
  const m = entry?.kind === 'manifest' ? entry.data : null;
  const obj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!obj(m) || typeof m.election_id !== 'string' || !obj(m.board) || typeof m.board.origin !== 'string' || !obj(m.witnesses)) return null;
  const { quorum, list } = m.witnesses;
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > 0xffffffff || !Array.isArray(list)) return null;
  try {
    decodeCredentialKey(m.board.key);
    for (const w of list) {
      if (!obj(w) || typeof w.name !== 'string' || typeof w.url !== 'string') return null;
      decodeCredentialKey(w.key);
    }
  } catch {
    return null;
  }
  return m;
}

/**
 * R3's witness part (`receipt::check_witnessed`, verification.md §7.4), stopping at the first
 * failure: the manifest (`receiptManifest`); if its quorum `k` is 0, nothing more (`{ witnessed:
 * null }`); else the board's cosigned checkpoint (`board.checkpoint()`, the signed note's bytes or
 * text) is a signed note whose text is a checkpoint of origin `board.origin`, every line of the
 * board's key (type 0x01, name the origin) verifies, at least `k` of the manifest's witnesses
 * have a line that verifies as their cosignature/v1, and its size is at least the receipt's.
 * Returns `{ witnessed: { size, root, count, quorum } }`, `{ witnessed: null }` or `{ failure }`.
 */
export async function checkWitnessed(r, board) {
  const { manifest, failure } = await receiptManifest(r, board);
  if (failure) return { failure };
  const quorum = manifest.witnesses.quorum;
  if (quorum === 0) return { witnessed: null };
  let bytes;
  try {
    bytes = await board.checkpoint();
  } catch (err) {
    const e = asError(err);
    return { failure: { code: 'checkpoint-fetch', message: `no checkpoint cosigned by the manifest's witnesses could be had: ${e.message}`, params: { error: e.message } } };
  }
  let note;
  let checkpoint;
  try {
    note = parseNote(bytes);
    checkpoint = parseCheckpoint(note.text);
  } catch {
    checkpoint = null;
  }
  const origin = manifest.board.origin;
  if (!checkpoint || checkpoint.origin !== origin || !isNoteKeyName(origin))
    return { failure: { code: 'checkpoint', message: "the board's cosigned checkpoint is not a signed checkpoint of this election's log" } };
  const boardKey = { name: origin, type: SIG_ED25519, key: board.boardKey };
  if (note.signatures.some((s) => signatureMatches(s, boardKey) && !verifyNoteSignature(note.text, s, boardKey)))
    return { failure: { code: 'checkpoint-signature', message: "the board's signature on its cosigned checkpoint does not verify" } };
  const count = manifest.witnesses.list
    .filter((w) => isNoteKeyName(w.name))
    .map((w) => ({ name: w.name, type: SIG_COSIGNATURE_V1, key: w.key }))
    .filter((k) => note.signatures.some((s) => verifyNoteSignature(note.text, s, k)))
    .length;
  if (count < quorum)
    return { failure: { code: 'cosignatures', message: `the board's cosigned checkpoint has ${count} valid cosignatures of the manifest's witnesses, fewer than the quorum of ${quorum}`, params: { count, quorum } } };
  const m = r.tree_head.size;
  if (checkpoint.size < m)
    return { failure: { code: 'not-witnessed', message: `the latest checkpoint the witnesses cosigned has ${checkpoint.size} entries, fewer than the ${m} of the receipt: the witnesses have not yet seen this ballot; check again in a minute`, params: { size: checkpoint.size, receiptSize: m } } };
  return { witnessed: { size: checkpoint.size, root: checkpoint.root, count, quorum } };
}

/**
 * Whether the tree `(n, rn)` extends `(m, rm)` (`m ≤ n`), by the board's consistency proof
 * (`receipt::consistent`): null when it does, else `{ kind: 'same-size' }` (same size, another
 * root), `{ kind: 'rewritten' }` (the proof does not verify) or `{ failure }` (no proof, or a proof
 * of other sizes).
 */
async function consistent(board, m, rm, n, rn) {
  if (m === n) return rm === rn ? null : { kind: 'same-size' };
  let c;
  try {
    c = await board.consistency(m, n);
  } catch (err) {
    return { failure: { code: 'fetch', message: `no consistency proof: ${asError(err).message}` } };
  }
  if (c?.old !== m || c?.new !== n)
    return { failure: { code: 'sizes', message: `the board answered with a proof from ${c?.old} to ${c?.new}, not from ${m} to ${n}`, params: { old: c?.old, new: c?.new, m, n } } };
  let ok = false;
  try { ok = Array.isArray(c.proof) && verifyConsistency(m, n, rm, rn, c.proof); } catch { ok = false; }
  return ok ? null : { kind: 'rewritten' };
}

/**
 * R1–R4 against a board: `{ boardKey, entry(i) → Promise<Uint8Array>, head() → Promise<head>,
 * consistency(m, n) → Promise<{ old, new, proof }>, inclusion(i, n) → Promise<{ index, size,
 * proof }>, checkpoint() → Promise<Uint8Array | string> }` (the last two: the board's
 * `…/board/inclusion?index=&size=` and `…/board/checkpoint`, the cosigned checkpoint as a signed
 * note), and optionally `entries(from, limit) → Promise<[entry]>` (parsed entries, for R2's last
 * check). Resolves to `{ passed, steps: [{ id: 'R1'…'R4', status: 'passed'|'failed'|'skipped',
 * failures, detail }] }`. R3's detail has `witnesses`: `{ size, count, quorum }` (the cosigned
 * checkpoint that covers the receipt), `{ none: true }` (the manifest names no witnesses), or
 * null (the witness part failed, or was not reached).
 */
export async function checkReceipt(receipt, board) {
  const r = parseReceipt(receipt);
  const steps = [];
  const step = (id, failures, detail, status) => {
    steps.push({ id, status: status ?? (failures.length ? 'failed' : 'passed'), failures, detail });
  };
  const r1 = verifyReceipt(r, board.boardKey);
  step('R1', r1 ? [r1] : [], { index: r.index, size: r.tree_head.size, trackingCode: r.tracking_code, boardKey: toBase64(decodeCredentialKey(board.boardKey)) });

  // The board's current head, fetched once: R2's last check reads up to it, R3 checks it.
  let headOnce = null;
  const currentHead = () => (headOnce ??= board.head().catch(asError));

  let entry = null;
  try { entry = await board.entry(r.index); } catch (e) { step('R2', [{ code: 'fetch', message: `entry ${r.index}: ${e.message}`, params: { index: r.index } }]); }
  if (entry) {
    const failures = checkEntry(r, entry);
    const cast = castBallot(entry);
    if (cast) failures.push(...await checkNotReplaced(r, cast, board, await currentHead()));
    step('R2', failures, { index: r.index });
  }

  // R3: the current head, then the witnesses (a failure of either fails R3 and skips R4).
  const head = await currentHead();
  if (head instanceof Error) {
    step('R3', [{ code: 'fetch', message: head.message }]);
    step('R4', [], { reason: 'no current tree head', reasonCode: 'no-head' }, 'skipped');
    return { passed: false, steps, receipt: r };
  }
  const failures = checkCurrentHead(r, head, board.boardKey);
  const w = await checkWitnessed(r, board);
  if (w.failure) failures.push(w.failure);
  const witnessed = w.witnessed ?? null;
  step('R3', failures, {
    size: head.size, root: head.root, timestamp_ms: head.timestamp_ms,
    witnesses: w.failure ? null : witnessed ? { size: witnessed.size, count: witnessed.count, quorum: witnessed.quorum } : { none: true },
  });
  if (failures.length) {
    step('R4', [], { reason: 'the current tree head did not verify', reasonCode: 'head-failed' }, 'skipped');
    return { passed: false, steps, receipt: r };
  }

  // R4: the current head, and the cosigned checkpoint, extend the receipt's tree.
  const m = r.tree_head.size;
  const n = head.size;
  const r4 = [];
  const toHead = await consistent(board, m, r.tree_head.root, n, head.root);
  if (toHead?.kind === 'same-size') r4.push({ code: 'forked', message: `the board's head of ${n} entries has another root: the board forked`, params: { size: n } });
  else if (toHead?.kind === 'rewritten') r4.push({ code: 'inconsistent', message: `the consistency proof from ${m} to ${n} entries does not verify: the board rewrote its history`, params: { m, n } });
  else if (toHead) r4.push(toHead.failure);
  const detail = { old: m, new: n };
  if (witnessed) {
    const cn = witnessed.size;
    const toCheckpoint = await consistent(board, m, r.tree_head.root, cn, witnessed.root);
    if (toCheckpoint?.kind === 'same-size') r4.push({ code: 'witnessed-forked', message: "the checkpoint the witnesses cosigned has the receipt's size but another root: the board showed the witnesses another log", params: { size: cn } });
    else if (toCheckpoint?.kind === 'rewritten') r4.push({ code: 'witnessed-inconsistent', message: `the consistency proof from the receipt's ${m} entries to the cosigned checkpoint's ${cn} does not verify: the board showed the witnesses another log`, params: { m, n: cn } });
    else if (toCheckpoint) r4.push(toCheckpoint.failure);
    detail.witnessed = cn;
  }
  step('R4', r4, detail);
  return { passed: steps.every((s) => s.status === 'passed'), steps, receipt: r };
}

/** The election's page where anyone can check a tracking code: `/elections/{id}#receipt=<code>`. */
export function receiptLink(origin, electionId, code) {
  return `${origin}/elections/${encodeURIComponent(electionId)}#receipt=${code}`;
}

/** The booth's sign-in link printed as a QR code on credential sheets. */
export function credentialLink(origin, electionId, seedHex) {
  return `${origin}/elections/${encodeURIComponent(electionId)}/vote#credential=${seedHex}`;
}

/** `#name=value` of a URL fragment (`location.hash`), or null. */
export function fragmentParam(hash, name) {
  const params = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  return params.get(name);
}
