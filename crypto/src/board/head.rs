//! Signed tree heads: the board's signed statement "the log of election E had `size` entries
//! with root `root` at `timestamp`" (`spec/record.md` §9.3).
//!
//! The signature is ed25519 by the board key over
//! `str("piaojue-v1/tree-head") ‖ log_id ‖ u64(size) ‖ root ‖ u64(timestamp_ms)`.
//! Two heads signed by the same key for the same log that are not consistent (same size and
//! different roots, or no consistency proof between them) prove that the board forked.

use core::fmt;

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::note::{self, NoteError, NoteSignature, SignatureType, VerifierKey};
use crate::canonical::Writer;
use crate::credential::{Credential, CredentialKey};
use crate::encoding::{Bytes, DecodeError, Digest32};

/// Domain tag of a tree head's signed bytes.
pub const TAG_TREE_HEAD: &str = "piaojue-v1/tree-head";

/// The unsigned content of a tree head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    /// The log: an election's id hash (`SHA-256(str("piaojue-v1/log") ‖ str(election_id))`).
    pub log_id: Digest32,
    /// Number of entries.
    pub size: u64,
    /// Merkle root of the entries.
    pub root: Digest32,
    /// Milliseconds since the Unix epoch, UTC.
    pub timestamp_ms: u64,
}

impl TreeHead {
    /// The bytes the board key signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::tagged(TAG_TREE_HEAD);
        w.bytes(&self.log_id)
            .u64(self.size)
            .bytes(&self.root)
            .u64(self.timestamp_ms);
        w.into_bytes()
    }
}

/// The log id of an election's board.
pub fn log_id(election_id: &str) -> Digest32 {
    let mut w = Writer::tagged("piaojue-v1/log");
    w.str(election_id);
    w.sha256()
}

/// A tree head with the board's signature. Decoded from its flat form (its five fields side by side),
/// not through `flatten`, whose buffering would take arrays for structs (`spec/record.md` §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SignedTreeHeadFields")]
pub struct SignedTreeHead {
    /// The head.
    #[serde(flatten)]
    pub head: TreeHead,
    /// ed25519 signature by the board key over [`TreeHead::signed_bytes`].
    pub signature: Bytes<64>,
}

/// A signed tree head as JSON has it (`spec/record.md` §9.3): the head's fields and the
/// signature, side by side.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedTreeHeadFields {
    log_id: Digest32,
    size: u64,
    root: Digest32,
    timestamp_ms: u64,
    signature: Bytes<64>,
}

impl From<SignedTreeHeadFields> for SignedTreeHead {
    fn from(f: SignedTreeHeadFields) -> Self {
        SignedTreeHead {
            head: TreeHead {
                log_id: f.log_id,
                size: f.size,
                root: f.root,
                timestamp_ms: f.timestamp_ms,
            },
            signature: f.signature,
        }
    }
}

impl SignedTreeHead {
    /// Checks the signature (`spec/protocol.md` §7.4) against the board's public key.
    pub fn verify(&self, board: &CredentialKey) -> bool {
        board.verify(&self.head.signed_bytes(), &self.signature.0)
    }
}

/// The board's signing key: an ed25519 key pair like a deputy's credential, whose encoding,
/// generation and zeroizing it reuses. Zeroized on drop.
pub struct BoardKey(Credential);

impl BoardKey {
    /// A fresh key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        BoardKey(Credential::generate(rng))
    }
    /// The key with this seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        BoardKey(Credential::from_seed(seed))
    }
    /// The key from 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        Credential::from_hex(text).map(BoardKey)
    }
    /// The secret seed, for the server's key file.
    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        self.0.seed()
    }
    /// The public key.
    pub fn public(&self) -> CredentialKey {
        self.0.public()
    }
    /// Signs a tree head.
    pub fn sign(&self, head: TreeHead) -> SignedTreeHead {
        SignedTreeHead {
            signature: self.sign_bytes(&head.signed_bytes()),
            head,
        }
    }
    /// Signs a note text (a checkpoint, [`super::checkpoint`]) under `key_name`: an Ed25519
    /// note signature (type `0x01`, c2sp.org/signed-note) whose key id is
    /// `SHA-256(key_name ‖ 0x0A ‖ 0x01 ‖ public key)[0..4]`. The board signs each checkpoint
    /// with key name = the checkpoint's origin; `key_name` must be a valid key name.
    pub fn sign_note(&self, key_name: &str, text: &str) -> NoteSignature {
        NoteSignature {
            name: key_name.to_string(),
            key_id: note::key_id(key_name, SignatureType::Ed25519, self.public().as_bytes()),
            bytes: self.0.sign(text.as_bytes()).to_bytes().to_vec(),
        }
    }
    /// The board's verifier key under `key_name` (type `0x01`).
    pub fn verifier_key(&self, key_name: &str) -> Result<VerifierKey, NoteError> {
        VerifierKey::new(key_name, SignatureType::Ed25519, self.public())
    }
    /// Signs arbitrary domain-tagged bytes (receipts).
    pub fn sign_bytes(&self, message: &[u8]) -> Bytes<64> {
        Bytes(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for BoardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BoardKey({:?}, secret hidden)", self.public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let key = BoardKey::generate(&mut rand::rng());
        let head = TreeHead {
            log_id: log_id("e"),
            size: 3,
            root: Bytes([1; 32]),
            timestamp_ms: 5,
        };
        let sth = key.sign(head);
        assert!(sth.verify(&key.public()));
        let json = serde_json::to_string(&sth).unwrap();
        let back: SignedTreeHead = serde_json::from_str(&json).unwrap();
        assert!(back.verify(&key.public()));
        let mut forged = sth;
        forged.head.size = 4;
        assert!(!forged.verify(&key.public()));
        let other = BoardKey::generate(&mut rand::rng());
        assert!(!sth.verify(&other.public()));
        assert_ne!(log_id("e"), log_id("f"));
    }

    #[test]
    fn signed_checkpoints_verify_under_the_origin() {
        use crate::board::checkpoint::{Checkpoint, log_origin};
        use crate::board::note::Note;
        let key = BoardKey::from_seed(&[3; 32]);
        let origin = log_origin("board.example", "e1");
        let cp = Checkpoint {
            origin: origin.clone(),
            size: 2,
            root: Bytes([4; 32]),
            extensions: vec![],
        };
        let text = cp.text();
        let sig = key.sign_note(&origin, &text);
        let vk = key.verifier_key(&origin).unwrap();
        assert_eq!(sig.key_id, vk.key_id());
        assert!(vk.verify(&text, &sig));
        let note = Note::parse(
            &Note::new(text.clone(), vec![sig.clone()])
                .unwrap()
                .to_bytes(),
        )
        .unwrap();
        assert_eq!(note.verify(std::slice::from_ref(&vk)).unwrap(), vec![&vk]);
        // Another size, another key, another name.
        assert!(!vk.verify(&text.replace("\n2\n", "\n3\n"), &sig));
        let other = BoardKey::from_seed(&[5; 32]).verifier_key(&origin).unwrap();
        assert!(!other.verify(&text, &sig));
        assert!(
            !key.verifier_key("board.example/e2")
                .unwrap()
                .verify(&text, &sig)
        );
    }
}
