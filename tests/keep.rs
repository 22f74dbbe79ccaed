//! Keeping an election safe over time (issue 17): backups, the board check at start, upgrades
//! and the board key's escrow.
//!
//! `piaojue backup` taken while ballots are being cast, more cast after it, `piaojue restore`
//! into a fresh folder (or database), and a server started on the copy serves a board whose
//! entries and signed heads are a prefix of the live one's, consistent with it, with the
//! receipts issued before the backup. A server refuses to start on a database whose stored board
//! was edited, naming the election and the first bad size; on a database of a newer schema,
//! naming both versions; a database of an older schema (version 5, before the witnesses'
//! cosignatures) is migrated forward through every later migration and voting goes on (a
//! database the previous release wrote itself: tests/upgrade.rs). The board key goes into
//! escrow and back. SQLite always, PostgreSQL when
//! `PIAOJUE_TEST_POSTGRES_URL` is set.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::election::{Election, expect, test_rng};
use common::{Backend, Server, TestDb, db_execute, decode};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::{Receipt, SignedTreeHead};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use rayon::prelude::*;
use serde_json::Value;

const DEPUTIES: usize = 45;

fn piaojue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run piaojue")
}

#[track_caller]
fn succeeds(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    err
}

#[track_caller]
fn fails(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "succeeded: {err}");
    err
}

/// An open election of `DEPUTIES` deputies on `server`, and one ballot built for each.
fn open_election(server: &Server, name: &str) -> (Election, Vec<Ballot>) {
    let mut rng = test_rng(170, 0);
    let m = samples::up_to_k_of_n(name, 3, 2, TellerParams { n: 3, t: 2 });
    let e = Election::prepare_open(&server.staff(), m, DEPUTIES, &mut rng);
    let ctx = e.context(&server.public());
    let ballots = (0..DEPUTIES)
        .into_par_iter()
        .map(|d| {
            let sel = Selection::from_chosen(&e.manifest, &[vec![d % 3]]).unwrap();
            Ballot::build(&ctx, &e.credentials[d], &sel, &mut test_rng(171, d as u64))
                .unwrap()
                .0
        })
        .collect();
    (e, ballots)
}

fn cast(server: &Server, e: &Election, ballot: &Ballot) -> Receipt {
    decode(&expect(
        server.public().post(&e.path("/ballots"), ballot),
        201,
    ))
}

fn heads(server: &Server, e: &Election) -> Vec<SignedTreeHead> {
    decode(&expect(server.public().get(&e.path("/board/heads")), 200))
}

fn entries(server: &Server, e: &Election) -> Vec<Value> {
    let v = expect(
        server
            .public()
            .get(&e.path("/board/entries?from=0&limit=10000")),
        200,
    );
    v.as_array().expect("an array").clone()
}

/// Copies the live server's board key and staff token into a restored data folder: the key is
/// not in the backup (README §Backups).
fn copy_secrets(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["board-key", "staff-token"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

#[test]
fn backup_while_casting_restores_a_prefix_of_the_board_sqlite() {
    backup_while_casting(TestDb::sqlite());
}

#[test]
fn backup_while_casting_restores_a_prefix_of_the_board_postgres() {
    if let Some(db) = TestDb::postgres() {
        backup_while_casting(db);
    }
}

fn backup_while_casting(db: TestDb) {
    let server = Server::start(&db);
    let (e, ballots) = open_election(&server, &format!("backup-{:?}", db.backend).to_lowercase());
    let third = DEPUTIES / 3;
    let before: Vec<Receipt> = ballots[..third]
        .iter()
        .map(|b| cast(&server, &e, b))
        .collect();
    let size_before = e.log_size(&server.public());

    // The backup runs while another thread casts the second third.
    let out = db.scratch().join("backup.bin");
    let out_s = out.to_str().unwrap();
    std::thread::scope(|s| {
        let casting = s.spawn(|| {
            for b in &ballots[third..2 * third] {
                cast(&server, &e, b);
            }
        });
        let log = succeeds(&piaojue(&[
            "backup",
            "--out",
            out_s,
            "--database-url",
            &db.url,
        ]));
        assert!(log.contains("board-key export"), "{log}");
        casting.join().unwrap();
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the backup file's mode");
    }
    // Never overwritten.
    let len = std::fs::metadata(&out).unwrap().len();
    let err = fails(&piaojue(&[
        "backup",
        "--out",
        out_s,
        "--database-url",
        &db.url,
    ]));
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(std::fs::metadata(&out).unwrap().len(), len);

    for b in &ballots[2 * third..] {
        cast(&server, &e, b);
    }

    // Restore on a fresh folder (or database) and serve it with the board's key.
    let restored_dir = db.scratch().join("restored");
    let fresh_pg;
    let url = match db.backend {
        Backend::Sqlite => {
            let log = succeeds(&piaojue(&[
                "restore",
                "--from",
                out_s,
                "--data-dir",
                restored_dir.to_str().unwrap(),
            ]));
            assert!(log.contains("boards verified: 1 election(s)"), "{log}");
            // Not again into the same, now non-empty, folder.
            let err = fails(&piaojue(&[
                "restore",
                "--from",
                out_s,
                "--data-dir",
                restored_dir.to_str().unwrap(),
            ]));
            assert!(err.contains("not empty"), "{err}");
            format!("sqlite:{}", restored_dir.join("piaojue.db").display())
        }
        Backend::Postgres => {
            fresh_pg = TestDb::postgres().expect("PostgreSQL");
            let log = succeeds(&piaojue(&[
                "restore",
                "--from",
                out_s,
                "--database-url",
                &fresh_pg.url,
            ]));
            assert!(log.contains("boards verified: 1 election(s)"), "{log}");
            let err = fails(&piaojue(&[
                "restore",
                "--from",
                out_s,
                "--database-url",
                &fresh_pg.url,
            ]));
            assert!(err.contains("not empty"), "{err}");
            fresh_pg.url.clone()
        }
    };
    copy_secrets(&db.data_dir(), &restored_dir);
    let copy = Server::start_at(&url, &restored_dir, &[]);
    assert!(
        copy.log().contains("matches its signed heads"),
        "{}",
        copy.log()
    );

    let (live_heads, copy_heads) = (heads(&server, &e), heads(&copy, &e));
    let (live_entries, copy_entries) = (entries(&server, &e), entries(&copy, &e));
    let n = copy_entries.len();
    assert!(
        n as u64 >= size_before,
        "the backup holds what was committed before it"
    );
    assert!(n < live_entries.len(), "casting went on after the backup");
    assert_eq!(copy_entries[..], live_entries[..n], "entries: a prefix");
    assert_eq!(
        copy_heads[..],
        live_heads[..copy_heads.len()],
        "heads: a prefix"
    );
    assert_eq!(copy_heads.last().unwrap().head.size, n as u64);
    let mut memo = BTreeMap::new();
    assert!(e.consistent_with(
        &server.public(),
        copy_heads.last().unwrap(),
        live_heads.last().unwrap(),
        &mut memo
    ));
    for r in &before {
        let code = r.tracking_code.to_string();
        let got: Receipt = decode(&expect(
            copy.public().get(&e.path(&format!("/receipts/{code}"))),
            200,
        ));
        assert_eq!(&got, r, "a receipt issued before the backup");
    }
    // Voting goes on on the copy: a deputy whose ballot came after the backup casts it there.
    cast(&copy, &e, &ballots[DEPUTIES - 1]);
}

#[test]
fn restore_refuses_what_is_not_a_backup() {
    let db = TestDb::sqlite();
    let junk = db.scratch().join("junk.bin");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let target = db.scratch().join("restored");
    let err = fails(&piaojue(&[
        "restore",
        "--from",
        junk.to_str().unwrap(),
        "--data-dir",
        target.to_str().unwrap(),
    ]));
    assert!(err.contains("not a piaojue backup"), "{err}");
    assert!(!target.join("piaojue.db").exists());
}

/// Starts `piaojue serve` on `db` expecting it to refuse to start; returns its log.
fn start_refused(db: &TestDb) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args([
            "serve",
            "--database-url",
            &db.url,
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(db.data_dir())
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    fails(&out)
}

#[test]
fn a_tampered_board_is_refused_at_start_sqlite() {
    tampered_board_refused(TestDb::sqlite());
}

#[test]
fn a_tampered_board_is_refused_at_start_postgres() {
    if let Some(db) = TestDb::postgres() {
        tampered_board_refused(db);
    }
}

fn tampered_board_refused(db: TestDb) {
    let mut server = Server::start(&db);
    let (e, ballots) = open_election(&server, &format!("tamper-{:?}", db.backend).to_lowercase());
    for b in &ballots[..6] {
        cast(&server, &e, b);
    }
    let size = e.log_size(&server.public());
    server.kill();
    // Untampered: a restart is fine.
    let mut server = Server::start(&db);
    server.kill();

    let id = &e.id;
    let sql = |q: &str| db_execute(&db.url, q).unwrap_or_else(|err| panic!("{q}: {err}"));
    let swap = |a: u64, b: u64| {
        for (from, to) in [(a as i64, -1i64), (b as i64, a as i64), (-1, b as i64)] {
            sql(&format!(
                "UPDATE board_entries SET idx = {to} WHERE election_id = '{id}' AND idx = {from}"
            ));
        }
    };

    // Two entries swapped, each with its own leaf hash (as a careful forger would): the roots
    // of the heads from the first of them on no longer match.
    let victim = size - 3;
    swap(victim, victim + 1);
    let err = start_refused(&db);
    assert!(err.contains(&format!("election {id:?}")), "{err}");
    assert!(err.contains(&format!("from size {}", victim + 1)), "{err}");
    assert!(err.contains("Merkle root"), "{err}");
    assert!(err.contains("refusing to serve"), "{err}");
    swap(victim, victim + 1);

    // An entry's bytes changed, its leaf hash not.
    let body = match db.backend {
        Backend::Sqlite => "CAST(body || ' ' AS BLOB)",
        Backend::Postgres => "body || '\\x20'::bytea",
    };
    sql(&format!(
        "UPDATE board_entries SET body = {body} WHERE election_id = '{id}' AND idx = {victim}"
    ));
    let err = start_refused(&db);
    assert!(err.contains(&format!("from size {}", victim + 1)), "{err}");
    assert!(err.contains("not its leaf hash"), "{err}");
    sql(&format!(
        "DELETE FROM board_entries WHERE election_id = '{id}' AND idx = {victim}"
    ));
    let err = start_refused(&db);
    assert!(err.contains(&format!("entry {victim} is missing")), "{err}");
}

#[test]
fn a_newer_schema_is_refused_naming_both_versions() {
    let db = TestDb::sqlite();
    let mut server = Server::start(&db);
    server.kill();
    db_execute(
        &db.url,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from a newer release', TRUE, X'00', 0)",
    )
    .unwrap();
    let err = start_refused(&db);
    assert!(err.contains("schema is version 99990101000000"), "{err}");
    // This build's newest migration, by its number.
    let newest = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ballot-server/migrations/sqlite"
    ))
    .unwrap()
    .filter_map(|e| {
        let name = e.unwrap().file_name().into_string().unwrap();
        name.split('_').next()?.parse::<u64>().ok()
    })
    .max()
    .unwrap();
    assert!(
        err.contains(&format!("newest schema, version {newest}")),
        "{err}"
    );
    assert!(err.contains("only migrated forward"), "{err}");
}

/// A database of schema version 5 (the migrations of the release before 0006, from git history:
/// tests/fixtures/schema-0005/extract.sh) holding the rows of an open election with ballots.
#[test]
fn a_database_of_the_previous_schema_is_migrated_and_voting_goes_on() {
    let live = TestDb::sqlite();
    let mut server = Server::start(&live);
    let (e, ballots) = open_election(&server, "upgrade");
    let receipts: Vec<Receipt> = ballots[..4].iter().map(|b| cast(&server, &e, b)).collect();
    let live_heads = heads(&server, &e);
    server.kill();

    let old = live.scratch().join("old.db");
    let old_url = format!("sqlite:{}", old.display());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema-0005/sqlite");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("{old_url}?mode=rwc"))
            .await
            .unwrap();
        let migrator = sqlx::migrate::Migrator::new(fixture.as_path())
            .await
            .unwrap();
        migrator.run(&pool).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(!tables.iter().any(|t| t == "cosignatures"), "{tables:?}");
        let live_file = live.url.strip_prefix("sqlite:").unwrap();
        let mut sql = format!("ATTACH DATABASE '{live_file}' AS live;");
        for t in &tables {
            // The old schema's columns only: later migrations add some (0008 elections.board_key),
            // which the upgrade itself fills.
            let columns: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT name FROM pragma_table_info('{t}')")))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            let columns = columns.join(", ");
            sql.push_str(&format!(
                "DELETE FROM main.{t}; INSERT INTO main.{t} ({columns}) SELECT {columns} FROM live.{t};"
            ));
        }
        sql.push_str("DETACH DATABASE live;");
        let mut conn = pool.acquire().await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        pool.close().await;
    });

    let server = Server::start_at(&old_url, &live.data_dir(), &[]);
    assert!(
        server.log().contains("matches its signed heads"),
        "{}",
        server.log()
    );
    expect(server.public().get("/readyz"), 200);
    assert_eq!(heads(&server, &e), live_heads);
    let code = receipts[0].tracking_code.to_string();
    let got: Receipt = decode(&expect(
        server.public().get(&e.path(&format!("/receipts/{code}"))),
        200,
    ));
    assert_eq!(got, receipts[0]);
    cast(&server, &e, &ballots[4]);
}

fn key_file(dir: &Path) -> (std::path::PathBuf, String) {
    let key = piaojue_crypto::board::BoardKey::generate(&mut rand::rng());
    let seed = hex::encode(&key.seed()[..]);
    let path = dir.join("board-key");
    std::fs::write(&path, format!("{seed}\n")).unwrap();
    (path, seed)
}

fn board_key_cmd(args: &[&str], passphrase: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .arg("board-key")
        .args(args)
        .env("PIAOJUE_BOARD_KEY_PASSPHRASE", passphrase)
        .env_remove("PIAOJUE_BOARD_KEY_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("run piaojue board-key")
}

#[test]
fn the_board_key_goes_into_escrow_and_back() {
    let db = TestDb::sqlite();
    let dir = db.scratch();
    let (path, seed) = key_file(dir);
    let escrow = dir.join("escrow.age");
    let (p, e) = (path.to_str().unwrap(), escrow.to_str().unwrap());
    let out = board_key_cmd(
        &["export", "--board-key-file", p, "--out", e],
        "correct horse battery",
    );
    let log = succeeds(&out);
    assert!(!log.contains(&seed) && !String::from_utf8_lossy(&out.stdout).contains(&seed));
    let bytes = std::fs::read(&escrow).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n"));
    assert!(!String::from_utf8_lossy(&bytes).contains(&seed));
    // Never overwritten.
    let err = fails(&board_key_cmd(
        &["export", "--board-key-file", p, "--out", e],
        "x",
    ));
    assert!(err.contains("exists already"), "{err}");

    let restored = dir.join("restored-key");
    let r = restored.to_str().unwrap();
    // A wrong passphrase: refused, nothing written.
    let err = fails(&board_key_cmd(
        &["import", "--from", e, "--board-key-file", r],
        "wrong passphrase",
    ));
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!restored.exists());
    let out = board_key_cmd(
        &["import", "--from", e, "--board-key-file", r],
        "correct horse battery",
    );
    let log = succeeds(&out);
    assert!(!log.contains(&seed), "{log}");
    assert_eq!(std::fs::read_to_string(&restored).unwrap().trim(), seed);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&restored).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never over an existing key file.
    let err = fails(&board_key_cmd(
        &["import", "--from", e, "--board-key-file", r],
        "correct horse battery",
    ));
    assert!(err.contains("exists already"), "{err}");
}

#[test]
fn the_board_key_goes_into_escrow_to_an_age_recipient() {
    use age::secrecy::ExposeSecret;
    let db = TestDb::sqlite();
    let dir = db.scratch();
    let (path, seed) = key_file(dir);
    let identity = age::x25519::Identity::generate();
    let identity_file = dir.join("escrow-identity.txt");
    std::fs::write(&identity_file, identity.to_string().expose_secret()).unwrap();
    let escrow = dir.join("escrow.age");
    let recipient = identity.to_public().to_string();
    succeeds(&board_key_cmd(
        &[
            "export",
            "--board-key-file",
            path.to_str().unwrap(),
            "--out",
            escrow.to_str().unwrap(),
            "--recipient",
            &recipient,
        ],
        "",
    ));
    // Another identity opens nothing.
    let other = dir.join("other-identity.txt");
    std::fs::write(
        &other,
        age::x25519::Identity::generate()
            .to_string()
            .expose_secret(),
    )
    .unwrap();
    let restored = dir.join("restored-key");
    let err = fails(&board_key_cmd(
        &[
            "import",
            "--from",
            escrow.to_str().unwrap(),
            "--board-key-file",
            restored.to_str().unwrap(),
            "--identity",
            other.to_str().unwrap(),
        ],
        "",
    ));
    assert!(!err.contains(&seed), "{err}");
    assert!(!restored.exists());
    succeeds(&board_key_cmd(
        &[
            "import",
            "--from",
            escrow.to_str().unwrap(),
            "--board-key-file",
            restored.to_str().unwrap(),
            "--identity",
            identity_file.to_str().unwrap(),
        ],
        "",
    ));
    assert_eq!(std::fs::read_to_string(&restored).unwrap().trim(), seed);
}
