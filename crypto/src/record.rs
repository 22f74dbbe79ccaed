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
//! The single-file form is one JSON object [`ElectionRecord`] with the keys `election`,
//! `ballots`, `audited` and `result`. Values the verifier can recompute (the ceremony output,
//! the fingerprint, the tally, the counts, the outcome) are still written out, so that a reader
//! without a verifier can see them, and the verifier checks each against its own computation.

use serde::{Deserialize, Serialize};

use crate::ballot::{AuditedBallot, Ballot, ElectionContext};
use crate::credential::CredentialList;
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
}
