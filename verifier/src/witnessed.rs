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

use crate::report::quote;

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
pub fn check_board_key(manifest: &Manifest, info: &BoardInfo) -> Option<String> {
    (info.board_key != manifest.board.key).then(|| {
        format!(
            "the board's key {} is not the manifest's board key {}",
            info.board_key.to_base64(),
            manifest.board.key.to_base64()
        )
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
) -> (Vec<String>, String) {
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
            failures.push(format!(
                "cosignature #{k} (size {}, {}) is not after the one before it (by size, then witness name)",
                c.size,
                quote(name)
            ));
        }
        previous = Some((c.size, name));
        let Some(witness) = witnesses.get(name) else {
            failures.push(format!(
                "cosignature #{k} (size {}): {} is not a witness of the manifest",
                c.size,
                quote(name)
            ));
            continue;
        };
        if c.size == 0 || c.size > n {
            failures.push(format!(
                "cosignature #{k} ({}) covers {} entries, the log has {n}",
                quote(name),
                c.size
            ));
            continue;
        }
        let Some(root) = root_at(c.size) else {
            continue;
        };
        if c.timestamp > i64::MAX as u64
            || !c.verify(witness, &checkpoint_text(manifest, c.size, root))
        {
            failures.push(format!(
                "cosignature #{k} ({}, size {}): the witness's signature does not verify on the checkpoint of the first {} entries",
                quote(name),
                c.size,
                c.size
            ));
            continue;
        }
        if let Some(&(size, time)) = last_time.get(name)
            && c.timestamp < time
        {
            failures.push(format!(
                "witness {}: its cosignature of {} entries is dated {}, before its cosignature of {size} entries ({time})",
                quote(name),
                c.size,
                c.timestamp
            ));
        }
        last_time.insert(name, (c.size, c.timestamp));
        valid.entry(c.size).or_default().insert(name);
    }

    let k = manifest.witnesses.quorum as usize;
    if k == 0 {
        return (failures, "the manifest names no witnesses".into());
    }
    let mut covered = 0;
    for (q, (index, kind)) in milestones.iter().enumerate() {
        let (upper, until) = match milestones.get(q + 1) {
            Some((next, next_kind)) => (*next, format!("entry {next} ({next_kind})")),
            None => (n, format!("the end of the log ({n} entries)")),
        };
        let best = valid
            .range(index + 1..=upper)
            .map(|(s, w)| (w.len(), *s))
            .max();
        match best {
            Some((count, _)) if count >= k => covered += 1,
            best => failures.push(format!(
                "no checkpoint between entry {index} ({kind}) and {until} has {k} valid cosignatures of the manifest's witnesses{}",
                match best {
                    Some((count, size)) => format!(" (the most: {count}, at size {size})"),
                    None => " (none has any)".into(),
                }
            )),
        }
    }
    let summary = format!(
        "{} cosignatures, {covered} of {} milestones cosigned by a quorum of {k} of {} witnesses",
        cosignatures.len(),
        milestones.len(),
        manifest.witnesses.list.len()
    );
    (failures, summary)
}
