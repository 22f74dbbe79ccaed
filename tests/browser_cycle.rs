//! The cycle's pages in a real browser (issue 6): `web/e2e/cycle.e2e.mjs` (playwright-core,
//! headless Chromium) against a real `piaojue serve` that ran a small demo year
//! (`piaojue::year`: a county and two townships, every vote published): the proposal page
//! (submit, tracking number, lookup, a refusal, a merged proposal's history; on a server with no
//! congress, the form closed with the reason), the year plan (opened on the newest year with
//! data, the header keeping the year; overdue projects flagged; township offices named as
//! townships name them), a project's progress (its drawn 480×320 photo loads under the CSP; the
//! overdue flag; a deputy adds an inspection note), the evaluation results (the newest year by
//! default), each in Chinese and English on a phone; and the staff screening page
//! (sign-in, negative-list hints, the QR code, shortlisting); and the election pages of a vote
//! that tied (its approval, validity, the tie, the link to its re-vote, and back). The test then checks on the
//! server what the pages did. Screenshots: `target/browser-artifacts/cycle-*.png`.

#[path = "common/browser.rs"]
mod browser;
mod common;

use std::path::Path;
use std::process::Command;

use common::{Server, TestDb};
use piaojue::cli::client::Client;
use piaojue::year::{Api, YearConfig, run};
use serde_json::Value;

#[test]
fn the_cycle_pages_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !browser::available(root) {
        return;
    }
    let db = TestDb::sqlite();
    let server = Server::start_with(&db, &["--proposal-limit", "1000"]);
    let api = Api {
        staff: Client::new(&server.base, Some(server.token.clone())),
        public: Client::new(&server.base, None),
    };
    let cfg = YearConfig {
        townships: 2,
        proposals: 30,
        county_deputies: 12,
        township_deputies: (9, 12),
        verify: false,
        ..YearConfig::default()
    };
    let report = run(&api, &cfg, &|s| println!("· {s}")).expect("the small year");
    let merged = report
        .proposals
        .iter()
        .map(|(_, n)| n)
        .find(|n| {
            let p: Value = api
                .public
                .get(&format!("/api/cycle/proposals/{n}"))
                .unwrap();
            p["status"] == "merged"
        })
        .expect("a merged proposal")
        .clone();
    let project = report
        .adopted
        .iter()
        .find(|p| p.starts_with("county-"))
        .expect("an adopted county project")
        .clone();
    let code = report.deputy_codes["county"][0].1.clone();
    let (tied, revote) = report
        .revotes
        .first()
        .expect("the forced tie's re-vote")
        .clone();
    let overdue = report
        .overdue
        .iter()
        .find(|p| p.starts_with("county-"))
        .expect("an overdue county project")
        .clone();
    // A server on which no congress is registered: the proposal form says why it is closed.
    let empty_db = TestDb::sqlite();
    let empty = Server::start(&empty_db);
    let artifacts = browser::artifacts(root);
    let output = Command::new("node")
        .arg("e2e/cycle.e2e.mjs")
        .current_dir(root.join("web"))
        .env("PIAOJUE_BASE", &server.base)
        .env("PIAOJUE_TOKEN", &server.token)
        .env("PIAOJUE_YEAR", cfg.year.to_string())
        .env("PIAOJUE_MERGED", &merged)
        .env("PIAOJUE_PROJECT", &project)
        .env("PIAOJUE_OVERDUE", &overdue)
        .env("PIAOJUE_EMPTY_BASE", &empty.base)
        .env("PIAOJUE_DEPUTY_CODE", &code)
        .env("PIAOJUE_TIED", &tied)
        .env("PIAOJUE_REVOTE", &revote)
        .env("PIAOJUE_ARTIFACTS", &artifacts)
        .env("PIAOJUE_CHROMIUM", browser::chromium())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the browser script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // What the pages did, seen on the server.
    let number = stdout
        .lines()
        .find_map(|l| l.strip_prefix("NUMBER "))
        .expect("the new proposal's number")
        .trim()
        .to_string();
    let p: Value = api
        .public
        .get(&format!("/api/cycle/proposals/{number}"))
        .unwrap();
    assert_eq!(p["status"], "shortlisted", "{p}");
    assert_eq!(p["title"], "城关小学门口增设人行天桥");
    let c: Value = api
        .staff
        .get(&format!("/api/cycle/proposals/{number}/contact"))
        .unwrap();
    assert_eq!(c["contact"], "13800000001");
    let rec: Value = api
        .public
        .get(&format!("/api/cycle/projects/{project}"))
        .unwrap();
    assert!(
        rec["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["text"] == "再次视察：附属设施已完工。" && n["deputy"] == 1),
        "{rec}"
    );
}
