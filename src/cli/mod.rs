//! The subcommands of `piaojue` that run a service or talk to one.

pub mod admin;
pub mod client;
pub mod serve;
pub mod teller;
pub mod vote;
