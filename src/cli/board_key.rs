//! `piaojue board-key export | import`: the board's signing key in escrow (issue 17).
//!
//! The key file (`<data-dir>/board-key`, [`piaojue_server::board::key_file`]) is exported into
//! an age-encrypted file, to a passphrase (scrypt) or to an age recipient (`--recipient
//! age1…`, whose identity the escrow holder keeps), and imported back into a new key file
//! (mode 0600, never replacing one). The key is never printed or logged: only its public key.
//! Inside the age file: `{"format": "piaojue-board-key/1", "seed": hex, "public": base64}`.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, bail};
use piaojue_crypto::board::BoardKey;
use piaojue_server::board::key_file;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::keystore::{self, AGE_MAGIC, write_atomic};
use super::passphrase::PassphraseArgs;

/// The `format` of an escrow file's contents.
pub const FORMAT: &str = "piaojue-board-key/1";

/// The variable that may hold the escrow file's passphrase (else `--passphrase-file`, else a
/// prompt).
pub const PASSPHRASE_VAR: &str = "PIAOJUE_BOARD_KEY_PASSPHRASE";

/// `piaojue board-key`.
#[derive(clap::Args, Debug)]
pub struct BoardKeyArgs {
    #[command(subcommand)]
    command: BoardKeyCommand,
}

#[derive(clap::Subcommand, Debug)]
enum BoardKeyCommand {
    /// 导出 / Writes the board key, age-encrypted, to a new file for escrow.
    Export {
        /// The board key file [default: <data-dir>/board-key].
        #[arg(long, env = "PIAOJUE_BOARD_KEY_FILE")]
        board_key_file: Option<PathBuf>,
        /// The server's data folder.
        #[arg(long, default_value = "piaojue-data")]
        data_dir: PathBuf,
        /// The escrow file to write (never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// Encrypt to this age recipient (age1…) instead of a passphrase. Repeat for several.
        #[arg(long)]
        recipient: Vec<String>,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// 导入 / Writes the key of an escrow file into a new board key file.
    Import {
        /// The escrow file (`board-key export --out`).
        #[arg(long)]
        from: PathBuf,
        /// The board key file to create [default: <data-dir>/board-key].
        #[arg(long, env = "PIAOJUE_BOARD_KEY_FILE")]
        board_key_file: Option<PathBuf>,
        /// The server's data folder.
        #[arg(long, default_value = "piaojue-data")]
        data_dir: PathBuf,
        /// An age identity file (AGE-SECRET-KEY-1…) of a recipient it was exported to; without
        /// it, the passphrase.
        #[arg(long)]
        identity: Option<PathBuf>,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct Escrow {
    format: String,
    seed: String,
    public: String,
}

/// Runs `piaojue board-key`.
pub fn run(args: BoardKeyArgs) -> anyhow::Result<()> {
    match args.command {
        BoardKeyCommand::Export {
            board_key_file,
            data_dir,
            out,
            recipient,
            passphrase,
        } => {
            let path = board_key_file.unwrap_or_else(|| data_dir.join("board-key"));
            let key = key_file::read(&path)?;
            let public = key.public().to_base64();
            let escrow = Escrow {
                format: FORMAT.into(),
                seed: hex::encode(&key.seed()[..]),
                public: public.clone(),
            };
            let plain = Zeroizing::new(serde_json::to_vec(&escrow)?);
            if out.exists() {
                bail!("{} exists already: refusing to overwrite it", out.display());
            }
            if recipient.is_empty() {
                let pass = passphrase.get_from(true, PASSPHRASE_VAR)?;
                keystore::create_new(&out, &plain, &pass, None)?;
            } else {
                let recipients = recipient
                    .iter()
                    .map(|r| {
                        age::x25519::Recipient::from_str(r)
                            .map(|r| Box::new(r) as Box<dyn age::Recipient>)
                            .map_err(|e| anyhow::anyhow!("--recipient {r:?}: {e}"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let encryptor =
                    age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref()))
                        .context("the recipients")?;
                let mut bytes = Vec::new();
                let mut w = encryptor.wrap_output(&mut bytes)?;
                std::io::Write::write_all(&mut w, &plain)?;
                w.finish()?;
                write_atomic(&out, &bytes)?;
            }
            eprintln!(
                "公告板密钥已加密导出 / board key {public} exported, encrypted, to {}",
                out.display()
            );
        }
        BoardKeyCommand::Import {
            from,
            board_key_file,
            data_dir,
            identity,
            passphrase,
        } => {
            let bytes =
                std::fs::read(&from).with_context(|| format!("reading {}", from.display()))?;
            if !bytes.starts_with(AGE_MAGIC) {
                bail!("{} is not an age-encrypted file", from.display());
            }
            let plain = match identity {
                Some(file) => {
                    let ids = age::IdentityFile::from_file(file.to_string_lossy().into_owned())
                        .with_context(|| format!("reading {}", file.display()))?
                        .into_identities()
                        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                    let mut reader = age::Decryptor::new(&bytes[..])
                        .and_then(|d| {
                            d.decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity))
                        })
                        .map_err(|e| anyhow::anyhow!("{}: {e}", from.display()))?;
                    let mut plain = Zeroizing::new(Vec::new());
                    std::io::Read::read_to_end(&mut reader, &mut plain)
                        .with_context(|| format!("decrypting {}", from.display()))?;
                    plain
                }
                None => {
                    keystore::decrypt(&from, &bytes, &passphrase.get_from(false, PASSPHRASE_VAR)?)?
                }
            };
            let escrow: Escrow = serde_json::from_slice(&plain).map_err(|_| {
                anyhow::anyhow!("{} is not a board key escrow file", from.display())
            })?;
            if escrow.format != FORMAT {
                bail!(
                    "{} is not a board key escrow file ({FORMAT})",
                    from.display()
                );
            }
            let key = BoardKey::from_hex(&escrow.seed)
                .map_err(|_| anyhow::anyhow!("{} holds no board key", from.display()))?;
            let public = key.public().to_base64();
            if public != escrow.public {
                bail!("{}: the key is not the public key it names", from.display());
            }
            let path = board_key_file.unwrap_or_else(|| data_dir.join("board-key"));
            key_file::create_new(&path, &key)?;
            eprintln!(
                "公告板密钥已导入 / board key {public} imported into {}",
                path.display()
            );
        }
    }
    Ok(())
}
