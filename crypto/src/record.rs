//! The election record: everything an observer needs to verify an election
//! (`spec/record.md`).
//!
//! The record has four parts, which are also the files of its folder form:
//!
//! | part | file | content |
//! |---|---|---|
//! | [`ElectionData`] | `election.json` | manifest, key ceremony, credential list, fingerprint |
//! | cast ballots | `ballots.jsonl` | one [`Ballot`] per line, in board order |
//! | audited ballots | `audited.jsonl` | one [`AuditedBallot`] per line, in board order |
//! | [`TallyResult`] | `result.json` | encrypted tally, decryption shares, counts, outcome |
//!
//! | [`BoardLog`] (optional) | `board.json`, `board.jsonl`, `tree_heads.jsonl` | the bulletin board's log and signed tree heads |
//!
//! The single-file form is one JSON object [`ElectionRecord`] with the keys `election`,
//! `ballots`, `audited`, `result` and `board`. Values the verifier can recompute (the ceremony output,
//! the fingerprint, the tally, the counts, the outcome) are still written out, so that a reader
//! without a verifier can see them, and the verifier checks each against its own computation.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::ballot::{AuditedBallot, Ballot, ElectionContext};
use crate::board::{Approval, Entry, Event, SignedTreeHead};
use crate::credential::{CredentialKey, CredentialList};
use crate::decryption::DecryptionShare;
use crate::dkg::{CeremonyOutput, CeremonyParams, dealer::CeremonyTranscript};
use crate::encoding::{Bytes, Digest32};
use crate::fingerprint::{FingerprintInputs, ceremony_id, election_fingerprint, manifest_hash};
use crate::manifest::{Manifest, ManifestError};
use crate::rules::Outcome;
use crate::tally::{Counts, EncryptedTally};

/// Record format version written by this library.
pub const RECORD_VERSION: u32 = 4;

/// The election's set-up: `election.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionData {
    /// Record format version ([`RECORD_VERSION`]).
    pub version: u32,
    /// The manifest.
    pub manifest: Manifest,
    /// Every message of the tellers' key ceremony.
    pub ceremony: CeremonyTranscript,
    /// The ceremony's output: joint key and verification keys.
    pub ceremony_output: CeremonyOutput,
    /// The credential list, sorted.
    pub credentials: CredentialList,
    /// The election fingerprint.
    pub fingerprint: Digest32,
    /// The chief scrutineer's signed number of deputies signed in (`spec/protocol.md` §7.6);
    /// required in a record (V3.5), absent only in a set-up served before voting opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendance: Option<crate::attendance::Attendance>,
}

impl ElectionData {
    /// The key ceremony's parameters: the manifest's tellers and the ceremony id.
    pub fn ceremony_params(&self) -> CeremonyParams {
        ceremony_params(&self.manifest)
    }

    /// Tellers' signing keys in index order, from the ceremony's announcements.
    pub fn teller_keys(&self) -> Vec<Bytes<32>> {
        let mut a: Vec<_> = self.ceremony.announcements.iter().collect();
        a.sort_by_key(|a| a.index);
        a.into_iter().map(|a| a.signing_key).collect()
    }

    /// The fingerprint computed from the data (not the one written in it).
    pub fn compute_fingerprint(&self) -> Digest32 {
        election_fingerprint(&FingerprintInputs {
            manifest: &self.manifest,
            teller_keys: &self.teller_keys(),
            joint_key: &self.ceremony_output.joint_key,
            verification_keys: &self.ceremony_output.verification_keys,
            credentials: &self.credentials,
        })
    }

    /// The context for building and verifying ballots.
    pub fn context(&self) -> Result<ElectionContext, ManifestError> {
        ElectionContext::new(
            self.manifest.clone(),
            self.fingerprint,
            self.ceremony_output.joint_key,
        )
    }
}

/// The ceremony parameters of an election with this manifest.
pub fn ceremony_params(manifest: &Manifest) -> CeremonyParams {
    CeremonyParams {
        ceremony_id: ceremony_id(&manifest_hash(manifest)),
        n: manifest.tellers.n,
        t: manifest.tellers.t,
    }
}

/// The tally and its decryption: `result.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyResult {
    /// Number of ballots counted (the cast ballots of the record).
    pub counted: u64,
    /// The encrypted tally.
    pub tally: EncryptedTally,
    /// Decryption shares of at least `t` tellers, of the flattened tally.
    pub shares: Vec<DecryptionShare>,
    /// The decrypted counts, per contest, per option.
    pub counts: Counts,
    /// The decision rule applied to the counts.
    pub outcome: Outcome,
}

/// The whole record in one value (the single-file form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionRecord {
    /// Set-up.
    pub election: ElectionData,
    /// Cast ballots, in board order.
    pub ballots: Vec<Ballot>,
    /// Audited (spoiled) ballots, in board order; never counted.
    pub audited: Vec<AuditedBallot>,
    /// The result, once tallied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<TallyResult>,
    /// The bulletin board's log, when the record was exported from a board
    /// (`spec/record.md` §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<BoardLog>,
}

/// The board's identity: `board.json` (`spec/record.md` §9.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardInfo {
    /// The election whose log this is.
    pub election_id: String,
    /// `board::log_id(election_id)`.
    pub log_id: Digest32,
    /// The board's public key, which signs tree heads and receipts.
    pub board_key: CredentialKey,
}

/// The bulletin board's part of a record (`spec/record.md` §9.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardLog {
    /// The board's identity.
    pub info: BoardInfo,
    /// The exact UTF-8 bytes of every entry (an [`Entry`]'s JSON); position = index.
    pub entries: Vec<String>,
    /// Signed tree heads the board published, by increasing size.
    pub tree_heads: Vec<SignedTreeHead>,
    /// The witnesses' cosignatures of the board's checkpoints, by increasing size then witness
    /// name (`spec/record.md` §9.5).
    pub cosignatures: Vec<RecordedCosignature>,
}

/// A witness's cosignature of one of the board's checkpoints (`spec/record.md` §9.5): the
/// manifest's witness `witness` cosigned (c2sp.org/tlog-cosignature, cosignature/v1) the
/// checkpoint of the log's first `size` entries at `timestamp`. The checkpoint's text is not
/// stored: it is the manifest's `board.origin`, `size` and the Merkle root of those entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedCosignature {
    /// The checkpoint's tree size.
    pub size: u64,
    /// The witness's name, as in the manifest.
    pub witness: String,
    /// The cosignature's time, POSIX seconds.
    pub timestamp: u64,
    /// The ed25519 signature over the cosigned message.
    pub signature: Bytes<64>,
}

impl RecordedCosignature {
    /// The cosignature as a signed-note signature line of `witness` (signature type `0x04`:
    /// key id ‖ `u64(timestamp)` ‖ signature).
    pub fn note_signature(
        &self,
        witness: &crate::manifest::Witness,
    ) -> crate::board::NoteSignature {
        let mut bytes = self.timestamp.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.signature.0);
        crate::board::NoteSignature {
            name: witness.name.clone(),
            key_id: cosigner_key(witness).map_or(0, |k| k.key_id()),
            bytes,
        }
    }

    /// Whether the cosignature is `witness`'s on the checkpoint whose note text is
    /// `checkpoint_text` (c2sp.org/tlog-cosignature, cosignature/v1).
    pub fn verify(&self, witness: &crate::manifest::Witness, checkpoint_text: &str) -> bool {
        witness.name == self.witness
            && cosigner_key(witness)
                .is_some_and(|k| k.verify(checkpoint_text, &self.note_signature(witness)))
    }

    /// The recorded form of a note signature of `witness`, if it is a 72-byte cosignature
    /// (`u64(timestamp)` ‖ signature) with its key id.
    pub fn from_note_signature(
        size: u64,
        witness: &crate::manifest::Witness,
        sig: &crate::board::NoteSignature,
    ) -> Option<Self> {
        let key = cosigner_key(witness)?;
        let (time, signature) = sig.bytes.split_first_chunk::<8>()?;
        (sig.name == witness.name && sig.key_id == key.key_id()).then_some(())?;
        Some(RecordedCosignature {
            size,
            witness: witness.name.clone(),
            timestamp: u64::from_be_bytes(*time),
            signature: Bytes(signature.try_into().ok()?),
        })
    }
}

/// A manifest witness's cosigner key (cosignature/v1, signature type `0x04`).
pub fn cosigner_key(witness: &crate::manifest::Witness) -> Option<crate::board::VerifierKey> {
    crate::board::VerifierKey::new(
        &witness.name,
        crate::board::SignatureType::CosignatureV1,
        witness.key,
    )
    .ok()
}

/// `guilty tellers 1, 3`, `guilty teller 2` or `no teller found guilty`.
fn guilty_tellers(guilty: &[u32]) -> String {
    let list: Vec<String> = guilty.iter().map(u32::to_string).collect();
    match list.len() {
        0 => "no teller found guilty".into(),
        1 => format!("guilty teller {}", list[0]),
        _ => format!("guilty tellers {}", list.join(", ")),
    }
}

/// Why a board log does not make an election record (`spec/record.md` §9.1,
/// `spec/verification.md` V7.2–V7.3). Every variant names the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoardError {
    /// The entry's bytes are not an [`Entry`].
    #[error("entry {index} does not parse: {reason}")]
    Parse {
        /// Position in the log.
        index: u64,
        /// serde's message.
        reason: String,
    },
    /// The entry's `index` is not its position.
    #[error("entry {index} says it is entry {claimed}")]
    Index {
        /// Position in the log.
        index: u64,
        /// The `index` it holds.
        claimed: u64,
    },
    /// The lifecycle does not allow this event here.
    #[error("entry {index}: {kind} is out of order: {reason}")]
    OutOfOrder {
        /// Position in the log.
        index: u64,
        /// The event's kind.
        kind: &'static str,
        /// What the log allows at this point.
        reason: String,
    },
    /// The event repeats one that may happen only once.
    #[error("entry {index}: repeated {kind}: {what}")]
    Repeated {
        /// Position in the log.
        index: u64,
        /// The event's kind.
        kind: &'static str,
        /// What is repeated.
        what: String,
    },
    /// The event contradicts earlier entries.
    #[error("entry {index}: {kind}: {reason}")]
    Inconsistent {
        /// Position in the log.
        index: u64,
        /// The event's kind.
        kind: &'static str,
        /// The contradiction.
        reason: String,
    },
    /// The key ceremony failed: the log holds no election to record.
    #[error(
        "entry {index}: the key ceremony failed ({reason}; {}), so there is no election to record",
        guilty_tellers(guilty)
    )]
    CeremonyFailed {
        /// Position of the `ceremony_failed` entry.
        index: u64,
        /// Its reason.
        reason: String,
        /// Its guilty tellers.
        guilty: Vec<u32>,
    },
    /// The log ends before the election's data are complete (before `open`).
    #[error("the log ends after {entries} entries, before {missing}")]
    Incomplete {
        /// Number of entries.
        entries: u64,
        /// The first missing event.
        missing: &'static str,
    },
}

/// Parses entry `index` of a log: its bytes must be an [`Entry`] whose `index` is its position
/// (`spec/verification.md` V7.2).
pub fn parse_entry(index: u64, bytes: &str) -> Result<Entry, BoardError> {
    let entry = Entry::from_bytes(bytes.as_bytes()).map_err(|e| BoardError::Parse {
        index,
        reason: e.to_string(),
    })?;
    if entry.index != index {
        return Err(BoardError::Index {
            index,
            claimed: entry.index,
        });
    }
    Ok(entry)
}

/// A record derived from a board log, with the log position of each ballot.
#[derive(Debug, Clone)]
pub struct BoardDerivation {
    /// The record (without its `board` part).
    pub record: ElectionRecord,
    /// Entry index of each cast ballot, in record order.
    pub ballot_entries: Vec<u64>,
    /// Entry index of each audited ballot, in record order.
    pub audited_entries: Vec<u64>,
    /// The approval entries of the log (at most one in a valid log: entry 1), with their
    /// indices; checked against the manifest by `board::check_approval` (V7.7).
    pub approvals: Vec<(u64, Approval)>,
}

/// Where a log is in the election's lifecycle (`spec/record.md` §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Manifest,
    Ceremony,
    CeremonyDone,
    Attended,
    Failed,
    Open,
    Closed,
    Tallied,
    Resulted,
    Published,
}

impl Phase {
    fn allows(self) -> &'static str {
        match self {
            Phase::Start => "only the manifest first",
            Phase::Manifest => "only tellers (or the approval, right after it) after the manifest",
            Phase::Ceremony => {
                "only the key ceremony's messages, ceremony_output or ceremony_failed"
            }
            Phase::CeremonyDone => "only credentials or attendance after the ceremony",
            Phase::Attended => "only open after the attendance",
            Phase::Failed => "nothing after ceremony_failed",
            Phase::Open => "only ballot, audited or close while voting is open",
            Phase::Closed => "only tally after close",
            Phase::Tallied => "only decryption_share or result after the tally",
            Phase::Resulted => "only published after the result",
            Phase::Published => "nothing after published",
        }
    }
}

const ROUNDS: [&str; 4] = ["announcement", "commitment", "reveal", "share_check"];

/// The lifecycle automaton over a log's entries.
struct Lifecycle {
    phase: Phase,
    n: u32,
    /// The current ceremony round and the tellers seen in each round.
    round: usize,
    seen: [HashSet<u32>; 4],
    teller_keys: Vec<Bytes<32>>,
    once: HashSet<&'static str>,
}

impl Lifecycle {
    fn out_of_order(&self, index: u64, kind: &'static str, why: String) -> BoardError {
        BoardError::OutOfOrder {
            index,
            kind,
            reason: why,
        }
    }

    /// Moves from `from` to `to`, or fails naming what the log allows.
    /// Events that change the phase happen at most once.
    fn step(
        &mut self,
        index: u64,
        kind: &'static str,
        from: Phase,
        to: Phase,
    ) -> Result<(), BoardError> {
        if from != to && !self.once.insert(kind) {
            return Err(BoardError::Repeated {
                index,
                kind,
                what: "it may appear only once".into(),
            });
        }
        if self.phase != from {
            return Err(self.out_of_order(index, kind, self.phase.allows().into()));
        }
        self.phase = to;
        Ok(())
    }

    fn round_complete(&self, r: usize) -> bool {
        self.seen[r].len() == self.n as usize
    }

    /// A key-ceremony message of round `r` from teller `sender`.
    fn ceremony(&mut self, index: u64, r: usize, sender: u32) -> Result<(), BoardError> {
        let kind = ROUNDS[r];
        if self.phase != Phase::Ceremony {
            return Err(self.out_of_order(index, kind, self.phase.allows().into()));
        }
        if r < self.round || r > self.round + 1 {
            return Err(self.out_of_order(
                index,
                kind,
                format!("the ceremony is in the {} round", ROUNDS[self.round]),
            ));
        }
        if r == self.round + 1 && !self.round_complete(self.round) {
            return Err(self.out_of_order(
                index,
                kind,
                format!(
                    "the {} round has {} of {} messages",
                    ROUNDS[self.round],
                    self.seen[self.round].len(),
                    self.n
                ),
            ));
        }
        self.round = r;
        if sender == 0 || sender > self.n {
            return Err(BoardError::Inconsistent {
                index,
                kind,
                reason: format!(
                    "teller {sender} is not a teller of this election (n = {})",
                    self.n
                ),
            });
        }
        if !self.seen[r].insert(sender) {
            return Err(BoardError::Repeated {
                index,
                kind,
                what: format!("teller {sender}"),
            });
        }
        Ok(())
    }
}

/// What a log entry gives a reader besides the election's set-up, which [`LogReader`] keeps.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum LogItem {
    /// A cast ballot at this log index.
    Ballot(u64, Ballot),
    /// An audited ballot at this log index.
    Audited(u64, AuditedBallot),
}

/// What a whole log gives after its last entry (`spec/record.md` §9.1): the set-up, the
/// number of cast ballot entries and of distinct credentials among them, and the result.
#[derive(Debug, Clone)]
pub struct LogEnd {
    /// The election's set-up.
    pub election: ElectionData,
    /// Number of `ballot` entries.
    pub ballots: u64,
    /// Number of distinct credentials that cast a ballot.
    pub credentials_voting: u64,
    /// The result, when the log has a tally and a result entry.
    pub result: Option<TallyResult>,
    /// The approval entries of the log (at most one in a valid log: entry 1), with their
    /// indices; checked against the manifest by `board::check_approval` (V7.7).
    pub approvals: Vec<(u64, Approval)>,
}

/// Reads a log entry by entry (`spec/record.md` §9.1), checking the lifecycle order as it
/// goes, keeping the election's set-up and handing out the ballots: so a log of any size is
/// read in one pass with memory for its set-up and one bit of state per credential.
/// [`derive_record`] is this reader over a whole log.
pub struct LogReader {
    election_id: String,
    life: Lifecycle,
    next: u64,
    manifest: Option<Manifest>,
    ceremony: CeremonyTranscript,
    output: Option<CeremonyOutput>,
    failed: Option<(u64, String, Vec<u32>)>,
    credentials: Vec<CredentialKey>,
    registered: HashSet<CredentialKey>,
    fingerprint: Option<Digest32>,
    attendance: Option<crate::attendance::Attendance>,
    ballots: u64,
    voting: HashSet<[u8; 32]>,
    tally: Option<EncryptedTally>,
    shares: Vec<DecryptionShare>,
    result: Option<(Counts, Outcome)>,
    approvals: Vec<(u64, Approval)>,
}

impl LogReader {
    /// A reader of the log of `info`'s election, before its first entry.
    pub fn new(info: &BoardInfo) -> Self {
        LogReader {
            election_id: info.election_id.clone(),
            life: Lifecycle {
                phase: Phase::Start,
                n: 0,
                round: 0,
                seen: Default::default(),
                teller_keys: Vec::new(),
                once: HashSet::new(),
            },
            next: 0,
            manifest: None,
            ceremony: CeremonyTranscript::default(),
            output: None,
            failed: None,
            credentials: Vec::new(),
            registered: HashSet::new(),
            fingerprint: None,
            attendance: None,
            ballots: 0,
            voting: HashSet::new(),
            tally: None,
            shares: Vec::new(),
            result: None,
            approvals: Vec::new(),
        }
    }

    /// Number of entries read.
    pub fn entries(&self) -> u64 {
        self.next
    }

    /// The election's set-up, once the log has opened the vote (the credential list is final
    /// then): from this point on ballots can be verified.
    pub fn setup(&self) -> Option<ElectionData> {
        let opened = matches!(
            self.life.phase,
            Phase::Open | Phase::Closed | Phase::Tallied | Phase::Resulted | Phase::Published
        );
        if !opened {
            return None;
        }
        Some(ElectionData {
            version: RECORD_VERSION,
            manifest: self.manifest.clone()?,
            ceremony: self.ceremony.clone(),
            ceremony_output: self.output.clone()?,
            credentials: CredentialList::new(self.credentials.iter().copied())
                .expect("repeats were refused entry by entry"),
            fingerprint: self.fingerprint?,
            attendance: self.attendance.clone(),
        })
    }

    /// Whether the log has reached its `result` entry: a log that breaks after it still holds
    /// every input of V8–V11 (`spec/verification.md` §5.2).
    pub fn has_result(&self) -> bool {
        matches!(self.life.phase, Phase::Resulted | Phase::Published)
    }

    /// Reads the next entry: its `index` must be the number of entries read so far.
    pub fn push(&mut self, entry: Entry) -> Result<Option<LogItem>, BoardError> {
        let index = self.next;
        if entry.index != index {
            return Err(BoardError::Index {
                index,
                claimed: entry.index,
            });
        }
        self.next += 1;
        let life = &mut self.life;
        let kind = entry.event.kind();
        match entry.event {
            Event::Manifest(m) => {
                life.step(index, kind, Phase::Start, Phase::Manifest)?;
                if m.election_id != self.election_id {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!(
                            "the manifest is for election {}, the board's log for {}",
                            crate::text::quoted(&m.election_id),
                            crate::text::quoted(&self.election_id)
                        ),
                    });
                }
                life.n = m.tellers.n;
                self.manifest = Some(m);
            }
            Event::Approval(a) => {
                // Right after the manifest, once.
                if life.phase == Phase::Manifest && !life.once.insert(kind) {
                    return Err(BoardError::Repeated {
                        index,
                        kind,
                        what: "it may appear only once".into(),
                    });
                }
                if life.phase != Phase::Manifest || index != 1 {
                    return Err(life.out_of_order(
                        index,
                        kind,
                        "the approval must be entry 1, right after the manifest".into(),
                    ));
                }
                self.approvals.push((index, a));
            }
            Event::Tellers { signing_keys } => {
                life.step(index, kind, Phase::Manifest, Phase::Ceremony)?;
                if signing_keys.len() != life.n as usize {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!(
                            "{} signing keys, the manifest has {} tellers",
                            signing_keys.len(),
                            life.n
                        ),
                    });
                }
                life.teller_keys = signing_keys;
            }
            Event::Announcement(a) => {
                life.ceremony(index, 0, a.index)?;
                if life.teller_keys[a.index as usize - 1] != a.signing_key {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!(
                            "teller {} announces a signing key that is not its key in the tellers entry",
                            a.index
                        ),
                    });
                }
                self.ceremony.announcements.push(a);
            }
            Event::Commitment(c) => {
                life.ceremony(index, 1, c.index)?;
                self.ceremony.commitments.push(c);
            }
            Event::Reveal(r) => {
                life.ceremony(index, 2, r.index)?;
                self.ceremony.reveals.push(r);
            }
            Event::ShareCheck(c) => {
                life.ceremony(index, 3, c.index)?;
                self.ceremony.checks.push(c);
            }
            Event::CeremonyOutput(o) => {
                if life.phase == Phase::Ceremony && !(life.round == 3 && life.round_complete(3)) {
                    return Err(life.out_of_order(
                        index,
                        kind,
                        "the ceremony's share_check round is not complete".into(),
                    ));
                }
                life.step(index, kind, Phase::Ceremony, Phase::CeremonyDone)?;
                self.output = Some(o);
            }
            Event::CeremonyFailed { reason, guilty } => {
                life.step(index, kind, Phase::Ceremony, Phase::Failed)?;
                self.failed = Some((index, reason, guilty));
            }
            Event::Credentials { keys } => {
                life.step(index, kind, Phase::CeremonyDone, Phase::CeremonyDone)?;
                let deputies = self.manifest.as_ref().map_or(0, |m| m.deputies) as usize;
                if self.credentials.len() + keys.len() > deputies {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!(
                            "{} credentials in all, more than the {deputies} deputies of the congress",
                            self.credentials.len() + keys.len()
                        ),
                    });
                }
                for k in keys {
                    if !self.registered.insert(k) {
                        return Err(BoardError::Repeated {
                            index,
                            kind,
                            what: format!("credential {}", k.to_base64()),
                        });
                    }
                    self.credentials.push(k);
                }
            }
            Event::Attendance(a) => {
                life.step(index, kind, Phase::CeremonyDone, Phase::Attended)?;
                self.attendance = Some(a);
            }
            Event::Open {
                fingerprint: f,
                credentials: roll,
            } => {
                life.step(index, kind, Phase::Attended, Phase::Open)?;
                if roll != self.credentials.len() as u64 {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!(
                            "it counts {roll} credentials, {} were registered",
                            self.credentials.len()
                        ),
                    });
                }
                self.fingerprint = Some(f);
                // The list is final: no lookups by key from here on.
                self.registered = HashSet::new();
            }
            Event::Ballot(b) => {
                life.step(index, kind, Phase::Open, Phase::Open)?;
                self.ballots += 1;
                self.voting.insert(*b.credential.as_bytes());
                return Ok(Some(LogItem::Ballot(index, b)));
            }
            Event::Audited(a) => {
                life.step(index, kind, Phase::Open, Phase::Open)?;
                return Ok(Some(LogItem::Audited(index, a)));
            }
            Event::Close { ballots: n } => {
                life.step(index, kind, Phase::Open, Phase::Closed)?;
                if n != self.ballots {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!("it counts {n} ballots, the log has {}", self.ballots),
                    });
                }
            }
            Event::Tally(t) => {
                life.step(index, kind, Phase::Closed, Phase::Tallied)?;
                self.tally = Some(t);
            }
            Event::DecryptionShare(s) => {
                life.step(index, kind, Phase::Tallied, Phase::Tallied)?;
                if self.shares.iter().any(|x| x.teller == s.teller) {
                    return Err(BoardError::Repeated {
                        index,
                        kind,
                        what: format!("teller {}", s.teller),
                    });
                }
                self.shares.push(s);
            }
            Event::Result { counts, outcome } => {
                life.step(index, kind, Phase::Tallied, Phase::Resulted)?;
                self.result = Some((counts, outcome));
            }
            Event::Published => {
                life.step(index, kind, Phase::Resulted, Phase::Published)?;
            }
        }
        Ok(None)
    }

    /// After the last entry: the log must have reached `open` (and not a failed ceremony).
    pub fn finish(self) -> Result<LogEnd, BoardError> {
        let missing = match self.life.phase {
            Phase::Start => Some("the manifest"),
            Phase::Manifest => Some("the tellers"),
            Phase::Ceremony => Some("the ceremony's output"),
            Phase::CeremonyDone => Some("the attendance"),
            Phase::Attended => Some("open"),
            _ => None,
        };
        if let Some(missing) = missing {
            return Err(BoardError::Incomplete {
                entries: self.next,
                missing,
            });
        }
        if let Some((index, reason, guilty)) = self.failed {
            return Err(BoardError::CeremonyFailed {
                index,
                reason,
                guilty,
            });
        }
        let election = self.setup().expect("the phase is Open or later");
        let credentials_voting = self.voting.len() as u64;
        let result = match (self.tally, self.result) {
            (Some(tally), Some((counts, outcome))) => Some(TallyResult {
                counted: credentials_voting,
                tally,
                shares: self.shares,
                counts,
                outcome,
            }),
            _ => None,
        };
        Ok(LogEnd {
            election,
            ballots: self.ballots,
            credentials_voting,
            result,
            approvals: self.approvals,
        })
    }
}

/// Derives a record from a log's parsed entries (`spec/record.md` §9.1), checking the
/// lifecycle order. `entries[i].index` must be `i`.
pub fn derive_record(info: &BoardInfo, entries: Vec<Entry>) -> Result<BoardDerivation, BoardError> {
    let mut reader = LogReader::new(info);
    let (mut ballots, mut ballot_entries) = (Vec::new(), Vec::new());
    let (mut audited, mut audited_entries) = (Vec::new(), Vec::new());
    for entry in entries {
        match reader.push(entry)? {
            Some(LogItem::Ballot(i, b)) => {
                ballots.push(b);
                ballot_entries.push(i);
            }
            Some(LogItem::Audited(i, a)) => {
                audited.push(a);
                audited_entries.push(i);
            }
            None => {}
        }
    }
    let end = reader.finish()?;
    Ok(BoardDerivation {
        record: ElectionRecord {
            election: end.election,
            ballots,
            audited,
            result: end.result,
            board: None,
        },
        ballot_entries,
        audited_entries,
        approvals: end.approvals,
    })
}

impl ElectionRecord {
    /// The record a board log holds (`spec/record.md` §9.1): every part derived from the
    /// entries alone, the lifecycle order checked, and the log kept as the record's `board`.
    pub fn from_board(board: BoardLog) -> Result<ElectionRecord, BoardError> {
        let parsed = board
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| parse_entry(i as u64, e))
            .collect::<Result<Vec<_>, _>>()?;
        let mut record = derive_record(&board.info, parsed)?.record;
        record.board = Some(board);
        Ok(record)
    }
}
