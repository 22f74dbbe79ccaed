//! The Debian package's units under a real systemd (issue 17, "Install and run"). A minimal
//! Debian 12 (bookworm) with systemd, made once by debootstrap and kept under /var/cache, boots
//! in a container (`systemd-nspawn --boot`, systemd as its PID 1) over a throw-away overlay, so
//! neither the cached tree nor this machine keeps anything. In it the test installs the package
//! with `dpkg -i`, starts `piaojue.service` with `systemctl`, checks that it is active, ready
//! (`/readyz`) and confined as the unit says (user, no capability, `NoNewPrivileges`, seccomp, a
//! read-only system, a private /tmp), lets a deputy vote with the installed client, upgrades the
//! package while it serves (no restart), sees systemd restart it after a crash with the ballot
//! kept, stops it with `systemctl stop` (a clean exit 0, in the journal), runs the witness unit
//! with its credential, and purges the package while systemd runs (the maintainer scripts'
//! systemctl calls).
//!
//! systemd never starts on this machine's own root: only inside the container, whose root is
//! the cached tree; the container shares this machine's network (its server listens on a free
//! port of 127.0.0.1). It runs only as root with systemd-nspawn (package systemd-container),
//! unshare, nsenter, dpkg-deb and jq, and debootstrap while the tree is not made yet; otherwise
//! it says why it skips. `PIAOJUE_REQUIRE_SYSTEMD=1` (set by .ci/run) makes a skip a failure.
//! `PIAOJUE_SYSTEMD_ROOTFS` names another folder for the tree.

mod common;

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::deb::{CONFIG, DEMO, STATE, build_deb, demo_config, has_tool, run, text, vote_once};
use common::{Client, TempDir};

const REQUIRE_VAR: &str = "PIAOJUE_REQUIRE_SYSTEMD";
const ROOTFS_VAR: &str = "PIAOJUE_SYSTEMD_ROOTFS";
/// The cached tree; its name changes with what it holds (`INCLUDE`), so a change makes a new one.
const ROOTFS: &str = "/var/cache/piaojue-tests/bookworm-systemd-1";
/// The packages debootstrap adds to the minimal base: systemd as PID 1, and the package's
/// dependency adduser.
const INCLUDE: &str = "systemd,systemd-sysv,dbus,adduser";
/// Written last into a finished tree.
const READY_MARK: &str = "piaojue-rootfs-ready";

/// Why this machine cannot run the test, if it cannot.
fn why_not(rootfs: &Path) -> Option<String> {
    if std::fs::metadata("/proc/self").map(|m| m.uid()).ok() != Some(0) {
        return Some("not root (systemd-nspawn needs it)".into());
    }
    let mut tools = vec![
        "systemd-nspawn",
        "unshare",
        "nsenter",
        "mount",
        "dpkg-deb",
        "jq",
    ];
    if !rootfs.join(READY_MARK).exists() {
        tools.push("debootstrap");
    }
    for tool in tools {
        if !has_tool(tool) {
            return Some(format!(
                "{tool} is missing (apt-get install systemd-container debootstrap)"
            ));
        }
    }
    None
}

/// The Debian tree with systemd: made by debootstrap in a folder beside it and renamed when
/// complete, so a failed or concurrent run never leaves a half-made one.
fn rootfs(path: &Path) -> Result<(), String> {
    if path.join(READY_MARK).exists() {
        return Ok(());
    }
    let parent = path.parent().expect("the tree's parent folder");
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let making = parent.join(format!(
        "{}.making-{}",
        path.file_name().and_then(|n| n.to_str()).expect("a name"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&making);
    let started = Instant::now();
    let out = Command::new("debootstrap")
        .args([
            "--variant=minbase",
            &format!("--include={INCLUDE}"),
            "bookworm",
        ])
        .arg(&making)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("debootstrap: {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&making);
        return Err(format!(
            "debootstrap failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" / ")
        ));
    }
    std::fs::write(making.join(READY_MARK), INCLUDE).map_err(|e| e.to_string())?;
    if std::fs::rename(&making, path).is_err() {
        // Another run made it meanwhile.
        let _ = std::fs::remove_dir_all(&making);
    }
    println!(
        "debootstrap made {} in {:.0?}",
        path.display(),
        started.elapsed()
    );
    Ok(())
}

/// A container booted with systemd as its PID 1; halted (and, failing that, killed) when
/// dropped.
struct Container {
    nspawn: Child,
    /// Its systemd, as this machine's PID.
    leader: u32,
    console: PathBuf,
}

impl Container {
    /// Boots `rootfs` over a tmpfs overlay (`--volatile=overlay`: every change is gone with the
    /// container), with `binds` mounted at the same paths inside (read-only where marked
    /// `true`). systemd-nspawn runs in a mount namespace of its own with a tmpfs on
    /// /run/systemd/nspawn (this machine's /run is no tmpfs, which it wants there), registers
    /// with no machined and makes no scope (this machine's PID 1 is not systemd), and takes no
    /// lock on the shared, unchanged tree.
    fn boot(rootfs: &Path, binds: &[(&Path, bool)], console: PathBuf) -> Container {
        let name = format!("piaojue-test-{}", std::process::id());
        let mut args: Vec<String> = vec![
            "--directory".into(),
            rootfs.to_str().expect("a UTF-8 path").into(),
            "--volatile=overlay".into(),
            format!("--machine={name}"),
            "--register=no".into(),
            "--keep-unit".into(),
            "--boot".into(),
            "--console=pipe".into(),
        ];
        for (bind, read_only) in binds {
            let p = bind.to_str().expect("a UTF-8 path");
            let how = if *read_only { "bind-ro" } else { "bind" };
            args.push(format!("--{how}={p}:{p}"));
        }
        let log = std::fs::File::create(&console).expect("the console's log");
        let nspawn = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(
                "mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn \
                 && exec systemd-nspawn \"$@\"",
            )
            .arg("sh")
            .args(&args)
            .env("SYSTEMD_NSPAWN_LOCK", "0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log"))
            .stderr(log)
            .spawn()
            .expect("start systemd-nspawn");
        let mut container = Container {
            leader: 0,
            nspawn,
            console,
        };
        // systemd-nspawn (the same process: sh execs it) forks the container's PID 1.
        let pid = container.nspawn.id();
        let deadline = Instant::now() + Duration::from_secs(30);
        while container.leader == 0 {
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            if let Some(child) = children.split_whitespace().next() {
                let comm =
                    std::fs::read_to_string(format!("/proc/{child}/comm")).unwrap_or_default();
                if comm.trim() == "systemd" {
                    container.leader = child.parse().expect("a PID");
                }
            }
            if let Ok(Some(status)) = container.nspawn.try_wait() {
                panic!("systemd-nspawn ended ({status}):\n{}", container.console());
            }
            assert!(
                Instant::now() < deadline,
                "no systemd in the container after 30 s:\n{}",
                container.console()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Until its manager answers, systemctl cannot even ask it to wait for the boot's end.
        let mut state = String::new();
        while Instant::now() < deadline + Duration::from_secs(60) {
            let out = container.try_sh("systemctl is-system-running --wait");
            state = format!(
                "{}{}",
                text(&out),
                String::from_utf8_lossy(&out.stderr).trim()
            );
            if matches!(state.as_str(), "running" | "degraded") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            state,
            "running",
            "the container's systemd: {state}\n{}\n{}",
            text(
                &container
                    .try_sh("systemctl --failed --no-pager; journalctl -b --no-pager | tail -n 40")
            ),
            container.console()
        );
        container
    }

    /// The container's console output so far.
    fn console(&self) -> String {
        std::fs::read_to_string(&self.console).unwrap_or_default()
    }

    /// `sh -c script` inside the container (all its namespaces, as its root); panics, showing
    /// the output, when it fails.
    #[track_caller]
    fn sh(&self, script: &str) -> Output {
        let args = self.enter(&["sh", "-c", script]);
        run(
            "nsenter",
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    }

    /// `sh -c script` inside the container, failing or not.
    fn try_sh(&self, script: &str) -> Output {
        Command::new("nsenter")
            .args(self.enter(&["sh", "-c", script]))
            .stdin(Stdio::null())
            .output()
            .expect("nsenter")
    }

    /// nsenter's arguments to run `command` inside the container, with a clean environment.
    fn enter(&self, command: &[&str]) -> Vec<String> {
        let leader = self.leader.to_string();
        let env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"];
        ["--target", &leader, "--all", "--", "env", "-i"]
            .into_iter()
            .chain(env)
            .chain(command.iter().copied())
            .map(str::to_string)
            .collect()
    }

    /// A path of the container's file system, as this machine sees it.
    fn path(&self, inside: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root{inside}", self.leader))
    }

    /// `systemctl show UNIT` as a map.
    fn show(&self, unit: &str) -> HashMap<String, String> {
        text(&self.sh(&format!("systemctl show --all {unit}")))
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The unit's journal (its messages only).
    fn journal(&self, unit: &str) -> String {
        text(&self.sh(&format!("journalctl --no-pager -o cat -u {unit}")))
    }

    /// Waits until the unit's latest run says where it serves (`piaojue serve` writes
    /// "serving on URL" once it listens); answers the URL. `after` is how many such lines the
    /// journal had before.
    fn serving(&self, unit: &str, after: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let journal = self.journal(unit);
            let urls: Vec<&str> = journal
                .lines()
                .filter_map(|l| l.split("serving on ").nth(1))
                .collect();
            if urls.len() > after {
                return urls[after].trim().to_string();
            }
            let show = self.show(unit);
            assert!(
                Instant::now() < deadline && show["ActiveState"] != "failed",
                "{unit} does not serve ({}/{}):\n{journal}",
                show["ActiveState"],
                show["SubState"]
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // SIGTERM: systemd-nspawn asks the container's systemd to halt.
        let _ = Command::new("kill")
            .args(["-TERM", &self.nspawn.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.nspawn.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.nspawn.kill();
        let _ = self.nspawn.wait();
    }
}

/// The fields `Name:` of /proc/PID/status (inside the container).
fn proc_status(c: &Container, pid: &str) -> HashMap<String, String> {
    text(&c.sh(&format!("cat /proc/{pid}/status")))
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// `systemctl stop UNIT`: SIGTERM, and its process exits by itself with 0 (not killed), which
/// the journal records.
#[track_caller]
fn stop_cleanly(c: &Container, unit: &str) {
    c.sh(&format!("systemctl stop {unit}"));
    let show = c.show(unit);
    for (key, want) in [
        ("ActiveState", "inactive"),
        ("Result", "success"),
        ("ExecMainCode", "1"),
        ("ExecMainStatus", "0"),
    ] {
        assert_eq!(
            show[key], want,
            "after systemctl stop {unit}: {key} in {show:?}"
        );
    }
    let journal = c.journal(unit);
    assert!(journal.contains("Deactivated successfully"), "{journal}");
}

#[test]
fn the_unit_runs_under_systemd_confined_votes_and_stops_cleanly() {
    let rootfs_path = PathBuf::from(std::env::var(ROOTFS_VAR).unwrap_or_else(|_| ROOTFS.into()));
    let required = std::env::var(REQUIRE_VAR).as_deref() == Ok("1");
    let started = Instant::now();
    // The tree is made (once) only where the test can run.
    if let Some(why) = why_not(&rootfs_path).or_else(|| rootfs(&rootfs_path).err()) {
        assert!(
            !required,
            "{REQUIRE_VAR}=1 but the systemd test cannot run: {why}"
        );
        println!("skipped: {why}");
        return;
    }
    let scratch = TempDir::new("piaojue-systemd");
    let deb = build_deb(scratch.path());
    println!(
        "systemd test: the package built at {:.1?}",
        started.elapsed()
    );

    // Boot: the scratch folder (the package, the deputy's files) and the web pages the debug
    // build reads from this source tree are seen at the same paths inside.
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let c = Container::boot(
        &rootfs_path,
        &[(scratch.path(), false), (&web, true)],
        scratch.path().join("console.log"),
    );
    let booted = started.elapsed();

    // Install, with systemd running: postinst reloads it, and it knows the units.
    c.sh(&format!("dpkg -i {deb}"));
    for unit in ["piaojue", "piaojue-witness"] {
        let show = c.show(unit);
        assert_eq!(show["LoadState"], "loaded", "{unit}: {show:?}");
        assert_eq!(
            show["ActiveState"], "inactive",
            "not started by the installation"
        );
        assert_eq!(
            show["UnitFileState"], "disabled",
            "not enabled by the installation"
        );
    }
    let config = c.path(CONFIG);
    assert!(config.exists(), "postinst copies the example configuration");
    std::fs::write(&config, demo_config()).expect("write the configuration");

    // Start it as the operator does.
    c.sh("systemctl enable --now piaojue");
    let base = c.serving("piaojue", 0);
    let (status, ready) = Client::new(&base, None).get("/readyz");
    assert_eq!(
        (status, &ready["status"]),
        (200, &"ready".into()),
        "{ready}"
    );
    let show = c.show("piaojue");
    for (key, want) in [
        ("ActiveState", "active"),
        ("SubState", "running"),
        ("UnitFileState", "enabled"),
        ("User", "piaojue"),
        ("Group", "piaojue"),
        ("WorkingDirectory", STATE),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("UMask", "0027"),
        ("LimitNOFILE", "65536"),
    ] {
        assert_eq!(
            show.get(key).map(String::as_str),
            Some(want),
            "systemctl show piaojue -p {key}"
        );
    }

    // The running server, as the kernel sees it: the unit's user, no capability, none to gain,
    // system calls filtered.
    let pid = show["MainPID"].clone();
    let uid = text(&c.sh("id -u piaojue"));
    let gid = text(&c.sh("id -g piaojue"));
    let st = proc_status(&c, &pid);
    let all = |id: &str| [id; 4].join("\t");
    assert_eq!(st["Uid"], all(&uid), "{st:?}");
    assert_eq!(st["Gid"], all(&gid), "{st:?}");
    assert_eq!(st["NoNewPrivs"], "1");
    assert_eq!(st["Seccomp"], "2", "a seccomp filter");
    for caps in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(st[caps], "0000000000000000", "{caps}");
    }
    for (file, mode) in [
        ("piaojue.db", 0o600),
        ("board-key", 0o600),
        ("staff-token", 0o600),
    ] {
        let meta = std::fs::metadata(c.path(&format!("{STATE}/{file}"))).expect(file);
        assert_eq!(
            (meta.uid().to_string(), meta.mode() & 0o7777),
            (uid.clone(), mode),
            "{file}"
        );
    }

    // Its view of the file system: even root, in its mount namespace, writes nothing but the
    // state folder and its own /tmp and /var/tmp, and sees no home folder.
    std::fs::write(c.path("/root/piaojue-home-marker"), "root's").expect("a file in /root");
    let probe = c.try_sh(&format!(
        "nsenter --target {pid} --mount sh -c '\
         for d in {STATE} /tmp /var/tmp /etc /etc/piaojue /usr/bin /var/lib /var/cache /opt /srv /root; do \
           touch $d/.probe 2>/dev/null && echo $d: written || echo $d: refused; \
         done; \
         test -e /root/piaojue-home-marker && echo home: seen || echo home: hidden'"
    ));
    let probe = String::from_utf8_lossy(&probe.stdout).to_string();
    let written: Vec<&str> = probe
        .lines()
        .filter_map(|l| l.strip_suffix(": written"))
        .collect();
    assert_eq!(
        written,
        [STATE, "/tmp", "/var/tmp"],
        "what it may write: {probe}"
    );
    assert!(probe.contains("home: hidden"), "ProtectHome: {probe}");
    for tmp in ["/tmp", "/var/tmp"] {
        assert!(
            !c.path(&format!("{tmp}/.probe")).exists(),
            "PrivateTmp: the server's {tmp} is not the system's"
        );
    }

    // A deputy votes with the installed client, inside the container.
    let credentials = std::fs::read_to_string(c.path(&format!("{STATE}/demo/credentials.txt")))
        .expect("the demo credentials");
    let mut piaojue = vec!["nsenter".to_string()];
    piaojue.extend(c.enter(&["/usr/bin/piaojue"]));
    let piaojue: Vec<&str> = piaojue.iter().map(String::as_str).collect();
    vote_once(&base, &credentials, scratch.path(), &piaojue);

    // An upgrade (the package again) while it serves: the server is not restarted, and the
    // installation says how to restart it.
    let upgrade = c.sh(&format!("dpkg -i {deb} 2>&1"));
    assert!(
        text(&upgrade).contains("systemctl restart piaojue"),
        "{}",
        text(&upgrade)
    );
    let show = c.show("piaojue");
    assert_eq!(
        (show["ActiveState"].as_str(), &show["MainPID"]),
        ("active", &pid),
        "the same process serves on"
    );

    // A crash: systemd restarts it (Restart=on-failure), and the ballot is still there.
    c.sh(&format!("kill -KILL {pid}"));
    let base = c.serving("piaojue", 1);
    let show = c.show("piaojue");
    assert_ne!(show["MainPID"], pid, "a new process");
    assert_eq!(show["NRestarts"], "1");
    let (_, election) = Client::new(&base, None).get(&format!("/api/elections/{DEMO}"));
    assert_eq!(
        election["ballots"], 1,
        "the ballot survives the crash: {election}"
    );

    // The witness unit, set up as docs/operations.md §5 says: its key made by root, its
    // passphrase root's alone (the unit hands it over as a credential), its options in
    // witness.env, watching this board.
    let (_, key) = Client::new(&base, None).get("/api/board-key");
    let board_key = key["board_key"].as_str().expect("the board's key");
    c.sh(&format!(
        "set -e; umask 077; echo 'a witness passphrase' >/etc/piaojue/witness-passphrase; \
         piaojue witness keygen --name witness.example.org/test --work-factor 10 \
           --key-file /var/lib/piaojue-witness/witness-key.age \
           --passphrase-file /etc/piaojue/witness-passphrase; \
         chown piaojue:piaojue /var/lib/piaojue-witness/witness-key.age; \
         echo 'PIAOJUE_WITNESS_OPTIONS=\"--listen 127.0.0.1:0 --board piaojue.localhost/board={board_key}\"' \
           >/etc/piaojue/witness.env; \
         systemctl enable --now piaojue-witness"
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    let witness = loop {
        let journal = c.journal("piaojue-witness");
        if let Some(url) = journal
            .lines()
            .find_map(|l| l.split("witness listening on ").nth(1))
        {
            break url.trim().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the witness does not listen:\n{journal}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let (status, alive) = Client::new(&witness, None).get("/healthz");
    assert_eq!(status, 200, "{alive}");
    let show = c.show("piaojue-witness");
    assert_eq!(
        (show["ActiveState"].as_str(), show["User"].as_str()),
        ("active", "piaojue")
    );
    let st = proc_status(&c, &show["MainPID"]);
    assert_eq!(st["Uid"], all(&uid), "{st:?}");
    assert_eq!(st["CapEff"], "0000000000000000");
    stop_cleanly(&c, "piaojue-witness");

    // `systemctl stop`: SIGTERM, and the server exits by itself with 0.
    stop_cleanly(&c, "piaojue");
    let journal = c.journal("piaojue");
    assert!(journal.contains("Piaojue stopped"), "{journal}");

    // Purge while systemd runs: prerm stops, postrm removes, and systemd forgets the units.
    c.sh("dpkg --purge piaojue");
    let show = c.show("piaojue");
    assert_eq!(show["LoadState"], "not-found", "{show:?}");
    assert!(!c.path(STATE).exists());
    assert!(
        !c.path("/etc/systemd/system/multi-user.target.wants/piaojue.service")
            .exists()
    );

    drop(c);
    println!(
        "systemd test: booted in {booted:.1?}, finished in {:.1?}",
        started.elapsed()
    );
}
