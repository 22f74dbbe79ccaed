//! The staff audit trail (`spec/api.md` §7.8): every write a staff token makes (creating,
//! opening, closing, publishing an election, registering its roll, the yearly cycle's staff
//! actions …) is kept in the table `staff_audit` with the time, the token's id and label (never
//! the token), the action, the election or object, the client's address (after
//! `--trusted-proxy`) and the outcome. `GET /api/staff/audit` lists it for the staff pages.
//!
//! The trail is kept by a middleware on the API's routes ([`record`]), so that no handler has
//! to remember to write it, and a refused action (a wrong state, bad input) is kept too. It is
//! written ahead: the row is committed with the outcome `pending` before the action runs (if it
//! cannot be, the action is not run), and given the action's outcome after. A row still
//! `pending` when a server starts belongs to an action the server died in: [`interrupt_pending`]
//! marks it `interrupted` (the action may or may not have taken effect: staff look at the
//! election's state). So no action that took effect is missing from the trail.

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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
    let election = ["/api/elections/", "/api/cycle/elections/"]
        .iter()
        .any(|p| path.starts_with(p))
        .then(|| object.clone())
        .flatten();
    let row = PendingRow {
        staff,
        action,
        election,
        object,
        client: client.to_string(),
    };
    let id = match begin(&s, &row).await {
        Ok(id) => id,
        Err(e) => return refuse_unrecorded(e, action).into_response(),
    };
    // The action runs in a task of its own: a client that goes away, or the request's timeout,
    // does not cut it half-way, and its outcome is kept all the same.
    let task = {
        let s = s.clone();
        tokio::spawn(async move {
            let res = next.run(req).await;
            finish(&s, id, action, answered(&res)).await;
            res
        })
    };
    match task.await {
        Ok(res) => res,
        Err(e) => {
            // A handler that panicked: its row says so, its answer is a 500.
            tracing::error!(error = %e, action, "a staff action failed");
            let res = ApiError::Internal("the action failed".into()).into_response();
            finish(&s, id, action, answered(&res)).await;
            res
        }
    }
}

/// The answer to a staff action whose row could not be written ahead: the action is not run.
fn refuse_unrecorded(e: sqlx::Error, action: &str) -> ApiError {
    match crate::health::StorageFault::of(&e) {
        crate::health::StorageFault::Full(_) => ApiError::from(e),
        crate::health::StorageFault::Other => {
            tracing::error!(error = %e, action, "could not write the staff audit row: the action was not run");
            ApiError::Unavailable(
                "the staff audit trail could not be written, so nothing was done; try again later"
                    .into(),
            )
        }
    }
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
}

/// The outcome of a row written ahead, while its action runs.
pub const PENDING: &str = "pending";
/// The outcome of a row its server died with, marked at the next start.
pub const INTERRUPTED: &str = "interrupted";
/// The `status` column of a row that has no answer (pending or interrupted).
const NO_STATUS: i64 = 0;

/// What came of an action, by its answer's status.
fn outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "done",
        400..=499 => "refused",
        _ => "failed",
    }
}

/// Commits the row of an action about to run, as `pending`; its id.
async fn begin(s: &AppState, r: &PendingRow) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO staff_audit (time_ms, token_id, staff_label, action, election_id, object_id, client, status, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(crate::cycle::now_ms())
    .bind(&r.staff.token_id)
    .bind(&r.staff.label)
    .bind(r.action)
    .bind(r.election.as_deref())
    .bind(r.object.as_deref())
    .bind(&r.client)
    .bind(NO_STATUS)
    .bind(PENDING)
    .fetch_one(&s.db.pool)
    .await
}

/// What a row keeps of an answer: its status, and the election it names (a creation's). Taken
/// before any await: an answer's body may be sent, not shared, between threads.
fn answered(res: &Response) -> (u16, Option<String>) {
    let election = res
        .extensions()
        .get::<AuditedElection>()
        .map(|e| e.0.clone());
    (res.status().as_u16(), election)
}

/// Gives row `id` the outcome of an answer ([`answered`]) (and the election the answer names, for a creation).
/// Also over `interrupted`: another server process on the same database may have started
/// while this action ran. If it cannot be written, the row stays `pending` and the next start
/// marks it `interrupted`.
async fn finish(s: &AppState, id: i64, action: &str, (status, election): (u16, Option<String>)) {
    let done = sqlx::query(
        "UPDATE staff_audit SET status = $1, outcome = $2, election_id = COALESCE($3, election_id) WHERE id = $4",
    )
    .bind(i64::from(status))
    .bind(outcome(status))
    .bind(election)
    .bind(id)
    .execute(&s.db.pool)
    .await;
    if let Err(e) = done {
        tracing::error!(error = %e, action, id, "could not write the outcome of a staff action: its row stays pending");
    }
}

/// At a server's start: marks `interrupted` every row still `pending` (its server died while
/// the action ran; it may or may not have taken effect). Answers how many.
pub async fn interrupt_pending(pool: &sqlx::AnyPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE staff_audit SET outcome = $1 WHERE outcome = $2")
        .bind(INTERRUPTED)
        .bind(PENDING)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
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
    /// The answer's HTTP status; `None` while there is none (`pending`, `interrupted`).
    pub status: Option<u16>,
    /// `done` (2xx), `refused` (4xx), `failed` (5xx), `pending` (the action is running) or
    /// `interrupted` (the server died while it ran: it may or may not have taken effect).
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
                status: u16::try_from(status).ok().filter(|s| *s != 0),
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
