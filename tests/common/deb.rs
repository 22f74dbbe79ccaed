//! The Debian package, for the tests that install it: tests/debian_package.rs on this machine,
//! tests/systemd_unit.rs in a container under systemd. Building it from the tests' own (debug)
//! binaries, the demo configuration they serve, one deputy's vote with the installed client, and
//! small helpers to run commands.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::Client;

/// The unit's state folder (`StateDirectory=piaojue`).
pub const STATE: &str = "/var/lib/piaojue";
/// The unit's configuration file.
pub const CONFIG: &str = "/etc/piaojue/piaojue.toml";
/// The demo election the configuration prepares.
pub const DEMO: &str = "demo-2027";

/// The server's options for the tests: the one-machine configuration of docs/operations.md §2
/// (SQLite and the data in the state folder) on a free port of 127.0.0.1, with a one-deputy demo
/// election and no witness.
pub const DEMO_OPTIONS: [(&str, &str); 5] = [
    ("database-url", "sqlite:/var/lib/piaojue/piaojue.db"),
    ("data-dir", STATE),
    ("listen", "127.0.0.1:0"),
    ("demo-deputies", "1"),
    ("demo-witnesses", "0"),
];

/// [`DEMO_OPTIONS`] as the configuration file (`/etc/piaojue/piaojue.toml`).
pub fn demo_config() -> String {
    let mut toml = String::from("demo = true\n");
    for (k, v) in DEMO_OPTIONS {
        match v.parse::<u64>() {
            Ok(n) => toml.push_str(&format!("{k} = {n}\n")),
            Err(_) => toml.push_str(&format!("{k} = {v:?}\n")),
        }
    }
    toml
}

/// Whether `cmd` runs and succeeds (its output is dropped).
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `tool` is on the PATH.
pub fn has_tool(tool: &str) -> bool {
    succeeds(Command::new("sh").args(["-c", &format!("command -v {tool}")]))
}

/// Runs `program args` and answers its output; panics, showing it, when it fails.
#[track_caller]
pub fn run(program: &str, args: &[&str]) -> Output {
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

/// Its standard output, trimmed.
pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Packages the tests' binaries with packaging/build-deb into `out`; answers the .deb's path.
pub fn build_deb(out: &Path) -> String {
    let bins = super::binaries_with_verifier();
    let root = env!("CARGO_MANIFEST_DIR");
    let built = run(
        &format!("{root}/packaging/build-deb"),
        &[
            "--profile",
            "debug",
            "--bin-dir",
            bins.to_str().expect("a UTF-8 path"),
            "--out",
            out.to_str().expect("a UTF-8 path"),
        ],
    );
    let deb = text(&built)
        .lines()
        .last()
        .expect("the .deb's path")
        .to_string();
    assert!(deb.ends_with(".deb") && Path::new(&deb).exists(), "{deb}");
    deb
}

/// One deputy (the first line of the demo's `credentials`) votes in the demo election at `base`
/// with the installed client, pinned to the election's fingerprint, and checks the receipt;
/// `piaojue` is the command that runs the installed `/usr/bin/piaojue` (it must see `scratch`
/// at the same path). Answers the election's status afterwards.
pub fn vote_once(
    base: &str,
    credentials: &str,
    scratch: &Path,
    piaojue: &[&str],
) -> serde_json::Value {
    let (status, election) = Client::new(base, None).get(&format!("/api/elections/{DEMO}"));
    assert_eq!(status, 200, "{election}");
    let fingerprint = election["fingerprint"]
        .as_str()
        .expect("open: a fingerprint");
    let credential = scratch.join("credential.txt");
    std::fs::write(&credential, credentials.lines().next().expect("one")).unwrap();
    let receipt = scratch.join("receipt.json");
    let s = |p: &Path| p.to_str().expect("a UTF-8 path").to_string();
    let (program, before) = piaojue.split_first().expect("a command");
    fn with<'a>(before: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
        [before, args].concat()
    }
    run(
        program,
        &with(
            before,
            &[
                "vote",
                "--url",
                base,
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
        ),
    );
    run(
        program,
        &with(before, &["receipt", "check", &s(&receipt), "--url", base]),
    );
    let (_, status) = Client::new(base, None).get(&format!("/api/elections/{DEMO}"));
    assert_eq!(status["ballots"], 1, "one ballot on the board: {status}");
    status
}
