//! Piaojue's witness (`spec/witness.md`): a small server speaking c2sp.org/tlog-witness. It
//! cosigns a bulletin board's checkpoints (`spec/protocol.md` §14) only after checking each is
//! signed by a board it trusts ([`policy`]) and consistent with the latest one it cosigned for
//! that log, and it records the new latest checkpoint durably ([`store`]) before answering.
//! So it never cosigns two inconsistent checkpoints of one log, nor a smaller tree after a
//! larger one, across restarts and crashes.
//!
//! [`Witness::add_checkpoint`] is the whole protocol, free of HTTP (the benchmark calls it
//! directly); [`http`] puts it behind axum.

pub mod http;
pub mod policy;
pub mod request;
pub mod sample;
pub mod store;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use piaojue_crypto::board::merkle::empty_root;
use piaojue_crypto::board::verify_consistency;
use piaojue_crypto::board::{NoteError, VerifierKey, WitnessKey, is_valid_key_name};

pub use policy::{Policy, PolicyError};
pub use request::{AddCheckpoint, RequestError};
pub use store::{Latest, Store, StoreError, origin_hash};

/// The `Content-Type` of a 409 answer's body (the witness's latest size and a newline).
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";
/// The `Content-Type` of the other answers.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Why a witness could not start.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The witness name is not a valid key name.
    #[error("invalid witness name {0:?}: non-empty, without spaces or '+'")]
    Name(String),
    /// No log is trusted.
    #[error("the witness trusts no log: give at least one --board or --log")]
    NoLogs,
    /// The state file.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An answer: HTTP status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Reply {
    fn text(status: u16, body: impl Into<String>) -> Self {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Reply {
            status,
            content_type: TEXT_CONTENT_TYPE,
            body,
        }
    }
}

/// A refusal that proves the log misbehaved (kept as evidence) or not.
struct Refusal {
    status: u16,
    reason: String,
    evidence: bool,
}

fn refuse(status: u16, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason: reason.into(),
        evidence: false,
    }
}

fn conflict(reason: impl Into<String>) -> Refusal {
    Refusal {
        status: 422,
        reason: reason.into(),
        evidence: true,
    }
}

/// The seconds since the Unix epoch, by the system clock.
pub fn system_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A witness: its name and key, the logs it trusts, its state.
pub struct Witness {
    name: String,
    key: WitnessKey,
    policy: Policy,
    store: Store,
    clock: fn() -> u64,
}

impl core::fmt::Debug for Witness {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Witness")
            .field("name", &self.name)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Witness {
    /// Opens the witness's state file and starts it.
    pub async fn open(
        name: &str,
        key: WitnessKey,
        policy: Policy,
        state: &Path,
    ) -> Result<Self, WitnessError> {
        if !is_valid_key_name(name) {
            return Err(WitnessError::Name(name.into()));
        }
        if policy.is_empty() {
            return Err(WitnessError::NoLogs);
        }
        Ok(Witness {
            name: name.to_string(),
            key,
            policy,
            store: Store::open(state).await?,
            clock: system_time,
        })
    }

    /// The same witness with another clock (tests).
    pub fn with_clock(mut self, clock: fn() -> u64) -> Self {
        self.clock = clock;
        self
    }

    /// The witness's verifier key (type `0x04`).
    pub fn verifier_key(&self) -> VerifierKey {
        self.key
            .verifier_key(&self.name)
            .expect("the name was checked at open")
    }

    /// The state.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Handles an `add-checkpoint` request body (c2sp.org/tlog-witness; `spec/witness.md` §3):
    /// 400 malformed or old size above the checkpoint's, 404 unknown origin, 403 no valid
    /// signature of a trusted key, 409 old size not the latest cosigned (body: that size),
    /// 422 inconsistent, 200 with the cosignature line after the new state is committed; 500 if
    /// the state cannot be read or written (nothing is cosigned then).
    pub async fn add_checkpoint(&self, body: &[u8]) -> Reply {
        let req = match request::parse(body) {
            Ok(r) => r,
            Err(e) => return Reply::text(400, e.to_string()),
        };
        let origin = req.checkpoint.origin.clone();
        let keys = self.policy.keys_for(&origin);
        if keys.is_empty() {
            return Reply::text(404, format!("unknown log origin {origin:?}"));
        }
        if let Err(e) = req.note.verify(&keys) {
            let why = match e {
                NoteError::BadSignature { .. } => e.to_string(),
                _ => format!("no signature by the key trusted for {origin:?}"),
            };
            return Reply::text(403, why);
        }
        match self.check_and_cosign(&req, body).await {
            Ok(reply) => reply,
            Err(e) => {
                tracing::error!(origin = %origin, error = %e, "witness state");
                Reply::text(
                    500,
                    "the witness cannot record its state; nothing was cosigned",
                )
            }
        }
    }

    /// The checks against the latest cosigned checkpoint, and the update, in one transaction.
    async fn check_and_cosign(
        &self,
        req: &AddCheckpoint,
        body: &[u8],
    ) -> Result<Reply, StoreError> {
        let cp = &req.checkpoint;
        let mut tx = self.store.begin().await?;
        let latest = Store::latest(&mut tx, &cp.origin).await?;
        match check(req, latest.as_ref()) {
            Ok(()) => {
                let now = (self.clock)()
                    .max(latest.as_ref().map_or(1, |l| l.timestamp))
                    .max(1);
                if now > i64::MAX as u64 {
                    return Err(StoreError::TooLarge("the timestamp"));
                }
                let text = cp.text();
                let cosignature = self.key.cosign(&self.name, &text, now);
                let mut note = req.note.clone();
                note.push(cosignature.clone());
                let record = Latest {
                    size: cp.size,
                    root: cp.root.0,
                    timestamp: now,
                    note: note.to_string(),
                };
                Store::put(&mut tx, &cp.origin, &record).await?;
                tx.commit().await?;
                Ok(Reply::text(200, cosignature.line()))
            }
            Err(Refusal {
                status: 409,
                reason,
                ..
            }) => {
                let size = latest.as_ref().map_or(0, |l| l.size);
                if let Some(l) = latest
                    .as_ref()
                    .filter(|l| l.size == cp.size && l.root != cp.root.0)
                {
                    // A second root for a size already cosigned: a fork, whatever the old size.
                    let why = format!(
                        "fork: size {} has root {:?} here",
                        l.size,
                        hex::encode(l.root)
                    );
                    self.keep(&mut tx, &cp.origin, &why, body).await?;
                    tx.commit().await?;
                } else {
                    tracing::info!(origin = %cp.origin, %reason, "409");
                }
                Ok(Reply {
                    status: 409,
                    content_type: SIZE_CONTENT_TYPE,
                    body: format!("{size}\n"),
                })
            }
            Err(r) => {
                if r.evidence {
                    self.keep(&mut tx, &cp.origin, &r.reason, body).await?;
                    tx.commit().await?;
                }
                Ok(Reply::text(r.status, r.reason))
            }
        }
    }

    async fn keep(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        origin: &str,
        reason: &str,
        body: &[u8],
    ) -> Result<(), StoreError> {
        let kept = Store::keep_evidence(tx, origin, (self.clock)(), reason, body).await?;
        tracing::warn!(
            origin,
            reason,
            kept,
            "refused a validly signed, inconsistent checkpoint"
        );
        Ok(())
    }

    /// The latest cosigned checkpoint of the log whose origin hashes to `hash`, as a note with
    /// the log's signature(s) and the cosignature (`GET /<hash>/checkpoint`): 404 if none.
    pub async fn checkpoint(&self, hash: &str) -> Reply {
        let well_formed = hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Reply::text(404, "not an origin hash (64 lowercase hex digits)");
        }
        match self.store.note_by_hash(hash).await {
            Ok(Some(note)) => Reply {
                status: 200,
                content_type: TEXT_CONTENT_TYPE,
                body: note,
            },
            Ok(None) => Reply::text(404, "this witness has cosigned no checkpoint of that log"),
            Err(e) => {
                tracing::error!(error = %e, "witness state");
                Reply::text(500, "the witness cannot read its state")
            }
        }
    }
}

/// The checks of c2sp.org/tlog-witness against the latest cosigned checkpoint (`None`: never
/// cosigned one of this log; then its size is 0).
fn check(req: &AddCheckpoint, latest: Option<&Latest>) -> Result<(), Refusal> {
    let cp = &req.checkpoint;
    if req.old_size > cp.size {
        return Err(refuse(
            400,
            format!(
                "old size {} is above the checkpoint's size {}",
                req.old_size, cp.size
            ),
        ));
    }
    if cp.size > i64::MAX as u64 {
        return Err(refuse(400, "tree sizes above 2^63 − 1 are not accepted"));
    }
    if cp.size == 0 && cp.root.0 != empty_root() {
        return Err(conflict(
            "a checkpoint of size 0 must have the empty tree's root",
        ));
    }
    let (latest_size, latest_root) = latest.map_or((0, empty_root()), |l| (l.size, l.root));
    if req.old_size != latest_size {
        return Err(refuse(
            409,
            format!(
                "the latest cosigned size is {latest_size}, not {}",
                req.old_size
            ),
        ));
    }
    if req.old_size == 0 {
        if !req.proof.is_empty() {
            return Err(refuse(
                422,
                "from old size 0 the consistency proof must be empty",
            ));
        }
        return Ok(());
    }
    if req.old_size == cp.size {
        if cp.root.0 != latest_root {
            return Err(conflict(format!(
                "size {} was cosigned with another root",
                cp.size
            )));
        }
        if !req.proof.is_empty() {
            return Err(refuse(
                422,
                "between equal sizes the consistency proof must be empty",
            ));
        }
        return Ok(());
    }
    if !verify_consistency(req.old_size, cp.size, &latest_root, &cp.root.0, &req.proof) {
        return Err(conflict(format!(
            "the consistency proof from size {} to {} does not verify",
            req.old_size, cp.size
        )));
    }
    Ok(())
}
