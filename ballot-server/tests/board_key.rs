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

/// `piaojue board-key rotate` ([`key_file::rotate`]) stopped at each point: before its commit
/// the old key stays (the staged key is taken by the next rotation); after it the next start
/// finishes it. A retired key file holding another key is never replaced.
#[tokio::test]
async fn a_rotation_is_atomic_and_replaces_no_retired_key() {
    use piaojue_server::board::key_file;
    let scratch = Scratch::new();
    let file = scratch.key();
    let next = scratch.0.join("board-key.next");
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    let first = s.board.public_key();
    let first_seed = std::fs::read_to_string(&file).unwrap();

    // Crashed before the commit: a key staged, the database unchanged. The start keeps the
    // old key and leaves the staged one; the next rotation takes it.
    let staged = BoardKey::generate(&mut rand::rng());
    std::fs::write(&next, format!("{}\n", hex::encode(&staged.seed()[..]))).unwrap();
    drop(s);
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    assert_eq!(s.board.public_key(), first);
    assert!(next.exists());
    let r = key_file::rotate(&s.db, &file).await.unwrap();
    assert_eq!(r.retired, Some(first));
    assert_eq!(r.current, staged.public());
    assert!(!next.exists());
    assert_eq!(
        std::fs::read_to_string(key_file::retired_path(&file, &first)).unwrap(),
        first_seed
    );
    drop(s);
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    assert_eq!(s.board.public_key(), staged.public());

    // Crashed after the commit: the database records a staged key the key file does not hold.
    // The start finishes the rotation: the staged key becomes the key file, the old one retired.
    let third = BoardKey::generate(&mut rand::rng());
    std::fs::write(&next, format!("{}\n", hex::encode(&third.seed()[..]))).unwrap();
    sqlx::query("UPDATE server_keys SET value = $1 WHERE name = 'board_public_key'")
        .bind(third.public().to_base64())
        .execute(&s.db.pool)
        .await
        .unwrap();
    drop(s);
    let s = AppState::connect(&scratch.url(), &file).await.unwrap();
    assert_eq!(s.board.public_key(), third.public());
    assert!(!next.exists());
    assert_eq!(
        key_file::read(&key_file::retired_path(&file, &staged.public()))
            .unwrap()
            .public(),
        staged.public()
    );

    // A retired key file of the current key's name holding another key: refused, unchanged.
    let planted = key_file::retired_path(&file, &third.public());
    std::fs::write(&planted, &first_seed).unwrap();
    let e = key_file::rotate(&s.db, &file).await.unwrap_err();
    assert!(matches!(e, BoardKeyError::RetiredWrong { .. }), "{e}");
    assert_eq!(std::fs::read_to_string(&planted).unwrap(), first_seed);
    assert_eq!(key_file::read(&file).unwrap().public(), third.public());
    assert!(!next.exists(), "nothing staged");
    let recorded: String =
        sqlx::query_scalar("SELECT value FROM server_keys WHERE name = 'board_public_key'")
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
    assert_eq!(recorded, third.public().to_base64());

    // Another key file than the database's: refused.
    let other = scratch.0.join("other").join("board-key");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, &first_seed).unwrap();
    let e = key_file::rotate(&s.db, &other).await.unwrap_err();
    assert!(matches!(e, BoardKeyError::Mismatch { .. }), "{e}");
}
