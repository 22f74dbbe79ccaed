//! Counting: closing voting, the encrypted tally of the counted ballots, and resuming what a
//! stopped server left undone.

use std::collections::HashMap;

use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::board::Event;
use piaojue_crypto::elgamal::Ciphertext;
use piaojue_crypto::encoding::Point;
use piaojue_crypto::manifest::{Manifest, Revote};
use piaojue_crypto::record::ceremony_params;
use piaojue_crypto::tally::EncryptedTally;
use sqlx::Row;

use crate::board::{AppendJob, Appended, Board, Effect, Precondition};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::lifecycle::ElectionState;

use super::{Elections, blocking, entry_event};

impl Elections {
    /// The ballots that count, from the board, in order.
    async fn counted_ballots(
        &self,
        board: &Board,
        id: &str,
        revote: Revote,
    ) -> ApiResult<Vec<Ballot>> {
        let entries = board.entries_of_kind(id, "ballot").await?;
        let ballots: Vec<Ballot> = blocking(move || {
            entries
                .iter()
                .map(|b| match entry_event(b)? {
                    Event::Ballot(ballot) => Ok(ballot),
                    _ => Err(ApiError::Internal("a ballot entry is not a ballot".into())),
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await??;
        Ok(match revote {
            Revote::FirstFinal => ballots,
            Revote::LastCounts => {
                let mut last: HashMap<[u8; 32], usize> = HashMap::new();
                for (i, b) in ballots.iter().enumerate() {
                    last.insert(*b.credential.as_bytes(), i);
                }
                ballots
                    .into_iter()
                    .enumerate()
                    .filter(|(i, b)| last[b.credential.as_bytes()] == *i)
                    .map(|(_, b)| b)
                    .collect()
            }
        })
    }

    /// Closes voting and appends the encrypted tally of the counted ballots.
    ///
    /// The close and the tally are two appends (the tally adds up what is on the board once no
    /// ballot can come any more). If the server stops, or the tally's append fails, between
    /// them, [`Elections::resume`] (at the next start) or a second `close` appends the tally.
    pub async fn close(&self, db: &Db, board: &Board, id: &str) -> ApiResult<Appended> {
        let closed = match self.state(db, id).await? {
            ElectionState::Open => Some(self.append_close(board, id).await?),
            ElectionState::Closed if !self.has_entry(board, id, "tally").await? => None,
            s => {
                return Err(ApiError::Conflict(format!(
                    "voting is not open (the election is {})",
                    s.as_str()
                )));
            }
        };
        let tallied = self.append_tally(db, board, id).await;
        match (closed, tallied) {
            // Another process appended the tally meanwhile: the close is done.
            (Some(c), Ok(_) | Err(ApiError::Conflict(_))) => Ok(c),
            (Some(_), Err(e)) => Err(e),
            (None, t) => t,
        }
    }

    /// Appends the close entry; the board's writer fills in the number of ballots before it.
    async fn append_close(&self, board: &Board, id: &str) -> ApiResult<Appended> {
        board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Close { ballots: 0 }],
                    preconditions: vec![Precondition::State(vec![ElectionState::Open])],
                    effects: vec![Effect::SetState(ElectionState::Closed)],
                    receipt_for: None,
                },
            )
            .await
    }

    /// Appends the encrypted tally of the counted ballots, once (the election must be closed
    /// and have no tally yet).
    async fn append_tally(&self, db: &Db, board: &Board, id: &str) -> ApiResult<Appended> {
        let manifest = self.manifest(db, id).await?;
        let tally = match self.running_tally(db, id, &manifest).await? {
            Some(t) => t,
            None => {
                // No running tally that covers every counted ballot (a database from before
                // the running tally): add the ballots up from the board.
                let ballots = self.counted_ballots(board, id, manifest.revote).await?;
                blocking(move || EncryptedTally::aggregate_stored(&manifest, &ballots))
                    .await?
                    .map_err(|e| ApiError::Internal(e.to_string()))?
            }
        };
        board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Tally(tally)],
                    preconditions: vec![
                        Precondition::State(vec![ElectionState::Closed]),
                        Precondition::KindAbsent("tally"),
                    ],
                    effects: vec![],
                    receipt_for: None,
                },
            )
            .await
    }

    /// The number of counted ballots: one per credential that cast a ballot.
    pub(super) async fn counted(&self, db: &Db, id: &str) -> ApiResult<u64> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(DISTINCT credential) FROM cast_ballots WHERE election_id = $1",
        )
        .bind(id)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
        Ok(n as u64)
    }

    /// The running tally the board's writer kept (`running_tallies`), if it covers every
    /// counted ballot; the tally of no ballot when none was cast.
    async fn running_tally(
        &self,
        db: &Db,
        id: &str,
        manifest: &Manifest,
    ) -> ApiResult<Option<EncryptedTally>> {
        let counted = self.counted(db, id).await?;
        let row = sqlx::query("SELECT sums, counted FROM running_tallies WHERE election_id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
        let sums = match row {
            None if counted == 0 => Vec::new(),
            None => return Ok(None),
            Some(row) => {
                let n: i64 = row.try_get(1)?;
                if n as u64 != counted {
                    return Ok(None);
                }
                crate::board::log::decode_sums(&row.try_get::<Vec<u8>, _>(0)?)?
            }
        };
        let options = manifest.option_count();
        if !(sums.is_empty() || sums.len() == options) {
            return Ok(None);
        }
        let mut flat = sums
            .into_iter()
            .chain(std::iter::repeat((Default::default(), Default::default())))
            .map(|(a, b)| Ciphertext {
                a: Point::from_point(a),
                b: Point::from_point(b),
            });
        Ok(Some(EncryptedTally {
            contests: manifest
                .contests
                .iter()
                .map(|c| flat.by_ref().take(c.options.len()).collect())
                .collect(),
        }))
    }

    async fn has_entry(&self, board: &Board, id: &str, kind: &str) -> ApiResult<bool> {
        Ok(!board.entries_of_kind(id, kind).await?.is_empty())
    }

    /// Finishes what an operation left undone when the server stopped (or an append failed)
    /// between its two appends: the verdict of a key ceremony whose last share check is on the
    /// board, the tally of a closed election, the result of a tally with `t` decryption shares.
    /// Every step is guarded by a precondition, so running this twice, or in two processes at
    /// once, appends each entry once.
    pub async fn resume(&self, db: &Db, board: &Board, id: &str) -> ApiResult<()> {
        match self.state(db, id).await? {
            ElectionState::KeyCeremony => {
                let manifest = self.manifest(db, id).await?;
                self.try_finish_ceremony(board, id, &ceremony_params(&manifest))
                    .await
            }
            ElectionState::Closed => {
                if !self.has_entry(board, id, "tally").await? {
                    match self.append_tally(db, board, id).await {
                        Ok(_) | Err(ApiError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                let manifest = self.manifest(db, id).await?;
                let shares = self.shares(board, id).await?;
                if shares.len() >= manifest.tellers.t as usize {
                    let tally = self.tally(board, id).await?;
                    self.compute_result(db, board, id, &manifest, &tally, &shares)
                        .await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// [`Elections::resume`] for every election that may have something left undone; run when
    /// the server starts. Failures are logged: they do not stop the server.
    pub async fn resume_all(&self, db: &Db, board: &Board) -> ApiResult<()> {
        let rows = sqlx::query("SELECT id FROM elections WHERE state IN ($1, $2) ORDER BY id")
            .bind(ElectionState::KeyCeremony.as_str())
            .bind(ElectionState::Closed.as_str())
            .fetch_all(&db.pool)
            .await?;
        for r in rows {
            let id: String = r.try_get(0)?;
            if let Err(e) = self.resume(db, board, &id).await {
                tracing::error!(election = %id, error = %e, "could not resume the election");
            }
        }
        Ok(())
    }
}
