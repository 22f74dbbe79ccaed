//! Registration: credentials, the roll of deputies, the fingerprint and the attendance.

use std::sync::Arc;

use piaojue_crypto::attendance::Attendance;
use piaojue_crypto::board::Event;
use piaojue_crypto::credential::{CredentialKey, CredentialList};
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_crypto::fingerprint::{FingerprintInputs, election_fingerprint};
use piaojue_crypto::manifest::Manifest;
use sqlx::Row;

use crate::board::{AppendJob, Appended, Board, Effect, Precondition};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::lifecycle::ElectionState;

use super::Elections;

impl Elections {
    /// Registers credential public keys (during registration). The server never sees the
    /// secret keys: the registrar makes them on its own machine.
    pub async fn add_credentials(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        keys: Vec<CredentialKey>,
    ) -> ApiResult<Appended> {
        if keys.is_empty() {
            return Err(ApiError::BadRequest("no credentials given".into()));
        }
        let deputies = self.manifest(db, id).await?.deputies;
        let list = CredentialList::new(keys).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let keys: Vec<CredentialKey> = list.iter().copied().collect();
        let raw: Vec<[u8; 32]> = keys.iter().map(|k| *k.as_bytes()).collect();
        board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Credentials { keys }],
                    preconditions: vec![
                        Precondition::State(vec![ElectionState::Registration]),
                        // The attendance signs the fingerprint of the final list.
                        Precondition::KindAbsent("attendance"),
                        Precondition::CredentialsFit {
                            adding: raw.len() as u64,
                            deputies,
                        },
                        Precondition::CredentialsNew(raw.clone()),
                    ],
                    effects: vec![Effect::AddCredentials(raw)],
                    receipt_for: None,
                },
            )
            .await
    }

    /// Replaces the attendance roll (deputies' names; kept apart from the credentials).
    pub async fn set_roll(&self, db: &Db, id: &str, names: Vec<String>) -> ApiResult<()> {
        let state = self.state(db, id).await?;
        if !matches!(
            state,
            ElectionState::Draft | ElectionState::KeyCeremony | ElectionState::Registration
        ) {
            return Err(ApiError::Conflict(format!(
                "the roll is fixed once voting opens (the election is {})",
                state.as_str()
            )));
        }
        if names
            .iter()
            .any(|n| piaojue_crypto::text::is_blank(n) || n.len() > 200)
        {
            return Err(ApiError::BadRequest(
                "every name must be 1 to 200 bytes".into(),
            ));
        }
        let mut tx = db.pool.begin().await?;
        sqlx::query("DELETE FROM roll WHERE election_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (i, name) in names.iter().enumerate() {
            sqlx::query("INSERT INTO roll (election_id, position, name) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(i as i64)
                .bind(name.trim())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The registered credentials, sorted as the list `L` (`protocol.md` §7.3).
    pub async fn credential_list(&self, db: &Db, id: &str) -> ApiResult<CredentialList> {
        let rows = sqlx::query("SELECT credential FROM credentials WHERE election_id = $1")
            .bind(id)
            .fetch_all(&db.pool)
            .await?;
        let keys = rows
            .iter()
            .map(|r| {
                let v: Vec<u8> = r.try_get(0)?;
                let b: [u8; 32] = v
                    .try_into()
                    .map_err(|_| sqlx::Error::Decode("credential".into()))?;
                CredentialKey::decode(&b).map_err(|e| sqlx::Error::Decode(e.to_string().into()))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        CredentialList::new(keys).map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// The election fingerprint of the registered credential list as it is now (final once
    /// the list is complete), with the tellers' signing keys.
    pub async fn current_fingerprint(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
    ) -> ApiResult<(Arc<Manifest>, Vec<Bytes<32>>, CredentialList, Digest32)> {
        let manifest = self.manifest(db, id).await?;
        let output = self.ceremony_output(board, id).await?;
        let (keys, _) = self.ceremony(board, id).await?;
        let credentials = self.credential_list(db, id).await?;
        let fingerprint = election_fingerprint(&FingerprintInputs {
            manifest: &manifest,
            teller_keys: &keys,
            joint_key: &output.joint_key,
            verification_keys: &output.verification_keys,
            credentials: &credentials,
        });
        Ok((manifest, keys, credentials, fingerprint))
    }

    /// Posts the chief scrutineer's signed number of deputies signed in (`spec/protocol.md`
    /// §7.6): once the credential list is complete, before voting opens, signed by a teller
    /// over the fingerprint of that list.
    pub async fn attendance(
        &self,
        db: &Db,
        board: &Board,
        id: &str,
        attendance: Attendance,
    ) -> ApiResult<Appended> {
        let state = self.state(db, id).await?;
        if state != ElectionState::Registration {
            return Err(ApiError::Conflict(format!(
                "the attendance is posted while credentials are registered, before voting opens (the election is {})",
                state.as_str()
            )));
        }
        let (manifest, keys, credentials, fingerprint) =
            self.current_fingerprint(db, board, id).await?;
        let deputies = manifest.deputies;
        if credentials.len() != deputies as usize {
            return Err(ApiError::Conflict(format!(
                "the credential list is not complete: {} of the congress's {deputies} deputies have a credential",
                credentials.len()
            )));
        }
        attendance
            .check(&manifest, fingerprint.0, &keys)
            .map_err(|e| ApiError::Invalid(e.to_string()))?;
        board
            .append(
                id,
                AppendJob {
                    events: vec![Event::Attendance(attendance)],
                    preconditions: vec![
                        Precondition::State(vec![ElectionState::Registration]),
                        Precondition::KindAbsent("attendance"),
                        // The list the signature covers is the list at the append.
                        Precondition::CredentialsComplete(deputies),
                    ],
                    effects: vec![],
                    receipt_for: None,
                },
            )
            .await
    }
}
