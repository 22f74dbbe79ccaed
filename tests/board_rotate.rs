//! The board key rotated for a new election (issue 17, `piaojue board-key rotate`).
//!
//! An election opened and voted in, the server stopped, the key rotated, the server started
//! again: the old election goes on (ballots, close, tally, publish) signed by the key it was
//! made with, its record verifies pinned to that key and not to the new one; a new election's
//! manifest, heads and receipts are the new key's; `GET /api/board-key` lists both keys with
//! their elections; the retired key goes into escrow and back (`export --key`, `import
//! --retired`). A rotation that would replace a retired key file is refused and changes
//! nothing; a missing retired key file refuses the start, naming the election and the key; no
//! seed appears in any output or log. SQLite always, PostgreSQL when `PIAOJUE_TEST_POSTGRES_URL`
//! is set.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::election::{Election, expect, test_rng};
use common::{Server, TestDb, decode};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::{Note, Receipt, SignatureType, SignedTreeHead, VerifierKey};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use serde_json::Value;

const DEPUTIES: usize = 6;

fn piaojue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PIAOJUE_BOARD_KEY_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("run piaojue")
}

/// Both output streams of a command.
fn output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn rotate(db: &TestDb) -> Output {
    piaojue(&[
        "board-key",
        "rotate",
        "--data-dir",
        db.data_dir().to_str().unwrap(),
        "--database-url",
        &db.url,
    ])
}

fn seed_in(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_string()
}

fn ballot(e: &Election, server: &Server, d: usize) -> Ballot {
    let ctx = e.context(&server.public());
    let sel = Selection::from_chosen(&e.manifest, &[vec![d % 3]]).unwrap();
    Ballot::build(&ctx, &e.credentials[d], &sel, &mut test_rng(173, d as u64))
        .unwrap()
        .0
}

fn cast(server: &Server, e: &Election, d: usize) -> Receipt {
    decode(&expect(
        server
            .public()
            .post(&e.path("/ballots"), &ballot(e, server, d)),
        201,
    ))
}

fn heads(server: &Server, e: &Election) -> Vec<SignedTreeHead> {
    decode(&expect(server.public().get(&e.path("/board/heads")), 200))
}

/// The election's current checkpoint, as a signed note.
fn checkpoint(server: &Server, e: &Election) -> Note {
    let (status, body) = server.public().get_bytes(&e.path("/board/checkpoint"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    Note::parse(&body).unwrap()
}

fn signed_by(note: &Note, origin: &str, key: &CredentialKey) -> bool {
    let vk = VerifierKey::new(origin, SignatureType::Ed25519, *key).unwrap();
    note.verify(&[vk]).is_ok()
}

fn board_key(server: &Server) -> Value {
    expect(server.public().get("/api/board-key"), 200)
}

fn key_of(v: &Value) -> CredentialKey {
    decode(v)
}

/// Starts `piaojue serve` on `db` expecting it to refuse to start; returns its output.
fn start_refused(db: &TestDb) -> String {
    let out = piaojue(&[
        "serve",
        "--database-url",
        &db.url,
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        db.data_dir().to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "started: {}", output(&out));
    output(&out)
}

#[test]
fn an_election_made_before_a_rotation_keeps_its_key_sqlite() {
    rotation(TestDb::sqlite());
}

#[test]
fn an_election_made_before_a_rotation_keeps_its_key_postgres() {
    if let Some(db) = TestDb::postgres() {
        rotation(db);
    }
}

fn rotation(db: TestDb) {
    let name = |what: &str| format!("rotate-{what}-{:?}", db.backend).to_lowercase();
    let mut server = Server::start(&db);
    let m = samples::up_to_k_of_n(&name("old"), 3, 2, TellerParams { n: 3, t: 2 });
    let old_e = Election::prepare_open(&server.staff(), m, DEPUTIES, &mut test_rng(172, 0));
    cast(&server, &old_e, 0);
    cast(&server, &old_e, 1);
    let old_key = key_of(&board_key(&server)["board_key"]);
    assert_eq!(old_e.manifest.board.key, old_key);
    let mut logs = server.log();
    server.kill();

    let key_file = db.data_dir().join("board-key");
    let retired = db
        .data_dir()
        .join("retired-board-keys")
        .join(old_key.to_base64());
    let old_seed = seed_in(&key_file);
    assert!(!retired.exists());

    // Rotated, with the server stopped.
    let out = rotate(&db);
    assert!(out.status.success(), "{}", output(&out));
    let said = output(&out);
    logs.push_str(&said);
    let new_seed = seed_in(&key_file);
    assert_ne!(new_seed, old_seed);
    assert_eq!(seed_in(&retired), old_seed, "the old key is kept");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&retired).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the retired key file");
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the new key file");
    }
    let new_key = piaojue_crypto::board::BoardKey::from_hex(&new_seed)
        .unwrap()
        .public();
    assert!(said.contains(&new_key.to_base64()), "{said}");
    assert!(said.contains(&old_key.to_base64()), "{said}");
    let leftovers: Vec<_> = std::fs::read_dir(db.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("board-key."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The retired key into escrow (`export --key`) and back as a retired key (`import
    // --retired`) beside another key file.
    let escrow = db.scratch().join("retired.age");
    let elsewhere = db.scratch().join("elsewhere").join("board-key");
    let board_key_cmd = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
            .arg("board-key")
            .args(args)
            .env("PIAOJUE_BOARD_KEY_PASSPHRASE", "escrow passphrase")
            .env_remove("PIAOJUE_BOARD_KEY_FILE")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", output(&out));
        output(&out)
    };
    logs.push_str(&board_key_cmd(&[
        "export",
        "--data-dir",
        db.data_dir().to_str().unwrap(),
        "--key",
        &old_key.to_base64(),
        "--out",
        escrow.to_str().unwrap(),
    ]));
    logs.push_str(&board_key_cmd(&[
        "import",
        "--retired",
        "--from",
        escrow.to_str().unwrap(),
        "--board-key-file",
        elsewhere.to_str().unwrap(),
    ]));
    assert!(!elsewhere.exists(), "no key file made");
    let back = elsewhere
        .parent()
        .unwrap()
        .join("retired-board-keys")
        .join(old_key.to_base64());
    assert_eq!(seed_in(&back), old_seed);

    // Another rotation that would replace a retired key's file (one planted under the current
    // key's name): refused, nothing changed.
    let planted = db
        .data_dir()
        .join("retired-board-keys")
        .join(new_key.to_base64());
    std::fs::write(&planted, format!("{old_seed}\n")).unwrap();
    let out = rotate(&db);
    assert!(!out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains(&planted.display().to_string()),
        "{}",
        output(&out)
    );
    logs.push_str(&output(&out));
    assert_eq!(seed_in(&key_file), new_seed);
    assert_eq!(seed_in(&planted), old_seed);
    std::fs::remove_file(&planted).unwrap();

    // Started again: the key of new elections is the new one; both are listed.
    let mut server = Server::start(&db);
    let keys = board_key(&server);
    assert_eq!(key_of(&keys["board_key"]), new_key);
    assert_eq!(
        keys["keys"],
        serde_json::json!([
            { "board_key": new_key.to_base64(), "elections": [] },
            { "board_key": old_key.to_base64(), "elections": [old_e.id] },
        ]),
    );

    // The old election goes on under its key: ballots, checkpoint, close, tally, publish.
    for d in 2..DEPUTIES {
        let r = cast(&server, &old_e, d);
        assert!(r.verify(&old_key).is_ok(), "the receipt of ballot {d}");
        assert!(r.verify(&new_key).is_err());
        if d == 2 {
            // Checked against the server without a pinned key: the verifier takes the key
            // GET /api/board-key lists with the receipt's election, not the current one.
            let file = db.scratch().join("receipt.json");
            std::fs::write(&file, serde_json::to_vec(&r).unwrap()).unwrap();
            let f = file.to_str().unwrap();
            let out = piaojue(&[
                "verify",
                "--lang",
                "en",
                "receipt",
                f,
                "--url",
                &server.base,
            ]);
            assert!(out.status.success(), "{}", output(&out));
        }
    }
    let note = checkpoint(&server, &old_e);
    assert!(signed_by(&note, &old_e.manifest.board.origin, &old_key));
    assert!(!signed_by(&note, &old_e.manifest.board.origin, &new_key));
    let staff = server.staff();
    let public = server.public();
    expect(staff.post_empty(&old_e.path("/close")), 201);
    let mut rng = test_rng(174, 0);
    for j in [1u32, 3] {
        let share = old_e.share(&public, j, &mut rng);
        expect(public.post(&old_e.path("/decryption-shares"), &share), 201);
    }
    assert_eq!(old_e.state(&public), "tallied");
    expect(staff.post_empty(&old_e.path("/publish")), 201);
    let old_heads = heads(&server, &old_e);
    assert!(old_heads.iter().all(|h| h.verify(&old_key)));

    // Its record carries its key, and verifies pinned to it, not to the new one.
    let record = expect(public.get(&old_e.path("/record")), 200);
    assert_eq!(key_of(&record["board"]["info"]["board_key"]), old_key);
    let file = db.scratch().join("old-record.json");
    std::fs::write(&file, serde_json::to_vec(&record).unwrap()).unwrap();
    let verify_pinned = |key: &CredentialKey| {
        let f = file.to_str().unwrap();
        piaojue(&[
            "verify",
            "--lang",
            "en",
            "record",
            f,
            "--board-key",
            &key.to_base64(),
        ])
    };
    let out = verify_pinned(&old_key);
    assert!(out.status.success(), "{}", output(&out));
    let out = verify_pinned(&new_key);
    assert!(!out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains("not the key given with --board-key"),
        "{}",
        output(&out)
    );

    // A new election is the new key's: manifest, heads, receipts, checkpoint.
    let m = samples::up_to_k_of_n(&name("new"), 3, 2, TellerParams { n: 3, t: 2 });
    let new_e = Election::prepare_open(&staff, m, DEPUTIES, &mut test_rng(175, 0));
    assert_eq!(new_e.manifest.board.key, new_key);
    let r = cast(&server, &new_e, 0);
    assert!(r.verify(&new_key).is_ok());
    assert!(heads(&server, &new_e).iter().all(|h| h.verify(&new_key)));
    assert!(!heads(&server, &new_e).iter().any(|h| h.verify(&old_key)));
    let note = checkpoint(&server, &new_e);
    assert!(signed_by(&note, &new_e.manifest.board.origin, &new_key));
    let keys = board_key(&server);
    assert_eq!(keys["keys"][0]["elections"], serde_json::json!([new_e.id]));
    logs.push_str(&server.log());
    server.kill();

    // The retired key's file gone: the start is refused, naming the election and the key.
    let aside = db.scratch().join("aside");
    std::fs::rename(&retired, &aside).unwrap();
    let refused = start_refused(&db);
    assert!(refused.contains(&old_e.id), "{refused}");
    assert!(refused.contains(&old_key.to_base64()), "{refused}");
    assert!(refused.contains("retired board key"), "{refused}");
    logs.push_str(&refused);
    std::fs::rename(&aside, &retired).unwrap();
    let server = Server::start(&db);
    assert_eq!(heads(&server, &old_e), old_heads);
    logs.push_str(&server.log());

    // No seed, in any form, in any output or log.
    for seed in [&old_seed, &new_seed] {
        assert!(
            !logs.to_lowercase().contains(&seed.to_lowercase()),
            "a seed was printed"
        );
    }
}
