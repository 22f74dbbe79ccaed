//! Roles. Staff present a bearer token (only its SHA-256 is stored; a token is shown once,
//! when it is made). Tellers are authenticated by the ed25519 signatures on their ceremony
//! messages and by the proofs in their decryption shares, deputies by their credential's
//! signature on the ballot; the public reads.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use rand::RngExt;
use sha2::{Digest, Sha256};
use sqlx::Row;
use subtle::ConstantTimeEq;

use crate::db::Db;
use crate::error::ApiError;
use crate::state::AppState;

/// Proof that the request carries a valid staff token.
#[derive(Debug, Clone, Copy)]
pub struct Staff;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Who a valid staff token is, for the audit trail ([`crate::audit`]): never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIdentity {
    /// The first 12 hex digits of the token's SHA-256 (what the database keeps of it).
    pub token_id: String,
    /// The token's label (`first start`, `rotated` …).
    pub label: String,
}

/// Length of [`StaffIdentity::token_id`].
pub const TOKEN_ID_LEN: usize = 12;

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        identify(state, &parts.headers).await.map(|_| Staff)
    }
}

/// The staff member whose token the request carries: 400 for two `Authorization` headers, 401
/// for none or one of another scheme, 403 for a token that is not valid or has expired.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<StaffIdentity, ApiError> {
    // One Authorization header: with two, which one a proxy or the server reads is
    // anybody's guess (issue 19 §3).
    if headers
        .get_all(axum::http::header::AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
    {
        return Err(ApiError::BadRequest(
            "more than one Authorization header".into(),
        ));
    }
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::Unauthorized("staff only: send Authorization: Bearer <staff token>".into())
        })?;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be 'Bearer <staff token>'".into())
        })?;
    let hash = token_hash(token.trim());
    // Tokens made before this time have expired (`serve --staff-token-ttl`).
    let oldest = state.staff_token_ttl.map_or(i64::MIN, |ttl| {
        crate::cycle::now_ms() - ttl.as_millis() as i64
    });
    let rows = sqlx::query("SELECT token_hash, created_ms, label FROM staff_tokens")
        .fetch_all(&state.db.pool)
        .await?;
    let (mut valid, mut expired) = (subtle::Choice::from(0u8), subtle::Choice::from(0u8));
    let mut label = String::new();
    for r in rows {
        let stored: String = r.try_get(0)?;
        let created: i64 = r.try_get(1)?;
        let same = stored.as_bytes().ct_eq(hash.as_bytes());
        let fresh = subtle::Choice::from(u8::from(created >= oldest));
        if bool::from(same) {
            label = r.try_get(2)?;
        }
        valid |= same & fresh;
        expired |= same & !fresh;
    }
    if bool::from(valid) {
        Ok(StaffIdentity {
            token_id: hash[..TOKEN_ID_LEN].to_string(),
            label,
        })
    } else if bool::from(expired) {
        Err(ApiError::Forbidden(
            "this staff token has expired: ask for a new one (piaojue serve --rotate-staff-token)"
                .into(),
        ))
    } else {
        Err(ApiError::Forbidden("this staff token is not valid".into()))
    }
}

/// Revokes every staff token (`serve --rotate-staff-token` then makes a new one).
pub async fn revoke_staff_tokens(db: &Db) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM staff_tokens")
        .execute(&db.pool)
        .await?
        .rows_affected())
}

/// Makes a new staff token, stores its hash and returns the token (shown once).
pub async fn create_staff_token(db: &Db, label: &str) -> Result<String, sqlx::Error> {
    let bytes: [u8; 24] = rand::rng().random();
    let token = format!("pjs_{}", hex::encode(bytes));
    sqlx::query("INSERT INTO staff_tokens (token_hash, label, created_ms) VALUES ($1, $2, $3)")
        .bind(token_hash(&token))
        .bind(label)
        .bind(crate::cycle::now_ms())
        .execute(&db.pool)
        .await?;
    Ok(token)
}

/// Whether any staff token exists.
pub async fn has_staff_token(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("SELECT 1 FROM staff_tokens LIMIT 1")
        .fetch_optional(&db.pool)
        .await?
        .is_some())
}
