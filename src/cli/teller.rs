//! `piaojue teller`: a teller's steps against the server. Today: computing and posting the
//! decryption share of a closed election's tally, with the key file of the demo's tellers.

use std::path::PathBuf;

use anyhow::Context;
use piaojue_crypto::decryption::DecryptionShare;
use piaojue_crypto::dkg::SecretShare;
use piaojue_crypto::encoding::{PublicKey, decode_hex_array};
use piaojue_crypto::tally::EncryptedTally;
use serde_json::Value;
use zeroize::Zeroizing;

use super::client::Client;

/// Options of `piaojue teller`.
#[derive(clap::Args, Debug)]
pub struct TellerArgs {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// What to do.
    #[command(subcommand)]
    pub action: TellerAction,
}

/// Teller actions.
#[derive(clap::Subcommand, Debug)]
pub enum TellerAction {
    /// Computes this teller's decryption share of the tally (with proofs) and posts it.
    Decrypt {
        /// Election id.
        election: String,
        /// The teller's key file (`teller-N.json` of the demo: index, signing key, share).
        #[arg(long)]
        key_file: PathBuf,
    },
}

/// Runs a teller action.
pub fn run(args: TellerArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.url, None);
    match args.action {
        TellerAction::Decrypt { election, key_file } => {
            let text = Zeroizing::new(
                std::fs::read_to_string(&key_file)
                    .with_context(|| format!("reading {}", key_file.display()))?,
            );
            let file: piaojue_server::demo::DemoTeller =
                serde_json::from_str(&text).context("the key file")?;
            let share_bytes = Zeroizing::new(decode_hex_array::<32>(&file.share)?);
            let share = SecretShare::from_bytes(&share_bytes)?;
            let seed = Zeroizing::new(decode_hex_array::<32>(&file.signing_key)?);
            let party = ed25519_dalek::SigningKey::from_bytes(&seed)
                .verifying_key()
                .to_bytes();

            let status: Value = client.get(&format!("/api/elections/{election}"))?;
            let fingerprint: piaojue_crypto::encoding::Digest32 =
                serde_json::from_value(status["fingerprint"].clone())
                    .context("the election's fingerprint")?;
            let ceremony: Value = client.get(&format!("/api/elections/{election}/ceremony"))?;
            let vks: Vec<PublicKey> =
                serde_json::from_value(ceremony["output"]["verification_keys"].clone())?;
            let vk = vks
                .get((file.index as usize).wrapping_sub(1))
                .with_context(|| format!("no teller {} in this election", file.index))?;
            anyhow::ensure!(
                share.public().compress().to_bytes() == *vk.as_bytes(),
                "this key file's share does not match teller {}'s verification key",
                file.index
            );
            let tally: EncryptedTally = client.get(&format!("/api/elections/{election}/tally"))?;
            let flat = tally.flatten();
            let d = DecryptionShare::compute_with(
                fingerprint.0,
                party,
                file.index,
                &share,
                vk,
                &flat,
                &mut rand::rng(),
            );
            d.verify(fingerprint.0, party, vk, &flat)
                .context("own share check")?;
            eprintln!(
                "已验证 / checked: {} partial decryptions with their proofs",
                flat.len()
            );
            let answer: Value =
                client.post(&format!("/api/elections/{election}/decryption-shares"), &d)?;
            println!(
                "teller {}: decryption share posted as board entry {}",
                file.index, answer["index"]
            );
            let s: Value = client.get(&format!("/api/elections/{election}"))?;
            println!("election state: {}", s["state"].as_str().unwrap_or(""));
        }
    }
    Ok(())
}
