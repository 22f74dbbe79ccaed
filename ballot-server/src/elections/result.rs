//! The result: the tellers' decryption shares, the counts they give, and publication.

use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::decryption::DecryptionShare;
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::tally::{EncryptedTally, decrypt_counts};

use crate::board::{AppendJob, Appended, Board, Effect, Precondition};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::lifecycle::ElectionState;

use super::{Elections, blocking, entry_event, first_event};

impl Elections {
    /// The encrypted tally, once voting closed.
    pub async fn tally(&self, board: &Board, id: &str) -> ApiResult<EncryptedTally> {
        match first_event(board, id, "tally").await? {
            Some(Event::Tally(t)) => Ok(t),
            _ => Err(ApiError::Conflict("there is no tally yet".into())),
        }
    }

    /// The result entry's `{counts, outcome}`, once tallied.
    pub async fn result(&self, board: &Board, id: &str) -> ApiResult<serde_json::Value> {
        match first_event(board, id, "result").await? {
            Some(Event::Result { counts, outcome }) => {
                Ok(serde_json::json!({ "counts": counts, "outcome": outcome }))
            }
            _ => Err(ApiError::Conflict("there is no result yet".into())),
        }
    }

    pub(super) async fn shares(&self, board: &Board, id: &str) -> ApiResult<Vec<DecryptionShare>> {
        board
            .entries_of_kind(id, "decryption_share")
            .await?
            .iter()
            .map(|b| match entry_event(b)? {
                Event::DecryptionShare(s) => Ok(s),
                _ => Err(ApiError::Internal("not a share".into())),
            })
            .collect()
    }

    /// Accepts a teller's decryption share of the tally (its proofs must verify against the
    /// teller's verification key); with `t` shares, computes and appends the result.
    pub async fn post_share(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        share: DecryptionShare,
    ) -> ApiResult<Appended> {
        let manifest = self.manifest(db, id).await?;
        let tally = self.tally(board, id).await?;
        let output = self.ceremony_output(board, id).await?;
        let (keys, _) = self.ceremony(board, id).await?;
        let fingerprint = self.opened(db, board, id).await?.ctx.fingerprint;
        let j = share.teller;
        let (Some(vk), Some(party)) = (
            output.verification_key(j).copied(),
            keys.get((j as usize).wrapping_sub(1)).copied(),
        ) else {
            return Err(ApiError::BadRequest(format!(
                "teller {j} is not a teller of this election"
            )));
        };
        let flat = tally.flatten();
        let s = share.clone();
        blocking(move || s.verify(fingerprint.0, party.0, &vk, &flat))
            .await?
            .map_err(|e| ApiError::Invalid(e.to_string()))?;
        self.check_share_head(board, id, &share).await?;
        let appended = board
            .append(
                id,
                AppendJob {
                    events: vec![Event::DecryptionShare(share)],
                    preconditions: vec![
                        Precondition::State(vec![ElectionState::Closed]),
                        Precondition::CeremonyMessageUnused {
                            round: "decryption_share",
                            teller: j,
                        },
                    ],
                    effects: vec![Effect::RecordCeremonyMessage {
                        round: "decryption_share",
                        teller: j,
                    }],
                    receipt_for: None,
                },
            )
            .await?;
        let shares = self.shares(board, id).await?;
        if shares.len() >= manifest.tellers.t as usize {
            self.compute_result(db, board, id, &manifest, &tally, &shares)
                .await?;
        }
        Ok(appended)
    }

    /// The board head a share names must be a head of this log that covers the tally entry
    /// (`spec/verification.md` V9.7: `T < size ≤` the log's size now, `root = MTH(size)`).
    async fn check_share_head(
        &self,
        board: &Board,
        id: &str,
        share: &DecryptionShare,
    ) -> ApiResult<()> {
        let tally_entry = match board.entries_of_kind(id, "tally").await?.first() {
            Some(bytes) => {
                Entry::from_bytes(bytes)
                    .map_err(|e| ApiError::Internal(format!("the tally entry: {e}")))?
                    .index
            }
            None => return Err(ApiError::Conflict("there is no tally yet".into())),
        };
        let head = share.board_head;
        let committed = board.size(id).await?;
        if head.size <= tally_entry || head.size > committed {
            return Err(ApiError::Invalid(format!(
                "the share names a board head of size {}: not a head of this log after its tally (entry {tally_entry}; the log has {committed} entries)",
                head.size
            )));
        }
        if board.root_at(id, head.size).await? != head.root {
            return Err(ApiError::Invalid(format!(
                "the share names a board head (size {}) whose root is not this log's",
                head.size
            )));
        }
        Ok(())
    }

    pub(super) async fn compute_result(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        manifest: &Manifest,
        tally: &EncryptedTally,
        shares: &[DecryptionShare],
    ) -> ApiResult<()> {
        let Some(Event::Close { .. }) = first_event(board, id, "close").await? else {
            return Err(ApiError::Internal("no close entry".into()));
        };
        let counted = self.counted(db, id).await?;
        let roll = u64::from(manifest.deputies);
        let shares: Vec<DecryptionShare> = shares[..manifest.tellers.t as usize].to_vec();
        let (m, t) = (manifest.clone(), tally.clone());
        let counts = blocking(move || decrypt_counts(&m, &t, &shares, counted))
            .await?
            .map_err(|e| ApiError::Internal(format!("decryption: {e}")))?;
        let outcome = manifest
            .decision
            .apply(&manifest.contests, &counts, counted, roll);
        match board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Result { counts, outcome }],
                    preconditions: vec![Precondition::State(vec![ElectionState::Closed])],
                    effects: vec![Effect::SetState(ElectionState::Tallied)],
                    receipt_for: None,
                },
            )
            .await
        {
            Ok(_) | Err(ApiError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Publishes the result.
    pub async fn publish(&self, board: &Board, id: &str) -> ApiResult<Appended> {
        board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Published],
                    preconditions: vec![Precondition::State(vec![ElectionState::Tallied])],
                    effects: vec![Effect::SetState(ElectionState::Published)],
                    receipt_for: None,
                },
            )
            .await
    }
}
