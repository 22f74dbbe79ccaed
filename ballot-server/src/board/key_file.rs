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
//!
//! **Rotation** (`piaojue board-key rotate`, [`rotate`]): a new key for new elections, while
//! the elections made before stay signed by the key they were made with. `board_public_key` is
//! the key of new elections; each election records its own (`elections.board_key`, the key its
//! manifest names). A retired key is kept in a file of its own, `retired-board-keys/<public
//! key>` in the key file's folder (mode 0600, the seed in hex like the key file), and loaded at
//! start for the elections that need it; an election whose key file is missing refuses the
//! start, naming the election and the key. The rotation stages the new key in `<key file>.next`,
//! keeps the old one among the retired keys, records the new public key in the database (the
//! commit point), then renames the staged file over the key file: a crash before the commit
//! leaves the old state (the staged key, never used, is taken by the next rotation), one after
//! it is finished by the next start (or rotation), which completes the rename.

use std::io::Write;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use piaojue_crypto::board::BoardKey;
use piaojue_crypto::credential::CredentialKey;
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
    /// An election is signed by a retired key whose file cannot be read.
    #[error(
        "election {elections} is signed by the retired board key {key}, whose file {path} cannot \
         be read ({reason}): put that key back there (`piaojue board-key import --retired` from \
         its escrow copy); refusing to start without it"
    )]
    RetiredMissing {
        /// The elections it signs, comma-separated.
        elections: String,
        /// Its public key.
        key: String,
        /// Where it should be.
        path: PathBuf,
        /// Why it cannot be read.
        reason: String,
    },
    /// A retired key's file holds another key than the one it is named for.
    #[error("the retired board key file {path} holds the key {file}, not {key}")]
    RetiredWrong {
        /// The file.
        path: PathBuf,
        /// The key it should hold.
        key: String,
        /// The key it holds.
        file: String,
    },
    /// The key cannot be rotated.
    #[error("cannot rotate the board key: {0}")]
    Rotation(String),
    /// The database.
    #[error("the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The folder, beside the key file, of the retired keys (`<public key>`, mode 0600 each).
pub const RETIRED_DIR: &str = "retired-board-keys";

/// The board's keys as a server loads them at start.
pub struct BoardKeys {
    /// The key of new elections: the key file's.
    pub current: BoardKey,
    /// The retired keys that elections made before a rotation are signed with.
    pub retired: Vec<BoardKey>,
}

/// The folder of the retired keys of the key file `key_file`.
pub fn retired_dir(key_file: &Path) -> PathBuf {
    key_file
        .parent()
        .unwrap_or_else(|| Path::new(""))
        .join(RETIRED_DIR)
}

/// The file of the retired key `public` of the key file `key_file`.
pub fn retired_path(key_file: &Path, public: &CredentialKey) -> PathBuf {
    retired_dir(key_file).join(public.to_base64())
}

/// Where a rotation stages the new key: `<key file>.next`.
fn next_path(key_file: &Path) -> PathBuf {
    let mut name = key_file.file_name().unwrap_or_default().to_os_string();
    name.push(".next");
    key_file.with_file_name(name)
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

/// Loads the board keys: the key of new elections from `path`, creating it (or moving a key
/// kept in the database by an older version there) on first start, checked to be the key the
/// database records for new elections; and every retired key an election is signed with.
/// Finishes a rotation interrupted after its commit.
pub async fn load(db: &Db, path: &Path) -> Result<BoardKeys, BoardKeyError> {
    if let Some(new) = finish_rotation(db, path).await? {
        tracing::warn!(key = %new.to_base64(), path = %path.display(), "an interrupted board key rotation was completed: new elections are signed by the new key");
    }
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
    let recorded = recorded(db).await?.ok_or(sqlx::Error::RowNotFound)?;
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
    // Elections of a database that kept its key in itself when 0008 ran: signed by this key.
    sqlx::query("UPDATE elections SET board_key = $1 WHERE board_key IS NULL")
        .bind(&public)
        .execute(&db.pool)
        .await?;
    let retired = load_retired(db, path, &public).await?;
    Ok(BoardKeys {
        current: key,
        retired,
    })
}

/// The retired keys the elections not signed by `current` are signed with.
async fn load_retired(db: &Db, path: &Path, current: &str) -> Result<Vec<BoardKey>, BoardKeyError> {
    let rows = sqlx::query("SELECT board_key, id FROM elections WHERE board_key <> $1 ORDER BY id")
        .bind(current)
        .fetch_all(&db.pool)
        .await?;
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows {
        by_key.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
    }
    let mut retired = Vec::new();
    for (public, elections) in by_key {
        let file = retired_dir(path).join(&public);
        // A key name that is not a key's base64url would name another file: refused as missing.
        let named = CredentialKey::from_base64(&public)
            .ok()
            .filter(|k| k.to_base64() == public);
        let key = match (named, read(&file)) {
            (Some(named), Ok(key)) if key.public() == named => key,
            (Some(_), Ok(key)) => {
                return Err(BoardKeyError::RetiredWrong {
                    path: file,
                    key: public,
                    file: key.public().to_base64(),
                });
            }
            (None, _) => {
                return Err(BoardKeyError::RetiredMissing {
                    elections: elections.join(", "),
                    key: public,
                    path: file,
                    reason: "the database records no valid public key".into(),
                });
            }
            (Some(_), Err(e)) => {
                return Err(BoardKeyError::RetiredMissing {
                    elections: elections.join(", "),
                    key: public,
                    path: file,
                    reason: match e {
                        BoardKeyError::Io { source, .. } => source.to_string(),
                        e => e.to_string(),
                    },
                });
            }
        };
        retired.push(key);
    }
    Ok(retired)
}

/// The key the database records for new elections, if any.
async fn recorded(db: &Db) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM server_keys WHERE name = 'board_public_key'")
        .fetch_optional(&db.pool)
        .await
}

/// Keeps `key`, the key file's until now, as a retired key (an existing file of it must hold it).
fn keep_retired(key_file: &Path, key: &BoardKey) -> Result<(), BoardKeyError> {
    let file = retired_path(key_file, &key.public());
    if !create(&file, key)? {
        let kept = read(&file)?;
        if kept.public() != key.public() {
            return Err(BoardKeyError::RetiredWrong {
                path: file,
                key: key.public().to_base64(),
                file: kept.public().to_base64(),
            });
        }
    }
    Ok(())
}

/// Renames the staged `from` over `to`, durably.
fn replace(from: &Path, to: &Path) -> Result<(), BoardKeyError> {
    std::fs::rename(from, to).map_err(io(to))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

/// Finishes a rotation whose commit was made but whose staged key was not yet renamed over the
/// key file: returns the new key if there was one. A staged key the database does not record
/// was never committed, and is left for the next rotation.
async fn finish_rotation(db: &Db, path: &Path) -> Result<Option<CredentialKey>, BoardKeyError> {
    let next = next_path(path);
    if !next.exists() {
        return Ok(None);
    }
    let staged = read(&next)?;
    if recorded(db).await?.as_deref() != Some(staged.public().to_base64().as_str()) {
        return Ok(None);
    }
    if path.exists() {
        let old = read(path)?;
        if old.public() != staged.public() {
            keep_retired(path, &old)?;
        }
    }
    replace(&next, path)?;
    Ok(Some(staged.public()))
}

/// What [`rotate`] did.
#[derive(Debug, Clone, Copy)]
pub struct Rotation {
    /// The key retired, now kept in [`retired_path`]; `None` when a rotation interrupted after
    /// its commit was finished instead.
    pub retired: Option<CredentialKey>,
    /// The key of new elections.
    pub current: CredentialKey,
}

/// Rotates the board key of the key file `path` and the database `db` (`piaojue board-key
/// rotate`, with every server on the database stopped): a new key signs the elections made from
/// now on, the old one is kept as a retired key for the elections made before. Nothing is
/// overwritten but the key file, renamed over by the new key once the old one is kept. If a
/// rotation was interrupted after its commit, finishes it instead of rotating again.
pub async fn rotate(db: &Db, path: &Path) -> Result<Rotation, BoardKeyError> {
    if let Some(current) = finish_rotation(db, path).await? {
        return Ok(Rotation {
            retired: None,
            current,
        });
    }
    let old = read(path)?;
    let old_public = encode_base64(old.public().as_bytes());
    let Some(recorded) = recorded(db).await? else {
        return Err(BoardKeyError::Rotation(
            "the database records no board key: it has no board yet (start the server on it once)"
                .into(),
        ));
    };
    if recorded != old_public {
        return Err(BoardKeyError::Mismatch {
            path: path.to_path_buf(),
            file: old_public,
            database: recorded,
        });
    }
    keep_retired(path, &old)?;
    // A key staged by a rotation interrupted before its commit was never used: it is taken.
    let next = next_path(path);
    let new = if next.exists() {
        read(&next)?
    } else {
        let key = BoardKey::generate(&mut rand::rng());
        create_new(&next, &key)?;
        key
    };
    if new.public() == old.public() {
        return Err(BoardKeyError::Rotation(format!(
            "{} holds the current key",
            next.display()
        )));
    }
    let new_public = encode_base64(new.public().as_bytes());
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE elections SET board_key = $1 WHERE board_key IS NULL")
        .bind(&old_public)
        .execute(&mut *tx)
        .await?;
    let changed = sqlx::query(
        "UPDATE server_keys SET value = $1 WHERE name = 'board_public_key' AND value = $2",
    )
    .bind(&new_public)
    .bind(&old_public)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(BoardKeyError::Rotation(
            "the database's board key changed meanwhile".into(),
        ));
    }
    tx.commit().await?;
    replace(&next, path)?;
    Ok(Rotation {
        retired: Some(old.public()),
        current: new.public(),
    })
}
