//! `piaojue backup` and `piaojue restore`: a consistent copy of the database while the server
//! runs, and its restore into an empty folder or database, both checked (every election's board
//! against its signed heads). See `piaojue_server::backup` and README §Backups.

use std::path::PathBuf;

use anyhow::Context;
use piaojue_server::backup::{self, SQLITE_FILE};
use piaojue_server::board::verify::Checked;
use piaojue_server::db::Backend;

/// Where the database is: a URL, or the data folder whose `piaojue.db` it is.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub struct Source {
    /// Database: `sqlite:FILE` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// A data folder whose database is the SQLite file `piaojue.db` in it.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl Source {
    fn url(&self) -> String {
        match (&self.database_url, &self.data_dir) {
            (Some(url), _) => url.clone(),
            (None, Some(dir)) => format!("sqlite:{}", dir.join(SQLITE_FILE).display()),
            (None, None) => unreachable!("clap requires one"),
        }
    }
}

/// Options of `piaojue backup`.
#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// The backup file to write (mode 0600; never overwritten).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub source: Source,
}

/// Options of `piaojue restore`.
#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The backup file (`piaojue backup --out`).
    #[arg(long)]
    pub from: PathBuf,
    /// SQLite: the new, empty data folder to restore into (as `piaojue.db`); PostgreSQL:
    /// `--database-url` of an empty database.
    #[command(flatten)]
    pub target: Source,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn report(what: &str, checked: Checked) {
    eprintln!(
        "{what}; 公告板校验通过 / boards verified: {} election(s), {} entries, {} signed heads",
        checked.elections, checked.entries, checked.heads
    );
}

/// Runs `piaojue backup`.
pub fn run_backup(args: BackupArgs) -> anyhow::Result<()> {
    let url = args.source.url();
    let checked = runtime()?
        .block_on(backup::backup(&url, &args.out))
        .with_context(|| format!("backing up into {}", args.out.display()))?;
    if backup::backend_of(&url)? == Backend::Postgres {
        eprintln!(
            "备份已写入 / backup written to {} (pg_dump --format=custom; its boards are checked \
             on restore)",
            args.out.display()
        );
    } else {
        report(
            &format!("备份已写入 / backup written to {}", args.out.display()),
            checked,
        );
    }
    eprintln!(
        "公告板签名密钥不在备份中 / the board's signing key is not in the backup: keep its file \
         (or `piaojue board-key export`) with it"
    );
    Ok(())
}

/// Runs `piaojue restore`.
pub fn run_restore(args: RestoreArgs) -> anyhow::Result<()> {
    let rt = runtime()?;
    match (&args.target.database_url, &args.target.data_dir) {
        (Some(url), _) if backup::backend_of(url)? == Backend::Postgres => {
            let checked = rt
                .block_on(backup::restore_postgres(&args.from, url))
                .with_context(|| format!("restoring {}", args.from.display()))?;
            report("已恢复 / restored", checked);
        }
        (_, Some(dir)) => {
            let (path, checked) = rt
                .block_on(backup::restore_sqlite(&args.from, dir))
                .with_context(|| format!("restoring {}", args.from.display()))?;
            report(
                &format!(
                    "已恢复 / restored: --database-url sqlite:{}",
                    path.display()
                ),
                checked,
            );
        }
        _ => anyhow::bail!(
            "restore a SQLite backup with --data-dir DIR (a new, empty folder), a PostgreSQL \
             one with --database-url postgres://… (an empty database)"
        ),
    }
    Ok(())
}
