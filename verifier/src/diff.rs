//! Comparing an older and a newer copy of an election's record (`spec/verification.md` §7.5,
//! steps D1–D5): nothing was removed or changed, only appended.

use piaojue_crypto::record::ElectionRecord;

use crate::board::{check_head, compare_election, merkle_tree, same_by};
use crate::report::{Report, ReportKind, diff_steps};

/// Whether `old` is a prefix of `new`; one message per changed or missing item.
fn prefix<T: PartialEq>(what: &str, old: &[T], new: &[T], out: &mut Vec<String>) {
    for (i, o) in old.iter().enumerate() {
        match new.get(i) {
            Some(n) if n == o => {}
            Some(_) => out.push(format!("{what} #{i} was changed")),
            None => {
                out.push(format!(
                    "{what}s #{i} to #{} were removed: the old record has {}, the new {}",
                    old.len() - 1,
                    old.len(),
                    new.len()
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
        ("old record", "new record"),
        &mut failures,
    );
    report.push(
        diff_steps::ELECTION,
        format!("election {}", old.election.manifest.election_id),
        failures,
    );

    // D2
    let mut failures = Vec::new();
    prefix("cast ballot", &old.ballots, &new.ballots, &mut failures);
    prefix("audited ballot", &old.audited, &new.audited, &mut failures);
    report.push(
        diff_steps::BALLOTS,
        format!(
            "cast ballots {} → {}, audited {} → {}",
            old.ballots.len(),
            new.ballots.len(),
            old.audited.len(),
            new.audited.len()
        ),
        failures,
    );

    // D3
    match (&old.result, &new.result) {
        (None, _) => report.push(
            diff_steps::RESULT,
            "the old record has no result",
            Vec::new(),
        ),
        (Some(_), None) => report.push(
            diff_steps::RESULT,
            "the old record has a result",
            vec!["the new record has no result: it was removed".into()],
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
                vec!["the result was changed".into()]
            };
            report.push(diff_steps::RESULT, "both records have a result", failures);
        }
    }

    // D4, D5
    match (&old.board, &new.board) {
        (None, _) => {
            report.skip(diff_steps::ENTRIES, "the old record has no board log");
            report.skip(diff_steps::HEADS, "the old record has no board log");
        }
        (Some(_), None) => {
            report.push(
                diff_steps::ENTRIES,
                "the old record has a board log",
                vec!["the new record has no board log: it was removed".into()],
            );
            report.skip(diff_steps::HEADS, "the new record has no board log");
        }
        (Some(o), Some(n)) => {
            let mut failures = Vec::new();
            if o.info != n.info {
                failures.push(
                    "the board's identity (election id, log id or board key) was changed".into(),
                );
            }
            for (i, e) in o.entries.iter().enumerate() {
                match n.entries.get(i) {
                    Some(ne) if ne == e => {}
                    Some(_) => failures.push(format!("board entry {i} was changed")),
                    None => {
                        failures.push(format!(
                            "board entries {i} to {} were removed: the old log has {}, the new {}",
                            o.entries.len() - 1,
                            o.entries.len(),
                            n.entries.len()
                        ));
                        break;
                    }
                }
            }
            report.push(
                diff_steps::ENTRIES,
                format!("entries {} → {}", o.entries.len(), n.entries.len()),
                failures,
            );
            // Old heads against the new log, under the old board key.
            let tree = merkle_tree(&n.entries);
            let failures: Vec<String> = o
                .tree_heads
                .iter()
                .enumerate()
                .flat_map(|(k, h)| check_head(&o.info, &tree, k, h))
                .map(|f| format!("old {f}"))
                .collect();
            report.push(
                diff_steps::HEADS,
                format!(
                    "{} old tree heads against the new log of {} entries",
                    o.tree_heads.len(),
                    n.entries.len()
                ),
                failures,
            );
        }
    }
    report
}
