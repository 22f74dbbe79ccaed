//! The running tally: what a batch of cast ballots adds to it.

use piaojue_crypto::RistrettoPoint;
use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::encoding::Point;
use sqlx::{Any, Row, Transaction};

use super::LogWriter;

/// The committed running tally of an election (`running_tallies`): point sums per option in
/// ballot order and the number of ballots they add up.
#[derive(Debug, Default)]
pub(super) struct RunningTally {
    pub(super) sums: Vec<(RistrettoPoint, RistrettoPoint)>,
    pub(super) counted: i64,
}

/// What a batch changes in the running tally (`running_tallies`): point sums per option in
/// ballot order (the ballots it adds, minus those they replace) and the change in the count.
#[derive(Debug, Default)]
pub(super) struct TallyDelta {
    pub(super) sums: Vec<(RistrettoPoint, RistrettoPoint)>,
    pub(super) counted: i64,
    /// The batch's ballots by credential (to replace within the batch under `last_counts`).
    pub(super) batch: std::collections::HashMap<[u8; 32], Ballot>,
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

impl LogWriter {
    /// Adds a cast ballot to the batch's tally delta; under `last_counts`, takes away the
    /// credential's earlier ballot (of this batch, else the latest on the committed log).
    pub(super) async fn count(
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
    pub(super) async fn latest_ballot(
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
    pub(super) async fn update_tally(
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
}
