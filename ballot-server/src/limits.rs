//! The server's limits on hostile traffic (`spec/api.md` §6.1): a token bucket of requests
//! per client address, caps on requests in progress (in all, for writes, per client address),
//! a body that must arrive in time and at a minimum rate, and (in [`crate::app`]) the body size
//! and the request timeout. The caps on connections are applied by [`crate::connections`].
//! Every refusal is the JSON error of [`ApiError`] and changes nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::timeout::TimeoutLayer;

use crate::client_addr::{ClientAddr, TrustedProxies};
use crate::error::ApiError;

/// The time a body may take before [`LimitConfig::body_min_rate`] applies.
pub const BODY_GRACE: Duration = Duration::from_secs(2);

/// The limits' settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitConfig {
    /// Requests per second one client address may make on average (0: no limit).
    pub rate_per_sec: f64,
    /// Requests a client may make at once above the average.
    pub burst: u32,
    /// Whether loopback clients (127.0.0.0/8, ::1) are exempt from the limits per client
    /// address (the rate, the requests in progress, the connections). This applies to the
    /// client's address as resolved through [`LimitConfig::trusted_proxies`], not to the proxy.
    pub exempt_loopback: bool,
    /// The reverse proxies whose `X-Forwarded-For` gives the client's address
    /// ([`crate::client_addr`]); their connections are not capped per address.
    pub trusted_proxies: TrustedProxies,
    /// Requests served at once; more are refused with 503.
    pub max_in_flight: usize,
    /// Of those, writes (any method but GET, HEAD and OPTIONS) served at once; more are refused
    /// with 503. The reads of the board and the booth keep the rest of `max_in_flight` when
    /// casting is saturated.
    pub max_writes_in_flight: usize,
    /// Requests in progress at once from one client address; more are refused with 429.
    pub max_in_flight_per_client: usize,
    /// Longest time a request may take before it is answered with 408.
    pub timeout: Duration,
    /// Longest time a request's whole body may take to arrive; past it the request is answered
    /// with 408 and the connection closed.
    pub body_timeout: Duration,
    /// Slowest average rate, in bytes per second, at which a body may arrive once it has taken
    /// [`BODY_GRACE`]; slower is answered with 408 (0: no minimum).
    pub body_min_rate: u32,
    /// Longest wait for a request's headers, the first on a connection or the next on a
    /// kept-alive one (so an idle connection is closed after it too).
    pub header_timeout: Duration,
    /// Connections open at once, never more than the open-file limit less
    /// [`crate::connections::FILE_RESERVE`]; more wait to be accepted.
    pub max_connections: usize,
    /// Connections open at once from one client address; more are closed at once.
    pub max_connections_per_client: usize,
    /// On shutdown, longest wait for the requests in progress to finish once no new connection
    /// is accepted; past it the connections still open are closed.
    pub shutdown_timeout: Duration,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            rate_per_sec: 50.0,
            burst: 200,
            exempt_loopback: true,
            trusted_proxies: TrustedProxies::default(),
            max_in_flight: 1024,
            max_writes_in_flight: 768,
            max_in_flight_per_client: 64,
            timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10),
            body_min_rate: 1024,
            header_timeout: Duration::from_secs(10),
            max_connections: 8192,
            max_connections_per_client: 256,
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

impl LimitConfig {
    /// Whether `client` is exempt from the limits per client address.
    pub fn exempts(&self, client: IpAddr) -> bool {
        self.exempt_loopback && client.to_canonical().is_loopback()
    }
}

/// Counts what each client address has open (requests in progress, connections) against a
/// cap.
#[derive(Debug)]
pub struct PerClient {
    cap: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

/// One of a client's places under a [`PerClient`] cap, given back when dropped.
#[derive(Debug)]
pub struct ClientSlot {
    owner: Arc<PerClient>,
    client: IpAddr,
}

impl PerClient {
    /// A count with this cap per client address (at least 1).
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(PerClient {
            cap: cap.max(1),
            counts: Mutex::new(HashMap::new()),
        })
    }

    /// A place for `client`, or `None` when it has `cap` already.
    pub fn enter(self: &Arc<Self>, client: IpAddr) -> Option<ClientSlot> {
        let mut counts = self.counts.lock().expect("per-client count lock");
        let n = counts.entry(client).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            owner: self.clone(),
            client,
        })
    }

    /// How many places `client` holds.
    pub fn held(&self, client: IpAddr) -> usize {
        let counts = self.counts.lock().expect("per-client count lock");
        counts.get(&client).copied().unwrap_or(0)
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().expect("per-client count lock");
        if let Some(n) = counts.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The state of the limits, shared by every request.
pub struct Limits {
    config: LimitConfig,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    in_flight: Arc<Semaphore>,
    writes: Arc<Semaphore>,
    per_client: Arc<PerClient>,
}

impl Limits {
    /// Limits with these settings.
    pub fn new(config: LimitConfig) -> Self {
        Limits {
            buckets: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            writes: Arc::new(Semaphore::new(config.max_writes_in_flight.max(1))),
            per_client: PerClient::new(config.max_in_flight_per_client),
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &LimitConfig {
        &self.config
    }

    /// Takes one token of `client`'s bucket, or says how long to wait for one.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let c = &self.config;
        if c.rate_per_sec <= 0.0 || c.exempts(client) {
            return Ok(());
        }
        let burst = f64::from(c.burst.max(1));
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        if buckets.len() > 100_000 {
            // Forget full buckets, so that the map stays small.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.last).as_secs_f64() * c.rate_per_sec < burst
            });
        }
        let b = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.last).as_secs_f64() * c.rate_per_sec).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / c.rate_per_sec))
        }
    }
}

/// Whether a request of this method is a write, under [`LimitConfig::max_writes_in_flight`].
fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A 429 or 503 refusal with `Retry-After`.
fn refuse(error: ApiError, retry_after: u64) -> Response {
    let mut res = error.into_response();
    res.headers_mut()
        .insert(axum::http::header::RETRY_AFTER, retry_after.into());
    res
}

impl Limits {
    /// The permits of a request of this method: a place under the cap on all requests and,
    /// for a write, one under the cap on writes.
    fn admit(
        &self,
        method: &Method,
    ) -> Result<(OwnedSemaphorePermit, Option<OwnedSemaphorePermit>), ApiError> {
        let busy = |what: &str, n: usize| {
            ApiError::Unavailable(format!(
                "the server is busy: {n} {what} are in progress; try again shortly"
            ))
        };
        let write = if is_write(method) {
            Some(
                self.writes
                    .clone()
                    .try_acquire_owned()
                    .map_err(|_| busy("writes", self.config.max_writes_in_flight))?,
            )
        } else {
            None
        };
        let all = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy("requests", self.config.max_in_flight))?;
        Ok((all, write))
    }
}

/// The middleware: the client's address resolved through the trusted proxies (and kept in the
/// request as [`ClientAddr`]), the cap on requests in progress per client address (429), the
/// per-client rate limit (429), then the caps on requests and on writes in progress (503); the
/// body is read under [`LimitConfig::body_timeout`] and [`LimitConfig::body_min_rate`].
pub async fn enforce(State(limits): State<Arc<Limits>>, mut req: Request, next: Next) -> Response {
    let client = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| {
        limits
            .config
            .trusted_proxies
            .resolve(c.0.ip(), req.headers())
    });
    if let Some(ip) = client {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    let client = client.filter(|ip| !limits.config.exempts(*ip));
    let _slot = match client {
        Some(ip) => match limits.per_client.enter(ip) {
            Some(slot) => Some(slot),
            None => {
                return refuse(
                    ApiError::TooManyRequests(format!(
                        "too many requests in progress from this address: at most {} at once; try again shortly",
                        limits.config.max_in_flight_per_client
                    )),
                    1,
                );
            }
        },
        None => None,
    };
    if let Some(ip) = client
        && let Err(wait) = limits.take(ip, Instant::now())
    {
        let secs = wait.as_secs() + 1;
        return refuse(
            ApiError::TooManyRequests(format!(
                "too many requests from this address: at most {} per second on average; try again in {secs} s",
                limits.config.rate_per_sec
            )),
            secs,
        );
    }
    let _permits = match limits.admit(req.method()) {
        Ok(p) => p,
        Err(busy) => return refuse(busy, 1),
    };
    let (body_timeout, body_min_rate) = (limits.config.body_timeout, limits.config.body_min_rate);
    let req = req.map(|body| Body::new(TimedBody::new(body, body_timeout, body_min_rate)));
    next.run(req).await
}

/// A body arrived too slowly: past [`LimitConfig::body_timeout`] in all, or slower than
/// [`LimitConfig::body_min_rate`] after [`BODY_GRACE`].
#[derive(Debug, thiserror::Error)]
#[error(
    "the body arrived too slowly ({received} bytes in {elapsed_ms} ms): it must arrive whole within {timeout_s} s and at {min_rate} bytes per second or faster"
)]
pub struct BodyTooSlow {
    received: u64,
    elapsed_ms: u128,
    timeout_s: u64,
    min_rate: u32,
}

/// A request body that fails with [`BodyTooSlow`] when it does not arrive in time.
struct TimedBody {
    inner: Body,
    start: tokio::time::Instant,
    received: u64,
    timeout: Duration,
    min_rate: u32,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TimedBody {
    fn new(inner: Body, timeout: Duration, min_rate: u32) -> Self {
        TimedBody {
            inner,
            start: tokio::time::Instant::now(),
            received: 0,
            timeout,
            min_rate,
            sleep: None,
        }
    }

    /// When the body is too slow, with what it has received so far: at the timeout, or once
    /// the bytes received are fewer than the minimum rate times the time past the grace.
    fn deadline(&self) -> tokio::time::Instant {
        let by_rate = if self.min_rate == 0 {
            self.timeout
        } else {
            BODY_GRACE + Duration::from_secs_f64(self.received as f64 / f64::from(self.min_rate))
        };
        self.start + self.timeout.min(by_rate)
    }

    fn too_slow(&self) -> axum::Error {
        axum::Error::new(BodyTooSlow {
            received: self.received,
            elapsed_ms: self.start.elapsed().as_millis(),
            timeout_s: self.timeout.as_secs(),
            min_rate: self.min_rate,
        })
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let deadline = this.deadline();
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(this.too_slow()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// `router` with the rate limit, the cap on requests in progress and the timeout.
pub fn layer<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: LimitConfig,
) -> Router<S> {
    let timeout = config.timeout;
    let limits = Arc::new(Limits::new(config));
    router
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Outside the timeout layer, to turn its bare 408 into the JSON error.
        .layer(axum::middleware::map_response(timeout_as_json))
        .layer(axum::middleware::from_fn_with_state(limits, enforce))
}

/// The timeout layer's bare 408, as the API's JSON error.
async fn timeout_as_json(res: Response) -> Response {
    if res.status() == StatusCode::REQUEST_TIMEOUT
        && res
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_none()
    {
        return ApiError::Timeout("the request took too long".into()).into_response();
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_past_its_burst_and_refills_at_the_rate() {
        let l = Limits::new(LimitConfig {
            rate_per_sec: 2.0,
            burst: 3,
            ..LimitConfig::default()
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            l.take(ip, t).unwrap();
        }
        assert!(l.take(ip, t).is_err());
        // Another client has its own bucket.
        l.take("192.0.2.2".parse().unwrap(), t).unwrap();
        // Half a second gives one token back at 2/s.
        l.take(ip, t + Duration::from_millis(500)).unwrap();
        assert!(l.take(ip, t + Duration::from_millis(500)).is_err());
        // Loopback is exempt by default.
        for _ in 0..100 {
            l.take("127.0.0.1".parse().unwrap(), t).unwrap();
        }
    }

    async fn call(app: &Router, path: &str) -> (StatusCode, serde_json::Value) {
        send(app, Method::GET, path, Body::empty()).await
    }

    fn slow_app(config: LimitConfig) -> Router {
        layer(
            Router::new()
                .route(
                    "/slow",
                    axum::routing::get(|| async {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                        "done"
                    }),
                )
                .route("/fast", axum::routing::get(|| async { "ok" })),
            config,
        )
    }

    #[tokio::test]
    async fn past_the_in_flight_cap_a_request_is_a_json_503_and_past_the_time_a_json_408() {
        let app = slow_app(LimitConfig {
            max_in_flight: 1,
            timeout: Duration::from_secs(5),
            ..LimitConfig::default()
        });
        let first = tokio::spawn({
            let app = app.clone();
            async move { call(&app, "/slow").await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, body) = call(&app, "/fast").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"], "unavailable");
        assert_eq!(first.await.unwrap().0, StatusCode::OK);
        // The permit is back.
        assert_eq!(call(&app, "/fast").await.0, StatusCode::OK);

        let app = slow_app(LimitConfig {
            timeout: Duration::from_millis(100),
            ..LimitConfig::default()
        });
        let (status, body) = call(&app, "/slow").await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(body["error"], "timeout");
        assert_eq!(call(&app, "/fast").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn past_the_rate_a_client_gets_a_json_429_with_retry_after() {
        let app = slow_app(LimitConfig {
            rate_per_sec: 1.0,
            burst: 2,
            ..LimitConfig::default()
        });
        assert_eq!(call(&app, "/fast").await.0, StatusCode::OK);
        assert_eq!(call(&app, "/fast").await.0, StatusCode::OK);
        let (status, body) = call(&app, "/fast").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["error"], "too_many_requests");
    }

    /// An app whose POST /slow holds its permit for 400 ms and whose POST /read reads the body.
    fn write_app(config: LimitConfig) -> Router {
        layer(
            Router::new()
                .route(
                    "/slow",
                    axum::routing::post(|| async {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                        "done"
                    }),
                )
                .route(
                    "/read",
                    axum::routing::post(|req: Request| async move {
                        crate::routes::read_body(req, &())
                            .await
                            .map(|b| b.len().to_string())
                    }),
                )
                .route("/fast", axum::routing::get(|| async { "ok" })),
            config,
        )
    }

    async fn send(
        app: &Router,
        method: Method,
        path: &str,
        body: Body,
    ) -> (StatusCode, serde_json::Value) {
        use tower::ServiceExt;
        let req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .extension(ConnectInfo(SocketAddr::from(([192, 0, 2, 9], 4000))))
            .body(body)
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    #[tokio::test]
    async fn with_the_writes_saturated_reads_are_served_and_a_client_has_its_own_cap() {
        let app = write_app(LimitConfig {
            max_in_flight: 4,
            max_writes_in_flight: 1,
            max_in_flight_per_client: 3,
            ..LimitConfig::default()
        });
        let first = tokio::spawn({
            let app = app.clone();
            async move { send(&app, Method::POST, "/slow", Body::empty()).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, body) = send(&app, Method::POST, "/slow", Body::empty()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            body["message"].as_str().unwrap().contains("writes"),
            "{body}"
        );
        // The reads keep the rest of the cap.
        assert_eq!(
            send(&app, Method::GET, "/fast", Body::empty()).await.0,
            StatusCode::OK
        );
        assert_eq!(first.await.unwrap().0, StatusCode::OK);

        // Three slow reads of one client take its three places: its fourth is a 429.
        let app = write_app(LimitConfig {
            max_in_flight_per_client: 3,
            ..LimitConfig::default()
        });
        let held: Vec<_> = (0..3)
            .map(|_| {
                let app = app.clone();
                tokio::spawn(async move { send(&app, Method::POST, "/slow", Body::empty()).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (status, body) = send(&app, Method::GET, "/fast", Body::empty()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            body["message"].as_str().unwrap().contains("in progress"),
            "{body}"
        );
        for h in held {
            assert_eq!(h.await.unwrap().0, StatusCode::OK);
        }
        assert_eq!(
            send(&app, Method::GET, "/fast", Body::empty()).await.0,
            StatusCode::OK
        );
    }

    /// The status of `GET /fast` from `peer` with these `X-Forwarded-For` headers.
    async fn get_from(app: &Router, peer: [u8; 4], forwarded: &[&str]) -> StatusCode {
        use tower::ServiceExt;
        let mut req = axum::http::Request::builder()
            .uri("/fast")
            .extension(ConnectInfo(SocketAddr::from((peer, 4000))));
        for f in forwarded {
            req = req.header(crate::client_addr::X_FORWARDED_FOR, *f);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        res.status()
    }

    #[tokio::test]
    async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
        let config = LimitConfig {
            rate_per_sec: 0.001,
            burst: 2,
            trusted_proxies: TrustedProxies::new([
                crate::client_addr::parse_cidr("127.0.0.1").unwrap()
            ]),
            ..LimitConfig::default()
        };
        let app = write_app(config);
        let proxy = [127, 0, 0, 1];
        for _ in 0..2 {
            assert_eq!(
                get_from(&app, proxy, &["203.0.113.1"]).await,
                StatusCode::OK
            );
        }
        assert_eq!(
            get_from(&app, proxy, &["203.0.113.1"]).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // Another client behind the same proxy is limited on its own.
        assert_eq!(
            get_from(&app, proxy, &["203.0.113.2"]).await,
            StatusCode::OK
        );
        // A client that writes its own header gets the proxy's appended address all the same.
        assert_eq!(
            get_from(&app, proxy, &["198.51.100.77, 203.0.113.1"]).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // Loopback is exempt as the resolved client, not as the proxy: a request the proxy
        // makes itself (no header) is exempt; one from a loopback client through it too.
        for _ in 0..5 {
            assert_eq!(get_from(&app, proxy, &[]).await, StatusCode::OK);
            assert_eq!(get_from(&app, proxy, &["::1"]).await, StatusCode::OK);
        }
        // An untrusted peer's header is ignored: it is limited as itself, whatever it claims.
        let other = [192, 0, 2, 50];
        for n in 0..2 {
            let claimed = format!("203.0.113.{}", 100 + n);
            assert_eq!(get_from(&app, other, &[&claimed]).await, StatusCode::OK);
        }
        assert_eq!(
            get_from(&app, other, &["203.0.113.200"]).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            get_from(&app, other, &["127.0.0.1"]).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    /// A body that sends `chunks` of `size` bytes, one every `every`.
    fn trickled(chunks: usize, size: usize, every: Duration) -> Body {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
        tokio::spawn(async move {
            for _ in 0..chunks {
                tokio::time::sleep(every).await;
                if tx.send(Bytes::from(vec![b' '; size])).await.is_err() {
                    return;
                }
            }
        });
        Body::new(Channel(rx))
    }

    /// A body of the chunks sent on a channel.
    struct Channel(tokio::sync::mpsc::Receiver<Bytes>);

    impl http_body::Body for Channel {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            self.0.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b))))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_slower_than_the_minimum_rate_or_the_timeout_is_a_json_408() {
        let config = LimitConfig {
            body_timeout: Duration::from_secs(10),
            body_min_rate: 1000,
            ..LimitConfig::default()
        };
        let app = write_app(config);
        // One byte a second: below 1000 bytes a second once the 2 s grace is over.
        let (status, body) = send(
            &app,
            Method::POST,
            "/read",
            trickled(100, 1, Duration::from_secs(1)),
        )
        .await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
        assert_eq!(body["error"], "timeout");
        assert!(
            body["message"].as_str().unwrap().contains("too slowly"),
            "{body}"
        );
        // 2000 bytes a second is fast enough, but 30 000 bytes take longer than the 10 s.
        let (status, body) = send(
            &app,
            Method::POST,
            "/read",
            trickled(15, 2000, Duration::from_secs(1)),
        )
        .await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
        // 16 000 bytes at that rate arrive in 8 s: read.
        let (status, body) = send(
            &app,
            Method::POST,
            "/read",
            trickled(8, 2000, Duration::from_secs(1)),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
