//! Disjunctive Chaum-Pedersen proof that a sum of ciphertexts encrypts a value in `[lo, hi]`
//! (`spec/protocol.md` §5.5).
//!
//! Statement: election key `K`, ciphertexts `(α₁, β₁) … (α_k, β_k)` with sum `(α, β)`, bounds
//! `lo ≤ hi`. Witness: `m ∈ [lo, hi]` and `r` with `(α, β) = (r·G, m·G + r·K)`. For a single
//! option (`k = 1`, `[0, 1]`) this proves a 0/1 vote; for a contest (`k` options, `[min, max]`)
//! it proves the number of selections is allowed.
//!
//! It is the OR, over the `n = hi − lo + 1` branches `v ∈ [lo, hi]`, of the DLEQ statements
//! `log_G α = log_K (β − v·G)`, in the manner of Cramer, Damgård and Schoenmakers. With `k̂` the
//! index of the true branch (`m = lo + k̂`):
//!
//! ```text
//! Prover:   w ←$ ℤ_ℓ;  for j ≠ k̂: cⱼ, sⱼ ←$ ℤ_ℓ;   c_k̂ := 0, s_k̂ := w   (for now)
//!           for every j:  Aⱼ = sⱼ·G − cⱼ·α,   Bⱼ = sⱼ·K − cⱼ·(β − (lo+j)·G)
//!           c = H(ctx, K, lo, hi, (α₁, β₁) … (α_k, β_k), (A₀, B₀) … (A_{n−1}, B_{n−1}))
//!           c_k̂ = c − Σ_{j≠k̂} cⱼ,   s_k̂ = w + c_k̂·r
//! Proof:    (Aⱼ, Bⱼ)ⱼ, c₀ … c_{n−2}, s₀ … s_{n−1}
//! Verifier: c_{n−1} = c − Σ_{j<n−1} cⱼ, and for every j:
//!           sⱼ·G = Aⱼ + cⱼ·α   and   sⱼ·K = Bⱼ + cⱼ·(β − (lo+j)·G)
//! ```
//!
//! Every branch is computed with the same constant-time operations, so the time taken does not
//! reveal which branch is true. The last challenge is not sent: it is implied by the others.
//!
//! Transcript: `begin_proof("range", ctx)`, `"K"`, `"lo"`, `"hi"`, `"count"` (= k), then for each
//! ciphertext `"alpha"`, `"beta"`, then for each branch `"A"`, `"B"`, challenge `"challenge"`.

use chacha20::ChaCha20Rng;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, SeedableRng};
use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

use crate::batch::BatchVerifier;
use crate::canonical::{Canonical, Writer};
use crate::elgamal::Ciphertext;
use crate::encoding::{Point, PublicKey, scalar_vec_base64};
use crate::proofs::ProofError;
use crate::transcript::{ProofContext, TranscriptProtocol, new_transcript};

const LABEL: &[u8] = b"range";

/// The largest number of branches a range proof may have (`hi − lo + 1`).
pub const MAX_BRANCHES: u64 = 1024;

/// The public statement of a range proof.
#[derive(Debug, Clone, Copy)]
pub struct RangeStatement<'a> {
    /// The election key `K`.
    pub key: &'a PublicKey,
    /// The ciphertexts whose sum is proved to be in range.
    pub ciphertexts: &'a [Ciphertext],
    /// Smallest allowed value.
    pub lo: u64,
    /// Largest allowed value.
    pub hi: u64,
}

impl RangeStatement<'_> {
    fn branches(&self) -> Result<usize, ProofError> {
        if self.lo > self.hi || self.hi - self.lo >= MAX_BRANCHES || self.ciphertexts.is_empty() {
            return Err(ProofError::Malformed {
                proof: "range",
                reason: format!(
                    "bad statement: range [{}, {}] over {} ciphertexts",
                    self.lo,
                    self.hi,
                    self.ciphertexts.len()
                ),
            });
        }
        Ok((self.hi - self.lo + 1) as usize)
    }

    fn transcript(&self, ctx: &ProofContext) -> merlin::Transcript {
        let mut t = new_transcript();
        t.begin_proof(LABEL, ctx);
        t.append_point(b"K", self.key.as_point());
        t.append_int(b"lo", self.lo);
        t.append_int(b"hi", self.hi);
        t.append_int(b"count", self.ciphertexts.len() as u64);
        for ct in self.ciphertexts {
            t.append_point(b"alpha", &ct.a);
            t.append_point(b"beta", &ct.b);
        }
        t
    }
}

/// A proof that the sum of some ciphertexts encrypts a value in `[lo, hi]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeProof {
    /// `(Aⱼ, Bⱼ)` for each branch `j = 0 … n−1` (value `lo + j`).
    pub commitments: Vec<[Point; 2]>,
    /// `c₀ … c_{n−2}`; `c_{n−1}` is implied.
    #[serde(with = "scalar_vec_base64")]
    pub challenges: Vec<Scalar>,
    /// `s₀ … s_{n−1}`.
    #[serde(with = "scalar_vec_base64")]
    pub responses: Vec<Scalar>,
}

impl Canonical for RangeProof {
    fn write_canonical(&self, w: &mut Writer) {
        w.list(&self.commitments, |w, [a, b]| {
            w.point(a).point(b);
        });
        w.list(&self.challenges, |w, c| {
            w.scalar(c);
        });
        w.list(&self.responses, |w, s| {
            w.scalar(s);
        });
    }
}

/// The secret witness of a range proof: the value and the summed randomness.
pub struct RangeWitness<'a> {
    /// The encrypted value `m`.
    pub value: u64,
    /// The randomness `r` of the sum.
    pub randomness: &'a Scalar,
}

/// Sets branch `real` to `(c, s)` and leaves the others, touching every branch the same way.
fn select_branch(
    challenges: &mut [Scalar],
    responses: &mut [Scalar],
    real: usize,
    c: &Scalar,
    s: &Scalar,
) {
    for (j, (cj, sj)) in challenges.iter_mut().zip(responses.iter_mut()).enumerate() {
        let here = (j as u64).ct_eq(&(real as u64));
        *cj = Scalar::conditional_select(cj, c, here);
        *sj = Scalar::conditional_select(sj, s, here);
    }
}

/// The first move of a range proof: every commitment computed, as halves `Aⱼ/2`, `Bⱼ/2`, not yet
/// encoded. [`RangeProof::prove`] is `commit`, [`Point::from_halves`], `finish`; building a
/// ballot commits all its proofs first and encodes every commitment in one batch.
pub struct RangeCommitment<'a> {
    transcript: merlin::Transcript,
    real: usize,
    w: Zeroizing<Scalar>,
    randomness: &'a Scalar,
    challenges: Vec<Scalar>,
    responses: Vec<Scalar>,
    halves: Vec<RistrettoPoint>,
}

impl Drop for RangeCommitment<'_> {
    fn drop(&mut self) {
        self.real.zeroize();
    }
}

/// `values[index] = v`, writing every element.
fn ct_set<T: ConditionallySelectable>(values: &mut [T], index: u64, v: &T) {
    for (j, slot) in values.iter_mut().enumerate() {
        slot.conditional_assign(v, (j as u64).ct_eq(&index));
    }
}

impl RangeProof {
    /// Proves that `Σ st.ciphertexts` encrypts `witness.value ∈ [lo, hi]`.
    ///
    /// Returns an error if the value is out of range (no proof exists).
    pub fn prove<R: CryptoRng + ?Sized>(
        ctx: &ProofContext,
        st: &RangeStatement,
        witness: &RangeWitness,
        rng: &mut R,
    ) -> Result<Self, ProofError> {
        let c = Self::commit(ctx, st, witness, None, rng)?;
        let encoded = Point::from_halves(c.halves());
        Ok(c.finish(&encoded))
    }

    /// The first move: draws the nonce and the simulated branches' challenges and responses,
    /// and computes every commitment (as halves). `key_table`, the election key's precomputed
    /// table, makes the true branch's `w·K` faster.
    ///
    /// Every branch costs three fixed-base multiplications and runs the same operations; which
    /// branch is true only changes values, and every write touches every branch.
    pub fn commit<'a, R: CryptoRng + ?Sized>(
        ctx: &ProofContext,
        st: &RangeStatement,
        witness: &RangeWitness<'a>,
        key_table: Option<&RistrettoBasepointTable>,
        rng: &mut R,
    ) -> Result<RangeCommitment<'a>, ProofError> {
        let n = st.branches()?;
        if witness.value < st.lo || witness.value > st.hi {
            return Err(ProofError::Malformed {
                proof: "range",
                reason: format!("value outside [{}, {}]", st.lo, st.hi),
            });
        }
        let real = (witness.value - st.lo) as usize;
        let transcript = st.transcript(ctx);

        // Nonce, simulated challenges and responses, from one hedged seed.
        let mut wit = Zeroizing::new([0u8; 40]);
        wit[..32].copy_from_slice(witness.randomness.as_bytes());
        wit[32..].copy_from_slice(&witness.value.to_be_bytes());
        let mut seed = transcript.witness_scalar(b"seed", &wit[..], rng).to_bytes();
        let mut prng = ChaCha20Rng::from_seed(seed);
        seed.zeroize();
        let w = Zeroizing::new(Scalar::random(&mut prng));
        let mut challenges: Vec<Scalar> = (0..n).map(|_| Scalar::random(&mut prng)).collect();
        let mut responses: Vec<Scalar> = (0..n).map(|_| Scalar::random(&mut prng)).collect();
        // The true branch's challenge is 0 until the end, so that the sum below skips it.
        // The true branch gets c = 0 and s = w until the end: its commitments are then w·G and
        // w·K, and the sum of challenges below skips it.
        ct_set(&mut challenges, real as u64, &Scalar::ZERO);
        ct_set(&mut responses, real as u64, &w);

        // The prover knows r and m, so Aⱼ = sⱼ·G − cⱼ·α and Bⱼ = sⱼ·K − cⱼ·(β − (lo+j)·G) are
        //     Aⱼ = tⱼ·G,   Bⱼ = tⱼ·K + uⱼ·G,   tⱼ = sⱼ − cⱼ·r,   uⱼ = −cⱼ·(m − lo − j):
        // fixed-base multiplications only, and the same operations for every branch (the true
        // one has cⱼ = 0). Computed as halves, for the batch encoding.
        let half = crate::encoding::half();
        let k = *st.key.point();
        let m = Scalar::from(witness.value);
        let mut halves = Vec::with_capacity(2 * n);
        for j in 0..n {
            let t = Zeroizing::new((responses[j] - challenges[j] * witness.randomness) * half);
            let u = Zeroizing::new(-(challenges[j] * (m - Scalar::from(st.lo + j as u64))) * half);
            halves.push(RISTRETTO_BASEPOINT_TABLE * &*t);
            let tk = match key_table {
                Some(table) => table * &*t,
                None => k * *t,
            };
            halves.push(tk + RISTRETTO_BASEPOINT_TABLE * &*u);
        }
        Ok(RangeCommitment {
            transcript,
            real,
            w,
            randomness: witness.randomness,
            challenges,
            responses,
            halves,
        })
    }
}

impl RangeCommitment<'_> {
    /// The commitments' halves `A₀/2, B₀/2, A₁/2, …`, to encode with [`Point::from_halves`].
    pub fn halves(&self) -> &[RistrettoPoint] {
        &self.halves
    }

    /// The second move: takes the encoded commitments (in the order of
    /// [`RangeCommitment::halves`]), draws the challenge and completes the true branch.
    ///
    /// # Panics
    /// If `encoded` does not have one point per half.
    pub fn finish(mut self, encoded: &[Point]) -> RangeProof {
        assert_eq!(
            encoded.len(),
            self.halves.len(),
            "one encoded point per commitment"
        );
        let mut t = self.transcript.clone();
        let commitments: Vec<[Point; 2]> = encoded.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
        for [a, b] in &commitments {
            t.append_point(b"A", a);
            t.append_point(b"B", b);
        }
        let c = t.challenge_scalar(b"challenge");
        let others: Scalar = self.challenges.iter().sum();
        let c_real = c - others;
        let s_real = Zeroizing::new(*self.w + c_real * self.randomness);
        let mut challenges = std::mem::take(&mut self.challenges);
        let mut responses = std::mem::take(&mut self.responses);
        select_branch(&mut challenges, &mut responses, self.real, &c_real, &s_real);
        challenges.pop();
        RangeProof {
            commitments,
            challenges,
            responses,
        }
    }
}

/// What a range proof's equations ask of its statement's points, once its commitments and `G`
/// are queued ([`RangeProof::queue_commitments`]): the coefficient of the key `K` and those of
/// `α` and `β` of the summed ciphertexts (every ciphertext of the sum gets the same two).
#[derive(Debug, Clone, Copy)]
pub struct StatementCoefficients {
    /// Of `K`.
    pub key: Scalar,
    /// Of each `αᵢ`.
    pub alpha: Scalar,
    /// Of each `βᵢ`.
    pub beta: Scalar,
}

impl RangeProof {
    /// Queues the `2n` equations, each negated and weighted by its own 128-bit `z`:
    ///
    /// ```text
    ///     z₁ⱼ·(Aⱼ + cⱼ·α − sⱼ·G) = O,    z₂ⱼ·(Bⱼ + cⱼ·(β − (lo+j)·G) − sⱼ·K) = O
    /// ```
    ///
    /// so that each commitment, a point of this proof alone, gets the short weight itself.
    /// The coefficients of `K`, `α` and `β` are returned rather than queued, for the caller to
    /// merge with any other use of those points (a ballot's ciphertext is in its option's proof
    /// and in its contest's sum); the sum `(α, β)` is never computed.
    pub fn queue_commitments(
        &self,
        ctx: &ProofContext,
        st: &RangeStatement,
        batch: &mut BatchVerifier,
    ) -> Result<StatementCoefficients, ProofError> {
        let n = st.branches()?;
        if self.commitments.len() != n
            || self.challenges.len() + 1 != n
            || self.responses.len() != n
        {
            return Err(ProofError::Malformed {
                proof: "range",
                reason: format!(
                    "expected {n} branches, got {} commitments, {} challenges, {} responses",
                    self.commitments.len(),
                    self.challenges.len(),
                    self.responses.len()
                ),
            });
        }
        let mut t = st.transcript(ctx);
        for [a, b] in &self.commitments {
            t.append_point(b"A", a);
            t.append_point(b"B", b);
        }
        let c = t.challenge_scalar(b"challenge");
        let last = c - self.challenges.iter().sum::<Scalar>();

        let mut g = Scalar::ZERO;
        let mut out = StatementCoefficients {
            key: Scalar::ZERO,
            alpha: Scalar::ZERO,
            beta: Scalar::ZERO,
        };
        for j in 0..n {
            let cj = if j + 1 == n { last } else { self.challenges[j] };
            let sj = self.responses[j];
            let z1 = batch.weight();
            let z2 = batch.weight();
            let zc2 = z2 * cj;
            g -= z1 * sj + zc2 * Scalar::from(st.lo + j as u64);
            out.key -= z2 * sj;
            out.alpha += z1 * cj;
            out.beta += zc2;
            batch.add_unmerged(z1, *self.commitments[j][0].point());
            batch.add_unmerged(z2, *self.commitments[j][1].point());
        }
        batch.add_g(g);
        Ok(out)
    }

    /// Queues the proof's `2n` equations ([`RangeProof::queue_commitments`]) with its
    /// statement's points.
    pub fn queue(
        &self,
        ctx: &ProofContext,
        st: &RangeStatement,
        batch: &mut BatchVerifier,
    ) -> Result<(), ProofError> {
        let k = self.queue_commitments(ctx, st, batch)?;
        batch.add(k.key, st.key.as_point());
        for ct in st.ciphertexts {
            batch.add(k.alpha, &ct.a);
            batch.add(k.beta, &ct.b);
        }
        Ok(())
    }

    /// Verifies the proof alone.
    pub fn verify(&self, ctx: &ProofContext, st: &RangeStatement) -> Result<(), ProofError> {
        let mut batch = BatchVerifier::new();
        self.queue(ctx, st, &mut batch)?;
        batch
            .verify()
            .then_some(())
            .ok_or(ProofError::Invalid("range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::EncryptionKey;
    use proptest::prelude::*;

    fn ctx() -> ProofContext {
        ProofContext::new([5; 32], [6; 32], b"selection").at(1, 2)
    }

    fn key() -> EncryptionKey {
        EncryptionKey::new(PublicKey::from_secret(&Scalar::from(31337u64)))
    }

    fn prove_one(key: &EncryptionKey, m: u64, lo: u64, hi: u64) -> (Ciphertext, RangeProof) {
        let r = Scalar::from(1000 + m);
        let ct = key.encrypt(m, &r);
        let st = RangeStatement {
            key: key.key(),
            ciphertexts: &[ct],
            lo,
            hi,
        };
        let w = RangeWitness {
            value: m,
            randomness: &r,
        };
        (
            ct,
            RangeProof::prove(&ctx(), &st, &w, &mut rand::rng()).unwrap(),
        )
    }

    #[test]
    fn zero_one_completeness_and_tampering() {
        let key = key();
        for m in [0, 1] {
            let (ct, proof) = prove_one(&key, m, 0, 1);
            let st = RangeStatement {
                key: key.key(),
                ciphertexts: &[ct],
                lo: 0,
                hi: 1,
            };
            proof.verify(&ctx(), &st).unwrap();
            // Changed ciphertext (re-randomised or another message).
            let other = key.encrypt(m, &Scalar::from(77u64));
            assert!(
                proof
                    .verify(
                        &ctx(),
                        &RangeStatement {
                            ciphertexts: &[other],
                            ..st
                        }
                    )
                    .is_err()
            );
            let flipped = key.encrypt(1 - m, &Scalar::from(1000 + m));
            assert!(
                proof
                    .verify(
                        &ctx(),
                        &RangeStatement {
                            ciphertexts: &[flipped],
                            ..st
                        }
                    )
                    .is_err()
            );
            // Changed challenge, response, commitment.
            let mut p = proof.clone();
            p.challenges[0] += Scalar::ONE;
            assert!(p.verify(&ctx(), &st).is_err());
            let mut p = proof.clone();
            p.responses[1] += Scalar::ONE;
            assert!(p.verify(&ctx(), &st).is_err());
            let mut p = proof.clone();
            p.commitments.swap(0, 1);
            assert!(p.verify(&ctx(), &st).is_err());
            // Another credential, election or position.
            let mut c = ctx();
            c.party[3] ^= 4;
            assert!(proof.verify(&c, &st).is_err());
            let mut c = ctx();
            c.election[3] ^= 4;
            assert!(proof.verify(&c, &st).is_err());
            assert!(proof.verify(&ctx().at(1, 3), &st).is_err());
            // Another range.
            assert!(
                proof
                    .verify(&ctx(), &RangeStatement { hi: 2, ..st })
                    .is_err()
            );
            // Wrong shape.
            let mut p = proof.clone();
            p.responses.pop();
            assert!(matches!(
                p.verify(&ctx(), &st),
                Err(ProofError::Malformed { .. })
            ));
        }
    }

    #[test]
    fn out_of_range_value_cannot_be_proved() {
        let key = key();
        let r = Scalar::from(5u64);
        let ct = key.encrypt(2, &r);
        let st = RangeStatement {
            key: key.key(),
            ciphertexts: &[ct],
            lo: 0,
            hi: 1,
        };
        assert!(
            RangeProof::prove(
                &ctx(),
                &st,
                &RangeWitness {
                    value: 2,
                    randomness: &r
                },
                &mut rand::rng()
            )
            .is_err()
        );
        // Lying about the value gives a proof that does not verify.
        let p = RangeProof::prove(
            &ctx(),
            &st,
            &RangeWitness {
                value: 1,
                randomness: &r,
            },
            &mut rand::rng(),
        )
        .unwrap();
        assert!(p.verify(&ctx(), &st).is_err());
    }

    #[test]
    fn contest_sum_in_range() {
        let key = key();
        let votes = [1u64, 0, 1, 1, 0];
        let rs: Vec<Scalar> = (0..5u64).map(|i| Scalar::from(50 + i)).collect();
        let cts: Vec<Ciphertext> = votes
            .iter()
            .zip(&rs)
            .map(|(m, r)| key.encrypt(*m, r))
            .collect();
        let r: Scalar = rs.iter().sum();
        let st = RangeStatement {
            key: key.key(),
            ciphertexts: &cts,
            lo: 0,
            hi: 3,
        };
        let ctx = ctx().at(1, u64::MAX);
        let p = RangeProof::prove(
            &ctx,
            &st,
            &RangeWitness {
                value: 3,
                randomness: &r,
            },
            &mut rand::rng(),
        )
        .unwrap();
        p.verify(&ctx, &st).unwrap();
        assert_eq!(p.commitments.len(), 4);
        // Dropping a ciphertext changes the statement.
        assert!(
            p.verify(
                &ctx,
                &RangeStatement {
                    ciphertexts: &cts[..4],
                    ..st
                }
            )
            .is_err()
        );
        // Three selections do not fit [0, 2].
        let st2 = RangeStatement { hi: 2, ..st };
        assert!(
            RangeProof::prove(
                &ctx,
                &st2,
                &RangeWitness {
                    value: 3,
                    randomness: &r
                },
                &mut rand::rng()
            )
            .is_err()
        );
    }

    #[test]
    fn json_roundtrip_and_bad_scalars() {
        let key = key();
        let (ct, proof) = prove_one(&key, 1, 0, 1);
        let json = serde_json::to_string(&proof).unwrap();
        let back: RangeProof = serde_json::from_str(&json).unwrap();
        back.verify(
            &ctx(),
            &RangeStatement {
                key: key.key(),
                ciphertexts: &[ct],
                lo: 0,
                hi: 1,
            },
        )
        .unwrap();
        // A non-canonical scalar (s + ℓ) is refused at decoding.
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["responses"][0] = serde_json::Value::String("ff".repeat(32));
        assert!(serde_json::from_value::<RangeProof>(v.clone()).is_err());
        v["responses"][0] = serde_json::Value::String(hex::encode(proof.responses[0].as_bytes()));
        v["extra"] = serde_json::Value::Bool(true);
        assert!(serde_json::from_value::<RangeProof>(v).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_value_in_any_range(lo in 0u64..5, width in 0u64..6, pick: u64, r: [u8; 32]) {
            let hi = lo + width;
            let m = lo + pick % (width + 1);
            let key = key();
            let r = Scalar::from_bytes_mod_order(r);
            let ct = key.encrypt(m, &r);
            let st = RangeStatement { key: key.key(), ciphertexts: &[ct], lo, hi };
            let p = RangeProof::prove(&ctx(), &st, &RangeWitness { value: m, randomness: &r }, &mut rand::rng()).unwrap();
            prop_assert!(p.verify(&ctx(), &st).is_ok());
            if hi > lo {
                let narrower = if m == lo { RangeStatement { lo: lo + 1, ..st } } else { RangeStatement { hi: m - 1, ..st } };
                prop_assert!(p.verify(&ctx(), &narrower).is_err());
            }
        }
    }
}
