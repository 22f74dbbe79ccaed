//! `piaojue admin`: staff actions against the server, for staff without a browser.
//!
//! The staff token comes from `--token-file`, else the variable `PIAOJUE_STAFF_TOKEN`, else
//! the file `piaojue-data/staff-token` that `piaojue serve` wrote on its first start.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use piaojue_crypto::credential::Credential;
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::Manifest;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::client::{Client, verified_setup};
use super::keystore::write_atomic;
use super::sheets;

/// The variable that may hold the staff token.
pub const TOKEN_VAR: &str = "PIAOJUE_STAFF_TOKEN";

/// The token file `piaojue serve` writes by default.
pub const DEFAULT_TOKEN_FILE: &str = "piaojue-data/staff-token";

/// Options of `piaojue admin`.
#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    /// 服务器 / The server.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// 工作人员令牌文件 / File with the staff token [default: the variable
    /// PIAOJUE_STAFF_TOKEN, else piaojue-data/staff-token].
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub action: AdminAction,
}

/// Staff actions.
#[derive(clap::Subcommand, Debug)]
pub enum AdminAction {
    /// 状态 / Shows an election's state and turnout (never who chose what).
    Status {
        /// Election id.
        election: String,
    },
    /// 创建选举 / Creates an election from its manifest (JSON, `spec/record.md` §3).
    Create {
        /// The manifest file.
        manifest: PathBuf,
        /// 重新投票所接续的选举 / The election this one re-votes (after a tie).
        #[arg(long)]
        parent: Option<String>,
    },
    /// 登记监票人 / Registers the tellers' public signing keys (base64url, teller 1 first), as
    /// printed by `piaojue teller keygen`; the key ceremony starts.
    Tellers {
        /// Election id.
        election: String,
        /// The n public keys, in teller order. A base64url key may begin with `-`: it is
        /// taken as a key, not as an option.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        keys: Vec<String>,
    },
    /// 生成凭证 / Makes deputy credentials on this machine, registers their public keys, and
    /// writes credentials.txt (secret, mode 0600) into the folder; once the list holds one
    /// credential per deputy of the congress (the manifest's `deputies`), also sheets.html (one
    /// printable page per deputy, with a QR code and the election fingerprint).
    Credentials {
        /// Election id.
        election: String,
        /// How many [default: as many as the list lacks to have one per deputy].
        #[arg(long)]
        count: Option<usize>,
        /// The folder for credentials.txt and sheets.html (existing files are never replaced).
        #[arg(long)]
        out: PathBuf,
        /// 选民访问的服务器地址 / The server's address as deputies reach it, for the QR codes
        /// [default: --url].
        #[arg(long)]
        public_url: Option<String>,
        /// Public keys per request.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// 打印凭证单 / Makes sheets.html for the credentials of a credentials.txt, once the list
    /// is complete (when they were registered in several runs).
    Sheets {
        /// Election id.
        election: String,
        /// The credentials.txt whose sheets to make.
        #[arg(long)]
        credentials: PathBuf,
        /// The sheets file to write (never replaced).
        #[arg(long)]
        out: PathBuf,
        /// 选民访问的服务器地址 / The server's address as deputies reach it [default: --url].
        #[arg(long)]
        public_url: Option<String>,
    },
    /// 签到名册 / Replaces the attendance roll with the names in a file (one per line).
    Roll {
        /// Election id.
        election: String,
        /// The names, one per line (blank lines skipped).
        names: PathBuf,
    },
    /// 开始投票 / Opens voting (freezes the credential list).
    Open {
        /// Election id.
        election: String,
    },
    /// 结束投票 / Closes voting and posts the encrypted tally.
    Close {
        /// Election id.
        election: String,
    },
    /// 公布结果 / Publishes the result.
    Publish {
        /// Election id.
        election: String,
    },
}

/// The staff token: `--token-file`, else the variable, else the default file.
pub fn token(file: Option<&Path>) -> anyhow::Result<String> {
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .with_context(|| format!("reading the staff token {}", p.display()))
    };
    match file {
        Some(p) => read(p),
        None => match std::env::var(TOKEN_VAR) {
            Ok(t) if !t.trim().is_empty() => Ok(t),
            _ => read(Path::new(DEFAULT_TOKEN_FILE)),
        },
    }
}

fn entry(answer: &Value) -> String {
    answer["index"].to_string()
}

/// Runs a staff action.
pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.url, Some(token(args.token_file.as_deref())?));
    let election = match args.action {
        AdminAction::Status { election } => election,
        AdminAction::Create { manifest, parent } => {
            let text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            // The file is a manifest without `board` and `witnesses` (the server writes its
            // own; spec/api.md §3), or with the server's: the server decodes and checks it.
            let m: Value = piaojue_crypto::json::from_str(&text)
                .with_context(|| format!("{} is not JSON", manifest.display()))?;
            let id = m["election_id"]
                .as_str()
                .with_context(|| format!("{} has no election_id", manifest.display()))?
                .to_string();
            let path = match &parent {
                Some(p) => format!("/api/elections?parent={p}"),
                None => "/api/elections".to_string(),
            };
            let answer: Value = client.post(&path, &m)?;
            println!("已创建 / created {}: board entry {}", id, entry(&answer));
            id
        }
        AdminAction::Tellers { election, keys } => {
            let keys: Vec<Bytes<32>> = keys
                .iter()
                .map(|k| Bytes::<32>::from_base64(k.trim()))
                .collect::<Result<_, _>>()
                .context("a teller key is not the 43 base64url characters of 32 bytes")?;
            let answer: Value = client.post(
                &format!("/api/elections/{election}/tellers"),
                &json!({ "signing_keys": keys }),
            )?;
            println!(
                "已登记 {} 名监票人 / {} tellers registered: board entry {}",
                keys.len(),
                keys.len(),
                entry(&answer)
            );
            election
        }
        AdminAction::Credentials {
            election,
            count,
            out,
            public_url,
            batch,
        } => {
            credentials(
                &client,
                &election,
                count,
                &out,
                public_url.as_deref().unwrap_or(&args.url),
                batch,
            )?;
            election
        }
        AdminAction::Sheets {
            election,
            credentials,
            out,
            public_url,
        } => {
            let text = Zeroizing::new(
                std::fs::read_to_string(&credentials)
                    .with_context(|| format!("reading {}", credentials.display()))?,
            );
            let fresh = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| Credential::from_hex(l.trim()))
                .collect::<Result<Vec<_>, _>>()
                .context("the credentials file")?;
            ensure!(
                !out.exists(),
                "{} exists already: refusing to replace it",
                out.display()
            );
            make_sheets(
                &client,
                &election,
                &fresh,
                &out,
                public_url.as_deref().unwrap_or(&args.url),
            )?
            .context("the credential list is not complete yet: no sheets made")?;
            election
        }
        AdminAction::Roll { election, names } => {
            let text = std::fs::read_to_string(&names)
                .with_context(|| format!("reading {}", names.display()))?;
            let names: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            client.put::<_, Value>(
                &format!("/api/elections/{election}/roll"),
                &json!({ "names": names }),
            )?;
            println!("名册 / roll: {} names", names.len());
            election
        }
        AdminAction::Open { election } => lifecycle(&client, election, "open")?,
        AdminAction::Close { election } => lifecycle(&client, election, "close")?,
        AdminAction::Publish { election } => lifecycle(&client, election, "publish")?,
    };
    let s: Value = client.get(&format!("/api/elections/{election}"))?;
    println!(
        "{} — {}: {} of {} credentials have voted ({} ballots, {} audited); {} board entries",
        s["election_id"].as_str().unwrap_or(""),
        s["state"].as_str().unwrap_or(""),
        s["voted"],
        s["credentials"],
        s["ballots"],
        s["audited"],
        s["log_size"]
    );
    Ok(())
}

/// `open`, `close` or `publish`.
fn lifecycle(client: &Client, election: String, verb: &str) -> anyhow::Result<String> {
    let answer: Value = client.post_empty(&format!("/api/elections/{election}/{verb}"))?;
    println!("{verb}: board entry {}", entry(&answer));
    Ok(election)
}

/// The public keys in the order they are sent: shuffled (CSPRNG), so that the order of the keys
/// in the request bodies, which an operator may log, does not follow the sheets' serial numbers
/// (the order of `fresh`).
fn sending_order<R: rand::Rng + ?Sized>(
    fresh: &[Credential],
    rng: &mut R,
) -> Vec<piaojue_crypto::credential::CredentialKey> {
    use rand::seq::SliceRandom;
    let mut keys: Vec<_> = fresh.iter().map(Credential::public).collect();
    keys.shuffle(rng);
    keys
}

/// `admin credentials`: makes the credentials, writes them (before anything is sent, so that
/// none is lost), registers the public keys, then makes the sheets: only now is the election's
/// fingerprint known, computed here from the verified key ceremony and the credential list the
/// server holds (`spec/protocol.md` §6.6), with every key just made on it.
fn credentials(
    client: &Client,
    election: &str,
    count: Option<usize>,
    out: &Path,
    public_url: &str,
    batch: usize,
) -> anyhow::Result<()> {
    ensure!(batch > 0, "--batch must be at least 1");
    let status: Value = client.get(&format!("/api/elections/{election}"))?;
    let manifest: Manifest = piaojue_crypto::json::from_value(status["manifest"].clone())
        .context("the election's manifest")?;
    let registered = status["credentials"].as_u64().unwrap_or_default() as usize;
    let missing = (manifest.deputies as usize).saturating_sub(registered);
    let count = count.unwrap_or(missing);
    ensure!(
        count > 0,
        "凭证名单已完整（{registered} / {}）/ the credential list is complete already ({registered} of {} deputies)",
        manifest.deputies,
        manifest.deputies
    );
    ensure!(
        count <= missing,
        "应到代表 {} 人，已登记 {registered} 张凭证：最多还能生成 {missing} 张 / the congress has {} deputies and {registered} credentials are registered: at most {missing} more",
        manifest.deputies,
        manifest.deputies
    );
    let state = status["state"].as_str().unwrap_or_default();
    ensure!(
        state == "registration",
        "选举处于“{state}”状态：凭证须在密钥生成仪式完成之后、开始投票之前生成（凭证单上要印选举指纹）/ \
         the election is {state:?}: credentials are made after the key ceremony and before voting opens \
         (the sheets carry the election's fingerprint)"
    );
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let (txt, html) = (out.join("credentials.txt"), out.join("sheets.html"));
    for p in [&txt, &html] {
        if p.exists() {
            bail!(
                "{} exists already: refusing to replace issued credentials",
                p.display()
            );
        }
    }
    let mut rng = rand::rng();
    let fresh: Vec<Credential> = (0..count).map(|_| Credential::generate(&mut rng)).collect();
    let mut lines = Zeroizing::new(String::with_capacity(65 * count));
    for c in &fresh {
        lines.push_str(&hex::encode(*c.seed()));
        lines.push('\n');
    }
    write_atomic(&txt, lines.as_bytes())?;
    let mut done = 0;
    for keys in sending_order(&fresh, &mut rng).chunks(batch) {
        client
            .post::<_, Value>(
                &format!("/api/elections/{election}/credentials"),
                &json!({ "keys": keys }),
            )
            .with_context(|| {
                format!(
                    "registering credentials {}–{} ({done} registered before; the files hold all {count})",
                    done + 1,
                    done + keys.len()
                )
            })?;
        done += keys.len();
    }
    println!(
        "已生成并登记 {count} 个凭证 / {count} credentials made and registered: {} (secret, 0600)",
        txt.display()
    );
    if make_sheets(client, election, &fresh, &html, public_url)?.is_none() {
        println!(
            "凭证名单尚未完整（应到代表 {} 人），暂不生成凭证单；名单完整后运行 `piaojue admin sheets {election} --credentials {} --out …` / \
             the credential list is not complete yet ({} deputies): no sheets made; once it is, run `piaojue admin sheets {election} --credentials {} --out …`",
            manifest.deputies,
            txt.display(),
            manifest.deputies,
            txt.display()
        );
    }
    Ok(())
}

/// Makes the sheets of `fresh` into `html` if the served credential list is complete (the
/// manifest's `deputies` keys, `spec/protocol.md` §6.6, §7.6): only then is the election's
/// fingerprint final, computed here from the verified key ceremony and the served list, with
/// every key of `fresh` on it. `None` if the list is not complete yet.
fn make_sheets(
    client: &Client,
    election: &str,
    fresh: &[Credential],
    html: &Path,
    public_url: &str,
) -> anyhow::Result<Option<()>> {
    let setup = verified_setup(client, election)?;
    let data = &setup.data;
    if data.credentials.len() != data.manifest.deputies as usize {
        return Ok(None);
    }
    ensure!(
        fresh.iter().all(|c| data.credentials.contains(&c.public())),
        "服务器的凭证名单缺少本机生成的凭证，未生成凭证单 / the server's credential list lacks credentials \
         made here: no sheets made"
    );
    let page = sheets::render(&data.manifest, public_url, fresh, &data.fingerprint);
    write_atomic(html, page.as_bytes())?;
    println!(
        "凭证单 / sheets: {} ({} printable pages)",
        html.display(),
        fresh.len()
    );
    println!(
        "选举指纹 / election fingerprint: {} (printed on the sheets; show it on the hall screen)",
        setup.short()
    );
    Ok(Some(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sent_in_an_order_unrelated_to_the_serial_numbers() {
        let mut rng = rand::rng();
        let fresh: Vec<Credential> = (0..40).map(|_| Credential::generate(&mut rng)).collect();
        let serial_order: Vec<_> = fresh.iter().map(Credential::public).collect();
        let sent = sending_order(&fresh, &mut rng);
        let mut a = sent.clone();
        let mut b = serial_order.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "every key is sent, once");
        // Shuffled: 40 keys in serial order by chance has probability 1/40!.
        assert_ne!(sent, serial_order);
        assert_ne!(sending_order(&fresh, &mut rng), sent);
    }

    /// A teller key whose base64url begins with `-` (one in 64 keys) is a key, not an option.
    #[test]
    fn teller_keys_may_begin_with_a_hyphen() {
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            admin: AdminArgs,
        }
        let key = "-UUewOjiJkveYJFaeIGtC2IZ0KsA38Ufb-nu6p0ku_E";
        let other = "JqlZFjs-_yICgWOgmLMWiwHt7f2a8nqHnjrF0JHnzNo";
        let t = <T as clap::Parser>::try_parse_from(["t", "tellers", "e1", other, key]).unwrap();
        match t.admin.action {
            AdminAction::Tellers { election, keys } => {
                assert_eq!(election, "e1");
                assert_eq!(keys, [other, key]);
            }
            other => panic!("{other:?}"),
        }
    }
}
