//! Bulletin-board entries (`spec/record.md` §9.1).
//!
//! Every public event of an election is one entry of its log, in order: the manifest, the
//! approval of the candidate list (when the election was made from one), the tellers, every
//! key-ceremony message, its output, the credential list (in batches), the opening of the vote, every cast and audited ballot, the close, the encrypted tally, every
//! decryption share, the result and its publication. An entry is stored and hashed as the exact
//! UTF-8 bytes of its JSON (one line of `board.jsonl`); its Merkle leaf is
//! `SHA-256(0x00 ‖ bytes)`. Readers parse those bytes; nobody re-serialises them.

use serde::{Deserialize, Serialize};

use super::approval::Approval;
use crate::ballot::{AuditedBallot, Ballot};
use crate::credential::CredentialKey;
use crate::decryption::DecryptionShare;
use crate::dkg::CeremonyOutput;
use crate::dkg::messages::{Announcement, Commitment, Reveal, ShareCheck};
use crate::encoding::{Bytes, Digest32};
use crate::manifest::Manifest;
use crate::rules::Outcome;
use crate::tally::{Counts, EncryptedTally};

/// One entry of an election's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the log, from 0.
    pub index: u64,
    /// When the board appended it: milliseconds since the Unix epoch, UTC.
    pub time_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

impl Entry {
    /// The entry's bytes: its JSON, as stored and hashed.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("entries serialize")
    }

    /// Parses an entry's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// The events of an election, in the order the lifecycle allows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// The election is created with this manifest (always entry 0).
    Manifest(Manifest),
    /// The approval of the candidate list (optional; entry 1 when present).
    Approval(Approval),
    /// The key ceremony starts with these tellers' ed25519 signing keys (index 1 … n).
    Tellers {
        /// Signing keys in index order.
        signing_keys: Vec<Bytes<32>>,
    },
    /// Key ceremony, round 0.
    Announcement(Announcement),
    /// Key ceremony, round 1.
    Commitment(Commitment),
    /// Key ceremony, round 2.
    Reveal(Reveal),
    /// Key ceremony, round 3.
    ShareCheck(ShareCheck),
    /// The ceremony succeeded: the joint key and verification keys.
    CeremonyOutput(CeremonyOutput),
    /// The ceremony failed; the election cannot go on.
    CeremonyFailed {
        /// Why.
        reason: String,
        /// The tellers found guilty.
        guilty: Vec<u32>,
    },
    /// Credentials registered (a batch; the list is the sorted union of all batches).
    Credentials {
        /// Public keys.
        keys: Vec<CredentialKey>,
    },
    /// The chief scrutineer's signed number of deputies signed in (`spec/protocol.md` §7.6).
    Attendance(crate::attendance::Attendance),
    /// Voting opens; the credential list is final.
    Open {
        /// The election fingerprint.
        fingerprint: Digest32,
        /// Number of credentials (the manifest's `deputies`).
        credentials: u64,
    },
    /// A cast ballot.
    Ballot(Ballot),
    /// An audited (spoiled) ballot with its opening; never counted.
    Audited(AuditedBallot),
    /// Voting closes.
    Close {
        /// Number of cast ballots on the log.
        ballots: u64,
    },
    /// The encrypted tally of the cast ballots.
    Tally(EncryptedTally),
    /// A teller's decryption share of the tally.
    DecryptionShare(DecryptionShare),
    /// The decrypted counts and the decision rule applied to them.
    Result {
        /// Per contest, per option.
        counts: Counts,
        /// The outcome.
        outcome: Outcome,
    },
    /// Staff published the result.
    Published,
}

impl Event {
    /// The event's kind, as in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Manifest(_) => "manifest",
            Event::Approval(_) => "approval",
            Event::Tellers { .. } => "tellers",
            Event::Announcement(_) => "announcement",
            Event::Commitment(_) => "commitment",
            Event::Reveal(_) => "reveal",
            Event::ShareCheck(_) => "share_check",
            Event::CeremonyOutput(_) => "ceremony_output",
            Event::CeremonyFailed { .. } => "ceremony_failed",
            Event::Credentials { .. } => "credentials",
            Event::Attendance(_) => "attendance",
            Event::Open { .. } => "open",
            Event::Ballot(_) => "ballot",
            Event::Audited(_) => "audited",
            Event::Close { .. } => "close",
            Event::Tally(_) => "tally",
            Event::DecryptionShare(_) => "decryption_share",
            Event::Result { .. } => "result",
            Event::Published => "published",
        }
    }
}
