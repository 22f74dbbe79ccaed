//! One election's append-only log and its writer.
//!
//! Every change to an election goes through [`LogWriter`]: a task that owns the election's
//! Merkle tree, takes append jobs from a queue, and commits as many queued jobs as are waiting
//! in **one** database transaction (group commit), signing one tree head for the lot. A job is
//! answered only after its transaction committed, so an acknowledged ballot is on disk; a job
//! whose preconditions fail is answered with its error and changes nothing.
//!
//! Serialisation across processes (several servers on one PostgreSQL database): each
//! transaction starts by updating the election's row (`lock_version = lock_version + 1`), which
//! takes the row lock in PostgreSQL and the write lock in SQLite; so one writer at a time
//! appends to an election's log, and it first loads any entries another process appended since
//! its last look. The primary key `(election_id, idx)` makes a fork impossible even if that
//! reasoning were wrong: two writers could never both commit entry `i`.

mod checks;
mod committed;
mod rows;
mod tally;
mod transaction;
mod writer;

use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use piaojue_crypto::board::{BoardKey, Event, MerkleTree, Receipt, SignedTreeHead};
use piaojue_crypto::encoding::Digest32;
use sqlx::{Any, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::ciphertexts::BallotKind;
use crate::db::Db;
use crate::error::ApiError;
use crate::lifecycle::ElectionState;

pub(super) use rows::{ROWS_PER_INSERT, placeholders};
pub use tally::decode_sums;

/// Most jobs committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// A condition the writer checks inside the transaction, against the committed log and the jobs
/// before it in the same batch.
#[derive(Debug, Clone)]
pub enum Precondition {
    /// The election is in one of these states.
    State(Vec<ElectionState>),
    /// No cast ballot with this credential yet (first ballot final).
    CredentialUnused([u8; 32]),
    /// No cast or audited ballot with this tracking code yet.
    TrackingCodeUnused(Digest32),
    /// No ballot of the other kind has these ciphertexts ([`Ballot::ciphertexts_hash`]): a
    /// cast ballot's are no audited ballot's, an audited ballot's no cast ballot's
    /// (`spec/verification.md` V6.3).
    CiphertextsNotOther {
        /// The ballot's [`Ballot::ciphertexts_hash`].
        digest: Digest32,
        /// What the ballot is posted as.
        kind: BallotKind,
    },
    /// This teller has not yet posted a message of this round.
    CeremonyMessageUnused {
        /// Round name.
        round: &'static str,
        /// Teller index.
        teller: u32,
    },
    /// No election with this id exists (creation).
    ElectionAbsent,
    /// None of these credentials is registered yet.
    CredentialsNew(Vec<[u8; 32]>),
    /// The log has no entry of this kind yet (for entries appended once, after another entry
    /// and not in its transaction: the encrypted tally).
    KindAbsent(&'static str),
    /// The log has an entry of this kind (the attendance before `open`).
    KindPresent(&'static str),
    /// `adding` more credentials keep the list within the manifest's `deputies`.
    CredentialsFit {
        /// Keys in the new batch.
        adding: u64,
        /// The manifest's `deputies`.
        deputies: u32,
    },
    /// The credential list has exactly the manifest's `deputies` keys.
    CredentialsComplete(u32),
}

/// What a job changes besides appending its entries; applied in the same transaction.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Creates the election's row (with the first entry, the manifest).
    CreateElection {
        /// Manifest JSON.
        manifest: String,
        /// Re-vote of this election, if any.
        parent: Option<String>,
    },
    /// Writes rows of a layer above the log in the append's transaction (the yearly cycle's
    /// place of an election and its options' candidates): they commit or fail with the entries.
    Write(Arc<dyn TxWrite>),
    /// Moves the election to a state.
    SetState(ElectionState),
    /// Records the fingerprint (at opening).
    SetFingerprint(Digest32),
    /// Records a cast ballot at the job's first entry, and adds its ciphertexts (those of the
    /// job's ballot event) to the election's running tally.
    RecordCast {
        /// Credential.
        credential: [u8; 32],
        /// Tracking code.
        tracking_code: Digest32,
        /// [`Ballot::ciphertexts_hash`].
        ciphertexts: Digest32,
        /// The election's revote rule is `last_counts`: an earlier ballot of this credential,
        /// if any, leaves the running tally.
        last_counts: bool,
    },
    /// Records an audited ballot at the job's first entry.
    RecordAudited {
        /// Tracking code.
        tracking_code: Digest32,
        /// [`Ballot::ciphertexts_hash`].
        ciphertexts: Digest32,
    },
    /// Records a ceremony message at the job's first entry.
    RecordCeremonyMessage {
        /// Round name.
        round: &'static str,
        /// Teller index.
        teller: u32,
    },
    /// Registers credentials.
    AddCredentials(Vec<[u8; 32]>),
}

/// Rows that a layer above the log (the yearly cycle) writes in an append's transaction, so that
/// they commit or fail with the entries; the log does not know what they are.
pub trait TxWrite: std::fmt::Debug + Send + Sync {
    /// Writes the rows for election `election_id` in the writer's transaction `tx`.
    fn write<'a, 'c: 'a>(
        &'a self,
        tx: &'a mut Transaction<'c, Any>,
        election_id: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'a>>;
}

/// A request to append entries.
#[derive(Debug, Clone, Default)]
pub struct AppendJob {
    /// Events to append, in order. (A `close` event's number of ballots is set by the
    /// writer: the ballots cast before it.)
    pub events: Vec<Event>,
    /// Checked before anything is written.
    pub preconditions: Vec<Precondition>,
    /// Applied with the append.
    pub effects: Vec<Effect>,
    /// Make and store a receipt for the first event, a ballot with this tracking code.
    pub receipt_for: Option<Digest32>,
}

/// What an append gave.
#[derive(Debug, Clone)]
pub struct Appended {
    /// Index of the job's first entry.
    pub first_index: u64,
    /// The tree head signed after the batch that contained the job.
    pub head: SignedTreeHead,
    /// The receipt, if one was asked for.
    pub receipt: Option<Receipt>,
}

type Reply = oneshot::Sender<Result<Appended, ApiError>>;

/// The shared, read-mostly state of one election's log.
#[derive(Debug)]
pub struct LogView {
    /// The Merkle tree over the committed entries (and, briefly, entries being committed).
    pub tree: RwLock<MerkleTree>,
}

/// Handle to an election's writer task.
#[derive(Clone, Debug)]
pub struct LogHandle {
    tx: mpsc::Sender<(AppendJob, Reply)>,
    /// The tree, for proofs.
    pub view: Arc<LogView>,
}

impl LogHandle {
    /// Whether the writer task still runs (it stops only if it panicked).
    pub fn is_running(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Jobs waiting for the writer.
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Appends a job and waits until it is committed (or refused).
    pub async fn append(&self, job: AppendJob) -> Result<Appended, ApiError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send((job, reply))
            .await
            .map_err(|_| ApiError::Internal("log writer stopped".into()))?;
        rx.await
            .map_err(|_| ApiError::Internal("log writer dropped a job".into()))?
    }
}

/// The writer task of one election's log.
pub struct LogWriter {
    db: Db,
    key: Arc<BoardKey>,
    election_id: String,
    view: Arc<LogView>,
    /// The last batch failed: the tree may hold leaves the database does not, or miss leaves
    /// it does (a commit whose answer was lost). Rebuilt from the database, and checked against
    /// the latest signed head, before the next batch.
    stale: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Loads the leaf hashes of entries `from..to` of an election.
pub async fn load_leaves<'e, E>(
    exec: E,
    election_id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<[u8; 32]>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let rows = sqlx::query("SELECT leaf_hash FROM board_entries WHERE election_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx")
        .bind(election_id)
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(exec)
        .await?;
    rows.iter()
        .map(|r| {
            let v: Vec<u8> = r.try_get(0)?;
            v.try_into()
                .map_err(|_| sqlx::Error::Decode("leaf hash is not 32 bytes".into()))
        })
        .collect()
}

/// Appends to `tree` those of the leaves of entries `from..` it does not hold yet. Another task
/// may have pushed some of them since `from` was read: the writer, and the readers that bring a
/// tree up to a size another process committed ([`super::Board`]'s proofs), both load leaves
/// without holding the tree's lock across the query.
pub fn push_missing(tree: &mut MerkleTree, from: u64, leaves: impl IntoIterator<Item = [u8; 32]>) {
    let held = tree.len().saturating_sub(from);
    for l in leaves.into_iter().skip(held as usize) {
        tree.push_leaf_hash(l);
    }
}
