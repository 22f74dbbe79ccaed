//! Drives an election through the server's HTTP API as its staff, tellers and registrar would,
//! each with its own secrets on the test's side: the server sees only what the API carries.

use chacha20::ChaCha20Rng;
use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;

use piaojue_crypto::attendance::Attendance;
use piaojue_crypto::ballot::ElectionContext;
use piaojue_crypto::board::SignedTreeHead;
use piaojue_crypto::board::merkle::verify_consistency;
use piaojue_crypto::credential::{Credential, CredentialList};
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::dkg::dealer::CeremonyTranscript;
use piaojue_crypto::dkg::party::{AwaitingChecks, Teller};
use piaojue_crypto::dkg::{CeremonyOutput, TellerKey};
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_crypto::fingerprint::{FingerprintInputs, election_fingerprint};
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::ceremony_params;
use piaojue_crypto::tally::EncryptedTally;
use rand::SeedableRng;
use serde_json::{Value, json};

use super::{Client, decode};

/// A deterministic rng for a test: the same `seed` and `stream` give the same values.
pub fn test_rng(seed: u64, stream: u64) -> ChaCha20Rng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    s[8..16].copy_from_slice(&stream.to_le_bytes());
    ChaCha20Rng::from_seed(s)
}

/// One election as the test knows it: the manifest and the secrets of its tellers and deputies.
pub struct Election {
    /// The election id.
    pub id: String,
    /// The manifest.
    pub manifest: Manifest,
    /// The tellers' ed25519 signing keys, teller `i` at `i − 1`.
    pub signing: Vec<SigningKey>,
    /// The tellers' keys after the ceremony, teller `i` at `i − 1`.
    pub tellers: Vec<TellerKey>,
    /// The registered deputies' credentials.
    pub credentials: Vec<Credential>,
}

/// Posts a request that must succeed with `status`, and returns its body.
#[track_caller]
pub fn expect(reply: (u16, Value), status: u16) -> Value {
    assert_eq!(reply.0, status, "unexpected answer {}", reply.1);
    reply.1
}

impl Election {
    /// Creates the election (staff): state `draft`.
    /// The server writes its own board and witnesses into the manifest: the election keeps the
    /// manifest as the server made it.
    pub fn create(staff: &Client, manifest: Manifest) -> Self {
        let draft = piaojue::cli::client::manifest_draft(&manifest);
        expect(staff.post("/api/elections", &draft), 201);
        let status = expect(
            staff.get(&format!("/api/elections/{}", manifest.election_id)),
            200,
        );
        let manifest: Manifest = serde_json::from_value(status["manifest"].clone()).unwrap();
        Election {
            id: manifest.election_id.clone(),
            manifest,
            signing: Vec::new(),
            tellers: Vec::new(),
            credentials: Vec::new(),
        }
    }

    /// `/api/elections/{id}` + `rest`.
    pub fn path(&self, rest: &str) -> String {
        format!("/api/elections/{}{rest}", self.id)
    }

    /// Whether an older tree head (a receipt's, say) is a prefix of `head`, by the board's
    /// consistency proof, checked here. `memo` keeps the verdict per older size: the receipts
    /// of one batch share their head, so one proof serves them all.
    pub fn consistent_with(
        &self,
        c: &Client,
        old: &SignedTreeHead,
        head: &SignedTreeHead,
        memo: &mut BTreeMap<u64, bool>,
    ) -> bool {
        let (old, new) = (old.head, head.head);
        *memo.entry(old.size).or_insert_with(|| {
            let v = expect(
                c.get(&self.path(&format!(
                    "/board/consistency?old={}&new={}",
                    old.size, new.size
                ))),
                200,
            );
            let proof: Vec<Digest32> = decode(&v["proof"]);
            let proof: Vec<[u8; 32]> = proof.iter().map(|h| h.0).collect();
            verify_consistency(old.size, new.size, &old.root.0, &new.root.0, &proof)
        })
    }

    /// The election's public status.
    pub fn status(&self, c: &Client) -> Value {
        expect(c.get(&self.path("")), 200)
    }

    /// Its lifecycle state.
    pub fn state(&self, c: &Client) -> String {
        self.status(c)["state"]
            .as_str()
            .expect("a state")
            .to_string()
    }

    /// The number of entries on its board.
    pub fn log_size(&self, c: &Client) -> u64 {
        self.status(c)["log_size"].as_u64().expect("a log size")
    }

    /// Makes the tellers' signing keys and registers them (staff): state `key_ceremony`.
    pub fn start_ceremony(&mut self, staff: &Client, rng: &mut ChaCha20Rng) {
        self.signing = (0..self.manifest.tellers.n)
            .map(|_| SigningKey::generate(rng))
            .collect();
        let keys: Vec<Bytes<32>> = self.signing_keys();
        expect(
            staff.post(&self.path("/tellers"), &json!({ "signing_keys": keys })),
            201,
        );
    }

    /// The tellers' public signing keys, in index order.
    pub fn signing_keys(&self) -> Vec<Bytes<32>> {
        self.signing
            .iter()
            .map(|k| Bytes(k.verifying_key().to_bytes()))
            .collect()
    }

    /// The ceremony as the server shows it: transcript and output (once complete).
    pub fn ceremony(&self, c: &Client) -> (CeremonyTranscript, Option<CeremonyOutput>) {
        let v = expect(c.get(&self.path("/ceremony")), 200);
        (decode(&v["transcript"]), decode(&v["output"]))
    }

    /// Posts one ceremony message (a teller; no token).
    pub fn post_round(&self, c: &Client, round: &str, message: &impl serde::Serialize) {
        let body = json!({ "round": round, "message": message });
        expect(c.post(&self.path("/ceremony"), &body), 201);
    }

    /// Runs the whole key ceremony over HTTP, every teller fetching the transcript between
    /// rounds: state `registration`.
    pub fn run_ceremony(&mut self, c: &Client, rng: &mut ChaCha20Rng) {
        let params = ceremony_params(&self.manifest);
        let mut s0 = Vec::new();
        for (i, k) in self.signing.iter().enumerate() {
            let (s, a) = Teller::new(params, i as u32 + 1, k.clone(), rng).expect("round 0");
            self.post_round(c, "announcement", &a);
            s0.push(s);
        }
        let (t, _) = self.ceremony(c);
        let mut s1 = Vec::new();
        for s in s0 {
            let (s, m) = s.commit(&t.announcements, rng).expect("round 1");
            self.post_round(c, "commitment", &m);
            s1.push(s);
        }
        let (t, _) = self.ceremony(c);
        let mut s2 = Vec::new();
        for s in s1 {
            let (s, m) = s.reveal(&t.commitments).expect("round 2");
            self.post_round(c, "reveal", &m);
            s2.push(s);
        }
        let (t, _) = self.ceremony(c);
        let mut s3 = Vec::new();
        for s in s2 {
            let (s, m) = s.check_shares(&t.reveals, rng).expect("round 3");
            self.post_round(c, "share_check", &m);
            s3.push(s);
        }
        self.finish_ceremony(c, s3);
    }

    /// After every teller's share check: the tellers finish their keys from the published
    /// checks, and each key's output must be the one the server published. Returns the
    /// transcript.
    pub fn finish_ceremony(
        &mut self,
        c: &Client,
        tellers: Vec<AwaitingChecks>,
    ) -> CeremonyTranscript {
        let (t, output) = self.ceremony(c);
        let output = output.expect("the server published the ceremony's output");
        self.tellers = tellers
            .into_iter()
            .map(|s| s.finish(&t.checks).expect("the teller's key"))
            .collect();
        for k in &self.tellers {
            assert_eq!(k.output, output, "the server's output is the tellers' own");
        }
        t
    }

    /// Makes `count` credentials (the registrar, on its own machine) and registers their public
    /// keys (staff) in batches of `batch`.
    pub fn register(&mut self, staff: &Client, count: usize, batch: usize, rng: &mut ChaCha20Rng) {
        let fresh: Vec<Credential> = (0..count).map(|_| Credential::generate(rng)).collect();
        for chunk in fresh.chunks(batch) {
            let keys: Vec<_> = chunk.iter().map(Credential::public).collect();
            expect(
                staff.post(&self.path("/credentials"), &json!({ "keys": keys })),
                201,
            );
        }
        self.credentials.extend(fresh);
    }

    /// The fingerprint of the set-up with the served ceremony output and credential list.
    pub fn expected_fingerprint(&self, c: &Client) -> Digest32 {
        let (_, output) = self.ceremony(c);
        let output = output.expect("the ceremony is complete");
        let list: CredentialList = decode(&expect(c.get(&self.path("/credentials")), 200)["keys"]);
        election_fingerprint(&FingerprintInputs {
            manifest: &self.manifest,
            teller_keys: &self.signing_keys(),
            joint_key: &output.joint_key,
            verification_keys: &output.verification_keys,
            credentials: &list,
        })
    }

    /// Teller 1, the chief scrutineer, posts that `signed_in` deputies signed in.
    pub fn attend(&self, c: &Client, signed_in: u32) -> (u16, Value) {
        let f = self.expected_fingerprint(c);
        let a = Attendance::sign(f.0, 1, signed_in, &self.signing[0]);
        c.post(&self.path("/attendance"), &a)
    }

    /// Opens voting (staff): the chief scrutineer first posts that every registered deputy
    /// signed in; state `open`.
    pub fn open(&self, staff: &Client) {
        if self.status(staff)["signed_in"].is_null() {
            expect(self.attend(staff, self.credentials.len() as u32), 201);
        }
        expect(staff.post_empty(&self.path("/open")), 201);
    }

    /// The election's fingerprint, once open.
    pub fn fingerprint(&self, c: &Client) -> Digest32 {
        decode(&self.status(c)["fingerprint"])
    }

    /// What a deputy's device needs to build ballots, from the server: the fingerprint from
    /// the status and the joint key from the ceremony's output.
    pub fn context(&self, c: &Client) -> ElectionContext {
        let (_, output) = self.ceremony(c);
        let output = output.expect("the ceremony is complete");
        ElectionContext::new(self.manifest.clone(), self.fingerprint(c), output.joint_key)
            .expect("a valid context")
    }

    /// The encrypted tally, once closed, flattened.
    pub fn tally(&self, c: &Client) -> EncryptedTally {
        decode(&expect(c.get(&self.path("/tally")), 200))
    }

    /// Teller `j`'s decryption share of the tally.
    pub fn share(&self, c: &Client, j: u32, rng: &mut ChaCha20Rng) -> DecryptionShare {
        let flat = self.tally(c).flatten();
        let head: SignedTreeHead = decode(&expect(c.get(&self.path("/board/head")), 200));
        DecryptionShare::compute(
            self.fingerprint(c).0,
            &self.signing[j as usize - 1],
            &self.tellers[j as usize - 1],
            BoardHeadRef {
                size: head.head.size,
                root: head.head.root,
            },
            &flat,
            rng,
        )
    }

    /// Signs a (changed) share again with its teller's signing key, as a teller who posts a
    /// wrong share would.
    pub fn resign_share(&self, c: &Client, share: &mut DecryptionShare) {
        use ed25519_dalek::Signer;
        let bytes = share.signed_bytes(self.fingerprint(c).0);
        share.signature = Bytes(
            self.signing[share.teller as usize - 1]
                .sign(&bytes)
                .to_bytes(),
        );
    }

    /// Everything up to `open`: tellers, ceremony, `deputies` credentials (in one batch),
    /// voting open.
    pub fn prepare_open(
        staff: &Client,
        mut manifest: Manifest,
        deputies: usize,
        rng: &mut ChaCha20Rng,
    ) -> Self {
        manifest.deputies = deputies as u32;
        let mut e = Election::create(staff, manifest);
        e.start_ceremony(staff, rng);
        e.run_ceremony(staff, rng);
        e.register(staff, deputies, deputies, rng);
        e.open(staff);
        e
    }
}

/// Deputy `d`'s choices among `options` in a load test: a blank ballot every `period`-th
/// deputy, one option the next, two the rest (`period` ≥ 3).
#[allow(dead_code)] // not every test binary that includes `common` casts load
pub fn up_to_two(d: usize, period: usize, options: usize) -> Vec<usize> {
    match d % period {
        0 => vec![],
        1 => vec![d % options],
        _ => vec![d % options, (d + 1) % options],
    }
}
