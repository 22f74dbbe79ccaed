//! The writer task: takes queued jobs in batches and recovers from a failed one.

use std::sync::{Arc, RwLock};

use piaojue_crypto::board::{BoardKey, MerkleTree, SignedTreeHead};
use sqlx::Row;
use tokio::sync::mpsc;

use super::{AppendJob, Appended, LogHandle, LogView, LogWriter, MAX_BATCH, Reply, load_leaves};
use crate::board::ciphertexts;
use crate::db::Db;
use crate::error::ApiError;
use crate::health::StorageFault;

impl LogWriter {
    /// Starts the writer of an election's log (loading its tree) and returns its handle and its
    /// task. When `stop` turns true, the writer commits and answers the jobs already queued,
    /// refuses later ones, and ends.
    pub async fn spawn(
        db: Db,
        key: Arc<BoardKey>,
        election_id: String,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(LogHandle, tokio::task::JoinHandle<()>), sqlx::Error> {
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
        let task = tokio::spawn(writer.run(rx, stop));
        Ok((LogHandle { tx, view }, task))
    }

    async fn run(
        mut self,
        mut rx: mpsc::Receiver<(AppendJob, Reply)>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut stopping = false;
        loop {
            let next = if stopping {
                rx.recv().await
            } else {
                tokio::select! {
                    biased;
                    // Shutting down (or the board gone): no new job; those queued are still
                    // committed and answered below, then `recv` ends the loop.
                    _ = stop.wait_for(|s| *s) => {
                        rx.close();
                        stopping = true;
                        continue;
                    }
                    j = rx.recv() => j,
                }
            };
            let Some(first) = next else { break };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.commit_batch(batch).await;
        }
        tracing::debug!(election = %self.election_id, "log writer stopped");
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
        crate::telemetry::log_batch(jobs.len(), started.elapsed());
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
}
