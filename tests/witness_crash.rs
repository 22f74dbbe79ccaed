//! The real `piaojue witness` binary, killed with SIGKILL again and again while threads submit
//! checkpoints of a log that forks (two branches that part after a common prefix) and of an
//! honest log that only grows: every cosignature it ever answered with (collected from the 200
//! answers and verified) must lie on one consistent history per log, with sizes that never go
//! down as the timestamps go up; after the last restart it serves what it last cosigned.
//! Also: `witness keygen` and `witness vkey` print the same vkey.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use piaojue_crypto::board::{BoardKey, Checkpoint, Note, NoteSignature, VerifierKey, log_origin};
use piaojue_witness::sample::SampleLog;

const BOARD: &str = "board.example/county";
const PASS: &str = "witness test passphrase";

fn exe() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_piaojue"));
    c.env("PIAOJUE_WITNESS_PASSPHRASE", PASS);
    c
}

fn board_key() -> BoardKey {
    BoardKey::from_seed(&[0x42; 32])
}

/// One branch of a log: `prefix` common entries, then entries labelled `tag`, `len` in all.
fn branch(election: &str, prefix: u64, tag: &str, len: u64) -> SampleLog {
    let mut log = SampleLog::new(&log_origin(BOARD, election), board_key());
    log.grow_to("common", prefix).grow_to(tag, len);
    log
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(key: &Path, state: &Path) -> Server {
        let mut child = exe()
            .args(["witness", "serve", "--listen", "127.0.0.1:0", "--key-file"])
            .arg(key)
            .arg("--state")
            .arg(state)
            .arg("--board")
            .arg(format!("{BOARD}={}", board_key().public().to_base64()))
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("witness listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server { child, base }
    }
    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

/// `piaojue witness keygen` (a low scrypt work factor: fast, the same format).
fn keygen_cmd(name: &str, key: &Path) -> std::process::Output {
    exe()
        .args([
            "witness",
            "keygen",
            "--name",
            name,
            "--work-factor",
            "10",
            "--key-file",
        ])
        .arg(key)
        .output()
        .unwrap()
}

fn keygen(dir: &Path) -> (PathBuf, VerifierKey) {
    let key = dir.join("witness.key");
    let out = keygen_cmd("witness.example/crash", &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vkey = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let vkey_cmd = |pass: &str| {
        exe()
            .env("PIAOJUE_WITNESS_PASSPHRASE", pass)
            .args(["witness", "vkey", "--key-file"])
            .arg(&key)
            .output()
            .unwrap()
    };
    assert_eq!(
        String::from_utf8(vkey_cmd(PASS).stdout).unwrap().trim(),
        vkey
    );
    // A second keygen never replaces the key; a wrong passphrase opens nothing.
    assert!(!keygen_cmd("x", &key).status.success());
    assert!(!vkey_cmd("wrong").status.success());
    (key, VerifierKey::parse(&vkey).unwrap())
}

/// A cosigned checkpoint as answered: which branch it came from, the checkpoint, the line.
#[derive(Clone)]
struct Cosigned {
    branch: usize,
    checkpoint: Checkpoint,
    signature: NoteSignature,
}

/// Submits growing checkpoints of `branch` until `stop`, following 409 answers.
fn submitter(
    base: Arc<Mutex<String>>,
    branches: Arc<Vec<SampleLog>>,
    which: usize,
    step: u64,
    stop: Arc<AtomicBool>,
    out: Arc<Mutex<Vec<Cosigned>>>,
) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let b = &branches[which];
    let (mut old, mut next) = (0u64, step);
    let mut attempts = 0;
    while !stop.load(Ordering::Relaxed) && attempts < 5000 {
        attempts += 1;
        let new = next.min(b.tree.len());
        let url = format!("{}/add-checkpoint", base.lock().unwrap());
        let Ok(mut r) = agent.post(&url).send(b.request(old, new)) else {
            std::thread::sleep(Duration::from_millis(20)); // down: being restarted
            continue;
        };
        let status = r.status().as_u16();
        let Ok(body) = r.body_mut().read_to_string() else {
            continue;
        };
        match status {
            200 => {
                let sigs = NoteSignature::parse_lines(&body).unwrap();
                out.lock().unwrap().push(Cosigned {
                    branch: which,
                    checkpoint: b.checkpoint(new),
                    signature: sigs[0].clone(),
                });
                old = new;
                next = (new + step).min(b.tree.len());
                if old == b.tree.len() {
                    break;
                }
            }
            409 => {
                let size: u64 = body.trim().parse().unwrap();
                old = size;
                if next < size {
                    next = size;
                }
                if old > b.tree.len() {
                    break; // another branch grew past ours
                }
            }
            422 => {
                // The witness is on another branch: try a later size of ours.
                next = (next + step).min(b.tree.len());
                std::thread::sleep(Duration::from_millis(5));
            }
            other => panic!("unexpected status {other}: {body}"),
        }
    }
}

#[test]
fn sigkilled_witness_never_cosigns_a_fork() {
    let dir = std::env::temp_dir().join(format!("piaojue-witness-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (key, vkey) = keygen(&dir);
    let state = dir.join("state.db");

    // Election "fork": two branches sharing 6 entries; election "honest": one branch.
    let branches = Arc::new(vec![
        branch("fork", 6, "left", 400),
        branch("fork", 6, "right", 400),
        branch("honest", 0, "only", 400),
    ]);
    let mut server = Server::start(&key, &state);
    let base = Arc::new(Mutex::new(server.base.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let out = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = [(0, 3), (1, 2), (2, 1), (2, 5)]
        .into_iter()
        .map(|(which, step)| {
            let (base, branches, stop, out) =
                (base.clone(), branches.clone(), stop.clone(), out.clone());
            std::thread::spawn(move || submitter(base, branches, which, step, stop, out))
        })
        .collect();

    // Kill the witness mid-flight, again and again, and restart it on the same state file.
    let mut rng_state = 0x9e3779b97f4a7c15u64;
    for _ in 0..12 {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        std::thread::sleep(Duration::from_millis(30 + rng_state % 150));
        server.kill();
        server = Server::start(&key, &state);
        *base.lock().unwrap() = server.base.clone();
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }

    let cosigned = out.lock().unwrap().clone();
    eprintln!(
        "{} cosignatures collected across 12 SIGKILLs: {} of the fork's left branch, {} of its right, {} of the honest log",
        cosigned.len(),
        cosigned.iter().filter(|c| c.branch == 0).count(),
        cosigned.iter().filter(|c| c.branch == 1).count(),
        cosigned.iter().filter(|c| c.branch == 2).count(),
    );
    assert!(
        cosigned.len() >= 10,
        "too few cosignatures to judge: {}",
        cosigned.len()
    );
    for c in &cosigned {
        assert!(
            vkey.verify(&c.checkpoint.text(), &c.signature),
            "a cosignature does not verify"
        );
    }
    for origin in [log_origin(BOARD, "fork"), log_origin(BOARD, "honest")] {
        let mut mine: Vec<&Cosigned> = cosigned
            .iter()
            .filter(|c| c.checkpoint.origin == origin)
            .collect();
        assert!(!mine.is_empty(), "nothing cosigned for {origin}");
        // One history: every cosigned checkpoint is a prefix of the largest one's branch.
        let largest: Cosigned = mine
            .iter()
            .max_by_key(|c| c.checkpoint.size)
            .map(|c| (*c).clone())
            .unwrap();
        let tree = &branches[largest.branch].tree;
        for c in &mine {
            assert_eq!(
                tree.root_at(c.checkpoint.size).unwrap(),
                c.checkpoint.root.0,
                "{origin}: size {} cosigned on another branch",
                c.checkpoint.size
            );
        }
        // Size-monotonic: a later timestamp never comes with a smaller tree.
        mine.sort_by_key(|c| (c.signature.timestamp().unwrap(), c.checkpoint.size));
        for w in mine.windows(2) {
            assert!(
                w[0].checkpoint.size <= w[1].checkpoint.size,
                "{origin}: the cosigned size went down"
            );
        }
        // After the restarts, the witness serves a checkpoint of that history, no smaller.
        let url = format!(
            "{}/{}/checkpoint",
            server.base,
            piaojue_witness::origin_hash(&origin)
        );
        let body = ureq::get(&url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        let note = Note::parse(body.as_bytes()).unwrap();
        let served = Checkpoint::parse(note.text()).unwrap();
        assert!(served.size >= largest.checkpoint.size);
        assert_eq!(tree.root_at(served.size).unwrap(), served.root.0);
        let board_vk = board_key().verifier_key(&origin).unwrap();
        assert_eq!(note.verify(&[board_vk, vkey.clone()]).unwrap().len(), 2);
    }
    server.kill();
    std::fs::remove_dir_all(&dir).unwrap();
}
