//! Slow bodies and idle connections do not exhaust the server (issue 19 §2, `spec/api.md`
//! §6.1), on the real `piaojue serve` binary over loopback:
//!
//! * slowloris: a few hundred connections from several addresses announce a 1 MB ballot and
//!   trickle it, over and over, while a voter at another address reads the board and casts a
//!   real ballot, answered within 2 s throughout; the slow ones are cut (408) by the body
//!   timeout or the minimum rate, or refused (429) past their address's requests in progress;
//! * idle connections: closed after the header timeout; past an address's share they are
//!   closed at once; the cap on open connections holds, and the server stays reachable;
//! * the cap on requests in progress per client address.
//!
//! The attackers connect from 127.0.0.2 and up (all of 127.0.0.0/8 is loopback on Linux), the
//! voter from 127.0.0.1; the servers run with `--rate-limit-loopback`, so that the limits per
//! address apply to loopback clients.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::election::{Election, test_rng};
use common::{Client, Server, TestDb};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// What a voter's request may take while the server is attacked.
const ANSWERED_WITHIN: Duration = Duration::from_secs(2);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The attacker's address number `n` (127.0.0.2 for 0).
fn attacker(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + n)
}

async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(to).await
}

/// The status of an HTTP answer, if `bytes` start with one.
fn status_of(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

/// How one slow or idle connection ended.
#[derive(Debug, Clone, Copy)]
struct Ended {
    /// The server's answer, if it answered before it closed.
    status: Option<u16>,
    /// When it closed, from the connection's start; `None`: still open at the end of the wait.
    closed_after: Option<Duration>,
}

/// Announces a `Content-Length: announced` ballot to `path` and sends `chunk` bytes every
/// `every` until the server answers and closes, or `wait` passes.
async fn trickle(
    from: Ipv4Addr,
    to: SocketAddr,
    path: String,
    announced: usize,
    chunk: usize,
    every: Duration,
    wait: Duration,
) -> Ended {
    let start = Instant::now();
    let Ok(stream) = connect_from(from, to).await else {
        return Ended {
            status: None,
            closed_after: Some(start.elapsed()),
        };
    };
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/json\r\n\
         Content-Length: {announced}\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        if write.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let bytes = vec![b' '; chunk];
        loop {
            tokio::time::sleep(every).await;
            if write.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(wait, read.read_to_end(&mut answer)).await;
    writer.abort();
    Ended {
        status: status_of(&answer),
        closed_after: closed.is_ok().then(|| start.elapsed()),
    }
}

/// Opens a connection from `from` that sends nothing, and waits up to `wait` for the server
/// to close it.
async fn idle(from: Ipv4Addr, to: SocketAddr, wait: Duration) -> Ended {
    let start = Instant::now();
    let Ok(mut stream) = connect_from(from, to).await else {
        return Ended {
            status: None,
            closed_after: Some(start.elapsed()),
        };
    };
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    Ended {
        status: status_of(&answer),
        closed_after: closed.is_ok().then(|| start.elapsed()),
    }
}

/// `GET path` from `from`, on a connection of its own: the status and the body.
async fn get_from(from: Ipv4Addr, to: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = connect_from(from, to).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let status = status_of(&answer).expect("an HTTP answer");
    let text = String::from_utf8_lossy(&answer);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// The sockets the process `pid` holds open (Linux).
fn sockets_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|l| l.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// The slowest of a voter's requests, each of which must succeed.
#[derive(Debug, Default)]
struct Voter {
    requests: usize,
    slowest: Duration,
}

impl Voter {
    fn timed(&mut self, what: &str, want: u16, call: impl FnOnce() -> (u16, serde_json::Value)) {
        let start = Instant::now();
        let (status, body) = call();
        let took = start.elapsed();
        assert_eq!(status, want, "{what}: {body}");
        assert!(
            took < ANSWERED_WITHIN,
            "{what} took {took:?} while the server was attacked"
        );
        self.requests += 1;
        self.slowest = self.slowest.max(took);
    }

    /// Reads the board, the election and the board key until `stop`.
    fn read_until(&mut self, c: &Client, e: &Election, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            self.timed("the board's head", 200, || c.get(&e.path("/board/head")));
            self.timed("the election", 200, || c.get(&e.path("")));
            self.timed("the board key", 200, || c.get("/api/board-key"));
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

/// The results of `tasks`, in order.
fn join_all<T>(rt: &tokio::runtime::Runtime, tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    rt.block_on(async {
        let mut all = Vec::with_capacity(tasks.len());
        for t in tasks {
            all.push(t.await.expect("a task"));
        }
        all
    })
}

fn count(ends: &[Ended], pred: impl Fn(&Ended) -> bool) -> usize {
    ends.iter().filter(|e| pred(e)).count()
}

const ADDRESSES: u8 = 6;
const PER_ADDRESS: usize = 50;
const ATTACK: Duration = Duration::from_secs(9);

#[test]
fn slow_bodies_are_cut_and_a_voter_reads_and_casts_within_two_seconds() {
    let db = TestDb::sqlite();
    let server = Server::start_with(
        &db,
        &[
            "--rate-limit-loopback",
            "--max-in-flight",
            "256",
            "--max-writes-in-flight",
            "192",
            "--max-in-flight-per-client",
            "24",
            "--body-timeout",
            "3",
        ],
    );
    let mut rng = test_rng(190, 0);
    let m = samples::up_to_k_of_n("slowloris", 4, 1, TellerParams { n: 3, t: 2 });
    let e = Election::prepare_open(&server.staff(), m, 1, &mut rng);
    let voter = server.public();
    let ctx = e.context(&voter);
    let selection = Selection::from_chosen(&e.manifest, &[vec![2]]).unwrap();
    let ballot = Ballot::build(&ctx, &e.credentials[0], &selection, &mut rng)
        .unwrap()
        .0;
    let before = e.log_size(&voter);

    // The attack: ADDRESSES × PER_ADDRESS connections at once, each announcing 1 MB and
    // sending it either one byte every 500 ms (below the minimum rate) or 2 KiB every second
    // (above it, but 1 MB would take 8 minutes); each connection, once cut, comes back.
    let rt = runtime();
    let to = server.addr;
    let path = e.path("/ballots");
    let stop = Arc::new(AtomicBool::new(false));
    let connections = Arc::new(AtomicUsize::new(0));
    let attack_started = Instant::now();
    let mut tasks = Vec::new();
    for a in 0..ADDRESSES {
        for k in 0..PER_ADDRESS {
            let (path, stop, connections) = (path.clone(), stop.clone(), connections.clone());
            tasks.push(rt.spawn(async move {
                let mut ends = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    connections.fetch_add(1, Ordering::Relaxed);
                    let (chunk, every) = if k % 2 == 0 {
                        (1, Duration::from_millis(500))
                    } else {
                        (2048, Duration::from_secs(1))
                    };
                    let end = trickle(
                        attacker(a),
                        to,
                        path.clone(),
                        1_000_000,
                        chunk,
                        every,
                        Duration::from_secs(30),
                    )
                    .await;
                    ends.push(end);
                    if end.status == Some(429) || end.status == Some(503) {
                        // As told by `Retry-After: 1`.
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                ends
            }));
        }
    }

    // The voter, meanwhile: reads, casts once the attack is in full swing, reads again.
    std::thread::sleep(Duration::from_millis(500));
    let mut v = Voter::default();
    let reading = AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut r = Voter::default();
            r.read_until(&voter, &e, &reading);
            r
        });
        std::thread::sleep(Duration::from_secs(3));
        v.timed("casting a ballot", 201, || voter.post(&path, &ballot));
        v.timed("the ballot's receipt", 200, || {
            voter.get(&e.path(&format!("/receipts/{}", ballot.tracking_code())))
        });
        std::thread::sleep(ATTACK.saturating_sub(attack_started.elapsed()));
        reading.store(true, Ordering::Relaxed);
        let r = reader.join().unwrap();
        v.requests += r.requests;
        v.slowest = v.slowest.max(r.slowest);
    });
    stop.store(true, Ordering::Relaxed);
    let ends: Vec<Ended> = join_all(&rt, tasks).into_iter().flatten().collect();

    let cut = count(&ends, |e| e.status == Some(408));
    let per_client = count(&ends, |e| e.status == Some(429));
    let busy = count(&ends, |e| e.status == Some(503));
    let other = ends.len() - cut - per_client - busy;
    let longest = ends
        .iter()
        .filter(|e| e.status == Some(408))
        .filter_map(|e| e.closed_after)
        .max()
        .unwrap_or_default();
    println!(
        "slowloris: {} slow connections from {ADDRESSES} addresses over {:.1?} ({} at once): \
         {cut} cut with 408 (the longest lived {longest:.1?}), {per_client} refused with 429 \
         (per address: requests in progress, or the rate), {busy} with 503, {other} otherwise; the voter's \
         {} requests (reads, a cast, its receipt) all answered, the slowest in {:.0?}",
        ends.len(),
        attack_started.elapsed(),
        usize::from(ADDRESSES) * PER_ADDRESS,
        v.requests,
        v.slowest,
    );
    assert!(cut > 0, "no slow body was cut");
    assert!(
        per_client > 0,
        "no address met its cap on requests in progress"
    );
    assert_eq!(
        count(&ends, |e| e.closed_after.is_none()),
        0,
        "a slow connection was still open after 30 s"
    );
    // Cut by the 3 s body timeout, not by the 60 s request timeout.
    assert!(longest < Duration::from_secs(10), "{longest:?}");
    // Only the voter's ballot is on the board.
    assert_eq!(e.log_size(&voter), before + 1);
}

#[test]
fn idle_connections_are_closed_and_the_caps_on_connections_hold() {
    let db = TestDb::sqlite();
    let rt = runtime();
    let wait = Duration::from_secs(20);

    // One address opens 300 connections and sends nothing: past its 50, the server closes
    // them at once; the 50 it keeps are closed after the 1 s header timeout. A voter at
    // another address is answered within 2 s throughout.
    let server = Server::start_with(
        &db,
        &[
            "--rate-limit-loopback",
            "--header-timeout",
            "1",
            "--max-connections-per-client",
            "50",
        ],
    );
    let to = server.addr;
    let started = Instant::now();
    let tasks: Vec<_> = (0..300)
        .map(|_| rt.spawn(idle(attacker(0), to, wait)))
        .collect();
    let voter = server.public();
    let mut v = Voter::default();
    let mut most_sockets = 0;
    while started.elapsed() < Duration::from_secs(3) {
        most_sockets = most_sockets.max(sockets_of(server.pid()));
        v.timed("the board key", 200, || voter.get("/api/board-key"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let ends: Vec<Ended> = join_all(&rt, tasks);
    let at_once = count(&ends, |e| {
        e.closed_after
            .is_some_and(|t| t < Duration::from_millis(900))
    });
    let by_timeout = count(&ends, |e| {
        e.closed_after
            .is_some_and(|t| t >= Duration::from_millis(900))
    });
    println!(
        "idle, one address: 300 idle connections: {at_once} closed at once (the address \
         had its 50 open), {by_timeout} closed by the 1 s header timeout (the last after {:.1?}); \
         the server held at most {most_sockets} sockets; the voter's {} requests answered, the \
         slowest in {:.0?}",
        ends.iter()
            .filter_map(|e| e.closed_after)
            .max()
            .unwrap_or_default(),
        v.requests,
        v.slowest,
    );
    assert_eq!(
        count(&ends, |e| e.closed_after.is_none()),
        0,
        "an idle connection stayed open"
    );
    // (How many were closed at once depends on when each got in: one that connects after
    // the first 50 were closed by the timeout takes a freed place.)
    assert!(
        at_once > 0 && by_timeout > 0,
        "{at_once} at once, {by_timeout} by the timeout"
    );
    // The listener, the voter's connection and the 50 idle ones (and a little slack).
    assert!(
        most_sockets <= 50 + 8,
        "the server held {most_sockets} sockets"
    );
    drop(server);

    // 4 addresses open 50 idle connections each, twice the cap of 100 open connections: the
    // server never holds more than the cap, closes them all by the header timeout, and the
    // voter, waiting in the queue behind them, is answered.
    let server = Server::start_with(
        &db,
        &[
            "--rate-limit-loopback",
            "--header-timeout",
            "1",
            "--max-connections",
            "100",
        ],
    );
    let to = server.addr;
    let started = Instant::now();
    let tasks: Vec<_> = (0..200)
        .map(|k| rt.spawn(idle(attacker((k % 4) as u8), to, wait)))
        .collect();
    let watching = Arc::new(AtomicBool::new(true));
    let pid = server.pid();
    let watcher = std::thread::spawn({
        let watching = watching.clone();
        move || {
            let mut most = 0;
            while watching.load(Ordering::Relaxed) {
                most = most.max(sockets_of(pid));
                std::thread::sleep(Duration::from_millis(50));
            }
            most
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    let (status, _) = server.public().get("/api/board-key");
    let queued = asked.elapsed();
    assert_eq!(status, 200);
    let ends: Vec<Ended> = join_all(&rt, tasks);
    watching.store(false, Ordering::Relaxed);
    let most_sockets = watcher.join().unwrap();
    let (status, _) = server.public().get("/api/board-key");
    assert_eq!(status, 200);
    println!(
        "idle, connection cap: 200 idle connections from 4 addresses against a cap of 100: all \
         closed by the server (the last after {:.1?}), the server held at most {most_sockets} \
         sockets; the voter, queued behind them, was answered after {queued:.1?}",
        ends.iter()
            .filter_map(|e| e.closed_after)
            .max()
            .unwrap_or_default(),
    );
    assert_eq!(
        count(&ends, |e| e.closed_after.is_none()),
        0,
        "an idle connection stayed open"
    );
    assert!(
        most_sockets <= 100 + 8,
        "the server held {most_sockets} sockets"
    );
    assert!(started.elapsed() < wait + Duration::from_secs(5));
}

#[test]
fn requests_in_progress_are_capped_per_client_address() {
    let db = TestDb::sqlite();
    let server = Server::start_with(
        &db,
        &[
            "--rate-limit-loopback",
            "--max-in-flight-per-client",
            "8",
            "--body-min-rate",
            "0",
            "--body-timeout",
            "4",
        ],
    );
    let rt = runtime();
    let to = server.addr;
    // 8 requests from 127.0.0.2 whose bodies never come: its 8 places are taken.
    let slow: Vec<_> = (0..8)
        .map(|_| {
            rt.spawn(trickle(
                attacker(0),
                to,
                "/api/cycle/proposals".into(),
                1000,
                0,
                Duration::from_secs(60),
                Duration::from_secs(20),
            ))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let (status, body) = rt.block_on(get_from(attacker(0), to, "/api/board-key"));
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("in progress"), "{body}");
    assert!(body.contains("too_many_requests"), "{body}");
    // Another address is served.
    let (status, _) = rt.block_on(get_from(attacker(1), to, "/api/board-key"));
    assert_eq!(status, 200);
    assert_eq!(server.public().get("/api/board-key").0, 200);
    // The body timeout cuts the 8 with 408, and the address is served again.
    let ends: Vec<Ended> = join_all(&rt, slow);
    assert!(ends.iter().all(|e| e.status == Some(408)), "{ends:?}");
    let (status, body) = rt.block_on(get_from(attacker(0), to, "/api/board-key"));
    assert_eq!(status, 200, "{body}");
    println!(
        "per address: 8 requests in progress from 127.0.0.2: its 9th refused with 429, \
         127.0.0.3 and 127.0.0.1 served; the 8 cut with 408 after {:.1?} (body timeout 4 s), \
         then 127.0.0.2 served again",
        ends.iter()
            .filter_map(|e| e.closed_after)
            .max()
            .unwrap_or_default()
    );
}
