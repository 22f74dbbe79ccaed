// web/src/ui/kept.js: what the booth keeps (public data only) and the receipts it recovers from
// a board it does not trust, on a receipt the ballot server made (test/fixtures/receipt.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  PENDING_MAX, checkServedReceipt, dropPending, forget, keepPending, keepReceipt, kept, lookUpCode, lookUpCredential,
  memoryStore, recoverPending,
} from '../src/ui/kept.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/receipt.json', import.meta.url), 'utf8'));
const utf8 = (s) => new TextEncoder().encode(s);
const clone = (x) => structuredClone(x);
const flip = (text, i = 0) => text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
const E = fx.receipt.election_id;
const CODE = fx.receipt.tracking_code;
const KEY = JSON.parse(fx.entry).data.credential;
const OTHER = 'A'.repeat(42) + 'E';

/** A board with the fixture's ballot, overridable. */
function board(over = {}) {
  return {
    receipt: async (code) => (code === CODE ? clone(fx.receipt) : null),
    entry: async (i) => {
      if (i !== fx.receipt.index) throw new Error(`the log has no entry ${i}`);
      return utf8(fx.entry);
    },
    credentialBallots: async (key) => ({ credential: key, ballots: key === KEY ? [{ index: fx.receipt.index, tracking_code: CODE }] : [] }),
    ...over,
  };
}

test('the store keeps tracking codes, receipts and the pinned board key only, per election', async () => {
  const store = memoryStore();
  const none = { pending: [], receipt: null, boardKey: null };
  assert.deepEqual(await kept(store, E), none);
  await keepPending(store, E, CODE, fx.board_key);
  await keepPending(store, E, CODE, fx.board_key);
  assert.deepEqual(await kept(store, E), { pending: [CODE], receipt: null, boardKey: fx.board_key });
  assert.deepEqual(await kept(store, 'other'), none);
  await keepReceipt(store, E, fx.receipt, fx.board_key);
  const k = await kept(store, E);
  assert.deepEqual(k, { pending: [], receipt: fx.receipt, boardKey: fx.board_key });
  // Exactly three fields in the stored value.
  assert.deepEqual(Object.keys(await store.get(E)).sort(), ['boardKey', 'pending', 'receipt']);
  // A value kept by an older booth (no key) reads as no key; a key that is no string as none.
  await store.put('older', { pending: [], receipt: fx.receipt });
  assert.equal((await kept(store, 'older')).boardKey, null);
  await store.put('odd', { pending: [], receipt: null, boardKey: 7 });
  assert.equal((await kept(store, 'odd')).boardKey, null);
  // An earlier receipt does not replace a later one (last_counts).
  await keepReceipt(store, E, { ...fx.receipt, index: 1, tracking_code: OTHER }, fx.board_key);
  assert.equal((await kept(store, E)).receipt.tracking_code, CODE);
  for (let i = 0; i < PENDING_MAX + 3; i++) await keepPending(store, E, `${i}`.padStart(43, 'A'));
  assert.equal((await kept(store, E)).pending.length, PENDING_MAX);
  await dropPending(store, E, `${PENDING_MAX + 2}`.padStart(43, 'A'));
  assert.equal((await kept(store, E)).pending.length, PENDING_MAX - 1);
  await forget(store, E);
  assert.deepEqual(await kept(store, E), none);
  // No store (no IndexedDB), or a broken one: nothing kept, nothing thrown.
  await keepPending(null, E, CODE, fx.board_key);
  assert.deepEqual(await kept(null, E), none);
  const broken = { get: async () => { throw new Error('x'); }, put: async () => { throw new Error('x'); }, delete: async () => {} };
  await keepPending(broken, E, CODE, fx.board_key);
  assert.deepEqual(await kept(broken, E), none);
});

test('a served receipt is checked as a fresh one: election, tracking code, signatures', () => {
  const opts = { electionId: E, code: CODE, boardKey: fx.board_key };
  assert.equal(checkServedReceipt(fx.receipt, opts), null);
  assert.equal(checkServedReceipt(fx.receipt, { ...opts, code: OTHER }).code, 'tracking-code');
  assert.equal(checkServedReceipt(fx.receipt, { ...opts, electionId: 'other' }).code, 'election');
  assert.equal(checkServedReceipt({ ...fx.receipt, signature: flip(fx.receipt.signature) }, opts).code, 'signature');
  const head = { ...fx.receipt.tree_head, signature: flip(fx.receipt.tree_head.signature) };
  assert.equal(checkServedReceipt({ ...fx.receipt, tree_head: head }, opts).code, 'tree-head');
  assert.equal(checkServedReceipt({ ...fx.receipt, extra: 1 }, opts).code, 'shape');
  assert.equal(checkServedReceipt('not json', opts).code, 'shape');
  // Another board's key.
  assert.equal(checkServedReceipt(fx.receipt, { ...opts, boardKey: KEY }).code, 'signature');
});

test('a pending code is recovered from the board, and a forged answer refused', async () => {
  const store = memoryStore();
  await keepPending(store, E, CODE, fx.board_key);
  // The board has not got it (yet): it stays pending.
  assert.equal((await recoverPending(store, board({ receipt: async () => null }), E, fx.board_key)).status, 'absent');
  assert.deepEqual((await kept(store, E)).pending, [CODE]);
  // Unreachable.
  const down = board({ receipt: async () => { throw new TypeError('Failed to fetch'); } });
  assert.equal((await recoverPending(store, down, E, fx.board_key)).status, 'unreachable');
  // A receipt for another code, or with a bad signature: refused, nothing kept.
  const other = board({ receipt: async () => ({ ...clone(fx.receipt), tracking_code: OTHER }) });
  const r1 = await recoverPending(store, other, E, fx.board_key);
  assert.equal(r1.status, 'refused');
  const forged = board({ receipt: async () => ({ ...clone(fx.receipt), signature: flip(fx.receipt.signature) }) });
  const r2 = await recoverPending(store, forged, E, fx.board_key);
  assert.equal(r2.status, 'refused');
  assert.equal(r2.failure.code, 'signature');
  assert.equal((await kept(store, E)).receipt, null);
  // The real receipt: found, kept, no longer pending.
  const got = await recoverPending(store, board(), E, fx.board_key);
  assert.equal(got.status, 'found');
  assert.deepEqual(await kept(store, E), { pending: [], receipt: fx.receipt, boardKey: fx.board_key });
  assert.equal((await lookUpCode(board(), E, OTHER, fx.board_key)).status, 'absent');
});

test('a credential is looked up: its last ballot\'s receipt and entry checked', async () => {
  const found = await lookUpCredential(board(), E, KEY, fx.board_key);
  assert.equal(found.status, 'found');
  assert.deepEqual(found.receipt, fx.receipt);
  assert.equal(found.count, 1);
  assert.equal((await lookUpCredential(board(), E, OTHER, fx.board_key)).status, 'none');
  const refused = async (over, code) => {
    const got = await lookUpCredential(board(over), E, KEY, fx.board_key);
    assert.equal(got.status, 'refused', JSON.stringify(got));
    if (code) assert.equal(got.failure.code, code);
  };
  // An answer for another credential.
  await refused({ credentialBallots: async () => ({ credential: OTHER, ballots: [] }) }, 'answer');
  // A listed code without receipt; a receipt for another code; a forged signature.
  await refused({ receipt: async () => null }, 'absent');
  await refused({ receipt: async () => ({ ...clone(fx.receipt), tracking_code: OTHER }) }, 'tracking-code');
  await refused({ receipt: async () => ({ ...clone(fx.receipt), signature: flip(fx.receipt.signature) }) }, 'signature');
  // Another credential's ballot behind a good receipt: the entry does not hash to its leaf.
  const e = JSON.parse(fx.entry);
  e.data.credential = OTHER;
  await refused({ entry: async () => utf8(JSON.stringify(e)) }, 'leaf');
  // The board lists another credential's ballot (with its genuine receipt) for this one.
  const got = await lookUpCredential(board({ credentialBallots: async (k) => ({ credential: k, ballots: [{ index: fx.receipt.index, tracking_code: CODE }] }) }), E, OTHER, fx.board_key);
  assert.equal(got.status, 'refused');
  assert.equal(got.failure.code, 'credential');
  // Unreachable.
  const down = await lookUpCredential(board({ credentialBallots: async () => { throw new TypeError('Failed to fetch'); } }), E, KEY, fx.board_key);
  assert.equal(down.status, 'unreachable');
});
