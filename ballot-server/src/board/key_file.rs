//! The board's signing key at rest: a file of its own, never the database.
//!
//! The key that signs every tree head and receipt is an Ed25519 seed. It lives in one file
//! (`--board-key-file`, by default `<data-dir>/board-key`), created with mode 0600 and holding
//! the seed in hex on one line; the database holds only the **public** key (`server_keys`,
//! name `board_public_key`), so that a database dump or backup carries no secret, and so that a
//! server process started with another key file for the same database refuses to start instead
//! of signing a second, unrelated board. Several processes on one database share the file (on
//! one machine, or copied to each).
//!
//! Databases from before this change hold the seed in `server_keys` (name `board_key`): the
//! first start moves it to the file (or checks it equals the file's), records its public key,
//! and deletes the seed from the database.

use std::io::Write;
use std::path::{Path, PathBuf};

use piaojue_crypto::board::BoardKey;
use piaojue_crypto::encoding::encode_base64;
use sqlx::Row;
use zeroize::Zeroizing;

use crate::db::Db;

/// Why the board key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BoardKeyError {
    /// The file could not be read or written.
    #[error("the board key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("the board key file {0} does not hold a board key (64 hex digits)")]
    Malformed(PathBuf),
    /// The file's key is not the key of this database's board.
    #[error(
        "the board key file {path} holds the key {file}, but this database's board is signed by \
         {database}: start the server with that board's key file (--board-key-file)"
    )]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// The file's public key.
        file: String,
        /// The database's public key.
        database: String,
    },
    /// The database.
    #[error("the database: {0}")]
    Database(#[from] sqlx::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BoardKeyError + '_ {
    move |source| BoardKeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the key in `path` (`piaojue serve --check-config` checks the file with it).
pub fn read(path: &Path) -> Result<BoardKey, BoardKeyError> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path))?);
    BoardKey::from_hex(text.trim()).map_err(|_| BoardKeyError::Malformed(path.to_path_buf()))
}

/// Creates `path` holding `key`, mode 0600, whole or not at all, unless it exists: the key is
/// written to a temporary file beside it, synced, then linked to `path` (which fails if another
/// process created it meanwhile). Returns whether this call created it.
fn create(path: &Path, key: &BoardKey) -> Result<bool, BoardKeyError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut f = options.open(&tmp)?;
        let line = Zeroizing::new(format!("{}\n", hex::encode(&key.seed()[..])));
        f.write_all(line.as_bytes())?;
        f.sync_all()?;
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    let created = result.map_err(io(path))?;
    if created && let Some(dir) = dir {
        // The new name is durable once its directory is.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(created)
}

/// Writes `key` to the new file `path` (mode 0600; see [`load`]), refusing an existing file:
/// `piaojue board-key import`.
pub fn create_new(path: &Path, key: &BoardKey) -> Result<(), BoardKeyError> {
    if create(path, key)? {
        Ok(())
    } else {
        Err(BoardKeyError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "exists already: refusing to replace a board key file",
            ),
        })
    }
}

/// Loads the board key from `path`, creating it (or moving a key kept in the database by an
/// older version there) on first start, and checks it is the key of the database's board.
pub async fn load(db: &Db, path: &Path) -> Result<BoardKey, BoardKeyError> {
    let legacy: Option<String> =
        sqlx::query("SELECT value FROM server_keys WHERE name = 'board_key'")
            .fetch_optional(&db.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
    let legacy = legacy
        .map(Zeroizing::new)
        .map(|seed| BoardKey::from_hex(seed.trim()))
        .transpose()
        .map_err(|e| {
            sqlx::Error::Decode(format!("the board key kept in the database: {e}").into())
        })?;
    if !path.exists() {
        let key = match &legacy {
            Some(k) => BoardKey::from_seed(&k.seed()),
            None => BoardKey::generate(&mut rand::rng()),
        };
        if create(path, &key)? {
            tracing::warn!(path = %path.display(), moved_from_database = legacy.is_some(), "board key file created (mode 0600): keep it, and a copy in escrow; the board cannot be signed without it");
        }
    }
    let key = read(path)?;
    let public = encode_base64(key.public().as_bytes());
    // Insert-if-absent, then read: whichever process wins, all must hold the same key.
    sqlx::query(
        "INSERT INTO server_keys (name, value) VALUES ('board_public_key', $1) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(&public)
    .execute(&db.pool)
    .await?;
    let recorded: String =
        sqlx::query("SELECT value FROM server_keys WHERE name = 'board_public_key'")
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?;
    let mismatch = |database: String| BoardKeyError::Mismatch {
        path: path.to_path_buf(),
        file: public.clone(),
        database,
    };
    if recorded != public {
        return Err(mismatch(recorded));
    }
    if let Some(old) = legacy {
        if old.public() != key.public() {
            return Err(mismatch(encode_base64(old.public().as_bytes())));
        }
        sqlx::query("DELETE FROM server_keys WHERE name = 'board_key'")
            .execute(&db.pool)
            .await?;
        tracing::warn!(path = %path.display(), "the board key was moved out of the database into its file");
    }
    Ok(key)
}
