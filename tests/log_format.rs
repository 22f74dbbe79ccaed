//! `piaojue serve --log-format` (issue 17): json writes one JSON object per line; text (the
//! default) does not; anything else is refused before the server starts.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Server, TestDb};

/// The first log line of `server` that mentions `what`, waiting for it.
fn line_with(server: &Server, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(l) = server.log().lines().find(|l| l.contains(what)) {
            return l.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no {what:?} in:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn json_logs_are_one_object_per_line() {
    let db = TestDb::sqlite();
    let server = Server::start_with(&db, &["--log-format", "json"]);
    let line = line_with(&server, "accepting connections");
    let v: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(v["level"], "INFO", "{line}");
    assert_eq!(v["fields"]["message"], "accepting connections", "{line}");
    assert!(v["timestamp"].is_string(), "{line}");
    drop(server);

    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let line = line_with(&server, "accepting connections");
    assert!(
        serde_json::from_str::<serde_json::Value>(&line).is_err(),
        "{line}"
    );
}

#[test]
fn an_unknown_log_format_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(["serve", "--log-format", "xml"])
        .output()
        .expect("run piaojue");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--log-format") && err.contains("json"),
        "{err}"
    );
}
