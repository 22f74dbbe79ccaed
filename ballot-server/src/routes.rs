//! The HTTP API (`spec/api.md`, `GET /api/openapi.json`). Handlers are thin: decode, call the
//! lifecycle ([`crate::elections`]) or the board, encode.

use axum::body::Bytes as BodyBytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use piaojue_crypto::ballot::AuditedBallot;
use piaojue_crypto::board::{Receipt, SignedTreeHead};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::decryption::DecryptionShare;
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::tracking::TrackingCodeText;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Staff;
use crate::board::Appended;
use crate::elections::{CeremonyMessage, Status};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A JSON body whose every rejection (bad JSON, wrong content type, unknown field, bad point,
/// non-canonical scalar …) is a 400 with the JSON error body.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        piaojue_crypto::json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON: {e}")))
    }
}

/// A request's body as bytes, decoded by the handler (a cast ballot is decoded with its batch,
/// off the async runtime); too large is a JSON 413, unreadable a JSON 400.
pub struct RawBody(pub BodyBytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_body(req, state).await.map(RawBody)
    }
}

/// A request's body; too large is a JSON 413, too slow (`spec/api.md` §6.1) a JSON 408,
/// unreadable a JSON 400.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> ApiResult<BodyBytes> {
    BodyBytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!("the body is larger than {} bytes", crate::MAX_BODY))
        } else if let Some(slow) = cause::<crate::limits::BodyTooSlow>(&e) {
            ApiError::Timeout(slow.to_string())
        } else {
            ApiError::BadRequest(format!("could not read the body: {e}"))
        }
    })
}

/// The first error of type `E` in `error`'s chain of sources.
fn cause<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// Query parameters whose rejection is a JSON 400.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

/// Path parameters whose rejection is a JSON 400.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

/// The router of the API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/board-key", get(board_key))
        .route("/api/openapi.json", get(openapi))
        .route("/api/downloads", get(downloads))
        .route("/api/staff/session", get(staff_session))
        .route("/api/staff/audit", get(crate::audit::list))
        .route("/api/elections", get(list_elections).post(create_election))
        .route("/api/elections/{id}", get(election_status))
        .route("/api/elections/{id}/tellers", post(start_ceremony))
        .route(
            "/api/elections/{id}/ceremony",
            get(ceremony).post(post_ceremony),
        )
        .route(
            "/api/elections/{id}/credentials",
            get(credentials).post(add_credentials),
        )
        .route("/api/elections/{id}/roll", put(set_roll))
        .route("/api/elections/{id}/attendance", post(attendance))
        .route("/api/elections/{id}/open", post(open))
        .route("/api/elections/{id}/ballots", post(cast))
        .route("/api/elections/{id}/audited", post(audit))
        .route("/api/elections/{id}/close", post(close))
        .route("/api/elections/{id}/tally", get(tally))
        .route("/api/elections/{id}/result", get(result))
        .route("/api/elections/{id}/decryption-shares", post(post_share))
        .route("/api/elections/{id}/publish", post(publish))
        .route("/api/elections/{id}/receipts/{code}", get(receipt))
        .route(
            "/api/elections/{id}/credentials/{key}/ballots",
            get(credential_ballots),
        )
        .route("/api/elections/{id}/record", get(record))
        .route("/api/elections/{id}/board/head", get(head))
        .route("/api/elections/{id}/board/heads", get(heads))
        .route("/api/elections/{id}/board/entries", get(entries))
        .route("/api/elections/{id}/board/entries/{index}", get(entry))
        .route("/api/elections/{id}/board/inclusion", get(inclusion))
        .route("/api/elections/{id}/board/consistency", get(consistency))
        .route("/api/elections/{id}/board/checkpoint", get(checkpoint))
        .route("/api/elections/{id}/board/cosignatures", get(cosignatures))
        .merge(crate::cycle::routes::router())
        .merge(crate::pages::router())
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
}

async fn no_route() -> ApiError {
    ApiError::NotFound("no such endpoint: see /api/openapi.json".into())
}

async fn no_method() -> ApiError {
    ApiError::MethodNotAllowed("this endpoint does not take this method".into())
}

/// The answer to an append: where it went and the signed head after it.
#[derive(Debug, Serialize, Deserialize)]
pub struct AppendResponse {
    /// Index of the first entry appended.
    pub index: u64,
    /// The tree head signed after it.
    pub tree_head: SignedTreeHead,
}

impl From<Appended> for AppendResponse {
    fn from(a: Appended) -> Self {
        AppendResponse {
            index: a.first_index,
            tree_head: a.head,
        }
    }
}

fn created<T: Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// The key of new elections, and every key with the elections it signs (`spec/api.md` §6).
async fn board_key(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let keys: Vec<Value> = s
        .board
        .keys_in_use()
        .await?
        .into_iter()
        .map(|(key, elections)| json!({ "board_key": key, "elections": elections }))
        .collect();
    Ok(Json(
        json!({ "board_key": s.board.public_key(), "keys": keys }),
    ))
}

/// Alive: the process answers (`spec/api.md` §8).
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// Ready to take ballots: the database answers, its migrations are this build's, its storage
/// accepts writes, and no election's log writer has stopped (`spec/api.md` §8).
async fn readyz(State(s): State<AppState>) -> Response {
    let mut problems = Vec::new();
    if let Err(e) = s.db.ready().await {
        problems.push(e);
    }
    if let Some(reason) = s.db.health.full() {
        problems.push(format!("the database's storage is full: {reason}"));
    }
    let stopped = s.board.stopped_writers().await;
    if !stopped.is_empty() {
        problems.push(format!("the log writers of {stopped:?} stopped"));
    }
    if problems.is_empty() {
        Json(json!({ "status": "ready" })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not_ready", "problems": problems })),
        )
            .into_response()
    }
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../openapi.json"),
    )
        .into_response()
}

/// Checks a staff token without changing anything (the staff pages' sign-in).
async fn staff_session(_: Staff) -> Json<Value> {
    Json(json!({ "role": "staff" }))
}

async fn list_elections(State(s): State<AppState>) -> ApiResult<Json<Vec<Status>>> {
    Ok(Json(s.elections.list(&s.db).await?))
}

#[derive(Deserialize)]
struct CreateQuery {
    parent: Option<String>,
}

/// A manifest as staff send it (`spec/api.md` §3): `board` and `witnesses` may be left out, and
/// the server writes its own; if given they must be the server's (else 422 `board_mismatch`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestDraft {
    version: u32,
    election_id: String,
    title: piaojue_crypto::manifest::Text,
    congress: piaojue_crypto::manifest::Text,
    deputies: u32,
    tellers: piaojue_crypto::manifest::TellerParams,
    contests: Vec<piaojue_crypto::manifest::Contest>,
    decision: piaojue_crypto::manifest::DecisionRule,
    #[serde(default)]
    revote: piaojue_crypto::manifest::Revote,
    #[serde(default)]
    board: Option<piaojue_crypto::manifest::BoardParams>,
    #[serde(default)]
    witnesses: Option<piaojue_crypto::manifest::Witnesses>,
}

impl ManifestDraft {
    fn complete(self, board: &crate::board::Board) -> Manifest {
        Manifest {
            board: self
                .board
                .unwrap_or_else(|| board.params(&self.election_id)),
            witnesses: self
                .witnesses
                .unwrap_or_else(|| board.config().witnesses.clone()),
            version: self.version,
            election_id: self.election_id,
            title: self.title,
            congress: self.congress,
            deputies: self.deputies,
            tellers: self.tellers,
            contests: self.contests,
            decision: self.decision,
            revote: self.revote,
        }
    }
}

async fn create_election(
    State(s): State<AppState>,
    _: Staff,
    Query(q): Query<CreateQuery>,
    JsonBody(draft): JsonBody<ManifestDraft>,
) -> ApiResult<Response> {
    if let Some(p) = &q.parent {
        s.elections.state(&s.db, p).await?;
    }
    let manifest = draft.complete(&s.board);
    let id = manifest.election_id.clone();
    let a = s.elections.create(&s.board, manifest, q.parent).await?;
    let mut res = created(AppendResponse::from(a));
    res.extensions_mut()
        .insert(crate::audit::AuditedElection(id));
    Ok(res)
}

async fn downloads(State(s): State<AppState>) -> Response {
    Json(s.downloads.list()).into_response()
}

async fn election_status(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    Ok(Json(s.elections.status(&s.db, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TellersBody {
    signing_keys: Vec<Bytes<32>>,
}

async fn start_ceremony(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TellersBody>,
) -> ApiResult<Response> {
    let a = s
        .elections
        .start_ceremony(&s.db, &s.board, &id, body.signing_keys)
        .await?;
    Ok(created(AppendResponse::from(a)))
}

async fn ceremony(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    s.elections.state(&s.db, &id).await?;
    let (keys, transcript) = s.elections.ceremony(&s.board, &id).await?;
    let output = s.elections.ceremony_output(&s.board, &id).await.ok();
    Ok(Json(
        json!({ "signing_keys": keys, "transcript": transcript, "output": output }),
    ))
}

async fn post_ceremony(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(msg): JsonBody<CeremonyMessage>,
) -> ApiResult<Response> {
    let a = s
        .elections
        .post_ceremony_message(&s.db, &s.board, &id, msg)
        .await?;
    Ok(created(AppendResponse::from(a)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsBody {
    keys: Vec<CredentialKey>,
}

async fn add_credentials(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CredentialsBody>,
) -> ApiResult<Response> {
    let a = s
        .elections
        .add_credentials(&s.db, &s.board, &id, body.keys)
        .await?;
    Ok(created(AppendResponse::from(a)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollBody {
    names: Vec<String>,
}

async fn set_roll(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RollBody>,
) -> ApiResult<Json<Value>> {
    s.elections.set_roll(&s.db, &id, body.names).await?;
    Ok(Json(json!({ "ok": true })))
}

/// The chief scrutineer's signed attendance: authenticated by the teller's signature, not a token.
async fn attendance(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<piaojue_crypto::attendance::Attendance>,
) -> ApiResult<Response> {
    let a = s.elections.attendance(&s.db, &s.board, &id, body).await?;
    Ok(created(AppendResponse::from(a)))
}

async fn open(State(s): State<AppState>, _: Staff, Path(id): Path<String>) -> ApiResult<Response> {
    let a = s.elections.open(&s.db, &s.board, &id).await?;
    Ok(created(AppendResponse::from(a)))
}

async fn cast(
    State(s): State<AppState>,
    Path(id): Path<String>,
    body: Result<RawBody, ApiError>,
) -> ApiResult<Response> {
    let receipt = match body {
        Ok(RawBody(body)) => s.elections.cast(&s.db, &s.board, &id, body).await,
        Err(e) => Err(e),
    };
    crate::telemetry::ballot_cast(&receipt);
    Ok(created(receipt?))
}

async fn audit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(audited): JsonBody<AuditedBallot>,
) -> ApiResult<Response> {
    Ok(created(
        s.elections.audit(&s.db, &s.board, &id, audited).await?,
    ))
}

async fn close(State(s): State<AppState>, _: Staff, Path(id): Path<String>) -> ApiResult<Response> {
    let a = s.elections.close(&s.db, &s.board, &id).await?;
    Ok(created(AppendResponse::from(a)))
}

async fn tally(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    s.elections.state(&s.db, &id).await?;
    Ok(Json(json!(s.elections.tally(&s.board, &id).await?)))
}

async fn result(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    s.elections.state(&s.db, &id).await?;
    Ok(Json(s.elections.result(&s.board, &id).await?))
}

async fn credentials(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    s.elections.state(&s.db, &id).await?;
    let list = s.elections.credential_list(&s.db, &id).await?;
    Ok(Json(json!({ "keys": list.iter().collect::<Vec<_>>() })))
}

async fn post_share(
    State(s): State<AppState>,
    Path(id): Path<String>,
    JsonBody(share): JsonBody<DecryptionShare>,
) -> ApiResult<Response> {
    let a = s.elections.post_share(&s.db, &s.board, &id, share).await?;
    Ok(created(AppendResponse::from(a)))
}

async fn publish(
    State(s): State<AppState>,
    _: Staff,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let a = s.elections.publish(&s.board, &id).await?;
    // A published selection vote decides its candidates (and their proposals' status).
    crate::cycle::plan::record_outcome(&s, &id).await?;
    Ok(created(AppendResponse::from(a)))
}

async fn receipt(
    State(s): State<AppState>,
    Path((id, code)): Path<(String, String)>,
) -> ApiResult<Json<Receipt>> {
    let code = TrackingCodeText::parse(&code)
        .map_err(|e| ApiError::BadRequest(format!("tracking code: {e}")))?;
    Ok(Json(s.board.receipt(&id, &code).await?))
}

/// The tracking codes of the ballots a credential cast, in board order (`spec/api.md` §5): public,
/// since every ballot entry names its credential. 400 for a malformed key, 404 for no such
/// election or a key not on its list.
async fn credential_ballots(
    State(s): State<AppState>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let bytes: Bytes<32> = Bytes::from_base64(&key)
        .map_err(|e| ApiError::BadRequest(format!("credential key: {e}")))?;
    let credential = CredentialKey::decode(&bytes.0)
        .map_err(|e| ApiError::BadRequest(format!("credential key: {e}")))?;
    s.elections.state(&s.db, &id).await?;
    let list = s.elections.credential_list(&s.db, &id).await?;
    if !list.iter().any(|k| *k == credential) {
        return Err(ApiError::NotFound(format!(
            "credential {key} is not on this election's list"
        )));
    }
    let ballots = s.board.cast_by_credential(&id, &bytes.0).await?;
    let ballots: Vec<Value> = ballots
        .into_iter()
        .map(|(index, code)| json!({ "index": index, "tracking_code": code }))
        .collect();
    Ok(Json(json!({ "credential": key, "ballots": ballots })))
}

/// The whole record, in the single-file form of `spec/record.md`.
async fn record(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<piaojue_crypto::record::ElectionRecord>> {
    Ok(Json(crate::export::record(&s, &id).await?))
}

async fn head(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<SignedTreeHead>> {
    Ok(Json(s.board.head(&id).await?))
}

async fn heads(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SignedTreeHead>>> {
    s.board.size(&id).await?;
    Ok(Json(s.board.heads(&id).await?))
}

#[derive(Deserialize)]
struct RangeQuery {
    #[serde(default)]
    from: u64,
    limit: Option<u64>,
}

/// Entries as a JSON array of the stored entry objects, byte for byte.
async fn entries(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Response> {
    s.board.size(&id).await?;
    let limit = q.limit.unwrap_or(1000).min(10_000);
    let list = s.board.entries(&id, q.from, limit).await?;
    let mut body = Vec::with_capacity(list.iter().map(Vec::len).sum::<usize>() + list.len() + 2);
    body.push(b'[');
    for (i, e) in list.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(e);
    }
    body.push(b']');
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// One entry's exact bytes.
async fn entry(
    State(s): State<AppState>,
    Path((id, index)): Path<(String, u64)>,
) -> ApiResult<Response> {
    let bytes = s.board.entry(&id, index).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: u64,
}

async fn inclusion(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<Value>> {
    let proof = s.board.inclusion(&id, q.index, q.size).await?;
    Ok(Json(
        json!({ "index": q.index, "size": q.size, "proof": proof }),
    ))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: u64,
}

async fn consistency(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<Value>> {
    let proof = s.board.consistency(&id, q.old, q.new).await?;
    Ok(Json(json!({ "old": q.old, "new": q.new, "proof": proof })))
}

#[derive(Deserialize)]
struct CheckpointQuery {
    size: Option<u64>,
}

/// The board's checkpoint as a signed note (c2sp.org/signed-note, `text/plain`): the board's
/// signature and every stored cosignature of that size (`spec/api.md` §10). Without `size`, the
/// largest size that has the manifest's quorum of cosignatures (the latest size when the
/// manifest names no witnesses; 404 `not_found` while no size has the quorum).
async fn checkpoint(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CheckpointQuery>,
) -> ApiResult<Response> {
    let manifest = s.elections.manifest(&s.db, &id).await?;
    let all = crate::witnessing::cosignatures(&s.db, &id).await?;
    let size = match q.size {
        Some(n) => n,
        None if manifest.witnesses.list.is_empty() => s.board.size(&id).await?,
        None => crate::witnessing::quorum_sizes(&manifest, &all)
            .last()
            .copied()
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no checkpoint of {id:?} has the quorum of {} cosignatures yet",
                    manifest.witnesses.quorum
                ))
            })?,
    };
    let (checkpoint, signature) = s
        .board
        .checkpoint(&id, &manifest.board.origin, size)
        .await?;
    let mut note = piaojue_crypto::board::Note::new(checkpoint.text(), vec![signature])
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    for c in all.iter().filter(|c| c.size == size) {
        if let Some(w) = manifest.witnesses.list.iter().find(|w| w.name == c.witness) {
            note.push(crate::witnessing::note_signature(w, c));
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        note.to_bytes(),
    )
        .into_response())
}

/// Every stored cosignature of an election, by size then witness (`spec/api.md` §10).
async fn cosignatures(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<crate::witnessing::StoredCosignature>>> {
    s.board.size(&id).await?;
    Ok(Json(crate::witnessing::cosignatures(&s.db, &id).await?))
}

/// Decodes `data` as every JSON request body of the API, the way the handlers do (and checks
/// a manifest that decodes, as creating an election does); answers how many body types took
/// it. Never panics: the fuzz target `api_body` and `tests/fuzz_corpus.rs` run it on hostile
/// bytes.
pub fn check_api_body(data: &[u8]) -> usize {
    fn takes<T: DeserializeOwned>(data: &[u8]) -> bool {
        piaojue_crypto::json::from_slice::<T>(data).is_ok()
    }
    let manifest = piaojue_crypto::json::from_slice::<Manifest>(data)
        .map(|m| {
            let _ = m.validate();
        })
        .is_ok();
    [
        manifest,
        takes::<TellersBody>(data),
        takes::<CeremonyMessage>(data),
        takes::<CredentialsBody>(data),
        takes::<RollBody>(data),
        takes::<AuditedBallot>(data),
        takes::<DecryptionShare>(data),
        takes::<CreateQuery>(data),
        takes::<RangeQuery>(data),
    ]
    .into_iter()
    .filter(|&ok| ok)
    .count()
        + crate::cycle::routes::check_bodies(data)
}
