//! Bulletin-board entries (`spec/record.md` §9.1).
//!
//! Every public event of an election is one entry of its log, in order: the manifest, the
//! approval of the candidate list (when the election was made from one), the tellers, every
//! key-ceremony message, its output, the credential list (in batches), the opening of the vote, every cast and audited ballot, the close, the encrypted tally, every
//! decryption share, the result and its publication. An entry is stored and hashed as the exact
//! UTF-8 bytes of its JSON (one line of `board.jsonl`); its Merkle leaf is
//! `SHA-256(0x00 ‖ bytes)`. Readers parse those bytes; nobody re-serialises them.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::approval::Approval;
use crate::ballot::{AuditedBallot, Ballot};
use crate::credential::CredentialKey;
use crate::decryption::DecryptionShare;
use crate::dkg::CeremonyOutput;
use crate::dkg::messages::{Announcement, Commitment, Reveal, ShareCheck};
use crate::encoding::{Bytes, Digest32};
use crate::json::{Adjacent, AdjacentlyTagged, Name, Tagged};
use crate::manifest::Manifest;
use crate::rules::Outcome;
use crate::tally::{Counts, EncryptedTally};

/// One entry of an election's log. Decoded by hand (`spec/record.md` §2.2, §9.1): an object of
/// exactly `index`, `time_ms`, `kind` (a string) and `data` (absent for `published`), each once,
/// in any order; `data` is decoded as the type `kind` names, strictly ([`crate::json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

    /// Parses an entry's bytes, strictly (`spec/record.md` §2.2).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        crate::json::from_slice(bytes)
    }
}

/// The keys of an entry.
const ENTRY_FIELDS: &[&str] = &["index", "time_ms", "kind", "data"];

/// The kinds of events, as in JSON ([`Event::kind`]).
pub const EVENT_KINDS: &[&str] = &[
    "manifest",
    "approval",
    "tellers",
    "announcement",
    "commitment",
    "reveal",
    "share_check",
    "ceremony_output",
    "ceremony_failed",
    "credentials",
    "attendance",
    "open",
    "ballot",
    "audited",
    "close",
    "tally",
    "decryption_share",
    "result",
    "published",
];

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct("Entry", ENTRY_FIELDS, EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a board entry: an object with index, time_ms, kind and data")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let (mut index, mut time_ms) = (None, None);
        let mut event = Adjacent::<Event>::default();
        let keys = Name {
            names: ENTRY_FIELDS,
            key: true,
        };
        while let Some(key) = map.next_key_seed(keys)? {
            if event.take(key, &mut map)? {
                continue;
            }
            let slot = if key == "index" {
                &mut index
            } else {
                &mut time_ms
            };
            if slot.is_some() {
                return Err(de::Error::duplicate_field(key));
            }
            *slot = Some(map.next_value::<u64>()?);
        }
        Ok(Entry {
            index: index.ok_or_else(|| de::Error::missing_field("index"))?,
            time_ms: time_ms.ok_or_else(|| de::Error::missing_field("time_ms"))?,
            event: event.finish()?,
        })
    }
}

impl AdjacentlyTagged for Event {
    const TAG: &'static str = "kind";
    const CONTENT: &'static str = "data";
    const TAGS: &'static [&'static str] = EVENT_KINDS;

    fn from_tagged<'de, D: Deserializer<'de>>(
        tagged: Tagged<'_, D, D::Error>,
    ) -> Result<Self, D::Error> {
        Event::deserialize(tagged)
    }
}

/// The events of an election, in the order the lifecycle allows them. Its derived `Deserialize`
/// is for [`Entry`]'s decoder only, which hands it the `kind` and then the `data`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::TellerParams;
    use crate::rules::{DecisionRule, MajorityBase, Quorum};
    use crate::samples;

    fn entries() -> Vec<Entry> {
        let mut manifest = samples::up_to_k_of_n("e", 3, 2, TellerParams { n: 1, t: 1 });
        manifest.decision = DecisionRule::TopK {
            seats: 2,
            majority: MajorityBase::Voting,
            quorum: Quorum::TWO_THIRDS,
        };
        [
            Event::Manifest(manifest),
            Event::Tellers {
                signing_keys: vec![Bytes([1; 32])],
            },
            Event::CeremonyFailed {
                reason: "r".into(),
                guilty: vec![1],
            },
            Event::Open {
                fingerprint: Bytes([2; 32]),
                credentials: 5,
            },
            Event::Close { ballots: 2 },
            Event::Published,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, event)| Entry {
            index: i as u64,
            time_ms: 1_700_000_000_000,
            event,
        })
        .collect()
    }

    #[test]
    fn entries_round_trip_and_key_order_does_not_matter() {
        for e in entries() {
            let bytes = e.to_bytes();
            assert_eq!(Entry::from_bytes(&bytes).unwrap(), e);
            let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            // `data` before `kind`, and the entry's own fields last.
            let map = v.as_object_mut().unwrap();
            let mut reordered = serde_json::Map::new();
            for k in ["data", "kind", "time_ms", "index"] {
                if let Some(x) = map.remove(k) {
                    reordered.insert(k.to_string(), x);
                }
            }
            let text = format!(
                "{{{}}}",
                ["data", "kind", "time_ms", "index"]
                    .iter()
                    .filter_map(|k| reordered.get(*k).map(|x| format!("\"{k}\":{x}")))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            assert_eq!(Entry::from_bytes(text.as_bytes()).unwrap(), e, "{text}");
        }
    }

    /// Issue 18: through `flatten`, serde buffered the entry and took an array for the data's
    /// struct, an integer for the kind (its position), and a one-key object for a unit value.
    #[test]
    fn arrays_integer_kinds_and_unit_objects_inside_an_entry_are_refused() {
        let refused = [
            r#"{"index":4,"time_ms":1,"kind":"close","data":[2]}"#,
            r#"{"index":4,"time_ms":1,"data":[2],"kind":"close"}"#,
            r#"{"index":4,"time_ms":1,"kind":13,"data":{"ballots":2}}"#,
            r#"{"index":4,"time_ms":1,"kind":{"close":null},"data":{"ballots":2}}"#,
            r#"{"index":4,"time_ms":1,"kind":"close","data":{"ballots":2},"x":0}"#,
            r#"{"index":4,"index":4,"time_ms":1,"kind":"close","data":{"ballots":2}}"#,
            r#"{"index":4,"time_ms":1,"kind":"close","kind":"close","data":{"ballots":2}}"#,
            r#"{"index":4,"time_ms":1,"kind":"close","data":{"ballots":2},"data":{"ballots":2}}"#,
            r#"{"index":4,"time_ms":1,"kind":"close"}"#,
            r#"{"index":4,"kind":"close","data":{"ballots":2}}"#,
            r#"{"index":4,"time_ms":1,"kind":"closed","data":{"ballots":2}}"#,
            r#"[4,1,"close",{"ballots":2}]"#,
        ];
        for text in refused {
            assert!(Entry::from_bytes(text.as_bytes()).is_err(), "{text}");
        }
        let manifest = entries().remove(0).to_bytes();
        let text = String::from_utf8(manifest).unwrap();
        for (from, to) in [
            (r#""kind":"top_k""#, r#""kind":1"#),
            (r#""majority":"voting""#, r#""majority":{"voting":null}"#),
            (r#""quorum":{"num":2,"den":3}"#, r#""quorum":[2,3]"#),
            (
                r#""revote":"first_final""#,
                r#""revote":{"first_final":null}"#,
            ),
            (r#""tellers":{"n":1,"t":1}"#, r#""tellers":[1,1]"#),
        ] {
            assert!(text.contains(from), "{from} in {text}");
            let bad = text.replace(from, to);
            let err = Entry::from_bytes(bad.as_bytes()).unwrap_err().to_string();
            assert!(!err.is_empty(), "{to}");
        }
        assert!(Entry::from_bytes(text.as_bytes()).is_ok());
    }

    #[test]
    fn published_has_no_data() {
        let e = Entry::from_bytes(br#"{"index":9,"time_ms":1,"kind":"published"}"#).unwrap();
        assert_eq!(e.event, Event::Published);
        // `"data": null` stays as serde's adjacently tagged code had it (a unit's content);
        // any other data is refused.
        let null = br#"{"index":9,"time_ms":1,"kind":"published","data":null}"#;
        assert_eq!(Entry::from_bytes(null).unwrap().event, Event::Published);
        for data in ["{}", "[]", "0", r#""x""#] {
            let text = format!(r#"{{"index":9,"time_ms":1,"kind":"published","data":{data}}}"#);
            assert!(Entry::from_bytes(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn every_kind_is_listed() {
        for e in entries() {
            assert!(EVENT_KINDS.contains(&e.event.kind()));
        }
        assert_eq!(EVENT_KINDS.len(), 19);
    }
}
