//! The preconditions of a job, checked in the writer's transaction.

use std::collections::{HashMap, HashSet};

use piaojue_crypto::encoding::Digest32;
use sqlx::{Any, Row, Transaction};

use super::{AppendJob, LogWriter, Precondition};
use crate::board::ciphertexts::BallotKind;
use crate::error::ApiError;
use crate::lifecycle::ElectionState;

/// What the jobs before the current one in a batch used: they are not committed yet, so the
/// database does not show them to the checks of the jobs after them.
#[derive(Debug, Default)]
pub(super) struct Seen {
    pub(super) credentials: HashSet<[u8; 32]>,
    pub(super) codes: HashSet<Digest32>,
    pub(super) messages: HashSet<(&'static str, u32)>,
    pub(super) kinds: HashSet<&'static str>,
    /// Ciphertexts' hashes: the kind of ballot that has them and its entry, the batch's own
    /// and those of the committed log that the batch's preconditions ask about.
    pub(super) ciphertexts: HashMap<Digest32, (BallotKind, u64)>,
    /// Of the credentials and tracking codes the batch's preconditions ask about, those the
    /// committed log has already: looked up for the whole batch at once ([`LogWriter::read_committed`]).
    pub(super) taken_credentials: HashSet<[u8; 32]>,
    pub(super) taken_codes: HashSet<Digest32>,
}

impl LogWriter {
    /// The number of credentials registered, as this transaction sees it.
    async fn credential_count(&self, tx: &mut Transaction<'_, Any>) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM credentials WHERE election_id = $1")
            .bind(&self.election_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    /// Whether the committed log has an entry of this kind.
    async fn has_kind(
        &self,
        tx: &mut Transaction<'_, Any>,
        kind: &str,
    ) -> Result<bool, sqlx::Error> {
        Ok(
            sqlx::query("SELECT 1 FROM board_entries WHERE election_id = $1 AND kind = $2 LIMIT 1")
                .bind(&self.election_id)
                .bind(kind)
                .fetch_optional(&mut **tx)
                .await?
                .is_some(),
        )
    }

    pub(super) async fn check(
        &self,
        tx: &mut Transaction<'_, Any>,
        job: &AppendJob,
        state: Option<ElectionState>,
        exists: bool,
        seen: &Seen,
    ) -> Result<Result<(), ApiError>, sqlx::Error> {
        for p in &job.preconditions {
            match p {
                Precondition::ElectionAbsent => {
                    if exists {
                        return Ok(Err(ApiError::Conflict(format!(
                            "election {:?} exists already",
                            self.election_id
                        ))));
                    }
                }
                Precondition::State(allowed) => match state {
                    Some(s) if allowed.contains(&s) => {}
                    Some(s) => {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the election is {}; this needs it to be {}",
                            s.as_str(),
                            allowed
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ))));
                    }
                    None => {
                        return Ok(Err(ApiError::NotFound(format!(
                            "no election {:?}",
                            self.election_id
                        ))));
                    }
                },
                Precondition::CredentialUnused(c) => {
                    let taken = seen.credentials.contains(c) || seen.taken_credentials.contains(c);
                    if taken {
                        return Ok(Err(ApiError::Conflict(
                            "this credential has already cast a ballot, and the first ballot is final".into(),
                        )));
                    }
                }
                Precondition::TrackingCodeUnused(code) => {
                    let taken = seen.codes.contains(code) || seen.taken_codes.contains(code);
                    if taken {
                        return Ok(Err(ApiError::Conflict(format!(
                            "a ballot with tracking code {code} is already on the board"
                        ))));
                    }
                }
                Precondition::CiphertextsNotOther { digest, kind } => {
                    if let Some((other, idx)) = seen.ciphertexts.get(digest)
                        && other != kind
                    {
                        return Ok(Err(ApiError::AuditedCiphertexts(match kind {
                            BallotKind::Cast => format!(
                                "this ballot's ciphertexts are those of the audited ballot of \
                                 entry {idx}, whose opening is public: they can never be cast"
                            ),
                            BallotKind::Audited => format!(
                                "this ballot's ciphertexts are those of the cast ballot of \
                                 entry {idx}: auditing them would publish its vote"
                            ),
                        })));
                    }
                }
                Precondition::CredentialsNew(keys) => {
                    for k in keys {
                        let taken = sqlx::query(
                            "SELECT 1 FROM credentials WHERE election_id = $1 AND credential = $2",
                        )
                        .bind(&self.election_id)
                        .bind(k.to_vec())
                        .fetch_optional(&mut **tx)
                        .await?
                        .is_some();
                        if taken {
                            return Ok(Err(ApiError::Conflict(format!(
                                "credential {} is registered already",
                                piaojue_crypto::encoding::encode_base64(k)
                            ))));
                        }
                    }
                }
                Precondition::KindPresent(kind) => {
                    if !(seen.kinds.contains(kind) || self.has_kind(tx, kind).await?) {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the log has no {kind} entry yet"
                        ))));
                    }
                }
                Precondition::CredentialsFit { adding, deputies } => {
                    let have = self.credential_count(tx).await?;
                    if have + adding > u64::from(*deputies) {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the congress has {deputies} deputies and {have} credentials are registered: \
                             {adding} more would be too many"
                        ))));
                    }
                }
                Precondition::CredentialsComplete(deputies) => {
                    let have = self.credential_count(tx).await?;
                    if have != u64::from(*deputies) {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the credential list is not complete: {have} of the congress's {deputies} deputies have a credential"
                        ))));
                    }
                }
                Precondition::KindAbsent(kind) => {
                    if seen.kinds.contains(kind) || self.has_kind(tx, kind).await? {
                        return Ok(Err(ApiError::Conflict(format!(
                            "the log has a {kind} entry already"
                        ))));
                    }
                }
                Precondition::CeremonyMessageUnused { round, teller } => {
                    let taken = seen.messages.contains(&(*round, *teller))
                        || sqlx::query("SELECT 1 FROM ceremony_messages WHERE election_id = $1 AND round = $2 AND teller = $3")
                            .bind(&self.election_id)
                            .bind(*round)
                            .bind(i64::from(*teller))
                            .fetch_optional(&mut **tx)
                            .await?
                            .is_some();
                    if taken {
                        return Ok(Err(ApiError::Conflict(format!(
                            "teller {teller} has already posted its {round} message"
                        ))));
                    }
                }
            }
        }
        Ok(Ok(()))
    }
}
