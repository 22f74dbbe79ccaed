//! The decode-and-check functions behind the fuzz targets (`fuzz/fuzz_targets/`) and the
//! corpus test (`tests/fuzz_corpus.rs`): each takes bytes from outside, decodes them the way
//! Piaojue decodes them from a voter, a teller, a board or a downloaded record, checks what
//! decodes, and panics only when an invariant breaks (a forged value verifies, a round trip
//! changes a value). A malformed input is an `Err`, never a panic.
//!
//! The statements the proofs and ballots are checked against are the published vectors of
//! `spec/vectors/`, so that a verifying input that is not the vector's own value is a forgery.

use std::sync::OnceLock;

use piaojue_crypto::ballot::{Ballot, ElectionContext};
use piaojue_crypto::board::merkle::MerkleTree;
use piaojue_crypto::board::{BoardKey, Receipt, TreeHead, log_id};
use piaojue_crypto::elgamal::Ciphertext;
use piaojue_crypto::encoding::{
    Bytes, Point, PublicKey, decode_base64_array, decode_hex_array, decode_scalar,
    scalar_from_base64,
};
use piaojue_crypto::proofs::dleq::DleqStatement;
use piaojue_crypto::proofs::range::RangeStatement;
use piaojue_crypto::proofs::{DleqProof, RangeProof, SchnorrProof};
use piaojue_crypto::record::{ElectionRecord, derive_record, parse_entry};
use piaojue_crypto::transcript::ProofContext;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::limits::{MAX_FAILURES, MAX_MESSAGE, MAX_QUOTE};
use crate::message::{Detail, Message, Quote, Text};
use crate::record_io::BoardRecordFile;
use crate::report::{Failures, Lang, Note, Report, is_unprintable, quote, steps};

/// Why an input was refused (the expected outcome for almost every fuzz input).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// It does not decode.
    #[error("does not decode: {0}")]
    Decode(String),
    /// It decodes but does not verify.
    #[error("does not verify: {0}")]
    Verify(String),
}

const RECORD_VECTOR: &str = include_str!("../../spec/vectors/election-record.json");
const SCHNORR_VECTOR: &str = include_str!("../../spec/vectors/schnorr.json");
const DLEQ_VECTOR: &str = include_str!("../../spec/vectors/dleq.json");
const RANGE_VECTOR: &str = include_str!("../../spec/vectors/range.json");

fn json<T: DeserializeOwned>(data: &[u8]) -> Result<T, Refused> {
    piaojue_crypto::json::from_slice(data).map_err(|e| Refused::Decode(e.to_string()))
}

fn from_value<T: DeserializeOwned>(v: &Value) -> T {
    piaojue_crypto::json::from_value(v.clone()).expect("the committed vectors decode")
}

/// Decodes, re-encodes and decodes again: the value must not change.
fn round_trip<T: DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug>(v: &T) {
    let again: T = piaojue_crypto::json::from_slice(&serde_json::to_vec(v).expect("serializes"))
        .expect("a decoded value's encoding decodes");
    assert_eq!(&again, v, "a decoded value changed in a round trip");
}

/// The election of `spec/vectors/election-record.json`: its record, context and tracking codes.
struct RecordVector {
    record: ElectionRecord,
    ctx: ElectionContext,
}

fn record_vector() -> &'static RecordVector {
    static V: OnceLock<RecordVector> = OnceLock::new();
    V.get_or_init(|| {
        let record: ElectionRecord =
            piaojue_crypto::json::from_str(RECORD_VECTOR).expect("the record vector decodes");
        let ctx = record
            .election
            .context()
            .expect("the record vector's context");
        RecordVector { record, ctx }
    })
}

/// The valid ballots of the record vector (seeds of the `ballot` corpus).
pub fn sample_ballots() -> Vec<Vec<u8>> {
    record_vector()
        .record
        .ballots
        .iter()
        .map(|b| serde_json::to_vec(b).expect("serializes"))
        .collect()
}

/// A cast ballot, as the server decodes it: JSON, then the whole verification against the
/// record vector's election. A ballot that verifies must be one of the record's own ballots
/// (anything else would be a forged credential signature or proof).
pub fn check_ballot(data: &[u8]) -> Result<(), Refused> {
    let v = record_vector();
    let ballot: Ballot = json(data)?;
    round_trip(&ballot);
    let code = ballot.tracking_code();
    let known = v
        .record
        .ballots
        .iter()
        .any(|b| b.tracking_code() == code && *b == ballot);
    match ballot.verify(&v.ctx, &v.record.election.credentials) {
        Ok(verified) => {
            assert!(known, "a ballot that is not in the record verified");
            assert_eq!(verified.tracking_code(), &code);
            Ok(())
        }
        Err(e) => {
            assert!(!known, "a ballot of the record does not verify: {e}");
            Err(Refused::Verify(e.to_string()))
        }
    }
}

fn proof_context(v: &Value, role: &'static [u8]) -> ProofContext {
    let idx: [u64; 2] = from_value(&v["index"]);
    ProofContext::new(
        decode_base64_array(v["election"].as_str().expect("election")).expect("election"),
        decode_base64_array(v["party"].as_str().expect("party")).expect("party"),
        role,
    )
    .at(idx[0], idx[1])
}

/// A proof, as a teller's or voter's message carries it: `{"schnorr": …}`, `{"dleq": …}` or
/// `{"range": …}` (a selection's 0/1 proof), checked against the statement of the
/// `spec/vectors/` file. A proof that verifies must be the vector's own.
pub fn check_proof(data: &[u8]) -> Result<(), Refused> {
    let input: Value = json(data)?;
    let Some((kind, proof)) = input.as_object().and_then(|o| o.iter().next()) else {
        return Err(Refused::Decode("not an object with one proof".into()));
    };
    let decode_err = |e: serde_json::Error| Refused::Decode(e.to_string());
    let outcome = match kind.as_str() {
        "schnorr" => {
            let v: Value = piaojue_crypto::json::from_str(SCHNORR_VECTOR).expect("vector");
            let p: SchnorrProof =
                piaojue_crypto::json::from_value(proof.clone()).map_err(decode_err)?;
            round_trip(&p);
            let public: Point = from_value(&v["public"]);
            let ok = p
                .verify(&proof_context(&v["context"], b"vector"), &public)
                .is_ok();
            (ok, p == from_value::<SchnorrProof>(&v["valid"]))
        }
        "dleq" => {
            let v: Value = piaojue_crypto::json::from_str(DLEQ_VECTOR).expect("vector");
            let p: DleqProof =
                piaojue_crypto::json::from_value(proof.clone()).map_err(decode_err)?;
            round_trip(&p);
            let (h, x, y): (Point, Point, Point) = (
                from_value(&v["h"]),
                from_value(&v["x"]),
                from_value(&v["y"]),
            );
            let st = DleqStatement {
                h: &h,
                x: &x,
                y: &y,
            };
            let ok = p
                .verify(&proof_context(&v["context"], b"vector"), &st)
                .is_ok();
            (ok, p == from_value::<DleqProof>(&v["valid"]))
        }
        "range" => {
            let v: Value = piaojue_crypto::json::from_str(RANGE_VECTOR).expect("vector");
            let s = &v["selection"];
            let p: RangeProof =
                piaojue_crypto::json::from_value(proof.clone()).map_err(decode_err)?;
            round_trip(&p);
            let key: PublicKey = from_value(&v["key"]);
            let cts: Vec<Ciphertext> = from_value(&s["ciphertexts"]);
            let st = RangeStatement {
                key: &key,
                ciphertexts: &cts,
                lo: s["lo"].as_u64().expect("lo"),
                hi: s["hi"].as_u64().expect("hi"),
            };
            let ok = p
                .verify(&proof_context(&s["context"], b"selection"), &st)
                .is_ok();
            (ok, p == from_value::<RangeProof>(&s["proof"]))
        }
        other => return Err(Refused::Decode(format!("unknown proof kind {other:?}"))),
    };
    match outcome {
        (true, true) => Ok(()),
        (true, false) => panic!("a {kind} proof that is not the vector's verified"),
        (false, true) => panic!("the vector's {kind} proof does not verify"),
        (false, false) => Err(Refused::Verify(format!("{kind} proof"))),
    }
}

/// The valid proofs of the vectors, in the `check_proof` input form (corpus seeds).
pub fn sample_proofs() -> Vec<Vec<u8>> {
    let s: Value = piaojue_crypto::json::from_str(SCHNORR_VECTOR).expect("vector");
    let d: Value = piaojue_crypto::json::from_str(DLEQ_VECTOR).expect("vector");
    let r: Value = piaojue_crypto::json::from_str(RANGE_VECTOR).expect("vector");
    [
        serde_json::json!({ "schnorr": s["valid"] }),
        serde_json::json!({ "dleq": d["valid"] }),
        serde_json::json!({ "range": r["selection"]["proof"] }),
    ]
    .iter()
    .map(|v| serde_json::to_vec(v).expect("serializes"))
    .collect()
}

/// Points and scalars: the raw 32-byte decoders on the first 32 bytes, the text decoders
/// (base64url, hex) on the whole input. Whatever decodes must encode back to the same bytes
/// (one encoding per point and scalar).
pub fn check_point_scalar(data: &[u8]) -> Result<(), Refused> {
    let mut decoded = 0;
    if let Some(raw) = data.get(..32).and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        if let Ok(p) = Point::decode(&raw) {
            assert_eq!(p.as_bytes(), &raw, "a point has a second encoding");
            assert_eq!(p.point().compress().to_bytes(), raw);
            decoded += 1;
        }
        if let Ok(p) = Point::decode_nonidentity(&raw) {
            assert!(
                !p.is_identity(),
                "the identity decoded as a non-identity point"
            );
            decoded += 1;
        }
        if let Ok(k) = PublicKey::decode(&raw) {
            assert_eq!(k.as_bytes(), &raw);
            assert!(
                !k.as_point().is_identity(),
                "an identity public key decoded"
            );
            decoded += 1;
        }
        if let Ok(s) = decode_scalar(&raw) {
            assert_eq!(s.to_bytes(), raw, "a scalar has a second encoding");
            decoded += 1;
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = Point::from_base64(text) {
            assert_eq!(p.to_base64(), text, "a point has a second text encoding");
            decoded += 1;
        }
        if let Ok(s) = scalar_from_base64(text) {
            assert_eq!(Bytes(s.to_bytes()).to_base64(), text);
            decoded += 1;
        }
        if let Ok(b) = decode_hex_array::<32>(text) {
            assert_eq!(
                decode_hex_array::<32>(&text.to_ascii_lowercase()).ok(),
                Some(b)
            );
            decoded += 1;
        }
        if let Ok(p) = piaojue_crypto::json::from_str::<Point>(text) {
            round_trip(&p);
            decoded += 1;
        }
    }
    if decoded == 0 {
        Err(Refused::Decode("no decoder took it".into()))
    } else {
        Ok(())
    }
}

const SAMPLE_BOARD_SEED: [u8; 32] = [7; 32];
const SAMPLE_ELECTION: &str = "fuzz-receipt";

/// A valid receipt for entry 1 of a 3-entry log, signed by the board key of seed `[7; 32]`
/// (the seed of the `receipt` corpus).
pub fn sample_receipt() -> Receipt {
    let key = BoardKey::from_seed(&SAMPLE_BOARD_SEED);
    let mut tree = MerkleTree::new();
    for e in [&b"{\"a\":0}"[..], b"{\"a\":1}", b"{\"a\":2}"] {
        tree.push(e);
    }
    let head = key.sign(TreeHead {
        log_id: log_id(SAMPLE_ELECTION),
        size: 3,
        root: Bytes(tree.root()),
        timestamp_ms: 1_700_000_000_000,
    });
    let mut r = Receipt {
        election_id: SAMPLE_ELECTION.into(),
        tracking_code: Bytes([9; 32]),
        index: 1,
        leaf_hash: Bytes(tree.leaf(1).expect("leaf")),
        tree_head: head,
        inclusion: tree
            .inclusion_proof(1, 3)
            .expect("proof")
            .into_iter()
            .map(Bytes)
            .collect(),
        signature: Bytes([0; 64]),
    };
    r.signature = key.sign_bytes(&r.signed_bytes());
    r
}

/// A receipt, as `piaojue receipt` and the verifier read it: JSON, then R1 (signatures and
/// inclusion) against the sample board key. A receipt that verifies must be the sample.
pub fn check_receipt(data: &[u8]) -> Result<(), Refused> {
    let receipt: Receipt = json(data)?;
    round_trip(&receipt);
    let key = BoardKey::from_seed(&SAMPLE_BOARD_SEED).public();
    let ok = receipt.verify(&key);
    let sample = receipt == sample_receipt();
    match (ok, sample) {
        (Ok(()), true) => Ok(()),
        (Ok(()), false) => panic!("a receipt that is not the sample verified"),
        (Err(e), true) => panic!("the sample receipt does not verify: {e}"),
        (Err(e), false) => Err(Refused::Verify(e.to_string())),
    }
}

/// A record file, as the verifier reads a single-file record: the board form
/// (`{"board": …}`, every entry parsed and the record derived from the log) or an
/// [`ElectionRecord`]; a record that decodes is verified. The record vector must pass;
/// nothing may panic.
pub fn check_record(data: &[u8]) -> Result<(), Refused> {
    let text = std::str::from_utf8(data).map_err(|e| Refused::Decode(e.to_string()))?;
    let record = match piaojue_crypto::json::from_str::<BoardRecordFile>(text) {
        Ok(f) => {
            let entries = f
                .board
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| parse_entry(i as u64, e))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Refused::Decode(e.to_string()))?;
            let mut record = derive_record(&f.board.info, entries)
                .map_err(|e| Refused::Decode(e.to_string()))?
                .record;
            record.board = Some(f.board);
            record
        }
        Err(_) => json::<ElectionRecord>(data)?,
    };
    let report = crate::verify_record(&record);
    check_rendered(&report);
    let is_vector = record == record_vector().record;
    match report.passed() {
        true => Ok(()),
        false => {
            assert!(!is_vector, "the record vector does not verify");
            Err(Refused::Verify("the record does not verify".into()))
        }
    }
}

/// A report filled with the input's text, as a hostile record could fill one (`report`
/// target): the text, split at NUL bytes, is the election id, then summaries, failures (some
/// steps with more than [`MAX_FAILURES`]) and quoted texts. The printer must not panic and
/// [`check_rendered`] must hold. Never refused.
pub fn check_report(data: &[u8]) -> Result<(), Refused> {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let mut report = Report {
        election_id: parts.next().map(str::to_owned),
        ..Report::default()
    };
    if data.first().is_some_and(|b| b & 1 == 1) {
        report.notes.push(Note::BoardKeyNotPinned);
    }
    for (k, part) in parts.enumerate() {
        let step = steps::ALL[k % steps::ALL.len()];
        let quoted = quote(part).to_string();
        assert!(
            quoted.chars().count() <= MAX_QUOTE * 10 + 40,
            "a quote is not bounded"
        );
        assert!(
            !quoted.chars().any(is_unprintable),
            "a quote is not escaped"
        );
        match k % 3 {
            0 => report.push(
                step,
                Text::Fingerprint {
                    fingerprint: part.into(),
                },
                vec![Message::Approval(Detail::of(part)); part.len() % 5],
            ),
            1 => report.skip(
                step,
                Text::BoardApproval {
                    body: part.into(),
                    reference: quoted.clone(),
                    date: part.into(),
                },
            ),
            _ => {
                let mut f = Failures::new();
                f.extend((0..part.len() % (2 * MAX_FAILURES)).map(|i| {
                    Message::from(Text::BoardForOtherElection {
                        log: Quote::of(part),
                        manifest: Quote::of(&i.to_string()),
                    })
                }));
                report.push(step, Text::DiffElection { id: quoted }, f);
            }
        }
    }
    check_rendered(&report);
    Ok(())
}

/// The readable report in both languages: one line for the title, each note, each step, each
/// kept failure, the count of the others and the verdict, and no more (no text of the
/// report adds a line); no control, separator or format character but the line ends; at most
/// [`MAX_FAILURES`] failures a step, each at most [`MAX_MESSAGE`] characters and a few more,
/// so that the output is bounded by the number of steps, not by the record.
pub fn check_rendered(report: &Report) {
    let mut lines = 2 + report.notes.len();
    for s in &report.steps {
        assert!(s.failures.len() <= MAX_FAILURES, "too many failures kept");
        for f in &s.failures {
            assert!(
                f.chars().count() <= MAX_MESSAGE + 40,
                "a failure is not cut"
            );
        }
        lines += 1 + s.failures.len() + usize::from(s.more_failures > 0);
    }
    // Every text is cut to MAX_MESSAGE characters (and its length); an escape is at most
    // 10 characters (`\u{10ffff}`).
    let bound = lines * ((MAX_MESSAGE + 40) * 10 + 100);
    // The outcome section of a passing report: its own lines, each at most a title and a
    // few numbers.
    let outcome = report
        .outcome
        .as_ref()
        .filter(|_| report.passed())
        .map_or(0, |o| o.line_count());
    let lines = lines + outcome;
    let bound = bound + outcome * (MAX_QUOTE * 10 * 2 + 400);
    for lang in [Lang::Zh, Lang::En] {
        let out = report.render(lang);
        assert!(out.ends_with('\n'));
        assert_eq!(
            out.split('\n').count() - 1,
            lines,
            "a text added a line:\n{out}"
        );
        assert!(
            !out.chars().any(|c| c != '\n' && is_unprintable(c)),
            "an unescaped character:\n{out}"
        );
        assert!(out.chars().count() <= bound, "the report is not bounded");
    }
}

/// Decodes `data` strictly as `T` (`piaojue_crypto::json`, `spec/record.md` §2.2) and checks
/// what decodes: serde's lenient decoding takes it too, to the same value (the strict decoder
/// only refuses more), and it re-encodes to text that decodes strictly to the same value.
fn strict_takes<T>(data: &[u8]) -> bool
where
    T: DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = piaojue_crypto::json::from_slice::<T>(data) else {
        return false;
    };
    // serde_json's own decoder, on purpose: the lenient decoding the strict one is compared with.
    let lenient: T =
        serde_json::from_slice(data).expect("what the strict decoder takes, serde takes");
    assert_eq!(
        lenient, value,
        "the strict and the lenient decoder disagree"
    );
    let again: T =
        piaojue_crypto::json::from_slice(&serde_json::to_vec(&value).expect("serializes"))
            .expect("a strictly decoded value's encoding decodes strictly");
    assert_eq!(
        again, value,
        "a strictly decoded value changed in a round trip"
    );
    true
}

/// `data` as each record type that `spec/vectors/negative.json` names, strictly; `Ok` if one
/// took it. Panics if a strict decode disagrees with serde's or does not round-trip.
pub fn check_strict_json(data: &[u8]) -> Result<(), Refused> {
    use piaojue_crypto::board::{Entry, SignedTreeHead};
    use piaojue_crypto::manifest::{Manifest, Text};
    use piaojue_crypto::record::TallyResult;
    use piaojue_crypto::rules::DecisionRule;
    let entry = match Entry::from_bytes(data) {
        Ok(e) => {
            let again = Entry::from_bytes(&e.to_bytes()).expect("an entry's bytes decode");
            assert_eq!(again, e, "an entry changed in a round trip");
            true
        }
        Err(_) => false,
    };
    let took = [
        entry,
        strict_takes::<Ballot>(data),
        strict_takes::<TallyResult>(data),
        strict_takes::<SignedTreeHead>(data),
        strict_takes::<Receipt>(data),
        strict_takes::<Manifest>(data),
        strict_takes::<DecisionRule>(data),
        strict_takes::<Text>(data),
    ];
    if took.contains(&true) {
        Ok(())
    } else {
        Err(Refused::Decode("no record type takes it".into()))
    }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};

    /// The `report` target's check on 20,000 inputs drawn from line breaks, NULs (the
    /// separators), bidi and other format characters, the report's own words and long runs:
    /// a stand-in for the fuzzer where cargo fuzz is not installed (`RELIABILITY.md`).
    #[test]
    fn the_report_printer_holds_on_random_input() {
        const PIECES: &[&str] = &[
            "\n",
            "\r",
            "\0",
            "\u{202e}",
            "\u{2066}",
            "\u{200b}",
            "\u{85}",
            "\u{2028}",
            "\u{feff}",
            "[通过] V11 ",
            "结论：全部验证通过。",
            "Verdict: every check passed.",
            "\"",
            "\\",
            "票",
            "a",
            "é",
            "\u{e0041}",
            "\u{1f600}",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(18);
        for _ in 0..20_000 {
            let mut input = String::new();
            for _ in 0..rng.random_range(0..40) {
                let piece = PIECES[rng.random_range(0..PIECES.len())];
                let times = if rng.random_range(0..20) == 0 { 500 } else { 1 };
                input.push_str(&piece.repeat(times));
            }
            assert!(super::check_report(input.as_bytes()).is_ok());
        }
    }
}
