//! The voting booth's JS cryptography (`web/src/piaojue.js`) against the Rust implementation:
//! ballots built in JS must pass `Ballot::verify`, audited ones `AuditedBallot::check_opening`,
//! with the tracking codes the JS shows and JSON exactly as serde writes it.
//!
//! * `js_ballot_vectors_verify` checks the committed `spec/vectors/js-ballots.json` (no node needed).
//! * `node_built_ballots_verify` runs `node web/scripts/make_ballots.mjs` on fresh credentials;
//!   it is skipped, with the reason printed, when `node` or `web/node_modules` is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use piaojue_crypto::ballot::{AuditedBallot, Ballot, ElectionContext, Selection};
use piaojue_crypto::credential::{Credential, CredentialKey, CredentialList};
use piaojue_crypto::encoding::{Bytes, Digest32, PublicKey};
use piaojue_crypto::fingerprint::{FingerprintInputs, election_fingerprint};
use piaojue_crypto::manifest::Manifest;
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(name: &str) -> Value {
    let path = root().join("spec/vectors").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn from<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

/// The election of `election-record.json` (manifest, tellers, joint key) with another
/// credential list: its context and fingerprint.
struct Election {
    manifest: Manifest,
    joint_key: PublicKey,
    teller_keys: Vec<Bytes<32>>,
    verification_keys: Vec<PublicKey>,
}

impl Election {
    fn from_record() -> Self {
        let e = &load("election-record.json")["election"];
        Election {
            manifest: from(&e["manifest"]),
            joint_key: from(&e["ceremony_output"]["joint_key"]),
            teller_keys: e["ceremony"]["announcements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| from(&a["signing_key"]))
                .collect(),
            verification_keys: from(&e["ceremony_output"]["verification_keys"]),
        }
    }

    fn fingerprint(&self, credentials: &CredentialList) -> Digest32 {
        election_fingerprint(&FingerprintInputs {
            manifest: &self.manifest,
            teller_keys: &self.teller_keys,
            joint_key: &self.joint_key,
            verification_keys: &self.verification_keys,
            credentials,
        })
    }

    fn context(&self, fingerprint: Digest32) -> ElectionContext {
        ElectionContext::new(self.manifest.clone(), fingerprint, self.joint_key).unwrap()
    }
}

fn selection(v: &Value) -> Vec<Vec<u8>> {
    from(v)
}

fn verify(ctx: &ElectionContext, credentials: &CredentialList, ballot: Ballot) -> String {
    let verified = ballot
        .verify(ctx, credentials)
        .unwrap_or_else(|e| panic!("a JS ballot does not verify: {e}"));
    verified.tracking_code().to_base64()
}

fn opened(ctx: &ElectionContext, audited: &AuditedBallot) -> Vec<Vec<u8>> {
    let selection: Selection = audited
        .check_opening(ctx)
        .unwrap_or_else(|e| panic!("a JS opening does not check: {e}"));
    selection.0.clone()
}

#[test]
fn js_ballot_vectors_verify() {
    let v = load("js-ballots.json");
    let election = Election::from_record();
    // The credential keys of the seeds, the list, and the fingerprint the JS computed for them.
    let keys: Vec<CredentialKey> = v["credential_seeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Credential::from_hex(s.as_str().unwrap()).unwrap().public())
        .collect();
    let credentials = CredentialList::new(keys).unwrap();
    assert_eq!(
        credentials,
        from::<CredentialList>(&v["credentials"]),
        "JS credential keys or their order differ"
    );
    let fingerprint = election.fingerprint(&credentials);
    assert_eq!(
        fingerprint.to_base64(),
        v["fingerprint"].as_str().unwrap(),
        "the JS election fingerprint differs"
    );
    let ctx = election.context(fingerprint);

    let ballots = v["ballots"].as_array().unwrap();
    assert!(ballots.len() >= 3);
    for b in ballots {
        let ballot: Ballot = from(&b["ballot"]);
        assert_eq!(serde_json::to_value(&ballot).unwrap(), b["ballot"]);
        assert_eq!(
            verify(&ctx, &credentials, ballot),
            b["tracking_code"].as_str().unwrap()
        );
    }
    let audited = v["audited"].as_array().unwrap();
    assert!(!audited.is_empty());
    for a in audited {
        let ab: AuditedBallot = from(&a["audited"]);
        assert_eq!(serde_json::to_value(&ab).unwrap(), a["audited"]);
        assert_eq!(opened(&ctx, &ab), selection(&a["selection"]));
        assert_eq!(
            verify(&ctx, &credentials, ab.ballot),
            a["tracking_code"].as_str().unwrap()
        );
    }
}

/// Why the node cross-check cannot run here, if it cannot.
fn node_missing(root: &Path) -> Option<String> {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => return Some("`node` is not installed".into()),
    }
    if !root.join("web/node_modules/@noble/curves").is_dir() {
        return Some("web/node_modules is missing (run `npm ci` in web/)".into());
    }
    None
}

#[test]
fn node_built_ballots_verify() {
    let root = root();
    if let Some(reason) = node_missing(&root) {
        println!("SKIPPED node_built_ballots_verify: {reason}");
        return;
    }
    // Fresh credentials, a fingerprint for them, and selections for "up to 2 of 4" and
    // yes / no / abstain, one ballot audited, one selection invalid.
    let election = Election::from_record();
    let creds: Vec<Credential> = (0..3)
        .map(|_| Credential::generate(&mut rand::rng()))
        .collect();
    let credentials = CredentialList::new(creds.iter().map(Credential::public)).unwrap();
    let fingerprint = election.fingerprint(&credentials);
    let ctx = election.context(fingerprint);
    let seed = |i: usize| hex::encode(*creds[i].seed());
    let requests = json!([
        {"seed": seed(0), "chosen": [[], ["yes"]]},
        {"seed": seed(1), "chosen": [[1], ["no"]]},
        {"seed": seed(2), "chosen": [["p01", "p04"], ["abstain"]]},
        {"seed": seed(0), "chosen": [[0, 2], [0]], "audit": true},
        {"seed": seed(1), "chosen": [[0, 1, 2], ["yes"]]},
    ]);
    let expected: [(Option<&str>, Vec<Vec<u8>>); 5] = [
        (None, vec![vec![0, 0, 0, 0], vec![1, 0, 0]]),
        (None, vec![vec![0, 1, 0, 0], vec![0, 1, 0]]),
        (None, vec![vec![1, 0, 0, 1], vec![0, 0, 1]]),
        (None, vec![vec![1, 0, 1, 0], vec![1, 0, 0]]),
        (Some("too-many"), vec![]),
    ];
    let context = json!({
        "manifest": election.manifest,
        "fingerprint": fingerprint,
        "joint_key": election.joint_key,
        "ballots": requests,
    });
    let path = std::env::temp_dir().join(format!("piaojue-booth-js-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(&context).unwrap()).unwrap();
    let out = Command::new("node")
        .arg(root.join("web/scripts/make_ballots.mjs"))
        .arg(&path)
        .output()
        .expect("run node");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "make_ballots.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());

    let mut codes = Vec::new();
    for (r, (error, want)) in results.iter().zip(expected) {
        if let Some(code) = error {
            assert_eq!(r["error"]["code"], code, "{r}");
            continue;
        }
        let text = r["json"].as_str().unwrap();
        let code = r["tracking_code"].as_str().unwrap();
        if r["audited"].as_bool().unwrap() {
            let ab: AuditedBallot = serde_json::from_str(text).unwrap();
            // The JS writes the JSON exactly as serde does: same fields, order and hex.
            assert_eq!(serde_json::to_string(&ab).unwrap(), text);
            assert_eq!(opened(&ctx, &ab), want);
            assert_eq!(verify(&ctx, &credentials, ab.ballot), code);
        } else {
            let ballot: Ballot = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&ballot).unwrap(), text);
            assert_eq!(verify(&ctx, &credentials, ballot), code);
        }
        codes.push(code.to_string());
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 4, "tracking codes repeat");
}
