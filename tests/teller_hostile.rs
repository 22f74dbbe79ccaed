//! `piaojue teller decrypt` against a malicious server (`spec/verification.md` §8, T1–T5): the
//! teller decrypts only a record it verified, of the election its own ceremony made, and never
//! a second tally of it. Each attack is played by the loopback proxy of `tests/hostile` in
//! front of a real server (or by a second real server holding the same election with other
//! ballots), and each refusal is shown with the message the teller reads and the proof that
//! nothing was posted.

mod common;
mod hostile;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use bytes::Bytes;
use common::election::{Election, expect, test_rng};
use common::{Server, TestDb};
use curve25519_dalek::Scalar;
use hostile::{Proxy, edit_json};
use hyper::{Method, StatusCode};
use piaojue::cli::keystore::{ShareRecord, TellerStore};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::encoding::Point;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_crypto::tally::EncryptedTally;

const ID: &str = "teller-hostile";
const PASS: &str = "correct horse battery staple";

/// A server with the election open, `votes[d]` cast by deputy `d` (options chosen), closed.
/// The same `seed` gives the same ceremony, credentials and fingerprint on any server.
fn closed_election(db: &TestDb, seed: u64, votes: &[&[usize]]) -> (Server, Election) {
    closed_election_with(db, &[], seed, votes)
}

/// [`closed_election`] on a server started with `args` (another server's board key file, so
/// that its manifest, which names the board, is that server's).
fn closed_election_with(
    db: &TestDb,
    args: &[&str],
    seed: u64,
    votes: &[&[usize]],
) -> (Server, Election) {
    let server = Server::start_with(db, args);
    let staff = server.staff();
    let manifest = samples::up_to_k_of_n(ID, 4, 2, TellerParams { n: 3, t: 2 });
    let e = Election::prepare_open(&staff, manifest, 4, &mut test_rng(seed, 0));
    let ctx = e.context(&server.public());
    for (d, chosen) in votes.iter().enumerate() {
        let sel = Selection::from_chosen(&e.manifest, &[chosen.to_vec()]).unwrap();
        let (b, _) = Ballot::build(
            &ctx,
            &e.credentials[d],
            &sel,
            &mut test_rng(seed, 10 + d as u64),
        )
        .unwrap();
        expect(server.public().post(&e.path("/ballots"), &b), 201);
    }
    expect(staff.post_empty(&e.path("/close")), 201);
    (server, e)
}

/// Teller `j`'s encrypted key file, as its own ceremony left it; `joint_key` as kept there.
fn key_file(dir: &Path, e: &Election, j: u32, joint_key: [u8; 32]) -> (PathBuf, PathBuf) {
    let t = &e.tellers[j as usize - 1];
    let store = TellerStore {
        election_id: ID.into(),
        index: Some(j),
        signing_seed: e.signing[j as usize - 1].to_bytes(),
        ceremony_seed: None,
        share: Some(ShareRecord {
            share: *t.share.to_bytes(),
            verification_key: *t.verification_key().as_bytes(),
            joint_key,
        }),
        decrypted: None,
    };
    let key = dir.join(format!("teller-{j}.age"));
    let pass = dir.join("pass.txt");
    std::fs::write(&pass, PASS).unwrap();
    store
        .save(
            &key,
            &piaojue::cli::passphrase::from_file(&pass).unwrap(),
            Some(10),
        )
        .unwrap();
    (key, pass)
}

fn own_joint_key(e: &Election) -> [u8; 32] {
    *e.tellers[0].output.joint_key.as_bytes()
}

fn decrypt(url: &str, key: &Path, pass: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(["teller", "decrypt", ID, "--url", url, "--key-file"])
        .arg(key)
        .arg("--passphrase-file")
        .arg(pass)
        .env_remove("PIAOJUE_TELLER_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .expect("run piaojue")
}

#[track_caller]
fn refused(out: &Output, what: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "the teller should have refused:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains("refusing to decrypt"), "{err}");
    assert!(err.contains("拒绝解密"), "{err}");
    assert!(err.contains(what), "{err}");
    err
}

#[track_caller]
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "teller decrypt failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The decryption-share entries on the server's board.
fn shares_on_board(server: &Server, e: &Election) -> usize {
    let record: ElectionRecord =
        common::decode(&expect(server.public().get(&e.path("/record")), 200));
    record
        .board
        .unwrap()
        .entries
        .iter()
        .filter(|x| x.contains("\"kind\":\"decryption_share\""))
        .count()
}

/// The teller posted nothing: no share through the proxy, none on the server's board.
#[track_caller]
fn nothing_posted(proxy: &Proxy, server: &Server, e: &Election) {
    assert!(
        proxy
            .requests(&Method::POST, "/decryption-shares")
            .is_empty()
    );
    assert_eq!(shares_on_board(server, e), 0);
}

/// The operator's attack: one extra "ballot" made of 1024 times deputy 0's ciphertexts (no
/// valid signature or proof can be made for it), put on the log before the close, with the
/// close and the tally entry made to match: the decrypted counts would reveal deputy 0's vote
/// (count − 1025·x). The board's heads cannot be re-signed by this proxy, but V5 alone refuses
/// the ballot.
fn with_extra_ballot(body: &Bytes) -> Bytes {
    edit_json(body, |v| {
        let mut record: ElectionRecord = serde_json::from_value(v.clone()).unwrap();
        let mut forged = record.ballots[0].clone();
        let k = Scalar::from(1024u64);
        for c in &mut forged.contests {
            for s in &mut c.selections {
                s.ciphertext.a = Point::from_point(s.ciphertext.a.point() * k);
                s.ciphertext.b = Point::from_point(s.ciphertext.b.point() * k);
            }
        }
        record.ballots.push(forged.clone());
        let tally =
            EncryptedTally::aggregate_stored(&record.election.manifest, &record.ballots).unwrap();
        let board = record.board.as_mut().unwrap();
        let mut entries: Vec<Entry> = board
            .entries
            .iter()
            .map(|x| Entry::from_bytes(x.as_bytes()).unwrap())
            .collect();
        let close = entries
            .iter()
            .position(|x| matches!(x.event, Event::Close { .. }))
            .unwrap();
        let time_ms = entries[close].time_ms;
        entries.insert(
            close,
            Entry {
                index: 0,
                time_ms,
                event: Event::Ballot(forged),
            },
        );
        for (i, x) in entries.iter_mut().enumerate() {
            x.index = i as u64;
            match &mut x.event {
                Event::Close { ballots } => *ballots += 1,
                Event::Tally(t) => *t = tally.clone(),
                _ => {}
            }
        }
        board.entries = entries
            .iter()
            .map(|x| String::from_utf8(x.to_bytes()).unwrap())
            .collect();
        *v = serde_json::to_value(&record).unwrap();
    })
}

/// A hook that serves `f` of the record instead of the record.
fn on_record(
    f: impl Fn(&Bytes) -> Bytes + Send + Sync + 'static,
) -> impl Fn(&Method, &str, StatusCode, &Bytes) -> Option<(StatusCode, Bytes)> + Send + Sync + 'static
{
    move |method, path, status, body| {
        (method == Method::GET && path.ends_with("/record") && status == StatusCode::OK)
            .then(|| (StatusCode::OK, f(body)))
    }
}

#[test]
fn a_teller_refuses_a_record_with_an_extra_ballot_and_posts_nothing() {
    let db = TestDb::sqlite();
    let (server, e) = closed_election(&db, 1, &[&[0, 1], &[1], &[2, 3]]);
    let (key, pass) = key_file(db.scratch(), &e, 1, own_joint_key(&e));
    let before = std::fs::read(&key).unwrap();
    let proxy = Proxy::with_hook(server.addr, on_record(with_extra_ballot));
    let err = refused(
        &decrypt(&proxy.base, &key, &pass),
        "the served record does not verify (failed: V5",
    );
    assert!(
        err.contains("the credential's signature on the ballot does not verify"),
        "{err}"
    );
    nothing_posted(&proxy, &server, &e);
    assert_eq!(
        std::fs::read(&key).unwrap(),
        before,
        "the key file is unchanged"
    );

    // The honest record: decrypted (the share names the head the teller verified), and a
    // second run posts nothing again.
    proxy.set_hook(|_, _, _, _| None);
    let out = succeeded(&decrypt(&proxy.base, &key, &pass));
    assert!(
        out.contains("the board's encrypted tally is the sum of its 3 counted ballots"),
        "{out}"
    );
    assert_eq!(shares_on_board(&server, &e), 1);
    let out = succeeded(&decrypt(&proxy.base, &key, &pass));
    assert!(
        out.contains("this teller decrypted this same tally before"),
        "{out}"
    );
    assert!(out.contains("is on the board already"), "{out}");
    assert_eq!(proxy.requests(&Method::POST, "/decryption-shares").len(), 1);
}

#[test]
fn a_teller_refuses_a_joint_key_or_fingerprint_that_is_not_its_own() {
    let db = TestDb::sqlite();
    let (server, e) = closed_election(&db, 2, &[&[0], &[3]]);
    // The server serves another joint key (its own, to decrypt ballots with): refused before
    // anything else.
    let (key, pass) = key_file(db.scratch(), &e, 2, own_joint_key(&e));
    let other = e.tellers[0].verification_key().as_point().to_base64();
    let proxy = Proxy::with_hook(
        server.addr,
        on_record(move |body| {
            let other = other.clone();
            edit_json(body, move |v| {
                v["election"]["ceremony_output"]["joint_key"] = other.into();
            })
        }),
    );
    refused(
        &decrypt(&proxy.base, &key, &pass),
        "the one this teller's key ceremony produced",
    );
    // A key file from another ceremony (the server ran the election on another key): refused.
    let mut wrong = own_joint_key(&e);
    wrong.copy_from_slice(e.tellers[2].verification_key().as_bytes());
    let (key3, _) = key_file(db.scratch(), &e, 3, wrong);
    proxy.set_hook(|_, _, _, _| None);
    refused(
        &decrypt(&proxy.base, &key3, &pass),
        "the served election's joint key",
    );
    nothing_posted(&proxy, &server, &e);

    // After teller 2 decrypted, a served fingerprint other than the one it recorded: refused.
    succeeded(&decrypt(&proxy.base, &key, &pass));
    proxy.set_hook(on_record(|body| {
        edit_json(body, |v| {
            v["election"]["fingerprint"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
        })
    }));
    refused(
        &decrypt(&proxy.base, &key, &pass),
        "the one this teller decrypted before",
    );
    assert_eq!(proxy.requests(&Method::POST, "/decryption-shares").len(), 1);
}

#[test]
fn after_decrypting_one_tally_a_teller_never_decrypts_another() {
    // Two servers hold the same election (same ceremony, credentials, fingerprint) with other
    // ballots: the second plays the server that shows the teller a second tally to decrypt.
    let db_a = TestDb::sqlite();
    let db_b = TestDb::sqlite();
    let (a, e) = closed_election(&db_a, 3, &[&[0, 1], &[0]]);
    let board_key = db_a.data_dir().join("board-key");
    let (b, e_b) = closed_election_with(
        &db_b,
        &["--board-key-file", board_key.to_str().unwrap()],
        3,
        &[&[0, 1], &[2]],
    );
    assert_eq!(
        e.fingerprint(&a.public()),
        e_b.fingerprint(&b.public()),
        "the same election"
    );
    let (key, pass) = key_file(db_a.scratch(), &e, 1, own_joint_key(&e));
    succeeded(&decrypt(&a.base, &key, &pass));
    let store =
        TellerStore::load(&key, &piaojue::cli::passphrase::from_file(&pass).unwrap()).unwrap();
    let recorded = store.decrypted.expect("what it decrypted is recorded");
    assert_eq!(recorded.fingerprint, e.fingerprint(&a.public()).0);

    let proxy = Proxy::start(b.addr);
    refused(
        &decrypt(&proxy.base, &key, &pass),
        "this teller already decrypted another tally of this election",
    );
    nothing_posted(&proxy, &b, &e_b);
    // For ever: again, and with the first server still fine.
    refused(
        &decrypt(&b.base, &key, &pass),
        "already decrypted another tally",
    );
    let out = succeeded(&decrypt(&a.base, &key, &pass));
    assert!(out.contains("is on the board already"), "{out}");
}
