//! The bulletin board's cryptography: the Merkle log ([`merkle`]) and signed tree heads
//! ([`head`]). The server keeps the log; receipts and the verifier check it
//! (`spec/record.md` §9, `spec/verification.md` V6).

pub mod head;
pub mod merkle;

pub use head::{BoardKey, SignedTreeHead, TreeHead};
pub use merkle::{MerkleTree, verify_consistency, verify_inclusion};
