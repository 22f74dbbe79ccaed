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

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use piaojue_crypto::RistrettoPoint;
use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::board::merkle::leaf_hash;
use piaojue_crypto::board::{
    BoardKey, Entry, Event, MerkleTree, Receipt, SignedTreeHead, TreeHead, log_id,
};
use piaojue_crypto::encoding::{Bytes, Digest32, Point};
// Dynamic SQL here is only numbered placeholders and fixed table and column names.
use sqlx::pool::PoolConnection;
use sqlx::{Any, AssertSqlSafe, Connection, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::ciphertexts::{self, BallotKind};
use crate::db::Db;
use crate::error::ApiError;
use crate::health::StorageFault;
use crate::state::ElectionState;

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

/// What the jobs before the current one in a batch used: they are not committed yet, so the
/// database does not show them to the checks of the jobs after them.
#[derive(Debug, Default)]
struct Seen {
    credentials: HashSet<[u8; 32]>,
    codes: HashSet<Digest32>,
    messages: HashSet<(&'static str, u32)>,
    kinds: HashSet<&'static str>,
    /// Ciphertexts' hashes: the kind of ballot that has them and its entry, the batch's own
    /// and those of the committed log that the batch's preconditions ask about.
    ciphertexts: HashMap<Digest32, (BallotKind, u64)>,
    /// Of the credentials and tracking codes the batch's preconditions ask about, those the
    /// committed log has already: looked up for the whole batch at once ([`LogWriter::read_committed`]).
    taken_credentials: HashSet<[u8; 32]>,
    taken_codes: HashSet<Digest32>,
}

/// Rows of the batch's ballots, inserted a hundred at a time ([`LogWriter::flush`]) instead of
/// one statement each: entries, cast ballots, audited ballots.
#[derive(Debug, Default)]
struct Pending {
    entries: Vec<(u64, &'static str, Vec<u8>, [u8; 32])>,
    casts: Vec<([u8; 32], Digest32, u64)>,
    audits: Vec<(Digest32, u64)>,
    /// Ciphertexts' hashes not on the log yet: digest, kind, entry.
    ciphertexts: Vec<(Digest32, BallotKind, u64)>,
}

/// The committed running tally of an election (`running_tallies`): point sums per option in
/// ballot order and the number of ballots they add up.
#[derive(Debug, Default)]
struct RunningTally {
    sums: Vec<(RistrettoPoint, RistrettoPoint)>,
    counted: i64,
}

/// What a batch changes in the running tally (`running_tallies`): point sums per option in
/// ballot order (the ballots it adds, minus those they replace) and the change in the count.
#[derive(Debug, Default)]
struct TallyDelta {
    sums: Vec<(RistrettoPoint, RistrettoPoint)>,
    counted: i64,
    /// The batch's ballots by credential (to replace within the batch under `last_counts`).
    batch: std::collections::HashMap<[u8; 32], Ballot>,
}

impl TallyDelta {
    fn add(&mut self, b: &Ballot, sign: bool) {
        let cts = b.contests.iter().flat_map(|c| &c.selections);
        let n = b.contests.iter().map(|c| c.selections.len()).sum();
        if self.sums.len() < n {
            self.sums
                .resize(n, (RistrettoPoint::default(), RistrettoPoint::default()));
        }
        for (s, sel) in self.sums.iter_mut().zip(cts) {
            if sign {
                s.0 += sel.ciphertext.a.point();
                s.1 += sel.ciphertext.b.point();
            } else {
                s.0 -= sel.ciphertext.a.point();
                s.1 -= sel.ciphertext.b.point();
            }
        }
    }
}

/// Rows per multi-row `INSERT` (its parameters stay far below SQLite's and PostgreSQL's limits).
pub(super) const ROWS_PER_INSERT: usize = 100;

/// The points of a `running_tallies.sums` value.
pub fn decode_sums(bytes: &[u8]) -> Result<Vec<(RistrettoPoint, RistrettoPoint)>, sqlx::Error> {
    let bad = || sqlx::Error::Decode("a running tally is not a list of points".into());
    if !bytes.len().is_multiple_of(64) {
        return Err(bad());
    }
    bytes
        .chunks_exact(64)
        .map(|c| {
            let a = Point::decode(c[..32].try_into().expect("32")).map_err(|_| bad())?;
            let b = Point::decode(c[32..].try_into().expect("32")).map_err(|_| bad())?;
            Ok((*a.point(), *b.point()))
        })
        .collect()
}

/// `($k, $k+1, …), (…)`: `rows` groups of `width` numbered placeholders, from `$first`.
pub(super) fn placeholders(rows: usize, width: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + r * width + c).to_string());
        }
        out.push(')');
    }
    out
}

/// Notes that the ballot of entry `idx` has these ciphertexts: a row of `ballot_ciphertexts`
/// unless a ballot of the same kind on the log or earlier in the batch has them (one row per
/// ciphertexts: the first ballot's kind and entry). A ballot of the other kind was refused by
/// its precondition; were it not, its row would break the table's key and fail the batch.
fn record_ciphertexts(
    pending: &mut Pending,
    seen: &mut Seen,
    digest: Digest32,
    kind: BallotKind,
    idx: u64,
) {
    match seen.ciphertexts.get(&digest) {
        Some((k, _)) if *k == kind => {}
        Some(_) => pending.ciphertexts.push((digest, kind, idx)),
        None => {
            seen.ciphertexts.insert(digest, (kind, idx));
            pending.ciphertexts.push((digest, kind, idx));
        }
    }
}

/// Whether a job only appends ballots (cast or audited), whose rows can wait in [`Pending`].
fn only_ballots(job: &AppendJob) -> bool {
    job.events
        .iter()
        .all(|e| matches!(e, Event::Ballot(_) | Event::Audited(_)))
        && job
            .effects
            .iter()
            .all(|e| matches!(e, Effect::RecordCast { .. } | Effect::RecordAudited { .. }))
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

impl LogWriter {
    /// Starts the writer of an election's log (loading its tree) and returns its handle.
    pub async fn spawn(
        db: Db,
        key: Arc<BoardKey>,
        election_id: String,
    ) -> Result<LogHandle, sqlx::Error> {
        // Before anything is appended, the ciphertexts of the ballots posted before the table
        // of them existed are in it, for the writer's checks (V6.3).
        ciphertexts::backfill(&db, &election_id).await?;
        let size: i64 = sqlx::query("SELECT log_size FROM elections WHERE id = $1")
            .bind(&election_id)
            .fetch_optional(&db.pool)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0);
        let leaves = load_leaves(&db.pool, &election_id, 0, size as u64).await?;
        let view = Arc::new(LogView {
            tree: RwLock::new(MerkleTree::from_leaves(leaves)),
        });
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        let writer = LogWriter {
            db,
            key,
            election_id,
            view: view.clone(),
            stale: false,
        };
        tokio::spawn(writer.run(rx));
        Ok(LogHandle { tx, view })
    }

    async fn run(mut self, mut rx: mpsc::Receiver<(AppendJob, Reply)>) {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.commit_batch(batch).await;
        }
    }

    async fn commit_batch(&mut self, batch: Vec<(AppendJob, Reply)>) {
        let (jobs, replies): (Vec<AppendJob>, Vec<Reply>) = batch.into_iter().unzip();
        let len_before = self.view.tree.read().expect("tree lock").len();
        let started = std::time::Instant::now();
        let rebuilt = if self.stale {
            self.rebuild().await
        } else {
            Ok(())
        };
        let outcome = match rebuilt {
            Ok(()) => {
                self.stale = false;
                self.try_commit(&jobs).await
            }
            Err(e) => Err(e),
        };
        tracing::debug!(
            target: "piaojue_server::timing",
            election = %self.election_id,
            jobs = jobs.len(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "log batch"
        );
        match outcome {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                // Nothing was committed, or whether it was is unknown (a COMMIT whose answer
                // was lost): forget the leaves pushed for this batch now, so that no proof is
                // made from them, and rebuild the tree from the database before the next batch.
                self.view
                    .tree
                    .write()
                    .expect("tree lock")
                    .truncate(len_before);
                self.stale = true;
                let fault = StorageFault::of(&e);
                self.db.health.failed(&fault);
                let full = matches!(fault, StorageFault::Full(_));
                if !full {
                    tracing::error!(election = %self.election_id, error = %e, "append failed; nothing committed");
                }
                for reply in replies {
                    let _ = reply.send(Err(if full {
                        ApiError::StorageFull(
                            "the board's storage is full: nothing was recorded; try again later"
                                .into(),
                        )
                    } else {
                        ApiError::Internal("the board could not commit".into())
                    }));
                }
            }
        }
    }

    /// Rebuilds the tree from the committed log after a failed batch, and checks it against the
    /// signed tree head of the committed size: a head is never signed over a tree the database
    /// does not hold.
    async fn rebuild(&self) -> Result<(), sqlx::Error> {
        let pool = &self.db.pool;
        let size: i64 = sqlx::query_scalar("SELECT log_size FROM elections WHERE id = $1")
            .bind(&self.election_id)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0);
        let tree =
            MerkleTree::from_leaves(load_leaves(pool, &self.election_id, 0, size as u64).await?);
        // The head of that size was committed with it (another process may have appended
        // since: its later heads are not of this tree).
        let latest: Option<String> =
            sqlx::query_scalar("SELECT body FROM tree_heads WHERE election_id = $1 AND size = $2")
                .bind(&self.election_id)
                .bind(size)
                .fetch_optional(pool)
                .await?;
        if let Some(text) = latest {
            let head: SignedTreeHead = piaojue_crypto::json::from_str(&text)
                .map_err(|e| sqlx::Error::Decode(format!("a stored tree head: {e}").into()))?;
            if tree.root_at(head.head.size) != Some(head.head.root.0) {
                return Err(sqlx::Error::Decode(
                    format!(
                        "the committed log does not match its latest signed head (size {})",
                        head.head.size
                    )
                    .into(),
                ));
            }
        }
        *self.view.tree.write().expect("tree lock") = tree;
        Ok(())
    }

    /// Runs one transaction for the batch on a connection of its own. Returns each job's
    /// outcome; an `Err` return means the transaction did not commit (or that whether it did is
    /// unknown), and the connection is then closed instead of going back to the pool: whatever
    /// state the failure left it in, it is never used again.
    async fn try_commit(
        &self,
        jobs: &[AppendJob],
    ) -> Result<Vec<Result<Appended, ApiError>>, sqlx::Error> {
        let mut conn = self.db.pool.acquire().await?;
        let outcome = self.commit_on(&mut conn, jobs).await;
        if outcome.is_err() {
            conn.close_on_drop();
        }
        outcome
    }

    /// [`Self::try_commit`]'s transaction on `conn`.
    async fn commit_on(
        &self,
        conn: &mut PoolConnection<Any>,
        jobs: &[AppendJob],
    ) -> Result<Vec<Result<Appended, ApiError>>, sqlx::Error> {
        // A write transaction of its own: a custom BEGIN is refused on a connection that is
        // already inside one, where a plain `begin` would only nest a savepoint.
        let mut tx = Connection::begin_with(&mut **conn, self.db.begin_write()).await?;
        let creating = jobs.iter().any(|j| {
            j.effects
                .iter()
                .any(|e| matches!(e, Effect::CreateElection { .. }))
        });
        // Take the election's write lock and learn its state and committed size, in one
        // statement.
        let asked = std::time::Instant::now();
        let row = sqlx::query(
            "UPDATE elections SET lock_version = lock_version + 1 WHERE id = $1 \
             RETURNING state, log_size",
        )
        .bind(&self.election_id)
        .fetch_optional(&mut *tx)
        .await?;
        tracing::debug!(
            target: "piaojue_server::timing",
            ms = asked.elapsed().as_secs_f64() * 1e3,
            "log lock"
        );
        let locked = row.is_some();
        let (mut state, committed) = match row {
            None => (None, 0u64),
            Some(row) => {
                let s: String = row.try_get(0)?;
                let n: i64 = row.try_get(1)?;
                (ElectionState::parse(&s), n as u64)
            }
        };
        if !locked && !creating {
            tx.rollback().await?;
            return Ok(jobs
                .iter()
                .map(|_| {
                    Err(ApiError::NotFound(format!(
                        "no election {:?}",
                        self.election_id
                    )))
                })
                .collect());
        }
        let mut seen = Seen::default();
        let running = self
            .read_committed(&mut tx, jobs, committed, &mut seen)
            .await?;
        let mut pending = Pending::default();
        let mut tally = TallyDelta::default();
        let mut exists = locked;
        let mut outcomes: Vec<Result<u64, ApiError>> = Vec::with_capacity(jobs.len());
        let mut next = committed;
        let time_ms = now_ms();
        for job in jobs {
            let batched = only_ballots(job);
            if !batched {
                // Whatever this job reads or changes must see the rows before it.
                self.flush(&mut tx, &mut pending).await?;
            }
            if let Err(e) = self.check(&mut tx, job, state, exists, &seen).await? {
                outcomes.push(Err(e));
                continue;
            }
            let first = next;
            if let Some(Effect::CreateElection { manifest, parent }) = job
                .effects
                .iter()
                .find(|e| matches!(e, Effect::CreateElection { .. }))
            {
                sqlx::query(
                    "INSERT INTO elections (id, state, manifest, parent, created_ms, log_size, lock_version) \
                     VALUES ($1, $2, $3, $4, $5, 0, 0)",
                )
                .bind(&self.election_id)
                .bind(ElectionState::Draft.as_str())
                .bind(manifest)
                .bind(parent.as_deref())
                .bind(time_ms as i64)
                .execute(&mut *tx)
                .await?;
                exists = true;
                state = Some(ElectionState::Draft);
            }
            for event in &job.events {
                let event = match event {
                    // The close entry counts the ballots cast before it: only the writer, in
                    // the transaction that appends it, knows them all (the count includes the
                    // ballots of this batch, inserted in this transaction).
                    Event::Close { .. } => {
                        let cast: i64 =
                            sqlx::query("SELECT COUNT(*) FROM cast_ballots WHERE election_id = $1")
                                .bind(&self.election_id)
                                .fetch_one(&mut *tx)
                                .await?
                                .try_get(0)?;
                        Event::Close {
                            ballots: cast as u64,
                        }
                    }
                    other => other.clone(),
                };
                let kind = event.kind();
                let entry = Entry {
                    index: next,
                    time_ms,
                    event,
                };
                let bytes = entry.to_bytes();
                let leaf = leaf_hash(&bytes);
                pending.entries.push((next, kind, bytes, leaf));
                self.view
                    .tree
                    .write()
                    .expect("tree lock")
                    .push_leaf_hash(leaf);
                seen.kinds.insert(kind);
                next += 1;
            }
            for effect in &job.effects {
                match effect {
                    Effect::RecordCast {
                        credential,
                        tracking_code,
                        ciphertexts,
                        last_counts,
                    } => {
                        if let Some(Event::Ballot(b)) = job.events.first() {
                            self.count(&mut tx, &mut tally, b, *credential, *last_counts)
                                .await?;
                        }
                        pending.casts.push((*credential, *tracking_code, first));
                        seen.credentials.insert(*credential);
                        seen.codes.insert(*tracking_code);
                        record_ciphertexts(
                            &mut pending,
                            &mut seen,
                            *ciphertexts,
                            BallotKind::Cast,
                            first,
                        );
                    }
                    Effect::RecordAudited {
                        tracking_code,
                        ciphertexts,
                    } => {
                        pending.audits.push((*tracking_code, first));
                        seen.codes.insert(*tracking_code);
                        record_ciphertexts(
                            &mut pending,
                            &mut seen,
                            *ciphertexts,
                            BallotKind::Audited,
                            first,
                        );
                    }
                    _ => {
                        self.flush(&mut tx, &mut pending).await?;
                        self.apply(&mut tx, effect, first, &mut state, &mut seen)
                            .await?;
                    }
                }
            }
            if !batched {
                self.flush(&mut tx, &mut pending).await?;
            }
            outcomes.push(Ok(first));
        }
        self.flush(&mut tx, &mut pending).await?;
        self.update_tally(&mut tx, running, &tally).await?;

        if next == committed {
            // Every job was refused: nothing to write.
            tx.rollback().await?;
            return Ok(outcomes
                .into_iter()
                .map(|o| o.and_then(|_| Err(ApiError::Internal("nothing appended".into()))))
                .collect());
        }
        sqlx::query("UPDATE elections SET log_size = $1 WHERE id = $2")
            .bind(next as i64)
            .bind(&self.election_id)
            .execute(&mut *tx)
            .await?;
        let head = {
            let tree = self.view.tree.read().expect("tree lock");
            self.key.sign(TreeHead {
                log_id: log_id(&self.election_id),
                size: next,
                root: Bytes(tree.root_at(next).expect("pushed")),
                timestamp_ms: time_ms,
            })
        };
        sqlx::query("INSERT INTO tree_heads (election_id, size, body) VALUES ($1, $2, $3)")
            .bind(&self.election_id)
            .bind(next as i64)
            .bind(serde_json::to_string(&head).expect("heads serialize"))
            .execute(&mut *tx)
            .await?;
        let mut results = Vec::with_capacity(jobs.len());
        let mut receipts: Vec<(Digest32, String)> = Vec::new();
        for (job, outcome) in jobs.iter().zip(outcomes) {
            let result = match outcome {
                Err(e) => Err(e),
                Ok(first_index) => {
                    let receipt = job.receipt_for.map(|code| {
                        let r = self.receipt(first_index, code, &head);
                        receipts
                            .push((code, serde_json::to_string(&r).expect("receipts serialize")));
                        r
                    });
                    Ok(Appended {
                        first_index,
                        head,
                        receipt,
                    })
                }
            };
            results.push(result);
        }
        for rows in receipts.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO receipts (election_id, tracking_code, body) VALUES {}",
                placeholders(rows.len(), 3, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (code, body) in rows {
                q = q.bind(&self.election_id).bind(code.0.to_vec()).bind(body);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.db.health.committed();
        Ok(results)
    }

    /// Reads, in one round trip, what the batch needs from the committed log (`spec/api.md`
    /// §7.3 has the whole transaction):
    ///
    /// * the leaf hashes of entries other processes appended since this writer's last look,
    ///   which its tree then gets;
    /// * which of the credentials and tracking codes the batch's preconditions ask about the
    ///   log has already, and which ciphertexts, cast or audited (into `seen`);
    /// * the running tally, if the batch casts ballots.
    ///
    /// Each part is one branch of a `UNION ALL`, its rows tagged by the branch.
    async fn read_committed(
        &self,
        tx: &mut Transaction<'_, Any>,
        jobs: &[AppendJob],
        committed: u64,
        seen: &mut Seen,
    ) -> Result<Option<RunningTally>, sqlx::Error> {
        const LEAF: i64 = 0;
        const CAST_CREDENTIAL: i64 = 1;
        const CAST_CODE: i64 = 2;
        const AUDITED_CODE: i64 = 3;
        const TALLY: i64 = 4;
        const CAST_CIPHERTEXTS: i64 = 5;
        const AUDITED_CIPHERTEXTS: i64 = 6;
        let have = self.view.tree.read().expect("tree lock").len();
        if have > committed {
            // Only after a failed commit whose leaves were not forgotten: start again from the
            // committed log.
            let leaves = load_leaves(&mut **tx, &self.election_id, 0, committed).await?;
            *self.view.tree.write().expect("tree lock") = MerkleTree::from_leaves(leaves);
        }
        let mut credentials = Vec::new();
        let mut codes = Vec::new();
        let mut digests = Vec::new();
        for p in jobs.iter().flat_map(|j| &j.preconditions) {
            match p {
                Precondition::CredentialUnused(c) => credentials.push(*c),
                Precondition::TrackingCodeUnused(c) => codes.push(c.0),
                Precondition::CiphertextsNotOther { digest, .. } => digests.push(digest.0),
                _ => {}
            }
        }
        let casts = jobs
            .iter()
            .flat_map(|j| &j.effects)
            .any(|e| matches!(e, Effect::RecordCast { .. }));

        let mut branches: Vec<String> = Vec::new();
        let mut binds: Vec<Vec<u8>> = Vec::new();
        let mut range = None;
        // $1 is the election; the leaves' range is $2 and $3; the keys follow.
        let mut next = 4;
        if have < committed {
            branches.push(format!(
                "SELECT CAST({LEAF} AS BIGINT), idx, leaf_hash FROM board_entries \
                 WHERE election_id = $1 AND idx >= $2 AND idx < $3"
            ));
            range = Some((have, committed));
        }
        let lookups: [(i64, &str, &str, &[[u8; 32]]); 3] = [
            (CAST_CREDENTIAL, "cast_ballots", "credential", &credentials),
            (CAST_CODE, "cast_ballots", "tracking_code", &codes),
            (AUDITED_CODE, "audited_ballots", "tracking_code", &codes),
        ];
        for (tag, table, column, keys) in lookups {
            if keys.is_empty() {
                continue;
            }
            let list: Vec<String> = (0..keys.len()).map(|i| format!("${}", next + i)).collect();
            next += keys.len();
            branches.push(format!(
                "SELECT CAST({tag} AS BIGINT), CAST(0 AS BIGINT), {column} FROM {table} \
                 WHERE election_id = $1 AND {column} IN ({})",
                list.join(", ")
            ));
            binds.extend(keys.iter().map(|k| k.to_vec()));
        }
        if !digests.is_empty() {
            let list: Vec<String> = (0..digests.len())
                .map(|i| format!("${}", next + i))
                .collect();
            branches.push(format!(
                "SELECT CAST(CASE kind WHEN 'cast' THEN {CAST_CIPHERTEXTS} \
                 ELSE {AUDITED_CIPHERTEXTS} END AS BIGINT), idx, digest FROM ballot_ciphertexts \
                 WHERE election_id = $1 AND digest IN ({})",
                list.join(", ")
            ));
            binds.extend(digests.iter().map(|k| k.to_vec()));
        }
        if casts {
            branches.push(format!(
                "SELECT CAST({TALLY} AS BIGINT), counted, sums FROM running_tallies \
                 WHERE election_id = $1"
            ));
        }
        if branches.is_empty() {
            return Ok(None);
        }
        let (from, to) = range.unwrap_or((0, 0));
        let mut q = sqlx::query(AssertSqlSafe(branches.join(" UNION ALL ")))
            .bind(&self.election_id)
            .bind(from as i64)
            .bind(to as i64);
        for b in binds {
            q = q.bind(b);
        }
        let mut leaves: Vec<(i64, [u8; 32])> = Vec::new();
        let mut running = None;
        let bad = |what: &str| sqlx::Error::Decode(format!("{what} is not 32 bytes").into());
        for row in q.fetch_all(&mut **tx).await? {
            let tag: i64 = row.try_get(0)?;
            let n: i64 = row.try_get(1)?;
            let v: Vec<u8> = row.try_get(2)?;
            match tag {
                LEAF => leaves.push((n, v.try_into().map_err(|_| bad("a leaf hash"))?)),
                CAST_CREDENTIAL => {
                    seen.taken_credentials
                        .insert(v.try_into().map_err(|_| bad("a credential"))?);
                }
                CAST_CODE | AUDITED_CODE => {
                    seen.taken_codes
                        .insert(Bytes(v.try_into().map_err(|_| bad("a tracking code"))?));
                }
                CAST_CIPHERTEXTS | AUDITED_CIPHERTEXTS => {
                    let kind = if tag == CAST_CIPHERTEXTS {
                        BallotKind::Cast
                    } else {
                        BallotKind::Audited
                    };
                    let digest = Bytes(v.try_into().map_err(|_| bad("a ciphertexts' hash"))?);
                    seen.ciphertexts.insert(digest, (kind, n as u64));
                }
                _ => {
                    running = Some(RunningTally {
                        sums: decode_sums(&v)?,
                        counted: n,
                    })
                }
            }
        }
        if let Some((from, to)) = range {
            leaves.sort_unstable_by_key(|(i, _)| *i);
            let contiguous = leaves.len() as u64 == to - from
                && leaves
                    .iter()
                    .zip(from..)
                    .all(|((i, _), want)| *i as u64 == want);
            if !contiguous {
                return Err(sqlx::Error::Decode(
                    format!("entries {from}..{to} of the log are not all there").into(),
                ));
            }
            push_missing(
                &mut self.view.tree.write().expect("tree lock"),
                from,
                leaves.into_iter().map(|(_, l)| l),
            );
        }
        Ok(running)
    }

    /// Adds a cast ballot to the batch's tally delta; under `last_counts`, takes away the
    /// credential's earlier ballot (of this batch, else the latest on the committed log).
    async fn count(
        &self,
        tx: &mut Transaction<'_, Any>,
        tally: &mut TallyDelta,
        ballot: &Ballot,
        credential: [u8; 32],
        last_counts: bool,
    ) -> Result<(), sqlx::Error> {
        tally.add(ballot, true);
        if !last_counts {
            tally.counted += 1;
            return Ok(());
        }
        let earlier = match tally.batch.insert(credential, ballot.clone()) {
            Some(b) => Some(b),
            None => self.latest_ballot(tx, credential).await?,
        };
        match earlier {
            Some(b) => tally.add(&b, false),
            None => tally.counted += 1,
        }
        Ok(())
    }

    /// The latest committed ballot of a credential.
    async fn latest_ballot(
        &self,
        tx: &mut Transaction<'_, Any>,
        credential: [u8; 32],
    ) -> Result<Option<Ballot>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT e.body FROM cast_ballots c JOIN board_entries e \
             ON e.election_id = c.election_id AND e.idx = c.idx \
             WHERE c.election_id = $1 AND c.credential = $2 ORDER BY c.idx DESC LIMIT 1",
        )
        .bind(&self.election_id)
        .bind(credential.to_vec())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let body: Vec<u8> = row.try_get(0)?;
        match Entry::from_bytes(&body).map(|e| e.event) {
            Ok(Event::Ballot(b)) => Ok(Some(b)),
            _ => Err(sqlx::Error::Decode(
                "a cast ballot's entry is not a ballot".into(),
            )),
        }
    }

    /// Adds the batch's delta to the election's row of `running_tallies`.
    async fn update_tally(
        &self,
        tx: &mut Transaction<'_, Any>,
        running: Option<RunningTally>,
        delta: &TallyDelta,
    ) -> Result<(), sqlx::Error> {
        if delta.sums.is_empty() {
            return Ok(());
        }
        let RunningTally { mut sums, counted } = running.unwrap_or_default();
        if sums.len() < delta.sums.len() {
            sums.resize(
                delta.sums.len(),
                (RistrettoPoint::default(), RistrettoPoint::default()),
            );
        }
        for (s, d) in sums.iter_mut().zip(&delta.sums) {
            s.0 += d.0;
            s.1 += d.1;
        }
        let bytes: Vec<u8> = sums
            .iter()
            .flat_map(|(a, b)| [a.compress().to_bytes(), b.compress().to_bytes()])
            .flatten()
            .collect();
        sqlx::query(
            "INSERT INTO running_tallies (election_id, sums, counted) VALUES ($1, $2, $3) \
             ON CONFLICT (election_id) DO UPDATE SET sums = excluded.sums, counted = excluded.counted",
        )
        .bind(&self.election_id)
        .bind(bytes)
        .bind(counted + delta.counted)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Inserts the rows waiting in `pending`, a hundred per statement.
    async fn flush(
        &self,
        tx: &mut Transaction<'_, Any>,
        pending: &mut Pending,
    ) -> Result<(), sqlx::Error> {
        let id = &self.election_id;
        for rows in pending.entries.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO board_entries (election_id, idx, kind, body, leaf_hash) VALUES {}",
                placeholders(rows.len(), 5, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (idx, kind, bytes, leaf) in rows {
                q = q
                    .bind(id)
                    .bind(*idx as i64)
                    .bind(*kind)
                    .bind(bytes.as_slice())
                    .bind(leaf.to_vec());
            }
            q.execute(&mut **tx).await?;
        }
        for rows in pending.casts.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO cast_ballots (election_id, credential, tracking_code, idx) VALUES {}",
                placeholders(rows.len(), 4, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (credential, code, idx) in rows {
                q = q
                    .bind(id)
                    .bind(credential.to_vec())
                    .bind(code.0.to_vec())
                    .bind(*idx as i64);
            }
            q.execute(&mut **tx).await?;
        }
        for rows in pending.audits.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO audited_ballots (election_id, tracking_code, idx) VALUES {}",
                placeholders(rows.len(), 3, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (code, idx) in rows {
                q = q.bind(id).bind(code.0.to_vec()).bind(*idx as i64);
            }
            q.execute(&mut **tx).await?;
        }
        for rows in pending.ciphertexts.chunks(ROWS_PER_INSERT) {
            ciphertexts::insert(tx, id, rows).await?;
        }
        pending.entries.clear();
        pending.casts.clear();
        pending.audits.clear();
        pending.ciphertexts.clear();
        Ok(())
    }

    fn receipt(&self, index: u64, tracking_code: Digest32, head: &SignedTreeHead) -> Receipt {
        let tree = self.view.tree.read().expect("tree lock");
        let mut r = Receipt {
            election_id: self.election_id.clone(),
            tracking_code,
            index,
            leaf_hash: Bytes(tree.leaf(index).expect("appended")),
            tree_head: *head,
            inclusion: tree
                .inclusion_proof(index, head.head.size)
                .expect("index < size")
                .into_iter()
                .map(Bytes)
                .collect(),
            signature: Bytes([0; 64]),
        };
        r.signature = self.key.sign_bytes(&r.signed_bytes());
        r
    }

    /// The number of credentials registered, as this transaction sees it.
    async fn credential_count(&self, tx: &mut Transaction<'_, Any>) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM credentials WHERE election_id = $1")
            .bind(&self.election_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    /// Whether the committed log has an entry of this kind.
    async fn has_kind(
        &self,
        tx: &mut Transaction<'_, Any>,
        kind: &str,
    ) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("SELECT 1 FROM board_entries WHERE election_id = $1 AND kind = $2 LIMIT 1")
                .bind(&self.election_id)
                .bind(kind)
                .fetch_optional(&mut **tx)
                .await?
                .is_some(),
        )
    }

    async fn check(
        &self,
        tx: &mut Transaction<'_, Any>,
        job: &AppendJob,
        state: Option<ElectionState>,
        exists: bool,
        seen: &Seen,
    ) -> Result<Result<(), ApiError>, sqlx::Error> {
        for p in &job.preconditions {
            match p {
                Precondition::ElectionAbsent => {
                    if exists {
                        return Ok(Err(ApiError::Conflict(format!(
                            "election {:?} exists already",
                            self.election_id
                        ))));
                    }
                }
                Precondition::State(allowed) => match state {
                    Some(s) if allowed.contains(&s) => {}
                    Some(s) => {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the election is {}; this needs it to be {}",
                            s.as_str(),
                            allowed
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ))));
                    }
                    None => {
                        return Ok(Err(ApiError::NotFound(format!(
                            "no election {:?}",
                            self.election_id
                        ))));
                    }
                },
                Precondition::CredentialUnused(c) => {
                    let taken = seen.credentials.contains(c) || seen.taken_credentials.contains(c);
                    if taken {
                        return Ok(Err(ApiError::Conflict(
                            "this credential has already cast a ballot, and the first ballot is final".into(),
                        )));
                    }
                }
                Precondition::TrackingCodeUnused(code) => {
                    let taken = seen.codes.contains(code) || seen.taken_codes.contains(code);
                    if taken {
                        return Ok(Err(ApiError::Conflict(format!(
                            "a ballot with tracking code {code} is already on the board"
                        ))));
                    }
                }
                Precondition::CiphertextsNotOther { digest, kind } => {
                    if let Some((other, idx)) = seen.ciphertexts.get(digest)
                        && other != kind
                    {
                        return Ok(Err(ApiError::AuditedCiphertexts(match kind {
                            BallotKind::Cast => format!(
                                "this ballot's ciphertexts are those of the audited ballot of \
                                 entry {idx}, whose opening is public: they can never be cast"
                            ),
                            BallotKind::Audited => format!(
                                "this ballot's ciphertexts are those of the cast ballot of \
                                 entry {idx}: auditing them would publish its vote"
                            ),
                        })));
                    }
                }
                Precondition::CredentialsNew(keys) => {
                    for k in keys {
                        let taken = sqlx::query(
                            "SELECT 1 FROM credentials WHERE election_id = $1 AND credential = $2",
                        )
                        .bind(&self.election_id)
                        .bind(k.to_vec())
                        .fetch_optional(&mut **tx)
                        .await?
                        .is_some();
                        if taken {
                            return Ok(Err(ApiError::Conflict(format!(
                                "credential {} is registered already",
                                piaojue_crypto::encoding::encode_base64(k)
                            ))));
                        }
                    }
                }
                Precondition::KindPresent(kind) => {
                    if !(seen.kinds.contains(kind) || self.has_kind(tx, kind).await?) {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the log has no {kind} entry yet"
                        ))));
                    }
                }
                Precondition::CredentialsFit { adding, deputies } => {
                    let have = self.credential_count(tx).await?;
                    if have + adding > u64::from(*deputies) {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the congress has {deputies} deputies and {have} credentials are registered: \
                             {adding} more would be too many"
                        ))));
                    }
                }
                Precondition::CredentialsComplete(deputies) => {
                    let have = self.credential_count(tx).await?;
                    if have != u64::from(*deputies) {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the credential list is not complete: {have} of the congress's {deputies} deputies have a credential"
                        ))));
                    }
                }
                Precondition::KindAbsent(kind) => {
                    if seen.kinds.contains(kind) || self.has_kind(tx, kind).await? {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the log has a {kind} entry already"
                        ))));
                    }
                }
                Precondition::CeremonyMessageUnused { round, teller } => {
                    let taken = seen.messages.contains(&(*round, *teller))
                        || sqlx::query("SELECT 1 FROM ceremony_messages WHERE election_id = $1 AND round = $2 AND teller = $3")
                            .bind(&self.election_id)
                            .bind(*round)
                            .bind(i64::from(*teller))
                            .fetch_optional(&mut **tx)
                            .await?
                            .is_some();
                    if taken {
                        return Ok(Err(ApiError::Conflict(format!(
                            "teller {teller} has already posted its {round} message"
                        ))));
                    }
                }
            }
        }
        Ok(Ok(()))
    }

    async fn apply(
        &self,
        tx: &mut Transaction<'_, Any>,
        effect: &Effect,
        first: u64,
        state: &mut Option<ElectionState>,
        seen: &mut Seen,
    ) -> Result<(), sqlx::Error> {
        let id = &self.election_id;
        match effect {
            Effect::CreateElection { .. } => {}
            Effect::Write(w) => w.write(tx, id).await?,
            Effect::SetState(s) => {
                sqlx::query("UPDATE elections SET state = $1 WHERE id = $2")
                    .bind(s.as_str())
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                *state = Some(*s);
            }
            Effect::SetFingerprint(f) => {
                sqlx::query("UPDATE elections SET fingerprint = $1 WHERE id = $2")
                    .bind(f.to_base64())
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            Effect::RecordCast { .. } | Effect::RecordAudited { .. } => {
                unreachable!("the rows of ballots are batched by commit_on, never applied alone")
            }
            Effect::RecordCeremonyMessage { round, teller } => {
                sqlx::query("INSERT INTO ceremony_messages (election_id, round, teller, idx) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(*round)
                    .bind(i64::from(*teller))
                    .bind(first as i64)
                    .execute(&mut **tx)
                    .await?;
                seen.messages.insert((*round, *teller));
            }
            Effect::AddCredentials(keys) => {
                for k in keys {
                    sqlx::query(
                        "INSERT INTO credentials (election_id, credential) VALUES ($1, $2)",
                    )
                    .bind(id)
                    .bind(k.to_vec())
                    .execute(&mut **tx)
                    .await?;
                }
            }
        }
        Ok(())
    }
}
