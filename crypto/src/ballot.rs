//! Ballots: building one from a plain selection on the voter's device, verifying one into a
//! [`VerifiedBallot`], batch verification of many, and the cast-or-audit opening
//! (`spec/protocol.md` §8, `spec/verification.md` V5–V6).
//!
//! A ballot for an election with contests `c = 0 … C−1`, contest `c` having options
//! `o = 0 … Nc−1` and range `[min_c, max_c]`, holds:
//!
//! * for every option, `Enc_K(v_co; r_co)` with `v_co ∈ {0, 1}` and a [`RangeProof`] for
//!   `[0, 1]` in context `(fingerprint, credential, "selection", (c, o))`;
//! * for every contest, a [`RangeProof`] that `Σ_o Enc(v_co)` encrypts a value in
//!   `[min_c, max_c]`, in context `(fingerprint, credential, "contest-sum", (c, 0))`;
//! * the election fingerprint, the credential's public key and an ed25519 signature by the
//!   credential over the ballot's canonical bytes (`"piaojue-v1/ballot"` ‖ body).
//!
//! The tracking code is `SHA-256("piaojue-v1/tracking-code" ‖ body ‖ signature)`; its short
//! form, for people, is [`crate::tracking::ShortTrackingCode`].

use core::fmt;

use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use sha2::{Digest, Sha256};

use crate::batch::BatchVerifier;
use crate::canonical::{Canonical, Writer};
use crate::credential::{Credential, CredentialKey, CredentialList};
use crate::elgamal::{Ciphertext, EncryptionKey};
use crate::encoding::{Bytes, Digest32, Point, PublicKey, scalar_base64};
use crate::manifest::{Manifest, ManifestError};
use crate::proofs::range::{RangeStatement, RangeWitness};
use crate::proofs::{ProofError, RangeProof};
use crate::signature::{PreparedSignature, SignatureBatch};
use crate::transcript::ProofContext;

/// Role label of the per-option 0/1 proofs.
pub const ROLE_SELECTION: &[u8] = b"selection";
/// Role label of the per-contest sum proofs.
pub const ROLE_CONTEST_SUM: &[u8] = b"contest-sum";
/// Domain tag of the signed ballot body.
pub const TAG_BALLOT: &str = "piaojue-v1/ballot";
/// Domain tag of the tracking code.
pub const TAG_TRACKING_CODE: &str = "piaojue-v1/tracking-code";
/// Domain tag of the hash of a ballot's ciphertexts ([`Ballot::ciphertexts_hash`]).
pub const TAG_CIPHERTEXTS: &str = "piaojue-v1/ballot-ciphertexts";

/// What a voter's device and a verifier need to know about an election to build and check
/// ballots.
pub struct ElectionContext {
    /// The manifest.
    pub manifest: Manifest,
    /// The election fingerprint ([`crate::fingerprint::election_fingerprint`]).
    pub fingerprint: Digest32,
    /// The joint election key, with its precomputed table.
    pub key: EncryptionKey,
}

impl ElectionContext {
    /// The context of an election.
    ///
    /// Refuses a manifest that [`Manifest::validate`] refuses: every later step may rely on a
    /// valid one.
    pub fn new(
        manifest: Manifest,
        fingerprint: Digest32,
        joint_key: PublicKey,
    ) -> Result<Self, ManifestError> {
        manifest.validate()?;
        Ok(ElectionContext {
            manifest,
            fingerprint,
            key: EncryptionKey::new(joint_key),
        })
    }

    fn proof_context(
        &self,
        credential: &CredentialKey,
        role: &'static [u8],
        c: usize,
        o: usize,
    ) -> ProofContext {
        ProofContext::new(self.fingerprint.0, *credential.as_bytes(), role).at(c as u64, o as u64)
    }
}

/// A plain selection: for every contest, for every option, 0 or 1. It never leaves the
/// voter's device.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection(pub Vec<Vec<u8>>);

impl fmt::Debug for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Selection(hidden)")
    }
}

impl Drop for Selection {
    fn drop(&mut self) {
        for c in &mut self.0 {
            c.zeroize();
        }
    }
}

/// Why a selection cannot be made into a ballot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    /// Wrong number of contests.
    #[error("the election has {expected} contests, the selection has {got}")]
    ContestCount {
        /// In the manifest.
        expected: usize,
        /// In the selection.
        got: usize,
    },
    /// Wrong number of options in a contest.
    #[error("contest {contest} has {expected} options, the selection has {got}")]
    OptionCount {
        /// Contest index.
        contest: usize,
        /// In the manifest.
        expected: usize,
        /// In the selection.
        got: usize,
    },
    /// A value other than 0 or 1.
    #[error("contest {contest}, option {option}: a selection is 0 or 1")]
    NotBinary {
        /// Contest index.
        contest: usize,
        /// Option index.
        option: usize,
    },
    /// Too few or too many options selected.
    #[error("contest {contest}: {chosen} selected, but between {min} and {max} must be")]
    Count {
        /// Contest index.
        contest: usize,
        /// Number selected.
        chosen: u64,
        /// Fewest allowed.
        min: u32,
        /// Most allowed.
        max: u32,
    },
}

impl Selection {
    /// The selection that chooses, in each contest, the options with the given indices.
    pub fn from_chosen(manifest: &Manifest, chosen: &[Vec<usize>]) -> Result<Self, SelectionError> {
        if chosen.len() != manifest.contests.len() {
            return Err(SelectionError::ContestCount {
                expected: manifest.contests.len(),
                got: chosen.len(),
            });
        }
        let mut rows = Vec::with_capacity(chosen.len());
        for (ci, (c, picks)) in manifest.contests.iter().zip(chosen).enumerate() {
            let mut row = vec![0u8; c.options.len()];
            for &p in picks {
                if p >= row.len() {
                    return Err(SelectionError::OptionCount {
                        contest: ci,
                        expected: row.len(),
                        got: p + 1,
                    });
                }
                row[p] = 1;
            }
            rows.push(row);
        }
        let s = Selection(rows);
        s.validate(manifest)?;
        Ok(s)
    }

    /// Checks the selection against the manifest: shape, 0/1 values, counts in range.
    pub fn validate(&self, manifest: &Manifest) -> Result<(), SelectionError> {
        if self.0.len() != manifest.contests.len() {
            return Err(SelectionError::ContestCount {
                expected: manifest.contests.len(),
                got: self.0.len(),
            });
        }
        for (ci, (c, row)) in manifest.contests.iter().zip(&self.0).enumerate() {
            if row.len() != c.options.len() {
                return Err(SelectionError::OptionCount {
                    contest: ci,
                    expected: c.options.len(),
                    got: row.len(),
                });
            }
            if let Some(o) = row.iter().position(|&v| v > 1) {
                return Err(SelectionError::NotBinary {
                    contest: ci,
                    option: o,
                });
            }
            let chosen: u64 = row.iter().map(|&v| u64::from(v)).sum();
            if chosen < u64::from(c.min) || chosen > u64::from(c.max) {
                return Err(SelectionError::Count {
                    contest: ci,
                    chosen,
                    min: c.min,
                    max: c.max,
                });
            }
        }
        Ok(())
    }
}

/// The encryption of one option with its 0/1 proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedSelection {
    /// `Enc_K(v; r)`.
    pub ciphertext: Ciphertext,
    /// Proof that `v ∈ [0, 1]`.
    pub proof: RangeProof,
}

/// One contest of a ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedContest {
    /// One per option, in manifest order.
    pub selections: Vec<EncryptedSelection>,
    /// Proof that the sum of the selections is in `[min, max]`.
    pub proof: RangeProof,
}

/// An encrypted, signed ballot as posted on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    /// The election fingerprint.
    pub election: Digest32,
    /// The credential that signed it.
    pub credential: CredentialKey,
    /// One per contest, in manifest order.
    pub contests: Vec<EncryptedContest>,
    /// ed25519 signature by the credential over [`Ballot::signed_bytes`].
    pub signature: Bytes<64>,
}

impl Ballot {
    fn write_body(&self, w: &mut Writer) {
        w.bytes(&self.election).fixed(self.credential.as_bytes());
        w.list(&self.contests, |w, c| {
            w.list(&c.selections, |w, s| {
                w.object(&s.ciphertext).object(&s.proof);
            });
            w.object(&c.proof);
        });
    }

    /// The bytes the credential signs: `str("piaojue-v1/ballot") ‖ body`.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::tagged(TAG_BALLOT);
        self.write_body(&mut w);
        w.into_bytes()
    }

    /// The tracking code: `SHA-256(str("piaojue-v1/tracking-code") ‖ body ‖ signature)`.
    pub fn tracking_code(&self) -> Digest32 {
        let mut w = Writer::tagged(TAG_TRACKING_CODE);
        self.write_body(&mut w);
        w.bytes(&self.signature);
        w.sha256()
    }

    /// The hash of the ballot's ciphertexts alone, `SHA-256(str("piaojue-v1/ballot-ciphertexts")
    /// ‖ list(list(ciphertext)))` (`spec/verification.md` V6.3): the same for every ballot with
    /// these ciphertexts, whatever its proofs and signature (its tracking code). An audited
    /// ballot's ciphertexts have a public opening, so no cast ballot may have its hash: the
    /// verifier checks it (V6.3) and the board refuses such a ballot, in either order.
    pub fn ciphertexts_hash(&self) -> Digest32 {
        let mut w = Writer::tagged(TAG_CIPHERTEXTS);
        w.list(&self.contests, |w, c| {
            w.list(&c.selections, |w, s| {
                w.object(&s.ciphertext);
            });
        });
        w.sha256()
    }

    /// The signature, decoded and ready to check (alone or in a batch), and the tracking code:
    /// both from one writing of the body, which is most of a ballot's bytes. `None` for the
    /// signature if its encodings are refused (§7.4).
    fn signature_and_code(&self) -> (Option<PreparedSignature>, Digest32) {
        let mut w = Writer::default();
        self.write_body(&mut w);
        let body = w.into_bytes();
        let tag = Writer::tagged(TAG_BALLOT).into_bytes();
        let sig = self.credential.prepare(&[&tag, &body], &self.signature.0);
        let mut h = Sha256::new();
        h.update(Writer::tagged(TAG_TRACKING_CODE).as_bytes());
        h.update(&body);
        h.update(self.signature.0);
        (sig, Bytes(h.finalize().into()))
    }

    /// Builds a ballot for `selection`, signed by `credential`, on the voter's device.
    ///
    /// Returns the ballot and the secrets needed to open it for an audit.
    pub fn build<R: CryptoRng + ?Sized>(
        ctx: &ElectionContext,
        credential: &Credential,
        selection: &Selection,
        rng: &mut R,
    ) -> Result<(Ballot, BallotSecrets), SelectionError> {
        selection.validate(&ctx.manifest)?;
        let cred = credential.public();
        let table = Some(ctx.key.table());

        // 1. Encrypt every option; all ciphertexts are encoded in one batch.
        let rs: Vec<Vec<Scalar>> = selection
            .0
            .iter()
            .map(|row| row.iter().map(|_| Scalar::random(rng)).collect())
            .collect();
        let items: Vec<(u64, &Scalar)> = selection
            .0
            .iter()
            .zip(&rs)
            .flat_map(|(row, r)| row.iter().map(|&v| u64::from(v)).zip(r))
            .collect();
        let mut flat = ctx.key.encrypt_many(&items).into_iter();
        let cts: Vec<Vec<Ciphertext>> = selection
            .0
            .iter()
            .map(|row| flat.by_ref().take(row.len()).collect())
            .collect();
        let mut sums: Vec<Scalar> = rs.iter().map(|r| r.iter().sum()).collect();

        // 2. Commit every proof: per option a [0, 1] proof, per contest a [min, max] proof.
        let mut commitments = Vec::new();
        for (ci, (contest, row)) in ctx.manifest.contests.iter().zip(&selection.0).enumerate() {
            for (oi, &v) in row.iter().enumerate() {
                let st = RangeStatement {
                    key: ctx.key.key(),
                    ciphertexts: core::slice::from_ref(&cts[ci][oi]),
                    lo: 0,
                    hi: 1,
                };
                let witness = RangeWitness {
                    value: u64::from(v),
                    randomness: &rs[ci][oi],
                };
                let pctx = ctx.proof_context(&cred, ROLE_SELECTION, ci, oi);
                commitments.push(
                    RangeProof::commit(&pctx, &st, &witness, table, rng)
                        .expect("a validated selection is 0 or 1"),
                );
            }
            let st = RangeStatement {
                key: ctx.key.key(),
                ciphertexts: &cts[ci],
                lo: u64::from(contest.min),
                hi: u64::from(contest.max),
            };
            let witness = RangeWitness {
                value: row.iter().map(|&v| u64::from(v)).sum(),
                randomness: &sums[ci],
            };
            let pctx = ctx.proof_context(&cred, ROLE_CONTEST_SUM, ci, 0);
            commitments.push(
                RangeProof::commit(&pctx, &st, &witness, table, rng)
                    .expect("a validated selection count is in range"),
            );
        }

        // 3. Encode every commitment in one batch, then finish every proof.
        let halves: Vec<_> = commitments
            .iter()
            .flat_map(|c| c.halves().iter().copied())
            .collect();
        let encoded = Point::from_halves(&halves);
        let mut at = 0;
        let mut proofs = commitments.into_iter().map(|c| {
            let n = c.halves().len();
            at += n;
            c.finish(&encoded[at - n..at])
        });
        let mut contests = Vec::with_capacity(selection.0.len());
        let mut secrets = Vec::with_capacity(selection.0.len());
        for ((row, cts), rs) in selection.0.iter().zip(&cts).zip(&rs) {
            let selections = cts
                .iter()
                .map(|ct| EncryptedSelection {
                    ciphertext: *ct,
                    proof: proofs.next().expect("one proof per option"),
                })
                .collect();
            let proof = proofs.next().expect("one proof per contest");
            contests.push(EncryptedContest { selections, proof });
            secrets.push(
                row.iter()
                    .zip(rs)
                    .map(|(&value, &randomness)| OpenedSelection { value, randomness })
                    .collect(),
            );
        }
        drop(proofs);
        for s in &mut sums {
            s.zeroize();
        }
        let mut rs = rs;
        for r in rs.iter_mut().flatten() {
            r.zeroize();
        }
        let mut ballot = Ballot {
            election: ctx.fingerprint,
            credential: cred,
            contests,
            signature: Bytes([0; 64]),
        };
        ballot.signature = Bytes(credential.sign(&ballot.signed_bytes()).to_bytes());
        Ok((ballot, BallotSecrets(BallotOpening { contests: secrets })))
    }

    /// Checks everything about the ballot that needs no proof arithmetic
    /// (`spec/verification.md` V5.1–V5.3): election, credential on the list, shape.
    pub fn check_structure(
        &self,
        ctx: &ElectionContext,
        credentials: &CredentialList,
    ) -> Result<(), BallotError> {
        if self.election != ctx.fingerprint {
            return Err(BallotError::WrongElection);
        }
        if !credentials.contains(&self.credential) {
            return Err(BallotError::UnknownCredential);
        }
        let m = &ctx.manifest;
        if self.contests.len() != m.contests.len() {
            return Err(BallotError::Shape(format!(
                "{} contests, the election has {}",
                self.contests.len(),
                m.contests.len()
            )));
        }
        for (ci, (c, mc)) in self.contests.iter().zip(&m.contests).enumerate() {
            if c.selections.len() != mc.options.len() {
                return Err(BallotError::Shape(format!(
                    "contest {ci} has {} selections, the election has {} options",
                    c.selections.len(),
                    mc.options.len()
                )));
            }
            let sum_branches = (mc.max as usize + 1).saturating_sub(mc.min as usize);
            let shape_ok = |p: &RangeProof, n: usize| {
                p.commitments.len() == n && p.challenges.len() + 1 == n && p.responses.len() == n
            };
            if !shape_ok(&c.proof, sum_branches)
                || !c.selections.iter().all(|s| shape_ok(&s.proof, 2))
            {
                return Err(BallotError::Shape(format!(
                    "contest {ci}: proofs have the wrong number of branches"
                )));
            }
        }
        Ok(())
    }

    /// Checks the credential's signature (`spec/verification.md` V5.4; protocol §7.4).
    pub fn check_signature(&self) -> Result<(), BallotError> {
        self.credential
            .verify(&self.signed_bytes(), &self.signature.0)
            .then_some(())
            .ok_or(BallotError::Signature)
    }

    /// Queues every proof of the ballot into a batch (`spec/verification.md` V5.5–V5.6).
    /// The structure must have been checked.
    ///
    /// Each ciphertext is in two proofs (its option's and its contest's sum): its coefficients
    /// from both are added up here and it is queued once; the election key's coefficients of
    /// every proof are queued as one term.
    pub fn queue_proofs(
        &self,
        ctx: &ElectionContext,
        batch: &mut BatchVerifier,
    ) -> Result<(), BallotError> {
        let mut key = Scalar::ZERO;
        for (ci, (c, mc)) in self.contests.iter().zip(&ctx.manifest.contests).enumerate() {
            let mut coefficients = Vec::with_capacity(c.selections.len());
            for (oi, s) in c.selections.iter().enumerate() {
                let st = RangeStatement {
                    key: ctx.key.key(),
                    ciphertexts: core::slice::from_ref(&s.ciphertext),
                    lo: 0,
                    hi: 1,
                };
                let k = s
                    .proof
                    .queue_commitments(
                        &ctx.proof_context(&self.credential, ROLE_SELECTION, ci, oi),
                        &st,
                        batch,
                    )
                    .map_err(|e| BallotError::Proof {
                        contest: ci,
                        option: Some(oi),
                        error: e,
                    })?;
                key += k.key;
                coefficients.push((k.alpha, k.beta));
            }
            let cts: Vec<Ciphertext> = c.selections.iter().map(|s| s.ciphertext).collect();
            let st = RangeStatement {
                key: ctx.key.key(),
                ciphertexts: &cts,
                lo: u64::from(mc.min),
                hi: u64::from(mc.max),
            };
            let sum = c
                .proof
                .queue_commitments(
                    &ctx.proof_context(&self.credential, ROLE_CONTEST_SUM, ci, 0),
                    &st,
                    batch,
                )
                .map_err(|e| BallotError::Proof {
                    contest: ci,
                    option: None,
                    error: e,
                })?;
            key += sum.key;
            for (s, (alpha, beta)) in c.selections.iter().zip(coefficients) {
                batch.add_unmerged(alpha + sum.alpha, *s.ciphertext.a.point());
                batch.add_unmerged(beta + sum.beta, *s.ciphertext.b.point());
            }
        }
        batch.add(key, ctx.key.key().as_point());
        Ok(())
    }

    /// Finds the first proof of the ballot that fails on its own (for error reports).
    fn first_bad_proof(&self, ctx: &ElectionContext) -> BallotError {
        for (ci, (c, mc)) in self.contests.iter().zip(&ctx.manifest.contests).enumerate() {
            for (oi, s) in c.selections.iter().enumerate() {
                let st = RangeStatement {
                    key: ctx.key.key(),
                    ciphertexts: core::slice::from_ref(&s.ciphertext),
                    lo: 0,
                    hi: 1,
                };
                if let Err(e) = s.proof.verify(
                    &ctx.proof_context(&self.credential, ROLE_SELECTION, ci, oi),
                    &st,
                ) {
                    return BallotError::Proof {
                        contest: ci,
                        option: Some(oi),
                        error: e,
                    };
                }
            }
            let cts: Vec<Ciphertext> = c.selections.iter().map(|s| s.ciphertext).collect();
            let st = RangeStatement {
                key: ctx.key.key(),
                ciphertexts: &cts,
                lo: u64::from(mc.min),
                hi: u64::from(mc.max),
            };
            if let Err(e) = c.proof.verify(
                &ctx.proof_context(&self.credential, ROLE_CONTEST_SUM, ci, 0),
                &st,
            ) {
                return BallotError::Proof {
                    contest: ci,
                    option: None,
                    error: e,
                };
            }
        }
        // The batch failed but no single proof does: only possible with probability 2^-128.
        BallotError::Proof {
            contest: 0,
            option: None,
            error: ProofError::Invalid("batch"),
        }
    }

    /// Verifies the ballot completely (`spec/verification.md` V5.1–V5.6); the only way, with
    /// [`verify_ballots`], to get a [`VerifiedBallot`].
    pub fn verify(
        self,
        ctx: &ElectionContext,
        credentials: &CredentialList,
    ) -> Result<VerifiedBallot, BallotError> {
        self.check_structure(ctx, credentials)?;
        let (sig, tracking_code) = self.signature_and_code();
        if !sig.is_some_and(|s| s.verify()) {
            return Err(BallotError::Signature);
        }
        let mut batch = BatchVerifier::new();
        self.queue_proofs(ctx, &mut batch)?;
        if !batch.verify() {
            return Err(self.first_bad_proof(ctx));
        }
        Ok(VerifiedBallot {
            ballot: self,
            tracking_code,
        })
    }
}

impl Canonical for Ballot {
    fn write_canonical(&self, w: &mut Writer) {
        self.write_body(w);
        w.bytes(&self.signature);
    }
}

/// Why a ballot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    /// The ballot is for another election.
    #[error("the ballot is for another election")]
    WrongElection,
    /// The credential is not on the election's credential list.
    #[error("the ballot's credential is not on the credential list")]
    UnknownCredential,
    /// The ballot does not have the shape of the manifest.
    #[error("malformed ballot: {0}")]
    Shape(String),
    /// The signature does not verify.
    #[error("the credential's signature on the ballot does not verify")]
    Signature,
    /// A proof does not verify.
    #[error("contest {contest}{}: {error}", option.map(|o| format!(", option {o}")).unwrap_or_else(|| ", selection count".into()))]
    Proof {
        /// Contest index.
        contest: usize,
        /// Option index, or `None` for the contest's sum proof.
        option: Option<usize>,
        /// The proof error.
        error: ProofError,
    },
    /// An audit opening does not match the ballot.
    #[error("the opening does not match the ballot: {0}")]
    Opening(OpeningError),
}

/// Why an audited ballot's opening does not match the ballot (`spec/verification.md` V6.2, A2):
/// where, by contest and option index, so that a report in any language can name them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    /// Not one opening per contest.
    #[error("wrong number of contests")]
    ContestCount,
    /// Not one opening per option of a contest.
    #[error("contest {contest}: wrong number of options")]
    OptionCount {
        /// Contest index.
        contest: usize,
    },
    /// A revealed value other than 0 or 1.
    #[error("contest {contest}, option {option}: the revealed value {value} is not 0 or 1")]
    NotBinary {
        /// Contest index.
        contest: usize,
        /// Option index.
        option: usize,
        /// The value revealed.
        value: u8,
    },
    /// The revealed value and randomness do not re-encrypt to the ballot's ciphertext.
    #[error(
        "contest {contest}, option {option}: the ciphertext does not encrypt the revealed value"
    )]
    Ciphertext {
        /// Contest index.
        contest: usize,
        /// Option index.
        option: usize,
    },
    /// The revealed selection is not a valid one of the manifest.
    #[error(transparent)]
    Selection(#[from] SelectionError),
}

/// A ballot whose every check passed. Only [`Ballot::verify`] and [`verify_ballots`] make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBallot {
    ballot: Ballot,
    tracking_code: Digest32,
}

impl VerifiedBallot {
    /// The ballot.
    pub fn ballot(&self) -> &Ballot {
        &self.ballot
    }
    /// Its tracking code.
    pub fn tracking_code(&self) -> &Digest32 {
        &self.tracking_code
    }
    /// The ballot, giving up the proof of verification.
    pub fn into_inner(self) -> Ballot {
        self.ballot
    }
}

/// The result of verifying many ballots at once.
#[derive(Debug)]
pub struct BatchOutcome {
    /// The ballots that passed, with their positions in the input.
    pub verified: Vec<(usize, VerifiedBallot)>,
    /// The ballots that failed, with their positions and reasons.
    pub rejected: Vec<(usize, BallotError, Digest32)>,
}

/// Verifies many ballots together: structure one by one; all signatures in one batch
/// (protocol §7.5); all proofs in one random linear combination. When a batch fails, the
/// signatures are checked one by one and the proofs' batch is split in halves until the bad
/// ballots are found, so the verdict for each ballot is the same as verifying it alone
/// (`spec/verification.md` V5).
pub fn verify_ballots(
    ctx: &ElectionContext,
    credentials: &CredentialList,
    ballots: Vec<Ballot>,
) -> BatchOutcome {
    let mut rejected = Vec::new();
    let mut candidates = Vec::with_capacity(ballots.len());
    for (i, b) in ballots.into_iter().enumerate() {
        match b.check_structure(ctx, credentials) {
            Ok(()) => candidates.push((i, b)),
            Err(e) => {
                let code = b.tracking_code();
                rejected.push((i, e, code));
            }
        }
    }
    let good_sig = check_signatures(candidates, &mut rejected);
    let mut verified = Vec::with_capacity(good_sig.len());
    bisect(ctx, good_sig, &mut verified, &mut rejected);
    verified.sort_by_key(|(i, _)| *i);
    rejected.sort_by_key(|(i, _, _)| *i);
    BatchOutcome { verified, rejected }
}

/// Ballots with their positions in the input and their tracking codes.
type Indexed = Vec<(usize, Ballot, Digest32)>;
/// Refused ballots: position in the input, why, tracking code.
type Rejections = Vec<(usize, BallotError, Digest32)>;

/// Every signature in one [`SignatureBatch`]; if the batch fails, each alone (the same rule,
/// so the same verdicts). Returns the ballots whose signature holds.
fn check_signatures(ballots: Vec<(usize, Ballot)>, rejected: &mut Rejections) -> Indexed {
    let mut prepared = Vec::with_capacity(ballots.len());
    let mut batch = SignatureBatch::with_capacity(ballots.len());
    for (i, b) in ballots {
        match b.signature_and_code() {
            (Some(sig), code) => {
                batch.queue(&sig);
                prepared.push((i, b, code, sig));
            }
            (None, code) => rejected.push((i, BallotError::Signature, code)),
        }
    }
    let all_good = batch.verify();
    let mut good = Vec::with_capacity(prepared.len());
    for (i, b, code, sig) in prepared {
        if all_good || sig.verify() {
            good.push((i, b, code));
        } else {
            rejected.push((i, BallotError::Signature, code));
        }
    }
    good
}

fn bisect(
    ctx: &ElectionContext,
    mut ballots: Indexed,
    verified: &mut Vec<(usize, VerifiedBallot)>,
    rejected: &mut Rejections,
) {
    if ballots.is_empty() {
        return;
    }
    if ballots.len() == 1 {
        let (i, b, tracking_code) = ballots.pop().expect("one ballot");
        let mut batch = BatchVerifier::new();
        match b.queue_proofs(ctx, &mut batch) {
            Ok(()) if batch.verify() => verified.push((
                i,
                VerifiedBallot {
                    ballot: b,
                    tracking_code,
                },
            )),
            Ok(()) => rejected.push((i, b.first_bad_proof(ctx), tracking_code)),
            Err(e) => rejected.push((i, e, tracking_code)),
        }
        return;
    }
    let mut batch = BatchVerifier::new();
    let mut ok = true;
    for (_, b, _) in &ballots {
        if b.queue_proofs(ctx, &mut batch).is_err() {
            ok = false;
            break;
        }
    }
    if ok && batch.verify() {
        verified.extend(ballots.into_iter().map(|(i, ballot, tracking_code)| {
            (
                i,
                VerifiedBallot {
                    ballot,
                    tracking_code,
                },
            )
        }));
        return;
    }
    let second = ballots.split_off(ballots.len() / 2);
    bisect(ctx, ballots, verified, rejected);
    bisect(ctx, second, verified, rejected);
}

/// One option of an opened ballot: the value and the randomness of its encryption.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OpenedSelection {
    /// The value, 0 or 1.
    pub value: u8,
    /// The randomness `r` of `Enc_K(value; r)`.
    #[serde(with = "scalar_base64")]
    pub randomness: Scalar,
}

impl fmt::Debug for OpenedSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpenedSelection(..)")
    }
}

impl Zeroize for OpenedSelection {
    fn zeroize(&mut self) {
        self.value.zeroize();
        self.randomness.zeroize();
    }
}

/// The opening of a ballot for a cast-or-audit challenge: all values and randomness.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BallotOpening {
    /// Per contest, per option.
    pub contests: Vec<Vec<OpenedSelection>>,
}

/// The secrets of a ballot just built: kept on the device until the ballot is cast (then
/// dropped and zeroized) or audited (then revealed as a [`BallotOpening`]).
pub struct BallotSecrets(BallotOpening);

impl BallotSecrets {
    /// Reveals the secrets for an audit. The ballot must then never be cast.
    pub fn open(self) -> BallotOpening {
        self.0.clone()
    }
}

impl Drop for BallotSecrets {
    fn drop(&mut self) {
        for c in &mut self.0.contests {
            for s in c.iter_mut() {
                s.zeroize();
            }
        }
    }
}

impl fmt::Debug for BallotSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BallotSecrets(hidden)")
    }
}

/// An audited (spoiled) ballot as posted on the board: never counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditedBallot {
    /// The ballot.
    pub ballot: Ballot,
    /// Its opening.
    pub opening: BallotOpening,
}

impl AuditedBallot {
    /// Checks that the opening matches every ciphertext of the ballot and returns the plain
    /// selection it reveals (`spec/verification.md` V6.2). The selection is checked against
    /// the manifest too: a device that encrypted an invalid selection is caught here.
    pub fn check_opening(&self, ctx: &ElectionContext) -> Result<Selection, BallotError> {
        let b = &self.ballot;
        let o = &self.opening;
        if o.contests.len() != b.contests.len() {
            return Err(BallotError::Opening(OpeningError::ContestCount));
        }
        let mut rows = Vec::with_capacity(o.contests.len());
        for (ci, (oc, bc)) in o.contests.iter().zip(&b.contests).enumerate() {
            if oc.len() != bc.selections.len() {
                return Err(BallotError::Opening(OpeningError::OptionCount {
                    contest: ci,
                }));
            }
            let mut row = Vec::with_capacity(oc.len());
            for (oi, (os, bs)) in oc.iter().zip(&bc.selections).enumerate() {
                if os.value > 1 {
                    return Err(BallotError::Opening(OpeningError::NotBinary {
                        contest: ci,
                        option: oi,
                        value: os.value,
                    }));
                }
                if ctx.key.encrypt(u64::from(os.value), &os.randomness) != bs.ciphertext {
                    return Err(BallotError::Opening(OpeningError::Ciphertext {
                        contest: ci,
                        option: oi,
                    }));
                }
                row.push(os.value);
            }
            rows.push(row);
        }
        let selection = Selection(rows);
        selection
            .validate(&ctx.manifest)
            .map_err(|e| BallotError::Opening(e.into()))?;
        Ok(selection)
    }
}
