//! The web pages: static HTML (`web/static/`) and the modules built from `web/src/`
//! (`web/dist/`), compiled into the binary (read from disk in debug builds).
//!
//! | Path | Page |
//! |---|---|
//! | `/` | the elections (`index.html`) |
//! | `/elections/{id}` | an election's public board: manifest, tellers, entries, result, receipt check, record (`election.html`) |
//! | `/elections/{id}/vote` | the voting booth (`booth.html`) |
//! | `/staff` | the staff pages (`staff.html`), with the screening of proposals |
//! | `/staff/cycle` | staff: proposals, screening, candidates, approval, progress (`staff-cycle.html`) |
//! | `/proposals` | submit a proposal, look up its status (`proposals.html`) |
//! | `/plan` | the year plan (`plan.html`) |
//! | `/projects/{id}` | an adopted project's progress (`project.html`) |
//! | `/evaluation` | the evaluation results (`evaluation.html`) |
//! | `/assets/{file}` | scripts, styles and images |
//! | `/downloads/{file}` | the verifier's downloads (`serve --downloads-dir`, [`crate::downloads`]) |
//!
//! Every page is sent with a strict Content-Security-Policy (scripts and styles only from this
//! origin, no inline code, no framing) and `Referrer-Policy: no-referrer`: the booth holds a
//! deputy's credential, and a sign-in link carries it in the URL fragment, which browsers never
//! send to a server.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

use crate::state::AppState;

/// Hand-written pages and styles.
#[derive(Embed)]
#[folder = "../web/static/"]
struct Static;

/// The bundled modules (`npm run build` in `web/`).
#[derive(Embed)]
#[folder = "../web/dist/"]
struct Dist;

/// The security headers of every page and asset.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     connect-src 'self'; media-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The page routes (merged into the API router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { page("index.html") }))
        .route(
            "/elections/{id}",
            get(|_: Path<String>| async { page("election.html") }),
        )
        .route(
            "/elections/{id}/vote",
            get(|_: Path<String>| async { page("booth.html") }),
        )
        .route("/staff", get(|| async { page("staff.html") }))
        .route("/staff/cycle", get(|| async { page("staff-cycle.html") }))
        .route("/proposals", get(|| async { page("proposals.html") }))
        .route("/plan", get(|| async { page("plan.html") }))
        .route(
            "/projects/{id}",
            get(|_: Path<String>| async { page("project.html") }),
        )
        .route("/evaluation", get(|| async { page("evaluation.html") }))
        .route("/assets/{file}", get(asset))
        .route("/downloads/{file}", get(download))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn file(name: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    Dist::get(name)
        .or_else(|| Static::get(name))
        .map(|f| f.data)
}

fn respond(name: &str, cache: &'static str) -> Response {
    match file(name) {
        Some(bytes) => {
            let mut res = (StatusCode::OK, bytes.into_owned()).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(name)),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(
                "permissions-policy",
                HeaderValue::from_static("camera=(self), microphone=(), geolocation=()"),
            );
            res
        }
        None => {
            crate::error::ApiError::NotFound(format!("no page or asset {name:?}")).into_response()
        }
    }
}

fn page(name: &'static str) -> Response {
    respond(name, "no-cache")
}

async fn download(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    s.downloads.respond(&file)
}

async fn asset(Path(file): Path<String>) -> Response {
    // One path segment of plain characters: nothing can climb out of the folders.
    let ok = !file.is_empty()
        && !file.starts_with('.')
        && file
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !ok || file.ends_with(".html") {
        return crate::error::ApiError::NotFound(format!("no asset {file:?}")).into_response();
    }
    respond(&file, "no-cache")
}
