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
use crate::board::{Entry, Event, SignedTreeHead};
use crate::credential::{CredentialKey, CredentialList};
use crate::decryption::DecryptionShare;
use crate::dkg::{CeremonyOutput, CeremonyParams, dealer::CeremonyTranscript};
use crate::encoding::{Bytes, Digest32};
use crate::fingerprint::{FingerprintInputs, ceremony_id, election_fingerprint, manifest_hash};
use crate::manifest::{Manifest, ManifestError};
use crate::rules::Outcome;
use crate::tally::{Counts, EncryptedTally};

/// Record format version written by this library.
pub const RECORD_VERSION: u32 = 1;

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
        "entry {index}: the key ceremony failed ({reason}; guilty tellers {guilty:?}), so there is no election to record"
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
}

/// Where a log is in the election's lifecycle (`spec/record.md` §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Manifest,
    Ceremony,
    CeremonyDone,
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
            Phase::Manifest => "only tellers after the manifest",
            Phase::Ceremony => {
                "only the key ceremony's messages, ceremony_output or ceremony_failed"
            }
            Phase::CeremonyDone => "only credentials or open after the ceremony",
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

/// Derives a record from a log's parsed entries (`spec/record.md` §9.1), checking the
/// lifecycle order. `entries[i].index` must be `i`.
pub fn derive_record(info: &BoardInfo, entries: Vec<Entry>) -> Result<BoardDerivation, BoardError> {
    let total = entries.len() as u64;
    let mut life = Lifecycle {
        phase: Phase::Start,
        n: 0,
        round: 0,
        seen: Default::default(),
        teller_keys: Vec::new(),
        once: HashSet::new(),
    };
    let mut manifest = None;
    let mut ceremony = CeremonyTranscript::default();
    let mut output = None;
    let mut failed = None;
    let mut credentials: Vec<CredentialKey> = Vec::new();
    let mut registered: HashSet<CredentialKey> = HashSet::new();
    let mut fingerprint = None;
    let (mut ballots, mut ballot_entries) = (Vec::new(), Vec::new());
    let (mut audited, mut audited_entries) = (Vec::new(), Vec::new());
    let mut tally = None;
    let mut shares: Vec<DecryptionShare> = Vec::new();
    let mut result = None;

    for (position, entry) in entries.into_iter().enumerate() {
        let index = position as u64;
        if entry.index != index {
            return Err(BoardError::Index {
                index,
                claimed: entry.index,
            });
        }
        let kind = entry.event.kind();
        match entry.event {
            Event::Manifest(m) => {
                life.step(index, kind, Phase::Start, Phase::Manifest)?;
                if m.election_id != info.election_id {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!(
                            "the manifest is for election {:?}, the board's log for {:?}",
                            m.election_id, info.election_id
                        ),
                    });
                }
                life.n = m.tellers.n;
                manifest = Some(m);
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
                ceremony.announcements.push(a);
            }
            Event::Commitment(c) => {
                life.ceremony(index, 1, c.index)?;
                ceremony.commitments.push(c);
            }
            Event::Reveal(r) => {
                life.ceremony(index, 2, r.index)?;
                ceremony.reveals.push(r);
            }
            Event::ShareCheck(c) => {
                life.ceremony(index, 3, c.index)?;
                ceremony.checks.push(c);
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
                output = Some(o);
            }
            Event::CeremonyFailed { reason, guilty } => {
                life.step(index, kind, Phase::Ceremony, Phase::Failed)?;
                failed = Some((index, reason, guilty));
            }
            Event::Credentials { keys } => {
                life.step(index, kind, Phase::CeremonyDone, Phase::CeremonyDone)?;
                for k in keys {
                    if !registered.insert(k) {
                        return Err(BoardError::Repeated {
                            index,
                            kind,
                            what: format!("credential {}", k.to_hex()),
                        });
                    }
                    credentials.push(k);
                }
            }
            Event::Open {
                fingerprint: f,
                credentials: roll,
            } => {
                life.step(index, kind, Phase::CeremonyDone, Phase::Open)?;
                if roll != credentials.len() as u64 {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!(
                            "it counts {roll} credentials, {} were registered",
                            credentials.len()
                        ),
                    });
                }
                fingerprint = Some(f);
            }
            Event::Ballot(b) => {
                life.step(index, kind, Phase::Open, Phase::Open)?;
                ballots.push(b);
                ballot_entries.push(index);
            }
            Event::Audited(a) => {
                life.step(index, kind, Phase::Open, Phase::Open)?;
                audited.push(a);
                audited_entries.push(index);
            }
            Event::Close { ballots: n } => {
                life.step(index, kind, Phase::Open, Phase::Closed)?;
                if n != ballots.len() as u64 {
                    return Err(BoardError::Inconsistent {
                        index,
                        kind,
                        reason: format!("it counts {n} ballots, the log has {}", ballots.len()),
                    });
                }
            }
            Event::Tally(t) => {
                life.step(index, kind, Phase::Closed, Phase::Tallied)?;
                tally = Some(t);
            }
            Event::DecryptionShare(s) => {
                life.step(index, kind, Phase::Tallied, Phase::Tallied)?;
                if shares.iter().any(|x| x.teller == s.teller) {
                    return Err(BoardError::Repeated {
                        index,
                        kind,
                        what: format!("teller {}", s.teller),
                    });
                }
                shares.push(s);
            }
            Event::Result { counts, outcome } => {
                life.step(index, kind, Phase::Tallied, Phase::Resulted)?;
                result = Some((counts, outcome));
            }
            Event::Published => {
                life.step(index, kind, Phase::Resulted, Phase::Published)?;
            }
        }
    }

    let missing = match life.phase {
        Phase::Start => Some("the manifest"),
        Phase::Manifest => Some("the tellers"),
        Phase::Ceremony => Some("the ceremony's output"),
        Phase::CeremonyDone => Some("open"),
        _ => None,
    };
    if let Some(missing) = missing {
        return Err(BoardError::Incomplete {
            entries: total,
            missing,
        });
    }
    if let Some((index, reason, guilty)) = failed {
        return Err(BoardError::CeremonyFailed {
            index,
            reason,
            guilty,
        });
    }
    let (Some(manifest), Some(ceremony_output), Some(fingerprint)) =
        (manifest, output, fingerprint)
    else {
        unreachable!("the phase is Open or later");
    };
    let counted = ballots
        .iter()
        .map(|b| *b.credential.as_bytes())
        .collect::<HashSet<_>>()
        .len() as u64;
    let result = match (tally, result) {
        (Some(tally), Some((counts, outcome))) => Some(TallyResult {
            counted,
            tally,
            shares,
            counts,
            outcome,
        }),
        _ => None,
    };
    let credentials =
        CredentialList::new(credentials).expect("repeats were refused entry by entry");
    Ok(BoardDerivation {
        record: ElectionRecord {
            election: ElectionData {
                version: RECORD_VERSION,
                manifest,
                ceremony,
                ceremony_output,
                credentials,
                fingerprint,
            },
            ballots,
            audited,
            result,
            board: None,
        },
        ballot_entries,
        audited_entries,
    })
}

impl ElectionRecord {
    /// The record a board log holds (`spec/record.md` §9.1): every part derived from the
    /// entries alone, the lifecycle order checked, and the log kept as the record's `board`.
    pub fn from_board(
        info: BoardInfo,
        entries: Vec<String>,
        tree_heads: Vec<SignedTreeHead>,
    ) -> Result<ElectionRecord, BoardError> {
        let parsed = entries
            .iter()
            .enumerate()
            .map(|(i, e)| parse_entry(i as u64, e))
            .collect::<Result<Vec<_>, _>>()?;
        let mut record = derive_record(&info, parsed)?.record;
        record.board = Some(BoardLog {
            info,
            entries,
            tree_heads,
        });
        Ok(record)
    }
}
