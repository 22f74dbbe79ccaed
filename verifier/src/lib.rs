//! # piaojue-verifier
//!
//! The independent verifier of Piaojue election records. It depends on `piaojue-crypto` only,
//! never on the server: everything it checks comes from the published record
//! (`spec/record.md`), and every step it runs is a numbered step of `spec/verification.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod record_io;
pub mod report;
pub mod verify;

pub use report::{Lang, Report, Status};
pub use verify::verify_record;
