//! # piaojue-server
//!
//! The ballot server and public bulletin board of Piaojue (票决): runs an election from set-up
//! to result and publishes every event on an append-only, hash-linked, signed log that anyone
//! can read and nobody can quietly rewrite. It never sees a plaintext vote or a teller's secret.
//!
//! * [`db`] — SQLite (default) or PostgreSQL through one `sqlx::AnyPool`, SQL in migrations.
//! * [`board`] — the per-election Merkle log with group commit and signed tree heads.
//! * [`elections`] — the lifecycle: draft → key ceremony → registration → open → closed →
//!   tallied → published.
//! * [`cycle`] — the yearly cycle: congresses, proposals, screening, approval, year plan,
//!   supervision, evaluation.
//! * [`routes`] — the HTTP API; [`auth`] — roles; [`pages`] — the web pages.
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
pub mod backup;
pub mod board;
pub mod casting;
pub mod client_addr;
pub mod connections;
pub mod cycle;
pub mod db;
pub mod demo;
pub mod downloads;
pub mod elections;
pub mod error;
pub mod export;
pub mod failure_log;
pub mod health;
pub mod lifecycle;
pub mod limits;
pub mod pages;
pub mod routes;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod witnessing;
pub mod write_guard;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::trace::TraceLayer;

pub use state::{AppState, ElectionState};

/// Largest request body: a ballot of the largest manifest is far smaller.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

impl AppState {
    /// Connects to the database (running migrations), opens the board with the signing key
    /// in `board_key_file` (created on first start; see [`board::key_file`]) and checks every
    /// election's board against its signed heads ([`board::verify`]).
    pub async fn connect(
        database_url: &str,
        board_key_file: &std::path::Path,
    ) -> Result<Self, StartError> {
        Self::connect_with(database_url, board_key_file, board::BoardConfig::default()).await
    }

    /// [`AppState::connect`] with the board's name and witnesses.
    pub async fn connect_with(
        database_url: &str,
        board_key_file: &std::path::Path,
        config: board::BoardConfig,
    ) -> Result<Self, StartError> {
        let db = db::Db::connect(database_url).await?;
        let board = Arc::new(board::Board::open(db.clone(), board_key_file, config).await?);
        let started = std::time::Instant::now();
        let checked = board::verify::verify_all(&db.pool).await?;
        tracing::info!(
            elections = checked.elections,
            entries = checked.entries,
            heads = checked.heads,
            ms = started.elapsed().as_millis() as u64,
            "every election's board matches its signed heads"
        );
        // Staff actions a previous run died in: their outcome is unknown (spec/api.md §7.8).
        match audit::interrupt_pending(&db.pool).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                rows = n,
                "staff actions were in progress when the server last stopped: marked interrupted in the audit trail; check those elections' state"
            ),
            Err(e) => tracing::error!(error = %e, "could not mark interrupted staff actions"),
        }
        let elections = Arc::new(elections::Elections::default());
        // Finish what a previous run left between two appends (a ceremony's verdict, a tally,
        // a result).
        if let Err(e) = elections.resume_all(&db, &board).await {
            tracing::error!(error = %e, "could not look for elections to resume");
        }
        // Submit checkpoints to the elections' witnesses, off the casting path.
        witnessing::Witnessing::spawn(db.clone(), board.clone(), elections.clone());
        Ok(AppState {
            db,
            board,
            elections,
            cycle: Arc::default(),
            staff_token_ttl: None,
            downloads: Arc::default(),
        })
    }
}

/// Why the server could not start on a database.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database (connecting, migrating, a schema newer than this build's).
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    /// The board key.
    #[error(transparent)]
    Key(#[from] board::key_file::BoardKeyError),
    /// An election's board does not match its signed heads.
    #[error(transparent)]
    Board(#[from] board::verify::BoardCheckError),
}

impl AppState {
    /// Shuts down what serves no request: the board's log writers commit and answer every
    /// append already queued, the background tasks (witnessing) stop, and the database's
    /// connections are closed. Call once the server stopped accepting and its requests ended.
    pub async fn shutdown(&self) {
        self.board.shutdown().await;
        self.db.pool.close().await;
    }

    /// This state with staff tokens valid for `ttl` after they are made (`None`: until
    /// revoked).
    pub fn with_staff_token_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.staff_token_ttl = ttl;
        self
    }

    /// This state serving these downloads (`GET /downloads/{file}`, `GET /api/downloads`).
    pub fn with_downloads(mut self, downloads: downloads::Downloads) -> Self {
        self.downloads = Arc::new(downloads);
        self
    }

    /// This state with another limit on public proposal submissions: `limit` per client
    /// address in `window`.
    pub fn with_proposal_limit(mut self, limit: usize, window: Duration) -> Self {
        self.cycle = Arc::new(cycle::CycleState {
            proposals: cycle::RateLimit::new(limit, window),
        });
        self
    }
}

/// The application: the API with the default limits and request tracing.
pub fn app(state: AppState) -> Router {
    app_with_limits(state, limits::LimitConfig::default())
}

/// The application with these limits (`spec/api.md` §Limits). The trace layer logs each
/// request's method, path and status, never its headers (the staff token) or body.
pub fn app_with_limits(state: AppState, config: limits::LimitConfig) -> Router {
    limits::layer(
        routes::router()
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                audit::record,
            ))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .layer(axum::middleware::from_fn(write_guard::check_writes)),
        config,
    )
    .layer(axum::middleware::from_fn(security_headers))
    .layer(TraceLayer::new_for_http().on_failure(failure_log::ThrottledFailureLog::default()))
    .with_state(state)
}

/// Headers on every answer (`spec/api.md` §6.2): `X-Content-Type-Options: nosniff` (a browser
/// never runs an answer as another type than it says), and on every API answer
/// `Cache-Control: no-store` (answers carrying deputy codes, proposals' private contacts or the
/// staff session must not stay in a shared or browser cache; the public board is read fresh).
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Serves the application on a bound listener until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_limits(listener, state, limits::LimitConfig::default(), shutdown).await
}

/// [`serve`] with these limits, on the accept loop of [`connections::serve`] (timeouts on
/// headers and idle connections, the caps on connections).
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    state: AppState,
    config: limits::LimitConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_tls(listener, state, config, None, shutdown).await
}

/// [`serve_with_limits`] over TLS when `tls` is given ([`tls::Tls`]: HTTPS only, the
/// certificate reloaded when its files change).
pub async fn serve_with_tls(
    listener: tokio::net::TcpListener,
    state: AppState,
    config: limits::LimitConfig,
    tls: Option<std::sync::Arc<tls::Tls>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve(
        listener,
        app_with_limits(state, config.clone()),
        &config,
        tls,
        shutdown,
    )
    .await
}
