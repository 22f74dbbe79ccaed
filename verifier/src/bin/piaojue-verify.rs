//! `piaojue-verify`: the independent verifier's command (`spec/verification.md` §7).
#![forbid(unsafe_code)]

use clap::Parser;
use piaojue_verifier::cli::{VerifyArgs, run};

#[derive(Parser)]
#[command(
    name = "piaojue-verify",
    version,
    about = piaojue_verifier::cli::ABOUT
)]
struct Cli {
    #[command(flatten)]
    args: VerifyArgs,
}

fn main() {
    std::process::exit(run(Cli::parse().args));
}
