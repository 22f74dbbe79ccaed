//! `piaojue receipt check`: a deputy checks a saved receipt against the board (steps R1–R4 of
//! `spec/verification.md` §7.4). The same checks as `piaojue verify receipt`, which stays.
//! `piaojue receipt find`: the receipt of a tracking code as the deputy wrote it down (the
//! full code or its short form, `spec/protocol.md` §8.4) fetched from the board, refused unless
//! it is for that code, saved, then checked the same way.

use std::path::{Path, PathBuf};

use piaojue_crypto::board::Receipt;
use piaojue_crypto::tracking::{ShortTrackingCode, TrackingCodeText};
use piaojue_verifier::cli::{OutputArgs, VerifyArgs, VerifyCommand};

use super::client::Client;

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
    /// 查找回执 / Fetches the receipt of a tracking code (the 16 characters of its short form,
    /// e.g. 7K3M-Q9PX-2D4F-8B1C, any case, or the full 43-character code) from the board,
    /// refuses one for another code, saves it and checks it (R1–R4). Exit status 0 passed,
    /// 1 failed or not found, 2 not a tracking code.
    Find {
        /// 跟踪码 / The tracking code, in either form.
        #[arg(allow_hyphen_values = true)]
        code: String,
        /// 选举编号 / The election.
        #[arg(long)]
        election: String,
        /// 服务器 / The board's server.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Where to save the receipt (default: receipt-<short form>.json here).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The board's public key (43 base64url characters) as published by the organisers.
        #[arg(long, value_name = "BASE64URL", allow_hyphen_values = true)]
        board_key: Option<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// Checks a saved receipt (R1–R4) through the verifier.
fn check(
    receipt: PathBuf,
    url: Option<String>,
    record: Option<PathBuf>,
    board_key: Option<String>,
    output: OutputArgs,
) -> i32 {
    piaojue_verifier::cli::run(VerifyArgs {
        command: Some(VerifyCommand::Receipt {
            receipt,
            url,
            record,
            board_key,
        }),
        record: None,
        output,
    })
}

/// Fetches the receipt of `typed` and keeps it only if it is for that code and election.
fn fetch(client: &Client, election: &str, typed: &TrackingCodeText) -> anyhow::Result<Receipt> {
    let query = match typed {
        TrackingCodeText::Full(code) => code.to_string(),
        TrackingCodeText::Short(short) => short.to_string(),
    };
    let receipt: Receipt = client.get(&format!("/api/elections/{election}/receipts/{query}"))?;
    if receipt.election_id != election || !typed.matches(&receipt.tracking_code) {
        anyhow::bail!(
            "服务器返回的回执属于另一张选票 / the server answered with the receipt of another ballot ({} of {}), not {query}",
            receipt.tracking_code,
            receipt.election_id
        );
    }
    Ok(receipt)
}

fn save(receipt: &Receipt, path: &Path) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(receipt)?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
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
        } => check(
            receipt,
            record.is_none().then_some(url),
            record,
            board_key,
            output,
        ),
        ReceiptAction::Find {
            code,
            election,
            url,
            out,
            board_key,
            output,
        } => {
            let typed = match TrackingCodeText::parse(&code) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("跟踪码格式不对 / not a tracking code: {e}");
                    return 2;
                }
            };
            let receipt = match fetch(&Client::new(&url, None), &election, &typed) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{e:#}");
                    return 1;
                }
            };
            let short = ShortTrackingCode::of(&receipt.tracking_code);
            let path = out.unwrap_or_else(|| PathBuf::from(format!("receipt-{short}.json")));
            if let Err(e) = save(&receipt, &path) {
                eprintln!("{e:#}");
                return 1;
            }
            eprintln!(
                "跟踪码 / tracking code: {short} (完整 / full: {}); 回执已保存 / receipt saved: {}",
                receipt.tracking_code,
                path.display()
            );
            check(path, Some(url), None, board_key, output)
        }
    }
}
