//! The election manifest: what is voted on, by which ballot form, counted by which rule
//! (`spec/protocol.md` §6.1, `spec/record.md` §3).
//!
//! Every ballot form in use for livelihood-project votes is a list of contests, each a list of
//! options with a selection range `[min, max]`:
//!
//! * "up to K of N" — one contest with the N candidate projects as options, range `[0, K]`;
//! * "yes / no / abstain on each" — one contest per project with the options
//!   `yes`, `no`, `abstain` and range `[1, 1]`;
//! * satisfaction rating — one contest per project with the options `satisfied`,
//!   `basically_satisfied`, `not_satisfied`, `abstain` and range `[1, 1]`.
//!
//! The [`DecisionRule`] says how counts become a result.

use serde::{Deserialize, Serialize};

use crate::canonical::{Canonical, Writer};
use crate::proofs::range::MAX_BRANCHES;
pub use crate::rules::{DecisionRule, MajorityBase, Quorum};

/// The largest number of contests in one election.
pub const MAX_CONTESTS: usize = 256;
/// The largest number of options in one contest.
pub const MAX_OPTIONS: usize = 256;
/// The largest number of tellers.
pub const MAX_TELLERS: u32 = 32;
/// Most deputies a congress may have (the National People's Congress has fewer than 3,000;
/// the registrar's page issues at most 100,000 credentials at once).
pub const MAX_DEPUTIES: u32 = 100_000;

/// A text in Chinese (first) and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Simplified Chinese.
    pub zh: String,
    /// English.
    #[serde(default)]
    pub en: String,
}

impl Text {
    /// A bilingual text.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl Canonical for Text {
    fn write_canonical(&self, w: &mut Writer) {
        w.str(&self.zh).str(&self.en);
    }
}

/// The details of a candidate project shown on the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Responsible department (责任单位).
    pub department: Text,
    /// Total investment in yuan (总投资).
    pub investment_yuan: u64,
    /// Planned completion, `YYYY-MM` (完成时限).
    pub completion: String,
    /// Description (项目内容).
    pub description: Text,
}

impl Canonical for Project {
    fn write_canonical(&self, w: &mut Writer) {
        w.object(&self.department)
            .u64(self.investment_yuan)
            .str(&self.completion)
            .object(&self.description);
    }
}

/// One option of a contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotOption {
    /// Identifier, unique within the contest.
    pub id: String,
    /// What the voter sees.
    pub title: Text,
    /// The candidate project, when the option is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<Project>,
}

impl Canonical for BallotOption {
    fn write_canonical(&self, w: &mut Writer) {
        w.str(&self.id).object(&self.title);
        w.option(self.project.as_ref(), |w, p| {
            w.object(p);
        });
    }
}

/// One contest: a list of options of which between `min` and `max` are selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    /// Identifier, unique within the election.
    pub id: String,
    /// What the voter sees.
    pub title: Text,
    /// Fewest options a valid ballot selects.
    pub min: u32,
    /// Most options a valid ballot selects.
    pub max: u32,
    /// The options, in ballot order.
    pub options: Vec<BallotOption>,
}

impl Canonical for Contest {
    fn write_canonical(&self, w: &mut Writer) {
        w.str(&self.id)
            .object(&self.title)
            .u32(self.min)
            .u32(self.max);
        w.list(&self.options, |w, o| {
            w.object(o);
        });
    }
}

/// The tellers: `n` of them, any `t` of whom can decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TellerParams {
    /// Number of tellers.
    pub n: u32,
    /// Threshold.
    pub t: u32,
}

/// The election manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Protocol version, [`crate::PROTOCOL_VERSION`].
    pub version: u32,
    /// Election identifier: 1–64 characters of `a-z`, `0-9`, `-`, `_`.
    pub election_id: String,
    /// Title of the vote.
    pub title: Text,
    /// The congress that votes (e.g. 某县第十八届人民代表大会第五次会议).
    pub congress: Text,
    /// The number of deputies of the congress, fixed by law (应到人数, `spec/protocol.md` §6.1):
    /// the base of the quorum and of an all-deputies majority, and the most credentials the
    /// election may have.
    pub deputies: u32,
    /// The tellers.
    pub tellers: TellerParams,
    /// The contests, in ballot order.
    pub contests: Vec<Contest>,
    /// How counts become a result.
    pub decision: DecisionRule,
    /// What happens when a credential casts a second ballot.
    #[serde(default)]
    pub revote: Revote,
}

/// The rule for a second ballot from the same credential (an election setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revote {
    /// The first ballot is final; later ones are refused (the default, as with paper).
    #[default]
    FirstFinal,
    /// A later ballot replaces the earlier one; only the last is counted.
    LastCounts,
}

impl Canonical for Manifest {
    fn write_canonical(&self, w: &mut Writer) {
        w.u32(self.version)
            .str(&self.election_id)
            .object(&self.title)
            .object(&self.congress)
            .u32(self.deputies)
            .u32(self.tellers.n)
            .u32(self.tellers.t);
        w.list(&self.contests, |w, c| {
            w.object(c);
        });
        w.object(&self.decision);
        w.u8(match self.revote {
            Revote::FirstFinal => 0,
            Revote::LastCounts => 1,
        });
    }
}

/// Why a manifest is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Unsupported version.
    #[error("unsupported manifest version {0}")]
    Version(u32),
    /// An identifier is malformed or repeated.
    #[error("bad identifier {0:?}: must be 1–64 characters of a-z, 0-9, '-', '_' and unique")]
    Identifier(String),
    /// No contests, or too many.
    #[error("an election needs 1 to {MAX_CONTESTS} contests, this one has {0}")]
    ContestCount(usize),
    /// A contest's options or range are impossible.
    #[error("contest {contest}: {reason}")]
    Contest {
        /// Contest id.
        contest: String,
        /// What is wrong.
        reason: String,
    },
    /// The number of deputies is impossible.
    #[error("deputies: need 1 to {MAX_DEPUTIES}, got {0}")]
    Deputies(u32),
    /// Teller parameters are impossible.
    #[error("tellers: need 1 ≤ t ≤ n ≤ {MAX_TELLERS}, got n = {n}, t = {t}")]
    Tellers {
        /// n
        n: u32,
        /// t
        t: u32,
    },
    /// The decision rule does not fit the contests.
    #[error("decision rule: {0}")]
    Rule(String),
}

/// Whether `id` may be an identifier of the manifest (election, contest, option): 1 to 64 of
/// `a-z 0-9 - _`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_id(id: &str) -> Result<(), ManifestError> {
    is_valid_id(id)
        .then_some(())
        .ok_or_else(|| ManifestError::Identifier(id.to_string()))
}

impl Manifest {
    /// Checks that the manifest describes a possible election (`spec/verification.md` V1.2).
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.version != crate::PROTOCOL_VERSION {
            return Err(ManifestError::Version(self.version));
        }
        check_id(&self.election_id)?;
        if self.deputies == 0 || self.deputies > MAX_DEPUTIES {
            return Err(ManifestError::Deputies(self.deputies));
        }
        let TellerParams { n, t } = self.tellers;
        if t == 0 || t > n || n > MAX_TELLERS {
            return Err(ManifestError::Tellers { n, t });
        }
        if self.contests.is_empty() || self.contests.len() > MAX_CONTESTS {
            return Err(ManifestError::ContestCount(self.contests.len()));
        }
        let mut ids = std::collections::HashSet::new();
        for c in &self.contests {
            check_id(&c.id)?;
            if !ids.insert(c.id.as_str()) {
                return Err(ManifestError::Identifier(c.id.clone()));
            }
            let bad = |reason: String| ManifestError::Contest {
                contest: c.id.clone(),
                reason,
            };
            if c.options.is_empty() || c.options.len() > MAX_OPTIONS {
                return Err(bad(format!(
                    "needs 1 to {MAX_OPTIONS} options, has {}",
                    c.options.len()
                )));
            }
            if c.min > c.max || c.max as usize > c.options.len() {
                return Err(bad(format!(
                    "range [{}, {}] impossible with {} options",
                    c.min,
                    c.max,
                    c.options.len()
                )));
            }
            if u64::from(c.max - c.min) >= MAX_BRANCHES {
                return Err(bad("range too wide".into()));
            }
            let mut opt_ids = std::collections::HashSet::new();
            for o in &c.options {
                check_id(&o.id)?;
                if !opt_ids.insert(o.id.as_str()) {
                    return Err(ManifestError::Identifier(o.id.clone()));
                }
            }
        }
        self.decision.validate(&self.contests)
    }

    /// Total number of options over all contests (the number of ciphertexts in a tally).
    pub fn option_count(&self) -> usize {
        self.contests.iter().map(|c| c.options.len()).sum()
    }
}
