//! The server's metrics in the Prometheus text format (`spec/api.md` §7.7), served on a
//! listener of their own (`piaojue serve --metrics-listen ADDR`), never on the public port.
//!
//! Counters and histograms are recorded where things happen (casting, the log writer) through
//! the `metrics` crate; without `--metrics-listen` no recorder is installed and recording costs
//! nothing. Gauges that describe the state (board sizes, the pool, witness lag, the log
//! writers' queues) are read at each scrape.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::Row;

use crate::error::ApiError;
use crate::state::AppState;

/// Ballots accepted (committed to the board).
pub const BALLOTS_ACCEPTED: &str = "piaojue_ballots_accepted_total";
/// Ballots refused, by `reason` (the API's error code, `spec/api.md` §6).
pub const BALLOTS_REFUSED: &str = "piaojue_ballots_refused_total";
/// Time from a ballot's arrival in its election's verification queue to its verdict.
pub const VERIFY_SECONDS: &str = "piaojue_ballot_verification_seconds";
/// Time one log writer batch took to commit (its transaction, with the signed head).
pub const COMMIT_SECONDS: &str = "piaojue_log_commit_seconds";
/// Jobs (a ballot, an event …) in one log writer batch.
pub const BATCH_JOBS: &str = "piaojue_log_batch_jobs";
/// Ballots waiting for verification, all elections together.
pub const CAST_QUEUE: &str = "piaojue_cast_queue_ballots";
/// Jobs waiting for an election's log writer.
pub const LOG_QUEUE: &str = "piaojue_log_queue_jobs";
/// Entries on an election's log.
pub const BOARD_ENTRIES: &str = "piaojue_board_entries";
/// The database pool's connections, by `state` (`in_use`, `idle`).
pub const DB_CONNECTIONS: &str = "piaojue_db_connections";
/// Entries of an election's log not yet cosigned by a witness it names.
pub const WITNESS_LAG: &str = "piaojue_witness_lag_entries";

/// Installs the process's recorder (once) and answers its handle.
pub fn install() -> Result<PrometheusHandle, metrics::SetRecorderError<String>> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let recorder = builder().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|e| {
        metrics::SetRecorderError(format!("a metrics recorder is installed already: {e}"))
    })?;
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// The exporter's settings: histograms with buckets (not summaries), and the descriptions.
fn builder() -> PrometheusBuilder {
    let seconds = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let jobs = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(BATCH_JOBS.into()), &jobs))
        .expect("the buckets are not empty")
}

/// Describes the metrics (their `# HELP` lines).
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(BALLOTS_ACCEPTED, "ballots committed to the board");
    describe_counter!(
        BALLOTS_REFUSED,
        "ballots refused, by reason (the API's error code)"
    );
    describe_histogram!(
        VERIFY_SECONDS,
        Unit::Seconds,
        "time from a ballot's arrival in the verification queue to its verdict"
    );
    describe_histogram!(
        COMMIT_SECONDS,
        Unit::Seconds,
        "time one log writer batch took to commit"
    );
    describe_histogram!(BATCH_JOBS, "jobs in one log writer batch");
    describe_gauge!(CAST_QUEUE, "ballots waiting for verification");
    describe_gauge!(LOG_QUEUE, "jobs waiting for an election's log writer");
    describe_gauge!(BOARD_ENTRIES, "entries on an election's log");
    describe_gauge!(DB_CONNECTIONS, "the database pool's connections, by state");
    describe_gauge!(
        WITNESS_LAG,
        "entries of an election's log not yet cosigned by one of its witnesses"
    );
}

/// A cast ballot was committed to the board, or refused with its error's code.
pub fn ballot_cast<T>(outcome: &Result<T, ApiError>) {
    match outcome {
        Ok(_) => metrics::counter!(BALLOTS_ACCEPTED).increment(1),
        Err(e) => metrics::counter!(BALLOTS_REFUSED, "reason" => e.code()).increment(1),
    }
}

/// A ballot's verification took `took` (waiting in the queue included).
pub fn ballot_verified(took: Duration) {
    metrics::histogram!(VERIFY_SECONDS).record(took.as_secs_f64());
}

/// Ballots entered (`+n`) or left (`-n`) the verification queues.
pub fn cast_queue(delta: f64) {
    metrics::gauge!(CAST_QUEUE).increment(delta);
}

/// A log writer batch of `jobs` jobs took `took` to commit (or to fail).
pub fn log_batch(jobs: usize, took: Duration) {
    metrics::histogram!(BATCH_JOBS).record(jobs as f64);
    metrics::histogram!(COMMIT_SECONDS).record(took.as_secs_f64());
}

/// The router of the metrics listener: `GET /metrics`.
pub fn router(state: AppState, handle: PrometheusHandle) -> Router {
    describe();
    Router::new()
        .route("/metrics", axum::routing::get(scrape))
        .with_state((state, handle))
}

async fn scrape(State((s, handle)): State<(AppState, PrometheusHandle)>) -> Response {
    if let Err(e) = read_gauges(&s).await {
        tracing::warn!(error = %e, "metrics: could not read the gauges of the database");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the database does not answer\n",
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// Sets the gauges that describe the state now.
async fn read_gauges(s: &AppState) -> Result<(), sqlx::Error> {
    let pool = &s.db.pool;
    let idle = pool.num_idle() as f64;
    metrics::gauge!(DB_CONNECTIONS, "state" => "idle").set(idle);
    metrics::gauge!(DB_CONNECTIONS, "state" => "in_use").set(f64::from(pool.size()) - idle);
    for (election, queued) in s.board.queued_jobs().await {
        metrics::gauge!(LOG_QUEUE, "election" => election).set(queued as f64);
    }
    let rows = sqlx::query("SELECT id, log_size, manifest FROM elections")
        .fetch_all(pool)
        .await?;
    for r in rows {
        let id: String = r.try_get(0)?;
        let size: i64 = r.try_get(1)?;
        metrics::gauge!(BOARD_ENTRIES, "election" => id.clone()).set(size as f64);
        let manifest: String = r.try_get(2)?;
        let Ok(manifest) =
            piaojue_crypto::json::from_str::<piaojue_crypto::manifest::Manifest>(&manifest)
        else {
            continue;
        };
        for w in &manifest.witnesses.list {
            let cosigned: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(size) FROM cosignatures WHERE election_id = $1 AND witness = $2",
            )
            .bind(&id)
            .bind(&w.name)
            .fetch_one(pool)
            .await?;
            let lag = (size - cosigned.unwrap_or(0)).max(0);
            metrics::gauge!(WITNESS_LAG, "election" => id.clone(), "witness" => w.name.clone())
                .set(lag as f64);
        }
    }
    Ok(())
}

/// Serves the metrics router on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
