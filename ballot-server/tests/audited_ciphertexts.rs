//! An audited ballot's ciphertexts are never cast, and a cast ballot's are never audited
//! (issue 14 §5; `spec/verification.md` V6.3, `spec/api.md` §4.4). The attack: a ballot is
//! audited (its opening is public), then the same ciphertexts and proofs are signed again by
//! the credential with another nonce (another tracking code) and cast, to count a vote anyone
//! can read (vote selling; a cheating booth that is audited and then casts the same
//! encryption). The board refuses it with 409 `audited_ciphertexts` and appends nothing, in
//! either order, when the two race (in one batch of the log writer or in two), and on a
//! database from before the table of ciphertexts (filled in from the entries at start).
//!
//! Each scenario runs on SQLite, and on PostgreSQL when `PIAOJUE_TEST_POSTGRES_URL` is set.

mod scratch;

use std::collections::HashSet;
use std::time::Duration;

use curve25519_dalek::EdwardsPoint;
use ed25519_dalek::SigningKey;
use piaojue_crypto::Scalar;
use piaojue_crypto::ballot::{AuditedBallot, Ballot, BallotOpening, Selection};
use piaojue_crypto::board::{Entry, Event, Receipt, SignedTreeHead};
use piaojue_crypto::credential::Credential;
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_server::AppState;
use piaojue_server::demo::{self, DEMO_ID};
use piaojue_server::error::{ApiError, ApiResult};
use rand::RngExt;
use scratch::{Scratch, ScratchPostgres};
use sha2::{Digest, Sha512};
use sqlx::Connection;

/// Deputies of the test election (one credential per scenario step).
const DEPUTIES: usize = 12;

/// Runs a scenario `async fn name(url, scratch)` on SQLite and, if configured, PostgreSQL.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = super::Scratch::new();
                super::$name(&dir.url(), &dir).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = super::ScratchPostgres::new().await else {
                    println!("skipped: PIAOJUE_TEST_POSTGRES_URL is not set");
                    return;
                };
                let dir = super::Scratch::new();
                super::$name(&db.url(), &dir).await;
            }
        }
    };
}

on_both!(audited_then_cast);
on_both!(cast_then_audited);
on_both!(racing_in_one_batch);
on_both!(racing_at_once);
on_both!(database_from_before);

/// The demo election, open, on `url`, and its deputies' credentials.
async fn election(url: &str, dir: &Scratch) -> (AppState, Vec<Credential>) {
    let s = AppState::connect(url, &dir.key()).await.expect("connect");
    let info = demo::setup(&s, &dir.0, DEPUTIES).await.expect("the demo");
    let creds = std::fs::read_to_string(info.dir.join("credentials.txt"))
        .expect("the demo's credentials")
        .lines()
        .map(|l| Credential::from_hex(l).expect("a credential"))
        .collect();
    (s, creds)
}

/// A fresh ballot of `credential` for project `choice`, with its opening.
async fn ballot(s: &AppState, credential: &Credential, choice: usize) -> (Ballot, BallotOpening) {
    let opened = s
        .elections
        .opened(&s.db, &s.board, DEMO_ID)
        .await
        .expect("open");
    let selection =
        Selection::from_chosen(&opened.ctx.manifest, &[vec![choice]]).expect("a selection");
    let (b, secrets) =
        Ballot::build(&opened.ctx, credential, &selection, &mut rand::rng()).expect("built");
    (b, secrets.open())
}

/// The same ballot (ciphertexts and proofs) signed again by `credential` with a random nonce:
/// a valid signature (RFC 8032 signing is deterministic, but any nonce verifies), another
/// tracking code.
fn resigned(b: &Ballot, credential: &Credential) -> Ballot {
    let key = SigningKey::from_bytes(&credential.seed());
    let wide: [[u8; 32]; 2] = [rand::rng().random(), rand::rng().random()];
    let r = Scalar::from_bytes_mod_order_wide(&wide.concat().try_into().expect("64 bytes"));
    let nonce = EdwardsPoint::mul_base(&r).compress().to_bytes();
    let message = b.signed_bytes();
    let k = Sha512::new()
        .chain_update(nonce)
        .chain_update(key.verifying_key().to_bytes())
        .chain_update(&message);
    let k = Scalar::from_bytes_mod_order_wide(&k.finalize().into());
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&nonce);
    signature[32..].copy_from_slice((r + k * key.to_scalar()).as_bytes());
    let mut out = b.clone();
    out.signature = Bytes(signature);
    assert!(credential.public().verify(&message, &signature));
    assert_ne!(out.tracking_code(), b.tracking_code());
    assert_eq!(out.ciphertexts_hash(), b.ciphertexts_hash());
    out
}

async fn cast(s: &AppState, b: &Ballot) -> ApiResult<Receipt> {
    let body = serde_json::to_vec(b).expect("serializes");
    s.elections
        .cast(&s.db, &s.board, DEMO_ID, body.into())
        .await
}

async fn audit(s: &AppState, b: &Ballot, opening: &BallotOpening) -> ApiResult<Receipt> {
    let audited = AuditedBallot {
        ballot: b.clone(),
        opening: opening.clone(),
    };
    s.elections.audit(&s.db, &s.board, DEMO_ID, audited).await
}

async fn head(s: &AppState) -> SignedTreeHead {
    s.board.head(DEMO_ID).await.expect("a head")
}

/// The refusal's message, after checking that it is a 409 `code`.
fn refused(outcome: ApiResult<Receipt>, code: &str) -> String {
    match outcome {
        Err(e) => {
            assert_eq!(e.code(), code, "{e}");
            assert!(matches!(
                e,
                ApiError::Conflict(_) | ApiError::AuditedCiphertexts(_)
            ));
            e.to_string()
        }
        Ok(r) => panic!("accepted as entry {}; want 409 {code}", r.index),
    }
}

/// V6.3 on the board as it is: no ciphertexts are both cast and audited.
async fn assert_never_both(s: &AppState) {
    let mut cast = HashSet::new();
    let mut audited: Vec<Digest32> = Vec::new();
    for bytes in s.board.entries(DEMO_ID, 0, 100_000).await.expect("entries") {
        match Entry::from_bytes(&bytes).expect("an entry").event {
            Event::Ballot(b) => {
                cast.insert(b.ciphertexts_hash());
            }
            Event::Audited(a) => audited.push(a.ballot.ciphertexts_hash()),
            _ => {}
        }
    }
    assert!(
        !cast.is_empty() || !audited.is_empty(),
        "ballots on the board"
    );
    for d in audited {
        assert!(
            !cast.contains(&d),
            "ciphertexts {d} are both cast and audited"
        );
    }
}

async fn audited_then_cast(url: &str, dir: &Scratch) {
    let (s, creds) = election(url, dir).await;
    let deputy = &creds[0];
    let (b, opening) = ballot(&s, deputy, 3).await;
    audit(&s, &b, &opening).await.expect("audited");

    // The audited ballot itself: its tracking code is on the board.
    let before = head(&s).await;
    refused(cast(&s, &b).await, "conflict");
    // Signed again (another tracking code): its ciphertexts are the audited ones.
    let message = refused(cast(&s, &resigned(&b, deputy)).await, "audited_ciphertexts");
    assert!(message.contains("audited ballot"), "{message}");
    assert_eq!(head(&s).await, before, "nothing appended");

    // The same ciphertexts audited again are not refused (V6.3 compares cast with audited
    // only), and the deputy still casts a ballot of their own.
    audit(&s, &resigned(&b, deputy), &opening)
        .await
        .expect("audited again");
    let (fresh, _) = ballot(&s, deputy, 3).await;
    let receipt = cast(&s, &fresh).await.expect("an honest ballot");
    assert_eq!(receipt.tracking_code, fresh.tracking_code());
    assert_never_both(&s).await;
}

async fn cast_then_audited(url: &str, dir: &Scratch) {
    let (s, creds) = election(url, dir).await;
    let deputy = &creds[1];
    let (b, opening) = ballot(&s, deputy, 5).await;
    cast(&s, &b).await.expect("cast");

    // Auditing the counted ciphertexts (under another tracking code) would publish the vote.
    let before = head(&s).await;
    let message = refused(
        audit(&s, &resigned(&b, deputy), &opening).await,
        "audited_ciphertexts",
    );
    assert!(message.contains("cast ballot"), "{message}");
    refused(audit(&s, &b, &opening).await, "conflict");
    assert_eq!(head(&s).await, before, "nothing appended");

    // An audit of a fresh ballot of the same deputy is accepted.
    let (other, opening) = ballot(&s, deputy, 5).await;
    audit(&s, &other, &opening).await.expect("an honest audit");
    assert_never_both(&s).await;
}

type Posting = tokio::task::JoinHandle<ApiResult<Receipt>>;

/// A fresh ballot of `deputy`, posted twice at once: re-signed and cast, and audited.
async fn cast_and_audit(s: &AppState, deputy: &Credential, choice: usize) -> (Posting, Posting) {
    let (b, opening) = ballot(s, deputy, choice).await;
    let again = resigned(&b, deputy);
    let (s1, s2) = (s.clone(), s.clone());
    (
        tokio::spawn(async move { cast(&s1, &again).await }),
        tokio::spawn(async move { audit(&s2, &b, &opening).await }),
    )
}

/// Of the cast and the audit of [`cast_and_audit`], exactly one is accepted, whichever the
/// writer takes first; the other is refused with 409 `audited_ciphertexts`.
async fn one_of((cast, audit): (Posting, Posting)) {
    match (cast.await.expect("joined"), audit.await.expect("joined")) {
        (Ok(_), Err(e)) | (Err(e), Ok(_)) => {
            assert_eq!(e.code(), "audited_ciphertexts", "{e}");
        }
        (c, a) => panic!("want exactly one accepted: cast {c:?}, audit {a:?}"),
    }
}

/// The cast and the audit of the same ciphertexts are committed in one batch of the log
/// writer: the election's write lock is held (as another process's writer would hold it) while
/// an honest ballot takes the writer's current batch and the pair queues for the next one.
async fn racing_in_one_batch(url: &str, dir: &Scratch) {
    let (s, creds) = election(url, dir).await;
    let (honest, _) = ballot(&s, &creds[2], 1).await;
    // The election's writer exists before the lock is taken.
    cast(&s, &ballot(&s, &creds[4], 0).await.0)
        .await
        .expect("cast");

    let mut conn = s.db.pool.acquire().await.expect("a connection");
    let mut lock = Connection::begin_with(&mut *conn, s.db.begin_write())
        .await
        .expect("begin");
    sqlx::query("UPDATE elections SET lock_version = lock_version WHERE id = $1")
        .bind(DEMO_ID)
        .execute(&mut *lock)
        .await
        .expect("the election's write lock");
    let first = tokio::spawn({
        let s = s.clone();
        async move { cast(&s, &honest).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pair = cast_and_audit(&s, &creds[3], 2).await;
    // Both verified and waiting in the writer's queue behind the honest ballot.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    lock.rollback().await.expect("released");
    drop(conn);
    first.await.expect("joined").expect("the honest ballot");
    one_of(pair).await;
    assert_never_both(&s).await;
}

/// Pairs posted all at once, through the verification queue and the writer as they come.
async fn racing_at_once(url: &str, dir: &Scratch) {
    let (s, creds) = election(url, dir).await;
    let mut pairs = Vec::new();
    for (i, deputy) in creds.iter().enumerate().take(8) {
        pairs.push(cast_and_audit(&s, deputy, i % 13).await);
    }
    for pair in pairs {
        one_of(pair).await;
    }
    assert_never_both(&s).await;
}

/// A database whose ballots were posted before the table of ciphertexts: migration 0005 lists
/// its elections; the next start fills the table in before the election's writer appends.
async fn database_from_before(url: &str, dir: &Scratch) {
    let (s, creds) = election(url, dir).await;
    let (audited, opening) = ballot(&s, &creds[0], 7).await;
    audit(&s, &audited, &opening).await.expect("audited");
    let (counted, counted_opening) = ballot(&s, &creds[1], 8).await;
    cast(&s, &counted).await.expect("cast");
    for sql in [
        "DELETE FROM ballot_ciphertexts WHERE election_id = $1",
        "INSERT INTO ballot_ciphertexts_backfill (election_id) VALUES ($1)",
    ] {
        sqlx::query(sql)
            .bind(DEMO_ID)
            .execute(&s.db.pool)
            .await
            .expect("as before the table");
    }
    drop(s);

    // The next start.
    let s = AppState::connect(url, &dir.key()).await.expect("restart");
    let before = head(&s).await;
    refused(
        cast(&s, &resigned(&audited, &creds[0])).await,
        "audited_ciphertexts",
    );
    refused(
        audit(&s, &resigned(&counted, &creds[1]), &counted_opening).await,
        "audited_ciphertexts",
    );
    assert_eq!(head(&s).await, before, "nothing appended");
    let (rows, listed): (i64, i64) = (
        sqlx::query_scalar("SELECT COUNT(*) FROM ballot_ciphertexts WHERE election_id = $1")
            .bind(DEMO_ID)
            .fetch_one(&s.db.pool)
            .await
            .expect("rows"),
        sqlx::query_scalar("SELECT COUNT(*) FROM ballot_ciphertexts_backfill")
            .fetch_one(&s.db.pool)
            .await
            .expect("listed"),
    );
    assert_eq!(
        (rows, listed),
        (2, 0),
        "filled in once, and no longer listed"
    );
    let (fresh, _) = ballot(&s, &creds[0], 7).await;
    cast(&s, &fresh).await.expect("an honest ballot");
    assert_never_both(&s).await;
}
