//! `piaojue serve`: the ballot server with its bulletin board.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ed25519_dalek::SigningKey;
use piaojue_crypto::credential::Credential;
use piaojue_crypto::dkg::TellerKey;
use piaojue_server::{AppState, auth, demo};

use super::keystore::{ShareRecord, TellerStore, write_atomic};
use super::passphrase;

/// Options of `piaojue serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// A configuration file (TOML): keys are these options' long names, e.g.
    /// `database-url = "sqlite:/var/lib/piaojue/piaojue.db"`, `witness = ["…", "…"]`. Every
    /// option is also read from the environment as PIAOJUE_<OPTION> (`PIAOJUE_LISTEN`).
    /// Precedence: command line, environment, file, default.
    #[arg(long, env = "PIAOJUE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the effective configuration (each option's value and where it came from; secrets
    /// masked), check it (files readable, values consistent), and exit: 0 if it is valid.
    /// Starts nothing.
    #[arg(long)]
    pub check_config: bool,
    /// Database: `sqlite:FILE` (created if missing) or `postgres://…` (also from the
    /// environment as DATABASE_URL, below PIAOJUE_DATABASE_URL).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:piaojue.db")]
    pub database_url: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder for the staff token file and the demo's files.
    #[arg(long, default_value = "piaojue-data")]
    pub data_dir: PathBuf,
    /// The board's signing key (created, mode 0600, on first start; never kept in the
    /// database). Every server process on one database needs the same file. [default:
    /// <data-dir>/board-key]
    #[arg(long, env = "PIAOJUE_BOARD_KEY_FILE")]
    pub board_key_file: Option<PathBuf>,
    /// Seconds a staff token stays valid after it is made (0: until revoked).
    #[arg(long, default_value_t = 0)]
    pub staff_token_ttl: u64,
    /// Revoke every staff token and write a new one to <data-dir>/staff-token before serving.
    #[arg(long)]
    pub rotate_staff_token: bool,
    /// Prepare the demo election (5 tellers, 250 deputies, "up to 10 of 13"), open for voting.
    #[arg(long)]
    pub demo: bool,
    /// Deputies in the demo election.
    #[arg(long, default_value_t = 250)]
    pub demo_deputies: usize,
    /// Local witnesses `--demo` starts beside the server and names in the demo election
    /// (0: none; ignored when --witness is given).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=16))]
    pub demo_witnesses: u8,
    /// The board's name, a key name (c2sp.org/signed-note) under a domain the congress
    /// controls, e.g. renda.example.gov.cn/piaojue: each election's log is the origin
    /// NAME/<election id> (spec/protocol.md §14).
    #[arg(long, env = "PIAOJUE_BOARD_NAME", default_value = piaojue_server::board::DEFAULT_BOARD_NAME)]
    pub board_name: String,
    /// A witness that new elections name (spec/witness.md): VKEY@URL, its vkey as `piaojue
    /// witness vkey` prints it and where it takes checkpoints, e.g.
    /// witness.example.org/notary+1a2b3c4d+BASE64@https://witness.example.org/notary. Repeat
    /// for each witness.
    #[arg(long = "witness", value_name = "VKEY@URL", value_parser = super::board_witnesses::parse_witness)]
    pub witnesses: Vec<piaojue_crypto::manifest::Witness>,
    /// How many of the witnesses must cosign a checkpoint [default: more than half of them].
    #[arg(long, requires = "witnesses")]
    pub witness_quorum: Option<u32>,
    /// A folder whose files (the verifier's binaries) the server offers at /downloads/{file},
    /// listed with their SHA-256 at /api/downloads and on the election pages (spec/api.md
    /// §8.1). Read once at start. With --demo and no folder given: <data-dir>/demo/downloads,
    /// holding copies of this program and of piaojue-verify when it sits beside it.
    #[arg(long, value_name = "DIR")]
    pub downloads_dir: Option<PathBuf>,
    /// Public proposals (项目建议) one client address may submit in 10 minutes.
    #[arg(long, default_value_t = 30)]
    pub proposal_limit: usize,
    /// Requests per second one client address may make on average (0: no limit).
    #[arg(long, default_value_t = 50.0)]
    pub rate_limit: f64,
    /// Requests a client address may make at once above the average.
    #[arg(long, default_value_t = 200)]
    pub rate_burst: u32,
    /// Apply the limits per client address (the rate, the requests in progress, the
    /// connections) to loopback clients too (exempt by default, for the load generator and a
    /// reverse proxy on the same machine).
    #[arg(long)]
    pub rate_limit_loopback: bool,
    /// A reverse proxy in front, by address or CIDR block (e.g. 127.0.0.1, 10.0.0.0/8):
    /// requests from it are limited by the client address its X-Forwarded-For gives (the
    /// rightmost address that is not a trusted proxy's), and its connections are not capped
    /// per address. Repeat for each. Without it, X-Forwarded-For is ignored.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = piaojue_server::client_addr::parse_cidr)]
    pub trusted_proxies: Vec<piaojue_server::client_addr::IpNet>,
    /// Requests served at once; more are refused with 503.
    #[arg(long, default_value_t = 1024)]
    pub max_in_flight: usize,
    /// Of those, writes (POST, PUT …) served at once; more are refused with 503, and the reads
    /// keep the rest.
    #[arg(long, default_value_t = 768)]
    pub max_writes_in_flight: usize,
    /// Requests in progress at once from one client address; more are refused with 429.
    #[arg(long, default_value_t = 64)]
    pub max_in_flight_per_client: usize,
    /// Seconds a request may take before it is answered with 408.
    #[arg(long, default_value_t = 60)]
    pub request_timeout: u64,
    /// Seconds a request's whole body may take to arrive; past it, 408 and the connection closed.
    #[arg(long, default_value_t = 10)]
    pub body_timeout: u64,
    /// Slowest rate in bytes per second at which a body may arrive after its first 2 s
    /// (0: no minimum); slower is answered with 408.
    #[arg(long, default_value_t = 1024)]
    pub body_min_rate: u32,
    /// Seconds a connection may take to send a request's headers, or stay idle between two
    /// requests; past it the connection is closed.
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Connections open at once (never more than the open-file limit less 128); more wait to
    /// be accepted.
    #[arg(long, default_value_t = 8192)]
    pub max_connections: usize,
    /// Connections open at once from one client address; more are closed at once.
    #[arg(long, default_value_t = 256)]
    pub max_connections_per_client: usize,
    /// Serve Prometheus metrics at http://ADDR/metrics on a listener of its own (off by
    /// default; never on the public port: give an address only the monitoring reaches).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,
    /// The log's format on standard error: text, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Threads that verify ballots [default: one per core]. When several server processes share
    /// one machine, give each its share of the cores.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub verify_threads: Option<u16>,
    /// Seconds the requests in progress may take to finish on SIGTERM or Ctrl-C, once no new
    /// connection is accepted; past it they are cut (a ballot whose answer was cut may or may
    /// not be on the board: the deputy's device asks again).
    #[arg(long, default_value_t = 20)]
    pub shutdown_timeout: u64,
    /// Serve HTTPS (TLS) with this certificate chain, a PEM file with the server's certificate
    /// first, for a LAN without a reverse proxy; with --tls-key. Every answer then carries
    /// Strict-Transport-Security. The files are read again when they change (see
    /// --tls-reload-interval): new connections get the new certificate, without a restart.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert: a PEM file (PKCS#8, RSA or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between two looks at --tls-cert and --tls-key for a change; a changed pair that
    /// does not read or match is refused with a warning, and the certificate in force stays.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub tls_reload_interval: u64,
}

impl ServeArgs {
    /// The TLS configuration of --tls-cert and --tls-key, read and checked, or `None` for plain
    /// HTTP.
    pub fn tls(&self) -> Result<Option<piaojue_server::tls::Tls>, piaojue_server::tls::TlsError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => piaojue_server::tls::Tls::new(
                cert,
                key,
                std::time::Duration::from_secs(self.tls_reload_interval),
            )
            .map(Some),
            _ => Ok(None),
        }
    }
}

/// `piaojue serve` with its options layered from the command line, the environment and the
/// configuration file ([`super::config`]): checks the configuration (`--check-config`) or runs
/// the server. Answers the exit status.
pub fn main(layered: super::config::Layered) -> anyhow::Result<i32> {
    use clap::FromArgMatches;
    let args = ServeArgs::from_arg_matches(&layered.matches)?;
    if !args.check_config {
        run(args)?;
        return Ok(0);
    }
    print!("{}", layered.render());
    let problems = check(&args);
    if problems.is_empty() {
        eprintln!("配置有效 / the configuration is valid");
        return Ok(0);
    }
    eprintln!("配置有误 / the configuration is not valid:");
    for p in &problems {
        eprintln!("  - {p}");
    }
    Ok(1)
}

/// What is wrong with a configuration, found without starting anything (nothing is created,
/// no database opened): the database URL's kind, the board's name, the witnesses and their
/// quorum, the data folder, the board key file (read if it exists) and the retired keys beside
/// it, the TLS certificate and key (read, parsed, and checked to go together).
pub fn check(args: &ServeArgs) -> Vec<String> {
    let mut problems = Vec::new();
    let url = &args.database_url;
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        problems.push("database-url: neither sqlite:FILE nor postgres://…".to_string());
    }
    if !piaojue_crypto::manifest::is_key_name(&args.board_name) {
        problems.push(format!(
            "board-name {:?} is not a key name (no white space, no '+')",
            args.board_name
        ));
    }
    if let Err(e) = super::board_witnesses::witnesses(args.witnesses.clone(), args.witness_quorum) {
        problems.push(e.to_string());
    }
    if args.data_dir.exists() && !args.data_dir.is_dir() {
        problems.push(format!(
            "data-dir {} is not a folder",
            args.data_dir.display()
        ));
    }
    let key = args
        .board_key_file
        .clone()
        .unwrap_or_else(|| args.data_dir.join("board-key"));
    if key.exists() {
        if let Err(e) = piaojue_server::board::key_file::read(&key) {
            problems.push(format!("board-key-file: {e}"));
        }
        problems.extend(retired_key_problems(&key));
    } else if args.board_key_file.is_some()
        && let Some(dir) = key
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        problems.push(format!(
            "board-key-file {}: the folder {} does not exist (the key is created on first start)",
            key.display(),
            dir.display()
        ));
    }
    if let Err(e) = args.tls() {
        problems.push(format!("tls-cert/tls-key: {e}"));
    }
    problems
}

/// What is wrong with the retired keys beside the key file `key` (`retired-board-keys/`, after a
/// rotation): each file must hold a board key and be named by that key's public key, as the
/// server requires at start for the elections signed with it. Which elections need which key
/// only the database knows; the start checks that.
fn retired_key_problems(key: &Path) -> Vec<String> {
    use piaojue_server::board::key_file;
    let dir = key_file::retired_dir(key);
    let Ok(files) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for file in files {
        let path = match file {
            Ok(f) => f.path(),
            Err(e) => {
                problems.push(format!("retired board keys {}: {e}", dir.display()));
                continue;
            }
        };
        match key_file::read(&path).map(|k| k.public().to_base64()) {
            Err(e) => problems.push(format!("retired board key {}: {e}", path.display())),
            Ok(public) if path.file_name() != Some(std::ffi::OsStr::new(&public)) => {
                problems.push(format!(
                    "retired board key {}: the file holds the key {public}, not the key it is named by",
                    path.display(),
                ));
            }
            Ok(_) => {}
        }
    }
    problems
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging_as(args.log_format);
    // A TLS certificate or key that cannot be used stops the start before anything is opened.
    let tls = args
        .tls()
        .context("--tls-cert/--tls-key")?
        .map(std::sync::Arc::new);
    // Ballot verification runs on rayon's pool (`casting.rs`); its threads are named so that
    // a profile or `top -H` tells them from the async threads.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(args.verify_threads.map_or(0, usize::from))
        .thread_name(|i| format!("piaojue-verify-{i}"))
        .build_global();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // Each connection is a file: the soft open-file limit raised to the hard limit, and the
    // connections capped below it.
    match piaojue_server::connections::raise_open_file_limit() {
        Ok(Some(files)) => eprintln!(
            "打开文件上限 / open-file limit: {files}; 连接上限 / connections at most: {}",
            piaojue_server::connections::connection_cap(args.max_connections, Some(files))
        ),
        Ok(None) => {}
        Err(e) => eprintln!("could not raise the open-file limit: {e}"),
    }
    rt.block_on(async move {
        std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
        let board_key = args
            .board_key_file
            .clone()
            .unwrap_or_else(|| args.data_dir.join("board-key"));
        anyhow::ensure!(
            piaojue_crypto::manifest::is_key_name(&args.board_name),
            "--board-name {:?} is not a key name (no white space, no '+')",
            args.board_name
        );
        // The demo's local witnesses listen before the board opens, so that their addresses
        // can go into the demo election's manifest.
        let demo_witnesses = if args.demo && args.witnesses.is_empty() && args.demo_witnesses > 0 {
            let pass = demo_passphrase(&args.data_dir)?;
            super::board_witnesses::demo_witnesses(&args.data_dir, args.demo_witnesses, &pass, DEMO_WORK_FACTOR).await?
        } else {
            Vec::new()
        };
        let (list, quorum) = if demo_witnesses.is_empty() {
            (args.witnesses.clone(), args.witness_quorum)
        } else {
            let list = demo_witnesses.iter().map(|w| w.manifest_entry()).collect::<anyhow::Result<Vec<_>>>()?;
            (list, None)
        };
        let config = piaojue_server::board::BoardConfig {
            name: args.board_name.clone(),
            witnesses: super::board_witnesses::witnesses(list, quorum)?,
        };
        let downloads = match (&args.downloads_dir, args.demo) {
            (Some(dir), _) => piaojue_server::downloads::Downloads::from_dir(dir).context("--downloads-dir")?,
            // The demo offers the program it runs and the verifier beside it.
            (None, true) => {
                let dir = super::demo_downloads::prepare(&args.data_dir).context("the demo's downloads")?;
                piaojue_server::downloads::Downloads::from_dir(&dir).context("the demo's downloads")?
            }
            (None, false) => Default::default(),
        };
        // Installed before anything is recorded.
        let metrics = args
            .metrics_listen
            .map(|_| piaojue_server::telemetry::install())
            .transpose()
            .context("--metrics-listen")?;
        let state = AppState::connect_with(&args.database_url, &board_key, config)
            .await
            .with_context(|| format!("opening the database {}", args.database_url))?
            .with_downloads(downloads)
            .with_proposal_limit(args.proposal_limit.max(1), std::time::Duration::from_secs(600))
            .with_staff_token_ttl(
                (args.staff_token_ttl > 0).then(|| std::time::Duration::from_secs(args.staff_token_ttl)),
            );
        // A witness key must not be the board's own (spec/verification.md V1.2).
        state
            .board
            .config()
            .witnesses
            .check(&state.board.public_key())
            .map_err(|e| anyhow::anyhow!("--witness: {e}"))?;
        for w in demo_witnesses {
            w.start(&args.board_name, &state.board.public_keys(), shutdown_signal()).await?;
        }
        let witnesses = &state.board.config().witnesses;
        if !witnesses.list.is_empty() {
            eprintln!(
                "见证人 / witnesses of new elections: {} of {} must cosign",
                witnesses.quorum,
                witnesses.list.len()
            );
            for w in &witnesses.list {
                eprintln!("  {} {}", w.name, w.url);
            }
        }
        if args.rotate_staff_token {
            let revoked = auth::revoke_staff_tokens(&state.db).await?;
            eprintln!("工作人员令牌已全部作废 / {revoked} staff token(s) revoked");
        }
        if !auth::has_staff_token(&state.db).await? {
            let label = if args.rotate_staff_token { "rotated" } else { "first start" };
            let token = auth::create_staff_token(&state.db, label).await?;
            let path = args.data_dir.join("staff-token");
            write_private(&path, &token)?;
            eprintln!("工作人员令牌 / staff token written to {} (shown once; keep it secret)", path.display());
        }
        if args.demo {
            let save = demo_teller_files(&args.data_dir)?;
            let info = demo::setup_with(&state, &args.data_dir, args.demo_deputies, &save)
                .await
                .map_err(|e| anyhow::anyhow!("demo set-up: {e}"))?;
            eprintln!(
                "演示选举 / demo election {:?} is open for voting{}; credentials and teller keys in {}",
                info.election_id,
                if info.created { " (prepared now)" } else { "" },
                info.dir.display()
            );
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        if let (Some(addr), Some(handle)) = (args.metrics_listen, metrics) {
            let metrics_listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("--metrics-listen {addr}"))?;
            eprintln!("指标 / metrics: http://{}/metrics", metrics_listener.local_addr()?);
            let router = piaojue_server::telemetry::router(state.clone(), handle);
            tokio::spawn(piaojue_server::telemetry::serve(metrics_listener, router, shutdown_signal()));
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        let origin = format!("{scheme}://{}", listener.local_addr()?);
        eprintln!("票决 Piaojue serving on {origin}");
        eprintln!("  选举列表 / elections:   {origin}/");
        eprintln!("  工作人员 / staff pages: {origin}/staff");
        if args.demo {
            let opened = state
                .elections
                .opened(&state.db, &state.board, demo::DEMO_ID)
                .await
                .map_err(|e| anyhow::anyhow!("the demo election: {e}"))?;
            let sheets = demo_sheets(&args.data_dir, &origin, &opened.ctx.fingerprint)?;
            let id = demo::DEMO_ID;
            eprintln!("  投票 / voting booth:    {origin}/elections/{id}/vote");
            eprintln!("  公告板 / board, result: {origin}/elections/{id}");
            eprintln!("  代表凭证 / deputies' credential sheets (demo): {}", sheets.display());
        }
        let secs = |s: u64| std::time::Duration::from_secs(s.max(1));
        let limits = piaojue_server::limits::LimitConfig {
            rate_per_sec: args.rate_limit,
            burst: args.rate_burst,
            exempt_loopback: !args.rate_limit_loopback,
            trusted_proxies: piaojue_server::client_addr::TrustedProxies::new(args.trusted_proxies.iter().copied()),
            max_in_flight: args.max_in_flight,
            max_writes_in_flight: args.max_writes_in_flight,
            max_in_flight_per_client: args.max_in_flight_per_client,
            timeout: secs(args.request_timeout),
            body_timeout: secs(args.body_timeout),
            body_min_rate: args.body_min_rate,
            header_timeout: secs(args.header_timeout),
            max_connections: args.max_connections,
            max_connections_per_client: args.max_connections_per_client,
            shutdown_timeout: std::time::Duration::from_secs(args.shutdown_timeout),
        };
        piaojue_server::serve_with_tls(listener, state.clone(), limits, tls, shutdown_signal()).await?;
        // No request is in progress any more: the log writers commit and answer what is
        // queued, the witnessing stops, the database is closed.
        state.shutdown().await;
        eprintln!("票决 Piaojue stopped / 已停止");
        Ok(())
    })
}

fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    Ok(write_atomic(path, format!("{text}\n").as_bytes())?)
}

/// The scrypt work factor of the demo's teller files: low, so that the demo starts fast. Real
/// key files (`piaojue teller keygen`) take age's default of about one second.
pub const DEMO_WORK_FACTOR: u8 = 12;

/// The name of the demo tellers' passphrase file, beside their key files.
pub const DEMO_PASSPHRASE_FILE: &str = "teller-passphrase.txt";

/// How `serve --demo` keeps its tellers' secrets: encrypted key files `demo/teller-N.age`
/// under one passphrase written in the clear beside them, `demo/teller-passphrase.txt`
/// (made once, random). DEMO ONLY: a real teller chooses its own passphrase and keeps its
/// file on its own machine.
fn demo_teller_files(
    data_dir: &Path,
) -> anyhow::Result<
    impl Fn(&Path, &TellerKey, &SigningKey) -> Result<(), String> + Send + Sync + use<>,
> {
    let pass = demo_passphrase(data_dir)?;
    Ok(move |dir: &Path, key: &TellerKey, signing: &SigningKey| {
        let store = TellerStore {
            election_id: demo::DEMO_ID.into(),
            index: Some(key.index),
            signing_seed: signing.to_bytes(),
            ceremony_seed: None,
            share: Some(ShareRecord {
                share: *key.share.to_bytes(),
                verification_key: *key.verification_key().as_bytes(),
                joint_key: *key.output.joint_key.as_bytes(),
            }),
            decrypted: None,
        };
        let path = dir.join(format!("teller-{}.age", key.index));
        store
            .save(&path, &pass, Some(DEMO_WORK_FACTOR))
            .map_err(|e| e.to_string())
    })
}

/// The demo's passphrase, `demo/teller-passphrase.txt` (made once, random), for its tellers'
/// and witnesses' key files.
fn demo_passphrase(data_dir: &Path) -> anyhow::Result<age::secrecy::SecretString> {
    let dir = data_dir.join("demo");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let pass_file = dir.join(DEMO_PASSPHRASE_FILE);
    if !pass_file.exists() {
        let words: [u8; 12] = rand::random();
        write_private(&pass_file, &format!("demo-{}", hex::encode(words)))?;
    }
    passphrase::from_file(&pass_file)
}

/// Writes the demo deputies' printable credential sheets (`demo/sheets.html`, one page per
/// deputy, QR codes linking to the booth at `origin`, the election's fingerprint) from
/// `demo/credentials.txt`. The demo election is open: its credential list is complete.
///
/// Made once: `demo/sheets.html.sha256` holds the SHA-256 of what they were made from (origin,
/// fingerprint, credentials); while it matches, a restart keeps the sheets instead of drawing
/// every QR code again (7–10 s at 2,000 deputies, issue 19 §3).
fn demo_sheets(
    data_dir: &Path,
    origin: &str,
    fingerprint: &piaojue_crypto::encoding::Digest32,
) -> anyhow::Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let dir = data_dir.join("demo");
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(dir.join("credentials.txt"))
            .with_context(|| format!("reading {}", dir.join("credentials.txt").display()))?,
    );
    let path = dir.join("sheets.html");
    let stamp_path = dir.join("sheets.html.sha256");
    let stamp = hex::encode(
        Sha256::new()
            .chain_update(origin.as_bytes())
            .chain_update([0])
            .chain_update(fingerprint.0)
            .chain_update(text.as_bytes())
            .finalize(),
    );
    let made = std::fs::read_to_string(&stamp_path).is_ok_and(|s| s.trim() == stamp);
    if made && path.exists() {
        return Ok(path);
    }
    let credentials = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(Credential::from_hex)
        .collect::<Result<Vec<_>, _>>()
        .context("demo credentials")?;
    let deputies = u32::try_from(credentials.len()).context("demo credentials")?;
    let html = super::sheets::render(&demo::manifest(deputies), origin, &credentials, fingerprint);
    write_atomic(&path, html.as_bytes())?;
    write_atomic(&stamp_path, format!("{stamp}\n").as_bytes())?;
    Ok(path)
}

/// The log's format (`serve --log-format`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines of text.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `fields`, `target`).
    Json,
}

/// Logs to standard error as text, filtered by `RUST_LOG` (default: info, and warnings of
/// sqlx and tower_http).
pub(crate) fn init_logging() {
    init_logging_as(LogFormat::Text);
}

/// [`init_logging`] in this format.
pub(crate) fn init_logging_as(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_sheets_are_made_once_per_origin_fingerprint_and_credentials() {
        let data = std::env::temp_dir().join(format!(
            "piaojue-demo-sheets-{:016x}",
            rand::random::<u64>()
        ));
        let dir = data.join("demo");
        std::fs::create_dir_all(&dir).unwrap();
        let creds: String = (0..2)
            .map(|_| {
                let c = Credential::generate(&mut rand::rng());
                format!("{}\n", hex::encode(*c.seed()))
            })
            .collect();
        std::fs::write(dir.join("credentials.txt"), &creds).unwrap();
        let f = piaojue_crypto::encoding::Bytes([7u8; 32]);
        let path = demo_sheets(&data, "http://127.0.0.1:8080", &f).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        assert_eq!(first.matches("<section class=\"sheet\"").count(), 2);
        // A restart with the same inputs keeps the file as it is (a marker shows it).
        std::fs::write(&path, "kept").unwrap();
        demo_sheets(&data, "http://127.0.0.1:8080", &f).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept");
        // Another origin, another fingerprint or other credentials: made again.
        demo_sheets(&data, "http://10.0.0.5:8080", &f).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("10.0.0.5"));
        std::fs::write(&path, "kept").unwrap();
        demo_sheets(
            &data,
            "http://10.0.0.5:8080",
            &piaojue_crypto::encoding::Bytes([8u8; 32]),
        )
        .unwrap();
        assert_ne!(std::fs::read_to_string(&path).unwrap(), "kept");
        std::fs::write(&path, "kept").unwrap();
        std::fs::write(dir.join("credentials.txt"), &creds[..65]).unwrap();
        demo_sheets(
            &data,
            "http://10.0.0.5:8080",
            &piaojue_crypto::encoding::Bytes([8u8; 32]),
        )
        .unwrap();
        let one = std::fs::read_to_string(&path).unwrap();
        assert_eq!(one.matches("<section class=\"sheet\"").count(), 1);
        let _ = std::fs::remove_dir_all(&data);
    }
}
