//! The staff audit trail (`spec/api.md` §7.8): every write a staff token makes (creating,
//! opening, closing, publishing an election, registering its roll, the yearly cycle's staff
//! actions …) is kept in the table `staff_audit` with the time, the token's id and label (never
//! the token), the action, the election or object, the client's address (after
//! `--trusted-proxy`) and the outcome. `GET /api/staff/audit` lists it for the staff pages.
//!
//! The trail is kept by a middleware on the API's routes ([`record`]): it knows the staff
//! token before the handler runs and the outcome after, so that no handler has to remember to
//! write it, and a refused action (a wrong state, bad input) is kept too. Its row is written
//! right after the action's own transaction, not in it.

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::auth::{self, StaffIdentity};
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::routes::Query;
use crate::state::AppState;

/// Most rows one `GET /api/staff/audit` answers.
pub const MAX_LIMIT: u32 = 1000;
/// Rows answered when no `limit` is given.
pub const DEFAULT_LIMIT: u32 = 100;
/// Longest election id taken as a filter.
const MAX_ID: usize = 128;

/// The election an action concerns, when its path does not name it (the creation of an
/// election): set on the answer by the handler.
#[derive(Debug, Clone)]
pub struct AuditedElection(pub String);

/// The name of the staff write `method template`, or `None` for a request that is not one.
pub fn action(method: &Method, template: &str) -> Option<&'static str> {
    let name = match (method.as_str(), template) {
        ("POST", "/api/elections") => "create",
        ("POST", "/api/elections/{id}/tellers") => "start_ceremony",
        ("POST", "/api/elections/{id}/credentials") => "register_credentials",
        ("PUT", "/api/elections/{id}/roll") => "register_roll",
        ("POST", "/api/elections/{id}/open") => "open",
        ("POST", "/api/elections/{id}/close") => "close",
        ("POST", "/api/elections/{id}/publish") => "publish",
        ("POST", "/api/cycle/congresses") => "create_congress",
        ("POST", "/api/cycle/congresses/{id}/deputy-codes") => "deputy_codes",
        ("POST", "/api/cycle/proposals/{number}/decisions") => "decide_proposal",
        ("PUT", "/api/cycle/negative-list") => "set_negative_list",
        ("POST", "/api/cycle/candidates") => "create_candidate",
        ("POST", "/api/cycle/approvals") => "approve",
        ("POST", "/api/cycle/elections/{id}/revote") => "revote",
        ("POST", "/api/cycle/evaluations") => "evaluation",
        ("PUT", "/api/cycle/projects/{id}/plan") => "set_plan",
        ("POST", "/api/cycle/projects/{id}/progress") => "add_progress",
        ("POST", "/api/cycle/progress/{id}/attachments") => "add_attachment",
        _ => return None,
    };
    Some(name)
}

/// The middleware: for a staff write with a valid staff token, runs the request and keeps its
/// row. Anything else (the public's and the tellers' writes, reads, a missing or wrong token)
/// passes untouched: an attempt without a valid token is refused by the handler and names no
/// staff member.
pub async fn record(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let Some(template) = template else {
        return next.run(req).await;
    };
    let Some(action) = action(req.method(), &template) else {
        return next.run(req).await;
    };
    if !req
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        return next.run(req).await;
    }
    let Ok(staff) = auth::identify(&s, req.headers()).await else {
        return next.run(req).await;
    };
    let client = ClientAddr::of(req.extensions()).0;
    let path = req.uri().path().to_string();
    let object = first_param(&template, &path);
    let res = next.run(req).await;
    let election = res
        .extensions()
        .get::<AuditedElection>()
        .map(|e| e.0.clone())
        .or_else(|| {
            path.starts_with("/api/elections/")
                .then(|| object.clone())
                .flatten()
        })
        .or_else(|| {
            path.starts_with("/api/cycle/elections/")
                .then(|| object.clone())
                .flatten()
        });
    let row = PendingRow {
        staff,
        action,
        election,
        object,
        client: client.to_string(),
        status: res.status().as_u16(),
    };
    if let Err(e) = insert(&s, &row).await {
        tracing::error!(error = %e, action, "could not keep the staff audit row");
    }
    res
}

/// The value of the first parameter of `template` (`/api/elections/{id}/open`) in `path`.
fn first_param(template: &str, path: &str) -> Option<String> {
    template
        .split('/')
        .zip(path.split('/'))
        .find(|(t, _)| t.starts_with('{'))
        .map(|(_, v)| v.to_string())
}

/// A row before it is stored.
struct PendingRow {
    staff: StaffIdentity,
    action: &'static str,
    election: Option<String>,
    object: Option<String>,
    client: String,
    status: u16,
}

/// What came of an action, by its answer's status.
fn outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "done",
        400..=499 => "refused",
        _ => "failed",
    }
}

async fn insert(s: &AppState, r: &PendingRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO staff_audit (time_ms, token_id, staff_label, action, election_id, object_id, client, status, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(crate::cycle::now_ms())
    .bind(&r.staff.token_id)
    .bind(&r.staff.label)
    .bind(r.action)
    .bind(r.election.as_deref())
    .bind(r.object.as_deref())
    .bind(&r.client)
    .bind(i64::from(r.status))
    .bind(outcome(r.status))
    .execute(&s.db.pool)
    .await?;
    Ok(())
}

/// One row of the trail, as `GET /api/staff/audit` answers it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its number, increasing.
    pub id: i64,
    /// When, in milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The staff token's id (the first 12 hex digits of its SHA-256).
    pub token_id: String,
    /// The staff token's label.
    pub staff_label: String,
    /// The action ([`action`]).
    pub action: String,
    /// The election it concerns, if any.
    pub election_id: Option<String>,
    /// The object its path names (an election, a congress, a proposal, a project …), if any.
    pub object_id: Option<String>,
    /// The client's address.
    pub client: String,
    /// The answer's HTTP status.
    pub status: u16,
    /// `done` (2xx), `refused` (4xx) or `failed` (5xx).
    pub outcome: String,
}

/// The query of `GET /api/staff/audit`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only the rows of this election.
    pub election: Option<String>,
    /// Most rows, newest first (1 to [`MAX_LIMIT`]; default [`DEFAULT_LIMIT`]).
    pub limit: Option<u32>,
}

/// `GET /api/staff/audit?election=…&limit=…`: the newest rows first (staff only).
pub async fn list(
    State(s): State<AppState>,
    _: auth::Staff,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be from 1 to {MAX_LIMIT}"
        )));
    }
    if let Some(e) = &q.election
        && (e.is_empty() || e.len() > MAX_ID)
    {
        return Err(ApiError::BadRequest(format!(
            "election must be an election id of 1 to {MAX_ID} bytes"
        )));
    }
    let rows = sqlx::query(
        "SELECT id, time_ms, token_id, staff_label, action, election_id, object_id, client, status, outcome \
         FROM staff_audit WHERE ($1 IS NULL OR election_id = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(q.election.as_deref())
    .bind(i64::from(limit))
    .fetch_all(&s.db.pool)
    .await?;
    let entries = rows
        .iter()
        .map(|r| {
            let status: i64 = r.try_get(8)?;
            Ok(AuditEntry {
                id: r.try_get(0)?,
                time_ms: r.try_get(1)?,
                token_id: r.try_get(2)?,
                staff_label: r.try_get(3)?,
                action: r.try_get(4)?,
                election_id: r.try_get(5)?,
                object_id: r.try_get(6)?,
                client: r.try_get(7)?,
                status: u16::try_from(status).unwrap_or(0),
                outcome: r.try_get(9)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_writes_have_names_and_nothing_else_does() {
        assert_eq!(action(&Method::POST, "/api/elections"), Some("create"));
        assert_eq!(
            action(&Method::POST, "/api/elections/{id}/open"),
            Some("open")
        );
        assert_eq!(
            action(&Method::PUT, "/api/elections/{id}/roll"),
            Some("register_roll")
        );
        assert_eq!(action(&Method::GET, "/api/elections"), None);
        assert_eq!(action(&Method::POST, "/api/elections/{id}/ballots"), None);
        assert_eq!(action(&Method::POST, "/api/cycle/proposals"), None);
    }

    #[test]
    fn the_object_is_the_first_path_parameter() {
        assert_eq!(
            first_param("/api/elections/{id}/open", "/api/elections/e-1/open").as_deref(),
            Some("e-1")
        );
        assert_eq!(first_param("/api/elections", "/api/elections"), None);
    }

    #[test]
    fn outcomes_follow_the_status() {
        assert_eq!(outcome(201), "done");
        assert_eq!(outcome(409), "refused");
        assert_eq!(outcome(500), "failed");
    }
}
