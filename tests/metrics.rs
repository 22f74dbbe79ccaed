//! `piaojue serve --metrics-listen` (issue 17, `spec/api.md` §7.7) on the real binary: the
//! metrics are on their own listener and not on the public port; casting moves the counters,
//! the histograms and the board's gauge, and a refused ballot is counted under its reason.

mod common;

use std::time::{Duration, Instant};

use common::election::{Election, expect, test_rng};
use common::{Client, Server, TestDb};
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;

/// The metrics address the server printed.
fn metrics_base(server: &Server) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(rest) = server.log().split("metrics: http://").nth(1) {
            let addr = rest.split('/').next().expect("an address");
            return format!("http://{addr}");
        }
        assert!(
            Instant::now() < deadline,
            "no metrics address:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value of the sample `name` (with its labels, as rendered), 0 when absent.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (n, v) = l.rsplit_once(' ')?;
            (n == name).then(|| v.parse().expect("a number"))
        })
        .unwrap_or(0.0)
}

fn scrape(metrics: &Client) -> String {
    let (status, body) = metrics.get_bytes("/metrics");
    assert_eq!(status, 200);
    String::from_utf8(body).expect("text")
}

#[test]
fn casting_moves_the_counters_and_a_refusal_is_counted_under_its_reason() {
    let db = TestDb::sqlite();
    let server = Server::start_with(&db, &["--metrics-listen", "127.0.0.1:0"]);
    let metrics = Client::new(&metrics_base(&server), None);
    let staff = server.staff();
    let mut rng = test_rng(17, 2);
    let e = Election::prepare_open(
        &staff,
        samples::up_to_k_of_n("metered", 3, 1, TellerParams { n: 3, t: 2 }),
        2,
        &mut rng,
    );
    let before = scrape(&metrics);
    let board = format!("piaojue_board_entries{{election=\"{}\"}}", e.id);
    let size_before = sample(&before, &board);
    assert!(size_before > 0.0, "{before}");

    let ctx = e.context(&staff);
    let sel = Selection::from_chosen(&ctx.manifest, &[vec![0]]).unwrap();
    let (ballot, _) = Ballot::build(&ctx, &e.credentials[0], &sel, &mut rng).unwrap();
    expect(staff.post(&e.path("/ballots"), &ballot), 201);
    // The same ballot again: refused (its tracking code is on the board).
    let (status, reply) = staff.post(&e.path("/ballots"), &ballot);
    assert_eq!(status, 409, "{reply}");
    // Not a ballot: refused as bad input.
    let (status, _) = staff.send("POST", &e.path("/ballots"), b"{}");
    assert_eq!(status, 400);

    let after = scrape(&metrics);
    let moved = |name: &str| sample(&after, name) - sample(&before, name);
    assert_eq!(moved("piaojue_ballots_accepted_total"), 1.0, "{after}");
    assert_eq!(
        moved("piaojue_ballots_refused_total{reason=\"conflict\"}"),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved("piaojue_ballots_refused_total{reason=\"bad_request\"}"),
        1.0,
        "{after}"
    );
    assert!(
        moved("piaojue_ballot_verification_seconds_count") >= 2.0,
        "{after}"
    );
    assert!(moved("piaojue_log_commit_seconds_count") >= 1.0, "{after}");
    assert_eq!(sample(&after, &board), size_before + 1.0, "{after}");
    assert!(
        after.contains("piaojue_db_connections{state=\"idle\"}"),
        "{after}"
    );
    assert_eq!(sample(&after, "piaojue_cast_queue_ballots"), 0.0);

    // Not on the public port; nothing else on the metrics port.
    assert_eq!(server.public().get("/metrics").0, 404);
    assert_eq!(metrics.get("/api/board-key").0, 404);
}
