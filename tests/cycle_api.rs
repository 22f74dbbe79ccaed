//! The cycle's API (`spec/api.md` §9) refuses what it must: bad input at every new endpoint,
//! the wrong role (no staff token, a bad one, a deputy code that is not valid or of another
//! congress), wrong states; each with its 4xx and the JSON error body, and nothing changed.
//! Contacts never appear in public answers; the history tables refuse edits. On SQLite, and on
//! PostgreSQL when `PIAOJUE_TEST_POSTGRES_URL` is set.

mod common;

use common::cycle::{PNG, SmallYear, small_year};
use common::{Backend, Client, Server, TestDb, assert_refused};
use serde_json::{Value, json};

/// Everything the public can see of the cycle (and the elections' list).
fn snapshot(c: &Client, y: &SmallYear) -> Value {
    let get = |p: &str| c.get(p).1;
    json!({
        "congresses": get("/api/cycle/congresses"),
        "negative": get("/api/cycle/negative-list"),
        "proposals": get(&format!("/api/cycle/proposals?congress=cy&year={}&reserve=true", y.year)),
        "township": get(&format!("/api/cycle/proposals?congress=cy-t1&year={}", y.year)),
        "candidates": get(&format!("/api/cycle/candidates?congress=cy&year={}", y.year)),
        "plan": get(&format!("/api/cycle/plan/{}", y.year)),
        "project": get(&format!("/api/cycle/projects/{}", y.project)),
        "history": y.numbers.iter().map(|n| get(&format!("/api/cycle/proposals/{n}"))).collect::<Vec<_>>(),
        "elections": get("/api/elections"),
    })
}

struct Check<'a> {
    public: Client,
    y: &'a SmallYear,
    before: Value,
}

impl Check<'_> {
    /// The reply is this refusal, and nothing changed.
    #[track_caller]
    fn refused(&self, reply: (u16, Value), status: u16, code: &str) -> String {
        let m = assert_refused(&reply, status, code);
        assert_eq!(
            snapshot(&self.public, self.y),
            self.before,
            "a refused request ({status} {m}) changed something"
        );
        m
    }
}

#[test]
fn cycle_refusals_sqlite() {
    refusals(TestDb::sqlite());
}

#[test]
fn cycle_refusals_postgres() {
    match TestDb::postgres() {
        Some(db) => refusals(db),
        None => println!("skipped"),
    }
}

fn refusals(db: TestDb) {
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    let y = small_year(&staff, &public, "cy", 2027);
    let chk = Check {
        public: public.clone(),
        y: &y,
        before: snapshot(&public, &y),
    };
    let bad = server.with_authorization("Bearer pjs_not-a-token");
    let year = y.year;
    let [kept, merged, rejected, _excluded, reserve, _other] =
        <[String; 6]>::try_from(y.numbers.clone()).unwrap();

    // Roles: every staff endpoint without a token is 401, with a bad one 403.
    let staff_calls: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/api/cycle/congresses".into(),
            json!({ "id": "x", "name": { "zh": "某" }, "level": "county", "deputies": 5 }),
        ),
        (
            "POST",
            "/api/cycle/congresses/cy/deputy-codes".into(),
            json!({ "count": 2 }),
        ),
        (
            "GET",
            format!("/api/cycle/proposals/{kept}/contact"),
            Value::Null,
        ),
        (
            "POST",
            format!("/api/cycle/proposals/{reserve}/decisions"),
            json!({ "action": "shortlist" }),
        ),
        (
            "PUT",
            "/api/cycle/negative-list".into(),
            json!({ "items": [] }),
        ),
        (
            "POST",
            "/api/cycle/candidates".into(),
            json!({ "congress": "cy", "year": year, "name": { "zh": "某" }, "department": { "zh": "某" }, "investment_yuan": 1, "completion": "2027-01", "description": { "zh": "某" } }),
        ),
        (
            "POST",
            "/api/cycle/approvals".into(),
            json!({ "congress": "cy-t1", "year": year, "reference": "某", "date": "2027-01-01", "form": "top_k", "seats": 1, "tellers": { "n": 1, "t": 1 } }),
        ),
        (
            "POST",
            format!("/api/cycle/elections/{}/revote", y.selection),
            json!({}),
        ),
        (
            "POST",
            "/api/cycle/evaluations".into(),
            json!({ "congress": "cy", "year": year, "kind": "departments", "departments": [{ "zh": "县教育局" }], "tellers": { "n": 1, "t": 1 } }),
        ),
        (
            "PUT",
            format!("/api/cycle/projects/{}/plan", y.project),
            json!({ "department": { "zh": "某" }, "budget_yuan": 1, "milestones": [{ "date": "2027-01-01", "text": { "zh": "某" } }] }),
        ),
        (
            "POST",
            format!("/api/cycle/projects/{}/progress", y.project),
            json!({ "date": "2027-01-01", "percent": 1, "text": { "zh": "某" } }),
        ),
    ];
    for (method, path, body) in &staff_calls {
        for (client, status, code) in [(&public, 401, "unauthorized"), (&bad, 403, "forbidden")] {
            let reply = if *method == "GET" {
                client.get(path)
            } else {
                client.send(method, path, &serde_json::to_vec(body).unwrap())
            };
            chk.refused(reply, status, code);
        }
    }
    for (client, status, code) in [(&public, 401, "unauthorized"), (&bad, 403, "forbidden")] {
        let (s, b) = client.request_typed(
            "POST",
            &format!("/api/cycle/progress/{}/attachments", y.update),
            "image/png",
            PNG,
        );
        chk.refused((s, serde_json::from_slice(&b).unwrap()), status, code);
    }

    // Congresses and deputy codes.
    let post = |p: &str, b: Value| staff.post(p, &b);
    chk.refused(
        post(
            "/api/cycle/congresses",
            json!({ "id": "Bad Id", "name": { "zh": "某" }, "level": "county", "deputies": 5 }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        post(
            "/api/cycle/congresses",
            json!({ "id": "x", "name": { "zh": " " }, "level": "county", "deputies": 5 }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        post(
            "/api/cycle/congresses",
            json!({ "id": "x", "name": { "zh": "某" }, "level": "township", "deputies": 5 }),
        ),
        400,
        "bad_request",
    );
    chk.refused(post("/api/cycle/congresses", json!({ "id": "x", "name": { "zh": "某" }, "level": "township", "parent": "cy-t1", "deputies": 5 })), 400, "bad_request");
    chk.refused(
        post(
            "/api/cycle/congresses",
            json!({ "id": "x", "name": { "zh": "某" }, "level": "city", "deputies": 5 }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        post(
            "/api/cycle/congresses",
            json!({ "id": "x", "name": { "zh": "某" }, "level": "county", "deputies": 0 }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        post(
            "/api/cycle/congresses",
            json!({ "id": "cy", "name": { "zh": "某" }, "level": "county", "deputies": 5 }),
        ),
        409,
        "conflict",
    );
    chk.refused(
        post(
            "/api/cycle/congresses/cy/deputy-codes",
            json!({ "count": 0 }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        post(
            "/api/cycle/congresses/nope/deputy-codes",
            json!({ "count": 1 }),
        ),
        404,
        "not_found",
    );
    chk.refused(public.get("/api/cycle/congresses/nope"), 404, "not_found");

    // Submissions.
    let proposal = |extra: Value| {
        let mut b = json!({ "congress": "cy", "year": year, "title": "某", "description": "某", "location": "某", "category": "某", "submitter": "public" });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    for extra in [
        json!({ "congress": "nope" }),
        json!({ "year": 1900 }),
        json!({ "title": "" }),
        json!({ "title": "某".repeat(100) }),
        json!({ "description": "\u{7}" }),
        json!({ "unknown": 1 }),
        json!({ "submitter": "king" }),
        json!({ "name": "某人" }),
        json!({ "submitter": "deputy" }),
        json!({ "submitter": "department" }),
        json!({ "deputy_code": y.codes[0].1 }),
        json!({ "contact": "1".repeat(201) }),
    ] {
        chk.refused(
            public.post("/api/cycle/proposals", &proposal(extra)),
            400,
            "bad_request",
        );
    }
    chk.refused(
        public.send("POST", "/api/cycle/proposals", b"{"),
        400,
        "bad_request",
    );
    chk.refused(
        public.post(
            "/api/cycle/proposals",
            &proposal(json!({ "submitter": "deputy", "deputy_code": "AAAA-AAAA-AAAA-AAAA" })),
        ),
        422,
        "invalid",
    );
    chk.refused(
        public.post(
            "/api/cycle/proposals",
            &proposal(
                json!({ "congress": "cy-t1", "submitter": "deputy", "deputy_code": y.codes[0].1 }),
            ),
        ),
        422,
        "invalid",
    );
    chk.refused(
        public.post(
            "/api/cycle/proposals",
            &proposal(json!({ "description": "某".repeat(6000) })),
        ),
        413,
        "payload_too_large",
    );
    chk.refused(
        public.get("/api/cycle/proposals/not-a-number"),
        400,
        "bad_request",
    );
    chk.refused(
        public.get("/api/cycle/proposals/2027-AAAA-AAAA"),
        404,
        "not_found",
    );
    chk.refused(
        public.get(&format!("/api/cycle/proposals?congress=nope&year={year}")),
        404,
        "not_found",
    );
    chk.refused(
        public.get("/api/cycle/proposals?congress=cy"),
        400,
        "bad_request",
    );
    chk.refused(
        staff.get("/api/cycle/proposals/2027-AAAA-AAAA/contact"),
        404,
        "not_found",
    );
    // Typed in lower case, with O for 0: the same proposal.
    let loose = kept.to_lowercase().replace('0', "o");
    assert_eq!(
        public.get(&format!("/api/cycle/proposals/{loose}")).1["number"],
        kept
    );

    // Screening decisions.
    let decide = |n: &str, b: Value| staff.post(&format!("/api/cycle/proposals/{n}/decisions"), &b);
    chk.refused(
        decide(&merged, json!({ "action": "shortlist" })),
        409,
        "conflict",
    );
    chk.refused(
        decide(&rejected, json!({ "action": "reserve" })),
        409,
        "conflict",
    );
    chk.refused(
        decide(&reserve, json!({ "action": "merge", "into": reserve })),
        400,
        "bad_request",
    );
    chk.refused(
        decide(
            &reserve,
            json!({ "action": "merge", "into": "2027-AAAA-AAAA" }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        decide(&reserve, json!({ "action": "merge", "into": merged })),
        409,
        "conflict",
    );
    chk.refused(
        decide(&reserve, json!({ "action": "reject" })),
        400,
        "bad_request",
    );
    chk.refused(
        decide(&reserve, json!({ "action": "reject", "reason": " " })),
        400,
        "bad_request",
    );
    chk.refused(
        decide(&reserve, json!({ "action": "exclude", "item": "nope" })),
        400,
        "bad_request",
    );
    chk.refused(
        decide(&reserve, json!({ "action": "promote" })),
        400,
        "bad_request",
    );
    chk.refused(
        decide(&reserve, json!({ "action": "shortlist", "extra": 1 })),
        400,
        "bad_request",
    );
    // Issue 18: an integer action (serde's internally tagged decoding took 1 for "reject"),
    // a decision as an array, a reason of invisible characters only.
    for body in [
        json!({ "action": 1, "reason": "重复" }),
        json!({ "action": { "reject": null }, "reason": "重复" }),
        json!(["reject", "重复"]),
        json!({ "action": "reject", "reason": "\u{200B}\u{3000}\u{FEFF}" }),
    ] {
        chk.refused(decide(&reserve, body), 400, "bad_request");
    }
    chk.refused(
        decide("2027-AAAA-AAAA", json!({ "action": "shortlist" })),
        404,
        "not_found",
    );
    chk.refused(
        staff.put(
            "/api/cycle/negative-list",
            &json!({ "items": [{ "id": "A", "label": { "zh": "某" } }] }),
        ),
        400,
        "bad_request",
    );
    chk.refused(staff.put("/api/cycle/negative-list", &json!({ "items": [{ "id": "a", "label": { "zh": "某" } }, { "id": "a", "label": { "zh": "某" } }] })), 400, "bad_request");
    chk.refused(
        staff.put(
            "/api/cycle/negative-list",
            &json!({ "items": [{ "id": "a", "label": { "zh": "某" }, "keywords": ["a,b"] }] }),
        ),
        400,
        "bad_request",
    );

    // Candidates.
    let cand = |extra: Value| {
        let mut b = json!({ "congress": "cy", "year": year, "name": { "zh": "某" }, "department": { "zh": "某" }, "investment_yuan": 1, "completion": "2027-05", "description": { "zh": "某" } });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    chk.refused(
        staff.post(
            "/api/cycle/candidates",
            &cand(json!({ "completion": "2027-13" })),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        staff.post(
            "/api/cycle/candidates",
            &cand(json!({ "congress": "nope" })),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        staff.post(
            "/api/cycle/candidates",
            &cand(json!({ "name": { "zh": "" } })),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        staff.post(
            "/api/cycle/candidates",
            &cand(json!({ "investment_yuan": -1 })),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        staff.post(
            "/api/cycle/candidates",
            &cand(json!({ "proposals": [reserve] })),
        ),
        409,
        "conflict",
    );
    chk.refused(
        staff.post(
            "/api/cycle/candidates",
            &cand(json!({ "proposals": ["2027-AAAA-AAAA"] })),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        staff.post(
            "/api/cycle/candidates",
            &cand(json!({ "congress": "cy-t1", "proposals": [kept] })),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        public.get(&format!("/api/cycle/candidates?congress=nope&year={year}")),
        404,
        "not_found",
    );

    // Approvals, re-votes, evaluations.
    let approve = |extra: Value| {
        let mut b = json!({ "congress": "cy-t1", "year": year, "reference": "某", "date": "2026-12-01", "form": "top_k", "seats": 1, "tellers": { "n": 1, "t": 1 } });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        staff.post("/api/cycle/approvals", &b)
    };
    chk.refused(approve(json!({})), 409, "conflict");
    chk.refused(approve(json!({ "congress": "nope" })), 400, "bad_request");
    chk.refused(approve(json!({ "date": "2026-02-30" })), 400, "bad_request");
    chk.refused(approve(json!({ "reference": "" })), 400, "bad_request");
    chk.refused(approve(json!({ "form": "rank" })), 400, "bad_request");
    chk.refused(approve(json!({ "congress": "cy" })), 409, "conflict");
    chk.refused(
        approve(json!({ "congress": "cy", "candidates": [y.candidates[0]] })),
        409,
        "conflict",
    );
    chk.refused(
        approve(json!({ "congress": "cy", "candidates": ["nope"] })),
        400,
        "bad_request",
    );
    chk.refused(
        staff.post(
            &format!("/api/cycle/elections/{}/revote", y.revote),
            &json!({}),
        ),
        409,
        "conflict",
    );
    chk.refused(
        staff.post(
            &format!("/api/cycle/elections/{}/revote", y.evaluation),
            &json!({}),
        ),
        409,
        "conflict",
    );
    chk.refused(
        staff.post("/api/cycle/elections/nope/revote", &json!({})),
        404,
        "not_found",
    );
    chk.refused(
        staff.post(
            &format!("/api/cycle/elections/{}/revote", y.selection),
            &json!({ "seats": 1 }),
        ),
        400,
        "bad_request",
    );
    let evaluation = |extra: Value| {
        let mut b = json!({ "congress": "cy-t1", "year": year, "kind": "projects", "tellers": { "n": 1, "t": 1 } });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        staff.post("/api/cycle/evaluations", &b)
    };
    chk.refused(evaluation(json!({})), 409, "conflict");
    chk.refused(evaluation(json!({ "congress": "cy" })), 409, "conflict");
    chk.refused(
        evaluation(json!({ "departments": [{ "zh": "某" }] })),
        400,
        "bad_request",
    );
    chk.refused(
        evaluation(json!({ "kind": "departments" })),
        400,
        "bad_request",
    );
    chk.refused(evaluation(json!({ "kind": "departments", "departments": [{ "zh": "某" }], "tellers": { "n": 1, "t": 2 } })), 400, "bad_request");

    // Plan, supervision.
    chk.refused(public.get("/api/cycle/plan/1900"), 400, "bad_request");
    chk.refused(public.get("/api/cycle/plan/next"), 400, "bad_request");
    chk.refused(public.get("/api/cycle/projects/nope"), 404, "not_found");
    let not_adopted = &y.candidates[3];
    let plan = json!({ "department": { "zh": "某" }, "budget_yuan": 1, "milestones": [{ "date": "2027-01-01", "text": { "zh": "某" } }] });
    chk.refused(
        staff.put(&format!("/api/cycle/projects/{not_adopted}/plan"), &plan),
        409,
        "conflict",
    );
    chk.refused(
        staff.put(
            &format!("/api/cycle/projects/{}/plan", y.project),
            &json!({ "department": { "zh": "某" }, "budget_yuan": 1, "milestones": [] }),
        ),
        400,
        "bad_request",
    );
    chk.refused(staff.put(&format!("/api/cycle/projects/{}/plan", y.project), &json!({ "department": { "zh": "某" }, "budget_yuan": 1, "milestones": [{ "date": "2027-1-1", "text": { "zh": "某" } }] })), 400, "bad_request");
    let progress = |p: &str, b: Value| staff.post(&format!("/api/cycle/projects/{p}/progress"), &b);
    chk.refused(
        progress(
            &y.project,
            json!({ "date": "2027-01-01", "percent": 101, "text": { "zh": "某" } }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        progress(
            &y.project,
            json!({ "date": "yesterday", "percent": 1, "text": { "zh": "某" } }),
        ),
        400,
        "bad_request",
    );
    chk.refused(
        progress(
            not_adopted,
            json!({ "date": "2027-01-01", "percent": 1, "text": { "zh": "某" } }),
        ),
        409,
        "conflict",
    );
    chk.refused(
        progress(
            "nope",
            json!({ "date": "2027-01-01", "percent": 1, "text": { "zh": "某" } }),
        ),
        404,
        "not_found",
    );
    let attach = |id: i64, ty: &str, body: &[u8]| {
        let (s, b) = staff.request_typed(
            "POST",
            &format!("/api/cycle/progress/{id}/attachments"),
            ty,
            body,
        );
        (s, serde_json::from_slice::<Value>(&b).unwrap())
    };
    chk.refused(
        attach(y.update, "text/html", b"<script>alert(1)</script>"),
        415,
        "unsupported_media_type",
    );
    chk.refused(
        attach(y.update, "image/png", b"%PDF-1.4 not a png"),
        400,
        "bad_request",
    );
    chk.refused(attach(y.update, "application/pdf", PNG), 400, "bad_request");
    chk.refused(attach(y.update, "image/png", b""), 400, "bad_request");
    let mut big = PNG.to_vec();
    big.resize(1536 * 1024 + 1, 0);
    chk.refused(
        attach(y.update, "image/png", &big),
        413,
        "payload_too_large",
    );
    chk.refused(attach(999_999, "image/png", PNG), 404, "not_found");
    chk.refused(
        public.get("/api/cycle/attachments/999999"),
        404,
        "not_found",
    );
    chk.refused(public.get("/api/cycle/attachments/x"), 400, "bad_request");
    let note = |p: &str, code: &str| {
        public.post(
            &format!("/api/cycle/projects/{p}/inspections"),
            &json!({ "deputy_code": code, "date": "2027-08-01", "text": "某" }),
        )
    };
    chk.refused(note(&y.project, "AAAA-AAAA-AAAA-AAAA"), 403, "forbidden");
    chk.refused(note(not_adopted, &y.codes[0].1), 409, "conflict");
    chk.refused(
        public.post(
            &format!("/api/cycle/projects/{}/inspections", y.project),
            &json!({ "deputy_code": y.codes[0].1, "date": "2027-08-01", "text": "" }),
        ),
        400,
        "bad_request",
    );
    // A township's deputy may not sign notes on the county's projects.
    let t1 = staff
        .post(
            "/api/cycle/congresses/cy-t1/deputy-codes",
            &json!({ "count": 1 }),
        )
        .1;
    let t1_code = t1["codes"][0]["code"].as_str().unwrap().to_string();
    let chk = Check {
        before: snapshot(&public, &y),
        ..chk
    };
    chk.refused(note(&y.project, &t1_code), 403, "forbidden");

    // The attachment is served with safe headers.
    let (status, bytes) = public.get_bytes(&format!("/api/cycle/attachments/{}", y.attachment));
    assert_eq!((status, bytes.as_slice()), (200, PNG));

    // Contacts never in public answers.
    let text = snapshot(&public, &y).to_string();
    assert!(
        !text.contains("13900000000") && !text.contains("\"contact\""),
        "a contact in a public answer"
    );
    assert!(
        !server.log().contains("13900000000"),
        "a contact in the server's log"
    );

    // The history is append-only in the database itself.
    append_only(&db, &kept);
}

/// `UPDATE` and `DELETE` on the history tables fail.
fn append_only(db: &TestDb, number: &str) {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sqls = [
            format!("UPDATE proposal_history SET reason = 'x' WHERE number = '{number}'"),
            format!("DELETE FROM proposal_history WHERE number = '{number}'"),
            "UPDATE progress_updates SET percent = 0".to_string(),
            "DELETE FROM inspection_notes".to_string(),
        ];
        for sql in sqls {
            let r = match db.backend {
                Backend::Sqlite => {
                    let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&mut c)
                        .await
                        .map(|_| ())
                }
                Backend::Postgres => {
                    let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(&mut c)
                        .await
                        .map(|_| ())
                }
            };
            let e = r.expect_err(&sql);
            assert!(e.to_string().contains("append-only"), "{sql}: {e}");
        }
    });
}

#[test]
fn submissions_are_rate_limited_per_client() {
    let db = TestDb::sqlite();
    let server = Server::start_with(&db, &["--proposal-limit", "3"]);
    let (staff, public) = (server.staff(), server.public());
    assert_eq!(
        staff
            .post(
                "/api/cycle/congresses",
                &json!({ "id": "c", "name": { "zh": "某县" }, "level": "county", "deputies": 5 })
            )
            .0,
        201
    );
    let body = json!({ "congress": "c", "year": 2027, "title": "某", "description": "某", "location": "某", "category": "某", "submitter": "public" });
    for _ in 0..3 {
        assert_eq!(public.post("/api/cycle/proposals", &body).0, 201);
    }
    let m = assert_refused(
        &public.post("/api/cycle/proposals", &body),
        429,
        "too_many_requests",
    );
    assert!(m.contains("at most 3"), "{m}");
    // Malformed submissions count too (a flood of junk is refused the same way).
    assert_eq!(public.send("POST", "/api/cycle/proposals", b"{").0, 429);
    let list = public.get("/api/cycle/proposals?congress=c&year=2027").1;
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[test]
fn the_reserve_is_screened_again_the_next_year() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    let created = staff.post(
        "/api/cycle/congresses",
        &json!({ "id": "r", "name": { "zh": "某县" }, "level": "county", "deputies": 5 }),
    );
    assert_eq!(created.0, 201);
    let body = json!({ "congress": "r", "year": 2026, "title": "建设体育馆", "description": "某", "location": "某", "category": "文体", "submitter": "public" });
    let p = public.post("/api/cycle/proposals", &body).1;
    let number = p["number"].as_str().unwrap().to_string();
    let decide = |b: Value| staff.post(&format!("/api/cycle/proposals/{number}/decisions"), &b);
    assert_eq!(
        decide(json!({ "action": "reserve", "reason": "条件尚不成熟" })).0,
        201
    );
    // Next year's screening sees it; this year's list of next year does not.
    let next = public
        .get("/api/cycle/proposals?congress=r&year=2027&reserve=true")
        .1;
    assert_eq!(next.as_array().unwrap().len(), 1);
    assert!(
        public
            .get("/api/cycle/proposals?congress=r&year=2027")
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(decide(json!({ "action": "shortlist" })).0, 201);
    let c = staff.post(
        "/api/cycle/candidates",
        &json!({ "congress": "r", "year": 2027, "name": { "zh": "体育馆" }, "department": { "zh": "县文广旅体局" }, "investment_yuan": 5_000_000, "completion": "2027-12", "description": { "zh": "某" }, "proposals": [number] }),
    );
    assert_eq!(c.0, 201, "{}", c.1);
    let h = public.get(&format!("/api/cycle/proposals/{number}")).1;
    let actions: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["received", "reserve", "shortlisted", "candidate"]);
    assert_eq!(h["history"][2]["detail"]["from_year"], 2026);
}

/// `GET /api/cycle/years` (issue 16 item 10): empty on a new server, then every year that has a
/// proposal, a candidate or an election, newest first. And the overdue flag (item 11): a report
/// after the completion month that is not 100 % makes the project overdue in its record and in
/// the plan; a report of completion clears it.
#[test]
fn years_with_data_and_overdue_projects() {
    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let (staff, public) = (server.staff(), server.public());
    assert_eq!(
        public.get("/api/cycle/years"),
        (200, json!({ "years": [] }))
    );
    let y = small_year(&staff, &public, "yr", 2090);
    assert_eq!(public.get("/api/cycle/years").1, json!({ "years": [2090] }));
    for year in [2088, 2095] {
        let body = json!({ "congress": "yr", "year": year, "title": "建设体育馆", "description": "某", "location": "某", "category": "文体", "submitter": "public" });
        assert_eq!(public.post("/api/cycle/proposals", &body).0, 201);
    }
    assert_eq!(
        public.get("/api/cycle/years").1,
        json!({ "years": [2095, 2090, 2088] })
    );

    let overdue = |public: &Client| {
        let rec = public.get(&format!("/api/cycle/projects/{}", y.project)).1;
        let plan = public.get("/api/cycle/plan/2090").1;
        let listed = plan["congresses"][0]["adopted"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == y.project.as_str())
            .unwrap()["overdue"]
            .clone();
        assert_eq!(rec["overdue"], listed, "{rec}");
        rec["overdue"].as_bool().unwrap()
    };
    // Completion 2090-11 (a year the clock has not reached), its latest report 2090-07 at
    // 30 %: not overdue.
    assert_eq!(
        public.get(&format!("/api/cycle/projects/{}", y.project)).1["project"]["completion"],
        "2090-11"
    );
    assert!(!overdue(&public));
    let report = |date: &str, percent: u32| {
        let body = json!({ "date": date, "percent": percent, "text": { "zh": "进展" } });
        let path = format!("/api/cycle/projects/{}/progress", y.project);
        assert_eq!(staff.post(&path, &body).0, 201);
    };
    report("2090-11-30", 95);
    assert!(!overdue(&public), "within its month");
    report("2090-12-05", 97);
    assert!(overdue(&public), "past its month, not done");
    report("2090-12-20", 100);
    assert!(!overdue(&public), "done, if late");
}
