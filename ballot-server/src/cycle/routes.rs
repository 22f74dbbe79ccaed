//! The cycle's HTTP API (`spec/api.md` §9): thin handlers that decode, check the role, call
//! the cycle's modules and encode.

use axum::body::Bytes as BodyBytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ballots, congresses, plan, proposals, screening, supervision};
use crate::auth::Staff;
use crate::client_addr::ClientAddr;
use crate::error::{ApiError, ApiResult};
use crate::routes::{JsonBody, Path, Query};
use crate::state::AppState;

/// The cycle's routes (merged into the API router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/cycle/congresses",
            get(list_congresses).post(create_congress),
        )
        .route("/api/cycle/congresses/{id}", get(congress))
        .route(
            "/api/cycle/congresses/{id}/deputy-codes",
            post(deputy_codes),
        )
        .route(
            "/api/cycle/proposals",
            get(list_proposals).post(submit_proposal),
        )
        .route("/api/cycle/proposals/{number}", get(proposal))
        .route("/api/cycle/proposals/{number}/contact", get(contact))
        .route("/api/cycle/proposals/{number}/decisions", post(decide))
        .route(
            "/api/cycle/negative-list",
            get(negative_list).put(set_negative_list),
        )
        .route(
            "/api/cycle/candidates",
            get(list_candidates).post(create_candidate),
        )
        .route("/api/cycle/approvals", post(approve))
        .route("/api/cycle/elections/{id}/revote", post(revote))
        .route("/api/cycle/evaluations", post(evaluation))
        .route("/api/cycle/years", get(years))
        .route("/api/cycle/plan/{year}", get(year_plan))
        .route("/api/cycle/projects/{id}", get(project))
        .route("/api/cycle/projects/{id}/plan", put(set_plan))
        .route("/api/cycle/projects/{id}/progress", post(add_progress))
        .route("/api/cycle/projects/{id}/inspections", post(add_note))
        .route("/api/cycle/progress/{id}/attachments", post(add_attachment))
        .route("/api/cycle/attachments/{id}", get(attachment))
}

fn created<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// A raw body whose rejection (too large, unreadable) is a JSON error.
struct RawBody(BodyBytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for RawBody {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        crate::routes::read_body(req, state).await.map(RawBody)
    }
}

async fn list_congresses(State(s): State<AppState>) -> ApiResult<Json<Vec<congresses::Congress>>> {
    Ok(Json(congresses::list(&s.db).await?))
}

async fn create_congress(
    State(s): State<AppState>,
    _: Staff,
    JsonBody(c): JsonBody<congresses::NewCongress>,
) -> ApiResult<Response> {
    Ok(created(congresses::create(&s.db, c).await?))
}

async fn congress(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<congresses::Congress>> {
    Ok(Json(congresses::get(&s.db, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodesBody {
    count: u32,
}

async fn deputy_codes(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CodesBody>,
) -> ApiResult<Response> {
    let codes = congresses::issue_codes(&s.db, &id, b.count).await?;
    Ok(created(json!({
        "congress": id,
        "codes": codes.into_iter().map(|(seq, code)| json!({ "deputy": seq, "code": code })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
struct ListQuery {
    congress: String,
    year: i64,
    #[serde(default)]
    reserve: bool,
}

async fn list_proposals(
    State(s): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<proposals::Proposal>>> {
    Ok(Json(
        proposals::list(&s.db, &q.congress, q.year, q.reserve).await?,
    ))
}

/// A public submission: at most [`proposals::MAX_SUBMISSION`] bytes, rate-limited per client.
async fn submit_proposal(
    State(s): State<AppState>,
    ClientAddr(ip): ClientAddr,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    if body.len() > proposals::MAX_SUBMISSION {
        return Err(ApiError::PayloadTooLarge(format!(
            "a proposal is at most {} bytes",
            proposals::MAX_SUBMISSION
        )));
    }
    s.cycle.proposals.check(ip)?;
    let p: proposals::NewProposal = piaojue_crypto::json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))?;
    Ok(created(proposals::submit(&s.db, p).await?))
}

async fn proposal(
    State(s): State<AppState>,
    Path(number): Path<String>,
) -> ApiResult<Json<proposals::Proposal>> {
    Ok(Json(proposals::get(&s.db, &number).await?))
}

async fn contact(
    State(s): State<AppState>,
    _: Staff,
    Path(number): Path<String>,
) -> ApiResult<Json<Value>> {
    let c = proposals::contact(&s.db, &number).await?;
    Ok(Json(json!({ "number": number, "contact": c })))
}

async fn decide(
    State(s): State<AppState>,
    _: Staff,
    Path(number): Path<String>,
    JsonBody(d): JsonBody<screening::Decision>,
) -> ApiResult<Response> {
    Ok(created(screening::decide(&s.db, &number, d).await?))
}

async fn negative_list(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": screening::negative_list(&s.db).await? }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NegativeBody {
    items: Vec<screening::NegativeItem>,
}

async fn set_negative_list(
    State(s): State<AppState>,
    _: Staff,
    JsonBody(b): JsonBody<NegativeBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        json!({ "items": screening::set_negative_list(&s.db, b.items).await? }),
    ))
}

#[derive(Deserialize)]
struct CandidatesQuery {
    congress: String,
    year: i64,
}

async fn list_candidates(
    State(s): State<AppState>,
    Query(q): Query<CandidatesQuery>,
) -> ApiResult<Json<Vec<screening::Candidate>>> {
    congresses::get(&s.db, &q.congress).await?;
    Ok(Json(
        screening::candidates(&s.db, &q.congress, q.year).await?,
    ))
}

async fn create_candidate(
    State(s): State<AppState>,
    _: Staff,
    JsonBody(c): JsonBody<screening::NewCandidate>,
) -> ApiResult<Response> {
    Ok(created(screening::create_candidate(&s.db, c).await?))
}

async fn approve(
    State(s): State<AppState>,
    _: Staff,
    JsonBody(r): JsonBody<ballots::ApproveRequest>,
) -> ApiResult<Response> {
    Ok(created(ballots::approve(&s, r).await?))
}

async fn revote(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
    JsonBody(r): JsonBody<ballots::RevoteRequest>,
) -> ApiResult<Response> {
    Ok(created(ballots::revote(&s, &id, r).await?))
}

async fn evaluation(
    State(s): State<AppState>,
    _: Staff,
    JsonBody(r): JsonBody<ballots::EvaluationRequest>,
) -> ApiResult<Response> {
    Ok(created(ballots::evaluation(&s, r).await?))
}

async fn years(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "years": plan::years(&s).await? })))
}

async fn year_plan(
    State(s): State<AppState>,
    Path(year): Path<i64>,
) -> ApiResult<Json<plan::YearPlan>> {
    Ok(Json(plan::year_plan(&s, year).await?))
}

async fn project(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<supervision::ProjectRecord>> {
    Ok(Json(supervision::record(&s.db, &id).await?))
}

async fn set_plan(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
    JsonBody(p): JsonBody<supervision::Plan>,
) -> ApiResult<Json<supervision::Plan>> {
    Ok(Json(supervision::set_plan(&s.db, &id, p).await?))
}

async fn add_progress(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
    JsonBody(p): JsonBody<supervision::NewProgress>,
) -> ApiResult<Response> {
    Ok(created(supervision::add_progress(&s.db, &id, p).await?))
}

async fn add_note(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(n): JsonBody<supervision::NewNote>,
) -> ApiResult<Response> {
    Ok(created(supervision::add_note(&s.db, &id, n).await?))
}

/// An attachment: the raw file as the body, its type in `Content-Type`.
async fn add_attachment(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    let ty = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Ok(created(
        supervision::add_attachment(&s.db, id, ty, &body).await?,
    ))
}

/// Serves an attachment with its checked type, `nosniff`, the pages' CSP with `sandbox`, and
/// as a download for PDF files.
async fn attachment(State(s): State<AppState>, Path(id): Path<i64>) -> ApiResult<Response> {
    let (ty, bytes) = supervision::attachment(&s.db, id).await?;
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    let disposition = if ty == "application/pdf" {
        format!("attachment; filename=\"attachment-{id}.pdf\"")
    } else {
        "inline".to_string()
    };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ty).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&format!("{}; sandbox", crate::pages::CSP))
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400, immutable"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(res)
}

/// Decodes `data` as every JSON body of the cycle's API; how many body types took it (for
/// [`crate::routes::check_api_body`]).
pub(crate) fn check_bodies(data: &[u8]) -> usize {
    fn takes<T: serde::de::DeserializeOwned>(data: &[u8]) -> bool {
        piaojue_crypto::json::from_slice::<T>(data).is_ok()
    }
    [
        takes::<congresses::NewCongress>(data),
        takes::<CodesBody>(data),
        takes::<proposals::NewProposal>(data),
        takes::<screening::Decision>(data),
        takes::<NegativeBody>(data),
        takes::<screening::NewCandidate>(data),
        takes::<ballots::ApproveRequest>(data),
        takes::<ballots::RevoteRequest>(data),
        takes::<ballots::EvaluationRequest>(data),
        takes::<supervision::Plan>(data),
        takes::<supervision::NewProgress>(data),
        takes::<supervision::NewNote>(data),
    ]
    .into_iter()
    .filter(|&ok| ok)
    .count()
}
