//! Criterion benchmark of one witness (`spec/witness.md`): cosignatures per second, on a real
//! SQLite state file (WAL, `synchronous = FULL`: each cosignature is a committed, synced
//! transaction).
//!
//! * `add_checkpoint_cosign`: [`Witness::add_checkpoint`] called in process, the whole protocol
//!   without HTTP.
//! * `add_checkpoint_http`: the same through the witness's HTTP server (`POST /add-checkpoint`,
//!   `piaojue_witness::http`, on 127.0.0.1, two runtime threads), one client on one keep-alive
//!   connection sending the next request when it has the answer: the HTTP layer's own cost is
//!   the difference.
//!
//! Each iteration submits the next checkpoint of a growing log (size `n` → `n + 1`, with its
//! consistency proof, signed by the board): parsing, the board's signature, the proof, the
//! transaction, the cosignature. The requests are made outside the timing. Throughput is in
//! cosignatures per second. `cargo bench --bench witness`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use piaojue_crypto::board::{BoardKey, WitnessKey, log_origin};
use piaojue_witness::sample::SampleLog;
use piaojue_witness::{Policy, Witness};

const BOARD: &str = "board.example/county";

/// A witness of the board `board` with its state in `state`.
fn open(rt: &tokio::runtime::Runtime, board: &BoardKey, state: &Path) -> Witness {
    let mut policy = Policy::new();
    policy.add_board(BOARD, board.public()).unwrap();
    rt.block_on(Witness::open(
        "witness.example/bench",
        WitnessKey::from_seed(&[0x5b; 32]),
        policy,
        state,
    ))
    .unwrap()
}

/// A log of `election` to submit, and its size so far.
struct Growing {
    log: SampleLog,
    size: u64,
}

impl Growing {
    fn new(election: &str) -> Self {
        let log = SampleLog::new(
            &log_origin(BOARD, election),
            BoardKey::from_seed(&[0x5a; 32]),
        );
        Self { log, size: 0 }
    }

    /// The time `submit` takes over the next `n` requests (each one entry more; made, and the
    /// log grown, before the clock starts).
    fn timed(&mut self, n: u64, mut submit: impl FnMut(&[u8])) -> Duration {
        self.log.grow_to("entry", self.size + n);
        let requests: Vec<String> = (0..n)
            .map(|i| self.log.request(self.size + i, self.size + i + 1))
            .collect();
        self.size += n;
        let start = Instant::now();
        for r in &requests {
            submit(r.as_bytes());
        }
        start.elapsed()
    }
}

fn bench(c: &mut Criterion) {
    // In process: the witness's futures run on the bench's thread.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Served: on two runtime threads, as `piaojue witness serve` runs.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("piaojue-witness-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let board = BoardKey::from_seed(&[0x5a; 32]);

    let mut group = c.benchmark_group("witness");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));

    let witness = open(&rt, &board, &dir.join("state.db"));
    let mut log = Growing::new("bench");
    group.bench_function("add_checkpoint_cosign", |b| {
        b.iter_custom(|iters| {
            log.timed(iters, |request| {
                let reply = rt.block_on(witness.add_checkpoint(request));
                assert_eq!(reply.status, 200, "{}", reply.body);
            })
        })
    });

    let served = Arc::new(open(&server_rt, &board, &dir.join("state-http.db")));
    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/add-checkpoint", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = server_rt.spawn(piaojue_witness::http::serve(listener, served, async {
        let _ = stopped.await;
    }));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut log = Growing::new("bench-http");
    group.bench_function("add_checkpoint_http", |b| {
        b.iter_custom(|iters| {
            log.timed(iters, |request| {
                let mut answer = agent.post(&url).send(request).unwrap();
                let status = answer.status().as_u16();
                let body = answer.body_mut().read_to_string().unwrap();
                assert_eq!(status, 200, "{body}");
            })
        })
    });
    group.finish();
    let _ = stop.send(());
    server_rt.block_on(server).unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
