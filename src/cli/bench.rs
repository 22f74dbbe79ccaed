//! `piaojue bench cast`: a load generator that drives a real ballot server over loopback.
//!
//! It sets up its own "up to 10 of 13" election (5 tellers, any 3 decrypt) with the staff
//! token: the tellers are played in this process (the in-memory key ceremony of
//! [`crate::simulate::key_ceremony`], whose messages are posted round by round and checked by
//! the server), `N` credentials are registered and voting opens. All `N` ballots are built in
//! parallel (rayon) and serialised **before** the timed phase; then `C` client threads, each
//! with its own keep-alive connection, cast them (round-robin over the given servers). A ballot
//! counts only when the server answered 201 with a receipt; every receipt is checked (board
//! signature, tracking code) after the timed phase, and the board must then hold exactly the
//! ballots acknowledged. With `--tally` the election is then closed, the tellers post 3 of 5
//! decryption shares and the result is awaited, timed end to end.
//!
//! Only loopback servers are accepted: this is a benchmark, not a load test of someone else's
//! machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use chacha20::ChaCha20Rng;
use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::board::{Receipt, SignedTreeHead};
use piaojue_crypto::credential::Credential;
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use piaojue_crypto::tally::EncryptedTally;
use rand::SeedableRng;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::admin::{DEFAULT_TOKEN_FILE, TOKEN_VAR};
use super::client::{Client, election_context, post_attendance};

/// Options of `piaojue bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// What to measure.
    #[command(subcommand)]
    pub action: BenchAction,
}

/// Benchmarks.
#[derive(clap::Subcommand, Debug)]
pub enum BenchAction {
    /// Casts N pre-built ballots with C concurrent clients against a server on this machine
    /// and reports ballots/s, latency percentiles and errors.
    Cast(CastArgs),
    /// Writes a synthetic election's record in board form (`spec/record.md` §8.4) of any size
    /// into a folder, for `piaojue verify FOLDER` (e.g. a city-wide consultation of a million
    /// ballots, verified as a stream in bounded memory).
    Record(RecordArgs),
}

/// The ballot forms `piaojue bench record` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum RecordForm {
    /// "Up to 10 of 13" (13 options, at most 10 chosen): a county's selection vote.
    UpToTenOfThirteen,
    /// Yes / no / abstain on one proposal: a consultation.
    YesNoAbstain,
}

/// Options of `piaojue bench record`.
#[derive(clap::Args, Debug)]
pub struct RecordArgs {
    /// The folder to write (`board.json`, `board.jsonl`, `tree_heads.jsonl`).
    #[arg(long)]
    pub out: PathBuf,
    /// Ballots (one deputy each; every deputy casts).
    #[arg(long, default_value_t = 10_000)]
    pub ballots: usize,
    /// The ballot form.
    #[arg(long, value_enum, default_value_t = RecordForm::UpToTenOfThirteen)]
    pub form: RecordForm,
    /// A signed tree head after every this many ballots.
    #[arg(long, default_value_t = 64)]
    pub ballots_per_head: usize,
    /// The seed of every random choice (a number).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Options of `piaojue bench cast`.
#[derive(clap::Args, Debug)]
pub struct CastArgs {
    /// The server(s) on this machine (127.0.0.1, ::1 or localhost); several (comma-separated
    /// or repeated) are used round-robin, e.g. two processes on one PostgreSQL database.
    #[arg(long, num_args = 1.., value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    pub url: Vec<String>,
    /// File with the staff token [default: the variable PIAOJUE_STAFF_TOKEN, else
    /// piaojue-data/staff-token].
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Ballots to cast (one credential each).
    #[arg(long, default_value_t = 1000)]
    pub ballots: usize,
    /// Concurrent clients (deputies), each with its own keep-alive connection.
    #[arg(long, default_value_t = 250)]
    pub concurrency: usize,
    /// Stop sending new ballots after this many seconds of the timed phase.
    #[arg(long, default_value_t = 300)]
    pub max_seconds: u64,
    /// Then close, post 3 of 5 decryption shares and wait for the result, timed.
    #[arg(long)]
    pub tally: bool,
    /// Write the election record (after the tally, if any) to this file.
    #[arg(long)]
    pub record_out: Option<PathBuf>,
    /// The election id [default: bench-<time>-<random>].
    #[arg(long)]
    pub election: Option<String>,
    /// Cast this many of the N ballots one by one before the timed phase (they warm the
    /// server's per-election caches; they are on the board but not in the figures).
    #[arg(long, default_value_t = 0)]
    pub warm_up: usize,
    /// An open loop at this many ballots per second: ballot k is due at k ÷ RATE seconds
    /// after the start, whatever the answers so far, and its latency is counted from when it
    /// was due (so time spent waiting for a free client counts too). Without it, a closed
    /// loop: each client sends its next ballot as soon as it has an answer.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs a benchmark.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.action {
        BenchAction::Cast(a) => {
            let report = cast(&a)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
            ensure!(
                report["ok"] == true,
                "the run had errors or the board does not hold the ballots acknowledged"
            );
            Ok(())
        }
        BenchAction::Record(a) => record(&a),
    }
}

/// `piaojue bench record`: writes the record with a progress bar and says what it wrote.
fn record(a: &RecordArgs) -> anyhow::Result<()> {
    ensure!(a.ballots > 0, "--ballots must be at least 1");
    ensure!(
        !a.out.join("board.jsonl").exists(),
        "{} already holds a log; choose an empty folder",
        a.out.display()
    );
    let tellers = TellerParams { n: 5, t: 3 };
    let id = format!("bench-record-{}", a.ballots);
    let manifest = match a.form {
        RecordForm::UpToTenOfThirteen => samples::up_to_k_of_n(&id, 13, 10, tellers),
        RecordForm::YesNoAbstain => samples::yes_no_abstain(&id, 1, 1, tellers),
    };
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&a.seed.to_be_bytes());
    let spec = crate::board_record::BoardRecordSpec {
        manifest,
        ballots: a.ballots,
        ballots_per_head: a.ballots_per_head,
        decrypting_tellers: vec![1, 2, 3],
        seed,
    };
    let bar = indicatif::ProgressBar::new(a.ballots as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} ballots ({per_sec}, {eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let written = crate::board_record::write(&spec, &a.out, &|n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    println!(
        "{}: {} ballots, {} entries, {} bytes of log ({} bytes per ballot entry), written in {:.1?}",
        a.out.display(),
        a.ballots,
        written.entries,
        written.log_bytes,
        written.ballot_bytes / a.ballots as u64,
        started.elapsed()
    );
    println!("verify it with: piaojue verify {}", a.out.display());
    Ok(())
}

/// The staff token, found as `piaojue admin` finds it: the file, else the variable, else the
/// default file.
fn token(file: Option<&Path>) -> anyhow::Result<String> {
    let from_env = std::env::var(TOKEN_VAR)
        .ok()
        .filter(|t| !t.trim().is_empty());
    let path = match (file, from_env) {
        (None, Some(t)) => return Ok(t),
        (Some(p), _) => p,
        (None, None) => Path::new(DEFAULT_TOKEN_FILE),
    };
    std::fs::read_to_string(path)
        .with_context(|| format!("reading the staff token {}", path.display()))
}

/// Messages as JSON values.
fn values<T: serde::Serialize>(messages: &[T]) -> serde_json::Result<Vec<Value>> {
    messages.iter().map(serde_json::to_value).collect()
}

/// Refuses anything but a loopback `http://` server.
fn check_loopback(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: only http:// loopback servers"))?;
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        rest.split([':', '/']).next().unwrap_or("")
    };
    ensure!(
        host == "127.0.0.1" || host == "::1" || host == "localhost",
        "{url}: the load generator only drives a server on this machine (127.0.0.1)"
    );
    Ok(url.to_string())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `p`-quantile (nearest rank) of sorted durations, in ms.
fn quantile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    ms(sorted[rank - 1])
}

/// What one request came to.
struct Outcome {
    index: usize,
    /// The client's first request (it opened the connection).
    first: bool,
    latency: Duration,
    /// When the answer came, from the start of the timed phase.
    done: Duration,
    /// The HTTP status, or `None` for a transport error.
    status: Option<u16>,
    /// The answer's body.
    body: Vec<u8>,
    /// The transport error, if any.
    error: Option<String>,
}

/// What the timed phase sends, and how.
struct TimedPhase {
    /// The servers, used round-robin by ballot number: each one's `host:port` and the path
    /// its ballots are posted to.
    servers: Vec<(String, String)>,
    /// The ballots' bodies, by number.
    bodies: Arc<Vec<bytes::Bytes>>,
    /// The first ballot of the phase (those before it were the warm-up).
    from: usize,
    /// Concurrent clients, each with its own keep-alive connection.
    clients: usize,
    /// The open loop's rate, if any.
    rate: Option<f64>,
    /// No ballot is sent after this long, and no answer is awaited longer than this and 30 s.
    limit: Duration,
}

/// Casts the ballots `from..` with `clients` concurrent clients and answers one outcome per
/// ballot sent. The clients are tasks on one thread, each with its own HTTP/1.1 connection
/// (hyper), so that the load generator takes as little as it can of the CPU it shares with the
/// server it measures.
fn timed_phase(p: TimedPhase) -> anyhow::Result<Vec<Outcome>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let p = Arc::new(p);
        let next = Arc::new(AtomicUsize::new(p.from));
        let started = tokio::time::Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..p.clients {
            let (p, next) = (p.clone(), next.clone());
            tasks.spawn(async move { client(&p, &next, started).await });
        }
        let mut outcomes = Vec::with_capacity(p.bodies.len());
        while let Some(r) = tasks.join_next().await {
            outcomes.extend(r?);
        }
        Ok(outcomes)
    })
}

/// One client: takes the next ballot, waits until it is due (open loop), posts it on its
/// connection (opened on first use, and again after an error) and records the answer.
async fn client(p: &TimedPhase, next: &AtomicUsize, started: tokio::time::Instant) -> Vec<Outcome> {
    use http_body_util::{BodyExt, Full};
    let n = p.bodies.len();
    let deadline = started + p.limit;
    let mut conns: Vec<Option<hyper::client::conn::http1::SendRequest<Full<bytes::Bytes>>>> =
        (0..p.servers.len()).map(|_| None).collect();
    let mut mine = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n || tokio::time::Instant::now() >= deadline {
            break;
        }
        let t = match p.rate {
            Some(rate) => {
                let due = started + Duration::from_secs_f64((i - p.from) as f64 / rate);
                tokio::time::sleep_until(due).await;
                due
            }
            None => tokio::time::Instant::now(),
        };
        let server = i % p.servers.len();
        let (authority, path) = &p.servers[server];
        let first = mine.is_empty();
        let answer = async {
            if conns[server].as_ref().is_none_or(|c| c.is_closed()) {
                let stream = tokio::net::TcpStream::connect(authority.as_str()).await?;
                stream.set_nodelay(true)?;
                let (send, conn) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await?;
                tokio::spawn(conn);
                conns[server] = Some(send);
            }
            let send = conns[server].as_mut().expect("connected");
            send.ready().await?;
            let req = hyper::Request::post(path)
                .header(hyper::header::HOST, authority.as_str())
                .header(hyper::header::CONTENT_TYPE, "application/json")
                .body(Full::new(p.bodies[i].clone()))?;
            let resp = send.send_request(req).await?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await?.to_bytes().to_vec();
            anyhow::Ok((status, body))
        };
        let answer = match tokio::time::timeout(p.limit + Duration::from_secs(30), answer).await {
            Ok(answer) => answer,
            Err(_) => Err(anyhow::anyhow!(
                "no answer within {:?}",
                p.limit + Duration::from_secs(30)
            )),
        };
        let latency = t.elapsed();
        let done = started.elapsed();
        let (status, body, error) = match answer {
            Ok((status, body)) => (Some(status), body, None),
            Err(err) => {
                conns[server] = None;
                (None, Vec::new(), Some(format!("{err:#}")))
            }
        };
        // The answer is kept as it came; receipts are parsed and checked after the timed
        // phase, so that the clients' own work stays out of the figures.
        mine.push(Outcome {
            index: i,
            first,
            latency,
            done,
            status,
            body,
            error,
        });
    }
    mine
}

/// The whole run; answers the report.
fn cast(a: &CastArgs) -> anyhow::Result<Value> {
    ensure!(a.ballots > 0, "--ballots must be at least 1");
    ensure!(a.concurrency > 0, "--concurrency must be at least 1");
    ensure!(
        a.rate.is_none_or(|r| r > 0.0 && r.is_finite()),
        "--rate must be a positive number of ballots per second"
    );
    let urls: Vec<String> = a
        .url
        .iter()
        .map(|u| check_loopback(u))
        .collect::<anyhow::Result<_>>()?;
    let staff = Client::new(&urls[0], Some(token(a.token_file.as_deref())?));
    let n = a.ballots;
    let id = a.election.clone().unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        format!("bench-{secs}-{:08x}", rand::random::<u32>())
    });
    let e = |rest: &str| format!("/api/elections/{id}{rest}");

    // Set-up: election, tellers and their ceremony, credentials, open.
    let started = Instant::now();
    let mut manifest = samples::up_to_k_of_n(&id, 13, 10, TellerParams { n: 5, t: 3 });
    manifest.deputies = u32::try_from(n)?;
    staff.post::<_, Value>("/api/elections", &super::client::manifest_draft(&manifest))?;
    let status: Value = staff.get(&e(""))?;
    let manifest: piaojue_crypto::manifest::Manifest =
        piaojue_crypto::json::from_value(status["manifest"].clone())?;
    let mut rng = ChaCha20Rng::from_seed(rand::random());
    let (transcript, _output, signing, teller_keys) =
        crate::simulate::key_ceremony(&manifest, &mut rng)?;
    let keys: Vec<_> = signing
        .iter()
        .map(|k| k.verifying_key().to_bytes())
        .collect();
    let keys: Vec<Bytes<32>> = keys.into_iter().map(Bytes).collect();
    staff.post::<_, Value>(&e("/tellers"), &json!({ "signing_keys": keys }))?;
    let rounds = [
        ("announcement", values(&transcript.announcements)?),
        ("commitment", values(&transcript.commitments)?),
        ("reveal", values(&transcript.reveals)?),
        ("share_check", values(&transcript.checks)?),
    ];
    for (round, messages) in rounds {
        for m in messages {
            staff
                .post::<_, Value>(&e("/ceremony"), &json!({ "round": round, "message": m }))
                .with_context(|| format!("posting a {round} of the key ceremony"))?;
        }
    }
    let status: Value = staff.get(&e(""))?;
    ensure!(
        status["state"] == "registration",
        "the key ceremony did not end in registration: state {}",
        status["state"]
    );
    let credentials: Vec<Credential> = (0..n)
        .into_par_iter()
        .map(|_| Credential::generate(&mut rand::rng()))
        .collect();
    for chunk in credentials.chunks(1000) {
        let keys: Vec<_> = chunk.iter().map(Credential::public).collect();
        staff.post::<_, Value>(&e("/credentials"), &json!({ "keys": keys }))?;
    }
    // Teller 1, the chief scrutineer: every deputy signed in.
    post_attendance(&staff, &id, 1, &signing[0], u32::try_from(n)?)?;
    staff.post_empty::<Value>(&e("/open"))?;
    let ctx = election_context(&staff, &id)?;
    let setup = started.elapsed();

    // Ballots, built and serialised before the timed phase.
    let started = Instant::now();
    let built: Vec<(bytes::Bytes, Digest32, Duration)> = credentials
        .par_iter()
        .map(|c| {
            let t = Instant::now();
            let mut rng = rand::rng();
            let sel = crate::simulate::random_selection(&ctx.manifest, &mut rng);
            let (ballot, _secrets) = Ballot::build(&ctx, c, &sel, &mut rng)?;
            let took = t.elapsed();
            Ok((
                bytes::Bytes::from(serde_json::to_vec(&ballot)?),
                ballot.tracking_code(),
                took,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let build_wall = started.elapsed();
    let build_each: Duration = built.iter().map(|b| b.2).sum();
    let bytes: usize = built.iter().map(|b| b.0.len()).sum();

    // The timed phase.
    ensure!(a.warm_up < n, "--warm-up must be less than --ballots");
    let warm = Instant::now();
    for (i, (body, _, _)) in built.iter().enumerate().take(a.warm_up) {
        let url = format!("{}/api/elections/{id}/ballots", urls[i % urls.len()]);
        let r = ureq::post(&url)
            .content_type("application/json")
            .send(&body[..])
            .with_context(|| format!("warm-up ballot {i}"))?;
        ensure!(
            r.status().as_u16() == 201,
            "warm-up ballot {i}: {}",
            r.status()
        );
    }
    let warm = warm.elapsed();
    let limit = Duration::from_secs(a.max_seconds);
    let clients = a.concurrency.min(n - a.warm_up);
    let bodies: Arc<Vec<bytes::Bytes>> = Arc::new(built.iter().map(|b| b.0.clone()).collect());
    // `host:port` and path of each server (a URL may carry a path prefix).
    let servers = urls
        .iter()
        .map(|u| {
            let rest = u.strip_prefix("http://").unwrap_or(u);
            let (authority, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            (
                authority.to_string(),
                format!("{prefix}/api/elections/{id}/ballots"),
            )
        })
        .collect();
    let started = Instant::now();
    let outcomes = timed_phase(TimedPhase {
        servers,
        bodies,
        from: a.warm_up,
        clients,
        rate: a.rate,
        limit,
    })?;
    let elapsed = started.elapsed();

    // Receipts, errors, latencies.
    let board_key: Value = staff.get("/api/board-key")?;
    let board_key = piaojue_crypto::json::from_value(board_key["board_key"].clone())?;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut samples_of_errors: BTreeMap<String, String> = BTreeMap::new();
    let mut durable = 0usize;
    let mut ok_latency = Vec::new();
    let mut all_latency = Vec::new();
    let mut first_latency = Vec::new();
    let mut later_latency = Vec::new();
    let mut completions = Vec::new();
    for o in &outcomes {
        all_latency.push(o.latency);
        if o.first {
            first_latency.push(o.latency);
        }
        let receipt = match o.status {
            Some(201) => piaojue_crypto::json::from_slice::<Receipt>(&o.body).ok(),
            _ => None,
        };
        let good = match &receipt {
            Some(r) => r.verify(&board_key).is_ok() && r.tracking_code == built[o.index].1,
            None => false,
        };
        if good {
            durable += 1;
            ok_latency.push(o.latency);
            completions.push(o.done);
            if !o.first {
                later_latency.push(o.latency);
            }
        } else {
            let key = match (o.status, &receipt) {
                (Some(201), Some(_)) => "201 with a bad receipt".to_string(),
                (Some(201), None) => "201 without a receipt".to_string(),
                (Some(s), _) => s.to_string(),
                (None, _) => "transport".to_string(),
            };
            *errors.entry(key.clone()).or_default() += 1;
            samples_of_errors.entry(key).or_insert_with(|| {
                o.error
                    .clone()
                    .unwrap_or_else(|| String::from_utf8_lossy(&o.body).chars().take(200).collect())
            });
        }
    }
    ok_latency.sort_unstable();
    all_latency.sort_unstable();
    first_latency.sort_unstable();
    later_latency.sort_unstable();
    completions.sort_unstable();
    // The rate between the 10th and the 90th percentile of the answers (no ramp-up, no tail).
    let middle_rate = if completions.len() >= 10 {
        let (lo, hi) = (completions.len() / 10, completions.len() * 9 / 10);
        let span = completions[hi - 1]
            .saturating_sub(completions[lo])
            .as_secs_f64();
        if span > 0.0 {
            (hi - 1 - lo) as f64 / span
        } else {
            0.0
        }
    } else {
        0.0
    };
    let status: Value = staff.get(&e(""))?;
    let on_board = status["ballots"].as_u64().unwrap_or(u64::MAX);
    let sent = outcomes.len();

    // Close, decryption by tellers 1–3, result.
    let tally = if a.tally {
        Some(tally(&staff, &id, &teller_keys, &signing)?)
    } else {
        None
    };
    if let Some(p) = &a.record_out {
        let record: Value = staff.get(&e("/record"))?;
        std::fs::write(p, serde_json::to_vec(&record)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }

    let ok =
        durable + a.warm_up == n && errors.is_empty() && on_board == (durable + a.warm_up) as u64;
    Ok(json!({
        "ok": ok,
        "election": id,
        "servers": urls,
        "ballots": n,
        "concurrency": clients,
        "offered_rate": a.rate,
        "loop": if a.rate.is_some() { "open" } else { "closed" },
        "setup_s": setup.as_secs_f64(),
        "build": {
            "wall_s": build_wall.as_secs_f64(),
            "threads": rayon::current_num_threads(),
            "per_ballot_ms": ms(build_each) / n as f64,
            "bytes_per_ballot": bytes as f64 / n as f64,
        },
        "cast": {
            "sent": sent,
            "durable": durable,
            "elapsed_s": elapsed.as_secs_f64(),
            "ballots_per_s": durable as f64 / elapsed.as_secs_f64(),
            "ballots_per_s_middle_80pct": middle_rate,
            "warm_up": { "ballots": a.warm_up, "s": warm.as_secs_f64() },
            "stopped_by_time": sent + a.warm_up < n,
            "latency_ms": {
                "p50": quantile(&ok_latency, 0.50),
                "p90": quantile(&ok_latency, 0.90),
                "p99": quantile(&ok_latency, 0.99),
                "max": ok_latency.last().map(|d| ms(*d)).unwrap_or(0.0),
                "min": ok_latency.first().map(|d| ms(*d)).unwrap_or(0.0),
                "mean": if ok_latency.is_empty() { 0.0 } else {
                    ms(ok_latency.iter().sum::<Duration>()) / ok_latency.len() as f64
                },
            },
            "latency_first_request_ms": { "count": first_latency.len(),
                "p50": quantile(&first_latency, 0.50),
                "max": first_latency.last().map(|d| ms(*d)).unwrap_or(0.0) },
            "latency_later_requests_ms": { "count": later_latency.len(),
                "p50": quantile(&later_latency, 0.50),
                "p90": quantile(&later_latency, 0.90),
                "p99": quantile(&later_latency, 0.99),
                "max": later_latency.last().map(|d| ms(*d)).unwrap_or(0.0) },
            "latency_all_ms": { "p99": quantile(&all_latency, 0.99),
                "max": all_latency.last().map(|d| ms(*d)).unwrap_or(0.0) },
            "errors": errors,
            "error_samples": samples_of_errors,
        },
        "board_ballots": on_board,
        "tally": tally,
    }))
}

/// Close, the encrypted tally, 3 of 5 decryption shares and the result, timed.
fn tally(
    staff: &Client,
    id: &str,
    keys: &[piaojue_crypto::dkg::TellerKey],
    signing: &[ed25519_dalek::SigningKey],
) -> anyhow::Result<Value> {
    let e = |rest: &str| format!("/api/elections/{id}{rest}");
    let started = Instant::now();
    staff.post_empty::<Value>(&e("/close"))?;
    let closed = started.elapsed();
    let tally: EncryptedTally = staff.get(&e("/tally"))?;
    let status: Value = staff.get(&e(""))?;
    let fingerprint: Digest32 = piaojue_crypto::json::from_value(status["fingerprint"].clone())?;
    let fetched = started.elapsed();
    let head: SignedTreeHead = staff.get(&e("/board/head"))?;
    let head = BoardHeadRef {
        size: head.head.size,
        root: head.head.root,
    };
    let flat = tally.flatten();
    // Tellers 1, 2, 3 each compute their share on their own machine: in parallel here.
    let shares: Vec<DecryptionShare> = (0..3)
        .into_par_iter()
        .map(|j| {
            DecryptionShare::compute(
                fingerprint.0,
                &signing[j],
                &keys[j],
                head,
                &flat,
                &mut rand::rng(),
            )
        })
        .collect();
    let computed = started.elapsed();
    for s in &shares {
        staff.post::<_, Value>(&e("/decryption-shares"), s)?;
    }
    let status: Value = staff.get(&e(""))?;
    let total = started.elapsed();
    ensure!(
        status["state"] == "tallied",
        "after 3 shares the election is {} (not tallied)",
        status["state"]
    );
    Ok(json!({
        "total_ms": ms(total),
        "close_and_tally_ms": ms(closed),
        "fetch_tally_ms": ms(fetched - closed),
        "shares_compute_ms": ms(computed - fetched),
        "shares_post_and_result_ms": ms(total - computed),
        "counted": status["ballots"],
    }))
}

fn print_report(r: &Value) {
    let c = &r["cast"];
    let l = &c["latency_ms"];
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!(
        "election {} on {} server(s); {} ballots, {} clients, {}",
        r["election"].as_str().unwrap_or(""),
        r["servers"].as_array().map(Vec::len).unwrap_or(0),
        r["ballots"],
        r["concurrency"],
        match r["offered_rate"].as_f64() {
            Some(rate) => format!("open loop at {rate} ballots/s"),
            None => "closed loop".into(),
        }
    );
    println!(
        "set-up {:.2} s; built {} ballots in {:.2} s on {} threads ({:.2} ms each on one thread; {:.0} bytes each)",
        f(&r["setup_s"]),
        r["ballots"],
        f(&r["build"]["wall_s"]),
        r["build"]["threads"],
        f(&r["build"]["per_ballot_ms"]),
        f(&r["build"]["bytes_per_ballot"])
    );
    if c["warm_up"]["ballots"].as_u64().unwrap_or(0) > 0 {
        println!(
            "warm-up: {} ballots cast one by one in {:.2} s (not in the figures below)",
            c["warm_up"]["ballots"],
            f(&c["warm_up"]["s"])
        );
    }
    println!(
        "cast: {} durable of {} sent in {:.3} s = {:.1} ballots/s{}",
        c["durable"],
        c["sent"],
        f(&c["elapsed_s"]),
        f(&c["ballots_per_s"]),
        if c["stopped_by_time"] == true {
            " (stopped by --max-seconds)"
        } else {
            ""
        }
    );
    println!(
        "latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}  (min {:.1}, mean {:.1})",
        f(&l["p50"]),
        f(&l["p90"]),
        f(&l["p99"]),
        f(&l["max"]),
        f(&l["min"]),
        f(&l["mean"])
    );
    let fr = &c["latency_first_request_ms"];
    println!(
        "each client's first request (connection set-up included; {} of them): p50 {:.1} ms, max {:.1} ms",
        fr["count"],
        f(&fr["p50"]),
        f(&fr["max"])
    );
    let lr = &c["latency_later_requests_ms"];
    println!(
        "later requests (kept-alive connections; {}): p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1} ms; rate between the 10th and 90th percentile of answers: {:.1} ballots/s",
        lr["count"],
        f(&lr["p50"]),
        f(&lr["p90"]),
        f(&lr["p99"]),
        f(&lr["max"]),
        f(&c["ballots_per_s_middle_80pct"])
    );
    match c["errors"].as_object() {
        Some(m) if !m.is_empty() => {
            for (k, v) in m {
                println!(
                    "errors {k}: {v} (e.g. {})",
                    c["error_samples"][k].as_str().unwrap_or("")
                );
            }
        }
        _ => println!("errors: none"),
    }
    println!("board: {} ballots", r["board_ballots"]);
    if let Some(t) = r["tally"].as_object() {
        println!(
            "tally: {:.1} ms end to end (close + encrypted tally {:.1}, fetch {:.1}, 3 shares computed {:.1}, posted + result {:.1}); {} counted",
            f(&t["total_ms"]),
            f(&t["close_and_tally_ms"]),
            f(&t["fetch_tally_ms"]),
            f(&t["shares_compute_ms"]),
            f(&t["shares_post_and_result_ms"]),
            t["counted"]
        );
    }
    println!(
        "{}",
        if r["ok"] == true {
            "ok"
        } else {
            "NOT ok: errors, or the board does not hold exactly the ballots acknowledged"
        }
    );
}
