//! `piaojue vote` against a malicious server (issue 14 §2): the deputy pins the election's
//! fingerprint out of band and the tool encrypts nothing unless the election it is served has
//! it. The server is real; the lies are told by the proxy of `tests/hostile` in front of it.
//!
//! * The server serves its own joint key as the ceremony's output: refused, by name.
//! * The server serves a whole ceremony of its own (valid, run by tellers it controls, its
//!   output consistent): the fingerprint is not the pinned one, refused.
//! * An honest server and a pin of another election (a mistyped or wrong sheet): refused.
//!
//! Each time: the person reads in Chinese (then English) what did not match, no ballot is
//! posted (the proxy's log), and the board is unchanged.

mod common;
mod hostile;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use bytes::Bytes;
use common::election::{Election, expect, test_rng};
use common::{Server, TestDb};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use hostile::{Proxy, edit_json};
use hyper::{Method, StatusCode};
use piaojue_crypto::Scalar;
use piaojue_crypto::encoding::PublicKey;
use piaojue_crypto::fingerprint::ShortFingerprint;
use piaojue_crypto::manifest::{Manifest, TellerParams};
use piaojue_crypto::samples;
use serde_json::json;

const ID: &str = "hostile-vote";
const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };

fn manifest() -> Manifest {
    samples::up_to_k_of_n(ID, 3, 1, TELLERS)
}

/// `piaojue vote` of credential `seed` at `url`, pinned to `fingerprint`.
fn vote(dir: &Path, url: &str, seed: &str, fingerprint: &str) -> Output {
    let credential = dir.join("credential.txt");
    std::fs::write(&credential, seed).expect("write the credential");
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(["vote", "--url", url, "--election", ID, "--choose", "1"])
        .arg("--credential-file")
        .arg(&credential)
        .arg("--receipt")
        .arg(dir.join("receipt.json"))
        .args(["--fingerprint", fingerprint])
        .stdin(Stdio::null())
        .output()
        .expect("run piaojue vote")
}

/// The vote was refused with `zh` in its message, and nothing was posted.
#[track_caller]
fn assert_refused(out: &Output, proxy: &Proxy, zh: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the vote should be refused:\n{stderr}"
    );
    assert!(
        stderr.contains("已拒绝投票，选票未加密、未发送") && stderr.contains(zh),
        "the message says what did not match, in Chinese: {stderr}"
    );
    assert!(
        proxy.requests(&Method::POST, "/").is_empty(),
        "nothing is posted: {:?}",
        proxy.log()
    );
}

struct Setup {
    _db: TestDb,
    server: Server,
    election: Election,
    fingerprint: String,
}

fn open_election(seed: u64) -> Setup {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let mut rng = test_rng(seed, 0);
    let election = Election::prepare_open(&server.staff(), manifest(), 2, &mut rng);
    let fingerprint = election.fingerprint(&server.public()).to_base64();
    Setup {
        _db: db,
        server,
        election,
        fingerprint,
    }
}

fn seed(e: &Election, i: usize) -> String {
    hex::encode(*e.credentials[i].seed())
}

/// The first deputy votes through `proxy`, pinned to the election's fingerprint.
fn first_deputy_votes(s: &Setup, dir: &Path, proxy: &Proxy) -> Output {
    vote(dir, &proxy.base, &seed(&s.election, 0), &s.fingerprint)
}

#[test]
fn a_served_joint_key_that_is_not_the_ceremonys_is_refused() {
    let s = open_election(14);
    let size = s.election.log_size(&s.server.public());
    // The operator's own key K' = 7·G, served as the ceremony's output.
    let own = PublicKey::from_point(Scalar::from(7u64) * RISTRETTO_BASEPOINT_POINT).expect("a key");
    let proxy = Proxy::with_hook(s.server.addr, move |method, path, status, body| {
        (method == Method::GET && path == format!("/api/elections/{ID}/ceremony")).then(|| {
            (
                status,
                edit_json(body, |v| v["output"]["joint_key"] = json!(own)),
            )
        })
    });
    let scratch = common::TempDir::new("hostile-vote");
    let out = first_deputy_votes(&s, scratch.path(), &proxy);
    assert_refused(
        &out,
        &proxy,
        "服务器提供的选举公钥与密钥生成仪式得出的公钥不一致",
    );
    assert!(proxy.log().iter().any(|e| e.rewritten), "the lie was told");
    assert_eq!(s.election.log_size(&s.server.public()), size);

    // The same deputy through an honest path votes (the pin is right).
    let honest = Proxy::start(s.server.addr);
    let out = first_deputy_votes(&s, scratch.path(), &honest);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(honest.requests(&Method::POST, "/ballots").len(), 1);
}

#[test]
fn a_whole_ceremony_of_the_servers_own_is_refused_by_the_pin() {
    let real = open_election(15);
    // The operator runs the same election on a server of its own, with tellers it controls and
    // the deputies' credential keys, and serves that ceremony: valid, consistent, its own key.
    // It holds the board's key (the operator runs both): so its manifest is the real one.
    let fake_db = TestDb::sqlite();
    let key_file = real._db.data_dir().join("board-key");
    let fake = Server::start_with(&fake_db, &["--board-key-file", key_file.to_str().unwrap()]);
    let staff = fake.staff();
    let mut rng = test_rng(16, 0);
    let mut other = Election::create(&staff, real.election.manifest.clone());
    other.start_ceremony(&staff, &mut rng);
    other.run_ceremony(&staff, &mut rng);
    let keys: Vec<_> = real
        .election
        .credentials
        .iter()
        .map(|c| c.public())
        .collect();
    expect(
        staff.post(&other.path("/credentials"), &json!({ "keys": keys })),
        201,
    );
    let (_, fake_ceremony) = fake.public().get_bytes(&other.path("/ceremony"));
    let fake_ceremony = Bytes::from(fake_ceremony);
    let proxy = Proxy::with_hook(real.server.addr, move |method, path, _, _| {
        (method == Method::GET && path == format!("/api/elections/{ID}/ceremony"))
            .then(|| (StatusCode::OK, fake_ceremony.clone()))
    });
    let scratch = common::TempDir::new("hostile-vote");
    let short = ShortFingerprint::of(&real.election.fingerprint(&real.server.public()));
    for pin in [real.fingerprint.clone(), short.to_string()] {
        let out = vote(scratch.path(), &proxy.base, &seed(&real.election, 1), &pin);
        assert_refused(&out, &proxy, "与您核对的指纹");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&short.to_string()),
            "the pinned value is shown: {stderr}"
        );
    }
}

#[test]
fn a_pin_of_another_election_is_refused_even_by_an_honest_server() {
    let s = open_election(17);
    let proxy = Proxy::start(s.server.addr);
    let scratch = common::TempDir::new("hostile-vote");
    let real = ShortFingerprint::of(&s.election.fingerprint(&s.server.public())).to_string();
    // One digit changed, as a misread sheet would be.
    let mut wrong: Vec<char> = real.chars().collect();
    wrong[6] = if wrong[6] == '9' { '0' } else { '9' };
    let wrong: String = wrong.into_iter().collect();
    let out = vote(scratch.path(), &proxy.base, &seed(&s.election, 0), &wrong);
    assert_refused(
        &out,
        &proxy,
        &format!("（{real}）与您核对的指纹（{wrong}）不一致"),
    );
    // A pin that is no fingerprint at all is refused before anything is fetched.
    let out = vote(scratch.path(), &proxy.base, &seed(&s.election, 0), "1234");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("选举指纹格式不对"));
    assert!(proxy.requests(&Method::GET, "/ceremony").len() == 1);
}

/// A server that signs its receipts with a key of its own, and lists that key as the election's
/// at `GET /api/board-key`: `piaojue vote` believes only the manifest's board key (covered by the
/// pinned fingerprint), so it never asks the server for a key and refuses the receipt, keeping it.
#[test]
fn a_receipt_signed_by_a_key_the_server_lists_but_the_manifest_does_not_is_refused() {
    use piaojue_crypto::board::head::BoardKey;
    use piaojue_crypto::board::receipt::Receipt;
    let s = open_election(18);
    let forger = BoardKey::from_seed(&[7; 32]);
    let forged_key = forger.public();
    let proxy = Proxy::with_hook(s.server.addr, move |method, path, status, body| {
        if *method == Method::POST && path == format!("/api/elections/{ID}/ballots") {
            let mut receipt: Receipt =
                piaojue_crypto::json::from_slice(body).expect("the server's receipt");
            receipt.tree_head = forger.sign(receipt.tree_head.head);
            receipt.signature = forger.sign_bytes(&receipt.signed_bytes());
            assert!(receipt.verify(&forged_key).is_ok(), "a well-made forgery");
            return Some((status, Bytes::from(serde_json::to_vec(&receipt).unwrap())));
        }
        (*method == Method::GET && path == "/api/board-key").then(|| {
            let key = json!(forged_key);
            let listed = json!({"board_key": key, "keys": [{"board_key": key, "elections": [ID]}]});
            (StatusCode::OK, Bytes::from(listed.to_string()))
        })
    });
    let scratch = common::TempDir::new("hostile-vote");
    let out = first_deputy_votes(&s, scratch.path(), &proxy);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the forged receipt is refused");
    assert!(
        stderr.contains("服务器的回执未通过核验") && stderr.contains("取自已核对指纹的选举清单"),
        "{stderr}"
    );
    assert!(
        proxy.requests(&Method::GET, "/api/board-key").is_empty(),
        "the server's word on its key is not asked for: {:?}",
        proxy.log()
    );
    // The forged receipt is kept as evidence, and the ballot was cast (the board took it).
    let kept: Receipt = piaojue_crypto::json::from_slice(
        &std::fs::read(scratch.path().join("receipt.json")).expect("the receipt is kept"),
    )
    .expect("a receipt");
    assert!(kept.verify(&forged_key).is_ok());
    assert_eq!(proxy.requests(&Method::POST, "/ballots").len(), 1);
}

/// A server that answers the cast with a receipt for another election (say, one whose key it
/// holds): refused by name, before its signatures are looked at, and kept.
#[test]
fn a_receipt_for_another_election_is_refused() {
    let s = open_election(19);
    let proxy = Proxy::with_hook(s.server.addr, move |method, path, status, body| {
        (*method == Method::POST && path == format!("/api/elections/{ID}/ballots")).then(|| {
            (
                status,
                edit_json(body, |v| v["election_id"] = json!("other-election")),
            )
        })
    });
    let scratch = common::TempDir::new("hostile-vote");
    let out = first_deputy_votes(&s, scratch.path(), &proxy);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("回执属于另一场选举（other-election）")
            && stderr.contains("the receipt is for another election (other-election)"),
        "{stderr}"
    );
    let kept: serde_json::Value = serde_json::from_slice(
        &std::fs::read(scratch.path().join("receipt.json")).expect("the receipt is kept"),
    )
    .expect("JSON");
    assert_eq!(kept["election_id"], "other-election");
}
