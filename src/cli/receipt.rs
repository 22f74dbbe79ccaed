//! `piaojue receipt check`: a deputy checks a saved receipt against the board (steps R1–R4 of
//! `spec/verification.md` §7.4). The same checks as `piaojue verify receipt`, which stays.

use std::path::PathBuf;

use piaojue_verifier::cli::{OutputArgs, VerifyArgs, VerifyCommand};

/// Options of `piaojue receipt`.
#[derive(clap::Args, Debug)]
pub struct ReceiptArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ReceiptAction,
}

/// Receipt actions.
#[derive(clap::Subcommand, Debug)]
pub enum ReceiptAction {
    /// 核对回执 / Checks a receipt: signed by the board, my ballot included in the signed log,
    /// and the board's current log extends it (R1–R4). Exit status 0 passed, 1 failed.
    Check {
        /// The receipt (JSON) saved by `piaojue vote` or the voting page.
        receipt: PathBuf,
        /// 服务器 / The board's server.
        #[arg(
            long,
            default_value = "http://127.0.0.1:8080",
            conflicts_with = "record"
        )]
        url: String,
        /// Check against a downloaded record's board log instead of a server.
        #[arg(long, value_name = "RECORD")]
        record: Option<PathBuf>,
        /// The board's public key (43 base64url characters) as published by the organisers; without it
        /// the key is taken from the server or the record, which proves less.
        #[arg(long, value_name = "BASE64URL", allow_hyphen_values = true)]
        board_key: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Runs the check and returns the exit status.
pub fn run(args: ReceiptArgs) -> i32 {
    match args.action {
        ReceiptAction::Check {
            receipt,
            url,
            record,
            board_key,
            output,
        } => piaojue_verifier::cli::run(VerifyArgs {
            command: Some(VerifyCommand::Receipt {
                receipt,
                url: record.is_none().then_some(url),
                record,
                board_key,
            }),
            record: None,
            output,
        }),
    }
}
