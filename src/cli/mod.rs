//! The subcommands of `piaojue` that run a service or talk to one.

pub mod serve;
