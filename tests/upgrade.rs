//! Upgrading a database the previous release wrote itself (issue 17, "Upgrades").
//!
//! `tests/fixtures/release-d462a43/` was made by the binary of commit d462a43 (the release
//! before migration 0007), through its own command line (`make.sh`, README.md there): an
//! election voted, tallied and published; an election open with two ballots cast and four
//! deputies' credentials unused; a year of the cycle up to the approved candidate list. The
//! current binary starts on a copy (SQLite: the old binary's backup file; PostgreSQL: its
//! `pg_dump`, restored with `psql` into a fresh database), migrates it, and verifies every board
//! against its signed heads before serving. Then, all with the current binaries: the published
//! election's record verifies with `piaojue-verify` pinned to the old board key; the open
//! election takes the unused credentials' ballots under the fingerprint its sheets carried,
//! refuses a second ballot of a credential the old release counted, closes, is decrypted by
//! the tellers with their old key files, is published, and its record verifies; the year's API
//! and pages answer; the staff audit trail (new in this schema) records the new writes.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::election::expect;
use common::{Backend, Server, TestDb};
use piaojue_crypto::record::ElectionRecord;
use serde_json::Value;

/// The fixture's folder of one backend.
fn fixture(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/release-d462a43")
        .join(backend)
}

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PIAOJUE_STAFF_TOKEN")
        .env_remove("PIAOJUE_TELLER_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()))
}

fn piaojue(args: &[&str]) -> Output {
    run(Path::new(env!("CARGO_BIN_EXE_piaojue")), args)
}

/// Requires success; answers stdout and stderr together.
#[track_caller]
fn ok(out: Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "failed ({}):\n{text}", out.status);
    text
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Copies a folder's files (one level deep, and the folders below it) into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The log without its terminal colours (`\x1b[…m`).
fn without_colours(log: &str) -> String {
    let mut out = String::new();
    let mut rest = log;
    while let Some(start) = rest.find('\x1b') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        rest = rest.find('m').map_or("", |end| &rest[end + 1..]);
    }
    out.push_str(rest);
    out
}

fn line(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_string()
}

#[test]
fn the_previous_releases_sqlite_database_is_upgraded_and_voting_goes_on() {
    upgrade(TestDb::sqlite());
}

#[test]
fn the_previous_releases_postgres_dump_is_upgraded_and_voting_goes_on() {
    if let Some(db) = TestDb::postgres() {
        upgrade(db);
    }
}

fn upgrade(db: TestDb) {
    let backend = match db.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    // The fixture's files are copied: the tellers' key files record what they decrypt.
    let files = db.scratch().join("fixture");
    copy_tree(&fixture(backend), &files);
    match db.backend {
        Backend::Sqlite => {
            let file = db.url.strip_prefix("sqlite:").unwrap();
            std::fs::copy(files.join("piaojue.db"), file).unwrap();
        }
        Backend::Postgres => {
            ok(run(
                Path::new("psql"),
                &[
                    "--quiet",
                    "--no-psqlrc",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "--file",
                    s(&files.join("dump.sql")),
                    &db.url,
                ],
            ));
        }
    }
    // The old server's data folder: its board key (a test key, mode 0600 like the server made
    // it; git keeps no modes) and staff token.
    let data = db.data_dir();
    std::fs::create_dir_all(&data).unwrap();
    for name in ["board-key", "staff-token"] {
        std::fs::copy(files.join(name), data.join(name)).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("board-key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let board_key = line(&files.join("board-key.pub"));

    // The current binary migrates the database and verifies every board before serving.
    let server = Server::start(&db);
    let log = without_colours(&server.log());
    // Two elections of make.sh's and the year's selection vote (in draft).
    assert!(
        log.contains("matches its signed heads") && log.contains("elections=3"),
        "{log}"
    );
    expect(server.public().get("/readyz"), 200);
    let key = expect(server.public().get("/api/board-key"), 200);
    assert_eq!(key["board_key"], board_key, "the old board key signs on");

    let url = server.base.clone();
    let token = data.join("staff-token");
    let admin = |rest: &[&str]| -> String {
        let mut a = vec!["admin", "--url", &url, "--token-file", s(&token)];
        a.extend_from_slice(rest);
        ok(piaojue(&a))
    };
    let verifier = common::binaries_with_verifier().join("piaojue-verify");
    // Downloads the record with `piaojue verify url`, then checks it with `piaojue-verify`
    // pinned to the old board key; answers the record.
    let verified_record = |id: &str| -> ElectionRecord {
        let saved = db.scratch().join(format!("{id}.json"));
        ok(piaojue(&[
            "verify",
            "--quiet",
            "url",
            &url,
            id,
            "--save",
            s(&saved),
        ]));
        let out = ok(run(
            &verifier,
            &[
                "--lang",
                "en",
                "record",
                s(&saved),
                "--board-key",
                &board_key,
            ],
        ));
        assert!(!out.contains("FAIL"), "{out}");
        serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap()
    };

    // The election the old release published: its record verifies, its counts are the votes
    // make.sh cast (1,2 / 1 / 2,3 / 1,3 / 4), one ballot audited; its receipts check.
    let done = verified_record("done-2026");
    assert_eq!(
        done.result.expect("a result").counts,
        vec![vec![3, 2, 2, 1]]
    );
    assert_eq!((done.ballots.len(), done.audited.len()), (5, 1));
    ok(piaojue(&[
        "receipt",
        "check",
        s(&files.join("done-2026/receipt-3.json")),
        "--url",
        &url,
    ]));

    // The open election: the old receipts check, the fingerprint is the one the sheets carried.
    let open = files.join("open-2026");
    let fingerprint = line(&open.join("fingerprint"));
    let status = expect(server.public().get("/api/elections/open-2026"), 200);
    assert_eq!(status["state"], "open", "{status}");
    assert_eq!(status["fingerprint"], fingerprint.as_str());
    for i in 1..=2 {
        let receipt = open.join(format!("receipt-{i}.json"));
        ok(piaojue(&["receipt", "check", s(&receipt), "--url", &url]));
    }
    let seeds: Vec<String> = std::fs::read_to_string(open.join("credentials/credentials.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(seeds.len(), 6);
    let vote = |i: usize, choose: &str| -> Output {
        let cred = db.scratch().join(format!("credential-{i}"));
        std::fs::write(&cred, &seeds[i - 1]).unwrap();
        let receipt = db.scratch().join(format!("receipt-{i}.json"));
        piaojue(&[
            "vote",
            "--url",
            &url,
            "--election",
            "open-2026",
            "--credential-file",
            s(&cred),
            "--choose",
            choose,
            "--fingerprint",
            &fingerprint,
            "--receipt",
            s(&receipt),
        ])
    };
    // A deputy whose ballot the old release took: a second one is refused.
    let twice = vote(1, "4");
    assert!(!twice.status.success(), "a second ballot was taken");
    assert!(String::from_utf8_lossy(&twice.stderr).contains("409"));
    // The unused credentials (deputy 6 audited a ballot under the old release) cast now.
    for (i, choose) in [(3, "2,3"), (4, "1,3"), (5, "4"), (6, "2,4")] {
        ok(vote(i, choose));
    }
    assert!(admin(&["close", "open-2026"]).contains("closed"));
    for n in [2, 3] {
        let out = ok(piaojue(&[
            "teller",
            "decrypt",
            "open-2026",
            "--url",
            &url,
            "--key-file",
            s(&open.join(format!("teller-{n}.age"))),
            "--passphrase-file",
            s(&open.join(format!("teller-{n}.pass"))),
        ]));
        assert!(
            out.contains("the board's encrypted tally is the sum of its 6 counted ballots"),
            "{out}"
        );
    }
    assert!(admin(&["publish", "open-2026"]).contains("published"));
    // make.sh cast 1,2 and 1; here 2,3 / 1,3 / 4 / 2,4.
    let record = verified_record("open-2026");
    assert_eq!(
        record.result.expect("a result").counts,
        vec![vec![3, 3, 2, 2]]
    );
    assert_eq!((record.ballots.len(), record.audited.len()), (6, 1));

    // The year of the cycle: its API and pages answer with what the old release stored.
    let years = expect(server.public().get("/api/cycle/years"), 200);
    assert_eq!(years["years"], serde_json::json!([2027]), "{years}");
    let plan = expect(server.public().get("/api/cycle/plan/2027"), 200);
    check_year(&plan);
    let (status, page) = server.public().get_bytes("/plan");
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains("<html"));

    // The staff audit trail, new in this schema, holds the writes made since the upgrade.
    let audit = expect(
        server.staff().get("/api/staff/audit?election=open-2026"),
        200,
    );
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["publish", "close"], "{audit}");
}

/// What `piaojue year --townships 0 --proposals 30 --county-deputies 12 --no-votes` left: the
/// county congress's 30 proposals, 13 candidate projects and 10 seats approved, its selection
/// vote in draft, nothing adopted.
fn check_year(plan: &Value) {
    assert_eq!(
        plan["totals"],
        serde_json::json!({"proposals": 30, "candidates": 13, "seats": 10, "adopted": 0}),
        "{plan}"
    );
    let text = plan.to_string();
    assert!(
        text.contains("\"selection\"") && text.contains("\"draft\""),
        "{plan}"
    );
}
