//! The witness's `add-checkpoint` and `checkpoint` answers, one test per status code with the
//! input that causes it, a forking log, and a restart on the same state file.

use std::path::PathBuf;
use std::sync::Arc;

use piaojue_crypto::board::{
    BoardKey, Checkpoint, Note, NoteSignature, VerifierKey, WitnessKey, log_origin,
};
use piaojue_witness::sample::{SampleLog, request_body as body};
use piaojue_witness::{Policy, SIZE_CONTENT_TYPE, Witness, origin_hash};

const BOARD: &str = "board.example/county";
const WITNESS: &str = "witness.example/w1";

/// A log of one election on the board `BOARD`, `n` entries labelled `branch`.
fn new_log(election: &str, key_seed: u8, branch: &str, n: u64) -> SampleLog {
    let mut log = SampleLog::new(
        &log_origin(BOARD, election),
        BoardKey::from_seed(&[key_seed; 32]),
    );
    log.grow_to(branch, n);
    log
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("piaojue-witness-{:016x}", rand_u64()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn policy() -> Policy {
    let mut p = Policy::new();
    p.add_board(BOARD, BoardKey::from_seed(&[1; 32]).public())
        .unwrap();
    p
}

async fn witness(state: &std::path::Path) -> Witness {
    Witness::open(WITNESS, WitnessKey::from_seed(&[9; 32]), policy(), state)
        .await
        .unwrap()
}

/// Checks a 200 answer: one cosignature line by the witness over `cp`.
fn cosignature(w: &Witness, cp: &Checkpoint, body: &str) -> NoteSignature {
    let sigs = NoteSignature::parse_lines(body).unwrap();
    assert_eq!(sigs.len(), 1);
    let vk: VerifierKey = w.verifier_key();
    assert!(vk.verify(&cp.text(), &sigs[0]), "the cosignature verifies");
    assert!(sigs[0].timestamp().unwrap() > 0);
    sigs.into_iter().next().unwrap()
}

#[tokio::test]
async fn every_status_code() {
    let d = dir();
    let w = witness(&d.join("state.db")).await;
    let log = new_log("e1", 1, "a", 8);

    // 200: first checkpoint from old size 0.
    let r = w.add_checkpoint(log.request(0, 3).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    cosignature(&w, &log.checkpoint(3), &r.body);

    // 400: malformed; old size above the checkpoint's.
    assert_eq!(w.add_checkpoint(b"old 3\n").await.status, 400);
    assert_eq!(w.add_checkpoint(b"nonsense").await.status, 400);
    assert_eq!(
        w.add_checkpoint(log.request(0, 3).replacen("old 0", "old 4", 1).as_bytes())
            .await
            .status,
        400
    );

    // 404: an unknown origin (another board; a malformed election id).
    let other = SampleLog {
        origin: log_origin("board.example/elsewhere", "e1"),
        ..new_log("e1", 1, "a", 8)
    };
    assert_eq!(
        w.add_checkpoint(other.request(0, 3).as_bytes())
            .await
            .status,
        404
    );
    let bad_id = SampleLog {
        origin: format!("{BOARD}/E1"),
        ..new_log("e1", 1, "a", 8)
    };
    assert_eq!(
        w.add_checkpoint(bad_id.request(0, 3).as_bytes())
            .await
            .status,
        404
    );

    // 403: signed by another key; the right key's signature altered; no trusted signature.
    let forger = new_log("e1", 2, "a", 8);
    let r = w.add_checkpoint(forger.request(3, 5).as_bytes()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let good = log.request(3, 5);
    let sig_at = good.find("\u{2014} ").unwrap() + 2 + log.origin.len() + 1 + 10;
    let mut tampered = good.clone().into_bytes();
    tampered[sig_at] = if tampered[sig_at] == b'A' { b'B' } else { b'A' };
    assert_eq!(w.add_checkpoint(&tampered).await.status, 403);
    let cp = log.checkpoint(5);
    let unsigned = Note::new(
        cp.text(),
        vec![BoardKey::from_seed(&[1; 32]).sign_note("other/name", &cp.text())],
    )
    .unwrap();
    assert_eq!(
        w.add_checkpoint(
            body(
                3,
                &log.tree.consistency_proof(3, 5).unwrap(),
                &unsigned.to_string()
            )
            .as_bytes()
        )
        .await
        .status,
        403
    );

    // 409: an old size that is not the latest cosigned, with the latest in the body.
    let r = w.add_checkpoint(log.request(2, 5).as_bytes()).await;
    assert_eq!(
        (r.status, r.content_type, r.body.as_str()),
        (409, SIZE_CONTENT_TYPE, "3\n")
    );
    let r = w.add_checkpoint(log.request(0, 5).as_bytes()).await;
    assert_eq!((r.status, r.body.as_str()), (409, "3\n"));

    // 422: a wrong proof; a proof from old size 0; another root for the same size.
    let mut wrong = log.tree.consistency_proof(3, 5).unwrap();
    wrong[0][0] ^= 1;
    let r = w
        .add_checkpoint(body(3, &wrong, &log.note(&log.checkpoint(5))).as_bytes())
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        w.add_checkpoint(body(3, &[], &log.note(&log.checkpoint(5))).as_bytes())
            .await
            .status,
        422
    );
    let fork = new_log("e1", 1, "b", 8);
    assert_eq!(
        w.add_checkpoint(fork.request(3, 3).as_bytes()).await.status,
        422
    );
    // A size-0 checkpoint with another root than the empty tree's, on a fresh log.
    let e2 = new_log("e2", 1, "a", 2);
    let cp0 = Checkpoint {
        size: 0,
        ..e2.checkpoint(1)
    };
    assert_eq!(
        w.add_checkpoint(body(0, &[], &e2.note(&cp0)).as_bytes())
            .await
            .status,
        422
    );
    let fresh = new_log("e3", 1, "a", 2);
    let r = w
        .add_checkpoint(body(0, &[[0; 32]], &fresh.note(&fresh.checkpoint(2))).as_bytes())
        .await;
    assert_eq!(r.status, 422);

    // The empty tree is fine, and so is growing from it.
    let r = w.add_checkpoint(e2.request(0, 0).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        w.add_checkpoint(e2.request(0, 2).as_bytes()).await.status,
        200
    );

    // After all those refusals, the log still grows from 3, and the same size again is cosigned.
    let r = w.add_checkpoint(log.request(3, 8).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    cosignature(&w, &log.checkpoint(8), &r.body);
    assert_eq!(
        w.add_checkpoint(log.request(8, 8).as_bytes()).await.status,
        200
    );
    // A smaller tree after a larger one: 409 (its old size can only be 8, above its size: 400).
    assert_eq!(
        w.add_checkpoint(log.request(0, 5).as_bytes()).await.status,
        409
    );
    assert_eq!(
        w.add_checkpoint(log.request(5, 5).as_bytes()).await.status,
        409
    );

    // Evidence: the two proofs that do not verify and the second root of size 3, not the 403s
    // or the 409s.
    let evidence = w.store().evidence(&log.origin).await.unwrap();
    let reasons: Vec<&str> = evidence.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[2].contains("another root"), "{reasons:?}");

    // GET checkpoint: the latest, with the board's signature and the cosignature.
    let r = w.checkpoint(&origin_hash(&log.origin)).await;
    assert_eq!(r.status, 200);
    let note = Note::parse(r.body.as_bytes()).unwrap();
    assert_eq!(Checkpoint::parse(note.text()).unwrap(), log.checkpoint(8));
    let board_vk = log.key.verifier_key(&log.origin).unwrap();
    let trusted = [board_vk.clone(), w.verifier_key()];
    assert_eq!(note.verify(&trusted).unwrap().len(), 2);
    assert_eq!(w.checkpoint(&origin_hash("nobody")).await.status, 404);
    assert_eq!(w.checkpoint("not-hex").await.status, 404);
    assert_eq!(
        w.checkpoint(&origin_hash(&log.origin).to_uppercase())
            .await
            .status,
        404
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[tokio::test]
async fn a_forking_log_gets_one_branch_cosigned() {
    let d = dir();
    let w = witness(&d.join("state.db")).await;
    let mut a = new_log("fork", 1, "a", 4);
    let mut b = new_log("fork", 1, "a", 4);
    assert_eq!(
        w.add_checkpoint(a.request(0, 4).as_bytes()).await.status,
        200
    );
    // The branches part after entry 4.
    a.grow_to("a", 8);
    b.grow_to("b", 8);
    assert_eq!(
        w.add_checkpoint(a.request(4, 6).as_bytes()).await.status,
        200
    );
    // b from 4: the witness is at 6 → 409 "6"; from 6 with b's own proof: refused.
    let r = w.add_checkpoint(b.request(4, 8).as_bytes()).await;
    assert_eq!((r.status, r.body.as_str()), (409, "6\n"));
    let r = w.add_checkpoint(b.request(6, 8).as_bytes()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = w.add_checkpoint(b.request(6, 6).as_bytes()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    // a goes on.
    let r = w.add_checkpoint(a.request(6, 8).as_bytes()).await;
    assert_eq!(r.status, 200);
    cosignature(&w, &a.checkpoint(8), &r.body);
    assert_eq!(w.store().evidence(&a.origin).await.unwrap().len(), 2);
    std::fs::remove_dir_all(&d).unwrap();
}

#[tokio::test]
async fn a_restart_keeps_the_state_and_timestamps_never_go_back() {
    let d = dir();
    let state = d.join("state.db");
    let log = new_log("r", 1, "a", 10);
    {
        let w = witness(&state).await.with_clock(|| 2_000_000_000);
        let r = w.add_checkpoint(log.request(0, 7).as_bytes()).await;
        assert_eq!(r.status, 200);
        let s = cosignature(&w, &log.checkpoint(7), &r.body);
        assert_eq!(s.timestamp(), Some(2_000_000_000));
        w.store().close().await;
    }
    // A second process cannot open the state while the first holds it.
    let w = witness(&state).await.with_clock(|| 1_000);
    let other = Witness::open(WITNESS, WitnessKey::from_seed(&[9; 32]), policy(), &state).await;
    if let Ok(o) = &other {
        // The pool connects lazily past the first connection; the lock shows at first use.
        assert_ne!(
            o.add_checkpoint(log.request(7, 10).as_bytes()).await.status,
            200
        );
    }
    let r = w.add_checkpoint(log.request(0, 10).as_bytes()).await;
    assert_eq!((r.status, r.body.as_str()), (409, "7\n"));
    let r = w.add_checkpoint(log.request(7, 10).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The clock went back: the timestamp does not.
    assert_eq!(
        cosignature(&w, &log.checkpoint(10), &r.body).timestamp(),
        Some(2_000_000_000)
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[tokio::test]
async fn http_routes_and_limits() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let d = dir();
    let w = Arc::new(witness(&d.join("state.db")).await);
    let log = new_log("h", 1, "a", 3);
    let app = piaojue_witness::http::router(w.clone());
    let send = |req: Request<Body>| {
        let app = app.clone();
        async move {
            let r = app.oneshot(req).await.unwrap();
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            (status, ct, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let post = |b: Vec<u8>| {
        Request::post("/add-checkpoint")
            .body(Body::from(b))
            .unwrap()
    };
    let (s, _, b) = send(post(log.request(0, 3).into_bytes())).await;
    assert_eq!(s, 200, "{b}");
    cosignature(&w, &log.checkpoint(3), &b);
    let (s, ct, b) = send(post(log.request(0, 3).into_bytes())).await;
    assert_eq!(
        (s, ct.as_deref(), b.as_str()),
        (409, Some("text/x.tlog.size"), "3\n")
    );
    let (s, _, _) = send(post(vec![
        b'x';
        piaojue_witness::request::MAX_REQUEST_BYTES + 1
    ]))
    .await;
    assert_eq!(s, 413);
    let get = |p: String| Request::get(p).body(Body::empty()).unwrap();
    let (s, _, b) = send(get(format!("/{}/checkpoint", origin_hash(&log.origin)))).await;
    assert_eq!(s, 200);
    assert!(b.starts_with(&log.checkpoint(3).text()));
    assert_eq!(
        send(get(format!("/{}/checkpoint", origin_hash("x"))))
            .await
            .0,
        404
    );
    assert_eq!(send(get("/healthz".into())).await.0, 200);
    assert_eq!(send(get("/add-checkpoint".into())).await.0, 405);
    std::fs::remove_dir_all(&d).unwrap();
}

/// A board whose key was rotated (`piaojue board-key rotate`): a witness told only the old key
/// refuses the checkpoints of the new key's elections (403); given the board again with the new
/// key (`--board NAME=NEW` beside `--board NAME=OLD`) it cosigns both, each by its key ID.
#[tokio::test]
async fn a_rotated_board_key_is_trusted_only_once_given() {
    let d = dir();
    let old = new_log("before", 1, "a", 4);
    let new = new_log("after", 3, "a", 4);
    let w = witness(&d.join("state.db")).await;
    let r = w.add_checkpoint(new.request(0, 2).as_bytes()).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = w.add_checkpoint(old.request(0, 2).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    drop(w);

    let mut both = policy();
    both.add_board(BOARD, BoardKey::from_seed(&[3; 32]).public())
        .unwrap();
    let w = Witness::open(
        WITNESS,
        WitnessKey::from_seed(&[9; 32]),
        both,
        &d.join("state.db"),
    )
    .await
    .unwrap();
    let r = w.add_checkpoint(new.request(0, 2).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    cosignature(&w, &new.checkpoint(2), &r.body);
    let r = w.add_checkpoint(old.request(2, 4).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    cosignature(&w, &old.checkpoint(4), &r.body);
    let _ = std::fs::remove_dir_all(d);
}
