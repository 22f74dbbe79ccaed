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
