//! `piaojue vote`: a deputy's ballot from the command line (hall terminals, tests). The ballot
//! is built and encrypted here; the server receives only ciphertexts and proofs.

use std::path::PathBuf;

use anyhow::Context;
use piaojue_crypto::ballot::{AuditedBallot, Ballot, Selection};
use piaojue_crypto::board::Receipt;
use piaojue_crypto::credential::Credential;

use piaojue_crypto::pin::Pin;
use piaojue_crypto::tracking::ShortTrackingCode;

use super::client::{Client, pinned_election};

/// Options of `piaojue vote`.
#[derive(clap::Args, Debug)]
pub struct VoteArgs {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The election id.
    #[arg(long)]
    pub election: String,
    /// File holding the credential (64 hex digits, as on the credential sheet).
    #[arg(long, conflicts_with = "credential")]
    pub credential_file: Option<PathBuf>,
    /// The credential itself (64 hex digits). Prefer --credential-file: arguments are visible
    /// to other users of the machine.
    #[arg(long)]
    pub credential: Option<String>,
    /// The choices, one list per contest separated by ';', option numbers from 1 separated by
    /// ',' (e.g. "1,3,5" or "1;2;1" for three yes/no/abstain contests). Empty chooses nothing.
    #[arg(long, allow_hyphen_values = true)]
    pub choose: String,
    /// Audit instead of casting: the ballot is opened, posted as spoiled and never counted.
    #[arg(long)]
    pub audit: bool,
    /// 选举指纹 / The election's fingerprint, as pinned out of band: the 20 digits printed on
    /// the credential sheet and shown on the hall screen, or the full 43 characters of the
    /// sheet's link. The election the server serves must have it, else nothing is encrypted.
    #[arg(long, allow_hyphen_values = true)]
    pub fingerprint: String,
    /// Where to save the receipt.
    #[arg(long, default_value = "receipt.json")]
    pub receipt: PathBuf,
}

/// Parses "1,3;2" into 0-based option indices per contest.
pub fn parse_choices(text: &str) -> anyhow::Result<Vec<Vec<usize>>> {
    text.split(';')
        .map(|contest| {
            contest
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let n: usize = s
                        .parse()
                        .with_context(|| format!("{s:?} is not an option number"))?;
                    anyhow::ensure!(n >= 1, "option numbers start at 1");
                    Ok(n - 1)
                })
                .collect()
        })
        .collect()
}

/// Builds, signs and sends the ballot; saves and prints the receipt.
pub fn run(args: VoteArgs) -> anyhow::Result<()> {
    let credential = match (&args.credential_file, &args.credential) {
        (Some(f), _) => {
            let text = zeroize::Zeroizing::new(
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
            );
            Credential::from_hex(&text)?
        }
        (None, Some(hex)) => Credential::from_hex(hex)?,
        (None, None) => anyhow::bail!("give --credential-file (or --credential)"),
    };
    let pin = Pin::parse(&args.fingerprint).map_err(|e| {
        anyhow::anyhow!("选举指纹格式不对：应为 20 位数字或 43 个字符 / --fingerprint: {e}")
    })?;
    let client = Client::new(&args.url, None);
    let election = pinned_election(&client, &args.election, &pin, Some(&credential.public()))?;
    eprintln!("选举指纹 / election fingerprint: {}", election.short());
    let ctx = election.context()?;
    let chosen = parse_choices(&args.choose)?;
    let selection = Selection::from_chosen(&ctx.manifest, &chosen)
        .context("this choice is not a valid ballot")?;
    let (ballot, secrets) = Ballot::build(&ctx, &credential, &selection, &mut rand::rng())?;
    let code = ballot.tracking_code();
    eprintln!(
        "跟踪码 / tracking code: {} (完整 / full: {code})",
        ShortTrackingCode::of(&code)
    );
    let receipt: Receipt = if args.audit {
        let audited = AuditedBallot {
            ballot,
            opening: secrets.open(),
        };
        client.post(
            &format!("/api/elections/{}/audited", args.election),
            &audited,
        )?
    } else {
        drop(secrets);
        client.post(
            &format!("/api/elections/{}/ballots", args.election),
            &ballot,
        )?
    };
    // The server has taken the ballot: the receipt is saved before anything else can fail,
    // then checked.
    std::fs::write(&args.receipt, serde_json::to_vec_pretty(&receipt)?)
        .with_context(|| format!("saving the receipt to {}", args.receipt.display()))?;
    // The board key is the manifest's, which the pinned fingerprint covers: nothing the server
    // says about its keys (`GET /api/board-key`) is believed here.
    let board_key = &ctx.manifest.board.key;
    let check_later = format!(
        "回执已保存到 {path}。请稍后核对：piaojue receipt check {path} --url {url} --board-key {key}\n\
         The receipt is saved to {path}. Check it later: piaojue receipt check {path} --url {url} --board-key {key}",
        path = args.receipt.display(),
        url = args.url,
        key = board_key.to_base64(),
    );
    anyhow::ensure!(
        receipt.election_id == args.election,
        "回执属于另一场选举（{other}），请保留回执并告知组织者 / the receipt is for another election ({other}); keep it and tell the organisers\n{check_later}",
        other = receipt.election_id,
    );
    receipt.verify(board_key).map_err(|e| {
        anyhow::anyhow!(
            "服务器的回执未通过核验（公告板公钥取自已核对指纹的选举清单），请保留回执并告知组织者：{e}\n\
             The server's receipt does not verify under the board key of the election's manifest, which the fingerprint covers; keep it and tell the organisers: {e}\n{check_later}"
        )
    })?;
    anyhow::ensure!(
        receipt.tracking_code == code,
        "回执属于另一张选票，请保留回执并告知组织者 / the receipt is for another ballot; keep it and tell the organisers\n{check_later}"
    );
    println!(
        "{} entry {} of the board; receipt saved to {}",
        if args.audit {
            "已核验（作废）/ audited:"
        } else {
            "已投出 / cast:"
        },
        receipt.index,
        args.receipt.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full fingerprint whose base64url begins with `-` (one in 64) is a value, not an option.
    #[test]
    fn a_fingerprint_may_begin_with_a_hyphen() {
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            vote: VoteArgs,
        }
        let f = "-UUewOjiJkveYJFaeIGtC2IZ0KsA38Ufb-nu6p0ku_E";
        let t = <T as clap::Parser>::try_parse_from([
            "t",
            "--election",
            "e1",
            "--credential-file",
            "c.txt",
            "--choose",
            "1",
            "--fingerprint",
            f,
        ])
        .unwrap();
        assert_eq!(t.vote.fingerprint, f);
    }

    #[test]
    fn choices() {
        assert_eq!(parse_choices("1,3,5").unwrap(), vec![vec![0, 2, 4]]);
        assert_eq!(
            parse_choices("1;2;3").unwrap(),
            vec![vec![0], vec![1], vec![2]]
        );
        assert_eq!(parse_choices("").unwrap(), vec![Vec::<usize>::new()]);
        assert!(parse_choices("0").is_err());
        assert!(parse_choices("a").is_err());
    }
}
