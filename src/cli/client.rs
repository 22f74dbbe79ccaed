//! A small blocking JSON client of the ballot server's API, for the command-line tools.

use std::time::Duration;

use anyhow::{Context, bail};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::pin::{
    Pin, PinError, ServedElection, VerifiedElection, verify_served, verify_setup,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A client of one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    authorization: Option<String>,
}

impl Client {
    /// A client of the server at `base` (`http://host:port`), with an optional staff token.
    pub fn new(base: &str, staff_token: Option<String>) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Client {
            agent,
            base: base.trim_end_matches('/').to_string(),
            authorization: staff_token.map(|t| format!("Bearer {}", t.trim())),
        }
    }

    fn run(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
        self.run_typed(method, path, body, "application/json")
    }

    fn run_typed(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> anyhow::Result<Vec<u8>> {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(a) = &self.authorization {
            builder = builder.header("Authorization", a);
        }
        let response = match body {
            None => self.agent.run(builder.body(())?),
            Some(b) => self
                .agent
                .run(builder.header("Content-Type", content_type).body(b)?),
        }
        .with_context(|| format!("{method} {url}"))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .with_context(|| format!("{method} {url}: reading the answer"))?;
        if !(200..300).contains(&status) {
            let msg = piaojue_crypto::json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
            bail!("the server refused ({status}): {msg}");
        }
        Ok(bytes)
    }

    /// `GET path` decoded as `T`.
    pub fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let bytes = self.run("GET", path, None)?;
        piaojue_crypto::json::from_slice(&bytes).with_context(|| format!("decoding GET {path}"))
    }

    /// `POST path` with a JSON body, the answer decoded as `T`.
    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let bytes = self.run("POST", path, Some(serde_json::to_vec(body)?))?;
        piaojue_crypto::json::from_slice(&bytes).with_context(|| format!("decoding POST {path}"))
    }

    /// `PUT path` with a JSON body, the answer decoded as `T` (an empty answer is `null`).
    pub fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let bytes = self.run("PUT", path, Some(serde_json::to_vec(body)?))?;
        let bytes = if bytes.is_empty() {
            b"null".to_vec()
        } else {
            bytes
        };
        piaojue_crypto::json::from_slice(&bytes).with_context(|| format!("decoding PUT {path}"))
    }

    /// `POST path` with raw bytes of a content type (a file), the answer decoded as `T`.
    pub fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> anyhow::Result<T> {
        let bytes = self.run_typed("POST", path, Some(bytes), content_type)?;
        piaojue_crypto::json::from_slice(&bytes).with_context(|| format!("decoding POST {path}"))
    }

    /// `POST path` without a body.
    pub fn post_empty<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let bytes = self.run("POST", path, Some(Vec::new()))?;
        piaojue_crypto::json::from_slice(&bytes).with_context(|| format!("decoding POST {path}"))
    }
}

/// The election context fetched from the server and believed as served: manifest,
/// fingerprint and joint key. For the simulations that play every role themselves (`bench`,
/// `year`); a deputy's tool uses [`pinned_election`], which believes nothing it serves.
/// A manifest as staff send it to `POST /api/elections` (`spec/api.md` §3): without `board` and
/// `witnesses`, which the server writes (its own board and witnesses).
pub fn manifest_draft(manifest: &piaojue_crypto::manifest::Manifest) -> serde_json::Value {
    let mut v = serde_json::to_value(manifest).expect("manifests serialize");
    if let Some(o) = v.as_object_mut() {
        o.remove("board");
        o.remove("witnesses");
    }
    v
}

pub fn election_context(
    client: &Client,
    election: &str,
) -> anyhow::Result<piaojue_crypto::ballot::ElectionContext> {
    let status: Value = client.get(&format!("/api/elections/{election}"))?;
    let manifest = piaojue_crypto::json::from_value(status["manifest"].clone())
        .context("the election's manifest")?;
    let fingerprint = piaojue_crypto::json::from_value(status["fingerprint"].clone())
        .context("the election has no fingerprint yet: voting has not opened")?;
    let ceremony: Value = client.get(&format!("/api/elections/{election}/ceremony"))?;
    let key = piaojue_crypto::json::from_value(ceremony["output"]["joint_key"].clone())
        .context("the election key")?;
    Ok(piaojue_crypto::ballot::ElectionContext::new(
        manifest,
        fingerprint,
        key,
    )?)
}

/// What the server serves about an election's set-up: manifest, key-ceremony transcript and
/// stated output, credential list. Believed in nothing: see [`pinned_election`].
pub fn served_election(client: &Client, election: &str) -> anyhow::Result<ServedElection> {
    let status: Value = client.get(&format!("/api/elections/{election}"))?;
    let ceremony: Value = client.get(&format!("/api/elections/{election}/ceremony"))?;
    let keys: Value = client.get(&format!("/api/elections/{election}/credentials"))?;
    Ok(ServedElection {
        manifest: piaojue_crypto::json::from_value(status["manifest"].clone())
            .context("the election's manifest")?,
        transcript: piaojue_crypto::json::from_value(ceremony["transcript"].clone())
            .context("the key ceremony's transcript")?,
        output: piaojue_crypto::json::from_value(ceremony["output"].clone())
            .context("the key ceremony's output")?,
        credentials: piaojue_crypto::json::from_value(keys["keys"].clone())
            .context("the credential list")?,
    })
}

/// The election a deputy's tool may encrypt to: what the server serves
/// ([`served_election`]) verified against the pin the deputy holds
/// (`piaojue_crypto::pin::verify_served`, `spec/protocol.md` §6.6), and, when given, with the
/// deputy's own credential on the list. The ballot is built from the fingerprint and joint key
/// computed here, never from those the server states.
pub fn pinned_election(
    client: &Client,
    election: &str,
    pin: &Pin,
    credential: Option<&CredentialKey>,
) -> anyhow::Result<VerifiedElection> {
    let served = served_election(client, election)?;
    verify_served(served, pin, credential).map_err(|e| {
        anyhow::anyhow!(
            "已拒绝投票，选票未加密、未发送：{}。请告知监票人。\n\
             refused to vote, nothing was encrypted or sent: {e}. Tell the scrutineers.",
            what_did_not_match(&e)
        )
    })
}

/// The set-up the server serves, verified without a pin: for the registrar's sheets.
pub fn verified_setup(client: &Client, election: &str) -> anyhow::Result<VerifiedElection> {
    let served = served_election(client, election)?;
    verify_setup(served).map_err(|e| {
        anyhow::anyhow!(
            "服务器提供的选举设置未通过验证：{}\n the server's election does not verify: {e}",
            what_did_not_match(&e)
        )
    })
}

/// Teller `j`, as chief scrutineer, signs and posts that all `deputies` … `signed_in` deputies
/// signed in (`spec/protocol.md` §7.6), over the fingerprint of the verified served set-up. For
/// the simulations that play every role (`year`, `bench`); a real teller runs
/// `piaojue teller attendance`, which also checks the set-up against its key file.
pub fn post_attendance(
    client: &Client,
    election: &str,
    j: u32,
    signing: &ed25519_dalek::SigningKey,
    signed_in: u32,
) -> anyhow::Result<()> {
    let setup = verified_setup(client, election)?;
    let statement = piaojue_crypto::attendance::Attendance::sign(
        setup.data.fingerprint.0,
        j,
        signed_in,
        signing,
    );
    let _: Value = client.post(&format!("/api/elections/{election}/attendance"), &statement)?;
    Ok(())
}

/// What did not match, in Chinese, for a person.
pub fn what_did_not_match(e: &PinError) -> String {
    match e {
        PinError::Manifest(_) => "服务器提供的选举设置无效".to_string(),
        PinError::Ceremony(_) => "服务器提供的密钥生成仪式记录未通过验证".to_string(),
        PinError::JointKey => "服务器提供的选举公钥与密钥生成仪式得出的公钥不一致".to_string(),
        PinError::Fingerprint {
            pinned,
            computed_short,
            ..
        } => format!(
            "服务器提供的选举指纹（{computed_short}）与您核对的指纹（{}）不一致",
            pinned.short()
        ),
        PinError::NotOnList => "您的凭证不在本次选举的凭证名单上".to_string(),
    }
}
