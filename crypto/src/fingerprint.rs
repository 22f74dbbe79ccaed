//! Hashes that name an election (`spec/protocol.md` §6).
//!
//! * The **manifest hash** `H("piaojue-v1/manifest", manifest)` names what is voted on.
//! * The **ceremony id** `H("piaojue-v1/ceremony", manifest hash)` binds the tellers' key
//!   ceremony to that manifest; it is the `election` of every ceremony transcript.
//! * The **election fingerprint** binds everything a ballot depends on — the manifest, the
//!   tellers, the joint key, the verification keys and the credential list — and is the
//!   `election` of every ballot and decryption transcript:
//!
//! ```text
//! fingerprint = SHA-256( str("piaojue-v1/election") ‖ manifest_hash ‖ u32(n) ‖ u32(t)
//!                        ‖ list(teller signing keys) ‖ K ‖ list(X₁ … Xₙ) ‖ credentials_hash )
//! ```
//!
//! `H(tag, x)` is SHA-256 over `str(tag) ‖ canonical(x)` ([`crate::canonical`]).

use crate::canonical::{Writer, tagged_hash};
use crate::credential::CredentialList;
use crate::encoding::{Bytes, Digest32, PublicKey};
use crate::manifest::Manifest;

/// `H("piaojue-v1/manifest", manifest)`.
pub fn manifest_hash(manifest: &Manifest) -> Digest32 {
    tagged_hash("piaojue-v1/manifest", manifest)
}

/// `H("piaojue-v1/ceremony", manifest hash)`: the key ceremony's id.
pub fn ceremony_id(manifest_hash: &Digest32) -> Digest32 {
    let mut w = Writer::tagged("piaojue-v1/ceremony");
    w.bytes(manifest_hash);
    w.sha256()
}

/// The public inputs of the election fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct FingerprintInputs<'a> {
    /// The manifest.
    pub manifest: &'a Manifest,
    /// Tellers' ed25519 signing public keys, in index order.
    pub teller_keys: &'a [Bytes<32>],
    /// The joint election key.
    pub joint_key: &'a PublicKey,
    /// Tellers' verification keys, in index order.
    pub verification_keys: &'a [PublicKey],
    /// The credential list.
    pub credentials: &'a CredentialList,
}

/// The election fingerprint.
pub fn election_fingerprint(inputs: &FingerprintInputs) -> Digest32 {
    let mut w = Writer::tagged("piaojue-v1/election");
    w.bytes(&manifest_hash(inputs.manifest))
        .u32(inputs.manifest.tellers.n)
        .u32(inputs.manifest.tellers.t);
    w.list(inputs.teller_keys, |w, k| {
        w.bytes(k);
    });
    w.key(inputs.joint_key);
    w.list(inputs.verification_keys, |w, k| {
        w.key(k);
    });
    w.bytes(&inputs.credentials.hash());
    w.sha256()
}

/// The short form of a fingerprint, for people to compare by eye (`spec/protocol.md` §6.5):
/// the first 8 bytes of `F` as a big-endian unsigned integer, written as 20 decimal digits
/// (zero-padded) in five groups of four separated by spaces, e.g. `0123 4567 8901 2345 6789`.
///
/// ```text
/// short(F) = dec20( u64_be(F[0..8]) )      grouped 4-4-4-4-4
/// ```
///
/// It carries 64 bits of `F`: a server that wants another election to show the same short form
/// must find a second preimage of those 64 bits. The full `F` travels where no person reads it
/// (the credential sheet's QR link).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortFingerprint(u64);

/// The number of decimal digits of a short fingerprint.
pub const SHORT_DIGITS: usize = 20;

/// Why a text is not a short fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a short fingerprint is {SHORT_DIGITS} digits (spaces and '-' ignored) below 2^64")]
pub struct ShortFingerprintError;

impl ShortFingerprint {
    /// The short form of `fingerprint`.
    pub fn of(fingerprint: &Digest32) -> Self {
        let mut head = [0u8; 8];
        head.copy_from_slice(&fingerprint.0[..8]);
        ShortFingerprint(u64::from_be_bytes(head))
    }

    /// Parses the 20 digits, ignoring spaces and `-`; refuses any other character, another
    /// number of digits and a value of 2^64 or more.
    pub fn parse(text: &str) -> Result<Self, ShortFingerprintError> {
        let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != SHORT_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ShortFingerprintError);
        }
        digits
            .parse::<u64>()
            .map(ShortFingerprint)
            .map_err(|_| ShortFingerprintError)
    }

    /// Whether `fingerprint` has this short form.
    pub fn matches(&self, fingerprint: &Digest32) -> bool {
        Self::of(fingerprint) == *self
    }
}

impl std::fmt::Display for ShortFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = format!("{:020}", self.0);
        for (i, group) in digits.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(std::str::from_utf8(group).map_err(|_| std::fmt::Error)?)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for ShortFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShortFingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_is_the_first_64_bits_in_digit_groups() {
        let mut f = Bytes([0xee; 32]);
        f.0[..8].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0x30, 0x39]);
        assert_eq!(
            ShortFingerprint::of(&f).to_string(),
            "0000 0000 0000 0001 2345"
        );
        let max = Bytes([0xff; 32]);
        let s = ShortFingerprint::of(&max);
        assert_eq!(s.to_string(), "1844 6744 0737 0955 1615");
        assert_eq!(ShortFingerprint::parse("18446744073709551615"), Ok(s));
        assert_eq!(ShortFingerprint::parse("1844-6744-0737-0955-1615"), Ok(s));
        assert!(s.matches(&max) && !s.matches(&f));
        for bad in [
            "1844 6744 0737 0955 1616",
            "1844 6744 0737 0955 161",
            "1844 6744 0737 0955 16150",
            "1844 6744 0737 0955 161a",
            "",
        ] {
            assert_eq!(
                ShortFingerprint::parse(bad),
                Err(ShortFingerprintError),
                "{bad}"
            );
        }
    }
}
