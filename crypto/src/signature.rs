//! ed25519 signature verification (`spec/protocol.md` §7.4–§7.5): one rule, checked alone or in
//! a batch, with the same verdict either way.
//!
//! A signature `R ‖ S` (64 bytes) on message `M` under a key `A` (already accepted by §7.2:
//! canonical, not of small order) is **valid** iff
//!
//! 1. `S`, read as a little-endian integer, is `< ℓ`;
//! 2. the 32 bytes of `R` are the canonical encoding of a point of edwards25519 (`y < p`;
//!    RFC 8032 §5.1.3) that is not of small order (`[8]R ≠ O`);
//! 3. with `k = SHA-512(R ‖ A ‖ M) mod ℓ` over the bytes as given,
//!
//! ```text
//!     [8]·(S·B − k·A − R) = O                      (the cofactored equation)
//! ```
//!
//! This is RFC 8032's cofactored verification with canonical encodings required. Honest
//! signatures (every RFC 8032 signer's) are valid under it. Unlike the cofactorless equation
//! `S·B − k·A = R`, it does not depend on the torsion components of `R` and `A`, so checking many
//! signatures at once by a random linear combination,
//!
//! ```text
//!     [8]·( (Σᵢ zᵢ·Sᵢ)·B − Σᵢ zᵢ·Rᵢ − Σᵢ (zᵢ·kᵢ)·Aᵢ ) = O     (zᵢ independent 128-bit weights)
//! ```
//!
//! accepts exactly the batches whose every signature is valid, except with probability at most
//! 2⁻¹²⁸: after the multiplication by 8 every term lies in the prime-order subgroup, where the
//! usual argument for random linear combinations holds. (With the cofactorless equation a
//! signer could put torsion into `R` so that a batch accepts with probability 1/8 a signature
//! that checking alone refuses: two verifiers would disagree. See ZIP 215 and Chalkias,
//! Garillot, Nikolaenko, "Taming the many EdDSAs", 2020.)
//!
//! Checking alone costs one double-base multiplication; in a batch a signature costs one point
//! decompression (`R`; `A` is decoded once, with the credential list) and two multiscalar
//! terms, about a third of that.

use chacha20::ChaCha20Rng;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha512};

/// Whether 32 bytes are a canonical encoding of a field element as RFC 8032 writes `y`: with
/// the sign bit cleared, the little-endian integer is `< p = 2²⁵⁵ − 19`. (The only points whose
/// `x` is 0, where a set sign bit would be a second encoding, are `O` and the point of order 2;
/// both are of small order and refused anyway.)
pub(crate) fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    // y ≥ p iff the top byte (sign bit cleared) is 0x7f, bytes 1…30 are 0xff and byte 0 ≥ 0xed.
    !(bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|&b| b == 0xff) && bytes[0] >= 0xed)
}

/// A signature whose encodings passed conditions 1 and 2, with `k` computed: ready to be
/// checked alone ([`PreparedSignature::verify`]) or in a [`SignatureBatch`].
#[derive(Clone, Copy, Debug)]
pub struct PreparedSignature {
    a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

impl PreparedSignature {
    /// Decodes `R` and `S` (conditions 1–2) and computes `k = SHA-512(R ‖ A ‖ M) mod ℓ`, the
    /// message given in parts (`M = parts[0] ‖ parts[1] ‖ …`) so that no one has to
    /// concatenate them. `a` is the decoded key `A`, `a_bytes` its 32 bytes. `None` if an
    /// encoding is refused.
    pub fn new(
        a: &EdwardsPoint,
        a_bytes: &[u8; 32],
        message: &[&[u8]],
        signature: &[u8; 64],
    ) -> Option<Self> {
        let r_bytes: &[u8; 32] = signature[..32].try_into().expect("32 bytes");
        let s_bytes: [u8; 32] = signature[32..].try_into().expect("32 bytes");
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
        if !is_canonical_y(r_bytes) {
            return None;
        }
        let r = CompressedEdwardsY(*r_bytes).decompress()?;
        if r.is_small_order() {
            return None;
        }
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(a_bytes);
        for part in message {
            h.update(part);
        }
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        Some(PreparedSignature { a: *a, r, s, k })
    }

    /// Condition 3 alone: `[8]·(S·B − k·A − R) = O`.
    pub fn verify(&self) -> bool {
        let sb_minus_ka =
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&-self.k, &self.a, &self.s);
        (sb_minus_ka - self.r).mul_by_cofactor().is_identity()
    }
}

/// Many signatures checked with one multiscalar multiplication (§7.5).
pub struct SignatureBatch {
    rng: ChaCha20Rng,
    b: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<EdwardsPoint>,
}

impl SignatureBatch {
    /// An empty batch, weights from the operating system's randomness.
    pub fn new() -> Self {
        let mut seed = [0u8; 32];
        crate::batch::getrandom_seed(&mut seed);
        SignatureBatch {
            rng: ChaCha20Rng::from_seed(seed),
            b: Scalar::ZERO,
            scalars: Vec::new(),
            points: Vec::new(),
        }
    }

    /// An empty batch with room for `n` signatures.
    pub fn with_capacity(n: usize) -> Self {
        let mut b = Self::new();
        b.scalars.reserve(2 * n);
        b.points.reserve(2 * n);
        b
    }

    /// Adds `zᵢ·(Rᵢ + kᵢ·Aᵢ − Sᵢ·B)` with a fresh 128-bit weight `zᵢ` (the equation negated,
    /// so that `Rᵢ`, the point decoded for this signature alone, gets the short weight itself:
    /// a shorter scalar costs less in the multiscalar multiplication).
    pub fn queue(&mut self, sig: &PreparedSignature) {
        let mut w = [0u8; 32];
        self.rng.fill_bytes(&mut w[..16]);
        let z = Scalar::from_bytes_mod_order(w);
        self.b -= z * sig.s;
        self.scalars.push(z);
        self.points.push(sig.r);
        self.scalars.push(z * sig.k);
        self.points.push(sig.a);
    }

    /// Number of signatures queued.
    pub fn len(&self) -> usize {
        self.points.len() / 2
    }

    /// Whether no signature is queued.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// `true` iff every queued signature is valid (up to probability 2⁻¹²⁸).
    pub fn verify(self) -> bool {
        if self.points.is_empty() {
            return true;
        }
        let scalars = std::iter::once(self.b).chain(self.scalars);
        let points = std::iter::once(ED25519_BASEPOINT_POINT).chain(self.points);
        EdwardsPoint::vartime_multiscalar_mul(scalars, points)
            .mul_by_cofactor()
            .is_identity()
    }
}

impl Default for SignatureBatch {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> (SigningKey, EdwardsPoint, [u8; 32]) {
        let sk = SigningKey::from_bytes(&[seed; 32]);
        let vk = sk.verifying_key();
        (sk, vk.to_edwards(), vk.to_bytes())
    }

    fn prepared(
        a: &EdwardsPoint,
        ab: &[u8; 32],
        m: &[u8],
        sig: &[u8; 64],
    ) -> Option<PreparedSignature> {
        PreparedSignature::new(a, ab, &[m], sig)
    }

    /// A signature by `a` (the clamped secret scalar of `sk`) with nonce point `R = r·B + T`.
    fn sign_with_r(sk: &SigningKey, m: &[u8], r: Scalar, t: EdwardsPoint) -> [u8; 64] {
        let a = sk.to_scalar();
        let rp = ED25519_BASEPOINT_POINT * r + t;
        let rb = rp.compress().to_bytes();
        let mut h = Sha512::new();
        h.update(rb);
        h.update(sk.verifying_key().to_bytes());
        h.update(m);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let s = r + k * a;
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&rb);
        out[32..].copy_from_slice(s.as_bytes());
        out
    }

    #[test]
    fn honest_signatures_verify_alone_and_in_a_batch() {
        let mut batch = SignatureBatch::new();
        for i in 0..20u8 {
            let (sk, a, ab) = key(i);
            let m = [i; 100];
            let sig = sk.sign(&m).to_bytes();
            let p = prepared(&a, &ab, &m, &sig).unwrap();
            assert!(p.verify());
            // The message in parts is the same message.
            let q = PreparedSignature::new(&a, &ab, &[&m[..40], &m[40..]], &sig).unwrap();
            assert!(q.verify());
            batch.queue(&p);
        }
        assert_eq!(batch.len(), 20);
        assert!(batch.verify());
        assert!(SignatureBatch::new().verify());
    }

    #[test]
    fn tampered_signatures_fail_alone_and_in_a_batch() {
        let (sk, a, ab) = key(1);
        let m = b"piaojue";
        let sig = sk.sign(m).to_bytes();
        // Another message, another key.
        assert!(!prepared(&a, &ab, b"piaojuE", &sig).unwrap().verify());
        let (_, a2, ab2) = key(2);
        assert!(!prepared(&a2, &ab2, m, &sig).unwrap().verify());
        // S changed; S + ℓ (same equation, non-canonical) refused at decoding.
        let mut s_changed = sig;
        s_changed[40] ^= 1;
        assert!(!prepared(&a, &ab, m, &s_changed).unwrap().verify());
        let s = Scalar::from_canonical_bytes(sig[32..].try_into().unwrap()).unwrap();
        let l_plus_s = {
            // ℓ + S as 32 little-endian bytes (fits: S < ℓ < 2²⁵³).
            let l: [u8; 32] = [
                0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
                0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
            ];
            let mut out = [0u8; 32];
            let mut carry = 0u16;
            for (o, (x, y)) in out.iter_mut().zip(l.iter().zip(s.as_bytes())) {
                let v = u16::from(*x) + u16::from(*y) + carry;
                *o = v as u8;
                carry = v >> 8;
            }
            out
        };
        let mut big = sig;
        big[32..].copy_from_slice(&l_plus_s);
        assert!(prepared(&a, &ab, m, &big).is_none());
        // A bad signature in a batch of good ones fails the batch.
        let mut batch = SignatureBatch::new();
        for i in 10..20u8 {
            let (ski, ai, abi) = key(i);
            batch.queue(&prepared(&ai, &abi, m, &ski.sign(m).to_bytes()).unwrap());
        }
        batch.queue(&prepared(&a, &ab, m, &s_changed).unwrap());
        assert!(!batch.verify());
    }

    #[test]
    fn small_order_and_non_canonical_r_are_refused() {
        let (sk, a, ab) = key(3);
        let m = b"m";
        // §7.5's forgery: R = O, S = k·a satisfies S·B − k·A = R; refused by condition 2.
        let mut forged = [0u8; 64];
        forged[0] = 1;
        let mut h = Sha512::new();
        h.update(&forged[..32]);
        h.update(ab);
        h.update(m);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        forged[32..].copy_from_slice((k * sk.to_scalar()).as_bytes());
        assert!(prepared(&a, &ab, m, &forged).is_none());
        // Every small-order R.
        for t in EIGHT_TORSION {
            let mut sig = sk.sign(m).to_bytes();
            sig[..32].copy_from_slice(&t.compress().to_bytes());
            assert!(prepared(&a, &ab, m, &sig).is_none());
        }
        // y ≥ p: the bytes of y = p + 1 (≡ 1) are not canonical.
        let mut sig = sk.sign(m).to_bytes();
        sig[0] = 0xee;
        sig[1..31].fill(0xff);
        sig[31] = 0x7f;
        assert!(prepared(&a, &ab, m, &sig).is_none());
        assert!(is_canonical_y(&[0xec; 32]));
        let mut p_minus_1 = [0xff; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        assert!(is_canonical_y(&p_minus_1));
        p_minus_1[0] = 0xed;
        assert!(!is_canonical_y(&p_minus_1));
    }

    #[test]
    fn torsion_in_r_is_judged_the_same_alone_and_in_batches() {
        // R = r·B + T with T of order 8: the cofactored rule accepts it (the signer chose to),
        // alone and in every batch; so there is nothing for a batch to disagree about.
        let (sk, a, ab) = key(4);
        let m = b"mixed";
        let t = EIGHT_TORSION[1];
        let sig = sign_with_r(&sk, m, Scalar::from(12345u64), t);
        let p = prepared(&a, &ab, m, &sig).unwrap();
        assert!(p.verify());
        for _ in 0..16 {
            let mut batch = SignatureBatch::new();
            batch.queue(&p);
            let (sk2, a2, ab2) = key(5);
            batch.queue(&prepared(&a2, &ab2, m, &sk2.sign(m).to_bytes()).unwrap());
            assert!(batch.verify());
        }
        // ed25519-dalek's strict (cofactorless) check refuses it: §7.4 is not `verify_strict`.
        let strict = sk
            .verifying_key()
            .verify_strict(m, &ed25519_dalek::Signature::from_bytes(&sig));
        assert!(strict.is_err());
        // A wrong S with torsion in R fails alone and in every batch.
        let mut bad = sig;
        bad[33] ^= 4;
        let q = prepared(&a, &ab, m, &bad).unwrap();
        assert!(!q.verify());
        for _ in 0..16 {
            let mut batch = SignatureBatch::new();
            batch.queue(&q);
            assert!(!batch.verify());
        }
    }
}
