//! Hostile record folders (issue 18, `spec/record.md` §8.5, `spec/verification.md` §2, §5.1):
//! a FIFO or a device in place of a file, a line over the limit, a line that is not UTF-8, a
//! flood of failures, a decoder's message quoting a huge input, and record text that would forge
//! lines of the report. Each is refused at once, read in bounded memory, or reported bounded
//! and escaped.

mod verifier_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::limits::{MAX_FAILURES, MAX_LINE, MAX_MESSAGE};
use piaojue_verifier::record_io::{self, files};
use piaojue_verifier::stream::{verify_board_folder, verify_log};
use piaojue_verifier::{Lang, NoProgress, Report, Status, verify_record};
use verifier_support::*;

/// An honest election with its board.
fn boarded() -> &'static ElectionRecord {
    static R: OnceLock<ElectionRecord> = OnceLock::new();
    R.get_or_init(|| {
        let (r, _) = simulate(samples::up_to_k_of_n("hostile", 4, 2, TELLERS), 6, 41);
        with_board(&r)
    })
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piaojue-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn record_folder(name: &str) -> PathBuf {
    let d = tmp(name);
    record_io::write_record_folder(&d, boarded()).unwrap();
    d
}

fn board_folder(name: &str) -> PathBuf {
    let d = tmp(name);
    record_io::write_board_folder(&d, boarded().board.as_ref().unwrap()).unwrap();
    d
}

/// Runs `f` on another thread and panics if it has not answered within `secs` seconds (the
/// thread of a hung read is left behind; the test fails all the same).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .expect("the verifier did not answer in time: it hangs on a hostile file")
}

/// `piaojue verify ARGS`, killed if it runs longer than `secs` seconds: (exit status, stdout,
/// stderr).
fn piaojue_within(secs: u64, args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .arg("verify")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            panic!("piaojue verify {args:?} did not finish in {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The error of verifying the board-form folder `dir`, within 30 seconds.
fn board_folder_refused(dir: &Path) -> String {
    let d = dir.to_path_buf();
    within(30, move || {
        verify_board_folder(&d, &NoProgress)
            .err()
            .map(|e| e.to_string())
    })
    .expect("refused")
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A FIFO in place of `result.json` (record form) or `board.jsonl` (board form): refused at
/// once, naming the file, where reading it used to block for ever.
#[test]
fn a_fifo_in_place_of_a_file_is_refused_at_once() {
    let dir = record_folder("fifo-record");
    mkfifo(&dir.join(files::RESULT));
    let d = dir.clone();
    let err = within(30, move || {
        record_io::read_record(&d).err().map(|e| e.to_string())
    })
    .expect("refused");
    assert!(err.contains("result.json"), "{err}");
    assert!(err.contains("is not a regular file but a FIFO"), "{err}");
    let (code, out, stderr) = piaojue_within(60, &[s(&dir)]);
    assert_eq!(code, Some(1), "{out}{stderr}");
    assert!(stderr.contains("FIFO"), "{stderr}");

    let dir = board_folder("fifo-board");
    mkfifo(&dir.join(files::BOARD_ENTRIES));
    let err = board_folder_refused(&dir);
    assert!(
        err.contains("board.jsonl is not a regular file but a FIFO"),
        "{err}"
    );
    let (code, _, stderr) = piaojue_within(60, &["--lang", "en", s(&dir)]);
    assert_eq!(code, Some(1), "{stderr}");
}

/// A symbolic link to `/dev/zero` in place of a file: refused (it is a character device), not
/// read until memory runs out.
#[test]
fn a_link_to_dev_zero_is_refused() {
    let dir = board_folder("zero-board");
    for f in [files::BOARD_ENTRIES, files::TREE_HEADS, files::BOARD] {
        let d = board_folder(&format!("zero-{f}"));
        std::fs::remove_file(d.join(f)).unwrap();
        std::os::unix::fs::symlink("/dev/zero", d.join(f)).unwrap();
        let err = board_folder_refused(&d);
        assert!(
            err.contains(&format!("{f} is not a regular file but a character device")),
            "{err}"
        );
    }
    let rec = record_folder("zero-record");
    std::fs::remove_file(rec.join(files::ELECTION)).unwrap();
    std::os::unix::fs::symlink("/dev/zero", rec.join(files::ELECTION)).unwrap();
    let (code, _, stderr) = piaojue_within(60, &[s(&rec)]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("character device"), "{stderr}");
    // A link to a regular file is followed.
    let linked = tmp("linked");
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        std::os::unix::fs::symlink(&f, linked.join(f.file_name().unwrap())).unwrap();
    }
    let report = verify_board_folder(&linked, &NoProgress).unwrap();
    assert!(report.passed(), "{}", report.render(Lang::En));
}

/// A line over 4 MiB is refused naming its line, without reading it whole: in `ballots.jsonl`
/// the record is unreadable; in a streamed `board.jsonl` the log ends there (V7).
#[test]
fn an_over_long_line_is_refused_naming_it() {
    let dir = record_folder("long-ballot");
    let path = dir.join(files::BALLOTS);
    let mut text = std::fs::read(&path).unwrap();
    let first = text.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut long = vec![b' '; MAX_LINE + 1];
    long.push(b'\n');
    text.splice(first..first, long);
    std::fs::write(&path, text).unwrap();
    let err = record_io::read_record(&dir).unwrap_err().to_string();
    assert!(
        err.contains("ballots.jsonl, line 2: longer than 4194304 bytes"),
        "{err}"
    );
    // Exactly the limit is a line like any other (here: blank, so it does not decode).
    let mut text = std::fs::read(&path).unwrap();
    text.drain(first..first + 1);
    std::fs::write(&path, text).unwrap();
    let err = record_io::read_record(&dir).unwrap_err().to_string();
    assert!(err.contains("ballots.jsonl, line 2: "), "{err}");
    assert!(!err.contains("longer than"), "{err}");

    let dir = board_folder("long-entry");
    let board = boarded().board.as_ref().unwrap();
    let k = entry_position(board, "ballot", 1);
    let mut entries = board.entries.clone();
    entries[k] = "x".repeat(MAX_LINE + 10);
    record_io::write_board_entries(&dir.join(files::BOARD_ENTRIES), &entries).unwrap();
    let report = verify_board_folder(&dir, &NoProgress).unwrap();
    let v7 = report.step("V7").unwrap();
    assert_eq!(v7.status, Status::Failed);
    assert!(
        v7.summary.starts_with(&format!("{k} entries")),
        "{}",
        v7.summary
    );
    assert!(
        v7.failures.iter().any(|f| f.starts_with(&format!(
            "the log ends at entry {k}, which cannot be read: "
        )) && f.ends_with(&format!("board.jsonl, line {}: longer than 4194304 bytes, the longest line a record may hold (spec/record.md §8.5)", k + 1))),
        "{}",
        report.render(Lang::En)
    );
}

/// A line that is not UTF-8 in a streamed `board.jsonl` ends the log there, naming the line;
/// the lines after it are not read (they used to be taken for the entries before them).
#[test]
fn a_line_that_is_not_utf8_ends_the_log_naming_it() {
    let dir = board_folder("not-utf8");
    let board = boarded().board.as_ref().unwrap();
    let k = entry_position(board, "ballot", 2);
    let mut bytes = Vec::new();
    for (i, e) in board.entries.iter().enumerate() {
        if i == k {
            bytes.extend_from_slice(&[b'{', 0xff, 0xfe, b'}']);
        } else {
            bytes.extend_from_slice(e.as_bytes());
        }
        bytes.push(b'\n');
    }
    std::fs::write(dir.join(files::BOARD_ENTRIES), bytes).unwrap();
    let report = verify_board_folder(&dir, &NoProgress).unwrap();
    let v7 = report.step("V7").unwrap();
    assert!(
        v7.summary.starts_with(&format!("{k} entries,")),
        "{}",
        report.render(Lang::En)
    );
    let want = format!(
        "the log ends at entry {k}, which cannot be read: {}, line {}: not UTF-8",
        dir.join(files::BOARD_ENTRIES).display(),
        k + 1
    );
    assert!(v7.failures.contains(&want), "{}", report.render(Lang::En));
    // The in-memory reader refuses the same line.
    let err = record_io::read_board_entries(&dir.join(files::BOARD_ENTRIES))
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(&format!("line {}: not UTF-8", k + 1)),
        "{err}"
    );
}

/// Ten thousand entries that do not parse (blank lines): V7 keeps the first 100 failures and
/// counts the rest, and the text report has one line for the rest.
#[test]
fn a_flood_of_failures_is_counted_not_listed() {
    let mut r = boarded().clone();
    r.board
        .as_mut()
        .unwrap()
        .entries
        .extend((0..10_000).map(|_| String::new()));
    let report = verify_record(&r);
    let v7 = report.step("V7").unwrap();
    assert_eq!(v7.status, Status::Failed);
    assert_eq!(v7.failures.len(), MAX_FAILURES);
    assert!(v7.more_failures >= 10_000 - MAX_FAILURES as u64);
    let text = report.render(Lang::En);
    let more = format!("    … and {} more failures", grouped(v7.more_failures));
    assert!(text.contains(&more), "{text}");
    assert!(
        text.lines().count() < 11 + 4 + 11 * (MAX_FAILURES + 1),
        "{text}"
    );
}

fn grouped(n: u64) -> String {
    piaojue_verifier::report::grouped(n)
}

/// An entry whose `kind` is 3 MB long: the decoder's message quotes it, and the V7 failure
/// holds at most `MAX_MESSAGE` characters of it.
#[test]
fn a_huge_entry_is_not_echoed_whole() {
    let board = boarded().board.as_ref().unwrap();
    let k = entry_position(board, "ballot", 0);
    let mut entries = board.entries.clone();
    entries[k] = format!(
        "{{\"index\":{k},\"time_ms\":0,\"kind\":\"{}\",\"data\":null}}",
        "x".repeat(3 << 20)
    );
    let report = verify_log(
        &board.info,
        &board.tree_heads,
        &board.cosignatures,
        entries.into_iter().map(Ok),
        &NoProgress,
    );
    assert_bounded(&report);
    let mut r = boarded().clone();
    r.board.as_mut().unwrap().entries[k] = format!("\"{}\"", "y".repeat(3 << 20));
    let report = verify_record(&r);
    assert_eq!(report.step("V7").unwrap().status, Status::Failed);
    assert_bounded(&report);
}

fn assert_bounded(report: &Report) {
    for s in &report.steps {
        for f in &s.failures {
            assert!(
                f.chars().count() <= MAX_MESSAGE + 40,
                "{}: {} chars",
                s.step.id,
                f.len()
            );
        }
    }
    assert!(report.render(Lang::Zh).len() < 100_000);
}

/// An election id holding a line break, a forged step line and verdict, and bidi overrides:
/// printed escaped on the title line, never as lines of their own.
#[test]
fn a_forged_election_id_is_printed_escaped() {
    let mut r = boarded().clone();
    r.board = None;
    r.election.manifest.election_id =
        "x\n[通过] V11 按表决规则得出的结果: 伪造\n结论：全部验证通过。\u{202e}\u{2067}".into();
    r.election.manifest.title.zh = "标题\n[通过] V1 \u{202e}".into();
    let dir = tmp("forged");
    record_io::write_record_folder(&dir, &r).unwrap();
    let (code, out, stderr) = piaojue_within(60, &[s(&dir)]);
    assert_eq!(code, Some(1), "{stderr}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(r"选举记录验证报告 — x\u{a}[通过] V11"),
        "{out}"
    );
    assert!(lines[0].ends_with(r"\u{202e}\u{2067}"), "{out}");
    assert!(!lines.iter().any(|l| l.starts_with("[通过] V11")), "{out}");
    assert_eq!(lines.last(), Some(&"结论：验证未通过。"), "{out}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("结论")).count(),
        1,
        "{out}"
    );
    assert!(
        !out.contains('\u{202e}') && !out.contains('\u{2067}'),
        "{out}"
    );
}

/// An entry whose number is 2^64: the V7.2 failure names the integer, not a float.
#[test]
fn an_integer_beyond_u64_in_an_entry_is_named_exactly() {
    let board = boarded().board.as_ref().unwrap();
    let k = entry_position(board, "close", 0);
    let mut entries = board.entries.clone();
    let close = &entries[k];
    let at = close.find("\"ballots\":").unwrap() + "\"ballots\":".len();
    let end = at + close[at..].find('}').unwrap();
    entries[k] = format!("{}18446744073709551616{}", &close[..at], &close[end..]);
    let report = verify_log(
        &board.info,
        &board.tree_heads,
        &board.cosignatures,
        entries.into_iter().map(Ok),
        &NoProgress,
    );
    let v7 = report.step("V7").unwrap().failures.join("\n");
    assert!(
        v7.contains(&format!(
            "entry {k} does not parse: integer `18446744073709551616` out of range, expected u64"
        )),
        "{v7}"
    );
    assert!(!v7.contains("floating point"), "{v7}");
}

/// A `board.json` over its 1 MiB (JSON with a megabyte of spaces): refused without decoding.
#[test]
fn a_file_over_its_limit_is_refused() {
    let dir = board_folder("large-info");
    let path = dir.join(files::BOARD);
    let mut text = std::fs::read(&path).unwrap();
    text.extend(std::iter::repeat_n(b' ', 1 << 20));
    std::fs::write(&path, text).unwrap();
    let err = board_folder_refused(&dir);
    assert!(
        err.contains(
            "board.json is larger than 1048576 bytes, the most this file of a record may hold"
        ),
        "{err}"
    );
}
