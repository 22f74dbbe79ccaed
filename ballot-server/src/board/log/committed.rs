//! What a batch reads from the committed log before it appends.

use piaojue_crypto::board::MerkleTree;
use piaojue_crypto::encoding::Bytes;
// Dynamic SQL here is only numbered placeholders and fixed table and column names.
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use super::checks::Seen;
use super::tally::{RunningTally, decode_sums};
use super::{AppendJob, Effect, LogWriter, Precondition, load_leaves, push_missing};
use crate::board::ciphertexts::BallotKind;

impl LogWriter {
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
    pub(super) async fn read_committed(
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
}
