//! Verifying cast ballots in batches as they arrive.
//!
//! Every ballot posted to an open election is decoded and verified off the async runtime, on
//! the rayon pool. Ballots that arrive while the pool is busy wait in one queue per election
//! and are then decoded and verified together: one `verify_ballots` call, with one multiscalar
//! multiplication for all their proofs and one for all their signatures (`spec/protocol.md`
//! §5.6, §7.5). Each ballot still gets its own verdict, the verdict of verifying it alone
//! (a failing batch is bisected), so batching changes how fast, never what is accepted.
//!
//! At most one batch per core is in flight; a batch takes every ballot waiting, up to
//! [`MAX_BATCH`]. Under light load a batch is one ballot (no waiting for company); under heavy
//! load batches grow, and so does the work saved per ballot.

use std::sync::{Arc, Weak};

use axum::body::Bytes;
use piaojue_crypto::ballot::{Ballot, BallotError, VerifiedBallot, verify_ballots};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::elections::Opened;
use crate::error::ApiError;
use crate::telemetry;

/// Most ballots verified in one batch: large enough to share the fixed costs, small enough that
/// a batch takes a few milliseconds.
pub const MAX_BATCH: usize = 32;
/// Ballots that may wait for verification per election before a cast is refused as busy.
const QUEUE: usize = 4096;

/// A ballot's body and where its verdict goes.
struct Request {
    body: Bytes,
    reply: oneshot::Sender<Result<VerifiedBallot, ApiError>>,
}

/// The queue of an open election's ballots waiting to be verified.
#[derive(Clone)]
pub struct CastQueue {
    tx: mpsc::Sender<Request>,
}

impl CastQueue {
    /// Starts the election's batcher: a task that ends when the queue is dropped with its
    /// election's [`Opened`] (which it only holds weakly).
    pub fn start(opened: Weak<Opened>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(batcher(opened, rx));
        CastQueue { tx }
    }

    /// Decodes and verifies a ballot's JSON body (with whatever other ballots are waiting).
    pub async fn verify(&self, body: Bytes) -> Result<VerifiedBallot, ApiError> {
        let (reply, answer) = oneshot::channel();
        let arrived = std::time::Instant::now();
        self.tx.try_send(Request { body, reply }).map_err(|_| {
            ApiError::TooManyRequests(
                "too many ballots are waiting to be verified; try again in a moment".into(),
            )
        })?;
        telemetry::cast_queue(1.0);
        let verdict = answer
            .await
            .map_err(|_| ApiError::Internal("ballot verification stopped".into()))?;
        telemetry::ballot_verified(arrived.elapsed());
        verdict
    }
}

async fn batcher(opened: Weak<Opened>, mut rx: mpsc::Receiver<Request>) {
    let slots = Arc::new(Semaphore::new(rayon::current_num_threads().max(1)));
    while let Some(first) = rx.recv().await {
        // Wait for a free core; meanwhile more ballots queue up and join this batch.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        telemetry::cast_queue(-(batch.len() as f64));
        let Some(opened) = opened.upgrade() else {
            break;
        };
        rayon::spawn(move || {
            let started = std::time::Instant::now();
            let n = batch.len();
            verify_batch(&opened, batch);
            tracing::debug!(
                target: "piaojue_server::timing",
                ballots = n,
                ms = started.elapsed().as_secs_f64() * 1e3,
                "verify batch"
            );
            drop(slot);
        });
    }
}

/// Decodes every body (a body that is not a ballot is answered 400 at once), verifies the
/// ballots together and answers each.
fn verify_batch(opened: &Opened, batch: Vec<Request>) {
    let mut replies = Vec::with_capacity(batch.len());
    let mut ballots = Vec::with_capacity(batch.len());
    for r in batch {
        match piaojue_crypto::json::from_slice::<Ballot>(&r.body) {
            Ok(b) => {
                ballots.push(b);
                replies.push(r.reply);
            }
            Err(e) => {
                let _ = r
                    .reply
                    .send(Err(ApiError::BadRequest(format!("invalid JSON: {e}"))));
            }
        }
    }
    let out = verify_ballots(&opened.ctx, &opened.credentials, ballots);
    let mut replies: Vec<Option<_>> = replies.into_iter().map(Some).collect();
    for (i, b) in out.verified {
        if let Some(reply) = replies[i].take() {
            let _ = reply.send(Ok(b));
        }
    }
    for (i, e, _) in out.rejected {
        if let Some(reply) = replies[i].take() {
            let _ = reply.send(Err(refusal(e)));
        }
    }
}

/// The answer to a ballot that does not verify (422).
pub fn refusal(e: BallotError) -> ApiError {
    match e {
        BallotError::WrongElection => {
            ApiError::Invalid("the ballot is for another election (its fingerprint differs)".into())
        }
        other => ApiError::Invalid(other.to_string()),
    }
}
