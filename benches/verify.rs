//! Criterion benchmarks of the verifier (issue 7), on a 10,000-ballot "up to 10 of 13" election
//! (5 tellers, 3 decrypt) in board form (`spec/record.md` §8.4), as a board exports it:
//!
//! * `board_record_end_to_end`: `verify_board_folder` — every step of `spec/verification.md`,
//!   from the files on disk (page cache warm): reading, parsing, V1–V11, the Merkle tree and
//!   every signed tree head;
//! * `batch_path`: the ballots alone, from their JSON text to verified (`Ballot` decoding and
//!   `verify_ballots` in chunks of 128 on every core) — what the batch costs;
//! * `floor_decompress_and_msm`: the bare cost of the batch path's own curve work on the same
//!   ballots: decompressing every point once (ristretto255, the signatures' `R` and the
//!   credentials) and the multiscalar multiplications of the same sizes and scalar widths, chunk
//!   by chunk on every core. `batch_path ÷ floor` is the batch path's overhead (target ≤ 1.3).
//!
//! After them, `batch_path ÷ floor` again from 11 interleaved pairs ([`interleaved_ratio`]),
//! which the drift of a shared machine's speed between the two benches does not enter.
//!
//! The record is written once with a fixed seed into `target/piaojue-bench/` (or
//! `$CARGO_TARGET_DIR/piaojue-bench/`) and reused. Throughput is in ballots per second.
//! `cargo bench --bench verify`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, RISTRETTO_BASEPOINT_POINT};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use piaojue::board_record::{self, BoardRecordSpec};
use piaojue_crypto::ballot::{Ballot, ElectionContext, verify_ballots};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::stream::verify_board_folder;
use piaojue_verifier::verify::BATCH_SIZE;
use piaojue_verifier::{NoProgress, record_io};
use rand::RngExt;
use rayon::prelude::*;

const BALLOTS: usize = 10_000;

fn bench_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("piaojue-bench")
}

/// The benchmark's record in board form: from the cache if it verifies, else written now.
fn record_dir() -> PathBuf {
    let dir = bench_dir().join(format!("board-{BALLOTS}-up-to-10-of-13-v2"));
    if let Ok(r) = verify_board_folder(&dir, &NoProgress)
        && r.passed()
    {
        return dir;
    }
    eprintln!("writing {BALLOTS} ballots into {} …", dir.display());
    let started = Instant::now();
    let spec = BoardRecordSpec {
        manifest: samples::up_to_k_of_n("bench-verify", 13, 10, TellerParams { n: 5, t: 3 }),
        ballots: BALLOTS,
        ballots_per_head: 64,
        decrypting_tellers: vec![1, 2, 3],
        seed: [7; 32],
    };
    let w = board_record::write(&spec, &dir, &|_| {}).expect("the record is written");
    eprintln!(
        "written in {:.1?}: {} entries, {} bytes ({} bytes per ballot entry)",
        started.elapsed(),
        w.entries,
        w.log_bytes,
        w.ballot_bytes / BALLOTS as u64
    );
    dir
}

/// The record's cast ballots as their JSON text (the `data` of their entries).
fn ballot_texts(record: &ElectionRecord) -> Vec<String> {
    record
        .ballots
        .iter()
        .map(|b| serde_json::to_string(b).expect("serializes"))
        .collect()
}

/// The curve work of one chunk of ballots, as bytes: every ristretto255 encoding with the width
/// of the coefficient it gets in the batch (commitments: a 128-bit weight; ciphertexts and the
/// key: full scalars), and every signature's `R` with its key (the credential, which the batch
/// path decompresses too, when it decodes the ballot).
struct Floor {
    narrow: Vec<[u8; 32]>,
    wide: Vec<[u8; 32]>,
    signatures: Vec<([u8; 32], [u8; 32])>,
}

fn floor_of(ballots: &[Ballot]) -> Floor {
    let mut f = Floor {
        narrow: Vec::new(),
        wide: Vec::new(),
        signatures: Vec::new(),
    };
    for b in ballots {
        for c in &b.contests {
            for s in &c.selections {
                f.wide.push(*s.ciphertext.a.as_bytes());
                f.wide.push(*s.ciphertext.b.as_bytes());
                for [a, bb] in &s.proof.commitments {
                    f.narrow.push(*a.as_bytes());
                    f.narrow.push(*bb.as_bytes());
                }
            }
            for [a, bb] in &c.proof.commitments {
                f.narrow.push(*a.as_bytes());
                f.narrow.push(*bb.as_bytes());
            }
        }
        let r: [u8; 32] = b.signature.0[..32].try_into().expect("32 bytes");
        f.signatures.push((r, *b.credential.as_bytes()));
    }
    f
}

fn narrow_scalar(rng: &mut impl rand::Rng) -> Scalar {
    let mut w = [0u8; 32];
    rng.fill_bytes(&mut w[..16]);
    Scalar::from_bytes_mod_order(w)
}

/// Decompress everything once, then the two multiscalar multiplications.
fn run_floor(f: &Floor, narrow_w: &[Scalar], wide_w: &[Scalar]) -> bool {
    let points: Vec<RistrettoPoint> = f
        .narrow
        .iter()
        .chain(&f.wide)
        .map(|b| CompressedRistretto(*b).decompress().expect("a point"))
        .collect();
    let scalars = std::iter::once(Scalar::ONE)
        .chain(narrow_w[..f.narrow.len()].iter().copied())
        .chain(wide_w[..f.wide.len()].iter().copied());
    let r = RistrettoPoint::vartime_multiscalar_mul(
        scalars,
        std::iter::once(RISTRETTO_BASEPOINT_POINT).chain(points),
    );
    let decompress = |b: &[u8; 32]| CompressedEdwardsY(*b).decompress().expect("a point");
    let rs: Vec<EdwardsPoint> = f.signatures.iter().map(|(r, _)| decompress(r)).collect();
    let keys: Vec<EdwardsPoint> = f.signatures.iter().map(|(_, a)| decompress(a)).collect();
    let n = f.signatures.len();
    let e = EdwardsPoint::vartime_multiscalar_mul(
        std::iter::once(Scalar::ONE)
            .chain(narrow_w[..n].iter().copied())
            .chain(wide_w[..n].iter().copied()),
        std::iter::once(ED25519_BASEPOINT_POINT)
            .chain(rs)
            .chain(keys),
    );
    r != RistrettoPoint::default() || e != EdwardsPoint::default()
}

/// What the batch path and the floor work on: the record's ballots as JSON text, and their
/// curve work in chunks with the weights it gets.
struct Inputs {
    record: ElectionRecord,
    ctx: ElectionContext,
    texts: Vec<String>,
    floors: Vec<Floor>,
    narrow_w: Vec<Scalar>,
    wide_w: Vec<Scalar>,
}

impl Inputs {
    fn load() -> (PathBuf, Self) {
        let dir = record_dir();
        let record = record_io::read_record(&dir).expect("the record reads");
        let ctx = record.election.context().expect("a context");
        let texts = ballot_texts(&record);
        let floors: Vec<Floor> = record.ballots.chunks(BATCH_SIZE).map(floor_of).collect();
        let mut rng = rand::rng();
        let most = floors
            .iter()
            .map(|f| f.narrow.len().max(f.wide.len()))
            .max()
            .unwrap_or(0);
        let narrow_w: Vec<Scalar> = (0..most).map(|_| narrow_scalar(&mut rng)).collect();
        let wide_w: Vec<Scalar> = (0..most)
            .map(|_| rng.random::<[u8; 32]>())
            .map(Scalar::from_bytes_mod_order)
            .collect();
        let inputs = Inputs {
            record,
            ctx,
            texts,
            floors,
            narrow_w,
            wide_w,
        };
        (dir, inputs)
    }

    /// The batch path: each chunk's ballots decoded from their text, then verified together,
    /// chunks on every core.
    fn batch_path(&self) {
        let rejected: usize = self
            .texts
            .par_chunks(BATCH_SIZE)
            .map(|part| {
                let ballots: Vec<Ballot> = part
                    .iter()
                    .map(|t| piaojue_crypto::json::from_str(t).expect("a ballot"))
                    .collect();
                verify_ballots(&self.ctx, &self.record.election.credentials, ballots)
                    .rejected
                    .len()
            })
            .sum();
        assert_eq!(rejected, 0);
    }

    /// The floor: the same chunks' decompressions and MSMs alone.
    fn floor(&self) {
        let ok = self
            .floors
            .par_iter()
            .filter(|f| run_floor(f, &self.narrow_w, &self.wide_w))
            .count();
        assert_eq!(ok, self.floors.len());
    }
}

/// The record's folder and the inputs, loaded once for the criterion benches and the
/// interleaved ratio (loading checks the cached record end to end first).
static INPUTS: std::sync::LazyLock<(PathBuf, Inputs)> = std::sync::LazyLock::new(Inputs::load);

fn benches(c: &mut Criterion) {
    let (dir, inputs) = &*INPUTS;

    let mut g = c.benchmark_group("verify");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(BALLOTS as u64));
    g.bench_function("board_record_end_to_end_10000_up_to_10_of_13", |b| {
        b.iter(|| {
            let report = verify_board_folder(dir, &NoProgress).expect("reads");
            assert!(report.passed());
        })
    });
    g.bench_function("batch_path_10000", |b| b.iter(|| inputs.batch_path()));
    g.bench_function("floor_decompress_and_msm_10000", |b| {
        b.iter(|| inputs.floor())
    });
    g.finish();
}

/// `batch_path ÷ floor` from interleaved pairs: criterion runs the two benches one after the
/// other, and on a shared VM the machine's speed drifts between them (by up to 15 % between
/// runs here); a pair run back to back sees the same machine. Median of 11 pairs' ratios.
/// Runs with `cargo bench --bench verify -- ratio`, or with no filter at all.
fn interleaved_ratio() {
    let (_, inputs) = &*INPUTS;
    let mut ratios = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        inputs.batch_path();
        let batch = t.elapsed();
        let t = Instant::now();
        inputs.floor();
        let floor = t.elapsed();
        ratios.push((batch.as_secs_f64() / floor.as_secs_f64(), batch, floor));
    }
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (lo, (mid, batch, floor), hi) = (ratios[0].0, ratios[5], ratios[10].0);
    println!(
        "verify/interleaved batch_path ÷ floor, 11 pairs: median {mid:.3} \
         (its pair: batch path {batch:.3?}, floor {floor:.3?}); range {lo:.3}–{hi:.3}"
    );
}

criterion_group!(verify, benches);

fn main() {
    verify();
    Criterion::default().configure_from_args().final_summary();
    // The filter, if any: the first argument that is not an option (cargo passes `--bench`).
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if filter.as_deref().is_none_or(|f| f == "ratio") {
        interleaved_ratio();
    }
}
