//! The bulletin board: one append-only, hash-linked log per election ([`log`]), its signed
//! tree heads, and the reads the public API serves (entries, heads, inclusion and consistency
//! proofs, receipts).

pub mod ciphertexts;
pub mod key_file;
pub mod log;
pub mod verify;

use std::collections::HashMap;
use std::sync::Arc;

use piaojue_crypto::board::{BoardKey, Checkpoint, NoteSignature, SignedTreeHead};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_crypto::manifest::{BoardParams, Manifest, Witnesses};
use piaojue_crypto::tracking::{SHORT_BYTES, TrackingCodeText};
use sqlx::Row;
use tokio::sync::Mutex;

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
pub use ciphertexts::BallotKind;
pub use log::{AppendJob, Appended, Effect, LogHandle, LogWriter, Precondition};

/// The board's name: each election's log origin is `{name}/{election id}`
/// (`spec/protocol.md` §7.5), when the operator names none.
pub const DEFAULT_BOARD_NAME: &str = "piaojue.localhost/board";

/// Who the board is and who witnesses it: what the server writes into every manifest it makes
/// (`board`, `witnesses`), so into every fingerprint.
#[derive(Debug, Clone)]
pub struct BoardConfig {
    /// The board's name, a key name (c2sp.org/signed-note): origins are `{name}/{election id}`.
    pub name: String,
    /// The witnesses every new election names, and their quorum.
    pub witnesses: Witnesses,
}

impl Default for BoardConfig {
    fn default() -> Self {
        BoardConfig {
            name: DEFAULT_BOARD_NAME.to_string(),
            witnesses: Witnesses::default(),
        }
    }
}

/// The board: the signing keys, its identity and one writer per election.
pub struct Board {
    db: Db,
    /// The key of new elections.
    key: Arc<BoardKey>,
    /// The retired keys elections made before a rotation are signed with, by public key
    /// (base64url).
    retired: HashMap<String, Arc<BoardKey>>,
    config: BoardConfig,
    writers: Mutex<HashMap<String, LogHandle>>,
    /// Set when the server shuts down: the writers commit and answer what is queued, refuse
    /// the rest, and stop; the background tasks stop.
    stop: tokio::sync::watch::Sender<bool>,
    /// The writers' and the background tasks' handles, awaited by [`Board::shutdown`].
    tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board")
            .field("key", &self.key.public())
            .finish()
    }
}

impl Board {
    /// Opens the board with the signing key in `key_file`, created on first start, and the
    /// retired keys beside it that elections made before a rotation are signed with
    /// ([`key_file`]: files of their own, never the database; every server process on one
    /// database must be given the same keys).
    pub async fn open(
        db: Db,
        key_file: &std::path::Path,
        config: BoardConfig,
    ) -> Result<Self, key_file::BoardKeyError> {
        let keys = key_file::load(&db, key_file).await?;
        Ok(Board {
            db,
            key: Arc::new(keys.current),
            retired: keys
                .retired
                .into_iter()
                .map(|k| (k.public().to_base64(), Arc::new(k)))
                .collect(),
            config,
            writers: Mutex::new(HashMap::new()),
            stop: tokio::sync::watch::Sender::new(false),
            tasks: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Turns `true` when the server shuts down ([`Board::shutdown`]).
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Keeps a background task's handle, for [`Board::shutdown`] to wait for (the task stops on
    /// [`Board::stopping`]).
    pub fn track(&self, task: tokio::task::JoinHandle<()>) {
        let mut tasks = self.tasks.lock().expect("tasks lock");
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }

    /// Shuts the board down: every log writer commits and answers the appends already queued
    /// (later ones are refused), then stops; the background tasks stop. Returns when all have.
    pub async fn shutdown(&self) {
        self.stop.send_replace(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().expect("tasks lock"));
        for t in tasks {
            if let Err(e) = t.await
                && e.is_panic()
            {
                tracing::error!(error = %e, "a board task panicked while stopping");
            }
        }
        self.writers.lock().await.clear();
    }

    /// The board's public key: the key of new elections.
    pub fn public_key(&self) -> CredentialKey {
        self.key.public()
    }

    /// Every key this process signs with: the key of new elections, then the retired ones.
    pub fn public_keys(&self) -> Vec<CredentialKey> {
        let mut retired: Vec<CredentialKey> = self.retired.values().map(|k| k.public()).collect();
        retired.sort();
        std::iter::once(self.key.public()).chain(retired).collect()
    }

    /// The key an election is signed with (the one its manifest names, `elections.board_key`);
    /// for an election not made yet, the key of new elections.
    async fn key_of(&self, election_id: &str) -> ApiResult<Arc<BoardKey>> {
        let recorded: Option<Option<String>> =
            sqlx::query_scalar("SELECT board_key FROM elections WHERE id = $1")
                .bind(election_id)
                .fetch_optional(&self.db.pool)
                .await?;
        match recorded.flatten() {
            None => Ok(self.key.clone()),
            Some(k) if k == self.key.public().to_base64() => Ok(self.key.clone()),
            Some(k) => self.retired.get(&k).cloned().ok_or_else(|| {
                ApiError::Unavailable(format!(
                    "the election {election_id:?} is signed by the board key {k}, which this \
                     server process did not load: restart it (after `piaojue board-key rotate`, \
                     every process on the database restarts)"
                ))
            }),
        }
    }

    /// The public key an election is signed with.
    pub async fn election_key(&self, election_id: &str) -> ApiResult<CredentialKey> {
        Ok(self.key_of(election_id).await?.public())
    }

    /// Every board key with the elections it signs (by id): the key of new elections first,
    /// then the retired ones (`GET /api/board-key`).
    pub async fn keys_in_use(&self) -> ApiResult<Vec<(String, Vec<String>)>> {
        let rows = sqlx::query("SELECT board_key, id FROM elections ORDER BY id")
            .fetch_all(&self.db.pool)
            .await?;
        let current = self.key.public().to_base64();
        let mut by_key: std::collections::BTreeMap<String, Vec<String>> =
            std::collections::BTreeMap::new();
        for r in &rows {
            let key: Option<String> = r.try_get(0)?;
            by_key
                .entry(key.unwrap_or_else(|| current.clone()))
                .or_default()
                .push(r.try_get(1)?);
        }
        let mine = by_key.remove(&current).unwrap_or_default();
        Ok(std::iter::once((current, mine)).chain(by_key).collect())
    }

    /// The board's name and witnesses.
    pub fn config(&self) -> &BoardConfig {
        &self.config
    }

    /// The manifest's `board` for an election of this board.
    pub fn params(&self, election_id: &str) -> BoardParams {
        BoardParams {
            origin: format!("{}/{election_id}", self.config.name),
            key: self.key.public(),
        }
    }

    /// Checks that a manifest names this board and its witnesses (what the server writes into
    /// every manifest it makes).
    pub fn check_manifest(&self, manifest: &Manifest) -> ApiResult<()> {
        if manifest.board != self.params(&manifest.election_id) {
            return Err(ApiError::BoardMismatch(format!(
                "the manifest's board must be this board's: origin {:?}, key {}",
                self.params(&manifest.election_id).origin,
                self.key.public().to_base64()
            )));
        }
        if manifest.witnesses != self.config.witnesses {
            return Err(ApiError::BoardMismatch(
                "the manifest's witnesses must be this board's (GET /api/board-key lists them)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The writer of an election's log, started on first use.
    pub async fn log(&self, election_id: &str) -> ApiResult<LogHandle> {
        self.writer(election_id, false).await
    }

    /// The writer of an election's log. A writer is started only for an election that exists,
    /// or that the caller is `creating`: never for an unknown id (which would be 404 anyway, and
    /// would leave a task behind for every id a client makes up).
    async fn writer(&self, election_id: &str, creating: bool) -> ApiResult<LogHandle> {
        // Shutting down: no writer is started again, and nothing more is appended.
        if *self.stop.borrow() {
            return Err(ApiError::Unavailable(
                "the server is shutting down: nothing was recorded; try again".into(),
            ));
        }
        let mut writers = self.writers.lock().await;
        // A writer that stopped (a bug made it panic) is replaced: it reloads the committed
        // log, so the election goes on without a restart of the server.
        if let Some(h) = writers.get(election_id)
            && h.is_running()
        {
            return Ok(h.clone());
        }
        if !creating {
            self.size(election_id).await?;
        }
        let (h, task) = LogWriter::spawn(
            self.db.clone(),
            self.key_of(election_id).await?,
            election_id.to_string(),
            self.stopping(),
        )
        .await?;
        self.track(task);
        writers.insert(election_id.to_string(), h.clone());
        Ok(h)
    }

    /// The elections whose log writer stopped (it panicked); the next append starts another.
    pub async fn stopped_writers(&self) -> Vec<String> {
        let writers = self.writers.lock().await;
        let mut stopped: Vec<String> = writers
            .iter()
            .filter(|(_, h)| !h.is_running())
            .map(|(id, _)| id.clone())
            .collect();
        stopped.sort();
        stopped
    }

    /// Per election whose writer runs in this process, the jobs waiting for it.
    pub async fn queued_jobs(&self) -> Vec<(String, usize)> {
        let writers = self.writers.lock().await;
        writers
            .iter()
            .map(|(id, h)| (id.clone(), h.queued()))
            .collect()
    }

    /// Appends a job to an election's log and waits for its commit.
    pub async fn append(&self, election_id: &str, job: AppendJob) -> ApiResult<Appended> {
        let creating = job
            .effects
            .iter()
            .any(|e| matches!(e, Effect::CreateElection { .. }));
        self.writer(election_id, creating).await?.append(job).await
    }

    /// Number of committed entries.
    pub async fn size(&self, election_id: &str) -> ApiResult<u64> {
        let row = sqlx::query("SELECT log_size FROM elections WHERE id = $1")
            .bind(election_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no election {election_id:?}")))?;
        Ok(row.try_get::<i64, _>(0)? as u64)
    }

    /// Entries `from .. from + limit` (their exact bytes).
    pub async fn entries(
        &self,
        election_id: &str,
        from: u64,
        limit: u64,
    ) -> ApiResult<Vec<Vec<u8>>> {
        let rows = sqlx::query("SELECT body FROM board_entries WHERE election_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3")
            .bind(election_id)
            .bind(i64::try_from(from).unwrap_or(i64::MAX))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.db.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    /// Entries of one kind, in order (their exact bytes).
    pub async fn entries_of_kind(&self, election_id: &str, kind: &str) -> ApiResult<Vec<Vec<u8>>> {
        let rows = sqlx::query(
            "SELECT body FROM board_entries WHERE election_id = $1 AND kind = $2 ORDER BY idx",
        )
        .bind(election_id)
        .bind(kind)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    /// One entry's bytes.
    pub async fn entry(&self, election_id: &str, index: u64) -> ApiResult<Vec<u8>> {
        let row = sqlx::query("SELECT body FROM board_entries WHERE election_id = $1 AND idx = $2")
            .bind(election_id)
            .bind(i64::try_from(index).unwrap_or(i64::MAX))
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no entry {index} in {election_id:?}")))?;
        Ok(row.try_get(0)?)
    }

    /// The latest signed tree head.
    pub async fn head(&self, election_id: &str) -> ApiResult<SignedTreeHead> {
        let row = sqlx::query(
            "SELECT body FROM tree_heads WHERE election_id = $1 ORDER BY size DESC LIMIT 1",
        )
        .bind(election_id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no election {election_id:?}")))?;
        parse_head(&row.try_get::<String, _>(0)?)
    }

    /// Every signed tree head, by increasing size.
    pub async fn heads(&self, election_id: &str) -> ApiResult<Vec<SignedTreeHead>> {
        let rows = sqlx::query("SELECT body FROM tree_heads WHERE election_id = $1 ORDER BY size")
            .bind(election_id)
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|r| parse_head(&r.try_get::<String, _>(0)?))
            .collect()
    }

    /// Makes sure this process's tree has at least `size` leaves, loading what other processes
    /// appended.
    async fn tree_at_least(&self, election_id: &str, size: u64) -> ApiResult<LogHandle> {
        let h = self.log(election_id).await?;
        let have = h.view.tree.read().expect("tree lock").len();
        if have < size {
            let leaves = log::load_leaves(&self.db.pool, election_id, have, size).await?;
            log::push_missing(&mut h.view.tree.write().expect("tree lock"), have, leaves);
        }
        Ok(h)
    }

    /// Inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion(
        &self,
        election_id: &str,
        index: u64,
        size: u64,
    ) -> ApiResult<Vec<Digest32>> {
        self.check_size(election_id, size).await?;
        let h = self.tree_at_least(election_id, size).await?;
        let tree = h.view.tree.read().expect("tree lock");
        tree.inclusion_proof(index, size)
            .map(|p| p.into_iter().map(Bytes).collect())
            .ok_or_else(|| ApiError::BadRequest(format!("no entry {index} in a tree of {size}")))
    }

    /// The Merkle root of the first `size` entries (`0 < size ≤` the committed size).
    pub async fn root_at(&self, election_id: &str, size: u64) -> ApiResult<Digest32> {
        self.check_size(election_id, size).await?;
        let h = self.tree_at_least(election_id, size).await?;
        let tree = h.view.tree.read().expect("tree lock");
        tree.root_at(size)
            .map(Bytes)
            .ok_or_else(|| ApiError::BadRequest(format!("no tree of {size} entries")))
    }

    /// The checkpoint (c2sp.org/tlog-checkpoint) of the first `size` entries of an election's
    /// log, whose origin is `origin` (the manifest's `board.origin`), and the board's note
    /// signature on it (key name = the origin; `spec/protocol.md` §14). Signed on demand: only committed sizes have a root.
    pub async fn checkpoint(
        &self,
        election_id: &str,
        origin: &str,
        size: u64,
    ) -> ApiResult<(Checkpoint, NoteSignature)> {
        let root = self.root_at(election_id, size).await?;
        let checkpoint = Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions: Vec::new(),
        };
        let signature = self
            .key_of(election_id)
            .await?
            .sign_note(origin, &checkpoint.text());
        Ok((checkpoint, signature))
    }

    /// Consistency proof between the trees of `old` and `new` entries.
    pub async fn consistency(
        &self,
        election_id: &str,
        old: u64,
        new: u64,
    ) -> ApiResult<Vec<Digest32>> {
        self.check_size(election_id, new).await?;
        if old == 0 || old > new {
            return Err(ApiError::BadRequest(format!(
                "need 0 < old ≤ new, got old = {old}, new = {new}"
            )));
        }
        let h = self.tree_at_least(election_id, new).await?;
        let tree = h.view.tree.read().expect("tree lock");
        tree.consistency_proof(old, new)
            .map(|p| p.into_iter().map(Bytes).collect())
            .ok_or_else(|| ApiError::BadRequest("no such consistency proof".into()))
    }

    async fn check_size(&self, election_id: &str, size: u64) -> ApiResult<()> {
        let committed = self.size(election_id).await?;
        if size == 0 || size > committed {
            return Err(ApiError::BadRequest(format!(
                "the log has {committed} entries; size {size} is not a tree of it"
            )));
        }
        Ok(())
    }

    /// The cast ballots of a credential, `(index, tracking code)` by increasing index.
    pub async fn cast_by_credential(
        &self,
        election_id: &str,
        credential: &[u8; 32],
    ) -> ApiResult<Vec<(u64, Digest32)>> {
        let rows = sqlx::query(
            "SELECT idx, tracking_code FROM cast_ballots \
             WHERE election_id = $1 AND credential = $2 ORDER BY idx",
        )
        .bind(election_id)
        .bind(credential.to_vec())
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let idx: i64 = r.try_get(0)?;
                let code: Vec<u8> = r.try_get(1)?;
                let code: [u8; 32] = code
                    .try_into()
                    .map_err(|_| ApiError::Internal("a stored tracking code".into()))?;
                Ok((idx as u64, Bytes(code)))
            })
            .collect()
    }

    /// The stored receipt of a ballot, by its full tracking code or its short form
    /// (`spec/protocol.md` §8.4): for a short form, the ballot whose code begins with its
    /// 80 bits (the smallest such code, should there be two).
    pub async fn receipt(
        &self,
        election_id: &str,
        code: &TrackingCodeText,
    ) -> ApiResult<piaojue_crypto::board::Receipt> {
        // Every code with a prefix lies between the prefix padded with 0x00 and with 0xff:
        // a range of the primary key (election_id, tracking_code).
        let (low, high) = match code {
            TrackingCodeText::Full(full) => (full.0.to_vec(), full.0.to_vec()),
            TrackingCodeText::Short(short) => {
                let mut low = [0x00u8; 32];
                let mut high = [0xffu8; 32];
                low[..SHORT_BYTES].copy_from_slice(short.prefix());
                high[..SHORT_BYTES].copy_from_slice(short.prefix());
                (low.to_vec(), high.to_vec())
            }
        };
        let row = sqlx::query(
            "SELECT body FROM receipts WHERE election_id = $1 \
             AND tracking_code >= $2 AND tracking_code <= $3 ORDER BY tracking_code LIMIT 1",
        )
        .bind(election_id)
        .bind(low)
        .bind(high)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(match code {
                TrackingCodeText::Full(full) => {
                    format!("no ballot with tracking code {full} on this board")
                }
                TrackingCodeText::Short(short) => {
                    format!("no ballot with a tracking code of short form {short} on this board")
                }
            })
        })?;
        piaojue_crypto::json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|e| ApiError::Internal(e.to_string()))
    }
}

fn parse_head(text: &str) -> ApiResult<SignedTreeHead> {
    piaojue_crypto::json::from_str(text)
        .map_err(|e| ApiError::Internal(format!("stored tree head: {e}")))
}
