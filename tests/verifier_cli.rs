//! The verifier's command line (`piaojue verify …`, `spec/verification.md` §7): records, a
//! record downloaded from a (test) server on loopback, receipts, diffs; exit status and output.

mod verifier_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use piaojue_crypto::board::{BoardKey, Receipt};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::message::{KeyOrigin, latin_words};
use piaojue_verifier::receipt::{LogSource, check_receipt};
use piaojue_verifier::record_io;
use verifier_support::*;

struct Fixture {
    record: ElectionRecord,
    writer: BoardWriter,
    dir: PathBuf,
}

/// An election with its board, written as a folder, and the board's writer for receipts.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (plain, _) = simulate(samples::up_to_k_of_n("cli", 4, 2, TELLERS), 9, 21);
        let writer = board_for(&plain, board_key());
        let mut record = plain;
        record.board = Some(writer.log());
        let dir = tmp("record");
        record_io::write_record_folder(&dir, &record).unwrap();
        Fixture {
            record,
            writer,
            dir,
        }
    })
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piaojue-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn piaojue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .arg("verify")
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_failed(o: &Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "failed")
        .map(|s| s["step"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// The receipt of the `k`-th cast ballot, under the head signed right after it.
fn receipt(k: usize) -> Receipt {
    let f = fixture();
    let log = f.record.board.as_ref().unwrap();
    let index = entry_position(log, "ballot", k) as u64;
    f.writer.receipt(index, index + 1)
}

fn write_receipt(name: &str, r: &Receipt) -> PathBuf {
    let p = tmp("receipts").join(format!("{name}.json"));
    std::fs::write(&p, serde_json::to_vec_pretty(r).unwrap()).unwrap();
    p
}

#[test]
fn a_record_folder_verifies_in_both_languages_and_as_json() {
    let dir = &fixture().dir;
    let o = piaojue(&[s(dir)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("[通过] V7 公告板"));
    assert!(stdout(&o).contains("结论：全部验证通过。"));
    assert!(o.stderr.is_empty(), "no progress bar without a terminal");
    let o = piaojue(&["--lang", "en", "record", s(dir)]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Verdict: every check passed."));
    let o = piaojue(&["record", s(dir), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(json_failed(&o).is_empty());
}

#[test]
fn a_board_form_record_streams_from_its_folder_and_reads_as_one_file() {
    let f = fixture();
    let board = f.record.board.as_ref().unwrap();
    let dir = tmp("board-form");
    record_io::write_board_folder(&dir, board).unwrap();
    let o = piaojue(&["--lang", "en", "record", s(&dir), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(json_failed(&o).is_empty());
    let file = tmp("board-form-file").join("record.json");
    let json = serde_json::to_vec(&record_io::BoardRecordFile {
        board: board.clone(),
    })
    .unwrap();
    std::fs::write(&file, json).unwrap();
    let o = piaojue(&["record", s(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A line of board.jsonl changed: V7 names the head whose root no longer matches, and V9
    // the tellers' shares, which name the head they verified (V9.7).
    let mut tampered = board.clone();
    let k = entry_position(&tampered, "ballot", 1);
    tampered.entries[k] = tampered.entries[k].replacen("\"time_ms\":", "\"time_ms\":1", 1);
    record_io::write_board_folder(&dir, &tampered).unwrap();
    let o = piaojue(&["record", s(&dir), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(json_failed(&o), ["V7", "V9"]);
}

#[test]
fn a_tampered_record_exits_with_1_and_names_the_step() {
    let mut r = fixture().record.clone();
    r.board.as_mut().unwrap().tree_heads[2].signature.0[9] ^= 1;
    let file = tmp("tampered").join("record.json");
    record_io::write_record_file(&file, &r).unwrap();
    let o = piaojue(&["record", s(&file), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json_failed(&o), ["V7"]);
}

#[test]
fn an_unreadable_record_exits_with_1_and_bad_usage_with_2() {
    let o = piaojue(&["record", "/nonexistent/record"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("无法验证"));
    assert_eq!(piaojue(&[]).status.code(), Some(2));
    assert_eq!(piaojue(&["--lang", "fr", "x"]).status.code(), Some(2));
    assert_eq!(piaojue(&["receipt", "r.json"]).status.code(), Some(2));
}

/// `--board-key` pins the board's key (V7.8): the record's key passes, another key fails V7,
/// and without it the report notes that the key was not pinned.
#[test]
fn a_pinned_board_key_must_be_the_records() {
    let f = fixture();
    let key = f.writer.info.board_key.to_base64();
    let other = BoardKey::from_seed(&[1; 32]).public().to_base64();
    let note = "Note: the board key was not pinned (--board-key)";
    let o = piaojue(&["--lang", "en", "record", s(&f.dir)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).lines().nth(1).unwrap().starts_with(note),
        "{}",
        stdout(&o)
    );
    let o = piaojue(&["record", s(&f.dir)]);
    assert!(stdout(&o).contains("注意：未指定公告板公钥（--board-key）"));
    let o = piaojue(&["--lang", "en", "record", s(&f.dir), "--board-key", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!stdout(&o).contains(note));
    assert!(stdout(&o).contains("The board key was pinned with --board-key and checked."));
    let o = piaojue(&["record", s(&f.dir), "--board-key", &other, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(json_failed(&o), ["V7"]);
    assert!(stdout(&o).contains(&format!(
        "the board's key {key} is not the key given with --board-key, {other}"
    )));
    // The streamed board form, and a record without a board part.
    let dir = tmp("pinned-board-form");
    record_io::write_board_folder(&dir, f.record.board.as_ref().unwrap()).unwrap();
    let o = piaojue(&["record", s(&dir), "--board-key", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = piaojue(&["record", s(&dir), "--board-key", &other, "--json"]);
    assert_eq!(json_failed(&o), ["V7"]);
    let mut plain = f.record.clone();
    plain.board = None;
    let dir = tmp("pinned-no-board");
    record_io::write_record_folder(&dir, &plain).unwrap();
    let o = piaojue(&["record", s(&dir), "--board-key", &key, "--json"]);
    assert_eq!(json_failed(&o), ["V7"]);
    // From a server.
    let url = serve(f.record.clone(), key.clone());
    let o = piaojue(&["url", &url, "cli", "--board-key", &key]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = piaojue(&["url", &url, "cli", "--board-key", &other, "--json"]);
    assert_eq!(json_failed(&o), ["V7"]);
    let o = piaojue(&["record", s(&f.dir), "--board-key", "not-a-key"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_record_downloaded_from_a_server_verifies_and_is_saved() {
    let f = fixture();
    let url = serve(f.record.clone(), f.writer.info.board_key.to_base64());
    let save = tmp("download").join("saved.json");
    let o = piaojue(&["url", &url, "cli", "--save", s(&save), "--lang", "en"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(record_io::read_record(&save).unwrap(), f.record);
    let o = piaojue(&["url", &format!("{url}/"), "cli", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    // Unknown election (404) and a malformed id: no report, status 1.
    assert_eq!(piaojue(&["url", &url, "other"]).status.code(), Some(1));
    assert_eq!(piaojue(&["url", &url, "../x"]).status.code(), Some(1));
}

#[test]
fn a_receipt_checks_against_the_server() {
    let f = fixture();
    let url = serve(f.record.clone(), f.writer.info.board_key.to_base64());
    let r = write_receipt("good", &receipt(3));
    let o = piaojue(&["receipt", s(&r), "--url", &url, "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("Receipt verification report"));
    let key = f.writer.info.board_key.to_base64();
    let o = piaojue(&["receipt", s(&r), "--url", &url, "--board-key", &key]);
    assert_eq!(o.status.code(), Some(0));
    // Another board key: the receipt's signature does not verify.
    let other = BoardKey::from_seed(&[1; 32]).public().to_base64();
    let o = piaojue(&[
        "receipt",
        s(&r),
        "--url",
        &url,
        "--board-key",
        &other,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json_failed(&o), ["R1", "R3"]);
    // A receipt for an audited ballot is checked the same way.
    let log = f.record.board.as_ref().unwrap();
    let a = entry_position(log, "audited", 0) as u64;
    let head = log
        .tree_heads
        .iter()
        .find(|h| h.head.size > a)
        .unwrap()
        .head
        .size;
    let r = write_receipt("audited", &f.writer.receipt(a, head));
    assert_eq!(
        piaojue(&["receipt", s(&r), "--url", &url]).status.code(),
        Some(0)
    );
}

#[test]
fn a_receipt_catches_a_board_that_removed_the_ballot() {
    // After issuing the receipt the board drops the ballot and signs its heads again.
    let f = fixture();
    let mut r = f.record.clone();
    let b = r.board.as_mut().unwrap();
    let k = entry_position(b, "ballot", 3);
    b.entries.remove(k);
    renumber_and_resign(b, &board_key());
    let url = serve(r, f.writer.info.board_key.to_base64());
    let p = write_receipt("dropped", &receipt(3));
    let o = piaojue(&["receipt", s(&p), "--url", &url, "--json"]);
    assert_eq!(o.status.code(), Some(1));
    // R3 already: the rewritten log cannot prove the manifest is in the receipt's log.
    assert_eq!(json_failed(&o), ["R2", "R3"]);
    assert!(
        stdout(&o).contains("the board changed that log or its entry 0"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_receipt_checks_offline_against_a_record() {
    let f = fixture();
    let rec = receipt(5);
    let board = f.record.board.as_ref().unwrap();
    let key = board.info.board_key;
    let rep = check_receipt(&rec, &key, KeyOrigin::Given, &LogSource(board));
    assert!(rep.passed(), "{}", rep.render(piaojue_verifier::Lang::En));
    assert_eq!(rep.steps.len(), 4);
    // A changed tracking code: the board's signature fails, and the entry is another ballot.
    let mut bad = rec.clone();
    bad.tracking_code.0[0] ^= 1;
    let rep = check_receipt(&bad, &key, KeyOrigin::Given, &LogSource(board));
    assert_eq!(rep.failed_steps(), ["R1", "R2"]);
    // Its Chinese report is wholly Chinese (ids, codes and keys aside); the English one is not.
    let id = rec.election_id.as_str();
    let zh = rep.render(piaojue_verifier::Lang::Zh);
    assert_eq!(latin_words(&zh, &[id]), Vec::<String>::new(), "{zh}");
    assert!(zh.contains("公告板对回执的签名验证不通过"), "{zh}");
    assert!(zh.contains("条目中选票的跟踪码为 "), "{zh}");
    assert!(zh.contains("（以 --board-key 指定）"), "{zh}");
    let en = rep.render(piaojue_verifier::Lang::En);
    assert!(latin_words(&en, &[id]).len() > 10, "{en}");
    assert!(en.contains("the board's signature on the receipt does not verify"));
    // A receipt naming an entry that is not a ballot.
    let mut other = rec.clone();
    other.index = 0;
    let rep = check_receipt(&other, &key, KeyOrigin::Record, &LogSource(board));
    let zh = rep.render(piaojue_verifier::Lang::Zh);
    assert!(zh.contains("该条目是选举清单，不是选票"), "{zh}");
    assert_eq!(latin_words(&zh, &[id]), Vec::<String>::new(), "{zh}");
    // The same from the command line.
    let p = write_receipt("offline", &rec);
    let o = piaojue(&["receipt", s(&p), "--record", s(&f.dir)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn diff_exit_status() {
    let f = fixture();
    let o = piaojue(&["diff", s(&f.dir), s(&f.dir), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let mut shorter = f.record.clone();
    shorter.ballots.pop();
    let file = tmp("diff").join("shorter.json");
    record_io::write_record_file(&file, &shorter).unwrap();
    let o = piaojue(&["diff", s(&f.dir), s(&file), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json_failed(&o), ["D2"]);
}

#[test]
fn a_receipt_reports_a_later_ballot_of_the_same_credential_under_last_counts() {
    use piaojue_crypto::board::Event;
    use piaojue_crypto::manifest::Revote;
    let f = fixture();
    let build = |revote: Revote| {
        let mut m = f.record.election.manifest.clone();
        m.revote = revote;
        let mut w = BoardWriter::new(board_key(), &m.election_id);
        w.post(Event::Manifest(m));
        let first = f.record.ballots[0].clone();
        let mut later = first.clone();
        later.signature.0[0] ^= 1; // another ballot of the same credential (parses)
        let other = f.record.ballots[1].clone();
        let k = w.post(Event::Ballot(first));
        w.post(Event::Ballot(other));
        w.sign_head();
        let receipt = w.receipt(k, w.entries.len() as u64);
        // The receipt passes while the deputy's ballot is the last of its credential …
        let rep = check_receipt(
            &receipt,
            &w.key.public(),
            KeyOrigin::Given,
            &LogSource(&w.log()),
        );
        assert!(rep.passed(), "{}", rep.render(piaojue_verifier::Lang::En));
        let k2 = w.post(Event::Ballot(later.clone()));
        w.sign_head();
        (
            check_receipt(
                &receipt,
                &w.key.public(),
                KeyOrigin::Given,
                &LogSource(&w.log()),
            ),
            k2,
            later,
        )
    };
    // … and R2 fails once a later ballot of the same credential replaces it.
    let (rep, k2, later) = build(Revote::LastCounts);
    assert_eq!(
        rep.failed_steps(),
        ["R2"],
        "{}",
        rep.render(piaojue_verifier::Lang::En)
    );
    let f2 = rep.step("R2").unwrap().failures.join("\n");
    assert!(
        f2.contains(&format!(
            "a later ballot of the same credential (entry {k2}, tracking code {}) replaces this one: it does not count",
            later.tracking_code()
        )),
        "{f2}"
    );
    // Under first_final the first ballot counts (V5.7 refuses the later one): R2 passes.
    let (rep, _, _) = build(Revote::FirstFinal);
    assert!(rep.passed(), "{}", rep.render(piaojue_verifier::Lang::En));
}

fn write_audit(name: &str, a: &piaojue_crypto::ballot::AuditedBallot) -> PathBuf {
    let p = tmp("audit").join(format!("{name}.json"));
    std::fs::write(&p, serde_json::to_string_pretty(a).unwrap()).unwrap();
    p
}

#[test]
fn an_audit_file_checks_against_a_record_and_a_server() {
    let f = fixture();
    let good = write_audit("good", &f.record.audited[0]);
    let o = piaojue(&["audit", s(&good), "--record", s(&f.dir), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Audit file verification report — cli"),
        "{out}"
    );
    assert!(out.contains("[PASSED] A2"), "{out}");
    assert!(out.contains("the opening reveals: "), "{out}");
    // Chinese by default, with no English word in it.
    let o = piaojue(&["audit", s(&good), "--record", s(&f.dir)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("核验文件验证报告"), "{out}");
    assert!(out.contains("公开的选择为："), "{out}");
    assert_eq!(latin_words(&out, &["cli"]), Vec::<String>::new(), "{out}");
    // The same against the server.
    let url = serve(f.record.clone(), f.writer.info.board_key.to_base64());
    let o = piaojue(&["audit", s(&good), "--url", &url, "--election", "cli"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // --url without --election, or neither source: a usage error.
    assert_eq!(
        piaojue(&["audit", s(&good), "--url", &url]).status.code(),
        Some(2)
    );
    assert_eq!(piaojue(&["audit", s(&good)]).status.code(), Some(2));
}

#[test]
fn a_tampered_audit_file_fails_the_step_it_breaks() {
    use piaojue_crypto::ballot::AuditedBallot;
    let f = fixture();
    let a = &f.record.audited[0];
    // A revealed value flipped: the randomness no longer re-encrypts to the ciphertext (A2).
    let mut flipped: AuditedBallot = a.clone();
    let v = &mut flipped.opening.contests[0][0].value;
    *v = 1 - *v;
    let p = write_audit("flipped", &flipped);
    let o = piaojue(&["audit", s(&p), "--record", s(&f.dir), "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(json_failed(&o), ["A2"]);
    // Both languages name the contest and the option whose ciphertext does not match; the
    // Chinese report with no English word in it.
    let o = piaojue(&["audit", s(&p), "--record", s(&f.dir), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("contest 0, option 0: the ciphertext does not encrypt the revealed value"),
        "{out}"
    );
    let o = piaojue(&["audit", s(&p), "--record", s(&f.dir)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("公开值与选票不符：第 0 项表决第 0 个选项：用公开的值和随机数重新加密，与选票中的密文不符"),
        "{out}"
    );
    assert_eq!(latin_words(&out, &["cli"]), Vec::<String>::new(), "{out}");
    // The opening of another audited ballot: A2 fails, the ballot itself is sound (A3).
    let mut swapped: AuditedBallot = a.clone();
    swapped.opening = f.record.audited[1].opening.clone();
    let p = write_audit("swapped", &swapped);
    let o = piaojue(&["audit", s(&p), "--record", s(&f.dir), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json_failed(&o), ["A2"]);
    // A ballot of this election that was cast, with any opening: not on the board as audited (A4).
    let mut cast = a.clone();
    cast.ballot = f.record.ballots[0].clone();
    let p = write_audit("cast", &cast);
    let o = piaojue(&["audit", s(&p), "--record", s(&f.dir), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let failed = json_failed(&o);
    assert!(failed.contains(&"A4".to_string()), "{failed:?}");
    // A ballot of another election: A1 fails and the rest is not checked.
    let (other, _) = simulate(samples::up_to_k_of_n("other", 4, 2, TELLERS), 9, 22);
    let p = write_audit("other", &other.audited[0]);
    let o = piaojue(&["audit", s(&p), "--record", s(&f.dir), "--lang", "en"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("[FAILED] A1"), "{out}");
    assert!(out.contains("[SKIPPED] A2"), "{out}");
    // Not an audit file: no report, status 1.
    let p = tmp("audit").join("junk.json");
    std::fs::write(&p, "{\"ballot\": 1}").unwrap();
    let o = piaojue(&["audit", s(&p), "--record", s(&f.dir)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}
