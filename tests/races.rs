//! Races (issue 8): the same credential casting from 50 connections at once (50 distinct valid
//! ballots, released together by a barrier) counts exactly one ballot, on SQLite and
//! PostgreSQL; and two server processes on one PostgreSQL database, cast to concurrently,
//! keep one log: contiguous indices, consistent heads (every receipt's head is a prefix of the
//! final one), the verifier passes, every acknowledged ballot is there once.

mod common;
mod crash_support;

use std::sync::{Barrier, Mutex};
use std::time::Instant;

use common::election::{Election, expect, test_rng};
use common::{Server, TestDb, decode};
use crash_support::{Outcome, agent, check_board, counts_of, try_post};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::Receipt;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use rayon::prelude::*;

const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };
const OPTIONS: usize = 4;
const CONNECTIONS: usize = 50;
const CREDENTIALS: usize = 4;

/// Casts 50 ballots of each of credentials `from..from + 4` at once, spread over `servers`;
/// answers the receipts and the accepted ballots' choices.
fn double_votes(
    servers: &[&Server],
    e: &Election,
    from: usize,
    seed: u64,
) -> (Vec<Receipt>, Vec<Vec<usize>>) {
    let ctx = e.context(&servers[0].public());
    let mut receipts = Vec::new();
    let mut chosen = Vec::new();
    for d in from..from + CREDENTIALS {
        let ballots: Vec<Ballot> = (0..CONNECTIONS)
            .into_par_iter()
            .map(|k| {
                let sel = Selection::from_chosen(&e.manifest, &[vec![(d + k) % OPTIONS]]).unwrap();
                let mut rng = test_rng(seed + d as u64, k as u64);
                Ballot::build(&ctx, &e.credentials[d], &sel, &mut rng)
                    .unwrap()
                    .0
            })
            .collect();
        let barrier = Barrier::new(CONNECTIONS);
        let won = Mutex::new(Vec::new());
        let mut refused = 0;
        std::thread::scope(|s| {
            let handles: Vec<_> = ballots
                .iter()
                .enumerate()
                .map(|(k, b)| {
                    let (barrier, won) = (&barrier, &won);
                    let base = servers[k % servers.len()].base.clone();
                    let path = e.path("/ballots");
                    s.spawn(move || {
                        let agent = agent();
                        barrier.wait();
                        match try_post(&agent, &base, &path, b) {
                            Outcome::Answer(201, v) => {
                                won.lock().unwrap().push((k, decode::<Receipt>(&v)));
                                false
                            }
                            Outcome::Answer(409, v) => {
                                assert_eq!(v["error"], "conflict", "{v}");
                                true
                            }
                            other => panic!("unexpected {other:?}"),
                        }
                    })
                })
                .collect();
            for h in handles {
                refused += usize::from(h.join().unwrap());
            }
        });
        let won = won.into_inner().unwrap();
        assert_eq!(
            won.len(),
            1,
            "exactly one of the 50 ballots of credential {d} is accepted"
        );
        assert_eq!(refused, CONNECTIONS - 1);
        let (k, receipt) = won.into_iter().next().unwrap();
        assert_eq!(receipt.tracking_code, ballots[k].tracking_code());
        chosen.push(vec![(d + k) % OPTIONS]);
        receipts.push(receipt);
    }
    (receipts, chosen)
}

fn fifty_connections(db: TestDb) {
    let started = Instant::now();
    let server = Server::start(&db);
    let mut rng = test_rng(70, 0);
    let m = samples::up_to_k_of_n(
        &format!("race-{:?}", db.backend).to_lowercase(),
        OPTIONS,
        1,
        TELLERS,
    );
    let e = Election::prepare_open(&server.staff(), m, CREDENTIALS, &mut rng);
    let (receipts, chosen) = double_votes(&[&server], &e, 0, 71);
    let board = check_board(&server.public(), &e, &receipts);
    assert_eq!(board.len(), CREDENTIALS, "one ballot per credential");
    let want = counts_of(OPTIONS, chosen.iter());
    crash_support::finish(&server.public(), &server.staff(), &e, &want, 72);
    println!(
        "races {:?}: {CREDENTIALS} credentials × {CONNECTIONS} connections at once: 1 accepted \
         and {} refused as double votes each; board has {} ballots ({:.1?})",
        db.backend,
        CONNECTIONS - 1,
        board.len(),
        started.elapsed()
    );
}

#[test]
fn fifty_connections_one_credential_sqlite() {
    fifty_connections(TestDb::sqlite());
}

#[test]
fn fifty_connections_one_credential_postgres() {
    if let Some(db) = TestDb::postgres() {
        fifty_connections(db);
    }
}

/// Two `piaojue serve` processes on one PostgreSQL database, ballots cast to both at once.
#[test]
fn two_processes_one_postgres_log() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let started = Instant::now();
    let a = Server::start(&db);
    let b = Server::start(&db);
    let deputies = 120;
    let mut rng = test_rng(60, 0);
    let m = samples::up_to_k_of_n("two-processes", OPTIONS, 2, TELLERS);
    let e = Election::prepare_open(&a.staff(), m, deputies + CREDENTIALS, &mut rng);
    let ctx = e.context(&b.public());
    let choice = |d: usize| vec![d % OPTIONS];
    let ballots: Vec<Ballot> = (0..deputies)
        .into_par_iter()
        .map(|d| {
            let sel = Selection::from_chosen(&e.manifest, &[choice(d)]).unwrap();
            Ballot::build(&ctx, &e.credentials[d], &sel, &mut test_rng(61, d as u64))
                .unwrap()
                .0
        })
        .collect();
    let receipts = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..8 {
            let (receipts, ballots, servers) = (&receipts, &ballots, [&a, &b]);
            let path = e.path("/ballots");
            s.spawn(move || {
                let agent = agent();
                for d in (t..deputies).step_by(8) {
                    let base = &servers[d % 2].base;
                    match try_post(&agent, base, &path, &ballots[d]) {
                        Outcome::Answer(201, v) => {
                            receipts.lock().unwrap().push(decode::<Receipt>(&v))
                        }
                        other => panic!("deputy {d}: {other:?}"),
                    }
                }
            });
        }
    });
    let mut receipts = receipts.into_inner().unwrap();
    // The double-vote race across both processes too.
    let (raced, raced_choices) = double_votes(&[&a, &b], &e, deputies, 62);
    receipts.extend(raced);
    let mut indices: Vec<u64> = receipts.iter().map(|r| r.index).collect();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(
        indices.len(),
        receipts.len(),
        "every receipt names its own entry"
    );
    for server in [&a, &b] {
        let board = check_board(&server.public(), &e, &receipts);
        assert_eq!(
            board.len(),
            deputies + CREDENTIALS,
            "one ballot per credential"
        );
    }
    let record: ElectionRecord = decode(&expect(b.public().get(&e.path("/record")), 200));
    let log = record.board.as_ref().expect("the board's log");
    for (i, entry) in log.entries.iter().enumerate() {
        let entry = piaojue_crypto::board::Entry::from_bytes(entry.as_bytes()).expect("an entry");
        assert_eq!(entry.index, i as u64, "contiguous indices");
    }
    let mut chosen: Vec<Vec<usize>> = (0..deputies).map(choice).collect();
    chosen.extend(raced_choices);
    let want = counts_of(OPTIONS, chosen.iter());
    crash_support::finish(&b.public(), &a.staff(), &e, &want, 63);
    println!(
        "two processes PostgreSQL: {deputies} ballots cast to two servers at once (all \
         acknowledged) and {CREDENTIALS} × {CONNECTIONS} double votes split over both (one \
         each accepted); {} log entries with contiguous indices, verifier passed on both \
         ({:.1?})",
        log.entries.len(),
        started.elapsed()
    );
}
