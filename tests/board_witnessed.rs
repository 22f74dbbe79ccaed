//! The witnessed board end to end (issue 15): `piaojue serve --witness …` names its witnesses
//! in every new election's manifest and submits its checkpoints to them off the casting path.
//!
//! * Witnesses that are down (one of them a black hole that takes connections and never
//!   answers) delay cosignatures but never block casting, closing, tallying or publishing;
//!   while no quorum cosigned, the board serves no cosigned checkpoint and the record fails V7
//!   with the reason (V7.10); once the witnesses are up, the server catches them up, milestones
//!   first, and the same election's record verifies.
//! * A deputy's receipt passes R3/R4 only once a quorum of the witnesses cosigned a checkpoint
//!   that covers it and is consistent with it; a source that lies about the manifest, the
//!   checkpoint or the cosignatures is caught at the check the spec names.
//! * A board that forks (a second server with the same key and election) is refused by the
//!   honest witnesses, and the receipt a deputy got from the other branch fails, also when the
//!   forking server shows it the honest branch's cosigned checkpoint.
//! * `serve --demo` starts three local witnesses with the server, names them in the demo
//!   election, and after a restart serves them where the manifest says they are.

mod common;
mod hostile;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::election::{Election, expect, test_rng};
use common::{Server, TestDb, decode};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::{Note, NoteSignature, Receipt, VerifierKey};
use piaojue_crypto::manifest::{Manifest, TellerParams};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::message::KeyOrigin;
use piaojue_verifier::receipt::{
    BoardSource, ConsistencyProof, InclusionProof, LogSource, check_receipt,
};
use piaojue_verifier::{Lang, Status, verify_record};

const BOARD_NAME: &str = "county.example/piaojue";
const PASS: &str = "witness test passphrase";

fn exe() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_piaojue"));
    c.env("PIAOJUE_WITNESS_PASSPHRASE", PASS);
    c
}

/// A new witness key file (low work factor) and its vkey.
fn keygen(dir: &Path, i: usize) -> (PathBuf, String) {
    let key = dir.join(format!("witness-{i}.age"));
    let out = exe()
        .args(["witness", "keygen", "--work-factor", "10", "--name"])
        .arg(format!("witness{i}.example/county"))
        .arg("--key-file")
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        key,
        String::from_utf8(out.stdout).unwrap().trim().to_string(),
    )
}

/// A port nobody listens on (for now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `piaojue witness serve` on `port`, trusting the board `BOARD_NAME` with `board_key`.
struct WitnessProcess(Child);

impl WitnessProcess {
    fn start(key: &Path, state: &Path, port: u16, board_key: &str) -> Self {
        let child = exe()
            .args(["witness", "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--key-file")
            .arg(key)
            .arg("--state")
            .arg(state)
            .arg("--board")
            .arg(format!("{BOARD_NAME}={board_key}"))
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        WitnessProcess(child)
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The cosigned checkpoint the board serves: (status, its size, its cosignatures' names).
fn cosigned(server: &Server, e: &Election) -> (u16, u64, Vec<String>) {
    let (status, bytes) = server.public().get_bytes(&e.path("/board/checkpoint"));
    if status != 200 {
        return (status, 0, Vec::new());
    }
    let note = Note::parse(&bytes).expect("a signed note");
    let size = note.text().lines().nth(1).unwrap().parse().unwrap();
    let names = note.signatures()[1..]
        .iter()
        .map(|s| s.name.clone())
        .collect();
    (status, size, names)
}

/// Waits (at most 60 s) until the board serves a checkpoint of its whole log with at least
/// `quorum` cosignatures.
fn wait_for_quorum(server: &Server, e: &Election, quorum: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let size = e.log_size(&server.public());
        let (status, at, names) = cosigned(server, e);
        if status == 200 && at == size && names.len() >= quorum {
            return names;
        }
        assert!(
            Instant::now() < deadline,
            "no quorum of cosignatures on the whole log ({size} entries) within 60 s: {status}, \
             size {at}, {names:?}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `piaojue verify --lang en receipt FILE --url URL --board-key KEY`: (passed, report).
fn receipt_check(dir: &Path, receipt: &Receipt, url: &str, board_key: &str) -> (bool, String) {
    let file = dir.join(format!("receipt-{}.json", receipt.index));
    std::fs::write(&file, serde_json::to_vec(receipt).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(["verify", "--lang", "en", "receipt"])
        .arg(&file)
        .args(["--url", url, "--board-key", board_key])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.success(), report)
}

/// `piaojue verify --lang en url URL ID --witness W…`: (passed, report).
fn verify_url(url: &str, id: &str, witnesses: &[String]) -> (bool, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_piaojue"));
    c.args(["verify", "--lang", "en", "url", url, id]);
    for w in witnesses {
        c.args(["--witness", w]);
    }
    let out = c.stdin(Stdio::null()).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    (
        out.status.success(),
        report + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Casts deputy `d`'s ballot for `chosen` and answers its receipt.
fn cast(server: &Server, e: &Election, d: usize, chosen: Vec<usize>, seed: u64) -> Receipt {
    let ctx = e.context(&server.public());
    let sel = Selection::from_chosen(&e.manifest, &[chosen]).unwrap();
    let (ballot, _) =
        Ballot::build(&ctx, &e.credentials[d], &sel, &mut test_rng(seed, d as u64)).unwrap();
    decode(&expect(
        server.public().post(&e.path("/ballots"), &ballot),
        201,
    ))
}

fn record(server: &Server, e: &Election) -> ElectionRecord {
    decode(&expect(server.public().get(&e.path("/record")), 200))
}

#[test]
fn witnesses_that_are_down_delay_cosignatures_but_never_block_the_vote() {
    let db = TestDb::sqlite();
    let dir = db.scratch().to_path_buf();
    let keys: Vec<(PathBuf, String)> = (1..=3).map(|i| keygen(&dir, i)).collect();
    // Witness 1 is a black hole (connections are taken, never answered); 2 and 3 are down.
    let hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let ports = [hole.local_addr().unwrap().port(), free_port(), free_port()];
    let mut args = vec!["--board-name".to_string(), BOARD_NAME.to_string()];
    for ((_, vkey), port) in keys.iter().zip(ports) {
        args.push("--witness".into());
        args.push(format!("{vkey}@http://127.0.0.1:{port}/"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(&db, &args);
    let (staff, public) = (server.staff(), server.public());
    let board_key = expect(public.get("/api/board-key"), 200)["board_key"]
        .as_str()
        .unwrap()
        .to_string();

    // The manifest names the board and the witnesses, with a majority quorum by default.
    let mut rng = test_rng(15, 0);
    let m = samples::up_to_k_of_n("witnessed", 4, 2, TellerParams { n: 3, t: 2 });
    let e = Election::prepare_open(&staff, m, 4, &mut rng);
    let manifest: &Manifest = &e.manifest;
    assert_eq!(manifest.board.origin, format!("{BOARD_NAME}/witnessed"));
    assert_eq!(manifest.witnesses.quorum, 2);
    let names: Vec<&str> = manifest
        .witnesses
        .list
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "witness1.example/county",
            "witness2.example/county",
            "witness3.example/county"
        ]
    );
    for ((_, vkey), w) in keys.iter().zip(&manifest.witnesses.list) {
        assert_eq!(VerifierKey::parse(vkey).unwrap().key(), &w.key);
    }
    assert_eq!(
        manifest.witnesses.list[0].url,
        format!("http://127.0.0.1:{}", ports[0])
    );

    // Every ballot is taken, and the vote runs to its published result, with no witness up.
    let plan = [
        (0usize, vec![0usize]),
        (1, vec![0, 1]),
        (2, vec![2]),
        (3, vec![]),
    ];
    let receipts: Vec<Receipt> = plan
        .into_iter()
        .map(|(d, chosen)| cast(&server, &e, d, chosen, 16))
        .collect();
    // The board signed the receipts, but no witness vouches for them: R3 fails, saying why.
    let (passed, report) = receipt_check(&dir, &receipts[0], &server.base, &board_key);
    assert!(!passed, "{report}");
    assert!(
        report.contains("no checkpoint cosigned by the manifest's witnesses could be had"),
        "{report}"
    );
    expect(staff.post_empty(&e.path("/close")), 201);
    for j in [1u32, 3] {
        let share = e.share(&public, j, &mut rng);
        expect(public.post(&e.path("/decryption-shares"), &share), 201);
    }
    assert_eq!(e.state(&public), "tallied");
    expect(staff.post_empty(&e.path("/publish")), 201);
    assert_eq!(e.state(&public), "published");

    // No quorum: no cosigned checkpoint, and the record fails V7 saying why.
    let (status, _, _) = cosigned(&server, &e);
    assert_eq!(
        status, 404,
        "a checkpoint without the quorum was served as cosigned"
    );
    let report = verify_record(&record(&server, &e));
    let v7 = report.step("V7").unwrap();
    assert_eq!(v7.status, Status::Failed, "{}", report.render(Lang::En));
    let en = report.render(Lang::En);
    assert!(
        en.contains("has 2 valid cosignatures of the manifest's witnesses (none has any)"),
        "{en}"
    );
    let zh = report.render(Lang::Zh);
    assert!(
        zh.contains("没有检查点获得选举清单所列见证人的 2 个有效副签（一个也没有）"),
        "{zh}"
    );
    for step in ["V5", "V8", "V9", "V10", "V11"] {
        assert_eq!(
            report.step(step).unwrap().status,
            Status::Passed,
            "{step}: {en}"
        );
    }

    // Witnesses 2 and 3 come up: the server catches them up, and the record verifies.
    let _w2 = WitnessProcess::start(&keys[1].0, &dir.join("w2.db"), ports[1], &board_key);
    let _w3 = WitnessProcess::start(&keys[2].0, &dir.join("w3.db"), ports[2], &board_key);
    let names = wait_for_quorum(&server, &e, 2);
    assert_eq!(
        names,
        ["witness2.example/county", "witness3.example/county"]
    );
    let record = record(&server, &e);
    let report = verify_record(&record);
    assert!(report.passed(), "{}", report.render(Lang::En));
    let en = report.render(Lang::En);
    assert!(
        en.contains("5 of 5 milestones cosigned by a quorum of 2 of 3 witnesses"),
        "{en}"
    );
    // The black hole never answered: no cosignature of witness 1 anywhere.
    let cosignatures = &record.board.as_ref().unwrap().cosignatures;
    assert!(
        cosignatures
            .iter()
            .all(|c| c.witness != "witness1.example/county")
    );

    // Asked directly, the two witnesses that answer agree with the record; the black hole
    // cannot be asked (the verifier's read times out after 120 s, so it is not asked here).
    let up: Vec<String> = ports[1..]
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let (passed, report) = verify_url(&server.base, "witnessed", &up);
    assert!(passed, "{report}");
    assert!(
        report.contains("2 of 2 witnesses asked directly cosigned a prefix of this log"),
        "{report}"
    );
    let nobody = vec![format!("http://127.0.0.1:{}", free_port())];
    let (passed, report) = verify_url(&server.base, "witnessed", &nobody);
    assert!(!passed, "{report}");
    assert!(report.contains("could not be asked"), "{report}");

    // Now every receipt passes, against the server and against the record.
    for r in &receipts {
        let (passed, report) = receipt_check(&dir, r, &server.base, &board_key);
        assert!(passed, "{report}");
        assert!(
            report.contains("is cosigned by 2 of the manifest's witnesses (quorum 2)"),
            "{report}"
        );
    }
    let board = record.board.as_ref().unwrap();
    let key = board.info.board_key;
    let honest = LogSource(board);
    let rep = check_receipt(&receipts[1], &key, KeyOrigin::Given, &honest);
    assert!(rep.passed(), "{}", rep.render(Lang::En));

    // A source that lies, each way R3 and R4 name, with everything else honest.
    let served = server.public().get_bytes(&e.path("/board/checkpoint")).1;
    let lie = |lie: Lie| {
        let source = Lying {
            honest: &honest,
            served: served.clone(),
            lie,
        };
        check_receipt(&receipts[1], &key, KeyOrigin::Given, &source)
    };
    let fails = |report: piaojue_verifier::report::Report, reason: &str| {
        let text = report.render(Lang::En);
        assert!(!report.passed(), "{text}");
        assert!(text.contains(reason), "{reason}:\n{text}");
    };
    fails(
        lie(Lie::Manifest),
        "the board's proof that entry 0 is in the log the receipt was signed for does not verify",
    );
    fails(
        lie(Lie::Origin),
        "the board's cosigned checkpoint is not a signed checkpoint of this election's log",
    );
    fails(
        lie(Lie::BoardSignature),
        "the board's signature on its cosigned checkpoint does not verify",
    );
    fails(
        lie(Lie::OneCosignature),
        "has 1 valid cosignatures of the manifest's witnesses, fewer than the quorum of 2",
    );
    fails(
        lie(Lie::Twice),
        "has 1 valid cosignatures of the manifest's witnesses, fewer than the quorum of 2",
    );
    fails(
        lie(Lie::Root),
        "has 0 valid cosignatures of the manifest's witnesses, fewer than the quorum of 2",
    );
    fails(
        lie(Lie::Behind),
        "the witnesses have not yet seen this ballot",
    );
    // And the honest note passes through the same wrapper.
    let report = lie(Lie::Nothing);
    assert!(report.passed(), "{}", report.render(Lang::En));
    drop(hole);
}

/// How [`Lying`] lies.
#[derive(Clone, Copy)]
enum Lie {
    Nothing,
    /// Entry 0 is another manifest's bytes.
    Manifest,
    /// The checkpoint names another origin (re-cosigned by nobody).
    Origin,
    /// The board's signature on the checkpoint is damaged.
    BoardSignature,
    /// One of the two cosignatures is damaged.
    OneCosignature,
    /// One witness's cosignature twice, the other's left out.
    Twice,
    /// An older checkpoint, truly cosigned, smaller than the receipt's head.
    Behind,
    /// The checkpoint's root is another, without the board's line (so no line is on it).
    Root,
}

/// A board source that serves the honest record but lies one way.
struct Lying<'a> {
    honest: &'a LogSource<'a>,
    served: Vec<u8>,
    lie: Lie,
}

impl BoardSource for Lying<'_> {
    fn entry(&self, id: &str, index: u64) -> Result<Vec<u8>, String> {
        match (self.lie, index) {
            (Lie::Manifest, 0) => {
                let mut bytes = self.honest.entry(id, 0)?;
                let at = bytes.iter().position(|&b| b == b'4').unwrap();
                bytes[at] = b'5';
                Ok(bytes)
            }
            _ => self.honest.entry(id, index),
        }
    }
    fn head(&self, id: &str) -> Result<piaojue_crypto::board::SignedTreeHead, String> {
        self.honest.head(id)
    }
    fn consistency(&self, id: &str, old: u64, new: u64) -> Result<ConsistencyProof, String> {
        self.honest.consistency(id, old, new)
    }
    fn inclusion(&self, id: &str, index: u64, size: u64) -> Result<InclusionProof, String> {
        self.honest.inclusion(id, index, size)
    }
    fn cosigned_checkpoint(&self, id: &str) -> Result<Vec<u8>, String> {
        let note = Note::parse(&self.served).unwrap();
        let text = note.text().to_string();
        let sigs: Vec<NoteSignature> = note.signatures().to_vec();
        let damaged = |s: &NoteSignature| {
            let mut s = s.clone();
            let last = s.bytes.len() - 1;
            s.bytes[last] ^= 1;
            s
        };
        let (text, sigs) = match self.lie {
            Lie::Nothing => (text, sigs),
            Lie::Manifest => return self.honest.cosigned_checkpoint(id),
            Lie::Origin => (
                text.replacen("county.example", "county.example.forged", 1),
                sigs,
            ),
            Lie::BoardSignature => {
                let mut v = sigs;
                v[0] = damaged(&v[0]);
                (text, v)
            }
            Lie::OneCosignature => {
                let mut v = sigs;
                v[1] = damaged(&v[1]);
                (text, v)
            }
            Lie::Twice => {
                let v = vec![sigs[0].clone(), sigs[1].clone(), sigs[1].clone()];
                (text, v)
            }
            Lie::Behind => {
                // The smallest size the record's cosignatures give the quorum: the first
                // milestone's, before any ballot.
                let board = self.honest.0;
                let manifest =
                    match piaojue_crypto::board::Entry::from_bytes(board.entries[0].as_bytes())
                        .unwrap()
                        .event
                    {
                        piaojue_crypto::board::Event::Manifest(m) => m,
                        _ => unreachable!("entry 0 is the manifest"),
                    };
                let size = board.cosignatures.iter().map(|c| c.size).min().unwrap();
                let sigs: Vec<NoteSignature> = board
                    .cosignatures
                    .iter()
                    .filter(|c| c.size == size)
                    .map(|c| {
                        let w = manifest
                            .witnesses
                            .list
                            .iter()
                            .find(|w| w.name == c.witness)
                            .unwrap();
                        c.note_signature(w)
                    })
                    .collect();
                assert!(
                    sigs.len() >= 2,
                    "the first milestone was cosigned by the quorum"
                );
                let root = piaojue_verifier::board::merkle_tree(&board.entries)
                    .root_at(size)
                    .unwrap();
                let text = piaojue_verifier::witnessed::checkpoint_text(&manifest, size, root);
                (text, sigs)
            }
            Lie::Root => {
                // Without the board's line (which would fail first), the witnesses' lines
                // are on another text.
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
                (format!("{}\n", lines.join("\n")), sigs[1..].to_vec())
            }
        };
        Ok(Note::new(text, sigs).map_err(|e| e.to_string())?.to_bytes())
    }
}

#[test]
fn a_forking_board_is_refused_by_the_witnesses_and_its_receipts_fail() {
    let (db_a, db_b) = (TestDb::sqlite(), TestDb::sqlite());
    let dir = db_a.scratch().to_path_buf();
    let keys: Vec<(PathBuf, String)> = (1..=3).map(|i| keygen(&dir, i)).collect();
    let ports = [free_port(), free_port(), free_port()];
    let mut args = vec!["--board-name".to_string(), BOARD_NAME.to_string()];
    for ((_, vkey), port) in keys.iter().zip(ports) {
        args.push("--witness".into());
        args.push(format!("{vkey}@http://127.0.0.1:{port}"));
    }
    let honest_args: Vec<&str> = args.iter().map(String::as_str).collect();
    let a = Server::start_with(&db_a, &honest_args);
    let board_key = expect(a.public().get("/api/board-key"), 200)["board_key"]
        .as_str()
        .unwrap()
        .to_string();
    let _witnesses: Vec<WitnessProcess> = (0..3)
        .map(|i| {
            let state = dir.join(format!("w{i}.db"));
            WitnessProcess::start(&keys[i].0, &state, ports[i], &board_key)
        })
        .collect();
    // The same operator runs a second board with the same key for the same election.
    let key_file = db_a.data_dir().join("board-key");
    let mut fork_args = honest_args.clone();
    fork_args.extend(["--board-key-file", key_file.to_str().unwrap()]);
    let b = Server::start_with(&db_b, &fork_args);
    assert_eq!(
        expect(b.public().get("/api/board-key"), 200)["board_key"],
        board_key
    );

    let m = samples::up_to_k_of_n("forked", 4, 2, TellerParams { n: 3, t: 2 });
    let ea = Election::prepare_open(&a.staff(), m.clone(), 3, &mut test_rng(21, 0));
    let eb = Election::prepare_open(&b.staff(), m, 3, &mut test_rng(22, 0));
    assert_eq!(
        ea.manifest, eb.manifest,
        "one election, one manifest, two boards"
    );
    let ra: Vec<Receipt> = (0..3).map(|d| cast(&a, &ea, d, vec![d], 23)).collect();
    let rb = cast(&b, &eb, 0, vec![3], 24);
    wait_for_quorum(&a, &ea, 3);

    // The witnesses refuse the other branch: no cosignature of it, ever.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !b.log().contains("was not cosigned") {
        assert!(
            Instant::now() < deadline,
            "the fork was never submitted:\n{}",
            b.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        expect(b.public().get(&eb.path("/board/cosignatures")), 200),
        serde_json::json!([])
    );
    assert_eq!(cosigned(&b, &eb).0, 404);

    // The honest branch's receipts pass; the fork's fails, as the forking server serves it ...
    for r in &ra {
        let (passed, report) = receipt_check(&dir, r, &a.base, &board_key);
        assert!(passed, "{report}");
    }
    let (passed, report) = receipt_check(&dir, &rb, &b.base, &board_key);
    assert!(!passed, "{report}");
    assert!(
        report.contains("no checkpoint cosigned by the manifest's witnesses could be had"),
        "{report}"
    );
    // ... and when it shows the deputy the honest branch's cosigned checkpoint as its own, with
    // the honest branch's consistency proof from the receipt's size to it.
    let honest_note = a.public().get_bytes(&ea.path("/board/checkpoint")).1;
    let (m, c_n) = (rb.tree_head.head.size, cosigned(&a, &ea).1);
    assert!(c_n > m, "the honest checkpoint covers the fork's receipt");
    let honest_proof = a
        .public()
        .get_bytes(&ea.path(&format!("/board/consistency?old={m}&new={c_n}")))
        .1;
    let proxy = hostile::Proxy::with_hook(b.addr, move |_, path, _, _| {
        let body = if path.ends_with("/board/checkpoint") {
            &honest_note
        } else if path.ends_with("/board/consistency") {
            &honest_proof
        } else {
            return None;
        };
        Some((hyper::StatusCode::OK, bytes::Bytes::from(body.clone())))
    });
    let (passed, report) = receipt_check(&dir, &rb, &proxy.base, &board_key);
    assert!(!passed, "{report}");
    assert!(
        report.contains("is cosigned by 2 of the manifest's witnesses")
            || report.contains("is cosigned by 3 of the manifest's witnesses"),
        "R3 found the honest quorum: {report}"
    );
    assert!(
        report.contains("the board showed the witnesses another log"),
        "{report}"
    );

    // The fork's record, as long as the honest log, checked against the witnesses directly.
    for d in 1..3 {
        cast(&b, &eb, d, vec![d], 25);
    }
    assert_eq!(eb.log_size(&b.public()), ea.log_size(&a.public()));
    let witnesses: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let (passed, report) = verify_url(&b.base, "forked", &witnesses);
    assert!(!passed, "{report}");
    assert!(
        report.contains("whose root is not the record's: the board showed it another log"),
        "{report}"
    );
    let (passed, report) = verify_url(&a.base, "forked", &witnesses);
    assert!(
        report.contains("3 of 3 witnesses asked directly cosigned a prefix of this log"),
        "{report}"
    );
    // The vote is still open, its whole log cosigned: the honest record passes, V7.10 included.
    assert!(passed, "{report}");
}

#[test]
fn bad_witness_flags_stop_the_server_with_the_reason() {
    let db = TestDb::sqlite();
    let dir = db.scratch().to_path_buf();
    let (_, vkey) = keygen(&dir, 1);
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
            .arg("serve")
            .arg("--database-url")
            .arg(&db.url)
            .arg("--data-dir")
            .arg(db.data_dir())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} started");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let with_url = format!("{vkey}@http://127.0.0.1:1");
    assert!(run(&["--witness", &vkey]).contains("VKEY@URL"));
    assert!(run(&["--witness", &with_url, "--witness-quorum", "2"]).contains("quorum"));
    assert!(run(&["--witness", &with_url, "--witness", &with_url]).contains("repeated"));
    assert!(run(&["--board-name", "has space"]).contains("--board-name"));
    assert!(run(&["--witness-quorum", "1"]).contains("--witness"));
    // Nothing was created in the database by the refused starts.
    assert!(!db.data_dir().join("staff-token").exists());
}

#[test]
fn the_demo_runs_with_three_local_witnesses() {
    let db = TestDb::sqlite();
    let mut server = Server::start_with(&db, &["--demo", "--demo-deputies", "2"]);
    let status = expect(server.public().get("/api/elections/demo-2027"), 200);
    let manifest: Manifest = decode(&status["manifest"]);
    assert_eq!(manifest.witnesses.quorum, 2);
    assert_eq!(manifest.witnesses.list.len(), 3);
    let e = Election {
        id: manifest.election_id.clone(),
        manifest: manifest.clone(),
        signing: Vec::new(),
        tellers: Vec::new(),
        credentials: Vec::new(),
    };
    wait_for_quorum(&server, &e, 3);
    // The demo's witness keys are encrypted like its tellers'.
    for i in 1..=3 {
        let raw = std::fs::read(db.data_dir().join(format!("demo/witness-{i}.age"))).unwrap();
        assert!(raw.starts_with(b"age-encryption.org/v1\n"), "witness {i}");
    }
    // After a restart the witnesses are where the manifest names them: the close is cosigned.
    server.kill();
    let server = Server::start_with(&db, &["--demo", "--demo-deputies", "2"]);
    let status = expect(server.public().get("/api/elections/demo-2027"), 200);
    assert_eq!(decode::<Manifest>(&status["manifest"]), manifest);
    expect(server.staff().post_empty(&e.path("/close")), 201);
    wait_for_quorum(&server, &e, 2);
}
