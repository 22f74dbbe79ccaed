//! `/healthz` and `/readyz` (spec/api.md §7.6): ready on a fresh server; not ready, saying why,
//! when the database holds a migration this build does not know (a newer server migrated it),
//! and ready again when that is undone. The full-disk case is in `tests/disk_full.rs`.

mod common;

use common::election::expect;
use common::{Server, TestDb};

/// Runs one statement on the test's SQLite database (beside the server's connections).
fn sqlite(url: &str, sql: &str) {
    common::db_execute(url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[test]
fn readyz_fails_on_a_schema_this_build_does_not_know() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let public = server.public();
    assert_eq!(expect(public.get("/healthz"), 200)["status"], "alive");
    assert_eq!(expect(public.get("/readyz"), 200)["status"], "ready");

    sqlite(
        &db.url,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer build', TRUE, X'00', 0)",
    );
    let (status, body) = public.get("/readyz");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert!(
        body["problems"].to_string().contains("migrations"),
        "{body}"
    );
    // Alive all the same.
    expect(public.get("/healthz"), 200);

    sqlite(
        &db.url,
        "DELETE FROM _sqlx_migrations WHERE version = 99990101000000",
    );
    expect(public.get("/readyz"), 200);
}
