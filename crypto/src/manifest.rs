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
use crate::credential::CredentialKey;
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
/// Most witnesses an election may name.
pub const MAX_WITNESSES: usize = 16;
/// Longest key name (a board origin or a witness name), in bytes.
pub const MAX_KEY_NAME: usize = 255;
/// Longest witness URL, in bytes.
pub const MAX_WITNESS_URL: usize = 256;

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
    /// The board that keeps the election's log: the origin of its checkpoints and its key
    /// (`spec/protocol.md` §14).
    pub board: BoardParams,
    /// The witnesses that cosign the board's checkpoints, and how many must (`spec/protocol.md`
    /// §14).
    pub witnesses: Witnesses,
}

/// The board of an election: its log's origin and the key that signs its tree heads and
/// checkpoints. Part of the manifest, so of the fingerprint: a record re-signed under another
/// key is another election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// The log's origin (c2sp.org/tlog-checkpoint): `{board name}/{election id}`, a key name
    /// (no white space, no `+`, at most [`MAX_KEY_NAME`] bytes).
    pub origin: String,
    /// The board's ed25519 public key (a credential key: canonical, not of small order).
    pub key: CredentialKey,
}

/// The election's witnesses and the quorum of their cosignatures a head needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witnesses {
    /// How many of `list` must cosign a checkpoint (`k` of `m`); 0 only when `list` is empty.
    pub quorum: u32,
    /// The witnesses, at most [`MAX_WITNESSES`], names and keys distinct.
    pub list: Vec<Witness>,
}

/// One witness: its cosigner name and ed25519 key (c2sp.org/tlog-cosignature, cosignature/v1),
/// and where it takes checkpoints (c2sp.org/tlog-witness submission prefix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Witness {
    /// The cosigner name, a key name (e.g. `witness.renda.example/w1`).
    pub name: String,
    /// The witness's ed25519 public key (a credential key).
    pub key: CredentialKey,
    /// The submission prefix: `http://` or `https://`, printable ASCII, at most
    /// [`MAX_WITNESS_URL`] bytes.
    pub url: String,
}

impl Witnesses {
    /// The witness checks of [`Manifest::validate`] (`spec/verification.md` V1.2): at most
    /// [`MAX_WITNESSES`], a quorum of 1 to their number (0 only without witnesses), names that
    /// are distinct key names, keys distinct and not `board_key`, URLs `http://` or `https://`
    /// in printable ASCII of at most [`MAX_WITNESS_URL`] bytes.
    pub fn check(&self, board_key: &CredentialKey) -> Result<(), ManifestError> {
        let Witnesses { quorum, list } = self;
        let bad = |s: String| Err(ManifestError::Witnesses(s));
        if list.len() > MAX_WITNESSES {
            return bad(format!("at most {MAX_WITNESSES}, got {}", list.len()));
        }
        if *quorum as usize > list.len() || (*quorum == 0 && !list.is_empty()) {
            return bad(format!(
                "the quorum must be 1 to {} of the {} witnesses (0 only without witnesses), got {quorum}",
                list.len(),
                list.len()
            ));
        }
        let mut names = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for (i, x) in list.iter().enumerate() {
            if !is_key_name(&x.name) {
                return bad(format!(
                    "witness {}: the name is not a key name (at most {MAX_KEY_NAME} bytes, no white space, no '+')",
                    i + 1
                ));
            }
            if !names.insert(x.name.as_str()) {
                return bad(format!("witness {}: the name is repeated", i + 1));
            }
            if !keys.insert(*x.key.as_bytes()) || x.key == *board_key {
                return bad(format!(
                    "witness {}: the key is repeated or is the board's",
                    i + 1
                ));
            }
            let scheme = x.url.starts_with("https://") || x.url.starts_with("http://");
            if !scheme
                || x.url.len() > MAX_WITNESS_URL
                || !x.url.bytes().all(|b| b.is_ascii_graphic())
            {
                return bad(format!(
                    "witness {}: the URL must be http:// or https://, printable ASCII, at most {MAX_WITNESS_URL} bytes",
                    i + 1
                ));
            }
        }
        Ok(())
    }
}

impl Canonical for BoardParams {
    fn write_canonical(&self, w: &mut Writer) {
        w.str(&self.origin).fixed(self.key.as_bytes());
    }
}

impl Canonical for Witnesses {
    fn write_canonical(&self, w: &mut Writer) {
        w.u32(self.quorum);
        w.list(&self.list, |w, x| {
            w.str(&x.name).fixed(x.key.as_bytes()).str(&x.url);
        });
    }
}

/// Whether `name` is a key name of c2sp.org/signed-note: not empty, no Unicode white space
/// (the `White_Space` property), no `+`, and (Piaojue's bounds, as a note allows no control
/// characters) no control character (`Cc`) and at most [`MAX_KEY_NAME`] bytes.
pub fn is_key_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_KEY_NAME
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
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
        w.object(&self.board).object(&self.witnesses);
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
    /// The board's origin is not `{name}/{election id}` with a valid key name.
    #[error(
        "board: the origin must be a key name ending in \"/{election_id}\" (at most {MAX_KEY_NAME} bytes, no white space, no '+')"
    )]
    BoardOrigin {
        /// The election id.
        election_id: String,
    },
    /// The witnesses or their quorum are impossible.
    #[error("witnesses: {0}")]
    Witnesses(String),
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
        self.decision.validate(&self.contests)?;
        self.check_board()
    }

    /// The board and witness checks of [`Manifest::validate`] (`spec/verification.md` V1.2).
    fn check_board(&self) -> Result<(), ManifestError> {
        let origin = &self.board.origin;
        let suffix = format!("/{}", self.election_id);
        if !is_key_name(origin) || !origin.ends_with(&suffix) || origin.len() == suffix.len() {
            return Err(ManifestError::BoardOrigin {
                election_id: self.election_id.clone(),
            });
        }
        self.witnesses.check(&self.board.key)
    }

    /// Total number of options over all contests (the number of ciphertexts in a tally).
    pub fn option_count(&self) -> usize {
        self.contests.iter().map(|c| c.options.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::BoardKey;
    use crate::samples;

    fn key(seed: u8) -> CredentialKey {
        BoardKey::from_seed(&[seed; 32]).public()
    }

    fn witnessed(quorum: u32, count: u8) -> Manifest {
        let mut m = samples::up_to_k_of_n("e1", 3, 1, TellerParams { n: 3, t: 2 });
        m.witnesses = Witnesses {
            quorum,
            list: (1..=count)
                .map(|i| Witness {
                    name: format!("witness.example/w{i}"),
                    key: key(i),
                    url: format!("https://witness.example/w{i}"),
                })
                .collect(),
        };
        m
    }

    #[test]
    fn board_and_witnesses_are_checked() {
        witnessed(2, 3).validate().unwrap();
        witnessed(0, 0).validate().unwrap();
        witnessed(3, 3).validate().unwrap();
        for (q, n) in [(0, 1), (4, 3), (1, 0)] {
            let err = witnessed(q, n).validate().unwrap_err();
            assert!(
                matches!(err, ManifestError::Witnesses(_)),
                "{q} of {n}: {err}"
            );
        }
        let mut m = witnessed(2, 3);
        m.witnesses.list[1].name = m.witnesses.list[0].name.clone();
        assert!(matches!(m.validate(), Err(ManifestError::Witnesses(_))));
        let mut m = witnessed(2, 3);
        m.witnesses.list[1].key = m.witnesses.list[0].key;
        assert!(matches!(m.validate(), Err(ManifestError::Witnesses(_))));
        let mut m = witnessed(2, 3);
        m.witnesses.list[2].key = m.board.key;
        assert!(matches!(m.validate(), Err(ManifestError::Witnesses(_))));
        for url in [
            "ftp://w.example",
            "https://w.example/a b",
            "witness.example",
            "",
        ] {
            let mut m = witnessed(2, 3);
            m.witnesses.list[0].url = url.into();
            assert!(
                matches!(m.validate(), Err(ManifestError::Witnesses(_))),
                "{url}"
            );
        }
        for name in ["", "a b", "a+b", "a\u{3000}b", "a\u{85}b", "a\u{1}b"] {
            let mut m = witnessed(2, 3);
            m.witnesses.list[0].name = name.into();
            assert!(
                matches!(m.validate(), Err(ManifestError::Witnesses(_))),
                "{name:?}"
            );
        }
        let mut m = witnessed(1, 17);
        m.witnesses.quorum = 9;
        assert!(matches!(m.validate(), Err(ManifestError::Witnesses(_))));
        for origin in [
            "piaojue.example/board/e2",
            "e1",
            "/e1",
            "a b/e1",
            "piaojue.example/board/xe1",
        ] {
            let mut m = witnessed(2, 3);
            m.board.origin = origin.into();
            assert!(
                matches!(m.validate(), Err(ManifestError::BoardOrigin { .. })),
                "{origin}"
            );
        }
    }

    #[test]
    fn board_and_witnesses_are_in_the_manifest_hash() {
        let base = crate::fingerprint::manifest_hash(&witnessed(2, 3));
        let mut m = witnessed(2, 3);
        m.board.key = key(0x55);
        assert_ne!(crate::fingerprint::manifest_hash(&m), base);
        let mut m = witnessed(2, 3);
        m.board.origin = "other.example/e1".into();
        assert_ne!(crate::fingerprint::manifest_hash(&m), base);
        assert_ne!(crate::fingerprint::manifest_hash(&witnessed(3, 3)), base);
        let mut m = witnessed(2, 3);
        m.witnesses.list[2].url = "https://elsewhere.example".into();
        assert_ne!(crate::fingerprint::manifest_hash(&m), base);
        assert_eq!(crate::fingerprint::manifest_hash(&witnessed(2, 3)), base);
    }
}
