//! The ballot server's running tally (`running_tallies`, kept by the board's writer as ballots
//! are committed): under `last_counts` a replaced ballot leaves it, also within one group
//! commit; and a close whose running tally does not cover the counted ballots adds them up from
//! the board instead. In every case the decrypted counts are those of the test's own
//! plaintexts and the exported record passes the verifier. SQLite and PostgreSQL.

mod common;

use common::election::{Election, expect, test_rng};
use common::{Server, TestDb, decode};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::manifest::{Revote, TellerParams};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_crypto::tally::Counts;
use piaojue_verifier::{Lang, verify_record};
use rayon::prelude::*;
use serde_json::Value;

const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };

/// Casts `plan` (deputy, chosen options) in order, `together` ballots at a time from as many
/// threads (so that several land in one commit).
fn cast(server: &Server, e: &Election, plan: &[(usize, Vec<usize>)], together: usize, seed: u64) {
    let public = server.public();
    let ctx = e.context(&public);
    let ballots: Vec<Ballot> = plan
        .par_iter()
        .enumerate()
        .map(|(k, (d, chosen))| {
            let mut rng = test_rng(seed, k as u64);
            let sel = Selection::from_chosen(&e.manifest, std::slice::from_ref(chosen)).unwrap();
            Ballot::build(&ctx, &e.credentials[*d], &sel, &mut rng)
                .unwrap()
                .0
        })
        .collect();
    for part in ballots.chunks(together) {
        part.par_iter().for_each(|b| {
            let c = server.public();
            expect(c.post(&e.path("/ballots"), b), 201);
        });
    }
}

/// The counts of a plan's ballots that count: each deputy's last (`last_counts`) or first.
fn counts_of(e: &Election, plan: &[(usize, Vec<usize>)]) -> Counts {
    let mut counted: std::collections::BTreeMap<usize, &Vec<usize>> = Default::default();
    for (d, chosen) in plan {
        if e.manifest.revote == Revote::LastCounts || !counted.contains_key(d) {
            counted.insert(*d, chosen);
        }
    }
    let mut counts = vec![vec![0u64; e.manifest.contests[0].options.len()]];
    for chosen in counted.values() {
        for &o in chosen.iter() {
            counts[0][o] += 1;
        }
    }
    counts
}

/// Closes, has tellers 1 and 3 decrypt, and checks the counts and the record.
fn finish(server: &Server, e: &Election, want: &Counts) {
    let staff = server.staff();
    let public = server.public();
    expect(staff.post_empty(&e.path("/close")), 201);
    let mut rng = test_rng(99, 0);
    for j in [1u32, 3] {
        let share = e.share(&public, j, &mut rng);
        expect(public.post(&e.path("/decryption-shares"), &share), 201);
    }
    assert_eq!(e.state(&public), "tallied");
    let (_, entries) = public.get(&e.path("/board/entries?from=0&limit=10000"));
    let result: &Value = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "result")
        .expect("a result entry");
    let counts: Counts = decode(&result["data"]["counts"]);
    assert_eq!(&counts, want, "the decrypted counts");
    let record: ElectionRecord = decode(&expect(public.get(&e.path("/record")), 200));
    let report = verify_record(&record);
    assert!(report.passed(), "{}", report.render(Lang::En));
}

fn last_counts(db: TestDb) {
    let server = Server::start(&db);
    let staff = server.staff();
    let mut m = samples::up_to_k_of_n("last-counts", 4, 2, TELLERS);
    m.revote = Revote::LastCounts;
    let mut rng = test_rng(1, 0);
    let e = Election::prepare_open(&staff, m, 6, &mut rng);
    // Deputy 0 votes three times (twice within one group of concurrent posts), deputy 2
    // twice; deputy 5 never.
    let plan = vec![
        (0, vec![0]),
        (1, vec![1, 2]),
        (2, vec![3]),
        (0, vec![1]),
        (0, vec![2, 3]),
        (3, vec![]),
        (4, vec![0, 3]),
        (2, vec![0, 1]),
    ];
    // The first three at once, the rest one at a time (their order on the board is the plan's).
    cast(&server, &e, &plan[..3], 3, 2);
    cast(&server, &e, &plan[3..], 1, 3);
    let want = counts_of(&e, &plan);
    finish(&server, &e, &want);
}

fn last_counts_in_one_commit(db: TestDb) {
    let server = Server::start(&db);
    let staff = server.staff();
    let mut m = samples::up_to_k_of_n("last-counts-batch", 4, 2, TELLERS);
    m.revote = Revote::LastCounts;
    let mut rng = test_rng(4, 0);
    let e = Election::prepare_open(&staff, m, 3, &mut rng);
    // Many ballots of the same three deputies at once: replacements within a commit.
    let plan: Vec<(usize, Vec<usize>)> = (0..24).map(|k| (k % 3, vec![k % 4])).collect();
    // 21 posted at once (their order on the board is the server's), then one more from each
    // deputy, one at a time: those three are the ones that count.
    cast(&server, &e, &plan[..21], 21, 5);
    cast(&server, &e, &plan[21..], 1, 6);
    let want = counts_of(&e, &plan[21..]);
    finish(&server, &e, &want);
}

fn without_running_tally(db: TestDb) {
    let server = Server::start(&db);
    let staff = server.staff();
    let mut rng = test_rng(7, 0);
    let e = Election::prepare_open(
        &staff,
        samples::up_to_k_of_n("fallback", 4, 2, TELLERS),
        5,
        &mut rng,
    );
    let plan: Vec<(usize, Vec<usize>)> = (0..5).map(|d| (d, vec![d % 4])).collect();
    cast(&server, &e, &plan, 5, 8);
    let want = counts_of(&e, &plan);
    // A database whose running tally lags (as one from before it existed): close adds the
    // ballots up from the board.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        sqlx::query("UPDATE running_tallies SET counted = counted - 1 WHERE election_id = $1")
            .bind(&e.id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    finish(&server, &e, &want);
}

#[test]
fn running_tally_sqlite() {
    last_counts(TestDb::sqlite());
    last_counts_in_one_commit(TestDb::sqlite());
    without_running_tally(TestDb::sqlite());
}

#[test]
fn running_tally_postgres() {
    for f in [
        last_counts,
        last_counts_in_one_commit,
        without_running_tally,
    ] {
        let Some(db) = TestDb::postgres() else {
            return;
        };
        f(db);
    }
}
