//! A teller in the key ceremony, as a typestate machine: each round is a method that consumes
//! the state and returns the next state with the message to post, so a teller cannot go back,
//! repeat a round or skip one.
//!
//! ```text
//! Teller::new          → (AwaitingAnnouncements, Announcement)
//!   .commit(anns)      → (AwaitingCommitments,   Commitment)
//!   .reveal(comms)     → (AwaitingReveals,       Reveal)
//!   .check_shares(rvs) → (AwaitingChecks,        ShareCheck)
//!   .finish(checks)    → TellerKey
//! ```
//!
//! Every state holds the teller's secrets (`eᵢ`, the polynomial, the shares) in zeroizing
//! wrappers; dropping a state wipes them. Each step runs the public checks of [`super::dealer`]
//! on what it receives, so a teller never builds on a message the verifier would refuse.

use core::ops::Mul;

use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::SigningKey;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::dkg::dealer::{self, by_index, proof_context};
use crate::dkg::messages::{
    Announcement, Commitment, Complaint, EncryptedShare, Reveal, ShareCheck, reveal_hash, sign,
};
use crate::dkg::{
    CeremonyError, CeremonyParams, ROLE_COEFFICIENT, ROLE_COMPLAINT, ROLE_ENCRYPTION_KEY,
    SecretShare, TellerKey, decrypt_share, encrypt_share, eval_polynomial, share_matches,
};
use crate::encoding::{Bytes, Point, PublicKey};
use crate::proofs::dleq::DleqStatement;
use crate::proofs::{DleqProof, SchnorrProof};

/// What every state keeps: parameters, identity and the encryption secret `eᵢ`.
struct Common {
    params: CeremonyParams,
    index: u32,
    signing_key: SigningKey,
    encryption_secret: Zeroizing<Scalar>,
}

impl Common {
    fn local(&self, reason: &'static str) -> CeremonyError {
        CeremonyError::Local {
            teller: self.index,
            reason,
        }
    }
}

/// A non-zero scalar, uniformly random (wide reduction).
fn random_nonzero<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
    loop {
        let s = Scalar::random(rng);
        if s != Scalar::ZERO {
            return s;
        }
    }
}

/// The entry point of the ceremony.
pub struct Teller;

impl Teller {
    /// Starts teller `index` of the ceremony: draws `eᵢ`, and returns the round-0
    /// [`Announcement`] (`Eᵢ = eᵢ·G` with a Schnorr proof, signed).
    #[allow(clippy::new_ret_no_self)] // the entry point of the typestate: returns its first state
    pub fn new<R: CryptoRng + ?Sized>(
        params: CeremonyParams,
        index: u32,
        signing_key: SigningKey,
        rng: &mut R,
    ) -> Result<(AwaitingAnnouncements, Announcement), CeremonyError> {
        params.validate()?;
        if !params.is_teller(index) {
            return Err(CeremonyError::UnknownIndex {
                round: "announcements",
                teller: index,
            });
        }
        let e = Zeroizing::new(random_nonzero(rng));
        let encryption_key = PublicKey::from_secret(&e);
        let mut a = Announcement {
            ceremony_id: params.ceremony_id,
            index,
            signing_key: Bytes(signing_key.verifying_key().to_bytes()),
            encryption_key,
            proof: SchnorrProof {
                commitment: Point::identity(),
                response: Scalar::ZERO,
            },
            signature: Bytes([0; 64]),
        };
        let ctx = proof_context(&params, &a, ROLE_ENCRYPTION_KEY).at(index.into(), 0);
        a.proof = SchnorrProof::prove(&ctx, &e, encryption_key.as_point(), rng);
        a.signature = sign(&a, &signing_key);
        let common = Common {
            params,
            index,
            signing_key,
            encryption_secret: e,
        };
        Ok((
            AwaitingAnnouncements {
                common,
                own: a.clone(),
            },
            a,
        ))
    }
}

/// Round 0 posted; waiting for every teller's announcement.
pub struct AwaitingAnnouncements {
    common: Common,
    own: Announcement,
}

/// Round 1 posted; waiting for every teller's commitment.
pub struct AwaitingCommitments {
    common: Common,
    announcements: Vec<Announcement>,
    polynomial: Zeroizing<Vec<Scalar>>,
    coefficients: Vec<PublicKey>,
    proof: SchnorrProof,
    own: Commitment,
}

/// Round 2 posted; waiting for every teller's reveal.
pub struct AwaitingReveals {
    common: Common,
    announcements: Vec<Announcement>,
    commitments: Vec<Commitment>,
    own_share: Zeroizing<Scalar>,
    own: Reveal,
}

/// Round 3 posted; waiting for every teller's share check.
pub struct AwaitingChecks {
    common: Common,
    announcements: Vec<Announcement>,
    commitments: Vec<Commitment>,
    reveals: Vec<Reveal>,
    share: SecretShare,
    own: ShareCheck,
}

impl AwaitingAnnouncements {
    /// This teller's index.
    pub fn index(&self) -> u32 {
        self.common.index
    }

    /// Checks round 0 ([`dealer::check_announcements`]; this teller's own announcement must be
    /// among them unchanged), draws the polynomial `fᵢ(z) = Σₖ aᵢₖ·zᵏ` of degree `t − 1`,
    /// commits `Cᵢₖ = aᵢₖ·G`, proves knowledge of `aᵢ₀`, and returns the round-1
    /// [`Commitment`] to the hash of that public part.
    pub fn commit<R: CryptoRng + ?Sized>(
        self,
        announcements: &[Announcement],
        rng: &mut R,
    ) -> Result<(AwaitingCommitments, Commitment), CeremonyError> {
        let c = &self.common;
        let all = dealer::check_announcements(&c.params, announcements)?;
        if *all[c.index as usize - 1] != self.own {
            return Err(c.local("own announcement altered"));
        }
        let announcements: Vec<Announcement> = all.into_iter().cloned().collect();
        let polynomial: Zeroizing<Vec<Scalar>> =
            Zeroizing::new((0..c.params.t).map(|_| random_nonzero(rng)).collect());
        let coefficients: Vec<PublicKey> = polynomial.iter().map(PublicKey::from_secret).collect();
        let ctx = proof_context(&c.params, &self.own, ROLE_COEFFICIENT).at(c.index.into(), 0);
        let proof = SchnorrProof::prove(&ctx, &polynomial[0], coefficients[0].as_point(), rng);
        let mut own = Commitment {
            ceremony_id: c.params.ceremony_id,
            index: c.index,
            reveal_hash: reveal_hash(&c.params.ceremony_id, c.index, &coefficients, &proof),
            signature: Bytes([0; 64]),
        };
        own.signature = sign(&own, &c.signing_key);
        Ok((
            AwaitingCommitments {
                common: self.common,
                announcements,
                polynomial,
                coefficients,
                proof,
                own: own.clone(),
            },
            own,
        ))
    }
}

impl AwaitingCommitments {
    /// Checks round 1 (one valid [`Commitment`] per teller, this teller's own unchanged) and
    /// returns the round-2 [`Reveal`]: the coefficient commitments, the proof, and for every
    /// `j ≠ i` the share `sᵢⱼ = fᵢ(j)` encrypted under `KDF(id, i, j, eᵢ·Eⱼ)`.
    pub fn reveal(
        self,
        commitments: &[Commitment],
    ) -> Result<(AwaitingReveals, Reveal), CeremonyError> {
        self.reveal_inner(commitments, None)
    }

    fn reveal_inner(
        self,
        commitments: &[Commitment],
        tamper_for: Option<u32>,
    ) -> Result<(AwaitingReveals, Reveal), CeremonyError> {
        let c = &self.common;
        let all = by_index(&c.params, "commitments", commitments)?;
        CeremonyError::from_faults(
            all.iter()
                .filter_map(|m| dealer::check_commitment(&c.params, m, &self.announcements).err())
                .collect(),
        )?;
        if *all[c.index as usize - 1] != self.own {
            return Err(c.local("own commitment altered"));
        }
        let shares = (1..=c.params.n)
            .filter(|&j| j != c.index)
            .map(|j| {
                let e_j = self.announcements[j as usize - 1].encryption_key.point();
                let dh = Point::from_point(Mul::mul(e_j, &*c.encryption_secret));
                let mut s = Zeroizing::new(eval_polynomial(j, &self.polynomial));
                if tamper_for == Some(j) {
                    *s += Scalar::ONE;
                }
                EncryptedShare {
                    recipient: j,
                    ciphertext: encrypt_share(&c.params.ceremony_id, c.index, j, &dh, &s),
                }
            })
            .collect();
        let mut own = Reveal {
            ceremony_id: c.params.ceremony_id,
            index: c.index,
            coefficients: self.coefficients.clone(),
            proof: self.proof.clone(),
            shares,
            signature: Bytes([0; 64]),
        };
        own.signature = sign(&own, &c.signing_key);
        let own_share = Zeroizing::new(eval_polynomial(c.index, &self.polynomial));
        Ok((
            AwaitingReveals {
                common: self.common,
                announcements: self.announcements,
                commitments: all.into_iter().cloned().collect(),
                own_share,
                own: own.clone(),
            },
            own,
        ))
    }

    /// Test hook: reveals with the share for `victim` increased by one before encryption.
    #[cfg(test)]
    pub(crate) fn reveal_tampered(
        self,
        commitments: &[Commitment],
        victim: u32,
    ) -> Result<(AwaitingReveals, Reveal), CeremonyError> {
        self.reveal_inner(commitments, Some(victim))
    }
}

impl AwaitingReveals {
    /// Checks round 2 (each [`Reveal`] by [`dealer::check_reveal`] against its commitment; a
    /// reveal that fails names its sender and ends the ceremony), then decrypts every share
    /// `sᵢⱼ` sent to this teller `j` with the key from `Dᵢⱼ = eⱼ·Eᵢ` and checks
    /// `sᵢⱼ·G = Σₖ jᵏ·Cᵢₖ`. Each share that fails gives a [`Complaint`] disclosing `Dᵢⱼ` with a
    /// DLEQ proof. Returns the round-3 [`ShareCheck`] (no complaints = acknowledgement).
    pub fn check_shares<R: CryptoRng + ?Sized>(
        self,
        reveals: &[Reveal],
        rng: &mut R,
    ) -> Result<(AwaitingChecks, ShareCheck), CeremonyError> {
        self.check_shares_inner(reveals, rng, None)
    }

    fn check_shares_inner<R: CryptoRng + ?Sized>(
        self,
        reveals: &[Reveal],
        rng: &mut R,
        false_complaint: Option<u32>,
    ) -> Result<(AwaitingChecks, ShareCheck), CeremonyError> {
        let c = &self.common;
        let j = c.index;
        let all = by_index(&c.params, "reveals", reveals)?;
        CeremonyError::from_faults(
            all.iter()
                .zip(&self.commitments)
                .filter_map(|(r, m)| {
                    dealer::check_reveal(&c.params, r, m, &self.announcements).err()
                })
                .collect(),
        )?;
        if *all[j as usize - 1] != self.own {
            return Err(c.local("own reveal altered"));
        }
        let me = &self.announcements[j as usize - 1];
        let mut sum = Zeroizing::new(*self.own_share);
        let mut complaints = Vec::new();
        for r in all.iter().filter(|r| r.index != j) {
            let i = r.index;
            let e_i = &self.announcements[i as usize - 1].encryption_key;
            let dh = Point::from_point(Mul::mul(e_i.point(), &*c.encryption_secret));
            let enc = r.share_for(j).expect("checked by check_reveal");
            let share = decrypt_share(&c.params.ceremony_id, i, j, &dh, &enc.ciphertext)
                .filter(|s| share_matches(j, s, &r.coefficients));
            match share {
                Some(s) if false_complaint != Some(i) => *sum += *s,
                _ => {
                    let ctx = proof_context(&c.params, me, ROLE_COMPLAINT).at(j.into(), i.into());
                    let st = DleqStatement {
                        h: e_i.as_point(),
                        x: me.encryption_key.as_point(),
                        y: &dh,
                    };
                    complaints.push(Complaint {
                        accuser: j,
                        accused: i,
                        dh,
                        proof: DleqProof::prove(&ctx, &c.encryption_secret, &st, rng),
                    });
                }
            }
        }
        let mut own = ShareCheck {
            ceremony_id: c.params.ceremony_id,
            index: j,
            complaints,
            signature: Bytes([0; 64]),
        };
        own.signature = sign(&own, &c.signing_key);
        let share = SecretShare::new(*sum);
        Ok((
            AwaitingChecks {
                common: self.common,
                announcements: self.announcements,
                commitments: self.commitments,
                reveals: all.into_iter().cloned().collect(),
                share,
                own: own.clone(),
            },
            own,
        ))
    }

    /// Test hook: checks shares but complains (falsely) about the good share from `accused`.
    #[cfg(test)]
    pub(crate) fn check_shares_false_complaint<R: CryptoRng + ?Sized>(
        self,
        reveals: &[Reveal],
        rng: &mut R,
        accused: u32,
    ) -> Result<(AwaitingChecks, ShareCheck), CeremonyError> {
        self.check_shares_inner(reveals, rng, Some(accused))
    }
}

impl AwaitingChecks {
    /// Runs the whole public verification ([`dealer::finish`]: every message again, every
    /// complaint judged) and, if no teller is guilty, returns this teller's key: the output and
    /// `xⱼ = Σᵢ sᵢⱼ`, checked against `Xⱼ`.
    pub fn finish(self, checks: &[ShareCheck]) -> Result<TellerKey, CeremonyError> {
        let c = &self.common;
        if !checks.contains(&self.own) {
            return Err(c.local("own share check missing or altered"));
        }
        let output = dealer::finish(
            &c.params,
            &self.announcements,
            &self.commitments,
            &self.reveals,
            checks,
        )?;
        let expected = output.verification_key(c.index).expect("output has n keys");
        if self.share.public() != *expected.point() {
            return Err(c.local("secret share does not match its verification key"));
        }
        Ok(TellerKey {
            index: c.index,
            share: self.share.clone(),
            output,
        })
    }
}
