//! The board checked against its own signatures before the server serves it (issue 17).
//!
//! For every election: each stored entry's leaf hash is recomputed from its bytes (RFC 9162
//! §2.1.1) and compared with the stored one, the entries' indexes run `0..log_size` without a
//! gap, the Merkle tree of the entries is rebuilt, every stored tree head's size and root are
//! those of that tree (and its log id the election's), and the latest head, of the committed
//! size, carries the signature of the election's board key (the key its manifest names, which
//! `elections.board_key` records: after a rotation, elections made before keep theirs). A database edited behind the board's back (an entry
//! changed, removed or added, a head replaced) is refused, naming the election and the first
//! size at which the stored log and its heads part, instead of being served and signed on.
//!
//! Hashes only, besides one signature per election: 10,000 ballots take a fraction of a
//! second. Entries are read in pages, never all at once.

use piaojue_crypto::board::merkle::{MerkleTree, leaf_hash};
use piaojue_crypto::board::{SignedTreeHead, log_id};
use piaojue_crypto::credential::CredentialKey;
use sqlx::Row;

use sqlx::AnyPool;

/// Entries read per query.
const PAGE: i64 = 2_000;

/// Why an election's board does not verify.
#[derive(Debug, thiserror::Error)]
pub enum BoardCheckError {
    /// The stored log and its signed heads disagree.
    #[error(
        "the board of election {election:?} does not match its signed tree heads from size \
         {size}: {reason}; the database was changed outside the server (restore a backup, or \
         keep it for investigation), refusing to serve it"
    )]
    Mismatch {
        /// The election.
        election: String,
        /// The first tree size (number of entries) at which they disagree.
        size: u64,
        /// What disagrees.
        reason: String,
    },
    /// The election's recorded board key is missing, not a key, or not its manifest's.
    #[error(
        "the board key of election {election:?}: {reason}; the database was changed outside the \
         server (restore a backup, or keep it for investigation), refusing to serve it"
    )]
    Key {
        /// The election.
        election: String,
        /// What is wrong.
        reason: String,
    },
    /// The database.
    #[error("reading the board: {0}")]
    Database(#[from] sqlx::Error),
}

/// What was checked.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Elections.
    pub elections: u64,
    /// Entries, over all elections.
    pub entries: u64,
    /// Signed tree heads, over all elections.
    pub heads: u64,
}

/// Checks every election's board against its signed heads and its own board key: the one
/// `elections.board_key` records, which must be the one its manifest names (`board.key`). Public
/// keys only: what a copy of the database (a backup, a restore) is checked with too.
pub async fn verify_all(pool: &AnyPool) -> Result<Checked, BoardCheckError> {
    let rows =
        match sqlx::query("SELECT id, log_size, board_key, manifest FROM elections ORDER BY id")
            .fetch_all(pool)
            .await
        {
            Ok(rows) => rows,
            // A copy of a schema before 0008 (a backup of an older release, checked before it
            // is migrated): its elections are all signed by the one key it records.
            Err(sqlx::Error::Database(_)) => {
                sqlx::query(
                    "SELECT id, log_size, (SELECT value FROM server_keys \
                     WHERE name = 'board_public_key'), manifest FROM elections ORDER BY id",
                )
                .fetch_all(pool)
                .await?
            }
            Err(e) => return Err(e.into()),
        };
    let elections: Vec<(String, i64, Option<String>, String)> = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let mut checked = Checked::default();
    for (id, size, recorded, manifest) in elections {
        let key = election_key(&id, recorded.as_deref(), &manifest)?;
        let heads = verify_election(pool, &key, &id, size.max(0) as u64).await?;
        checked.elections += 1;
        checked.entries += size.max(0) as u64;
        checked.heads += heads;
    }
    Ok(checked)
}

/// An election's board key: the one recorded for it, if it is the one its manifest names.
fn election_key(
    election: &str,
    recorded: Option<&str>,
    manifest: &str,
) -> Result<CredentialKey, BoardCheckError> {
    let bad = |reason: String| BoardCheckError::Key {
        election: election.to_string(),
        reason,
    };
    let recorded = recorded.ok_or_else(|| bad("none is recorded".into()))?;
    let key = CredentialKey::from_base64(recorded)
        .map_err(|_| bad(format!("the recorded {recorded:?} is not a public key")))?;
    let named = serde_json::from_str::<serde_json::Value>(manifest)
        .ok()
        .and_then(|m| m["board"]["key"].as_str().map(str::to_string));
    if named.as_deref() != Some(key.to_base64().as_str()) {
        return Err(bad(format!(
            "it is recorded as {recorded}, but the manifest names {}",
            named.as_deref().unwrap_or("none")
        )));
    }
    Ok(key)
}

/// Checks one election's log of `size` committed entries; returns how many heads it has.
pub async fn verify_election(
    pool: &AnyPool,
    key: &CredentialKey,
    election: &str,
    size: u64,
) -> Result<u64, BoardCheckError> {
    let bad = |size: u64, reason: String| BoardCheckError::Mismatch {
        election: election.to_string(),
        size,
        reason,
    };
    let tree = rebuild(pool, election, size)
        .await?
        .map_err(|(i, r)| bad(i + 1, r))?;
    let rows =
        sqlx::query("SELECT size, body FROM tree_heads WHERE election_id = $1 ORDER BY size")
            .bind(election)
            .fetch_all(pool)
            .await?;
    let id = log_id(election);
    let mut latest: Option<SignedTreeHead> = None;
    for row in &rows {
        let stored_size: i64 = row.try_get(0)?;
        let stored_size = stored_size.max(0) as u64;
        let text: String = row.try_get(1)?;
        let head: SignedTreeHead = piaojue_crypto::json::from_str(&text).map_err(|e| {
            bad(
                stored_size,
                format!("the head of size {stored_size} does not parse: {e}"),
            )
        })?;
        let s = head.head.size;
        if s != stored_size {
            return Err(bad(
                stored_size.min(s),
                format!("the head stored at size {stored_size} says size {s}"),
            ));
        }
        if s > size {
            return Err(bad(
                size + 1,
                format!("a head of size {s} for a log of {size} entries"),
            ));
        }
        if head.head.log_id != id {
            return Err(bad(s, format!("the head of size {s} is of another log")));
        }
        if tree.root_at(s) != Some(head.head.root.0) {
            return Err(bad(
                s,
                format!("the entries' Merkle root at size {s} is not the head's"),
            ));
        }
        latest = Some(head);
    }
    if size > 0 {
        let Some(latest) = latest else {
            return Err(bad(size, "no signed head".into()));
        };
        if latest.head.size != size {
            return Err(bad(
                latest.head.size + 1,
                format!(
                    "{size} entries, but the latest signed head is of {}",
                    latest.head.size
                ),
            ));
        }
        if !latest.verify(key) {
            return Err(bad(
                size,
                "the latest head is not signed by the election's board key".into(),
            ));
        }
    }
    Ok(rows.len() as u64)
}

/// The tree of an election's first `size` entries, each leaf hash recomputed from the entry's
/// bytes; or the index of the first entry that is missing, misplaced, extra or whose stored hash
/// is not its bytes', and why.
async fn rebuild(
    pool: &AnyPool,
    election: &str,
    size: u64,
) -> Result<Result<MerkleTree, (u64, String)>, sqlx::Error> {
    let mut tree = MerkleTree::new();
    loop {
        let from = tree.len();
        let rows = sqlx::query(
            "SELECT idx, body, leaf_hash FROM board_entries WHERE election_id = $1 AND idx >= $2 \
             ORDER BY idx LIMIT $3",
        )
        .bind(election)
        .bind(from as i64)
        .bind(PAGE)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let idx: i64 = row.try_get(0)?;
            let expected = tree.len();
            if idx != expected as i64 {
                return Ok(Err((expected, format!("entry {expected} is missing"))));
            }
            if expected >= size {
                return Ok(Err((
                    size,
                    format!("entry {expected} is beyond the log's {size} entries"),
                )));
            }
            let body: Vec<u8> = row.try_get(1)?;
            let stored: Vec<u8> = row.try_get(2)?;
            let leaf = leaf_hash(&body);
            if stored.as_slice() != leaf.as_slice() {
                return Ok(Err((
                    expected,
                    format!("entry {expected}'s bytes are not its leaf hash's"),
                )));
            }
            tree.push_leaf_hash(leaf);
        }
    }
    if tree.len() < size {
        let missing = tree.len();
        return Ok(Err((missing, format!("entry {missing} is missing"))));
    }
    Ok(Ok(tree))
}

#[cfg(test)]
mod tests {
    use piaojue_crypto::board::{BoardKey, TreeHead};
    use piaojue_crypto::encoding::Bytes;

    use super::*;
    use crate::db::Db;

    const ENTRIES: u64 = 10_000;

    /// The part of a manifest that names the board key.
    fn manifest_of(key: &CredentialKey) -> String {
        format!("{{\"board\":{{\"key\":\"{}\"}}}}", key.to_base64())
    }

    /// Records `key` as the election's board key, in its manifest too (`both`) or not.
    async fn record_key(db: &Db, key: &CredentialKey, both: bool) {
        sqlx::query("UPDATE elections SET board_key = $1")
            .bind(key.to_base64())
            .execute(&db.pool)
            .await
            .unwrap();
        if both {
            sqlx::query("UPDATE elections SET manifest = $1")
                .bind(manifest_of(key))
                .execute(&db.pool)
                .await
                .unwrap();
        }
    }
    const EVERY: u64 = 50;

    /// A board of `ENTRIES` entries of 2 kB with a signed head every `EVERY` entries.
    async fn board(key: &BoardKey) -> (Db, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("piaojue-verify-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&format!("sqlite:{}", dir.join("t.db").display()))
            .await
            .unwrap();
        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query("INSERT INTO elections (id, state, manifest, created_ms, log_size, board_key) VALUES ('e', 'open', $2, 0, $1, $3)")
            .bind(ENTRIES as i64)
            .bind(manifest_of(&key.public()))
            .bind(key.public().to_base64())
            .execute(&mut *tx)
            .await
            .unwrap();
        let mut tree = MerkleTree::new();
        for i in 0..ENTRIES {
            let body = format!("{{\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(2000)).into_bytes();
            let leaf = leaf_hash(&body);
            tree.push_leaf_hash(leaf);
            sqlx::query("INSERT INTO board_entries (election_id, idx, kind, body, leaf_hash) VALUES ('e', $1, 'ballot', $2, $3)")
                .bind(i as i64)
                .bind(body)
                .bind(leaf.to_vec())
                .execute(&mut *tx)
                .await
                .unwrap();
            let size = i + 1;
            if size % EVERY == 0 {
                let head = key.sign(TreeHead {
                    log_id: log_id("e"),
                    size,
                    root: Bytes(tree.root_at(size).unwrap()),
                    timestamp_ms: size,
                });
                sqlx::query(
                    "INSERT INTO tree_heads (election_id, size, body) VALUES ('e', $1, $2)",
                )
                .bind(size as i64)
                .bind(serde_json::to_string(&head).unwrap())
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
        (db, dir)
    }

    #[tokio::test]
    async fn ten_thousand_entries_verify_and_a_forged_head_or_key_is_found() {
        let key = BoardKey::generate(&mut rand::rng());
        let (db, dir) = board(&key).await;
        let started = std::time::Instant::now();
        let checked = verify_all(&db.pool).await.unwrap();
        // Printed, not asserted (no timed assertions): the README's "well under a second".
        println!(
            "{ENTRIES} entries, {} heads verified in {:?}",
            checked.heads,
            started.elapsed()
        );
        assert_eq!(
            checked,
            Checked {
                elections: 1,
                entries: ENTRIES,
                heads: ENTRIES / EVERY
            }
        );

        // Another key recorded, not the manifest's: refused, naming both.
        let other = BoardKey::generate(&mut rand::rng());
        record_key(&db, &other.public(), false).await;
        let e = verify_all(&db.pool).await.unwrap_err();
        assert!(matches!(e, BoardCheckError::Key { .. }), "{e}");
        assert!(e.to_string().contains(&other.public().to_base64()), "{e}");
        assert!(e.to_string().contains(&key.public().to_base64()), "{e}");
        // Another key in the manifest too: the latest head's signature fails.
        record_key(&db, &other.public(), true).await;
        let e = verify_all(&db.pool).await.unwrap_err();
        assert!(
            e.to_string()
                .contains("not signed by the election's board key"),
            "{e}"
        );
        record_key(&db, &key.public(), true).await;
        verify_all(&db.pool).await.unwrap();

        // A head in the middle replaced by one (signed by the board's key) of another root.
        let forged = key.sign(TreeHead {
            log_id: log_id("e"),
            size: 5_000,
            root: Bytes([7; 32]),
            timestamp_ms: 1,
        });
        sqlx::query("UPDATE tree_heads SET body = $1 WHERE election_id = 'e' AND size = 5000")
            .bind(serde_json::to_string(&forged).unwrap())
            .execute(&db.pool)
            .await
            .unwrap();
        let e = verify_all(&db.pool).await.unwrap_err();
        assert!(
            matches!(e, BoardCheckError::Mismatch { size: 5_000, .. }),
            "{e}"
        );

        // The log said to be longer than its entries.
        sqlx::query("UPDATE elections SET log_size = log_size + 1")
            .execute(&db.pool)
            .await
            .unwrap();
        let e = verify_all(&db.pool).await.unwrap_err();
        assert!(
            matches!(e, BoardCheckError::Mismatch { size: 10_001, .. }),
            "{e}"
        );
        db.pool.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
