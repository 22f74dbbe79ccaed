//! Access: every write endpoint of the API tried with no token, a malformed header, a wrong
//! token, and each wrong role (a deputy's credential or code, a teller's signature where staff
//! is needed; a staff token where a teller's signature or a deputy's credential is needed).
//! Each must be 401/403 (or 422 for a ballot of a credential not on the list), and the whole
//! database must be byte-for-byte the same afterwards. SQLite always; PostgreSQL when
//! `PIAOJUE_TEST_POSTGRES_URL` is set.

mod common;

use common::election::{Election, test_rng};
use common::{Client, Server, TestDb, databases, dump_database};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use serde_json::{Value, json};

/// The write endpoints that need a staff token: (method, path, a body that would be valid or
/// nearly so).
fn staff_endpoints(id: &str) -> Vec<(&'static str, String, Value)> {
    let m = samples::up_to_k_of_n("access-new", 3, 1, TellerParams { n: 3, t: 2 });
    vec![
        (
            "POST",
            "/api/elections".into(),
            serde_json::to_value(&m).unwrap(),
        ),
        (
            "POST",
            format!("/api/elections/{id}/tellers"),
            json!({ "signing_keys": [] }),
        ),
        (
            "POST",
            format!("/api/elections/{id}/credentials"),
            json!({ "keys": [] }),
        ),
        (
            "PUT",
            format!("/api/elections/{id}/roll"),
            json!({ "names": ["x"] }),
        ),
        ("POST", format!("/api/elections/{id}/open"), json!({})),
        ("POST", format!("/api/elections/{id}/close"), json!({})),
        ("POST", format!("/api/elections/{id}/publish"), json!({})),
        ("GET", "/api/staff/session".into(), Value::Null),
        (
            "POST",
            "/api/cycle/congresses".into(),
            json!({ "id": "c1", "name": "x", "level": "township" }),
        ),
        (
            "POST",
            "/api/cycle/congresses/c1/deputy-codes".into(),
            json!({ "count": 1 }),
        ),
        ("GET", "/api/cycle/proposals/1/contact".into(), Value::Null),
        ("POST", "/api/cycle/proposals/1/decisions".into(), json!({})),
        (
            "PUT",
            "/api/cycle/negative-list".into(),
            json!({ "items": [] }),
        ),
        ("POST", "/api/cycle/candidates".into(), json!({})),
        ("POST", "/api/cycle/approvals".into(), json!({})),
        (
            "POST",
            format!("/api/cycle/elections/{id}/revote"),
            json!({}),
        ),
        ("POST", "/api/cycle/evaluations".into(), json!({})),
        ("PUT", "/api/cycle/projects/p1/plan".into(), json!({})),
        ("POST", "/api/cycle/projects/p1/progress".into(), json!({})),
        (
            "POST",
            "/api/cycle/progress/1/attachments".into(),
            json!({}),
        ),
    ]
}

fn send(c: &Client, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let bytes = if body.is_null() {
        None
    } else {
        Some(serde_json::to_vec(body).unwrap())
    };
    // An attachment's body is the file, with the file's type (`spec/api.md` §6.3).
    let (status, raw) = match bytes {
        Some(b) if path.ends_with("/attachments") => c.request_typed(method, path, "image/png", &b),
        b => c.request(method, path, b.as_deref()),
    };
    (status, serde_json::from_slice(&raw).unwrap_or(Value::Null))
}

fn run(db: TestDb) {
    let server = Server::start(&db);
    let staff = server.staff();
    let mut rng = test_rng(8, 1);
    let manifest = samples::up_to_k_of_n("access", 3, 1, TellerParams { n: 3, t: 2 });
    let e = Election::prepare_open(&staff, manifest, 3, &mut rng);
    let before = dump_database(&db);
    let mut tried = 0;

    // A deputy's credential seed or a teller's signing key as a bearer token is just a wrong
    // token: staff endpoints know one role.
    let deputy_as_token = format!("Bearer {}", hex::encode(e.credentials[0].seed()));
    let teller_as_token = format!("Bearer {}", hex::encode(e.signing[0].to_bytes()));
    let wrong_token = format!("Bearer pjs_{}", "0".repeat(48));
    let cases: Vec<(Option<String>, u16, &str)> = vec![
        (None, 401, "unauthorized"),
        (Some("Basic dXNlcjpwYXNz".into()), 401, "unauthorized"),
        (Some(server.token.clone()), 401, "unauthorized"), // the token without "Bearer "
        (Some(wrong_token), 403, "forbidden"),
        (Some(deputy_as_token), 403, "forbidden"),
        (Some(teller_as_token), 403, "forbidden"),
        (Some(format!("Bearer {}x", server.token)), 403, "forbidden"),
    ];
    for (auth, status, code) in &cases {
        let c = match auth {
            None => server.public(),
            Some(h) => server.with_authorization(h),
        };
        for (method, path, body) in staff_endpoints(&e.id) {
            let (got, reply) = send(&c, method, &path, &body);
            assert_eq!(
                (got, reply["error"].as_str()),
                (*status, Some(*code)),
                "{method} {path} with {auth:?}: {reply}"
            );
            tried += 1;
        }
    }

    // Teller endpoints are authenticated by the teller's signature, not by a token: a staff
    // token does not make a ceremony message or a decryption share acceptable.
    for (path, body) in [
        (
            e.path("/ceremony"),
            json!({ "round": "commit", "index": 1, "signature": "x" }),
        ),
        (e.path("/decryption-shares"), json!({ "index": 1 })),
    ] {
        let (status, reply) = send(&staff, "POST", &path, &body);
        assert!(
            (400..500).contains(&status) && status != 404,
            "POST {path} as staff: {status} {reply}"
        );
        tried += 1;
    }

    // A deputy endpoint: a ballot signed by a credential that is not on the list, even sent
    // with the staff token, is refused.
    let stranger = piaojue_crypto::credential::Credential::from_seed(&[99; 32]);
    let ctx = e.context(&staff);
    let sel = piaojue_crypto::ballot::Selection::from_chosen(&ctx.manifest, &[vec![0]]).unwrap();
    let (ballot, _) =
        piaojue_crypto::ballot::Ballot::build(&ctx, &stranger, &sel, &mut rng).unwrap();
    let (status, reply) = staff.post(&e.path("/ballots"), &ballot);
    assert_eq!(
        (status, reply["error"].as_str()),
        (422, Some("invalid")),
        "{reply}"
    );
    tried += 1;

    // An inspection note (deputy role, by deputy code): a staff token is not a deputy code.
    let (status, reply) = send(
        &staff,
        "POST",
        "/api/cycle/projects/p1/inspections",
        &json!({ "deputy_code": server.token, "date": "2026-01-01", "text": "x" }),
    );
    assert!(matches!(status, 403 | 404), "{status} {reply}");
    tried += 1;

    let after = dump_database(&db);
    if before != after {
        let b: std::collections::BTreeSet<&str> = before.lines().collect();
        let a: std::collections::BTreeSet<&str> = after.lines().collect();
        let gone: Vec<&&str> = b.difference(&a).take(5).collect();
        let new: Vec<&&str> = a.difference(&b).take(5).collect();
        panic!(
            "a refused request changed the database ({:?}): gone {gone:?}, new {new:?}",
            db.backend
        );
    }
    println!("{tried} refused requests, database unchanged");
}

#[test]
fn every_write_endpoint_refuses_every_wrong_role() {
    for db in databases() {
        run(db);
    }
}

/// Every answer carries `nosniff`, API answers `no-store`, a 401 names its scheme, and a request
/// with two `Authorization` headers is refused even when one of them is the right token
/// (`spec/api.md` §6.2).
#[test]
fn answers_carry_the_security_headers_and_two_authorizations_are_refused() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let session = format!("{}/api/staff/session", server.base);
    let header = |r: &ureq::http::Response<ureq::Body>, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };

    let r = agent.get(&session).call().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        header(&r, "www-authenticate").as_deref(),
        Some("Bearer realm=\"piaojue\"")
    );
    assert_eq!(
        header(&r, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
    let page = agent.get(format!("{}/", server.base)).call().unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        header(&page, "x-content-type-options").as_deref(),
        Some("nosniff")
    );

    let bearer = format!("Bearer {}", server.token);
    let r = agent
        .get(&session)
        .header("Authorization", &bearer)
        .header("Authorization", "Bearer pjs_other")
        .call()
        .unwrap();
    assert_eq!(r.status(), 400, "two Authorization headers");
    let r = agent
        .get(&session)
        .header("Authorization", &bearer)
        .call()
        .unwrap();
    assert_eq!(r.status(), 200, "one, the right one");
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
}

/// Every write to the API carries `Content-Type: application/json` (an attachment its file's
/// type), with a body or without, else 415; a write a browser sends from another site's page is
/// 403 `cross_origin`, with the right type and the right token; the same writes from this site's
/// own pages, or from a tool that is no browser, are accepted (`spec/api.md` §6.3; issue 19 §3).
/// Nothing refused changes the database.
#[test]
fn writes_carry_json_and_come_from_this_sites_pages() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let staff = server.staff();
    let (status, reply) = staff.post(
        "/api/cycle/congresses",
        &json!({ "id": "cy", "name": { "zh": "某县" }, "level": "county", "deputies": 5 }),
    );
    assert_eq!(status, 201, "{reply}");
    let mut rng = test_rng(19, 3);
    let manifest = samples::up_to_k_of_n("origin", 3, 1, TellerParams { n: 3, t: 2 });
    let e = Election::prepare_open(&staff, manifest, 2, &mut rng);
    let (_, status_before) = staff.get(&e.path(""));

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let host = server.base.trim_start_matches("http://").to_string();
    let proposals = format!("{}/api/cycle/proposals", server.base);
    let close = format!("{}{}", server.base, e.path("/close"));
    let bearer = format!("Bearer {}", server.token);
    let proposal = json!({ "congress": "cy", "year": 2027, "title": "某路口加装信号灯",
        "description": "某", "location": "某", "category": "交通", "submitter": "public" })
    .to_string();
    let send = |url: &str, headers: &[(&str, &str)], body: &str| -> (u16, Value) {
        let mut req = agent.post(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let mut r = req.send(body).unwrap();
        let text = r.body_mut().read_to_string().unwrap();
        (
            r.status().as_u16(),
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    };

    let before = dump_database(&db);
    let json = ("content-type", "application/json");
    // (url, headers, body, the error code expected)
    type Case<'a> = (&'a String, Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let mut cases: Vec<Case> = Vec::new();
    // A cross-site form or no-preflight fetch can send only the first three types.
    for ty in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "application/json; charset=latin1",
    ] {
        cases.push((
            &proposals,
            vec![("content-type", ty)],
            &proposal,
            "unsupported_media_type",
        ));
    }
    cases.push((&proposals, vec![], &proposal, "unsupported_media_type"));
    // JSON from another site's page, as a browser says it.
    for from in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        cases.push((&proposals, vec![json, from], &proposal, "cross_origin"));
    }
    // A staff write without a body still declares JSON; the token does not excuse another site.
    let auth = ("authorization", bearer.as_str());
    cases.push((&close, vec![auth], "", "unsupported_media_type"));
    let cross = ("sec-fetch-site", "cross-site");
    cases.push((&close, vec![auth, json, cross], "", "cross_origin"));
    for (url, headers, body, code) in cases {
        let (got, reply) = send(url, &headers, body);
        let status = if code == "cross_origin" { 403 } else { 415 };
        assert_eq!(
            (got, reply["error"].as_str()),
            (status, Some(code)),
            "{headers:?}: {reply}"
        );
        assert!(
            reply["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{reply}"
        );
    }
    assert_eq!(
        dump_database(&db),
        before,
        "a refused write changed the database"
    );
    assert_eq!(staff.get(&e.path("")).1["state"], status_before["state"]);

    // This site's own pages (as the browser says it), and a tool that is no browser, may write.
    let origin = format!("http://{host}");
    for headers in [
        vec![
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-origin"),
            ("origin", origin.as_str()),
        ],
        vec![
            ("content-type", "application/json; charset=utf-8"),
            ("origin", origin.as_str()),
        ],
        vec![("content-type", "application/json")],
    ] {
        let (got, reply) = send(&proposals, &headers, &proposal);
        assert_eq!(got, 201, "{headers:?}: {reply}");
    }
    let (got, reply) = send(
        &close,
        &[
            ("authorization", bearer.as_str()),
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-origin"),
        ],
        "",
    );
    assert_eq!(got, 201, "{reply}");
}

/// A rotation revokes every staff token and writes a new one; with `--staff-token-ttl` a token
/// older than that is refused as expired (issue 19 §3).
#[test]
fn staff_tokens_expire_and_a_rotation_revokes_them() {
    let db = TestDb::sqlite();
    let mut server = Server::start(&db);
    let old = server.token.clone();
    assert_eq!(server.staff().get("/api/staff/session").0, 200);
    server.kill();

    let mut server = Server::start_with(&db, &["--rotate-staff-token"]);
    assert_ne!(server.token, old, "a new token in the token file");
    let (status, body) = server
        .with_authorization(&format!("Bearer {old}"))
        .get("/api/staff/session");
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")));
    assert_eq!(server.staff().get("/api/staff/session").0, 200);
    server.kill();

    // Valid for 1 s: the token made at the rotation is older than that once 1.5 s have passed.
    let server = Server::start_with(&db, &["--staff-token-ttl", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let (status, body) = server.staff().get("/api/staff/session");
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("expired"),
        "{body}"
    );
}
