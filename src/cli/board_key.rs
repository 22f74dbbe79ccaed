//! `piaojue board-key export | import | rotate`: the board's signing key in escrow, and a new
//! one for new elections (issue 17).
//!
//! The key file (`<data-dir>/board-key`, [`piaojue_server::board::key_file`]) is exported into
//! an age-encrypted file, to a passphrase (scrypt) or to an age recipient (`--recipient
//! age1…`, whose identity the escrow holder keeps), and imported back into a new key file
//! (mode 0600, never replacing one). A retired key (`retired-board-keys/<public key>` beside
//! the key file, after `rotate`) is exported with `--key <public key>` and imported back with
//! `--retired`. `rotate` (servers stopped) makes a new key for the elections made from then on
//! and keeps the old one as a retired key for the elections made before. A key is never printed
//! or logged: only its public key. Inside the age file: `{"format": "piaojue-board-key/1",
//! "seed": hex, "public": base64}`.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, bail};
use piaojue_crypto::board::BoardKey;
use piaojue_crypto::credential::CredentialKey;
use piaojue_server::board::key_file;
use piaojue_server::db::Db;
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
        /// Export this retired key (its public key, `retired-board-keys/<KEY>` beside the key
        /// file) instead of the key file's. Base64url: it may begin with `-`.
        #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
        key: Option<String>,
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
        /// Write it as a retired key (`retired-board-keys/<public key>` beside the key file)
        /// instead of into the key file.
        #[arg(long)]
        retired: bool,
        /// An age identity file (AGE-SECRET-KEY-1…) of a recipient it was exported to; without
        /// it, the passphrase.
        #[arg(long)]
        identity: Option<PathBuf>,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// 轮换 / Makes a new board key for the elections made from now on; the old one is kept as
    /// a retired key (`retired-board-keys/<public key>` beside the key file) for the elections
    /// made before. Stop every server on the database first; they sign with the new key when
    /// started again.
    Rotate {
        /// The board key file [default: <data-dir>/board-key].
        #[arg(long, env = "PIAOJUE_BOARD_KEY_FILE")]
        board_key_file: Option<PathBuf>,
        /// The server's data folder.
        #[arg(long, default_value = "piaojue-data")]
        data_dir: PathBuf,
        /// The server's database: `sqlite:FILE` or `postgres://…`.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
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
            key,
            recipient,
            passphrase,
        } => {
            let mut path = board_key_file.unwrap_or_else(|| data_dir.join("board-key"));
            if let Some(public) = &key {
                let public = CredentialKey::from_base64(public)
                    .map_err(|_| anyhow::anyhow!("--key {public:?} is not a board public key"))?;
                if key_file::read(&path).map(|k| k.public()).ok() != Some(public) {
                    path = key_file::retired_path(&path, &public);
                }
            }
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
            retired,
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
            let mut path = board_key_file.unwrap_or_else(|| data_dir.join("board-key"));
            if retired {
                path = key_file::retired_path(&path, &key.public());
            }
            key_file::create_new(&path, &key)?;
            eprintln!(
                "公告板密钥已导入 / board key {public} imported into {}",
                path.display()
            );
        }
        BoardKeyCommand::Rotate {
            board_key_file,
            data_dir,
            database_url,
        } => {
            let path = board_key_file.unwrap_or_else(|| data_dir.join("board-key"));
            let rotation = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(async {
                    let db = Db::connect(&database_url)
                        .await
                        .with_context(|| format!("opening the database {database_url}"))?;
                    let rotation = key_file::rotate(&db, &path).await;
                    db.pool.close().await;
                    anyhow::Ok(rotation?)
                })?;
            let current = rotation.current.to_base64();
            match rotation.retired {
                Some(old) => eprintln!(
                    "公告板密钥已轮换：此后新建的选举由新密钥 {current} 签名；旧密钥 {old} 保存在 {} \
                     中，继续为此前的选举签名。请导出两把密钥以备托管，并公布新公钥。\n\
                     board key rotated: elections made from now on are signed by {current}; the \
                     old key {old} is kept in {} and goes on signing the elections made before. \
                     Export both for escrow and publish the new public key.",
                    key_file::retired_path(&path, &old).display(),
                    key_file::retired_path(&path, &old).display(),
                    old = old.to_base64(),
                ),
                None => eprintln!(
                    "已完成一次中断的轮换：新建的选举由 {current} 签名 / an interrupted rotation \
                     was finished: new elections are signed by {current}"
                ),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A retired key whose base64url begins with `-` (one in 64) is a value, not an option.
    #[test]
    fn a_key_may_begin_with_a_hyphen() {
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            args: BoardKeyArgs,
        }
        let key = "-mUewOjiJkveYJFaeIGtC2IZ0KsA38Ufb-nu6p0ku_E";
        let t =
            <T as clap::Parser>::try_parse_from(["t", "export", "--out", "e.age", "--key", key])
                .unwrap();
        let BoardKeyCommand::Export { key: Some(got), .. } = t.args.command else {
            panic!("{:?}", t.args.command)
        };
        assert_eq!(got, key);
    }
}
