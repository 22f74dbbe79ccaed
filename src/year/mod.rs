//! The demo year (`piaojue year`): one county and its townships carried through the whole
//! cycle of `../shared/domain.md` against a running server, over its HTTP API only — the
//! congresses and their deputy codes, proposals from residents, deputies, departments and
//! organisations, screening (merges, rejections, the negative list, the reserve), candidate
//! projects, the approval of each candidate list, the county vote and every township vote
//! (with a re-vote where projects tie at the boundary), implementation plans, progress updates
//! with photos and deputies' inspection notes, the evaluation votes and the county's rating
//! of departments; and the independent verifier over every election record of the year.
//!
//! This process plays everybody who is not the server: staff (with the staff token), the
//! public, the tellers (their keys stay in this process) and the deputies (credentials made
//! here; ballots built and encrypted here, in parallel). The same code runs in
//! `tests/year_e2e.rs`.

pub mod data;
pub mod photo;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chacha20::ChaCha20Rng;
use ed25519_dalek::SigningKey;
use piaojue_crypto::ballot::{Ballot, ElectionContext, Selection};
use piaojue_crypto::board::SignedTreeHead;
use piaojue_crypto::credential::Credential;
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::dkg::dealer::CeremonyTranscript;
use piaojue_crypto::dkg::party::Teller;
use piaojue_crypto::dkg::{CeremonyOutput, TellerKey};
use piaojue_crypto::encoding::{Bytes, Digest32};
use piaojue_crypto::manifest::{DecisionRule, Manifest};
use piaojue_crypto::record::{ElectionRecord, ceremony_params};
use piaojue_crypto::rules::Outcome;
use piaojue_crypto::tally::EncryptedTally;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::cli::client::{Client, post_attendance};
use data::t;

/// What to run.
#[derive(Debug, Clone)]
pub struct YearConfig {
    /// The year of the votes.
    pub year: i64,
    /// Township congresses (at most 20).
    pub townships: usize,
    /// Proposals submitted, over all congresses.
    pub proposals: usize,
    /// Deputies of the county congress.
    pub county_deputies: u32,
    /// Deputies of the townships: spread over this range.
    pub township_deputies: (u32, u32),
    /// Percent of the deputies who vote (above the quorum of 2/3).
    pub turnout_percent: u32,
    /// Run the votes (else stop after the approvals, elections in draft).
    pub votes: bool,
    /// Run the evaluation votes and the department rating.
    pub evaluation: bool,
    /// Verify every election record at the end.
    pub verify: bool,
    /// Seed of every choice (not of the cryptography's randomness).
    pub seed: u64,
    /// One township's votes tie at the boundary on purpose, so that a re-vote runs.
    pub forced_tie: bool,
}

impl Default for YearConfig {
    fn default() -> Self {
        YearConfig {
            year: 2027,
            townships: 15,
            proposals: 200,
            county_deputies: 280,
            township_deputies: (45, 120),
            turnout_percent: 85,
            votes: true,
            evaluation: true,
            verify: true,
            seed: 2027,
            forced_tie: true,
        }
    }
}

/// What the year gave.
#[derive(Debug, Default)]
pub struct YearReport {
    /// Congress ids, the county first.
    pub congresses: Vec<String>,
    /// Deputy codes per congress (deputy number, code): secret, for the demo.
    pub deputy_codes: HashMap<String, Vec<(u32, String)>>,
    /// Every proposal's tracking number, with its congress.
    pub proposals: Vec<(String, String)>,
    /// Every election of the year, in the order they were made.
    pub elections: Vec<String>,
    /// The re-votes made after a tie: (parent, child).
    pub revotes: Vec<(String, String)>,
    /// Adopted projects (candidate ids).
    pub adopted: Vec<String>,
    /// Adopted projects left unfinished past their completion month (overdue).
    pub overdue: Vec<String>,
    /// Ballots cast, over all elections.
    pub ballots: usize,
    /// Elections whose record the verifier passed.
    pub verified: Vec<String>,
    /// How long each phase took.
    pub timings: Vec<(String, Duration)>,
}

/// One vote as this process knows it: the manifest and the secrets of its tellers.
struct Vote {
    id: String,
    manifest: Manifest,
    signing: Vec<SigningKey>,
    tellers: Vec<TellerKey>,
}

fn rng(seed: u64, stream: u64) -> ChaCha20Rng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    s[8..16].copy_from_slice(&stream.to_le_bytes());
    ChaCha20Rng::from_seed(s)
}

fn path(id: &str, rest: &str) -> String {
    format!("/api/elections/{id}{rest}")
}

/// The server's API, as staff and as the public.
pub struct Api {
    /// With the staff token.
    pub staff: Client,
    /// Without.
    pub public: Client,
}

impl Vote {
    fn load(api: &Api, id: &str) -> anyhow::Result<Self> {
        let status: Value = api.public.get(&path(id, ""))?;
        Ok(Vote {
            id: id.to_string(),
            manifest: piaojue_crypto::json::from_value(status["manifest"].clone())?,
            signing: Vec::new(),
            tellers: Vec::new(),
        })
    }

    fn ceremony_view(
        &self,
        api: &Api,
    ) -> anyhow::Result<(CeremonyTranscript, Option<CeremonyOutput>)> {
        let v: Value = api.public.get(&path(&self.id, "/ceremony"))?;
        Ok((
            piaojue_crypto::json::from_value(v["transcript"].clone())?,
            piaojue_crypto::json::from_value(v["output"].clone())?,
        ))
    }

    /// The tellers: their signing keys registered by staff, then the four rounds of the key
    /// ceremony, every teller reading the board between rounds.
    fn ceremony(&mut self, api: &Api, rng: &mut ChaCha20Rng) -> anyhow::Result<()> {
        self.signing = (0..self.manifest.tellers.n)
            .map(|_| SigningKey::generate(rng))
            .collect();
        let keys: Vec<Bytes<32>> = self
            .signing
            .iter()
            .map(|k| Bytes(k.verifying_key().to_bytes()))
            .collect();
        let _: Value = api.staff.post(
            &path(&self.id, "/tellers"),
            &json!({ "signing_keys": keys }),
        )?;
        let params = ceremony_params(&self.manifest);
        let post = |round: &str, m: Value| -> anyhow::Result<()> {
            let _: Value = api.public.post(
                &path(&self.id, "/ceremony"),
                &json!({ "round": round, "message": m }),
            )?;
            Ok(())
        };
        let mut s0 = Vec::new();
        for (i, k) in self.signing.iter().enumerate() {
            let (s, a) = Teller::new(params, i as u32 + 1, k.clone(), rng)?;
            post("announcement", serde_json::to_value(&a)?)?;
            s0.push(s);
        }
        let (t, _) = self.ceremony_view(api)?;
        let mut s1 = Vec::new();
        for s in s0 {
            let (s, m) = s.commit(&t.announcements, rng)?;
            post("commitment", serde_json::to_value(&m)?)?;
            s1.push(s);
        }
        let (t, _) = self.ceremony_view(api)?;
        let mut s2 = Vec::new();
        for s in s1 {
            let (s, m) = s.reveal(&t.commitments)?;
            post("reveal", serde_json::to_value(&m)?)?;
            s2.push(s);
        }
        let (t, _) = self.ceremony_view(api)?;
        let mut s3 = Vec::new();
        for s in s2 {
            let (s, m) = s.check_shares(&t.reveals, rng)?;
            post("share_check", serde_json::to_value(&m)?)?;
            s3.push(s);
        }
        let (t, output) = self.ceremony_view(api)?;
        let output = output.context("the ceremony has no output")?;
        self.tellers = s3
            .into_iter()
            .map(|s| s.finish(&t.checks))
            .collect::<Result<_, _>>()?;
        for k in &self.tellers {
            ensure!(
                k.output == output,
                "the server's ceremony output is not the tellers'"
            );
        }
        Ok(())
    }

    /// The registrar: one credential per deputy, public keys registered; the roll; open.
    fn register_and_open(
        &self,
        api: &Api,
        deputies: u32,
        rng: &mut ChaCha20Rng,
    ) -> anyhow::Result<Vec<Credential>> {
        let creds: Vec<Credential> = (0..deputies).map(|_| Credential::generate(rng)).collect();
        for chunk in creds.chunks(500) {
            let keys: Vec<_> = chunk.iter().map(Credential::public).collect();
            let _: Value = api
                .staff
                .post(&path(&self.id, "/credentials"), &json!({ "keys": keys }))?;
        }
        let names: Vec<String> = (1..=deputies).map(|i| format!("代表 {i:03}")).collect();
        let _: Value = api
            .staff
            .put(&path(&self.id, "/roll"), &json!({ "names": names }))?;
        // Teller 1, the chief scrutineer: every deputy signed in.
        post_attendance(&api.staff, &self.id, 1, &self.signing[0], deputies)?;
        let _: Value = api.staff.post_empty(&path(&self.id, "/open"))?;
        Ok(creds)
    }

    /// Deputies build their ballots (natively, in parallel) and cast them.
    fn cast(
        &self,
        api: &Api,
        creds: &[Credential],
        selections: Vec<Selection>,
    ) -> anyhow::Result<usize> {
        let ctx: ElectionContext = crate::cli::client::election_context(&api.public, &self.id)?;
        let n = selections.len();
        creds[..n]
            .par_iter()
            .zip(selections.into_par_iter())
            .try_for_each(|(c, s)| -> anyhow::Result<()> {
                let (b, _) = Ballot::build(&ctx, c, &s, &mut rand::rng())?;
                let _: Value = api.public.post(&path(&self.id, "/ballots"), &b)?;
                Ok(())
            })?;
        Ok(n)
    }

    /// Staff close; `t` tellers decrypt; the result.
    fn close_and_decrypt(&self, api: &Api, rng: &mut ChaCha20Rng) -> anyhow::Result<Outcome> {
        let _: Value = api.staff.post_empty(&path(&self.id, "/close"))?;
        let tally: EncryptedTally = api.public.get(&path(&self.id, "/tally"))?;
        let flat = tally.flatten();
        let status: Value = api.public.get(&path(&self.id, ""))?;
        let fingerprint: Digest32 =
            piaojue_crypto::json::from_value(status["fingerprint"].clone())?;
        let head: SignedTreeHead = api.public.get(&path(&self.id, "/board/head"))?;
        for j in 0..self.manifest.tellers.t as usize {
            let share = DecryptionShare::compute(
                fingerprint.0,
                &self.signing[j],
                &self.tellers[j],
                BoardHeadRef {
                    size: head.head.size,
                    root: head.head.root,
                },
                &flat,
                rng,
            );
            let _: Value = api
                .public
                .post(&path(&self.id, "/decryption-shares"), &share)?;
        }
        let result: Value = api.public.get(&path(&self.id, "/result"))?;
        Ok(piaojue_crypto::json::from_value(result["outcome"].clone())?)
    }

    fn publish(&self, api: &Api) -> anyhow::Result<()> {
        let _: Value = api.staff.post_empty(&path(&self.id, "/publish"))?;
        Ok(())
    }
}

/// How the deputies of a vote choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// At random, with preferences: per candidate the chance of a yes (selection votes) or
    /// of 满意 / 基本满意 / 不满意 (evaluations).
    Random,
    /// "Up to K of N" made to tie: the first K − 2 projects by everyone, then two of the next
    /// three in turn, so that those three tie for the last two seats.
    Tie,
    /// A re-vote settled: the first project by everyone, the second by two in three, the
    /// third by one in three.
    Settle,
}

fn selections(
    manifest: &Manifest,
    voters: usize,
    rng: &mut ChaCha20Rng,
    pattern: Pattern,
) -> anyhow::Result<Vec<Selection>> {
    let mut out = Vec::with_capacity(voters);
    for v in 0..voters {
        let chosen: Vec<Vec<usize>> = match &manifest.decision {
            DecisionRule::TopK { seats, .. } if pattern == Pattern::Tie => {
                let k = *seats as usize;
                let mut c: Vec<usize> = (0..k - 2).collect();
                let skip = v % 3;
                c.extend((0..3).filter(|&i| i != skip).map(|i| k - 2 + i));
                vec![c]
            }
            DecisionRule::TopK { seats, .. } if pattern == Pattern::Settle => {
                let n = manifest.contests[0].options.len();
                let mut c = vec![0];
                if *seats >= 2 && n >= 3 {
                    c.push(if v % 3 == 0 { 2 } else { 1 });
                }
                vec![c]
            }
            DecisionRule::ApproveEach { .. } if pattern == Pattern::Settle => {
                (0..manifest.contests.len())
                    .map(|j| vec![usize::from(!(j == 0 || (j == 1 && v % 3 != 0)))])
                    .collect()
            }
            DecisionRule::TopK { seats, .. } => {
                let n = manifest.contests[0].options.len();
                let mut c: Vec<usize> = (0..n)
                    .filter(|&j| rng.random_bool((0.97 - 0.025 * j as f64).clamp(0.05, 1.0)))
                    .collect();
                while c.len() > *seats as usize {
                    c.remove(rng.random_range(0..c.len()));
                }
                vec![c]
            }
            DecisionRule::ApproveEach { .. } => (0..manifest.contests.len())
                .map(|j| {
                    let yes = (0.97 - 0.025 * j as f64).clamp(0.05, 1.0);
                    let r: f64 = rng.random();
                    vec![if r < yes {
                        0
                    } else if r < yes + (1.0 - yes) * 0.7 {
                        1
                    } else {
                        2
                    }]
                })
                .collect(),
            DecisionRule::Rating { .. } => (0..manifest.contests.len())
                .map(|j| {
                    let r: f64 = rng.random();
                    let satisfied = 0.75 - 0.03 * (j % 7) as f64;
                    vec![if r < satisfied {
                        0
                    } else if r < satisfied + 0.18 {
                        1
                    } else if r < 0.98 {
                        2
                    } else {
                        3
                    }]
                })
                .collect(),
            DecisionRule::Counts {} => bail!("a counts-only vote is not part of the year"),
        };
        out.push(Selection::from_chosen(manifest, &chosen)?);
    }
    Ok(out)
}

/// Runs one vote from draft to published; answers its outcome and the ballots cast.
fn run_vote(
    api: &Api,
    id: &str,
    deputies: u32,
    turnout_percent: u32,
    seed: u64,
    pattern: Pattern,
) -> anyhow::Result<(Outcome, usize)> {
    let mut r = rng(seed, 1);
    let mut vote = Vote::load(api, id)?;
    vote.ceremony(api, &mut r)?;
    let creds = vote.register_and_open(api, deputies, &mut r)?;
    // The patterns need every deputy (a multiple of three of them) for their exact counts.
    let voters = match pattern {
        Pattern::Random => (deputies as usize * turnout_percent as usize).div_ceil(100),
        _ => deputies as usize - deputies as usize % 3,
    };
    let sel = selections(&vote.manifest, voters, &mut r, pattern)?;
    let cast = vote.cast(api, &creds, sel)?;
    let outcome = vote.close_and_decrypt(api, &mut r)?;
    vote.publish(api)?;
    Ok((outcome, cast))
}

struct CongressSpec {
    id: String,
    zh: String,
    en: String,
    county: bool,
    deputies: u32,
}

fn congresses(cfg: &YearConfig) -> anyhow::Result<Vec<CongressSpec>> {
    ensure!(
        cfg.townships <= data::TOWNSHIPS.len(),
        "at most {} townships",
        data::TOWNSHIPS.len()
    );
    let (lo, hi) = cfg.township_deputies;
    let mut v = vec![CongressSpec {
        id: data::COUNTY.0.into(),
        zh: data::COUNTY.1.into(),
        en: data::COUNTY.2.into(),
        county: true,
        deputies: cfg.county_deputies,
    }];
    for (i, (id, zh, en)) in data::TOWNSHIPS.iter().take(cfg.townships).enumerate() {
        let span = hi.saturating_sub(lo);
        let deputies = if cfg.townships > 1 {
            lo + (span * (i as u32 * 7 % cfg.townships as u32)) / (cfg.townships as u32 - 1)
        } else {
            lo
        };
        v.push(CongressSpec {
            id: (*id).into(),
            zh: format!("{zh}第十八届人民代表大会"),
            en: format!("{en} Township 18th People's Congress"),
            county: false,
            deputies,
        });
    }
    Ok(v)
}

/// The 10th of the month after `month` (`YYYY-MM`).
fn month_after(month: &str) -> anyhow::Result<String> {
    let (y, m) = month.split_once('-').context("a month YYYY-MM")?;
    let (y, m): (i64, u32) = (y.parse()?, m.parse()?);
    Ok(if m >= 12 {
        format!("{}-01-10", y + 1)
    } else {
        format!("{y}-{:02}-10", m + 1)
    })
}

/// The body that does a project of `theme` (or, without one, proposes in general) for the
/// congress `c`, named as it names itself: the county's 局 (县住建局), a township's 办, 站 or
/// 所 (东河镇村镇建设办), never a township "bureau".
fn office(c: &CongressSpec, theme: Option<&data::Theme>) -> piaojue_crypto::manifest::Text {
    if c.county {
        let (zh, en) = theme.map_or(("发改局", "Development and Reform Bureau"), |th| {
            (th.department, th.department_en)
        });
        t(format!("县{zh}"), en)
    } else {
        let (zh, en) = theme.map_or(("党政办", "Party and Government Office"), |th| {
            (th.township, th.township_en)
        });
        let town_zh = c.zh.split('第').next().unwrap_or_default();
        let town_en = c.en.split(" Township").next().unwrap_or_default();
        t(format!("{town_zh}{zh}"), format!("{town_en} {en}"))
    }
}

/// Runs the demo year against the server; `say` hears what is going on.
pub fn run(api: &Api, cfg: &YearConfig, say: &dyn Fn(&str)) -> anyhow::Result<YearReport> {
    let mut report = YearReport::default();
    let year = cfg.year;
    let mut clock = Instant::now();
    let mut lap = |report: &mut YearReport, name: &str| {
        report.timings.push((name.to_string(), clock.elapsed()));
        clock = Instant::now();
    };

    // 1. Congresses and their deputy codes.
    let specs = congresses(cfg)?;
    for c in &specs {
        let mut body = json!({
            "id": c.id, "name": { "zh": c.zh, "en": c.en },
            "level": if c.county { "county" } else { "township" },
            "deputies": c.deputies,
        });
        if !c.county {
            body["parent"] = json!(data::COUNTY.0);
        }
        let _: Value = api.staff.post("/api/cycle/congresses", &body)?;
        let codes: Value = api.staff.post(
            &format!("/api/cycle/congresses/{}/deputy-codes", c.id),
            &json!({ "count": c.deputies }),
        )?;
        let codes = codes["codes"]
            .as_array()
            .context("codes")?
            .iter()
            .map(|x| {
                Ok((
                    x["deputy"].as_u64().context("deputy")? as u32,
                    x["code"].as_str().context("code")?.to_string(),
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        report.deputy_codes.insert(c.id.clone(), codes);
        report.congresses.push(c.id.clone());
    }
    say(&format!("{} congresses, deputy codes issued", specs.len()));
    lap(&mut report, "congresses");

    // 2. Proposals: the county gets about a quarter, the townships share the rest.
    let county_share = if specs.len() > 1 {
        cfg.proposals / 4
    } else {
        cfg.proposals
    };
    let mut shares = vec![county_share];
    let rest = cfg.proposals - county_share;
    for i in 0..specs.len() - 1 {
        shares.push(rest / (specs.len() - 1) + usize::from(i < rest % (specs.len() - 1)));
    }
    struct Submitted {
        number: String,
        theme: Option<usize>,
        role: &'static str,
        item: Option<&'static str>,
        reason: Option<&'static str>,
    }
    let mut submitted: Vec<Vec<Submitted>> = Vec::new();
    let mut r = rng(cfg.seed, 0);
    for (ci, (c, &n)) in specs.iter().zip(&shares).enumerate() {
        let place = |k: usize| {
            let town = if c.county {
                "县城".to_string()
            } else {
                c.zh.split('第').next().unwrap_or("").to_string()
            };
            format!("{town}{}", data::PLACES[(ci + k) % data::PLACES.len()])
        };
        let mut list = Vec::new();
        for k in 0..n {
            // Roles: a duplicate of the first theme now and then; one excluded, one
            // rejected, one kept in reserve per congress; the rest are themes.
            let (title, theme, role, item, reason) = match k {
                _ if k >= 4 && k % 9 == 4 => {
                    let th = (ci * 5) % data::THEMES.len();
                    (
                        data::THEMES[th].zh.replace("{}", &place(k)),
                        Some(th),
                        "duplicate",
                        None,
                        None,
                    )
                }
                1 => {
                    let (p, item) = data::EXCLUDED[ci % data::EXCLUDED.len()];
                    (
                        p.replace("{}", &place(k)),
                        None,
                        "excluded",
                        Some(item),
                        None,
                    )
                }
                2 => {
                    let (p, reason) = data::REJECTED[ci % data::REJECTED.len()];
                    (
                        p.replace("{}", &place(k)),
                        None,
                        "rejected",
                        None,
                        Some(reason),
                    )
                }
                3 => {
                    let th = (ci * 5 + 23) % data::THEMES.len();
                    (
                        data::THEMES[th].zh.replace("{}", &place(k)),
                        Some(th),
                        "reserve",
                        None,
                        None,
                    )
                }
                _ => {
                    let th = (ci * 5 + k) % data::THEMES.len();
                    (
                        data::THEMES[th].zh.replace("{}", &place(k)),
                        Some(th),
                        "theme",
                        None,
                        None,
                    )
                }
            };
            let category = theme.map(|th| data::THEMES[th].category).unwrap_or("其他");
            let mut body = json!({
                "congress": c.id, "year": year, "title": title,
                "description": format!("建议：{title}。群众反映强烈，涉及周边约{}户居民。", 200 + r.random_range(0..3000)),
                "location": place(k), "category": category,
            });
            match k % 4 {
                0 => {
                    body["submitter"] = json!("public");
                    body["contact"] = json!(format!("139{:08}", r.random_range(0..100_000_000u32)));
                }
                1 => {
                    body["submitter"] = json!("deputy");
                    let codes = &report.deputy_codes[&c.id];
                    body["deputy_code"] = json!(codes[k % codes.len()].1);
                }
                2 => {
                    body["submitter"] = json!("department");
                    body["name"] = json!(office(c, theme.map(|th| &data::THEMES[th])).zh);
                }
                _ => {
                    body["submitter"] = json!("organisation");
                    body["name"] = json!(format!("{}村民委员会", place(k)));
                }
            }
            let p: Value = api.public.post("/api/cycle/proposals", &body)?;
            let number = p["number"]
                .as_str()
                .context("a tracking number")?
                .to_string();
            report.proposals.push((c.id.clone(), number.clone()));
            list.push(Submitted {
                number,
                theme,
                role,
                item,
                reason,
            });
        }
        submitted.push(list);
    }
    say(&format!("{} proposals submitted", report.proposals.len()));
    lap(&mut report, "proposals");

    // 3. Screening and candidates: 13 per congress.
    let decide = |number: &str, body: Value| -> anyhow::Result<()> {
        let _: Value = api
            .staff
            .post(&format!("/api/cycle/proposals/{number}/decisions"), &body)?;
        Ok(())
    };
    const CANDIDATES: usize = 13;
    /// The phase of a project whose theme comes again: 二期, 三期 … (the last repeats).
    const PHASES_ZH: [&str; 5] = ["一", "二", "三", "四", "五"];
    for (ci, (c, list)) in specs.iter().zip(&submitted).enumerate() {
        let mut shortlisted: Vec<(&Submitted, usize)> = Vec::new();
        let first_theme = list
            .iter()
            .find(|s| s.role == "theme")
            .map(|s| s.number.clone());
        for s in list {
            match s.role {
                "duplicate" => match &first_theme {
                    Some(into) => decide(
                        &s.number,
                        json!({ "action": "merge", "into": into, "reason": "与同类建议合并" }),
                    )?,
                    None => decide(&s.number, json!({ "action": "shortlist" }))?,
                },
                "excluded" => decide(&s.number, json!({ "action": "exclude", "item": s.item }))?,
                "rejected" => decide(&s.number, json!({ "action": "reject", "reason": s.reason }))?,
                "reserve" => decide(
                    &s.number,
                    json!({ "action": "reserve", "reason": "条件尚不成熟，列入项目储备库" }),
                )?,
                _ => {
                    decide(
                        &s.number,
                        json!({ "action": "shortlist", "reason": "符合民生实事项目条件" }),
                    )?;
                    shortlisted.push((s, s.theme.unwrap_or(0)));
                }
            }
        }
        // Candidate j gathers the shortlisted proposals j, j + 13, …; candidates beyond the
        // shortlist are the government's own (no source proposal).
        let mut phases: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for j in 0..CANDIDATES {
            let sources: Vec<&(&Submitted, usize)> =
                shortlisted.iter().skip(j).step_by(CANDIDATES).collect();
            let th = sources
                .first()
                .map(|s| s.1)
                .unwrap_or((ci * 5 + 11 + j) % data::THEMES.len());
            let theme = &data::THEMES[th];
            let place = if c.county {
                "全县"
            } else {
                c.zh.split('第').next().unwrap_or_default()
            };
            // Named as people name projects: a theme that comes again is its next phase
            // (二期, 三期 …), never a bare number beside the rank (issue 16 item 8).
            let phase = *phases.entry(th).and_modify(|n| *n += 1).or_insert(1);
            let (zh_phase, en_phase) = match phase {
                1 => (String::new(), String::new()),
                n => (
                    format!("（{}期）", PHASES_ZH[(n - 1).min(PHASES_ZH.len() - 1)]),
                    format!(" (phase {n})"),
                ),
            };
            let name = format!("{}{zh_phase}", theme.zh.replace("{}", place));
            let wan = if c.county {
                theme.wan
            } else {
                (theme.wan / 4).max(20)
            };
            let body = json!({
                "congress": c.id, "year": year,
                "name": t(name, format!("{}{en_phase}", theme.en)),
                "department": office(c, Some(theme)),
                "investment_yuan": wan * 10_000,
                "completion": format!("{year}-{:02}", 9 + j % 4),
                "description": t(format!("实施{}，惠及群众。", theme.zh.replace("{}", place)), theme.en),
                "proposals": sources.iter().map(|s| s.0.number.clone()).collect::<Vec<_>>(),
            });
            let _: Value = api.staff.post("/api/cycle/candidates", &body)?;
        }
    }
    say("screening done; 13 candidates per congress");
    lap(&mut report, "screening");

    // 4. The approvals: each creates its selection vote.
    for (ci, c) in specs.iter().enumerate() {
        let form = if !c.county && ci % 5 == 4 {
            "approve_each"
        } else {
            "top_k"
        };
        let tellers = if c.county {
            json!({ "n": 5, "t": 3 })
        } else {
            json!({ "n": 3, "t": 2 })
        };
        let body = json!({
            "congress": c.id, "year": year,
            "reference": if c.county { format!("县人大常委会第{}次主任会议", 20 + ci) } else { format!("{}人大主席团第{}次会议", c.zh.split('第').next().unwrap_or(""), 3 + ci % 4) },
            "date": format!("{}-12-{:02}", year - 1, 10 + ci % 15),
            "form": form, "seats": 10, "tellers": tellers,
            "session": t(format!("{}第五次会议", c.zh), format!("{}, 5th session", c.en)),
        });
        let created: Value = api.staff.post("/api/cycle/approvals", &body)?;
        report.elections.push(
            created["election_id"]
                .as_str()
                .context("election id")?
                .to_string(),
        );
    }
    say(&format!("{} candidate lists approved", specs.len()));
    lap(&mut report, "approvals");
    if !cfg.votes {
        return Ok(report);
    }

    // 5. The selection votes, and a re-vote wherever projects tie at the boundary.
    // The forced tie: township 7, or the last but one of fewer (an "up to K of N" vote).
    let tie_congress = (cfg.forced_tie && specs.len() > 2).then(|| 7.min(specs.len() - 2));
    let selection_votes: Vec<(usize, String)> =
        report.elections.iter().cloned().enumerate().collect();
    for (ci, id) in selection_votes {
        let c = &specs[ci];
        let tie = tie_congress == Some(ci)
            && matches!(
                Vote::load(api, &id)?.manifest.decision,
                DecisionRule::TopK { .. }
            );
        let pattern = if tie { Pattern::Tie } else { Pattern::Random };
        let (mut outcome, n) = run_vote(
            api,
            &id,
            c.deputies,
            cfg.turnout_percent,
            cfg.seed ^ (ci as u64 * 101),
            pattern,
        )?;
        report.ballots += n;
        let mut parent = id.clone();
        let mut round = 0;
        while outcome.tie.is_some() {
            round += 1;
            ensure!(round <= 3, "{parent}: still tied after three re-votes");
            let created: Value = api
                .staff
                .post(&format!("/api/cycle/elections/{parent}/revote"), &json!({}))?;
            let child = created["election_id"]
                .as_str()
                .context("election id")?
                .to_string();
            say(&format!("{parent}: tie at the boundary, re-vote {child}"));
            report.revotes.push((parent.clone(), child.clone()));
            report.elections.push(child.clone());
            let (o, n) = run_vote(
                api,
                &child,
                c.deputies,
                cfg.turnout_percent,
                cfg.seed ^ (ci as u64 * 103 + round),
                Pattern::Settle,
            )?;
            report.ballots += n;
            outcome = o;
            parent = child;
        }
    }
    say(&format!(
        "{} selection votes and re-votes published",
        report.elections.len()
    ));
    lap(&mut report, "selection votes");

    // 6. Supervision of the adopted projects.
    let plan: Value = api.public.get(&format!("/api/cycle/plan/{year}"))?;
    for (ci, cp) in plan["congresses"]
        .as_array()
        .context("plan")?
        .iter()
        .enumerate()
    {
        let cid = cp["congress"]["id"].as_str().context("congress id")?;
        for (k, p) in cp["adopted"]
            .as_array()
            .context("adopted")?
            .iter()
            .enumerate()
        {
            let id = p["id"].as_str().context("project id")?.to_string();
            let investment = p["investment_yuan"].as_u64().unwrap_or(0);
            let completion = p["completion"].as_str().context("completion")?;
            let _: Value = api.staff.put(
                &format!("/api/cycle/projects/{id}/plan"),
                &json!({
                    "department": p["department"], "budget_yuan": investment,
                    "milestones": [
                        { "date": format!("{year}-03-31"), "text": t("完成立项和设计", "Approval and design") },
                        { "date": format!("{year}-06-30"), "text": t("开工建设", "Works start") },
                        { "date": format!("{completion}-28"), "text": t("完工验收", "Completion and inspection") },
                    ],
                }),
            )?;
            let percent = 40 + (k * 7 % 30) as u32;
            let u: Value = api.staff.post(
                &format!("/api/cycle/projects/{id}/progress"),
                &json!({ "date": format!("{year}-07-15"), "percent": percent, "text": t("已完成招标，主体工程施工中。", "Tendering done; main works under way.") }),
            )?;
            if k % 4 == 0 {
                let uid = u["id"].as_i64().context("update id")?;
                let _: Value = api.staff.post_bytes(
                    &format!("/api/cycle/progress/{uid}/attachments"),
                    "image/png",
                    photo::site_photo(&id, percent),
                )?;
            }
            if k % 3 == 0 {
                let (_, code) =
                    &report.deputy_codes[cid][(ci + k) % report.deputy_codes[cid].len()];
                let _: Value = api.public.post(
                    &format!("/api/cycle/projects/{id}/inspections"),
                    &json!({ "deputy_code": code, "date": format!("{year}-08-20"), "text": "现场查看，进度符合计划，群众满意。建议加快附属设施建设。" }),
                )?;
            }
            // Most finish within their month; one in five is late: its report after the
            // month says it is not done, and the project shows as overdue (已逾期).
            let last = if k % 5 == 2 {
                json!({ "date": month_after(completion)?, "percent": 85, "text": t("受连续降雨影响，附属工程延期，尚未完工。", "Delayed by weeks of rain: the remaining works are not finished.") })
            } else {
                json!({ "date": format!("{completion}-20"), "percent": 100, "text": t("项目完工并通过验收。", "Completed and inspected.") })
            };
            let _: Value = api
                .staff
                .post(&format!("/api/cycle/projects/{id}/progress"), &last)?;
            if last["percent"] != 100 {
                report.overdue.push(id.clone());
            }
            report.adopted.push(id);
        }
    }
    say(&format!(
        "{} adopted projects: plans, progress, inspections",
        report.adopted.len()
    ));
    lap(&mut report, "supervision");

    // 7. Evaluation votes and the county's rating of departments.
    if cfg.evaluation {
        let mut evals = Vec::new();
        for c in &specs {
            let tellers = if c.county {
                json!({ "n": 5, "t": 3 })
            } else {
                json!({ "n": 3, "t": 2 })
            };
            let created: Value = api.staff.post(
                "/api/cycle/evaluations",
                &json!({ "congress": c.id, "year": year, "kind": "projects", "tellers": tellers }),
            )?;
            evals.push((
                c.deputies,
                created["election_id"].as_str().context("id")?.to_string(),
            ));
            if c.county {
                let created: Value = api.staff.post(
                    "/api/cycle/evaluations",
                    &json!({
                        "congress": c.id, "year": year, "kind": "departments", "tellers": { "n": 3, "t": 2 },
                        "departments": data::DEPARTMENTS.iter().map(|(zh, en)| t(*zh, *en)).collect::<Vec<_>>(),
                    }),
                )?;
                evals.push((
                    c.deputies,
                    created["election_id"].as_str().context("id")?.to_string(),
                ));
            }
        }
        for (k, (deputies, id)) in evals.iter().enumerate() {
            let (_, n) = run_vote(
                api,
                id,
                *deputies,
                cfg.turnout_percent,
                cfg.seed ^ (k as u64 * 107 + 1),
                Pattern::Random,
            )?;
            report.ballots += n;
            report.elections.push(id.clone());
        }
        say(&format!("{} evaluation votes published", evals.len()));
        lap(&mut report, "evaluation votes");
    }

    // 8. Anyone: the verifier over every record of the year.
    if cfg.verify {
        let failures: Vec<String> = report
            .elections
            .par_iter()
            .filter_map(|id| {
                let check = || -> anyhow::Result<Option<String>> {
                    let rec: ElectionRecord = api.public.get(&path(id, "/record"))?;
                    let rep = piaojue_verifier::verify_record(&rec);
                    Ok((!rep.passed())
                        .then(|| format!("{id}: {}", rep.render(piaojue_verifier::Lang::En))))
                };
                match check() {
                    Ok(f) => f,
                    Err(e) => Some(format!("{id}: {e:#}")),
                }
            })
            .collect();
        ensure!(
            failures.is_empty(),
            "records that do not verify:\n{}",
            failures.join("\n")
        );
        report.verified = report.elections.clone();
        say(&format!(
            "the verifier passed all {} election records",
            report.verified.len()
        ));
        lap(&mut report, "verification");
    }
    Ok(report)
}
