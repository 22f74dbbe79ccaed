//! `piaojue witness`: a witness's key file and server (`spec/witness.md`).
//!
//! The key file is encrypted like a teller's (age, scrypt passphrase, written atomically with
//! mode 0600, [`super::keystore`]); inside, the JSON
//! `{"format": "piaojue-witness-key/1", "name": <witness name>, "seed": <64 hex digits>}`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use age::secrecy::SecretString;
use anyhow::Context;
use piaojue_crypto::board::{WitnessKey, is_valid_key_name};
use piaojue_witness::{Policy, Witness};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::keystore::{self, StoreError};
use super::passphrase::PassphraseArgs;

/// The `format` field of a witness key file's contents.
pub const FORMAT: &str = "piaojue-witness-key/1";

/// The variable that may hold a witness key file's passphrase (for scripts).
pub const PASSPHRASE_VAR: &str = "PIAOJUE_WITNESS_PASSPHRASE";

/// `piaojue witness …`
#[derive(clap::Args, Debug)]
pub struct WitnessArgs {
    #[command(subcommand)]
    pub action: WitnessAction,
}

/// Witness actions.
#[derive(clap::Subcommand, Debug)]
pub enum WitnessAction {
    /// Makes a witness key in a new passphrase-encrypted key file and prints its vkey (type
    /// 0x04), the line boards and verifiers configure.
    Keygen {
        /// The witness's name, a schema-less URL such as witness.example.org/county-notary.
        #[arg(long)]
        name: String,
        /// The key file to create (never overwritten).
        #[arg(long)]
        key_file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
        /// scrypt work factor log2(N) of the file (tests); default: about one second.
        #[arg(long, hide = true)]
        work_factor: Option<u8>,
    },
    /// Prints the witness's vkey again.
    Vkey {
        /// The witness's key file.
        #[arg(long)]
        key_file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// Runs the witness: POST /add-checkpoint, GET /<origin hash>/checkpoint, GET /healthz.
    Serve {
        /// The witness's key file.
        #[arg(long)]
        key_file: PathBuf,
        /// The state file (SQLite), created if missing. Keep it: it is what makes the witness
        /// refuse forks across restarts.
        #[arg(long)]
        state: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// A board whose election logs to witness: NAME=KEY, KEY the board's public key
        /// (43 base64url characters, GET /api/board-key). Accepts the origins NAME/<election id>.
        #[arg(long, value_name = "NAME=KEY")]
        board: Vec<String>,
        /// One log to witness, by its vkey (name = the log's origin, type 0x01).
        #[arg(long, value_name = "VKEY")]
        log: Vec<String>,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
}

/// The JSON inside the key file.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct Contents {
    format: String,
    name: String,
    seed: String,
}

/// A witness's name and key, as its key file holds them.
pub struct WitnessKeyFile {
    /// The witness's name.
    pub name: String,
    /// Its key.
    pub key: WitnessKey,
}

impl WitnessKeyFile {
    /// Reads and decrypts a witness key file.
    pub fn load(path: &Path, passphrase: &SecretString) -> Result<Self, StoreError> {
        let bytes = std::fs::read(path).map_err(|e| StoreError::Io(path.into(), e))?;
        let plain = keystore::decrypt(path, &bytes, passphrase)?;
        let bad = |why: String| StoreError::NotAKeyFile(path.into(), why);
        let c: Contents =
            piaojue_crypto::json::from_slice(&plain).map_err(|e| bad(e.to_string()))?;
        if c.format != FORMAT {
            return Err(bad(format!("unknown format {:?}", c.format)));
        }
        if !is_valid_key_name(&c.name) {
            return Err(bad(format!("invalid witness name {:?}", c.name)));
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(&c.seed, seed.as_mut()).map_err(|e| bad(format!("seed: {e}")))?;
        Ok(WitnessKeyFile {
            name: c.name.clone(),
            key: WitnessKey::from_seed(&seed),
        })
    }

    /// Encrypts and writes a new key file (never replacing one).
    pub fn create(
        &self,
        path: &Path,
        passphrase: &SecretString,
        log_n: Option<u8>,
    ) -> Result<(), StoreError> {
        let c = Contents {
            format: FORMAT.into(),
            name: self.name.clone(),
            seed: hex::encode(*self.key.seed()),
        };
        let plain = Zeroizing::new(serde_json::to_vec_pretty(&c).expect("serializes"));
        keystore::create_new(path, &plain, passphrase, log_n)
    }

    /// The witness's vkey.
    pub fn vkey(&self) -> String {
        self.key
            .verifier_key(&self.name)
            .expect("the name was checked")
            .encode()
    }
}

/// Runs a witness action.
pub fn run(args: WitnessArgs) -> anyhow::Result<()> {
    match args.action {
        WitnessAction::Keygen {
            name,
            key_file,
            passphrase,
            work_factor,
        } => {
            anyhow::ensure!(
                is_valid_key_name(&name),
                "invalid witness name {name:?}: non-empty, without spaces or '+'"
            );
            if key_file.exists() {
                return Err(StoreError::Exists(key_file).into());
            }
            let pass = passphrase.get_from(true, PASSPHRASE_VAR)?;
            let file = WitnessKeyFile {
                name,
                key: WitnessKey::generate(&mut rand::rng()),
            };
            file.create(&key_file, &pass, work_factor)?;
            println!("{}", file.vkey());
        }
        WitnessAction::Vkey {
            key_file,
            passphrase,
        } => {
            let pass = passphrase.get_from(false, PASSPHRASE_VAR)?;
            println!("{}", WitnessKeyFile::load(&key_file, &pass)?.vkey());
        }
        WitnessAction::Serve {
            key_file,
            state,
            listen,
            board,
            log,
            passphrase,
        } => {
            let mut policy = Policy::new();
            for b in &board {
                policy.add_board_arg(b)?;
            }
            for l in &log {
                policy.add_log(l)?;
            }
            let pass = passphrase.get_from(false, PASSPHRASE_VAR)?;
            let file = WitnessKeyFile::load(&key_file, &pass)?;
            serve(file, policy, &state, listen)?;
        }
    }
    Ok(())
}

fn serve(
    file: WitnessKeyFile,
    policy: Policy,
    state: &Path,
    listen: SocketAddr,
) -> anyhow::Result<()> {
    super::serve::init_logging();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let vkey = file.vkey();
        let witness = Witness::open(&file.name, file.key, policy, state)
            .await
            .with_context(|| format!("opening the witness state {}", state.display()))?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        // One line on stdout, for scripts and tests: the address actually bound.
        println!("witness listening on http://{addr}");
        eprintln!("witness vkey: {vkey}");
        piaojue_witness::http::serve(listener, Arc::new(witness), super::serve::shutdown_signal())
            .await?;
        anyhow::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn key_files_round_trip_and_refuse_tampering() {
        let dir = std::env::temp_dir().join(format!("piaojue-wkey-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("w.key");
        let file = WitnessKeyFile {
            name: "witness.example/w1".into(),
            key: WitnessKey::from_seed(&[5; 32]),
        };
        file.create(&path, &pass("correct horse"), Some(10))
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let back = WitnessKeyFile::load(&path, &pass("correct horse")).unwrap();
        assert_eq!(back.name, file.name);
        assert_eq!(back.vkey(), file.vkey());
        assert!(back.vkey().starts_with("witness.example/w1+"));
        assert!(matches!(
            file.create(&path, &pass("x"), Some(10)),
            Err(StoreError::Exists(_))
        ));
        assert!(matches!(
            WitnessKeyFile::load(&path, &pass("wrong")),
            Err(StoreError::WrongPassphrase(_))
        ));
        let mut bytes = std::fs::read(&path).unwrap();
        let n = bytes.len();
        bytes[n - 5] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            WitnessKeyFile::load(&path, &pass("correct horse")),
            Err(StoreError::Damaged(..))
        ));
        // A teller's key file is not a witness's.
        let teller = dir.join("t.key");
        keystore::TellerStore::generate("e")
            .create(&teller, &pass("p"), Some(10))
            .unwrap();
        assert!(matches!(
            WitnessKeyFile::load(&teller, &pass("p")),
            Err(StoreError::NotAKeyFile(..))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
