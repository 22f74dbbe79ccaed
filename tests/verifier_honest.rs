//! Honest records pass (issue 4): every ballot form and decision rule, the `last_counts`
//! revote rule, with and without a board log, in both record forms; and the spec's vector.

mod verifier_support;

use piaojue::simulate::random_selection;
use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::manifest::{Manifest, Revote};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::stream::verify_board_folder;
use piaojue_verifier::{Lang, NoProgress, Status, record_io, verify_record};
use verifier_support::*;

fn passes(record: &ElectionRecord) -> piaojue_verifier::Report {
    let report = verify_record(record);
    assert!(report.passed(), "\n{}", report.render(Lang::En));
    assert_eq!(report.steps.len(), 11);
    report
}

/// The record passes alone and with its board; its board gives back the record; both forms
/// on disk read back the same record.
fn check_honest(name: &str, record: &ElectionRecord) {
    let report = passes(record);
    assert_eq!(report.step("V7").unwrap().status, Status::Skipped);
    for id in ["V8", "V9", "V10", "V11"] {
        assert_eq!(report.step(id).unwrap().status, Status::Passed, "{id}");
    }

    let boarded = with_board(record);
    let report = passes(&boarded);
    assert_eq!(report.step("V7").unwrap().status, Status::Passed);

    let board = boarded.board.clone().unwrap();
    let derived = ElectionRecord::from_board(board.clone()).unwrap();
    assert_eq!(derived, boarded, "the board's record is the record");

    let dir = std::env::temp_dir().join(format!("piaojue-honest-{name}-{}", std::process::id()));
    record_io::write_record_folder(&dir, &boarded).unwrap();
    assert_eq!(record_io::read_record(&dir).unwrap(), boarded);
    let file = dir.with_extension("json");
    record_io::write_record_file(&file, &boarded).unwrap();
    assert_eq!(record_io::read_record(&file).unwrap(), boarded);
    // The board form: the log alone, streamed from its folder, and as one file through the
    // command line's reader; the same verdicts and summaries as the record in memory.
    let board_dir = dir.with_extension("board");
    record_io::write_board_folder(&board_dir, &board).unwrap();
    assert_eq!(
        record_io::record_form(&board_dir),
        record_io::RecordForm::BoardFolder
    );
    let streamed = verify_board_folder(&board_dir, &NoProgress).unwrap();
    assert!(streamed.passed(), "\n{}", streamed.render(Lang::En));
    for (a, b) in streamed.steps.iter().zip(&report.steps) {
        assert_eq!((a.step.id, a.status), (b.step.id, b.status));
        if a.step.id != "V7" {
            assert_eq!(a.summary, b.summary, "{}", a.step.id);
        }
    }
    assert_eq!(record_io::read_record(&board_dir).unwrap(), boarded);
    let board_file = dir.with_extension("board.json");
    std::fs::write(
        &board_file,
        serde_json::to_vec(&record_io::BoardRecordFile {
            board: board.clone(),
        })
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        record_io::read_board_file(&board_file).unwrap().as_ref(),
        Some(&board)
    );
    assert_eq!(record_io::read_record(&board_file).unwrap(), boarded);
    std::fs::remove_dir_all(&board_dir).unwrap();
    std::fs::remove_file(&board_file).unwrap();
    // Writing the record without its board removes the board's files.
    record_io::write_record_folder(&dir, record).unwrap();
    assert_eq!(&record_io::read_record(&dir).unwrap(), record);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn top_k_passes() {
    let (r, _) = simulate(samples::up_to_k_of_n("top-k", 5, 3, TELLERS), 14, 11);
    check_honest("top-k", &r);
}

#[test]
fn yes_no_abstain_passes() {
    let (r, _) = simulate(samples::yes_no_abstain("approve", 3, 2, TELLERS), 10, 12);
    check_honest("approve", &r);
}

#[test]
fn rating_passes() {
    let (r, _) = simulate(samples::rating("rating", 3, TELLERS), 10, 13);
    check_honest("rating", &r);
}

#[test]
fn last_counts_revotes_pass() {
    let mut m: Manifest = samples::up_to_k_of_n("revote", 4, 2, TELLERS);
    m.revote = Revote::LastCounts;
    let (mut r, secrets) = simulate(m, 10, 14);
    let ctx = r.election.context().unwrap();
    let mut g = rng(15);
    for i in [0, 3, 0] {
        let sel = random_selection(&r.election.manifest, &mut g);
        let (b, _) = Ballot::build(&ctx, &secrets.credentials[i], &sel, &mut g).unwrap();
        r.ballots.push(b);
    }
    retally(&mut r, &secrets, &[2, 3]);
    assert_eq!(r.result.as_ref().unwrap().counted, 8);
    let report = passes(&r);
    assert!(
        report
            .step("V5")
            .unwrap()
            .summary
            .contains("11 ballots, 11 verified, 8 counted, 3 replaced by a later ballot"),
        "{}",
        report.step("V5").unwrap().summary
    );
    check_honest("revote", &r);
}

#[test]
fn a_record_before_the_tally_passes() {
    let (mut r, _) = simulate(samples::up_to_k_of_n("open", 4, 2, TELLERS), 8, 16);
    r.result = None;
    let report = verify_record(&r);
    assert!(report.passed());
    for id in ["V8", "V9", "V10", "V11"] {
        assert_eq!(report.step(id).unwrap().status, Status::Skipped);
    }
    let boarded = with_board(&r);
    let report = verify_record(&boarded);
    assert!(report.passed(), "{}", report.render(Lang::En));
    assert_eq!(report.step("V7").unwrap().status, Status::Passed);
}

#[test]
fn the_spec_vector_record_passes() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/election-record.json");
    let record = record_io::read_record(&path).unwrap();
    let report = passes(&record);
    assert_eq!(report.step("V7").unwrap().status, Status::Skipped);
}
