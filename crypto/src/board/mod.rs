//! The bulletin board's cryptography and formats: the Merkle log ([`merkle`]), signed tree
//! heads ([`head`]), entries ([`entry`]) and receipts ([`receipt`]). The server keeps the log;
//! receipts and the verifier check it (`spec/record.md` §9, `spec/verification.md` V7).

pub mod approval;
pub mod entry;
pub mod head;
pub mod merkle;
pub mod receipt;

pub use approval::{Approval, ApprovedCandidate, check_approval};
pub use entry::{Entry, Event};
pub use head::{BoardKey, SignedTreeHead, TreeHead, log_id};
pub use merkle::{MerkleTree, verify_consistency, verify_inclusion};
pub use receipt::{Receipt, ReceiptError};
