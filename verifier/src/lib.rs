//! # piaojue-verifier
//!
//! The independent verifier of Piaojue election records. It depends on `piaojue-crypto` only,
//! never on the server: everything it checks comes from the published record
//! (`spec/record.md`), and every step it runs is a numbered step of `spec/verification.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod audit_file;
pub mod before_decrypt;
pub mod board;
#[cfg(feature = "cli")]
pub mod cli;
pub mod diff;
pub mod fuzz_checks;
pub mod limits;
pub mod message;
pub mod outcome;
pub mod progress;
pub mod receipt;
pub mod record_io;
pub mod report;
pub mod share_heads;
pub mod stream;
pub mod verify;
pub mod witnessed;

pub use progress::{NoProgress, Progress};
pub use report::{Lang, Report, ReportKind, Status};
pub use verify::{verify_record, verify_record_summary, verify_record_with};
