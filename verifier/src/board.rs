//! Step V7 of `spec/verification.md`: the bulletin board's log and signed tree heads, the
//! record's agreement with the log, and the approval of the candidate list when the log has one.

use piaojue_crypto::board::merkle::{Hash, MerkleTree, leaf_hash};
use piaojue_crypto::board::{SignedTreeHead, check_approval, log_id};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::record::{
    BoardDerivation, BoardInfo, BoardLog, ElectionData, ElectionRecord, TallyResult, derive_record,
};
use rayon::prelude::*;

use crate::message::{Detail, ItemKind, Message, Quote, SetupPart, Side, Text};
use crate::progress::Progress;
use crate::record_io::parse_entry;
use crate::report::{Failures, Note, Report, steps};
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
        failures.push(Text::BoardForOtherElection {
            log: Quote::of(&info.election_id),
            manifest: Quote::of(manifest_id),
        });
    }
    if info.log_id != log_id(&info.election_id) {
        failures.push(log_id_failure(info));
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
                    failures.push(Message::board(err));
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
    let mut summary = vec![Message::from(Text::BoardSummary {
        entries: board.entries.len() as u64,
        heads: board.tree_heads.len(),
    })];
    if every_entry_parses {
        match derive_record(info, entries) {
            Ok(derived) => {
                summary.push(
                    Text::BoardBallots {
                        cast: derived.ballot_entries.len() as u64,
                        audited: derived.audited_entries.len() as u64,
                    }
                    .into(),
                );
                failures.extend(compare_with_log(record, &derived));
                summary.extend(approval_step(
                    &record.election.manifest,
                    &derived.approvals,
                    &mut failures,
                ));
            }
            Err(err) => failures.push(Message::board(err)),
        }
    }

    // V7.5 Tree heads, V7.6 the last covers the log.
    failures.extend(check_tree_heads_of(
        info,
        &tree,
        board.entries.len() as u64,
        &board.tree_heads,
    ));

    summary.push(witness_summary);
    report.push(steps::BOARD, Message::Joined(summary), failures);
    heads
}

/// V7.1: the log id is not the election's.
pub fn log_id_failure(info: &BoardInfo) -> Message {
    Text::LogIdNotElections {
        log_id: info.log_id.to_string(),
        election: Quote::of(&info.election_id),
    }
    .into()
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
            Text::BoardKeyNotGiven {
                key: k.to_base64(),
                given: p.to_base64(),
            },
        ),
        (Some(p), None) => report.fail(
            steps::BOARD,
            Text::NoBoardForGivenKey {
                given: p.to_base64(),
            },
        ),
    }
}

/// V7.7: the log's approval entries against the manifest; failures go to `failures`, and the
/// summary's part about the approval is returned.
pub fn approval_step(
    manifest: &piaojue_crypto::manifest::Manifest,
    approvals: &[(u64, piaojue_crypto::board::Approval)],
    failures: &mut impl Extend<Message>,
) -> Option<Message> {
    let approvals: Vec<_> = approvals.iter().map(|(i, a)| (*i, a)).collect();
    failures.extend(
        check_approval(manifest, &approvals)
            .into_iter()
            .map(|f| Message::Approval(Detail::of(f))),
    );
    approvals.first().map(|(_, a)| {
        Text::BoardApproval {
            body: a.body.zh.clone(),
            reference: a.reference.clone(),
            date: a.date.clone(),
        }
        .into()
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
) -> Vec<Message> {
    check_tree_heads_of(info, &merkle_tree(entries), entries.len() as u64, heads)
}

/// [`check_tree_heads`] with the log's Merkle tree already built (`n` entries).
fn check_tree_heads_of(
    info: &BoardInfo,
    tree: &MerkleTree,
    n: u64,
    heads: &[SignedTreeHead],
) -> Vec<Message> {
    let mut failures = check_head_signatures(info, heads);
    for (k, h) in heads.iter().enumerate() {
        let size = h.head.size;
        match tree.root_at(size) {
            None => failures.push(
                Text::HeadBeyondLog {
                    k,
                    size,
                    entries: n,
                }
                .into(),
            ),
            Some(root) if root != h.head.root.0 => failures.push(Text::HeadRoot { k, size }.into()),
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
) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    let size = h.head.size;
    if !h.verify(&info.board_key) {
        out.push(Text::HeadSignature { k, size }.into());
    }
    if h.head.log_id != info.log_id {
        out.push(Text::HeadOtherLog { k, size }.into());
    }
    match tree.root_at(size) {
        None => out.push(
            Text::HeadBeyondLog {
                k,
                size,
                entries: tree.len(),
            }
            .into(),
        ),
        Some(root) if root != h.head.root.0 => out.push(Text::HeadRoot { k, size }.into()),
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
/// (e.g. the record and the log). Also used by the diff (D1).
pub fn compare_election(
    r: &ElectionData,
    b: &ElectionData,
    (a_name, b_name): (Side, Side),
    out: &mut Vec<Message>,
) {
    if r.version != b.version {
        out.push(Message::VersionDiffers(
            a_name, b_name, r.version, b.version,
        ));
    }
    if r.manifest != b.manifest {
        out.push(Message::SetupDiffers(a_name, b_name, SetupPart::Manifest));
    }
    let (rc, bc) = (&r.ceremony, &b.ceremony);
    let rounds = [
        (
            SetupPart::Announcements,
            same_by(&rc.announcements, &bc.announcements, |m| m.index),
        ),
        (
            SetupPart::Commitments,
            same_by(&rc.commitments, &bc.commitments, |m| m.index),
        ),
        (
            SetupPart::Reveals,
            same_by(&rc.reveals, &bc.reveals, |m| m.index),
        ),
        (
            SetupPart::ShareChecks,
            same_by(&rc.checks, &bc.checks, |m| m.index),
        ),
    ];
    for (part, same) in rounds {
        if !same {
            out.push(Message::SetupDiffers(a_name, b_name, part));
        }
    }
    if r.ceremony_output != b.ceremony_output {
        out.push(Message::SetupDiffers(
            a_name,
            b_name,
            SetupPart::CeremonyOutput,
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
        out.push(Message::CredentialsDiffer {
            sides: (a_name, b_name),
            sizes: (r.credentials.len(), b.credentials.len()),
            only: (extra, missing),
        });
    }
    if r.fingerprint != b.fingerprint {
        out.push(Message::FingerprintsDiffer(
            a_name,
            b_name,
            r.fingerprint.to_string(),
            b.fingerprint.to_string(),
        ));
    }
}

fn compare_list<T: PartialEq>(
    what: ItemKind,
    record: &[T],
    log: &[T],
    positions: &[u64],
    out: &mut Vec<Message>,
) {
    for (i, (r, l)) in record.iter().zip(log).enumerate() {
        if r != l {
            out.push(Message::ItemNotLogs(what, i, positions[i]));
        }
    }
    if record.len() != log.len() {
        out.push(Message::ItemCount(what, record.len(), log.len()));
    }
}

fn compare_result(r: Option<&TallyResult>, b: Option<&TallyResult>, out: &mut Vec<Message>) {
    let (r, b) = match (r, b) {
        (None, None) => return,
        (Some(_), None) => {
            out.push(Text::ResultOnlyInRecord.into());
            return;
        }
        (None, Some(_)) => {
            out.push(Text::ResultOnlyOnLog.into());
            return;
        }
        (Some(r), Some(b)) => (r, b),
    };
    if r.counted != b.counted {
        out.push(
            Text::CountedNotLogs {
                counted: r.counted,
                credentials: b.counted,
            }
            .into(),
        );
    }
    if r.tally != b.tally {
        out.push(Text::TallyNotLogs.into());
    }
    if !same_by(&r.shares, &b.shares, |s| s.teller) {
        out.push(Text::SharesNotLogs.into());
    }
    if r.counts != b.counts {
        out.push(Text::CountsNotLogs.into());
    }
    if r.outcome != b.outcome {
        out.push(Text::OutcomeNotLogs.into());
    }
}

/// V7.4: the record's parts against those derived from the log; every difference named.
pub fn compare_with_log(record: &ElectionRecord, d: &BoardDerivation) -> Vec<Message> {
    let mut out = Vec::new();
    compare_election(
        &record.election,
        &d.record.election,
        (Side::Record, Side::Log),
        &mut out,
    );
    compare_list(
        ItemKind::Cast,
        &record.ballots,
        &d.record.ballots,
        &d.ballot_entries,
        &mut out,
    );
    compare_list(
        ItemKind::Audited,
        &record.audited,
        &d.record.audited,
        &d.audited_entries,
        &mut out,
    );
    compare_result(record.result.as_ref(), d.record.result.as_ref(), &mut out);
    out
}
