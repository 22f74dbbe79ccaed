//! API errors: every refusal is a 4xx with a JSON body `{"error": code, "message": text}` and
//! changes nothing; server faults are a 500 whose details go to the log, not to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `Retry-After` of a 503 `storage_full`, in seconds.
pub const STORAGE_RETRY_SECS: u32 = 30;

/// Why a request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, bad encoding, impossible value).
    #[error("{0}")]
    BadRequest(String),
    /// No or wrong credentials for this endpoint.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A write a browser sent from a page of another site (`spec/api.md` §6.3).
    #[error("{0}")]
    CrossOrigin(String),
    /// No such election, entry or receipt.
    #[error("{0}")]
    NotFound(String),
    /// The endpoint exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The body is larger than [`crate::MAX_BODY`].
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The election is not in a state that allows this, or the thing exists already.
    #[error("{0}")]
    Conflict(String),
    /// A write whose `Content-Type` is not the one it must carry (`spec/api.md` §6.3).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A cast ballot whose ciphertexts are an audited ballot's, or an audited ballot whose
    /// ciphertexts are a cast ballot's (`spec/verification.md` V6.3).
    #[error("{0}")]
    AuditedCiphertexts(String),
    /// A ballot or message that decodes but does not verify.
    #[error("{0}")]
    Invalid(String),
    /// A manifest that names another board or other witnesses than this server's
    /// (`spec/api.md` §3).
    #[error("{0}")]
    BoardMismatch(String),
    /// Too many requests.
    #[error("{0}")]
    TooManyRequests(String),
    /// The request took longer than the server's timeout.
    #[error("{0}")]
    Timeout(String),
    /// The server is at its limit of requests in progress.
    #[error("{0}")]
    Unavailable(String),
    /// The database's storage is full: nothing can be recorded until an operator makes room.
    #[error("{0}")]
    StorageFull(String),
    /// A fault of the server (database …).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::CrossOrigin(_) => "cross_origin",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::Conflict(_) => "conflict",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::AuditedCiphertexts(_) => "audited_ciphertexts",
            ApiError::Invalid(_) => "invalid",
            ApiError::BoardMismatch(_) => "board_mismatch",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::StorageFull(_) => "storage_full",
            ApiError::Timeout(_) => "timeout",
            ApiError::Internal(_) => "internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::CrossOrigin(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Conflict(_) | ApiError::AuditedCiphertexts(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) | ApiError::BoardMismatch(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::StorageFull(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match crate::health::StorageFault::of(&e) {
            // Logged once by the log writer when the fault starts, not once per request.
            crate::health::StorageFault::Full(_) => ApiError::StorageFull(
                "the server's storage is full: nothing was recorded; try again later".into(),
            ),
            crate::health::StorageFault::Other => {
                tracing::error!(error = %e, "database error");
                ApiError::Internal("database error".into())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match &self {
            ApiError::Internal(_) => "internal server error".to_string(),
            other => other.to_string(),
        };
        let mut res = (
            self.status(),
            Json(json!({ "error": self.code(), "message": message })),
        )
            .into_response();
        match self {
            // Space comes back when an operator makes room: not within a second.
            ApiError::StorageFull(_) => {
                res.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, STORAGE_RETRY_SECS.into());
            }
            // RFC 9110 §11.6.1: a 401 names the scheme it wants.
            ApiError::Unauthorized(_) => {
                res.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer realm=\"piaojue\""),
                );
            }
            _ => {}
        }
        res
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
