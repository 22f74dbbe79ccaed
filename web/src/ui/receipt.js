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
//   R3 Current head   the board's latest head: signature, log id, not smaller, not older;
//   R4 Consistency    the latest head extends the receipt's (RFC 9162 consistency proof).

import { sha256 } from '@noble/hashes/sha2.js';
import { DecodeError, Writer, decodeCredentialKey, fromBase64, toBase64, trackingCode, verifySignature } from '../piaojue.js';

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

/**
 * R1–R4 against a board: `{ boardKey, entry(i) → Promise<Uint8Array>, head() → Promise<head>,
 * consistency(m, n) → Promise<{ old, new, proof }> }`, and optionally `entries(from, limit) →
 * Promise<[entry]>` (parsed entries, for R2's last check). Resolves to
 * `{ passed, steps: [{ id: 'R1'…'R4', status: 'passed'|'failed'|'skipped', failures, detail }] }`.
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
  const currentHead = () => (headOnce ??= board.head().catch((e) => (e instanceof Error ? e : new Error(String(e)))));

  let entry = null;
  try { entry = await board.entry(r.index); } catch (e) { step('R2', [{ code: 'fetch', message: `entry ${r.index}: ${e.message}`, params: { index: r.index } }]); }
  if (entry) {
    const failures = checkEntry(r, entry);
    const cast = castBallot(entry);
    if (cast) failures.push(...await checkNotReplaced(r, cast, board, await currentHead()));
    step('R2', failures, { index: r.index });
  }

  let head = await currentHead();
  if (head instanceof Error) {
    step('R3', [{ code: 'fetch', message: head.message }]);
    head = null;
  }
  let headOk = false;
  if (head) {
    const f = checkCurrentHead(r, head, board.boardKey);
    headOk = f.length === 0;
    step('R3', f, { size: head.size, root: head.root, timestamp_ms: head.timestamp_ms });
  }

  if (!head) step('R4', [], { reason: 'no current tree head', reasonCode: 'no-head' }, 'skipped');
  else if (!headOk) step('R4', [], { reason: 'the current tree head did not verify', reasonCode: 'head-failed' }, 'skipped');
  else {
    const m = r.tree_head.size;
    const n = head.size;
    if (m === n) {
      const ok = r.tree_head.root === head.root;
      step('R4', ok ? [] : [{ code: 'forked', message: `the board's head of ${n} entries has another root: the board forked`, params: { size: n } }], { old: m, new: n });
    } else {
      let c = null;
      try { c = await board.consistency(m, n); } catch (e) { step('R4', [{ code: 'fetch', message: `no consistency proof: ${e.message}` }]); }
      if (c) {
        if (c.old !== m || c.new !== n) step('R4', [{ code: 'sizes', message: `the board answered with a proof from ${c.old} to ${c.new}, not from ${m} to ${n}`, params: { old: c.old, new: c.new, m, n } }]);
        else {
          const ok = verifyConsistency(m, n, r.tree_head.root, head.root, c.proof);
          step('R4', ok ? [] : [{ code: 'inconsistent', message: `the consistency proof from ${m} to ${n} entries does not verify: the board rewrote its history`, params: { m, n } }], { old: m, new: n });
        }
      }
    }
  }
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
