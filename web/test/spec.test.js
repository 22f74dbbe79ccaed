// Encodings, canonical bytes, transcripts and ElGamal against spec/protocol.md (§2, §3, §4, §5.1,
// §6, Appendix B) and the Rust-made vectors of spec/vectors/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as P from '../src/piaojue.js';
import { vector, hex, unhex, b64 } from '../scripts/vectors.js';

test('§1.3, B.1: the generator and small multiples of it', () => {
  assert.equal(hex(P.G.toBytes()), 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76');
  const want = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76',
    '6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919',
    '94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259',
    'da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57',
    'e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e',
  ];
  want.forEach((h, i) => {
    const p = i === 0 ? P.decodePoint(unhex(h)) : P.G.multiply(BigInt(i));
    assert.equal(hex(p.toBytes()), h);
  });
  assert.ok(P.decodePoint('A'.repeat(43)).is0(), 'the identity decodes');
  assert.throws(() => P.decodePublicKey('A'.repeat(43)), P.DecodeError, 'but is no public key');
});

test('§2.2, §2.3, §2.6: decoders refuse what the spec refuses', () => {
  // ℓ is rejected, ℓ − 1 accepted.
  assert.throws(() => P.decodeScalar(unhex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010')), P.DecodeError);
  assert.equal(P.decodeScalar(unhex('ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010')), P.L - 1n);
  // Base64url (§2.6): exactly one text per byte string; wrong length, padding, the standard
  // alphabet's characters and non-zero unused bits are refused.
  const g = '4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY';
  assert.equal(b64(P.G.toBytes()), g);
  assert.equal(P.toBase64(P.G.toBytes()), g);
  assert.ok(P.decodePoint(g).equals(P.G));
  assert.throws(() => P.decodePoint(g.slice(1)), P.DecodeError);
  assert.throws(() => P.decodePoint(g + '='), P.DecodeError);
  assert.throws(() => P.decodePoint('+' + g.slice(1)), P.DecodeError);
  assert.throws(() => P.decodePoint(g.slice(0, 42) + 'Z'), /unused bits/);
  assert.throws(() => P.decodePoint(hex(P.G.toBytes())), P.DecodeError);
  for (let n = 0; n < 70; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    assert.equal(P.toBase64(bytes), b64(bytes));
    assert.deepEqual(P.fromBase64(b64(bytes), n), bytes);
  }
  assert.throws(() => P.fromHex('zz', 1), P.DecodeError);
  // Points: top bit set, s ≥ p, s = p, a negative (odd) s, and two for which DECODE fails.
  for (const bad of [
    'ff'.repeat(32),
    '00' + 'ff'.repeat(30) + '7f',
    'ed' + 'ff'.repeat(30) + '7f',
    '01' + '00'.repeat(31),
    '26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371',
    '5a73a0e26ed3fc8aa9f1cd73e9b24ad0a9ac43e6b4ec85e17d2be1c66cd4cf22',
  ])
    assert.throws(() => P.decodePoint(unhex(bad)), P.DecodeError, bad);
  // Credential keys: the ed25519 identity is weak; y ≥ p is not canonical.
  assert.throws(() => P.decodeCredentialKey(unhex('01' + '00'.repeat(31))), /small-order/);
  assert.throws(() => P.decodeCredentialKey(unhex('ee' + 'ff'.repeat(30) + '7f')), P.DecodeError);
});

test('§3.5: the worked example of the canonical writer', () => {
  const w = P.Writer.tagged('t').u8(1).u32(2).u64(3).str('票').bool(true);
  w.option(5, (w, v) => w.u32(v)).option(undefined, () => {}).list([7, 8], (w, v) => w.u8(v));
  assert.equal(hex(w.bytes()), '0000000174' + '01' + '00000002' + '0000000000000003' + '00000003e7a5a8' + '01' + '0100000005' + '00' + '000000020708');
});

test('B.2: the manifest of the appendix, its canonical bytes and hashes', () => {
  const manifest = JSON.parse(`{"version":2,"election_id":"demo","title":{"zh":"测试","en":"Test"},"congress":{"zh":"","en":""},"deputies":3,
    "tellers":{"n":1,"t":1},
    "contests":[{"id":"c","title":{"zh":"选择","en":""},"min":0,"max":1,"options":[
      {"id":"a","title":{"zh":"甲","en":""}},
      {"id":"b","title":{"zh":"乙","en":""},"project":{"department":{"zh":"县水利局","en":""},
       "investment_yuan":1000,"completion":"2027-12","description":{"zh":"","en":""}}}]}],
    "decision":{"kind":"counts"},"board":{"origin":"piaojue.example/board/demo","key":"cF-6wB9VGYmfQ3vELkAlWumrVL_wDeNDOvfWh9nnGtU"},"witnesses":{"quorum":0,"list":[]}}`);
  const appendix =
    '00000002' + '0000000464656d6f' + '00000006e6b58be8af95' + '0000000454657374' + '00000000' + '00000000' + '00000003' +
    '00000001' + '00000001' +
    '00000001' + '0000000163' + '00000006e98089e68ba9' + '00000000' + '00000000' + '00000001' + '00000002' +
    '0000000161' + '00000003e794b2' + '00000000' + '00' +
    '0000000162' + '00000003e4b999' + '00000000' + '01' + '0000000ce58ebfe6b0b4e588a9e5b180' + '00000000' + '00000000000003e8' +
    '00000007323032372d3132' + '00000000' + '00000000' + '00' + '00' +
    '0000001a7069616f6a75652e6578616d706c652f626f6172642f64656d6f' + '705fbac01f5519899f437bc42e40255ae9ab54bff00de3433af7d687d9e71ad5' + '00000000' + '00000000';
  assert.equal(appendix.length / 2, 238);
  assert.equal(hex(P.manifestBytes(manifest)), appendix);
  const h = P.manifestHash(manifest);
  assert.equal(hex(h), '371e4d59027a423f6d3d83fe4aab73fb3d2aeed682946abdfed5e2e78c05fc7a');
  assert.equal(hex(P.ceremonyId(h)), 'f13ce5368f6e764fa0fc29cd44b78681880862682ae0d33a7ad39185c24b372f');
  assert.equal(hex(P.credentialsHash([])), '18012ab10ec09cca2242f99c696c937a34335fdba2cab17f67b1d587e7c855f0');
});

test('canonical.json: manifest bytes, manifest hash and ceremony id as the Rust code makes them', () => {
  const v = vector('canonical.json');
  assert.equal(hex(P.manifestBytes(v.manifest)), v.canonical_bytes);
  const h = P.manifestHash(v.manifest);
  assert.equal(b64(h), v.manifest_hash);
  assert.equal(b64(P.ceremonyId(h)), v.ceremony_id);
});

test('election-record.json: the election fingerprint (§6.4) from the election data', () => {
  const e = vector('election-record.json').election;
  const inputs = {
    manifest: e.manifest,
    tellerKeys: e.ceremony.announcements.map((a) => a.signing_key),
    jointKey: e.ceremony_output.joint_key,
    verificationKeys: e.ceremony_output.verification_keys,
    credentials: e.credentials,
  };
  assert.equal(b64(P.electionFingerprint(inputs)), e.fingerprint);
  // The credential list's order does not matter to the hash; the list itself must be valid.
  assert.equal(b64(P.electionFingerprint({ ...inputs, credentials: [...e.credentials].reverse() })), e.fingerprint);
  assert.throws(() => P.credentialsHash([e.credentials[0], e.credentials[0]]), /repeated/);
  // Any change of the manifest changes it.
  const m = structuredClone(e.manifest);
  m.contests[0].max = 1;
  assert.notEqual(b64(P.electionFingerprint({ ...inputs, manifest: m })), e.fingerprint);
});

test('§6.1: manifests that Manifest::validate refuses are refused', () => {
  const good = vector('election-record.json').election.manifest;
  P.validateManifest(good);
  const bad = (f) => {
    const m = structuredClone(good);
    f(m);
    return m;
  };
  for (const m of [
    bad((m) => (m.version = 1)),
    bad((m) => (m.version = 3)),
    bad((m) => (m.election_id = 'Upper')),
    bad((m) => (m.tellers = { n: 2, t: 3 })),
    bad((m) => (m.contests[0].max = 5)),
    bad((m) => (m.contests[0].min = 3)),
    bad((m) => (m.contests[1].id = m.contests[0].id)),
    bad((m) => (m.contests[0].options[1].id = m.contests[0].options[0].id)),
    bad((m) => (m.extra = true)),
    bad((m) => (m.decision = { kind: 'top_k', seats: 1, majority: 'all_deputies', quorum: { num: 2, den: 3 } })),
    bad((m) => (m.revote = 'sometimes')),
    bad((m) => delete m.board),
    bad((m) => delete m.witnesses),
    bad((m) => (m.board.origin = 'piaojue.example/board/other')),
    bad((m) => (m.board.origin = `a b/${m.election_id}`)),
    bad((m) => (m.board.origin = `a+b/${m.election_id}`)),
    bad((m) => (m.board.origin = `a\u0085b/${m.election_id}`)),
    bad((m) => (m.witnesses = { quorum: 1, list: [] })),
    bad((m) => (m.witnesses = { quorum: 0, list: [{ name: 'w.example/1', key: m.board.key.replace(/^./, 'A'), url: 'https://w.example' }] })),
    bad((m) => (m.witnesses = { quorum: 1, list: [{ name: 'w.example/1', key: m.board.key, url: 'https://w.example' }] })),
  ])
    assert.throws(() => P.validateManifest(m), (e) => e instanceof P.ManifestError || e instanceof P.DecodeError);
});

test('B.3: transcript challenges of the three proof types', () => {
  const fill = (b) => new Uint8Array(32).fill(b);
  const pt = (i) => P.G.multiply(BigInt(i)).toBytes();
  const check = (t, bytes, c) => {
    const got = t.challengeBytes('challenge', 64);
    assert.equal(hex(got), bytes);
    assert.equal(hex(P.scalarToBytes(P.scalarFromWide(got))), c);
  };

  const schnorr = P.beginProof('schnorr', P.proofContext(fill(1), fill(2), 'test'));
  schnorr.appendMessage('X', pt(1)).appendMessage('R', pt(2));
  check(
    schnorr,
    'e8857428fed132e88c2b2163a09e6e7d3e9137b0c1ac5db1b84f752f5fce5e36dc17835714e46b6beefb113e987dc39d17f77956ca733b6c5b178b0ffb684630',
    '90700e6baed390d80375b47946dff9ccdb3e56b20b941063f8803a4ad3a8e600',
  );

  const dleq = P.beginProof('dleq', P.proofContext(fill(3), fill(4), 'test'));
  dleq.appendMessage('H', pt(2)).appendMessage('X', pt(1)).appendMessage('Y', pt(4)).appendMessage('R1', pt(3)).appendMessage('R2', pt(5));
  check(
    dleq,
    '4779a0fea13a9defc337041dbcd931ec431cb84cdedc41ebe0e80f22c492e24cda92ac5d39ff81edd46e76debe0b4cc982730458aff6088ea74703b8104d8b05',
    'cd10774b3c8b4ba06a83cc7c7151795350c89aa4d28e6f7259e641bb09c75d01',
  );

  const range = P.rangeTranscript(P.proofContext(fill(5), fill(6), 'selection', 1, 2), {
    key: pt(3),
    ciphertexts: [new P.Ciphertext(pt(4), pt(5))],
    lo: 0,
    hi: 1,
  });
  range.appendMessage('A', pt(1)).appendMessage('B', pt(2)).appendMessage('A', pt(3)).appendMessage('B', pt(4));
  check(
    range,
    'b0feb14071aa0dd0b81e6503d7cbf8ce108980b160358632183833549c947c4097a5b7211e61f63d3194286e82b9b1075fcc5553995e58618ba372dfc1b46829',
    '921ad91b60ed0104bec9974d2b6c40fc28be990f36694e13c5debfecf9d52c02',
  );
});

test('elgamal.json: K = x·G and every encryption', () => {
  const v = vector('elgamal.json');
  assert.equal(b64(P.G.multiply(P.decodeScalar(v.secret_key)).toBytes()), v.public_key);
  const key = new P.EncryptionKey(v.public_key);
  for (const e of v.encryptions) assert.deepEqual(key.encrypt(e.message, P.decodeScalar(e.randomness)).toJSON(), e.ciphertext);
  // Ciphertexts add with their messages and randomness (§5.1).
  const [a, b] = v.encryptions;
  const sum = key.encrypt(a.message + b.message, (P.decodeScalar(a.randomness) + P.decodeScalar(b.randomness)) % P.L);
  const ca = P.Ciphertext.fromJSON(a.ciphertext);
  const cb = P.Ciphertext.fromJSON(b.ciphertext);
  assert.ok(sum.equals(new P.Ciphertext(ca.a.add(cb.a), ca.b.add(cb.b))));
});

test('signatures.json: the §7.4 rule on its edge cases, as the Rust code judges them', () => {
  const v = vector('signatures.json');
  let valid = 0;
  for (const c of v.cases) {
    assert.equal(P.verifySignature(c.signature, unhex(c.message), v.key), c.valid, c.why);
    if (c.valid) valid++;
  }
  assert.ok(valid >= 2 && v.cases.length - valid >= 4);
});
