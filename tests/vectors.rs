//! The spec's test vectors: regenerated from their fixed seeds they must equal the committed
//! files byte for byte, and each must pass (or, for the invalid ones, fail) verification.
//! `PIAOJUE_REGENERATE_VECTORS=1 cargo test --test vectors` rewrites them after a deliberate
//! change of the protocol.

use std::path::PathBuf;

use piaojue_crypto::ballot::AuditedBallot;
use piaojue_crypto::dkg::CeremonyOutput;
use piaojue_crypto::dkg::dealer::CeremonyTranscript;
use piaojue_crypto::elgamal::{Ciphertext, EncryptionKey};
use piaojue_crypto::encoding::{Point, PublicKey, decode_base64_array, decode_scalar};
use piaojue_crypto::proofs::dleq::DleqStatement;
use piaojue_crypto::proofs::range::RangeStatement;
use piaojue_crypto::proofs::{DleqProof, RangeProof, SchnorrProof};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::transcript::ProofContext;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn from<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

fn context(v: &Value, role: &'static [u8]) -> ProofContext {
    assert_eq!(v["role"].as_str().unwrap().as_bytes(), role);
    let idx: [u64; 2] = from(&v["index"]);
    ProofContext::new(
        decode_base64_array(v["election"].as_str().unwrap()).unwrap(),
        decode_base64_array(v["party"].as_str().unwrap()).unwrap(),
        role,
    )
    .at(idx[0], idx[1])
}

#[test]
fn vectors_are_reproducible() {
    let generated = piaojue::vectors::generate().unwrap();
    let regenerate = std::env::var_os("PIAOJUE_REGENERATE_VECTORS").is_some();
    for (name, value) in generated {
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        let path = dir().join(name);
        if regenerate {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else {
            let committed =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                committed == text,
                "{name} differs from what the code generates; if the protocol changed on purpose, regenerate"
            );
        }
    }
}

#[test]
fn elgamal_vectors() {
    let v = load("elgamal.json");
    let x =
        decode_scalar(&decode_base64_array(v["secret_key"].as_str().unwrap()).unwrap()).unwrap();
    let key: PublicKey = from(&v["public_key"]);
    assert_eq!(key, PublicKey::from_secret(&x));
    let key = EncryptionKey::new(key);
    for e in v["encryptions"].as_array().unwrap() {
        let r = decode_scalar(&decode_base64_array(e["randomness"].as_str().unwrap()).unwrap())
            .unwrap();
        let ct: Ciphertext = from(&e["ciphertext"]);
        assert_eq!(key.encrypt(e["message"].as_u64().unwrap(), &r), ct);
    }
}

#[test]
fn proof_vectors_verify_and_invalid_ones_fail() {
    let v = load("schnorr.json");
    let ctx = context(&v["context"], b"vector");
    let public: Point = from(&v["public"]);
    from::<SchnorrProof>(&v["valid"])
        .verify(&ctx, &public)
        .unwrap();
    let invalid = v["invalid"].as_array().unwrap();
    assert!(
        from::<SchnorrProof>(&invalid[0]["proof"])
            .verify(&ctx, &public)
            .is_err()
    );
    assert!(
        from::<SchnorrProof>(&invalid[1]["proof"])
            .verify(&ctx.at(3, 5), &public)
            .is_err()
    );

    let v = load("dleq.json");
    let ctx = context(&v["context"], b"vector");
    let (h, x, y): (Point, Point, Point) = (from(&v["h"]), from(&v["x"]), from(&v["y"]));
    let st = DleqStatement {
        h: &h,
        x: &x,
        y: &y,
    };
    from::<DleqProof>(&v["valid"]).verify(&ctx, &st).unwrap();
    assert!(
        from::<DleqProof>(&v["invalid"][0]["proof"])
            .verify(&ctx, &st)
            .is_err()
    );

    let v = load("range.json");
    let key: PublicKey = from(&v["key"]);
    for (part, role) in [
        ("selection", &b"selection"[..]),
        ("contest_sum", &b"contest-sum"[..]),
    ] {
        let p = &v[part];
        let role: &'static [u8] = if role == b"selection" {
            b"selection"
        } else {
            b"contest-sum"
        };
        let ctx = context(&p["context"], role);
        let cts: Vec<Ciphertext> = from(&p["ciphertexts"]);
        let st = RangeStatement {
            key: &key,
            ciphertexts: &cts,
            lo: p["lo"].as_u64().unwrap(),
            hi: p["hi"].as_u64().unwrap(),
        };
        from::<RangeProof>(&p["proof"]).verify(&ctx, &st).unwrap();
        if part == "selection" {
            assert!(
                from::<RangeProof>(&v["invalid"][0]["proof"])
                    .verify(&ctx, &st)
                    .is_err()
            );
        }
    }
}

#[test]
fn dkg_vector_verifies() {
    let v = load("dkg.json");
    let transcript: CeremonyTranscript = from(&v["transcript"]);
    let output: CeremonyOutput = from(&v["output"]);
    assert_eq!(transcript.verify(&from(&v["params"])).unwrap(), output);
}

#[test]
fn merkle_vector() {
    use piaojue_crypto::board::merkle::{leaf_hash, verify_consistency, verify_inclusion};
    let v = load("merkle.json");
    let entries: Vec<String> = from(&v["entries_utf8"]);
    let roots: Vec<[u8; 32]> = v["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| decode_base64_array(r.as_str().unwrap()).unwrap())
        .collect();
    let path = |p: &Value| -> Vec<[u8; 32]> {
        p.as_array()
            .unwrap()
            .iter()
            .map(|h| decode_base64_array(h.as_str().unwrap()).unwrap())
            .collect()
    };
    assert!(verify_inclusion(
        &leaf_hash(entries[2].as_bytes()),
        2,
        7,
        &path(&v["inclusion"]["path"]),
        &roots[6]
    ));
    assert!(verify_consistency(
        3,
        7,
        &roots[2],
        &roots[6],
        &path(&v["consistency"]["path"])
    ));
}

#[test]
fn small_election_record_verifies_and_has_its_results() {
    let record: ElectionRecord = from(&load("election-record.json"));
    let report = piaojue_verifier::verify_record(&record);
    assert!(
        report.passed(),
        "{}",
        report.render(piaojue_verifier::Lang::En)
    );
    let m = &record.election.manifest;
    assert_eq!((m.tellers.n, m.tellers.t), (3, 2));
    assert_eq!(record.election.credentials.len(), 5);
    assert_eq!(m.contests.len(), 2);
    let result = record.result.as_ref().unwrap();
    assert_eq!(result.counted, 4);
    // Every counted ballot selects one of yes/no/abstain.
    assert_eq!(result.counts[1].iter().sum::<u64>(), 4);
    assert!(result.counts[0].iter().sum::<u64>() <= 8);
    let audited: &AuditedBallot = &record.audited[0];
    audited
        .check_opening(&record.election.context().unwrap())
        .unwrap();
}

#[test]
fn signature_vectors_alone_and_in_batches() {
    use piaojue_crypto::credential::CredentialKey;
    use piaojue_crypto::encoding::Bytes;
    use piaojue_crypto::signature::SignatureBatch;
    let v = load("signatures.json");
    let key: CredentialKey = from(&v["key"]);
    let cases = v["cases"].as_array().unwrap();
    let mut valid = SignatureBatch::new();
    let (mut n_valid, mut n_invalid) = (0, 0);
    for c in cases {
        let message = hex::decode(c["message"].as_str().unwrap()).unwrap();
        let sig: Bytes<64> = from(&c["signature"]);
        let want = c["valid"].as_bool().unwrap();
        let why = c["why"].as_str().unwrap();
        assert_eq!(key.verify(&message, &sig.0), want, "{why}");
        let prepared = key.prepare(&[&message], &sig.0);
        if want {
            valid.queue(&prepared.expect("a valid signature decodes"));
            n_valid += 1;
        } else {
            n_invalid += 1;
            // With the valid ones, an invalid signature that decodes fails the batch.
            if let Some(p) = prepared {
                let mut mixed = SignatureBatch::new();
                mixed.queue(&p);
                for d in cases.iter().filter(|d| d["valid"].as_bool().unwrap()) {
                    let m = hex::decode(d["message"].as_str().unwrap()).unwrap();
                    let s: Bytes<64> = from(&d["signature"]);
                    mixed.queue(&key.prepare(&[&m], &s.0).unwrap());
                }
                assert!(!mixed.verify(), "{why}: a batch with it fails");
            }
        }
    }
    assert!(n_valid >= 2 && n_invalid >= 4);
    assert!(valid.verify());
}

#[test]
fn short_fingerprint_vectors() {
    use piaojue_crypto::encoding::Digest32;
    use piaojue_crypto::fingerprint::ShortFingerprint;
    let v = load("short-fingerprint.json");
    let record: ElectionRecord = from(&load("election-record.json"));
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(
        from::<Digest32>(&cases[cases.len() - 1]["fingerprint"]),
        record.election.fingerprint
    );
    for c in cases {
        let f: Digest32 = from(&c["fingerprint"]);
        let short = c["short"].as_str().unwrap();
        assert_eq!(ShortFingerprint::of(&f).to_string(), short);
        assert!(ShortFingerprint::parse(short).unwrap().matches(&f));
    }
    for bad in v["invalid_short_forms"].as_array().unwrap() {
        assert!(ShortFingerprint::parse(bad.as_str().unwrap()).is_err());
    }
}

/// `checkpoint.json` (`spec/protocol.md` §14): the keys give the vkeys, the notes verify, the
/// cosigned message and the request body are what the text says, and every invalid note is
/// refused.
#[test]
fn checkpoint_vectors() {
    use piaojue_crypto::board::merkle::{empty_root, leaf_hash};
    use piaojue_crypto::board::{
        BoardKey, Checkpoint, Note, VerifierKey, WitnessKey, cosigned_message, verify_consistency,
    };
    let v = load("checkpoint.json");
    let s = |x: &Value| x.as_str().unwrap().to_string();
    let seed = |x: &Value| -> [u8; 32] { hex::decode(s(x)).unwrap().try_into().unwrap() };
    let std64 = |x: &Value| -> [u8; 32] {
        use base64ct::{Base64, Encoding};
        let mut out = [0u8; 32];
        assert_eq!(Base64::decode(s(x), &mut out).unwrap().len(), 32);
        out
    };

    let board = BoardKey::from_seed(&seed(&v["board"]["seed_hex"]));
    let origin = s(&v["board"]["origin"]);
    let board_vk = VerifierKey::parse(&s(&v["board"]["vkey"])).unwrap();
    assert_eq!(board_vk, board.verifier_key(&origin).unwrap());
    assert_eq!(board.public().to_base64(), s(&v["board"]["public_key"]));
    assert_eq!(
        format!("{:08x}", board_vk.key_id()),
        s(&v["board"]["key_id"])
    );
    let witness = WitnessKey::from_seed(&seed(&v["witness"]["seed_hex"]));
    let name = s(&v["witness"]["name"]);
    let witness_vk = VerifierKey::parse(&s(&v["witness"]["vkey"])).unwrap();
    assert_eq!(witness_vk, witness.verifier_key(&name).unwrap());
    let trusted = [board_vk.clone(), witness_vk.clone()];

    // The checkpoint's root is the log's.
    let leaves: Vec<[u8; 32]> = v["log"]["entries_utf8"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| leaf_hash(e.as_str().unwrap().as_bytes()))
        .collect();
    let tree = piaojue_crypto::board::MerkleTree::from_leaves(leaves);
    let cp = Checkpoint::parse(&s(&v["checkpoint"]["text"])).unwrap();
    assert_eq!((cp.origin.as_str(), cp.size), (origin.as_str(), 5));
    assert_eq!(cp.root.0, tree.root_at(5).unwrap());
    assert_eq!(cp.root.0, std64(&v["checkpoint"]["root"]));
    let note = Note::parse(s(&v["checkpoint"]["note"]).as_bytes()).unwrap();
    assert_eq!(note.text(), cp.text());
    assert_eq!(note.verify(&trusted).unwrap(), vec![&board_vk]);
    assert_eq!(
        note.signatures()[0].line(),
        s(&v["checkpoint"]["signature_line"])
    );

    // The empty tree.
    let empty = Note::parse(s(&v["empty_checkpoint"]["note"]).as_bytes()).unwrap();
    assert_eq!(
        Checkpoint::parse(empty.text()).unwrap().root.0,
        empty_root()
    );
    assert!(empty.verify(&trusted).is_ok());

    // The cosignature.
    let t = v["witness"]["timestamp"].as_u64().unwrap();
    assert_eq!(
        cosigned_message(note.text(), t),
        s(&v["witness"]["cosigned_message"]).into_bytes()
    );
    let line = s(&v["witness"]["cosignature_line"]);
    assert_eq!(witness.cosign(&name, note.text(), t).line(), line);
    let cosigned = Note::parse(s(&v["witness"]["cosigned_note"]).as_bytes()).unwrap();
    assert_eq!(
        cosigned.verify(&trusted).unwrap(),
        vec![&board_vk, &witness_vk]
    );
    assert_eq!(cosigned.signatures()[1].timestamp(), Some(t));

    // The add-checkpoint request: old size, proof lines, empty line, the note.
    let old = Checkpoint::parse(&s(&v["log"]["old"]["text"])).unwrap();
    let proof: Vec<[u8; 32]> = v["log"]["consistency_proof_3_5"]
        .as_array()
        .unwrap()
        .iter()
        .map(std64)
        .collect();
    assert!(verify_consistency(
        old.size,
        cp.size,
        &old.root.0,
        &cp.root.0,
        &proof
    ));
    let mut request = format!("old {}\n", old.size);
    for line in v["log"]["consistency_proof_3_5"].as_array().unwrap() {
        request += &(s(line) + "\n");
    }
    request += "\n";
    request += &s(&v["checkpoint"]["note"]);
    assert_eq!(request, s(&v["add_checkpoint_request"]));

    // Every invalid note is refused, by the parser or by verification.
    let invalid = v["invalid"].as_array().unwrap();
    assert!(invalid.len() >= 9);
    for case in invalid {
        let why = s(&case["why"]);
        let refused = match Note::parse(s(&case["note"]).as_bytes()) {
            Err(_) => true,
            Ok(n) => n.verify(&trusted).is_err(),
        };
        assert!(refused, "accepted: {why}");
    }
}

#[test]
fn short_tracking_code_vectors() {
    use piaojue_crypto::encoding::Digest32;
    use piaojue_crypto::tracking::{ShortTrackingCode, TrackingCodeText};
    let v = load("short-tracking-code.json");
    let record: ElectionRecord = from(&load("election-record.json"));
    let cases = v["cases"].as_array().unwrap();
    let election: Vec<Digest32> = cases[5..]
        .iter()
        .map(|c| from(&c["tracking_code"]))
        .collect();
    let cast: Vec<Digest32> = record.ballots.iter().map(|b| b.tracking_code()).collect();
    assert_eq!(election, cast, "the election's cases are its cast ballots");
    for c in cases {
        let code: Digest32 = from(&c["tracking_code"]);
        let short = c["short"].as_str().unwrap();
        assert_eq!(ShortTrackingCode::of(&code).to_string(), short);
        assert!(ShortTrackingCode::parse(short).unwrap().matches(&code));
        assert_eq!(
            TrackingCodeText::parse(&code.to_string()),
            Ok(TrackingCodeText::Full(code))
        );
        assert!(TrackingCodeText::parse(short).unwrap().matches(&code));
    }
    for t in v["typed"].as_array().unwrap() {
        let typed = t["typed"].as_str().unwrap();
        assert_eq!(
            ShortTrackingCode::parse(typed).map(|s| s.to_string()),
            Ok(t["short"].as_str().unwrap().to_string()),
            "{typed:?}"
        );
    }
    for bad in v["invalid_short_forms"].as_array().unwrap() {
        let bad = bad.as_str().unwrap();
        assert!(ShortTrackingCode::parse(bad).is_err(), "{bad:?}");
        assert!(TrackingCodeText::parse(bad).is_err(), "{bad:?}");
    }
}
