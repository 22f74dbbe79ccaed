//! The rows a batch writes besides its tree head: entries, ballots, effects.

use piaojue_crypto::board::Event;
use piaojue_crypto::encoding::Digest32;
// Dynamic SQL here is only numbered placeholders and fixed table and column names.
use sqlx::{Any, AssertSqlSafe, Transaction};

use super::checks::Seen;
use super::{AppendJob, Effect, LogWriter};
use crate::board::ciphertexts::{self, BallotKind};
use crate::lifecycle::ElectionState;

/// Rows of the batch's ballots, inserted a hundred at a time ([`LogWriter::flush`]) instead of
/// one statement each: entries, cast ballots, audited ballots.
#[derive(Debug, Default)]
pub(super) struct Pending {
    pub(super) entries: Vec<(u64, &'static str, Vec<u8>, [u8; 32])>,
    pub(super) casts: Vec<([u8; 32], Digest32, u64)>,
    pub(super) audits: Vec<(Digest32, u64)>,
    /// Ciphertexts' hashes not on the log yet: digest, kind, entry.
    pub(super) ciphertexts: Vec<(Digest32, BallotKind, u64)>,
}

/// Rows per multi-row `INSERT` (its parameters stay far below SQLite's and PostgreSQL's limits).
pub(in crate::board) const ROWS_PER_INSERT: usize = 100;

/// `($k, $k+1, …), (…)`: `rows` groups of `width` numbered placeholders, from `$first`.
pub(in crate::board) fn placeholders(rows: usize, width: usize, first: usize) -> String {
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
pub(super) fn record_ciphertexts(
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
pub(super) fn only_ballots(job: &AppendJob) -> bool {
    job.events
        .iter()
        .all(|e| matches!(e, Event::Ballot(_) | Event::Audited(_)))
        && job
            .effects
            .iter()
            .all(|e| matches!(e, Effect::RecordCast { .. } | Effect::RecordAudited { .. }))
}

impl LogWriter {
    /// Inserts the rows waiting in `pending`, a hundred per statement.
    pub(super) async fn flush(
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

    pub(super) async fn apply(
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
