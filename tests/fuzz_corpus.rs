//! The fuzz corpus as a test: every file of `fuzz/corpus/<target>/` goes through the function
//! its fuzz target runs (`piaojue_verifier::fuzz_checks`, `piaojue_server::routes::check_api_body`),
//! which panics when an invariant breaks (a forged ballot, proof or receipt verifies, a decoded
//! value changes in a round trip, the record vector fails). This is what CI runs; the fuzzer
//! itself needs nightly (`RELIABILITY.md`).
//!
//! `PIAOJUE_WRITE_CORPUS_SEEDS=1 cargo test --test fuzz_corpus` (re)writes the seed files
//! `seed-*`: the valid inputs of `spec/vectors/` and deterministic mutations of them.

use std::path::{Path, PathBuf};

use piaojue_verifier::fuzz_checks::{self, Refused};

type Check = fn(&[u8]) -> Result<(), Refused>;

fn api_body(data: &[u8]) -> Result<(), Refused> {
    match piaojue_server::routes::check_api_body(data) {
        0 => Err(Refused::Decode("no body type".into())),
        _ => Ok(()),
    }
}

const TARGETS: [(&str, Check); 8] = [
    ("ballot", fuzz_checks::check_ballot),
    ("proof", fuzz_checks::check_proof),
    ("point_scalar", fuzz_checks::check_point_scalar),
    ("receipt", fuzz_checks::check_receipt),
    ("record", fuzz_checks::check_record),
    ("api_body", api_body),
    ("report", fuzz_checks::check_report),
    ("strict_json", fuzz_checks::check_strict_json),
];

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// A small deterministic generator for the mutations (no dependency on the fuzzer).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Mutations of a valid input: single bit flips, a truncation, a byte dropped, a digit changed.
fn mutations(valid: &[u8], count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Lcg(seed);
    (0..count)
        .map(|k| {
            let mut m = valid.to_vec();
            let i = rng.next() as usize % m.len();
            match k % 4 {
                0 => m[i] ^= 1 << (rng.next() % 8),
                1 => m.truncate(i),
                2 => {
                    m.remove(i);
                }
                _ => {
                    // Change one base64 character of a value to another base64 character.
                    let alphabet =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                    let c = alphabet[rng.next() as usize % alphabet.len()];
                    if m[i].is_ascii_alphanumeric() && m[i] != c {
                        m[i] = c;
                    } else {
                        m[i] ^= 0x20;
                    }
                }
            }
            m
        })
        .collect()
}

fn seeds() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let receipt = serde_json::to_vec(&fuzz_checks::sample_receipt()).unwrap();
    let record = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/election-record.json"),
    )
    .unwrap();
    let point = fuzz_checks_point();
    let api: Vec<Vec<u8>> = vec![
        br#"{"names":["a","b"]}"#.to_vec(),
        br#"{"count":3}"#.to_vec(),
        br#"{"signing_keys":["ERERERERERERERERERERERERERERERERERERERERERE"]}"#.to_vec(),
        br#"{"keys":[]}"#.to_vec(),
        br#"{"items":[]}"#.to_vec(),
        br#"{"from":0,"limit":5}"#.to_vec(),
    ];
    // The small inputs of spec/vectors/negative.json, refused and accepted.
    let negative: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/vectors/negative.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let strict: Vec<Vec<u8>> = negative["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| [&v["accepted"], &v["refused"]])
        .map(|t| t.as_str().unwrap().as_bytes().to_vec())
        .filter(|t| t.len() < 2048)
        .collect();
    let mut out = vec![
        ("ballot", fuzz_checks::sample_ballots()),
        ("proof", fuzz_checks::sample_proofs()),
        ("point_scalar", point),
        ("receipt", vec![receipt]),
        ("record", vec![record]),
        ("api_body", api),
        (
            "report",
            vec![
                "x\n[通过] V11 按表决规则得出的结果: 伪造\u{202e}\0summary\r\n\0failure \u{2067} text\0"
                    .as_bytes()
                    .to_vec(),
                b"election\0a\0b\0c\0d\0e\0f\0g\0h\0i\0j\0k\0l".to_vec(),
            ],
        ),
        ("strict_json", strict),
    ];
    for (i, (_, list)) in out.iter_mut().enumerate() {
        let valid = list.clone();
        let per = match i {
            4 => 6,
            6 => 2,
            _ => 12,
        };
        for (j, v) in valid.iter().enumerate() {
            list.extend(mutations(v, per, (i * 1000 + j) as u64 + 1));
        }
    }
    out
}

fn fuzz_checks_point() -> Vec<Vec<u8>> {
    use piaojue_crypto::encoding::Point;
    let g = Point::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT);
    vec![
        g.as_bytes().to_vec(),
        [0u8; 32].to_vec(),
        [0xffu8; 32].to_vec(),
        g.to_base64().into_bytes(),
        hex::encode(g.as_bytes()).into_bytes(),
        format!("\"{}\"", g.to_base64()).into_bytes(),
    ]
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn every_corpus_file_goes_through_its_check() {
    if std::env::var_os("PIAOJUE_WRITE_CORPUS_SEEDS").is_some() {
        for (target, list) in seeds() {
            let dir = corpus(target);
            std::fs::create_dir_all(&dir).unwrap();
            for (i, data) in list.iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i:03}")), data).unwrap();
            }
        }
    }
    let mut total = 0;
    let mut bytes = 0;
    for (target, check) in TARGETS {
        let list = files(&corpus(target));
        let mut accepted = 0;
        for path in &list {
            let data = std::fs::read(path).unwrap();
            bytes += data.len();
            // A panic here is a broken invariant; the message names the file.
            let outcome = std::panic::catch_unwind(|| check(&data))
                .unwrap_or_else(|_| panic!("{} broke an invariant", path.display()));
            accepted += usize::from(outcome.is_ok());
        }
        println!(
            "{target}: {} files, {accepted} accepted, {} refused",
            list.len(),
            list.len() - accepted
        );
        assert!(list.len() >= 5, "{target}: the corpus is too small");
        assert!(
            accepted >= 1,
            "{target}: no corpus file is accepted, the seeds are gone"
        );
        total += list.len();
    }
    println!("{total} corpus files, {bytes} bytes");
    assert!(bytes < 2_000_000, "the corpus must stay small");
}

#[test]
fn the_valid_seeds_pass_and_their_mutations_are_refused() {
    // The checks themselves, independent of what is committed: each valid seed is accepted and
    // each mutation of a ballot, proof or receipt is refused (a flipped bit never verifies).
    for (target, list) in seeds() {
        let check = TARGETS.iter().find(|(t, _)| *t == target).unwrap().1;
        let valid = match target {
            "point_scalar" | "api_body" | "report" | "strict_json" => continue,
            "record" => 1,
            "receipt" => 1,
            "proof" => 3,
            _ => fuzz_checks::sample_ballots().len(),
        };
        for (i, data) in list.iter().enumerate() {
            let r = check(data);
            if i < valid {
                assert!(r.is_ok(), "{target} seed {i} refused: {r:?}");
            } else if target != "record" {
                assert!(r.is_err(), "{target}: mutation {i} was accepted");
            }
        }
    }
}
