//! `piaojue teller`: a teller's steps against the server, each teller on its own machine with
//! its own encrypted key file ([`super::keystore`]):
//!
//! ```text
//! piaojue teller keygen <election> --out teller.age          # signing key → give it (base64url) to staff
//! piaojue teller ceremony <election> --key-file teller.age   # the key ceremony, every round
//! piaojue teller decrypt <election> --key-file teller.age    # the decryption share of the tally
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use piaojue_crypto::ballot::Ballot;
use piaojue_crypto::decryption::DecryptionShare;
use piaojue_crypto::dkg::{CeremonyOutput, SecretShare};
use piaojue_crypto::encoding::{Bytes, Digest32, decode_hex_array};
use piaojue_crypto::manifest::{Manifest, Revote};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::tally::EncryptedTally;
use serde_json::Value;
use zeroize::Zeroizing;

use super::ceremony::CeremonyRun;
use super::client::Client;
use super::keystore::{AGE_MAGIC, TellerStore};
use super::passphrase::PassphraseArgs;

/// Options of `piaojue teller`.
#[derive(clap::Args, Debug)]
pub struct TellerArgs {
    /// 服务器 / The server.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// What to do.
    #[command(subcommand)]
    pub action: TellerAction,
}

/// Teller actions.
#[derive(clap::Subcommand, Debug)]
pub enum TellerAction {
    /// 生成签名密钥 / Makes this teller's signing key, stores it in a new passphrase-encrypted
    /// key file and prints the public key (base64url) for the staff to register.
    Keygen {
        /// 选举编号 / Election id.
        #[arg(long)]
        election: String,
        /// 新的密钥文件 / The key file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// 密钥仪式 / Runs this teller's side of the key ceremony, checking every other teller's
    /// messages, and saves the secret share in the key file.
    Ceremony {
        /// 选举编号 / Election id.
        election: String,
        /// 密钥文件 / The key file made by `teller keygen`.
        #[arg(long)]
        key_file: PathBuf,
        /// 最长等待秒数 / Seconds to wait for the other tellers, in all.
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// 解密份额 / Computes this teller's decryption share of the tally (with proofs), after
    /// recomputing the tally from the board's ballots, and posts it.
    Decrypt {
        /// 选举编号 / Election id.
        election: String,
        /// 密钥文件 / The key file (encrypted; the demo's old plain `teller-N.json` works too).
        #[arg(long)]
        key_file: PathBuf,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
}

/// Runs a teller action.
pub fn run(args: TellerArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.url, None);
    match args.action {
        TellerAction::Keygen {
            election,
            out,
            passphrase,
        } => {
            let pass = passphrase.get(true)?;
            let store = TellerStore::generate(&election);
            let started = Instant::now();
            store.create(&out, &pass, None)?;
            eprintln!(
                "密钥文件已加密保存 / key file written, encrypted: {} ({:.1?})",
                out.display(),
                started.elapsed()
            );
            eprintln!("签名公钥（交给工作人员登记）/ public signing key (give it to the staff):");
            println!("{}", Bytes(store.public_key()).to_base64());
        }
        TellerAction::Ceremony {
            election,
            key_file,
            timeout,
            passphrase,
        } => {
            let pass = passphrase.get(false)?;
            CeremonyRun {
                client: &client,
                election: &election,
                key_file: &key_file,
                passphrase: &pass,
                timeout: Duration::from_secs(timeout),
            }
            .run()?;
        }
        TellerAction::Decrypt {
            election,
            key_file,
            passphrase,
        } => decrypt(&client, &election, &key_file, &passphrase)?,
    }
    Ok(())
}

/// What decryption needs from a key file.
struct DecryptionKey {
    index: u32,
    signing_seed: Zeroizing<[u8; 32]>,
    share: SecretShare,
    joint_key: Option<[u8; 32]>,
}

/// Reads an encrypted key file, or the demo's old plain JSON.
fn read_key(
    path: &Path,
    election: &str,
    passphrase: &PassphraseArgs,
) -> anyhow::Result<DecryptionKey> {
    let bytes =
        Zeroizing::new(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?);
    if bytes.starts_with(AGE_MAGIC) {
        let store = TellerStore::load(path, &passphrase.get(false)?)?;
        ensure!(
            store.election_id == election,
            "this key file is for election {:?}, not {election:?}",
            store.election_id
        );
        let (Some(index), Some(s)) = (store.index, &store.share) else {
            anyhow::bail!(
                "此密钥文件尚无秘密分享 / this key file holds no share yet: run `piaojue teller ceremony` first"
            );
        };
        return Ok(DecryptionKey {
            index,
            signing_seed: Zeroizing::new(store.signing_seed),
            share: SecretShare::from_bytes(&s.share)?,
            joint_key: Some(s.joint_key),
        });
    }
    let file: piaojue_server::demo::DemoTeller =
        serde_json::from_slice(&bytes).context("the key file (neither age-encrypted nor JSON)")?;
    let share = Zeroizing::new(decode_hex_array::<32>(&file.share)?);
    Ok(DecryptionKey {
        index: file.index,
        signing_seed: Zeroizing::new(decode_hex_array::<32>(&file.signing_key)?),
        share: SecretShare::from_bytes(&share)?,
        joint_key: None,
    })
}

/// The ballots that count, in board order: every cast ballot under `first_final` (the server
/// refuses a second), the last of each credential under `last_counts`.
fn counted(manifest: &Manifest, ballots: &[Ballot]) -> Vec<Ballot> {
    match manifest.revote {
        Revote::FirstFinal => ballots.to_vec(),
        Revote::LastCounts => {
            let last: HashMap<[u8; 32], usize> = ballots
                .iter()
                .enumerate()
                .map(|(i, b)| (*b.credential.as_bytes(), i))
                .collect();
            ballots
                .iter()
                .enumerate()
                .filter(|(i, b)| last[b.credential.as_bytes()] == *i)
                .map(|(_, b)| b.clone())
                .collect()
        }
    }
}

/// `teller decrypt`: checks, computes, self-verifies and posts the decryption share.
fn decrypt(
    client: &Client,
    election: &str,
    key_file: &Path,
    passphrase: &PassphraseArgs,
) -> anyhow::Result<()> {
    let key = read_key(key_file, election, passphrase)?;
    let party = ed25519_dalek::SigningKey::from_bytes(&key.signing_seed)
        .verifying_key()
        .to_bytes();
    let j = key.index;

    let status: Value = client.get(&format!("/api/elections/{election}"))?;
    let fingerprint: Digest32 = serde_json::from_value(status["fingerprint"].clone())
        .context("the election's fingerprint")?;
    let ceremony: Value = client.get(&format!("/api/elections/{election}/ceremony"))?;
    let output: CeremonyOutput =
        serde_json::from_value(ceremony["output"].clone()).context("the ceremony's output")?;
    let vk = output
        .verification_key(j)
        .with_context(|| format!("no teller {j} in this election"))?;
    ensure!(
        share_matches(&key.share, vk),
        "this key file's share does not match teller {j}'s verification key"
    );
    if let Some(k) = key.joint_key {
        ensure!(
            k == *output.joint_key.as_bytes(),
            "the server's joint key is not the one this teller's ceremony produced"
        );
    }
    println!(
        "已核对：秘密分享与监票人 {j} 的验证公钥一致 / checked: the share matches teller {j}'s verification key"
    );

    let tally: EncryptedTally = client.get(&format!("/api/elections/{election}/tally"))?;
    let record: ElectionRecord = client
        .get(&format!("/api/elections/{election}/record"))
        .context("the election record (to recompute the tally)")?;
    ensure!(
        record.election.fingerprint == fingerprint,
        "the record's fingerprint is not the election's"
    );
    let manifest = &record.election.manifest;
    let ballots = counted(manifest, &record.ballots);
    let recomputed = EncryptedTally::aggregate_stored(manifest, &ballots)
        .context("the board's ballots do not fit the manifest")?;
    ensure!(
        recomputed == tally,
        "服务器的加密计票与公告板上的选票不符 / the server's encrypted tally is not the sum of the board's {} counted ballots: refusing to decrypt",
        ballots.len()
    );
    let flat = tally.flatten();
    println!(
        "已由公告板上的 {} 张计入选票重新计算加密计票，与服务器的一致（{} 个密文）/ tally recomputed from the board's {} counted ballots: equal to the server's ({} ciphertexts)",
        ballots.len(),
        flat.len(),
        ballots.len(),
        flat.len()
    );

    let d = DecryptionShare::compute_with(
        fingerprint.0,
        party,
        j,
        &key.share,
        vk,
        &flat,
        &mut rand::rng(),
    );
    d.verify(fingerprint.0, party, vk, &flat)
        .context("own share check")?;
    println!(
        "已验证 {} 个部分解密及其证明 / {} partial decryptions and their proofs verified",
        flat.len(),
        flat.len()
    );
    let answer: Value = client.post(&format!("/api/elections/{election}/decryption-shares"), &d)?;
    println!(
        "监票人 {j} 的解密份额已发布 / teller {j}: decryption share posted as board entry {}",
        answer["index"]
    );
    let s: Value = client.get(&format!("/api/elections/{election}"))?;
    println!(
        "选举状态 / election state: {}",
        s["state"].as_str().unwrap_or("")
    );
    Ok(())
}

/// Whether `xⱼ·G` is `Xⱼ`.
fn share_matches(share: &SecretShare, vk: &piaojue_crypto::encoding::PublicKey) -> bool {
    share.public().compress().to_bytes() == *vk.as_bytes()
}
