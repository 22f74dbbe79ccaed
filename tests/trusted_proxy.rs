//! `piaojue serve --trusted-proxy` (issue 17, `spec/api.md` §6.1), on the real binary over
//! loopback: behind a trusted proxy (127.0.0.1 here) each client its `X-Forwarded-For` names
//! has its own limits, and what a client writes into the header itself does not change who it
//! is; from a peer that is not trusted (127.0.0.2) the header is ignored, however it varies.
//! The proxy's connections are not capped per address; an untrusted peer's are.

mod common;

use std::net::{Ipv4Addr, SocketAddr};

use common::{Server, TestDb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const PROXY: Ipv4Addr = Ipv4Addr::LOCALHOST;
const UNTRUSTED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.bind(SocketAddr::from((from, 0))).expect("bind");
    socket.connect(to).await.expect("connect")
}

/// The status of `GET /api/board-key` sent on `stream` with these `X-Forwarded-For` values,
/// keeping the connection open (`None`: the server closed it without answering).
async fn get_on(stream: &mut TcpStream, forwarded: &[&str]) -> Option<u16> {
    let mut req = String::from("GET /api/board-key HTTP/1.1\r\nHost: localhost\r\n");
    for f in forwarded {
        req.push_str(&format!("X-Forwarded-For: {f}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.ok()?;
    // Read the head, then the body by its length.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("a length"))
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    head.strip_prefix("http/1.1 ")?.get(..3)?.parse().ok()
}

/// The status of one request on a connection of its own from `from`.
async fn get_from(from: Ipv4Addr, to: SocketAddr, forwarded: &[&str]) -> Option<u16> {
    let mut stream = connect_from(from, to).await;
    get_on(&mut stream, forwarded).await
}

#[test]
fn clients_behind_a_trusted_proxy_are_limited_apart_and_an_untrusted_header_is_ignored() {
    let db = TestDb::sqlite();
    let server = Server::start_with(
        &db,
        &[
            "--trusted-proxy",
            "127.0.0.1",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--rate-limit",
            "0.001",
            "--rate-burst",
            "3",
            "--rate-limit-loopback",
            "--max-connections-per-client",
            "1",
        ],
    );
    let to = server.addr;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        // Client A behind the proxy: its burst of 3, then 429.
        for _ in 0..3 {
            assert_eq!(get_from(PROXY, to, &["203.0.113.1"]).await, Some(200));
        }
        assert_eq!(get_from(PROXY, to, &["203.0.113.1"]).await, Some(429));
        // Client B behind the same proxy has a bucket of its own.
        assert_eq!(get_from(PROXY, to, &["203.0.113.2"]).await, Some(200));
        // A client that writes its own header (the proxy appends the address it came from) is
        // still itself; so it is through a trusted inner hop.
        assert_eq!(
            get_from(PROXY, to, &["198.51.100.50, 203.0.113.1"]).await,
            Some(429)
        );
        assert_eq!(
            get_from(PROXY, to, &["198.51.100.50", "203.0.113.1, 10.1.2.3"]).await,
            Some(429)
        );
        // The proxy's connections are not capped per address (at most 1 here): two at once.
        let mut first = connect_from(PROXY, to).await;
        assert_eq!(get_on(&mut first, &["203.0.113.3"]).await, Some(200));
        let mut second = connect_from(PROXY, to).await;
        assert_eq!(get_on(&mut second, &["203.0.113.4"]).await, Some(200));
        assert_eq!(get_on(&mut first, &["203.0.113.5"]).await, Some(200));

        // An untrusted peer: whatever its header says, it is 127.0.0.2, limited as one (on one
        // kept-alive connection: its connections are capped at 1 per address).
        let mut held = connect_from(UNTRUSTED, to).await;
        for n in 0..3 {
            let claimed = format!("198.51.100.{n}");
            assert_eq!(get_on(&mut held, &[&claimed]).await, Some(200));
        }
        for claimed in ["198.51.100.200", "203.0.113.2", "127.0.0.1"] {
            assert_eq!(get_on(&mut held, &[claimed]).await, Some(429));
        }
        // A second connection of it at once is closed, whatever it claims.
        assert_eq!(get_from(UNTRUSTED, to, &["203.0.113.9"]).await, None);
    });
    drop(server);
}
