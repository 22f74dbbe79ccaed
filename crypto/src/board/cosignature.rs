//! Witness cosignatures, exactly as c2sp.org/tlog-cosignature (v1.0.0) has them for Ed25519
//! (`spec/protocol.md` §14).
//!
//! A witness that has checked a checkpoint consistent with everything it cosigned before signs
//!
//! ```text
//! cosigned message = "cosignature/v1\n" ‖ "time " ‖ decimal(timestamp) ‖ "\n" ‖ checkpoint text
//! ```
//!
//! with its Ed25519 key, `timestamp` in POSIX seconds (≤ 2^63 − 1, decimal without leading
//! zeros), and adds to the checkpoint the note signature line
//!
//! ```text
//! — <witness name> base64(u32_be(key_id) ‖ u64_be(timestamp) ‖ signature[64])
//! key_id = SHA-256(<witness name> ‖ 0x0A ‖ 0x04 ‖ public key)[0..4]
//! ```
//!
//! The message does not commit to the witness's name: one key serves one witness.

use core::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::note::{NoteError, NoteSignature, SignatureType, VerifierKey, key_id};
use crate::credential::{Credential, CredentialKey};

/// The message a cosignature/v1 signs: the header line, the time line, the checkpoint text.
pub fn cosigned_message(checkpoint_text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}").into_bytes()
}

/// A witness's Ed25519 signing key. Zeroized on drop.
pub struct WitnessKey(Credential);

impl WitnessKey {
    /// A fresh key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        WitnessKey(Credential::generate(rng))
    }
    /// The key with this seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        WitnessKey(Credential::from_seed(seed))
    }
    /// The secret seed, for the witness's key file.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        self.0.seed()
    }
    /// The public key.
    pub fn public(&self) -> CredentialKey {
        self.0.public()
    }
    /// The witness's verifier key under `name` (type `0x04`).
    pub fn verifier_key(&self, name: &str) -> Result<VerifierKey, NoteError> {
        VerifierKey::new(name, SignatureType::CosignatureV1, self.public())
    }
    /// Cosigns a checkpoint text at `timestamp` (POSIX seconds, at most 2^63 − 1, which the
    /// caller ensures: a larger one makes a cosignature every verifier refuses) under the
    /// witness name `name` (a valid key name).
    pub fn cosign(&self, name: &str, checkpoint_text: &str, timestamp: u64) -> NoteSignature {
        let sig = self.0.sign(&cosigned_message(checkpoint_text, timestamp));
        let mut bytes = Vec::with_capacity(72);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&sig.to_bytes());
        NoteSignature {
            name: name.to_string(),
            key_id: key_id(name, SignatureType::CosignatureV1, self.public().as_bytes()),
            bytes,
        }
    }
}

impl fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WitnessKey({:?}, secret hidden)", self.public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::note::Note;

    const TEXT: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn the_message_is_the_specifications() {
        assert_eq!(
            cosigned_message(TEXT, 1679315147),
            b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
        assert_eq!(
            cosigned_message("a\n", 0),
            b"cosignature/v1\ntime 0\na\n".to_vec()
        );
    }

    #[test]
    fn cosignatures_verify_and_tampering_is_refused() {
        let w = WitnessKey::from_seed(&[7; 32]);
        let vk = w.verifier_key("witness.example/w1").unwrap();
        let sig = w.cosign("witness.example/w1", TEXT, 1679315147);
        assert_eq!(sig.bytes.len(), 72);
        assert_eq!(sig.timestamp(), Some(1679315147));
        assert_eq!(sig.key_id, vk.key_id());
        assert!(vk.verify(TEXT, &sig));
        let vk2 = VerifierKey::parse(&vk.encode()).unwrap();
        assert_eq!(vk2, vk);
        assert!(vk2.verify(TEXT, &sig));
        // Another text, timestamp, signature bit; an Ed25519 (0x01) reading of the same key.
        assert!(!vk.verify(&TEXT.replace("20852163", "20852164"), &sig));
        let mut t = sig.clone();
        t.bytes[7] ^= 1;
        assert!(!vk.verify(TEXT, &t));
        let mut s = sig.clone();
        s.bytes[40] ^= 1;
        assert!(!vk.verify(TEXT, &s));
        let ed =
            VerifierKey::new("witness.example/w1", SignatureType::Ed25519, w.public()).unwrap();
        assert!(!ed.verify(TEXT, &sig));
        // Without the timestamp: 64 bytes.
        let mut short = sig.clone();
        short.bytes.drain(..8);
        assert!(!vk.verify(TEXT, &short));
        // Through a note.
        let mut note = Note::new(TEXT.into(), vec![sig.clone()]).unwrap();
        assert_eq!(note.verify(std::slice::from_ref(&vk)).unwrap(), vec![&vk]);
        note.push(t);
        assert!(note.verify(std::slice::from_ref(&vk)).is_err());
    }

    #[test]
    fn timestamps_above_2_63_are_refused() {
        let w = WitnessKey::from_seed(&[8; 32]);
        let vk = w.verifier_key("w").unwrap();
        let max = i64::MAX as u64;
        assert!(vk.verify(TEXT, &w.cosign("w", TEXT, max)));
        assert!(!vk.verify(TEXT, &w.cosign("w", TEXT, max + 1)));
        assert!(!vk.verify(TEXT, &w.cosign("w", TEXT, u64::MAX)));
    }

    #[test]
    fn debug_hides_the_secret() {
        let w = WitnessKey::from_seed(&[9; 32]);
        let d = format!("{w:?}");
        assert!(d.contains("secret hidden"));
        assert!(!d.contains(&hex::encode([9u8; 32])));
        assert_eq!(
            *WitnessKey::from_seed(&w.seed()).public().as_bytes(),
            *w.public().as_bytes()
        );
    }
}
