//! Crashes lose nothing (issue 8): ballots are cast from several threads while the server is
//! killed with SIGKILL at random moments and restarted on the same database and data folder.
//! At the end every acknowledged ballot is on the board (by tracking code and in the record),
//! no credential is there twice, every receipt's signed head is consistent with the final head,
//! the record passes the verifier, and the election finishes with the counts of the test's own
//! choices. A ballot whose POST was cut by a kill has an unknown outcome: the deputy casts a
//! fresh ballot with the same choices, which must be refused as a double vote if the cut one
//! was recorded and accepted only if it was not; the board shows exactly one of them.
//!
//! Also kills between every teller's step of the key ceremony and between decryption shares:
//! the ceremony resumes, a teller's second, different message is refused (no fork), and the
//! election completes and verifies.
//!
//! SQLite always, PostgreSQL when `PIAOJUE_TEST_POSTGRES_URL` is set. Knobs:
//! `PIAOJUE_CRASH_KILLS` (default 20), `PIAOJUE_CRASH_BALLOTS` (default 400).

mod common;
mod crash_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use common::election::{Election, expect, test_rng};
use common::{Server, TestDb, decode};
use crash_support::{Outcome, agent, check_board, check_result, counts_of, try_post};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::Receipt;
use piaojue_crypto::dkg::party::Teller;
use piaojue_crypto::encoding::Digest32;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::record::ceremony_params;
use piaojue_crypto::samples;
use rand::RngExt;
use rayon::prelude::*;

const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };
const OPTIONS: usize = 4;
const THREADS: usize = 6;

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deputy `d`'s choices: up to two of the four options.
fn choices(d: usize) -> Vec<usize> {
    match d % 5 {
        0 => vec![],
        1 => vec![d % OPTIONS],
        _ => vec![d % OPTIONS, (d / 2 + 1) % OPTIONS]
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

/// What became of one deputy's casting.
#[derive(Default)]
struct Fate {
    /// Tracking codes of ballots whose POST was cut.
    cut: Vec<Digest32>,
    /// The receipt, if a POST was acknowledged.
    receipt: Option<Receipt>,
    /// Whether a retry after a cut was refused as a double vote.
    refused: bool,
}

#[test]
fn kills_while_casting_sqlite() {
    kills_while_casting(TestDb::sqlite());
}

#[test]
fn kills_while_casting_postgres() {
    if let Some(db) = TestDb::postgres() {
        kills_while_casting(db);
    }
}

fn kills_while_casting(db: TestDb) {
    let started = Instant::now();
    let kills_wanted = knob("PIAOJUE_CRASH_KILLS", 20);
    let deputies = knob("PIAOJUE_CRASH_BALLOTS", 400);
    let mut server = Server::start(&db);
    let staff = server.staff();
    let mut rng = test_rng(80, 0);
    let m = samples::up_to_k_of_n(
        &format!("crash-{:?}", db.backend).to_lowercase(),
        OPTIONS,
        2,
        TELLERS,
    );
    let e = Election::prepare_open(&staff, m, deputies, &mut rng);
    let ctx = e.context(&server.public());
    let first: Vec<Ballot> = (0..deputies)
        .into_par_iter()
        .map(|d| {
            let sel = Selection::from_chosen(&e.manifest, &[choices(d)]).unwrap();
            Ballot::build(&ctx, &e.credentials[d], &sel, &mut test_rng(81, d as u64))
                .unwrap()
                .0
        })
        .collect();

    let base = Arc::new(RwLock::new(server.base.clone()));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    // Casting is paced (a random pause after each ballot, 2·pace on average per thread) so
    // that it lasts about as long as the kills: every kill lands while ballots are in flight.
    let pace = (kills_wanted * 350 * THREADS / deputies.max(1)).max(1) as u64;
    let fates: Mutex<HashMap<usize, Fate>> = Mutex::new(HashMap::new());
    let path = e.path("/ballots");
    let mut kills = 0;
    let mut kills_while_casting = 0;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                let agent = agent();
                loop {
                    let d = next.fetch_add(1, Ordering::SeqCst);
                    if d >= deputies {
                        break;
                    }
                    let mut fate = Fate::default();
                    let mut ballot = first[d].clone();
                    let mut attempt = 0u64;
                    loop {
                        let url = base.read().unwrap().clone();
                        match try_post(&agent, &url, &path, &ballot) {
                            Outcome::Answer(201, v) => {
                                fate.receipt = Some(decode(&v));
                                break;
                            }
                            Outcome::Answer(409, v) if !fate.cut.is_empty() => {
                                assert_eq!(v["error"], "conflict", "{v}");
                                fate.refused = true;
                                break;
                            }
                            Outcome::Answer(status, v) => {
                                panic!("deputy {d}: unexpected answer {status} {v}")
                            }
                            Outcome::Cut(_) => {
                                // The server may have recorded it; a fresh ballot with the same
                                // choices, once the server is back.
                                fate.cut.push(ballot.tracking_code());
                                attempt += 1;
                                std::thread::sleep(Duration::from_millis(50));
                                let sel =
                                    Selection::from_chosen(&e.manifest, &[choices(d)]).unwrap();
                                let mut r = test_rng(82 + attempt, d as u64);
                                ballot = Ballot::build(&ctx, &e.credentials[d], &sel, &mut r)
                                    .unwrap()
                                    .0;
                            }
                        }
                    }
                    fates.lock().unwrap().insert(d, fate);
                    let pause = rand::rng().random_range(0..2 * pace);
                    std::thread::sleep(Duration::from_millis(pause));
                    done.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let mut rng = rand::rng();
        while kills < kills_wanted {
            std::thread::sleep(Duration::from_millis(rng.random_range(100..400)));
            if done.load(Ordering::SeqCst) < deputies {
                kills_while_casting += 1;
            }
            server.kill();
            kills += 1;
            server = Server::start(&db);
            *base.write().unwrap() = server.base.clone();
        }
    });
    let cast_time = started.elapsed();

    let public = server.public();
    let fates = fates.into_inner().unwrap();
    assert_eq!(fates.len(), deputies);
    let receipts: Vec<Receipt> = fates.values().filter_map(|f| f.receipt.clone()).collect();
    let board = check_board(&public, &e, &receipts);
    assert_eq!(
        board.len(),
        deputies,
        "one ballot of every deputy on the board"
    );
    let (mut acknowledged, mut unknown, mut refused, mut replaced) = (0, 0, 0, 0);
    for (d, fate) in &fates {
        let on_board = board
            .get(&e.credentials[*d].public())
            .expect("the deputy's ballot is on the board")
            .tracking_code();
        unknown += fate.cut.len();
        if let Some(r) = &fate.receipt {
            acknowledged += 1;
            // Any cut ballot before it was not recorded: only the acknowledged one is there.
            assert_eq!(
                on_board, r.tracking_code,
                "deputy {d}: the acknowledged ballot"
            );
            replaced += usize::from(!fate.cut.is_empty());
        } else {
            assert!(fate.refused);
            refused += 1;
            assert!(
                fate.cut.contains(&on_board),
                "deputy {d}: refused as a double vote, but no ballot of theirs was recorded"
            );
        }
    }
    let want = counts_of(
        OPTIONS,
        (0..deputies).map(choices).collect::<Vec<_>>().iter(),
    );
    crash_support::finish(&public, &server.staff(), &e, &want, 83);
    println!(
        "crash {:?}: {kills} kills ({kills_while_casting} while casting), {deputies} deputies: \
         {acknowledged} acknowledged ({replaced} after a cut attempt), {unknown} cut POSTs \
         (unknown outcome), {refused} retries refused as double votes because the cut ballot \
         was recorded; counts {want:?}; casting under kills {cast_time:.1?}, total {:.1?}",
        db.backend,
        started.elapsed()
    );
}

#[test]
fn kills_in_ceremony_and_decryption_sqlite() {
    kills_in_ceremony_and_decryption(TestDb::sqlite());
}

#[test]
fn kills_in_ceremony_and_decryption_postgres() {
    if let Some(db) = TestDb::postgres() {
        kills_in_ceremony_and_decryption(db);
    }
}

fn restart(server: &mut Server, db: &TestDb, kills: &mut usize) {
    server.kill();
    *kills += 1;
    *server = Server::start(db);
}

/// Posts a ceremony message: 201, or — a retry of a message the killed server had recorded —
/// 409. Answers the status.
fn post_round(server: &Server, e: &Election, round: &str, message: &impl serde::Serialize) -> u16 {
    let body = serde_json::json!({ "round": round, "message": message });
    let (status, v) = server.public().post(&e.path("/ceremony"), &body);
    assert!(status == 201 || status == 409, "{round}: {status} {v}");
    status
}

fn kills_in_ceremony_and_decryption(db: TestDb) {
    let started = Instant::now();
    let mut kills = 0;
    let mut forks_refused = 0;
    let mut server = Server::start(&db);
    let mut rng = test_rng(90, 0);
    let mut m = samples::up_to_k_of_n(
        &format!("ceremony-{:?}", db.backend).to_lowercase(),
        OPTIONS,
        2,
        TELLERS,
    );
    m.deputies = 6;
    let mut e = Election::create(&server.staff(), m);
    e.start_ceremony(&server.staff(), &mut rng);
    restart(&mut server, &db, &mut kills);
    let params = ceremony_params(&e.manifest);

    // Round 0, a kill after every teller's message; then teller 1 tries a second, different
    // announcement: refused.
    let mut s0 = Vec::new();
    for (i, k) in e.signing.iter().enumerate() {
        let (s, a) = Teller::new(params, i as u32 + 1, k.clone(), &mut rng).unwrap();
        assert_eq!(post_round(&server, &e, "announcement", &a), 201);
        restart(&mut server, &db, &mut kills);
        // The same message again (a teller that did not see the answer): not recorded twice.
        assert_eq!(post_round(&server, &e, "announcement", &a), 409);
        s0.push(s);
    }
    let (_, other) = Teller::new(params, 1, e.signing[0].clone(), &mut rng).unwrap();
    assert_eq!(post_round(&server, &e, "announcement", &other), 409);
    forks_refused += 1;
    let (t, _) = e.ceremony(&server.public());
    assert_eq!(t.announcements.len(), 3);
    let mut s1 = Vec::new();
    for s in s0 {
        let (s, msg) = s.commit(&t.announcements, &mut rng).unwrap();
        assert_eq!(post_round(&server, &e, "commitment", &msg), 201);
        restart(&mut server, &db, &mut kills);
        s1.push(s);
    }
    let (t, _) = e.ceremony(&server.public());
    assert_eq!(t.commitments.len(), 3);
    let mut s2 = Vec::new();
    for s in s1 {
        let (s, msg) = s.reveal(&t.commitments).unwrap();
        assert_eq!(post_round(&server, &e, "reveal", &msg), 201);
        restart(&mut server, &db, &mut kills);
        s2.push(s);
    }
    let (t, _) = e.ceremony(&server.public());
    assert_eq!(t.reveals.len(), 3);
    let mut s3 = Vec::new();
    for s in s2 {
        let (s, msg) = s.check_shares(&t.reveals, &mut rng).unwrap();
        assert_eq!(post_round(&server, &e, "share_check", &msg), 201);
        // The last share check and the verdict are two appends: a kill right after the first
        // is finished by the next start.
        restart(&mut server, &db, &mut kills);
        s3.push(s);
    }
    // The ceremony completed after the restarts: one election key, the tellers' own.
    let t = e.finish_ceremony(&server.public(), s3);
    assert_eq!(t.checks.len(), 3);

    e.register(&server.staff(), 6, 6, &mut rng);
    e.open(&server.staff());
    let ctx = e.context(&server.public());
    for d in 0..6 {
        let sel = Selection::from_chosen(&e.manifest, &[choices(d)]).unwrap();
        let b = Ballot::build(&ctx, &e.credentials[d], &sel, &mut rng)
            .unwrap()
            .0;
        expect(server.public().post(&e.path("/ballots"), &b), 201);
    }
    expect(server.staff().post_empty(&e.path("/close")), 201);
    restart(&mut server, &db, &mut kills);

    // Decryption: a kill after each share; teller 1's share again (the same bytes) and a
    // different share of teller 1 are refused; the t-th share and the result are two appends.
    let share1 = e.share(&server.public(), 1, &mut rng);
    expect(
        server.public().post(&e.path("/decryption-shares"), &share1),
        201,
    );
    restart(&mut server, &db, &mut kills);
    let (status, v) = server.public().post(&e.path("/decryption-shares"), &share1);
    assert_eq!(status, 409, "the same share twice: {v}");
    let other = e.share(&server.public(), 1, &mut rng);
    assert_ne!(other, share1);
    let (status, v) = server.public().post(&e.path("/decryption-shares"), &other);
    assert_eq!(status, 409, "a second, different share of teller 1: {v}");
    forks_refused += 1;
    let share3 = e.share(&server.public(), 3, &mut rng);
    expect(
        server.public().post(&e.path("/decryption-shares"), &share3),
        201,
    );
    restart(&mut server, &db, &mut kills);

    let want = counts_of(OPTIONS, (0..6).map(choices).collect::<Vec<_>>().iter());
    check_result(&server.public(), &e, &want);
    let record: piaojue_crypto::record::ElectionRecord =
        decode(&expect(server.public().get(&e.path("/record")), 200));
    assert_eq!(record.result.as_ref().unwrap().shares.len(), 2);
    println!(
        "ceremony {:?}: {kills} kills (after every teller's message of the 4 rounds, after the \
         close and after each decryption share), {forks_refused} different second messages \
         refused, election completed and verified in {:.1?}",
        db.backend,
        started.elapsed()
    );
}
