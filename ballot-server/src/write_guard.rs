//! What every write to the API must show before it is read (`spec/api.md` §6.3): its media type,
//! and, from a browser, that it comes from this site's own pages.
//!
//! A page on another site can make a visitor's browser send a "simple" cross-site request (a
//! form, or `fetch` without a preflight) only with a body of type `text/plain`,
//! `application/x-www-form-urlencoded` or `multipart/form-data`. Requiring `application/json`
//! (an attachment: its file's own type) on every write therefore puts every cross-site write
//! behind a CORS preflight, which this server never grants. Browsers also say where a request
//! comes from (`Sec-Fetch-Site`, else `Origin`); a write from another site is refused outright,
//! whatever it carries. Tools that are not browsers (the CLI, tellers' tools) send neither header.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::cycle::supervision::ATTACHMENT_TYPES;
use crate::error::ApiError;

/// Refuses a write under `/api/` with the wrong media type (415) or from another site (403).
pub async fn check_writes(req: Request, next: Next) -> Response {
    if is_api_write(req.method(), req.uri().path()) {
        let refusal = from_another_site(req.headers())
            .or_else(|| wrong_media_type(req.uri().path(), req.headers()));
        if let Some(e) = refusal {
            // The body is read (at most `MAX_BODY`, under the limits' body timeout) before the
            // answer: answered while its body is still arriving, the connection is closed with
            // that body unread, TCP resets it, and the client can lose the answer itself.
            let _ = axum::body::to_bytes(req.into_body(), crate::MAX_BODY).await;
            return e.into_response();
        }
    }
    next.run(req).await
}

/// A request that may change something: any method but GET, HEAD and OPTIONS, under `/api/`.
fn is_api_write(method: &Method, path: &str) -> bool {
    path.starts_with("/api/") && !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The upload of a progress update's attachment (`POST /api/cycle/progress/{id}/attachments`),
/// whose body is the file itself.
fn is_attachment_upload(path: &str) -> bool {
    path.strip_prefix("/api/cycle/progress/")
        .and_then(|rest| rest.strip_suffix("/attachments"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// 403 `cross_origin` for a write a browser sends from a page of another site: `Sec-Fetch-Site`
/// other than `same-origin` or `none` (typed by the user); without it, an `Origin` that is
/// `null` or whose host and port are not the request's `Host`.
fn from_another_site(headers: &HeaderMap) -> Option<ApiError> {
    let refuse = |why: String| {
        Some(ApiError::CrossOrigin(format!(
            "a write from a page of another site is refused ({why})"
        )))
    };
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str().map(str::to_ascii_lowercase).as_deref() {
            Ok("same-origin" | "none") => None,
            Ok(other) => refuse(format!("Sec-Fetch-Site: {}", cut(other))),
            Err(_) => refuse("Sec-Fetch-Site is not text".into()),
        };
    }
    let origin = headers.get(header::ORIGIN)?;
    let Ok(origin) = origin.to_str() else {
        return refuse("Origin is not text".into());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (origin_authority(origin), host) {
        (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host) => None,
        _ => refuse(format!(
            "Origin {} is not this server ({})",
            cut(origin),
            cut(host.unwrap_or("no Host"))
        )),
    }
}

/// The `host[:port]` of an `Origin` (`scheme "://" host [ ":" port ]`, RFC 6454 §7), or `None`
/// for `null` or anything else.
fn origin_authority(origin: &str) -> Option<&str> {
    let (scheme, authority) = origin.split_once("://")?;
    let scheme_ok = matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https");
    (scheme_ok && !authority.is_empty() && !authority.contains('/')).then_some(authority)
}

/// 415 `unsupported_media_type` unless `Content-Type` is `application/json` (parameters allowed;
/// a `charset`, if given, `utf-8`), or for an attachment upload one of [`ATTACHMENT_TYPES`].
fn wrong_media_type(path: &str, headers: &HeaderMap) -> Option<ApiError> {
    let declared = headers.get(header::CONTENT_TYPE).map(|v| v.to_str());
    let text = match declared {
        None => None,
        Some(Ok(text)) => Some(text),
        Some(Err(_)) => Some(""),
    };
    let (essence, charset_ok) = text.map_or((String::new(), true), |t| {
        let mut parts = t.split(';');
        let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let charset_ok = parts.all(|p| match p.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        });
        (essence, charset_ok)
    });
    let (ok, wanted) = if is_attachment_upload(path) {
        (
            ATTACHMENT_TYPES.contains(&essence.as_str()),
            ATTACHMENT_TYPES.join(", "),
        )
    } else {
        (
            essence == "application/json" && charset_ok,
            "application/json".to_string(),
        )
    };
    if ok {
        return None;
    }
    let got = match text {
        None => "none".to_string(),
        Some(t) => cut(t),
    };
    Some(ApiError::UnsupportedMediaType(format!(
        "a write to the API carries Content-Type: {wanted} (this one: {got})"
    )))
}

/// At most 64 characters of a header's text, for a message.
fn cut(text: &str) -> String {
    let mut out: String = text.chars().take(64).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn writes_are_every_method_but_the_safe_ones_under_api() {
        assert!(is_api_write(&Method::POST, "/api/elections"));
        assert!(is_api_write(&Method::PUT, "/api/elections/e/roll"));
        assert!(is_api_write(&Method::DELETE, "/api/x"));
        assert!(!is_api_write(&Method::GET, "/api/elections"));
        assert!(!is_api_write(&Method::OPTIONS, "/api/elections"));
        assert!(!is_api_write(&Method::POST, "/elections/e/vote"));
    }

    #[test]
    fn json_with_or_without_a_utf8_charset_is_the_media_type_of_a_write() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            let h = headers(&[("content-type", ok)]);
            assert!(wrong_media_type("/api/elections", &h).is_none(), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/jsonx",
            "",
        ] {
            let h = headers(&[("content-type", bad)]);
            let e = wrong_media_type("/api/cycle/proposals", &h).expect(bad);
            assert_eq!(e.code(), "unsupported_media_type", "{bad}");
        }
        assert!(wrong_media_type("/api/elections/e/open", &HeaderMap::new()).is_some());
    }

    #[test]
    fn an_attachment_upload_carries_its_file_type_and_nothing_else() {
        let path = "/api/cycle/progress/7/attachments";
        for ok in ATTACHMENT_TYPES {
            let h = headers(&[("content-type", ok)]);
            assert!(wrong_media_type(path, &h).is_none(), "{ok}");
        }
        for bad in ["application/json", "text/plain", "multipart/form-data"] {
            let h = headers(&[("content-type", bad)]);
            assert!(wrong_media_type(path, &h).is_some(), "{bad}");
        }
        assert!(!is_attachment_upload("/api/cycle/progress/7/x/attachments"));
        assert!(!is_attachment_upload("/api/cycle/progress//attachments"));
    }

    #[test]
    fn a_browser_write_from_another_site_is_refused() {
        for ok in [
            &[][..],
            &[("sec-fetch-site", "same-origin")][..],
            &[("sec-fetch-site", "none")][..],
            &[
                ("origin", "http://vote.example:8080"),
                ("host", "vote.example:8080"),
            ][..],
            &[("origin", "https://VOTE.example"), ("host", "vote.example")][..],
            // Sec-Fetch-Site is the browser's own judgement, and it wins over Origin.
            &[
                ("sec-fetch-site", "same-origin"),
                ("origin", "http://proxy"),
                ("host", "x"),
            ][..],
        ] {
            assert!(from_another_site(&headers(ok)).is_none(), "{ok:?}");
        }
        for bad in [
            &[("sec-fetch-site", "cross-site")][..],
            &[("sec-fetch-site", "same-site")][..],
            &[("origin", "https://evil.example"), ("host", "vote.example")][..],
            &[("origin", "null"), ("host", "vote.example")][..],
            &[
                ("origin", "http://vote.example:81"),
                ("host", "vote.example"),
            ][..],
            &[("origin", "http://vote.example")][..],
        ] {
            let e = from_another_site(&headers(bad)).expect("refused");
            assert_eq!(e.code(), "cross_origin", "{bad:?}");
        }
    }
}
