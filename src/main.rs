//! `piaojue`: the command people run.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use piaojue::simulate::Simulation;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use piaojue_verifier::cli::{VerifyArgs, run};
use piaojue_verifier::{Lang, record_io, verify_record};

#[derive(Parser)]
#[command(
    name = "piaojue",
    version,
    about = "票决 Piaojue — verifiable voting for livelihood-project ballots"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the server's many options does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Runs the ballot server and its bulletin board.
    Serve(piaojue::cli::serve::ServeArgs),
    /// Casts (or audits) a ballot, encrypted on this machine.
    Vote(piaojue::cli::vote::VoteArgs),
    /// 工作人员 / Staff actions: create, tellers, credentials, roll, status, open, close,
    /// publish.
    Admin(piaojue::cli::admin::AdminArgs),
    /// 监票人 / Teller actions: keygen, the key ceremony, the decryption share.
    Teller(piaojue::cli::teller::TellerArgs),
    /// 见证人 / Witness: keygen, vkey, serve (cosigns boards' checkpoints, c2sp.org/tlog-witness).
    Witness(piaojue::cli::witness::WitnessArgs),
    /// 回执 / Checks a ballot's receipt against the board.
    Receipt(piaojue::cli::receipt::ReceiptArgs),
    /// Runs a whole election in this process (key ceremony, voting, tally, decryption),
    /// prints the result, writes the record and verifies it.
    Demo {
        /// Deputies on the roll.
        #[arg(long, default_value_t = 250)]
        deputies: usize,
        /// Candidate projects.
        #[arg(long, default_value_t = 13)]
        candidates: usize,
        /// Seats: at most this many projects are chosen.
        #[arg(long, default_value_t = 10)]
        seats: u32,
        /// Tellers.
        #[arg(long, default_value_t = 5)]
        tellers: u32,
        /// Tellers needed to decrypt.
        #[arg(long, default_value_t = 3)]
        threshold: u32,
        /// Ballots audited (cast-or-audit challenge) before casting.
        #[arg(long, default_value_t = 5)]
        audited: usize,
        /// Folder to write the election record to.
        #[arg(long, default_value = "demo-record")]
        out: PathBuf,
        /// Seed (64 hex digits) for a reproducible run; random if absent.
        #[arg(long)]
        seed: Option<String>,
        /// Language of the report: zh or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Verifies an election record (a folder or a single JSON file), a record downloaded from a
    /// server, a receipt, or two copies of a record: the same as `piaojue-verify`.
    Verify(VerifyArgs),
    /// Benchmarks against a server on this machine: `bench cast` (load generator).
    Bench(piaojue::cli::bench::BenchArgs),
    /// 公告板密钥 / The board's signing key in escrow: export (age-encrypted), import.
    BoardKey(piaojue::cli::board_key::BoardKeyArgs),
    /// 备份 / Backs the database up while the server runs (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump) and checks the copy's boards.
    Backup(piaojue::cli::backup::BackupArgs),
    /// 恢复 / Restores a backup into an empty folder (SQLite) or database (PostgreSQL) and checks
    /// its boards.
    Restore(piaojue::cli::backup::RestoreArgs),
    /// 年度演示 / The demo year against a running server: a county and its townships,
    /// proposals, screening, approvals, every vote, supervision, evaluation.
    Year(piaojue::cli::year::YearArgs),
    /// Writes the manual pages (piaojue.1, piaojue-serve.1, …) into a folder (packaging).
    #[command(hide = true)]
    Man {
        /// The folder (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

fn lang(s: &str) -> anyhow::Result<Lang> {
    match s {
        "zh" | "zh-CN" => Ok(Lang::Zh),
        "en" => Ok(Lang::En),
        other => anyhow::bail!("unknown language {other:?}: use zh or en"),
    }
}

fn main() -> anyhow::Result<()> {
    use piaojue::cli::config;
    // `serve` takes its options from a configuration file and the environment too: the command
    // line is parsed without the options' requirements first, and checked whole once layered.
    let cmd = Cli::command();
    let matches = config::relaxed(cmd.clone(), "serve").get_matches();
    if let Some(("serve", sub)) = matches.subcommand() {
        let serve = cmd.find_subcommand("serve").expect("serve").clone();
        let layered = match config::resolve(&serve, sub, |k| std::env::var_os(k)) {
            Ok(l) => l,
            Err(config::ConfigError::Clap(e)) => e.exit(),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        };
        std::process::exit(piaojue::cli::serve::main(layered)?);
    }
    match Cli::from_arg_matches(&matches)
        .unwrap_or_else(|e| e.exit())
        .command
    {
        Command::Serve(args) => piaojue::cli::serve::run(args)?,
        Command::Vote(args) => piaojue::cli::vote::run(args)?,
        Command::Admin(args) => piaojue::cli::admin::run(args)?,
        Command::Teller(args) => piaojue::cli::teller::run(args)?,
        Command::Witness(args) => piaojue::cli::witness::run(args)?,
        Command::BoardKey(args) => piaojue::cli::board_key::run(args)?,
        Command::Backup(args) => piaojue::cli::backup::run_backup(args)?,
        Command::Restore(args) => piaojue::cli::backup::run_restore(args)?,
        Command::Year(args) => piaojue::cli::year::run_args(args)?,
        Command::Receipt(args) => std::process::exit(piaojue::cli::receipt::run(args)),
        Command::Demo {
            deputies,
            candidates,
            seats,
            tellers,
            threshold,
            audited,
            out,
            seed,
            lang: l,
        } => {
            let lang = lang(&l)?;
            let seed = match seed {
                Some(s) => {
                    piaojue_crypto::encoding::decode_hex_array::<32>(&s).context("--seed")?
                }
                None => rand::random(),
            };
            let manifest = samples::up_to_k_of_n(
                "demo",
                candidates,
                seats,
                TellerParams {
                    n: tellers,
                    t: threshold,
                },
            );
            let sim = Simulation {
                manifest,
                deputies,
                voters: deputies,
                audited,
                decrypting_tellers: (1..=threshold).collect(),
                seed,
            };
            let started = std::time::Instant::now();
            let (record, _) = sim.run()?;
            let elapsed = started.elapsed();
            record_io::write_record_folder(&out, &record)?;
            print_result(&record, lang);
            println!(
                "{} {} ({:.2?}); record: {}",
                match lang {
                    Lang::Zh => "已完成",
                    Lang::En => "done",
                },
                record.ballots.len(),
                elapsed,
                out.display()
            );
            let report = verify_record(&record_io::read_record(&out)?);
            print!("{}", report.render(lang));
            anyhow::ensure!(report.passed(), "the record did not verify");
        }
        Command::Verify(args) => std::process::exit(run(args)),
        Command::Bench(args) => piaojue::cli::bench::run(args)?,
        Command::Man { out } => {
            use clap::CommandFactory;
            for page in piaojue::cli::man::write_pages(Cli::command(), &out)? {
                println!("{}", page.display());
            }
        }
    }
    Ok(())
}

fn print_result(record: &piaojue_crypto::record::ElectionRecord, lang: Lang) {
    let Some(r) = &record.result else { return };
    let m = &record.election.manifest;
    let o = &r.outcome;
    match lang {
        Lang::Zh => println!(
            "{}：应到 {} 人，实投 {} 票，过半数需 {} 票，{}",
            m.title.zh,
            o.roll,
            o.ballots,
            o.majority_threshold,
            if o.quorum_met {
                "有效"
            } else {
                "未达法定人数，无效"
            }
        ),
        Lang::En => println!(
            "{}: roll {}, ballots {}, majority {}, {}",
            m.title.en,
            o.roll,
            o.ballots,
            o.majority_threshold,
            if o.quorum_met {
                "valid"
            } else {
                "quorum NOT met"
            }
        ),
    }
    for p in &o.projects {
        let option = &m.contests[p.contest as usize].options[p.option as usize];
        let name = match lang {
            Lang::Zh => &option.title.zh,
            Lang::En => &option.title.en,
        };
        let mark = match (p.adopted, p.passes, lang) {
            (true, _, Lang::Zh) => "当选",
            (true, _, Lang::En) => "adopted",
            (false, true, Lang::Zh) => "过半未入选",
            (false, true, Lang::En) => "passed, not adopted",
            (false, false, Lang::Zh) => "未过半",
            (false, false, Lang::En) => "did not pass",
        };
        println!("  {:>4}  {:<6} {}", p.yes, mark, name);
    }
    if let Some(t) = &o.tie {
        match lang {
            Lang::Zh => println!(
                "  边界同票：{} 个项目争 {} 个名额，需重新投票",
                t.projects.len(),
                t.seats_left
            ),
            Lang::En => println!(
                "  tie at the boundary: {} projects for {} seats, re-vote needed",
                t.projects.len(),
                t.seats_left
            ),
        }
    }
}
