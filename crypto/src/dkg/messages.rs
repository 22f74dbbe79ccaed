//! The key ceremony's four signed messages (`spec/protocol.md` §9.4).
//!
//! Every message carries the ceremony id and the sender's index and is signed with the sender's
//! ed25519 signing key (announced in round 0) over
//!
//! ```text
//! signing bytes = str(tag) ‖ body        (canonical bytes, spec/protocol.md §3)
//! ```
//!
//! where `body` is the message's fields in the order listed here, without the signature, and
//! `tag` is one of [`ANNOUNCEMENT_TAG`], [`COMMITMENT_TAG`], [`REVEAL_TAG`],
//! [`SHARE_CHECK_TAG`]. A message's [`Canonical`] bytes (for the election record) are
//! `body ‖ signature`. Signatures are checked by the protocol's one rule (`spec/protocol.md`
//! §7.4, [`crate::credential::CredentialKey::verify`]: canonical `R` and `S`, `R` not of small
//! order, the cofactored equation) under a key that is not weak, as every other signature of
//! the protocol.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::canonical::{Canonical, Writer};
use crate::dkg::ENCRYPTED_SHARE_LEN;
use crate::encoding::{Bytes, Digest32, Point, PublicKey};
use crate::proofs::{DleqProof, SchnorrProof};

/// Signature domain tag of an [`Announcement`].
pub const ANNOUNCEMENT_TAG: &str = "piaojue-v1/dkg/announcement";
/// Signature domain tag of a [`Commitment`].
pub const COMMITMENT_TAG: &str = "piaojue-v1/dkg/commitment";
/// Signature domain tag of a [`Reveal`].
pub const REVEAL_TAG: &str = "piaojue-v1/dkg/reveal";
/// Signature domain tag of a [`ShareCheck`].
pub const SHARE_CHECK_TAG: &str = "piaojue-v1/dkg/share-check";
/// Domain tag of the round-1 hash of a reveal's public part.
pub const REVEAL_HASH_TAG: &str = "piaojue-v1/dkg/reveal-hash";

/// A message signed by a teller.
pub trait SignedMessage: Canonical {
    /// The signature's domain tag.
    const TAG: &'static str;
    /// A name for error messages.
    const NAME: &'static str;
    /// Writes the fields that are signed (all but the signature).
    fn write_body(&self, w: &mut Writer);
    /// The sender's index.
    fn sender(&self) -> u32;
    /// The ceremony id the message claims.
    fn ceremony_id(&self) -> &Digest32;
    /// The signature.
    fn signature(&self) -> &Bytes<64>;

    /// `str(TAG) ‖ body`: the bytes that are signed.
    fn signing_bytes(&self) -> Vec<u8> {
        let mut w = Writer::tagged(Self::TAG);
        self.write_body(&mut w);
        w.into_bytes()
    }

    /// Checks the signature by `spec/protocol.md` §7.4 under `key`, refusing weak keys.
    fn verify_signature(&self, key: &Bytes<32>) -> bool {
        crate::credential::CredentialKey::decode(&key.0)
            .is_ok_and(|k| k.verify(&self.signing_bytes(), &self.signature().0))
    }
}

/// Decodes an ed25519 public key as a credential key is decoded
/// ([`crate::credential::CredentialKey::decode`]): valid, canonical, not weak (small-order).
pub fn signing_key(key: &Bytes<32>) -> Option<VerifyingKey> {
    crate::credential::CredentialKey::decode(&key.0)
        .ok()
        .map(|k| *k.verifying_key())
}

pub(crate) fn sign<M: SignedMessage>(msg: &M, key: &SigningKey) -> Bytes<64> {
    Bytes(key.sign(&msg.signing_bytes()).to_bytes())
}

macro_rules! canonical_signed {
    ($ty:ty) => {
        impl Canonical for $ty {
            fn write_canonical(&self, w: &mut Writer) {
                self.write_body(w);
                w.bytes(&self.signature);
            }
        }
    };
}

/// Round 0: a teller's signing key and encryption key `Eᵢ = eᵢ·G`.
///
/// Body: `id ‖ u32 index ‖ signing_key(32) ‖ Eᵢ ‖ proof (R ‖ s)`. The Schnorr proof of `eᵢ`
/// has context `(id, signing_key, "teller-encryption-key", (index, 0))`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// The ceremony id.
    pub ceremony_id: Digest32,
    /// The teller's index `i`.
    pub index: u32,
    /// The teller's ed25519 signing public key (also `ProofContext.party` of its proofs).
    pub signing_key: Bytes<32>,
    /// `Eᵢ = eᵢ·G`, the key that shares to this teller are encrypted to.
    pub encryption_key: PublicKey,
    /// Schnorr proof of knowledge of `eᵢ`.
    pub proof: SchnorrProof,
    /// Signature over `str(ANNOUNCEMENT_TAG) ‖ body`.
    pub signature: Bytes<64>,
}

impl SignedMessage for Announcement {
    const TAG: &'static str = ANNOUNCEMENT_TAG;
    const NAME: &'static str = "announcement";
    fn write_body(&self, w: &mut Writer) {
        w.bytes(&self.ceremony_id)
            .u32(self.index)
            .bytes(&self.signing_key)
            .key(&self.encryption_key)
            .object(&self.proof);
    }
    fn sender(&self) -> u32 {
        self.index
    }
    fn ceremony_id(&self) -> &Digest32 {
        &self.ceremony_id
    }
    fn signature(&self) -> &Bytes<64> {
        &self.signature
    }
}
canonical_signed!(Announcement);

/// Round 1: the hash of the teller's round-2 public part.
///
/// Body: `id ‖ u32 index ‖ reveal_hash(32)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    /// The ceremony id.
    pub ceremony_id: Digest32,
    /// The teller's index `i`.
    pub index: u32,
    /// [`reveal_hash`] of the coming [`Reveal`].
    pub reveal_hash: Digest32,
    /// Signature over `str(COMMITMENT_TAG) ‖ body`.
    pub signature: Bytes<64>,
}

impl SignedMessage for Commitment {
    const TAG: &'static str = COMMITMENT_TAG;
    const NAME: &'static str = "commitment";
    fn write_body(&self, w: &mut Writer) {
        w.bytes(&self.ceremony_id)
            .u32(self.index)
            .bytes(&self.reveal_hash);
    }
    fn sender(&self) -> u32 {
        self.index
    }
    fn ceremony_id(&self) -> &Digest32 {
        &self.ceremony_id
    }
    fn signature(&self) -> &Bytes<64> {
        &self.signature
    }
}
canonical_signed!(Commitment);

/// The round-1 hash:
///
/// ```text
/// hᵢ = SHA-256(str("piaojue-v1/dkg/reveal-hash") ‖ id ‖ u32 i ‖ list(Cᵢ₀ … Cᵢ,ₜ₋₁) ‖ R ‖ s)
/// ```
pub fn reveal_hash(
    ceremony_id: &Digest32,
    index: u32,
    coefficients: &[PublicKey],
    proof: &SchnorrProof,
) -> Digest32 {
    let mut w = Writer::tagged(REVEAL_HASH_TAG);
    w.bytes(ceremony_id)
        .u32(index)
        .list(coefficients, |w, c| {
            w.key(c);
        })
        .object(proof);
    w.sha256()
}

/// A share `sᵢⱼ = fᵢ(j)` encrypted to teller `j`.
///
/// Canonical: `u32 recipient ‖ ciphertext(48)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedShare {
    /// The recipient `j`.
    pub recipient: u32,
    /// ChaCha20-Poly1305 ciphertext of the 32-byte scalar, tag appended.
    pub ciphertext: Bytes<ENCRYPTED_SHARE_LEN>,
}

impl Canonical for EncryptedShare {
    fn write_canonical(&self, w: &mut Writer) {
        w.u32(self.recipient).bytes(&self.ciphertext);
    }
}

/// Round 2: the coefficient commitments, the proof of the constant coefficient and the
/// encrypted shares.
///
/// Body: `id ‖ u32 index ‖ list(Cᵢₖ) ‖ proof (R ‖ s) ‖ list(EncryptedShare)`; the shares are
/// listed by increasing recipient, one for every `j ≠ i`. The Schnorr proof of `aᵢ₀` has
/// context `(id, signing_key, "dkg-coefficient", (index, 0))`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    /// The ceremony id.
    pub ceremony_id: Digest32,
    /// The teller's index `i`.
    pub index: u32,
    /// `Cᵢₖ = aᵢₖ·G` for `k = 0 … t−1`.
    pub coefficients: Vec<PublicKey>,
    /// Schnorr proof of knowledge of `aᵢ₀`.
    pub proof: SchnorrProof,
    /// `sᵢⱼ` for every `j ≠ i`, by increasing `j`.
    pub shares: Vec<EncryptedShare>,
    /// Signature over `str(REVEAL_TAG) ‖ body`.
    pub signature: Bytes<64>,
}

impl Reveal {
    /// The round-1 hash of this reveal's public part.
    pub fn public_hash(&self) -> Digest32 {
        reveal_hash(
            &self.ceremony_id,
            self.index,
            &self.coefficients,
            &self.proof,
        )
    }

    /// The share encrypted to `recipient`.
    pub fn share_for(&self, recipient: u32) -> Option<&EncryptedShare> {
        self.shares.iter().find(|s| s.recipient == recipient)
    }
}

impl SignedMessage for Reveal {
    const TAG: &'static str = REVEAL_TAG;
    const NAME: &'static str = "reveal";
    fn write_body(&self, w: &mut Writer) {
        w.bytes(&self.ceremony_id)
            .u32(self.index)
            .list(&self.coefficients, |w, c| {
                w.key(c);
            })
            .object(&self.proof)
            .list(&self.shares, |w, s| {
                w.object(s);
            });
    }
    fn sender(&self) -> u32 {
        self.index
    }
    fn ceremony_id(&self) -> &Digest32 {
        &self.ceremony_id
    }
    fn signature(&self) -> &Bytes<64> {
        &self.signature
    }
}
canonical_signed!(Reveal);

/// A complaint by teller `j` (the accuser) that the share from teller `i` (the accused) is bad.
///
/// It discloses `Dᵢⱼ = eⱼ·Eᵢ` with a DLEQ proof `log_G Eⱼ = log_{Eᵢ} Dᵢⱼ`, context
/// `(id, signing_key of j, "dkg-complaint", (j, i))`, so that anyone can derive the share key
/// and judge. Canonical: `u32 accuser ‖ u32 accused ‖ Dᵢⱼ ‖ proof (R₁ ‖ R₂ ‖ s)`. It is
/// signed as part of its [`ShareCheck`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complaint {
    /// The complaining recipient `j`.
    pub accuser: u32,
    /// The dealer `i` of the bad share.
    pub accused: u32,
    /// `Dᵢⱼ = eⱼ·Eᵢ`.
    pub dh: Point,
    /// DLEQ proof of `log_G Eⱼ = log_{Eᵢ} Dᵢⱼ`.
    pub proof: DleqProof,
}

impl Canonical for Complaint {
    fn write_canonical(&self, w: &mut Writer) {
        w.u32(self.accuser)
            .u32(self.accused)
            .point(&self.dh)
            .object(&self.proof);
    }
}

/// Round 3: teller `j`'s verdict on the shares it received: its complaints, by increasing
/// accused index; an empty list acknowledges every share.
///
/// Body: `id ‖ u32 index ‖ list(Complaint)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareCheck {
    /// The ceremony id.
    pub ceremony_id: Digest32,
    /// The checking teller's index `j`.
    pub index: u32,
    /// One complaint per bad share.
    pub complaints: Vec<Complaint>,
    /// Signature over `str(SHARE_CHECK_TAG) ‖ body`.
    pub signature: Bytes<64>,
}

impl SignedMessage for ShareCheck {
    const TAG: &'static str = SHARE_CHECK_TAG;
    const NAME: &'static str = "share check";
    fn write_body(&self, w: &mut Writer) {
        w.bytes(&self.ceremony_id)
            .u32(self.index)
            .list(&self.complaints, |w, c| {
                w.object(c);
            });
    }
    fn sender(&self) -> u32 {
        self.index
    }
    fn ceremony_id(&self) -> &Digest32 {
        &self.ceremony_id
    }
    fn signature(&self) -> &Bytes<64> {
        &self.signature
    }
}
canonical_signed!(ShareCheck);
