//! Test harness for the ballot server: starts the real `piaojue serve` binary on a free port of
//! 127.0.0.1 with its own data folder and database, reads its staff token, and kills it when
//! dropped; a small blocking JSON client answers `(status, JSON body)`.
//!
//! Databases: SQLite (a file in a temporary folder) always; PostgreSQL when
//! `PIAOJUE_TEST_POSTGRES_URL` is set (e.g. `postgres://postgres@127.0.0.1/test`), in a fresh
//! database `piaojue_t_<random>` created on that server for the test and dropped (`WITH
//! (FORCE)`) when the [`TestDb`] is dropped, so that runs never collide.
//!
//! Shared by the end-to-end, API, crash and load tests; each uses part of it.
#![allow(dead_code)]

pub mod cycle;
pub mod deb;
pub mod election;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use rand::RngExt;
use serde::Serialize;
use serde_json::Value;

/// The variable that names the PostgreSQL server for the tests.
pub const POSTGRES_VAR: &str = "PIAOJUE_TEST_POSTGRES_URL";

/// How long a server may take to start (PostgreSQL migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A folder removed with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty folder under the system's temporary folder.
    pub fn new(prefix: &str) -> Self {
        let name = format!("{prefix}-{}-{}", std::process::id(), random_suffix());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn random_suffix() -> String {
    let bytes: [u8; 6] = rand::rng().random();
    hex::encode(bytes)
}

/// Which database a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// A database and a data folder for one or more server processes (several processes, or one
/// restarted, share them).
#[derive(Debug)]
pub struct TestDb {
    /// The backend.
    pub backend: Backend,
    /// The `--database-url` of the servers.
    pub url: String,
    dir: TempDir,
    postgres: Option<PgDatabase>,
}

impl TestDb {
    /// A SQLite database in a new temporary folder.
    pub fn sqlite() -> Self {
        let dir = TempDir::new("piaojue-test");
        let url = format!("sqlite:{}", dir.path().join("piaojue.db").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            dir,
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database on the server of `PIAOJUE_TEST_POSTGRES_URL`, or `None` (and
    /// a line saying the test is skipped) when the variable is not set.
    pub fn postgres() -> Option<Self> {
        let Some(admin_url) = std::env::var(POSTGRES_VAR).ok().filter(|u| !u.is_empty()) else {
            println!("skipped: {POSTGRES_VAR} is not set");
            return None;
        };
        let name = format!("piaojue_t_{}", random_suffix());
        db_execute(&admin_url, &format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("creating database {name} on {admin_url}: {e}"));
        Some(TestDb {
            backend: Backend::Postgres,
            url: with_database(&admin_url, &name),
            dir: TempDir::new("piaojue-test"),
            postgres: Some(PgDatabase { admin_url, name }),
        })
    }

    /// The data folder (staff token, demo files) of the servers on this database.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A folder for the test's own files, removed with the database.
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }
}

/// A PostgreSQL database that is dropped with its owner.
#[derive(Debug)]
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = db_execute(&self.admin_url, &sql) {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

/// Runs SQL on a database (`sqlite:…` or `postgres://…`), outside any transaction when it is
/// one statement (PostgreSQL runs several in one implicit transaction). The SQL is the test's
/// own.
pub fn db_execute(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await?;
        conn.close().await
    })
}

/// `url` with its database (the path) replaced by `name`, query kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The databases to run a test on: SQLite, and PostgreSQL when the variable is set.
pub fn databases() -> Vec<TestDb> {
    let mut v = vec![TestDb::sqlite()];
    v.extend(TestDb::postgres());
    v
}

/// A running `piaojue serve` process, killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://addr` (`https://addr` with --tls-cert).
    pub base: String,
    /// The staff token it wrote on first start.
    pub token: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts a server on `db`.
    pub fn start(db: &TestDb) -> Self {
        Self::start_with(db, &[])
    }

    /// Starts a server on `db` with more command-line arguments (e.g. `--demo`).
    pub fn start_with(db: &TestDb, args: &[&str]) -> Self {
        Self::start_at(&db.url, &db.data_dir(), args)
    }

    /// Starts a server on the database of `url` with the data folder `data_dir` (a restored
    /// copy, say), and more command-line arguments.
    pub fn start_at(url: &str, data_dir: &Path, args: &[&str]) -> Self {
        Self::start_program(
            Path::new(env!("CARGO_BIN_EXE_piaojue")),
            url,
            data_dir,
            args,
        )
    }

    /// [`Server::start_at`] with another copy of the `piaojue` program.
    pub fn start_program(program: &Path, url: &str, data_dir: &Path, args: &[&str]) -> Self {
        let data_dir = data_dir.to_path_buf();
        let mut child = Command::new(program)
            .arg("serve")
            .arg("--database-url")
            .arg(url)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn,piaojue_server=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start piaojue serve");

        // The server binds port 0 and prints where it listens; the log is drained by a thread
        // for the whole life of the process (a full pipe would block the server).
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("serving on ").nth(1) {
                    let _ = tx.send(rest.trim().to_string());
                }
                sink.lock().expect("log lock").push(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        // `http://ADDR`, or `https://ADDR` with --tls-cert.
        let (scheme, addr): (String, SocketAddr) = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(a) => {
                    let (scheme, a) = a.split_once("://").expect("an origin");
                    break (scheme.to_string(), a.parse().expect("a socket address"));
                }
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "piaojue serve exited with {status} before listening:\n{}",
                            log.lock().expect("log lock").join("\n")
                        );
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "piaojue serve did not start within {START_TIMEOUT:?}:\n{}",
                        log.lock().expect("log lock").join("\n")
                    );
                }
            }
        };
        let token = std::fs::read_to_string(data_dir.join("staff-token"))
            .expect("the staff token file")
            .trim()
            .to_string();
        let server = Server {
            child,
            addr,
            base: format!("{scheme}://{addr}"),
            token,
            log,
        };
        // Over TLS, the test checks the answer itself, with its own trust in the certificate.
        if scheme == "http" {
            let (status, _) = server.public().get("/api/board-key");
            assert_eq!(status, 200, "the server does not answer");
        }
        server
    }

    /// A client with the staff token.
    pub fn staff(&self) -> Client {
        Client::new(&self.base, Some(format!("Bearer {}", self.token)))
    }

    /// A client without credentials (a deputy, a teller, the public).
    pub fn public(&self) -> Client {
        Client::new(&self.base, None)
    }

    /// A client that sends this `Authorization` header.
    pub fn with_authorization(&self, header: &str) -> Client {
        Client::new(&self.base, Some(header.to_string()))
    }

    /// Kills the process at once (SIGKILL: no graceful shutdown) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (a graceful shutdown) and waits at most `timeout` for the process to exit:
    /// its exit status, or `None` if it still runs (it is then killed).
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        None
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("--- log of the server at {} ---\n{}", self.base, self.log());
        }
    }
}

/// A blocking JSON client of the API. Every call answers `(status, body)`: the body parsed as
/// JSON, `Value::Null` when empty, or a JSON string holding the text when it is not JSON.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
    observer: Option<Observer>,
}

/// One request and its answer, as a [`Client`] with an observer sees them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The method.
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// Whether the request carried an `Authorization` header.
    pub authorized: bool,
    /// The request's body, if any.
    pub request: Option<Vec<u8>>,
    /// The answer's status.
    pub status: u16,
    /// The answer's body.
    pub response: Vec<u8>,
}

/// Called with every exchange of a client.
pub type Observer = Arc<dyn Fn(&Exchange) + Send + Sync>;

impl Client {
    /// A client of the server at `base` (`http://host:port`).
    pub fn new(base: &str, authorization: Option<String>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        Client {
            agent,
            base: base.to_string(),
            authorization,
            observer: None,
        }
    }

    /// This client, calling `observer` with every request and its answer.
    pub fn observed(mut self, observer: Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> (u16, Value) {
        let (status, bytes) = self.get_bytes(path);
        (status, parse_body(&bytes))
    }

    /// `GET path`, the body's exact bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        self.request("GET", path, None)
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).expect("the body serializes");
        self.send("POST", path, &bytes)
    }

    /// `POST path` with an empty body.
    pub fn post_empty(&self, path: &str) -> (u16, Value) {
        self.send("POST", path, b"")
    }

    /// `PUT path` with a JSON body.
    pub fn put(&self, path: &str, body: &impl Serialize) -> (u16, Value) {
        let bytes = serde_json::to_vec(body).expect("the body serializes");
        self.send("PUT", path, &bytes)
    }

    /// Any method with these body bytes (sent as `application/json`).
    pub fn send(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let (status, bytes) = self.request(method, path, Some(body));
        (status, parse_body(&bytes))
    }

    /// Sends a request; `body` `None` sends none (GET).
    pub fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
        self.request_with(method, path, body, "application/json")
    }

    /// Sends a body of another content type (a file).
    pub fn request_typed(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        self.request_with(method, path, Some(body), content_type)
    }

    fn request_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        content_type: &str,
    ) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let send = || {
            let mut builder = ureq::http::Request::builder().method(method).uri(&url);
            if let Some(a) = &self.authorization {
                builder = builder.header("Authorization", a);
            }
            match body {
                None => self.agent.run(builder.body(()).expect("a request")),
                Some(b) => self.agent.run(
                    builder
                        .header("Content-Type", content_type)
                        .body(b.to_vec())
                        .expect("a request"),
                ),
            }
        };
        // A server that refuses a request before reading its body (401, 403, 413 …) closes the
        // connection after answering; a pooled connection it closed a moment ago fails the
        // next request before it is sent. That request is sent again, once, on a new
        // connection (the server never saw it).
        let result = match send() {
            Err(ureq::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::ConnectionAborted
                ) =>
            {
                send()
            }
            r => r,
        };
        let response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{method} {url}: reading the body: {e}"));
        if let Some(observe) = &self.observer {
            observe(&Exchange {
                method: method.to_string(),
                path: path.to_string(),
                authorized: self.authorization.is_some(),
                request: body.map(<[u8]>::to_vec),
                status,
                response: bytes.clone(),
            });
        }
        (status, bytes)
    }
}

fn parse_body(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// Asserts that a reply is the refusal `status` with the JSON error body
/// `{"error": code, "message": text}` (a non-empty message, nothing else); returns the message.
#[track_caller]
pub fn assert_refused(reply: &(u16, Value), status: u16, code: &str) -> String {
    let (got, body) = reply;
    assert_eq!(
        (*got, body.get("error").and_then(Value::as_str)),
        (status, Some(code)),
        "expected {status} {code}, got {got} {body}"
    );
    let obj = body.as_object().expect("an object");
    assert_eq!(
        obj.len(),
        2,
        "the error body has exactly error and message: {body}"
    );
    let message = obj["message"].as_str().expect("a message string");
    assert!(!message.is_empty(), "an empty message");
    message.to_string()
}

/// Decodes a JSON value into a type, with the value in the panic message.
#[track_caller]
pub fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("decoding {v}: {e}"))
}

/// Every table's every row, as text: `sqlite3 FILE .dump` or `pg_dump --data-only`. Used to
/// show that a refused request changed nothing and that no secret is in the database.
pub fn dump_database(db: &TestDb) -> String {
    let out = match db.backend {
        Backend::Sqlite => {
            let file = db.url.strip_prefix("sqlite:").expect("a sqlite: URL");
            Command::new("sqlite3")
                .arg(file)
                .arg(".dump")
                .output()
                .expect("run sqlite3")
        }
        Backend::Postgres => Command::new("pg_dump")
            .arg("--data-only")
            .arg("--inserts")
            .arg(&db.url)
            .output()
            .expect("run pg_dump"),
    };
    assert!(
        out.status.success(),
        "dumping the database: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pg_dump (since 15.14) frames its script with `\restrict KEY` / `\unrestrict KEY`, a
    // random key per run: not data.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict ") && !l.starts_with("\\unrestrict "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// [`dump_database`] without the staff audit trail's rows: the trail keeps refused staff
/// actions too (`spec/api.md` §7.8), so "a refusal changed nothing" speaks of everything else
/// (tests/audit.rs checks the trail).
pub fn dump_database_but_audit(db: &TestDb) -> String {
    dump_database(db)
        .lines()
        .filter(|l| !l.contains("staff_audit"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The folder of the tests' binaries, with `piaojue-verify` in it. That is another package's
/// binary: `cargo test --workspace` builds it there (for the verifier's own tests) before any
/// test runs; when only one test of this package is run and it is missing, it is built here.
pub fn binaries_with_verifier() -> PathBuf {
    let piaojue = Path::new(env!("CARGO_BIN_EXE_piaojue"));
    let dir = piaojue
        .parent()
        .expect("the binaries' folder")
        .to_path_buf();
    if !dir.join("piaojue-verify").exists() {
        let profile = if dir.ends_with("release") {
            "release"
        } else {
            "test"
        };
        let out = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--profile", profile])
            .args(["-p", "piaojue-verifier", "--bin", "piaojue-verify"])
            .stdin(Stdio::null())
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "building piaojue-verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.join("piaojue-verify").exists(), "{}", dir.display());
    dir
}
