//! Issue 18, "parse exactly the spec's JSON", end to end: an honest record with one value
//! rewritten in a form serde's derived decoding took but `spec/record.md` §2.2 does not allow
//! (a struct as an array, a unit value as an object, an integer kind) is refused by
//! `piaojue verify` at decoding, naming the file and the line, with a clear message.

mod verifier_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::record_io;
use serde_json::Value;
use verifier_support::*;

/// An election with its board.
fn record() -> &'static ElectionRecord {
    static R: OnceLock<ElectionRecord> = OnceLock::new();
    R.get_or_init(|| {
        let (plain, _) = simulate(samples::up_to_k_of_n("strict", 3, 2, TELLERS), 5, 31);
        with_board(&plain)
    })
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("piaojue-strict-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn verify(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args([
            "verify",
            "--lang",
            "en",
            "record",
            dir.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The record as a folder without its board (so the files are what is decoded), with
/// `file`'s line `line` (from 1; 0 for a JSON file) rewritten by `change`.
fn folder_with(name: &str, file: &str, line: usize, change: impl Fn(&mut Value)) -> PathBuf {
    let dir = tmp(name);
    let mut r = record().clone();
    r.board = None;
    record_io::write_record_folder(&dir, &r).unwrap();
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let new = if line == 0 {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        change(&mut v);
        serde_json::to_string(&v).unwrap()
    } else {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut v: Value = serde_json::from_str(&lines[line - 1]).unwrap();
        change(&mut v);
        lines[line - 1] = serde_json::to_string(&v).unwrap();
        lines.join("\n") + "\n"
    };
    std::fs::write(&path, new).unwrap();
    dir
}

/// The fields of `v` in this order, as an array.
fn by_position(v: &Value, fields: &[&str]) -> Value {
    Value::Array(fields.iter().map(|f| v[*f].clone()).collect())
}

fn refused_at_decoding(dir: &Path, file: &str, expected: &str) {
    let o = verify(dir);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        o.stdout.is_empty(),
        "no report: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(err.contains(file), "{err}");
    assert!(err.contains(expected), "{err}");
}

#[test]
fn the_honest_folder_verifies() {
    let dir = folder_with("honest", "ballots.jsonl", 1, |_| {});
    let o = verify(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_ballot_written_as_an_array_is_refused() {
    let dir = folder_with("ballot-array", "ballots.jsonl", 2, |b| {
        *b = by_position(b, &["election", "credential", "contests", "signature"]);
    });
    refused_at_decoding(&dir, "ballots.jsonl", "an object with named fields");
}

#[test]
fn a_ciphertext_written_as_an_array_is_refused() {
    let dir = folder_with("ciphertext-array", "ballots.jsonl", 1, |b| {
        let ct = &mut b["contests"][0]["selections"][0]["ciphertext"];
        *ct = by_position(ct, &["a", "b"]);
    });
    refused_at_decoding(&dir, "ballots.jsonl", "an object with named fields");
}

#[test]
fn a_unit_value_written_as_an_object_is_refused() {
    let dir = folder_with("revote-object", "election.json", 0, |e| {
        e["manifest"]["revote"] = serde_json::json!({ "first_final": null });
    });
    refused_at_decoding(&dir, "election.json", "a string naming a value of Revote");
}

#[test]
fn a_tally_written_as_an_array_is_refused() {
    let dir = folder_with("tally-array", "result.json", 0, |r| {
        r["tally"] = by_position(&r["tally"], &["contests"]);
    });
    refused_at_decoding(&dir, "result.json", "an object with named fields");
}

/// In the board form the entries are decoded by V7.2: an entry whose ballot is an array, or
/// whose kind is an integer, is named there (the log is re-signed, so only the decoding fails
/// in V7; V9 fails too, by V9.7, as the shares name the heads the tellers verified).
#[test]
fn a_board_entry_with_an_array_ballot_or_an_integer_kind_is_refused() {
    for (name, change) in [
        (
            "entry-array",
            (|e: &mut Value| {
                e["data"] = by_position(
                    &e["data"],
                    &["election", "credential", "contests", "signature"],
                );
            }) as fn(&mut Value),
        ),
        ("entry-kind", |e: &mut Value| e["kind"] = Value::from(11u8)),
    ] {
        let mut board = record().board.clone().unwrap();
        let k = entry_position(&board, "ballot", 1);
        let mut v: Value = serde_json::from_str(&board.entries[k]).unwrap();
        change(&mut v);
        board.entries[k] = serde_json::to_string(&v).unwrap();
        resign_heads(&mut board, &board_key());
        let dir = tmp(name);
        record_io::write_board_folder(&dir, &board).unwrap();
        let o = verify(&dir);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
        assert!(out.contains(&format!("entry {k}")), "{name}: {out}");
        assert!(
            out.contains("an object with named fields") || out.contains("one of the strings"),
            "{name}: {out}"
        );
    }
}
