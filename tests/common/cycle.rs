//! A small year of the cycle over the HTTP API with the test client (so that its exchanges can
//! be observed): a county and a township, proposals of every kind, every screening decision,
//! candidates, the approval, a vote that ties, its re-vote, supervision and an evaluation.

use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::manifest::Manifest;
use serde_json::{Value, json};

use super::Client;
use super::election::{Election, expect, test_rng};

/// What the small year made.
pub struct SmallYear {
    /// The year.
    pub year: i64,
    /// Deputy codes of the county: `(deputy number, code)`.
    pub codes: Vec<(u64, String)>,
    /// Tracking numbers: `[kept, merged, rejected, excluded, reserve, other]`.
    pub numbers: Vec<String>,
    /// The candidates' ids.
    pub candidates: Vec<String>,
    /// The selection vote, its re-vote and the evaluation.
    pub selection: String,
    /// The re-vote.
    pub revote: String,
    /// The evaluation.
    pub evaluation: String,
    /// An adopted project.
    pub project: String,
    /// A progress update of it.
    pub update: i64,
    /// An attachment of that update.
    pub attachment: i64,
}

/// A 1×1 PNG (the smallest file the server takes as a photo).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0x60, 0xA8, 0x60, 0x00,
    0x00, 0x00, 0x82, 0x00, 0x81, 0x8E, 0x4B, 0x16, 0x87, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Runs a whole election of the cycle (made by the server) with `chosen[v]` the options voter
/// `v` picks in each contest; publishes it. Returns its outcome.
pub fn run_vote(
    staff: &Client,
    public: &Client,
    id: &str,
    deputies: usize,
    chosen: &[Vec<Vec<usize>>],
    seed: u64,
) -> Value {
    let status = expect(public.get(&format!("/api/elections/{id}")), 200);
    let manifest: Manifest = super::decode(&status["manifest"]);
    let mut rng = test_rng(seed, 0);
    let mut e = Election {
        id: id.to_string(),
        manifest: manifest.clone(),
        signing: Vec::new(),
        tellers: Vec::new(),
        credentials: Vec::new(),
    };
    e.start_ceremony(staff, &mut rng);
    e.run_ceremony(public, &mut rng);
    e.register(staff, deputies, deputies, &mut rng);
    e.open(staff);
    let ctx = e.context(public);
    for (v, c) in chosen.iter().enumerate() {
        let s = Selection::from_chosen(&manifest, c).expect("a valid choice");
        let (b, _) = Ballot::build(&ctx, &e.credentials[v], &s, &mut rng).expect("built");
        expect(public.post(&e.path("/ballots"), &b), 201);
    }
    expect(staff.post_empty(&e.path("/close")), 201);
    for j in 1..=manifest.tellers.t {
        let share = e.share(public, j, &mut rng);
        expect(public.post(&e.path("/decryption-shares"), &share), 201);
    }
    let result = expect(public.get(&e.path("/result")), 200);
    expect(staff.post_empty(&e.path("/publish")), 201);
    result["outcome"].clone()
}

fn text(zh: &str) -> Value {
    json!({ "zh": zh, "en": "" })
}

/// The small year: county `c` (6 deputies) with township `c-t1` (5 deputies); `year`.
pub fn small_year(staff: &Client, public: &Client, c: &str, year: i64) -> SmallYear {
    expect(
        staff.post(
            "/api/cycle/congresses",
            &json!({ "id": c, "name": text("某县第十八届人民代表大会"), "level": "county", "deputies": 6 }),
        ),
        201,
    );
    expect(
        staff.post(
            "/api/cycle/congresses",
            &json!({ "id": format!("{c}-t1"), "name": text("某镇第十八届人民代表大会"), "level": "township", "parent": c, "deputies": 5 }),
        ),
        201,
    );
    expect(public.get("/api/cycle/congresses"), 200);
    expect(public.get(&format!("/api/cycle/congresses/{c}")), 200);
    let codes = expect(
        staff.post(
            &format!("/api/cycle/congresses/{c}/deputy-codes"),
            &json!({ "count": 6 }),
        ),
        201,
    );
    let codes: Vec<(u64, String)> = codes["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["deputy"].as_u64().unwrap(),
                x["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    // Proposals of every kind of submitter.
    let submit = |title: &str, extra: Value| -> String {
        let mut body = json!({
            "congress": c, "year": year, "title": title, "description": format!("{title}，方便群众。"),
            "location": "城关社区", "category": "民生",
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let p = expect(public.post("/api/cycle/proposals", &body), 201);
        assert!(
            p.get("contact").is_none(),
            "a public answer with a contact: {p}"
        );
        p["number"].as_str().unwrap().to_string()
    };
    let kept = submit(
        "老旧小区改造",
        json!({ "submitter": "public", "contact": "13900000000" }),
    );
    let merged = submit(
        "老旧小区加装电梯",
        json!({ "submitter": "deputy", "deputy_code": codes[0].1 }),
    );
    let rejected = submit(
        "修建高尔夫球场",
        json!({ "submitter": "organisation", "name": "某村委会" }),
    );
    let excluded = submit(
        "新建政府办公楼",
        json!({ "submitter": "department", "name": "县机关事务局" }),
    );
    let reserve = submit("建设体育馆", json!({ "submitter": "public" }));
    let other = submit("背街小巷路灯", json!({ "submitter": "public" }));
    expect(
        public.get(&format!("/api/cycle/proposals?congress={c}&year={year}")),
        200,
    );
    expect(public.get(&format!("/api/cycle/proposals/{kept}")), 200);
    let contact = expect(
        staff.get(&format!("/api/cycle/proposals/{kept}/contact")),
        200,
    );
    assert_eq!(contact["contact"], "13900000000");

    // Screening.
    expect(public.get("/api/cycle/negative-list"), 200);
    let list = expect(public.get("/api/cycle/negative-list"), 200);
    expect(staff.put("/api/cycle/negative-list", &list), 200);
    let decide = |n: &str, body: Value| {
        expect(
            staff.post(&format!("/api/cycle/proposals/{n}/decisions"), &body),
            201,
        )
    };
    decide(
        &merged,
        json!({ "action": "merge", "into": kept, "reason": "同类建议" }),
    );
    decide(
        &rejected,
        json!({ "action": "reject", "reason": "不属于民生实事范围" }),
    );
    decide(
        &excluded,
        json!({ "action": "exclude", "item": "office-buildings" }),
    );
    decide(&reserve, json!({ "action": "reserve" }));
    decide(&kept, json!({ "action": "shortlist" }));
    decide(&other, json!({ "action": "shortlist" }));

    // Four candidates (two from proposals), approved for two seats.
    let mut candidates = Vec::new();
    for (k, (name, sources)) in [
        ("老旧小区改造", vec![kept.clone()]),
        ("背街小巷路灯安装", vec![other.clone()]),
        ("农贸市场改造", vec![]),
        ("公共厕所改造", vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let cand = expect(
            staff.post(
                "/api/cycle/candidates",
                &json!({
                    "congress": c, "year": year, "name": text(name), "department": text("县住建局"),
                    "investment_yuan": 1_000_000 * (k as u64 + 1), "completion": format!("{year}-11"),
                    "description": text(name), "proposals": sources,
                }),
            ),
            201,
        );
        candidates.push(cand["id"].as_str().unwrap().to_string());
    }
    expect(
        public.get(&format!("/api/cycle/candidates?congress={c}&year={year}")),
        200,
    );
    let created = expect(
        staff.post(
            "/api/cycle/approvals",
            &json!({
                "congress": c, "year": year, "reference": "县人大常委会第十二次主任会议",
                "date": format!("{}-12-20", year - 1), "form": "top_k", "seats": 2,
                "tellers": { "n": 2, "t": 2 },
            }),
        ),
        201,
    );
    let selection = created["election_id"].as_str().unwrap().to_string();

    // Six deputies vote: p01, p02 and p03 get 4 votes each and tie for the two seats.
    let tie = [[0, 1], [0, 1], [0, 2], [0, 2], [1, 2], [1, 2]];
    let chosen: Vec<Vec<Vec<usize>>> = tie.iter().map(|c| vec![c.to_vec()]).collect();
    let outcome = run_vote(staff, public, &selection, 6, &chosen, 1);
    assert_eq!(outcome["tie"]["seats_left"], 2, "{outcome}");
    let created = expect(
        staff.post(
            &format!("/api/cycle/elections/{selection}/revote"),
            &json!({}),
        ),
        201,
    );
    let revote = created["election_id"].as_str().unwrap().to_string();
    // The re-vote: p01 by all, p02 by four, p03 by two.
    let settle = [[0, 1], [0, 1], [0, 1], [0, 1], [0, 2], [0, 2]];
    let chosen: Vec<Vec<Vec<usize>>> = settle.iter().map(|c| vec![c.to_vec()]).collect();
    let outcome = run_vote(staff, public, &revote, 6, &chosen, 2);
    assert!(outcome.get("tie").is_none(), "{outcome}");
    expect(public.get(&format!("/api/cycle/plan/{year}")), 200);

    // Supervision of the first adopted project.
    let project = candidates[0].clone();
    expect(
        staff.put(
            &format!("/api/cycle/projects/{project}/plan"),
            &json!({ "department": text("县住建局"), "budget_yuan": 1_000_000,
                     "milestones": [{ "date": format!("{year}-06-30"), "text": text("开工") }] }),
        ),
        200,
    );
    let u = expect(
        staff.post(
            &format!("/api/cycle/projects/{project}/progress"),
            &json!({ "date": format!("{year}-07-01"), "percent": 30, "text": text("主体施工中") }),
        ),
        201,
    );
    let update = u["id"].as_i64().unwrap();
    let (status, body) = staff.request_typed(
        "POST",
        &format!("/api/cycle/progress/{update}/attachments"),
        "image/png",
        PNG,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let attachment = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    expect(
        public.post(
            &format!("/api/cycle/projects/{project}/inspections"),
            &json!({ "deputy_code": codes[1].1, "date": format!("{year}-08-01"), "text": "进度正常" }),
        ),
        201,
    );
    expect(public.get(&format!("/api/cycle/projects/{project}")), 200);
    let (status, _) = public.get_bytes(&format!("/api/cycle/attachments/{attachment}"));
    assert_eq!(status, 200);

    // The evaluation: the three adopted projects rated by five of six deputies.
    let created = expect(
        staff.post(
            "/api/cycle/evaluations",
            &json!({ "congress": c, "year": year, "kind": "projects", "tellers": { "n": 1, "t": 1 } }),
        ),
        201,
    );
    let evaluation = created["election_id"].as_str().unwrap().to_string();
    let status = expect(public.get(&format!("/api/elections/{evaluation}")), 200);
    let contests = status["manifest"]["contests"].as_array().unwrap().len();
    let chosen: Vec<Vec<Vec<usize>>> = (0..5)
        .map(|v| (0..contests).map(|j| vec![(v + j) % 4 / 2]).collect())
        .collect();
    run_vote(staff, public, &evaluation, 6, &chosen, 3);

    SmallYear {
        year,
        codes,
        numbers: vec![kept, merged, rejected, excluded, reserve, other],
        candidates,
        selection,
        revote,
        evaluation,
        project,
        update,
        attachment,
    }
}
