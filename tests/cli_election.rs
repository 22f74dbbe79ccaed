//! A whole election driven only through the `piaojue` binary, as staff, tellers and deputies
//! without a browser would run it: `admin create`, three `teller keygen`, `admin tellers`,
//! three `teller ceremony` processes at once, `admin credentials`, `admin roll`, `admin open`,
//! `vote` (five cast, one audited, a second ballot refused), `receipt check` (a saved receipt
//! passes, a tampered one fails), `admin close`, `teller decrypt` by two of the three (a wrong
//! passphrase fails first and changes nothing), `admin publish`, then `verify` of the record,
//! whose counts must be the votes cast. And the teller key files hold no secret in the clear.
//!
//! On SQLite, and on PostgreSQL too when `PIAOJUE_TEST_POSTGRES_URL` is set.

mod common;
mod hostile;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

use common::{Server, TestDb, databases};
use piaojue::cli::keystore::TellerStore;
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::samples;

const ID: &str = "cli-e2e";

/// `piaojue args…` with a clean environment for the variables the CLI reads.
fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_piaojue"));
    c.args(args)
        .env_remove("PIAOJUE_TELLER_PASSPHRASE")
        .env_remove("PIAOJUE_STAFF_TOKEN")
        .stdin(Stdio::null());
    c
}

fn run(args: &[&str]) -> Output {
    command(args).output().expect("run piaojue")
}

/// Runs and requires success; answers stdout.
#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = run(args);
    check(&out, args);
    String::from_utf8(out.stdout).expect("utf-8")
}

#[track_caller]
fn check(out: &Output, what: &[&str]) {
    assert!(
        out.status.success(),
        "piaojue {what:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// [`ok`] for a receipt check, asked again while R3 says the witnesses have not yet cosigned a
/// checkpoint covering the receipt, or none at all yet (a server just started): the server sends
/// them one every 250 ms, later when the machine is loaded, and a receipt checks only once a
/// quorum has cosigned (spec/verification.md §7.4). Any other failure fails at once.
#[track_caller]
fn ok_once_witnessed(args: &[&str]) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let out = run(args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let not_yet = stdout.contains("见证人尚未见到此选票")
            || stdout.contains("have not yet seen this ballot")
            || stdout.contains("无法取得经选举清单所列见证人副签的检查点")
            || stdout.contains("no checkpoint cosigned by the manifest's witnesses could be had");
        if out.status.success() || !not_yet || std::time::Instant::now() > deadline {
            check(&out, args);
            return String::from_utf8(out.stdout).expect("utf-8");
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// Runs and requires failure; answers stderr.
#[track_caller]
fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        !out.status.success(),
        "piaojue {args:?} should have failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `piaojue teller <verb> <election> --url … --key-file … --passphrase-file … <extra>`.
fn teller(verb: &str, url: &str, t: &TellerFiles, pass: &Path, extra: &[&str]) -> Command {
    let mut a = vec![
        "teller",
        verb,
        ID,
        "--url",
        url,
        "--key-file",
        s(&t.key),
        "--passphrase-file",
        s(pass),
    ];
    a.extend_from_slice(extra);
    command(&a)
}

/// The fingerprint the deputy pinned: read here from the honest server's status (in the hall,
/// from the credential sheet or the hall screen).
fn pinned(url: &str, election: &str) -> String {
    let (_, status) = common::Client::new(url, None).get(&format!("/api/elections/{election}"));
    status["fingerprint"]
        .as_str()
        .expect("the election is open: it has a fingerprint")
        .to_string()
}

/// `piaojue vote` with a credential file and the election's fingerprint.
fn vote(
    url: &str,
    election: &str,
    credential: &Path,
    choose: &str,
    receipt: &Path,
    extra: &[&str],
) -> Output {
    let fingerprint = pinned(url, election);
    let mut a = vec![
        "vote",
        "--url",
        url,
        "--election",
        election,
        "--credential-file",
        s(credential),
        "--choose",
        choose,
        "--receipt",
        s(receipt),
        "--fingerprint",
        &fingerprint,
    ];
    a.extend_from_slice(extra);
    run(&a)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The tellers' files.
struct TellerFiles {
    key: PathBuf,
    pass: PathBuf,
}

fn election(db: &TestDb) {
    let server = Server::start(db);
    let url = server.base.clone();
    let dir = db.scratch();
    let token = db.data_dir().join("staff-token");
    let admin = |rest: &[&str]| -> String {
        let mut a = vec!["admin", "--url", &url, "--token-file", s(&token)];
        a.extend_from_slice(rest);
        ok(&a)
    };

    // Staff: the election, "up to 2 of 4", 3 tellers of whom any 2 decrypt.
    let mut manifest = samples::up_to_k_of_n(ID, 4, 2, TellerParams { n: 3, t: 2 });
    manifest.deputies = 6;
    let manifest_file = dir.join("manifest.json");
    std::fs::write(
        &manifest_file,
        serde_json::to_vec(&piaojue::cli::client::manifest_draft(&manifest)).unwrap(),
    )
    .unwrap();
    assert!(admin(&["create", s(&manifest_file)]).contains("draft"));

    // Tellers: keys, encrypted under passphrases from files.
    let started = Instant::now();
    let tellers: Vec<TellerFiles> = (1..=3)
        .map(|i| TellerFiles {
            key: dir.join(format!("teller-{i}.age")),
            pass: dir.join(format!("pass-{i}.txt")),
        })
        .collect();
    let mut public = Vec::new();
    for (i, t) in tellers.iter().enumerate() {
        std::fs::write(&t.pass, format!("teller {i} passphrase, long enough\n")).unwrap();
        let out = ok(&[
            "teller",
            "keygen",
            "--election",
            ID,
            "--out",
            s(&t.key),
            "--passphrase-file",
            s(&t.pass),
        ]);
        let key = out.trim().to_string();
        assert_eq!(key.len(), 43, "a public key in base64url: {out}");
        public.push(key);
    }
    println!("3 × teller keygen: {:.2?}", started.elapsed());
    // keygen never overwrites a key file.
    fails(&[
        "teller",
        "keygen",
        "--election",
        ID,
        "--out",
        s(&tellers[0].key),
        "--passphrase-file",
        s(&tellers[0].pass),
    ]);
    let mut a = vec!["tellers", ID];
    a.extend(public.iter().map(String::as_str));
    assert!(admin(&a).contains("key_ceremony"));

    // Teller 1 starts alone and gives up waiting: its announcement is on the board, its
    // state only in its key file (the ceremony's seed). Started again below, it replays.
    let alone = teller(
        "ceremony",
        &url,
        &tellers[0],
        &tellers[0].pass,
        &["--timeout", "1"],
    );
    let out = { alone }.output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"));

    // The ceremony: three processes at once, each checking the others.
    let started = Instant::now();
    let children: Vec<Child> = tellers
        .iter()
        .map(|t| {
            teller("ceremony", &url, t, &t.pass, &["--timeout", "300"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a teller")
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("a teller's output"))
        .collect();
    println!("3 concurrent teller ceremonies: {:.2?}", started.elapsed());
    let mut joint = None;
    for (i, out) in outputs.iter().enumerate() {
        check(out, &["teller", "ceremony", &format!("#{}", i + 1)]);
        let text = String::from_utf8_lossy(&out.stdout);
        for needed in [
            "3 announcements verified",
            "3 commitments verified",
            "2 shares received and verified",
            "3 share checks verified",
            "joint election key",
        ] {
            assert!(
                text.contains(needed),
                "teller {}: no {needed:?} in\n{text}",
                i + 1
            );
        }
        let line = text
            .lines()
            .find(|l| l.contains("joint election key"))
            .unwrap();
        let k = line.rsplit(' ').next().unwrap().to_string();
        assert_eq!(
            joint.get_or_insert(k.clone()),
            &k,
            "every teller computed the same key"
        );
    }
    assert!(admin(&["status", ID]).contains("registration"));
    // A second run finds the ceremony done.
    let again = teller("ceremony", &url, &tellers[0], &tellers[0].pass, &[]).output();
    assert!(!again.unwrap().status.success());
    no_plaintext_secrets(&tellers);

    // The registrar: 6 credentials in two runs (sheets once the list is complete), the roll.
    let first_dir = dir.join("creds-first");
    let first = admin(&["credentials", ID, "--count", "2", "--out", s(&first_dir)]);
    assert!(first.contains("not complete yet"), "{first}");
    assert!(
        !first_dir.join("sheets.html").exists(),
        "no sheets before the list is complete"
    );
    // More than the congress's deputies is refused before anything is made.
    let mut a = vec!["admin", "--url", &url, "--token-file", s(&token)];
    let too_many = format!("{}", dir.join("creds-too-many").display());
    a.extend(["credentials", ID, "--count", "5", "--out", &too_many]);
    fails(&a);
    let creds_dir = dir.join("creds");
    admin(&["credentials", ID, "--out", s(&creds_dir), "--batch", "3"]);
    let first_sheets = dir.join("first-sheets.html");
    admin(&[
        "sheets",
        ID,
        "--credentials",
        s(&first_dir.join("credentials.txt")),
        "--out",
        s(&first_sheets),
    ]);
    let mut seeds: Vec<String> = std::fs::read_to_string(first_dir.join("credentials.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(seeds.len(), 2);
    seeds.extend(
        std::fs::read_to_string(creds_dir.join("credentials.txt"))
            .unwrap()
            .lines()
            .map(str::to_string),
    );
    assert_eq!(seeds.len(), 6);
    let sheets = std::fs::read_to_string(creds_dir.join("sheets.html")).unwrap()
        + &std::fs::read_to_string(&first_sheets).unwrap();
    assert_eq!(
        sheets.matches("<section class=\"sheet\"").count(),
        6,
        "one page per deputy"
    );
    assert_eq!(sheets.matches("<svg").count(), 6, "one QR code per deputy");
    assert!(sheets.contains("page-break-after"));
    for seed in &seeds {
        assert!(seed.len() == 64 && seed.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(sheets.contains(&seed[..8]), "the seed in groups of 8");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(creds_dir.join("credentials.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Existing credential files are never replaced.
    let again = format!("{}", creds_dir.display());
    let mut a = vec!["admin", "--url", &url, "--token-file", s(&token)];
    a.extend(["credentials", ID, "--count", "1", "--out", &again]);
    fails(&a);
    let names = dir.join("names.txt");
    std::fs::write(
        &names,
        "代表 一\n代表 二\n代表 三\n\n代表 四\n代表 五\n代表 六\n",
    )
    .unwrap();
    assert!(admin(&["roll", ID, s(&names)]).contains("registration"));
    // Voting opens only once the chief scrutineer (teller 1) posted the attendance.
    let mut a = vec!["admin", "--url", &url, "--token-file", s(&token)];
    a.extend(["open", ID]);
    fails(&a);
    let signed = teller(
        "attendance",
        &url,
        &tellers[0],
        &tellers[0].pass,
        &["--signed-in", "7"],
    )
    .output()
    .unwrap();
    assert!(!signed.status.success(), "more signed in than deputies");
    let signed = teller(
        "attendance",
        &url,
        &tellers[0],
        &tellers[0].pass,
        &["--signed-in", "6"],
    )
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&signed.stdout);
    assert!(
        signed.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert!(text.contains("6 of 6 deputies signed in"), "{text}");
    assert!(admin(&["open", ID]).contains("open"));
    // The sheets carry the fingerprint the election opened with: short, and in every link.
    let fingerprint = pinned(&url, ID);
    let f = piaojue_crypto::encoding::Digest32::from_base64(&fingerprint).unwrap();
    let short = piaojue_crypto::fingerprint::ShortFingerprint::of(&f).to_string();
    assert_eq!(sheets.matches(&short).count(), 6, "{short} on every sheet");

    // Deputies: five cast, one audits; a second ballot is refused.
    let choices = ["1,2", "1", "2,3", "1,3", "4"];
    let mut expected = [0u64; 4];
    let cred_file = |i: usize| {
        let p = dir.join(format!("credential-{i}.txt"));
        std::fs::write(&p, &seeds[i]).unwrap();
        p
    };
    let receipt = |i: usize| dir.join(format!("receipt-{i}.json"));
    for (i, choose) in choices.iter().enumerate() {
        check(
            &vote(&url, ID, &cred_file(i), choose, &receipt(i), &[]),
            &["vote"],
        );
        for o in choose.split(',') {
            expected[o.parse::<usize>().unwrap() - 1] += 1;
        }
    }
    let audit = vote(&url, ID, &cred_file(5), "2,4", &receipt(5), &["--audit"]);
    check(&audit, &["vote", "--audit"]);
    assert!(String::from_utf8_lossy(&audit.stdout).contains("audited"));
    let twice = vote(&url, ID, &cred_file(0), "3", &dir.join("twice.json"), &[]);
    assert!(!twice.status.success(), "a second ballot is refused");
    assert!(String::from_utf8_lossy(&twice.stderr).contains("409"));

    // A receipt checks; a tampered one does not.
    ok(&[
        "receipt",
        "check",
        s(&receipt(2)),
        "--url",
        &url,
        "--lang",
        "en",
    ]);
    let mut tampered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(receipt(2)).unwrap()).unwrap();
    tampered["index"] = serde_json::json!(tampered["index"].as_u64().unwrap() + 1);
    let bad = dir.join("tampered.json");
    std::fs::write(&bad, serde_json::to_vec(&tampered).unwrap()).unwrap();
    fails(&["receipt", "check", s(&bad), "--url", &url]);
    // The old spelling still works.
    let out = run(&["verify", "receipt", s(&receipt(2)), "--url", &url]);
    check(&out, &["verify", "receipt"]);
    // A tracking code as written down (the short form, lower case, protocol §8.4): its receipt
    // fetched, saved and checked; an unknown code and one that is not a code refused.
    let saved: piaojue_crypto::board::Receipt =
        serde_json::from_slice(&std::fs::read(receipt(2)).unwrap()).unwrap();
    let short = piaojue_crypto::tracking::ShortTrackingCode::of(&saved.tracking_code)
        .to_string()
        .to_lowercase();
    let found = dir.join("found.json");
    let args = [
        "receipt",
        "find",
        &short,
        "--election",
        ID,
        "--url",
        &url,
        "--out",
        s(&found),
    ];
    let out = run(&args);
    check(&out, &args);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&short.to_uppercase()),
        "the short form is printed"
    );
    let got: piaojue_crypto::board::Receipt =
        serde_json::from_slice(&std::fs::read(&found).unwrap()).unwrap();
    assert_eq!(got, saved);
    let err = fails(&[
        "receipt",
        "find",
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ",
        "--election",
        ID,
        "--url",
        &url,
    ]);
    assert!(err.contains("404"), "{err}");
    let out = run(&[
        "receipt",
        "find",
        "ZZZZ-ZZZZ-ZZZZ-ZZZU",
        "--election",
        ID,
        "--url",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(2), "not a tracking code");

    assert!(admin(&["close", ID]).contains("closed"));

    // Decryption by tellers 1 and 3; teller 1's wrong passphrase first.
    let wrong = dir.join("wrong.txt");
    std::fs::write(&wrong, "not the passphrase\n").unwrap();
    let before = std::fs::read(&tellers[0].key).unwrap();
    let out = teller("decrypt", &url, &tellers[0], &wrong, &[])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(
        std::fs::read(&tellers[0].key).unwrap(),
        before,
        "the key file is unchanged"
    );
    assert!(
        admin(&["status", ID]).contains("closed"),
        "nothing was posted"
    );
    for t in [&tellers[0], &tellers[2]] {
        let started = Instant::now();
        let out = teller("decrypt", &url, t, &t.pass, &[]).output().unwrap();
        check(&out, &["teller", "decrypt"]);
        let out = String::from_utf8_lossy(&out.stdout);
        println!("teller decrypt: {:.2?}", started.elapsed());
        assert!(
            out.contains("the board's encrypted tally is the sum of its 5 counted ballots"),
            "{out}"
        );
        assert!(
            out.contains("4 partial decryptions and their proofs verified"),
            "{out}"
        );
    }
    assert!(admin(&["status", ID]).contains("tallied"));
    assert!(admin(&["publish", ID]).contains("published"));

    // Anyone: the record verifies and its counts are the votes cast.
    let record_file = dir.join("record.json");
    ok(&[
        "verify",
        "--quiet",
        "url",
        &url,
        ID,
        "--save",
        s(&record_file),
    ]);
    let record: ElectionRecord =
        serde_json::from_slice(&std::fs::read(&record_file).unwrap()).unwrap();
    let result = record.result.expect("a result");
    assert_eq!(result.counts, vec![expected.to_vec()]);
    assert_eq!(record.ballots.len(), 5);
    assert_eq!(record.audited.len(), 1);

    // After the whole election: no secret anywhere on the server's side (every table's every
    // row, and the server's log).
    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();
    let staff_token = std::fs::read_to_string(&token).unwrap().trim().to_string();
    secrets.push(("the staff token".into(), staff_token.into_bytes()));
    for (i, t) in tellers.iter().enumerate() {
        let pass = piaojue::cli::passphrase::from_file(&t.pass).unwrap();
        let phrase = std::fs::read_to_string(&t.pass).unwrap().trim().to_string();
        secrets.push((format!("teller {i}'s passphrase"), phrase.into_bytes()));
        let store = TellerStore::load(&t.key, &pass).unwrap();
        secrets.push((
            format!("teller {i}'s signing key"),
            store.signing_seed.to_vec(),
        ));
        let share = store.share.as_ref().expect("a share");
        secrets.push((format!("teller {i}'s key share"), share.share.to_vec()));
        let file = std::fs::read(&t.key).unwrap();
        secrets.push((
            format!("teller {i}'s key file"),
            file[file.len() - 64..].to_vec(),
        ));
    }
    for (i, seed) in seeds.iter().enumerate() {
        secrets.push((
            format!("deputy {i}'s credential"),
            hex::decode(seed).unwrap(),
        ));
    }
    // The board's signing key: in a file of its own (0600), not in the database.
    let board_key_file = db.data_dir().join("board-key");
    let board_seed = std::fs::read_to_string(&board_key_file).unwrap();
    secrets.push((
        "the board's signing key".into(),
        hex::decode(board_seed.trim()).unwrap(),
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&board_key_file), 0o600, "the board key file");
        if let Some(file) = db.url.strip_prefix("sqlite:") {
            assert_eq!(mode(Path::new(file)), 0o600, "the SQLite database file");
        }
    }
    let haystacks = [
        ("the database", common::dump_database(db)),
        ("the server's log", server.log()),
    ];
    for (what, text) in &haystacks {
        let lower = text.to_lowercase();
        for (name, secret) in &secrets {
            let forms = [
                String::from_utf8(secret.clone()).unwrap_or_default(),
                hex::encode(secret),
                piaojue_crypto::encoding::encode_base64(secret),
            ];
            for form in forms.iter().filter(|f| f.len() >= 16) {
                assert!(!lower.contains(&form.to_lowercase()), "{name} is in {what}");
            }
        }
    }
    println!(
        "secrets scan: {} secrets in 3 encodings, not in the database ({} bytes) nor the log ({} bytes)",
        secrets.len(),
        haystacks[0].1.len(),
        haystacks[1].1.len()
    );
}

/// Neither the signing key seed nor the share appears in a key file, in hex, base64url or binary.
fn no_plaintext_secrets(tellers: &[TellerFiles]) {
    for t in tellers {
        let pass = piaojue::cli::passphrase::from_file(&t.pass).unwrap();
        let store = TellerStore::load(&t.key, &pass).unwrap();
        let share = store.share.as_ref().expect("the ceremony saved the share");
        assert!(
            store.ceremony_seed.is_none(),
            "the ceremony's seed is erased"
        );
        let raw = std::fs::read(&t.key).unwrap();
        let text = String::from_utf8_lossy(&raw).to_lowercase();
        for secret in [&store.signing_seed, &share.share] {
            assert!(
                !text.contains(&hex::encode(secret)),
                "a secret in hex in {}",
                t.key.display()
            );
            assert!(
                !String::from_utf8_lossy(&raw)
                    .contains(&piaojue_crypto::encoding::encode_base64(&secret[..])),
                "a secret in base64url in {}",
                t.key.display()
            );
            assert!(!raw.windows(32).any(|w| w == secret), "a secret in binary");
        }
        assert!(!text.contains(ID), "the contents are encrypted");
    }
}

#[test]
fn whole_election_through_the_cli() {
    for db in databases() {
        println!("database: {:?}", db.backend);
        election(&db);
    }
}

/// `serve --demo` writes its tellers' key files encrypted, with the demo passphrase beside them,
/// and `teller decrypt` reads them.
#[test]
fn demo_teller_files_are_encrypted_and_decrypt() {
    let db = TestDb::sqlite();
    let server = Server::start_with(&db, &["--demo", "--demo-deputies", "3"]);
    let url = server.base.clone();
    let demo = db.data_dir().join("demo");
    let token = db.data_dir().join("staff-token");
    let pass = demo.join("teller-passphrase.txt");
    let seeds = std::fs::read_to_string(demo.join("credentials.txt")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(demo.join("credentials.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the demo's credentials.txt is secret");
    }
    for i in 1..=5 {
        let key = demo.join(format!("teller-{i}.age"));
        let raw = std::fs::read(&key).unwrap();
        assert!(raw.starts_with(b"age-encryption.org/v1\n"), "teller {i}");
        assert!(!demo.join(format!("teller-{i}.json")).exists());
    }
    // The demo's printable credential sheets: one page per deputy, each linking to the booth
    // of this server with its own credential.
    let sheets = std::fs::read_to_string(demo.join("sheets.html")).unwrap();
    assert_eq!(sheets.matches("<section class=\"sheet\"").count(), 3);
    assert_eq!(
        sheets
            .matches(&format!("Voting page: {url}/elections/demo-2027/vote<"))
            .count(),
        3
    );
    for seed in seeds.lines() {
        assert!(sheets.contains(&seed[56..]), "each seed, in groups of 8");
    }
    for (i, seed) in seeds.lines().enumerate() {
        let c = db.scratch().join(format!("c{i}.txt"));
        std::fs::write(&c, seed).unwrap();
        let r = db.scratch().join(format!("r{i}.json"));
        check(&vote(&url, "demo-2027", &c, "1,2", &r, &[]), &["vote"]);
    }
    let admin = |verb: &str| {
        ok(&[
            "admin",
            "--url",
            &url,
            "--token-file",
            s(&token),
            verb,
            "demo-2027",
        ])
    };
    admin("close");
    for i in 1..=3 {
        let key = demo.join(format!("teller-{i}.age"));
        ok(&[
            "teller",
            "decrypt",
            "demo-2027",
            "--url",
            &url,
            "--key-file",
            s(&key),
            "--passphrase-file",
            s(&pass),
        ]);
    }
    assert!(admin("status").contains("tallied"));
}

/// `piaojue vote` saves the receipt as soon as the server took the ballot: when the board key
/// cannot be fetched afterwards (a server or a network failing), the receipt is on disk and the
/// voter is told, in Chinese and English, how to check it later.
#[test]
fn vote_saves_the_receipt_before_checking_it() {
    let db = TestDb::sqlite();
    let server = Server::start_with(&db, &["--demo", "--demo-deputies", "1"]);
    // The server takes the ballot but answers with a receipt that does not check (its index
    // changed after signing): the answer is kept as it came, then refused.
    let proxy = hostile::Proxy::with_hook(server.addr, |method, path, status, body| {
        (method == hyper::Method::POST && path == "/api/elections/demo-2027/ballots").then(|| {
            (
                status,
                hostile::edit_json(body, |v| {
                    v["index"] = serde_json::json!(v["index"].as_u64().unwrap() + 1);
                }),
            )
        })
    });
    let seed = std::fs::read_to_string(db.data_dir().join("demo/credentials.txt")).unwrap();
    let c = db.scratch().join("c.txt");
    std::fs::write(&c, seed.trim()).unwrap();
    let r = db.scratch().join("r.json");
    let out = vote(&proxy.base, "demo-2027", &c, "1", &r, &[]);
    assert!(!out.status.success(), "the receipt was not checked");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("服务器的回执未通过核验"), "{err}");
    assert!(
        err.contains("The server's receipt does not verify"),
        "{err}"
    );
    assert!(err.contains("piaojue receipt check"), "{err}");
    // The way to check it later names the manifest's board key, not a key the server lists.
    let (_, status) = server.public().get("/api/elections/demo-2027");
    let key = status["manifest"]["board"]["key"].as_str().unwrap();
    assert!(err.contains(&format!("--board-key {key}")), "{err}");
    // The receipt is saved as it was answered.
    let answered = proxy.requests(&hyper::Method::POST, "/api/elections/demo-2027/ballots");
    assert_eq!(answered.len(), 1);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&answered[0].response).unwrap();
    assert_eq!(saved, sent);
    // The ballot is on the board: with the index the server signed, the receipt checks, under
    // the key the message named.
    let mut true_receipt = saved;
    true_receipt["index"] = serde_json::json!(true_receipt["index"].as_u64().unwrap() - 1);
    let t = db.scratch().join("true.json");
    std::fs::write(&t, true_receipt.to_string()).unwrap();
    let args = [
        "receipt",
        "check",
        s(&t),
        "--url",
        &server.base,
        "--board-key",
        key,
    ];
    ok_once_witnessed(&args);
}

/// `serve --demo` without `--downloads-dir` offers the program it runs and the verifier beside
/// it (`spec/api.md` §8.1): here a copy of `piaojue` in a folder of its own, with a stand-in
/// `piaojue-verify` beside it. Both are listed with the SHA-256 of the files beside each other and
/// served byte for byte; without the verifier beside it, the next start lists only `piaojue`; an
/// explicit `--downloads-dir` is served instead.
#[test]
fn the_demo_offers_the_running_program_and_the_verifier_beside_it() {
    use sha2::{Digest, Sha256};
    let db = TestDb::sqlite();
    let bin = db.scratch().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let piaojue = bin.join("piaojue");
    // Copied by another process: a file this one wrote could still be open in a child being
    // forked by another test, and would then not start (ETXTBSY).
    let copied = Command::new("cp")
        .arg(env!("CARGO_BIN_EXE_piaojue"))
        .arg(&piaojue)
        .status()
        .unwrap();
    assert!(copied.success());
    let verifier = bin.join("piaojue-verify");
    std::fs::write(&verifier, b"#!/bin/sh\necho a stand-in for the verifier\n").unwrap();
    let digest = |p: &Path| hex::encode(Sha256::digest(std::fs::read(p).unwrap()));
    let args = ["--demo", "--demo-deputies", "1", "--demo-witnesses", "0"];
    let listed = |server: &Server| {
        let (status, list) = server.public().get("/api/downloads");
        assert_eq!(status, 200, "{list}");
        list["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_string(),
                    f["sha256"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };

    let server = Server::start_program(&piaojue, &db.url, &db.data_dir(), &args);
    assert_eq!(
        listed(&server),
        [
            ("piaojue".to_string(), digest(&piaojue)),
            ("piaojue-verify".to_string(), digest(&verifier)),
        ]
    );
    for (name, file) in [("piaojue", &piaojue), ("piaojue-verify", &verifier)] {
        let (status, bytes) = server.public().get_bytes(&format!("/downloads/{name}"));
        assert_eq!(status, 200, "{name}");
        assert!(
            bytes == std::fs::read(file).unwrap(),
            "{name} byte for byte"
        );
    }
    drop(server);

    std::fs::remove_file(&verifier).unwrap();
    let server = Server::start_program(&piaojue, &db.url, &db.data_dir(), &args);
    assert_eq!(
        listed(&server),
        [("piaojue".to_string(), digest(&piaojue))],
        "no verifier beside the program: the old copy is not listed"
    );
    drop(server);

    let own = db.scratch().join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("piaojue-verify-linux-x86_64"), b"release build").unwrap();
    let own_dir = own.to_str().unwrap();
    let mut with_dir = args.to_vec();
    with_dir.extend(["--downloads-dir", own_dir]);
    let server = Server::start_program(&piaojue, &db.url, &db.data_dir(), &with_dir);
    assert_eq!(
        listed(&server),
        [(
            "piaojue-verify-linux-x86_64".to_string(),
            hex::encode(Sha256::digest(b"release build"))
        )]
    );
}
