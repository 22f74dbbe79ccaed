//! Shared by the crash and race tests: a client that reports a cut connection instead of
//! panicking, and the final checks of an election's board against the ballots the test cast.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::board::{Receipt, SignedTreeHead};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::tally::Counts;
use piaojue_verifier::{Lang, verify_record};
use serde_json::Value;

use crate::common::election::{Election, expect};
use crate::common::{Client, decode};

/// What one `POST` of a ballot came to.
#[derive(Debug)]
pub enum Outcome {
    /// An HTTP answer.
    Answer(u16, Value),
    /// No answer: the connection failed or was cut (the server was killed).
    Cut(String),
}

/// A client with short timeouts that answers [`Outcome`]s.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// `POST base + path` with a JSON body.
pub fn try_post(
    agent: &ureq::Agent,
    base: &str,
    path: &str,
    body: &impl serde::Serialize,
) -> Outcome {
    let bytes = serde_json::to_vec(body).expect("serializes");
    let request = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{base}{path}"))
        .header("Content-Type", "application/json")
        .body(bytes)
        .expect("a request");
    match agent.run(request) {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.into_body().read_to_vec() {
                Ok(b) => Outcome::Answer(status, serde_json::from_slice(&b).unwrap_or(Value::Null)),
                Err(e) => Outcome::Cut(e.to_string()),
            }
        }
        Err(e) => Outcome::Cut(e.to_string()),
    }
}

/// The plaintext counts of one-contest ballots whose choices are `chosen`.
pub fn counts_of<'a>(options: usize, chosen: impl Iterator<Item = &'a Vec<usize>>) -> Counts {
    let mut counts = vec![vec![0u64; options]];
    for c in chosen {
        for &o in c {
            counts[0][o] += 1;
        }
    }
    counts
}

/// Checks an open (or closed) election's board against what the test knows:
/// * every acknowledged receipt verifies, names its ballot's entry, its head is consistent
///   with the final head, and the server finds it by tracking code;
/// * every ballot on the board is one the test cast, and no credential is there twice;
/// * the exported record passes the verifier (which checks the log's hash links, the Merkle
///   root and every signed tree head).
///
/// Returns the record's ballots by credential.
pub fn check_board(
    c: &Client,
    e: &Election,
    receipts: &[Receipt],
) -> HashMap<CredentialKey, Ballot> {
    let board_key: CredentialKey = decode(&expect(c.get("/api/board-key"), 200)["board_key"]);
    let head: SignedTreeHead = decode(&expect(c.get(&e.path("/board/head")), 200));
    assert!(head.verify(&board_key), "the final head's signature");
    let mut consistent: BTreeMap<u64, bool> = BTreeMap::new();
    for r in receipts {
        r.verify(&board_key).expect("the receipt verifies");
        let found: Receipt = decode(&expect(
            c.get(&e.path(&format!("/receipts/{}", r.tracking_code.to_base64()))),
            200,
        ));
        assert_eq!(found.index, r.index, "the receipt's entry");
        assert_eq!(found.leaf_hash, r.leaf_hash, "the receipt's leaf");
        assert!(
            e.consistent_with(c, &r.tree_head, &head, &mut consistent),
            "a receipt's head of size {} forks from the final head",
            r.tree_head.head.size
        );
    }
    let record: ElectionRecord = decode(&expect(c.get(&e.path("/record")), 200));
    let mut by_credential = HashMap::new();
    let mut codes = HashSet::new();
    for b in &record.ballots {
        assert!(
            by_credential.insert(b.credential, b.clone()).is_none(),
            "a credential is on the board twice"
        );
        codes.insert(b.tracking_code());
    }
    for r in receipts {
        assert!(
            codes.contains(&r.tracking_code),
            "an acknowledged ballot is missing from the record"
        );
    }
    let report = verify_record(&record);
    assert!(report.passed(), "{}", report.render(Lang::En));
    by_credential
}

/// Closes, has tellers 1 and 3 decrypt, checks the counts and that the record verifies.
pub fn finish(c: &Client, staff: &Client, e: &Election, want: &Counts, seed: u64) {
    expect(staff.post_empty(&e.path("/close")), 201);
    let mut rng = crate::common::election::test_rng(seed, 0);
    for j in [1u32, 3] {
        let share = e.share(c, j, &mut rng);
        expect(c.post(&e.path("/decryption-shares"), &share), 201);
    }
    check_result(c, e, want);
}

/// The election is tallied with `want` and its record verifies.
pub fn check_result(c: &Client, e: &Election, want: &Counts) {
    assert_eq!(e.state(c), "tallied");
    let record: ElectionRecord = decode(&expect(c.get(&e.path("/record")), 200));
    let result = record.result.as_ref().expect("a result");
    assert_eq!(&result.counts, want, "the decrypted counts");
    let report = verify_record(&record);
    assert!(report.passed(), "{}", report.render(Lang::En));
}
