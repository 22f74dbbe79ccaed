//! V7.9 and V7.10 of `spec/verification.md`: the board is the one the manifest names, and the
//! manifest's witnesses cosigned its log between every milestone and the next.
//!
//! A witness cosigns a checkpoint (c2sp.org/tlog-checkpoint: the manifest's `board.origin`, a
//! size `m`, the Merkle root of the first `m` entries) only after it checked that the
//! checkpoint is consistent with every checkpoint of the log it cosigned before. With `k`
//! honest witnesses of the quorum, a board that showed two histories would have needed one of
//! them to cosign both: so a record whose milestones are cosigned by a quorum is the history
//! everyone was shown.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use piaojue_crypto::board::Checkpoint;
use piaojue_crypto::board::merkle::Hash;
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::{BoardInfo, RecordedCosignature};

use crate::message::{Message, Quote, Text, kind_zh};

/// The entry kinds after which V7.10 requires a cosigned checkpoint.
pub const MILESTONES: [&str; 5] = ["open", "close", "tally", "result", "published"];

/// The note text of the checkpoint of the first `size` entries, whose root is `root`.
pub fn checkpoint_text(manifest: &Manifest, size: u64, root: Hash) -> String {
    Checkpoint {
        origin: manifest.board.origin.clone(),
        size,
        root: Bytes(root),
        extensions: Vec::new(),
    }
    .text()
}

/// V7.9: the board's key is the manifest's (`board.key`).
pub fn check_board_key(manifest: &Manifest, info: &BoardInfo) -> Option<Message> {
    (info.board_key != manifest.board.key).then(|| {
        Text::BoardKeyNotManifests {
            key: info.board_key.to_base64(),
            manifest: manifest.board.key.to_base64(),
        }
        .into()
    })
}

/// V7.10: every cosignature verifies, and each milestone is followed by a checkpoint with the
/// quorum of cosignatures before the next one. `n` is the log's number of entries, `root_at(m)`
/// the Merkle root of its first `m` entries, `milestones` the `(index, kind)` of its milestone
/// entries in order. Answers the failures and the summary's words.
pub fn check_cosignatures(
    manifest: &Manifest,
    n: u64,
    root_at: impl Fn(u64) -> Option<Hash>,
    milestones: &[(u64, String)],
    cosignatures: &[RecordedCosignature],
) -> (Vec<Message>, Message) {
    let mut failures = Vec::new();
    let witnesses: HashMap<&str, _> = manifest
        .witnesses
        .list
        .iter()
        .map(|w| (w.name.as_str(), w))
        .collect();
    // Valid cosignatures: size → witnesses.
    let mut valid: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    let mut latest_time: HashMap<&str, (u64, u64)> = HashMap::new();
    let mut previous: Option<(u64, &str)> = None;
    for (k, c) in cosignatures.iter().enumerate() {
        let name = c.witness.as_str();
        if let Some(p) = previous
            && (c.size, name) <= p
        {
            failures.push(
                Text::CosignatureOutOfOrder {
                    j: k,
                    size: c.size,
                    witness: Quote::of(name),
                }
                .into(),
            );
        }
        previous = Some((c.size, name));
        let Some(witness) = witnesses.get(name) else {
            failures.push(
                Text::CosignatureUnknownWitness {
                    j: k,
                    size: c.size,
                    witness: Quote::of(name),
                }
                .into(),
            );
            continue;
        };
        if c.size == 0 || c.size > n {
            failures.push(
                Text::CosignatureBeyondLog {
                    j: k,
                    witness: Quote::of(name),
                    size: c.size,
                    n,
                }
                .into(),
            );
            continue;
        }
        let Some(root) = root_at(c.size) else {
            continue;
        };
        if c.timestamp > i64::MAX as u64
            || !c.verify(witness, &checkpoint_text(manifest, c.size, root))
        {
            failures.push(
                Text::CosignatureBad {
                    j: k,
                    witness: Quote::of(name),
                    size: c.size,
                }
                .into(),
            );
            continue;
        }
        // Compared with the latest-dated of the witness's valid cosignatures before it: in a
        // list in order, the latest of those of smaller sizes.
        let latest = latest_time.get(name).copied();
        if let Some((size, time)) = latest
            && size < c.size
            && c.timestamp < time
        {
            failures.push(
                Text::CosignatureTimeBack {
                    witness: Quote::of(name),
                    size: c.size,
                    time: c.timestamp,
                    before: size,
                    before_time: time,
                }
                .into(),
            );
        }
        if latest.is_none_or(|(_, time)| c.timestamp > time) {
            latest_time.insert(name, (c.size, c.timestamp));
        }
        valid.entry(c.size).or_default().insert(name);
    }

    let k = manifest.witnesses.quorum as usize;
    if k == 0 {
        return (failures, Text::NoWitnesses.into());
    }
    let mut covered = 0;
    for (q, (index, kind)) in milestones.iter().enumerate() {
        let upper = milestones.get(q + 1).map_or(n, |(next, _)| *next);
        let best = valid
            .range(index + 1..=upper)
            .map(|(s, w)| (w.len(), *s))
            .max();
        let (index, kind, kind_zh, quorum) = (*index, kind.clone(), kind_zh(kind), k);
        let failure = match (best, milestones.get(q + 1)) {
            (Some((count, _)), _) if count >= k => {
                covered += 1;
                continue;
            }
            (Some((most, at)), Some((next, next_kind))) => Text::MilestoneNotWitnessed {
                index,
                kind,
                kind_zh,
                next: *next,
                next_kind: next_kind.clone(),
                next_kind_zh: kind_zh_of(next_kind),
                quorum,
                most,
                at,
            },
            (None, Some((next, next_kind))) => Text::MilestoneNotWitnessedNone {
                index,
                kind,
                kind_zh,
                next: *next,
                next_kind: next_kind.clone(),
                next_kind_zh: kind_zh_of(next_kind),
                quorum,
            },
            (Some((most, at)), None) => Text::LastMilestoneNotWitnessed {
                index,
                kind,
                kind_zh,
                n,
                quorum,
                most,
                at,
            },
            (None, None) => Text::LastMilestoneNotWitnessedNone {
                index,
                kind,
                kind_zh,
                n,
                quorum,
            },
        };
        failures.push(failure.into());
    }
    let summary = Text::WitnessSummary {
        cosignatures: cosignatures.len(),
        covered,
        milestones: milestones.len(),
        quorum: k,
        witnesses: manifest.witnesses.list.len(),
    };
    (failures, summary.into())
}

/// What one witness answered when asked directly (`--witness URL`, `GET <URL>/<origin
/// hash>/checkpoint`, c2sp.org/tlog-witness): the note's bytes, or why it could not be had.
#[derive(Debug, Clone)]
pub struct WitnessView {
    /// The witness's URL as given.
    pub url: String,
    /// Its answer.
    pub answer: Result<Vec<u8>, String>,
}

/// The path a witness serves its latest cosigned checkpoint of `origin` at: `/` and the
/// lowercase hex SHA-256 of the origin, then `/checkpoint` (c2sp.org/tlog-witness).
pub fn checkpoint_path(origin: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "/{}/checkpoint",
        hex::encode(Sha256::digest(origin.as_bytes()))
    )
}

/// V7.11: each witness asked directly cosigned, as a witness of the manifest, a checkpoint of
/// the manifest's origin that is a prefix of the record's log (`spec/verification.md` V7.11):
/// its size at most the log's `n` entries, and its root the Merkle root of the first `size`
/// entries (`root_at`). Answers the failures and the summary's part.
pub fn check_witness_views(
    manifest: &Manifest,
    n: u64,
    root_at: impl Fn(u64) -> Option<Hash>,
    views: &[WitnessView],
) -> (Vec<Message>, Message) {
    let mut failures = Vec::new();
    let mut agree = 0;
    for view in views {
        let url = Quote::of(&view.url);
        let bytes = match &view.answer {
            Ok(b) => b,
            Err(e) => {
                failures.push(
                    Text::WitnessUnreachable {
                        url,
                        detail: crate::message::Detail::of(e.clone()),
                    }
                    .into(),
                );
                continue;
            }
        };
        let parsed = piaojue_crypto::board::Note::parse(bytes)
            .ok()
            .and_then(|note| Checkpoint::parse(note.text()).ok().map(|c| (note, c)))
            .filter(|(_, c)| c.origin == manifest.board.origin);
        let Some((note, checkpoint)) = parsed else {
            failures.push(Text::WitnessAnswerNotCheckpoint { url }.into());
            continue;
        };
        let signer = manifest.witnesses.list.iter().find(|w| {
            piaojue_crypto::record::cosigner_key(w)
                .is_some_and(|k| note.signatures().iter().any(|s| k.verify(note.text(), s)))
        });
        let Some(witness) = signer else {
            failures.push(Text::WitnessAnswerNoCosignature { url }.into());
            continue;
        };
        let (size, name) = (checkpoint.size, Quote::of(&witness.name));
        if size > n {
            failures.push(
                Text::WitnessSawMore {
                    witness: name,
                    url,
                    size,
                    n,
                }
                .into(),
            );
        } else if root_at(size) != Some(checkpoint.root.0) {
            failures.push(
                Text::WitnessSawOtherLog {
                    witness: name,
                    url,
                    size,
                }
                .into(),
            );
        } else {
            agree += 1;
        }
    }
    let summary = Text::WitnessesAsked {
        agree,
        asked: views.len(),
    };
    (failures, summary.into())
}

/// Whether a record fails only because the witnesses have not yet cosigned the log after some
/// milestones (V7.10's milestone failures, nothing else): what a moment's wait mends while the
/// witnesses are up, as the board submits every milestone's checkpoint to them in the
/// background, in order, also late.
pub fn awaiting_witnesses(report: &crate::report::Report) -> bool {
    let mut waiting = false;
    for step in &report.steps {
        if step.status != crate::report::Status::Failed {
            continue;
        }
        let only_last = step.more_failures == 0
            && step.messages.failures.iter().all(|m| {
                matches!(
                    m,
                    Message::Text(
                        Text::MilestoneNotWitnessed { .. }
                            | Text::MilestoneNotWitnessedNone { .. }
                            | Text::LastMilestoneNotWitnessed { .. }
                            | Text::LastMilestoneNotWitnessedNone { .. }
                    )
                )
            });
        if !only_last {
            return false;
        }
        waiting = true;
    }
    waiting
}

fn kind_zh_of(kind: &str) -> &'static str {
    kind_zh(kind)
}

#[cfg(test)]
mod tests {
    use piaojue_crypto::board::{MerkleTree, WitnessKey};
    use piaojue_crypto::manifest::{TellerParams, Witness, Witnesses};
    use piaojue_crypto::samples;

    use super::*;
    use crate::message::latin_words;
    use crate::report::Lang;

    /// The log's entries.
    const N: u64 = 12;
    /// The milestones: each needs a quorum at a size in `index + 1 ..= next` (`N` for the
    /// last): open 3..=6, close 7..=8, tally 9..=10, result 11, published 12.
    const MILESTONES_AT: [(u64, &str); 5] = [
        (2, "open"),
        (6, "close"),
        (8, "tally"),
        (10, "result"),
        (11, "published"),
    ];
    /// One size in the range of each milestone, as [`Fixture::complete`] cosigns them.
    const SIZES: [u64; 5] = [4, 7, 9, 11, 12];
    const W1: usize = 0;
    const W2: usize = 1;
    const W3: usize = 2;

    fn name(w: usize) -> String {
        format!("witness.example/w{}", w + 1)
    }

    fn milestones() -> Vec<(u64, String)> {
        MILESTONES_AT
            .iter()
            .map(|(i, k)| (*i, k.to_string()))
            .collect()
    }

    /// A manifest with three witnesses (quorum 2), their keys, and a Merkle tree of one entry
    /// more than the log: so that a cosignature of size `N + 1` verifies, and only the size
    /// rule refuses it.
    struct Fixture {
        manifest: Manifest,
        keys: Vec<WitnessKey>,
        tree: MerkleTree,
    }

    impl Fixture {
        fn new() -> Self {
            let keys: Vec<WitnessKey> = (0..3u8)
                .map(|i| WitnessKey::from_seed(&[0x70 + i; 32]))
                .collect();
            let mut manifest = samples::up_to_k_of_n("v710", 3, 1, TellerParams { n: 3, t: 2 });
            manifest.witnesses = Witnesses {
                quorum: 2,
                list: keys
                    .iter()
                    .enumerate()
                    .map(|(w, key)| Witness {
                        name: name(w),
                        key: key.public(),
                        url: format!("https://witness.example/w{}", w + 1),
                    })
                    .collect(),
            };
            manifest.validate().unwrap();
            let mut tree = MerkleTree::new();
            for i in 0..=N {
                tree.push(format!("entry {i}").as_bytes());
            }
            Fixture {
                manifest,
                keys,
                tree,
            }
        }

        /// Witness `w`'s cosignature of the first `size` entries at `time`, on `text`.
        fn cosign_text(&self, w: usize, size: u64, text: &str, time: u64) -> RecordedCosignature {
            let sig = self.keys[w].cosign(&name(w), text, time);
            RecordedCosignature::from_note_signature(size, &self.manifest.witnesses.list[w], &sig)
                .unwrap()
        }

        /// Witness `w`'s cosignature of the log's checkpoint of `size` entries at `time`.
        fn cosign_at(&self, w: usize, size: u64, time: u64) -> RecordedCosignature {
            let root = self.tree.root_at(size).unwrap();
            self.cosign_text(w, size, &checkpoint_text(&self.manifest, size, root), time)
        }

        /// The same, dated by its size.
        fn cosign(&self, w: usize, size: u64) -> RecordedCosignature {
            self.cosign_at(w, size, 1_700_000_000 + size)
        }

        /// Every size of [`SIZES`] cosigned by `witnesses`, in the record's order.
        fn by(&self, witnesses: &[usize]) -> Vec<RecordedCosignature> {
            SIZES
                .iter()
                .flat_map(|&s| witnesses.iter().map(move |&w| (s, w)))
                .map(|(s, w)| self.cosign(w, s))
                .collect()
        }

        /// Every milestone followed by the cosignatures of all three witnesses.
        fn complete(&self) -> Vec<RecordedCosignature> {
            self.by(&[W1, W2, W3])
        }

        fn check(&self, cosignatures: &[RecordedCosignature]) -> (Vec<Message>, Message) {
            check_cosignatures(
                &self.manifest,
                N,
                |m| self.tree.root_at(m),
                &milestones(),
                cosignatures,
            )
        }

        /// The failures of `cosignatures`, which must say `covered` milestones are.
        fn failures(&self, cosignatures: &[RecordedCosignature], covered: usize) -> Vec<Message> {
            let (failures, summary) = self.check(cosignatures);
            assert_eq!(
                summary,
                summary_of(cosignatures.len(), covered),
                "{failures:?}"
            );
            failures
        }

        /// Drops witness `w`'s cosignature of `size`, which must be there.
        fn without(
            &self,
            mut c: Vec<RecordedCosignature>,
            w: usize,
            size: u64,
        ) -> Vec<RecordedCosignature> {
            let before = c.len();
            c.retain(|c| (c.size, c.witness.as_str()) != (size, name(w).as_str()));
            assert_eq!(c.len(), before - 1);
            c
        }
    }

    fn summary_of(cosignatures: usize, covered: usize) -> Message {
        Text::WitnessSummary {
            cosignatures,
            covered,
            milestones: MILESTONES_AT.len(),
            quorum: 2,
            witnesses: 3,
        }
        .into()
    }

    /// The position of witness `w`'s cosignature of `size` in `c`.
    fn position(c: &[RecordedCosignature], w: usize, size: u64) -> usize {
        c.iter()
            .position(|c| c.size == size && c.witness == name(w))
            .unwrap()
    }

    fn not_witnessed(q: usize, most: usize, at: u64) -> Message {
        let ((index, kind), (next, next_kind)) = (MILESTONES_AT[q], MILESTONES_AT[q + 1]);
        Text::MilestoneNotWitnessed {
            index,
            kind: kind.into(),
            kind_zh: kind_zh(kind),
            next,
            next_kind: next_kind.into(),
            next_kind_zh: kind_zh(next_kind),
            quorum: 2,
            most,
            at,
        }
        .into()
    }

    fn bad(j: usize, w: usize, size: u64) -> Message {
        Text::CosignatureBad {
            j,
            witness: Quote::of(&name(w)),
            size,
        }
        .into()
    }

    fn last_not_witnessed(most: usize, at: u64) -> Message {
        Text::LastMilestoneNotWitnessed {
            index: 11,
            kind: "published".into(),
            kind_zh: kind_zh("published"),
            n: N,
            quorum: 2,
            most,
            at,
        }
        .into()
    }

    fn out_of_order(j: usize, w: usize, size: u64) -> Message {
        Text::CosignatureOutOfOrder {
            j,
            size,
            witness: Quote::of(&name(w)),
        }
        .into()
    }

    /// The English and Chinese texts of `m`; the Chinese has no English word.
    fn texts(m: &Message) -> (String, String) {
        let (en, zh) = (m.text(Lang::En), m.text(Lang::Zh));
        assert_eq!(latin_words(&zh, &[]), Vec::<String>::new(), "{zh}");
        assert_ne!(en, zh);
        (en, zh)
    }

    /// The Chinese text of the one failure of `failures`, a text that `is` and whose English
    /// text is `en`.
    fn the_one(failures: &[Message], is: impl Fn(&Text) -> bool, en: &str) -> String {
        let [Message::Text(t)] = failures else {
            panic!("{failures:?}");
        };
        assert!(is(t), "{t:?}");
        let (got, zh) = texts(&failures[0]);
        assert_eq!(got, en);
        zh
    }

    #[test]
    fn every_milestone_followed_by_a_quorum_passes() {
        let f = Fixture::new();
        let all = f.complete();
        assert_eq!(all.len(), 15);
        assert_eq!(f.failures(&all, 5), []);
        // Two of the three witnesses are a quorum, whichever two.
        for pair in [[W1, W2], [W1, W3], [W2, W3]] {
            assert_eq!(f.failures(&f.by(&pair), 5), [], "{pair:?}");
        }
        // A quorum at the ends of each range: just after the milestone, and at the next one.
        let ends: Vec<_> = [3, 6, 7, 8, 9, 10, 11, 12]
            .into_iter()
            .flat_map(|s| [f.cosign(W1, s), f.cosign(W3, s)])
            .collect();
        assert_eq!(f.failures(&ends, 5), []);
        // No cosignature at all: every milestone fails, the last one as the last.
        let (failures, summary) = f.check(&[]);
        assert_eq!(summary, summary_of(0, 0));
        let texts_en: Vec<String> = failures.iter().map(|m| texts(m).0).collect();
        let mut expected: Vec<String> = MILESTONES_AT
            .windows(2)
            .map(|w| {
                let ((index, kind), (next, next_kind)) = (w[0], w[1]);
                format!(
                    "no checkpoint between entry {index} ({kind}) and entry {next} ({next_kind}) \
                     has 2 valid cosignatures of the manifest's witnesses (none has any)"
                )
            })
            .collect();
        expected.push(
            "no checkpoint between entry 11 (published) and the end of the log (12 entries) has \
             2 valid cosignatures of the manifest's witnesses (none has any)"
                .into(),
        );
        assert_eq!(texts_en, expected);
        assert!(
            failures[..4]
                .iter()
                .all(|m| matches!(m, Message::Text(Text::MilestoneNotWitnessedNone { .. })))
        );
        assert!(matches!(
            failures[4],
            Message::Text(Text::LastMilestoneNotWitnessedNone { .. })
        ));
        let (en, zh) = texts(&summary_of(15, 5));
        assert_eq!(
            en,
            "; 15 cosignatures, 5 of 5 milestones cosigned by a quorum of 2 of 3 witnesses"
        );
        assert!(zh.contains("副签 15 个"), "{zh}");
    }

    #[test]
    fn a_changed_signature_byte_is_refused() {
        let f = Fixture::new();
        // One of three at size 4: the milestone keeps its quorum.
        let mut c = f.complete();
        let j = position(&c, W2, 4);
        c[j].signature.0[17] ^= 0x01;
        assert_eq!(f.failures(&c, 5), [bad(j, W2, 4)]);
        // One of two at size 7: "close" is left with one.
        let mut c = f.by(&[W1, W2]);
        let j = position(&c, W1, 7);
        c[j].signature.0[63] ^= 0x80;
        assert_eq!(f.failures(&c, 4), [bad(j, W1, 7), not_witnessed(1, 1, 7)]);
        // The timestamp is signed too; one above 2^63 - 1 is refused even if signed.
        let mut c = f.complete();
        let j = position(&c, W3, 9);
        c[j].timestamp += 1;
        assert_eq!(f.failures(&c, 5), [bad(j, W3, 9)]);
        let mut c = f.complete();
        let j = position(&c, W3, 12);
        c[j] = f.cosign_at(W3, 12, 1 << 63);
        assert_eq!(f.failures(&c, 5), [bad(j, W3, 12)]);
        let (en, zh) = texts(&bad(j, W3, 12));
        assert_eq!(
            en,
            "cosignature #14 (\"witness.example/w3\", size 12): the witness's signature does not \
             verify on the checkpoint of the first 12 entries"
        );
        assert!(zh.contains("\"witness.example/w3\""), "{zh}");
    }

    #[test]
    fn a_cosignature_of_another_checkpoint_is_refused() {
        let f = Fixture::new();
        let mut other = f.manifest.clone();
        other.board.origin = format!("{}-other", other.board.origin);
        let root = f.tree.root_at(7).unwrap();
        // Another origin, same size and root.
        let mut c = f.by(&[W1, W2]);
        let j = position(&c, W2, 7);
        c[j] = f.cosign_text(W2, 7, &checkpoint_text(&other, 7, root), 1_700_000_007);
        assert_eq!(f.failures(&c, 4), [bad(j, W2, 7), not_witnessed(1, 1, 7)]);
        // Another root (the checkpoint of another history), or the root of another size.
        let mut c = f.by(&[W1, W2]);
        let mut forked = MerkleTree::new();
        for i in 0..7 {
            forked.push(format!("entry {}", if i == 5 { 99 } else { i }).as_bytes());
        }
        let forked = checkpoint_text(&f.manifest, 7, forked.root());
        c[j] = f.cosign_text(W2, 7, &forked, 1_700_000_007);
        assert_eq!(f.failures(&c, 4), [bad(j, W2, 7), not_witnessed(1, 1, 7)]);
        let size_8 = checkpoint_text(&f.manifest, 8, f.tree.root_at(8).unwrap());
        c[j] = f.cosign_text(W2, 7, &size_8, 1_700_000_007);
        assert_eq!(f.failures(&c, 4), [bad(j, W2, 7), not_witnessed(1, 1, 7)]);
        // Another witness's signature under this one's name.
        let mut c = f.by(&[W1, W2]);
        c[j].signature = f.cosign(W3, 7).signature;
        assert_eq!(f.failures(&c, 4), [bad(j, W2, 7), not_witnessed(1, 1, 7)]);
    }

    #[test]
    fn a_milestone_short_of_the_quorum_fails() {
        let f = Fixture::new();
        // "tally" (entry 8): only W1 at 9 before "result" (entry 10).
        let c = f.without(f.by(&[W1, W2]), W2, 9);
        let failures = f.failures(&c, 4);
        assert_eq!(failures, [not_witnessed(2, 1, 9)]);
        let (en, zh) = texts(&failures[0]);
        assert_eq!(
            en,
            "no checkpoint between entry 8 (tally) and entry 10 (result) has 2 valid \
             cosignatures of the manifest's witnesses (the most: 1, at size 9)"
        );
        for part in [
            "第 8 条",
            "第 10 条",
            " 2 个有效副签",
            "最多 1 个",
            "规模 9",
        ] {
            assert!(zh.contains(part), "{part}: {zh}");
        }
        assert!(zh.contains(kind_zh("tally")) && zh.contains(kind_zh("result")));
        // A quorum at a later size of the range counts: W1 at 9, W1 and W3 at 10.
        let mut c = f.without(f.by(&[W1, W2]), W2, 9);
        let j = position(&c, W1, 11);
        c.insert(j, f.cosign(W3, 10));
        c.insert(j, f.cosign(W1, 10));
        assert_eq!(f.failures(&c, 5), []);
        // With a quorum of 3, the most is the largest number at one size: two at 9, though
        // the later size 10 has one.
        let mut m = f.manifest.clone();
        m.witnesses.quorum = 3;
        let mut c = f.without(f.complete(), W3, 9);
        c.insert(position(&c, W1, 11), f.cosign(W3, 10));
        let (failures, _) = check_cosignatures(&m, N, |s| f.tree.root_at(s), &milestones(), &c);
        the_one(
            &failures,
            |t| matches!(t, Text::MilestoneNotWitnessed { .. }),
            "no checkpoint between entry 8 (tally) and entry 10 (result) has 3 valid \
             cosignatures of the manifest's witnesses (the most: 2, at size 9)",
        );
        // A quorum at a milestone's own size is before it: it counts for the one before.
        let mut c = f.without(f.without(f.by(&[W1, W2]), W1, 9), W2, 9);
        let j = position(&c, W1, 11);
        c.insert(j, f.cosign(W2, 8));
        c.insert(j, f.cosign(W1, 8));
        let failures = f.failures(&c, 4);
        the_one(
            &failures,
            |t| matches!(t, Text::MilestoneNotWitnessedNone { .. }),
            "no checkpoint between entry 8 (tally) and entry 10 (result) has 2 valid \
             cosignatures of the manifest's witnesses (none has any)",
        );
        // A quorum after the next milestone does not count for this one.
        let c = f.without(f.without(f.complete(), W1, 7), W2, 7);
        assert_eq!(f.failures(&c, 4), [not_witnessed(1, 1, 7)]);
    }

    #[test]
    fn the_last_milestone_short_of_the_quorum_fails() {
        let f = Fixture::new();
        let c = f.without(f.without(f.complete(), W1, 12), W3, 12);
        let failures = f.failures(&c, 4);
        assert_eq!(failures, [last_not_witnessed(1, 12)]);
        let (en, zh) = texts(&failures[0]);
        assert_eq!(
            en,
            "no checkpoint between entry 11 (published) and the end of the log (12 entries) has \
             2 valid cosignatures of the manifest's witnesses (the most: 1, at size 12)"
        );
        for part in [
            "第 11 条",
            "共 12 条",
            " 2 个有效副签",
            "最多 1 个",
            "规模 12",
        ] {
            assert!(zh.contains(part), "{part}: {zh}");
        }
        let c = f.without(c, W2, 12);
        let failures = f.failures(&c, 4);
        let zh = the_one(
            &failures,
            |t| matches!(t, Text::LastMilestoneNotWitnessedNone { .. }),
            "no checkpoint between entry 11 (published) and the end of the log (12 entries) has \
             2 valid cosignatures of the manifest's witnesses (none has any)",
        );
        assert!(zh.contains("一个也没有"), "{zh}");
    }

    #[test]
    fn a_witness_not_in_the_manifest_does_not_count() {
        let f = Fixture::new();
        // A well-signed cosignature of "witness.example/w4", with its own key or with W2's.
        for key in [
            WitnessKey::from_seed(&[0x7f; 32]),
            WitnessKey::from_seed(&[0x71; 32]),
        ] {
            let stranger = Witness {
                name: "witness.example/w4".into(),
                key: key.public(),
                url: "https://witness.example/w4".into(),
            };
            let root = f.tree.root_at(9).unwrap();
            let sig = key.cosign(
                &stranger.name,
                &checkpoint_text(&f.manifest, 9, root),
                1_700_000_009,
            );
            let recorded = RecordedCosignature::from_note_signature(9, &stranger, &sig).unwrap();
            let mut c = f.without(f.by(&[W1, W2]), W2, 9);
            let j = position(&c, W1, 9) + 1;
            c.insert(j, recorded);
            let unknown: Message = Text::CosignatureUnknownWitness {
                j,
                size: 9,
                witness: Quote::of("witness.example/w4"),
            }
            .into();
            assert_eq!(f.failures(&c, 4), [unknown.clone(), not_witnessed(2, 1, 9)]);
            let (en, _) = texts(&unknown);
            assert_eq!(
                en,
                format!(
                    "cosignature #{j} (size 9): \"witness.example/w4\" is not a witness of the \
                     manifest"
                )
            );
        }
    }

    #[test]
    fn cosignatures_out_of_order_or_twice_fail() {
        let f = Fixture::new();
        // Two sizes swapped: the valid cosignatures still count, and the cosignatures of 7,
        // dated before those of 9 listed before them, are not dated back.
        let mut c = f.by(&[W1, W2]);
        c.swap(2, 4);
        c.swap(3, 5);
        assert_eq!((c[2].size, c[3].size, c[4].size, c[5].size), (9, 9, 7, 7));
        assert_eq!(f.failures(&c, 5), [out_of_order(4, W1, 7)]);
        // Two names at one size swapped.
        let mut c = f.by(&[W1, W2]);
        c.swap(2, 3);
        assert_eq!(f.failures(&c, 5), [out_of_order(3, W1, 7)]);
        // A pair twice, once right after the other and once later.
        let mut c = f.by(&[W1, W2]);
        c.insert(3, c[2].clone());
        assert_eq!(f.failures(&c, 5), [out_of_order(3, W1, 7)]);
        let mut c = f.by(&[W1, W2]);
        c.push(c[0].clone());
        assert_eq!(f.failures(&c, 5), [out_of_order(10, W1, 4)]);
        let (en, _) = texts(&out_of_order(10, W1, 4));
        assert_eq!(
            en,
            "cosignature #10 (size 4, \"witness.example/w1\") is not after the one before it (by \
             size, then witness name)"
        );
        // Names compare by bytes: "w10" comes before "w2".
        let mut m = f.manifest.clone();
        m.witnesses.list[2].name = "witness.example/w10".into();
        let key = &f.keys[W3];
        let w10 = |size: u64| {
            let text = checkpoint_text(&m, size, f.tree.root_at(size).unwrap());
            let sig = key.cosign("witness.example/w10", &text, 1_700_000_000 + size);
            RecordedCosignature::from_note_signature(size, &m.witnesses.list[2], &sig).unwrap()
        };
        let ordered: Vec<_> = SIZES
            .iter()
            .flat_map(|&s| [f.cosign(W1, s), w10(s), f.cosign(W2, s)])
            .collect();
        let check = |c: &[RecordedCosignature]| {
            check_cosignatures(&m, N, |s| f.tree.root_at(s), &milestones(), c).0
        };
        assert_eq!(check(&ordered), []);
        let mut c = ordered.clone();
        c.swap(1, 2);
        assert_eq!(
            check(&c),
            [Message::from(Text::CosignatureOutOfOrder {
                j: 2,
                size: 4,
                witness: Quote::of("witness.example/w10"),
            })]
        );
    }

    #[test]
    fn sizes_outside_the_log_fail_and_do_not_count() {
        let f = Fixture::new();
        let beyond = |j: usize, w: usize, size: u64| -> Message {
            Text::CosignatureBeyondLog {
                j,
                witness: Quote::of(&name(w)),
                size,
                n: N,
            }
            .into()
        };
        // Size 0 (the empty tree's checkpoint, well signed).
        let mut c = f.by(&[W1, W2]);
        c.insert(0, f.cosign(W3, 0));
        assert_eq!(f.failures(&c, 5), [beyond(0, W3, 0)]);
        // Size N + 1, well signed on a longer log: it does not make the quorum after the last
        // milestone.
        let mut c = f.without(f.by(&[W1, W2]), W2, N);
        c.push(f.cosign(W2, N + 1));
        c.push(f.cosign(W3, N + 1));
        let failures = f.failures(&c, 4);
        assert_eq!(
            failures[..2],
            [
                beyond(c.len() - 2, W2, N + 1),
                beyond(c.len() - 1, W3, N + 1)
            ]
        );
        assert_eq!(failures[2], last_not_witnessed(1, N));
        assert_eq!(failures.len(), 3);
        let (en, _) = texts(&failures[0]);
        assert_eq!(
            en,
            "cosignature #9 (\"witness.example/w2\") covers 13 entries, the log has 12"
        );
    }

    #[test]
    fn a_cosignature_dated_before_a_smaller_one_fails() {
        let f = Fixture::new();
        let time_back = |w: usize, size: u64, time: u64, before: u64, before_time: u64| {
            Message::from(Text::CosignatureTimeBack {
                witness: Quote::of(&name(w)),
                size,
                time,
                before,
                before_time,
            })
        };
        // W1's cosignature of 7 is dated before its cosignature of 4.
        let mut c = f.by(&[W1, W2]);
        let j = position(&c, W1, 7);
        c[j] = f.cosign_at(W1, 7, 1_699_999_999);
        let failures = f.failures(&c, 5);
        assert_eq!(
            failures,
            [time_back(W1, 7, 1_699_999_999, 4, 1_700_000_004)]
        );
        let (en, _) = texts(&failures[0]);
        assert_eq!(
            en,
            "witness \"witness.example/w1\": its cosignature of 7 entries is dated 1699999999, \
             before its cosignature of 4 entries (1700000004)"
        );
        // The same time is not before; another witness's times do not matter.
        let mut c = f.by(&[W1, W2]);
        c[j] = f.cosign_at(W1, 7, 1_700_000_004);
        let k = position(&c, W2, 4);
        c[k] = f.cosign_at(W2, 4, 1_700_000_005);
        assert_eq!(f.failures(&c, 5), []);
        // An invalid cosignature's time does not count.
        let mut c = f.complete();
        let k = position(&c, W1, 4);
        c[k] = f.cosign_at(W1, 4, 1_800_000_000);
        c[k].signature.0[0] ^= 1;
        assert_eq!(f.failures(&c, 5), [bad(k, W1, 4)]);
        // Each cosignature is compared with every smaller one: 9 is before 4 too, though
        // after 7.
        let mut c = f.by(&[W1, W2]);
        c[j] = f.cosign_at(W1, 7, 1_699_999_990);
        let k = position(&c, W1, 9);
        c[k] = f.cosign_at(W1, 9, 1_699_999_995);
        assert_eq!(
            f.failures(&c, 5),
            [
                time_back(W1, 7, 1_699_999_990, 4, 1_700_000_004),
                time_back(W1, 9, 1_699_999_995, 4, 1_700_000_004),
            ]
        );
    }

    #[test]
    fn one_witness_twice_is_not_a_quorum() {
        let f = Fixture::new();
        // W1 twice at 12 (at two times), W2 not at all.
        let mut c = f.without(f.by(&[W1, W2]), W2, N);
        c.push(f.cosign_at(W1, N, 1_700_000_100));
        let failures = f.failures(&c, 4);
        assert_eq!(
            failures,
            [out_of_order(c.len() - 1, W1, N), last_not_witnessed(1, N)]
        );
        // W1 at two sizes of one range: still one witness.
        let mut c = f.without(f.by(&[W1, W2]), W2, 4);
        let j = position(&c, W1, 4);
        c.insert(j + 1, f.cosign(W1, 5));
        assert_eq!(f.failures(&c, 4), [not_witnessed(0, 1, 5)]);
    }

    #[test]
    fn without_witnesses_there_is_nothing_to_confirm() {
        let f = Fixture::new();
        let mut m = f.manifest.clone();
        m.witnesses = Witnesses::default();
        m.validate().unwrap();
        let (failures, summary) =
            check_cosignatures(&m, N, |s| f.tree.root_at(s), &milestones(), &[]);
        assert_eq!(failures, []);
        assert_eq!(summary, Message::from(Text::NoWitnesses));
        let (en, _) = texts(&summary);
        assert_eq!(en, "; the manifest names no witnesses");
        // A cosignature is still of no witness of the manifest.
        let c = [f.cosign(W1, 4)];
        let (failures, summary) =
            check_cosignatures(&m, N, |s| f.tree.root_at(s), &milestones(), &c);
        assert_eq!(
            failures,
            [Message::from(Text::CosignatureUnknownWitness {
                j: 0,
                size: 4,
                witness: Quote::of(&name(W1)),
            })]
        );
        assert_eq!(summary, Message::from(Text::NoWitnesses));
    }
}
