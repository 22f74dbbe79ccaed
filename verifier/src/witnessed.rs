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
    let mut last_time: HashMap<&str, (u64, u64)> = HashMap::new();
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
        if let Some(&(size, time)) = last_time.get(name)
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
        last_time.insert(name, (c.size, c.timestamp));
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

fn kind_zh_of(kind: &str) -> &'static str {
    kind_zh(kind)
}
