//! The `piaojue-verify` binary on the spec's example record (`spec/verification.md` §7).

use std::path::PathBuf;
use std::process::Command;

fn vector() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/election-record.json")
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue-verify"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn verifies_the_example_record_in_every_spelling() {
    let v = vector();
    let v = v.to_str().unwrap();
    for args in [
        vec![v],
        vec!["record", v],
        vec!["--lang", "en", "record", v],
        vec!["record", v, "--quiet", "--lang", "en"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(
            out.ends_with("结论：全部验证通过。\n")
                || out.ends_with("Verdict: every check passed.\n"),
            "{out}"
        );
    }
    let o = run(&["--json", v]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["kind"], "record");
    assert_eq!(report["election_id"], "vector-election");
    assert_eq!(report["steps"].as_array().unwrap().len(), 11);
    let o = run(&["diff", v, v, "--json"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn exit_status_for_errors() {
    assert_eq!(run(&["record", "/nonexistent"]).status.code(), Some(1));
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["url"]).status.code(), Some(2));
    assert_eq!(run(&["url", "ftp://x", "e"]).status.code(), Some(1));
    assert!(run(&["--help"]).status.success());
}

/// A count of 2^64 in the record (beyond u64): the error names the integer as written, not
/// serde_json's float (`1.8446744073709552e19`), and the decoder's message is printed once.
#[test]
fn an_integer_beyond_u64_is_named_exactly_and_once() {
    let text = std::fs::read_to_string(vector()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let counted = v["result"]["counted"].as_u64().unwrap();
    let from = format!("\"counted\": {counted}");
    assert!(text.contains(&from));
    let bad = text.replacen(&from, "\"counted\": 18446744073709551616", 1);
    let dir = std::env::temp_dir().join(format!("piaojue-verify-2p64-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("record.json");
    std::fs::write(&file, bad).unwrap();
    let o = run(&["--lang", "en", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    let want = "integer `18446744073709551616` out of range, expected u64 at line ";
    assert_eq!(err.matches(want).count(), 1, "{err}");
    assert!(!err.contains("floating point"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `--help` and `-h` open with the program's own description and its usage, never the doc
/// comment of the arguments' struct (clap puts a flattened struct's doc comment there).
#[test]
fn help_starts_with_the_programs_description() {
    for flag in ["--help", "-h"] {
        let o = run(&[flag]);
        assert!(o.status.success(), "{flag}");
        let out = String::from_utf8(o.stdout).unwrap();
        let lines: Vec<&str> = out.lines().take(3).collect();
        assert_eq!(
            lines,
            [
                piaojue_verifier::cli::ABOUT,
                "",
                "Usage: piaojue-verify [OPTIONS] [RECORD] [COMMAND]",
            ],
            "{flag}:\n{out}"
        );
        assert!(!out.contains("Arguments of"), "{flag}:\n{out}");
    }
}
