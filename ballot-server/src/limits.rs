//! The server's limits on hostile traffic (`spec/api.md` §Limits): a token bucket of requests
//! per client address, a cap on requests in progress at once, and (in [`crate::app`]) the body
//! size and the request timeout. Every refusal is the JSON error of [`ApiError`] and changes
//! nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;

use crate::error::ApiError;

/// The limits' settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitConfig {
    /// Requests per second one client address may make on average (0: no limit).
    pub rate_per_sec: f64,
    /// Requests a client may make at once above the average.
    pub burst: u32,
    /// Whether loopback clients (127.0.0.0/8, ::1) are exempt from the rate limit.
    pub exempt_loopback: bool,
    /// Requests served at once; more are refused with 503.
    pub max_in_flight: usize,
    /// Longest time a request may take before it is answered with 408.
    pub timeout: Duration,
}

impl Default for LimitConfig {
    fn default() -> Self {
        LimitConfig {
            rate_per_sec: 50.0,
            burst: 200,
            exempt_loopback: true,
            max_in_flight: 1024,
            timeout: Duration::from_secs(60),
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
}

impl Limits {
    /// Limits with these settings.
    pub fn new(config: LimitConfig) -> Self {
        Limits {
            config,
            buckets: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        }
    }

    /// The settings.
    pub fn config(&self) -> &LimitConfig {
        &self.config
    }

    /// Takes one token of `client`'s bucket, or says how long to wait for one.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let c = &self.config;
        if c.rate_per_sec <= 0.0 || (c.exempt_loopback && client.is_loopback()) {
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

/// The middleware: the per-client rate limit (429), then the cap on requests in progress (503).
pub async fn enforce(State(limits): State<Arc<Limits>>, req: Request, next: Next) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = client
        && let Err(wait) = limits.take(ip, Instant::now())
    {
        let secs = wait.as_secs() + 1;
        let mut res = ApiError::TooManyRequests(format!(
            "too many requests from this address: at most {} per second on average; try again in {secs} s",
            limits.config.rate_per_sec
        ))
        .into_response();
        res.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, secs.into());
        return res;
    }
    let Ok(_permit) = limits.in_flight.clone().try_acquire_owned() else {
        let mut res = ApiError::Unavailable(format!(
            "the server is busy: {} requests are in progress; try again shortly",
            limits.config.max_in_flight
        ))
        .into_response();
        res.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, 1.into());
        return res;
    };
    next.run(req).await
}

/// `router` with the rate limit, the cap on requests in progress and the timeout.
pub fn layer<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: LimitConfig,
) -> Router<S> {
    let limits = Arc::new(Limits::new(config));
    router
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.timeout,
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
        use tower::ServiceExt;
        let req = axum::http::Request::builder()
            .uri(path)
            .extension(ConnectInfo(SocketAddr::from(([192, 0, 2, 9], 4000))))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or_default())
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
}
