//! Graceful shutdown (issue 17): SIGTERM while ballots are being cast from several threads.
//! The server stops accepting, finishes the requests in progress, lets the board's writer
//! commit and answer what is queued, closes the database and exits 0 within its shutdown
//! timeout. Every ballot answered 201 is on the board after a restart; every POST after the
//! shutdown began is refused or its connection closed, never acknowledged and lost. The
//! election then finishes and its record verifies.
//!
//! SQLite always, PostgreSQL when `PIAOJUE_TEST_POSTGRES_URL` is set.

mod common;
mod crash_support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::election::{Election, expect, test_rng};
use common::{Server, TestDb, decode};
use crash_support::{Outcome, agent, check_board, counts_of, try_post};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::Receipt;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use rayon::prelude::*;

const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };
const OPTIONS: usize = 4;
const THREADS: usize = 6;
const DEPUTIES: usize = 300;
/// The server's `--shutdown-timeout`.
const SHUTDOWN_TIMEOUT: u64 = 20;

/// Deputy `d`'s choices: up to two of the four options.
fn choices(d: usize) -> Vec<usize> {
    common::election::up_to_two(d, 3, OPTIONS)
}

#[test]
fn sigterm_under_load_loses_nothing_acknowledged_sqlite() {
    sigterm_under_load(TestDb::sqlite());
}

#[test]
fn sigterm_under_load_loses_nothing_acknowledged_postgres() {
    if let Some(db) = TestDb::postgres() {
        sigterm_under_load(db);
    }
}

fn sigterm_under_load(db: TestDb) {
    let timeout = SHUTDOWN_TIMEOUT.to_string();
    let args = ["--shutdown-timeout", timeout.as_str()];
    let mut server = Server::start_with(&db, &args);
    let staff = server.staff();
    let mut rng = test_rng(170, 0);
    let m = samples::up_to_k_of_n(
        &format!("shutdown-{:?}", db.backend).to_lowercase(),
        OPTIONS,
        2,
        TELLERS,
    );
    let e = Election::prepare_open(&staff, m, DEPUTIES, &mut rng);
    let ctx = e.context(&server.public());
    let ballots: Vec<Ballot> = (0..DEPUTIES)
        .into_par_iter()
        .map(|d| {
            let sel = Selection::from_chosen(&e.manifest, &[choices(d)]).unwrap();
            Ballot::build(&ctx, &e.credentials[d], &sel, &mut test_rng(171, d as u64))
                .unwrap()
                .0
        })
        .collect();

    let path = e.path("/ballots");
    let base = server.base.clone();
    let next = AtomicUsize::new(0);
    let acknowledged = AtomicUsize::new(0);
    let terminated = AtomicBool::new(false);
    // Receipts of the ballots answered 201, and the deputies whose POST got no answer.
    let receipts: Mutex<Vec<(usize, Receipt)>> = Mutex::new(Vec::new());
    let cut: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    let after_term = AtomicUsize::new(0);
    let status = std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                let agent = agent();
                loop {
                    let d = next.fetch_add(1, Ordering::SeqCst);
                    if d >= DEPUTIES {
                        break;
                    }
                    let sent_after_term = terminated.load(Ordering::SeqCst);
                    match try_post(&agent, &base, &path, &ballots[d]) {
                        Outcome::Answer(201, v) => {
                            let r: Receipt = decode(&v);
                            assert_eq!(r.tracking_code, ballots[d].tracking_code());
                            receipts.lock().unwrap().push((d, r));
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                            after_term.fetch_add(usize::from(sent_after_term), Ordering::SeqCst);
                        }
                        // Refused while shutting down (the writer no longer takes appends):
                        // nothing acknowledged.
                        Outcome::Answer(status, v) if status >= 500 => {
                            assert!(terminated.load(Ordering::SeqCst), "{status} {v}");
                            cut.lock().unwrap().push(d);
                        }
                        Outcome::Answer(status, v) => panic!("deputy {d}: {status} {v}"),
                        Outcome::Cut(_) => {
                            assert!(
                                terminated.load(Ordering::SeqCst),
                                "a connection was cut before SIGTERM"
                            );
                            cut.lock().unwrap().push(d);
                            // The server is going or gone: this thread stops casting.
                            break;
                        }
                    }
                }
            });
        }
        // SIGTERM once a third of the deputies are acknowledged, while the threads cast.
        let deadline = Instant::now() + Duration::from_secs(120);
        while acknowledged.load(Ordering::SeqCst) < DEPUTIES / 3 {
            assert!(Instant::now() < deadline, "casting is stuck");
            std::thread::sleep(Duration::from_millis(5));
        }
        terminated.store(true, Ordering::SeqCst);
        server.terminate(Duration::from_secs(SHUTDOWN_TIMEOUT + 10))
    });
    let log = server.log();
    let status = status.unwrap_or_else(|| panic!("the server did not exit on SIGTERM:\n{log}"));
    assert!(status.success(), "exit status {status}:\n{log}");
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    let receipts = receipts.into_inner().unwrap();
    let cut = cut.into_inner().unwrap();
    assert!(
        receipts.len() < DEPUTIES,
        "the shutdown came after every ballot: not under load"
    );
    // Nothing listens any more: a new connection is refused.
    assert!(matches!(
        try_post(&agent(), &base, &path, &ballots[0]),
        Outcome::Cut(_)
    ));

    // After a restart, every acknowledged ballot is on the board, under its receipt.
    let server = Server::start_with(&db, &args);
    let public = server.public();
    let only: Vec<Receipt> = receipts.iter().map(|(_, r)| r.clone()).collect();
    let board = check_board(&public, &e, &only);
    for (d, r) in &receipts {
        assert_eq!(
            board
                .get(&e.credentials[*d].public())
                .map(Ballot::tracking_code),
            Some(r.tracking_code),
            "deputy {d}: an acknowledged ballot is not on the board"
        );
    }
    // The others cast now (a cut POST may or may not have been recorded), and the election
    // finishes with every deputy's choices and a record that verifies.
    for (credential, ballot) in e.credentials.iter().zip(&ballots) {
        if !board.contains_key(&credential.public()) {
            expect(public.post(&path, ballot), 201);
        }
    }
    let want = counts_of(
        OPTIONS,
        (0..DEPUTIES).map(choices).collect::<Vec<_>>().iter(),
    );
    crash_support::finish(&public, &server.staff(), &e, &want, 172);
    println!(
        "shutdown {:?}: {} acknowledged before exit ({} of them sent after SIGTERM), {} cut or \
         refused, {} on the board at restart",
        db.backend,
        receipts.len(),
        after_term.load(Ordering::SeqCst),
        cut.len(),
        board.len()
    );
}
