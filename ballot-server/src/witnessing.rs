//! Getting the board witnessed: the server submits its checkpoints to each election's witnesses
//! (c2sp.org/tlog-witness `add-checkpoint`) and keeps the cosignatures they answer with
//! (`spec/api.md` §10, `spec/verification.md` V7.9).
//!
//! One task for the whole server, off the casting path: every [`POLL`] it looks at the
//! elections whose manifest names witnesses and whose log grew, and for each witness submits,
//! in increasing size,
//!
//! * the checkpoint right after each **milestone** entry (`open`, `close`, `tally`, `result`,
//!   `published`) that the witness has not yet seen: V7.9 requires a quorum of cosignatures on a
//!   checkpoint between each milestone and the next, so these sizes are never skipped, even
//!   when a witness was down while the milestone passed;
//! * then the log's current size.
//!
//! A witness that is down, slow or refuses delays its cosignatures and nothing else: casting
//! never waits for this task, and the task waits for one witness at most [`TIMEOUT`] before it
//! tries the next. The witness's latest size is learnt from its answers (a `409` names it), so
//! nothing about witnesses is kept but their cosignatures, which are verified under the
//! manifest's key for that witness before they are stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use piaojue_crypto::board::{Checkpoint, NoteSignature};
use piaojue_crypto::encoding::Digest32;
use piaojue_crypto::manifest::{Manifest, Witness};
use sqlx::Row;

use crate::board::Board;
use crate::db::Db;
use crate::elections::Elections;
use crate::error::{ApiError, ApiResult};

/// How often the task looks for grown logs.
pub const POLL: Duration = Duration::from_millis(250);
/// Longest wait for one witness's answer.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Pause before trying a witness again after it failed.
pub const RETRY: Duration = Duration::from_secs(2);

/// The entry kinds after which V7.9 requires a cosigned checkpoint.
pub const MILESTONES: [&str; 5] = ["open", "close", "tally", "result", "published"];

/// A cosignature as stored, served and recorded (`spec/record.md` §9.5).
pub use piaojue_crypto::record::RecordedCosignature as StoredCosignature;

/// What the task knows of one witness of one election.
#[derive(Debug, Default, Clone, Copy)]
struct Progress {
    /// The size the witness last cosigned, as far as we know (0 before its first answer).
    size: u64,
    /// Not before this instant (after a failure).
    retry_at: Option<Instant>,
}

/// The witnessing task.
pub struct Witnessing {
    db: Db,
    board: Arc<Board>,
    elections: Arc<Elections>,
    progress: HashMap<(String, String), Progress>,
    seen: HashMap<String, u64>,
}

/// Why a submission failed.
#[derive(Debug, thiserror::Error)]
enum SubmitError {
    #[error("the witness answered {0}")]
    Status(u16),
    #[error("the witness's tree has {0} entries")]
    Conflict(u64),
    #[error("{0}")]
    Transport(String),
    #[error("the witness's answer holds no valid cosignature of its key")]
    NoCosignature,
}

impl Witnessing {
    /// Starts the task; it stops on [`Board::stopping`] and [`Board::shutdown`] waits for it.
    pub fn spawn(db: Db, board: Arc<Board>, elections: Arc<Elections>) {
        let tracker = board.clone();
        let mut w = Witnessing {
            db,
            board,
            elections,
            progress: HashMap::new(),
            seen: HashMap::new(),
        };
        let mut stop = w.board.stopping();
        let task = tokio::spawn(async move {
            // Stops when the server shuts down, between rounds or in the middle of one (a
            // checkpoint not submitted yet is submitted by the next start).
            let stopped = stop.wait_for(|s| *s);
            tokio::pin!(stopped);
            loop {
                tokio::select! {
                    r = w.round() => if let Err(e) = r {
                        tracing::warn!(error = %e, "witnessing: a round failed");
                    },
                    _ = &mut stopped => break,
                }
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    _ = &mut stopped => break,
                }
            }
        });
        tracker.track(task);
    }

    /// One look at every election.
    async fn round(&mut self) -> ApiResult<()> {
        let rows = sqlx::query("SELECT id, log_size FROM elections")
            .fetch_all(&self.db.pool)
            .await?;
        for row in rows {
            let id: String = row.try_get(0)?;
            let size = row.try_get::<i64, _>(1)? as u64;
            let manifest = self.elections.manifest(&self.db, &id).await?;
            if manifest.witnesses.list.is_empty() {
                continue;
            }
            let pending = self.progress_of(&id, &manifest).any(|p| p.size < size);
            if self.seen.get(&id) == Some(&size) && !pending {
                continue;
            }
            self.election(&id, &manifest, size).await?;
            self.seen.insert(id, size);
        }
        Ok(())
    }

    fn progress_of<'a>(
        &'a self,
        id: &'a str,
        manifest: &'a Manifest,
    ) -> impl Iterator<Item = Progress> + 'a {
        manifest.witnesses.list.iter().map(move |w| {
            self.progress
                .get(&(id.to_string(), w.name.clone()))
                .copied()
                .unwrap_or_default()
        })
    }

    /// Brings every witness of one election up to `size`.
    async fn election(&mut self, id: &str, manifest: &Manifest, size: u64) -> ApiResult<()> {
        let milestones = milestone_sizes(&self.db, id).await?;
        for witness in &manifest.witnesses.list {
            let key = (id.to_string(), witness.name.clone());
            let mut p = self.progress.get(&key).copied().unwrap_or_default();
            if p.retry_at.is_some_and(|t| Instant::now() < t) {
                continue;
            }
            p.retry_at = None;
            let targets = milestones
                .iter()
                .copied()
                .filter(|&s| s > p.size && s <= size)
                .chain((p.size < size).then_some(size));
            let mut targets: Vec<u64> = targets.collect();
            targets.dedup();
            for target in targets {
                if target <= p.size {
                    continue;
                }
                let submitted = self.submit(id, manifest, witness, p.size, target).await;
                // A witness already at exactly this size: ours only if a cosignature of ours at
                // that size is stored (another process of this board took it). Otherwise the
                // witness holds another tree of that size (a fork), which is not a cosignature.
                let already_ours = match &submitted {
                    Err(SubmitError::Conflict(theirs)) if *theirs == target => {
                        has_cosignature(&self.db, id, &witness.name, target).await?
                    }
                    _ => false,
                };
                match submitted {
                    Ok(()) => p.size = target,
                    Err(SubmitError::Conflict(_)) if already_ours => p.size = target,
                    Err(SubmitError::Conflict(theirs))
                        if theirs < target && theirs <= size && theirs != p.size =>
                    {
                        // The witness is elsewhere (a restart of ours, another server process):
                        // start from its size (a bigger size than ours is checked on the next
                        // submission, whose consistency proof starts there).
                        p.size = theirs;
                        if self
                            .submit(id, manifest, witness, p.size, target)
                            .await
                            .is_ok()
                        {
                            p.size = target;
                        } else {
                            p.retry_at = Some(Instant::now() + RETRY);
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(election = id, witness = %witness.name, error = %e,
                            "witnessing: a checkpoint was not cosigned; trying again later");
                        p.retry_at = Some(Instant::now() + RETRY);
                        break;
                    }
                }
            }
            self.progress.insert(key, p);
        }
        Ok(())
    }

    /// Submits the checkpoint of `size` to `witness`, from `old`, and stores its cosignature.
    async fn submit(
        &self,
        id: &str,
        manifest: &Manifest,
        witness: &Witness,
        old: u64,
        size: u64,
    ) -> Result<(), SubmitError> {
        let internal = |e: ApiError| SubmitError::Transport(e.to_string());
        let (checkpoint, signature) = self
            .board
            .checkpoint(id, &manifest.board.origin, size)
            .await
            .map_err(internal)?;
        let proof = if old == 0 {
            Vec::new()
        } else {
            self.board
                .consistency(id, old, size)
                .await
                .map_err(internal)?
        };
        let body = add_checkpoint_body(old, &proof, &checkpoint, &signature);
        let url = format!("{}/add-checkpoint", witness.url.trim_end_matches('/'));
        let answer = tokio::task::spawn_blocking(move || post(&url, body))
            .await
            .map_err(|e| SubmitError::Transport(e.to_string()))??;
        let text = checkpoint.text();
        let stored = answer
            .lines()
            .filter_map(|l| NoteSignature::parse_line(&format!("{l}\n")).ok())
            .filter_map(|s| StoredCosignature::from_note_signature(size, witness, &s))
            .find(|c| c.verify(witness, &text))
            .ok_or(SubmitError::NoCosignature)?;
        store(&self.db, id, &stored).await.map_err(internal)
    }
}

/// The sizes right after each milestone entry of an election's log.
async fn milestone_sizes(db: &Db, id: &str) -> ApiResult<Vec<u64>> {
    let rows = sqlx::query(
        "SELECT idx FROM board_entries WHERE election_id = $1 \
         AND kind IN ('open', 'close', 'tally', 'result', 'published') ORDER BY idx",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<i64, _>(0)? as u64 + 1))
        .collect()
}

/// The body of `add-checkpoint` (c2sp.org/tlog-witness): `old {size}`, the proof's hashes in
/// base64, an empty line, the checkpoint note with the board's signature.
pub fn add_checkpoint_body(
    old: u64,
    proof: &[Digest32],
    checkpoint: &Checkpoint,
    signature: &NoteSignature,
) -> Vec<u8> {
    use base64ct::Encoding;
    let mut out = format!("old {old}\n");
    for h in proof {
        out.push_str(&base64ct::Base64::encode_string(&h.0));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&checkpoint.text());
    out.push('\n');
    out.push_str(&signature.line());
    out.into_bytes()
}

/// Posts to a witness; the answer's body on 200.
fn post(url: &str, body: Vec<u8>) -> Result<String, SubmitError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    let mut answer = agent
        .post(url)
        .content_type("text/plain; charset=utf-8")
        .send(&body[..])
        .map_err(|e| SubmitError::Transport(e.to_string()))?;
    let status = answer.status().as_u16();
    let text = answer
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .map_err(|e| SubmitError::Transport(e.to_string()))?;
    match status {
        200 => Ok(text),
        409 => text
            .trim_end_matches('\n')
            .parse()
            .map(SubmitError::Conflict)
            .map_or(Err(SubmitError::Status(409)), Err),
        s => Err(SubmitError::Status(s)),
    }
}

/// Stores a verified cosignature (a second one for the same size and witness is ignored).
/// Whether `witness`'s cosignature of the election's checkpoint of `size` is stored.
async fn has_cosignature(db: &Db, id: &str, witness: &str, size: u64) -> ApiResult<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM cosignatures WHERE election_id = $1 AND size = $2 AND witness = $3",
    )
    .bind(id)
    .bind(size as i64)
    .bind(witness)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}

async fn store(db: &Db, id: &str, c: &StoredCosignature) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO cosignatures (election_id, size, witness, timestamp, signature) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(c.size as i64)
    .bind(&c.witness)
    .bind(c.timestamp as i64)
    .bind(c.signature.0.to_vec())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Every stored cosignature of an election, by size then witness.
pub async fn cosignatures(db: &Db, id: &str) -> ApiResult<Vec<StoredCosignature>> {
    let rows = sqlx::query(
        "SELECT size, witness, timestamp, signature FROM cosignatures \
         WHERE election_id = $1 ORDER BY size, witness",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let sig: Vec<u8> = r.try_get(3)?;
            Ok(StoredCosignature {
                size: r.try_get::<i64, _>(0)? as u64,
                witness: r.try_get(1)?,
                timestamp: r.try_get::<i64, _>(2)? as u64,
                signature: piaojue_crypto::encoding::Bytes(
                    sig.try_into()
                        .map_err(|_| ApiError::Internal("a stored cosignature".into()))?,
                ),
            })
        })
        .collect()
}

/// The sizes that have at least the manifest's quorum of cosignatures, from distinct witnesses
/// it names, increasing. (Stored cosignatures were verified before they were stored.)
pub fn quorum_sizes(manifest: &Manifest, all: &[StoredCosignature]) -> Vec<u64> {
    let mut by_size: std::collections::BTreeMap<u64, std::collections::BTreeSet<&str>> =
        Default::default();
    for c in all {
        if manifest.witnesses.list.iter().any(|w| w.name == c.witness) {
            by_size.entry(c.size).or_default().insert(&c.witness);
        }
    }
    by_size
        .into_iter()
        .filter(|(_, w)| w.len() as u64 >= u64::from(manifest.witnesses.quorum))
        .map(|(s, _)| s)
        .collect()
}

/// A stored cosignature as a note signature line of `witness`.
pub fn note_signature(witness: &Witness, c: &StoredCosignature) -> NoteSignature {
    c.note_signature(witness)
}
