//! Comparing an older and a newer copy of an election's record (`spec/verification.md` §7.5,
//! steps D1–D5): nothing was removed or changed, only appended.

use piaojue_crypto::record::ElectionRecord;

use crate::board::{check_head, compare_election, merkle_tree, same_by};
use crate::message::{ItemKind, Message, Side, Text};
use crate::report::{Report, ReportKind, diff_steps};

/// Whether `old` is a prefix of `new`; one message per changed or missing item.
fn prefix<T: PartialEq>(what: ItemKind, old: &[T], new: &[T], out: &mut Vec<Message>) {
    for (i, o) in old.iter().enumerate() {
        match new.get(i) {
            Some(n) if n == o => {}
            Some(_) => out.push(Message::ItemChanged(what, i)),
            None => {
                out.push(Message::ItemsRemoved(
                    what,
                    i,
                    old.len() - 1,
                    old.len(),
                    new.len(),
                ));
                break;
            }
        }
    }
}

/// Compares two copies of a record, older first (D1–D5).
pub fn diff_records(old: &ElectionRecord, new: &ElectionRecord) -> Report {
    let mut report = Report {
        kind: ReportKind::Diff,
        election_id: Some(old.election.manifest.election_id.clone()),
        ..Report::default()
    };

    // D1
    let mut failures = Vec::new();
    compare_election(
        &old.election,
        &new.election,
        (Side::OldRecord, Side::NewRecord),
        &mut failures,
    );
    report.push(
        diff_steps::ELECTION,
        Text::DiffElection {
            id: old.election.manifest.election_id.clone(),
        },
        failures,
    );

    // D2
    let mut failures = Vec::new();
    prefix(ItemKind::Cast, &old.ballots, &new.ballots, &mut failures);
    prefix(ItemKind::Audited, &old.audited, &new.audited, &mut failures);
    report.push(
        diff_steps::BALLOTS,
        Text::DiffBallots {
            old_cast: old.ballots.len(),
            new_cast: new.ballots.len(),
            old_audited: old.audited.len(),
            new_audited: new.audited.len(),
        },
        failures,
    );

    // D3
    match (&old.result, &new.result) {
        (None, _) => report.push(diff_steps::RESULT, Text::OldHasNoResult, Vec::new()),
        (Some(_), None) => report.push(
            diff_steps::RESULT,
            Text::OldHasResult,
            vec![Text::ResultRemoved.into()],
        ),
        (Some(o), Some(n)) => {
            let same = o.counted == n.counted
                && o.tally == n.tally
                && same_by(&o.shares, &n.shares, |s| s.teller)
                && o.counts == n.counts
                && o.outcome == n.outcome;
            let failures = if same {
                Vec::new()
            } else {
                vec![Text::ResultChanged.into()]
            };
            report.push(diff_steps::RESULT, Text::BothHaveResults, failures);
        }
    }

    // D4, D5
    match (&old.board, &new.board) {
        (None, _) => {
            report.skip(diff_steps::ENTRIES, Text::OldHasNoBoard);
            report.skip(diff_steps::HEADS, Text::OldHasNoBoard);
        }
        (Some(_), None) => {
            report.push(
                diff_steps::ENTRIES,
                Text::OldHasBoard,
                vec![Text::BoardRemoved.into()],
            );
            report.skip(diff_steps::HEADS, Text::NewHasNoBoard);
        }
        (Some(o), Some(n)) => {
            let mut failures: Vec<Message> = Vec::new();
            if o.info != n.info {
                failures.push(Text::BoardIdentityChanged.into());
            }
            for (i, e) in o.entries.iter().enumerate() {
                match n.entries.get(i) {
                    Some(ne) if ne == e => {}
                    Some(_) => failures.push(Text::EntryChanged { i }.into()),
                    None => {
                        failures.push(
                            Text::EntriesRemoved {
                                i,
                                last: o.entries.len() - 1,
                                old: o.entries.len(),
                                new: n.entries.len(),
                            }
                            .into(),
                        );
                        break;
                    }
                }
            }
            report.push(
                diff_steps::ENTRIES,
                Text::DiffEntries {
                    old: o.entries.len(),
                    new: n.entries.len(),
                },
                failures,
            );
            // Old heads against the new log, under the old board key.
            let tree = merkle_tree(&n.entries);
            let failures: Vec<Message> = o
                .tree_heads
                .iter()
                .enumerate()
                .flat_map(|(k, h)| check_head(&o.info, &tree, k, h))
                .map(|f| Message::OldHead(Box::new(f)))
                .collect();
            report.push(
                diff_steps::HEADS,
                Text::DiffHeads {
                    heads: o.tree_heads.len(),
                    entries: n.entries.len(),
                },
                failures,
            );
        }
    }
    report
}
