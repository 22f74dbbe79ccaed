//! The demo year end to end (issue 6): a real `piaojue serve` on SQLite, and `piaojue::year`
//! playing staff, the public, tellers and deputies over the HTTP API: 16 congresses (a county
//! of 280 deputies and 15 townships of 45–120), 200 proposals, screening (merges, rejections,
//! the negative list, the reserve), 13 candidates per congress, the approvals, the county vote
//! and 15 township votes with a re-vote after a tie, about 150 adopted projects with plans,
//! progress, photos and inspection notes, the evaluation votes and the rating of departments;
//! the independent verifier passes every record of the year. Then the public views are
//! checked against what was done.

mod common;

use std::time::Instant;

use common::{Server, TestDb};
use piaojue::cli::client::Client;
use piaojue::year::{Api, YearConfig, run};
use serde_json::Value;

#[test]
fn the_demo_year_runs_and_every_record_verifies() {
    let start = Instant::now();
    let db = TestDb::sqlite();
    let server = Server::start_with(&db, &["--proposal-limit", "100000"]);
    let api = Api {
        staff: Client::new(&server.base, Some(server.token.clone())),
        public: Client::new(&server.base, None),
    };
    let cfg = YearConfig::default();
    let report = run(&api, &cfg, &|s| println!("· {s}")).expect("the demo year");
    for (phase, d) in &report.timings {
        println!("  {phase}: {:.1} s", d.as_secs_f64());
    }

    // What the issue asks for.
    assert_eq!(report.congresses.len(), 16);
    assert_eq!(report.proposals.len(), 200);
    assert!(!report.revotes.is_empty(), "the forced tie made a re-vote");
    let evaluations = 16 + 1;
    assert_eq!(
        report.elections.len(),
        16 + report.revotes.len() + evaluations,
        "{:?}",
        report.elections
    );
    assert_eq!(report.verified, report.elections, "every record verified");
    assert!(
        (140..=160).contains(&report.adopted.len()),
        "about 150 adopted projects, got {}",
        report.adopted.len()
    );

    // The year plan agrees: every vote published and valid, the tie and its re-vote linked.
    let plan: Value = api.public.get("/api/cycle/plan/2027").unwrap();
    assert_eq!(plan["totals"]["proposals"], 200);
    assert_eq!(plan["totals"]["adopted"], report.adopted.len());
    assert_eq!(plan["congresses"].as_array().unwrap().len(), 16);
    for c in plan["congresses"].as_array().unwrap() {
        assert_eq!(c["candidates"], 13, "{}", c["congress"]["id"]);
        assert_eq!(c["seats"], 10);
        for v in c["votes"].as_array().unwrap() {
            assert_eq!(v["state"], "published", "{}", v["election_id"]);
            assert_eq!(v["quorum_met"], true, "{}", v["election_id"]);
        }
    }
    let (parent, child) = &report.revotes[0];
    let all_votes: Vec<&Value> = plan["congresses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["votes"].as_array().unwrap())
        .collect();
    let p = all_votes
        .iter()
        .find(|v| v["election_id"] == *parent)
        .unwrap();
    assert!(p["tie"].is_object(), "{p}");
    assert_eq!(p["children"][0], *child);
    let c = all_votes
        .iter()
        .find(|v| v["election_id"] == *child)
        .unwrap();
    assert_eq!(c["parent"], *parent);
    assert_eq!(c["seats"], p["tie"]["seats_left"]);

    // Proposals: every status reached, histories public, contacts never.
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for congress in &report.congresses {
        let list: Value = api
            .public
            .get(&format!(
                "/api/cycle/proposals?congress={congress}&year=2027"
            ))
            .unwrap();
        for p in list.as_array().unwrap() {
            assert!(p.get("contact").is_none(), "{p}");
            *statuses
                .entry(p["status"].as_str().unwrap().into())
                .or_default() += 1;
        }
    }
    for s in [
        "merged",
        "rejected",
        "excluded",
        "reserve",
        "adopted",
        "not_adopted",
    ] {
        assert!(
            statuses.get(s).copied().unwrap_or(0) > 0,
            "no proposal is {s}: {statuses:?}"
        );
    }
    let (_, first) = &report.proposals[0];
    let p: Value = api
        .public
        .get(&format!("/api/cycle/proposals/{first}"))
        .unwrap();
    let actions: Vec<&str> = p["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "received");
    assert!(
        actions.contains(&"shortlisted") && actions.contains(&"candidate"),
        "{actions:?}"
    );
    assert!(actions.contains(&"approved"), "{actions:?}");
    let contact: Value = api
        .staff
        .get(&format!("/api/cycle/proposals/{first}/contact"))
        .unwrap();
    assert!(contact["contact"].as_str().unwrap().starts_with("139"));

    // A project's record: plan, progress with a photo, an inspection note.
    let project: Value = api
        .public
        .get(&format!("/api/cycle/projects/{}", report.adopted[0]))
        .unwrap();
    assert!(project["plan"]["milestones"].as_array().unwrap().len() == 3);
    assert_eq!(project["progress"].as_array().unwrap().len(), 2);
    assert_eq!(
        project["progress"][0]["attachments"][0]["content_type"],
        "image/png"
    );
    assert_eq!(project["notes"].as_array().unwrap().len(), 1);
    // Its photo is a real picture (issue 16 item 11), not a 1×1 dot.
    let (status, photo) = common::Client::new(&server.base, None).get_bytes(&format!(
        "/api/cycle/attachments/{}",
        project["progress"][0]["attachments"][0]["id"]
    ));
    assert_eq!(status, 200);
    assert_eq!(&photo[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) = (
        u32::from_be_bytes(photo[16..20].try_into().unwrap()),
        u32::from_be_bytes(photo[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (480, 320));

    // Late projects are flagged overdue in the plan and on their pages, the others not; a
    // township's projects are done by its offices (办, 站, 所), never a township "bureau" (局).
    assert!(!report.overdue.is_empty(), "some projects run late");
    let mut flagged = Vec::new();
    for c in plan["congresses"].as_array().unwrap() {
        for p in c["adopted"].as_array().unwrap() {
            if p["overdue"] == true {
                flagged.push(p["id"].as_str().unwrap().to_string());
            }
            if c["congress"]["level"] == "township" {
                let dep = p["department"]["zh"].as_str().unwrap();
                assert!(!dep.contains('局'), "{dep}");
                assert!(!p["department"]["en"].as_str().unwrap().contains("Bureau"));
            }
        }
    }
    assert_eq!(flagged, report.overdue);
    let late: Value = api
        .public
        .get(&format!("/api/cycle/projects/{}", report.overdue[0]))
        .unwrap();
    assert_eq!(late["overdue"], true, "{late}");
    assert_eq!(project["overdue"], false);

    // The evaluation's result: a rating and a satisfaction rate per project.
    let result: Value = api
        .public
        .get("/api/elections/county-2027-evaluation/result")
        .unwrap();
    for p in result["outcome"]["projects"].as_array().unwrap() {
        assert!(
            p["rating"].is_string() && p["satisfaction_bp"].is_u64(),
            "{p}"
        );
    }
    // The approval entry is checked (V7.7) in the records of the year's selection votes and
    // re-votes, and is absent from the evaluations'.
    for (id, approved) in [
        ("county-2027-selection", true),
        (child.as_str(), true),
        ("county-2027-evaluation", false),
    ] {
        let record: piaojue_crypto::record::ElectionRecord = api
            .public
            .get(&format!("/api/elections/{id}/record"))
            .unwrap();
        let report = piaojue_verifier::verify_record(&record);
        let summary = &report.step("V7").unwrap().summary;
        assert_eq!(
            summary.contains("the candidates approved by"),
            approved,
            "{id}: {summary}"
        );
    }
    println!(
        "{} ballots in {} elections; the whole year took {:.1} s",
        report.ballots,
        report.elections.len(),
        start.elapsed().as_secs_f64()
    );
}
