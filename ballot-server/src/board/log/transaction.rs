//! One batch's transaction: lock, check, append, sign the tree head, commit.

use piaojue_crypto::board::merkle::leaf_hash;
use piaojue_crypto::board::{Entry, Event, Receipt, SignedTreeHead, TreeHead, log_id};
use piaojue_crypto::encoding::{Bytes, Digest32};
// Dynamic SQL here is only numbered placeholders and fixed table and column names.
use sqlx::pool::PoolConnection;
use sqlx::{Any, AssertSqlSafe, Connection, Row};

use super::checks::Seen;
use super::rows::{Pending, ROWS_PER_INSERT, only_ballots, placeholders, record_ciphertexts};
use super::tally::TallyDelta;
use super::{AppendJob, Appended, Effect, LogWriter, now_ms};
use crate::board::ciphertexts::BallotKind;
use crate::error::ApiError;
use crate::lifecycle::ElectionState;

impl LogWriter {
    /// [`Self::try_commit`]'s transaction on `conn`.
    pub(super) async fn commit_on(
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
                    "INSERT INTO elections (id, state, manifest, parent, created_ms, log_size, lock_version, board_key) \
                     VALUES ($1, $2, $3, $4, $5, 0, 0, $6)",
                )
                .bind(&self.election_id)
                .bind(ElectionState::Draft.as_str())
                .bind(manifest)
                .bind(parent.as_deref())
                .bind(time_ms as i64)
                .bind(self.key.public().to_base64())
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
}
