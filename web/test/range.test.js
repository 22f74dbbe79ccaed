// The disjunctive range proof (spec/protocol.md §5.5): Rust-made proofs of range.json checked in
// JS, and JS-made proofs checked by the JS verifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import * as P from '../src/piaojue.js';
import { vector } from '../scripts/vectors.js';

const v = vector('range.json');
const Fn = { sub: (a, b) => (((a - b) % P.L) + P.L) % P.L, add: (a, b) => (a + b) % P.L };

function load(name) {
  const x = v[name];
  return {
    ctx: P.proofContext(x.context.election, x.context.party, x.context.role, ...x.context.index),
    st: { key: v.key, ciphertexts: x.ciphertexts.map(P.Ciphertext.fromJSON), lo: x.lo, hi: x.hi },
    proof: P.RangeProof.fromJSON(x.proof),
  };
}

for (const name of ['selection', 'contest_sum']) {
  test(`range.json ${name}: the transcript challenge and every verification equation, in JS`, () => {
    const { ctx, st, proof } = load(name);
    // Rebuild the transcript of §5.5 by hand and draw the challenge.
    const t = P.beginProof('range', ctx);
    t.appendMessage('K', P.decodePoint(v.key).toBytes());
    t.appendU64('lo', st.lo).appendU64('hi', st.hi).appendU64('count', st.ciphertexts.length);
    for (const ct of st.ciphertexts) t.appendMessage('alpha', ct.aBytes).appendMessage('beta', ct.bBytes);
    for (const [a, b] of proof.commitments) t.appendMessage('A', a).appendMessage('B', b);
    const c = P.challengeScalar(t);
    assert.equal(P.rangeChallenges(ctx, st, proof).challenge, c);
    // c_{n−1} = c − Σ cⱼ, then sⱼ·G = Aⱼ + cⱼ·α and sⱼ·K = Bⱼ + cⱼ·(β − vⱼ·G) for every j.
    const n = st.hi - st.lo + 1;
    assert.equal(proof.commitments.length, n);
    const cs = [...proof.challenges, proof.challenges.reduce(Fn.sub, c)];
    const K = P.decodePoint(v.key);
    const alpha = st.ciphertexts.reduce((s, ct) => s.add(ct.a), P.decodePoint(new Uint8Array(32)));
    const beta = st.ciphertexts.reduce((s, ct) => s.add(ct.b), P.decodePoint(new Uint8Array(32)));
    const mul = (p, k) => (k === 0n ? P.decodePoint(new Uint8Array(32)) : p.multiplyUnsafe(k));
    for (let j = 0; j < n; j++) {
      const A = P.decodePoint(proof.commitments[j][0]);
      const B = P.decodePoint(proof.commitments[j][1]);
      const s = proof.responses[j];
      assert.ok(mul(P.G, s).equals(A.add(mul(alpha, cs[j]))), `branch ${j}, first equation`);
      const shifted = beta.subtract(mul(P.G, BigInt(st.lo + j)));
      assert.ok(mul(K, s).equals(B.add(mul(shifted, cs[j]))), `branch ${j}, second equation`);
    }
    assert.ok(P.verifyRange(ctx, st, proof));
    const batch = new P.BatchVerifier();
    batch.queueRange(ctx, st, proof);
    assert.ok(batch.check());
  });
}

test('range.json: the invalid proofs fail, and so do changed statements and contexts', () => {
  const { ctx, st, proof } = load('selection');
  for (const bad of v.invalid) {
    const p = P.RangeProof.fromJSON(bad.proof);
    assert.equal(P.verifyRange(ctx, st, p), false, bad.why);
    const batch = new P.BatchVerifier();
    batch.queueRange(ctx, st, p);
    assert.equal(batch.check(), false, bad.why);
  }
  assert.equal(P.verifyRange({ ...ctx, index: [0, 3] }, st, proof), false);
  assert.equal(P.verifyRange({ ...ctx, role: 'contest-sum' }, st, proof), false);
  const party = ctx.party.slice();
  party[0] ^= 1;
  assert.equal(P.verifyRange({ ...ctx, party }, st, proof), false);
  assert.equal(P.verifyRange(ctx, { ...st, hi: 1, lo: 0, key: P.G.toBytes() }, proof), false);
  assert.throws(() => P.verifyRange(ctx, { ...st, hi: 2 }, proof), RangeError, 'shape');
  const swapped = new P.RangeProof([proof.commitments[1], proof.commitments[0]], proof.challenges, proof.responses);
  assert.equal(P.verifyRange(ctx, st, swapped), false);
});

test('JS proofs verify for every value of small ranges, over one or several ciphertexts', () => {
  const key = new P.EncryptionKey(v.key);
  const rng = P.deterministicRandom('range test');
  const ctx = P.proofContext(new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22), 'contest-sum', 3, 0);
  for (const [lo, hi] of [
    [0, 1],
    [1, 1],
    [0, 3],
    [2, 4],
  ]) {
    for (let m = lo; m <= hi; m++) {
      // m ones among hi + 1 ciphertexts.
      const values = Array.from({ length: hi + 1 }, (_, i) => (i < m ? 1 : 0));
      const rs = values.map(() => P.randomScalar(rng));
      const cts = values.map((x, i) => key.encrypt(x, rs[i]));
      const st = { key, ciphertexts: cts, lo, hi };
      const r = rs.reduce(Fn.add, 0n);
      const proof = P.proveRange(ctx, st, { value: m, randomness: r }, rng);
      assert.equal(proof.commitments.length, hi - lo + 1);
      assert.equal(proof.challenges.length, hi - lo);
      assert.ok(P.verifyRange(ctx, st, proof), `[${lo}, ${hi}] value ${m}`);
      assert.ok(P.verifyRange(ctx, st, P.RangeProof.fromJSON(JSON.parse(JSON.stringify(proof.toJSON())))));
      if (hi > lo) {
        const narrower = m === lo ? { ...st, lo: lo + 1 } : { ...st, hi: m - 1 };
        assert.throws(() => P.verifyRange(ctx, narrower, proof), RangeError);
      }
    }
  }
});

test('a value out of range cannot be proved, and lying about it gives a proof that fails', () => {
  const key = new P.EncryptionKey(v.key);
  const ctx = P.proofContext(new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22), 'selection', 0, 0);
  const r = 5n;
  const ct = key.encrypt(2, r);
  const st = { key, ciphertexts: [ct], lo: 0, hi: 1 };
  assert.throws(() => P.proveRange(ctx, st, { value: 2, randomness: r }), RangeError);
  const lie = P.proveRange(ctx, st, { value: 1, randomness: r });
  assert.equal(P.verifyRange(ctx, st, lie), false);
  assert.throws(() => P.proveRange(ctx, { ...st, ciphertexts: [] }, { value: 0, randomness: r }), RangeError);
  assert.throws(() => P.proveRange(ctx, { ...st, lo: 0, hi: 1024 }, { value: 0, randomness: r }), RangeError);
});

test('proofs are hedged: the same statement and witness give different proofs, both valid', () => {
  const key = new P.EncryptionKey(v.key);
  const ctx = P.proofContext(new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22), 'selection', 0, 0);
  const ct = key.encrypt(1, 77n);
  const st = { key, ciphertexts: [ct], lo: 0, hi: 1 };
  const a = P.proveRange(ctx, st, { value: 1, randomness: 77n });
  const b = P.proveRange(ctx, st, { value: 1, randomness: 77n });
  assert.notDeepEqual(a.toJSON(), b.toJSON());
  assert.ok(P.verifyRange(ctx, st, a) && P.verifyRange(ctx, st, b));
  // With a repeated deterministic source the proof repeats exactly.
  const c = P.proveRange(ctx, st, { value: 1, randomness: 77n }, P.deterministicRandom('x'));
  const d = P.proveRange(ctx, st, { value: 1, randomness: 77n }, P.deterministicRandom('x'));
  assert.deepEqual(c.toJSON(), d.toJSON());
});

test('encodeDoubles: the encodings of 2·Q in one batch equal RFC 9496 ENCODE of each 2·Q', () => {
  const Point = P.G.constructor;
  const rng = P.deterministicRandom('encode doubles');
  const qs = [P.G, Point.ZERO, P.G.negate(), P.G.multiply(P.L - 1n)];
  // Affine (Z = 1, from decoding or a multiplication) and projective (Z ≠ 1, after an addition).
  for (let i = 0; i < 40; i++) qs.push(P.G.multiply(P.randomScalar(rng)));
  for (let i = 0; i < 10; i++) qs.push(qs[4 + i].add(qs[5 + i]));
  for (let i = 0; i < 5; i++) qs.push(P.decodePoint(qs[10 + i].toBytes()));
  // Other representatives of the same elements: Q plus a point of the 4-torsion (the identity's
  // class in ristretto255), including the 4-torsion points alone, whose e·f·g·h is 0.
  for (const h of ED25519_TORSION_SUBGROUP.slice(0, 8)) {
    const t = ed25519.Point.fromHex(h);
    if (!t.double().double().is0()) continue;
    qs.push(new Point(t), new Point(qs[7].ep.add(t)), new Point(qs[50].ep.add(t)));
  }
  const got = P.encodeDoubles(qs);
  assert.equal(got.length, qs.length);
  qs.forEach((q, i) => assert.equal(P.toHex(got[i]), P.toHex(q.double().toBytes()), `point ${i}`));
  assert.deepEqual(P.encodeDoubles([]), []);
});

test('EncryptionKey.encryptMany equals encrypt, points and encodings', () => {
  const key = new P.EncryptionKey(v.key);
  const rng = P.deterministicRandom('encrypt many');
  const items = [0, 1, 1, 0, 5, 0].map((value) => ({ value, randomness: P.randomScalar(rng) }));
  items.push({ value: 1, randomness: 0n }, { value: 0, randomness: P.L - 1n });
  const many = key.encryptMany(items);
  items.forEach(({ value, randomness }, i) => {
    const one = key.encrypt(value, randomness);
    assert.ok(many[i].equals(one), `item ${i}`);
    assert.ok(many[i].a.equals(one.a) && many[i].b.equals(one.b), `item ${i}: points`);
  });
});
