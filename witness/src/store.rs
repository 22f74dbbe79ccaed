//! The witness's state: one SQLite file (`spec/witness.md` §4).
//!
//! ```sql
//! logs(origin TEXT PRIMARY KEY, origin_hash TEXT UNIQUE, size INTEGER, root BLOB,
//!      timestamp INTEGER, note TEXT)
//! evidence(id INTEGER PRIMARY KEY, origin TEXT, received INTEGER, reason TEXT, body BLOB)
//! ```
//!
//! `logs` holds, per origin, the latest checkpoint the witness cosigned (size, root, the
//! timestamp of its cosignature, the note with the log's signature and the cosignature);
//! `evidence` the validly signed checkpoints it refused as inconsistent. The file is opened in
//! WAL mode with `synchronous = FULL` (a committed transaction survives a crash or a power
//! loss) and `locking_mode = EXCLUSIVE` (a second process cannot open the same state), through
//! a single connection: every check-and-update runs in one `BEGIN IMMEDIATE` transaction, one
//! at a time.

use std::path::Path;
use std::str::FromStr;

use piaojue_crypto::board::merkle::Hash;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqliteLockingMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

/// At most this many evidence rows are kept per origin (the later ones are logged only).
pub const MAX_EVIDENCE_PER_LOG: i64 = 1000;

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed.
    #[error("witness state: {0}")]
    Sql(#[from] sqlx::Error),
    /// A stored value is out of range (the file was altered).
    #[error("witness state: a stored value is corrupt: {0}")]
    Corrupt(&'static str),
    /// A size or timestamp above 2^63 − 1, which SQLite cannot store.
    #[error("{0} is too large to store (at most 2^63 − 1)")]
    TooLarge(&'static str),
}

/// The latest checkpoint cosigned for a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    /// Its tree size.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The timestamp of its cosignature.
    pub timestamp: u64,
    /// The note: the checkpoint, the log's signature(s), the witness's cosignature.
    pub note: String,
}

/// The state file.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// The hex SHA-256 of an origin, by which monitors ask for its checkpoint.
pub fn origin_hash(origin: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(origin.as_bytes()))
}

fn to_i64(v: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::TooLarge(what))
}

impl Store {
    /// Opens (creating if need be) the state file.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .locking_mode(SqliteLockingMode::Exclusive)
            .busy_timeout(std::time::Duration::from_secs(1));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        let mut tx = pool.begin().await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS logs (
                origin TEXT PRIMARY KEY NOT NULL,
                origin_hash TEXT NOT NULL UNIQUE,
                size INTEGER NOT NULL CHECK (size >= 0),
                root BLOB NOT NULL CHECK (length(root) = 32),
                timestamp INTEGER NOT NULL CHECK (timestamp > 0),
                note TEXT NOT NULL
            )",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS evidence (
                id INTEGER PRIMARY KEY,
                origin TEXT NOT NULL,
                received INTEGER NOT NULL,
                reason TEXT NOT NULL,
                body BLOB NOT NULL
            )",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("CREATE INDEX IF NOT EXISTS evidence_origin ON evidence (origin)")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Store { pool })
    }

    /// Starts a check-and-update: `BEGIN IMMEDIATE` on the only connection.
    pub async fn begin(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The latest cosigned checkpoint of `origin`, inside a transaction.
    pub async fn latest(
        tx: &mut Transaction<'static, Sqlite>,
        origin: &str,
    ) -> Result<Option<Latest>, StoreError> {
        let row = sqlx::query("SELECT size, root, timestamp, note FROM logs WHERE origin = ?")
            .bind(origin)
            .fetch_optional(&mut **tx)
            .await?;
        row.map(|r| {
            let size: i64 = r.try_get("size")?;
            let timestamp: i64 = r.try_get("timestamp")?;
            let root: Vec<u8> = r.try_get("root")?;
            Ok(Latest {
                size: u64::try_from(size).map_err(|_| StoreError::Corrupt("size"))?,
                root: root.try_into().map_err(|_| StoreError::Corrupt("root"))?,
                timestamp: u64::try_from(timestamp)
                    .map_err(|_| StoreError::Corrupt("timestamp"))?,
                note: r.try_get("note")?,
            })
        })
        .transpose()
    }

    /// Records `latest` as the latest cosigned checkpoint of `origin`, inside a transaction.
    pub async fn put(
        tx: &mut Transaction<'static, Sqlite>,
        origin: &str,
        latest: &Latest,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO logs (origin, origin_hash, size, root, timestamp, note)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (origin) DO UPDATE SET
                size = excluded.size, root = excluded.root,
                timestamp = excluded.timestamp, note = excluded.note",
        )
        .bind(origin)
        .bind(origin_hash(origin))
        .bind(to_i64(latest.size, "the tree size")?)
        .bind(&latest.root[..])
        .bind(to_i64(latest.timestamp, "the timestamp")?)
        .bind(&latest.note)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Keeps a refused, validly signed checkpoint as evidence, inside a transaction (at most
    /// [`MAX_EVIDENCE_PER_LOG`] per origin). Returns whether it was kept.
    pub async fn keep_evidence(
        tx: &mut Transaction<'static, Sqlite>,
        origin: &str,
        received: u64,
        reason: &str,
        body: &[u8],
    ) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence WHERE origin = ?")
            .bind(origin)
            .fetch_one(&mut **tx)
            .await?;
        if count >= MAX_EVIDENCE_PER_LOG {
            return Ok(false);
        }
        sqlx::query("INSERT INTO evidence (origin, received, reason, body) VALUES (?, ?, ?, ?)")
            .bind(origin)
            .bind(to_i64(received, "the time")?)
            .bind(reason)
            .bind(body)
            .execute(&mut **tx)
            .await?;
        Ok(true)
    }

    /// The cosigned note of the log whose origin hashes to `hash` (lowercase hex).
    pub async fn note_by_hash(&self, hash: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT note FROM logs WHERE origin_hash = ?")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The evidence kept for `origin`: (reason, body), oldest first.
    pub async fn evidence(&self, origin: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows = sqlx::query("SELECT reason, body FROM evidence WHERE origin = ? ORDER BY id")
            .bind(origin)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get("reason")?, r.try_get("body")?)))
            .collect()
    }

    /// Whether the database answers.
    pub async fn healthy(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the file.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
