//! `piaojue admin`: staff actions against the server (the staff token is in the file
//! `piaojue serve` wrote on first start).

use std::path::PathBuf;

use anyhow::Context;
use serde_json::Value;

use super::client::Client;

/// Options of `piaojue admin`.
#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// File with the staff token.
    #[arg(long, default_value = "piaojue-data/staff-token")]
    pub token_file: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub action: AdminAction,
}

/// Staff actions.
#[derive(clap::Subcommand, Debug)]
pub enum AdminAction {
    /// Shows an election's state and turnout (never who chose what).
    Status {
        /// Election id.
        election: String,
    },
    /// Opens voting (freezes the credential list).
    Open {
        /// Election id.
        election: String,
    },
    /// Closes voting and posts the encrypted tally.
    Close {
        /// Election id.
        election: String,
    },
    /// Publishes the result.
    Publish {
        /// Election id.
        election: String,
    },
}

/// Runs a staff action.
pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let token = std::fs::read_to_string(&args.token_file)
        .with_context(|| format!("reading {}", args.token_file.display()))?;
    let client = Client::new(&args.url, Some(token));
    let (election, verb) = match &args.action {
        AdminAction::Status { election } => (election, None),
        AdminAction::Open { election } => (election, Some("open")),
        AdminAction::Close { election } => (election, Some("close")),
        AdminAction::Publish { election } => (election, Some("publish")),
    };
    if let Some(verb) = verb {
        let answer: Value = client.post_empty(&format!("/api/elections/{election}/{verb}"))?;
        println!("{verb}: board entry {}", answer["index"]);
    }
    let s: Value = client.get(&format!("/api/elections/{election}"))?;
    println!(
        "{} — {}: {} of {} credentials have voted ({} ballots, {} audited); {} board entries",
        s["election_id"].as_str().unwrap_or(""),
        s["state"].as_str().unwrap_or(""),
        s["voted"],
        s["credentials"],
        s["ballots"],
        s["audited"],
        s["log_size"]
    );
    Ok(())
}
