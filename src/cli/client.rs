//! A small blocking JSON client of the ballot server's API, for the command-line tools.

use std::time::Duration;

use anyhow::{Context, bail};
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
            let msg = serde_json::from_slice::<Value>(&bytes)
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
        serde_json::from_slice(&bytes).with_context(|| format!("decoding GET {path}"))
    }

    /// `POST path` with a JSON body, the answer decoded as `T`.
    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let bytes = self.run("POST", path, Some(serde_json::to_vec(body)?))?;
        serde_json::from_slice(&bytes).with_context(|| format!("decoding POST {path}"))
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
        serde_json::from_slice(&bytes).with_context(|| format!("decoding PUT {path}"))
    }

    /// `POST path` with raw bytes of a content type (a file), the answer decoded as `T`.
    pub fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> anyhow::Result<T> {
        let bytes = self.run_typed("POST", path, Some(bytes), content_type)?;
        serde_json::from_slice(&bytes).with_context(|| format!("decoding POST {path}"))
    }

    /// `POST path` without a body.
    pub fn post_empty<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let bytes = self.run("POST", path, Some(Vec::new()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("decoding POST {path}"))
    }
}

/// The election context a voter's device needs, fetched from the server: manifest,
/// fingerprint and joint key.
pub fn election_context(
    client: &Client,
    election: &str,
) -> anyhow::Result<piaojue_crypto::ballot::ElectionContext> {
    let status: Value = client.get(&format!("/api/elections/{election}"))?;
    let manifest =
        serde_json::from_value(status["manifest"].clone()).context("the election's manifest")?;
    let fingerprint = serde_json::from_value(status["fingerprint"].clone())
        .context("the election has no fingerprint yet: voting has not opened")?;
    let ceremony: Value = client.get(&format!("/api/elections/{election}/ceremony"))?;
    let key = serde_json::from_value(ceremony["output"]["joint_key"].clone())
        .context("the election key")?;
    Ok(piaojue_crypto::ballot::ElectionContext::new(
        manifest,
        fingerprint,
        key,
    )?)
}
