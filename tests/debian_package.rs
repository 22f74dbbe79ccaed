//! The Debian package (issue 17): `packaging/build-deb` packages the tests' own (debug)
//! binaries, `dpkg -i` installs the package on this machine, the server runs the unit's command
//! line as the unit runs it (user `piaojue`, working directory /var/lib/piaojue), a deputy votes
//! once with the installed `piaojue vote`, SIGTERM stops the server cleanly, a reinstall keeps
//! the data and the configuration, `dpkg -r` keeps the data, and `dpkg --purge` removes the user,
//! the files and the units.
//!
//! It installs a package system-wide, so it runs only as root with dpkg, jq and setpriv, and only
//! when neither a package nor a user called `piaojue` is there already (it would remove them);
//! otherwise it says why it skips. `PIAOJUE_REQUIRE_DPKG=1` (set by .ci/run) makes a skip a
//! failure.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Client, TempDir};

const REQUIRE_VAR: &str = "PIAOJUE_REQUIRE_DPKG";
const UNIT: &str = "/usr/lib/systemd/system/piaojue.service";
const WITNESS_UNIT: &str = "/usr/lib/systemd/system/piaojue-witness.service";
const CONFIG: &str = "/etc/piaojue/piaojue.toml";
const STATE: &str = "/var/lib/piaojue";
const DEMO: &str = "demo-2027";

/// Why this machine cannot run the test, if it cannot.
fn why_not() -> Option<String> {
    if std::fs::metadata("/proc/self").map(|m| m.uid()).ok() != Some(0) {
        return Some("not root (dpkg -i needs it)".into());
    }
    for tool in ["dpkg", "dpkg-deb", "jq", "setpriv", "getent"] {
        if !succeeds(Command::new("sh").args(["-c", &format!("command -v {tool}")])) {
            return Some(format!("{tool} is missing"));
        }
    }
    if succeeds(Command::new("dpkg-query").args(["-W", "piaojue"])) {
        return Some("a package piaojue is installed already (the test would remove it)".into());
    }
    if succeeds(Command::new("getent").args(["passwd", "piaojue"])) {
        return Some("a user piaojue exists already (the test would remove it)".into());
    }
    None
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `program args` and answers its output; panics, showing it, when it fails.
#[track_caller]
fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Purges the package when dropped (a failed test leaves nothing installed).
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", "piaojue"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Owner, group (names) and permission bits of `path`.
fn owner_mode(path: &str) -> (String, String, u32) {
    let out = run("stat", &["-c", "%U %G", path]);
    let names = text(&out);
    let (user, group) = names.split_once(' ').expect("user and group");
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .permissions()
        .mode()
        & 0o7777;
    (user.into(), group.into(), mode)
}

/// The unit's command line, split at spaces (it has no quoting).
fn exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart");
    line.split_whitespace().map(str::to_string).collect()
}

/// The server's options for the test: the demo election with one deputy, on a free port, its
/// state where the unit keeps it. As the configuration file when `serve` takes `--config`
/// (keys are the long option names), else as options after the unit's command line without its
/// `--config FILE`.
fn serve_command(exec: &[String], takes_config: bool) -> Vec<String> {
    let options: [(&str, &str); 5] = [
        ("database-url", "sqlite:/var/lib/piaojue/piaojue.db"),
        ("data-dir", STATE),
        ("listen", "127.0.0.1:0"),
        ("demo-deputies", "1"),
        ("demo-witnesses", "0"),
    ];
    if takes_config {
        let mut toml = String::from("demo = true\n");
        for (k, v) in options {
            match v.parse::<u64>() {
                Ok(n) => toml.push_str(&format!("{k} = {n}\n")),
                Err(_) => toml.push_str(&format!("{k} = {v:?}\n")),
            }
        }
        std::fs::write(CONFIG, toml).expect("write the configuration");
        exec.to_vec()
    } else {
        let config_at = exec.iter().position(|a| a == "--config");
        let mut cmd: Vec<String> = exec
            .iter()
            .enumerate()
            .filter(|(i, _)| config_at.is_none_or(|c| *i != c && *i != c + 1))
            .map(|(_, a)| a.clone())
            .collect();
        cmd.push("--demo".into());
        for (k, v) in options {
            cmd.push(format!("--{k}"));
            cmd.push(v.into());
        }
        cmd
    }
}

/// Starts `cmd` as user piaojue in the state folder, as the unit does (setpriv execs it: the
/// child is the server itself, and SIGTERM reaches it); answers it and where it listens.
fn start_as_piaojue(cmd: &[String]) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = Command::new("setpriv")
        .args([
            "--reuid=piaojue",
            "--regid=piaojue",
            "--init-groups",
            "--inh-caps=-all",
            "--",
        ])
        .args(cmd)
        .current_dir(STATE)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = Vec::new();
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if let Some(addr) = line.split("serving on ").nth(1) {
                    let base = addr.trim().to_string();
                    return (child, base, rx);
                }
                log.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the installed server did not start:\n{}", log.join("\n"));
}

#[test]
fn the_package_installs_serves_a_vote_and_purges_cleanly() {
    if let Some(why) = why_not() {
        assert!(
            std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
            "{REQUIRE_VAR}=1 but the Debian package test cannot run: {why}"
        );
        println!("skipped: {why}");
        return;
    }
    let scratch = TempDir::new("piaojue-deb");

    // Build: the tests' binaries, packaged by the script from Cargo.toml's metadata.
    let bins = common::binaries_with_verifier();
    let root = env!("CARGO_MANIFEST_DIR");
    let out = run(
        &format!("{root}/packaging/build-deb"),
        &[
            "--profile",
            "debug",
            "--bin-dir",
            bins.to_str().expect("a UTF-8 path"),
            "--out",
            scratch.path().to_str().expect("a UTF-8 path"),
        ],
    );
    let deb = text(&out)
        .lines()
        .last()
        .expect("the .deb's path")
        .to_string();
    assert!(deb.ends_with(".deb") && Path::new(&deb).exists(), "{deb}");
    let control = text(&run("dpkg-deb", &["--field", &deb]));
    for field in [
        "Package: piaojue",
        "Maintainer: ",
        "Section: net",
        "adduser",
    ] {
        assert!(control.contains(field), "{field} in:\n{control}");
    }
    let listing = text(&run("dpkg-deb", &["--contents", &deb]));
    assert!(
        listing.lines().all(|l| l.contains(" root/root ")),
        "every file is root's:\n{listing}"
    );

    // Install.
    let _installed = Installed;
    run("dpkg", &["-i", &deb]);
    for bin in ["/usr/bin/piaojue", "/usr/bin/piaojue-verify"] {
        assert_eq!(owner_mode(bin), ("root".into(), "root".into(), 0o755));
    }
    for page in ["piaojue.1.gz", "piaojue-serve.1.gz", "piaojue-verify.1.gz"] {
        assert!(
            Path::new("/usr/share/man/man1").join(page).exists(),
            "{page}"
        );
    }
    for doc in ["copyright", "operations.md", "operations.zh-CN.md"] {
        assert!(
            Path::new("/usr/share/doc/piaojue").join(doc).exists(),
            "{doc}"
        );
    }
    let passwd = text(&run("getent", &["passwd", "piaojue"]));
    let fields: Vec<&str> = passwd.split(':').collect();
    assert_eq!(fields[5], STATE, "home: {passwd}");
    assert!(fields[6].ends_with("nologin"), "no shell: {passwd}");
    assert!(
        fields[2].parse::<u32>().is_ok_and(|uid| uid < 1000),
        "a system user: {passwd}"
    );
    assert_eq!(
        owner_mode(STATE),
        ("piaojue".into(), "piaojue".into(), 0o750)
    );
    assert_eq!(
        owner_mode("/etc/piaojue"),
        ("root".into(), "piaojue".into(), 0o750)
    );
    let unit = std::fs::read_to_string(UNIT).expect("the unit is installed");
    for line in [
        "User=piaojue",
        "StateDirectory=piaojue",
        "ConfigurationDirectory=piaojue",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=\n",
        "KillSignal=SIGTERM",
        "Restart=on-failure",
    ] {
        assert!(unit.contains(line), "{line:?} in the unit");
    }
    assert!(std::fs::read_to_string(WITNESS_UNIT).is_ok_and(|u| u.contains("witness serve")));
    if succeeds(Command::new("sh").args(["-c", "command -v systemd-analyze"])) {
        let out = Command::new("systemd-analyze")
            .args(["verify", UNIT, WITNESS_UNIT])
            .output()
            .expect("systemd-analyze");
        let complaints: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            // Documentation= names man pages, which this machine may lack a reader for.
            .filter(|l| !l.contains("'man "))
            .map(str::to_string)
            .collect();
        assert!(
            complaints.is_empty(),
            "systemd-analyze verify: {complaints:?}"
        );
    }

    // Run the unit's command line as the unit would, with a one-deputy demo election.
    let exec = exec_start(&unit);
    assert_eq!(exec[..2], ["/usr/bin/piaojue", "serve"], "{exec:?}");
    let help = text(&run("/usr/bin/piaojue", &["serve", "--help"]));
    let cmd = serve_command(&exec, help.contains("--config"));
    let (mut server, base, log) = start_as_piaojue(&cmd);
    for (file, mode) in [("board-key", 0o600), ("staff-token", 0o600)] {
        let path = format!("{STATE}/{file}");
        assert_eq!(
            owner_mode(&path),
            ("piaojue".into(), "piaojue".into(), mode),
            "{path}"
        );
    }

    // One deputy votes with the installed client, pinned to the election's fingerprint.
    let (status, election) = Client::new(&base, None).get(&format!("/api/elections/{DEMO}"));
    assert_eq!(status, 200, "{election}");
    let fingerprint = election["fingerprint"]
        .as_str()
        .expect("open: a fingerprint");
    let credentials = std::fs::read_to_string(format!("{STATE}/demo/credentials.txt"))
        .expect("the demo credentials");
    let credential = scratch.path().join("credential.txt");
    std::fs::write(&credential, credentials.lines().next().expect("one")).unwrap();
    let receipt = scratch.path().join("receipt.json");
    let s = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
    run(
        "/usr/bin/piaojue",
        &[
            "vote",
            "--url",
            &base,
            "--election",
            DEMO,
            "--credential-file",
            &s(&credential),
            "--choose",
            "1",
            "--fingerprint",
            fingerprint,
            "--receipt",
            &s(&receipt),
        ],
    );
    run(
        "/usr/bin/piaojue",
        &["receipt", "check", &s(&receipt), "--url", &base],
    );
    let (_, status) = Client::new(&base, None).get(&format!("/api/elections/{DEMO}"));
    assert_eq!(status["ballots"], 1, "one ballot on the board: {status}");

    // SIGTERM, as systemd stops it: the server exits cleanly.
    run("kill", &["-TERM", &server.id().to_string()]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(status) = server.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 30 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let rest: Vec<String> = log.try_iter().collect();
    assert!(
        exit.success(),
        "exit after SIGTERM: {exit}\n{}",
        rest.join("\n")
    );

    // A reinstall (an upgrade) keeps the database and the configuration as they are.
    let marker = "# the operator's own configuration\n";
    let config_before = std::fs::read_to_string(CONFIG).unwrap_or_default() + marker;
    std::fs::write(CONFIG, &config_before).unwrap();
    let db = format!("{STATE}/piaojue.db");
    let db_size = std::fs::metadata(&db).expect("the database").len();
    run("dpkg", &["-i", &deb]);
    assert_eq!(std::fs::read_to_string(CONFIG).unwrap(), config_before);
    assert_eq!(std::fs::metadata(&db).unwrap().len(), db_size);

    // Remove: the programs go, the election's data stays.
    run("dpkg", &["-r", "piaojue"]);
    assert!(!Path::new("/usr/bin/piaojue").exists());
    assert!(!Path::new(UNIT).exists());
    assert!(Path::new(&db).exists(), "dpkg -r keeps the database");
    assert!(
        Path::new(CONFIG).exists(),
        "dpkg -r keeps the configuration"
    );
    assert!(succeeds(Command::new("getent").args(["passwd", "piaojue"])));

    // Purge: the state, the configuration, the user and the group go, with a warning.
    let purge = run("dpkg", &["--purge", "piaojue"]);
    let said = String::from_utf8_lossy(&purge.stderr);
    assert!(said.contains("deleting /var/lib/piaojue"), "{said}");
    for gone in [
        STATE,
        "/var/lib/piaojue-witness",
        "/etc/piaojue",
        UNIT,
        WITNESS_UNIT,
    ] {
        assert!(!Path::new(gone).exists(), "{gone} is left after the purge");
    }
    assert!(!succeeds(
        Command::new("getent").args(["passwd", "piaojue"])
    ));
    assert!(!succeeds(Command::new("getent").args(["group", "piaojue"])));
    assert!(!succeeds(
        Command::new("dpkg-query").args(["-W", "piaojue"])
    ));
}
