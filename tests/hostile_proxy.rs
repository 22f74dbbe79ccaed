//! The malicious-server harness itself (tests/hostile): through the proxy, answers are the
//! server's own byte for byte until a hook rewrites one; requests and their bodies reach the
//! server; the log shows every exchange.

mod common;
mod hostile;

use bytes::Bytes;
use common::election::expect;
use common::{Client, Server, TestDb};
use hostile::{Proxy, edit_json};
use hyper::{Method, StatusCode};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;

#[test]
fn the_proxy_forwards_and_rewrites_what_the_test_chooses() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let proxy = Proxy::start(server.addr);
    let through = Client::new(&proxy.base, None);
    let staff = Client::new(&proxy.base, Some(format!("Bearer {}", server.token)));

    // Unchanged: the same bytes as from the server itself.
    assert_eq!(
        through.get_bytes("/api/board-key"),
        server.public().get_bytes("/api/board-key")
    );
    // A POST with its body and token reaches the server.
    let manifest = samples::up_to_k_of_n("proxied", 3, 1, TellerParams { n: 3, t: 2 });
    let draft = piaojue::cli::client::manifest_draft(&manifest);
    expect(staff.post("/api/elections", &draft), 201);
    expect(server.public().get("/api/elections/proxied"), 200);

    // A hook rewrites one answer and leaves the others alone.
    proxy.set_hook(|method, path, status, body| {
        (method == Method::GET && path == "/api/elections/proxied" && status == StatusCode::OK)
            .then(|| {
                let body = edit_json(body, |v| v["state"] = "open".into());
                (StatusCode::OK, body)
            })
    });
    let (status, v) = through.get("/api/elections/proxied");
    assert_eq!((status, v["state"].as_str()), (200, Some("open")));
    let (_, direct) = server.public().get("/api/elections/proxied");
    assert_eq!(direct["state"], "draft", "the server itself is unchanged");
    proxy.set_hook(|_, path, _, _| {
        (path == "/api/board-key")
            .then(|| (StatusCode::SERVICE_UNAVAILABLE, Bytes::from_static(b"{}")))
    });
    assert_eq!(through.get("/api/board-key").0, 503);

    // The log has every exchange, rewritten ones marked.
    let log = proxy.log();
    assert_eq!(log.len(), 4, "{log:?}");
    let posts = proxy.requests(&Method::POST, "/api/elections");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].status, StatusCode::CREATED);
    assert!(!posts[0].rewritten);
    let body: serde_json::Value = serde_json::from_slice(&posts[0].request).expect("JSON");
    assert_eq!(body["election_id"], "proxied");
    assert!(log[2].rewritten && log[3].rewritten);
    assert_eq!(log[3].status, StatusCode::SERVICE_UNAVAILABLE);
}
