//! The staff audit trail (issue 17, `spec/api.md` §7.8) on the real binary, SQLite and
//! PostgreSQL: an election's staff actions appear newest first with the token's id and label
//! (never the token), the client's address and the outcome, a refused action included; a
//! request without a valid token, a teller's or a deputy's write is not kept; the listing is
//! staff only and refuses bad input.

mod common;

use common::election::{Election, expect, test_rng};
use common::{Server, TestDb, assert_refused, databases};
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
    assert_eq!(rows[1]["status"], 409);
    assert_eq!(rows[1]["object_id"], e.id.as_str());
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
