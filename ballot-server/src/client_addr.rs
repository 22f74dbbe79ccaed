//! The client's address (`spec/api.md` §6.1), for the limits per client address, the limit on
//! public proposals and the staff audit trail.
//!
//! It is the TCP peer's address, unless the peer is a trusted reverse proxy
//! (`piaojue serve --trusted-proxy CIDR`): then it is taken from `X-Forwarded-For`, read from
//! the right (each proxy appends the address it was reached from) and skipping the trusted
//! hops, so that it is the rightmost address no trusted proxy vouches for. Whatever a client
//! writes in the header itself stands to the left of that and is never taken. A malformed
//! header, or none, gives the peer's address; without trusted proxies the header is ignored.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
pub use ipnet::IpNet;

/// The header a reverse proxy appends the client's address to.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The address blocks of the trusted reverse proxies (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Arc<[IpNet]>);

/// A `--trusted-proxy` value that is neither an address nor a CIDR block.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an IP address or a CIDR block (e.g. 10.0.0.0/8, 127.0.0.1, ::1/128)")]
pub struct BadCidr(pub String);

/// Parses `10.0.0.0/8`, `fd00::/8` or a single address (`127.0.0.1`, `::1`).
pub fn parse_cidr(s: &str) -> Result<IpNet, BadCidr> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| BadCidr(s.to_string()))
}

impl TrustedProxies {
    /// These address blocks.
    pub fn new(nets: impl IntoIterator<Item = IpNet>) -> Self {
        TrustedProxies(nets.into_iter().collect())
    }

    /// Whether any proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address as its IPv4 address) is a trusted proxy's.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a request from `peer` with these headers.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let Some(hops) = forwarded_for(headers) else {
            return peer;
        };
        // From the right: the first address that is not a trusted proxy's; if all are, the
        // leftmost (a client inside the proxies' network).
        hops.iter()
            .rev()
            .find(|ip| !self.contains(**ip))
            .or(hops.first())
            .copied()
            .unwrap_or(peer)
    }
}

/// The addresses of every `X-Forwarded-For` header, in order; `None` when there is none or any
/// item is not a bare IP address.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut hops = Vec::new();
    for value in headers.get_all(X_FORWARDED_FOR) {
        for item in value.to_str().ok()?.split(',') {
            hops.push(item.trim().parse::<IpAddr>().ok()?.to_canonical());
        }
    }
    (!hops.is_empty()).then_some(hops)
}

/// The client's address as resolved by the limits' middleware ([`crate::limits::enforce`]);
/// without it, the TCP peer's, and loopback when the server was not started with connection
/// info (in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The address of the request with these parts.
    pub fn of(extensions: &axum::http::Extensions) -> Self {
        extensions.get::<ClientAddr>().copied().unwrap_or_else(|| {
            ClientAddr(
                extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip().to_canonical())
                    .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            )
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(&parts.extensions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| parse_cidr(s).unwrap()))
    }

    #[test]
    fn cidr_blocks_and_single_addresses_parse_and_anything_else_is_refused() {
        assert_eq!(parse_cidr("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("127.0.0.1").unwrap().to_string(), "127.0.0.1/32");
        assert_eq!(parse_cidr("::1").unwrap().to_string(), "::1/128");
        assert_eq!(parse_cidr(" fd00::/8 ").unwrap().to_string(), "fd00::/8");
        for bad in [
            "",
            "10.0.0.0/33",
            "localhost",
            "10.0.0",
            "10.0.0.0/8/8",
            "::1/129",
        ] {
            assert_eq!(
                parse_cidr(bad),
                Err(BadCidr(bad.trim().to_string())),
                "{bad}"
            );
        }
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        let h = headers(&["203.0.113.7"]);
        assert_eq!(none.resolve(ip("127.0.0.1"), &h), ip("127.0.0.1"));
        assert_eq!(none.resolve(ip("198.51.100.1"), &h), ip("198.51.100.1"));
    }

    #[test]
    fn a_header_from_an_untrusted_peer_is_ignored() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&["203.0.113.7"]);
        assert_eq!(p.resolve(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // A loopback peer is no proxy unless trusted: its header does not make it another
        // client (nor does a spoofed loopback address make a remote client exempt).
        assert_eq!(p.resolve(ip("127.0.0.1"), &h), ip("127.0.0.1"));
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let p = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        let peer = ip("127.0.0.1");
        assert_eq!(
            p.resolve(peer, &headers(&["203.0.113.7"])),
            ip("203.0.113.7")
        );
        // The client wrote its own header: the proxy appended the real address to it.
        assert_eq!(
            p.resolve(peer, &headers(&["127.0.0.1, 1.2.3.4, 203.0.113.7"])),
            ip("203.0.113.7")
        );
        // Trusted hops on the right are skipped.
        assert_eq!(
            p.resolve(
                peer,
                &headers(&["198.51.100.9, 203.0.113.7, 10.0.0.2, 10.9.9.9"])
            ),
            ip("203.0.113.7")
        );
        // Several headers are one list, in order.
        assert_eq!(
            p.resolve(peer, &headers(&["198.51.100.9", "203.0.113.7,10.0.0.2"])),
            ip("203.0.113.7")
        );
        // All trusted: the leftmost.
        assert_eq!(
            p.resolve(peer, &headers(&["10.0.0.5, 10.0.0.2"])),
            ip("10.0.0.5")
        );
        // IPv6 and IPv4-mapped addresses.
        assert_eq!(
            p.resolve(peer, &headers(&["2001:db8::1"])),
            ip("2001:db8::1")
        );
        assert_eq!(
            p.resolve(ip("::ffff:10.0.0.1"), &headers(&["::ffff:203.0.113.7"])),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_malformed_or_missing_header_gives_the_peer() {
        let p = proxies(&["127.0.0.1"]);
        let peer = ip("127.0.0.1");
        for bad in [
            "",
            "unknown",
            "203.0.113.7:4000",
            "203.0.113.7,,198.51.100.1",
            "203.0.113.7, garbage",
            "[2001:db8::1]",
        ] {
            assert_eq!(p.resolve(peer, &headers(&[bad])), peer, "{bad:?}");
        }
        assert_eq!(p.resolve(peer, &HeaderMap::new()), peer);
        // One good header and one bad: malformed.
        assert_eq!(
            p.resolve(peer, &headers(&["203.0.113.7", "nonsense"])),
            peer
        );
        let mut h = HeaderMap::new();
        h.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_bytes(b"203.0.113.\xff").unwrap(),
        );
        assert_eq!(p.resolve(peer, &h), peer);
    }
}
