//! `piaojue teller`: a teller's steps against the server, each teller on its own machine with
//! its own encrypted key file ([`super::keystore`]):
//!
//! ```text
//! piaojue teller keygen <election> --out teller.age          # signing key → give it (base64url) to staff
//! piaojue teller ceremony <election> --key-file teller.age   # the key ceremony, every round
//! piaojue teller attendance <election> --key-file teller.age --signed-in N
//!                                                            # the chief scrutineer: 实到人数
//! piaojue teller decrypt <election> --key-file teller.age    # the decryption share of the tally
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use piaojue_crypto::attendance::Attendance;
use piaojue_crypto::canonical::Writer;
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::dkg::SecretShare;
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::tally::EncryptedTally;
use piaojue_verifier::before_decrypt::{Refusal, check_before_decrypt};
use serde_json::Value;
use zeroize::Zeroizing;

use super::ceremony::CeremonyRun;
use super::client::Client;
use super::keystore::{AGE_MAGIC, Decrypted, TellerStore};
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
    /// 实到人数 / The chief scrutineer (总监票人) signs the number of deputies signed in and posts
    /// it, after verifying the served set-up against this teller's own ceremony and that the
    /// credential list is complete; prints the election's short fingerprint to compare with
    /// the hall screen.
    Attendance {
        /// 选举编号 / Election id.
        election: String,
        /// 密钥文件 / The encrypted key file.
        #[arg(long)]
        key_file: PathBuf,
        /// 实到代表人数 / Deputies signed in.
        #[arg(long)]
        signed_in: u32,
        #[command(flatten)]
        passphrase: PassphraseArgs,
    },
    /// 解密份额 / Verifies the served record (every ballot, the board and its heads, the tally)
    /// against this teller's own ceremony, then computes its decryption share of the tally
    /// (with proofs, naming the board head it verified) and posts it. Never decrypts a second
    /// tally of the same election.
    Decrypt {
        /// 选举编号 / Election id.
        election: String,
        /// 密钥文件 / The encrypted key file.
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
        TellerAction::Attendance {
            election,
            key_file,
            signed_in,
            passphrase,
        } => attendance(&client, &election, &key_file, signed_in, &passphrase)?,
        TellerAction::Decrypt {
            election,
            key_file,
            passphrase,
        } => decrypt(&client, &election, &key_file, &passphrase)?,
    }
    Ok(())
}

/// What decryption needs from a key file: the store, with the share of a finished ceremony.
struct DecryptionKey {
    store: TellerStore,
    index: u32,
    share: SecretShare,
    passphrase: age::secrecy::SecretString,
}

/// Reads the encrypted key file. (The demo's old plain `teller-N.json` files cannot decrypt any
/// more: they cannot record which tally their teller decrypted.)
fn read_key(
    path: &Path,
    election: &str,
    passphrase: &PassphraseArgs,
) -> anyhow::Result<DecryptionKey> {
    let bytes =
        Zeroizing::new(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?);
    ensure!(
        bytes.starts_with(AGE_MAGIC),
        "{} 不是加密的密钥文件 / is not an encrypted key file: plain teller files cannot record which tally their teller decrypted, so they cannot decrypt",
        path.display()
    );
    let passphrase = passphrase.get(false)?;
    let store = TellerStore::load(path, &passphrase)?;
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
    let share = SecretShare::from_bytes(&s.share)?;
    Ok(DecryptionKey {
        index,
        share,
        store,
        passphrase,
    })
}

/// The hash of an encrypted tally that a key file keeps: `SHA-256(str("piaojue-v1/teller-tally")
/// ‖ list(flattened ciphertexts))`.
pub fn tally_hash(tally: &EncryptedTally) -> [u8; 32] {
    let mut w = Writer::tagged("piaojue-v1/teller-tally");
    w.list(&tally.flatten(), |w, c| {
        w.object(c);
    });
    w.sha256().0
}

/// Why a teller refuses to decrypt what the server serves, in the teller's words.
#[derive(Debug, thiserror::Error)]
pub enum DecryptRefusal {
    /// The served record does not verify, or its tally is not its ballots' sum.
    #[error("拒绝解密 / refusing to decrypt: {0}")]
    Record(#[from] Refusal),
    /// The served election is not the one this teller's ceremony made.
    #[error(
        "拒绝解密 / refusing to decrypt: 服务器提供的选举的联合公钥不是本监票人仪式产生的 / the served election's joint key {served} is not {own}, the one this teller's key ceremony produced"
    )]
    JointKey {
        /// What the server serves (base64url).
        served: String,
        /// What the key file keeps.
        own: String,
    },
    /// The served ceremony does not give this teller its own keys.
    #[error(
        "拒绝解密 / refusing to decrypt: 服务器提供的选举中，监票人 {0} 的签名公钥或验证公钥不是本密钥文件的 / in the served election, teller {0}'s signing or verification key is not this key file's"
    )]
    NotThisTeller(u32),
    /// The served election's fingerprint is not the one this teller decrypted before.
    #[error(
        "拒绝解密 / refusing to decrypt: 服务器提供的选举指纹 {served} 不是本监票人此前解密的 {own} / the served election fingerprint {served} is not {own}, the one this teller decrypted before"
    )]
    Fingerprint {
        /// What the server serves.
        served: String,
        /// What the key file keeps.
        own: String,
    },
    /// The teller decrypted another tally of this election before.
    #[error(
        "拒绝解密 / refusing to decrypt: 本监票人已解密过本选举的另一个加密计票，永不再解密其他计票 / this teller already decrypted another tally of this election (board head size {size}), and never decrypts a second one"
    )]
    OtherTally {
        /// The head it verified then.
        size: u64,
    },
    /// The board head it verified before is not a head of the served log.
    #[error(
        "拒绝解密 / refusing to decrypt: 本监票人此前核验的公告板树头（{size} 条）不是当前日志的前缀 / the board head this teller verified before (size {size}) is not a head of the served log: the board forked"
    )]
    Forked {
        /// Its size.
        size: u64,
    },
}

/// The longest `teller decrypt` waits for the witnesses to cosign the log after the tally.
pub const WITNESS_WAIT: Duration = Duration::from_secs(120);

/// The served record of `election` (refused if it is another election's).
fn fetch_record(client: &Client, election: &str) -> anyhow::Result<ElectionRecord> {
    let record: ElectionRecord = client
        .get(&format!("/api/elections/{election}/record"))
        .context("the election record")?;
    ensure!(
        record.election.manifest.election_id == election,
        "the server served the record of election {:?}",
        record.election.manifest.election_id
    );
    Ok(record)
}

/// `teller decrypt`: verifies the served record, checks it against the key file, computes,
/// self-verifies and posts the decryption share.
fn decrypt(
    client: &Client,
    election: &str,
    key_file: &Path,
    passphrase: &PassphraseArgs,
) -> anyhow::Result<()> {
    let mut key = read_key(key_file, election, passphrase)?;
    let signing = key.store.signing_key();
    let party = signing.verifying_key().to_bytes();
    let j = key.index;
    let own = key.store.share.clone().expect("read_key checked");

    let mut record = fetch_record(client, election)?;
    // The election is the one this teller's ceremony made: its joint key, and this teller's
    // own keys at its index (V2 below checks the ceremony gives them).
    let e = &record.election;
    if *e.ceremony_output.joint_key.as_bytes() != own.joint_key {
        return Err(DecryptRefusal::JointKey {
            served: e.ceremony_output.joint_key.as_point().to_base64(),
            own: Bytes(own.joint_key).to_base64(),
        }
        .into());
    }
    let vk = e.ceremony_output.verification_key(j).copied();
    let mine = e.teller_keys().get(j as usize - 1) == Some(&Bytes(party))
        && vk.is_some_and(|vk| *vk.as_bytes() == own.verification_key)
        && vk.is_some_and(|vk| share_matches(&key.share, &vk));
    let (true, Some(vk)) = (mine, vk) else {
        return Err(DecryptRefusal::NotThisTeller(j).into());
    };
    let fingerprint = e.fingerprint;
    if let Some(d) = key.store.decrypted
        && d.fingerprint != fingerprint.0
    {
        return Err(DecryptRefusal::Fingerprint {
            served: fingerprint.to_base64(),
            own: Bytes(d.fingerprint).to_base64(),
        }
        .into());
    }
    println!(
        "已核对：联合公钥与本监票人仪式的一致，秘密分享与监票人 {j} 的验证公钥一致 / checked: the joint key is this teller's ceremony's, the share matches teller {j}'s verification key"
    );

    // The whole record verifies, and the board's tally is the sum of its counted ballots.
    // When the manifest names witnesses, V7.10 requires a quorum of their cosignatures after
    // the tally: the teller decrypts only a tally on a log they cosigned, waiting for them (they
    // take seconds) at most WITNESS_WAIT.
    let started = Instant::now();
    let ready = loop {
        match check_before_decrypt(&record, &piaojue_verifier::NoProgress) {
            Ok(ready) => break ready,
            Err(Refusal::Unverified(report))
                if piaojue_verifier::witnessed::awaiting_witnesses(&report)
                    && started.elapsed() < WITNESS_WAIT =>
            {
                println!(
                    "等待见证人副签计票后的公告板 / waiting for the witnesses to cosign the board after the tally …"
                );
                std::thread::sleep(Duration::from_secs(2));
                record = fetch_record(client, election)?;
                ensure!(
                    record.election.fingerprint == fingerprint,
                    "the server now serves another election's record (fingerprint {})",
                    record.election.fingerprint.to_base64()
                );
            }
            Err(e) => return Err(DecryptRefusal::from(e).into()),
        }
    };
    println!(
        "已验证选举记录（V1–V7：仪式、{} 张选票的签名与证明、公告板与 {} 个签名树头）/ record verified (V1–V7: ceremony, signatures and proofs of its ballots, the board and its signed tree heads) ({:.1?})",
        record.ballots.len(),
        record.board.as_ref().map_or(0, |b| b.tree_heads.len()),
        started.elapsed()
    );
    let flat = ready.tally.flatten();
    println!(
        "公告板上的加密计票等于 {} 张计入选票之和（{} 个密文）/ the board's encrypted tally is the sum of its {} counted ballots ({} ciphertexts)",
        ready.counted,
        flat.len(),
        ready.counted,
        flat.len()
    );

    // Never a second tally: the one decrypted before, under the head verified then (which
    // must still be a head of this log), or this one, recorded before anything is posted.
    let hash = tally_hash(&ready.tally);
    let head = match key.store.decrypted {
        Some(d) if d.tally != hash => {
            return Err(DecryptRefusal::OtherTally { size: d.head_size }.into());
        }
        Some(d) => {
            let board = record.board.as_ref().expect("checked");
            let tree = piaojue_verifier::board::merkle_tree(&board.entries);
            if tree.root_at(d.head_size) != Some(d.head_root) || d.head_size <= ready.tally_entry {
                return Err(DecryptRefusal::Forked { size: d.head_size }.into());
            }
            println!(
                "此计票本监票人此前已解密过（同一计票）/ this teller decrypted this same tally before: going on"
            );
            BoardHeadRef {
                size: d.head_size,
                root: Bytes(d.head_root),
            }
        }
        None => {
            key.store.decrypted = Some(Decrypted {
                fingerprint: fingerprint.0,
                tally: hash,
                head_size: ready.head.size,
                head_root: ready.head.root.0,
            });
            key.store.save(key_file, &key.passphrase, None)?;
            ready.head
        }
    };
    println!(
        "本监票人核验的公告板树头 / board head verified by this teller: size {}, root {}",
        head.size,
        head.root.to_base64()
    );
    if let Some((entry, _)) = ready.shares.get(&j) {
        println!(
            "监票人 {j} 的解密份额已在公告板上（条目 {entry}）/ teller {j}'s decryption share is on the board already (entry {entry})"
        );
        return Ok(());
    }

    let d = DecryptionShare::compute_with(
        fingerprint.0,
        &signing,
        (j, &key.share, &vk),
        head,
        &flat,
        &mut rand::rng(),
    );
    d.verify(fingerprint.0, party, &vk, &flat)
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
/// `teller attendance`: the served set-up must verify (manifest, ceremony, fingerprint computed
/// here from the served credential list, `spec/protocol.md` §6.6), give this key file's joint
/// key and this teller's keys at its index, and have a complete credential list; only then is
/// the count signed (§7.6) and posted.
fn attendance(
    client: &Client,
    election: &str,
    key_file: &Path,
    signed_in: u32,
    passphrase: &PassphraseArgs,
) -> anyhow::Result<()> {
    let key = read_key(key_file, election, passphrase)?;
    let signing = key.store.signing_key();
    let j = key.index;
    let own = key.store.share.clone().expect("read_key checked");
    let setup = super::client::verified_setup(client, election)?;
    let e = &setup.data;
    ensure!(
        e.manifest.election_id == election,
        "the server served election {:?}",
        e.manifest.election_id
    );
    ensure!(
        *e.ceremony_output.joint_key.as_bytes() == own.joint_key,
        "拒绝签署 / refusing to sign: 服务器提供的选举的联合公钥不是本监票人仪式产生的 / the served election's joint key is not the one this teller's key ceremony produced"
    );
    let vk = e.ceremony_output.verification_key(j).copied();
    ensure!(
        e.teller_keys().get(j as usize - 1) == Some(&Bytes(signing.verifying_key().to_bytes()))
            && vk.is_some_and(|vk| share_matches(&key.share, &vk)),
        "拒绝签署 / refusing to sign: 服务器提供的选举中，监票人 {j} 的签名公钥或验证公钥不是本密钥文件的 / in the served election, teller {j}'s signing or verification key is not this key file's"
    );
    let deputies = e.manifest.deputies;
    ensure!(
        e.credentials.len() == deputies as usize,
        "拒绝签署 / refusing to sign: 凭证名单尚未完成（{} / {deputies}）/ the credential list is not complete: {} of the congress's {deputies} deputies have a credential",
        e.credentials.len(),
        e.credentials.len()
    );
    ensure!(
        signed_in <= deputies,
        "实到人数 {signed_in} 多于应到人数 {deputies} / {signed_in} signed in is more than the congress's {deputies} deputies"
    );
    let statement = Attendance::sign(e.fingerprint.0, j, signed_in, &signing);
    let _: Value = client.post(&format!("/api/elections/{election}/attendance"), &statement)?;
    println!(
        "已签署并公布：应到 {deputies} 人，实到 {signed_in} 人 / signed and posted: {signed_in} of {deputies} deputies signed in"
    );
    println!(
        "选举指纹 / election fingerprint: {} (compare it with the hall screen and the credential sheets)",
        setup.short()
    );
    Ok(())
}

fn share_matches(share: &SecretShare, vk: &piaojue_crypto::encoding::PublicKey) -> bool {
    share.public().compress().to_bytes() == *vk.as_bytes()
}
