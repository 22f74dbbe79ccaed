// The public checks of the tellers' key ceremony (spec/protocol.md §9.8), as
// `CeremonyTranscript::verify` (crypto/src/dkg/dealer.rs) runs them: what a booth runs on the
// transcript the server serves, to compute the joint key K and the verification keys itself
// instead of believing the ones the server states (§6.6).
//
// Per round: exactly n messages, one per index 1 … n. Per message: the ceremony id, the
// signature under the sender's announced signing key (§9.4: the cofactored rule of §7.4), and
//
//   announcement  the signing key valid and not weak, no two tellers with one key, the Schnorr
//                 proof of Eᵢ, context (id, signing_key, "teller-encryption-key", (i, 0))
//   commitment    nothing more
//   reveal        exactly t coefficient commitments Cᵢₖ, reveal_hash(id, i, [Cᵢₖ], π) equal to
//                 the round-1 hash, the Schnorr proof of Cᵢ₀ (role "dkg-coefficient", (i, 0)),
//                 one encrypted share per j ≠ i by increasing j
//   share check   no complaint: a ceremony with a complaint has failed (dealer.rs `finish`
//                 judges every complaint and any verdict, against the accused or against the
//                 accuser, fails the ceremony), so a booth refuses it without judging
//
// Output: Aₖ = Σᵢ Cᵢₖ,  K = A₀,  Xⱼ = Σₖ jᵏ·Aₖ  (none of them the identity).
import {
  G, L, Writer, beginProof, ceremonyId, challengeScalar, decodeCredentialKey, decodePoint,
  decodePublicKey, decodeScalar, fromBase64, manifestHash, proofContext, toBase64, validateManifest,
  verifySignature,
} from './piaojue.js';

export const TAG_DKG_ANNOUNCEMENT = 'piaojue-v1/dkg/announcement';
export const TAG_DKG_COMMITMENT = 'piaojue-v1/dkg/commitment';
export const TAG_DKG_REVEAL = 'piaojue-v1/dkg/reveal';
export const TAG_DKG_SHARE_CHECK = 'piaojue-v1/dkg/share-check';
export const TAG_DKG_REVEAL_HASH = 'piaojue-v1/dkg/reveal-hash';
export const ROLE_ENCRYPTION_KEY = 'teller-encryption-key';
export const ROLE_COEFFICIENT = 'dkg-coefficient';
const ENCRYPTED_SHARE_LEN = 48;

/** Why a served key-ceremony transcript does not verify; `teller` names the sender when known. */
export class CeremonyError extends Error {
  constructor(message, teller = null) {
    super(teller === null ? message : `teller ${teller}: ${message}`);
    this.name = 'CeremonyError';
    this.teller = teller;
  }
}

function fields(obj, names, what) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new CeremonyError(`${what} is not an object`);
  const keys = Object.keys(obj).sort();
  const want = [...names].sort();
  if (keys.length !== want.length || keys.some((k, i) => k !== want[i]))
    throw new CeremonyError(`${what} has fields ${keys.join(', ')}, expected ${want.join(', ')}`);
  return obj;
}

function u32(v, what) {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CeremonyError(`${what} is not a u32`);
  return v;
}

function list(v, what) {
  if (!Array.isArray(v)) throw new CeremonyError(`${what} is not a list`);
  return v;
}

/** Decodes the JSON of one message (`deny_unknown_fields`, every point and scalar checked). */
function decoding(what, teller, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof CeremonyError) throw e;
    throw new CeremonyError(`malformed ${what}: ${e.message}`, teller);
  }
}

function schnorr(j) {
  fields(j, ['commitment', 'response'], 'a Schnorr proof');
  return { R: decodePoint(j.commitment), Rbytes: fromBase64(j.commitment, 32), s: decodeScalar(j.response), sBytes: fromBase64(j.response, 32) };
}

const writeSchnorr = (w, p) => w.fixed(p.Rbytes).fixed(p.sBytes);

/** `s·G = R + c·X` with `c = H(ctx, X, R)` (§5.3, `SchnorrProof::verify`). */
function schnorrHolds(ctx, X, Xbytes, proof) {
  const t = beginProof('schnorr', ctx);
  t.appendMessage('X', Xbytes).appendMessage('R', proof.Rbytes);
  const c = challengeScalar(t);
  const sG = proof.s === 0n ? G.subtract(G) : G.multiplyUnsafe(proof.s);
  const cX = c === 0n ? G.subtract(G) : X.multiplyUnsafe(c);
  return sG.equals(proof.R.add(cX));
}

function announcement(j) {
  const index = u32(j?.index, 'an announcement index');
  return decoding('announcement', index, () => {
    fields(j, ['ceremony_id', 'index', 'signing_key', 'encryption_key', 'proof', 'signature'], 'an announcement');
    const m = {
      index, ceremonyId: fromBase64(j.ceremony_id, 32), signingKey: fromBase64(j.signing_key, 32),
      encryptionKey: decodePublicKey(j.encryption_key), encryptionKeyBytes: fromBase64(j.encryption_key, 32),
      proof: schnorr(j.proof), signature: fromBase64(j.signature, 64),
    };
    m.body = Writer.tagged(TAG_DKG_ANNOUNCEMENT).fixed(m.ceremonyId).u32(index).fixed(m.signingKey).fixed(m.encryptionKeyBytes);
    writeSchnorr(m.body, m.proof);
    return m;
  });
}

function commitment(j) {
  const index = u32(j?.index, 'a commitment index');
  return decoding('commitment', index, () => {
    fields(j, ['ceremony_id', 'index', 'reveal_hash', 'signature'], 'a commitment');
    const m = { index, ceremonyId: fromBase64(j.ceremony_id, 32), revealHash: fromBase64(j.reveal_hash, 32), signature: fromBase64(j.signature, 64) };
    m.body = Writer.tagged(TAG_DKG_COMMITMENT).fixed(m.ceremonyId).u32(index).fixed(m.revealHash);
    return m;
  });
}

function reveal(j) {
  const index = u32(j?.index, 'a reveal index');
  return decoding('reveal', index, () => {
    fields(j, ['ceremony_id', 'index', 'coefficients', 'proof', 'shares', 'signature'], 'a reveal');
    const coefficientBytes = list(j.coefficients, 'coefficients').map((c) => fromBase64(c, 32));
    const m = {
      index, ceremonyId: fromBase64(j.ceremony_id, 32), coefficientBytes,
      coefficients: j.coefficients.map(decodePublicKey), proof: schnorr(j.proof),
      shares: list(j.shares, 'shares').map((s) => {
        fields(s, ['recipient', 'ciphertext'], 'an encrypted share');
        return { recipient: u32(s.recipient, 'a share recipient'), ciphertext: fromBase64(s.ciphertext, ENCRYPTED_SHARE_LEN) };
      }),
      signature: fromBase64(j.signature, 64),
    };
    const pub = (w) => {
      w.fixed(m.ceremonyId).u32(index).list(coefficientBytes, (w, c) => w.fixed(c));
      writeSchnorr(w, m.proof);
      return w;
    };
    m.publicHash = pub(Writer.tagged(TAG_DKG_REVEAL_HASH)).sha256();
    m.body = pub(Writer.tagged(TAG_DKG_REVEAL)).list(m.shares, (w, s) => w.u32(s.recipient).fixed(s.ciphertext));
    return m;
  });
}

function shareCheck(j) {
  const index = u32(j?.index, 'a share check index');
  return decoding('share check', index, () => {
    fields(j, ['ceremony_id', 'index', 'complaints', 'signature'], 'a share check');
    const m = { index, ceremonyId: fromBase64(j.ceremony_id, 32), complaints: list(j.complaints, 'complaints'), signature: fromBase64(j.signature, 64) };
    if (m.complaints.length) throw new CeremonyError('complained about a share: the ceremony failed', index);
    m.body = Writer.tagged(TAG_DKG_SHARE_CHECK).fixed(m.ceremonyId).u32(index).u32(0);
    return m;
  });
}

/** One message per index 1 … n, ordered by index (`dealer::by_index`). */
function byIndex(n, round, msgs) {
  const slots = new Array(n).fill(null);
  for (const m of msgs) {
    if (m.index < 1 || m.index > n) throw new CeremonyError(`${round}: unknown teller index ${m.index}`);
    if (slots[m.index - 1]) throw new CeremonyError(`${round}: duplicate message from teller ${m.index}`);
    slots[m.index - 1] = m;
  }
  if (msgs.length !== n) throw new CeremonyError(`${round}: expected ${n} messages, got ${msgs.length}`);
  return slots;
}

const sameBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Verifies a key-ceremony transcript (`{ announcements, commitments, reveals, checks }`, as
 * `GET …/ceremony` → `transcript` serves it) for `manifest`, as `CeremonyTranscript::verify`.
 * Returns what it computes: `{ jointKey, verificationKeys, signingKeys }` (base64url, teller
 * order). Throws `CeremonyError` (or `ManifestError` for the manifest).
 */
export function verifyCeremony(manifest, transcript) {
  validateManifest(manifest);
  const { n, t } = manifest.tellers;
  const id = ceremonyId(manifestHash(manifest));
  fields(transcript, ['announcements', 'commitments', 'reveals', 'checks'], 'the transcript');
  const round = (name, parse, msgs) => byIndex(n, name, list(msgs, name).map(parse));
  const signed = (kind, m, key) => {
    if (!sameBytes(m.ceremonyId, id)) throw new CeremonyError(`${kind} belongs to another ceremony`, m.index);
    if (!verifySignature(m.signature, m.body.bytes(), key)) throw new CeremonyError(`bad signature on its ${kind}`, m.index);
  };

  const announcements = round('announcements', announcement, transcript.announcements);
  announcements.forEach((a, k) => {
    try {
      decodeCredentialKey(a.signingKey);
    } catch {
      throw new CeremonyError('invalid signing key', a.index);
    }
    signed('announcement', a, a.signingKey);
    const ctx = proofContext(id, a.signingKey, ROLE_ENCRYPTION_KEY, a.index, 0);
    if (!schnorrHolds(ctx, a.encryptionKey, a.encryptionKeyBytes, a.proof)) throw new CeremonyError('the proof of the encryption key does not verify', a.index);
    if (announcements.slice(0, k).some((b) => sameBytes(b.signingKey, a.signingKey))) throw new CeremonyError('signing keys: duplicate', a.index);
  });
  const keyOf = (i) => announcements[i - 1].signingKey;

  const commitments = round('commitments', commitment, transcript.commitments);
  for (const c of commitments) signed('commitment', c, keyOf(c.index));

  const reveals = round('reveals', reveal, transcript.reveals);
  for (const r of reveals) {
    signed('reveal', r, keyOf(r.index));
    if (r.coefficients.length !== t) throw new CeremonyError(`malformed reveal: ${r.coefficients.length} coefficient commitments, expected t = ${t}`, r.index);
    if (!sameBytes(r.publicHash, commitments[r.index - 1].revealHash)) throw new CeremonyError('reveal does not match its round-1 commitment', r.index);
    const ctx = proofContext(id, keyOf(r.index), ROLE_COEFFICIENT, r.index, 0);
    if (!schnorrHolds(ctx, r.coefficients[0], r.coefficientBytes[0], r.proof)) throw new CeremonyError('the proof of the constant coefficient does not verify', r.index);
    const expected = Array.from({ length: n }, (_, k) => k + 1).filter((j) => j !== r.index);
    if (r.shares.length !== n - 1 || !expected.every((j, k) => r.shares[k].recipient === j))
      throw new CeremonyError('malformed reveal: shares must go to every other teller, by increasing index', r.index);
  }

  const checks = round('share checks', shareCheck, transcript.checks);
  for (const c of checks) signed('share check', c, keyOf(c.index));

  // Aₖ = Σᵢ Cᵢₖ, K = A₀, Xⱼ = Σₖ jᵏ·Aₖ (Horner).
  const sums = Array.from({ length: t }, (_, k) => reveals.reduce((acc, r) => acc.add(r.coefficients[k]), G.subtract(G)));
  const nonZero = (P) => {
    if (P.is0()) throw new CeremonyError('the joint key or a verification key is the identity');
    return toBase64(P.toBytes());
  };
  const jointKey = nonZero(sums[0]);
  const verificationKeys = [];
  for (let j = 1; j <= n; j++) {
    let X = sums[t - 1];
    for (let k = t - 2; k >= 0; k--) X = X.multiplyUnsafe(BigInt(j) % L).add(sums[k]);
    verificationKeys.push(nonZero(X));
  }
  return { jointKey, verificationKeys, signingKeys: announcements.map((a) => toBase64(a.signingKey)) };
}
