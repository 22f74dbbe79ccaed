//! The board's shutdown (issue 17): ballots queued for the log writer when the server shuts
//! down are committed and answered; a ballot cast after is refused and not recorded; every
//! ballot answered is on the board when the state is opened again.

mod scratch;

use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::Entry;
use piaojue_crypto::credential::Credential;
use piaojue_server::AppState;
use piaojue_server::demo::{self, DEMO_ID};
use scratch::Scratch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_ballots_are_committed_and_later_ones_refused() {
    let scratch = Scratch::new();
    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("the state");
    let info = demo::setup(&s, &scratch.0, 40).await.expect("the demo");
    let creds: Vec<Credential> = std::fs::read_to_string(info.dir.join("credentials.txt"))
        .expect("the demo's credentials")
        .lines()
        .map(|l| Credential::from_hex(l).expect("a credential"))
        .collect();
    let opened = s
        .elections
        .opened(&s.db, &s.board, DEMO_ID)
        .await
        .expect("open");
    let ballots: Vec<Ballot> = creds
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let sel = Selection::from_chosen(&opened.ctx.manifest, &[vec![i % 13]]).unwrap();
            Ballot::build(&opened.ctx, c, &sel, &mut rand::rng())
                .unwrap()
                .0
        })
        .collect();
    // Half cast at once; the shutdown starts while they are verified and queued.
    let mut tasks = Vec::new();
    for b in &ballots[..20] {
        let s = s.clone();
        let body = serde_json::to_vec(b).unwrap();
        tasks.push(tokio::spawn(async move {
            s.elections
                .cast(&s.db, &s.board, DEMO_ID, body.into())
                .await
        }));
    }
    tokio::task::yield_now().await;
    s.board.shutdown().await;
    let mut answered = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if let Ok(receipt) = t.await.expect("joined") {
            assert_eq!(receipt.tracking_code, ballots[i].tracking_code());
            answered.push(receipt.tracking_code);
        }
    }
    // After the shutdown: refused.
    let late = s
        .elections
        .cast(
            &s.db,
            &s.board,
            DEMO_ID,
            serde_json::to_vec(&ballots[30]).unwrap().into(),
        )
        .await;
    assert!(late.is_err(), "a ballot was accepted after the shutdown");
    s.db.pool.close().await;
    drop(s);

    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("the state again");
    let entries = s.board.entries(DEMO_ID, 0, 100_000).await.expect("entries");
    let codes: Vec<_> = entries
        .iter()
        .filter_map(|b| match Entry::from_bytes(b).expect("an entry").event {
            piaojue_crypto::board::Event::Ballot(b) => Some(b.tracking_code()),
            _ => None,
        })
        .collect();
    for c in &answered {
        assert!(codes.contains(c), "an answered ballot is not on the board");
    }
    assert!(
        !codes.contains(&ballots[30].tracking_code()),
        "the late ballot was recorded"
    );
    println!(
        "{} of 20 answered before the shutdown, {} ballots on the board",
        answered.len(),
        codes.len()
    );
}
