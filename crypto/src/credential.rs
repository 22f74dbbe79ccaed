//! Deputies' voting credentials (`spec/protocol.md` §7).
//!
//! A credential is an ed25519 key pair issued by the registrar, one per deputy. The deputy
//! keeps the 32-byte secret seed (printed on a sheet, or downloaded once); the board publishes
//! only the public keys, as a sorted list, so the list says nothing about who holds which.
//! Every ballot is signed with its credential and every proof in it binds the credential's
//! public key, so a ballot cannot be copied under another credential.

use core::fmt;
use std::collections::BTreeSet;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::signature::PreparedSignature;
use rand_core::CryptoRng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::canonical::{Canonical, Writer};
use crate::encoding::{
    DecodeError, Digest32, decode_base64_array, decode_hex_array, encode_base64,
};

/// A deputy's secret credential. Zeroized on drop.
pub struct Credential(SigningKey);

impl Credential {
    /// A fresh credential.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Credential(SigningKey::generate(rng))
    }

    /// The credential with this 32-byte secret seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Credential(SigningKey::from_bytes(seed))
    }

    /// The credential from 64 hex digits of its seed.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        let seed = Zeroizing::new(decode_hex_array::<32>(text.trim())?);
        Ok(Self::from_seed(&seed))
    }

    /// The secret seed, to hand to the deputy.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key that goes on the board.
    pub fn public(&self) -> CredentialKey {
        let key = self.0.verifying_key();
        CredentialKey {
            bytes: key.to_bytes(),
            key,
        }
    }

    /// Signs a message.
    pub(crate) fn sign(&self, message: &[u8]) -> Signature {
        self.0.sign(message)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credential({:?}, secret hidden)", self.public())
    }
}

/// A credential's public key: a valid ed25519 public key of large order.
#[derive(Clone, Copy)]
pub struct CredentialKey {
    bytes: [u8; 32],
    key: VerifyingKey,
}

impl CredentialKey {
    /// Decodes a public key, refusing invalid, non-canonical and small-order (weak) keys.
    pub fn decode(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| DecodeError::InvalidCredential("not a point"))?;
        if key.is_weak() {
            return Err(DecodeError::InvalidCredential("small-order key"));
        }
        // RFC 8032 decoding: the bytes must be the point's canonical encoding, so that one key
        // has exactly one byte string: y < p (the only points with a "negative zero" x are of
        // small order, refused above).
        if !crate::signature::is_canonical_y(bytes) {
            return Err(DecodeError::InvalidCredential("non-canonical encoding"));
        }
        Ok(CredentialKey { bytes: *bytes, key })
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The ed25519 verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The base64url text of the encoding.
    pub fn to_base64(&self) -> String {
        encode_base64(&self.bytes)
    }

    /// Decodes a public key from its base64url text, with [`Self::decode`]'s checks.
    pub fn from_base64(text: &str) -> Result<Self, DecodeError> {
        Self::decode(&decode_base64_array::<32>(text)?)
    }

    /// Checks a signature on `message` by this key (`spec/protocol.md` §7.4: canonical `S` and
    /// `R`, `R` not of small order, the cofactored equation).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.prepare(&[message], signature)
            .is_some_and(|p| p.verify())
    }

    /// Decodes a signature on the message `parts[0] ‖ parts[1] ‖ …` for checking alone or in a
    /// [`crate::signature::SignatureBatch`]; `None` if its encodings are refused (§7.4).
    pub fn prepare(&self, parts: &[&[u8]], signature: &[u8; 64]) -> Option<PreparedSignature> {
        PreparedSignature::new(&self.key.to_edwards(), &self.bytes, parts, signature)
    }
}

impl PartialEq for CredentialKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for CredentialKey {}
impl PartialOrd for CredentialKey {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for CredentialKey {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.bytes.cmp(&other.bytes)
    }
}
impl core::hash::Hash for CredentialKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state)
    }
}

impl fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialKey({})", self.to_base64())
    }
}

impl Serialize for CredentialKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for CredentialKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::encoding::from_text(d, CredentialKey::from_base64)
    }
}

/// The published list of credential public keys: sorted, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CredentialList(BTreeSet<CredentialKey>);

/// Why a credential list is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialListError {
    /// A key appears twice.
    #[error("credential {0} appears more than once")]
    Duplicate(String),
    /// Keys are not in ascending order of their bytes.
    #[error("credentials are not sorted")]
    Unsorted,
}

impl CredentialList {
    /// Builds the list from keys in any order; refuses repeats.
    pub fn new(keys: impl IntoIterator<Item = CredentialKey>) -> Result<Self, CredentialListError> {
        let mut set = BTreeSet::new();
        for k in keys {
            if !set.insert(k) {
                return Err(CredentialListError::Duplicate(k.to_base64()));
            }
        }
        Ok(CredentialList(set))
    }

    /// Builds the list from keys as published: they must be strictly ascending
    /// (`spec/verification.md` V3.2).
    pub fn from_published(keys: &[CredentialKey]) -> Result<Self, CredentialListError> {
        for w in keys.windows(2) {
            if w[0] == w[1] {
                return Err(CredentialListError::Duplicate(w[0].to_base64()));
            }
            if w[0] > w[1] {
                return Err(CredentialListError::Unsorted);
            }
        }
        Ok(CredentialList(keys.iter().copied().collect()))
    }

    /// Whether the key is on the list.
    pub fn contains(&self, key: &CredentialKey) -> bool {
        self.0.contains(key)
    }

    /// Number of credentials: the roll.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = &CredentialKey> {
        self.0.iter()
    }

    /// SHA-256 of the list's canonical bytes (tag `piaojue-v1/credentials`).
    pub fn hash(&self) -> Digest32 {
        crate::canonical::tagged_hash("piaojue-v1/credentials", self)
    }
}

impl Canonical for CredentialList {
    fn write_canonical(&self, w: &mut Writer) {
        w.len(self.0.len());
        for k in &self.0 {
            w.fixed(k.as_bytes());
        }
    }
}

impl Serialize for CredentialList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for CredentialList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let keys = Vec::<CredentialKey>::deserialize(d)?;
        CredentialList::from_published(&keys).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_roundtrip_and_sign() {
        let c = Credential::generate(&mut rand::rng());
        let again = Credential::from_seed(&c.seed());
        assert_eq!(c.public(), again.public());
        let sig = c.sign(b"hello").to_bytes();
        assert!(c.public().verify(b"hello", &sig));
        assert!(!c.public().verify(b"hellp", &sig));
        let json = serde_json::to_string(&c.public()).unwrap();
        assert_eq!(
            serde_json::from_str::<CredentialKey>(&json).unwrap(),
            c.public()
        );
    }

    #[test]
    fn weak_and_invalid_keys_are_refused() {
        // The identity (a small-order point) is a weak key.
        let mut id = [0u8; 32];
        id[0] = 1;
        assert_eq!(
            CredentialKey::decode(&id),
            Err(DecodeError::InvalidCredential("small-order key"))
        );
        // Some small y is not the y-coordinate of any curve point.
        let off_curve = (2u8..=255)
            .map(|b| {
                let mut k = [0u8; 32];
                k[0] = b;
                k
            })
            .find(|k| VerifyingKey::from_bytes(k).is_err())
            .expect("some y is off the curve");
        assert_eq!(
            CredentialKey::decode(&off_curve),
            Err(DecodeError::InvalidCredential("not a point"))
        );
    }

    #[test]
    fn non_canonical_encodings_are_refused() {
        // A valid key with its y-coordinate written as y + p (possible when y < 19): the same
        // point under a second byte string. Find such a key: y = 1..18 with x ≠ 0.
        let p_plus = |y: u8| {
            // p = 2^255 − 19; y + p in little-endian: low byte y − 19 (mod 256) with borrow.
            let mut b = [0xffu8; 32];
            b[0] = y.wrapping_sub(19);
            b[31] = 0x7f;
            b
        };
        let mut found = false;
        for y in 2u8..19 {
            let mut canonical = [0u8; 32];
            canonical[0] = y;
            if let Ok(k) = CredentialKey::decode(&canonical) {
                let alias = p_plus(y);
                assert!(
                    CredentialKey::decode(&alias).is_err(),
                    "y = {y}: y + p accepted as {k:?}"
                );
                found = true;
            }
        }
        assert!(found, "no small y gave a valid key to test with");
    }

    #[test]
    fn list_is_sorted_and_unique() {
        let keys: Vec<CredentialKey> = (0..5)
            .map(|_| Credential::generate(&mut rand::rng()).public())
            .collect();
        let list = CredentialList::new(keys.clone()).unwrap();
        let published: Vec<CredentialKey> = list.iter().copied().collect();
        assert!(published.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(CredentialList::from_published(&published).unwrap(), list);
        let mut reversed = published.clone();
        reversed.reverse();
        assert_eq!(
            CredentialList::from_published(&reversed),
            Err(CredentialListError::Unsorted)
        );
        let mut dup = published.clone();
        dup.insert(1, published[0]);
        assert!(matches!(
            CredentialList::from_published(&dup),
            Err(CredentialListError::Duplicate(_))
        ));
        assert!(CredentialList::new([keys[0], keys[0]]).is_err());
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(serde_json::from_str::<CredentialList>(&json).unwrap(), list);
        assert!(
            serde_json::from_str::<CredentialList>(&serde_json::to_string(&reversed).unwrap())
                .is_err()
        );
    }
}
