// What the booth keeps on the device, and the board's receipts it recovers (issue 16 items 1–3).
// No DOM here: web/test/kept.test.js runs it with the in-memory store.
//
// Kept, per election (the store's key is the election's id), public data only:
//   pending   tracking codes of ballots about to be cast (written BEFORE the ballot is posted,
//             so that an answer lost on the way does not lose the receipt), at most PENDING_MAX;
//   receipt   the last receipt this device had from the board and checked;
//   boardKey  the board key it was checked under: the pinned manifest's (protocol §6.6 step 6),
//             so that a page reopened after the polls close checks it again under that key and
//             not under one the server states then.
// Never the credential, the choice, nor a ballot's randomness or opening.
//
// Whatever the board serves is checked as the booth checks a fresh receipt (R1, receipt.js
// `verifyReceipt`): its shape, the election, the tracking code asked for, the board's
// signatures, the log, the inclusion proof. A credential's ballot is checked further: the
// receipt's entry is a `ballot` with that tracking code (R2's entry check) signed by this
// credential. A receipt that fails is refused, never shown as valid.

import { checkEntry, parseReceipt, verifyReceipt } from './receipt.js';

/** Tracking codes kept waiting for their receipt, per election. */
export const PENDING_MAX = 8;

/** A store as the booth uses it, in memory (tests; a browser without IndexedDB). */
export function memoryStore() {
  const m = new Map();
  return {
    async get(key) { return m.has(key) ? structuredClone(m.get(key)) : null; },
    async put(key, value) { m.set(key, structuredClone(value)); },
    async delete(key) { m.delete(key); },
  };
}

/**
 * The browser's IndexedDB (database `piaojue-booth`, object store `kept`, keyed by election id),
 * or null when there is none or it cannot be opened (private mode): the booth then keeps
 * nothing and says nothing.
 */
export async function indexedDbStore(idb = globalThis.indexedDB, name = 'piaojue-booth') {
  if (!idb) return null;
  let db;
  try {
    db = await new Promise((resolve, reject) => {
      const req = idb.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kept');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error('blocked'));
    });
  } catch {
    return null;
  }
  const run = (mode, f) => new Promise((resolve, reject) => {
    const tx = db.transaction('kept', mode);
    const req = f(tx.objectStore('kept'));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  return {
    get: (key) => run('readonly', (s) => s.get(key)).then((v) => v ?? null),
    put: (key, value) => run('readwrite', (s) => s.put(value, key)),
    delete: (key) => run('readwrite', (s) => s.delete(key)),
  };
}

const empty = () => ({ pending: [], receipt: null, boardKey: null });

/**
 * What is kept for an election: `{ pending: [codes], receipt | null, boardKey | null }`; store
 * errors read as nothing.
 */
export async function kept(store, electionId) {
  if (!store) return empty();
  let v = null;
  try { v = await store.get(electionId); } catch { v = null; }
  if (!v || typeof v !== 'object') return empty();
  return {
    pending: Array.isArray(v.pending) ? v.pending.filter((c) => typeof c === 'string') : [],
    receipt: v.receipt && typeof v.receipt === 'object' ? v.receipt : null,
    boardKey: typeof v.boardKey === 'string' ? v.boardKey : null,
  };
}

async function save(store, electionId, value) {
  if (!store) return;
  // Only these fields, whatever the caller holds.
  const { pending, receipt, boardKey } = value;
  try { await store.put(electionId, { pending: pending.slice(-PENDING_MAX), receipt, boardKey }); } catch { /* kept nothing */ }
}

/**
 * Keeps a tracking code before its ballot is posted, with the board key its receipt is to be
 * checked under (the pinned manifest's).
 */
export async function keepPending(store, electionId, code, boardKey) {
  const k = await kept(store, electionId);
  if (!k.pending.includes(code)) k.pending.push(code);
  k.boardKey = boardKey;
  await save(store, electionId, k);
}

/**
 * Keeps a receipt checked under `boardKey` (the latest on the board of those this device had: a
 * later ballot under `last_counts` replaces the receipt kept) and forgets its pending code.
 */
export async function keepReceipt(store, electionId, receipt, boardKey) {
  const k = await kept(store, electionId);
  k.pending = k.pending.filter((c) => c !== receipt.tracking_code);
  if (!k.receipt || !(k.receipt.index > receipt.index)) k.receipt = receipt;
  k.boardKey = boardKey;
  await save(store, electionId, k);
}

/** Forgets a pending code the board refused for good. */
export async function dropPending(store, electionId, code) {
  const k = await kept(store, electionId);
  k.pending = k.pending.filter((c) => c !== code);
  await save(store, electionId, k);
}

/** Forgets everything kept for the election. */
export async function forget(store, electionId) {
  if (!store) return;
  try { await store.delete(electionId); } catch { /* nothing kept */ }
}

/**
 * A receipt the board served (or the device kept) checked as the booth checks a fresh one:
 * null when it holds, else `{ code, message }` (`code` one of `shape`, `election`,
 * `tracking-code`, and those of `verifyReceipt`).
 */
export function checkServedReceipt(receipt, { electionId, code, boardKey }) {
  let r;
  try { r = parseReceipt(receipt); } catch (e) { return { code: 'shape', message: e.message }; }
  if (r.election_id !== electionId) return { code: 'election', message: `the receipt is for election ${r.election_id}` };
  if (code !== undefined && r.tracking_code !== code)
    return { code: 'tracking-code', message: `the receipt is for tracking code ${r.tracking_code}, not ${code}` };
  try {
    return verifyReceipt(r, boardKey);
  } catch (e) {
    return { code: 'signature', message: e.message };
  }
}

/**
 * Looks a tracking code up on the board: `board.receipt(code)` resolves to the receipt's JSON,
 * or null when the board has none (404). Resolves to `{ status: 'found', receipt }`,
 * `{ status: 'absent' }`, `{ status: 'refused', failure }` (the receipt served does not check)
 * or `{ status: 'unreachable', error }`.
 */
export async function lookUpCode(board, electionId, code, boardKey) {
  let receipt;
  try { receipt = await board.receipt(code); } catch (error) { return { status: 'unreachable', error }; }
  if (receipt === null || receipt === undefined) return { status: 'absent' };
  const failure = checkServedReceipt(receipt, { electionId, code, boardKey });
  return failure ? { status: 'refused', failure } : { status: 'found', receipt };
}

/**
 * The pending codes looked up in turn: the first found (and checked) is kept and returned as
 * `{ status: 'found', receipt }`; else the first refusal, else `unreachable` if a look-up
 * failed, else `absent`. Codes the board does not have stay pending (a ballot may still be on
 * its way into the log).
 */
export async function recoverPending(store, board, electionId, boardKey) {
  const { pending } = await kept(store, electionId);
  let worst = { status: 'absent' };
  let found = null;
  for (const code of pending.slice().reverse()) {
    const got = await lookUpCode(board, electionId, code, boardKey);
    if (got.status === 'found') {
      await keepReceipt(store, electionId, got.receipt, boardKey);
      found ??= got;
    } else if (got.status === 'refused') worst = got;
    else if (got.status === 'unreachable' && worst.status === 'absent') worst = got;
  }
  return found ?? worst;
}

/**
 * A credential's cast ballots on the board (`board.credentialBallots(key)` →
 * `{ credential, ballots: [{ index, tracking_code }] }`), the last one's receipt checked
 * (`board.receipt`) and its entry (`board.entry(index)` → exact bytes) checked to be a ballot
 * with that tracking code signed by this credential. Resolves to `{ status: 'none' }` (no cast
 * ballot), `{ status: 'found', receipt, count }`, `{ status: 'refused', failure }` or
 * `{ status: 'unreachable', error }`.
 */
export async function lookUpCredential(board, electionId, key, boardKey) {
  let answer;
  try { answer = await board.credentialBallots(key); } catch (error) { return { status: 'unreachable', error }; }
  const refuse = (code, message) => ({ status: 'refused', failure: { code, message } });
  if (!answer || answer.credential !== key || !Array.isArray(answer.ballots)) return refuse('answer', 'the board answered for another credential, or not with a list');
  if (answer.ballots.length === 0) return { status: 'none' };
  const last = answer.ballots[answer.ballots.length - 1];
  if (!last || typeof last.tracking_code !== 'string') return refuse('answer', 'the board answered with a ballot without tracking code');
  const got = await lookUpCode(board, electionId, last.tracking_code, boardKey);
  if (got.status === 'absent') return refuse('absent', `the board lists tracking code ${last.tracking_code} but has no receipt for it`);
  if (got.status !== 'found') return got;
  let bytes;
  try { bytes = await board.entry(got.receipt.index); } catch (error) { return { status: 'unreachable', error }; }
  const failures = checkEntry(got.receipt, bytes);
  if (failures.length) return refuse(failures[0].code, failures[0].message);
  let credential = null;
  try { credential = JSON.parse(new TextDecoder().decode(bytes))?.data?.credential ?? null; } catch { credential = null; }
  if (credential !== key) return refuse('credential', 'the receipt\'s ballot is not signed by this credential');
  return { status: 'found', receipt: got.receipt, count: answer.ballots.length };
}
