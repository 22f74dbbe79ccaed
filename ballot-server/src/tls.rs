//! Built-in TLS (`serve --tls-cert/--tls-key`, `spec/api.md` §6): a certificate chain and its
//! private key read from PEM files into a rustls configuration (ring provider, HTTP/1.1 by
//! ALPN), and a task that reads them again when they change, so that new connections get a
//! renewed certificate without a restart. A file that does not read, parse or match leaves
//! the configuration in use as it is, with one warning.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// How long a client may take to complete the TLS handshake once its connection is accepted;
/// past it the connection is closed, so that a silent client does not keep a connection slot.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the certificate and key files are looked at for changes, by default.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// The `Strict-Transport-Security` header sent on every answer over TLS.
pub const HSTS: &str = "max-age=31536000";

/// Why a certificate and key could not be used. Each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a PEM certificate chain: {source}", path.display())]
    CertificatePem { path: PathBuf, source: pem::Error },
    #[error("{}: no certificate in it (PEM \"BEGIN CERTIFICATE\")", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{}: not a PEM private key (PKCS#8, RSA or SEC1): {source}", path.display())]
    KeyPem { path: PathBuf, source: pem::Error },
    #[error(
        "the key {} does not go with the certificate {}: {source}",
        key.display(),
        cert.display()
    )]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
}

/// Reads the certificate chain `cert` (PEM, the server's certificate first) and its private key
/// `key` (PEM: PKCS#8, RSA or SEC1), checks that they go together, and answers the server
/// configuration (HTTP/1.1 by ALPN).
pub fn load(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path)
            .map(zeroize::Zeroizing::new)
            .map_err(|source| TlsError::Read {
                path: path.to_path_buf(),
                source,
            })
    };
    let cert_pem = read(cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::CertificatePem {
            path: cert.to_path_buf(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.to_path_buf(),
        });
    }
    let key_pem = read(key)?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|source| TlsError::KeyPem {
        path: key.to_path_buf(),
        source,
    })?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, private))
            .map_err(|source| TlsError::Mismatch {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
                source,
            })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// What a file held when last looked at: the SHA-256 of its contents (`None` if it could not
/// be read). The contents, not the modification time and length: a renewed file copied with
/// its times kept, or written twice within the file system's clock tick, is seen too.
type Stamp = Option<[u8; 32]>;

fn stamp(path: &Path) -> Stamp {
    use sha2::{Digest, Sha256};
    std::fs::read(path)
        .ok()
        .map(|bytes| Sha256::digest(zeroize::Zeroizing::new(bytes)).into())
}

/// The TLS configuration in force, and the files it came from.
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    interval: Duration,
    current: ArcSwap<ServerConfig>,
}

/// What one look at the files did.
#[derive(Debug)]
pub enum Reload {
    /// The files are as they were.
    Unchanged,
    /// They changed and the new certificate is in force for new connections.
    Reloaded,
    /// They changed but cannot be used: the configuration in force is kept.
    Failed(TlsError),
}

impl Tls {
    /// Reads the files (see [`load`]); `interval` is how often [`Tls::watch`] looks at them.
    pub fn new(cert: &Path, key: &Path, interval: Duration) -> Result<Self, TlsError> {
        let config = load(cert, key)?;
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            interval,
            current: ArcSwap::from_pointee(config),
        })
    }

    /// An acceptor with the configuration now in force.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.current.load_full())
    }

    fn stamps(&self) -> (Stamp, Stamp) {
        (stamp(&self.cert), stamp(&self.key))
    }

    /// Reads the files again if they changed since `seen` (which is updated): on success the
    /// new configuration is used for new connections; on failure the old one stays.
    pub fn reload_if_changed(&self, seen: &mut (Stamp, Stamp)) -> Reload {
        let now = self.stamps();
        if now == *seen {
            return Reload::Unchanged;
        }
        *seen = now;
        match load(&self.cert, &self.key) {
            Ok(config) => {
                self.current.store(Arc::new(config));
                Reload::Reloaded
            }
            Err(e) => Reload::Failed(e),
        }
    }

    /// Looks at the files every interval and reloads them when they change, logging each
    /// reload and each failure (once per change of the files). Runs until dropped.
    pub async fn watch(self: Arc<Self>) {
        let mut seen = self.stamps();
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            match self.reload_if_changed(&mut seen) {
                Reload::Unchanged => {}
                Reload::Reloaded => tracing::info!(
                    cert = %self.cert.display(),
                    "TLS certificate reloaded; new connections use it"
                ),
                Reload::Failed(e) => tracing::warn!(
                    error = %e,
                    "TLS certificate or key changed but cannot be used; keeping the one in force"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("piaojue-tls-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    // A self-signed P-256 certificate for "localhost" and its key (PKCS#8), and a second key.
    const CERT: &str = include_str!("../tests/fixtures/tls/cert.pem");
    const KEY: &str = include_str!("../tests/fixtures/tls/key.pem");
    const OTHER_KEY: &str = include_str!("../tests/fixtures/tls/other-key.pem");

    fn write(d: &Path, name: &str, text: &str) -> PathBuf {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_matching_pair_loads_with_http1_alpn() {
        let d = dir();
        let config = load(&write(&d, "c", CERT), &write(&d, "k", KEY)).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn loading_errors_name_the_file_at_fault() {
        let d = dir();
        let cert = write(&d, "cert.pem", CERT);
        let key = write(&d, "key.pem", KEY);
        let missing = d.join("missing.pem");
        let e = load(&missing, &key).unwrap_err();
        assert!(
            matches!(e, TlsError::Read { ref path, .. } if *path == missing),
            "{e}"
        );
        assert!(e.to_string().contains("missing.pem"));
        let e = load(&cert, &missing).unwrap_err();
        assert!(
            matches!(e, TlsError::Read { ref path, .. } if *path == missing),
            "{e}"
        );

        // Not PEM at all, and PEM without a certificate (the key file given as certificate).
        let junk = write(&d, "junk.pem", "hello\n");
        let e = load(&junk, &key).unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate { .. }), "{e}");
        let e = load(&key, &key).unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate { .. }), "{e}");
        let broken = write(
            &d,
            "broken.pem",
            "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
        );
        let e = load(&broken, &key).unwrap_err();
        assert!(matches!(e, TlsError::CertificatePem { .. }), "{e}");
        let cut = write(&d, "cut.pem", &CERT[..CERT.len() / 2]);
        let e = load(&cut, &key).unwrap_err();
        assert!(matches!(e, TlsError::CertificatePem { .. }), "{e}");

        // The key file holds no key (the certificate given as key), or a broken one.
        let e = load(&cert, &cert).unwrap_err();
        assert!(
            matches!(e, TlsError::KeyPem { ref path, .. } if *path == cert),
            "{e}"
        );
        let cut_key = write(&d, "cut-key.pem", &KEY[..KEY.len() / 2]);
        let e = load(&cert, &cut_key).unwrap_err();
        assert!(matches!(e, TlsError::KeyPem { .. }), "{e}");

        // A key that is not the certificate's.
        let other = write(&d, "other-key.pem", OTHER_KEY);
        let e = load(&cert, &other).unwrap_err();
        assert!(matches!(e, TlsError::Mismatch { .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("other-key.pem") && text.contains("cert.pem"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_change_is_reloaded_and_a_broken_one_keeps_the_old_configuration() {
        let d = dir();
        let cert = write(&d, "cert.pem", CERT);
        let key = write(&d, "key.pem", KEY);
        let tls = Tls::new(&cert, &key, DEFAULT_RELOAD_INTERVAL).unwrap();
        let mut seen = tls.stamps();
        assert!(matches!(
            tls.reload_if_changed(&mut seen),
            Reload::Unchanged
        ));
        let before = tls.current.load_full();
        // A key that does not match: refused, the old configuration stays, and the same
        // files are not tried (nor warned about) again.
        write(&d, "key.pem", OTHER_KEY);
        assert!(matches!(
            tls.reload_if_changed(&mut seen),
            Reload::Failed(TlsError::Mismatch { .. })
        ));
        assert!(Arc::ptr_eq(&before, &tls.current.load_full()));
        assert!(matches!(
            tls.reload_if_changed(&mut seen),
            Reload::Unchanged
        ));
        // The matching key back.
        write(&d, "key.pem", KEY);
        assert!(matches!(tls.reload_if_changed(&mut seen), Reload::Reloaded));
        assert!(!Arc::ptr_eq(&before, &tls.current.load_full()));
        let _ = std::fs::remove_dir_all(&d);
    }
}
