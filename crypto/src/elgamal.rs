//! Exponential ElGamal on Ristretto255 (`spec/protocol.md` §5.1).
//!
//! With generator `G`, secret key `x` and public key `K = x·G`, a message `m ∈ ℕ` is encrypted
//! with randomness `r ←$ ℤ_ℓ` as
//!
//! ```text
//!     Enc_K(m; r) = (α, β) = (r·G, m·G + r·K)
//! ```
//!
//! Ciphertexts add component-wise and the plaintexts add with them:
//! `Enc(m₁; r₁) + Enc(m₂; r₂) = Enc(m₁ + m₂; r₁ + r₂)`. Decryption yields `β − x·α = m·G`; the
//! small `m` of a tally is then found by [`crate::dlog`]. With a threshold key no one holds `x`:
//! each teller contributes `xᵢ·α` ([`crate::decryption`]).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};

use crate::canonical::{Canonical, Writer};
use crate::encoding::{Point, PublicKey};

/// An ElGamal ciphertext `(α, β) = (r·G, m·G + r·K)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ciphertext {
    /// `α = r·G`.
    pub a: Point,
    /// `β = m·G + r·K`.
    pub b: Point,
}

impl Canonical for Ciphertext {
    fn write_canonical(&self, w: &mut Writer) {
        w.point(&self.a).point(&self.b);
    }
}

impl Ciphertext {
    /// The sum of ciphertexts (the encryption of the sum of their messages), as points.
    pub fn sum<'a>(
        cts: impl IntoIterator<Item = &'a Ciphertext>,
    ) -> (RistrettoPoint, RistrettoPoint) {
        cts.into_iter().fold(
            (RistrettoPoint::default(), RistrettoPoint::default()),
            |(a, b), c| (a + c.a.point(), b + c.b.point()),
        )
    }

    /// The sum of ciphertexts as a ciphertext (compresses the two sums once).
    pub fn add_all<'a>(cts: impl IntoIterator<Item = &'a Ciphertext>) -> Ciphertext {
        let (a, b) = Self::sum(cts);
        Ciphertext {
            a: Point::from_point(a),
            b: Point::from_point(b),
        }
    }
}

/// The election public key with a precomputed table for fast fixed-base multiplication.
pub struct EncryptionKey {
    key: PublicKey,
    table: RistrettoBasepointTable,
}

impl EncryptionKey {
    /// Precomputes the table for `key` (about 30 KiB, built once per election).
    pub fn new(key: PublicKey) -> Self {
        EncryptionKey {
            table: RistrettoBasepointTable::create(key.point()),
            key,
        }
    }

    /// The public key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// `r·K`, by table.
    pub fn mul(&self, r: &Scalar) -> RistrettoPoint {
        &self.table * r
    }

    /// The precomputed table of `K`.
    pub fn table(&self) -> &RistrettoBasepointTable {
        &self.table
    }

    /// Encrypts many messages, encoding all the ciphertexts' points in one batch (one field
    /// inversion instead of two per ciphertext): computes `α/2 = (r/2)·G` and
    /// `β/2 = (m/2)·G + (r/2)·K`, then doubles and encodes them together.
    pub fn encrypt_many(&self, items: &[(u64, &Scalar)]) -> Vec<Ciphertext> {
        let half = crate::encoding::half();
        let mut halves = Vec::with_capacity(2 * items.len());
        for (m, r) in items {
            let rh = *r * half;
            halves.push(RISTRETTO_BASEPOINT_TABLE * &rh);
            halves.push(RISTRETTO_BASEPOINT_TABLE * &(Scalar::from(*m) * half) + &self.table * &rh);
        }
        Point::from_halves(&halves)
            .chunks_exact(2)
            .map(|p| Ciphertext { a: p[0], b: p[1] })
            .collect()
    }

    /// `Enc_K(m; r) = (r·G, m·G + r·K)`.
    pub fn encrypt(&self, m: u64, r: &Scalar) -> Ciphertext {
        let a = RISTRETTO_BASEPOINT_TABLE * r;
        let b = encode_message(m) + self.mul(r);
        Ciphertext {
            a: Point::from_point(a),
            b: Point::from_point(b),
        }
    }
}

/// `m·G`. Small messages (0 and 1, the votes) avoid the scalar multiplication.
pub fn encode_message(m: u64) -> RistrettoPoint {
    match m {
        0 => RistrettoPoint::default(),
        1 => curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        _ => RISTRETTO_BASEPOINT_TABLE * &Scalar::from(m),
    }
}

/// Decrypts with the whole secret key to `m·G = β − x·α`. Used only in tests and for keys that
/// are not shared; elections decrypt with threshold shares.
pub fn decrypt_to_point(secret: &Scalar, ct: &Ciphertext) -> RistrettoPoint {
    ct.b.point() - ct.a.point() * secret
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlog::DiscreteLog;
    use proptest::prelude::*;

    fn scalar(seed: u64) -> Scalar {
        Scalar::from(seed) * Scalar::from(0x9e37_79b9_7f4a_7c15u64) + Scalar::ONE
    }

    proptest! {
        #[test]
        fn encryption_is_additively_homomorphic(m1 in 0u64..1000, m2 in 0u64..1000, r1: u64, r2: u64, x: u64) {
            let x = scalar(x);
            let key = EncryptionKey::new(PublicKey::from_secret(&x));
            let c1 = key.encrypt(m1, &scalar(r1));
            let c2 = key.encrypt(m2, &scalar(r2));
            let sum = Ciphertext::add_all([&c1, &c2]);
            prop_assert_eq!(sum, key.encrypt(m1 + m2, &(scalar(r1) + scalar(r2))));
            let dlog = DiscreteLog::new(2000);
            prop_assert_eq!(dlog.solve(&decrypt_to_point(&x, &sum)), Some(m1 + m2));
            prop_assert_eq!(dlog.solve(&decrypt_to_point(&x, &c1)), Some(m1));
        }

        #[test]
        fn ciphertexts_roundtrip_through_json(m in 0u64..5, r: u64) {
            let key = EncryptionKey::new(PublicKey::from_secret(&scalar(7)));
            let c = key.encrypt(m, &scalar(r));
            let json = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(serde_json::from_str::<Ciphertext>(&json).unwrap(), c);
        }
    }

    #[test]
    fn batch_encryption_equals_single_encryption() {
        let key = EncryptionKey::new(PublicKey::from_secret(&scalar(9)));
        let rs: Vec<Scalar> = (0..7).map(scalar).collect();
        let ms = [0u64, 1, 1, 0, 5, 1, 0];
        let items: Vec<(u64, &Scalar)> = ms.iter().copied().zip(&rs).collect();
        let many = key.encrypt_many(&items);
        for ((m, r), ct) in items.iter().zip(&many) {
            assert_eq!(*ct, key.encrypt(*m, r));
            assert_eq!(ct.a.point().compress().to_bytes(), *ct.a.as_bytes());
            assert_eq!(ct.b.point().compress().to_bytes(), *ct.b.as_bytes());
        }
    }

    #[test]
    fn wrong_key_does_not_decrypt() {
        let key = EncryptionKey::new(PublicKey::from_secret(&scalar(1)));
        let c = key.encrypt(3, &scalar(2));
        let dlog = DiscreteLog::new(100);
        assert_eq!(dlog.solve(&decrypt_to_point(&scalar(1), &c)), Some(3));
        assert_eq!(dlog.solve(&decrypt_to_point(&scalar(5), &c)), None);
    }
}
