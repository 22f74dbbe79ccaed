//! Shared by the verifier's tests: small simulated elections, a bulletin board built for a
//! record (following the lifecycle of `spec/record.md` §9.1, without the server), receipts,
//! re-tallying, re-signing, and a tiny HTTP server that answers the board API on loopback.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use chacha20::ChaCha20Rng;
use ed25519_dalek::{Signer, SigningKey};
use piaojue::simulate::{Secrets, Simulation};
use piaojue_crypto::ballot::{Ballot, verify_ballots};
use piaojue_crypto::board::merkle::{MerkleTree, leaf_hash};
use piaojue_crypto::board::{BoardKey, Entry, Event, Receipt, SignedTreeHead, TreeHead, log_id};
use piaojue_crypto::credential::Credential;
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::{Manifest, TellerParams};
use piaojue_crypto::record::{BoardInfo, BoardLog, ElectionRecord, TallyResult};
use piaojue_crypto::tally::{EncryptedTally, decrypt_counts, select_counted};
use rand::SeedableRng;

pub const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };

/// A small election: `deputies` on the roll, all but two vote, two audit first. Its
/// decryption shares name the head of the board [`board_for`] makes of it, at the tally.
pub fn simulate(manifest: Manifest, deputies: usize, seed: u8) -> (ElectionRecord, Secrets) {
    let (mut record, secrets) = Simulation {
        manifest,
        deputies,
        voters: deputies - 2,
        audited: 2,
        decrypting_tellers: vec![1, 3],
        seed: [seed; 32],
    }
    .run()
    .expect("the simulation runs");
    let result = record.result.as_ref().expect("a result");
    let tellers: Vec<u32> = result.shares.iter().map(|s| s.teller).collect();
    let flat = result.tally.flatten();
    let shares = shares_for(&record, &secrets, &tellers, &result.tally, &flat);
    record.result.as_mut().unwrap().shares = shares;
    (record, secrets)
}

/// The head a teller verifies before it decrypts `tally`: the board [`board_for`] makes of
/// the record, up to and with the tally entry.
pub fn head_at_tally(record: &ElectionRecord, tally: &EncryptedTally) -> BoardHeadRef {
    let mut without = record.clone();
    without.result = None;
    let mut w = board_for(&without, board_key());
    w.post(Event::Tally(tally.clone()));
    BoardHeadRef {
        size: w.entries.len() as u64,
        root: Bytes(w.tree.root()),
    }
}

/// Makes the record's shares again naming the head of its board at the tally entry (after the
/// board was changed before its tally), puts them in the board's share entries and re-signs
/// the heads: tellers who verified the board as it is now.
pub fn reshare_on_board(r: &mut ElectionRecord, secrets: &Secrets) {
    let board = r.board.as_ref().unwrap();
    let t = entry_position(board, "tally", 0);
    let tree = MerkleTree::from_leaves(board.entries[..=t].iter().map(|e| leaf_hash(e.as_bytes())));
    let head = BoardHeadRef {
        size: t as u64 + 1,
        root: Bytes(tree.root()),
    };
    let result = r.result.as_ref().unwrap();
    let flat = result.tally.flatten();
    let mut rng = rng(98);
    let shares: Vec<DecryptionShare> = result
        .shares
        .iter()
        .map(|s| share_of(r, secrets, s.teller, head, &flat, &mut rng))
        .collect();
    let board = r.board.as_mut().unwrap();
    for e in board.entries.iter_mut() {
        let mut entry = Entry::from_bytes(e.as_bytes()).unwrap();
        if let Event::DecryptionShare(s) = &mut entry.event {
            *s = shares
                .iter()
                .find(|x| x.teller == s.teller)
                .unwrap()
                .clone();
            *e = String::from_utf8(entry.to_bytes()).unwrap();
        }
    }
    resign_heads(board, &board_key());
    r.result.as_mut().unwrap().shares = shares;
}

/// The shares of `tellers`, naming [`head_at_tally`].
fn shares_for(
    record: &ElectionRecord,
    secrets: &Secrets,
    tellers: &[u32],
    tally: &EncryptedTally,
    flat: &[piaojue_crypto::elgamal::Ciphertext],
) -> Vec<DecryptionShare> {
    let head = head_at_tally(record, tally);
    let mut rng = rng(99);
    tellers
        .iter()
        .map(|&j| share_of(record, secrets, j, head, flat, &mut rng))
        .collect()
}

/// Teller `j`'s share of `flat`, naming `head`.
pub fn share_of(
    record: &ElectionRecord,
    secrets: &Secrets,
    j: u32,
    head: BoardHeadRef,
    flat: &[piaojue_crypto::elgamal::Ciphertext],
    rng: &mut ChaCha20Rng,
) -> DecryptionShare {
    let i = j as usize - 1;
    DecryptionShare::compute(
        record.election.fingerprint.0,
        &secrets.teller_signing[i],
        &secrets.teller_keys[i],
        head,
        flat,
        rng,
    )
}

pub fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

/// The board's key of the tests: the samples' board key, which their manifests name.
pub fn board_key() -> BoardKey {
    BoardKey::from_seed(&piaojue_crypto::samples::SAMPLE_BOARD_SEED)
}

/// Signs the ballot again with this credential (after a change).
pub fn resign(ballot: &mut Ballot, credential: &Credential) {
    let key = SigningKey::from_bytes(&credential.seed());
    ballot.signature = Bytes(key.sign(&ballot.signed_bytes()).to_bytes());
}

/// Recomputes the result from the record's ballots: what a dishonest but careful server
/// publishes after changing the ballots.
pub fn retally(record: &mut ElectionRecord, secrets: &Secrets, tellers: &[u32]) {
    let e = &record.election;
    let m = &e.manifest;
    let ctx = e.context().unwrap();
    let out = verify_ballots(&ctx, &e.credentials, record.ballots.clone());
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let counted = select_counted(m.revote, out.verified).counted;
    let tally = EncryptedTally::aggregate(m, &counted);
    let flat = tally.flatten();
    let shares = shares_for(record, secrets, tellers, &tally, &flat);
    let e = &record.election;
    let m = &e.manifest;
    let n = counted.len() as u64;
    let counts = decrypt_counts(m, &tally, &shares, n).unwrap();
    let outcome = m
        .decision
        .apply(&m.contests, &counts, n, e.credentials.len() as u64);
    record.result = Some(TallyResult {
        counted: n,
        tally,
        shares,
        counts,
        outcome,
    });
}

/// Appends entries and signs tree heads, as the board does.
pub struct BoardWriter {
    pub key: BoardKey,
    pub info: BoardInfo,
    pub entries: Vec<String>,
    pub tree: MerkleTree,
    pub heads: Vec<SignedTreeHead>,
    pub time_ms: u64,
}

impl BoardWriter {
    pub fn new(key: BoardKey, election_id: &str) -> Self {
        BoardWriter {
            info: BoardInfo {
                election_id: election_id.into(),
                log_id: log_id(election_id),
                board_key: key.public(),
            },
            key,
            entries: Vec::new(),
            tree: MerkleTree::new(),
            heads: Vec::new(),
            time_ms: 1_790_000_000_000,
        }
    }

    /// Appends an event; returns its index.
    pub fn post(&mut self, event: Event) -> u64 {
        self.time_ms += 1_000;
        let entry = Entry {
            index: self.entries.len() as u64,
            time_ms: self.time_ms,
            event,
        };
        let text = String::from_utf8(entry.to_bytes()).unwrap();
        self.tree.push(text.as_bytes());
        self.entries.push(text);
        entry.index
    }

    /// Signs a tree head of the whole log so far.
    pub fn sign_head(&mut self) -> SignedTreeHead {
        let head = self.key.sign(TreeHead {
            log_id: self.info.log_id,
            size: self.entries.len() as u64,
            root: Bytes(self.tree.root()),
            timestamp_ms: self.time_ms,
        });
        self.heads.push(head);
        head
    }

    pub fn log(&self) -> BoardLog {
        BoardLog {
            info: self.info.clone(),
            entries: self.entries.clone(),
            tree_heads: self.heads.clone(),
            cosignatures: Vec::new(),
        }
    }

    /// The receipt for entry `index` under the head of size `size` (one of the signed heads).
    pub fn receipt(&self, index: u64, size: u64) -> Receipt {
        let head = *self
            .heads
            .iter()
            .find(|h| h.head.size == size)
            .expect("a head of that size");
        let entry = Entry::from_bytes(self.entries[index as usize].as_bytes()).unwrap();
        let tracking_code = match entry.event {
            Event::Ballot(b) => b.tracking_code(),
            Event::Audited(a) => a.ballot.tracking_code(),
            _ => panic!("not a ballot"),
        };
        let mut r = Receipt {
            election_id: self.info.election_id.clone(),
            tracking_code,
            index,
            leaf_hash: Bytes(leaf_hash(self.entries[index as usize].as_bytes())),
            tree_head: head,
            inclusion: self
                .tree
                .inclusion_proof(index, size)
                .unwrap()
                .into_iter()
                .map(Bytes)
                .collect(),
            signature: Bytes([0; 64]),
        };
        r.signature = self.key.sign_bytes(&r.signed_bytes());
        r
    }
}

/// The board log of a record, posted in lifecycle order: manifest, tellers, the ceremony's
/// rounds, its output, the credentials in two batches (unsorted), open, each voter's audited
/// ballots then cast ballot, close, tally, shares, result, published. A tree head is signed
/// after the ceremony, after each ballot and at the end. Returns the writer, whose `heads`
/// allow receipts.
pub fn board_for(record: &ElectionRecord, key: BoardKey) -> BoardWriter {
    let e = &record.election;
    let mut w = BoardWriter::new(key, &e.manifest.election_id);
    w.post(Event::Manifest(e.manifest.clone()));
    w.post(Event::Tellers {
        signing_keys: e.teller_keys(),
    });
    for a in &e.ceremony.announcements {
        w.post(Event::Announcement(a.clone()));
    }
    for c in &e.ceremony.commitments {
        w.post(Event::Commitment(c.clone()));
    }
    for r in &e.ceremony.reveals {
        w.post(Event::Reveal(r.clone()));
    }
    for c in &e.ceremony.checks {
        w.post(Event::ShareCheck(c.clone()));
    }
    w.post(Event::CeremonyOutput(e.ceremony_output.clone()));
    w.sign_head();
    let mut keys: Vec<_> = e.credentials.iter().copied().collect();
    keys.reverse();
    let second = keys.split_off(keys.len() / 2);
    w.post(Event::Credentials { keys });
    w.post(Event::Credentials { keys: second });
    w.post(Event::Attendance(
        e.attendance.clone().expect("the record has its attendance"),
    ));
    w.post(Event::Open {
        fingerprint: e.fingerprint,
        credentials: e.credentials.len() as u64,
    });
    w.sign_head();
    let mut audited = record.audited.iter().peekable();
    for b in &record.ballots {
        while let Some(a) = audited.next_if(|a| a.ballot.credential == b.credential) {
            w.post(Event::Audited(a.clone()));
        }
        w.post(Event::Ballot(b.clone()));
        w.sign_head();
    }
    for a in audited {
        w.post(Event::Audited(a.clone()));
    }
    w.post(Event::Close {
        ballots: record.ballots.len() as u64,
    });
    if let Some(r) = &record.result {
        w.post(Event::Tally(r.tally.clone()));
        for s in &r.shares {
            w.post(Event::DecryptionShare(s.clone()));
        }
        w.post(Event::Result {
            counts: r.counts.clone(),
            outcome: r.outcome.clone(),
        });
        w.post(Event::Published);
    }
    w.sign_head();
    w
}

/// The record with its board log.
pub fn with_board(record: &ElectionRecord) -> ElectionRecord {
    let mut r = record.clone();
    r.board = Some(board_for(record, board_key()).log());
    r
}

/// Rewrites the entries from `from` on with their positions as indices, and re-signs every tree
/// head over the new log (a board that rewrites its history and signs it again).
pub fn renumber_and_resign(board: &mut BoardLog, key: &BoardKey) {
    for (i, e) in board.entries.iter_mut().enumerate() {
        let mut entry = Entry::from_bytes(e.as_bytes()).unwrap();
        entry.index = i as u64;
        *e = String::from_utf8(entry.to_bytes()).unwrap();
    }
    resign_heads(board, key);
}

/// Re-signs every tree head over the log as it is now (sizes capped at the log's length).
pub fn resign_heads(board: &mut BoardLog, key: &BoardKey) {
    let tree = MerkleTree::from_leaves(board.entries.iter().map(|e| leaf_hash(e.as_bytes())));
    let n = tree.len();
    let mut heads = Vec::new();
    for h in &board.tree_heads {
        let size = h.head.size.min(n);
        if heads
            .last()
            .is_some_and(|p: &SignedTreeHead| p.head.size >= size)
        {
            continue;
        }
        heads.push(key.sign(TreeHead {
            size,
            root: Bytes(tree.root_at(size).unwrap()),
            ..h.head
        }));
    }
    if heads.last().is_none_or(|h| h.head.size < n) {
        let last = board.tree_heads.last().unwrap().head;
        heads.push(key.sign(TreeHead {
            size: n,
            root: Bytes(tree.root()),
            ..last
        }));
    }
    board.tree_heads = heads;
}

/// Position of the `k`-th entry of this kind.
pub fn entry_position(board: &BoardLog, kind: &str, k: usize) -> usize {
    board
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| Entry::from_bytes(e.as_bytes()).unwrap().event.kind() == kind)
        .nth(k)
        .expect("such an entry")
        .0
}

/// Serves the board's public API for one record on 127.0.0.1 (a test server: one thread, one
/// request per connection). Returns its base URL. The thread ends with the test process.
pub fn serve(record: ElectionRecord, board_key_text: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let record = Arc::new(record);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(10_000) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = route(&record, &board_key_text, &path);
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    base
}

/// An inclusion or consistency proof of a tree, by its two sizes.
type ProofFn = fn(&MerkleTree, u64, u64) -> Option<Vec<[u8; 32]>>;

fn route(record: &ElectionRecord, key_text: &str, path: &str) -> (&'static str, Vec<u8>) {
    let ok = |b: Vec<u8>| ("200 OK", b);
    let not_found = ("404 Not Found", b"{\"error\":\"not found\"}".to_vec());
    let board = record.board.as_ref().unwrap();
    let id = &record.election.manifest.election_id;
    if path == "/api/board-key" {
        return ok(format!("{{\"board_key\":\"{key_text}\"}}").into_bytes());
    }
    let Some(rest) = path.strip_prefix(&format!("/api/elections/{id}/")) else {
        return not_found;
    };
    if rest == "record" {
        return ok(serde_json::to_vec(record).unwrap());
    }
    if rest == "board/head" {
        return ok(serde_json::to_vec(board.tree_heads.last().unwrap()).unwrap());
    }
    if let Some(i) = rest.strip_prefix("board/entries/") {
        return match i.parse::<usize>().ok().and_then(|i| board.entries.get(i)) {
            Some(e) => ok(e.clone().into_bytes()),
            None => not_found,
        };
    }
    // Inclusion and consistency proofs: the query's two sizes, the proof from the entries.
    let proofs: [(&str, [&str; 2], ProofFn); 2] = [
        (
            "board/inclusion?",
            ["index", "size"],
            MerkleTree::inclusion_proof,
        ),
        (
            "board/consistency?",
            ["old", "new"],
            MerkleTree::consistency_proof,
        ),
    ];
    for (prefix, names, prove) in proofs {
        let Some(q) = rest.strip_prefix(prefix) else {
            continue;
        };
        let mut values = [0u64; 2];
        for kv in q.split('&') {
            if let Some((k, v)) = kv.split_once('=')
                && let Some(at) = names.iter().position(|n| *n == k)
            {
                values[at] = v.parse().unwrap_or(0);
            }
        }
        let tree = MerkleTree::from_leaves(board.entries.iter().map(|e| leaf_hash(e.as_bytes())));
        return match prove(&tree, values[0], values[1]) {
            Some(p) => {
                let proof: Vec<String> = p
                    .iter()
                    .map(|h| piaojue_crypto::encoding::encode_base64(h))
                    .collect();
                let body = serde_json::json!({
                    names[0]: values[0], names[1]: values[1], "proof": proof
                });
                ok(serde_json::to_vec(&body).unwrap())
            }
            None => ("400 Bad Request", b"{\"error\":\"bad sizes\"}".to_vec()),
        };
    }
    not_found
}

/// No failure of the report is Rust debug output (`Some(…)`, `ProjectOutcome { … }`), and each
/// is one line of at most `MAX_MESSAGE` characters and a few more (issue 18).
pub fn assert_plain(report: &piaojue_verifier::Report) {
    for s in &report.steps {
        for f in &s.failures {
            assert!(
                !f.contains("Some(") && !f.contains(" { ") && !f.contains("None"),
                "{}: debug output in a failure: {f}",
                s.step.id
            );
            assert!(!f.contains('\n'), "{}: {f}", s.step.id);
            assert!(
                f.chars().count() <= piaojue_verifier::limits::MAX_MESSAGE + 40,
                "{}: {f}",
                s.step.id
            );
        }
    }
}
