//! The subcommands of `piaojue` that run a service or talk to one.

pub mod admin;
pub mod backup;
pub mod bench;
pub mod board_key;
pub mod board_witnesses;
pub mod ceremony;
pub mod client;
pub mod config;
pub mod demo_downloads;
pub mod keystore;
pub mod man;
pub mod passphrase;
pub mod receipt;
pub mod serve;
pub mod sheets;
pub mod teller;
pub mod vote;
pub mod witness;
pub mod year;
