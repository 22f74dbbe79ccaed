//! A teller's key file: one file per teller per election, encrypted with a passphrase in the
//! `age` format (scrypt recipient, `spec/protocol.md` §9.9).
//!
//! Inside, a JSON object ([`TellerStore`]) with the election id, the ed25519 signing key seed,
//! the teller index once known, the seed of the ceremony's random generator while the ceremony
//! runs (so that an interrupted teller replays its own messages exactly and goes on), and after
//! the ceremony the secret share `xⱼ` with the verification key and the joint key, and once it
//! has decrypted, what it decrypted ([`Decrypted`]: the fingerprint, the tally's hash and the
//! board head it verified), so that it never decrypts another tally of the election. Files are
//! written atomically (a temporary file in the same folder, then a rename) with mode 0600.
//! Every secret is held in zeroizing memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The `format` field of a key file's contents.
pub const FORMAT: &str = "piaojue-teller-key/1";

/// The first bytes of every age file.
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// Why a key file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The passphrase does not open the file.
    #[error("错误的口令 / wrong passphrase for {0}")]
    WrongPassphrase(PathBuf),
    /// The file is not an age file, or it was changed or cut.
    #[error("{0} is damaged or was altered / 密钥文件已损坏或被篡改: {1}")]
    Damaged(PathBuf, String),
    /// The decrypted contents are not a key file of the expected kind and format.
    #[error("{0} is not a piaojue key file of this kind: {1}")]
    NotAKeyFile(PathBuf, String),
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Encryption failed.
    #[error("encrypting {0}: {1}")]
    Encrypt(PathBuf, String),
    /// The file exists already (keygen never overwrites a key).
    #[error("{0} exists already: refusing to overwrite a key file")]
    Exists(PathBuf),
}

/// What a teller keeps after the ceremony: `xⱼ` and the public keys it belongs to.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ShareRecord {
    /// The secret share `xⱼ` (canonical scalar bytes).
    pub share: [u8; 32],
    /// The teller's verification key `Xⱼ = xⱼ·G`.
    pub verification_key: [u8; 32],
    /// The joint election key `K`.
    pub joint_key: [u8; 32],
}

/// What a teller decrypted, kept so that it never decrypts another tally of the same election
/// (an operator who could make a teller decrypt two tallies would learn their difference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decrypted {
    /// The election fingerprint of the record it verified.
    pub fingerprint: [u8; 32],
    /// The hash of the encrypted tally it decrypted (`teller::tally_hash`).
    pub tally: [u8; 32],
    /// The board head it verified and named in its share: size …
    pub head_size: u64,
    /// … and Merkle root.
    pub head_root: [u8; 32],
}

/// A teller's secrets for one election.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct TellerStore {
    /// The election.
    pub election_id: String,
    /// The teller's index `1 … n`, once the ceremony found it.
    pub index: Option<u32>,
    /// The ed25519 signing key seed.
    pub signing_seed: [u8; 32],
    /// The seed of the ceremony's random generator while the ceremony is under way.
    pub ceremony_seed: Option<[u8; 32]>,
    /// The result of the ceremony.
    pub share: Option<ShareRecord>,
    /// What it decrypted, once it has (public values: not zeroized).
    #[zeroize(skip)]
    pub decrypted: Option<Decrypted>,
}

/// The JSON inside the encrypted file: hex strings, zeroized on drop.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct Contents {
    format: String,
    election_id: String,
    index: Option<u32>,
    signing_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ceremony_seed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    share: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verification_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    joint_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decrypted: Option<DecryptedContents>,
}

/// [`Decrypted`] in the file: hex strings.
#[derive(Serialize, Deserialize, Zeroize)]
#[serde(deny_unknown_fields)]
struct DecryptedContents {
    fingerprint: String,
    tally: String,
    head_size: u64,
    head_root: String,
}

fn hex32(path: &Path, what: &str, s: &str) -> Result<[u8; 32], StoreError> {
    let mut v = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(s, v.as_mut())
        .map_err(|e| StoreError::NotAKeyFile(path.into(), format!("{what}: {e}")))?;
    Ok(*v)
}

impl TellerStore {
    /// A new store for `election_id` with a fresh signing key seed.
    pub fn generate(election_id: &str) -> Self {
        TellerStore {
            election_id: election_id.to_string(),
            index: None,
            signing_seed: rand::random(),
            ceremony_seed: None,
            share: None,
            decrypted: None,
        }
    }

    /// The ed25519 signing key.
    pub fn signing_key(&self) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&self.signing_seed)
    }

    /// The public signing key, as staff register it.
    pub fn public_key(&self) -> [u8; 32] {
        self.signing_key().verifying_key().to_bytes()
    }

    fn to_json(&self) -> Zeroizing<Vec<u8>> {
        let c = Contents {
            format: FORMAT.into(),
            election_id: self.election_id.clone(),
            index: self.index,
            signing_key: hex::encode(self.signing_seed),
            ceremony_seed: self.ceremony_seed.map(hex::encode),
            share: self.share.as_ref().map(|s| hex::encode(s.share)),
            verification_key: self.share.as_ref().map(|s| hex::encode(s.verification_key)),
            joint_key: self.share.as_ref().map(|s| hex::encode(s.joint_key)),
            decrypted: self.decrypted.map(|d| DecryptedContents {
                fingerprint: hex::encode(d.fingerprint),
                tally: hex::encode(d.tally),
                head_size: d.head_size,
                head_root: hex::encode(d.head_root),
            }),
        };
        Zeroizing::new(serde_json::to_vec_pretty(&c).expect("serializes"))
    }

    fn from_json(path: &Path, bytes: &[u8]) -> Result<Self, StoreError> {
        let c: Contents = piaojue_crypto::json::from_slice(bytes)
            .map_err(|e| StoreError::NotAKeyFile(path.into(), e.to_string()))?;
        if c.format != FORMAT {
            return Err(StoreError::NotAKeyFile(
                path.into(),
                format!("unknown format {:?}", c.format),
            ));
        }
        let share = match (&c.share, &c.verification_key, &c.joint_key) {
            (Some(s), Some(v), Some(k)) => Some(ShareRecord {
                share: hex32(path, "share", s)?,
                verification_key: hex32(path, "verification_key", v)?,
                joint_key: hex32(path, "joint_key", k)?,
            }),
            (None, None, None) => None,
            _ => {
                return Err(StoreError::NotAKeyFile(
                    path.into(),
                    "share, verification_key and joint_key go together".into(),
                ));
            }
        };
        let decrypted = match &c.decrypted {
            Some(d) => Some(Decrypted {
                fingerprint: hex32(path, "decrypted.fingerprint", &d.fingerprint)?,
                tally: hex32(path, "decrypted.tally", &d.tally)?,
                head_size: d.head_size,
                head_root: hex32(path, "decrypted.head_root", &d.head_root)?,
            }),
            None => None,
        };
        Ok(TellerStore {
            election_id: c.election_id.clone(),
            index: c.index,
            signing_seed: hex32(path, "signing_key", &c.signing_key)?,
            ceremony_seed: c
                .ceremony_seed
                .as_deref()
                .map(|s| hex32(path, "ceremony_seed", s))
                .transpose()?,
            share,
            decrypted,
        })
    }

    /// Encrypts the store under `passphrase` (scrypt work factor `2^log_n`, or age's choice of
    /// about one second on this machine when `None`).
    pub fn encrypt(
        &self,
        path: &Path,
        passphrase: &SecretString,
        log_n: Option<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        encrypt(path, &self.to_json(), passphrase, log_n)
    }

    /// Decrypts a key file's bytes.
    pub fn decrypt(
        path: &Path,
        bytes: &[u8],
        passphrase: &SecretString,
    ) -> Result<Self, StoreError> {
        Self::from_json(path, &decrypt(path, bytes, passphrase)?)
    }

    /// Reads and decrypts a key file.
    pub fn load(path: &Path, passphrase: &SecretString) -> Result<Self, StoreError> {
        let bytes = std::fs::read(path).map_err(|e| StoreError::Io(path.into(), e))?;
        Self::decrypt(path, &bytes, passphrase)
    }

    /// Encrypts and writes the store atomically (mode 0600), replacing the file.
    pub fn save(
        &self,
        path: &Path,
        passphrase: &SecretString,
        log_n: Option<u8>,
    ) -> Result<(), StoreError> {
        let bytes = self.encrypt(path, passphrase, log_n)?;
        write_atomic(path, &bytes)
    }

    /// Like [`TellerStore::save`], but refuses to replace an existing file.
    pub fn create(
        &self,
        path: &Path,
        passphrase: &SecretString,
        log_n: Option<u8>,
    ) -> Result<(), StoreError> {
        create_new(path, &self.to_json(), passphrase, log_n)
    }
}

/// Encrypts `plain` (the contents of the key file at `path`, named in errors) under
/// `passphrase` with age's scrypt recipient, work factor `2^log_n` or age's choice of about one
/// second on this machine when `None`.
pub fn encrypt(
    path: &Path,
    plain: &[u8],
    passphrase: &SecretString,
    log_n: Option<u8>,
) -> Result<Vec<u8>, StoreError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    if let Some(n) = log_n {
        recipient.set_work_factor(n);
    }
    age::encrypt(&recipient, plain).map_err(|e| StoreError::Encrypt(path.into(), e.to_string()))
}

/// Decrypts the bytes of an age key file (read from `path`, named in errors) with `passphrase`:
/// a wrong passphrase and a damaged or altered file are told apart.
pub fn decrypt(
    path: &Path,
    bytes: &[u8],
    passphrase: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    if !bytes.starts_with(AGE_MAGIC) {
        return Err(StoreError::Damaged(
            path.into(),
            "not an age-encrypted file".into(),
        ));
    }
    let identity = age::scrypt::Identity::new(passphrase.clone());
    Ok(Zeroizing::new(age::decrypt(&identity, bytes).map_err(
        |e| match e {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::KeyDecryptionFailed
            | age::DecryptError::NoMatchingKeys => StoreError::WrongPassphrase(path.into()),
            other => StoreError::Damaged(path.into(), other.to_string()),
        },
    )?))
}

/// Encrypts `plain` and writes it to `path` as a new key file (mode 0600), refusing to replace
/// an existing file.
pub fn create_new(
    path: &Path,
    plain: &[u8],
    passphrase: &SecretString,
    log_n: Option<u8>,
) -> Result<(), StoreError> {
    if path.exists() {
        return Err(StoreError::Exists(path.into()));
    }
    write_atomic(path, &encrypt(path, plain, passphrase, log_n)?)
}

/// Writes `bytes` to a temporary file beside `path` (mode 0600), syncs it and renames it over
/// `path`, so that a reader sees the old file or the new one, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |e| StoreError::Io(path.into(), e);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix: u64 = rand::random();
    let tmp = dir.join(format!(".{name}.{suffix:016x}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A low work factor keeps the tests fast; the format is the same.
    const FAST: Option<u8> = Some(10);

    fn dir() -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("piaojue-keystore-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    fn sample() -> TellerStore {
        let mut s = TellerStore::generate("e-1");
        s.index = Some(2);
        s.share = Some(ShareRecord {
            share: [7; 32],
            verification_key: [8; 32],
            joint_key: [9; 32],
        });
        s
    }

    #[test]
    fn round_trip() {
        let d = dir();
        let path = d.join("t.age");
        let s = sample();
        s.create(&path, &pass("correct horse"), FAST).unwrap();
        let back = TellerStore::load(&path, &pass("correct horse")).unwrap();
        assert_eq!(back.election_id, "e-1");
        assert_eq!(back.index, Some(2));
        assert_eq!(back.signing_seed, s.signing_seed);
        assert_eq!(back.share.as_ref().unwrap().share, [7; 32]);
        assert!(back.ceremony_seed.is_none());
        assert!(back.decrypted.is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No plaintext secret on disk.
        let raw = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains(&hex::encode(s.signing_seed)));
        assert!(!text.contains("e-1"));
        // keygen never overwrites.
        assert!(matches!(
            s.create(&path, &pass("x"), FAST),
            Err(StoreError::Exists(_))
        ));
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn wrong_passphrase() {
        let d = dir();
        let path = d.join("t.age");
        sample().save(&path, &pass("right"), FAST).unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = TellerStore::load(&path, &pass("wrong")).err().unwrap();
        assert!(matches!(err, StoreError::WrongPassphrase(_)), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing changes");
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn tampered_file() {
        let d = dir();
        let path = d.join("t.age");
        sample().save(&path, &pass("right"), FAST).unwrap();
        let good = std::fs::read(&path).unwrap();
        // A flipped bit in the payload, in the header's MAC, and a cut file.
        let mut payload = good.clone();
        let last = payload.len() - 5;
        payload[last] ^= 1;
        let mut header = good.clone();
        let mac = good.windows(4).position(|w| w == b"\n---").unwrap() + 6;
        header[mac] ^= 1;
        let cut = good[..good.len() - 20].to_vec();
        for bad in [payload, header, cut] {
            let err = TellerStore::decrypt(&path, &bad, &pass("right"))
                .err()
                .unwrap();
            assert!(matches!(err, StoreError::Damaged(..)), "{err}");
        }
        let err = TellerStore::decrypt(&path, b"{\"index\":1}", &pass("right"))
            .err()
            .unwrap();
        assert!(matches!(err, StoreError::Damaged(..)), "{err}");
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn ceremony_seed_round_trip() {
        let d = dir();
        let path = d.join("t.age");
        let mut s = TellerStore::generate("e-2");
        s.ceremony_seed = Some([3; 32]);
        s.save(&path, &pass("p"), FAST).unwrap();
        let back = TellerStore::load(&path, &pass("p")).unwrap();
        assert_eq!(back.ceremony_seed, Some([3; 32]));
        assert!(back.share.is_none());
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn what_was_decrypted_round_trip() {
        let d = dir();
        let path = d.join("t.age");
        let mut s = sample();
        let decrypted = Decrypted {
            fingerprint: [1; 32],
            tally: [2; 32],
            head_size: 77,
            head_root: [3; 32],
        };
        s.decrypted = Some(decrypted);
        s.save(&path, &pass("p"), FAST).unwrap();
        let back = TellerStore::load(&path, &pass("p")).unwrap();
        assert_eq!(back.decrypted, Some(decrypted));
        assert_eq!(back.share.as_ref().unwrap().joint_key, [9; 32]);
        std::fs::remove_dir_all(d).unwrap();
    }
}
