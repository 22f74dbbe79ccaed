//! Threshold decryption (`spec/protocol.md` §10).
//!
//! After the key ceremony ([`crate::dkg`]) teller `j` holds `xⱼ = F(j)` with public
//! `Xⱼ = xⱼ·G`, and the election key is `K = F(0)·G` for a polynomial `F` of degree `t − 1`.
//! For each ciphertext `(α, β)` teller `j` publishes
//!
//! ```text
//!     Dⱼ = xⱼ·α    with a DLEQ proof  log_G Xⱼ = log_α Dⱼ
//! ```
//!
//! (context `(fingerprint, teller signing key, "decryption-share", (ciphertext index, 0))`).
//! Any set `S` of at least `t` tellers then gives, with the Lagrange coefficients at zero
//!
//! ```text
//!     λⱼ = Π_{k ∈ S, k ≠ j} k / (k − j)          so that  Σ_{j∈S} λⱼ·F(j) = F(0),
//!     β − Σ_{j∈S} λⱼ·Dⱼ = m·G + r·K − F(0)·r·G = m·G,
//! ```
//!
//! one multiscalar multiplication per ciphertext ([`combine`]). `m` is then found by
//! [`crate::dlog`].
//!
//! A share also names the board head `(size, root)` of the log its teller verified before
//! decrypting, and the teller signs the whole share with its ed25519 signing key
//! (`spec/protocol.md` §10.1):
//!
//! ```text
//! signed bytes = str("piaojue-v1/decryption-share") ‖ F ‖ u32(j) ‖ u64(size) ‖ root
//!                ‖ list(partials)
//! ```
//!
//! so the board shows which board every teller saw, and the server cannot change it.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use ed25519_dalek::{Signer, SigningKey};
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::batch::BatchVerifier;
use crate::canonical::{Canonical, Writer};
use crate::credential::CredentialKey;
use crate::dkg::{SecretShare, TellerKey};
use crate::elgamal::Ciphertext;
use crate::encoding::{Bytes, Digest32, Point, PublicKey};
use crate::proofs::DleqProof;
use crate::proofs::dleq::DleqStatement;
use crate::transcript::ProofContext;

/// DLEQ role of a partial decryption.
pub const ROLE_DECRYPTION: &[u8] = b"decryption-share";

/// Domain tag of a decryption share's signed bytes.
pub const SHARE_TAG: &str = "piaojue-v1/decryption-share";

/// Why decryption shares were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptionError {
    /// Fewer shares than the threshold.
    #[error("need at least {needed} decryption shares, got {got}")]
    TooFewShares {
        /// The threshold `t`.
        needed: u32,
        /// Shares given.
        got: usize,
    },
    /// Two shares from the same teller.
    #[error("two decryption shares from teller {0}")]
    DuplicateTeller(u32),
    /// Teller index 0 (not a teller; 0 is where the secret lives).
    #[error("invalid teller index {0}")]
    InvalidTeller(u32),
    /// A share has a different number of partials than there are ciphertexts.
    #[error("teller {teller}: {got} partial decryptions for {expected} ciphertexts")]
    LengthMismatch {
        /// The teller.
        teller: u32,
        /// Number of ciphertexts.
        expected: usize,
        /// Number of partials.
        got: usize,
    },
    /// A DLEQ proof does not verify (in a batch: at least one of them).
    #[error("teller {teller}: invalid decryption share proof")]
    InvalidProof {
        /// The teller.
        teller: u32,
    },
    /// The teller's signature on the share (and the board head it names) does not verify.
    #[error("teller {teller}: the signature on the decryption share does not verify")]
    InvalidSignature {
        /// The teller.
        teller: u32,
    },
}

/// A board head as a decryption share names it: the size and Merkle root of the log that the
/// teller verified before decrypting (`spec/record.md` §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardHeadRef {
    /// Number of entries of the log.
    pub size: u64,
    /// Merkle root of those entries (`spec/record.md` §9.2).
    pub root: Digest32,
}

impl BoardHeadRef {
    /// The head named by shares of a record made without a board (a simulation, a benchmark):
    /// size 0, never a head of a log (V9.7 refuses it where the record has a log).
    pub const WITHOUT_BOARD: BoardHeadRef = BoardHeadRef {
        size: 0,
        root: Bytes([0; 32]),
    };
}

/// `Dⱼ = xⱼ·α` for one ciphertext, with its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialDecryption {
    /// `Dⱼ = xⱼ·α`.
    pub value: Point,
    /// DLEQ proof of `log_G Xⱼ = log_α Dⱼ`.
    pub proof: DleqProof,
}

impl Canonical for PartialDecryption {
    fn write_canonical(&self, w: &mut Writer) {
        w.point(&self.value).object(&self.proof);
    }
}

/// A teller's partial decryptions of a list of ciphertexts, in the list's order, with the
/// board head it verified, signed by the teller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecryptionShare {
    /// The teller's index `j`.
    pub teller: u32,
    /// The board head the teller verified before decrypting.
    pub board_head: BoardHeadRef,
    /// One partial decryption per ciphertext.
    pub partials: Vec<PartialDecryption>,
    /// ed25519 signature by the teller's signing key over [`DecryptionShare::signed_bytes`].
    pub signature: Bytes<64>,
}

impl DecryptionShare {
    /// `u32(j) ‖ u64(size) ‖ root ‖ list(partials)`: the share without its signature.
    fn write_body(&self, w: &mut Writer) {
        w.u32(self.teller)
            .u64(self.board_head.size)
            .bytes(&self.board_head.root)
            .list(&self.partials, |w, p| {
                w.object(p);
            });
    }

    /// The bytes the teller signs: `str(SHARE_TAG) ‖ F ‖ body`.
    pub fn signed_bytes(&self, fingerprint: [u8; 32]) -> Vec<u8> {
        let mut w = Writer::tagged(SHARE_TAG);
        w.fixed(&fingerprint);
        self.write_body(&mut w);
        w.into_bytes()
    }

    /// Checks the teller's signature (`spec/protocol.md` §7.4) under its signing key `party`
    /// (refused if `party` is not a valid key by §2.4).
    pub fn check_signature(&self, fingerprint: [u8; 32], party: [u8; 32]) -> bool {
        CredentialKey::decode(&party)
            .is_ok_and(|k| k.verify(&self.signed_bytes(fingerprint), &self.signature.0))
    }
}

impl Canonical for DecryptionShare {
    fn write_canonical(&self, w: &mut Writer) {
        self.write_body(w);
        w.bytes(&self.signature);
    }
}

/// The proof context of teller `party`'s partial decryption of ciphertext number `k`.
pub fn context(fingerprint: [u8; 32], party: [u8; 32], k: usize) -> ProofContext {
    ProofContext::new(fingerprint, party, ROLE_DECRYPTION).at(k as u64, 0)
}

impl DecryptionShare {
    /// Computes `Dⱼ = xⱼ·α` (constant-time variable-base multiplication) and its DLEQ proof for
    /// every ciphertext, names `board_head` and signs the share with `signing`, the teller's
    /// ed25519 signing key (whose public key is the proofs' party).
    pub fn compute<R: CryptoRng + ?Sized>(
        fingerprint: [u8; 32],
        signing: &SigningKey,
        key: &TellerKey,
        board_head: BoardHeadRef,
        ciphertexts: &[Ciphertext],
        rng: &mut R,
    ) -> Self {
        Self::compute_with(
            fingerprint,
            signing,
            (key.index, &key.share, key.verification_key()),
            board_head,
            ciphertexts,
            rng,
        )
    }

    /// [`DecryptionShare::compute`] from a share, its index and its verification key
    /// (`teller = (j, xⱼ, Xⱼ)`).
    pub fn compute_with<R: CryptoRng + ?Sized>(
        fingerprint: [u8; 32],
        signing: &SigningKey,
        (teller, share, verification_key): (u32, &SecretShare, &PublicKey),
        board_head: BoardHeadRef,
        ciphertexts: &[Ciphertext],
        rng: &mut R,
    ) -> Self {
        let teller_party = signing.verifying_key().to_bytes();
        let x = share.scalar();
        let partials = ciphertexts
            .iter()
            .enumerate()
            .map(|(k, ct)| {
                let value = Point::from_point(ct.a.point() * x);
                let st = DleqStatement {
                    h: &ct.a,
                    x: verification_key.as_point(),
                    y: &value,
                };
                let proof = DleqProof::prove(&context(fingerprint, teller_party, k), x, &st, rng);
                PartialDecryption { value, proof }
            })
            .collect();
        let mut d = DecryptionShare {
            teller,
            board_head,
            partials,
            signature: Bytes([0; 64]),
        };
        d.signature = Bytes(signing.sign(&d.signed_bytes(fingerprint)).to_bytes());
        d
    }

    /// Queues the DLEQ proof of every partial into `batch`: statement `(G, Xⱼ) ~ (α, Dⱼ)`,
    /// context `(fingerprint, party, "decryption-share", (k, 0))` for ciphertext `k`.
    pub fn queue(
        &self,
        fingerprint: [u8; 32],
        party: [u8; 32],
        verification_key: &PublicKey,
        ciphertexts: &[Ciphertext],
        batch: &mut BatchVerifier,
    ) -> Result<(), DecryptionError> {
        if self.partials.len() != ciphertexts.len() {
            return Err(DecryptionError::LengthMismatch {
                teller: self.teller,
                expected: ciphertexts.len(),
                got: self.partials.len(),
            });
        }
        batch.reserve(3 * ciphertexts.len() + 1);
        for (k, (p, ct)) in self.partials.iter().zip(ciphertexts).enumerate() {
            let st = DleqStatement {
                h: &ct.a,
                x: verification_key.as_point(),
                y: &p.value,
            };
            p.proof.queue(&context(fingerprint, party, k), &st, batch);
        }
        Ok(())
    }

    /// Checks the teller's signature ([`DecryptionShare::check_signature`]), then every partial
    /// decryption in one batch ([`DecryptionShare::queue`] then one multiscalar multiplication).
    pub fn verify(
        &self,
        fingerprint: [u8; 32],
        party: [u8; 32],
        verification_key: &PublicKey,
        ciphertexts: &[Ciphertext],
    ) -> Result<(), DecryptionError> {
        if !self.check_signature(fingerprint, party) {
            return Err(DecryptionError::InvalidSignature {
                teller: self.teller,
            });
        }
        let mut batch = BatchVerifier::new();
        self.queue(
            fingerprint,
            party,
            verification_key,
            ciphertexts,
            &mut batch,
        )?;
        batch
            .verify()
            .then_some(())
            .ok_or(DecryptionError::InvalidProof {
                teller: self.teller,
            })
    }
}

/// The Lagrange coefficient at zero of teller `i` in the set `set` (which contains `i`, all
/// indices distinct and non-zero): `λᵢ = Π_{k ∈ set, k ≠ i} k / (k − i)`.
pub fn lagrange_coefficient(i: u32, set: &[u32]) -> Scalar {
    let xi = Scalar::from(i);
    let (num, den) =
        set.iter()
            .filter(|&&k| k != i)
            .fold((Scalar::ONE, Scalar::ONE), |(n, d), &k| {
                let xk = Scalar::from(k);
                (n * xk, d * (xk - xi))
            });
    num * den.invert()
}

/// Combines verified decryption shares of at least `threshold` distinct tellers into `m·G` for
/// every ciphertext: `β − Σⱼ λⱼ·Dⱼ`, one multiscalar multiplication per ciphertext. The shares
/// must have been verified ([`DecryptionShare::verify`]); a bad share gives a wrong point.
pub fn combine(
    threshold: u32,
    shares: &[DecryptionShare],
    ciphertexts: &[Ciphertext],
) -> Result<Vec<RistrettoPoint>, DecryptionError> {
    if shares.len() < threshold as usize {
        return Err(DecryptionError::TooFewShares {
            needed: threshold,
            got: shares.len(),
        });
    }
    let mut set = Vec::with_capacity(shares.len());
    for s in shares {
        if s.teller == 0 {
            return Err(DecryptionError::InvalidTeller(0));
        }
        if set.contains(&s.teller) {
            return Err(DecryptionError::DuplicateTeller(s.teller));
        }
        if s.partials.len() != ciphertexts.len() {
            return Err(DecryptionError::LengthMismatch {
                teller: s.teller,
                expected: ciphertexts.len(),
                got: s.partials.len(),
            });
        }
        set.push(s.teller);
    }
    let neg_lambdas: Vec<Scalar> = set
        .iter()
        .map(|&j| -lagrange_coefficient(j, &set))
        .collect();
    Ok(combine_with(&neg_lambdas, shares, ciphertexts))
}

/// `β + Σⱼ cⱼ·Dⱼ` per ciphertext, for given coefficients `cⱼ = −λⱼ`.
fn combine_with(
    coefficients: &[Scalar],
    shares: &[DecryptionShare],
    ciphertexts: &[Ciphertext],
) -> Vec<RistrettoPoint> {
    ciphertexts
        .iter()
        .enumerate()
        .map(|(k, ct)| {
            let scalars = std::iter::once(Scalar::ONE).chain(coefficients.iter().copied());
            let points = std::iter::once(*ct.b.point())
                .chain(shares.iter().map(|s| *s.partials[k].value.point()));
            RistrettoPoint::vartime_multiscalar_mul(scalars, points)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dkg::tests::run_ceremony;
    use crate::dlog::DiscreteLog;
    use crate::elgamal::EncryptionKey;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;

    const FP: [u8; 32] = [7; 32];
    const HEAD: BoardHeadRef = BoardHeadRef {
        size: 9,
        root: Bytes([4; 32]),
    };

    fn encrypt_all(key: &PublicKey, values: &[u64]) -> Vec<Ciphertext> {
        let ek = EncryptionKey::new(*key);
        let mut rng = rand::rng();
        values
            .iter()
            .map(|&m| ek.encrypt(m, &Scalar::random(&mut rng)))
            .collect()
    }

    #[test]
    fn every_three_of_five_decrypt_the_tally_and_two_cannot() {
        let c = run_ceremony(5, 3);
        let keys: Vec<TellerKey> = c.keys.into_iter().map(Result::unwrap).collect();
        let joint = keys[0].output.joint_key;
        // Three contests, each with ballots; the tally is the homomorphic sum per contest.
        let ballots: [&[u64]; 4] = [&[1, 0, 1], &[1, 1, 0], &[0, 1, 1], &[1, 0, 0]];
        let encrypted: Vec<Vec<Ciphertext>> =
            ballots.iter().map(|b| encrypt_all(&joint, b)).collect();
        let tally: Vec<Ciphertext> = (0..3)
            .map(|k| Ciphertext::add_all(encrypted.iter().map(|b| &b[k])))
            .collect();
        let expected = [3u64, 2, 2];
        let mut rng = rand::rng();
        let shares: Vec<DecryptionShare> = keys
            .iter()
            .map(|k| {
                let party = c.signing[k.index as usize - 1];
                let sk = &c.signing_keys[k.index as usize - 1];
                let s = DecryptionShare::compute(FP, sk, k, HEAD, &tally, &mut rng);
                s.verify(FP, party, k.verification_key(), &tally).unwrap();
                s
            })
            .collect();
        let dlog = DiscreteLog::new(10);
        let mut subsets = 0;
        for a in 0..5 {
            for b in a + 1..5 {
                for d in b + 1..5 {
                    let subset = [shares[a].clone(), shares[b].clone(), shares[d].clone()];
                    let points = combine(3, &subset, &tally).unwrap();
                    let values: Vec<u64> = points.iter().map(|p| dlog.solve(p).unwrap()).collect();
                    assert_eq!(values, expected, "subset {a} {b} {d}");
                    subsets += 1;
                }
            }
        }
        assert_eq!(subsets, 10);
        // All five together also work (any superset of a threshold set).
        let all = combine(3, &shares, &tally).unwrap();
        assert_eq!(dlog.solve(&all[0]), Some(3));

        // Two shares: refused, and forcing the Lagrange coefficients for {1, 2} gives a wrong
        // point (a degree-2 polynomial is not determined by two points).
        assert_eq!(
            combine(3, &shares[..2], &tally),
            Err(DecryptionError::TooFewShares { needed: 3, got: 2 })
        );
        let set = [1, 2];
        let forced: Vec<Scalar> = set
            .iter()
            .map(|&j| -lagrange_coefficient(j, &set))
            .collect();
        let wrong = combine_with(&forced, &shares[..2], &tally);
        for (p, m) in wrong.iter().zip(expected) {
            assert_ne!(*p, G * Scalar::from(m));
        }
    }

    #[test]
    fn combine_refuses_duplicates_and_mismatched_lengths() {
        let c = run_ceremony(3, 2);
        let keys: Vec<TellerKey> = c.keys.into_iter().map(Result::unwrap).collect();
        let cts = encrypt_all(&keys[0].output.joint_key, &[1, 0]);
        let mut rng = rand::rng();
        let s1 = DecryptionShare::compute(FP, &c.signing_keys[0], &keys[0], HEAD, &cts, &mut rng);
        let s2 = DecryptionShare::compute(FP, &c.signing_keys[1], &keys[1], HEAD, &cts, &mut rng);
        assert_eq!(
            combine(2, &[s1.clone(), s1.clone()], &cts),
            Err(DecryptionError::DuplicateTeller(1))
        );
        assert!(matches!(
            combine(2, &[s1.clone(), s2.clone()], &cts[..1]),
            Err(DecryptionError::LengthMismatch { teller: 1, .. })
        ));
        assert!(matches!(
            s1.verify(FP, c.signing[0], keys[0].verification_key(), &cts[..1]),
            Err(DecryptionError::LengthMismatch { .. })
        ));
        let mut zero = s2.clone();
        zero.teller = 0;
        assert_eq!(
            combine(2, &[s1.clone(), zero], &cts),
            Err(DecryptionError::InvalidTeller(0))
        );
        let dlog = DiscreteLog::new(5);
        let pts = combine(2, &[s2, s1], &cts).unwrap();
        assert_eq!(dlog.solve(&pts[0]), Some(1));
        assert_eq!(dlog.solve(&pts[1]), Some(0));
    }

    #[test]
    fn lagrange_coefficients_interpolate_at_zero() {
        // F(z) = 5 + 3z + 2z²: any three points give F(0) = 5.
        let f = |z: u64| Scalar::from(5 + 3 * z + 2 * z * z);
        for set in [[1u32, 2, 3], [2, 4, 5], [1, 3, 32]] {
            let sum: Scalar = set
                .iter()
                .map(|&j| lagrange_coefficient(j, &set) * f(j.into()))
                .sum();
            assert_eq!(sum, Scalar::from(5u64));
        }
        // With only two points the constant term is not recovered.
        let set = [1u32, 2];
        let sum: Scalar = set
            .iter()
            .map(|&j| lagrange_coefficient(j, &set) * f(j.into()))
            .sum();
        assert_ne!(sum, Scalar::from(5u64));
    }

    #[test]
    fn tampered_or_misattributed_shares_fail() {
        let c = run_ceremony(3, 2);
        let keys: Vec<TellerKey> = c.keys.into_iter().map(Result::unwrap).collect();
        let cts = encrypt_all(&keys[0].output.joint_key, &[1, 0, 1]);
        let mut rng = rand::rng();
        let (k1, p1) = (&keys[0], c.signing[0]);
        let share = DecryptionShare::compute(FP, &c.signing_keys[0], k1, HEAD, &cts, &mut rng);
        share.verify(FP, p1, k1.verification_key(), &cts).unwrap();

        // The board head and the partials are signed: another head, or another teller's
        // signature, is refused before any proof is checked.
        let unsigned = DecryptionError::InvalidSignature { teller: 1 };
        let mut s = share.clone();
        s.board_head.size += 1;
        assert_eq!(
            s.verify(FP, p1, k1.verification_key(), &cts),
            Err(unsigned.clone())
        );
        let mut s = share.clone();
        s.board_head.root.0[0] ^= 1;
        assert!(!s.check_signature(FP, p1));
        let mut s = share.clone();
        s.signature = Bytes(c.signing_keys[1].sign(&s.signed_bytes(FP)).to_bytes());
        assert_eq!(s.verify(FP, p1, k1.verification_key(), &cts), Err(unsigned));
        assert!(s.check_signature(FP, c.signing[1]));

        // A tampered partial: the proofs refuse it (and, re-signed by its teller, `verify`).
        let bad = DecryptionError::InvalidProof { teller: 1 };
        let resigned = |mut s: DecryptionShare| {
            s.signature = Bytes(c.signing_keys[0].sign(&s.signed_bytes(FP)).to_bytes());
            s.verify(FP, p1, k1.verification_key(), &cts)
        };
        let mut s = share.clone();
        s.partials[1].value = Point::from_point(s.partials[1].value.point() + G);
        assert_eq!(resigned(s), Err(bad.clone()));
        let mut s = share.clone();
        s.partials[2].proof.response += Scalar::ONE;
        assert_eq!(resigned(s), Err(bad.clone()));
        // Partials swapped between ciphertexts: the position is bound.
        let mut s = share.clone();
        s.partials.swap(0, 2);
        assert_eq!(resigned(s), Err(bad.clone()));
        // Another teller's verification key: refused; another party or another election: the
        // signature (and the proofs) refuse it.
        assert_eq!(
            share.verify(FP, p1, keys[1].verification_key(), &cts),
            Err(bad.clone())
        );
        assert!(!share.check_signature(FP, c.signing[1]));
        assert!(!share.check_signature([8; 32], p1));
        let mut batch = BatchVerifier::new();
        share
            .queue([8; 32], p1, k1.verification_key(), &cts, &mut batch)
            .unwrap();
        assert!(!batch.verify());
        // A JSON round trip keeps it valid.
        let back: DecryptionShare =
            serde_json::from_str(&serde_json::to_string(&share).unwrap()).unwrap();
        back.verify(FP, p1, k1.verification_key(), &cts).unwrap();
        assert!(
            serde_json::from_str::<DecryptionShare>(
                &serde_json::to_string(&share)
                    .unwrap()
                    .replacen('{', "{\"extra\":1,", 1)
            )
            .is_err()
        );
    }

    #[test]
    fn one_batch_over_many_ciphertexts_and_tellers() {
        let c = run_ceremony(4, 3);
        let keys: Vec<TellerKey> = c.keys.into_iter().map(Result::unwrap).collect();
        let values: Vec<u64> = (0..40).map(|k| k % 2).collect();
        let cts = encrypt_all(&keys[0].output.joint_key, &values);
        let mut rng = rand::rng();
        let shares: Vec<DecryptionShare> = keys
            .iter()
            .map(|k| {
                let sk = &c.signing_keys[k.index as usize - 1];
                DecryptionShare::compute(FP, sk, k, HEAD, &cts, &mut rng)
            })
            .collect();
        let queue_all = |shares: &[DecryptionShare]| {
            let mut batch = BatchVerifier::new();
            for (s, k) in shares.iter().zip(&keys) {
                s.queue(
                    FP,
                    c.signing[k.index as usize - 1],
                    k.verification_key(),
                    &cts,
                    &mut batch,
                )
                .unwrap();
            }
            assert_eq!(batch.equations(), 2 * 40 * keys.len());
            batch.verify()
        };
        assert!(queue_all(&shares));
        // One bad partial among 160 makes the whole batch fail.
        let mut bad = shares.clone();
        bad[3].partials[39].value = Point::from_point(bad[3].partials[39].value.point() + G);
        assert!(!queue_all(&bad));
        let points = combine(3, &shares[1..], &cts).unwrap();
        let dlog = DiscreteLog::new(1);
        let got: Vec<u64> = points.iter().map(|p| dlog.solve(p).unwrap()).collect();
        assert_eq!(got, values);
    }
}
