//! Criterion benchmark of the verifier (issue 4): verify a record of 10,000 ballots of "up to
//! 10 of 13" (5 tellers, threshold 3), and read it from its single-file form. Throughput is in
//! ballots per second.
//!
//! The record is generated once with a fixed seed (about a minute) and kept in
//! `target/piaojue-bench/` (or `$CARGO_TARGET_DIR/piaojue-bench/`); a stale or unreadable copy
//! is made again. `cargo bench --bench verify`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use piaojue::simulate::Simulation;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::{record_io, verify_record};

const BALLOTS: usize = 10_000;

fn record_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target
        .join("piaojue-bench")
        .join(format!("verify-{BALLOTS}-up-to-10-of-13.json"))
}

/// The benchmark's record, from the cache or made now.
fn record() -> (ElectionRecord, PathBuf) {
    let path = record_path();
    if let Ok(r) = record_io::read_record(&path)
        && r.ballots.len() == BALLOTS
        && verify_record(&r).passed()
    {
        return (r, path);
    }
    eprintln!("generating {BALLOTS} ballots into {} …", path.display());
    let started = Instant::now();
    let sim = Simulation {
        manifest: samples::up_to_k_of_n("bench-verify", 13, 10, TellerParams { n: 5, t: 3 }),
        deputies: BALLOTS,
        voters: BALLOTS,
        audited: 0,
        decrypting_tellers: vec![1, 2, 3],
        seed: [7; 32],
    };
    let (r, _) = sim.run().expect("the simulation runs");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    record_io::write_record_file(&path, &r).unwrap();
    eprintln!("generated in {:.1?}", started.elapsed());
    (r, path)
}

fn benches(c: &mut Criterion) {
    let (record, path) = record();
    let mut g = c.benchmark_group("verify");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(60))
        .throughput(Throughput::Elements(BALLOTS as u64));
    g.bench_function("record_10000_ballots_up_to_10_of_13", |b| {
        b.iter(|| {
            let report = verify_record(&record);
            assert!(report.passed());
        })
    });
    g.bench_function("read_single_file_10000_ballots", |b| {
        b.iter(|| record_io::read_record(&path).unwrap())
    });
    g.finish();
}

criterion_group!(verify, benches);
criterion_main!(verify);
