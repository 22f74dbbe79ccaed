//! The `piaojue` command's library: the in-process election simulation and the command-line
//! front ends. The protocol itself is in `piaojue-crypto`; the verifier in `piaojue-verifier`.
#![forbid(unsafe_code)]

pub mod board_record;
pub mod cli;
pub mod simulate;
pub mod vectors;
pub mod year;
