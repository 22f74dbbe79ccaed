//! Criterion benchmark of one witness (`spec/witness.md`): cosignatures per second of
//! [`Witness::add_checkpoint`], the whole protocol without HTTP, on a real SQLite state file
//! (WAL, `synchronous = FULL`: each cosignature is a committed, synced transaction).
//!
//! Each iteration submits the next checkpoint of a growing log (size `n` → `n + 1`, with its
//! consistency proof, signed by the board): parsing, the board's signature, the proof, the
//! transaction, the cosignature. The requests are made outside the timing. Throughput is in
//! cosignatures per second. `cargo bench --bench witness`.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use piaojue_crypto::board::{BoardKey, WitnessKey, log_origin};
use piaojue_witness::sample::SampleLog;
use piaojue_witness::{Policy, Witness};

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("piaojue-witness-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let board = BoardKey::from_seed(&[0x5a; 32]);
    let mut policy = Policy::new();
    policy
        .add_board("board.example/county", board.public())
        .unwrap();
    let witness = rt
        .block_on(Witness::open(
            "witness.example/bench",
            WitnessKey::from_seed(&[0x5b; 32]),
            policy,
            &dir.join("state.db"),
        ))
        .unwrap();
    let mut log = SampleLog::new(&log_origin("board.example/county", "bench"), board);
    let mut size = 0u64;

    let mut group = c.benchmark_group("witness");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("add_checkpoint_cosign", |b| {
        b.iter_custom(|iters| {
            log.grow_to("entry", size + iters);
            let requests: Vec<String> = (0..iters)
                .map(|i| log.request(size + i, size + i + 1))
                .collect();
            let start = Instant::now();
            for r in &requests {
                let reply = rt.block_on(witness.add_checkpoint(r.as_bytes()));
                assert_eq!(reply.status, 200, "{}", reply.body);
            }
            let elapsed = start.elapsed();
            size += iters;
            elapsed
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
