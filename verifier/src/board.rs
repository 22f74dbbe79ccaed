//! Step V7 of `spec/verification.md`: the bulletin board's log and signed tree heads, the
//! record's agreement with the log, and the approval of the candidate list when the log has one.

use piaojue_crypto::board::merkle::{Hash, MerkleTree, leaf_hash};
use piaojue_crypto::board::{SignedTreeHead, check_approval, log_id};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::record::{
    BoardDerivation, BoardInfo, BoardLog, ElectionData, ElectionRecord, TallyResult, derive_record,
};
use rayon::prelude::*;

use crate::progress::Progress;
use crate::record_io::parse_entry;
use crate::report::{Failures, Note, Report, quote, steps};
use crate::share_heads::ShareHeads;
use crate::stream::{CHUNK, check_head_sequence, check_head_signatures};

/// V7: the board part of a record (V7.1–V7.7). Records the step in the report. Answers where
/// the log's tally and decryption shares are, with the roots V9.7 needs, when every entry
/// parsed.
pub fn verify_board(
    record: &ElectionRecord,
    board: &BoardLog,
    progress: &dyn Progress,
    report: &mut Report,
) -> Option<ShareHeads> {
    let info = &board.info;
    let mut failures = Failures::new();

    // V7.1 Identity.
    let manifest_id = &record.election.manifest.election_id;
    if &info.election_id != manifest_id {
        failures.push(format!(
            "the board's log is for election {}, the manifest for {}",
            quote(&info.election_id),
            quote(manifest_id)
        ));
    }
    if info.log_id != log_id(&info.election_id) {
        failures.push(format!(
            "the board's log id {} is not the log id of election {}",
            info.log_id,
            quote(&info.election_id)
        ));
    }

    // V7.2 Every entry parses and is at its index.
    // A chunk at a time: once an entry does not parse, no entry is kept (V7.3 needs them all),
    // so that a log of bad entries costs no memory per entry beyond its bytes.
    progress.begin("board entries", board.entries.len() as u64);
    let mut entries = Vec::with_capacity(board.entries.len());
    let mut every_entry_parses = true;
    for (c, chunk) in board.entries.chunks(CHUNK).enumerate() {
        let parsed: Vec<_> = chunk
            .par_iter()
            .enumerate()
            .map(|(i, bytes)| {
                let e = parse_entry((c * CHUNK + i) as u64, bytes);
                progress.advance(1);
                e
            })
            .collect();
        for p in parsed {
            match p {
                Ok(e) if every_entry_parses => entries.push(e),
                Ok(_) => {}
                Err(err) => {
                    every_entry_parses = false;
                    entries = Vec::new();
                    failures.push(err.to_string());
                }
            }
        }
    }
    progress.end();

    let tree = merkle_tree(&board.entries);
    let heads = every_entry_parses.then(|| ShareHeads::of_log(&entries, |m| tree.root_at(m)));

    // V7.9 The manifest's board, V7.10 witnessed (milestones from the parsed entries).
    let manifest = &record.election.manifest;
    failures.extend(crate::witnessed::check_board_key(manifest, info));
    let milestones: Vec<(u64, String)> = entries
        .iter()
        .filter(|e| crate::witnessed::MILESTONES.contains(&e.event.kind()))
        .map(|e| (e.index, e.event.kind().to_string()))
        .collect();
    let (witnessed, witness_summary) = crate::witnessed::check_cosignatures(
        manifest,
        board.entries.len() as u64,
        |m| tree.root_at(m),
        &milestones,
        &board.cosignatures,
    );
    failures.extend(witnessed);

    // V7.3 Lifecycle, V7.4 the record is the log's, V7.7 the approval of the candidates.
    let mut on_log = String::new();
    if every_entry_parses {
        match derive_record(info, entries) {
            Ok(derived) => {
                on_log = format!(
                    ", {} cast and {} audited ballots on the log",
                    derived.ballot_entries.len(),
                    derived.audited_entries.len()
                );
                failures.extend(compare_with_log(record, &derived));
                on_log.push_str(&approval_step(
                    &record.election.manifest,
                    &derived.approvals,
                    &mut failures,
                ));
            }
            Err(err) => failures.push(err.to_string()),
        }
    }

    // V7.5 Tree heads, V7.6 the last covers the log.
    failures.extend(check_tree_heads_of(
        info,
        &tree,
        board.entries.len() as u64,
        &board.tree_heads,
    ));

    report.push(
        steps::BOARD,
        format!(
            "{} entries, {} signed tree heads{on_log}; {witness_summary}",
            board.entries.len(),
            board.tree_heads.len()
        ),
        failures,
    );
    heads
}

/// V7.8 The board key, when it is pinned (`--board-key`, `verification.md` §7.3): the
/// record's board key (`board.json`'s `board_key`; `None` when the record has no board part)
/// must be the key given, else V7 fails. Without a pinned key the report says so in a note
/// ([`Note::BoardKeyNotPinned`]): V7.5 then shows only that the heads were signed with the key
/// the record itself names.
pub fn pin_board_key(
    report: &mut Report,
    record_key: Option<&CredentialKey>,
    pinned: Option<&CredentialKey>,
) {
    match (pinned, record_key) {
        (None, _) => report.notes.push(Note::BoardKeyNotPinned),
        (Some(p), Some(k)) if p == k => report.notes.push(Note::BoardKeyPinned),
        (Some(p), Some(k)) => report.fail(
            steps::BOARD,
            format!(
                "the board's key {} is not the key given with --board-key, {}",
                k.to_base64(),
                p.to_base64()
            ),
        ),
        (Some(p), None) => report.fail(
            steps::BOARD,
            format!(
                "the record has no board log, so it is not the log of the board whose key was given with --board-key, {}",
                p.to_base64()
            ),
        ),
    }
}

/// V7.7: the log's approval entries against the manifest; failures go to `failures`, and the
/// summary's words about the approval are returned.
pub fn approval_step(
    manifest: &piaojue_crypto::manifest::Manifest,
    approvals: &[(u64, piaojue_crypto::board::Approval)],
    failures: &mut impl Extend<String>,
) -> String {
    let approvals: Vec<_> = approvals.iter().map(|(i, a)| (*i, a)).collect();
    failures.extend(check_approval(manifest, &approvals));
    approvals.first().map_or(String::new(), |(_, a)| {
        format!(
            ", the candidates approved by {} ({}, {})",
            a.body.zh, a.reference, a.date
        )
    })
}

/// The Merkle tree of a log's entries (leaf hashes computed in parallel).
pub fn merkle_tree(entries: &[String]) -> MerkleTree {
    let leaves: Vec<Hash> = entries
        .par_iter()
        .map(|e| leaf_hash(e.as_bytes()))
        .collect();
    MerkleTree::from_leaves(leaves)
}

/// V7.5–V7.6: every signed tree head of the log, in order: signatures and log ids
/// ([`check_head_signatures`]), roots, and the sequence ([`check_head_sequence`]).
pub fn check_tree_heads(
    info: &BoardInfo,
    entries: &[String],
    heads: &[SignedTreeHead],
) -> Vec<String> {
    check_tree_heads_of(info, &merkle_tree(entries), entries.len() as u64, heads)
}

/// [`check_tree_heads`] with the log's Merkle tree already built (`n` entries).
fn check_tree_heads_of(
    info: &BoardInfo,
    tree: &MerkleTree,
    n: u64,
    heads: &[SignedTreeHead],
) -> Vec<String> {
    let mut failures = check_head_signatures(info, heads);
    for (k, h) in heads.iter().enumerate() {
        let size = h.head.size;
        match tree.root_at(size) {
            None => failures.push(format!("tree head #{k} covers {size} entries, the log has {n}")),
            Some(root) if root != h.head.root.0 => failures.push(format!(
                "tree head #{k} (size {size}): its root is not the Merkle root of the first {size} entries"
            )),
            Some(_) => {}
        }
    }
    failures.extend(check_head_sequence(heads, n));
    failures
}

/// One tree head against the log: signature, log id, size, root. Also used by the diff.
pub fn check_head(
    info: &BoardInfo,
    tree: &MerkleTree,
    k: usize,
    h: &SignedTreeHead,
) -> Vec<String> {
    let mut out = Vec::new();
    let size = h.head.size;
    if !h.verify(&info.board_key) {
        out.push(format!(
            "tree head #{k} (size {size}): the board's signature does not verify"
        ));
    }
    if h.head.log_id != info.log_id {
        out.push(format!("tree head #{k} (size {size}) is for another log"));
    }
    match tree.root_at(size) {
        None => out.push(format!(
            "tree head #{k} covers {size} entries, the log has {}",
            tree.len()
        )),
        Some(root) if root != h.head.root.0 => out.push(format!(
            "tree head #{k} (size {size}): its root is not the Merkle root of the first {size} entries"
        )),
        Some(_) => {}
    }
    out
}

/// Whether two lists hold the same items, in any order of `key`.
pub fn same_by<T: PartialEq + Clone>(a: &[T], b: &[T], key: impl Fn(&T) -> u32) -> bool {
    let sorted = |v: &[T]| {
        let mut v = v.to_vec();
        v.sort_by_key(|x| key(x));
        v
    };
    a.len() == b.len() && sorted(a) == sorted(b)
}

/// The differences between two records' set-ups, `a` and `b` naming them in the messages
/// (e.g. "record" and "log"). Also used by the diff (D1).
pub fn compare_election(
    r: &ElectionData,
    b: &ElectionData,
    (a_name, b_name): (&str, &str),
    out: &mut Vec<String>,
) {
    if r.version != b.version {
        out.push(format!(
            "the {a_name}'s record version is {}, the {b_name}'s {}",
            r.version, b.version
        ));
    }
    if r.manifest != b.manifest {
        out.push(format!("the {a_name}'s manifest is not the {b_name}'s"));
    }
    let (rc, bc) = (&r.ceremony, &b.ceremony);
    let rounds = [
        (
            "announcements",
            same_by(&rc.announcements, &bc.announcements, |m| m.index),
        ),
        (
            "commitments",
            same_by(&rc.commitments, &bc.commitments, |m| m.index),
        ),
        ("reveals", same_by(&rc.reveals, &bc.reveals, |m| m.index)),
        ("share checks", same_by(&rc.checks, &bc.checks, |m| m.index)),
    ];
    for (name, same) in rounds {
        if !same {
            out.push(format!(
                "the {a_name}'s key-ceremony {name} are not the {b_name}'s"
            ));
        }
    }
    if r.ceremony_output != b.ceremony_output {
        out.push(format!(
            "the {a_name}'s ceremony output (joint key, verification keys) is not the {b_name}'s"
        ));
    }
    if r.credentials != b.credentials {
        let missing = b
            .credentials
            .iter()
            .filter(|k| !r.credentials.contains(k))
            .count();
        let extra = r
            .credentials
            .iter()
            .filter(|k| !b.credentials.contains(k))
            .count();
        out.push(format!(
            "the {a_name}'s credential list ({} keys) is not the {b_name}'s ({} keys): {extra} only in the {a_name}, {missing} only in the {b_name}",
            r.credentials.len(),
            b.credentials.len()
        ));
    }
    if r.fingerprint != b.fingerprint {
        out.push(format!(
            "the {a_name}'s fingerprint {} is not the {b_name}'s {}",
            r.fingerprint, b.fingerprint
        ));
    }
}

fn compare_list<T: PartialEq>(
    what: &str,
    record: &[T],
    log: &[T],
    positions: &[u64],
    out: &mut Vec<String>,
) {
    for (i, (r, l)) in record.iter().zip(log).enumerate() {
        if r != l {
            out.push(format!(
                "{what} #{i} is not the log's (entry {})",
                positions[i]
            ));
        }
    }
    if record.len() != log.len() {
        out.push(format!(
            "the record has {} {what}s, the log {}",
            record.len(),
            log.len()
        ));
    }
}

fn compare_result(r: Option<&TallyResult>, b: Option<&TallyResult>, out: &mut Vec<String>) {
    let (r, b) = match (r, b) {
        (None, None) => return,
        (Some(_), None) => {
            out.push("the record has a result, the log has no result entry".into());
            return;
        }
        (None, Some(_)) => {
            out.push("the log has a result, the record has none".into());
            return;
        }
        (Some(r), Some(b)) => (r, b),
    };
    if r.counted != b.counted {
        out.push(format!(
            "the record counts {} ballots, the log's ballots are from {} credentials",
            r.counted, b.counted
        ));
    }
    if r.tally != b.tally {
        out.push("the record's encrypted tally is not the log's tally entry".into());
    }
    if !same_by(&r.shares, &b.shares, |s| s.teller) {
        out.push(
            "the record's decryption shares are not the log's decryption_share entries".into(),
        );
    }
    if r.counts != b.counts {
        out.push("the record's counts are not the log's result entry's".into());
    }
    if r.outcome != b.outcome {
        out.push("the record's outcome is not the log's result entry's".into());
    }
}

/// V7.4: the record's parts against those derived from the log; every difference named.
pub fn compare_with_log(record: &ElectionRecord, d: &BoardDerivation) -> Vec<String> {
    let mut out = Vec::new();
    compare_election(
        &record.election,
        &d.record.election,
        ("record", "log"),
        &mut out,
    );
    compare_list(
        "cast ballot",
        &record.ballots,
        &d.record.ballots,
        &d.ballot_entries,
        &mut out,
    );
    compare_list(
        "audited ballot",
        &record.audited,
        &d.record.audited,
        &d.audited_entries,
        &mut out,
    );
    compare_result(record.result.as_ref(), d.record.result.as_ref(), &mut out);
    out
}
