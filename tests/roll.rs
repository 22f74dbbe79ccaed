//! The roll is fixed by law (issue 14 §4; `spec/protocol.md` §7.6): the manifest's `deputies`
//! bounds the credential list, voting opens only with the list complete and the chief
//! scrutineer's signed attendance on the board, and every refusal changes nothing. SQLite
//! always; PostgreSQL when `PIAOJUE_TEST_POSTGRES_URL` is set.

mod common;

use common::election::{Election, test_rng};
use common::{Server, TestDb, assert_refused, databases, dump_database_but_audit};
use piaojue_crypto::attendance::Attendance;
use piaojue_crypto::credential::Credential;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use serde_json::json;

fn run(db: TestDb) {
    let server = Server::start(&db);
    let staff = server.staff();
    let mut rng = test_rng(14, 4);
    let mut manifest = samples::up_to_k_of_n("roll", 4, 2, TellerParams { n: 3, t: 2 });
    manifest.deputies = 4;
    let mut e = Election::create(&staff, manifest);
    e.start_ceremony(&staff, &mut rng);
    e.run_ceremony(&staff, &mut rng);
    e.register(&staff, 3, 3, &mut rng);

    // Three of four deputies have a credential: no attendance, no opening yet.
    let before = dump_database_but_audit(&db);
    assert_refused(&e.attend(&staff, 3), 409, "conflict");
    let m = assert_refused(&staff.post_empty(&e.path("/open")), 409, "conflict");
    assert!(m.contains("not complete"), "{m}");
    // A batch that would take the list past the congress's deputies is refused whole.
    let two: Vec<_> = (0..2)
        .map(|_| Credential::generate(&mut rng).public())
        .collect();
    let m = assert_refused(
        &staff.post(&e.path("/credentials"), &json!({ "keys": two })),
        409,
        "conflict",
    );
    assert!(m.contains("4 deputies"), "{m}");
    assert_eq!(
        dump_database_but_audit(&db),
        before,
        "a refusal changed the database"
    );

    e.register(&staff, 1, 1, &mut rng);
    let m = assert_refused(&staff.post_empty(&e.path("/open")), 409, "conflict");
    assert!(m.contains("chief scrutineer"), "{m}");

    // Attendances the board refuses: another teller's signature, a teller out of range, more
    // than the deputies, another election's fingerprint, a changed count.
    let f = e.expected_fingerprint(&staff).0;
    let forged = Attendance {
        teller: 1,
        ..Attendance::sign(f, 1, 3, &e.signing[1])
    };
    let mut changed = Attendance::sign(f, 1, 3, &e.signing[0]);
    changed.signed_in = 2;
    let before = dump_database_but_audit(&db);
    for (bad, why) in [
        (forged, "does not verify"),
        (Attendance::sign(f, 0, 3, &e.signing[0]), "teller 0"),
        (Attendance::sign(f, 4, 3, &e.signing[0]), "teller 4"),
        (Attendance::sign(f, 1, 5, &e.signing[0]), "more than the 4"),
        (
            Attendance::sign([9; 32], 1, 3, &e.signing[0]),
            "does not verify",
        ),
        (changed, "does not verify"),
    ] {
        let m = assert_refused(&staff.post(&e.path("/attendance"), &bad), 422, "invalid");
        assert!(m.contains(why), "{why}: {m}");
    }
    assert_refused(
        &staff.send("POST", &e.path("/attendance"), b"{\"teller\":1}"),
        400,
        "bad_request",
    );
    assert_eq!(
        dump_database_but_audit(&db),
        before,
        "a refusal changed the database"
    );

    // Teller 2 as chief scrutineer: three of the four signed in. Once only; no credential after.
    let good = Attendance::sign(f, 2, 3, &e.signing[1]);
    common::election::expect(staff.post(&e.path("/attendance"), &good), 201);
    assert_eq!(e.status(&staff)["signed_in"], json!(3));
    assert_refused(&staff.post(&e.path("/attendance"), &good), 409, "conflict");
    let one = vec![Credential::generate(&mut rng).public()];
    assert_refused(
        &staff.post(&e.path("/credentials"), &json!({ "keys": one })),
        409,
        "conflict",
    );

    // Open: the entries are on the board in order, and the record carries the attendance.
    common::election::expect(staff.post_empty(&e.path("/open")), 201);
    let entries = common::election::expect(staff.get(&e.path("/board/entries")), 200);
    let kinds: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    let at = kinds.iter().position(|k| *k == "attendance").unwrap();
    assert_eq!(kinds[at + 1], "open");
    assert_eq!(entries[at]["data"], serde_json::to_value(&good).unwrap());
}

#[test]
fn the_roll_bounds_the_credentials_and_the_attendance_comes_before_opening() {
    for db in databases() {
        run(db);
    }
}
