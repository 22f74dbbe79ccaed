// Ballots (spec/protocol.md §8): the Rust-made ballots of election-record.json verified in JS,
// and JS-made ballots for the same election built, verified, opened and refused when wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import * as P from '../src/piaojue.js';
import { vector, hex, b64, hexToB64 } from '../scripts/vectors.js';

const record = vector('election-record.json');
const E = record.election;
const election = new P.Election({ manifest: E.manifest, fingerprint: E.fingerprint, jointKey: E.ceremony_output.joint_key });
const cred = P.credentialFromSeed('a5'.repeat(32));
const credentials = [...E.credentials, b64(cred.publicKey)];

function resign(ballot, seed = cred.seed) {
  const b = structuredClone(ballot);
  b.signature = b64(ed25519.sign(P.ballotSignedBytes(b), seed));
  return b;
}

test('the Rust-made ballots of election-record.json verify in JS, and the audited one opens', () => {
  const codes = new Set();
  for (const b of record.ballots) codes.add(P.verifyBallot(election, b, { credentials: E.credentials }));
  assert.equal(codes.size, record.ballots.length);
  for (const a of record.audited) {
    const code = P.verifyBallot(election, a.ballot, { credentials: E.credentials });
    assert.equal(code, P.trackingCode(a.ballot));
    assert.ok(!codes.has(code), 'an audited ballot is not among the cast ones');
    assert.deepEqual(P.checkOpening(election, a), [
      [0, 0, 0, 0],
      [1, 0, 0],
    ]);
  }
});

test('JS ballots for every kind of valid selection verify, with their tracking codes', () => {
  const rng = P.deterministicRandom('ballot test');
  for (const chosen of [
    [[], ['yes']],
    [[0], ['no']],
    [['p02', 'p04'], ['abstain']],
    [[0, 3], [2]],
  ]) {
    const selection = P.selectionFromChosen(E.manifest, chosen);
    const built = P.buildBallot(election, cred, selection, { rng });
    assert.equal(built.state, 'built');
    assert.match(built.trackingCode, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(P.trackingCode(built.ballot), built.trackingCode);
    assert.equal(P.verifyBallot(election, built.ballot, { credentials }), built.trackingCode);
    const audited = built.audit();
    assert.deepEqual(P.checkOpening(election, audited), selection);
  }
});

test('the ballot JSON has the fields of the Rust structs, in their order, in unpadded base64url', () => {
  const built = P.buildBallot(election, cred.seed, P.selectionFromChosen(E.manifest, [[1], ['yes']]));
  const b = built.ballot;
  assert.deepEqual(Object.keys(b), ['election', 'credential', 'contests', 'signature']);
  assert.deepEqual(Object.keys(b.contests[0]), ['selections', 'proof']);
  assert.deepEqual(Object.keys(b.contests[0].selections[0]), ['ciphertext', 'proof']);
  assert.deepEqual(Object.keys(b.contests[0].selections[0].ciphertext), ['a', 'b']);
  assert.deepEqual(Object.keys(b.contests[0].proof), ['commitments', 'challenges', 'responses']);
  const text = JSON.stringify(b);
  for (const s of text.match(/"[^"]{40,}"/g)) assert.match(s, /^"([A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{86})"$/);
  assert.equal(b.election, E.fingerprint);
  assert.equal(b.credential, b64(cred.publicKey));
  assert.equal(b.signature.length, 86);
  // Shapes of §8.5 V5.3: 2 branches per option, max − min + 1 per contest sum.
  assert.deepEqual(
    b.contests.map((c) => [c.selections.length, c.proof.commitments.length, c.proof.challenges.length, c.proof.responses.length]),
    [
      [4, 3, 2, 3],
      [3, 1, 0, 1],
    ],
  );
  const audited = built.audit();
  assert.deepEqual(Object.keys(audited), ['ballot', 'opening']);
  assert.deepEqual(Object.keys(audited.opening), ['contests']);
  assert.deepEqual(Object.keys(audited.opening.contests[0][0]), ['value', 'randomness']);
  assert.deepEqual(
    audited.opening.contests.map((row) => row.map((o) => o.value)),
    [
      [0, 1, 0, 0],
      [1, 0, 0],
    ],
  );
});

test('the same seed and randomness give the same ballot; ed25519 signatures are RFC 8032', () => {
  const sel = P.selectionFromChosen(E.manifest, [[0, 2], ['abstain']]);
  const a = P.buildBallot(election, cred, sel, { rng: P.deterministicRandom('same') });
  const b = P.buildBallot(election, cred, sel, { rng: P.deterministicRandom('same') });
  assert.deepEqual(a.ballot, b.ballot);
  const c = P.buildBallot(election, cred, sel);
  assert.notEqual(c.trackingCode, a.trackingCode);
  // RFC 8032 test 1: the key of the seed 9d61…7f60.
  const rfc = P.credentialFromSeed('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  assert.equal(hex(rfc.publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
});

test('spec/vectors/js-ballots.json is rebuilt byte for byte from its seeds (the batched prover draws and proves as before)', () => {
  const js = vector('js-ballots.json');
  const je = new P.Election({ manifest: E.manifest, fingerprint: js.fingerprint, jointKey: E.ceremony_output.joint_key });
  const creds = js.credential_seeds.map((s) => P.credentialFromSeed(s));
  const seedOf = (key) => creds.find((c) => b64(c.publicKey) === key);
  // The vectors were made in this order from one deterministic source: the cast ballots, then the audited one.
  const rng = P.deterministicRandom(js.rng_seed);
  for (const v of js.ballots) {
    const built = P.buildBallot(je, seedOf(v.ballot.credential), v.selection, { rng });
    assert.equal(JSON.stringify(built.cast()), JSON.stringify(v.ballot));
    assert.equal(built.trackingCode, v.tracking_code);
  }
  for (const v of js.audited) {
    const built = P.buildBallot(je, seedOf(v.audited.ballot.credential), v.selection, { rng });
    assert.equal(JSON.stringify(built.audit()), JSON.stringify(v.audited));
    assert.equal(built.trackingCode, v.tracking_code);
  }
});

test('cast or audit, never both (§8.6)', () => {
  const sel = P.selectionFromChosen(E.manifest, [[0], ['yes']]);
  const x = P.buildBallot(election, cred, sel);
  const cast = x.cast();
  assert.equal(x.state, 'cast');
  assert.deepEqual(cast, x.ballot);
  assert.throws(() => x.audit(), /cast/);
  const y = P.buildBallot(election, cred, sel);
  y.audit();
  assert.equal(y.state, 'audited');
  assert.throws(() => y.cast(), /audited/);
});

test('invalid selections are refused before encryption, with a message for the deputy', () => {
  const m = E.manifest;
  const cases = [
    [() => P.selectionFromChosen(m, [[0, 1, 2], ['yes']]), 'too-many', /最多可选 2 项，您选了 3 项/],
    [() => P.selectionFromChosen(m, [[0], []]), 'too-few', /须选 1 项，您选了 0 项/],
    [() => P.selectionFromChosen(m, [[0], ['yes', 'no']]), 'too-many', /须选 1 项，您选了 2 项/],
    [() => P.selectionFromChosen(m, [[9], ['yes']]), 'unknown-option', /没有选项/],
    [() => P.selectionFromChosen(m, [['nope'], ['yes']]), 'unknown-option', /没有选项/],
    [() => P.selectionFromChosen(m, [[0]]), 'contest-count', /本次表决有 2 项/],
    [() => P.buildBallot(election, cred, [[1, 1, 1, 0], [1, 0, 0]]), 'too-many', /最多可选/],
    [() => P.buildBallot(election, cred, [[2, 0, 0, 0], [1, 0, 0]]), 'not-binary', /只能选或不选/],
    [() => P.buildBallot(election, cred, [[0, 0, 0], [1, 0, 0]]), 'option-count', /4 个选项/],
  ];
  for (const [f, code, zh] of cases) {
    let err;
    try {
      f();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof P.SelectionError, `${code}: ${err}`);
    assert.equal(err.code, code);
    assert.match(err.zh, zh);
    assert.ok(err.message.length > 0);
  }
  const e = (() => {
    try {
      P.selectionFromChosen(m, [[0, 1, 2], ['yes']]);
    } catch (e) {
      return e;
    }
  })();
  assert.deepEqual([e.contest, e.contestId, e.chosen, e.min, e.max], [0, 'projects', 3, 0, 2]);
});

test('ballots that Ballot::verify refuses are refused, at the right step', () => {
  const built = P.buildBallot(election, cred, P.selectionFromChosen(E.manifest, [[0, 1], ['no']]));
  const good = built.ballot;
  const step = (b, opts = { credentials }) => {
    try {
      P.verifyBallot(election, b, opts);
    } catch (e) {
      assert.ok(e instanceof P.BallotError, String(e));
      return e.step;
    }
    return 'ok';
  };
  assert.equal(step(good), 'ok');
  assert.equal(step(good, { credentials: E.credentials }), 'V5.2');
  assert.equal(step(resign({ ...good, election: 'A'.repeat(43) })), 'V5.1');
  assert.equal(step({ ...good, contests: good.contests.slice(0, 1) }), 'V5.3');
  const short = structuredClone(good);
  short.contests[0].proof.responses.pop();
  assert.equal(step(short), 'V5.3');
  const sig = structuredClone(good);
  const bytes = Buffer.from(sig.signature, 'base64url');
  bytes[63] ^= 1;
  sig.signature = b64(bytes);
  assert.equal(step(sig), 'V5.4');
  assert.equal(step(resign(good, P.credentialFromSeed('b6'.repeat(32)).seed)), 'V5.4');
  // A proof swapped for another option's, re-signed: the signature holds, the proof does not.
  const swapped = structuredClone(good);
  swapped.contests[0].selections[1].proof = good.contests[0].selections[0].proof;
  assert.equal(step(resign(swapped)), 'V5.5');
  // Two ciphertexts swapped: each selection proof fails (bound to its position).
  const moved = structuredClone(good);
  moved.contests[0].selections.reverse();
  assert.equal(step(resign(moved)), 'V5.5');
  // The contest-sum proof of another ballot.
  const other = P.buildBallot(election, cred, P.selectionFromChosen(E.manifest, [[0, 1], ['no']])).ballot;
  const sum = structuredClone(good);
  sum.contests[0].proof = other.contests[0].proof;
  assert.equal(step(resign(sum)), 'V5.6');
  // Decoding: unknown field, bad base64url, a non-canonical scalar.
  assert.equal(step({ ...good, extra: 1 }), 'decode');
  assert.equal(step({ ...good, credential: '!'.repeat(43) }), 'decode');
  assert.equal(step({ ...good, credential: hex(Buffer.from(good.credential, 'base64url')) }), 'decode');
  const scalar = structuredClone(good);
  scalar.contests[0].proof.responses[0] = hexToB64('ff'.repeat(32));
  assert.equal(step(scalar), 'decode');
});

test('openings that do not match are refused (V6.2)', () => {
  const built = P.buildBallot(election, cred, P.selectionFromChosen(E.manifest, [[3], ['yes']]));
  const audited = built.audit();
  assert.deepEqual(P.checkOpening(election, audited), [
    [0, 0, 0, 1],
    [1, 0, 0],
  ]);
  const flip = structuredClone(audited);
  flip.opening.contests[0][3].value = 0;
  assert.throws(() => P.checkOpening(election, flip), (e) => e.step === 'V6.2' && e.option === 3);
  // value ≤ 1 is its own check, with its own text (spec/verification.md V6.2, as the Rust check_opening).
  const two = structuredClone(audited);
  two.opening.contests[0][3].value = 2;
  assert.throws(
    () => P.checkOpening(election, two),
    (e) =>
      e.step === 'V6.2' &&
      e.message === 'the opening does not match the ballot: contest 0, option 3: the revealed value 2 is not 0 or 1',
  );
  const r = structuredClone(audited);
  r.opening.contests[1][2].randomness = r.opening.contests[1][1].randomness;
  assert.throws(() => P.checkOpening(election, r), (e) => e.step === 'V6.2' && e.contest === 1);
  const shape = structuredClone(audited);
  shape.opening.contests.pop();
  assert.throws(() => P.checkOpening(election, shape), /wrong number of contests/);
});

test('an election whose manifest is invalid is refused (ElectionContext::new)', () => {
  const m = structuredClone(E.manifest);
  m.contests[0].max = 7;
  assert.throws(() => new P.Election({ manifest: m, fingerprint: E.fingerprint, jointKey: E.ceremony_output.joint_key }), P.ManifestError);
  assert.throws(() => new P.Election({ manifest: E.manifest, fingerprint: E.fingerprint, jointKey: 'A'.repeat(43) }), P.DecodeError);
});

test('an opening with zero randomness is checked, not crashed on', () => {
  // (O, G) is Enc_K(1; 0): a device that did so is caught by its proofs, not by the opening check.
  const built = P.buildBallot(election, cred, P.selectionFromChosen(E.manifest, [[], ['yes']]));
  const audited = structuredClone(built.audit());
  audited.ballot.contests[0].selections[0].ciphertext = { a: 'A'.repeat(43), b: b64(P.G.toBytes()) };
  audited.opening.contests[0][0] = { value: 1, randomness: 'A'.repeat(43) };
  assert.deepEqual(P.checkOpening(election, audited), [
    [1, 0, 0, 0],
    [1, 0, 0],
  ]);
  assert.throws(() => P.verifyBallot(election, audited.ballot), (e) => e.step === 'V5.4');
  assert.throws(() => P.checkOpening(election, { ...audited, ballot: { ...audited.ballot, extra: 1 } }), (e) => e.step === 'decode');
});

test('signatures are verified strictly (§7.4), not as a cofactored or batch equation would', () => {
  const msg = new TextEncoder().encode('piaojue');
  const sig = ed25519.sign(msg, cred.seed);
  assert.ok(P.verifySignature(sig, msg, cred.publicKey));
  assert.ok(!P.verifySignature(sig, new TextEncoder().encode('piaojuE'), cred.publicKey));
  // S + ℓ: the same equation, a non-canonical S.
  const big = sig.slice();
  const S = P.decodeScalar(big.subarray(32)) + P.L;
  for (let i = 0; i < 32; i++) big[32 + i] = Number((S >> BigInt(8 * i)) & 0xffn);
  assert.ok(!P.verifySignature(big, msg, cred.publicKey));
  // R = O (small order) and S = k·a pass the cofactorless equation; §7.4 refuses R.
  const { scalar: a } = ed25519.utils.getExtendedPublicKey(cred.seed);
  const R = Uint8Array.of(1, ...new Uint8Array(31));
  const k = BigInt('0x' + Buffer.from(sha512(new Uint8Array([...R, ...cred.publicKey, ...msg]))).reverse().toString('hex')) % P.L;
  const forged = new Uint8Array([...R, ...P.scalarToBytes((k * a) % P.L)]);
  assert.ok(!P.verifySignature(forged, msg, cred.publicKey));
  // R = r·B + T with T of order 8: the cofactored equation holds, so §7.4 accepts it (as the
  // Rust code does, alone and in batches); a wrong S with such an R is refused.
  const T = ed25519.Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05');
  assert.ok(T.isSmallOrder() && !T.is0());
  const Rm = ed25519.Point.BASE.multiply(12345n).add(T).toBytes();
  const km = BigInt('0x' + Buffer.from(sha512(new Uint8Array([...Rm, ...cred.publicKey, ...msg]))).reverse().toString('hex')) % P.L;
  const mixed = new Uint8Array([...Rm, ...P.scalarToBytes((12345n + km * a) % P.L)]);
  assert.ok(P.verifySignature(mixed, msg, cred.publicKey));
  const wrong = mixed.slice();
  wrong[40] ^= 1;
  assert.ok(!P.verifySignature(wrong, msg, cred.publicKey));
});
