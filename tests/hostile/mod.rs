//! The malicious server, for tests: a loopback HTTP proxy in front of a real `piaojue serve`
//! that forwards every request unchanged and lets the test rewrite chosen answers.
//!
//! A test starts the real server (see `tests/common`), prepares the election through it, then
//! points the tool under test — `piaojue vote`, a teller, the booth in headless Chromium — at
//! [`Proxy::base`]. Every answer passes through the test's [`Hook`]: `None` forwards it as the
//! server gave it, `Some((status, body))` serves that instead (the server's headers kept, its
//! `Content-Length` recomputed). The proxy keeps a log of every exchange, so that a test can
//! show that a refused tool sent nothing afterwards (no `POST …/ballots`, say).
//!
//! Included by an integration test with `mod hostile;` next to `mod common;`.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// What a test does to an answer: called with the request's method and path (without the
/// query), the server's status and body; returns `Some` to serve another status and body.
pub type Hook = dyn Fn(&Method, &str, StatusCode, &Bytes) -> Option<(StatusCode, Bytes)>
    + Send
    + Sync
    + 'static;

/// One request through the proxy and the answer the client got.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The method.
    pub method: Method,
    /// The path with its query.
    pub path: String,
    /// The request's body.
    pub request: Bytes,
    /// The status served (after the hook).
    pub status: StatusCode,
    /// The body served (after the hook).
    pub response: Bytes,
    /// Whether the hook replaced the server's answer.
    pub rewritten: bool,
}

/// The proxy, listening on a free port of 127.0.0.1 until dropped.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://addr`: the address to give the tool under test.
    pub base: String,
    hook: Arc<RwLock<Arc<Hook>>>,
    log: Arc<Mutex<Vec<Exchange>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Shared by the proxy's connections.
#[derive(Clone)]
struct State {
    upstream: SocketAddr,
    hook: Arc<RwLock<Arc<Hook>>>,
    log: Arc<Mutex<Vec<Exchange>>>,
}

impl Proxy {
    /// A proxy in front of the server at `upstream`, forwarding everything unchanged until a
    /// hook is set.
    pub fn start(upstream: SocketAddr) -> Self {
        Self::with_hook(upstream, |_, _, _, _| None)
    }

    /// A proxy in front of the server at `upstream` that passes every answer through `hook`.
    pub fn with_hook(
        upstream: SocketAddr,
        hook: impl Fn(&Method, &str, StatusCode, &Bytes) -> Option<(StatusCode, Bytes)>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        let hook: Arc<RwLock<Arc<Hook>>> = Arc::new(RwLock::new(Arc::new(hook)));
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = State {
            upstream,
            hook: hook.clone(),
            log: log.clone(),
        };
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy's port");
        std_listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = std_listener.local_addr().expect("the proxy's address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for the proxy");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("a tokio listener");
                tokio::select! {
                    _ = rx => {}
                    () = accept_loop(listener, state) => {}
                }
            });
        });
        Proxy {
            addr,
            base: format!("http://{addr}"),
            hook,
            log,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// Replaces the hook (for the requests that follow).
    pub fn set_hook(
        &self,
        hook: impl Fn(&Method, &str, StatusCode, &Bytes) -> Option<(StatusCode, Bytes)>
        + Send
        + Sync
        + 'static,
    ) {
        *self.hook.write().expect("hook lock") = Arc::new(hook);
    }

    /// Every exchange so far, in order.
    pub fn log(&self) -> Vec<Exchange> {
        self.log.lock().expect("log lock").clone()
    }

    /// The exchanges so far with this method whose path contains `fragment`.
    pub fn requests(&self, method: &Method, fragment: &str) -> Vec<Exchange> {
        self.log()
            .into_iter()
            .filter(|e| e.method == *method && e.path.contains(fragment))
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, state: State) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(state.forward(req).await) }
            });
            // A client that goes away mid-request is no failure of the test's.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Headers that belong to one connection, not to the message.
const HOP_BY_HOP: [header::HeaderName; 5] = [
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::CONTENT_LENGTH,
    header::UPGRADE,
    header::TE,
];

fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut h = headers.clone();
    for name in &HOP_BY_HOP {
        h.remove(name);
    }
    h.remove("keep-alive");
    h
}

impl State {
    async fn forward(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let request = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let path = parts.uri.path().to_string();
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or_else(|| path.clone(), ToString::to_string);
        let (status, headers, body) = match self
            .upstream(
                &parts.method,
                &path_and_query,
                &parts.headers,
                request.clone(),
            )
            .await
        {
            Ok(answer) => answer,
            Err(e) => (
                StatusCode::BAD_GATEWAY,
                HeaderMap::new(),
                Bytes::from(format!("the proxy could not reach the server: {e}")),
            ),
        };
        let hook = self.hook.read().expect("hook lock").clone();
        let rewritten = hook(&parts.method, &path, status, &body);
        let was_rewritten = rewritten.is_some();
        let (status, body) = rewritten.unwrap_or((status, body));
        self.log.lock().expect("log lock").push(Exchange {
            method: parts.method.clone(),
            path: path_and_query,
            request,
            status,
            response: body.clone(),
            rewritten: was_rewritten,
        });
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }

    /// Sends the request to the server on a connection of its own; the answer's status,
    /// end-to-end headers and whole body.
    async fn upstream(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<(StatusCode, HeaderMap, Bytes), Box<dyn std::error::Error + Send + Sync>> {
        let stream = TcpStream::connect(self.upstream).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method.clone())
            .uri(path_and_query)
            .body(Full::new(body))?;
        // The client's own `Host` (the proxy's address) is kept, so that the server sees
        // the address the tool was given.
        *req.headers_mut() = end_to_end(headers);
        if !req.headers().contains_key(header::HOST) {
            let host = HeaderValue::from_str(&self.upstream.to_string())?;
            req.headers_mut().insert(header::HOST, host);
        }
        let answer = sender.send_request(req).await?;
        let status = answer.status();
        let headers = end_to_end(answer.headers());
        let body = answer.into_body().collect().await?.to_bytes();
        Ok((status, headers, body))
    }
}

/// A JSON answer's body with `edit` applied, for a hook (panics on a body that is not JSON).
pub fn edit_json(body: &Bytes, edit: impl FnOnce(&mut serde_json::Value)) -> Bytes {
    let mut v: serde_json::Value =
        serde_json::from_slice(body).expect("the server's answer is JSON");
    edit(&mut v);
    Bytes::from(serde_json::to_vec(&v).expect("JSON serializes"))
}
