//! The hashes of the ciphertexts of an election's ballots (`ballot_ciphertexts`), by which the
//! log writer refuses a cast ballot whose ciphertexts are an audited ballot's, and an audited
//! ballot whose ciphertexts are a cast ballot's (`spec/verification.md` V6.3, `spec/api.md`
//! §4.4): an audited ballot's ciphertexts have a public opening, so cast under another tracking
//! code (the same ciphertexts and proofs re-signed, or proved again) they would count a vote
//! anyone can read.
//!
//! One row per election and ciphertexts ([`Ballot::ciphertexts_hash`]): the kind and the entry
//! of the first ballot that has them. Ballots of one kind with the same ciphertexts (under
//! `last_counts`, a credential's ballot re-signed and cast again; audited ballots posted twice)
//! share the row, as V6.3 compares only cast with audited. The primary key
//! `(election_id, digest)` keeps any ciphertexts from being recorded both cast and audited even
//! if the writer's check were wrong: the batch would fail instead.
//!
//! A database from before the table (migration 0005) lists its elections with ballots in
//! `ballot_ciphertexts_backfill`; [`backfill`] fills in their rows from their entries, under the
//! election's write lock, before the election's writer ([`super::LogWriter::spawn`]) appends
//! anything.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;

use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::encoding::Digest32;
// Dynamic SQL here is only numbered placeholders and fixed table and column names.
use sqlx::pool::PoolConnection;
use sqlx::{Any, AssertSqlSafe, Connection, Row, Transaction};

use super::log::{ROWS_PER_INSERT, placeholders};
use crate::db::Db;

/// Whether a ballot is cast or audited (`ballot_ciphertexts.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotKind {
    /// Cast: it counts (or may, under the revote rule).
    Cast,
    /// Audited: its opening is public; it never counts.
    Audited,
}

impl BallotKind {
    /// Its name in `ballot_ciphertexts.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            BallotKind::Cast => "cast",
            BallotKind::Audited => "audited",
        }
    }
}

/// Inserts rows `(digest, kind, entry)` of an election, at most [`ROWS_PER_INSERT`].
pub(super) async fn insert(
    tx: &mut Transaction<'_, Any>,
    election_id: &str,
    rows: &[(Digest32, BallotKind, u64)],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO ballot_ciphertexts (election_id, digest, kind, idx) VALUES {}",
        placeholders(rows.len(), 4, 1)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (digest, kind, idx) in rows {
        q = q
            .bind(election_id)
            .bind(digest.0.to_vec())
            .bind(kind.as_str())
            .bind(*idx as i64);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Fills in the rows of an election whose ballots were cast or audited before the table
/// existed, if it is listed in `ballot_ciphertexts_backfill`; once done (by this process or
/// another), the listing is gone and this is one lookup.
pub async fn backfill(db: &Db, election_id: &str) -> Result<(), sqlx::Error> {
    if !listed(&db.pool, election_id).await? {
        return Ok(());
    }
    let mut conn = db.pool.acquire().await?;
    let outcome = backfill_on(db, &mut conn, election_id).await;
    if outcome.is_err() {
        // As after a failed batch (log.rs): whatever state the failure left it in, the
        // connection is never used again.
        conn.close_on_drop();
    }
    outcome
}

async fn listed<'e, E>(exec: E, election_id: &str) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(
        sqlx::query("SELECT 1 FROM ballot_ciphertexts_backfill WHERE election_id = $1")
            .bind(election_id)
            .fetch_optional(exec)
            .await?
            .is_some(),
    )
}

async fn backfill_on(
    db: &Db,
    conn: &mut PoolConnection<Any>,
    election_id: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = Connection::begin_with(&mut **conn, db.begin_write()).await?;
    // The election's write lock, taken as the writer takes it: no ballot is appended meanwhile,
    // by this process or another.
    sqlx::query("UPDATE elections SET lock_version = lock_version + 1 WHERE id = $1")
        .bind(election_id)
        .execute(&mut *tx)
        .await?;
    if !listed(&mut *tx, election_id).await? {
        tx.rollback().await?;
        return Ok(());
    }
    let rows = sqlx::query(
        "SELECT idx, body FROM board_entries \
         WHERE election_id = $1 AND kind IN ('ballot', 'audited') ORDER BY idx",
    )
    .bind(election_id)
    .fetch_all(&mut *tx)
    .await?;
    let entries = rows
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>(0)? as u64, r.try_get::<Vec<u8>, _>(1)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let n = entries.len();
    // Decoding and hashing every ballot is CPU work: off the async threads.
    let id = election_id.to_string();
    let digests = tokio::task::spawn_blocking(move || first_of_each(&id, entries))
        .await
        .map_err(|e| sqlx::Error::Decode(e.to_string().into()))??;
    for rows in digests.chunks(ROWS_PER_INSERT) {
        insert(&mut tx, election_id, rows).await?;
    }
    sqlx::query("DELETE FROM ballot_ciphertexts_backfill WHERE election_id = $1")
        .bind(election_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(
        election = %election_id,
        ballots = n,
        "recorded the ciphertexts' hashes of the ballots posted before this version"
    );
    Ok(())
}

/// The rows of the ballot entries `(index, bytes)`, in board order: each ciphertexts with the
/// kind and entry of the first ballot that has them.
fn first_of_each(
    election_id: &str,
    entries: Vec<(u64, Vec<u8>)>,
) -> Result<Vec<(Digest32, BallotKind, u64)>, sqlx::Error> {
    let mut first: HashMap<Digest32, (BallotKind, u64)> = HashMap::new();
    let mut rows = Vec::new();
    for (idx, bytes) in entries {
        let (ballot, kind): (Ballot, _) = match Entry::from_bytes(&bytes).map(|e| e.event) {
            Ok(Event::Ballot(b)) => (b, BallotKind::Cast),
            Ok(Event::Audited(a)) => (a.ballot, BallotKind::Audited),
            _ => {
                return Err(sqlx::Error::Decode(
                    format!("entry {idx} is not the ballot its kind says").into(),
                ));
            }
        };
        match first.entry(ballot.ciphertexts_hash()) {
            Slot::Vacant(v) => {
                rows.push((*v.key(), kind, idx));
                v.insert((kind, idx));
            }
            Slot::Occupied(o) if o.get().0 != kind => {
                // Posted before the board refused it: the record fails V6.3, and the log
                // cannot change. The first ballot's kind is kept.
                tracing::error!(
                    election = %election_id,
                    first = o.get().1,
                    entry = idx,
                    "a cast and an audited ballot on the log have the same ciphertexts (V6.3 fails)"
                );
            }
            Slot::Occupied(_) => {}
        }
    }
    Ok(rows)
}
