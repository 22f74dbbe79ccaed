//! Built-in TLS (`serve --tls-cert/--tls-key`, spec/api.md §6): the real server answers HTTPS
//! with a certificate of a test CA and `Strict-Transport-Security`, refuses plain HTTP on its
//! port, takes a renewed certificate without a restart, keeps the one in force when the new
//! files are broken, and refuses to start with a key that does not match.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Server, TestDb};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SerialNumber};
use rustls::pki_types::{CertificateDer, ServerName};

/// A test CA.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Piaojue test CA");
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    /// A server certificate for localhost and 127.0.0.1 with this serial: (cert PEM, key PEM,
    /// cert DER).
    fn server_cert(&self, serial: u64) -> (String, String, CertificateDer<'static>) {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.serial_number = Some(SerialNumber::from(serial));
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().clone())
    }

    fn client(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.issuer.der().clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

/// `GET path` over TLS to `addr` (trusting only the test CA): the answer's head (status line
/// and headers, lower case) and the certificate the server showed.
fn https_get(
    client: &Arc<rustls::ClientConfig>,
    addr: SocketAddr,
    path: &str,
) -> (String, CertificateDer<'static>) {
    let conn =
        rustls::ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    tls.flush().unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            // A peer that closes without close_notify: what came is the answer.
            Err(_) if !answer.is_empty() => break,
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    let peer = tls.conn.peer_certificates().expect("a peer certificate")[0].clone();
    let text = String::from_utf8_lossy(&answer).to_string();
    let head = text.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    (head, peer)
}

/// A SQLite database, a test CA, and a folder for the certificate files.
fn setup() -> (TestDb, Ca, PathBuf) {
    let db = TestDb::sqlite();
    let dir = db.scratch().join("tls");
    std::fs::create_dir_all(&dir).unwrap();
    (db, Ca::new(), dir)
}

/// `piaojue serve` on `db` with the TLS files `cert` and `key`, and more arguments before.
fn serve(db: &TestDb, args: &[&str], cert: &Path, key: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .arg("serve")
        .args(args)
        .arg("--database-url")
        .arg(&db.url)
        .arg("--data-dir")
        .arg(db.data_dir())
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

fn write_pair(dir: &Path, cert: &str, key: &str) {
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
}

/// Polls `f` every 200 ms for at most 15 s.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("not within 15 s: {what}");
}

#[test]
fn https_with_hsts_and_a_certificate_reloaded_without_restart() {
    let (db, ca, dir) = setup();
    let (cert1, key1, der1) = ca.server_cert(1);
    write_pair(&dir, &cert1, &key1);
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    let server = Server::start_with(
        &db,
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
            "--tls-reload-interval",
            "1",
        ],
    );
    assert!(server.base.starts_with("https://"), "{}", server.base);
    let client = ca.client();

    let (head, peer) = https_get(&client, server.addr, "/healthz");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("\r\nstrict-transport-security: max-age=31536000"),
        "{head}"
    );
    assert_eq!(peer, der1);

    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = ureq::get(&format!("http://{}/healthz", server.addr)).call();
    assert!(plain.is_err(), "{plain:?}");
    // The server still answers over TLS after it.
    assert!(
        https_get(&client, server.addr, "/healthz")
            .0
            .starts_with("http/1.1 200")
    );

    // A renewed certificate (another serial, another key): new connections get it.
    let (cert2, key2, der2) = ca.server_cert(2);
    assert_ne!(der1, der2);
    write_pair(&dir, &cert2, &key2);
    eventually("the renewed certificate is served", || {
        https_get(&client, server.addr, "/healthz").1 == der2
    });
    assert!(
        server.log().contains("TLS certificate reloaded"),
        "{}",
        server.log()
    );

    // A broken key file: refused with a warning, and the renewed certificate stays.
    std::fs::write(&key_path, "-----BEGIN PRIVATE KEY-----\nbroken\n").unwrap();
    eventually("the broken key is refused with a warning", || {
        server.log().contains("cannot be used")
    });
    let (head, peer) = https_get(&client, server.addr, "/healthz");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert_eq!(peer, der2);
}

/// `piaojue serve` with these TLS files: its exit status (or `None` if it started listening)
/// and its standard error.
fn start_fails(db: &TestDb, cert: &Path, key: &Path) -> (Option<i32>, String) {
    let out = serve(db, &["--listen", "127.0.0.1:0"], cert, key);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("serving on"), "{err}");
    (out.status.code(), err)
}

#[test]
fn a_key_that_does_not_match_or_a_missing_file_stops_the_start() {
    let (db, ca, dir) = setup();
    let (cert1, _, _) = ca.server_cert(1);
    let (_, key2, _) = ca.server_cert(2);
    write_pair(&dir, &cert1, &key2);
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let (code, err) = start_fails(&db, &cert, &key);
    assert!(code.is_some_and(|c| c != 0), "{code:?} {err}");
    assert!(err.contains("does not go with"), "{err}");
    assert!(
        err.contains(cert.to_str().unwrap()) && err.contains(key.to_str().unwrap()),
        "{err}"
    );
    // Nothing was started: no database, no data folder.
    assert!(!db.data_dir().exists());

    let missing = dir.join("missing.pem");
    let (code, err) = start_fails(&db, &missing, &key);
    assert!(code.is_some_and(|c| c != 0), "{code:?} {err}");
    assert!(err.contains(missing.to_str().unwrap()), "{err}");

    // The key alone is refused by the command line.
    let out = Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .args(["serve", "--check-config", "--tls-key"])
        .arg(&key)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-cert"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // --check-config finds the mismatch and passes a good pair.
    let check = |cert: &Path, key: &Path| serve(&db, &["--check-config"], cert, key);
    let out = check(&cert, &key);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("tls-cert/tls-key") && err.contains("does not go with"),
        "{err}"
    );
    let (cert3, key3, _) = ca.server_cert(3);
    write_pair(&dir, &cert3, &key3);
    let out = check(&cert, &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_client_silent_after_connecting_is_closed_after_the_handshake_timeout() {
    let (db, ca, dir) = setup();
    let (cert, key, _) = ca.server_cert(1);
    write_pair(&dir, &cert, &key);
    let server = Server::start_with(
        &db,
        &[
            "--tls-cert",
            dir.join("cert.pem").to_str().unwrap(),
            "--tls-key",
            dir.join("key.pem").to_str().unwrap(),
        ],
    );
    // Connects and says nothing: the server closes the connection after its 10 s handshake
    // timeout (a read timeout here, well past it, means it was kept open).
    let mut silent = TcpStream::connect(server.addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 16];
    match silent.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the silent connection was not closed: {other:?}"),
    }
    // Others are still served.
    let (head, _) = https_get(&ca.client(), server.addr, "/healthz");
    assert!(head.starts_with("http/1.1 200"), "{head}");
}
