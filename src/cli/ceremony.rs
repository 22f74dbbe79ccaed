//! `piaojue teller ceremony`: one teller's side of the key ceremony (`spec/protocol.md` §9)
//! against the server, round by round.
//!
//! The server only relays: every message of every other teller is checked here again by the
//! teller's own state machine ([`piaojue_crypto::dkg::party`], which runs the dealer's public
//! checks), and the final output is recomputed here and compared with the server's.
//!
//! Resuming: before its first message the teller draws a seed for the ceremony's random
//! generator and saves it in its encrypted key file. A teller that stops mid-ceremony and is
//! started again replays its own messages from that seed, byte for byte (the signatures are
//! deterministic), skips those already on the board and goes on. The seed is erased once the
//! share is saved.

use std::path::Path;
use std::time::{Duration, Instant};

use age::secrecy::SecretString;
use anyhow::{Context, bail, ensure};
use chacha20::ChaCha20Rng;
use piaojue_crypto::dkg::party::Teller;
use piaojue_crypto::dkg::{
    Announcement, CeremonyError, CeremonyOutput, Commitment, Reveal, ShareCheck, TellerKey,
};
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::ceremony_params;
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::Client;
use super::keystore::{ShareRecord, TellerStore};

/// The ceremony as `GET /api/elections/{id}/ceremony` shows it.
#[derive(Deserialize)]
struct View {
    signing_keys: Vec<Bytes<32>>,
    transcript: Transcript,
    output: Option<CeremonyOutput>,
}

#[derive(Deserialize)]
struct Transcript {
    announcements: Vec<Announcement>,
    commitments: Vec<Commitment>,
    reveals: Vec<Reveal>,
    checks: Vec<ShareCheck>,
}

/// The four rounds.
#[derive(Clone, Copy)]
enum Round {
    Announcement,
    Commitment,
    Reveal,
    ShareCheck,
}

impl Round {
    /// The round's name in `POST /ceremony`.
    fn name(self) -> &'static str {
        match self {
            Round::Announcement => "announcement",
            Round::Commitment => "commitment",
            Round::Reveal => "reveal",
            Round::ShareCheck => "share_check",
        }
    }
}

impl Transcript {
    /// The tellers whose message of `round` is on the board.
    fn senders(&self, round: Round) -> Vec<u32> {
        match round {
            Round::Announcement => self.announcements.iter().map(|m| m.index).collect(),
            Round::Commitment => self.commitments.iter().map(|m| m.index).collect(),
            Round::Reveal => self.reveals.iter().map(|m| m.index).collect(),
            Round::ShareCheck => self.checks.iter().map(|m| m.index).collect(),
        }
    }
}

/// One teller's run of the ceremony.
pub struct CeremonyRun<'a> {
    /// The server.
    pub client: &'a Client,
    /// The election id.
    pub election: &'a str,
    /// The encrypted key file.
    pub key_file: &'a Path,
    /// Its passphrase.
    pub passphrase: &'a SecretString,
    /// How long to wait for the other tellers, in all.
    pub timeout: Duration,
}

/// Prints the failure and who is blamed, and turns it into an error.
fn blame(e: CeremonyError) -> anyhow::Error {
    let guilty = e.guilty();
    if guilty.is_empty() {
        eprintln!("仪式失败 / ceremony failed: {e}");
    } else {
        eprintln!("仪式失败，责任监票人 / ceremony failed, blamed teller(s): {guilty:?} — {e}");
    }
    anyhow::Error::new(e).context("the key ceremony failed")
}

impl CeremonyRun<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/api/elections/{}{rest}", self.election)
    }

    fn view(&self) -> anyhow::Result<View> {
        self.client.get(&self.path("/ceremony"))
    }

    /// Polls the ceremony (backoff from 100 ms to 2 s) until `done` holds, the election
    /// fails, or the time is up.
    fn wait(
        &self,
        deadline: Instant,
        what: &str,
        done: impl Fn(&View) -> bool,
    ) -> anyhow::Result<View> {
        let mut pause = Duration::from_millis(100);
        let mut said = false;
        loop {
            let v = self.view()?;
            if done(&v) {
                return Ok(v);
            }
            let status: Value = self.client.get(&self.path(""))?;
            if status["state"] == "failed" {
                bail!("服务器判定仪式失败 / the server recorded the ceremony as failed");
            }
            if Instant::now() >= deadline {
                bail!("超时 / timed out waiting for {what}");
            }
            if !said {
                eprintln!("等待其他监票人 / waiting for the other tellers: {what} …");
                said = true;
            }
            std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// Posts this teller's message of `round` unless the board has one from it already (a
    /// resumed run); the state machine then checks the board's copy is the same.
    fn post(
        &self,
        round: &str,
        index: u32,
        on_board: bool,
        message: &impl serde::Serialize,
    ) -> anyhow::Result<()> {
        if on_board {
            println!("  ({round} 已在公告板上 / already on the board, index {index})");
            return Ok(());
        }
        let answer: Value = self.client.post(
            &self.path("/ceremony"),
            &json!({ "round": round, "message": message }),
        )?;
        println!("已发布 / posted {round}: board entry {}", answer["index"]);
        Ok(())
    }

    /// Posts this teller's message of `round` (unless already on the board) and waits until
    /// every teller's is.
    fn exchange(
        &self,
        deadline: Instant,
        round: Round,
        index: u32,
        n: u32,
        message: &impl serde::Serialize,
    ) -> anyhow::Result<View> {
        let on_board = self.view()?.transcript.senders(round).contains(&index);
        self.post(round.name(), index, on_board, message)?;
        self.wait(deadline, round.name(), |v| {
            v.transcript.senders(round).len() == n as usize
        })
    }

    /// Runs every round and saves the share. Returns the teller's key.
    pub fn run(&self) -> anyhow::Result<TellerKey> {
        let deadline = Instant::now() + self.timeout;
        let mut store = TellerStore::load(self.key_file, self.passphrase)?;
        ensure!(
            store.election_id == self.election,
            "this key file is for election {:?}, not {:?}",
            store.election_id,
            self.election
        );
        ensure!(
            store.share.is_none(),
            "此密钥文件已完成仪式 / this key file already holds the share of election {:?}",
            self.election
        );
        let status: Value = self.client.get(&self.path(""))?;
        let manifest: Manifest =
            piaojue_crypto::json::from_value(status["manifest"].clone()).context("the manifest")?;
        manifest
            .validate()
            .context("the server's manifest is not valid")?;
        let params = ceremony_params(&manifest);
        let (n, t) = (params.n, params.t);
        println!(
            "选举 / election {}: {} / {} — {n} 名监票人，任意 {t} 名可解密 / {n} tellers, any {t} decrypt",
            manifest.election_id, manifest.title.zh, manifest.title.en
        );
        println!("仪式编号 / ceremony id: {}", params.ceremony_id.to_base64());

        let me = Bytes(store.public_key());
        let index = self
            .view()?
            .signing_keys
            .iter()
            .position(|k| *k == me)
            .with_context(|| {
                format!(
                    "本监票人的签名公钥未登记 / this teller's signing key {} is not registered for {}",
                    me.to_base64(),
                    self.election
                )
            })? as u32
            + 1;
        println!("本监票人序号 / this teller's index: {index} of {n}");
        if store.ceremony_seed.is_none() || store.index != Some(index) {
            store.index = Some(index);
            store.ceremony_seed.get_or_insert_with(rand::random);
            store.save(self.key_file, self.passphrase, None)?;
        }
        let mut rng = ChaCha20Rng::from_seed(store.ceremony_seed.expect("set above"));

        // Round 0.
        let (s0, a) = Teller::new(params, index, store.signing_key(), &mut rng).map_err(blame)?;
        let v = self.exchange(deadline, Round::Announcement, index, n, &a)?;

        // Round 1.
        let (s1, c) = s0
            .commit(&v.transcript.announcements, &mut rng)
            .map_err(blame)?;
        println!(
            "已验证 {n} 份公告（签名、加密公钥的知识证明）/ {n} announcements verified (signatures, proofs of the encryption keys)"
        );
        let v = self.exchange(deadline, Round::Commitment, index, n, &c)?;

        // Round 2.
        let (s2, r) = s1.reveal(&v.transcript.commitments).map_err(blame)?;
        println!("已验证 {n} 个承诺 / {n} commitments verified");
        let v = self.exchange(deadline, Round::Reveal, index, n, &r)?;

        // Round 3.
        let (s3, check) = s2
            .check_shares(&v.transcript.reveals, &mut rng)
            .map_err(blame)?;
        println!(
            "已验证 {n} 份公开系数与证明（与第 1 轮承诺一致）/ {n} reveals verified (coefficients, proofs, round-1 hashes)"
        );
        let good = n as usize - 1 - check.complaints.len();
        println!("已收到并验证 {good} 份秘密分享 / {good} shares received and verified");
        for c in &check.complaints {
            println!(
                "投诉 / complaint: 监票人 {} 发来的分享无效 / the share from teller {} is invalid",
                c.accused, c.accused
            );
        }
        self.exchange(deadline, Round::ShareCheck, index, n, &check)?;
        let v = self.wait(deadline, "share checks and the output", |v| {
            v.transcript.checks.len() == n as usize && v.output.is_some()
        });
        // The verdict is this teller's own: judge the checks even if the server says it failed.
        let v = match v {
            Ok(v) => v,
            Err(e) => {
                let v = self.view()?;
                if v.transcript.checks.len() == n as usize {
                    s3.finish(&v.transcript.checks).map_err(blame)?;
                }
                return Err(e);
            }
        };
        let key = s3.finish(&v.transcript.checks).map_err(blame)?;
        println!(
            "已验证 {n} 份分享检查，无成立的投诉 / {n} share checks verified, no complaint upheld"
        );
        ensure!(
            v.output.as_ref() == Some(&key.output),
            "服务器公布的结果与本地计算不符 / the server's ceremony output differs from the one computed here"
        );
        println!(
            "服务器公布的联合公钥与本地计算一致 / the server's output equals the one computed here"
        );

        store.share = Some(ShareRecord {
            share: *key.share.to_bytes(),
            verification_key: *key.verification_key().as_bytes(),
            joint_key: *key.output.joint_key.as_bytes(),
        });
        store.ceremony_seed = None;
        store.save(self.key_file, self.passphrase, None)?;
        println!(
            "秘密分享已加密保存 / secret share saved (encrypted) to {}",
            self.key_file.display()
        );
        println!(
            "联合公钥 / joint election key: {}",
            key.output.joint_key.as_point().to_base64()
        );
        println!(
            "本监票人验证公钥 / this teller's verification key X{index}: {}",
            key.verification_key().as_point().to_base64()
        );
        Ok(key)
    }
}
