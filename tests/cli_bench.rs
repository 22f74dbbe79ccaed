//! `piaojue bench cast` against a test server: 30 ballots by 8 clients, then the tally. The
//! load generator sets up its own election with the staff token; every ballot must be
//! acknowledged with a receipt, none refused, and the board must hold the 30.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, TestDb};
use serde_json::Value;

#[test]
fn bench_cast_30_ballots() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let token = db.data_dir().join("staff-token");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(["bench", "cast", "--url", &server.base, "--token-file"])
        .arg(&token)
        .args([
            "--ballots",
            "30",
            "--concurrency",
            "8",
            "--max-seconds",
            "60",
            "--tally",
            "--election",
            "bench-test",
            "--json",
        ])
        .env_remove("PIAOJUE_STAFF_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("run piaojue bench cast");
    assert!(
        out.status.success(),
        "bench cast failed ({}):\n--- stdout\n{}\n--- stderr\n{}\n--- server\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["cast"]["durable"], 30, "{report:#}");
    assert_eq!(report["cast"]["sent"], 30, "{report:#}");
    assert_eq!(
        report["cast"]["errors"].as_object().map(|m| m.len()),
        Some(0),
        "{report:#}"
    );
    assert_eq!(report["board_ballots"], 30, "{report:#}");
    assert!(report["cast"]["ballots_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(report["tally"]["counted"], 30, "{report:#}");

    // The server says the same.
    let (status, s) = server.public().get("/api/elections/bench-test");
    assert_eq!(status, 200);
    assert_eq!(s["ballots"], 30);
    assert_eq!(s["state"], "tallied");

    // Only loopback servers.
    let refused = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args([
            "bench",
            "cast",
            "--url",
            "http://192.0.2.1:8080",
            "--token-file",
        ])
        .arg(&token)
        .args(["--ballots", "1"])
        .stdin(Stdio::null())
        .output()
        .expect("run piaojue bench cast");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("this machine"));
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// `piaojue bench record` writes a record in board form that `piaojue verify` passes, for
/// both ballot forms; a folder that already holds a log is refused and left as it was.
#[test]
fn bench_record_writes_a_record_that_verifies() {
    let dir = common::TempDir::new("piaojue-bench-record");
    for (form, n) in [("up-to-ten-of-thirteen", "12"), ("yes-no-abstain", "40")] {
        let out_dir = dir.path().join(form);
        let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
            .args(["bench", "record", "--ballots", n, "--ballots-per-head", "7"])
            .args(["--form", form, "--out"])
            .arg(&out_dir)
            .stdin(Stdio::null())
            .output()
            .expect("run piaojue bench record");
        assert!(
            out.status.success(),
            "bench record failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains(&format!("{n} ballots")), "{said}");
        let verify = Command::new(env!("CARGO_BIN_EXE_piaojue"))
            .args(["verify", "--lang", "en"])
            .arg(&out_dir)
            .stdin(Stdio::null())
            .output()
            .expect("run piaojue verify");
        let report = String::from_utf8_lossy(&verify.stdout);
        assert!(verify.status.success(), "{report}");
        assert!(
            report.contains(&format!("{n} cast and 0 audited ballots")),
            "{report}"
        );

        let log = out_dir.join("board.jsonl");
        let before = std::fs::read(&log).expect("the log");
        let again = Command::new(env!("CARGO_BIN_EXE_piaojue"))
            .args(["bench", "record", "--ballots", "3", "--form", form, "--out"])
            .arg(&out_dir)
            .stdin(Stdio::null())
            .output()
            .expect("run piaojue bench record again");
        assert!(
            !again.status.success(),
            "a second record over the first was written"
        );
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("already holds a log"),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(std::fs::read(&log).expect("the log"), before);
    }
}
