//! Voting: opening an election, casting and auditing ballots.

use std::sync::Arc;

use piaojue_crypto::ballot::{AuditedBallot, ElectionContext};
use piaojue_crypto::board::{Event, Receipt};
use piaojue_crypto::manifest::Revote;

use crate::board::{AppendJob, Appended, BallotKind, Board, Effect, Precondition};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::lifecycle::ElectionState;

use super::{Elections, Opened, attendance_of, blocking, first_event};

impl Elections {
    /// Opens voting: freezes the credential list and publishes the election fingerprint. The
    /// list must be complete and the attendance posted.
    pub async fn open(&self, db: &Db, board: &Board, id: &str) -> ApiResult<Appended> {
        let (manifest, _, credentials, fingerprint) =
            self.current_fingerprint(db, board, id).await?;
        if credentials.len() != manifest.deputies as usize {
            return Err(ApiError::Conflict(format!(
                "the credential list is not complete: {} of the congress's {} deputies have a credential",
                credentials.len(),
                manifest.deputies
            )));
        }
        if attendance_of(db, id).await?.is_none() {
            return Err(ApiError::Conflict(
                "the chief scrutineer has not posted the number of deputies signed in".into(),
            ));
        }
        board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Open {
                        fingerprint,
                        credentials: credentials.len() as u64,
                    }],
                    preconditions: vec![
                        Precondition::State(vec![ElectionState::Registration]),
                        Precondition::KindPresent("attendance"),
                        Precondition::CredentialsComplete(manifest.deputies),
                    ],
                    effects: vec![
                        Effect::SetFingerprint(fingerprint),
                        Effect::SetState(ElectionState::Open),
                    ],
                    receipt_for: None,
                },
            )
            .await
    }

    /// The election's data for ballots, once it is open.
    pub async fn opened(&self, db: &Db, board: &Board, id: &str) -> ApiResult<Arc<Opened>> {
        let cell = self.opened_cell(id);
        if let Some(o) = cell.as_ref().and_then(|c| c.get()) {
            return Ok(o.clone());
        }
        // Known elections only get a cell (an unknown id is 404 here, and takes no memory).
        self.state(db, id).await?;
        let cell = match cell {
            Some(c) => c,
            None => self
                .opened
                .lock()
                .expect("opened cache")
                .entry(id.to_string())
                .or_default()
                .clone(),
        };
        cell.get_or_try_init(|| async {
            let Some(Event::Open { fingerprint, .. }) = first_event(board, id, "open").await?
            else {
                return Err(ApiError::Conflict("voting has not opened".into()));
            };
            let manifest = (*self.manifest(db, id).await?).clone();
            let output = self.ceremony_output(board, id).await?;
            let credentials = self.credential_list(db, id).await?;
            // The key table is CPU work: off the async threads.
            let ctx = tokio::task::spawn_blocking(move || {
                ElectionContext::new(manifest, fingerprint, output.joint_key)
            })
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(Opened::start(ctx, credentials))
        })
        .await
        .cloned()
    }

    fn opened_cell(&self, id: &str) -> Option<Arc<tokio::sync::OnceCell<Arc<Opened>>>> {
        self.opened.lock().expect("opened cache").get(id).cloned()
    }

    /// Casts a ballot (its JSON body): decodes and verifies it completely, off the async
    /// runtime and in a batch with the ballots arriving at the same time ([`crate::casting`]),
    /// then appends it with the revote rule checked in the same transaction, and answers with
    /// the receipt only after the commit.
    pub async fn cast(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        body: axum::body::Bytes,
    ) -> ApiResult<Receipt> {
        let opened = self.opened(db, board, id).await?;
        let verified = opened.queue().verify(body).await?;
        let code = *verified.tracking_code();
        let credential = *verified.ballot().credential.as_bytes();
        let ciphertexts = verified.ballot().ciphertexts_hash();
        let mut preconditions = vec![
            Precondition::State(vec![ElectionState::Open]),
            Precondition::TrackingCodeUnused(code),
            Precondition::CiphertextsNotOther {
                digest: ciphertexts,
                kind: BallotKind::Cast,
            },
        ];
        if opened.ctx.manifest.revote == Revote::FirstFinal {
            preconditions.push(Precondition::CredentialUnused(credential));
        }
        let appended = board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Ballot(verified.into_inner())],
                    preconditions,
                    effects: vec![Effect::RecordCast {
                        credential,
                        tracking_code: code,
                        ciphertexts,
                        last_counts: opened.ctx.manifest.revote == Revote::LastCounts,
                    }],
                    receipt_for: Some(code),
                },
            )
            .await?;
        appended
            .receipt
            .ok_or_else(|| ApiError::Internal("no receipt".into()))
    }

    /// Posts an audited (spoiled) ballot: the ballot must verify and its opening match; it is
    /// never counted, and neither its tracking code nor its ciphertexts can ever be cast (nor
    /// can a cast ballot's be audited: V6.3).
    pub async fn audit(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        audited: AuditedBallot,
    ) -> ApiResult<Receipt> {
        let opened = self.opened(db, board, id).await?;
        let ctx = opened.clone();
        let audited = blocking(move || -> Result<AuditedBallot, String> {
            audited
                .ballot
                .clone()
                .verify(&ctx.ctx, &ctx.credentials)
                .map_err(|e| e.to_string())?;
            audited.check_opening(&ctx.ctx).map_err(|e| e.to_string())?;
            Ok(audited)
        })
        .await?
        .map_err(ApiError::Invalid)?;
        let code = audited.ballot.tracking_code();
        let ciphertexts = audited.ballot.ciphertexts_hash();
        let appended = board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Audited(audited)],
                    preconditions: vec![
                        Precondition::State(vec![ElectionState::Open]),
                        Precondition::TrackingCodeUnused(code),
                        Precondition::CiphertextsNotOther {
                            digest: ciphertexts,
                            kind: BallotKind::Audited,
                        },
                    ],
                    effects: vec![Effect::RecordAudited {
                        tracking_code: code,
                        ciphertexts,
                    }],
                    receipt_for: Some(code),
                },
            )
            .await?;
        appended
            .receipt
            .ok_or_else(|| ApiError::Internal("no receipt".into()))
    }
}
