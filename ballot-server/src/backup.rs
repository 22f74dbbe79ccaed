//! Backups of the database while the server runs, and their restore (issue 17,
//! `piaojue backup` / `piaojue restore`, README §Backups).
//!
//! * SQLite: `VACUUM INTO` a new file (mode 0600): one read transaction, so a consistent
//!   snapshot of a committed state while the server goes on writing (WAL mode). Restore copies
//!   the file into an empty folder.
//! * PostgreSQL: `pg_dump --format=custom` (a consistent snapshot too) into a new file (mode
//!   0600); restore runs `pg_restore` into an empty database.
//!
//! Both check their result: the copy opens, its schema is not newer than this build's, and
//! every election's board matches its signed heads under the board key the database records for
//! it ([`crate::board::verify`]). The board's signing key is not in the database: keep it (or its
//! escrow copy, `piaojue board-key export`) beside the backups.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::board::verify::{self, BoardCheckError, Checked};
use crate::db::Backend;

/// The database file's name in a data folder that `--data-dir` names.
pub const SQLITE_FILE: &str = "piaojue.db";

/// Why a backup or a restore failed (nothing is left behind half-written).
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The output exists: a backup never overwrites one.
    #[error("{0} exists already: refusing to overwrite it")]
    Exists(PathBuf),
    /// The restore's target holds something already.
    #[error("{0} is not empty: restore into an empty folder or database")]
    NotEmpty(String),
    /// The input is not a backup of this kind.
    #[error("{0} is not a piaojue backup: {1}")]
    NotABackup(PathBuf, String),
    /// The database URL is neither SQLite nor PostgreSQL.
    #[error("unsupported database URL {0:?}: use sqlite:FILE or postgres://…")]
    Url(String),
    /// A file.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// `pg_dump` or `pg_restore` failed.
    #[error("{0} failed: {1}")]
    Tool(&'static str, String),
    /// The database.
    #[error("the database: {0}")]
    Database(#[from] sqlx::Error),
    /// The copy's board does not verify.
    #[error("the copy does not verify: {0}")]
    Board(#[from] BoardCheckError),
}

/// The backend of a database URL.
pub fn backend_of(url: &str) -> Result<Backend, BackupError> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else {
        Err(BackupError::Url(url.to_string()))
    }
}

/// The file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    PathBuf::from(path.split('?').next().unwrap_or_default())
}

/// Creates `path` empty with mode 0600, refusing an existing file.
fn create_private(path: &Path) -> Result<std::fs::File, BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => BackupError::Exists(path.to_path_buf()),
        _ => BackupError::Io(path.to_path_buf(), e),
    })
}

/// Syncs `path`'s contents and its folder's entry for it.
fn sync(path: &Path) -> Result<(), BackupError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| BackupError::Io(p, e)
    };
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

/// A pool on a SQLite file, read-only: checking a copy writes nothing to it.
async fn open_sqlite_read_only(path: &Path) -> Result<AnyPool, BackupError> {
    install_default_drivers();
    let url = format!("sqlite:{}?mode=ro", path.display());
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA busy_timeout = 30000;").await?;
                Ok(())
            })
        })
        .connect_with(AnyConnectOptions::from_str(&url)?)
        .await?;
    Ok(pool)
}

/// Backs the database of `url` up into the new file `out` (see the module documentation);
/// returns what the check of the copy found. On failure `out` is removed.
pub async fn backup(url: &str, out: &Path) -> Result<Checked, BackupError> {
    let backend = backend_of(url)?;
    create_private(out)?;
    let result = match backend {
        Backend::Sqlite => backup_sqlite(url, out).await,
        Backend::Postgres => backup_postgres(url, out),
    };
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    result
}

async fn backup_sqlite(url: &str, out: &Path) -> Result<Checked, BackupError> {
    let source = sqlite_path(url);
    if !source.is_file() {
        return Err(BackupError::Io(
            source,
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let pool = open_sqlite_read_only(&source).await?;
    // The file's name is bound, not spliced into the SQL.
    sqlx::query("VACUUM INTO $1")
        .bind(out.to_string_lossy().into_owned())
        .execute(&pool)
        .await?;
    pool.close().await;
    sync(out)?;
    check_sqlite(out).await
}

/// Checks a SQLite copy: it opens, passes SQLite's quick check, and its boards verify.
pub async fn check_sqlite(path: &Path) -> Result<Checked, BackupError> {
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .map_err(|e| BackupError::NotABackup(path.to_path_buf(), e.to_string()));
    if read.is_err() || &head != b"SQLite format 3\0" {
        return Err(BackupError::NotABackup(
            path.to_path_buf(),
            "not a SQLite database file".into(),
        ));
    }
    let pool = open_sqlite_read_only(path).await?;
    let result = check_pool(&pool, Backend::Sqlite).await;
    pool.close().await;
    result
}

async fn check_pool(pool: &AnyPool, backend: Backend) -> Result<Checked, BackupError> {
    if backend == Backend::Sqlite {
        let quick: String = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_one(pool)
            .await?;
        if quick != "ok" {
            return Err(BackupError::Database(sqlx::Error::Protocol(format!(
                "SQLite's quick check: {quick}"
            ))));
        }
    }
    if crate::db::applied_version(pool, backend).await?.is_none() {
        return Err(BackupError::Database(sqlx::Error::Protocol(
            "no piaojue schema in it".into(),
        )));
    }
    Ok(verify::verify_all(pool).await?)
}

fn backup_postgres(url: &str, out: &Path) -> Result<Checked, BackupError> {
    run_tool(
        Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--file")
            .arg(out)
            .arg("--dbname")
            .arg(url),
        "pg_dump",
    )?;
    sync(out)?;
    // The dump is checked by listing it; its boards are checked when it is restored.
    run_tool(
        Command::new("pg_restore").arg("--list").arg(out),
        "pg_restore --list",
    )?;
    Ok(Checked::default())
}

fn run_tool(cmd: &mut Command, name: &'static str) -> Result<(), BackupError> {
    let output = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| BackupError::Tool(name, e.to_string()))?;
    if !output.status.success() {
        return Err(BackupError::Tool(
            name,
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    Ok(())
}

/// Restores the SQLite backup `from` into the empty (or new) folder `dir`, as
/// `dir/piaojue.db` (mode 0600), and checks it. Returns the database's path.
pub async fn restore_sqlite(from: &Path, dir: &Path) -> Result<(PathBuf, Checked), BackupError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| BackupError::Io(p, e)
    };
    check_sqlite(from).await?;
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(dir.display().to_string()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(io(dir))?;
        }
        Err(e) => return Err(BackupError::Io(dir.to_path_buf(), e)),
    }
    let target = dir.join(SQLITE_FILE);
    let result = (|| {
        let mut out = create_private(&target)?;
        let mut input = std::fs::File::open(from).map_err(io(from))?;
        std::io::copy(&mut input, &mut out).map_err(io(&target))?;
        sync(&target)
    })();
    let checked = match result {
        Ok(()) => check_sqlite(&target).await,
        Err(e) => Err(e),
    };
    match checked {
        Ok(c) => Ok((target, c)),
        Err(e) => {
            let _ = std::fs::remove_file(&target);
            Err(e)
        }
    }
}

/// Restores the PostgreSQL backup `from` (`pg_dump --format=custom`) into the empty database of
/// `url`, in one transaction, and checks it.
pub async fn restore_postgres(from: &Path, url: &str) -> Result<Checked, BackupError> {
    if backend_of(url)? != Backend::Postgres {
        return Err(BackupError::Url(url.to_string()));
    }
    run_tool(
        Command::new("pg_restore").arg("--list").arg(from),
        "pg_restore --list",
    )
    .map_err(|e| BackupError::NotABackup(from.to_path_buf(), e.to_string()))?;
    install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect_with(AnyConnectOptions::from_str(url)?)
        .await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&pool)
    .await?;
    if tables > 0 {
        pool.close().await;
        return Err(BackupError::NotEmpty(redact(url)));
    }
    let restored = run_tool(
        Command::new("pg_restore")
            .arg("--no-owner")
            .arg("--exit-on-error")
            .arg("--single-transaction")
            .arg("--dbname")
            .arg(url)
            .arg(from),
        "pg_restore",
    );
    let result = match restored {
        Ok(()) => check_pool(&pool, Backend::Postgres).await,
        Err(e) => Err(e),
    };
    pool.close().await;
    result
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..s + 3 + colon], &url[at..]),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
