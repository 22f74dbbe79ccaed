//! The election lifecycle (`spec/record.md` §9.1): every operation checks its input, checks the
//! election's state, and appends to the board in one transaction with its state change.
//! Handlers call these; they do no more than decode and encode.
//!
//! Draft → key ceremony → registration → open → closed → tallied → published.

use std::collections::HashMap;
use std::sync::Arc;

use piaojue_crypto::attendance::Attendance;
use piaojue_crypto::ballot::{AuditedBallot, Ballot, ElectionContext};
use piaojue_crypto::board::{Entry, Event, Receipt};
use piaojue_crypto::credential::{CredentialKey, CredentialList};
use piaojue_crypto::decryption::DecryptionShare;
use piaojue_crypto::dkg::dealer::{self, CeremonyTranscript};
use piaojue_crypto::dkg::messages::{Announcement, Commitment, Reveal, ShareCheck};
use piaojue_crypto::dkg::{CeremonyError, CeremonyOutput, CeremonyParams};
use piaojue_crypto::elgamal::Ciphertext;
use piaojue_crypto::encoding::{Bytes, Digest32, Point};
use piaojue_crypto::fingerprint::{FingerprintInputs, election_fingerprint};
use piaojue_crypto::manifest::{Manifest, Revote};
use piaojue_crypto::record::ceremony_params;
use piaojue_crypto::tally::{EncryptedTally, decrypt_counts};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tokio::sync::RwLock;

use crate::board::{AppendJob, Appended, BallotKind, Board, Effect, Precondition};
use crate::casting::CastQueue;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::state::ElectionState;

/// What does not change once an election is open: kept in memory for ballot verification.
pub struct Opened {
    /// Manifest, fingerprint, key.
    pub ctx: ElectionContext,
    /// The credential list.
    pub credentials: CredentialList,
    /// Its cast ballots waiting to be verified ([`crate::casting`]).
    queue: std::sync::OnceLock<CastQueue>,
}

impl Opened {
    /// What casting needs, with its verification queue started.
    pub fn start(ctx: ElectionContext, credentials: CredentialList) -> Arc<Self> {
        let opened = Arc::new(Opened {
            ctx,
            credentials,
            queue: std::sync::OnceLock::new(),
        });
        let _ = opened.queue.set(CastQueue::start(Arc::downgrade(&opened)));
        opened
    }

    /// The queue of ballots waiting to be verified.
    pub fn queue(&self) -> &CastQueue {
        self.queue.get().expect("started with its queue")
    }
}

/// Cached, immutable election data.
#[derive(Default)]
pub struct Elections {
    manifests: RwLock<HashMap<String, Arc<Manifest>>>,
    /// Per election, what casting needs once voting opened, built once: the first ballots of
    /// an election arrive together, and each building it again (a key table and the whole
    /// credential list) would stall them all.
    opened: std::sync::Mutex<HashMap<String, Arc<tokio::sync::OnceCell<Arc<Opened>>>>>,
}

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

/// An election's public status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Id.
    pub election_id: String,
    /// Lifecycle state.
    pub state: ElectionState,
    /// The manifest.
    pub manifest: Manifest,
    /// Fingerprint, once open.
    pub fingerprint: Option<Digest32>,
    /// Board entries.
    pub log_size: u64,
    /// Credentials registered (the roll of voters).
    pub credentials: u64,
    /// Deputies on the attendance roll (names kept by staff).
    pub roll: u64,
    /// Cast ballots on the board.
    pub ballots: u64,
    /// Distinct credentials that cast a ballot (turnout).
    pub voted: u64,
    /// Audited ballots on the board.
    pub audited: u64,
    /// The election this re-votes, if any.
    pub parent: Option<String>,
    /// Deputies signed in, once the chief scrutineer posted the attendance.
    pub signed_in: Option<u32>,
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> ApiResult<T> {
    piaojue_crypto::json::from_slice(bytes)
        .map_err(|e| ApiError::Internal(format!("stored {what}: {e}")))
}

fn entry_event(bytes: &[u8]) -> ApiResult<Event> {
    Entry::from_bytes(bytes)
        .map(|e| e.event)
        .map_err(|e| ApiError::Internal(format!("stored entry: {e}")))
}

/// The first event of a kind on an election's board, if there is one (for the events that
/// happen once: ceremony output, open, close, tally).
async fn first_event(board: &Board, id: &str, kind: &str) -> ApiResult<Option<Event>> {
    board
        .entries_of_kind(id, kind)
        .await?
        .first()
        .map(|b| entry_event(b))
        .transpose()
}

/// The attendance entry of an election, if it has one.
async fn attendance_of(db: &Db, id: &str) -> ApiResult<Option<Attendance>> {
    let row = sqlx::query(
        "SELECT body FROM board_entries WHERE election_id = $1 AND kind = 'attendance' LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => match entry_event(&r.try_get::<Vec<u8>, _>(0)?)? {
            Event::Attendance(a) => Ok(Some(a)),
            _ => Err(ApiError::Internal("stored attendance entry".into())),
        },
        None => Ok(None),
    }
}

/// Runs CPU-heavy work (proof verification) off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    rayon::spawn(move || {
        let _ = tx.send(f());
    });
    rx.await
        .map_err(|_| ApiError::Internal("verification task failed".into()))
}

impl Elections {
    /// The state of an election.
    pub async fn state(&self, db: &Db, id: &str) -> ApiResult<ElectionState> {
        let row = sqlx::query("SELECT state FROM elections WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no election {id:?}")))?;
        let s: String = row.try_get(0)?;
        ElectionState::parse(&s).ok_or_else(|| ApiError::Internal(format!("unknown state {s:?}")))
    }

    /// The manifest of an election.
    pub async fn manifest(&self, db: &Db, id: &str) -> ApiResult<Arc<Manifest>> {
        if let Some(m) = self.manifests.read().await.get(id) {
            return Ok(m.clone());
        }
        let row = sqlx::query("SELECT manifest FROM elections WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no election {id:?}")))?;
        let m: Arc<Manifest> =
            Arc::new(parse("manifest", row.try_get::<String, _>(0)?.as_bytes())?);
        self.manifests
            .write()
            .await
            .insert(id.to_string(), m.clone());
        Ok(m)
    }

    /// Lists elections: id, state, title.
    pub async fn list(&self, db: &Db) -> ApiResult<Vec<Status>> {
        let rows = sqlx::query("SELECT id FROM elections ORDER BY created_ms, id")
            .fetch_all(&db.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: String = r.try_get(0)?;
            out.push(self.status(db, &id).await?);
        }
        Ok(out)
    }

    /// An election's status.
    pub async fn status(&self, db: &Db, id: &str) -> ApiResult<Status> {
        let row =
            sqlx::query("SELECT state, fingerprint, log_size, parent FROM elections WHERE id = $1")
                .bind(id)
                .fetch_optional(&db.pool)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no election {id:?}")))?;
        let state: String = row.try_get(0)?;
        let fingerprint: Option<String> = row.try_get(1)?;
        let log_size: i64 = row.try_get(2)?;
        let parent: Option<String> = row.try_get(3)?;
        let count = |sql: &'static str| {
            let pool = db.pool.clone();
            let id = id.to_string();
            async move {
                let r = sqlx::query(sql).bind(id).fetch_one(&pool).await?;
                Ok::<u64, sqlx::Error>(r.try_get::<i64, _>(0)? as u64)
            }
        };
        Ok(Status {
            election_id: id.to_string(),
            state: ElectionState::parse(&state)
                .ok_or_else(|| ApiError::Internal(format!("unknown state {state:?}")))?,
            manifest: (*self.manifest(db, id).await?).clone(),
            fingerprint: fingerprint
                .map(|f| Bytes::from_base64(&f))
                .transpose()
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            log_size: log_size as u64,
            credentials: count("SELECT COUNT(*) FROM credentials WHERE election_id = $1").await?,
            roll: count("SELECT COUNT(*) FROM roll WHERE election_id = $1").await?,
            ballots: count("SELECT COUNT(*) FROM cast_ballots WHERE election_id = $1").await?,
            voted: count(
                "SELECT COUNT(DISTINCT credential) FROM cast_ballots WHERE election_id = $1",
            )
            .await?,
            audited: count("SELECT COUNT(*) FROM audited_ballots WHERE election_id = $1").await?,
            parent,
            signed_in: attendance_of(db, id).await?.map(|a| a.signed_in),
        })
    }

    /// Creates an election (state draft; entry 0 is the manifest).
    pub async fn create(
        &self,
        board: &Board,
        manifest: Manifest,
        parent: Option<String>,
    ) -> ApiResult<Appended> {
        self.create_with(board, manifest, parent, None, None).await
    }

    /// Creates an election: entry 0 is the manifest and, when the candidate list was
    /// approved, entry 1 the approval (`spec/record.md` §9.1.1), in one append; `cycle` sets
    /// its congress, year and purpose in the same transaction.
    pub async fn create_with(
        &self,
        board: &Board,
        manifest: Manifest,
        parent: Option<String>,
        approval: Option<piaojue_crypto::board::Approval>,
        cycle: Option<Effect>,
    ) -> ApiResult<Appended> {
        manifest
            .validate()
            .map_err(|e| ApiError::BadRequest(format!("invalid manifest: {e}")))?;
        board.check_manifest(&manifest)?;
        if let Some(a) = &approval {
            let failures = piaojue_crypto::board::check_approval(&manifest, &[(1, a)]);
            if !failures.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "invalid approval: {}",
                    failures.join("; ")
                )));
            }
        }
        let id = manifest.election_id.clone();
        let json = serde_json::to_string(&manifest).expect("manifests serialize");
        let mut events = vec![Event::Manifest(manifest)];
        events.extend(approval.map(Event::Approval));
        let mut effects = vec![Effect::CreateElection {
            manifest: json,
            parent,
        }];
        effects.extend(cycle);
        board
            .append(
                &id,
                AppendJob {
                    events,
                    preconditions: vec![Precondition::ElectionAbsent],
                    effects,
                    receipt_for: None,
                },
            )
            .await
    }

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

    async fn try_finish_ceremony(
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
    async fn counted(&self, db: &Db, id: &str) -> ApiResult<u64> {
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

    async fn shares(&self, board: &Board, id: &str) -> ApiResult<Vec<DecryptionShare>> {
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

    async fn compute_result(
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

fn dealer_signing_key(k: &Bytes<32>) -> Option<()> {
    piaojue_crypto::dkg::messages::signing_key(k).map(|_| ())
}
