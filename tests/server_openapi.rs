//! The API's documentation, `ballot-server/openapi.json`, is the API of `routes.rs`: every
//! route is documented with every method, and nothing else is; every operation has an id, a
//! summary, a success response and its path parameters; every reference resolves; the server
//! serves the file as it is; and the real traffic of a whole election matches it: every
//! request body and every answer (successes and refusals) validates against the documented
//! schema of its operation and status, and every operation is exercised.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use common::election::{Election, expect, test_rng};
use common::{Exchange, Server, TestDb};
use piaojue_crypto::ballot::{AuditedBallot, Ballot, Selection};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::samples;
use serde_json::{Value, json};

/// `(path, method)` of every route in `routes.rs`: the string of each `.route("…", …)` and
/// the method routers chained after it (`get(…)`, `.post(…)` …).
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut out = routes_of(include_str!("../ballot-server/src/routes.rs"));
    out.extend(routes_of(include_str!(
        "../ballot-server/src/cycle/routes.rs"
    )));
    out
}

/// The routes of one `router()` function's source.
fn routes_of(src: &str) -> BTreeSet<(String, String)> {
    let body = &src[src.find("pub fn router()").expect("router()")..];
    let body = &body[..body.find("\n}\n").expect("end of router()")];
    let mut out = BTreeSet::new();
    for part in body.split(".route(").skip(1) {
        let path = part.split('"').nth(1).expect("a path string").to_string();
        let rest = &part[part.find(',').expect("a method router")..];
        let rest = &rest[..rest.find(".fallback(").unwrap_or(rest.len())];
        for method in ["get", "post", "put", "delete", "patch"] {
            let calls = rest
                .match_indices(&format!("{method}("))
                .filter(|(i, _)| {
                    rest[..*i]
                        .chars()
                        .last()
                        .is_none_or(|c| !c.is_alphanumeric() && c != '_')
                })
                .count();
            if calls > 0 {
                out.insert((path.clone(), method.to_string()));
            }
        }
    }
    out
}

fn openapi() -> Value {
    serde_json::from_str(include_str!("../ballot-server/openapi.json")).expect("openapi.json")
}

fn routes_in_openapi(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.insert((path.clone(), method.clone()));
            }
        }
    }
    out
}

#[test]
fn openapi_documents_every_route() {
    let routes = routes_in_source();
    assert!(
        routes.len() >= 44,
        "the parser found the routes: {routes:?}"
    );
    let doc = openapi();
    let documented = routes_in_openapi(&doc);
    let missing: Vec<_> = routes.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes not in openapi.json: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "openapi.json paths that are not routes: {extra:?}"
    );

    // Every operation has an id, a summary and responses; every path parameter is declared;
    // every reference resolves.
    let mut ids = BTreeSet::new();
    for (path, method) in &routes {
        let op = &doc["paths"][path][method];
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: operationId"));
        assert!(ids.insert(id.to_string()), "operationId {id} twice");
        assert!(op["summary"].is_string(), "{method} {path}: summary");
        let responses = op["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path}: responses"));
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{method} {path}: a success response"
        );
        let mut params: Vec<&Value> = Vec::new();
        for list in [&doc["paths"][path]["parameters"], &op["parameters"]] {
            params.extend(list.as_array().into_iter().flatten());
        }
        let declared: BTreeSet<String> = params
            .iter()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().expect("a name").to_string())
            .collect();
        let in_path: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        assert_eq!(declared, in_path, "{method} {path}: path parameters");
    }
    check_refs(&doc, &doc);
    for schema in [
        "Manifest",
        "Ballot",
        "AuditedBallot",
        "Receipt",
        "SignedTreeHead",
        "Status",
        "CeremonyMessage",
        "DecryptionShare",
        "AppendResponse",
        "Error",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
}

/// A `$ref` object's target (or the value itself).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.strip_prefix('#').expect("a local reference"))
            .unwrap_or_else(|| panic!("unresolved {r}")),
        None => v,
    }
}

fn check_refs(doc: &Value, v: &Value) {
    match v {
        Value::Object(o) => {
            if let Some(r) = o.get("$ref") {
                resolve(doc, &json!({ "$ref": r }));
            }
            o.values().for_each(|x| check_refs(doc, x));
        }
        Value::Array(a) => a.iter().for_each(|x| check_refs(doc, x)),
        _ => {}
    }
}

#[test]
fn openapi_is_served() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let (status, served) = server.public().get("/api/openapi.json");
    assert_eq!(status, 200);
    assert_eq!(served, openapi());
}

/// Checks `value` against a JSON schema of the document, for the subset of JSON Schema the
/// document uses: `$ref`, `type`, `const`, `enum`, `properties`, `required`,
/// `additionalProperties: false`, `items`, `minItems`, `maxItems`, `minimum`, `maximum`,
/// `minLength`, `maxLength`, `pattern` (of the forms `^[class]{n}$` and `^[class]{m,n}$`),
/// `oneOf` (exactly one) and `allOf`. Returns what does not match, with a JSON pointer.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    let fail = |what: String| Err(format!("{at}: {what} (value {value})"));
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            validate(doc, s, value, at)?;
        }
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let results: Vec<_> = one.iter().map(|s| validate(doc, s, value, at)).collect();
        let matching = results.iter().filter(|r| r.is_ok()).count();
        if matching != 1 {
            let reasons: Vec<String> = results.into_iter().filter_map(Result::err).collect();
            return fail(format!("matches {matching} of oneOf: {reasons:?}"));
        }
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        return fail(format!("is not {c}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(value)
    {
        return fail(format!("is not one of {e:?}"));
    }
    let Some(ty) = schema.get("type").and_then(Value::as_str) else {
        return Ok(());
    };
    match (ty, value) {
        ("object", Value::Object(o)) => {
            let props = schema.get("properties").and_then(Value::as_object);
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().expect("a name");
                if !o.contains_key(r) {
                    return fail(format!("lacks {r}"));
                }
            }
            for (k, v) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => validate(doc, s, v, &format!("{at}/{k}"))?,
                    None if schema.get("additionalProperties") == Some(&json!(false)) => {
                        return fail(format!("has the undocumented field {k}"));
                    }
                    None => {}
                }
            }
        }
        ("array", Value::Array(a)) => {
            if outside(schema, "minItems", "maxItems", a.len() as f64) {
                return fail(format!("has {} items", a.len()));
            }
            if let Some(items) = schema.get("items") {
                for (i, v) in a.iter().enumerate() {
                    validate(doc, items, v, &format!("{at}/{i}"))?;
                }
            }
        }
        ("string", Value::String(text)) => {
            if outside(schema, "minLength", "maxLength", text.len() as f64) {
                return fail(format!("has {} bytes", text.len()));
            }
            if let Some(p) = schema.get("pattern").and_then(Value::as_str)
                && !pattern_matches(p, text)
            {
                return fail(format!("does not match {p}"));
            }
        }
        ("integer", Value::Number(n)) if n.is_u64() || n.is_i64() => {
            let v = n.as_f64().expect("a number");
            if outside(schema, "minimum", "maximum", v) {
                return fail("is out of range".into());
            }
        }
        ("boolean", Value::Bool(_)) | ("null", Value::Null) => {}
        (ty, _) => return fail(format!("is not of type {ty}")),
    }
    Ok(())
}

/// Whether `n` is below the schema's `lo` or above its `hi` bound (when it has them).
fn outside(schema: &Value, lo: &str, hi: &str, n: f64) -> bool {
    let bound = |k: &str| schema.get(k).and_then(Value::as_f64);
    bound(lo).is_some_and(|m| n < m) || bound(hi).is_some_and(|m| n > m)
}

/// Whether `text` matches the document's regular expression `pattern` (ECMA-262 patterns, of
/// which the document uses only the part `regex` reads the same way).
fn pattern_matches(pattern: &str, text: &str) -> bool {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> =
            Default::default();
    }
    CACHE.with(|c| {
        c.borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| {
                regex::Regex::new(pattern).unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
            })
            .is_match(text)
    })
}

/// The documented operation of `method path` (the path with its query): the path template
/// and the operation object.
fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> (String, &'a Value) {
    let path = path.split('?').next().expect("a path");
    let segments: Vec<&str> = path.split('/').collect();
    let method = method.to_lowercase();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let parts: Vec<&str> = template.split('/').collect();
        let fits = parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
        if fits && let Some(op) = item.get(&method) {
            return (template.clone(), op);
        }
    }
    panic!("{method} {path} is not documented");
}

/// Validates one exchange against the document: the request body against the operation's
/// request schema (if the request was accepted), the answer against the schema of its status.
fn check_exchange(doc: &Value, x: &Exchange) -> Result<(String, u16), String> {
    let (template, op) = operation(doc, &x.method, &x.path);
    let name = format!("{} {} ({})", x.method, x.path, x.status);
    if x.method == "GET"
        && (template == "/api/openapi.json"
            || template == "/api/cycle/attachments/{id}"
            || (template == "/api/elections/{id}/board/checkpoint" && x.status == 200))
    {
        return Ok((format!("get {template}"), x.status));
    }
    let response = resolve(doc, &op["responses"][x.status.to_string()]);
    let schema = response
        .pointer("/content/application~1json/schema")
        .ok_or_else(|| format!("{name}: status {} is not documented", x.status))?;
    let body: Value = serde_json::from_slice(&x.response)
        .map_err(|e| format!("{name}: the answer is not JSON: {e}"))?;
    validate(doc, schema, &body, "answer").map_err(|e| format!("{name}: {e}"))?;
    if x.status < 300 {
        let documented = op.pointer("/requestBody/content/application~1json/schema");
        match (documented, &x.request) {
            (Some(schema), Some(bytes)) => {
                let body: Value = serde_json::from_slice(bytes)
                    .map_err(|e| format!("{name}: an accepted request is not JSON: {e}"))?;
                validate(doc, schema, &body, "request").map_err(|e| format!("{name}: {e}"))?;
            }
            (Some(_), None) => return Err(format!("{name}: accepted without a body")),
            _ => {}
        }
        if op.get("security").is_some() && !x.authorized {
            return Err(format!(
                "{name}: a staff operation accepted without a token"
            ));
        }
    }
    Ok((format!("{} {template}", x.method.to_lowercase()), x.status))
}

#[test]
fn real_traffic_matches_the_document() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let log: Arc<Mutex<Vec<Exchange>>> = Arc::default();
    let sink = log.clone();
    let observer: common::Observer = Arc::new(move |x| sink.lock().expect("log").push(x.clone()));
    let staff = server.staff().observed(observer.clone());
    let public = server.public().observed(observer.clone());
    let mut rng = test_rng(11, 0);

    // A whole election: every operation at least once, with an audit and some refusals.
    expect(public.get("/api/board-key"), 200);
    expect(public.get("/api/openapi.json"), 200);
    expect(public.get("/api/downloads"), 200);
    assert_eq!(expect(public.get("/healthz"), 200)["status"], "alive");
    assert_eq!(expect(public.get("/readyz"), 200)["status"], "ready");
    expect(staff.get("/api/staff/session"), 200);
    assert_eq!(public.get("/api/staff/session").0, 401);
    let mut manifest = samples::up_to_k_of_n("doc", 4, 2, TellerParams { n: 3, t: 2 });
    manifest.deputies = 4;
    let mut e = Election::create(&staff, manifest);
    expect(public.get(&e.path("/ceremony")), 200);
    assert_eq!(public.get(&e.path("/record")).0, 409);
    e.start_ceremony(&staff, &mut rng);
    e.run_ceremony(&public, &mut rng);
    e.register(&staff, 4, 2, &mut rng);
    expect(
        staff.put(&e.path("/roll"), &json!({ "names": ["甲", "乙"] })),
        200,
    );
    e.open(&staff);
    expect(public.get(&e.path("/credentials")), 200);
    let ctx = e.context(&public);
    let mut codes = Vec::new();
    for (i, cred) in e.credentials.iter().enumerate() {
        let selection = Selection::from_chosen(&ctx.manifest, &[vec![i % 4]]).expect("chosen");
        if i == 0 {
            let (b, secrets) = Ballot::build(&ctx, cred, &selection, &mut rng).expect("built");
            let audited = AuditedBallot {
                ballot: b,
                opening: secrets.open(),
            };
            expect(public.post(&e.path("/audited"), &audited), 201);
            assert_eq!(public.post(&e.path("/ballots"), &audited.ballot).0, 409);
        }
        let (b, _) = Ballot::build(&ctx, cred, &selection, &mut rng).expect("built");
        expect(public.post(&e.path("/ballots"), &b), 201);
        codes.push(b.tracking_code());
        assert_eq!(public.post(&e.path("/ballots"), &b).0, 409);
    }
    assert_eq!(public.send("POST", &e.path("/ballots"), b"{").0, 400);
    assert_eq!(staff.post_empty("/api/elections/nope/open").0, 404);
    assert_eq!(public.post_empty(&e.path("/close")).0, 401);
    assert_eq!(public.get(&e.path("/tally")).0, 409);
    assert_eq!(public.get(&e.path("/result")).0, 409);
    expect(staff.post_empty(&e.path("/close")), 201);
    expect(public.get(&e.path("/tally")), 200);
    let mut bad = e.share(&public, 1, &mut rng);
    bad.partials.pop();
    assert_eq!(public.post(&e.path("/decryption-shares"), &bad).0, 422);
    for j in [1, 3] {
        let share = e.share(&public, j, &mut rng);
        expect(public.post(&e.path("/decryption-shares"), &share), 201);
    }
    expect(public.get(&e.path("/result")), 200);
    expect(staff.post_empty(&e.path("/publish")), 201);
    let size = e.log_size(&public);
    expect(
        public.get(&format!("/api/elections/{}/receipts/{}", e.id, codes[0])),
        200,
    );
    // The same by the short form of the code (protocol §8.4).
    expect(
        public.get(&format!(
            "/api/elections/{}/receipts/{}",
            e.id,
            piaojue_crypto::tracking::ShortTrackingCode::of(&codes[0])
        )),
        200,
    );
    // A credential's cast ballots: one that voted, and the 400 and 404 refusals.
    let key = e.credentials[0].public().to_base64();
    expect(
        public.get(&e.path(&format!("/credentials/{key}/ballots"))),
        200,
    );
    assert_eq!(public.get(&e.path("/credentials/zz/ballots")).0, 400);
    let other = expect(public.get("/api/board-key"), 200)["board_key"].clone();
    let other = other.as_str().expect("the board key");
    assert_eq!(
        public
            .get(&e.path(&format!("/credentials/{other}/ballots")))
            .0,
        404
    );
    for rest in [
        "/board/head".to_string(),
        "/board/heads".into(),
        "/board/entries".into(),
        format!("/board/inclusion?index=3&size={size}"),
        format!("/board/consistency?old=2&new={size}"),
    ] {
        expect(public.get(&e.path(&rest)), 200);
    }
    for i in 0..size {
        expect(public.get(&e.path(&format!("/board/entries/{i}"))), 200);
    }
    expect(public.get("/api/elections"), 200);
    expect(public.get(&e.path("/record")), 200);
    // The checkpoint as a signed note (no witnesses: the current size), and the cosignatures.
    expect(public.get(&e.path("/board/cosignatures")), 200);
    let (status, note) = public.get_bytes(&e.path("/board/checkpoint"));
    assert_eq!(status, 200);
    let note = piaojue_crypto::board::Note::parse(&note).expect("a signed note");
    assert!(
        note.text().contains(&format!("\n{size}\n")),
        "{}",
        note.text()
    );
    assert_eq!(
        public
            .get_bytes(&e.path(&format!("/board/checkpoint?size={size}")))
            .0,
        200
    );
    assert_eq!(public.get(&e.path("/board/checkpoint?size=0")).0, 400);

    // The yearly cycle: every operation of /api/cycle, with some refusals.
    let y = common::cycle::small_year(&staff, &public, "doc-county", 2027);
    assert_eq!(public.get("/api/cycle/years").0, 200);
    assert_eq!(public.get("/api/cycle/proposals/2027-0000-0000").0, 404);
    assert_eq!(public.post("/api/cycle/congresses", &json!({})).0, 401);
    assert_eq!(
        staff
            .post(
                &format!("/api/cycle/proposals/{}/decisions", y.numbers[1]),
                &json!({ "action": "shortlist" })
            )
            .0,
        409
    );
    assert_eq!(
        public.get(&format!("/api/cycle/projects/{}", y.project)).0,
        200
    );

    // The staff audit trail of all that (§7.8), and a refusal.
    let trail = expect(
        staff.get(&format!("/api/staff/audit?election={}", e.id)),
        200,
    );
    assert!(!trail.as_array().expect("a list").is_empty());
    expect(staff.get("/api/staff/audit?limit=5"), 200);
    assert_eq!(staff.get("/api/staff/audit?limit=0").0, 400);

    let doc = openapi();
    let exchanges = log.lock().expect("log").clone();
    let mut covered: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
    let mut failures = Vec::new();
    for x in &exchanges {
        match check_exchange(&doc, x) {
            Ok((op, status)) => {
                covered.entry(op).or_default().insert(status);
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} exchanges do not match:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let succeeded: BTreeSet<(String, String)> = covered
        .iter()
        .filter(|(_, statuses)| statuses.iter().any(|s| *s < 300))
        .map(|(op, _)| {
            let (method, path) = op.split_once(' ').expect("method and path");
            (path.to_string(), method.to_string())
        })
        .collect();
    let missing: Vec<_> = routes_in_openapi(&doc)
        .difference(&succeeded)
        .cloned()
        .collect();
    assert!(missing.is_empty(), "operations not exercised: {missing:?}");
    println!(
        "{} exchanges validated against openapi.json",
        exchanges.len()
    );
}

#[test]
fn the_validator_refuses_what_the_document_does_not_allow() {
    let doc = openapi();
    let schema = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let head = json!({
        "log_id": "q".repeat(42) + "o",
        "size": 3,
        "root": "Q".repeat(43),
        "timestamp_ms": 1,
        "signature": "z".repeat(85) + "w",
    });
    validate(&doc, &schema("SignedTreeHead"), &head, "").expect("a valid head");
    for bad in [
        with_field(&head, "size", json!(-1)),
        with_field(&head, "size", json!("3")),
        with_field(&head, "root", json!("A".repeat(42))),
        with_field(&head, "root", json!("*".repeat(43))),
        with_field(&head, "root", json!("A".repeat(42) + "B")),
        with_field(&head, "root", json!("A".repeat(43) + "=")),
        with_field(&head, "root", json!("ab".repeat(32))),
        with_field(&head, "extra", json!(1)),
        head.as_object()
            .map(|o| {
                let mut o = o.clone();
                o.remove("signature");
                Value::Object(o)
            })
            .expect("an object"),
    ] {
        assert!(
            validate(&doc, &schema("SignedTreeHead"), &bad, "").is_err(),
            "{bad}"
        );
    }
    let entry = json!({ "index": 0, "time_ms": 1, "kind": "close", "data": { "ballots": 2 } });
    validate(&doc, &schema("Entry"), &entry, "").expect("a close entry");
    let wrong = with_field(&entry, "kind", json!("open"));
    assert!(validate(&doc, &schema("Entry"), &wrong, "").is_err());
    let published = json!({ "index": 9, "time_ms": 1, "kind": "published" });
    validate(&doc, &schema("Entry"), &published, "").expect("a published entry");
    let error = json!({ "error": "conflict", "message": "no" });
    validate(&doc, &schema("Error"), &error, "").expect("an error");
    let unknown = with_field(&error, "error", json!("oops"));
    assert!(validate(&doc, &schema("Error"), &unknown, "").is_err());
    assert!(pattern_matches("^[a-z0-9_-]{1,64}$", "e2e-sqlite_1"));
    assert!(!pattern_matches("^[a-z0-9_-]{1,64}$", "E2E"));
    assert!(!pattern_matches("^[a-z0-9_-]{1,64}$", ""));
}

fn with_field(v: &Value, field: &str, new: Value) -> Value {
    let mut v = v.clone();
    v.as_object_mut()
        .expect("an object")
        .insert(field.into(), new);
    v
}
