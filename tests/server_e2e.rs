//! The ballot server end to end, over HTTP, against the real `piaojue serve` binary (issue 3,
//! "Done means"): an election "up to 10 of 13" with 5 tellers (t = 3) and 250 deputies, the
//! key ceremony, registration, 250 ballots cast (some audited first, some refused), close,
//! decryption by only 3 tellers, the result checked against the test's own plaintexts, every
//! receipt checked against the final tree head, publication.
//!
//! Runs on SQLite, and on PostgreSQL when `PIAOJUE_TEST_POSTGRES_URL` is set. Every random
//! value comes from a fixed seed, so a failure reproduces.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::election::{Election, expect, test_rng};
use common::{Client, Server, TestDb, assert_refused, decode};
use ed25519_dalek::{Signer, SigningKey};
use piaojue_crypto::ballot::{AuditedBallot, Ballot, BallotOpening, ElectionContext, Selection};
use piaojue_crypto::board::merkle::{MerkleTree, leaf_hash, verify_inclusion};
use piaojue_crypto::board::{Entry, Event, Receipt, SignedTreeHead};
use piaojue_crypto::credential::{Credential, CredentialKey, CredentialList};
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_crypto::fingerprint::{FingerprintInputs, election_fingerprint};
use piaojue_crypto::manifest::{Manifest, TellerParams};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_crypto::tally::Counts;
use piaojue_verifier::{Lang, verify_record};
use rand::RngExt;
use rayon::prelude::*;
use serde_json::{Value, json};

const SEED: u64 = 20_270_301;
const DEPUTIES: usize = 250;
/// Every `AUDIT_EVERY`-th deputy audits a ballot before casting a fresh one.
const AUDIT_EVERY: usize = 25;
/// Deputies who cast before the refusals are tried; the rest cast after.
const FIRST_WAVE: usize = 200;
/// Concurrent deputies posting ballots (exercises the group commit).
const CLIENTS: usize = 8;

#[test]
fn e2e_sqlite() {
    run(TestDb::sqlite());
}

#[test]
fn e2e_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    run(db);
}

/// A deputy's plan: what they choose (0 to 10 of the 13 projects), the ballot they cast and,
/// for some, a ballot they audit first.
struct Deputy {
    chosen: Vec<usize>,
    ballot: Ballot,
    audited: Option<AuditedBallot>,
    /// Deputy 3 keeps the opening of the ballot it casts (to try to audit it afterwards).
    opening: Option<BallotOpening>,
}

fn manifest(backend: &str) -> Manifest {
    let mut m = samples::up_to_k_of_n(
        &format!("e2e-{backend}"),
        13,
        10,
        TellerParams { n: 5, t: 3 },
    );
    m.deputies = DEPUTIES as u32;
    m
}

fn run(db: TestDb) {
    let started = Instant::now();
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    let board_key: CredentialKey = decode(&expect(public.get("/api/board-key"), 200)["board_key"]);
    let mut rng = test_rng(SEED, 0);

    // Staff create the election; tellers register and run the key ceremony; the registrar
    // registers 250 credentials (public keys only, in two batches); staff open.
    let mut e = Election::create(
        &staff,
        manifest(&format!("{:?}", db.backend).to_lowercase()),
    );
    assert_eq!(e.state(&public), "draft");
    e.start_ceremony(&staff, &mut rng);
    assert_eq!(e.state(&public), "key_ceremony");
    e.run_ceremony(&public, &mut rng);
    assert_eq!(e.state(&public), "registration");
    e.register(&staff, DEPUTIES, DEPUTIES / 2, &mut rng);
    let roll: Vec<String> = (1..=DEPUTIES).map(|i| format!("代表 {i:03}")).collect();
    assert_eq!(
        staff.put(&e.path("/roll"), &json!({ "names": roll })).0,
        200
    );
    e.open(&staff);
    let status = e.status(&public);
    assert_eq!(status["state"], "open");
    assert_eq!(status["credentials"], DEPUTIES as u64);
    assert_eq!(status["roll"], DEPUTIES as u64);

    // The fingerprint the server published is the one the test computes from what it made.
    let ctx = e.context(&public);
    let credentials =
        CredentialList::new(e.credentials.iter().map(Credential::public)).expect("a list");
    let (_, output) = e.ceremony(&public);
    let output = output.expect("ceremony output");
    let expected = election_fingerprint(&FingerprintInputs {
        manifest: &e.manifest,
        teller_keys: &e.signing_keys(),
        joint_key: &output.joint_key,
        verification_keys: &output.verification_keys,
        credentials: &credentials,
    });
    assert_eq!(ctx.fingerprint, expected, "the election fingerprint");
    let setup = started.elapsed();

    // Every deputy's device builds its ballots (in parallel; one seeded rng per deputy).
    let t = Instant::now();
    let deputies: Vec<Deputy> = e
        .credentials
        .par_iter()
        .enumerate()
        .map(|(i, cred)| plan(&ctx, i, cred))
        .collect();
    let built = t.elapsed();

    let t = Instant::now();
    let mut receipts: Vec<(Receipt, &'static str)> = Vec::new();
    receipts.extend(cast_all(&public, &e, &board_key, &deputies[..FIRST_WAVE]));

    // Refusals: each a 4xx with its JSON error, and the board unchanged.
    refusals(&public, &e, &ctx, &deputies);

    receipts.extend(cast_all(&public, &e, &board_key, &deputies[FIRST_WAVE..]));
    let cast = t.elapsed();
    let status = e.status(&public);
    assert_eq!(status["ballots"], DEPUTIES as u64);
    assert_eq!(status["voted"], DEPUTIES as u64);
    assert_eq!(status["audited"], (DEPUTIES / AUDIT_EVERY) as u64);

    // The receipts the board keeps are the ones it gave.
    for (r, _) in receipts.iter().step_by(17) {
        let (status, v) = public.get(&e.path(&format!("/receipts/{}", r.tracking_code)));
        assert_eq!(status, 200);
        assert_eq!(decode::<Receipt>(&v), *r);
    }

    // Staff close; a ballot after the close is refused.
    expect(staff.post_empty(&e.path("/close")), 201);
    assert_eq!(e.state(&public), "closed");
    let late = deputies[0].ballot.clone();
    let size = e.log_size(&public);
    assert_refused(&public.post(&e.path("/ballots"), &late), 409, "conflict");
    assert_eq!(e.log_size(&public), size);

    // Only 3 of the 5 tellers decrypt.
    let t = Instant::now();
    for (k, j) in [2u32, 4, 5].into_iter().enumerate() {
        let share = e.share(&public, j, &mut rng);
        expect(public.post(&e.path("/decryption-shares"), &share), 201);
        let want = if k < 2 { "closed" } else { "tallied" };
        assert_eq!(e.state(&public), want, "after {} shares", k + 1);
    }
    let decrypted = t.elapsed();

    // The result is the count of the plaintexts the test chose, with the rule applied.
    let mut counts: Counts = vec![vec![0; 13]];
    for d in &deputies {
        for &o in &d.chosen {
            counts[0][o] += 1;
        }
    }
    let (result_counts, outcome) = result_entry(&public, &e);
    assert_eq!(result_counts, counts, "the decrypted counts");
    let want = e.manifest.decision.apply(
        &e.manifest.contests,
        &counts,
        DEPUTIES as u64,
        DEPUTIES as u64,
    );
    assert_eq!(outcome, serde_json::to_value(&want).expect("outcome"));

    // Staff publish; then everything is checked against the final tree head.
    expect(staff.post_empty(&e.path("/publish")), 201);
    assert_eq!(e.state(&public), "published");
    let t = Instant::now();
    check_board(&public, &e, &board_key, &receipts);
    let checked = t.elapsed();

    // The record the server exports passes the independent verifier, its board part included.
    let t = Instant::now();
    let record: ElectionRecord = decode(&expect(public.get(&e.path("/record")), 200));
    assert_eq!(record.ballots.len(), DEPUTIES);
    let report = verify_record(&record);
    assert!(
        report.passed(),
        "the verifier fails {:?}:\n{}",
        report.failed_steps(),
        report.render(Lang::En)
    );
    let board = report.step("V7").expect("a V7 step");
    assert_eq!(
        board.status,
        piaojue_verifier::Status::Passed,
        "V7 ran on the board"
    );
    let verified = t.elapsed();

    println!(
        "{:?}: set-up {setup:.1?}, ballots built {built:.1?}, cast {cast:.1?}, decrypted \
         {decrypted:.1?}, board checked {checked:.1?}, record verified {verified:.1?}, total \
         {:.1?}",
        db.backend,
        started.elapsed()
    );
}

/// Deputy `i`'s choices and ballots, from its own seeded rng.
fn plan(ctx: &ElectionContext, i: usize, cred: &Credential) -> Deputy {
    let mut rng = test_rng(SEED, 1000 + i as u64);
    let mut options: Vec<usize> = (0..13).collect();
    let k = rng.random_range(0..=10usize);
    for j in 0..k {
        let pick = rng.random_range(j..options.len());
        options.swap(j, pick);
    }
    let mut chosen = options[..k].to_vec();
    chosen.sort_unstable();
    let selection = Selection::from_chosen(&ctx.manifest, std::slice::from_ref(&chosen))
        .expect("a valid selection");
    let audited = i.is_multiple_of(AUDIT_EVERY).then(|| {
        let (ballot, secrets) = Ballot::build(ctx, cred, &selection, &mut rng).expect("built");
        AuditedBallot {
            ballot,
            opening: secrets.open(),
        }
    });
    let (ballot, secrets) = Ballot::build(ctx, cred, &selection, &mut rng).expect("built");
    Deputy {
        chosen,
        ballot,
        audited,
        opening: (i == 3).then(|| secrets.open()),
    }
}

/// Deputies post their ballots, `CLIENTS` at a time; every answer is a receipt that verifies.
fn cast_all(
    c: &Client,
    e: &Election,
    board_key: &CredentialKey,
    deputies: &[Deputy],
) -> Vec<(Receipt, &'static str)> {
    let per_client = deputies.len().div_ceil(CLIENTS);
    std::thread::scope(|s| {
        let handles: Vec<_> = deputies
            .chunks(per_client)
            .map(|chunk| {
                let c = c.clone();
                s.spawn(move || {
                    let mut out = Vec::new();
                    for d in chunk {
                        if let Some(a) = &d.audited {
                            let r = receipt(c.post(&e.path("/audited"), a), e, board_key);
                            assert_eq!(r.tracking_code, a.ballot.tracking_code());
                            out.push((r, "audited"));
                        }
                        let r = receipt(c.post(&e.path("/ballots"), &d.ballot), e, board_key);
                        assert_eq!(r.tracking_code, d.ballot.tracking_code());
                        out.push((r, "ballot"));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a casting thread"))
            .collect()
    })
}

#[track_caller]
fn receipt(reply: (u16, Value), e: &Election, board_key: &CredentialKey) -> Receipt {
    let r: Receipt = decode(&expect(reply, 201));
    assert_eq!(r.election_id, e.id);
    r.verify(board_key).expect("the receipt verifies");
    r
}

/// A deputy's device re-signs a ballot it changed (so that only the change is wrong).
fn resign(mut b: Ballot, cred: &Credential) -> Ballot {
    let key = SigningKey::from_bytes(&cred.seed());
    b.signature = Bytes(key.sign(&b.signed_bytes()).to_bytes());
    b
}

/// Every refusal a deputy can meet while voting is open: status, error code, board unchanged.
fn refusals(c: &Client, e: &Election, ctx: &ElectionContext, deputies: &[Deputy]) {
    let ballots = e.path("/ballots");
    let size = e.log_size(c);
    let head = c.get(&e.path("/board/head"));
    let unchanged = |what: &str| {
        assert_eq!(e.log_size(c), size, "{what}: the log grew");
        assert_eq!(c.get(&e.path("/board/head")), head, "{what}: a new head");
    };
    let mut rng = test_rng(SEED, 2);
    let (fresh, fresh_cred) = (&deputies[FIRST_WAVE + 1], &e.credentials[FIRST_WAVE + 1]);

    // Double vote: deputy 1 (who voted) casts another ballot; and re-posts the same one.
    let selection = Selection::from_chosen(&ctx.manifest, &[vec![0, 1]]).expect("selection");
    let (second, _) = Ballot::build(ctx, &e.credentials[1], &selection, &mut rng).expect("built");
    let m = assert_refused(&c.post(&ballots, &second), 409, "conflict");
    assert!(m.contains("already cast"), "{m}");
    unchanged("double vote");
    assert_refused(&c.post(&ballots, &deputies[1].ballot), 409, "conflict");
    unchanged("the same ballot twice");

    // Bad proof: one response of a 0/1 proof changed, the ballot re-signed.
    let mut bad = fresh.ballot.clone();
    let r = &mut bad.contests[0].selections[3].proof.responses[0];
    *r += curve25519_dalek::Scalar::ONE;
    let bad = resign(bad, fresh_cred);
    let m = assert_refused(&c.post(&ballots, &bad), 422, "invalid");
    assert!(m.contains("option 3"), "{m}");
    unchanged("bad proof");
    let mut bad = fresh.ballot.clone();
    bad.contests[0].proof.challenges[0] += curve25519_dalek::Scalar::ONE;
    let bad = resign(bad, fresh_cred);
    assert_refused(&c.post(&ballots, &bad), 422, "invalid");
    unchanged("bad sum proof");

    // Wrong election: a ballot built for another election's fingerprint.
    let mut other_fp = ctx.fingerprint;
    other_fp.0[0] ^= 1;
    let other =
        ElectionContext::new(ctx.manifest.clone(), other_fp, *ctx.key.key()).expect("a context");
    let (wrong, _) = Ballot::build(&other, fresh_cred, &selection, &mut rng).expect("built");
    let m = assert_refused(&c.post(&ballots, &wrong), 422, "invalid");
    assert!(m.contains("another election"), "{m}");
    unchanged("wrong election");

    // Bad signature.
    let mut forged = fresh.ballot.clone();
    forged.signature.0[7] ^= 0x40;
    let m = assert_refused(&c.post(&ballots, &forged), 422, "invalid");
    assert!(m.contains("signature"), "{m}");
    unchanged("bad signature");
    // A ballot signed by another registered credential than the one it names.
    let stolen = resign(fresh.ballot.clone(), &e.credentials[FIRST_WAVE + 2]);
    assert_refused(&c.post(&ballots, &stolen), 422, "invalid");
    unchanged("signed by another credential");

    // Unknown credential: a well-formed ballot from a credential not on the list.
    let stranger = Credential::generate(&mut rng);
    let (unknown, _) = Ballot::build(ctx, &stranger, &selection, &mut rng).expect("built");
    let m = assert_refused(&c.post(&ballots, &unknown), 422, "invalid");
    assert!(m.contains("credential"), "{m}");
    unchanged("unknown credential");

    // Garbage JSON, and JSON that is not a ballot.
    assert_refused(
        &c.send("POST", &ballots, b"{\"election\": "),
        400,
        "bad_request",
    );
    assert_refused(
        &c.send("POST", &ballots, b"\xff\xfe garbage"),
        400,
        "bad_request",
    );
    assert_refused(&c.send("POST", &ballots, b"[1, 2, 3]"), 400, "bad_request");
    let mut v = serde_json::to_value(&fresh.ballot).expect("json");
    v["credential"] = json!("zz".repeat(32));
    assert_refused(&c.post(&ballots, &v), 400, "bad_request");
    unchanged("garbage");

    // The tracking code of an audited ballot can never be cast; and a cast ballot can never
    // be opened as an audited one.
    let audited = deputies[0].audited.as_ref().expect("deputy 0 audited");
    let m = assert_refused(&c.post(&ballots, &audited.ballot), 409, "conflict");
    assert!(m.contains("tracking code"), "{m}");
    unchanged("casting an audited ballot");
    let revealed = AuditedBallot {
        ballot: deputies[3].ballot.clone(),
        opening: deputies[3]
            .opening
            .clone()
            .expect("deputy 3 kept its secrets"),
    };
    let m = assert_refused(&c.post(&e.path("/audited"), &revealed), 409, "conflict");
    assert!(m.contains("tracking code"), "{m}");
    unchanged("auditing a cast ballot");

    // An audited ballot whose opening does not match.
    let mut wrong_opening = audited.clone();
    wrong_opening.opening.contests[0][0].value ^= 1;
    assert_refused(&c.post(&e.path("/audited"), &wrong_opening), 422, "invalid");
    unchanged("a wrong opening");
}

/// The counts and outcome of the board's result entry.
fn result_entry(c: &Client, e: &Election) -> (Counts, Value) {
    let (status, entries) = c.get(&e.path("/board/entries?from=0&limit=10000"));
    assert_eq!(status, 200);
    let result = entries
        .as_array()
        .expect("entries")
        .iter()
        .find(|x| x["kind"] == "result")
        .expect("a result entry")
        .clone();
    (
        decode(&result["data"]["counts"]),
        result["data"]["outcome"].clone(),
    )
}

/// Checks the whole board against its final signed tree head: the head's signature, its root
/// recomputed from every entry's bytes, and for every receipt the entry it names, its
/// inclusion in the final tree (proof from the server) and the consistency of the receipt's
/// head with the final one.
fn check_board(c: &Client, e: &Election, board_key: &CredentialKey, receipts: &[(Receipt, &str)]) {
    let head: SignedTreeHead = decode(&expect(c.get(&e.path("/board/head")), 200));
    assert!(head.verify(board_key), "the final head's signature");
    let size = head.head.size;
    assert_eq!(size, e.log_size(c));
    let heads: Vec<SignedTreeHead> = decode(&expect(c.get(&e.path("/board/heads")), 200));
    assert_eq!(heads.last(), Some(&head));

    let mut tree = MerkleTree::new();
    let mut entries = Vec::with_capacity(size as usize);
    for i in 0..size {
        let (status, bytes) = c.get_bytes(&e.path(&format!("/board/entries/{i}")));
        assert_eq!(status, 200);
        let entry = Entry::from_bytes(&bytes).expect("an entry");
        assert_eq!(entry.index, i);
        tree.push(&bytes);
        entries.push((leaf_hash(&bytes), entry));
    }
    assert_eq!(tree.root(), head.head.root.0, "the root of the entries");
    assert!(matches!(entries[0].1.event, Event::Manifest(_)));
    assert!(matches!(
        entries.last().expect("entries").1.event,
        Event::Published
    ));
    let close = entries
        .iter()
        .position(|(_, e)| matches!(e.event, Event::Close { .. }))
        .expect("a close entry");
    let before = entries[..close]
        .iter()
        .filter(|(_, e)| matches!(e.event, Event::Ballot(_)))
        .count();
    assert_eq!(before, DEPUTIES);
    assert!(
        matches!(entries[close].1.event, Event::Close { ballots } if ballots == before as u64),
        "the close entry counts the ballots before it"
    );

    let mut consistent: BTreeMap<u64, bool> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for (r, kind) in receipts {
        r.verify(board_key).expect("the receipt");
        let (leaf, entry) = &entries[r.index as usize];
        assert_eq!(r.leaf_hash.0, *leaf, "the receipt's leaf is the entry's");
        let code = match &entry.event {
            Event::Ballot(b) => {
                assert_eq!(*kind, "ballot");
                b.tracking_code()
            }
            Event::Audited(a) => {
                assert_eq!(*kind, "audited");
                a.ballot.tracking_code()
            }
            other => panic!("receipt {} names a {} entry", r.index, other.kind()),
        };
        assert_eq!(code, r.tracking_code);
        *kinds.entry(kind).or_default() += 1;

        let v = expect(
            c.get(&e.path(&format!("/board/inclusion?index={}&size={size}", r.index))),
            200,
        );
        let proof: Vec<Digest32> = decode(&v["proof"]);
        let proof: Vec<[u8; 32]> = proof.iter().map(|h| h.0).collect();
        assert!(
            verify_inclusion(&r.leaf_hash.0, r.index, size, &proof, &head.head.root.0),
            "entry {} is in the final tree",
            r.index
        );

        assert!(
            e.consistent_with(c, &r.tree_head, &head, &mut consistent),
            "the head of size {} is consistent with the final",
            r.tree_head.head.size
        );
    }
    assert_eq!(kinds.get("ballot"), Some(&DEPUTIES));
    assert_eq!(kinds.get("audited"), Some(&(DEPUTIES / AUDIT_EVERY)));
}
