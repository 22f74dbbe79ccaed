//! The outcome section of a readable report (`spec/verification.md` §5.1): once V11 passed,
//! what the record decides, in the report's language — the rule in words (seats, the majority
//! and its base, the quorum as a fraction in words, the rating rule), then every project with
//! its votes, rank and whether it was adopted, or its rating and satisfaction rate, then the
//! tie at the boundary, if any. Project titles are the manifest's, quoted and escaped as every
//! record text (`report::quote`).

use std::fmt::Write as _;

use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::rules::{DecisionRule, MajorityBase, Outcome, Quorum};

use crate::message::{Quote, join_ids, rating_text};
use crate::report::{Lang, escape_into, quote};

/// What a verified record decides, ready to print.
#[derive(Debug, Clone)]
pub struct OutcomeSection {
    rule: DecisionRule,
    outcome: Outcome,
    /// Per project of the outcome: its title (zh, en).
    titles: Vec<Title>,
    /// Under `counts`: per contest its title and per option its title and count.
    counts: Vec<ContestCounts>,
}

/// A title in Chinese and in English.
type Title = (String, String);

/// A contest's title and its options' titles and counts.
type ContestCounts = (String, String, Vec<(String, String, u64)>);

impl OutcomeSection {
    /// The section of `outcome` (verified by V11) under `manifest`, with the recorded `counts`.
    pub fn new(manifest: &Manifest, outcome: &Outcome, counts: &[Vec<u64>]) -> Self {
        let top_k = matches!(manifest.decision, DecisionRule::TopK { .. });
        let titles = outcome
            .projects
            .iter()
            .map(|p| {
                let c = manifest.contests.get(p.contest as usize);
                let t = match (top_k, c) {
                    (true, Some(c)) => c.options.get(p.option as usize).map(|o| &o.title),
                    (false, Some(c)) => Some(&c.title),
                    (_, None) => None,
                };
                t.map_or_else(Default::default, |t| (t.zh.clone(), t.en.clone()))
            })
            .collect();
        let counts = match manifest.decision {
            DecisionRule::Counts {} => manifest
                .contests
                .iter()
                .zip(counts)
                .map(|(c, row)| {
                    let options = c
                        .options
                        .iter()
                        .zip(row)
                        .map(|(o, &n)| (o.title.zh.clone(), o.title.en.clone(), n))
                        .collect();
                    (c.title.zh.clone(), c.title.en.clone(), options)
                })
                .collect(),
            _ => Vec::new(),
        };
        OutcomeSection {
            rule: manifest.decision.clone(),
            outcome: outcome.clone(),
            titles,
            counts,
        }
    }

    /// How many lines the section prints, from its structure alone (no text of the record
    /// adds one): under `counts` a line, then one per contest and one per option; else the
    /// headline, the rule, one per project and one for a tie.
    pub fn line_count(&self) -> usize {
        match self.rule {
            DecisionRule::Counts {} => {
                1 + self
                    .counts
                    .iter()
                    .map(|(_, _, options)| 1 + options.len())
                    .sum::<usize>()
            }
            _ => 2 + self.outcome.projects.len() + usize::from(self.outcome.tie.is_some()),
        }
    }

    /// Appends the section to a readable report.
    pub fn render_into(&self, out: &mut String, lang: Lang) {
        let zh = lang == Lang::Zh;
        let o = &self.outcome;
        let title = |zh_t: &str, en_t: &str| -> String {
            let t = if zh || en_t.trim().is_empty() {
                zh_t
            } else {
                en_t
            };
            quote(t).to_string()
        };
        let mut line = |text: String| {
            escape_into(out, &text);
            out.push('\n');
        };
        let (seats, majority, quorum) = match &self.rule {
            DecisionRule::Counts {} => {
                line(
                    (if zh {
                        "计票结果（本次表决只公布票数，不作决定）："
                    } else {
                        "The result (this vote publishes the counts and decides nothing):"
                    })
                    .into(),
                );
                for (czh, cen, options) in &self.counts {
                    line(format!("  {}", title(czh, cen)));
                    for (ozh, oen, n) in options {
                        line(if zh {
                            format!("    {}：{n} 票", title(ozh, oen))
                        } else {
                            format!("    {}: {n} votes", title(ozh, oen))
                        });
                    }
                }
                return;
            }
            DecisionRule::TopK {
                seats,
                majority,
                quorum,
            }
            | DecisionRule::ApproveEach {
                seats,
                majority,
                quorum,
            } => (Some(*seats), *majority, *quorum),
            DecisionRule::Rating { majority, quorum } => (None, *majority, *quorum),
        };
        let projects = o.projects.len();
        let adopted = o.projects.iter().filter(|p| p.adopted).count() as u32;
        let name = |k: usize| {
            let (zh_t, en_t) = &self.titles[k];
            let (t, id) = (title(zh_t, en_t), quote(&o.projects[k].id));
            if zh {
                format!("{t}（{id}）")
            } else {
                format!("{t} ({id})")
            }
        };
        // Headline.
        match (seats, zh) {
            (Some(seats), _) => {
                let tie_seats = o.tie.as_ref().map_or(0, |t| t.seats_left);
                let vacant = seats.saturating_sub(adopted + tie_seats);
                line(if zh {
                    format!(
                        "计票结果：{projects} 个候选项目，{adopted} 个项目入选，{vacant} 个名额空缺。"
                    )
                } else {
                    format!(
                        "Result: {projects} candidate projects, {adopted} adopted, {vacant} seats left empty."
                    )
                });
            }
            (None, true) => line(format!("测评结果：{projects} 个项目。")),
            (None, false) => line(format!("Rating result: {projects} projects.")),
        }
        // The rule in words.
        let base = match (majority, zh) {
            (MajorityBase::AllDeputies, true) => format!("全体代表（{} 名）", o.roll),
            (MajorityBase::Voting, true) => format!("计入的选票（{} 张）", o.ballots),
            (MajorityBase::AllDeputies, false) => format!("all {} deputies on the roll", o.roll),
            (MajorityBase::Voting, false) => format!("the {} ballots counted", o.ballots),
        };
        let t = o.majority_threshold;
        let quorum_words = quorum_text(quorum, o.quorum_met, o.ballots, o.roll, lang);
        match (seats, zh) {
            (Some(seats), true) => line(format!(
                "表决规则：得票超过{base}半数（即至少 {t} 票）的项目为通过，按得票多少取前 {seats} 个入选；{quorum_words}"
            )),
            (Some(seats), false) => line(format!(
                "The rule: a project passes with more than half of {base} (at least {t} votes); the {seats} passing projects with most votes are adopted. {quorum_words}"
            )),
            (None, true) => line(format!(
                "测评规则：满意票超过{base}半数（即至少 {t} 票）为满意；否则满意与基本满意票合计至少 {t} 票为基本满意；否则为不满意。满意率为满意与基本满意票之和占计入选票的比例，向下取整到万分之一。{quorum_words}"
            )),
            (None, false) => line(format!(
                "The rating rule: satisfied when the satisfied votes are more than half of {base} (at least {t}); else basically satisfied when satisfied and basically satisfied votes together are at least {t}; else not satisfied. The satisfaction rate is satisfied and basically satisfied votes over the ballots counted, rounded down to 0.01 %. {quorum_words}"
            )),
        }
        // The projects: adopted first by rank, then the others in ballot order.
        let mut order: Vec<usize> = (0..projects).collect();
        if seats.is_some() {
            order.sort_by_key(|&k| {
                let p = &o.projects[k];
                (p.rank.unwrap_or(u32::MAX), std::cmp::Reverse(p.yes), k)
            });
        }
        for k in order {
            let p = &o.projects[k];
            let n = name(k);
            let yes = p.yes;
            let text = match (seats, zh) {
                (Some(_), true) => {
                    let rank = p.rank.map_or(String::new(), |r| format!("第 {r} 名 "));
                    let state = if p.adopted {
                        "入选"
                    } else if p.passes {
                        "通过，未入选"
                    } else {
                        "未通过"
                    };
                    format!("  {rank}{n}：{yes} 票，{state}")
                }
                (Some(_), false) => {
                    let rank = p.rank.map_or(String::new(), |r| format!("rank {r}: "));
                    let state = if p.adopted {
                        "adopted"
                    } else if p.passes {
                        "passes, not adopted"
                    } else {
                        "does not pass"
                    };
                    format!("  {rank}{n}: {yes} votes, {state}")
                }
                (None, _) => {
                    let rating = p
                        .rating
                        .map_or(if zh { "未评定" } else { "not rated" }, |r| {
                            rating_text(r, lang)
                        });
                    let rate = p.satisfaction_bp.map_or(String::new(), |bp| {
                        let pct = format!("{}.{:02} %", bp / 100, bp % 100);
                        if zh {
                            format!("，满意率 {pct}")
                        } else {
                            format!(", satisfaction rate {pct}")
                        }
                    });
                    if zh {
                        format!("  {n}：{rating}（满意票 {yes} 张{rate}）")
                    } else {
                        format!("  {n}: {rating} ({yes} satisfied votes{rate})")
                    }
                }
            };
            line(text);
        }
        if let Some(tie) = &o.tie {
            let ids: Vec<Quote> = tie
                .projects
                .iter()
                .map(|id| {
                    let k = o.projects.iter().position(|p| &p.id == id);
                    Quote::of(&k.map_or_else(
                        || id.clone(),
                        |k| {
                            let (zh_t, en_t) = &self.titles[k];
                            if zh || en_t.trim().is_empty() {
                                zh_t.clone()
                            } else {
                                en_t.clone()
                            }
                        },
                    ))
                })
                .collect();
            let (v, s) = (tie.votes, tie.seats_left);
            let ids = join_ids(&ids, lang);
            line(if zh {
                format!("平票：{ids} 同得 {v} 票，争剩余 {s} 个名额，须对这些项目再次表决。")
            } else {
                format!(
                    "Tie: {ids} have {v} votes each for the {s} seats left; these projects are voted on again."
                )
            });
        }
    }
}

/// The quorum in words, and whether it was met.
fn quorum_text(q: Quorum, met: bool, ballots: u64, roll: u64, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    if q.num == 0 {
        return (if zh {
            "不设法定人数。"
        } else {
            "No quorum."
        })
        .into();
    }
    let fraction = match (q.num, q.den, zh) {
        (1, 2, true) => "半数".to_string(),
        (2, 3, true) => "三分之二".to_string(),
        (n, d, true) if n == d => "全部".to_string(),
        (n, d, true) => format!("{d} 分之 {n}"),
        (1, 2, false) => "half".to_string(),
        (2, 3, false) => "two thirds".to_string(),
        (n, d, false) => format!("{n}/{d}"),
    };
    let mut s = String::new();
    if zh {
        let _ = write!(
            s,
            "计入选票须超过代表总数的{fraction}：{ballots} 张，代表 {roll} 名，{}。",
            if met {
                "已达到"
            } else {
                "未达到，表决无效"
            }
        );
    } else {
        let _ = write!(
            s,
            "Quorum: more than {fraction} of the roll must be counted: {ballots} ballots of {roll} deputies, {}.",
            if met {
                "met"
            } else {
                "NOT met, the vote decides nothing"
            }
        );
    }
    s
}
