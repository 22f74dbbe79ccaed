//! The staff pages in a real browser (issue 5): `web/e2e/staff.e2e.mjs` (playwright-core,
//! headless Chromium) signs in at `/staff` (a wrong token refused, the right one accepted),
//! creates "up to 10 of 13" from a pasted CSV with n = 3, t = 2, registers the tellers' keys,
//! makes 5 credential sheets with QR codes (withheld first, while the list it is served lacks a
//! key it registered; then with the election fingerprint this test computes as the CLI does),
//! shows the fingerprint on the hall screen, sets the roll, opens (the booth, from a sheet's link,
//! shows the same fingerprint), watches the turnout, closes, watches the decryption and publishes
//! — against the real `piaojue serve`.
//!
//! The test plays everyone else over the API, in turns with the script (it prints
//! `STEP <name> <json>` and waits for `go`): the three tellers (their signing keys made here;
//! the key ceremony after the page registered them; two decryption shares after the close) and
//! one deputy, who casts a ballot with the seed read from the first printed sheet. It checks
//! on the server what the page did (the manifest, the tellers' keys, 5 credentials including
//! the sheet's, the roll, the turnout, the result) and that the verifier passes the record.
//!
//! Screenshots: `target/browser-artifacts/staff-*.png`. Skipped with a notice without `node`,
//! `web/node_modules` or Chromium; fails then when `PIAOJUE_REQUIRE_BROWSER=1`.

#[path = "common/browser.rs"]
mod browser;
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::election::{Election, expect, test_rng};
use common::{Client, Server, TestDb, decode};
use ed25519_dalek::SigningKey;
use piaojue_crypto::ballot::{Ballot, Selection};
use piaojue_crypto::credential::Credential;
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::pin::{ServedElection, verify_setup};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::rules::DecisionRule;
use piaojue_verifier::{Lang, verify_record};
use serde_json::{Value, json};

const SEED: u64 = 20_270_515;
/// The election the script creates.
const ID: &str = "staff-e2e";
/// The projects the test's deputy chooses (indices of the 13).
const CHOSEN: [usize; 3] = [0, 2, 5];
/// How long the test waits for the script's next step.
const STEP_TIMEOUT: Duration = Duration::from_secs(90);

/// The script's process, killed if the test ends early.
struct Script {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Script {
    fn start(root: &Path, server: &Server, tellers: &[SigningKey], artifacts: &Path) -> Self {
        let keys: Vec<String> = tellers
            .iter()
            .map(|k| piaojue_crypto::encoding::encode_base64(&k.verifying_key().to_bytes()))
            .collect();
        let mut child = Command::new("node")
            .arg("e2e/staff.e2e.mjs")
            .current_dir(root.join("web"))
            .env("PIAOJUE_BASE", &server.base)
            .env("PIAOJUE_TOKEN", &server.token)
            .env("PIAOJUE_TELLER_KEYS", keys.join(","))
            .env("PIAOJUE_ARTIFACTS", artifacts)
            .env("PIAOJUE_CHROMIUM", browser::chromium())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run node");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Script {
            child,
            stdin,
            lines,
        }
    }

    /// Waits for the script's next `STEP`: its name and data.
    fn next(&mut self) -> (String, Value) {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match self.lines.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("the script did not reach its next step in time")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().expect("wait for node");
                    panic!(
                        "the browser script ended ({status}) before its next step; see its output above and target/browser-artifacts/staff-failure.png"
                    )
                }
            };
            let Some(rest) = line.strip_prefix("STEP ") else {
                println!("script: {line}");
                continue;
            };
            let (name, data) = rest.split_once(' ').unwrap_or((rest, "{}"));
            return (
                name.to_string(),
                serde_json::from_str(data).expect("the step's JSON"),
            );
        }
    }

    /// Waits for step `name` and returns its data.
    #[track_caller]
    fn expect_step(&mut self, name: &str) -> Value {
        let (got, data) = self.next();
        assert_eq!(got, name, "the script's steps are out of order");
        data
    }

    /// Lets the script go on.
    fn go(&mut self) {
        writeln!(self.stdin, "go").expect("write to the script");
        self.stdin.flush().expect("flush");
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The election the page created, as the test sees it, with the tellers' signing keys.
fn election(c: &Client, signing: Vec<SigningKey>) -> Election {
    let status = expect(c.get(&format!("/api/elections/{ID}")), 200);
    Election {
        id: ID.into(),
        manifest: decode(&status["manifest"]),
        signing,
        tellers: Vec::new(),
        credentials: Vec::new(),
    }
}

#[test]
fn staff_pages_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !browser::available(root) {
        return;
    }
    let started = Instant::now();
    let artifacts = browser::artifacts(root);
    println!("screenshots: {}", artifacts.display());

    let db = TestDb::sqlite();
    let server = Server::start(&db);
    let public = server.public();
    let mut rng = test_rng(SEED, 0);
    let signing: Vec<SigningKey> = (0..3).map(|_| SigningKey::generate(&mut rng)).collect();
    let mut script = Script::start(root, &server, &signing, &artifacts);

    // The page created the election from the CSV and registered the tellers' keys.
    let data = script.expect_step("tellers");
    assert_eq!(data["id"], ID);
    let mut e = election(&public, signing);
    let m: &Manifest = &e.manifest;
    assert_eq!(m.title.zh, "2027年度民生实事项目票决");
    assert_eq!((m.tellers.n, m.tellers.t), (3, 2));
    assert_eq!(m.contests.len(), 1);
    let contest = &m.contests[0];
    assert_eq!(
        (contest.min, contest.max, contest.options.len()),
        (0, 10, 13)
    );
    let first = contest.options[0].project.as_ref().expect("a project");
    assert_eq!(contest.options[0].title.zh, "城区老旧小区改造");
    assert_eq!(first.department.zh, "县住建局");
    assert_eq!(first.investment_yuan, 38_000_000);
    assert_eq!(first.completion, "2027-12");
    assert_eq!(first.description.zh, "改造老旧小区 12 个，惠及 3,000 户");
    assert!(matches!(m.decision, DecisionRule::TopK { seats: 10, .. }));
    assert_eq!(e.state(&public), "key_ceremony");
    let ceremony = expect(public.get(&e.path("/ceremony")), 200);
    assert_eq!(ceremony["signing_keys"], json!(e.signing_keys()));
    e.run_ceremony(&public, &mut rng);
    script.go();

    // Five credentials from the page, one of them the first sheet's; the roll of six names.
    let registered = script.expect_step("registered");
    let seed = registered["seed"].as_str().expect("a seed").to_string();
    // The sheets' fingerprint is the one the CLI's `admin credentials` computes from what the
    // server serves (`pin::verify_setup`), and the one the server states once voting opens.
    let ceremony = expect(public.get(&e.path("/ceremony")), 200);
    let list = expect(public.get(&e.path("/credentials")), 200);
    let verified = verify_setup(ServedElection {
        manifest: e.manifest.clone(),
        transcript: decode(&ceremony["transcript"]),
        output: Some(decode(&ceremony["output"])),
        credentials: decode(&list["keys"]),
    })
    .expect("the served set-up verifies");
    assert_eq!(registered["fingerprint"], json!(verified.data.fingerprint));
    assert_eq!(registered["short"], json!(verified.short().to_string()));
    let status = e.status(&public);
    assert_eq!(
        (&status["state"], &status["credentials"], &status["roll"]),
        (&json!("registration"), &json!(5), &json!(6))
    );
    let credential = Credential::from_hex(&seed).expect("the sheet's seed");
    let entries = expect(public.get(&e.path("/board/entries")), 200);
    let keys: Vec<Value> = entries
        .as_array()
        .expect("entries")
        .iter()
        .filter(|x| x["kind"] == "credentials")
        .flat_map(|x| x["data"]["keys"].as_array().expect("keys").clone())
        .collect();
    assert_eq!(keys.len(), 5);
    assert!(
        keys.contains(&json!(credential.public())),
        "the sheet's credential is registered"
    );
    // Teller 1, the chief scrutineer, posts that the five deputies signed in.
    expect(e.attend(&public, 5), 201);
    script.go();

    // Voting opened; a deputy casts a ballot with the sheet's seed.
    assert_eq!(script.expect_step("open")["seed"], json!(seed));
    assert_eq!(e.state(&public), "open");
    assert_eq!(e.status(&public)["fingerprint"], registered["fingerprint"]);
    let ctx = e.context(&public);
    let selection = Selection::from_chosen(&ctx.manifest, &[CHOSEN.to_vec()]).expect("a selection");
    // The same deputy audits one first (never counted: the staff page explains the "+1").
    let (audited, secrets) =
        Ballot::build(&ctx, &credential, &selection, &mut rng).expect("a ballot");
    let audited = piaojue_crypto::ballot::AuditedBallot {
        ballot: audited,
        opening: secrets.open(),
    };
    expect(public.post(&e.path("/audited"), &audited), 201);
    let (ballot, _) = Ballot::build(&ctx, &credential, &selection, &mut rng).expect("a ballot");
    expect(public.post(&e.path("/ballots"), &ballot), 201);
    script.go();

    // Closed by the page; teller 1 decrypts, the page shows it, then teller 3.
    script.expect_step("closed");
    assert_eq!(e.state(&public), "closed");
    for j in [1, 3] {
        if j == 3 {
            script.expect_step("decrypted-1");
        }
        let share = e.share(&public, j, &mut rng);
        expect(public.post(&e.path("/decryption-shares"), &share), 201);
        script.go();
    }

    // Published by the page: the record verifies and counts the one ballot.
    script.expect_step("published");
    let status = script.child.wait().expect("wait for node");
    assert!(status.success(), "the browser script failed: {status}");
    let status = e.status(&public);
    assert_eq!(
        (&status["state"], &status["ballots"], &status["voted"]),
        (&json!("published"), &json!(1), &json!(1))
    );
    let record: ElectionRecord = decode(&expect(public.get(&e.path("/record")), 200));
    let counts = json!(record.result.as_ref().expect("a result").counts);
    let want: Vec<u64> = (0..13).map(|i| u64::from(CHOSEN.contains(&i))).collect();
    assert_eq!(counts, json!([want]));
    let report = verify_record(&record);
    assert!(
        report.passed(),
        "the verifier fails:\n{}",
        report.render(Lang::En)
    );
    for name in [
        "create",
        "sheet",
        "hall",
        "turnout",
        "turnout-phone",
        "result",
    ] {
        assert!(
            artifacts.join(format!("staff-{name}.png")).is_file(),
            "screenshot staff-{name}.png"
        );
    }
    println!("staff pages: {:.1} s", started.elapsed().as_secs_f64());
}
