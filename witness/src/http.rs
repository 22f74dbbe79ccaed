//! The witness's HTTP interface (`spec/witness.md` §3): `POST /add-checkpoint`,
//! `GET /<origin hash>/checkpoint`, `GET /healthz`. Bodies are bounded
//! ([`crate::request::MAX_REQUEST_BYTES`], else 413) and so is the time of a request
//! ([`REQUEST_TIMEOUT`], else 408).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;

use crate::request::MAX_REQUEST_BYTES;
use crate::{Reply, Witness};

/// The longest a request may take, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, self.content_type)],
            self.body,
        )
            .into_response()
    }
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Reply {
    w.add_checkpoint(&body).await
}

async fn checkpoint(State(w): State<Arc<Witness>>, Path(hash): Path<String>) -> Reply {
    w.checkpoint(&hash).await
}

async fn healthz(State(w): State<Arc<Witness>>) -> Reply {
    if w.store().healthy().await {
        Reply::text(200, "ok")
    } else {
        Reply::text(503, "the witness state does not answer")
    }
}

/// The witness's routes.
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", get(healthz))
        .route("/{hash}/checkpoint", get(checkpoint))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(witness)
}

/// Serves the witness on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    witness: Arc<Witness>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(witness))
        .with_graceful_shutdown(shutdown)
        .await
}
