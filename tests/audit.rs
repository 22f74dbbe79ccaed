//! The staff audit trail (issue 17, `spec/api.md` §7.8) on the real binary, SQLite and
//! PostgreSQL: an election's staff actions appear newest first with the token's id and label
//! (never the token), the client's address and the outcome, a refused action included; a
//! request without a valid token, a teller's or a deputy's write is not kept; the listing is
//! staff only and refuses bad input. The row is written ahead of the action (`pending`) and
//! given its outcome after; a row left `pending` by a server that died is `interrupted` after
//! the next start, killed for real (SIGKILL while the action waits on a lock, PostgreSQL) and
//! with a row left in the database (SQLite and PostgreSQL).

mod common;

use common::election::{Election, expect, test_rng};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, Server, TestDb, assert_refused, databases, db_execute};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use serde_json::Value;

/// `(action, outcome)` of each row, newest first.
fn actions(rows: &Value) -> Vec<(String, String)> {
    rows.as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            (
                r["action"].as_str().expect("an action").to_string(),
                r["outcome"].as_str().expect("an outcome").to_string(),
            )
        })
        .collect()
}

fn run(db: TestDb) {
    let server = Server::start(&db);
    let staff = server.staff();
    let mut rng = test_rng(17, 3);
    let manifest = samples::up_to_k_of_n("audited", 3, 1, TellerParams { n: 3, t: 2 });
    let e = Election::prepare_open(&staff, manifest, 2, &mut rng);
    // Another election, for the filter.
    let other = Election::create(
        &staff,
        samples::up_to_k_of_n("other", 3, 1, TellerParams { n: 3, t: 2 }),
    );

    // Refused: opening an open election (kept, as refused); a wrong token (not kept).
    assert_refused(&staff.post_empty(&e.path("/open")), 409, "conflict");
    // Refused for bad input: kept too, with its status.
    let (bad_status, _) = staff.send("PUT", &e.path("/roll"), b"{\"names\": 7}");
    assert!((400..500).contains(&bad_status), "{bad_status}");
    let wrong = server.with_authorization(&format!("Bearer pjs_{}", "0".repeat(48)));
    assert_refused(&wrong.post_empty(&e.path("/close")), 403, "forbidden");
    assert_refused(
        &server.public().post_empty(&e.path("/close")),
        401,
        "unauthorized",
    );
    expect(staff.post_empty(&e.path("/close")), 201);

    let list = format!("/api/staff/audit?election={}", e.id);
    let rows = expect(staff.get(&list), 200);
    let want: Vec<(String, String)> = [
        ("close", "done"),
        ("register_roll", "refused"),
        ("open", "refused"),
        ("open", "done"),
        ("register_credentials", "done"),
        ("start_ceremony", "done"),
        ("create", "done"),
    ]
    .iter()
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .collect();
    assert_eq!(actions(&rows), want, "{rows:#}");
    let token_hash = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(server.token.as_bytes()))
    };
    for r in rows.as_array().unwrap() {
        assert_eq!(r["election_id"], e.id.as_str(), "{r}");
        assert_eq!(r["client"], "127.0.0.1", "{r}");
        assert_eq!(r["staff_label"], "first start", "{r}");
        assert_eq!(r["token_id"], &token_hash[..12], "{r}");
        assert!(r["time_ms"].as_i64().unwrap() > 1_700_000_000_000, "{r}");
        assert!(
            !r.to_string().contains(&server.token),
            "the token is never shown"
        );
    }
    assert_eq!(rows[0]["status"], 201);
    assert_eq!(rows[1]["status"], bad_status);
    assert_eq!(rows[2]["status"], 409);
    assert_eq!(rows[2]["object_id"], e.id.as_str());
    // Newest first, by id.
    let ids: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");

    // Without the filter: both elections; with a limit: that many, newest first.
    let all = expect(staff.get("/api/staff/audit"), 200);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|r| r["election_id"] == other.id.as_str() && r["action"] == "create"),
        "{all:#}"
    );
    let two = expect(staff.get("/api/staff/audit?limit=2"), 200);
    assert_eq!(two.as_array().unwrap().len(), 2);
    assert_eq!(two[0]["action"], "close");
    let none = expect(staff.get("/api/staff/audit?election=no-such"), 200);
    assert_eq!(none, serde_json::json!([]));

    // Staff only, and bad input is 400.
    assert_refused(&server.public().get(&list), 401, "unauthorized");
    assert_refused(&wrong.get(&list), 403, "forbidden");
    for bad in [
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=ten",
        "election=",
        &format!("election={}", "x".repeat(129)),
        "order=asc",
    ] {
        assert_refused(
            &staff.get(&format!("/api/staff/audit?{bad}")),
            400,
            "bad_request",
        );
    }
    // Listing changed nothing.
    assert_eq!(expect(staff.get(&list), 200), rows);
}

#[test]
fn the_staff_audit_trail_keeps_who_did_what_from_where() {
    for db in databases() {
        run(db);
    }
}

/// The rows of election `id`, newest first.
fn rows_of(server: &Server, id: &str) -> Value {
    expect(
        server
            .staff()
            .get(&format!("/api/staff/audit?election={id}")),
        200,
    )
}

/// A server that died while a staff action ran left its row `pending` (here written into the
/// database as the server would have, while no server runs): the next start marks it
/// `interrupted`, with no status, and leaves the other rows as they were.
fn interrupted_at_restart(db: TestDb) {
    let mut server = Server::start(&db);
    let staff = server.staff();
    let e = Election::create(
        &staff,
        samples::up_to_k_of_n("died", 3, 1, TellerParams { n: 3, t: 2 }),
    );
    let before = rows_of(&server, &e.id);
    assert_eq!(actions(&before), [("create".into(), "done".into())]);
    let token_id = before[0]["token_id"].as_str().unwrap().to_string();
    server.kill();
    db_execute(
        &db.url,
        &format!(
            "INSERT INTO staff_audit (time_ms, token_id, staff_label, action, election_id, object_id, client, status, outcome) \
             VALUES (1765000000000, '{token_id}', 'first start', 'close', '{}', '{}', '127.0.0.1', 0, 'pending')",
            e.id, e.id
        ),
    )
    .expect("leave a pending row");

    let server = Server::start(&db);
    let rows = rows_of(&server, &e.id);
    assert_eq!(
        actions(&rows),
        [
            ("close".into(), "interrupted".into()),
            ("create".into(), "done".into())
        ],
        "{rows:#}"
    );
    assert_eq!(rows[0]["status"], Value::Null, "{rows:#}");
    assert_eq!(rows[1], before[0], "a finished row is left as it was");
    assert!(
        server.log().contains("marked interrupted"),
        "the start says so: {}",
        server.log()
    );
    // A later start leaves it interrupted; a new action is written ahead and finished.
    expect(server.staff().post_empty(&e.path("/close")), 409);
    let rows = rows_of(&server, &e.id);
    assert_eq!(rows[0]["outcome"], "refused");
    assert_eq!(rows[1]["outcome"], "interrupted");
}

#[test]
fn a_row_left_pending_by_a_dead_server_is_interrupted_at_the_next_start() {
    for db in databases() {
        interrupted_at_restart(db);
    }
}

/// A `psql` session holding an exclusive lock on a table until it is dropped.
struct TableLock(std::process::Child);

impl TableLock {
    fn take(url: &str, table: &str) -> Self {
        let mut child = Command::new("psql")
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run psql");
        let stdin = child.stdin.as_mut().expect("psql's stdin");
        writeln!(
            stdin,
            "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE; SELECT 'locked';"
        )
        .expect("write to psql");
        stdin.flush().expect("flush psql's stdin");
        let mut out = BufReader::new(child.stdout.take().expect("psql's stdout"));
        let mut line = String::new();
        while !line.contains("locked") {
            line.clear();
            assert!(
                out.read_line(&mut line).expect("read psql") > 0,
                "psql ended before taking the lock"
            );
        }
        TableLock(child)
    }
}

impl Drop for TableLock {
    fn drop(&mut self) {
        if let Some(stdin) = self.0.stdin.as_mut() {
            let _ = writeln!(stdin, "ROLLBACK;");
        }
        drop(self.0.stdin.take());
        let _ = self.0.wait();
    }
}

/// The server killed (SIGKILL) while a staff action runs: the action waits on a lock that the
/// test holds on the elections table, after its row was written ahead. The row is `pending`
/// while it waits, `interrupted` after the restart, and the election is as it was (the close
/// never happened); closing again works and is kept as done.
#[test]
fn a_server_killed_during_a_staff_action_leaves_it_interrupted() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    assert_eq!(db.backend, Backend::Postgres);
    let mut server = Server::start(&db);
    let staff = server.staff();
    let mut rng = test_rng(17, 4);
    let e = Election::prepare_open(
        &staff,
        samples::up_to_k_of_n("killed", 3, 1, TellerParams { n: 3, t: 2 }),
        2,
        &mut rng,
    );
    let lock = TableLock::take(&db.url, "elections");
    let closing = {
        let staff = staff.clone();
        let path = e.path("/close");
        std::thread::spawn(move || staff.post_empty(&path))
    };
    // The row is committed before the action runs: it shows as pending while the action waits.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = rows_of(&server, &e.id);
        if rows[0]["action"] == "close" {
            assert_eq!(rows[0]["outcome"], "pending", "{rows:#}");
            assert_eq!(rows[0]["status"], Value::Null, "{rows:#}");
            break;
        }
        assert!(Instant::now() < deadline, "no pending row: {rows:#}");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();
    let _ = closing.join();
    drop(lock);

    let server = Server::start(&db);
    let rows = rows_of(&server, &e.id);
    assert_eq!(rows[0]["action"], "close", "{rows:#}");
    assert_eq!(rows[0]["outcome"], "interrupted", "{rows:#}");
    assert_eq!(rows[0]["status"], Value::Null, "{rows:#}");
    assert_eq!(rows[1]["action"], "open", "{rows:#}");
    assert_eq!(rows[1]["outcome"], "done", "{rows:#}");
    let status = expect(server.public().get(&e.path("")), 200);
    assert_eq!(
        status["state"], "open",
        "the interrupted close did not happen"
    );
    expect(server.staff().post_empty(&e.path("/close")), 201);
    let rows = rows_of(&server, &e.id);
    assert_eq!(
        actions(&rows)[..2],
        [
            ("close".into(), "done".into()),
            ("close".into(), "interrupted".into())
        ],
        "{rows:#}"
    );
}
