//! The board's witnesses as `piaojue serve` configures them (`--witness VKEY@URL`,
//! `--witness-quorum`), and the local witnesses `serve --demo` starts beside the server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use piaojue_crypto::board::{SignatureType, VerifierKey, WitnessKey};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::manifest::{Witness, Witnesses};
use piaojue_witness::Policy;
use serde::{Deserialize, Serialize};

use super::keystore::write_atomic;
use super::witness::WitnessKeyFile;

/// Parses `--witness VKEY@URL`: the witness's vkey (`piaojue witness vkey`, signature type
/// `0x04`, c2sp.org/tlog-cosignature) and its submission prefix (`http://…` or `https://…`,
/// c2sp.org/tlog-witness). The URL starts at the first `@http://` or `@https://`.
pub fn parse_witness(arg: &str) -> Result<Witness, String> {
    let at = ["@https://", "@http://"]
        .iter()
        .filter_map(|p| arg.find(p))
        .min()
        .ok_or_else(|| {
            format!("--witness {arg:?}: expected VKEY@URL, the URL starting http:// or https://")
        })?;
    let (vkey, url) = (&arg[..at], &arg[at + 1..]);
    let vk = VerifierKey::parse(vkey).map_err(|e| format!("--witness {vkey:?}: {e}"))?;
    if vk.sig_type() != SignatureType::CosignatureV1 {
        return Err(format!(
            "--witness {vkey:?}: a witness's vkey has signature type 0x04 (cosignature/v1), \
             as `piaojue witness vkey` prints it"
        ));
    }
    Ok(Witness {
        name: vk.name().to_string(),
        key: *vk.key(),
        url: url.trim_end_matches('/').to_string(),
    })
}

/// The witnesses of `--witness` with the quorum of `--witness-quorum` (default: a majority,
/// more than half of them), checked as a manifest would check them (but for the board's key,
/// which the caller compares once the board is open: [`Witnesses::check`]).
pub fn witnesses(list: Vec<Witness>, quorum: Option<u32>) -> anyhow::Result<Witnesses> {
    let m = u32::try_from(list.len()).context("too many witnesses")?;
    let quorum = quorum.unwrap_or(if m == 0 { 0 } else { m / 2 + 1 });
    let w = Witnesses { quorum, list };
    // A fresh key stands in for the board's: it is no witness's.
    let stand_in = WitnessKey::generate(&mut rand::rng()).public();
    w.check(&stand_in)
        .map_err(|e| anyhow::anyhow!("--witness / --witness-quorum: {e}"))?;
    Ok(w)
}

/// What `demo/witnesses.json` keeps of the demo's witnesses: their names and ports, so that
/// a restart serves them where the demo election's manifest says they are.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoWitnessList {
    witnesses: Vec<DemoWitnessEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoWitnessEntry {
    name: String,
    port: u16,
}

/// A local witness of the demo: its key, its listener and its state file, not serving yet.
pub struct DemoWitness {
    key: WitnessKeyFile,
    listener: tokio::net::TcpListener,
    state: PathBuf,
}

impl DemoWitness {
    /// The witness as the manifest names it.
    pub fn manifest_entry(&self) -> anyhow::Result<Witness> {
        let addr: SocketAddr = self.listener.local_addr()?;
        Ok(Witness {
            name: self.key.name.clone(),
            key: self.key.key.public(),
            url: format!("http://{addr}"),
        })
    }

    /// Serves the witness, trusting the board `board_name` with the keys `board_keys` (the key
    /// of new elections and the retired ones), until `shutdown` completes.
    pub async fn start(
        self,
        board_name: &str,
        board_keys: &[CredentialKey],
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let DemoWitness {
            key: WitnessKeyFile { name, key },
            listener,
            state,
        } = self;
        let mut policy = Policy::new();
        for key in board_keys {
            policy.add_board(board_name, *key)?;
        }
        let witness = piaojue_witness::Witness::open(&name, key, policy, &state)
            .await
            .with_context(|| format!("the demo witness {name}"))?;
        tokio::spawn(async move {
            if let Err(e) =
                piaojue_witness::http::serve(listener, Arc::new(witness), shutdown).await
            {
                eprintln!("a demo witness stopped: {e}");
            }
        });
        Ok(())
    }
}

/// The demo's `count` local witnesses: keys in `demo/witness-N.age` (the demo tellers'
/// passphrase), states in `demo/witness-N.db`, listening on 127.0.0.1 at the ports kept in
/// `demo/witnesses.json` (chosen by the system on the first start). DEMO ONLY: real witnesses
/// run on machines of their own, kept by other bodies (README, `spec/witness.md`).
pub async fn demo_witnesses(
    data_dir: &Path,
    count: u8,
    passphrase: &age::secrecy::SecretString,
    work_factor: u8,
) -> anyhow::Result<Vec<DemoWitness>> {
    let dir = data_dir.join("demo");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let list_path = dir.join("witnesses.json");
    let mut list: DemoWitnessList = match std::fs::read(&list_path) {
        Ok(bytes) => piaojue_crypto::json::from_slice(&bytes)
            .with_context(|| format!("reading {}", list_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DemoWitnessList {
            witnesses: Vec::new(),
        },
        Err(e) => return Err(e).with_context(|| format!("reading {}", list_path.display())),
    };
    let mut out = Vec::new();
    for i in 1..=usize::from(count) {
        let key_path = dir.join(format!("witness-{i}.age"));
        let key = if key_path.exists() {
            WitnessKeyFile::load(&key_path, passphrase)?
        } else {
            let file = WitnessKeyFile {
                name: format!("piaojue.localhost/demo-witness-{i}"),
                key: WitnessKey::generate(&mut rand::rng()),
            };
            file.create(&key_path, passphrase, Some(work_factor))?;
            file
        };
        let port = list
            .witnesses
            .iter()
            .find(|w| w.name == key.name)
            .map_or(0, |w| w.port);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| {
                format!(
                    "the demo witness {} listens on 127.0.0.1:{port}, where the demo election's \
                     manifest names it; free the port or start with a new --data-dir",
                    key.name
                )
            })?;
        let port = listener.local_addr()?.port();
        list.witnesses.retain(|w| w.name != key.name);
        list.witnesses.push(DemoWitnessEntry {
            name: key.name.clone(),
            port,
        });
        out.push(DemoWitness {
            key,
            listener,
            state: dir.join(format!("witness-{i}.db")),
        });
    }
    let json = serde_json::to_vec_pretty(&list).expect("serializes");
    write_atomic(&list_path, &json)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vkey(name: &str) -> (WitnessKey, String) {
        let key = WitnessKey::generate(&mut rand::rng());
        let v = key.verifier_key(name).unwrap().encode();
        (key, v)
    }

    #[test]
    fn a_witness_argument_is_a_cosigner_vkey_and_a_url() {
        let (key, v) = vkey("w.example/a");
        let w = parse_witness(&format!("{v}@https://w.example/a/")).unwrap();
        assert_eq!(w.name, "w.example/a");
        assert_eq!(w.key, key.public());
        assert_eq!(w.url, "https://w.example/a");
        let w = parse_witness(&format!("{v}@http://127.0.0.1:8091")).unwrap();
        assert_eq!(w.url, "http://127.0.0.1:8091");
    }

    #[test]
    fn bad_witness_arguments_are_refused() {
        let (_, v) = vkey("w.example/a");
        // No URL, another scheme, a damaged vkey, a board's (type 0x01) vkey.
        assert!(parse_witness(&v).is_err());
        assert!(parse_witness(&format!("{v}@ftp://w.example")).is_err());
        let damaged = format!("{}x@http://w.example", &v[..v.len() - 2]);
        assert!(parse_witness(&damaged).is_err());
        let board = WitnessKey::generate(&mut rand::rng());
        let log = VerifierKey::new("log.example/x", SignatureType::Ed25519, board.public())
            .unwrap()
            .encode();
        let err = parse_witness(&format!("{log}@http://w.example")).unwrap_err();
        assert!(err.contains("0x04"), "{err}");
    }

    #[test]
    fn the_quorum_defaults_to_a_majority_and_is_checked() {
        let list: Vec<Witness> = ["a", "b", "c"]
            .iter()
            .map(|n| parse_witness(&format!("{}@http://w.example/{n}", vkey(n).1)).unwrap())
            .collect();
        assert_eq!(witnesses(list.clone(), None).unwrap().quorum, 2);
        assert_eq!(witnesses(list[..2].to_vec(), None).unwrap().quorum, 2);
        assert_eq!(witnesses(list.clone(), Some(3)).unwrap().quorum, 3);
        assert!(witnesses(list.clone(), Some(4)).is_err());
        assert!(witnesses(list.clone(), Some(0)).is_err());
        assert_eq!(witnesses(Vec::new(), None).unwrap().quorum, 0);
        let twice = vec![list[0].clone(), list[0].clone()];
        assert!(witnesses(twice, None).is_err());
    }
}
