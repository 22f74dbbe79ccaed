//! The board's signing key at rest (`ballot-server/src/board/key_file.rs`, issue 19 §3): a file
//! of its own created 0600, never in the database; a key kept in the database by an older
//! version is moved to the file and deleted from the database; a server given another key file
//! for the same database refuses to start instead of signing a second board.

mod scratch;

use piaojue_crypto::board::BoardKey;
use piaojue_server::AppState;
use piaojue_server::StartError;
use piaojue_server::board::key_file::BoardKeyError;
use scratch::Scratch;
use sqlx::Row;

async fn server_keys(s: &AppState) -> Vec<(String, String)> {
    sqlx::query("SELECT name, value FROM server_keys ORDER BY name")
        .fetch_all(&s.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn the_key_lives_in_its_own_file_and_only_its_public_half_in_the_database() {
    let scratch = Scratch::new();
    let file = scratch.0.join("keys").join("board-key");
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    let public = s.board.public_key();
    let seed = std::fs::read_to_string(&file).unwrap();
    assert_eq!(BoardKey::from_hex(seed.trim()).unwrap().public(), public);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600, "the key file");
        assert_eq!(
            mode(&scratch.0.join("board.db")),
            0o600,
            "the database file"
        );
    }
    let rows = server_keys(&s).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "board_public_key");
    assert!(!rows.iter().any(|(_, v)| v.contains(seed.trim())));
    drop(s);

    // A restart with the same file signs with the same key.
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    assert_eq!(s.board.public_key(), public);
    drop(s);

    // Another key file for this database: refused, naming both keys; nothing changes.
    let other = scratch.0.join("other-key");
    let e = AppState::connect(&scratch.url(), &other)
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(e, StartError::Key(BoardKeyError::Mismatch { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("--board-key-file"), "{e}");
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    assert_eq!(s.board.public_key(), public);

    // A file that holds no key: refused.
    std::fs::write(&other, "not a key\n").unwrap();
    let fresh = Scratch::new();
    let e = AppState::connect(&fresh.url(), &other)
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(e, StartError::Key(BoardKeyError::Malformed(_))),
        "{e}"
    );
}

#[tokio::test]
async fn a_key_kept_in_the_database_by_an_older_version_moves_to_the_file() {
    let scratch = Scratch::new();
    let file = scratch.0.join("board-key");
    // An older database: the seed in server_keys, no public key row.
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    let old = BoardKey::generate(&mut rand::rng());
    sqlx::query("DELETE FROM server_keys")
        .execute(&s.db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO server_keys (name, value) VALUES ('board_key', $1)")
        .bind(hex::encode(&old.seed()[..]))
        .execute(&s.db.pool)
        .await
        .unwrap();
    drop(s);
    std::fs::remove_file(&file).unwrap();

    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    assert_eq!(s.board.public_key(), old.public(), "the same board key");
    let seed = std::fs::read_to_string(&file).unwrap();
    assert_eq!(seed.trim(), hex::encode(&old.seed()[..]));
    let rows = server_keys(&s).await;
    assert_eq!(
        rows.len(),
        1,
        "the seed is gone from the database: {rows:?}"
    );
    assert_eq!(rows[0].0, "board_public_key");
}
