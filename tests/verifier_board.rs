//! The board log's lifecycle (`spec/record.md` §9.1): `ElectionRecord::from_board` derives
//! the record from the entries alone and refuses any out-of-order or repeated event, naming
//! the entry.

mod verifier_support;

use std::sync::OnceLock;

use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::record::{BoardError, ElectionRecord};
use piaojue_crypto::samples;
use verifier_support::*;

/// The honest election's events, in board order.
fn events() -> &'static (ElectionRecord, Vec<Event>) {
    static E: OnceLock<(ElectionRecord, Vec<Event>)> = OnceLock::new();
    E.get_or_init(|| {
        let (r, _) = simulate(samples::up_to_k_of_n("life", 4, 2, TELLERS), 6, 31);
        let log = board_for(&r, board_key()).log();
        let ev = log
            .entries
            .iter()
            .map(|e| Entry::from_bytes(e.as_bytes()).unwrap().event)
            .collect();
        (r, ev)
    })
}

fn pos(kind: &str, k: usize) -> usize {
    events()
        .1
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind() == kind)
        .nth(k)
        .unwrap()
        .0
}

/// Posts the events on a fresh board and derives the record.
fn derive(events: Vec<Event>) -> Result<ElectionRecord, BoardError> {
    let mut w = BoardWriter::new(board_key(), "life");
    for e in events {
        w.post(e);
    }
    w.sign_head();
    let log = w.log();
    ElectionRecord::from_board(log)
}

fn with(f: impl FnOnce(&mut Vec<Event>)) -> Result<ElectionRecord, BoardError> {
    let mut ev = events().1.clone();
    f(&mut ev);
    derive(ev)
}

fn out_of_order(r: Result<ElectionRecord, BoardError>) -> (u64, &'static str, String) {
    match r {
        Err(BoardError::OutOfOrder {
            index,
            kind,
            reason,
        }) => (index, kind, reason),
        other => panic!("expected an out-of-order entry, got {other:?}"),
    }
}

#[test]
fn the_honest_log_gives_the_record() {
    let (r, ev) = events();
    let mut d = derive(ev.clone()).unwrap();
    d.board = None;
    assert_eq!(&d, r);
}

#[test]
fn a_log_during_the_vote_and_during_the_tally_has_no_result() {
    let (r, ev) = events();
    let d = derive(ev[..=pos("ballot", 2)].to_vec()).unwrap();
    assert_eq!(d.ballots, r.ballots[..3]);
    assert!(d.result.is_none());
    let d = derive(ev[..=pos("decryption_share", 0)].to_vec()).unwrap();
    assert_eq!(d.ballots, r.ballots);
    assert!(d.result.is_none());
}

#[test]
fn a_log_that_ends_before_open_is_incomplete() {
    let ev = &events().1;
    for (end, missing) in [
        (0, "the manifest"),
        (1, "the tellers"),
        (pos("ceremony_output", 0), "the ceremony's output"),
        (pos("open", 0), "open"),
    ] {
        assert_eq!(
            derive(ev[..end].to_vec()).unwrap_err(),
            BoardError::Incomplete {
                entries: end as u64,
                missing
            }
        );
    }
}

#[test]
fn the_manifest_comes_first_and_once() {
    let (i, kind, _) = out_of_order(with(|ev| ev.swap(0, 1)));
    assert_eq!((i, kind), (0, "tellers"));
    let m = events().1[0].clone();
    let err = with(|ev| ev.insert(2, m)).unwrap_err();
    assert!(
        matches!(
            err,
            BoardError::Repeated {
                index: 2,
                kind: "manifest",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_ceremony_round_starts_only_after_the_previous_one_is_complete() {
    let c = pos("commitment", 0);
    let (i, kind, reason) = out_of_order(with(|ev| ev.swap(c - 1, c)));
    assert_eq!((i, kind), (c as u64 - 1, "commitment"));
    assert!(
        reason.contains("the announcement round has 2 of 3 messages"),
        "{reason}"
    );
    // An announcement after the commitments began.
    let (i, kind, _) = out_of_order(with(|ev| {
        let a = ev.remove(c - 1);
        ev.insert(c, a);
    }));
    assert_eq!((i, kind), (c as u64 - 1, "commitment"));
    // ceremony_output before the share checks are complete.
    let o = pos("ceremony_output", 0);
    let (i, kind, _) = out_of_order(with(|ev| ev.swap(o - 1, o)));
    assert_eq!((i, kind), (o as u64 - 1, "ceremony_output"));
}

#[test]
fn a_repeated_ceremony_message_is_named() {
    let r = pos("reveal", 1);
    let dup = events().1[r].clone();
    let err = with(|ev| ev.insert(r + 1, dup)).unwrap_err();
    assert_eq!(
        err,
        BoardError::Repeated {
            index: r as u64 + 1,
            kind: "reveal",
            what: "teller 2".into()
        }
    );
}

#[test]
fn an_announcement_must_use_the_tellers_key() {
    let err = with(|ev| {
        if let Event::Tellers { signing_keys } = &mut ev[1] {
            signing_keys.swap(0, 1);
        }
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            BoardError::Inconsistent {
                index: 2,
                kind: "announcement",
                ..
            }
        ),
        "{err}"
    );
    let err = with(|ev| {
        if let Event::Tellers { signing_keys } = &mut ev[1] {
            signing_keys.pop();
        }
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            BoardError::Inconsistent {
                index: 1,
                kind: "tellers",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_failed_ceremony_ends_the_log() {
    let o = pos("ceremony_output", 0);
    let failed = Event::CeremonyFailed {
        reason: "teller 2 sent a bad share".into(),
        guilty: vec![2],
    };
    let err = derive({
        let mut ev = events().1[..o].to_vec();
        ev.push(failed.clone());
        ev
    })
    .unwrap_err();
    assert!(matches!(&err, BoardError::CeremonyFailed { guilty, .. } if *guilty == [2]));
    assert_eq!(
        err.to_string(),
        format!(
            "entry {o}: the key ceremony failed (teller 2 sent a bad share; guilty teller 2), so there is no election to record"
        )
    );
    let (i, kind, reason) = out_of_order(with(|ev| ev[o] = failed.clone()));
    assert_eq!((i, kind), (o as u64 + 1, "credentials"));
    assert!(reason.contains("nothing after ceremony_failed"));
    // Not after the ceremony's output (record.md §9.1).
    let (i, kind, reason) = out_of_order(with(|ev| ev.insert(o + 1, failed)));
    assert_eq!((i, kind), (o as u64 + 1, "ceremony_failed"));
    assert_eq!(reason, "only credentials or attendance after the ceremony");
    // No credentials batch before the ceremony's output.
    let (i, kind, reason) = out_of_order(with(|ev| {
        let c = ev.remove(pos("credentials", 0));
        ev.insert(o, c);
    }));
    assert_eq!((i, kind), (o as u64, "credentials"));
    assert_eq!(
        reason,
        "only the key ceremony's messages, ceremony_output or ceremony_failed"
    );
}

#[test]
fn published_has_no_data_or_null_data() {
    // record.md §9.1: `data` absent, or `null`, for `published`; anything else is refused.
    for ok in [
        r#"{"index":0,"time_ms":1,"kind":"published"}"#,
        r#"{"index":0,"time_ms":1,"kind":"published","data":null}"#,
    ] {
        let e = Entry::from_bytes(ok.as_bytes()).unwrap();
        assert_eq!(e.event, Event::Published, "{ok}");
    }
    for bad in [
        r#"{"index":0,"time_ms":1,"kind":"published","data":{}}"#,
        r#"{"index":0,"time_ms":1,"kind":"published","data":[]}"#,
        r#"{"index":0,"time_ms":1,"kind":"published","data":0}"#,
    ] {
        assert!(Entry::from_bytes(bad.as_bytes()).is_err(), "{bad}");
    }
    // The board writes it without `data`.
    let e = Entry {
        index: 0,
        time_ms: 1,
        event: Event::Published,
    };
    assert_eq!(
        String::from_utf8(e.to_bytes()).unwrap(),
        r#"{"index":0,"time_ms":1,"kind":"published"}"#
    );
}

#[test]
fn credentials_are_registered_once_and_counted_at_open() {
    let c = pos("credentials", 0);
    let err = with(|ev| {
        let again = ev[c].clone();
        ev.insert(c + 1, again);
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            BoardError::Repeated {
                kind: "credentials",
                ..
            }
        ),
        "{err}"
    );
    let open = pos("open", 0);
    let err = with(|ev| {
        if let Event::Open { credentials, .. } = &mut ev[open] {
            *credentials += 1;
        }
    })
    .unwrap_err();
    assert!(
        matches!(err, BoardError::Inconsistent { kind: "open", .. }),
        "{err}"
    );
}

#[test]
fn ballots_only_while_the_vote_is_open() {
    let open = pos("open", 0);
    let (i, kind, reason) = out_of_order(with(|ev| ev.swap(open, open + 1)));
    assert_eq!(i, open as u64);
    assert!(matches!(kind, "ballot" | "audited"));
    assert!(
        reason.contains("only open after the attendance"),
        "{reason}"
    );
}

#[test]
fn the_tally_shares_and_result_come_in_order() {
    let t = pos("tally", 0);
    let (i, kind, _) = out_of_order(with(|ev| ev.swap(t, t + 1)));
    assert_eq!((i, kind), (t as u64, "decryption_share"));
    let s = pos("decryption_share", 0);
    let dup = events().1[s].clone();
    let err = with(|ev| ev.insert(s + 1, dup)).unwrap_err();
    assert!(
        matches!(
            err,
            BoardError::Repeated {
                kind: "decryption_share",
                ..
            }
        ),
        "{err}"
    );
    let p = pos("published", 0);
    let err = with(|ev| ev.push(Event::Published)).unwrap_err();
    assert!(
        matches!(err, BoardError::Repeated { index, kind: "published", .. } if index == p as u64 + 1),
        "{err}"
    );
    // The result before the tally.
    let r = pos("result", 0);
    let (i, kind, _) = out_of_order(with(|ev| {
        let res = ev.remove(r);
        ev.insert(t, res);
    }));
    assert_eq!((i, kind), (t as u64, "result"));
}

#[test]
fn the_log_must_be_for_the_manifests_election() {
    let ev = events().1.clone();
    let mut w = BoardWriter::new(board_key(), "another");
    for e in ev {
        w.post(e);
    }
    let log = w.log();
    let err = ElectionRecord::from_board(log).unwrap_err();
    assert!(
        matches!(
            err,
            BoardError::Inconsistent {
                index: 0,
                kind: "manifest",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn text_en_and_revote_may_be_absent_but_not_null() {
    // record.md §3: `Text.en` and `Manifest.revote` have `#[serde(default)]`, not `Option`.
    use piaojue_crypto::manifest::{Manifest, Revote};
    let m = serde_json::to_value(&events().0.election.manifest).unwrap();
    let mut v = m.clone();
    v["title"].as_object_mut().unwrap().remove("en");
    v.as_object_mut().unwrap().remove("revote");
    let read: Manifest = serde_json::from_value(v).unwrap();
    assert_eq!(
        (read.title.en.as_str(), read.revote),
        ("", Revote::FirstFinal)
    );
    let mut v = m.clone();
    v["title"]["en"] = serde_json::Value::Null;
    assert!(serde_json::from_value::<Manifest>(v).is_err());
    let mut v = m;
    v["revote"] = serde_json::Value::Null;
    assert!(serde_json::from_value::<Manifest>(v).is_err());
}
