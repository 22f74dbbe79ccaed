//! Where a key file's passphrase comes from: `--passphrase-file`, the variable
//! `PIAOJUE_TELLER_PASSPHRASE` (`PIAOJUE_WITNESS_PASSPHRASE` for a witness's), or a prompt on the terminal (no echo; asked twice for a new
//! file).
//!
//! A file (mode 0600, on an encrypted disk or a removable one) is safer than the variable: the
//! environment of a process can be read by the same user and may end up in logs or crash
//! reports. The variable is meant for automation and tests.

use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use anyhow::{Context, bail};
use zeroize::Zeroizing;

/// The variable that may hold the passphrase.
pub const PASSPHRASE_VAR: &str = "PIAOJUE_TELLER_PASSPHRASE";

/// Options that say where the passphrase comes from.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PassphraseArgs {
    /// 口令文件 / File holding the key file's passphrase (its first line). Without it: the
    /// variable PIAOJUE_TELLER_PASSPHRASE (less safe: for automation), else a prompt.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// Reads the passphrase from the first line of `path`.
pub fn from_file(path: &Path) -> anyhow::Result<SecretString> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        bail!("{} holds no passphrase", path.display());
    }
    Ok(SecretString::from(line.to_string()))
}

impl PassphraseArgs {
    /// The passphrase; `confirm` asks twice at a prompt (for a new key file).
    pub fn get(&self, confirm: bool) -> anyhow::Result<SecretString> {
        self.get_from(confirm, PASSPHRASE_VAR)
    }

    /// The passphrase, with `var` as the environment variable that may hold it (the witness
    /// has its own, `PIAOJUE_WITNESS_PASSPHRASE`).
    pub fn get_from(&self, confirm: bool, var: &str) -> anyhow::Result<SecretString> {
        if let Some(path) = &self.passphrase_file {
            return from_file(path);
        }
        if let Ok(v) = std::env::var(var) {
            let v = Zeroizing::new(v);
            if !v.is_empty() {
                return Ok(SecretString::from(v.to_string()));
            }
        }
        let first = Zeroizing::new(
            rpassword::prompt_password("密钥文件口令 / key file passphrase: ")
                .context("reading the passphrase (no terminal? use --passphrase-file)")?,
        );
        if first.is_empty() {
            bail!("empty passphrase");
        }
        if confirm {
            if first.chars().count() < 8 {
                bail!("口令太短 / passphrase too short: at least 8 characters");
            }
            let again = Zeroizing::new(rpassword::prompt_password(
                "再输入一次 / the same passphrase again: ",
            )?);
            if *again != *first {
                bail!("两次输入的口令不一致 / the two passphrases differ");
            }
        }
        Ok(SecretString::from(first.to_string()))
    }
}
