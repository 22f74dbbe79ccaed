//! The tellers' t-of-n key ceremony (`spec/protocol.md` §9): a Pedersen distributed key
//! generation with Feldman commitments, a commit-to-hash round against a rushing teller, shares
//! encrypted teller-to-teller through the server and a public complaint path that names the
//! cheater.
//!
//! With `n` tellers, threshold `t` (`1 ≤ t ≤ n ≤ 32`) and teller indices `1 … n`:
//!
//! ```text
//! Round 0  Announcement  teller i:  eᵢ ←$ ℤ_ℓ,  Eᵢ = eᵢ·G,  Schnorr proof of eᵢ
//! Round 1  Commitment    teller i:  fᵢ(z) = aᵢ₀ + aᵢ₁·z + … + aᵢ,ₜ₋₁·zᵗ⁻¹,  aᵢₖ ←$ ℤ_ℓ
//!                                   Cᵢₖ = aᵢₖ·G,  πᵢ = Schnorr proof of aᵢ₀
//!                                   hᵢ = SHA-256("piaojue-v1/dkg/reveal-hash" ‖ id ‖ i ‖ [Cᵢₖ] ‖ πᵢ)
//! Round 2  Reveal        teller i:  [Cᵢₖ], πᵢ and for every j ≠ i
//!                                   sᵢⱼ = fᵢ(j) under AEAD key KDF(id, i, j, Dᵢⱼ = eᵢ·Eⱼ)
//! Round 3  ShareCheck    teller j:  for every i ≠ j:  sᵢⱼ·G = Σₖ jᵏ·Cᵢₖ,  or a Complaint
//!                                   (Dᵢⱼ = eⱼ·Eᵢ with a DLEQ proof log_G Eⱼ = log_{Eᵢ} Dᵢⱼ)
//! Output                            K = Σᵢ Cᵢ₀,   Xⱼ = Σᵢ Σₖ jᵏ·Cᵢₖ,   xⱼ = Σᵢ sᵢⱼ
//! ```
//!
//! so that `xⱼ = F(j)` for `F = Σᵢ fᵢ`, `K = F(0)·G` and `Xⱼ = xⱼ·G`; any `t` of the `xⱼ`
//! determine `F(0)` by Lagrange interpolation ([`crate::decryption`]), fewer reveal nothing
//! about it.
//!
//! * [`messages`] — the four signed messages and their canonical bytes.
//! * [`party`] — a teller, as a typestate machine that can only move forward.
//! * [`dealer`] — the public checks that the server and any verifier run on the messages, the
//!   complaint judgement and the computation of the [`CeremonyOutput`].

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::canonical::{Canonical, Writer};
use crate::encoding::{Bytes, DecodeError, Digest32, Point, PublicKey, decode_scalar};

pub mod dealer;
pub mod messages;
pub mod party;

pub use dealer::{CeremonyTranscript, finish};
pub use messages::{Announcement, Commitment, Complaint, EncryptedShare, Reveal, ShareCheck};
pub use party::{
    AwaitingAnnouncements, AwaitingChecks, AwaitingCommitments, AwaitingReveals, Teller,
};

/// Largest number of tellers.
pub const MAX_TELLERS: u32 = 32;

/// Domain tag of the key that encrypts a share (`spec/protocol.md` §9.6).
pub const SHARE_KEY_TAG: &str = "piaojue-v1/dkg/share-key";

/// Length of an encrypted share: a 32-byte scalar and a 16-byte Poly1305 tag.
pub const ENCRYPTED_SHARE_LEN: usize = 48;

/// Schnorr role of a teller's encryption key `Eᵢ`.
pub const ROLE_ENCRYPTION_KEY: &[u8] = b"teller-encryption-key";
/// Schnorr role of the constant coefficient commitment `Cᵢ₀`.
pub const ROLE_COEFFICIENT: &[u8] = b"dkg-coefficient";
/// DLEQ role of a complaint.
pub const ROLE_COMPLAINT: &[u8] = b"dkg-complaint";

/// The parameters of one ceremony.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyParams {
    /// The ceremony id chosen by the caller (a hash of the manifest). Bound into every
    /// transcript as `ProofContext.election` and into every signed message.
    pub ceremony_id: Digest32,
    /// Number of tellers `n`; their indices are `1 … n`.
    pub n: u32,
    /// Threshold `t`: any `t` tellers can decrypt, fewer cannot.
    pub t: u32,
}

impl Canonical for CeremonyParams {
    fn write_canonical(&self, w: &mut Writer) {
        w.bytes(&self.ceremony_id).u32(self.n).u32(self.t);
    }
}

impl CeremonyParams {
    /// Checks `1 ≤ t ≤ n ≤ 32`.
    pub fn validate(&self) -> Result<(), CeremonyError> {
        if self.t == 0 || self.t > self.n || self.n > MAX_TELLERS {
            return Err(CeremonyError::InvalidParams {
                n: self.n,
                t: self.t,
            });
        }
        Ok(())
    }

    /// Whether `index` is a teller index (`1 ≤ index ≤ n`).
    pub fn is_teller(&self, index: u32) -> bool {
        (1..=self.n).contains(&index)
    }
}

/// Why a ceremony failed. Every variant that blames someone names the teller; the ceremony must
/// be restarted without them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CeremonyError {
    /// The parameters are outside `1 ≤ t ≤ n ≤ 32`.
    #[error("invalid ceremony parameters n = {n}, t = {t}")]
    InvalidParams {
        /// Number of tellers.
        n: u32,
        /// Threshold.
        t: u32,
    },
    /// A message carries another ceremony's id.
    #[error("teller {teller}: {message} belongs to another ceremony")]
    WrongCeremony {
        /// The sender.
        teller: u32,
        /// The message kind.
        message: &'static str,
    },
    /// A message's signature does not verify under the sender's announced signing key.
    #[error("teller {teller}: bad signature on its {message}")]
    BadSignature {
        /// The sender.
        teller: u32,
        /// The message kind.
        message: &'static str,
    },
    /// A signing key is not a valid ed25519 key, or is weak (of small order).
    #[error("teller {teller}: invalid signing key")]
    BadSigningKey {
        /// The sender.
        teller: u32,
    },
    /// A zero-knowledge proof does not verify.
    #[error("teller {teller}: the proof of {what} does not verify")]
    BadProof {
        /// The prover.
        teller: u32,
        /// Which proof.
        what: &'static str,
    },
    /// A reveal does not match the hash committed in round 1.
    #[error("teller {teller}: reveal does not match its round-1 commitment")]
    HashMismatch {
        /// The revealing teller.
        teller: u32,
    },
    /// A complaint was upheld: the accused sent a share that does not decrypt or does not match
    /// its coefficient commitments.
    #[error("teller {accused}: sent teller {accuser} a bad share (complaint upheld)")]
    BadShare {
        /// The guilty dealer.
        accused: u32,
        /// The teller who complained.
        accuser: u32,
    },
    /// A complaint was refuted: the share decrypts and matches the commitments.
    #[error("teller {accuser}: false complaint against teller {accused}")]
    FalseComplaint {
        /// The guilty accuser.
        accuser: u32,
        /// The teller falsely accused.
        accused: u32,
    },
    /// A round has the wrong number of messages.
    #[error("{round}: expected {expected} messages, got {got}")]
    WrongCount {
        /// The round.
        round: &'static str,
        /// `n`.
        expected: usize,
        /// Messages received.
        got: usize,
    },
    /// Two messages of one round from the same teller (or two tellers with one signing key).
    #[error("{round}: duplicate message from teller {teller}")]
    Duplicate {
        /// The round.
        round: &'static str,
        /// The teller index.
        teller: u32,
    },
    /// An index outside `1 … n`.
    #[error("{round}: unknown teller index {teller}")]
    UnknownIndex {
        /// The round.
        round: &'static str,
        /// The index.
        teller: u32,
    },
    /// A message is structurally wrong (wrong number of coefficients or shares, a share for
    /// the wrong recipient, a complaint that is not the sender's …).
    #[error("teller {teller}: malformed {message}: {reason}")]
    Malformed {
        /// The sender.
        teller: u32,
        /// The message kind.
        message: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Several tellers are guilty; each entry names one.
    #[error("several tellers are guilty: {}", list(.0))]
    Multiple(Vec<CeremonyError>),
    /// The sum of the constant coefficients is the identity, or a verification key is;
    /// possible only with negligible probability unless tellers collude.
    #[error("the joint key or a verification key is the identity")]
    DegenerateKey,
    /// A local inconsistency in a teller's own state (e.g. its own message was changed by the
    /// server). Not a verdict about another teller.
    #[error("teller {teller}: {reason}")]
    Local {
        /// This teller.
        teller: u32,
        /// What is wrong.
        reason: &'static str,
    },
}

/// The faults of [`CeremonyError::Multiple`], each by its message, separated by `; `.
fn list(faults: &[CeremonyError]) -> String {
    faults
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl CeremonyError {
    /// The tellers this error blames, in increasing order, without repetitions.
    pub fn guilty(&self) -> Vec<u32> {
        let mut v = match self {
            CeremonyError::WrongCeremony { teller, .. }
            | CeremonyError::BadSignature { teller, .. }
            | CeremonyError::BadSigningKey { teller }
            | CeremonyError::BadProof { teller, .. }
            | CeremonyError::HashMismatch { teller }
            | CeremonyError::Duplicate { teller, .. }
            | CeremonyError::UnknownIndex { teller, .. }
            | CeremonyError::Malformed { teller, .. } => vec![*teller],
            CeremonyError::BadShare { accused, .. } => vec![*accused],
            CeremonyError::FalseComplaint { accuser, .. } => vec![*accuser],
            CeremonyError::Multiple(all) => all.iter().flat_map(|e| e.guilty()).collect(),
            CeremonyError::InvalidParams { .. }
            | CeremonyError::WrongCount { .. }
            | CeremonyError::DegenerateKey
            | CeremonyError::Local { .. } => vec![],
        };
        v.sort_unstable();
        v.dedup();
        v
    }

    /// One error from a list of faults: none, one, or [`CeremonyError::Multiple`].
    pub(crate) fn from_faults(mut faults: Vec<CeremonyError>) -> Result<(), CeremonyError> {
        match faults.len() {
            0 => Ok(()),
            1 => Err(faults.remove(0)),
            _ => Err(CeremonyError::Multiple(faults)),
        }
    }
}

/// The public result of a ceremony: the joint election key and every teller's verification key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyOutput {
    /// `K = Σᵢ Cᵢ₀`.
    pub joint_key: PublicKey,
    /// `Xⱼ = Σᵢ Σₖ jᵏ·Cᵢₖ` for `j = 1 … n`, in that order.
    pub verification_keys: Vec<PublicKey>,
}

impl Canonical for CeremonyOutput {
    fn write_canonical(&self, w: &mut Writer) {
        w.key(&self.joint_key)
            .list(&self.verification_keys, |w, k| {
                w.key(k);
            });
    }
}

impl CeremonyOutput {
    /// The verification key `Xⱼ` of teller `j`, if `j` is a teller.
    pub fn verification_key(&self, j: u32) -> Option<&PublicKey> {
        self.verification_keys.get((j as usize).checked_sub(1)?)
    }
}

/// A teller's secret share `xⱼ = Σᵢ sᵢⱼ` of the election key. Zeroized on drop; no serde, no
/// `Debug` of the value. [`SecretShare::to_bytes`] and [`SecretShare::from_bytes`] are for the
/// caller's encrypted storage only.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretShare(Scalar);

impl SecretShare {
    /// Wraps a scalar.
    pub(crate) fn new(x: Scalar) -> Self {
        SecretShare(x)
    }

    /// The scalar (for the decryption module).
    pub(crate) fn scalar(&self) -> &Scalar {
        &self.0
    }

    /// `xⱼ·G`, which must equal the teller's verification key `Xⱼ`.
    pub fn public(&self) -> RistrettoPoint {
        RISTRETTO_BASEPOINT_TABLE * &self.0
    }

    /// The canonical 32 bytes of `xⱼ`, for encrypted storage by the caller.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// Reads a share written by [`SecretShare::to_bytes`] (refuses non-canonical scalars).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        decode_scalar(bytes).map(SecretShare)
    }
}

impl PartialEq for SecretShare {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}
impl Eq for SecretShare {}

impl core::fmt::Debug for SecretShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretShare(<redacted>)")
    }
}

/// What a teller keeps after a successful ceremony.
#[derive(Debug, Clone)]
pub struct TellerKey {
    /// The teller's index `j`.
    pub index: u32,
    /// `xⱼ`.
    pub share: SecretShare,
    /// The public output, the same for every teller.
    pub output: CeremonyOutput,
}

impl TellerKey {
    /// This teller's verification key `Xⱼ`.
    pub fn verification_key(&self) -> &PublicKey {
        self.output
            .verification_key(self.index)
            .expect("a teller key's index is a teller index")
    }
}

/// `Σₖ jᵏ·Cₖ` (variable time: public data only).
pub(crate) fn eval_commitments(j: u32, coefficients: &[RistrettoPoint]) -> RistrettoPoint {
    let x = Scalar::from(j);
    let mut power = Scalar::ONE;
    let scalars: Vec<Scalar> = coefficients
        .iter()
        .map(|_| {
            let p = power;
            power *= x;
            p
        })
        .collect();
    RistrettoPoint::vartime_multiscalar_mul(scalars, coefficients)
}

/// `f(j) = Σₖ aₖ·jᵏ` by Horner's rule.
pub(crate) fn eval_polynomial(j: u32, coefficients: &[Scalar]) -> Scalar {
    let x = Scalar::from(j);
    coefficients
        .iter()
        .rev()
        .fold(Scalar::ZERO, |acc, a| acc * x + a)
}

/// The share check `s·G = Σₖ jᵏ·Cₖ`, with `s·G` by constant-time fixed-base multiplication.
pub(crate) fn share_matches(j: u32, share: &Scalar, coefficients: &[PublicKey]) -> bool {
    let lhs = (RISTRETTO_BASEPOINT_TABLE * share).compress();
    let points: Vec<RistrettoPoint> = coefficients.iter().map(|c| *c.point()).collect();
    let rhs = eval_commitments(j, &points).compress();
    lhs.as_bytes().ct_eq(rhs.as_bytes()).into()
}

/// The share key: `SHA-256(tag("piaojue-v1/dkg/share-key") ‖ id ‖ u32 i ‖ u32 j ‖ Dᵢⱼ)`.
pub(crate) fn share_key(
    ceremony_id: &Digest32,
    dealer: u32,
    recipient: u32,
    dh: &Point,
) -> Zeroizing<[u8; 32]> {
    let mut w = Writer::tagged(SHARE_KEY_TAG);
    w.bytes(ceremony_id).u32(dealer).u32(recipient).point(dh);
    let mut bytes = w.into_bytes();
    let key = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(&bytes)));
    bytes.zeroize();
    key
}

/// The associated data of a share: `id ‖ u32 i ‖ u32 j` (40 bytes).
pub(crate) fn share_aad(ceremony_id: &Digest32, dealer: u32, recipient: u32) -> Vec<u8> {
    let mut w = Writer::default();
    w.bytes(ceremony_id).u32(dealer).u32(recipient);
    w.into_bytes()
}

/// Encrypts `sᵢⱼ` with ChaCha20-Poly1305 under the share key, nonce zero.
pub(crate) fn encrypt_share(
    ceremony_id: &Digest32,
    dealer: u32,
    recipient: u32,
    dh: &Point,
    share: &Scalar,
) -> Bytes<ENCRYPTED_SHARE_LEN> {
    let key = share_key(ceremony_id, dealer, recipient, dh);
    let cipher = ChaCha20Poly1305::new(&Key::from(*key));
    let plain = Zeroizing::new(share.to_bytes());
    let aad = share_aad(ceremony_id, dealer, recipient);
    let ct = cipher
        .encrypt(
            &Nonce::default(),
            Payload {
                msg: plain.as_slice(),
                aad: &aad,
            },
        )
        .expect("a 32-byte message always encrypts");
    let mut out = [0u8; ENCRYPTED_SHARE_LEN];
    out.copy_from_slice(&ct);
    Bytes(out)
}

/// Decrypts a share; `None` if authentication fails or the plaintext is not a canonical scalar.
pub(crate) fn decrypt_share(
    ceremony_id: &Digest32,
    dealer: u32,
    recipient: u32,
    dh: &Point,
    ciphertext: &Bytes<ENCRYPTED_SHARE_LEN>,
) -> Option<Zeroizing<Scalar>> {
    let key = share_key(ceremony_id, dealer, recipient, dh);
    let cipher = ChaCha20Poly1305::new(&Key::from(*key));
    let aad = share_aad(ceremony_id, dealer, recipient);
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: &ciphertext.0,
                    aad: &aad,
                },
            )
            .ok()?,
    );
    let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(plain.as_slice().try_into().ok()?);
    decode_scalar(&bytes).ok().map(Zeroizing::new)
}

#[cfg(test)]
pub(crate) mod tests;
