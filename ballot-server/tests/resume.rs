//! Operations made of two appends (a ceremony's last share check and its verdict; the close and
//! the tally; the `t`-th decryption share and the result) are finished by the next start of the
//! server when the first append committed and the second never came; and the close entry counts
//! exactly the ballots before it, even while ballots keep arriving.
//!
//! In process, on a SQLite file: a "crash" is a state whose second append is skipped by
//! appending the first one directly to the board, and a "restart" is a new `AppState` on the
//! same file.

mod scratch;

use std::path::Path;

use ed25519_dalek::SigningKey;
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::credential::Credential;
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::dkg::SecretShare;
use piaojue_crypto::dkg::party::Teller;
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::record::ceremony_params;
use piaojue_crypto::samples;
use piaojue_server::board::{AppendJob, Effect, Precondition};
use piaojue_server::demo::{self, DEMO_ID, DemoTeller};
use piaojue_server::elections::CeremonyMessage;
use piaojue_server::{AppState, ElectionState};
use scratch::Scratch;

fn kinds(entries: &[Vec<u8>]) -> Vec<String> {
    entries
        .iter()
        .map(|b| {
            Entry::from_bytes(b)
                .expect("an entry")
                .event
                .kind()
                .to_string()
        })
        .collect()
}

async fn all_entries(s: &AppState, id: &str) -> Vec<Vec<u8>> {
    s.board.entries(id, 0, 100_000).await.expect("entries")
}

fn credentials(dir: &Path) -> Vec<Credential> {
    std::fs::read_to_string(dir.join("credentials.txt"))
        .expect("the demo's credentials")
        .lines()
        .map(|l| Credential::from_hex(l).expect("a credential"))
        .collect()
}

/// Casts one ballot per credential, all at once.
async fn cast_all(s: &AppState, creds: &[Credential]) {
    let opened = s
        .elections
        .opened(&s.db, &s.board, DEMO_ID)
        .await
        .expect("open");
    let mut tasks = Vec::new();
    for (i, c) in creds.iter().enumerate() {
        let selection =
            Selection::from_chosen(&opened.ctx.manifest, &[vec![i % 13]]).expect("a selection");
        let (ballot, _) =
            Ballot::build(&opened.ctx, c, &selection, &mut rand::rng()).expect("built");
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.elections
                .cast(
                    &s.db,
                    &s.board,
                    DEMO_ID,
                    serde_json::to_vec(&ballot).unwrap().into(),
                )
                .await
        }));
    }
    for t in tasks {
        t.await.expect("joined").expect("cast");
    }
}

/// Teller `j`'s decryption share of the demo election's tally, from its demo file.
async fn share(s: &AppState, dir: &Path, j: u32) -> DecryptionShare {
    let file: DemoTeller = serde_json::from_slice(
        &std::fs::read(dir.join(format!("teller-{j}.json"))).expect("a teller file"),
    )
    .expect("a teller");
    let seed: [u8; 32] = hex::decode(&file.signing_key)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let x: [u8; 32] = hex::decode(&file.share)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let el = &s.elections;
    let tally = el.tally(&s.board, DEMO_ID).await.expect("a tally");
    let output = el
        .ceremony_output(&s.board, DEMO_ID)
        .await
        .expect("an output");
    let fingerprint = el
        .opened(&s.db, &s.board, DEMO_ID)
        .await
        .expect("open")
        .ctx
        .fingerprint;
    let head = s.board.head(DEMO_ID).await.expect("a head").head;
    DecryptionShare::compute_with(
        fingerprint.0,
        &SigningKey::from_bytes(&seed),
        (
            j,
            &SecretShare::from_bytes(&x).expect("a share"),
            output.verification_key(j).expect("a key"),
        ),
        BoardHeadRef {
            size: head.size,
            root: head.root,
        },
        &tally.flatten(),
        &mut rand::rng(),
    )
}

/// Appends `event` (with `effects`, in `state`) straight to the board: the first append of a
/// lifecycle operation without its second, as if the server had stopped in between.
async fn append_alone(
    s: &AppState,
    id: &str,
    event: Event,
    state: ElectionState,
    effects: Vec<Effect>,
) {
    let job = AppendJob {
        events: vec![event],
        preconditions: vec![Precondition::State(vec![state])],
        effects,
        receipt_for: None,
    };
    s.board.append(id, job).await.expect("appended");
}

/// The first append of closing: the close entry and the state `closed`, without the tally.
async fn close_alone(s: &AppState) {
    let closed = vec![Effect::SetState(ElectionState::Closed)];
    let close = Event::Close { ballots: 0 };
    append_alone(s, DEMO_ID, close, ElectionState::Open, closed).await;
}

async fn state_of(s: &AppState, id: &str) -> ElectionState {
    s.elections.state(&s.db, id).await.expect("a state")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_and_result_are_finished_after_a_crash() {
    let scratch = Scratch::new();
    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("connect");
    let info = demo::setup(&s, &scratch.0, 6).await.expect("the demo");
    cast_all(&s, &credentials(&info.dir)).await;

    // The close is committed; the tally is not (the server stopped in between).
    close_alone(&s).await;
    assert!(s.elections.tally(&s.board, DEMO_ID).await.is_err());

    // The next start appends the tally, once.
    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("restart");
    s.elections.tally(&s.board, DEMO_ID).await.expect("a tally");
    s.elections
        .resume(&s.db, &s.board, DEMO_ID)
        .await
        .expect("resume");
    let k = kinds(&all_entries(&s, DEMO_ID).await);
    assert_eq!(k.iter().filter(|k| *k == "tally").count(), 1);
    assert_eq!(k[k.len() - 2..], ["close", "tally"]);
    // A second close is refused (it is done).
    assert!(s.elections.close(&s.db, &s.board, DEMO_ID).await.is_err());

    // Three shares are committed; the result is not.
    for j in [1, 4, 5] {
        let share = Event::DecryptionShare(share(&s, &info.dir, j).await);
        let record = Effect::RecordCeremonyMessage {
            round: "decryption_share",
            teller: j,
        };
        append_alone(&s, DEMO_ID, share, ElectionState::Closed, vec![record]).await;
    }
    assert_eq!(state_of(&s, DEMO_ID).await, ElectionState::Closed);

    // The next start computes the result.
    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("restart");
    assert_eq!(state_of(&s, DEMO_ID).await, ElectionState::Tallied);
    let entries = all_entries(&s, DEMO_ID).await;
    let Event::Result { counts, outcome } = Entry::from_bytes(entries.last().expect("entries"))
        .expect("an entry")
        .event
    else {
        panic!("the last entry is not the result");
    };
    let mut want = vec![vec![0u64; 13]];
    for i in 0..6 {
        want[0][i % 13] += 1;
    }
    assert_eq!(counts, want);
    assert_eq!((outcome.ballots, outcome.roll), (6, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_tally_lost_to_a_fault_is_appended_by_closing_again() {
    let scratch = Scratch::new();
    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("connect");
    demo::setup(&s, &scratch.0, 2).await.expect("the demo");
    close_alone(&s).await;
    // No restart: staff close again, and get the tally.
    s.elections
        .close(&s.db, &s.board, DEMO_ID)
        .await
        .expect("closing again appends the tally");
    s.elections.tally(&s.board, DEMO_ID).await.expect("a tally");
    assert!(s.elections.close(&s.db, &s.board, DEMO_ID).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ceremony_verdict_is_finished_after_a_crash() {
    let scratch = Scratch::new();
    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("connect");
    let (db, board, el) = (&s.db, &*s.board, &*s.elections);
    let mut manifest = samples::up_to_k_of_n("resume", 4, 2, TellerParams { n: 3, t: 2 });
    manifest.board = board.params("resume");
    el.create(board, manifest.clone(), None)
        .await
        .expect("created");
    let mut rng = rand::rng();
    let params = ceremony_params(&manifest);
    let signing: Vec<SigningKey> = (0..3).map(|_| SigningKey::generate(&mut rng)).collect();
    let keys = signing
        .iter()
        .map(|k| Bytes(k.verifying_key().to_bytes()))
        .collect();
    el.start_ceremony(db, board, "resume", keys)
        .await
        .expect("tellers");
    let post = |m: CeremonyMessage| el.post_ceremony_message(db, board, "resume", m);
    let mut s0 = Vec::new();
    for (i, k) in signing.iter().enumerate() {
        let (st, a) = Teller::new(params, i as u32 + 1, k.clone(), &mut rng).expect("r0");
        post(CeremonyMessage::Announcement(a))
            .await
            .expect("posted");
        s0.push(st);
    }
    let (_, t) = el.ceremony(board, "resume").await.expect("transcript");
    let mut s1 = Vec::new();
    for st in s0 {
        let (st, c) = st.commit(&t.announcements, &mut rng).expect("r1");
        post(CeremonyMessage::Commitment(c)).await.expect("posted");
        s1.push(st);
    }
    let (_, t) = el.ceremony(board, "resume").await.expect("transcript");
    let mut s2 = Vec::new();
    for st in s1 {
        let (st, r) = st.reveal(&t.commitments).expect("r2");
        post(CeremonyMessage::Reveal(r)).await.expect("posted");
        s2.push(st);
    }
    let (_, t) = el.ceremony(board, "resume").await.expect("transcript");
    let mut checks = Vec::new();
    for st in s2 {
        checks.push(st.check_shares(&t.reveals, &mut rng).expect("r3").1);
    }
    let last = checks.pop().expect("three checks");
    for c in checks {
        post(CeremonyMessage::ShareCheck(c)).await.expect("posted");
    }
    // The last share check is committed; the verdict is not.
    let record = Effect::RecordCeremonyMessage {
        round: "share_check",
        teller: 3,
    };
    let last = Event::ShareCheck(last);
    append_alone(&s, "resume", last, ElectionState::KeyCeremony, vec![record]).await;
    assert_eq!(state_of(&s, "resume").await, ElectionState::KeyCeremony);

    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("restart");
    assert_eq!(state_of(&s, "resume").await, ElectionState::Registration);
    s.elections
        .ceremony_output(&s.board, "resume")
        .await
        .expect("the output");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_close_counts_the_ballots_before_it_while_ballots_arrive() {
    let scratch = Scratch::new();
    let s = AppState::connect(&scratch.url(), &scratch.key())
        .await
        .expect("connect");
    let info = demo::setup(&s, &scratch.0, 200).await.expect("the demo");
    let opened = s
        .elections
        .opened(&s.db, &s.board, DEMO_ID)
        .await
        .expect("open");
    let selection = Selection::from_chosen(&opened.ctx.manifest, &[vec![0]]).expect("selection");
    let ballots: Vec<Ballot> = credentials(&info.dir)
        .iter()
        .map(|c| {
            Ballot::build(&opened.ctx, c, &selection, &mut rand::rng())
                .expect("built")
                .0
        })
        .collect();
    let tasks: Vec<_> = ballots
        .into_iter()
        .map(|ballot| {
            let s = s.clone();
            tokio::spawn(async move {
                s.elections
                    .cast(
                        &s.db,
                        &s.board,
                        DEMO_ID,
                        serde_json::to_vec(&ballot).unwrap().into(),
                    )
                    .await
            })
        })
        .collect();
    // Close once some ballots are in, while the others are being verified and appended.
    loop {
        let status = s.elections.status(&s.db, DEMO_ID).await.expect("status");
        if status.ballots >= 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    s.elections
        .close(&s.db, &s.board, DEMO_ID)
        .await
        .expect("closed");
    let mut accepted = 0;
    for t in tasks {
        accepted += usize::from(t.await.expect("joined").is_ok());
    }

    let entries = all_entries(&s, DEMO_ID).await;
    let events: Vec<Event> = entries
        .iter()
        .map(|b| Entry::from_bytes(b).expect("an entry").event)
        .collect();
    let close = events
        .iter()
        .position(|e| matches!(e, Event::Close { .. }))
        .expect("a close entry");
    let before = events[..close]
        .iter()
        .filter(|e| matches!(e, Event::Ballot(_)))
        .count();
    let Event::Close { ballots } = events[close] else {
        unreachable!()
    };
    assert_eq!(
        ballots as usize, before,
        "the close counts the ballots before it"
    );
    assert_eq!(
        before, accepted,
        "every accepted ballot is before the close"
    );
    assert!(
        events[close + 1..]
            .iter()
            .all(|e| !matches!(e, Event::Ballot(_)))
    );
    println!("{accepted} ballots were in before the close (of 200)");
}
