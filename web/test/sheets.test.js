// The registrar's credential sheets carry the election fingerprint (spec/protocol.md §6.6), as
// the CLI's do: after registering the keys the staff page fetches what a booth fetches, verifies
// the ceremony, computes F itself, checks its keys are on the served list, and only then gives
// sheets (short(F), and F in the link's fragment). A fake server plays honest and malicious.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PinError, credentialFromSeed, electionFingerprint, parsePin, shortFingerprint, toBase64, verifyServed } from '../src/booth.js';
import { fragmentParam } from '../src/ui/receipt.js';
import { SetupError, verifiedSetup } from '../src/ui/staff/fingerprint.js';
import { SheetBatch, sheetsReady, verifySheets } from '../src/ui/staff/sheets.js';
import { vector } from '../scripts/vectors.js';

const clone = (x) => structuredClone(x);
const record = vector('election-record.json').election;
const ID = record.manifest.election_id;
const ORIGIN = 'https://vote.example';
/** The congress has five deputies (`deputies`): two credentials registered before, the three below complete the list. */
const EARLIER = record.credentials.slice(0, record.manifest.deputies - 3);

/** Three credentials this page "just registered": seeds, keys, serials. */
const items = [1, 2, 3].map((i) => {
  const seed = i.toString(16).padStart(2, '0').repeat(32);
  return { serial: i + 5, seed, key: toBase64(credentialFromSeed(seed).publicKey) };
});

/**
 * A server for the election of election-record.json after the ceremony, with two of the record's
 * credentials and the three above registered: `get(path)` as the page's `api`. `lie(served)`
 * changes what it serves. `paths` lists what was read.
 */
function server(lie = () => {}) {
  const served = {
    status: { election_id: ID, state: 'registration', manifest: clone(record.manifest), credentials: record.manifest.deputies, fingerprint: null },
    ceremony: { signing_keys: [], transcript: clone(record.ceremony), output: clone(record.ceremony_output) },
    credentials: { keys: [...EARLIER, ...items.map((it) => it.key)].sort() },
  };
  lie(served);
  const paths = [];
  const get = async (path) => {
    paths.push(path);
    const base = `/api/elections/${ID}`;
    if (path === base) return clone(served.status);
    if (path === `${base}/ceremony`) return clone(served.ceremony);
    if (path === `${base}/credentials`) return clone(served.credentials);
    throw new Error(`unexpected ${path}`);
  };
  return { get, paths, served };
}

/** F of the honest set-up, computed here from the record's data and the eight keys. */
const F = toBase64(electionFingerprint({
  manifest: record.manifest,
  tellerKeys: record.ceremony.announcements.slice().sort((a, b) => a.index - b.index).map((a) => a.signing_key),
  jointKey: record.ceremony_output.joint_key,
  verificationKeys: record.ceremony_output.verification_keys,
  credentials: [...EARLIER, ...items.map((it) => it.key)],
}));

test('an honest server: sheets print short(F) and their links carry the seed and F', async () => {
  assert.notEqual(F, record.fingerprint, 'F covers the credentials just registered');
  const srv = server();
  const batch = new SheetBatch(ID);
  batch.add(clone(items));
  assert.throws(() => batch.pages(ORIGIN), (e) => e instanceof SetupError && e.code === 'unverified', 'no sheets before the check');
  assert.equal(await batch.check(srv.get), true, String(batch.error));
  assert.deepEqual(srv.paths.sort(), [`/api/elections/${ID}`, `/api/elections/${ID}/ceremony`, `/api/elections/${ID}/credentials`]);
  assert.equal(batch.setup.fingerprint, F);
  const pages = batch.pages(ORIGIN);
  assert.equal(pages.length, 3);
  for (const [i, p] of pages.entries()) {
    assert.equal(p.serial, items[i].serial);
    assert.equal(p.short, shortFingerprint(F));
    assert.match(p.short, /^\d{4} \d{4} \d{4} \d{4} \d{4}$/);
    assert.equal(p.link, `${ORIGIN}/elections/${ID}/vote#credential=${items[i].seed}&fingerprint=${F}`);
    assert.equal(p.booth, `${ORIGIN}/elections/${ID}/vote`);
    assert.equal(p.groups.join(''), items[i].seed);
    // The booth, given this link on the same served election, accepts it (§6.6 steps 1–4).
    const hash = p.link.slice(p.link.indexOf('#'));
    assert.equal(fragmentParam(hash, 'credential'), items[i].seed);
    const pin = parsePin(fragmentParam(hash, 'fingerprint'));
    const booth = verifyServed({ manifest: srv.served.status.manifest, ceremony: srv.served.ceremony, credentials: srv.served.credentials.keys }, pin, items[i].key);
    assert.equal(booth.fingerprint, F);
  }
  assert.equal(sheetsReady(batch.setup.status, batch.setup), true);
  // The server's stated fingerprint, once it has one, must be the computed one.
  assert.equal((await verifiedSetup(ID, server((s) => { s.status.fingerprint = F; }).get)).short, shortFingerprint(F));
});

/** A server that lies: the check fails with `code`, no sheet, every seed kept; honest again, the same batch prints. */
async function refusedThenRetried(lie, code) {
  const batch = new SheetBatch(ID);
  batch.add(clone(items));
  assert.equal(await batch.check(server(lie).get), false, code);
  assert.ok(batch.error instanceof PinError, `${code}: ${batch.error}`);
  assert.equal(batch.error.code, code);
  assert.equal(batch.setup, null);
  assert.throws(() => batch.pages(ORIGIN), (e) => e.code === 'unverified');
  assert.deepEqual(batch.items, items, 'the seeds are kept');
  assert.equal(await batch.check(server().get), true, 'checked again against an honest server');
  assert.equal(batch.error, null);
  assert.deepEqual(batch.pages(ORIGIN).map((p) => p.seed), items.map((it) => it.seed));
  return batch;
}

test('a served ceremony that does not verify: refused, seeds kept, retried', async () => {
  await refusedThenRetried((s) => { s.ceremony.transcript.reveals[1].coefficients[0] = s.ceremony.transcript.reveals[0].coefficients[0]; }, 'ceremony');
  await refusedThenRetried((s) => { s.ceremony.transcript.checks.pop(); }, 'ceremony');
  await refusedThenRetried((s) => { delete s.ceremony.transcript; }, 'ceremony');
  // Its own joint key stated beside the real transcript.
  await refusedThenRetried((s) => { s.ceremony.output.joint_key = record.ceremony.reveals[0].coefficients[0]; }, 'joint-key');
});

test('a served credential list without a key just registered: refused, seeds kept', async () => {
  const batch = await refusedThenRetried((s) => { s.credentials.keys = s.credentials.keys.filter((k) => k !== items[1].key); }, 'missing');
  assert.ok(batch.items.some((it) => it.key === items[1].key));
  await assert.rejects(verifySheets(ID, [items[1].key], server((s) => { s.credentials.keys = record.credentials; }).get),
    (e) => e.code === 'missing' && e.missing.length === 1 && e.missing[0] === items[1].key);
  // A list that is not a list of valid keys.
  await refusedThenRetried((s) => { s.credentials.keys.push(s.credentials.keys[0]); }, 'credentials');
});

test('another election, a stated fingerprint of its own, a bad manifest, a failed fetch: refused', async () => {
  await refusedThenRetried((s) => { s.status.manifest.election_id = 'other'; }, 'other-election');
  await refusedThenRetried((s) => { s.status.fingerprint = record.fingerprint; }, 'stated');
  await refusedThenRetried((s) => { s.status.manifest.tellers.t = 9; }, 'manifest');
  // The server does not answer: not verified, and the seeds are kept for a retry.
  const batch = new SheetBatch(ID);
  batch.add(clone(items));
  assert.equal(await batch.check(async () => { throw new TypeError('network down'); }), false);
  assert.equal(batch.error.message, 'network down');
  assert.equal(batch.items.length, 3);
  // Registered in two parts in the same window: no sheet while the list is incomplete (a sheet
  // printed then would carry an F the next part changes), every seed kept; then all of them.
  const part = new SheetBatch(ID);
  part.add(clone(items.slice(0, 2)));
  const fourOfFive = (s) => {
    s.credentials.keys = s.credentials.keys.filter((k) => k !== items[2].key);
    s.status.credentials -= 1;
  };
  assert.equal(await part.check(server(fourOfFive).get), false, 'four of the five deputies have a credential');
  assert.equal(part.error.code, 'not-ready');
  assert.deepEqual([part.error.have, part.error.deputies], [4, 5]);
  assert.throws(() => part.pages(ORIGIN), (e) => e instanceof SetupError && e.code === 'unverified');
  assert.equal(part.items.length, 2);
  part.add([clone(items[2])]);
  assert.equal(part.setup, null, 'a part added: the earlier check no longer holds');
  assert.equal(await part.check(server().get), true);
  assert.equal(part.setup.fingerprint, F);
  assert.equal(part.pages(ORIGIN).length, 3);
  assert.equal(sheetsReady(part.setup.status, part.setup), true);
});
