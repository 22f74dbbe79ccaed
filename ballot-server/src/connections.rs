//! The accept loop (`spec/api.md` §6.1): HTTP/1.1 connections served by hyper with a timeout
//! on each request's headers (the first of a connection and the next on a kept-alive one, so
//! an idle connection is closed too), a cap on open connections below the process's open-file
//! limit, a cap per client address, and a graceful shutdown that stops accepting and lets the
//! requests in progress finish.
//!
//! HTTP/2 is not spoken here: a reverse proxy in front speaks it to browsers and HTTP/1.1 to
//! the server. Without a proxy, the server speaks TLS itself ([`crate::tls`]), HTTP/1.1 inside.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::limits::{LimitConfig, PerClient};
use crate::tls::{HANDSHAKE_TIMEOUT, Tls};

/// Open files kept for the database, the log and the rest of the process, below the open-file
/// limit, when [`LimitConfig::max_connections`] is worked out.
pub const FILE_RESERVE: u64 = 128;

/// Raises the soft limit on open files (`RLIMIT_NOFILE`) to the hard limit and answers the
/// soft limit now in force. On systems without such a limit, answers `None`.
pub fn raise_open_file_limit() -> std::io::Result<Option<u64>> {
    #[cfg(unix)]
    {
        let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
        rlimit::increase_nofile_limit(hard).map(Some)
    }
    #[cfg(not(unix))]
    {
        Ok(None)
    }
}

/// The connections served at once: `configured`, but never more than the open-file limit
/// `file_limit` less [`FILE_RESERVE`] (and at least 1).
pub fn connection_cap(configured: usize, file_limit: Option<u64>) -> usize {
    let by_files = file_limit
        .map(|l| usize::try_from(l.saturating_sub(FILE_RESERVE)).unwrap_or(usize::MAX))
        .unwrap_or(usize::MAX);
    configured.min(by_files).max(1)
}

/// The soft open-file limit in force, if the system has one.
fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, _)| soft)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting and waits for the
/// open connections to finish their requests (at most [`LimitConfig::shutdown_timeout`]). Each request carries the client's address as
/// `ConnectInfo<SocketAddr>`.
///
/// With `tls`, each accepted connection first completes a TLS handshake (within
/// [`crate::tls::HANDSHAKE_TIMEOUT`], with the certificate in force when it was accepted), and
/// every answer carries `Strict-Transport-Security`; the certificate files are watched for
/// changes until the shutdown.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: &LimitConfig,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cap = connection_cap(config.max_connections, open_file_limit());
    let open = Arc::new(Semaphore::new(cap));
    let per_client = PerClient::new(config.max_connections_per_client);
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    if let Ok(local) = listener.local_addr() {
        tracing::info!(address = %local, max_connections = cap, "accepting connections");
    }
    // Stopped (aborted) when the loop ends.
    let reloader = tls.clone().map(|t| tokio::spawn(t.watch()));
    tokio::pin!(shutdown);
    loop {
        // Wait for a free connection slot before accepting: past the cap, new connections wait
        // in the kernel's queue, and the process never runs out of file descriptors.
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => p.expect("the connection semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors or a connection reset before it was accepted:
                    // wait a little rather than spin, and go on.
                    tracing::warn!(error = %e, "accept error");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ip = addr.ip().to_canonical();
        // A trusted proxy carries many clients: they are limited per request, by the address
        // its `X-Forwarded-For` gives (`crate::client_addr`), not per connection.
        let slot = if config.exempts(ip) || config.trusted_proxies.contains(ip) {
            None
        } else {
            match per_client.enter(ip) {
                Some(slot) => Some(slot),
                // This address has its share of connections open: close this one at once.
                None => continue,
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let hsts = tls.is_some();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            let app = app.clone();
            async move {
                let mut res = app.oneshot(req).await?;
                if hsts {
                    res.headers_mut().insert(
                        hyper::header::STRICT_TRANSPORT_SECURITY,
                        hyper::header::HeaderValue::from_static(crate::tls::HSTS),
                    );
                }
                Ok::<_, std::convert::Infallible>(res)
            }
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = tls.as_ref().map(|t| t.acceptor());
        tokio::spawn(async move {
            // Not `serve_connection_with_upgrades`: it first waits, without a timeout, for the
            // bytes that tell HTTP/1 from HTTP/2, and an idle connection would never be closed.
            let served = match acceptor {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn.into_owned()).await
                }
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            let conn = builder.serve_connection(TokioIo::new(stream), service);
                            watcher.watch(conn.into_owned()).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, client = %addr, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!(client = %addr, "TLS handshake timed out");
                            Ok(())
                        }
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, client = %addr, "connection ended with an error");
            }
            drop(slot);
            drop(permit);
        });
    }
    if let Some(r) = reloader {
        r.abort();
    }
    // Stop accepting (the listening socket is closed: new connections are refused), close the
    // idle kept-alive connections, and let the requests in progress finish, for at most the
    // shutdown timeout.
    drop(listener);
    let open_now = cap - open.available_permits();
    tracing::info!(
        connections = open_now,
        "shutting down: no longer accepting; finishing the requests in progress"
    );
    if tokio::time::timeout(config.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = config.shutdown_timeout.as_secs_f64(),
            "shutting down: requests still in progress after the shutdown timeout are cut"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_stays_below_the_open_file_limit() {
        assert_eq!(connection_cap(4096, Some(1024)), 1024 - 128);
        assert_eq!(connection_cap(100, Some(1024)), 100);
        assert_eq!(connection_cap(4096, None), 4096);
        assert_eq!(connection_cap(4096, Some(10)), 1);
    }

    #[test]
    fn the_soft_open_file_limit_is_raised_to_the_hard_one() {
        let now = raise_open_file_limit().unwrap();
        #[cfg(unix)]
        {
            let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
            assert_eq!(now, Some(soft));
            assert_eq!(soft, hard);
        }
    }
}
