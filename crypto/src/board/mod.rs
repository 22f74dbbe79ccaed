//! The bulletin board's cryptography and formats: the Merkle log ([`merkle`]), signed tree
//! heads ([`head`]), entries ([`entry`]) and receipts ([`receipt`]). The server keeps the log;
//! receipts and the verifier check it (`spec/record.md` §9, `spec/verification.md` V7).
//!
//! The same heads are also published in the transparency-log formats of C2SP that witnesses
//! speak (`spec/protocol.md` §14): signed notes ([`note`]), checkpoints ([`checkpoint`]) and
//! witness cosignatures ([`cosignature`]).

pub mod approval;
pub mod checkpoint;
pub mod cosignature;
pub mod entry;
pub mod head;
pub mod merkle;
pub mod note;
pub mod receipt;

pub use approval::{Approval, ApprovedCandidate, check_approval};
pub use checkpoint::{Checkpoint, log_origin, split_origin};
pub use cosignature::{WitnessKey, cosigned_message};
pub use entry::{Entry, Event};
pub use head::{BoardKey, SignedTreeHead, TreeHead, log_id};
pub use merkle::{MerkleTree, verify_consistency, verify_inclusion};
pub use note::{
    MAX_NOTE_BYTES, Note, NoteError, NoteSignature, SignatureType, VerifierKey, is_valid_key_name,
};
pub use receipt::{Receipt, ReceiptError};
