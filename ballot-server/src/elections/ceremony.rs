//! The key ceremony: the tellers' rounds and the election key they make.

use piaojue_crypto::board::Event;
use piaojue_crypto::dkg::dealer::{self, CeremonyTranscript};
use piaojue_crypto::dkg::messages::{Announcement, Commitment, Reveal, ShareCheck};
use piaojue_crypto::dkg::{CeremonyError, CeremonyOutput, CeremonyParams};
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::record::ceremony_params;
use serde::{Deserialize, Serialize};

use crate::board::{AppendJob, Appended, Board, Effect, Precondition};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::lifecycle::ElectionState;

use super::{Elections, entry_event, first_event};

/// A key-ceremony message, as posted by a teller: `{"round": …, "message": …}` (`spec/api.md`).
/// Decoded strictly in any key order ([`piaojue_crypto::json::adjacently_tagged`]); the derived
/// code (`remote = "Self"`) is only what that calls with the round first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    remote = "Self",
    tag = "round",
    content = "message",
    rename_all = "snake_case",
    deny_unknown_fields
)]
#[allow(clippy::large_enum_variant)]
pub enum CeremonyMessage {
    /// Round 0.
    Announcement(Announcement),
    /// Round 1.
    Commitment(Commitment),
    /// Round 2.
    Reveal(Reveal),
    /// Round 3.
    ShareCheck(ShareCheck),
}

impl Serialize for CeremonyMessage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        CeremonyMessage::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for CeremonyMessage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        piaojue_crypto::json::adjacently_tagged(d, "CeremonyMessage")
    }
}

impl piaojue_crypto::json::AdjacentlyTagged for CeremonyMessage {
    const TAG: &'static str = "round";
    const CONTENT: &'static str = "message";
    const TAGS: &'static [&'static str] = &["announcement", "commitment", "reveal", "share_check"];

    fn from_tagged<'de, D: serde::Deserializer<'de>>(
        tagged: piaojue_crypto::json::Tagged<'_, D, D::Error>,
    ) -> Result<Self, D::Error> {
        CeremonyMessage::deserialize(tagged)
    }
}

impl CeremonyMessage {
    fn round(&self) -> &'static str {
        match self {
            CeremonyMessage::Announcement(_) => "announcement",
            CeremonyMessage::Commitment(_) => "commitment",
            CeremonyMessage::Reveal(_) => "reveal",
            CeremonyMessage::ShareCheck(_) => "share_check",
        }
    }
    fn sender(&self) -> u32 {
        match self {
            CeremonyMessage::Announcement(m) => m.index,
            CeremonyMessage::Commitment(m) => m.index,
            CeremonyMessage::Reveal(m) => m.index,
            CeremonyMessage::ShareCheck(m) => m.index,
        }
    }
}

impl Elections {
    /// Starts the key ceremony with the tellers' ed25519 signing keys, in index order.
    pub async fn start_ceremony(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        signing_keys: Vec<Bytes<32>>,
    ) -> ApiResult<Appended> {
        let manifest = self.manifest(db, id).await?;
        if signing_keys.len() != manifest.tellers.n as usize {
            return Err(ApiError::BadRequest(format!(
                "the manifest has {} tellers, {} signing keys were given",
                manifest.tellers.n,
                signing_keys.len()
            )));
        }
        for (i, k) in signing_keys.iter().enumerate() {
            if dealer_signing_key(k).is_none() {
                return Err(ApiError::BadRequest(format!(
                    "teller {}: not a valid ed25519 public key",
                    i + 1
                )));
            }
            if signing_keys[..i].contains(k) {
                return Err(ApiError::BadRequest(format!(
                    "teller {}: the same signing key as another teller",
                    i + 1
                )));
            }
        }
        board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Tellers { signing_keys }],
                    preconditions: vec![Precondition::State(vec![ElectionState::Draft])],
                    effects: vec![Effect::SetState(ElectionState::KeyCeremony)],
                    receipt_for: None,
                },
            )
            .await
    }

    /// The ceremony so far: registered signing keys and every message posted.
    pub async fn ceremony(
        &self,
        board: &Board,
        id: &str,
    ) -> ApiResult<(Vec<Bytes<32>>, CeremonyTranscript)> {
        let mut keys = Vec::new();
        let mut t = CeremonyTranscript::default();
        for kind in [
            "tellers",
            "announcement",
            "commitment",
            "reveal",
            "share_check",
        ] {
            for bytes in board.entries_of_kind(id, kind).await? {
                match entry_event(&bytes)? {
                    Event::Tellers { signing_keys } => keys = signing_keys,
                    Event::Announcement(m) => t.announcements.push(m),
                    Event::Commitment(m) => t.commitments.push(m),
                    Event::Reveal(m) => t.reveals.push(m),
                    Event::ShareCheck(m) => t.checks.push(m),
                    _ => {}
                }
            }
        }
        Ok((keys, t))
    }

    /// The ceremony's output, once it succeeded.
    pub async fn ceremony_output(&self, board: &Board, id: &str) -> ApiResult<CeremonyOutput> {
        match first_event(board, id, "ceremony_output").await? {
            Some(Event::CeremonyOutput(o)) => Ok(o),
            _ => Err(ApiError::Conflict(
                "the key ceremony has not completed".into(),
            )),
        }
    }

    /// Accepts a teller's ceremony message after the checks of its round; when the last share
    /// check arrives, judges the whole ceremony and appends its output (or its failure).
    pub async fn post_ceremony_message(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        msg: CeremonyMessage,
    ) -> ApiResult<Appended> {
        let manifest = self.manifest(db, id).await?;
        let params = ceremony_params(&manifest);
        let (keys, t) = self.ceremony(board, id).await?;
        if keys.is_empty() {
            return Err(ApiError::Conflict(
                "the key ceremony has not started".into(),
            ));
        }
        let n = params.n as usize;
        let sender = msg.sender();
        if sender == 0 || sender as usize > n {
            return Err(ApiError::BadRequest(format!(
                "teller index {sender} is not in 1 … {n}"
            )));
        }
        // A message not signed by the registered key of the teller it names is not that
        // teller's: refused as forbidden; any other fault as invalid.
        let invalid = |e: CeremonyError| match e {
            CeremonyError::BadSignature { .. } => ApiError::Forbidden(e.to_string()),
            e => ApiError::Invalid(e.to_string()),
        };
        let need_all = |have: usize, round: &str| {
            if have < n {
                Err(ApiError::Conflict(format!(
                    "round {round} is not complete ({have} of {n})"
                )))
            } else {
                Ok(())
            }
        };
        let event = match msg.clone() {
            CeremonyMessage::Announcement(a) => {
                if a.signing_key != keys[sender as usize - 1] {
                    return Err(ApiError::Forbidden(format!(
                        "the announcement's signing key is not the one registered for teller {sender}"
                    )));
                }
                dealer::check_announcement(&params, &a).map_err(invalid)?;
                Event::Announcement(a)
            }
            CeremonyMessage::Commitment(c) => {
                need_all(t.announcements.len(), "announcement")?;
                dealer::check_commitment(&params, &c, &t.announcements).map_err(invalid)?;
                Event::Commitment(c)
            }
            CeremonyMessage::Reveal(r) => {
                need_all(t.commitments.len(), "commitment")?;
                let c = t
                    .commitments
                    .iter()
                    .find(|c| c.index == r.index)
                    .ok_or_else(|| ApiError::Conflict("no commitment from this teller".into()))?;
                dealer::check_reveal(&params, &r, c, &t.announcements).map_err(invalid)?;
                Event::Reveal(r)
            }
            CeremonyMessage::ShareCheck(s) => {
                need_all(t.reveals.len(), "reveal")?;
                dealer::check_share_check(&params, &s, &t.announcements).map_err(invalid)?;
                Event::ShareCheck(s)
            }
        };
        let round = msg.round();
        let appended = board
            .append(
                id,
                AppendJob {
                    events: vec![event],
                    preconditions: vec![
                        Precondition::State(vec![ElectionState::KeyCeremony]),
                        Precondition::CeremonyMessageUnused {
                            round,
                            teller: sender,
                        },
                    ],
                    effects: vec![Effect::RecordCeremonyMessage {
                        round,
                        teller: sender,
                    }],
                    receipt_for: None,
                },
            )
            .await?;
        if round == "share_check" {
            self.try_finish_ceremony(board, id, &params).await?;
        }
        Ok(appended)
    }

    pub(super) async fn try_finish_ceremony(
        &self,
        board: &Board,
        id: &str,
        params: &CeremonyParams,
    ) -> ApiResult<()> {
        let (_, t) = self.ceremony(board, id).await?;
        if t.checks.len() < params.n as usize {
            return Ok(());
        }
        let (event, state) = match t.verify(params) {
            Ok(output) => (Event::CeremonyOutput(output), ElectionState::Registration),
            Err(e) => (
                Event::CeremonyFailed {
                    reason: e.to_string(),
                    guilty: e.guilty(),
                },
                ElectionState::Failed,
            ),
        };
        // Only one of the processes that see the last message gets past the state check.
        match board
            .append(
                id,
                AppendJob {
                    events: vec![event],
                    preconditions: vec![Precondition::State(vec![ElectionState::KeyCeremony])],
                    effects: vec![Effect::SetState(state)],
                    receipt_for: None,
                },
            )
            .await
        {
            Ok(_) | Err(ApiError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn dealer_signing_key(k: &Bytes<32>) -> Option<()> {
    piaojue_crypto::dkg::messages::signing_key(k).map(|_| ())
}
