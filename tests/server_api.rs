//! The ballot server's API refuses what it must: bad input at every endpoint (malformed JSON,
//! unknown fields, bad base64url, non-canonical scalars, invalid points, wrong lengths, out-of-range
//! indices, unknown elections, wrong states), each with a 4xx, the JSON error body
//! `{"error", "message"}`, and no change to any board; and roles (staff token, tellers'
//! signatures, the proofs of decryption shares).
//!
//! Against the real `piaojue serve` binary, on SQLite, and on PostgreSQL when
//! `PIAOJUE_TEST_POSTGRES_URL` is set.

mod common;

use std::io::{Read, Write};

use chacha20::ChaCha20Rng;
use common::election::{Election, expect, test_rng};
use common::{Client, Server, TestDb, assert_refused};
use curve25519_dalek::Scalar;
use ed25519_dalek::{Signer, SigningKey};
use piaojue_crypto::ballot::{AuditedBallot, Ballot, ElectionContext, Selection};
use piaojue_crypto::credential::Credential;
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::dkg::messages::{ShareCheck, SignedMessage};
use piaojue_crypto::dkg::party::Teller;
use piaojue_crypto::encoding::{Bytes, Digest32, PublicKey};
use piaojue_crypto::manifest::{Manifest, TellerParams};
use piaojue_crypto::record::ceremony_params;
use piaojue_crypto::samples;
use piaojue_crypto::tracking::ShortTrackingCode;
use serde_json::{Value, json};

/// The group order ℓ, little-endian: the smallest non-canonical scalar.
const SCALAR_L: &str = "7dP1XBpjEljWnPei3vneFAAAAAAAAAAAAAAAAAAAABA";
/// Not a ristretto255 encoding (a field element ≥ p).
const BAD_POINT: &str = "__________________________________________8";
/// The ristretto255 identity: a valid point, refused where a public key is required.
const IDENTITY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
/// The ed25519 identity (y = 1): a point of small order, a weak key.
const WEAK_KEY: &str = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
/// y = p: a non-canonical ed25519 encoding.
const NON_CANONICAL_KEY: &str = "7f_______________________________________38";

/// "Up to 2 of 3" for a congress of five deputies.
fn small_manifest(id: &str) -> Manifest {
    let mut m = samples::up_to_k_of_n(id, 3, 2, TellerParams { n: 3, t: 2 });
    m.deputies = 5;
    m
}

/// The length of 32 bytes' base64url, with characters outside the alphabet.
fn not_base64() -> Value {
    json!("*".repeat(43))
}

/// 31 bytes of base64url, where 32 are needed.
fn short_base64() -> Value {
    json!("A".repeat(42))
}

/// `v` with the value at JSON `pointer` replaced.
#[track_caller]
fn with(v: &Value, pointer: &str, new: Value) -> Value {
    let mut v = v.clone();
    let slot = v.pointer_mut(pointer);
    *slot.unwrap_or_else(|| panic!("no {pointer}")) = new;
    v
}

/// `v` with the field at `pointer` (`/a/b/field`) removed.
#[track_caller]
fn without(v: &Value, pointer: &str) -> Value {
    let (parent, field) = pointer.rsplit_once('/').expect("a pointer");
    let mut v = v.clone();
    v.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove(field))
        .unwrap_or_else(|| panic!("no {pointer}"));
    v
}

/// `v` with an extra field `field` in the object at `pointer` ("" for the top).
#[track_caller]
fn with_extra(v: &Value, pointer: &str, field: &str) -> Value {
    let mut v = v.clone();
    v.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {pointer:?}"))
        .insert(field.to_string(), json!(1));
    v
}

fn to_json(x: &impl serde::Serialize) -> Value {
    serde_json::to_value(x).expect("serializes")
}

/// A ceremony message as posted.
fn round(name: &str, message: &impl serde::Serialize) -> Value {
    json!({ "round": name, "message": message })
}

/// Refusals and the proof that they changed nothing: every election's status (state, log
/// size, counts, roll) and every board's head are the same after a refused request as before.
struct Checker {
    watch: Client,
}

impl Checker {
    fn snapshot(&self) -> Value {
        let list = expect(self.watch.get("/api/elections"), 200);
        let heads: Vec<Value> = list
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| {
                let id = e["election_id"].as_str().expect("an id");
                expect(
                    self.watch.get(&format!("/api/elections/{id}/board/head")),
                    200,
                )
            })
            .collect();
        json!({ "elections": list, "heads": heads })
    }

    /// `method path` with these body bytes (`None`: no body) is refused with `status` and
    /// `code`, and changes nothing. Returns the error message.
    #[track_caller]
    fn raw(
        &self,
        c: &Client,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        status: u16,
        code: &str,
    ) -> String {
        let before = self.snapshot();
        let (got, bytes) = c.request(method, path, body);
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(&bytes);
            panic!("{method} {path}: {got} with a body that is not JSON: {text:?}")
        });
        let message = assert_refused(&(got, value), status, code);
        assert_eq!(
            self.snapshot(),
            before,
            "{method} {path} changed the server"
        );
        message
    }

    /// `method path` with a JSON body is refused with `status` and `code`.
    #[track_caller]
    fn send(
        &self,
        c: &Client,
        method: &str,
        path: &str,
        body: &Value,
        status: u16,
        code: &str,
    ) -> String {
        let bytes = serde_json::to_vec(body).expect("serializes");
        self.raw(c, method, path, Some(&bytes), status, code)
    }

    /// `POST path` with a JSON body: 400 `bad_request`.
    #[track_caller]
    fn bad(&self, c: &Client, path: &str, body: &Value) -> String {
        self.send(c, "POST", path, body, 400, "bad_request")
    }

    /// `POST path` with a JSON body: 403 `forbidden`.
    #[track_caller]
    fn forbidden(&self, c: &Client, path: &str, body: &Value) -> String {
        self.send(c, "POST", path, body, 403, "forbidden")
    }

    /// `POST path` with a JSON body: 404 `not_found`.
    #[track_caller]
    fn missing(&self, c: &Client, path: &str, body: &Value) -> String {
        self.send(c, "POST", path, body, 404, "not_found")
    }

    /// `POST path` with a JSON body: 409 `conflict`.
    #[track_caller]
    fn conflict(&self, c: &Client, path: &str, body: &Value) -> String {
        self.send(c, "POST", path, body, 409, "conflict")
    }

    /// `POST path` with a JSON body: 422 `invalid`.
    #[track_caller]
    fn invalid(&self, c: &Client, path: &str, body: &Value) -> String {
        self.send(c, "POST", path, body, 422, "invalid")
    }

    /// `GET path` is refused with `status` and `code`.
    #[track_caller]
    fn get(&self, c: &Client, path: &str, status: u16, code: &str) -> String {
        self.raw(c, "GET", path, None, status, code)
    }

    /// Every kind of malformed body at a JSON endpoint: not JSON, not UTF-8, truncated, the
    /// wrong JSON type, empty, and `valid` with an unknown field and with a duplicate field.
    #[track_caller]
    fn malformed(&self, c: &Client, method: &str, path: &str, valid: &Value) {
        let bodies: [&[u8]; 7] = [
            b"garbage",
            b"\xff\xfe\x00",
            b"{\"a\": ",
            b"[]",
            b"null",
            b"42",
            b"",
        ];
        for body in bodies {
            self.raw(c, method, path, Some(body), 400, "bad_request");
        }
        let extra = with_extra(valid, "", "unexpected");
        let m = self.send(c, method, path, &extra, 400, "bad_request");
        assert!(m.contains("unexpected"), "{path}: {m}");
        let text = serde_json::to_string(valid).expect("json");
        let (key, value) = valid
            .as_object()
            .and_then(|o| o.iter().next())
            .expect("a field");
        // The object's values as an array (a struct by position, record.md §2.2).
        let array = Value::Array(
            valid
                .as_object()
                .expect("an object")
                .values()
                .cloned()
                .collect(),
        );
        self.send(c, method, path, &array, 400, "bad_request");
        let dup = format!("{{\"{key}\":{value},{}", &text[1..]);
        let m = self.raw(c, method, path, Some(dup.as_bytes()), 400, "bad_request");
        assert!(m.contains("duplicate field"), "{path}: {m}");
    }
}

/// A ballot and an audited ballot that parse but belong to no election of the server.
fn stray_ballots(manifest: &Manifest, rng: &mut ChaCha20Rng) -> (Ballot, AuditedBallot) {
    let key = PublicKey::from_secret(&Scalar::from(7u64));
    let ctx = ElectionContext::new(manifest.clone(), Bytes([9; 32]), key).expect("a context");
    let cred = Credential::generate(rng);
    let selection = Selection::from_chosen(manifest, &[vec![0]]).expect("a selection");
    let (ballot, _) = Ballot::build(&ctx, &cred, &selection, rng).expect("built");
    let (b2, secrets) = Ballot::build(&ctx, &cred, &selection, rng).expect("built");
    let audited = AuditedBallot {
        ballot: b2,
        opening: secrets.open(),
    };
    (ballot, audited)
}

#[test]
fn bad_input_sqlite() {
    bad_input(TestDb::sqlite());
}

#[test]
fn bad_input_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    bad_input(db);
}

/// One election taken through its whole lifecycle; at every state, every endpoint is given
/// bad input and the requests the state does not allow.
fn bad_input(db: TestDb) {
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    let chk = Checker {
        watch: public.clone(),
    };
    let mut rng = test_rng(7, 0);
    let manifest = small_manifest("api");
    let stray = stray_ballots(&manifest, &mut rng);
    let stray_share = to_json(&DecryptionShare {
        teller: 1,
        board_head: BoardHeadRef::WITHOUT_BOARD,
        partials: Vec::new(),
        signature: piaojue_crypto::encoding::Bytes([0; 64]),
    });
    let null = json!(null);

    // --- POST /api/elections ---
    // Staff send the manifest without `board` and `witnesses`: the server writes its own.
    let full = to_json(&manifest);
    let m = piaojue::cli::client::manifest_draft(&manifest);
    let path = "/api/elections";
    chk.malformed(&staff, "POST", path, &m);
    chk.bad(&staff, path, &without(&m, "/tellers"));
    for (pointer, bad) in [
        ("/tellers/n", json!("five")),
        ("/tellers/n", json!(-1)),
        ("/tellers/t", json!(4)),
        ("/tellers/n", json!(33)),
        ("/election_id", json!("Bad Id!")),
        ("/election_id", json!("")),
        ("/contests/0/max", json!(4)),
        ("/contests", json!([])),
        ("/version", json!(1)),
        ("/version", json!(3)),
        ("/decision/kind", json!("dictator")),
    ] {
        chk.bad(&staff, path, &with(&m, pointer, bad));
    }
    for (pointer, bad) in [
        ("/board/origin", json!("piaojue.localhost/board/other")),
        ("/witnesses/quorum", json!(1)),
    ] {
        chk.bad(&staff, path, &with(&full, pointer, bad));
    }
    // Another board's key (the samples'), or witnesses this server does not have: 422
    // board_mismatch, and nothing is created.
    let mut witnessed = m.clone();
    witnessed["witnesses"] = json!({"quorum": 1, "list": [{"name": "w.example/1", "key": full["board"]["key"], "url": "https://w.example"}]});
    for wrong in [&full, &witnessed] {
        let (status, body) = staff.post(path, wrong);
        assert_eq!(
            (status, body["error"].as_str()),
            (422, Some("board_mismatch")),
            "{body}"
        );
    }
    assert_eq!(
        staff.get(&format!("{path}/{}", manifest.election_id)).0,
        404
    );
    chk.missing(&staff, "/api/elections?parent=nope", &m);
    let mut e = Election::create(&staff, manifest.clone());
    chk.conflict(&staff, path, &m);

    // --- draft: only the tellers and the roll ---
    let params = ceremony_params(&e.manifest);
    let signing: Vec<SigningKey> = (0..3).map(|_| SigningKey::generate(&mut rng)).collect();
    let (mut t0, mut anns) = (Vec::new(), Vec::new());
    for (i, k) in signing.iter().enumerate() {
        let (s, a) = Teller::new(params, i as u32 + 1, k.clone(), &mut rng).expect("round 0");
        t0.push(s);
        anns.push(a);
    }
    let ann0 = round("announcement", &anns[0]);
    chk.conflict(&public, &e.path("/ceremony"), &ann0);
    roll(&chk, &staff, &e);
    not_yet_open(&chk, &staff, &public, &e, &stray, &stray_share);
    chk.conflict(&staff, &e.path("/open"), &null);
    let one_key = json!({ "keys": [Credential::generate(&mut rng).public()] });
    chk.conflict(&staff, &e.path("/credentials"), &one_key);

    // --- POST /tellers ---
    let keys: Vec<Bytes<32>> = signing
        .iter()
        .map(|k| Bytes(k.verifying_key().to_bytes()))
        .collect();
    let tellers = json!({ "signing_keys": keys });
    let path = e.path("/tellers");
    chk.malformed(&staff, "POST", &path, &tellers);
    for bad in [
        not_base64(),
        short_base64(),
        json!(WEAK_KEY),
        json!(NON_CANONICAL_KEY),
        json!(7),
    ] {
        chk.bad(&staff, &path, &with(&tellers, "/signing_keys/1", bad));
    }
    chk.bad(&staff, &path, &json!({ "signing_keys": &keys[..2] }));
    chk.bad(
        &staff,
        &path,
        &json!({ "signing_keys": [keys[0], keys[1], keys[0]] }),
    );
    chk.bad(&staff, &path, &json!({ "signing_keys": keys[0] }));
    e.signing = signing.clone();
    expect(staff.post(&path, &tellers), 201);
    chk.conflict(&staff, &path, &tellers);
    assert_eq!(e.state(&public), "key_ceremony");

    // --- key ceremony: POST /ceremony ---
    let path = e.path("/ceremony");
    chk.malformed(&public, "POST", &path, &ann0);
    chk.bad(&public, &path, &round("hello", &anns[0]));
    chk.bad(&public, &path, &json!({ "round": "announcement" }));
    chk.bad(&public, &path, &round("commitment", &anns[0]));
    for (pointer, bad) in [
        ("/message/signature", not_base64()),
        ("/message/signature", json!("A".repeat(85))),
        ("/message/ceremony_id", short_base64()),
        ("/message/encryption_key", json!(BAD_POINT)),
        ("/message/encryption_key", json!(IDENTITY)),
        ("/message/proof/commitment", json!(BAD_POINT)),
        ("/message/proof/response", json!(SCALAR_L)),
        ("/message/proof/response", json!(BAD_POINT)),
        ("/message/index", json!(-1)),
        ("/message/index", json!(1u64 << 32)),
    ] {
        chk.bad(&public, &path, &with(&ann0, pointer, bad));
    }
    for index in [0, 4] {
        let m = chk.bad(&public, &path, &with(&ann0, "/message/index", json!(index)));
        assert!(m.contains("teller index"), "{m}");
    }
    // Announcements that are not teller 1's: another teller's registered key, an unregistered
    // key, teller 1's key but signed by another.
    let stranger = SigningKey::generate(&mut rng);
    let mut a = anns[0].clone();
    a.signing_key = keys[1];
    a.signature = Bytes(signing[1].sign(&a.signing_bytes()).to_bytes());
    chk.forbidden(&public, &path, &round("announcement", &a));
    a.signing_key = Bytes(stranger.verifying_key().to_bytes());
    a.signature = Bytes(stranger.sign(&a.signing_bytes()).to_bytes());
    chk.forbidden(&public, &path, &round("announcement", &a));
    let mut a = anns[0].clone();
    a.signature = Bytes(stranger.sign(&a.signing_bytes()).to_bytes());
    chk.forbidden(&public, &path, &round("announcement", &a));
    // Signed by teller 1 but wrong: another ceremony, a bad proof.
    let mut a = anns[0].clone();
    a.ceremony_id.0[0] ^= 1;
    a.signature = Bytes(signing[0].sign(&a.signing_bytes()).to_bytes());
    chk.invalid(&public, &path, &round("announcement", &a));
    let mut a = anns[0].clone();
    a.proof.response += Scalar::ONE;
    a.signature = Bytes(signing[0].sign(&a.signing_bytes()).to_bytes());
    let m = chk.invalid(&public, &path, &round("announcement", &a));
    assert!(m.contains("proof"), "{m}");

    // Rounds in order: a commitment before every announcement is in is refused.
    e.post_round(&public, "announcement", &anns[0]);
    e.post_round(&public, "announcement", &anns[1]);
    chk.conflict(&public, &path, &ann0);
    let (mut t1, mut comms) = (Vec::new(), Vec::new());
    for s in t0 {
        let (s, c) = s.commit(&anns, &mut rng).expect("round 1");
        t1.push(s);
        comms.push(c);
    }
    let comm0 = round("commitment", &comms[0]);
    let m = chk.conflict(&public, &path, &comm0);
    assert!(m.contains("not complete"), "{m}");
    e.post_round(&public, "announcement", &anns[2]);
    // A commitment signed by a key that is not teller 1's.
    let mut c = comms[0].clone();
    c.signature = Bytes(stranger.sign(&c.signing_bytes()).to_bytes());
    chk.forbidden(&public, &path, &round("commitment", &c));
    chk.bad(
        &public,
        &path,
        &with(&comm0, "/message/reveal_hash", not_base64()),
    );
    e.post_round(&public, "commitment", &comms[0]);
    chk.conflict(&public, &path, &comm0);
    e.post_round(&public, "commitment", &comms[1]);
    let (mut t2, mut reveals) = (Vec::new(), Vec::new());
    for s in t1 {
        let (s, r) = s.reveal(&comms).expect("round 2");
        t2.push(s);
        reveals.push(r);
    }
    let reveal0 = round("reveal", &reveals[0]);
    chk.conflict(&public, &path, &reveal0);
    e.post_round(&public, "commitment", &comms[2]);
    for (pointer, bad) in [
        ("/message/coefficients/0", json!(IDENTITY)),
        ("/message/coefficients/1", json!(BAD_POINT)),
        ("/message/shares/0/ciphertext", json!("A".repeat(63))),
        ("/message/shares/0/recipient", json!("two")),
    ] {
        chk.bad(&public, &path, &with(&reveal0, pointer, bad));
    }
    // A reveal that is not what teller 1 committed to.
    let mut r = reveals[0].clone();
    r.shares.swap(0, 1);
    r.signature = Bytes(signing[0].sign(&r.signing_bytes()).to_bytes());
    chk.invalid(&public, &path, &round("reveal", &r));
    for r in &reveals {
        e.post_round(&public, "reveal", r);
    }
    let (mut t3, mut checks) = (Vec::new(), Vec::new());
    for s in t2 {
        let (s, c) = s.check_shares(&reveals, &mut rng).expect("round 3");
        t3.push(s);
        checks.push(c);
    }
    let check0 = round("share_check", &checks[0]);
    chk.bad(
        &public,
        &path,
        &with(&check0, "/message/complaints", json!({})),
    );
    for c in &checks {
        e.post_round(&public, "share_check", c);
    }
    e.tellers = t3
        .into_iter()
        .map(|s| s.finish(&checks).expect("a key"))
        .collect();
    assert_eq!(e.state(&public), "registration");
    chk.conflict(&public, &path, &check0);
    chk.conflict(&public, &path, &ann0);

    // --- registration ---
    chk.conflict(&staff, &e.path("/tellers"), &tellers);
    let m = chk.conflict(&staff, &e.path("/open"), &null);
    assert!(m.contains("not complete: 0 of the congress's 5"), "{m}");
    not_yet_open(&chk, &staff, &public, &e, &stray, &stray_share);
    let path = e.path("/credentials");
    let creds: Vec<Credential> = (0..5).map(|_| Credential::generate(&mut rng)).collect();
    let keys5: Vec<_> = creds.iter().map(Credential::public).collect();
    let body = json!({ "keys": keys5 });
    chk.malformed(&staff, "POST", &path, &body);
    for bad in [
        not_base64(),
        short_base64(),
        json!(WEAK_KEY),
        json!(NON_CANONICAL_KEY),
        null.clone(),
    ] {
        chk.bad(&staff, &path, &with(&body, "/keys/2", bad));
    }
    chk.bad(&staff, &path, &json!({ "keys": [] }));
    chk.bad(
        &staff,
        &path,
        &json!({ "keys": [keys5[0], keys5[1], keys5[0]] }),
    );
    expect(staff.post(&path, &json!({ "keys": &keys5[..3] })), 201);
    chk.conflict(&staff, &path, &json!({ "keys": [keys5[3], keys5[2]] }));
    expect(staff.post(&path, &json!({ "keys": &keys5[3..] })), 201);
    e.credentials = creds;
    roll(&chk, &staff, &e);
    e.open(&staff);

    // --- open ---
    chk.conflict(&staff, &e.path("/open"), &null);
    chk.conflict(&staff, &path, &one_key);
    chk.send(
        &staff,
        "PUT",
        &e.path("/roll"),
        &json!({ "names": ["x"] }),
        409,
        "conflict",
    );
    chk.get(&public, &e.path("/tally"), 409, "conflict");
    chk.conflict(&public, &e.path("/decryption-shares"), &stray_share);
    chk.conflict(&staff, &e.path("/publish"), &null);
    let ctx = e.context(&public);
    let selection = Selection::from_chosen(&manifest, &[vec![1, 2]]).expect("a selection");
    let (mut ballots, mut audited) = (Vec::new(), Vec::new());
    for cred in &e.credentials {
        let (b, _) = Ballot::build(&ctx, cred, &selection, &mut rng).expect("built");
        let (a, secrets) = Ballot::build(&ctx, cred, &selection, &mut rng).expect("built");
        ballots.push(to_json(&b));
        audited.push(to_json(&AuditedBallot {
            ballot: a,
            opening: secrets.open(),
        }));
    }
    bad_ballots(&chk, &public, &e, &ballots[0], &audited[0]);
    let mut codes = Vec::new();
    for (b, a) in ballots.iter().zip(&audited).take(4) {
        expect(public.post(&e.path("/audited"), a), 201);
        let receipt = expect(public.post(&e.path("/ballots"), b), 201);
        codes.push(serde_json::from_value(receipt["tracking_code"].clone()).expect("a code"));
    }
    board_reads(&chk, &public, &e, &codes);

    // --- closed ---
    expect(staff.post_empty(&e.path("/close")), 201);
    chk.conflict(&staff, &e.path("/close"), &null);
    chk.conflict(&public, &e.path("/ballots"), &ballots[4]);
    chk.conflict(&public, &e.path("/audited"), &audited[4]);
    chk.conflict(&staff, &e.path("/open"), &null);
    chk.conflict(&staff, &e.path("/publish"), &null);
    let share1 = e.share(&public, 1, &mut rng);
    let s = to_json(&share1);
    let path = e.path("/decryption-shares");
    chk.malformed(&public, "POST", &path, &s);
    for (pointer, bad) in [
        ("/partials/0/value", json!(BAD_POINT)),
        ("/partials/0/value", short_base64()),
        ("/partials/0/proof/response", json!(SCALAR_L)),
        ("/partials/0/proof/commitment_g", not_base64()),
        ("/partials", json!({})),
        ("/teller", json!(-1)),
    ] {
        chk.bad(&public, &path, &with(&s, pointer, bad));
    }
    for teller in [0, 4, 1000] {
        chk.bad(&public, &path, &with(&s, "/teller", json!(teller)));
    }
    // Wrong numbers of partials, a wrong value, another teller's share under teller 1's index.
    let mut short = share1.clone();
    short.partials.pop();
    chk.invalid(&public, &path, &to_json(&short));
    let mut long = share1.clone();
    long.partials.push(long.partials[0].clone());
    chk.invalid(&public, &path, &to_json(&long));
    let mut bad = share1.clone();
    bad.partials[0].value = bad.partials[1].value;
    let m = chk.invalid(&public, &path, &to_json(&bad));
    assert!(m.contains("signature"), "{m}");
    e.resign_share(&public, &mut bad);
    let m = chk.invalid(&public, &path, &to_json(&bad));
    assert!(m.contains("proof"), "{m}");
    let mut moved = share1.clone();
    moved.board_head.size -= 1;
    e.resign_share(&public, &mut moved);
    let m = chk.invalid(&public, &path, &to_json(&moved));
    assert!(m.contains("not a head of this log after its tally"), "{m}");
    let mut other = e.share(&public, 2, &mut rng);
    other.teller = 1;
    chk.invalid(&public, &path, &to_json(&other));
    expect(public.post(&path, &share1), 201);
    chk.conflict(&public, &path, &s);
    assert_eq!(e.state(&public), "closed");
    expect(public.post(&path, &e.share(&public, 3, &mut rng)), 201);
    assert_eq!(e.state(&public), "tallied");
    chk.conflict(&public, &path, &to_json(&e.share(&public, 2, &mut rng)));

    // --- tallied, published ---
    chk.conflict(&staff, &e.path("/close"), &null);
    expect(staff.post_empty(&e.path("/publish")), 201);
    chk.conflict(&staff, &e.path("/publish"), &null);
    chk.conflict(&public, &e.path("/ballots"), &ballots[4]);

    // --- an unknown election, with bodies that are valid for a real one ---
    let nope = |rest: &str| format!("/api/elections/nope{rest}");
    for rest in [
        "",
        "/ceremony",
        "/tally",
        "/board/head",
        "/board/heads",
        "/board/entries",
        "/board/entries/0",
        "/board/inclusion?index=0&size=1",
        "/board/consistency?old=1&new=1",
    ] {
        chk.get(&public, &nope(rest), 404, "not_found");
    }
    chk.get(
        &public,
        &nope(&format!("/receipts/{}", codes[0])),
        404,
        "not_found",
    );
    chk.missing(&staff, &nope("/tellers"), &tellers);
    chk.missing(&public, &nope("/ceremony"), &ann0);
    chk.missing(
        &staff,
        &nope("/credentials"),
        &json!({ "keys": &keys5[..1] }),
    );
    chk.send(
        &staff,
        "PUT",
        &nope("/roll"),
        &json!({ "names": ["x"] }),
        404,
        "not_found",
    );
    chk.missing(&public, &nope("/ballots"), &ballots[4]);
    chk.missing(&public, &nope("/audited"), &audited[4]);
    chk.missing(&public, &nope("/decryption-shares"), &s);
    for rest in ["/open", "/close", "/publish"] {
        chk.missing(&staff, &nope(rest), &null);
    }
}

/// The roll (kept by staff, not on the board) while it may still change.
fn roll(chk: &Checker, staff: &Client, e: &Election) {
    let path = e.path("/roll");
    let body = json!({ "names": ["代表 1", "代表 2"] });
    chk.malformed(staff, "PUT", &path, &body);
    for bad in [json!(""), json!("   "), json!("x".repeat(201)), json!(3)] {
        chk.send(
            staff,
            "PUT",
            &path,
            &with(&body, "/names/1", bad),
            400,
            "bad_request",
        );
    }
    chk.send(
        staff,
        "PUT",
        &path,
        &json!({ "names": "代表" }),
        400,
        "bad_request",
    );
    expect(staff.put(&path, &body), 200);
    assert_eq!(e.status(staff)["roll"], 2);
}

/// What needs voting to be open (or over) is refused before it opens.
fn not_yet_open(
    chk: &Checker,
    staff: &Client,
    public: &Client,
    e: &Election,
    (ballot, audited): &(Ballot, AuditedBallot),
    share: &Value,
) {
    let m = chk.conflict(public, &e.path("/ballots"), &to_json(ballot));
    assert!(m.contains("not opened"), "{m}");
    chk.conflict(public, &e.path("/audited"), &to_json(audited));
    chk.conflict(staff, &e.path("/close"), &json!(null));
    chk.get(public, &e.path("/tally"), 409, "conflict");
    chk.conflict(public, &e.path("/decryption-shares"), share);
    chk.conflict(staff, &e.path("/publish"), &json!(null));
    chk.get(
        public,
        &e.path("/board/inclusion?index=0&size=0"),
        400,
        "bad_request",
    );
}

/// Ballots and audited ballots that do not parse (400) or do not fit the election (422).
fn bad_ballots(chk: &Checker, c: &Client, e: &Election, ballot: &Value, audited: &Value) {
    let path = e.path("/ballots");
    chk.malformed(c, "POST", &path, ballot);
    let sel = |rest: &str| format!("/contests/0/selections/0{rest}");
    for (pointer, bad) in [
        ("/election".to_string(), not_base64()),
        ("/election".into(), short_base64()),
        ("/credential".into(), json!(WEAK_KEY)),
        ("/credential".into(), json!(NON_CANONICAL_KEY)),
        ("/signature".into(), json!("A".repeat(87))),
        ("/contests/0/proof/responses/0".into(), json!(SCALAR_L)),
        ("/contests/0/proof/challenges/0".into(), json!(BAD_POINT)),
        ("/contests/0/proof/commitments/0".into(), json!([IDENTITY])),
        ("/contests/0/proof/commitments/0/1".into(), json!(BAD_POINT)),
        ("/contests/0/selections".into(), json!({})),
        (sel("/ciphertext/a"), json!(BAD_POINT)),
        (sel("/ciphertext/b"), short_base64()),
        (sel("/proof/responses/1"), json!(SCALAR_L)),
    ] {
        chk.bad(c, &path, &with(ballot, &pointer, bad));
    }
    chk.bad(c, &path, &without(ballot, "/signature"));
    // Issue 18: a ballot, or a ciphertext in it, written as an array (its fields by position)
    // was taken by serde's derived decoding; record.md §2.2 allows objects only.
    let fields =
        |v: &Value, names: &[&str]| Value::Array(names.iter().map(|n| v[*n].clone()).collect());
    chk.bad(
        c,
        &path,
        &fields(ballot, &["election", "credential", "contests", "signature"]),
    );
    let ct = ballot.pointer(&sel("/ciphertext")).expect("a ciphertext");
    chk.bad(
        c,
        &path,
        &with(ballot, &sel("/ciphertext"), fields(ct, &["a", "b"])),
    );
    chk.bad(c, &path, &with_extra(ballot, &sel(""), "extra"));
    // Shapes that do not fit the manifest decode, and are refused as invalid.
    let selections = ballot
        .pointer("/contests/0/selections")
        .and_then(Value::as_array);
    let fewer = Value::Array(selections.expect("selections")[..2].to_vec());
    for (pointer, bad) in [
        ("/contests".to_string(), json!([])),
        ("/contests/0/selections".into(), fewer),
        ("/contests/0/proof/responses".into(), json!([])),
        (sel("/proof/challenges"), json!([])),
    ] {
        let m = chk.invalid(c, &path, &with(ballot, &pointer, bad));
        assert!(m.contains("malformed"), "{m}");
    }

    let path = e.path("/audited");
    let value = |v: Value| with(audited, "/opening/contests/0/0/value", v);
    chk.malformed(c, "POST", &path, audited);
    chk.bad(
        c,
        &path,
        &with(audited, "/opening/contests/0/0/randomness", json!(SCALAR_L)),
    );
    chk.bad(c, &path, &value(json!(256)));
    chk.bad(
        c,
        &path,
        &with(audited, "/ballot/credential", short_base64()),
    );
    chk.bad(c, &path, &without(audited, "/opening"));
    let v = audited["opening"]["contests"][0][0]["value"]
        .as_u64()
        .expect("a value");
    let m = chk.invalid(c, &path, &value(json!(1 - v)));
    assert!(m.contains("opening"), "{m}");
    chk.invalid(c, &path, &value(json!(2)));
    chk.invalid(c, &path, &with(audited, "/opening/contests", json!([])));
    // The ballot of an audited ballot is checked like a cast one.
    chk.invalid(
        c,
        &path,
        &with(audited, "/ballot/signature", json!("A".repeat(86))),
    );
}

/// The board's read endpoints with bad or out-of-range parameters.
fn board_reads(chk: &Checker, c: &Client, e: &Election, codes: &[Digest32]) {
    let size = e.log_size(c);
    let p = |rest: &str| e.path(rest);
    // Receipts: the code's base64url text, exactly (padding is refused).
    expect(c.get(&p(&format!("/receipts/{}", codes[0]))), 200);
    chk.get(
        c,
        &p(&format!("/receipts/{}%3D", codes[0])),
        400,
        "bad_request",
    );
    chk.get(
        c,
        &p(&format!("/receipts/{}", "zz".repeat(32))),
        400,
        "bad_request",
    );
    chk.get(
        c,
        &p(&format!("/receipts/{}", "ab".repeat(31))),
        400,
        "bad_request",
    );
    chk.get(
        c,
        &p(&format!("/receipts/{}", "A".repeat(43))),
        404,
        "not_found",
    );
    // The short form (protocol §8.4), as typed: the same receipt; another short form 404, one
    // with a character outside the alphabet or a symbol short 400.
    let full = expect(c.get(&p(&format!("/receipts/{}", codes[0]))), 200);
    let short = ShortTrackingCode::of(&codes[0]).to_string();
    for typed in [short.clone(), short.replace('-', "").to_lowercase()] {
        let got = expect(c.get(&p(&format!("/receipts/{typed}"))), 200);
        assert_eq!(got, full, "{typed}");
    }
    let other = if short == "ZZZZ-ZZZZ-ZZZZ-ZZZZ" {
        "0000-0000-0000-0000"
    } else {
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    };
    chk.get(c, &p(&format!("/receipts/{other}")), 404, "not_found");
    for bad in ["ZZZZ-ZZZZ-ZZZZ-ZZZU", "ZZZZ-ZZZZ-ZZZZ-ZZZ"] {
        chk.get(c, &p(&format!("/receipts/{bad}")), 400, "bad_request");
    }
    // A credential's cast ballots (issue 16 item 2): the credential of codes[0]'s entry names
    // it; a malformed key is 400, a key not on the list or an unknown election 404.
    let receipt = expect(c.get(&p(&format!("/receipts/{}", codes[0]))), 200);
    let index = receipt["index"].as_u64().expect("an index");
    let entry = expect(c.get(&p(&format!("/board/entries/{index}"))), 200);
    let key = entry["data"]["credential"].as_str().expect("a credential");
    let cast = expect(c.get(&p(&format!("/credentials/{key}/ballots"))), 200);
    assert_eq!(cast["credential"], key);
    let listed = cast["ballots"].as_array().expect("a list");
    assert!(
        listed
            .iter()
            .any(|b| b["tracking_code"] == codes[0].to_string() && b["index"] == index),
        "{cast}"
    );
    for k in e.credentials.iter().map(|c| c.public().to_base64()) {
        let got = expect(c.get(&p(&format!("/credentials/{k}/ballots"))), 200);
        assert!(got["ballots"].is_array(), "{got}");
    }
    for bad in [
        format!("{key}%3D"),
        "zz".repeat(32),
        "ab".repeat(31),
        "not-a-key".into(),
    ] {
        chk.get(
            c,
            &p(&format!("/credentials/{bad}/ballots")),
            400,
            "bad_request",
        );
    }
    let board_key = expect(c.get("/api/board-key"), 200);
    let other = board_key["board_key"].as_str().expect("the board key");
    chk.get(
        c,
        &p(&format!("/credentials/{other}/ballots")),
        404,
        "not_found",
    );
    chk.get(
        c,
        &format!("/api/elections/nope/credentials/{key}/ballots"),
        404,
        "not_found",
    );
    // Entries: pages, and ranges past the end (empty).
    let (status, all) = c.get(&p("/board/entries"));
    assert_eq!(
        (status, all.as_array().map(Vec::len)),
        (200, Some(size as usize))
    );
    let page = expect(c.get(&p("/board/entries?from=2&limit=3")), 200);
    assert_eq!(
        page.as_array().expect("a list")[..],
        all.as_array().expect("a list")[2..5]
    );
    for q in [
        format!("?from={size}"),
        format!("?from={}", u64::MAX),
        "?limit=0".into(),
    ] {
        assert_eq!(
            c.get(&p(&format!("/board/entries{q}"))),
            (200, json!([])),
            "{q}"
        );
    }
    for q in [
        "?from=-1",
        "?from=x",
        "?limit=-5",
        "?limit=1.5",
        "?from=18446744073709551616",
    ] {
        chk.get(c, &p(&format!("/board/entries{q}")), 400, "bad_request");
    }
    expect(c.get(&p(&format!("/board/entries/{}", size - 1))), 200);
    chk.get(c, &p(&format!("/board/entries/{size}")), 404, "not_found");
    chk.get(
        c,
        &p(&format!("/board/entries/{}", u64::MAX)),
        404,
        "not_found",
    );
    chk.get(c, &p("/board/entries/-1"), 400, "bad_request");
    chk.get(c, &p("/board/entries/abc"), 400, "bad_request");
    // Proofs.
    expect(
        c.get(&p(&format!("/board/inclusion?index=0&size={size}"))),
        200,
    );
    for q in [
        format!("index={size}&size={size}"),
        format!("index=0&size={}", size + 1),
        "index=0&size=0".into(),
        "index=0".into(),
        format!("size={size}"),
        format!("index=-1&size={size}"),
        format!("index=x&size={size}"),
    ] {
        chk.get(c, &p(&format!("/board/inclusion?{q}")), 400, "bad_request");
    }
    expect(
        c.get(&p(&format!("/board/consistency?old=1&new={size}"))),
        200,
    );
    for q in [
        format!("old=0&new={size}"),
        format!("old={size}&new={}", size - 1),
        format!("old=1&new={}", size + 1),
        "old=1".into(),
        format!("old=a&new={size}"),
    ] {
        chk.get(
            c,
            &p(&format!("/board/consistency?{q}")),
            400,
            "bad_request",
        );
    }
    let heads = expect(c.get(&p("/board/heads")), 200);
    let last = heads
        .as_array()
        .and_then(|h| h.last())
        .expect("heads")
        .clone();
    assert_eq!(expect(c.get(&p("/board/head")), 200), last);
}

#[test]
fn roles_sqlite() {
    roles(TestDb::sqlite());
}

#[test]
fn roles_postgres() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    roles(db);
}

/// Staff endpoints need the staff token; deputies and tellers have none; a teller is who its
/// registered key says; a decryption share is accepted only with valid proofs.
fn roles(db: TestDb) {
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    let chk = Checker {
        watch: public.clone(),
    };
    let mut rng = test_rng(8, 0);
    let e = Election::prepare_open(&staff, small_manifest("roles"), 3, &mut rng);
    let draft = Election::create(&staff, small_manifest("roles-draft"));
    let ctx = e.context(&public);
    let selection = Selection::from_chosen(&e.manifest, &[vec![0]]).expect("a selection");
    let (ballot, _) = Ballot::build(&ctx, &e.credentials[0], &selection, &mut rng).expect("built");
    let ballot = to_json(&ballot);
    let signing: Vec<Bytes<32>> = (0..3)
        .map(|_| Bytes(SigningKey::generate(&mut rng).verifying_key().to_bytes()))
        .collect();
    let params = ceremony_params(&draft.manifest);
    let (_, ann) = Teller::new(params, 1, SigningKey::generate(&mut rng), &mut rng).expect("r0");
    let teller_message = round("announcement", &ann);

    // Every staff endpoint, with a body it would accept from staff.
    let new_key = json!({ "keys": [Credential::generate(&mut rng).public()] });
    let staff_calls: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/api/elections".into(),
            to_json(&small_manifest("roles-new")),
        ),
        (
            "POST",
            draft.path("/tellers"),
            json!({ "signing_keys": signing }),
        ),
        ("PUT", draft.path("/roll"), json!({ "names": ["a"] })),
        ("POST", e.path("/credentials"), new_key),
        ("POST", e.path("/open"), json!(null)),
        ("POST", e.path("/close"), json!(null)),
        ("POST", e.path("/publish"), json!(null)),
        ("POST", "/api/elections/nope/close".into(), json!(null)),
        ("GET", "/api/staff/session".into(), json!(null)),
    ];
    let wrong = server.with_authorization("Bearer pjs_0123456789abcdef0123456789abcdef0123456789");
    let basic = server.with_authorization(&format!("Basic {}", server.token));
    let bare = server.with_authorization(&server.token);
    let no_token = server.with_authorization("Bearer ");
    for (method, path, body) in &staff_calls {
        let m = chk.send(&public, method, path, body, 401, "unauthorized");
        assert!(m.contains("staff"), "{m}");
        chk.send(&wrong, method, path, body, 403, "forbidden");
        chk.send(&basic, method, path, body, 401, "unauthorized");
        chk.send(&bare, method, path, body, 401, "unauthorized");
        chk.send(&no_token, method, path, body, 401, "unauthorized");
        // A deputy's ballot or a teller's message is no staff token either.
        chk.send(&public, method, path, &ballot, 401, "unauthorized");
        chk.send(&public, method, path, &teller_message, 401, "unauthorized");
    }
    // A valid token passes the session check, which changes nothing.
    let before = chk.snapshot();
    assert_eq!(
        expect(staff.get("/api/staff/session"), 200),
        json!({ "role": "staff" })
    );
    assert_eq!(chk.snapshot(), before);
    // The scheme is case-insensitive.
    let lower = server.with_authorization(&format!("bearer {}", server.token));
    expect(
        lower.put(&draft.path("/roll"), &json!({ "names": ["a"] })),
        200,
    );

    // A teller message signed by a key that is not registered for the ceremony.
    expect(
        staff.post(&draft.path("/tellers"), &json!({ "signing_keys": signing })),
        201,
    );
    let m = chk.forbidden(&public, &draft.path("/ceremony"), &teller_message);
    assert!(m.contains("signing key"), "{m}");

    // A decryption share with a bad proof; teller 2's share posted as teller 3's.
    for (i, cred) in e.credentials.iter().enumerate() {
        let sel = Selection::from_chosen(&e.manifest, &[vec![i % 3]]).expect("a selection");
        let (b, _) = Ballot::build(&ctx, cred, &sel, &mut rng).expect("built");
        expect(public.post(&e.path("/ballots"), &b), 201);
    }
    // The public reads of the credential list and the result.
    let keys = expect(public.get(&e.path("/credentials")), 200);
    let mut registered: Vec<Value> = e.credentials.iter().map(|c| json!(c.public())).collect();
    registered.sort_by_key(|k| k.as_str().map(str::to_owned));
    assert_eq!(keys, json!({ "keys": registered }));
    chk.get(&public, "/api/elections/nope/credentials", 404, "not_found");
    chk.get(&public, &e.path("/result"), 409, "conflict");
    expect(staff.post_empty(&e.path("/close")), 201);
    chk.get(&public, &e.path("/result"), 409, "conflict");
    let mut share = e.share(&public, 2, &mut rng);
    share.partials[1].proof.response += Scalar::ONE;
    e.resign_share(&public, &mut share);
    let m = chk.invalid(&public, &e.path("/decryption-shares"), &to_json(&share));
    assert!(m.contains("proof"), "{m}");
    let mut share = e.share(&public, 2, &mut rng);
    share.teller = 3;
    chk.invalid(&public, &e.path("/decryption-shares"), &to_json(&share));
}

/// Sends a request with a body over a plain TCP connection, writing the body from another
/// thread while reading the answer: the server may answer (413) and close before reading it
/// all. Returns the status and the body of the answer, or `None` if the connection was reset
/// before the answer arrived.
fn send_large(addr: std::net::SocketAddr, path: &str, body: &[u8]) -> Option<(u16, Value)> {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let mut writer = stream.try_clone().expect("a second handle");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let body = body.to_vec();
    let sender = std::thread::spawn(move || {
        let _ = writer
            .write_all(head.as_bytes())
            .and_then(|_| writer.write_all(&body));
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = sender.join();
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).ok()?))
}

#[test]
fn unknown_routes_methods_and_large_bodies() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    let chk = Checker {
        watch: public.clone(),
    };
    let e = Election::create(&staff, small_manifest("routes"));
    chk.get(&public, "/nope", 404, "not_found");
    chk.get(&public, "/api/nope", 404, "not_found");
    chk.get(&public, &e.path("/nope"), 404, "not_found");
    chk.get(&public, &e.path("/board/entries/1/2"), 404, "not_found");
    let m = chk.raw(
        &staff,
        "DELETE",
        &e.path(""),
        Some(b""),
        405,
        "method_not_allowed",
    );
    assert!(m.contains("method"), "{m}");
    // A write without its media type is refused first, whatever the path or method
    // (`spec/api.md` §6.3).
    chk.raw(
        &staff,
        "DELETE",
        &e.path(""),
        None,
        415,
        "unsupported_media_type",
    );
    chk.get(&public, &e.path("/ballots"), 405, "method_not_allowed");
    chk.raw(
        &staff,
        "PUT",
        "/api/elections",
        Some(b"{}"),
        405,
        "method_not_allowed",
    );
    chk.raw(
        &staff,
        "POST",
        "/api/board-key",
        Some(b"{}"),
        405,
        "method_not_allowed",
    );

    // A body over the limit (2 MiB): 413, whatever it holds.
    let big = vec![b' '; 3 << 20];
    let before = chk.snapshot();
    let answer = (0..5).find_map(|_| send_large(server.addr, &e.path("/ballots"), &big));
    let answer = answer.expect("an answer to a large body");
    assert_refused(&answer, 413, "payload_too_large");
    assert_eq!(chk.snapshot(), before);
}

/// A plain HTTP/1.1 GET: the status line and the headers (lower case), and the body.
fn get_raw(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    (head.to_ascii_lowercase(), body.to_owned())
}

/// The pages and their assets: served with the security headers; nothing outside the two
/// folders, no page as an asset, unknown names 404.
#[test]
fn pages_and_assets() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    for (path, kind) in [
        ("/", "text/html"),
        ("/staff", "text/html"),
        ("/elections/demo-2027", "text/html"),
        ("/elections/demo-2027/vote", "text/html"),
        ("/assets/index.js", "text/javascript"),
        ("/assets/vote.js", "text/javascript"),
        ("/assets/booth.js", "text/javascript"),
        ("/assets/style.css", "text/css"),
    ] {
        let (head, body) = get_raw(server.addr, path);
        assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
        assert!(
            head.contains(&format!("content-type: {kind}")),
            "{path}: {head}"
        );
        assert!(
            head.contains("content-security-policy: default-src 'none'; script-src 'self';"),
            "{path}: {head}"
        );
        assert!(head.contains("x-frame-options: deny"), "{path}: {head}");
        assert!(
            head.contains("referrer-policy: no-referrer"),
            "{path}: {head}"
        );
        assert!(!body.is_empty(), "{path}");
    }
    for path in [
        "/assets/booth.html",
        "/assets/nope.js",
        "/assets/..%2FCargo.toml",
        "/assets/.hidden",
        "/assets/a%00b.js",
        "/elections/x/vote/more",
    ] {
        let (head, body) = get_raw(server.addr, path);
        assert!(head.starts_with("http/1.1 404"), "{path}: {head}");
        let v: Value = serde_json::from_str(&body).expect("a JSON error");
        assert_eq!(v["error"], "not_found", "{path}");
    }
}

/// `--downloads-dir`: the folder's plain files, listed with their size and SHA-256 and served
/// byte for byte; any other name (a climb out with `..`, a hidden or unknown file, a
/// sub-folder) is 404; without the option the list is empty.
#[test]
fn downloads_are_listed_with_their_digest_and_nothing_else_is_served() {
    use sha2::{Digest, Sha256};
    let db = TestDb::sqlite();
    let dir = db.data_dir().join("downloads");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let binary: Vec<u8> = (0..5000u32).map(|i| b'a' + (i * 7 % 26) as u8).collect();
    std::fs::write(dir.join("piaojue-verify-linux-x86_64"), &binary).unwrap();
    std::fs::write(dir.join(".secret"), b"hidden").unwrap();
    std::fs::write(dir.join("sub").join("inner"), b"inner").unwrap();
    std::fs::write(db.data_dir().join("outside"), b"outside").unwrap();
    let server = Server::start_with(&db, &["--downloads-dir", dir.to_str().unwrap()]);
    let public = server.public();
    let list = expect(public.get("/api/downloads"), 200);
    assert_eq!(
        list["build_command"],
        "cargo build --release -p piaojue-verifier"
    );
    assert_eq!(list["version"], env!("CARGO_PKG_VERSION"));
    let files = list["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{list}");
    assert_eq!(files[0]["name"], "piaojue-verify-linux-x86_64");
    assert_eq!(files[0]["size"], 5000);
    assert_eq!(files[0]["sha256"], hex::encode(Sha256::digest(&binary)));
    assert_eq!(files[0]["url"], "/downloads/piaojue-verify-linux-x86_64");
    let (status, bytes) = public.get_bytes("/downloads/piaojue-verify-linux-x86_64");
    assert_eq!(status, 200);
    assert_eq!(bytes, binary);
    let (head, _) = get_raw(server.addr, "/downloads/piaojue-verify-linux-x86_64");
    assert!(
        head.contains("content-type: application/octet-stream"),
        "{head}"
    );
    for path in [
        "/downloads/..%2Foutside",
        "/downloads/..",
        "/downloads/%2E%2E",
        "/downloads/.secret",
        "/downloads/sub",
        "/downloads/sub%2Finner",
        "/downloads/nope",
        "/downloads/a%00b",
    ] {
        let (head, body) = get_raw(server.addr, path);
        assert!(head.starts_with("http/1.1 404"), "{path}: {head}");
        let v: Value = serde_json::from_str(&body).expect("a JSON error");
        assert_eq!(v["error"], "not_found", "{path}");
    }
    drop(server);
    // Without the option: nothing offered.
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let list = expect(server.public().get("/api/downloads"), 200);
    assert_eq!(list["files"], serde_json::json!([]));
    assert_eq!(server.public().get("/downloads/piaojue").0, 404);
}

/// A teller that sends another a bad share is named by that teller's complaint; the server's
/// verdict fails the ceremony, names the cheat, and the election can go no further.
#[test]
fn a_cheating_teller_fails_the_ceremony() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    let chk = Checker {
        watch: public.clone(),
    };
    let mut rng = test_rng(9, 0);
    let manifest = small_manifest("cheat");
    let mut e = Election::create(&staff, manifest.clone());
    e.start_ceremony(&staff, &mut rng);
    let params = ceremony_params(&e.manifest);
    let mut s0 = Vec::new();
    for (i, k) in e.signing.iter().enumerate() {
        let (s, a) = Teller::new(params, i as u32 + 1, k.clone(), &mut rng).expect("round 0");
        e.post_round(&public, "announcement", &a);
        s0.push(s);
    }
    let (t, _) = e.ceremony(&public);
    let mut s1 = Vec::new();
    for s in s0 {
        let (s, c) = s.commit(&t.announcements, &mut rng).expect("round 1");
        e.post_round(&public, "commitment", &c);
        s1.push(s);
    }
    let (t, _) = e.ceremony(&public);
    let mut s2 = Vec::new();
    for (i, s) in s1.into_iter().enumerate() {
        let (s, mut r) = s.reveal(&t.commitments).expect("round 2");
        if i == 0 {
            // Teller 1 garbles the share it sends teller 2 (the round-1 hash does not cover
            // the encrypted shares, and teller 1 signs the reveal again).
            r.shares[0].ciphertext.0[5] ^= 1;
            r.signature = Bytes(e.signing[0].sign(&r.signing_bytes()).to_bytes());
        }
        e.post_round(&public, "reveal", &r);
        s2.push(s);
    }
    let (t, _) = e.ceremony(&public);
    for (i, s) in s2.into_iter().enumerate() {
        let c = if i == 0 {
            // The cheat's own state refuses to go on with an altered reveal: it signs an
            // acknowledgement by hand.
            let mut c = ShareCheck {
                ceremony_id: params.ceremony_id,
                index: 1,
                complaints: Vec::new(),
                signature: Bytes([0; 64]),
            };
            c.signature = Bytes(e.signing[0].sign(&c.signing_bytes()).to_bytes());
            c
        } else {
            s.check_shares(&t.reveals, &mut rng).expect("round 3").1
        };
        let complaints = usize::from(c.index == 2);
        assert_eq!(c.complaints.len(), complaints, "teller {}", c.index);
        e.post_round(&public, "share_check", &c);
    }

    // The verdict: the ceremony failed, teller 1 is guilty, and nothing more can happen.
    assert_eq!(e.state(&public), "failed");
    let (_, output) = e.ceremony(&public);
    assert!(output.is_none());
    let last = expect(public.get(&e.path("/board/head")), 200)["size"]
        .as_u64()
        .expect("a size");
    let entry = expect(
        public.get(&e.path(&format!("/board/entries/{}", last - 1))),
        200,
    );
    assert_eq!(entry["kind"], "ceremony_failed");
    assert_eq!(entry["data"]["guilty"], json!([1]));
    let keys = json!({ "keys": [Credential::generate(&mut rng).public()] });
    chk.conflict(&staff, &e.path("/credentials"), &keys);
    chk.conflict(&staff, &e.path("/open"), &json!(null));
    chk.get(&public, &e.path("/record"), 409, "conflict");
}
