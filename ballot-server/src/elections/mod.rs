//! The election lifecycle (`spec/record.md` §9.1): every operation checks its input, checks the
//! election's state, and appends to the board in one transaction with its state change.
//! Handlers call these; they do no more than decode and encode.
//!
//! Draft → key ceremony → registration → open → closed → tallied → published.

mod ceremony;
mod counting;
mod registration;
mod result;
mod voting;

use std::collections::HashMap;
use std::sync::Arc;

use piaojue_crypto::attendance::Attendance;
use piaojue_crypto::ballot::ElectionContext;
use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::credential::CredentialList;
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_crypto::manifest::Manifest;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tokio::sync::RwLock;

use crate::board::{AppendJob, Appended, Board, Effect, Precondition};
use crate::casting::CastQueue;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::lifecycle::ElectionState;

pub use ceremony::CeremonyMessage;

/// What does not change once an election is open: kept in memory for ballot verification.
pub struct Opened {
    /// Manifest, fingerprint, key.
    pub ctx: ElectionContext,
    /// The credential list.
    pub credentials: CredentialList,
    /// Its cast ballots waiting to be verified ([`crate::casting`]).
    queue: std::sync::OnceLock<CastQueue>,
}

impl Opened {
    /// What casting needs, with its verification queue started.
    pub fn start(ctx: ElectionContext, credentials: CredentialList) -> Arc<Self> {
        let opened = Arc::new(Opened {
            ctx,
            credentials,
            queue: std::sync::OnceLock::new(),
        });
        let _ = opened.queue.set(CastQueue::start(Arc::downgrade(&opened)));
        opened
    }

    /// The queue of ballots waiting to be verified.
    pub fn queue(&self) -> &CastQueue {
        self.queue.get().expect("started with its queue")
    }
}

/// Cached, immutable election data.
#[derive(Default)]
pub struct Elections {
    manifests: RwLock<HashMap<String, Arc<Manifest>>>,
    /// Per election, what casting needs once voting opened, built once: the first ballots of
    /// an election arrive together, and each building it again (a key table and the whole
    /// credential list) would stall them all.
    opened: std::sync::Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<Opened>>>>>,
}

/// An election's public status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Id.
    pub election_id: String,
    /// Lifecycle state.
    pub state: ElectionState,
    /// The manifest.
    pub manifest: Manifest,
    /// Fingerprint, once open.
    pub fingerprint: Option<Digest32>,
    /// Board entries.
    pub log_size: u64,
    /// Credentials registered (the roll of voters).
    pub credentials: u64,
    /// Deputies on the attendance roll (names kept by staff).
    pub roll: u64,
    /// Cast ballots on the board.
    pub ballots: u64,
    /// Distinct credentials that cast a ballot (turnout).
    pub voted: u64,
    /// Audited ballots on the board.
    pub audited: u64,
    /// The election this re-votes, if any.
    pub parent: Option<String>,
    /// Deputies signed in, once the chief scrutineer posted the attendance.
    pub signed_in: Option<u32>,
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> ApiResult<T> {
    piaojue_crypto::json::from_slice(bytes)
        .map_err(|e| ApiError::Internal(format!("stored {what}: {e}")))
}

fn entry_event(bytes: &[u8]) -> ApiResult<Event> {
    Entry::from_bytes(bytes)
        .map(|e| e.event)
        .map_err(|e| ApiError::Internal(format!("stored entry: {e}")))
}

/// The first event of a kind on an election's board, if there is one (for the events that
/// happen once: ceremony output, open, close, tally).
async fn first_event(board: &Board, id: &str, kind: &str) -> ApiResult<Option<Event>> {
    board
        .entries_of_kind(id, kind)
        .await?
        .first()
        .map(|b| entry_event(b))
        .transpose()
}

/// The attendance entry of an election, if it has one.
async fn attendance_of(db: &Db, id: &str) -> ApiResult<Option<Attendance>> {
    let row = sqlx::query(
        "SELECT body FROM board_entries WHERE election_id = $1 AND kind = 'attendance' LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => match entry_event(&r.try_get::<Vec<u8>, _>(0)?)? {
            Event::Attendance(a) => Ok(Some(a)),
            _ => Err(ApiError::Internal("stored attendance entry".into())),
        },
        None => Ok(None),
    }
}

/// Runs CPU-heavy work (proof verification) off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await
        .map_err(|_| ApiError::Internal("verification task failed".into()))
}

impl Elections {
    /// The state of an election.
    pub async fn state(&self, db: &Db, id: &str) -> ApiResult<ElectionState> {
        let row = sqlx::query("SELECT state FROM elections WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no election {id:?}")))?;
        let s: String = row.try_get(0)?;
        ElectionState::parse(&s).ok_or_else(|| ApiError::Internal(format!("unknown state {s:?}")))
    }

    /// The manifest of an election.
    pub async fn manifest(&self, db: &Db, id: &str) -> ApiResult<Arc<Manifest>> {
        if let Some(m) = self.manifests.read().await.get(id) {
            return Ok(m.clone());
        }
        let row = sqlx::query("SELECT manifest FROM elections WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no election {id:?}")))?;
        let m: Arc<Manifest> =
            Arc::new(parse("manifest", row.try_get::<String, _>(0)?.as_bytes())?);
        self.manifests
            .write()
            .await
            .insert(id.to_string(), m.clone());
        Ok(m)
    }

    /// Lists elections: id, state, title.
    pub async fn list(&self, db: &Db) -> ApiResult<Vec<Status>> {
        let rows = sqlx::query("SELECT id FROM elections ORDER BY created_ms, id")
            .fetch_all(&db.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get(0)?;
            out.push(self.status(db, &id).await?);
        }
        Ok(out)
    }

    /// An election's status.
    pub async fn status(&self, db: &Db, id: &str) -> ApiResult<Status> {
        let row =
            sqlx::query("SELECT state, fingerprint, log_size, parent FROM elections WHERE id = $1")
                .bind(id)
                .fetch_optional(&db.pool)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no election {id:?}")))?;
        let state: String = row.try_get(0)?;
        let fingerprint: Option<String> = row.try_get(1)?;
        let log_size: i64 = row.try_get(2)?;
        let parent: Option<String> = row.try_get(3)?;
        let count = |sql: &'static str| {
            let pool = db.pool.clone();
            let id = id.to_string();
            async move {
                let r = sqlx::query(sql).bind(id).fetch_one(&pool).await?;
                Ok::<u64, sqlx::Error>(r.try_get::<i64, _>(0)? as u64)
            }
        };
        Ok(Status {
            election_id: id.to_string(),
            state: ElectionState::parse(&state)
                .ok_or_else(|| ApiError::Internal(format!("unknown state {state:?}")))?,
            manifest: (*self.manifest(db, id).await?).clone(),
            fingerprint: fingerprint
                .map(|f| Bytes::from_base64(&f))
                .transpose()
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            log_size: log_size as u64,
            credentials: count("SELECT COUNT(*) FROM credentials WHERE election_id = $1").await?,
            roll: count("SELECT COUNT(*) FROM roll WHERE election_id = $1").await?,
            ballots: count("SELECT COUNT(*) FROM cast_ballots WHERE election_id = $1").await?,
            voted: count(
                "SELECT COUNT(DISTINCT credential) FROM cast_ballots WHERE election_id = $1",
            )
            .await?,
            audited: count("SELECT COUNT(*) FROM audited_ballots WHERE election_id = $1").await?,
            parent,
            signed_in: attendance_of(db, id).await?.map(|a| a.signed_in),
        })
    }

    /// Creates an election (state draft; entry 0 is the manifest).
    pub async fn create(
        &self,
        board: &Board,
        manifest: Manifest,
        parent: Option<String>,
    ) -> ApiResult<Appended> {
        self.create_with(board, manifest, parent, None, None).await
    }

    /// Creates an election: entry 0 is the manifest and, when the candidate list was
    /// approved, entry 1 the approval (`spec/record.md` §9.1.1), in one append; `cycle` sets
    /// its congress, year and purpose in the same transaction.
    pub async fn create_with(
        &self,
        board: &Board,
        manifest: Manifest,
        parent: Option<String>,
        approval: Option<piaojue_crypto::board::Approval>,
        cycle: Option<Effect>,
    ) -> ApiResult<Appended> {
        manifest
            .validate()
            .map_err(|e| ApiError::BadRequest(format!("invalid manifest: {e}")))?;
        board.check_manifest(&manifest)?;
        if let Some(a) = &approval {
            let failures = piaojue_crypto::board::check_approval(&manifest, &[(1, a)]);
            if !failures.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "invalid approval: {}",
                    failures.join("; ")
                )));
            }
        }
        let id = manifest.election_id.clone();
        let json = serde_json::to_string(&manifest).expect("manifests serialize");
        let mut events = vec![Event::Manifest(manifest)];
        events.extend(approval.map(Event::Approval));
        let mut effects = vec![Effect::CreateElection {
            manifest: json,
            parent,
        }];
        effects.extend(cycle);
        board
            .append(
                &id,
                AppendJob {
                    events,
                    preconditions: vec![Precondition::ElectionAbsent],
                    effects,
                    receipt_for: None,
                },
            )
            .await
    }
}
