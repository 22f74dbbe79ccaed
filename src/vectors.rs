//! The deterministic test vectors of `spec/vectors/`: every value comes from fixed seeds, so
//! the same code always gives the same files, byte for byte. `tests/vectors.rs` regenerates them
//! and compares with the committed files (set `PIAOJUE_REGENERATE_VECTORS=1` to rewrite them
//! after a deliberate protocol change), and checks each with the verifying code.

use std::collections::BTreeMap;

use chacha20::ChaCha20Rng;
use piaojue_crypto::Scalar;
use piaojue_crypto::board::MerkleTree;
use piaojue_crypto::board::merkle::leaf_hash;
use piaojue_crypto::canonical::Canonical;
use piaojue_crypto::elgamal::EncryptionKey;
use piaojue_crypto::encoding::{Bytes, Digest32, Point, PublicKey};
use piaojue_crypto::fingerprint::ShortFingerprint;
use piaojue_crypto::manifest::{BallotOption, Contest, Manifest, TellerParams, Text};
use piaojue_crypto::proofs::dleq::DleqStatement;
use piaojue_crypto::proofs::range::{RangeStatement, RangeWitness};
use piaojue_crypto::proofs::{DleqProof, RangeProof, SchnorrProof};
use piaojue_crypto::rules::{DecisionRule, MajorityBase, Quorum};
use piaojue_crypto::samples;
use piaojue_crypto::tracking::ShortTrackingCode;
use piaojue_crypto::transcript::ProofContext;
use rand::SeedableRng;
use serde_json::{Value, json};

use crate::simulate::{Simulation, key_ceremony};

pub mod checkpoint;

fn rng(label: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([label; 32])
}

/// Protocol values in the vectors are base64url, as in every JSON of the protocol (§2.6).
fn b64(bytes: &[u8]) -> String {
    piaojue_crypto::encoding::encode_base64(bytes)
}

fn scalar(label: u8) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&[label; 64])
}

fn ctx_json(c: &ProofContext) -> Value {
    json!({
        "election": b64(&c.election),
        "party": b64(&c.party),
        "role": String::from_utf8_lossy(c.role),
        "index": c.index,
    })
}

/// The small election of the spec: 5 deputies, 3 tellers with t = 2, one "up to 2 of 4"
/// contest and one yes/no/abstain contest, decided by counts.
pub fn small_election_manifest() -> Manifest {
    let mut m = samples::up_to_k_of_n("vector-election", 4, 2, TellerParams { n: 3, t: 2 });
    m.title = Text::new("测试向量选举", "Test-vector election");
    let yna = samples::yes_no_abstain("x", 1, 1, m.tellers);
    let mut c: Contest = yna.contests[0].clone();
    c.id = "p05".into();
    m.contests.push(c);
    m.decision = DecisionRule::Counts {};
    m
}

/// Every vector file: name → JSON.
pub fn generate() -> anyhow::Result<BTreeMap<&'static str, Value>> {
    let mut files = BTreeMap::new();

    // ElGamal.
    let x = scalar(1);
    let key = EncryptionKey::new(PublicKey::from_secret(&x));
    let encryptions: Vec<Value> = [(0u64, 2u8), (1, 3), (5, 4), (1000, 5)]
        .iter()
        .map(|&(m, r)| {
            let ct = key.encrypt(m, &scalar(r));
            json!({"message": m, "randomness": b64(scalar(r).as_bytes()), "ciphertext": ct})
        })
        .collect();
    files.insert(
        "elgamal.json",
        json!({
            "description": "Exponential ElGamal: (r·G, m·G + r·K). Scalars are SHA-free: the wide reduction of 64 repeated bytes.",
            "secret_key": b64(x.as_bytes()),
            "public_key": key.key(),
            "encryptions": encryptions,
        }),
    );

    // Schnorr.
    let ctx = ProofContext::new([0x11; 32], [0x22; 32], b"vector").at(3, 4);
    let pk = *PublicKey::from_secret(&scalar(6)).as_point();
    let proof = SchnorrProof::prove(&ctx, &scalar(6), &pk, &mut rng(6));
    let mut bad = proof.clone();
    bad.response += Scalar::ONE;
    files.insert(
        "schnorr.json",
        json!({
            "context": ctx_json(&ctx),
            "public": pk,
            "valid": proof,
            "invalid": [{"why": "response + 1", "proof": bad},
                        {"why": "valid proof under context index [3, 5]", "context_index": [3, 5], "proof": proof}],
        }),
    );

    // DLEQ.
    let h = Point::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT * scalar(7));
    let xs = scalar(8);
    let xp = *PublicKey::from_secret(&xs).as_point();
    let yp = Point::from_point(h.point() * xs);
    let st = DleqStatement {
        h: &h,
        x: &xp,
        y: &yp,
    };
    let proof = DleqProof::prove(&ctx, &xs, &st, &mut rng(8));
    let mut bad = proof.clone();
    std::mem::swap(&mut bad.commitment_g, &mut bad.commitment_h);
    files.insert(
        "dleq.json",
        json!({
            "context": ctx_json(&ctx),
            "h": h, "x": xp, "y": yp,
            "valid": proof,
            "invalid": [{"why": "commitments swapped", "proof": bad}],
        }),
    );

    // Range proofs: a 0/1 proof and a contest-sum proof.
    let r1 = scalar(9);
    let ct1 = key.encrypt(1, &r1);
    let st1 = RangeStatement {
        key: key.key(),
        ciphertexts: std::slice::from_ref(&ct1),
        lo: 0,
        hi: 1,
    };
    let sel_ctx = ProofContext::new([0x11; 32], [0x22; 32], b"selection").at(0, 2);
    let p1 = RangeProof::prove(
        &sel_ctx,
        &st1,
        &RangeWitness {
            value: 1,
            randomness: &r1,
        },
        &mut rng(9),
    )?;
    let rs: Vec<Scalar> = (10..14).map(scalar).collect();
    let votes = [1u64, 0, 1, 0];
    let cts: Vec<_> = votes
        .iter()
        .zip(&rs)
        .map(|(&v, r)| key.encrypt(v, r))
        .collect();
    let sum_r: Scalar = rs.iter().sum();
    let st2 = RangeStatement {
        key: key.key(),
        ciphertexts: &cts,
        lo: 0,
        hi: 2,
    };
    let sum_ctx = ProofContext::new([0x11; 32], [0x22; 32], b"contest-sum");
    let p2 = RangeProof::prove(
        &sum_ctx,
        &st2,
        &RangeWitness {
            value: 2,
            randomness: &sum_r,
        },
        &mut rng(10),
    )?;
    let mut bad = p1.clone();
    bad.challenges[0] += Scalar::ONE;
    files.insert(
        "range.json",
        json!({
            "key": key.key(),
            "selection": {"context": ctx_json(&sel_ctx), "ciphertexts": [ct1], "lo": 0, "hi": 1, "value": 1, "proof": p1},
            "contest_sum": {"context": ctx_json(&sum_ctx), "ciphertexts": cts, "lo": 0, "hi": 2, "value": 2, "proof": p2},
            "invalid": [{"why": "selection proof with challenge 0 + 1", "proof": bad}],
        }),
    );

    // Canonical bytes of a small manifest and its hash.
    let tiny = Manifest {
        version: piaojue_crypto::PROTOCOL_VERSION,
        election_id: "tiny".into(),
        title: Text::new("小", "Tiny"),
        congress: Text::new("", ""),
        deputies: 3,
        tellers: TellerParams { n: 1, t: 1 },
        contests: vec![Contest {
            id: "c".into(),
            title: Text::new("是否", "Yes or no"),
            min: 1,
            max: 1,
            options: vec![
                BallotOption {
                    id: "yes".into(),
                    title: Text::new("赞成", "Yes"),
                    project: None,
                },
                BallotOption {
                    id: "no".into(),
                    title: Text::new("反对", "No"),
                    project: None,
                },
            ],
        }],
        decision: DecisionRule::Counts {},
        revote: Default::default(),
        board: piaojue_crypto::samples::sample_board("tiny"),
        witnesses: piaojue_crypto::manifest::Witnesses {
            quorum: 1,
            list: vec![piaojue_crypto::manifest::Witness {
                name: "witness.example/w1".into(),
                key: piaojue_crypto::board::BoardKey::from_seed(&[0xa1; 32]).public(),
                url: "https://witness.example/w1".into(),
            }],
        },
    };
    files.insert(
        "canonical.json",
        json!({
            "manifest": tiny,
            "canonical_bytes": hex::encode(tiny.canonical_bytes()),
            "manifest_hash": piaojue_crypto::fingerprint::manifest_hash(&tiny),
            "ceremony_id": piaojue_crypto::fingerprint::ceremony_id(&piaojue_crypto::fingerprint::manifest_hash(&tiny)),
        }),
    );

    // Key ceremony, n = 3, t = 2.
    let dkg_manifest = small_election_manifest();
    let (transcript, output, _, _) = key_ceremony(&dkg_manifest, &mut rng(20))?;
    files.insert(
        "dkg.json",
        json!({
            "params": piaojue_crypto::record::ceremony_params(&dkg_manifest),
            "transcript": transcript,
            "output": output,
        }),
    );

    // Merkle tree.
    let entries: Vec<String> = (0..7).map(|i| format!("entry {i}")).collect();
    let tree = MerkleTree::from_leaves(entries.iter().map(|e| leaf_hash(e.as_bytes())));
    files.insert(
        "merkle.json",
        json!({
            "entries_utf8": entries,
            "roots": (1..=7).map(|n| b64(&tree.root_at(n).expect("n ≤ 7"))).collect::<Vec<_>>(),
            "inclusion": {"index": 2, "size": 7, "path": tree.inclusion_proof(2, 7).expect("in range").iter().map(|h| b64(h)).collect::<Vec<_>>()},
            "consistency": {"old": 3, "new": 7, "path": tree.consistency_proof(3, 7).expect("in range").iter().map(|h| b64(h)).collect::<Vec<_>>()},
        }),
    );

    // Decision rules.
    let topk = samples::up_to_k_of_n("r", 5, 3, TellerParams { n: 1, t: 1 });
    let rules: Vec<Value> = [
        (vec![8u64, 6, 5, 7, 6], 8u64, 10u64),
        (vec![9, 7, 7, 1, 0], 9, 10),
        (vec![6, 6, 6, 0, 0], 6, 9),
    ]
    .into_iter()
    .map(|(counts, ballots, roll)| {
        let outcome = topk.decision.apply(&topk.contests, std::slice::from_ref(&counts), ballots, roll);
        json!({"rule": topk.decision, "counts": [counts], "ballots": ballots, "roll": roll, "outcome": outcome})
    })
    .collect();
    let rating = DecisionRule::Rating {
        majority: MajorityBase::AllDeputies,
        quorum: Quorum::TWO_THIRDS,
    };
    let rating_manifest = samples::rating("r", 3, TellerParams { n: 1, t: 1 });
    let rating_counts = vec![vec![6u64, 2, 1, 1], vec![3, 3, 3, 1], vec![2, 3, 4, 1]];
    let rating_outcome = rating.apply(&rating_manifest.contests, &rating_counts, 10, 10);
    // One case of a rule on a manifest's contests: the rule, the counts, the outcome.
    let case = |rule: &DecisionRule,
                contests: &[Contest],
                counts: Vec<Vec<u64>>,
                ballots: u64,
                roll: u64| {
        let outcome = rule.apply(contests, &counts, ballots, roll);
        json!({"rule": rule, "counts": counts, "ballots": ballots, "roll": roll, "outcome": outcome})
    };
    // "Up to 3 of 5" with the majority of the ballots cast (the `voting` base).
    let topk_voting = DecisionRule::TopK {
        seats: 3,
        majority: MajorityBase::Voting,
        quorum: Quorum::TWO_THIRDS,
    };
    let topk_voting_cases = vec![
        case(
            &topk_voting,
            &topk.contests,
            vec![vec![5, 4, 4, 2, 1]],
            8,
            10,
        ),
        case(
            &topk_voting,
            &topk.contests,
            vec![vec![4, 4, 4, 4, 0]],
            6,
            10,
        ),
    ];
    // Yes / no / abstain on 3 projects, 2 seats, under each majority base.
    let yna = samples::yes_no_abstain("r", 3, 2, TellerParams { n: 1, t: 1 });
    let approve = |majority| DecisionRule::ApproveEach {
        seats: 2,
        majority,
        quorum: Quorum::TWO_THIRDS,
    };
    let approve_cases = vec![
        case(
            &approve(MajorityBase::AllDeputies),
            &yna.contests,
            vec![vec![6, 2, 1], vec![5, 3, 1], vec![7, 1, 1]],
            9,
            10,
        ),
        case(
            &approve(MajorityBase::Voting),
            &yna.contests,
            vec![vec![5, 2, 1], vec![4, 3, 1], vec![3, 3, 2]],
            8,
            10,
        ),
        case(
            &approve(MajorityBase::AllDeputies),
            &yna.contests,
            vec![vec![5, 0, 1], vec![6, 0, 0], vec![4, 1, 1]],
            6,
            10,
        ),
    ];
    // Rating without a quorum (0/1), on the majority of the ballots cast.
    let rating_free = DecisionRule::Rating {
        majority: MajorityBase::Voting,
        quorum: Quorum::NONE,
    };
    let rating_free_case = case(
        &rating_free,
        &rating_manifest.contests,
        vec![vec![2, 1, 1, 0], vec![1, 1, 1, 1], vec![0, 1, 2, 1]],
        4,
        10,
    );
    // `counts`: publish the counts, decide nothing.
    let counts_case = case(
        &DecisionRule::Counts {},
        &topk.contests,
        vec![vec![3, 2, 1, 0, 0]],
        3,
        5,
    );
    files.insert(
        "rules.json",
        json!({
            "top_k": {"candidates": 5, "cases": rules},
            "top_k_voting": {"candidates": 5, "cases": topk_voting_cases},
            "approve_each": {"projects": 3, "cases": approve_cases},
            "rating": {"rule": rating, "counts": rating_counts, "ballots": 10, "roll": 10, "outcome": rating_outcome},
            "rating_no_quorum": rating_free_case,
            "counts": counts_case,
        }),
    );

    files.insert("signatures.json", signature_vectors());
    files.insert("checkpoint.json", checkpoint::vectors());

    // The complete small election.
    let sim = Simulation {
        manifest: small_election_manifest(),
        deputies: 5,
        voters: 4,
        audited: 1,
        decrypting_tellers: vec![1, 3],
        seed: [0x42; 32],
    };
    let (record, _) = sim.run()?;
    files.insert(
        "short-fingerprint.json",
        short_fingerprint_vectors(&record.election.fingerprint),
    );
    let codes: Vec<Digest32> = record.ballots.iter().map(|b| b.tracking_code()).collect();
    files.insert(
        "short-tracking-code.json",
        short_tracking_code_vectors(&codes),
    );
    files.insert("election-record.json", serde_json::to_value(&record)?);
    Ok(files)
}

/// The short form of fingerprints (protocol §6.5): edge values and the small election's.
fn short_fingerprint_vectors(election: &Digest32) -> Value {
    let mut counting = [0u8; 32];
    for (i, b) in counting.iter_mut().enumerate() {
        *b = i as u8 + 1;
    }
    let cases: Vec<Value> = [
        Bytes([0; 32]),
        Bytes([0xff; 32]),
        Bytes(counting),
        *election,
    ]
    .iter()
    .map(|f| json!({"fingerprint": f, "short": ShortFingerprint::of(f).to_string()}))
    .collect();
    json!({
        "description": "short(F): the first 8 bytes of F as a big-endian u64, 20 decimal digits zero-padded, in groups of 4 separated by one space. The last case is the fingerprint of election-record.json.",
        "cases": cases,
        "invalid_short_forms": ["1844 6744 0737 0955 1616", "1844 6744 0737 0955 161", "1844 6744 0737 0955 161a"],
    })
}

/// The short form of tracking codes (protocol §8.4): edge values, each bit of the first symbol
/// and the last, the small election's cast ballots; texts as people type them; refused texts.
fn short_tracking_code_vectors(election_codes: &[Digest32]) -> Value {
    let mut counting = [0u8; 32];
    for (i, b) in counting.iter_mut().enumerate() {
        *b = i as u8 + 1;
    }
    let mut first = [0u8; 32];
    first[..2].copy_from_slice(&[0x84, 0x20]);
    let mut last = [0xeeu8; 32];
    last[..10].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    let cases: Vec<Value> = [
        Bytes([0; 32]),
        Bytes([0xff; 32]),
        Bytes(counting),
        Bytes(first),
        Bytes(last),
    ]
    .iter()
    .chain(election_codes)
    .map(|c| json!({"tracking_code": c, "short": ShortTrackingCode::of(c).to_string()}))
    .collect();
    let counting_short = ShortTrackingCode::of(&Bytes(counting)).to_string();
    let typed: Vec<Value> = [
        counting_short.to_lowercase(),
        counting_short.replace('-', ""),
        counting_short.replace('-', " "),
        format!(" {} \n", counting_short.replace('-', "").to_lowercase()),
        counting_short.chars().flat_map(|c| [c, '-']).collect(),
    ]
    .into_iter()
    .map(|t| json!({"typed": t, "short": counting_short}))
    .chain([
        json!({"typed": "IlL1-oOO0-iLl1-O0o0", "short": "1111-0000-1111-0000"}),
        json!({"typed": "ilio ilio ilio ilio", "short": "1110-1110-1110-1110"}),
    ])
    .collect();
    json!({
        "description": "short(code): the first 10 bytes of the tracking code as an 80-bit big-endian number, 16 Crockford base32 symbols (0123456789ABCDEFGHJKMNPQRSTVWXYZ) most significant first, in 4 groups of 4 joined by '-'. Reading: ASCII whitespace and '-' ignored anywhere, lower case as upper case, I and L as 1, O as 0, exactly 16 symbols. The cases after the fifth are the cast ballots of election-record.json.",
        "cases": cases,
        "typed": typed,
        "invalid_short_forms": [
            "0000-0000-0000-000",
            "0000-0000-0000-00000",
            "0000-0000-0000-000U",
            "0000_0000_0000_0000",
            "0000-0000-0000-000Ｚ",
            "",
        ],
    })
}

/// `k = SHA-512(R ‖ A ‖ M) mod ℓ` (§7.4).
fn signature_k(r: &[u8; 32], a: &[u8; 32], m: &[u8]) -> Scalar {
    use sha2::{Digest, Sha512};
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(m);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// The signature rule of §7.4 on its edge cases: which signatures every implementation must
/// accept and which it must refuse.
fn signature_vectors() -> Value {
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
    use ed25519_dalek::{Signer, SigningKey};
    let sk = SigningKey::from_bytes(&[0x51; 32]);
    let a = sk.verifying_key().to_bytes();
    let x = sk.to_scalar();
    let m = b"piaojue-v1 signature vectors".to_vec();
    let sig = |r_bytes: [u8; 32], s: Scalar| -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&r_bytes);
        out[32..].copy_from_slice(s.as_bytes());
        out
    };
    let honest = sk.sign(&m).to_bytes();
    let mut cases = vec![(
        "an RFC 8032 signature (ed25519-dalek's sign)",
        m.clone(),
        honest,
        true,
    )];
    let mut other = m.clone();
    other[0] ^= 1;
    cases.push((
        "the same signature on another message",
        other,
        honest,
        false,
    ));
    // S + ℓ: the same equation, a non-canonical S.
    let s = Scalar::from_canonical_bytes(honest[32..].try_into().expect("32")).expect("canonical");
    let mut s_plus_l = [0u8; 32];
    let l = curve25519_dalek::scalar::Scalar::ZERO - Scalar::ONE; // ℓ − 1
    let mut carry = 1u16; // (ℓ − 1) + 1 + S
    for (out, (x, y)) in s_plus_l
        .iter_mut()
        .zip(l.as_bytes().iter().zip(s.as_bytes()))
    {
        let v = u16::from(*x) + u16::from(*y) + carry;
        *out = v as u8;
        carry = v >> 8;
    }
    let mut big = honest;
    big[32..].copy_from_slice(&s_plus_l);
    cases.push(("S + ℓ in place of S (condition 1)", m.clone(), big, false));
    // R = O and S = k·x: the cofactorless equation S·B − k·A = R holds; R is of small order.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let forged = sig(identity, signature_k(&identity, &a, &m) * x);
    cases.push((
        "R = O, S = k·a (condition 2: R of small order)",
        m.clone(),
        forged,
        false,
    ));
    // R = r·B + T, T of order 8: the cofactored equation holds (valid), the cofactorless fails.
    let r = Scalar::from(20_270_101u64);
    let mixed_r = (B * r + EIGHT_TORSION[1]).compress().to_bytes();
    let mixed = sig(mixed_r, r + signature_k(&mixed_r, &a, &m) * x);
    cases.push((
        "R = r·B + T with T of order 8, S = r + k·a: valid by the cofactored equation (condition 3), though verify_strict refuses it",
        m.clone(),
        mixed,
        true,
    ));
    let mut mixed_bad = mixed;
    mixed_bad[40] ^= 1;
    cases.push(("the same with S changed", m.clone(), mixed_bad, false));
    // R not canonical: y + p for the smallest y < 19 that is a point not of small order.
    let (y, _) = (0u8..19)
        .filter_map(|y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            curve25519_dalek::edwards::CompressedEdwardsY(bytes)
                .decompress()
                .filter(|p| !p.is_small_order())
                .map(|p| (y, p))
        })
        .next()
        .expect("some small y is on the curve");
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xed + y;
    non_canonical[31] = 0x7f;
    let mut nc = honest;
    nc[..32].copy_from_slice(&non_canonical);
    cases.push((
        "R encoded with y ≥ p (y + p for a point with small y): not canonical (condition 2)",
        m.clone(),
        nc,
        false,
    ));
    json!({
        "description": "ed25519 signatures under protocol §7.4: S canonical; R canonical and not of small order; [8](S·B − k·A − R) = O with k = SHA-512(R ‖ A ‖ M) mod ℓ. `message` is hex; key and signature base64url. A batch (§7.5) of the valid ones holds; a batch with any invalid one fails.",
        "key": b64(&a),
        "cases": cases.into_iter().map(|(why, msg, sig, valid)| json!({
            "why": why,
            "message": hex::encode(msg),
            "signature": b64(&sig),
            "valid": valid,
        })).collect::<Vec<_>>(),
    })
}
