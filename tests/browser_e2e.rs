//! The web pages in a real browser (issue 5): the voting booth and the election's public page,
//! driven by `web/e2e/booth.e2e.mjs` (playwright-core, headless Chromium) against the real
//! `piaojue serve`.
//!
//! The test prepares four elections over the API, playing staff, tellers and registrar: "up to
//! 2 of 5 projects" (top-K rule, 2 deputies), "yes / no / abstain on 2 projects" (1 deputy),
//! one left in `draft`, and "up to 1 of 3" under `last_counts` (1 deputy, who votes twice). The script (phase `vote`) pins the election as deputies do (the 20 digits
//! typed, or the sheet link's `&fingerprint=`; another election's digits refused), signs deputies
//! in (typed code, `#credential=` link), is refused invalid selections before encryption, audits a ballot, casts, sees
//! 已投票 and the receipt instead of a second ballot (issue 16), recovers the receipt of a
//! ballot whose answer was lost and refuses forged receipts, checks receipts on the election page (R1–R4 in JS), and sees that a draft
//! election cannot be voted in. Through the malicious proxy of `tests/hostile`, which serves
//! its own joint key as the ceremony's output, the booth opened with the right pin refuses (in
//! Chinese, then wholly in English) and posts nothing. The test then checks the board against what the script reports,
//! closes both elections, has 2 of the 3 tellers decrypt, publishes one; the script (phase
//! `result`) checks the result pages' charts and board; the verifier passes both records.
//!
//! Screenshots go to `target/browser-artifacts/`. Needs `node`, `web/node_modules` and
//! Chromium (`PIAOJUE_CHROMIUM`, else `/usr/bin/chromium`); without them the test is skipped with
//! a notice, or fails when `PIAOJUE_REQUIRE_BROWSER=1` (as in CI).

#[path = "common/browser.rs"]
mod browser;
mod common;
mod hostile;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::election::{Election, expect, test_rng};
use common::{Client, Server, TestDb, decode};
use hostile::{Proxy, edit_json};
use hyper::Method;
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::board::Receipt;
use piaojue_crypto::manifest::{Manifest, Revote, TellerParams};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;
use piaojue_verifier::{Lang, verify_record};
use serde_json::{Value, json};

const SEED: u64 = 20_270_505;
const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };

/// Runs one phase of the script; returns its `RESULT` JSON.
fn run_script(root: &Path, artifacts: &Path, phase: &str, config: &Value) -> Value {
    let t = Instant::now();
    let out = Command::new("node")
        .arg("e2e/booth.e2e.mjs")
        .arg(phase)
        .current_dir(root.join("web"))
        .env("PIAOJUE_E2E_CONFIG", config.to_string())
        .env("PIAOJUE_ARTIFACTS", artifacts)
        .env("PIAOJUE_CHROMIUM", browser::chromium())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser script failed in phase {phase} (screenshots in {}):\n{stdout}\n{stderr}",
        artifacts.display()
    );
    println!("phase {phase}: {:.1} s", t.elapsed().as_secs_f64());
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line from phase {phase}:\n{stdout}"));
    serde_json::from_str(line).expect("RESULT JSON")
}

fn seeds(e: &Election) -> Vec<String> {
    e.credentials
        .iter()
        .map(|c| hex::encode(*c.seed()))
        .collect()
}

fn codes(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list of codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_string())
        .collect()
}

/// Closes, has tellers 1 and 3 decrypt (t = 2), and returns the counts.
fn tally(c: &Client, staff: &Client, e: &Election, rng: &mut chacha20::ChaCha20Rng) -> Value {
    expect(staff.post_empty(&e.path("/close")), 201);
    for j in [1, 3] {
        let share = e.share(c, j, rng);
        expect(c.post(&e.path("/decryption-shares"), &share), 201);
    }
    assert_eq!(e.state(c), "tallied");
    let record = record(c, e);
    json!(record.result.expect("a result").counts)
}

/// Casts from here, no browser: deputy `d` chooses `chosen[d]` (option indices, per contest).
fn cast_from_rust(
    c: &Client,
    e: &Election,
    chosen: &[Vec<Vec<usize>>],
    rng: &mut chacha20::ChaCha20Rng,
) {
    let ctx = e.context(c);
    for (d, choice) in chosen.iter().enumerate() {
        let selection = Selection::from_chosen(&e.manifest, choice).expect("a valid choice");
        let (ballot, _) =
            Ballot::build(&ctx, &e.credentials[d], &selection, rng).expect("a ballot");
        expect(c.post(&e.path("/ballots"), &ballot), 201);
    }
}

fn record(c: &Client, e: &Election) -> ElectionRecord {
    decode(&expect(c.get(&e.path("/record")), 200))
}

fn verified(c: &Client, e: &Election) {
    let report = verify_record(&record(c, e));
    assert!(
        report.passed(),
        "the verifier fails {:?} for {}:\n{}",
        report.failed_steps(),
        e.id,
        report.render(Lang::En)
    );
}

#[test]
fn booth_and_board_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !browser::available(root) {
        return;
    }
    let started = Instant::now();
    let artifacts = browser::artifacts(root);
    println!("screenshots: {}", artifacts.display());

    let db = TestDb::sqlite();
    // The verifier the 自行核验 box offers (issue 16 item 15): a file of --downloads-dir.
    let downloads = db.data_dir().join("downloads");
    std::fs::create_dir_all(&downloads).expect("the downloads folder");
    let verifier = b"a stand-in for the piaojue-verify binary\n";
    std::fs::write(downloads.join("piaojue-verify-linux-x86_64"), verifier).expect("a download");
    let server = Server::start_with(
        &db,
        &["--downloads-dir", downloads.to_str().expect("utf-8")],
    );
    let (staff, public) = (server.staff(), server.public());
    let mut rng = test_rng(SEED, 0);

    let topk = Election::prepare_open(
        &staff,
        samples::up_to_k_of_n("browser-topk", 5, 2, TELLERS),
        2,
        &mut rng,
    );
    let items = Election::prepare_open(
        &staff,
        samples::yes_no_abstain("browser-items", 2, 1, TELLERS),
        1,
        &mut rng,
    );
    // Under last_counts a deputy who has voted is shown the receipt and may vote again.
    let mut revote_manifest = samples::up_to_k_of_n("browser-revote", 3, 1, TELLERS);
    revote_manifest.revote = Revote::LastCounts;
    let revote = Election::prepare_open(&staff, revote_manifest, 1, &mut rng);
    let draft: Manifest = samples::up_to_k_of_n("browser-draft", 3, 1, TELLERS);
    let draft = Election::create(&staff, draft);

    // The malicious server: the real one behind a proxy that serves, as the key ceremony's
    // output, a joint key of its own (here teller 1's verification key, a valid point ≠ K).
    let ceremony_path = format!("/api/elections/{}/ceremony", topk.id);
    let proxy = Proxy::with_hook(server.addr, move |method, path, status, body| {
        (method == Method::GET && path == ceremony_path).then(|| {
            let body = edit_json(body, |v| {
                v["output"]["joint_key"] = v["output"]["verification_keys"][0].clone()
            });
            (status, body)
        })
    });

    let fingerprint = |e: &Election| e.status(&public)["fingerprint"].clone();
    let verifier_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(verifier));
    let mut config = json!({
        "base": server.base,
        "topk": { "id": topk.id, "seeds": seeds(&topk), "fingerprint": fingerprint(&topk) },
        "items": { "id": items.id, "seeds": seeds(&items), "fingerprint": fingerprint(&items) },
        "draft": { "id": draft.id },
        "revote": { "id": revote.id, "seeds": seeds(&revote), "fingerprint": fingerprint(&revote) },
        "hostile": {
            "base": proxy.base, "id": topk.id, "seed": seeds(&topk)[0],
            "fingerprint": fingerprint(&topk),
        },
        "downloads": {
            "name": "piaojue-verify-linux-x86_64",
            "sha256": verifier_sha256,
        },
    });
    let voted = run_script(root, &artifacts, "vote", &config);
    assert!(
        proxy.log().iter().any(|e| e.rewritten),
        "the proxy told its lie"
    );
    assert!(
        proxy.log().iter().all(|e| e.method == Method::GET),
        "the refused booth sent nothing but reads: {:?}",
        proxy.log()
    );

    // The board holds what the browser did: two cast ballots and one audited in the first
    // election, one cast in the second, each with the receipt the page showed.
    let status = topk.status(&public);
    assert_eq!(
        (&status["ballots"], &status["voted"], &status["audited"]),
        (&json!(2), &json!(2), &json!(1))
    );
    assert_eq!(items.status(&public)["ballots"], 1);
    // The revote election: one credential, two ballots, the second replacing the first.
    let status = revote.status(&public);
    assert_eq!(
        (&status["ballots"], &status["voted"]),
        (&json!(2), &json!(1))
    );
    let again = codes(&voted["revote"]["cast"]);
    let listed = expect(
        public.get(&revote.path(&format!(
            "/credentials/{}/ballots",
            revote.credentials[0].public().to_base64()
        ))),
        200,
    );
    let listed: Vec<&str> = listed["ballots"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|b| b["tracking_code"].as_str().expect("a code"))
        .collect();
    assert_eq!(listed, again, "both ballots listed in board order");
    let audited = voted["topk"]["audited"].as_str().expect("the audited code");
    let cast = codes(&voted["topk"]["cast"]);
    for (e, code) in cast
        .iter()
        .map(|c| (&topk, c))
        .chain(codes(&voted["items"]["cast"]).iter().map(|c| (&items, c)))
        .chain([(&topk, &audited.to_string())])
        .map(|(e, c)| (e, c.clone()))
    {
        let receipt: Receipt = decode(&expect(
            public.get(&e.path(&format!("/receipts/{code}"))),
            200,
        ));
        assert_eq!(receipt.tracking_code.to_string(), code);
    }
    let saved: Receipt = serde_json::from_slice(
        &std::fs::read(artifacts.join("receipt.json")).expect("the downloaded receipt"),
    )
    .expect("the downloaded receipt is a receipt");
    assert_eq!(saved.tracking_code.to_string(), cast[0]);
    let audit_file: piaojue_crypto::ballot::AuditedBallot = serde_json::from_slice(
        &std::fs::read(artifacts.join("audited-ballot.json")).expect("the audit file"),
    )
    .expect("the audit file is an AuditedBallot");
    let ctx = topk.context(&public);
    let opened = audit_file
        .check_opening(&ctx)
        .expect("the audit file opens");
    assert_eq!(
        opened.0,
        vec![vec![1u8, 0, 1, 0, 0]],
        "the audited ballot holds the deputy's marks (p01, p03)"
    );
    // The same file passes `piaojue verify audit` against the server (A1–A4).
    let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(["verify", "audit"])
        .arg(artifacts.join("audited-ballot.json"))
        .args([
            "--url",
            &server.base,
            "--election",
            &topk.id,
            "--lang",
            "en",
        ])
        .output()
        .expect("run piaojue verify audit");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("[PASSED] A4"), "{report}");

    // Close, decrypt (tellers 1 and 3), publish the first; the counts are the browser's marks.
    let counts = tally(&public, &staff, &topk, &mut rng);
    assert_eq!(counts, json!([[2, 1, 1, 0, 0]]));
    let item_counts = tally(&public, &staff, &items, &mut rng);
    assert_eq!(item_counts, json!([[1, 0, 0], [0, 1, 0]]));
    expect(staff.post_empty(&topk.path("/publish")), 201);

    // Results people can read (issue 16 items 8, 9), the ballots cast from here. A top-K vote for
    // 2 seats among 5 (5 deputies, 3 votes to pass) whose order by votes is not the ballot
    // order: p05 4 votes adopted, p02 and p04 3 each tied for the last seat.
    let tie = Election::prepare_open(
        &staff,
        samples::up_to_k_of_n("browser-tie", 5, 2, TELLERS),
        5,
        &mut rng,
    );
    let two = |a: usize, b: usize| vec![vec![a, b]];
    cast_from_rust(
        &public,
        &tie,
        &[two(4, 1), two(4, 1), two(4, 3), two(4, 3), two(1, 3)],
        &mut rng,
    );
    assert_eq!(
        tally(&public, &staff, &tie, &mut rng),
        json!([[0, 3, 0, 3, 4]])
    );
    expect(staff.post_empty(&tie.path("/publish")), 201);
    // An evaluation vote of 2 projects by 3 deputies: the first rated satisfied (2 of 3), the
    // second basically satisfied (1 + 1), its satisfaction rate 2/3 shown as 66.67 % (the
    // record's basis points are floored: 6666).
    let rating = Election::prepare_open(
        &staff,
        samples::rating("browser-rating", 2, TELLERS),
        3,
        &mut rng,
    );
    cast_from_rust(
        &public,
        &rating,
        &[
            vec![vec![0], vec![0]],
            vec![vec![0], vec![1]],
            vec![vec![1], vec![2]],
        ],
        &mut rng,
    );
    assert_eq!(
        tally(&public, &staff, &rating, &mut rng),
        json!([[2, 1, 0, 0], [1, 1, 1, 0]])
    );
    expect(staff.post_empty(&rating.path("/publish")), 201);
    let outcome = &record(&public, &rating).result.expect("a result").outcome;
    assert_eq!(
        outcome.projects[1].satisfaction_bp,
        Some(6666),
        "floored in the record"
    );

    config["tie"] = json!({ "id": tie.id });
    config["rating"] = json!({ "id": rating.id });
    config["expect"] = json!({ "topk": counts, "items": item_counts });
    run_script(root, &artifacts, "result", &config);

    verified(&public, &topk);
    verified(&public, &items);
    verified(&public, &tie);
    verified(&public, &rating);
    println!(
        "browser end to end: {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        artifacts.display()
    );
}
