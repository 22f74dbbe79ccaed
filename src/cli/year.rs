//! `piaojue year`: the demo year (`crate::year`) against a running server — one county, its
//! townships, their proposals, screening, approvals, every vote, supervision and evaluation.

use std::path::PathBuf;

use anyhow::Context;

use super::admin::token;
use super::client::Client;
use crate::year::{Api, YearConfig, run};

/// Options of `piaojue year`.
#[derive(clap::Args, Debug)]
pub struct YearArgs {
    /// 服务器 / The server (start it with a high `--proposal-limit`: all proposals come from
    /// this one address).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// 工作人员令牌文件 / File with the staff token [default: the variable
    /// PIAOJUE_STAFF_TOKEN, else piaojue-data/staff-token].
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// The year of the votes.
    #[arg(long, default_value_t = 2027)]
    pub year: i64,
    /// Township congresses (at most 20).
    #[arg(long, default_value_t = 15)]
    pub townships: usize,
    /// Proposals over all congresses.
    #[arg(long, default_value_t = 200)]
    pub proposals: usize,
    /// Deputies of the county congress.
    #[arg(long, default_value_t = 280)]
    pub county_deputies: u32,
    /// Percent of the deputies who vote.
    #[arg(long, default_value_t = 85)]
    pub turnout: u32,
    /// Stop after the approvals: every vote stays in draft, for people to run.
    #[arg(long)]
    pub no_votes: bool,
    /// No evaluation votes.
    #[arg(long)]
    pub no_evaluation: bool,
    /// Do not verify the records at the end.
    #[arg(long)]
    pub no_verify: bool,
    /// Seed of the choices.
    #[arg(long, default_value_t = 2027)]
    pub seed: u64,
    /// Folder for the deputy codes (demo only: they are secret).
    #[arg(long, default_value = "piaojue-data/year-demo")]
    pub out: PathBuf,
}

/// Runs the demo year.
pub fn run_args(args: YearArgs) -> anyhow::Result<()> {
    let token = token(args.token_file.as_deref())?;
    let api = Api {
        staff: Client::new(&args.url, Some(token)),
        public: Client::new(&args.url, None),
    };
    let cfg = YearConfig {
        year: args.year,
        townships: args.townships,
        proposals: args.proposals,
        county_deputies: args.county_deputies,
        turnout_percent: args.turnout.clamp(1, 100),
        votes: !args.no_votes,
        evaluation: !args.no_evaluation && !args.no_votes,
        verify: !args.no_verify && !args.no_votes,
        seed: args.seed,
        ..YearConfig::default()
    };
    let report = run(&api, &cfg, &|s| eprintln!("· {s}"))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut codes = String::new();
    for c in &report.congresses {
        for (n, code) in &report.deputy_codes[c] {
            codes.push_str(&format!("{c}\t{n}\t{code}\n"));
        }
    }
    let file = args.out.join("deputy-codes.tsv");
    std::fs::write(&file, codes).with_context(|| format!("writing {}", file.display()))?;
    println!(
        "{} congresses, {} proposals, {} elections ({} re-votes), {} ballots, {} adopted projects, {} records verified",
        report.congresses.len(),
        report.proposals.len(),
        report.elections.len(),
        report.revotes.len(),
        report.ballots,
        report.adopted.len(),
        report.verified.len()
    );
    for (phase, d) in &report.timings {
        println!("  {phase}: {:.1} s", d.as_secs_f64());
    }
    println!(
        "年度计划 / year plan: {}/plan?year={}   deputy codes (secret, demo only): {}",
        args.url.trim_end_matches('/'),
        args.year,
        file.display()
    );
    Ok(())
}
