//! The public checks of the key ceremony (`spec/protocol.md` §9.8): what the server runs
//! on each message as it arrives and what any verifier runs on the published record.
//!
//! Nothing here needs a secret. Per message:
//!
//! | message | check | function |
//! |---|---|---|
//! | [`Announcement`] | id, index, signing key not weak, signature, Schnorr proof of `Eᵢ` | [`check_announcement`] |
//! | [`Commitment`] | id, index, signature | [`check_commitment`] |
//! | [`Reveal`] | id, index, signature, `t` coefficients, hash = round-1 hash, Schnorr proof of `Cᵢ₀`, one share per `j ≠ i` in order | [`check_reveal`] |
//! | [`ShareCheck`] | id, index, signature, complaints well-formed with valid DLEQ proofs | [`check_share_check`] |
//!
//! and per round: exactly `n` messages, one per index `1 … n` ([`by_index`]). A complaint is
//! judged by [`judge_complaint`]; [`finish`] runs everything and computes the
//! [`CeremonyOutput`].

use curve25519_dalek::ristretto::RistrettoPoint;
use serde::{Deserialize, Serialize};

use crate::canonical::{Canonical, Writer};
use crate::dkg::messages::{
    Announcement, Commitment, Complaint, Reveal, ShareCheck, SignedMessage, signing_key,
};
use crate::dkg::{
    CeremonyError, CeremonyOutput, CeremonyParams, ROLE_COEFFICIENT, ROLE_COMPLAINT,
    ROLE_ENCRYPTION_KEY, decrypt_share, eval_commitments, share_matches,
};
use crate::encoding::PublicKey;
use crate::proofs::dleq::DleqStatement;
use crate::transcript::ProofContext;

/// The messages of one round, one per teller, ordered by index: exactly `n` messages with
/// indices `1 … n`, each once.
pub fn by_index<'a, M: SignedMessage>(
    params: &CeremonyParams,
    round: &'static str,
    msgs: &'a [M],
) -> Result<Vec<&'a M>, CeremonyError> {
    let mut slots: Vec<Option<&M>> = vec![None; params.n as usize];
    for m in msgs {
        let i = m.sender();
        if !params.is_teller(i) {
            return Err(CeremonyError::UnknownIndex { round, teller: i });
        }
        let slot = &mut slots[i as usize - 1];
        if slot.is_some() {
            return Err(CeremonyError::Duplicate { round, teller: i });
        }
        *slot = Some(m);
    }
    if msgs.len() != params.n as usize {
        return Err(CeremonyError::WrongCount {
            round,
            expected: params.n as usize,
            got: msgs.len(),
        });
    }
    Ok(slots.into_iter().flatten().collect())
}

/// Ceremony id and sender index of any message.
fn check_header<M: SignedMessage>(params: &CeremonyParams, msg: &M) -> Result<(), CeremonyError> {
    if !params.is_teller(msg.sender()) {
        return Err(CeremonyError::UnknownIndex {
            round: M::NAME,
            teller: msg.sender(),
        });
    }
    if *msg.ceremony_id() != params.ceremony_id {
        return Err(CeremonyError::WrongCeremony {
            teller: msg.sender(),
            message: M::NAME,
        });
    }
    Ok(())
}

/// The announcement of teller `i`.
fn announcement_of(announcements: &[Announcement], i: u32) -> Result<&Announcement, CeremonyError> {
    announcements
        .iter()
        .find(|a| a.index == i)
        .ok_or(CeremonyError::UnknownIndex {
            round: "announcements",
            teller: i,
        })
}

/// Header, then the signature under the sender's announced key.
fn check_signed<M: SignedMessage>(
    params: &CeremonyParams,
    msg: &M,
    announcements: &[Announcement],
) -> Result<(), CeremonyError> {
    check_header(params, msg)?;
    let a = announcement_of(announcements, msg.sender())?;
    if !msg.verify_signature(&a.signing_key) {
        return Err(CeremonyError::BadSignature {
            teller: msg.sender(),
            message: M::NAME,
        });
    }
    Ok(())
}

/// The proof context of teller `i`'s proofs: `(id, signing key of i, role, (0, 0))`.
pub fn proof_context(
    params: &CeremonyParams,
    announcement: &Announcement,
    role: &'static [u8],
) -> ProofContext {
    ProofContext::new(params.ceremony_id.0, announcement.signing_key.0, role)
}

/// Checks an [`Announcement`] on arrival: ceremony id; index in `1 … n`; the signing key is a
/// valid, non-weak ed25519 key; the signature (`verify_strict`); the Schnorr proof of `eᵢ` with
/// context `(id, signing_key, "teller-encryption-key", (i, 0))` and statement `Eᵢ`.
pub fn check_announcement(params: &CeremonyParams, a: &Announcement) -> Result<(), CeremonyError> {
    check_header(params, a)?;
    if signing_key(&a.signing_key).is_none() {
        return Err(CeremonyError::BadSigningKey { teller: a.index });
    }
    if !a.verify_signature(&a.signing_key) {
        return Err(CeremonyError::BadSignature {
            teller: a.index,
            message: Announcement::NAME,
        });
    }
    let ctx = proof_context(params, a, ROLE_ENCRYPTION_KEY).at(a.index.into(), 0);
    a.proof
        .verify(&ctx, a.encryption_key.as_point())
        .map_err(|_| CeremonyError::BadProof {
            teller: a.index,
            what: "the encryption key",
        })
}

/// Checks the whole round 0: one valid announcement per index, and no two tellers with the same
/// signing key. Returns them ordered by index.
pub fn check_announcements<'a>(
    params: &CeremonyParams,
    announcements: &'a [Announcement],
) -> Result<Vec<&'a Announcement>, CeremonyError> {
    params.validate()?;
    let all = by_index(params, "announcements", announcements)?;
    let mut faults = Vec::new();
    for (k, a) in all.iter().enumerate() {
        if let Err(e) = check_announcement(params, a) {
            faults.push(e);
        } else if all[..k].iter().any(|b| b.signing_key == a.signing_key) {
            faults.push(CeremonyError::Duplicate {
                round: "signing keys",
                teller: a.index,
            });
        }
    }
    CeremonyError::from_faults(faults)?;
    Ok(all)
}

/// Checks a [`Commitment`] on arrival: ceremony id, index, signature under the sender's
/// announced signing key.
pub fn check_commitment(
    params: &CeremonyParams,
    c: &Commitment,
    announcements: &[Announcement],
) -> Result<(), CeremonyError> {
    check_signed(params, c, announcements)
}

fn malformed(teller: u32, message: &'static str, reason: impl Into<String>) -> CeremonyError {
    CeremonyError::Malformed {
        teller,
        message,
        reason: reason.into(),
    }
}

/// Checks a [`Reveal`] against its sender's round-1 [`Commitment`]: ceremony id, index,
/// signature; exactly `t` coefficient commitments; `reveal_hash(id, i, [Cᵢₖ], π) =` the
/// committed hash; the Schnorr proof of `aᵢ₀` (context `(id, signing_key, "dkg-coefficient",
/// (i, 0))`, statement `Cᵢ₀`); one encrypted share for every `j ≠ i`, by increasing `j`.
///
/// Whether each share is correct only its recipient can tell (round 3).
pub fn check_reveal(
    params: &CeremonyParams,
    r: &Reveal,
    commitment: &Commitment,
    announcements: &[Announcement],
) -> Result<(), CeremonyError> {
    check_signed(params, r, announcements)?;
    if commitment.index != r.index {
        return Err(malformed(
            r.index,
            Reveal::NAME,
            format!("checked against teller {}'s commitment", commitment.index),
        ));
    }
    if r.coefficients.len() != params.t as usize {
        return Err(malformed(
            r.index,
            Reveal::NAME,
            format!(
                "{} coefficient commitments, expected t = {}",
                r.coefficients.len(),
                params.t
            ),
        ));
    }
    if r.public_hash() != commitment.reveal_hash {
        return Err(CeremonyError::HashMismatch { teller: r.index });
    }
    let a = announcement_of(announcements, r.index)?;
    let ctx = proof_context(params, a, ROLE_COEFFICIENT).at(r.index.into(), 0);
    r.proof
        .verify(&ctx, r.coefficients[0].as_point())
        .map_err(|_| CeremonyError::BadProof {
            teller: r.index,
            what: "the constant coefficient",
        })?;
    let expected = (1..=params.n).filter(|&j| j != r.index);
    if r.shares.len() != params.n as usize - 1
        || !expected.zip(&r.shares).all(|(j, s)| s.recipient == j)
    {
        return Err(malformed(
            r.index,
            Reveal::NAME,
            "shares must go to every other teller, by increasing index",
        ));
    }
    Ok(())
}

/// The DLEQ statement and context of a complaint by `j` against `i`:
/// `(G, Eⱼ) ~ (Eᵢ, Dᵢⱼ)`, context `(id, signing key of j, "dkg-complaint", (j, i))`.
fn complaint_check(
    params: &CeremonyParams,
    c: &Complaint,
    announcements: &[Announcement],
) -> Result<(), CeremonyError> {
    let accuser = announcement_of(announcements, c.accuser)?;
    let accused = announcement_of(announcements, c.accused)?;
    let ctx = proof_context(params, accuser, ROLE_COMPLAINT).at(c.accuser.into(), c.accused.into());
    let st = DleqStatement {
        h: accused.encryption_key.as_point(),
        x: accuser.encryption_key.as_point(),
        y: &c.dh,
    };
    c.proof
        .verify(&ctx, &st)
        .map_err(|_| CeremonyError::BadProof {
            teller: c.accuser,
            what: "a complaint",
        })
}

/// Checks a [`ShareCheck`] on arrival: ceremony id, index, signature; every complaint is by the
/// sender, against another teller, by strictly increasing accused index, and its DLEQ proof
/// verifies (a complaint with a bad proof blames the accuser).
pub fn check_share_check(
    params: &CeremonyParams,
    check: &ShareCheck,
    announcements: &[Announcement],
) -> Result<(), CeremonyError> {
    check_signed(params, check, announcements)?;
    let mut last = 0u32;
    for c in &check.complaints {
        if c.accuser != check.index
            || !params.is_teller(c.accused)
            || c.accused == check.index
            || c.accused <= last
        {
            return Err(malformed(
                check.index,
                ShareCheck::NAME,
                "complaints must be the sender's, against other tellers, by increasing index",
            ));
        }
        last = c.accused;
        complaint_check(params, c, announcements)?;
    }
    Ok(())
}

/// Judges a complaint from public data, and returns the verdict: who is guilty.
///
/// 1. The DLEQ proof must verify, else the accuser is guilty ([`CeremonyError::BadProof`]).
/// 2. With `key = KDF(id, i, j, Dᵢⱼ)`, decrypt the share that `i` posted for `j`. If it does not
///    decrypt, is not a canonical scalar, or `sᵢⱼ·G ≠ Σₖ jᵏ·Cᵢₖ`, the accused is guilty
///    ([`CeremonyError::BadShare`]).
/// 3. Otherwise the accuser lied ([`CeremonyError::FalseComplaint`]).
///
/// `accused_reveal` must have passed [`check_reveal`].
pub fn judge_complaint(
    params: &CeremonyParams,
    complaint: &Complaint,
    announcements: &[Announcement],
    accused_reveal: &Reveal,
) -> CeremonyError {
    if let Err(e) = complaint_check(params, complaint, announcements) {
        return e;
    }
    let (i, j) = (complaint.accused, complaint.accuser);
    let bad_share = CeremonyError::BadShare {
        accused: i,
        accuser: j,
    };
    let Some(enc) = accused_reveal.share_for(j) else {
        return bad_share;
    };
    match decrypt_share(&params.ceremony_id, i, j, &complaint.dh, &enc.ciphertext) {
        Some(s) if share_matches(j, &s, &accused_reveal.coefficients) => {
            CeremonyError::FalseComplaint {
                accuser: j,
                accused: i,
            }
        }
        _ => bad_share,
    }
}

/// Computes the output from valid reveals (ordered by index):
///
/// ```text
/// Aₖ = Σᵢ Cᵢₖ    K = A₀    Xⱼ = Σₖ jᵏ·Aₖ  (= Σᵢ Σₖ jᵏ·Cᵢₖ)
/// ```
pub fn compute_output(
    params: &CeremonyParams,
    reveals: &[&Reveal],
) -> Result<CeremonyOutput, CeremonyError> {
    let mut sums = vec![RistrettoPoint::default(); params.t as usize];
    for r in reveals {
        for (acc, c) in sums.iter_mut().zip(&r.coefficients) {
            *acc += c.point();
        }
    }
    let joint_key = PublicKey::from_point(sums[0]).map_err(|_| CeremonyError::DegenerateKey)?;
    let verification_keys = (1..=params.n)
        .map(|j| PublicKey::from_point(eval_commitments(j, &sums)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CeremonyError::DegenerateKey)?;
    Ok(CeremonyOutput {
        joint_key,
        verification_keys,
    })
}

/// Runs every check of the ceremony on the four rounds and computes the output.
///
/// In order: the parameters; round 0 ([`check_announcements`]); round 1 (one per index, each
/// [`check_commitment`]); round 2 (one per index, each [`check_reveal`] against its
/// commitment); round 3 (one per index, each [`check_share_check`]); every complaint
/// ([`judge_complaint`]). The first round with faults fails the ceremony with every fault of
/// that round ([`CeremonyError::Multiple`] if more than one). Then [`compute_output`].
pub fn finish(
    params: &CeremonyParams,
    announcements: &[Announcement],
    commitments: &[Commitment],
    reveals: &[Reveal],
    checks: &[ShareCheck],
) -> Result<CeremonyOutput, CeremonyError> {
    check_announcements(params, announcements)?;

    let commitments = by_index(params, "commitments", commitments)?;
    CeremonyError::from_faults(
        commitments
            .iter()
            .filter_map(|c| check_commitment(params, c, announcements).err())
            .collect(),
    )?;

    let reveals = by_index(params, "reveals", reveals)?;
    CeremonyError::from_faults(
        reveals
            .iter()
            .zip(&commitments)
            .filter_map(|(r, c)| check_reveal(params, r, c, announcements).err())
            .collect(),
    )?;

    let checks = by_index(params, "share checks", checks)?;
    CeremonyError::from_faults(
        checks
            .iter()
            .filter_map(|c| check_share_check(params, c, announcements).err())
            .collect(),
    )?;

    let mut faults: Vec<CeremonyError> = Vec::new();
    for check in &checks {
        for c in &check.complaints {
            let verdict =
                judge_complaint(params, c, announcements, reveals[c.accused as usize - 1]);
            if !faults.contains(&verdict) {
                faults.push(verdict);
            }
        }
    }
    CeremonyError::from_faults(faults)?;

    compute_output(params, &reveals)
}

/// Every message of a ceremony, as published in the election record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyTranscript {
    /// Round 0.
    pub announcements: Vec<Announcement>,
    /// Round 1.
    pub commitments: Vec<Commitment>,
    /// Round 2.
    pub reveals: Vec<Reveal>,
    /// Round 3.
    pub checks: Vec<ShareCheck>,
}

impl Canonical for CeremonyTranscript {
    fn write_canonical(&self, w: &mut Writer) {
        w.list(&self.announcements, |w, m| {
            w.object(m);
        })
        .list(&self.commitments, |w, m| {
            w.object(m);
        })
        .list(&self.reveals, |w, m| {
            w.object(m);
        })
        .list(&self.checks, |w, m| {
            w.object(m);
        });
    }
}

impl CeremonyTranscript {
    /// Verifies the whole ceremony ([`finish`]) and returns its output.
    pub fn verify(&self, params: &CeremonyParams) -> Result<CeremonyOutput, CeremonyError> {
        finish(
            params,
            &self.announcements,
            &self.commitments,
            &self.reveals,
            &self.checks,
        )
    }
}
