//! The command line of the verifier (`spec/verification.md` §7): `piaojue-verify …` and the
//! same arguments under `piaojue verify …`.
//!
//! ```text
//! piaojue-verify [--lang zh|en] [--json] [--quiet] record <folder-or-file> [--board-key <base64url>]
//! piaojue-verify … url <server-url> <election-id> [--save <file>] [--board-key <base64url>]
//! piaojue-verify … receipt <receipt.json> (--url <server-url> | --record <record>) [--board-key <base64url>]
//! piaojue-verify … diff <old-record> <new-record>
//! piaojue-verify … audit <audit-file.json> (--url <server-url> --election <id> | --record <record>)
//! piaojue-verify … <folder-or-file>                 (the same as `record`)
//! ```
//!
//! Exit status: 0 when every check passed, 1 when one failed or the input could not be read or
//! downloaded, 2 for a command-line error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use piaojue_crypto::ballot::AuditedBallot;
use piaojue_crypto::board::{Receipt, SignedTreeHead};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::encoding::decode_base64_array;
use piaojue_crypto::record::ElectionRecord;
use serde::Deserialize;

use crate::audit_file::check_audit_file;
use crate::board::pin_board_key;
use crate::diff::diff_records;
use crate::limits::{MAX_AUDIT_FILE, MAX_RECEIPT};
use crate::message::{KeyOrigin, Text};
use crate::progress::Progress;
use crate::receipt::{BoardSource, ConsistencyProof, InclusionProof, LogSource, check_receipt};
use crate::record_io::RecordForm;
use crate::report::{Lang, Report, cut, escape, quote};
use crate::stream::{verify_board_folder_info, verify_log};
use crate::witnessed::WitnessView;
use crate::{record_io, verify_record_with};

/// Stages with at least this many items get a progress bar.
pub const PROGRESS_MIN_ITEMS: u64 = 3_000;

/// What `piaojue-verify` is, in its help and its manual page.
pub const ABOUT: &str =
    "票决 Piaojue — independent verifier of election records, receipts and board logs";

// Arguments of `piaojue-verify` and `piaojue verify`. Not a doc comment: clap would make a
// flattened struct's doc comment the about of the command it is flattened into, in place of
// the program's own (`piaojue-verify --help`, tests/verifier_cli.rs).
#[allow(missing_docs)]
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// What to check.
    #[command(subcommand)]
    pub command: Option<VerifyCommand>,
    /// A record to verify (folder or single file): the same as `record <RECORD>`. A first word
    /// that names a subcommand is the subcommand; write `./record` for a folder called
    /// `record`.
    #[arg(value_name = "RECORD")]
    pub record: Option<PathBuf>,
    /// How to show the result.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Output options, accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Language of the readable report: zh (中文, the default) or en.
    #[arg(long, global = true, default_value = "zh", value_parser = parse_lang)]
    pub lang: Lang,
    /// Print the report as JSON instead.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bar.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The checks.
#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Verifies an election record: a folder or a single JSON file (steps V1–V11).
    Record {
        /// The record.
        path: PathBuf,
        /// The board's public key (43 base64url characters), as published by the election's
        /// organisers: the record's board key must be it (V7). Without it the report notes that
        /// the key was not pinned.
        #[arg(long, value_name = "BASE64URL", allow_hyphen_values = true)]
        board_key: Option<String>,
        /// A witness of the election to ask directly (its URL, as the manifest names it):
        /// what it last cosigned must be a prefix of the record's log (V7.11). Repeat for each.
        #[arg(long = "witness", value_name = "URL")]
        witnesses: Vec<String>,
    },
    /// Downloads an election's record from a server, then verifies it offline.
    Url {
        /// The server, e.g. https://piaojue.example.gov.cn
        server: String,
        /// The election id.
        election_id: String,
        /// Also save the downloaded record (single-file form) here.
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        /// The board's public key (43 base64url characters), as published by the election's
        /// organisers: the record's board key must be it (V7). Without it the report notes that
        /// the key was not pinned.
        #[arg(long, value_name = "BASE64URL", allow_hyphen_values = true)]
        board_key: Option<String>,
        /// A witness of the election to ask directly (its URL, as the manifest names it):
        /// what it last cosigned must be a prefix of the record's log (V7.11). Repeat for each.
        #[arg(long = "witness", value_name = "URL")]
        witnesses: Vec<String>,
    },
    /// Checks a receipt: is my ballot on the board, and does the board now extend the log my
    /// receipt was signed for? (steps R1–R4)
    Receipt {
        /// The receipt (JSON).
        receipt: PathBuf,
        /// The board's server.
        #[arg(long, required_unless_present = "record", conflicts_with = "record")]
        url: Option<String>,
        /// Check against a downloaded record's board log instead of a server.
        #[arg(long, value_name = "RECORD")]
        record: Option<PathBuf>,
        /// The board's public key (43 base64url characters), as published by the election's organisers.
        /// Without it the key is taken from the server (or the record), which proves less.
        #[arg(long, value_name = "BASE64URL", allow_hyphen_values = true)]
        board_key: Option<String>,
    },
    /// Checks an audit file (the booth's "audit this ballot"): the device encrypted exactly the
    /// revealed choices, for this election, and the board shows the ballot as audited
    /// (steps A1–A4).
    Audit {
        /// The audit file (JSON `{ ballot, opening }`).
        file: PathBuf,
        /// The board's server (the election's record is downloaded from it).
        #[arg(
            long,
            required_unless_present = "record",
            conflicts_with = "record",
            requires = "election"
        )]
        url: Option<String>,
        /// The election id (with --url).
        #[arg(long, value_name = "ID")]
        election: Option<String>,
        /// Check against a downloaded record instead of a server.
        #[arg(long, value_name = "RECORD")]
        record: Option<PathBuf>,
    },
    /// Compares an older and a newer copy of a record: nothing removed or changed, only
    /// appended (steps D1–D5).
    Diff {
        /// The older record.
        old: PathBuf,
        /// The newer record.
        new: PathBuf,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    match s {
        "zh" | "zh-CN" | "zh-Hans" => Ok(Lang::Zh),
        "en" => Ok(Lang::En),
        other => Err(format!("unknown language {}: use zh or en", quote(other))),
    }
}

/// Runs the command and returns the exit status (0 passed, 1 failed or unreadable, 2 usage).
pub fn run(args: VerifyArgs) -> i32 {
    let out = args.output.clone();
    let command = match (args.command, args.record) {
        (Some(c), _) => c,
        (None, Some(path)) => VerifyCommand::Record {
            path,
            board_key: None,
            witnesses: Vec::new(),
        },
        (None, None) => {
            eprintln!(
                "error: say what to verify: a record path, or one of record, url, receipt, audit, diff (see --help)"
            );
            return 2;
        }
    };
    match execute(command, &out) {
        Ok(report) => {
            if out.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("reports serialize")
                );
            } else {
                print!("{}", report.render(out.lang));
            }
            if report.passed() { 0 } else { 1 }
        }
        Err(e) => {
            let msg = match out.lang {
                Lang::Zh => "无法验证",
                Lang::En => "cannot verify",
            };
            // The chain may quote the record (a decoder's message, cut already): escaped.
            eprintln!("{msg}: {}", escape(&format!("{e:#}")));
            1
        }
    }
}

fn execute(command: VerifyCommand, out: &OutputArgs) -> anyhow::Result<Report> {
    let progress = Bar::new(out.quiet);
    match command {
        VerifyCommand::Record {
            path,
            board_key,
            witnesses,
        } => {
            let pinned = board_key.as_deref().map(parse_board_key).transpose()?;
            let (mut report, key) = verify_path(&path, &progress)?;
            pin_board_key(&mut report, key.as_ref(), pinned.as_ref());
            if !witnesses.is_empty() {
                ask_witnesses(&mut report, &read(&path)?, &witnesses);
            }
            Ok(report)
        }
        VerifyCommand::Url {
            server,
            election_id,
            save,
            board_key,
            witnesses,
        } => {
            let pinned = board_key.as_deref().map(parse_board_key).transpose()?;
            let http = Http::new(&server)?;
            let record = http.record(&election_id, save.as_deref())?;
            ensure!(
                record.election.manifest.election_id == election_id,
                "the server sent the record of election {}, not {}",
                quote(&record.election.manifest.election_id),
                quote(&election_id)
            );
            let mut report = verify_record_with(&record, &progress);
            let key = record.board.as_ref().map(|b| b.info.board_key);
            pin_board_key(&mut report, key.as_ref(), pinned.as_ref());
            if !witnesses.is_empty() {
                ask_witnesses(&mut report, &record, &witnesses);
            }
            Ok(report)
        }
        VerifyCommand::Receipt {
            receipt,
            url,
            record,
            board_key,
        } => {
            let receipt: Receipt = read_json(&receipt, MAX_RECEIPT, "a receipt")?;
            let given = board_key.as_deref().map(parse_board_key).transpose()?;
            match (url, record) {
                (Some(url), _) => {
                    let http = Http::new(&url)?;
                    let (key, origin) = match given {
                        Some(k) => (k, KeyOrigin::Given),
                        None => (http.board_key(&receipt.election_id)?, KeyOrigin::Server),
                    };
                    Ok(check_receipt(&receipt, &key, origin, &http))
                }
                (None, Some(path)) => {
                    let record = read(&path)?;
                    let board = record
                        .board
                        .as_ref()
                        .with_context(|| format!("{} has no board log", path.display()))?;
                    let (key, origin) = match given {
                        Some(k) => (k, KeyOrigin::Given),
                        None => (board.info.board_key, KeyOrigin::Record),
                    };
                    Ok(check_receipt(&receipt, &key, origin, &LogSource(board)))
                }
                (None, None) => bail!("give --url or --record"),
            }
        }
        VerifyCommand::Diff { old, new } => Ok(diff_records(&read(&old)?, &read(&new)?)),
        VerifyCommand::Audit {
            file,
            url,
            election,
            record,
        } => {
            let audited: AuditedBallot = read_json(&file, MAX_AUDIT_FILE, "an audit file")?;
            let record = match (url, election, record) {
                (Some(url), Some(id), _) => Http::new(&url)?.record(&id, None)?,
                (None, _, Some(path)) => read(&path)?,
                _ => bail!("give --url and --election, or --record"),
            };
            // The manifest, the key ceremony and the fingerprint (V1, V2, V4) give the key the
            // ballot was encrypted under; the other set-up steps are the record check's.
            let ctx = crate::verify::verify_election(&record.election, &mut Report::default())
                .context(
                    "the election's set-up (steps V1, V2, V4) does not verify: run the record check",
                )?;
            Ok(check_audit_file(&audited, &record, &ctx))
        }
    }
}

/// `record`: verifies the record at `path` in any form (a board-form folder or file streamed),
/// answering the report and the record's board key (`None` without a board part).
fn verify_path(path: &Path, progress: &Bar) -> anyhow::Result<(Report, Option<CredentialKey>)> {
    let reading = || format!("reading {}", path.display());
    Ok(match record_io::record_form(path) {
        // The log is the record: streamed, each entry read and decoded once.
        RecordForm::BoardFolder => {
            let (report, info) = verify_board_folder_info(path, progress).with_context(reading)?;
            (report, Some(info.board_key))
        }
        RecordForm::File => match record_io::read_board_file(path).with_context(reading)? {
            Some(board) => {
                let key = board.info.board_key;
                let entries = board.entries.into_iter().map(Ok);
                let report = verify_log(
                    &board.info,
                    &board.tree_heads,
                    &board.cosignatures,
                    entries,
                    progress,
                );
                (report, Some(key))
            }
            None => {
                let record = read(path)?;
                let key = record.board.as_ref().map(|b| b.info.board_key);
                (verify_record_with(&record, progress), key)
            }
        },
        RecordForm::Folder => {
            let record = read(path)?;
            let key = record.board.as_ref().map(|b| b.info.board_key);
            (verify_record_with(&record, progress), key)
        }
    })
}

/// V7.11 (`--witness URL`): asks each witness for the latest checkpoint of the record's log it
/// cosigned, and checks it is a prefix of the record's log; failures go to V7, and its summary
/// says how many agree. A record without a board part fails V7 (there is no log to compare).
fn ask_witnesses(report: &mut Report, record: &ElectionRecord, urls: &[String]) {
    let Some(board) = &record.board else {
        report.fail(crate::report::steps::BOARD, Text::NoBoardLog);
        return;
    };
    let manifest = &record.election.manifest;
    let path = crate::witnessed::checkpoint_path(&manifest.board.origin);
    let views: Vec<WitnessView> = urls
        .iter()
        .map(|url| WitnessView {
            url: url.clone(),
            answer: Http::new(url)
                .and_then(|w| w.bytes(&path))
                .map_err(|e| format!("{e:#}")),
        })
        .collect();
    let tree = crate::board::merkle_tree(&board.entries);
    let (failures, summary) = crate::witnessed::check_witness_views(
        manifest,
        board.entries.len() as u64,
        |size| tree.root_at(size),
        &views,
    );
    report.add_summary(crate::report::steps::BOARD, summary);
    for f in failures {
        report.fail(crate::report::steps::BOARD, f);
    }
}

/// A board key given on the command line (`--board-key`): the base64url text of a valid
/// credential key.
fn parse_board_key(text: &str) -> anyhow::Result<CredentialKey> {
    let bytes = decode_base64_array::<32>(text.trim()).context("--board-key")?;
    CredentialKey::decode(&bytes).context("--board-key")
}

/// A small JSON file (a receipt, an audit file) of at most `limit` bytes, decoded strictly;
/// `what` names it in the error.
fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    limit: u64,
    what: &str,
) -> anyhow::Result<T> {
    let text = record_io::read_text(path, limit)?;
    piaojue_crypto::json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not {what}: {}", path.display(), cut(e.to_string())))
}

fn read(path: &Path) -> anyhow::Result<ElectionRecord> {
    record_io::read_record(path).with_context(|| format!("reading {}", path.display()))
}

/// A progress bar on stderr, only when stderr is a terminal and not `--quiet`.
struct Bar {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        Bar {
            enabled: !quiet && std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }
    fn current(&self) -> Option<ProgressBar> {
        self.bar.lock().ok()?.clone()
    }
}

impl Progress for Bar {
    fn begin(&self, what: &'static str, total: u64) {
        if !self.enabled || total < PROGRESS_MIN_ITEMS {
            return;
        }
        let bar = ProgressBar::new(total).with_message(what);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>14} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }
    fn advance(&self, n: u64) {
        if let Some(b) = self.current() {
            b.inc(n);
        }
    }
    fn end(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some(b) = b.take()
        {
            b.finish_and_clear();
        }
    }
}

/// The election ids the protocol allows (`spec/protocol.md` §6.1), so that an id is safe in
/// a URL path.
fn check_election_id(id: &str) -> anyhow::Result<()> {
    ensure!(
        !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
        "{} is not an election id (1–64 of a-z, 0-9, '-', '_')",
        quote(id)
    );
    Ok(())
}

/// The board server's public API, as the verifier uses it (`spec/record.md` §9.6).
pub struct Http {
    agent: ureq::Agent,
    base: String,
}

#[derive(Deserialize)]
struct BoardKeyAnswer {
    board_key: CredentialKey,
    /// Every key with the elections it signs (a server that rotated its key, `spec/api.md`).
    #[serde(default)]
    keys: Vec<BoardKeyOf>,
}

#[derive(Deserialize)]
struct BoardKeyOf {
    board_key: CredentialKey,
    elections: Vec<String>,
}

/// Largest download accepted: 8 GiB.
const MAX_DOWNLOAD: u64 = 8 << 30;

impl Http {
    /// A client for the server at `base` (`http://…` or `https://…`).
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let base = base.trim().trim_end_matches('/').to_string();
        ensure!(
            base.starts_with("http://") || base.starts_with("https://"),
            "{} is not an http:// or https:// URL",
            quote(&base)
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_per_read(Some(Duration::from_secs(120)))
            .user_agent(concat!("piaojue-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Http { agent, base })
    }

    fn get(&self, path: &str) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
        let url = format!("{}{path}", self.base);
        self.agent
            .get(&url)
            .call()
            .with_context(|| format!("GET {url}"))
    }

    fn bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        let mut r = self.get(path)?;
        r.body_mut()
            .with_config()
            .limit(MAX_DOWNLOAD)
            .read_to_vec()
            .with_context(|| format!("reading {}{path}", self.base))
    }

    fn json<T: serde::de::DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let bytes = self.bytes(path)?;
        piaojue_crypto::json::from_slice(&bytes)
            .with_context(|| format!("{}{path} did not answer what the API says", self.base))
    }

    /// `GET /api/board-key`: the key that signs `election_id` (the key listed with it in
    /// `keys`; else `board_key`, the key of new elections).
    pub fn board_key(&self, election_id: &str) -> anyhow::Result<CredentialKey> {
        let answer = self.json::<BoardKeyAnswer>("/api/board-key")?;
        Ok(answer
            .keys
            .iter()
            .find(|k| k.elections.iter().any(|e| e == election_id))
            .map_or(answer.board_key, |k| k.board_key))
    }

    /// `GET /api/elections/{id}/record`, saved to `save` if given.
    pub fn record(&self, id: &str, save: Option<&Path>) -> anyhow::Result<ElectionRecord> {
        check_election_id(id)?;
        let path = format!("/api/elections/{id}/record");
        match save {
            Some(file) => {
                let mut r = self.get(&path)?;
                let mut w = std::fs::File::create(file)
                    .with_context(|| format!("creating {}", file.display()))?;
                std::io::copy(&mut r.body_mut().as_reader(), &mut w)
                    .with_context(|| format!("downloading into {}", file.display()))?;
                read(file)
            }
            None => piaojue_crypto::json::from_slice(&self.bytes(&path)?)
                .with_context(|| format!("the record at {}{path} does not decode", self.base)),
        }
    }
}

impl BoardSource for Http {
    fn entry(&self, election_id: &str, index: u64) -> Result<Vec<u8>, String> {
        check_election_id(election_id).map_err(|e| e.to_string())?;
        self.bytes(&format!(
            "/api/elections/{election_id}/board/entries/{index}"
        ))
        .map_err(|e| format!("{e:#}"))
    }
    fn head(&self, election_id: &str) -> Result<SignedTreeHead, String> {
        check_election_id(election_id).map_err(|e| e.to_string())?;
        self.json(&format!("/api/elections/{election_id}/board/head"))
            .map_err(|e| format!("{e:#}"))
    }
    fn consistency(
        &self,
        election_id: &str,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof, String> {
        check_election_id(election_id).map_err(|e| e.to_string())?;
        self.json(&format!(
            "/api/elections/{election_id}/board/consistency?old={old}&new={new}"
        ))
        .map_err(|e| format!("{e:#}"))
    }
    fn inclusion(
        &self,
        election_id: &str,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, String> {
        check_election_id(election_id).map_err(|e| e.to_string())?;
        self.json(&format!(
            "/api/elections/{election_id}/board/inclusion?index={index}&size={size}"
        ))
        .map_err(|e| format!("{e:#}"))
    }
    fn cosigned_checkpoint(&self, election_id: &str) -> Result<Vec<u8>, String> {
        check_election_id(election_id).map_err(|e| e.to_string())?;
        self.bytes(&format!("/api/elections/{election_id}/board/checkpoint"))
            .map_err(|e| format!("{e:#}"))
    }
}
