//! Decision rules: how decrypted counts become the result (`spec/protocol.md` §12, `spec/record.md` §7.4,
//! `spec/verification.md` V11).
//!
//! The rules of livelihood-project votes (民生实事项目票决) are settings of each election:
//!
//! * **Quorum** — the vote is valid only if the number of ballots counted exceeds a fraction of
//!   the roll (by default 2/3: `ballots · 3 > roll · 2`).
//! * **Majority** — a project passes with yes-votes from more than half of all deputies on the
//!   roll (`yes · 2 > roll`), or, if so configured, of those who voted (`yes · 2 > ballots`).
//! * **Seats** — among passing projects the `K` with most yes-votes are adopted. When projects
//!   tied at the boundary do not all fit, those above the tie are adopted and the tie is
//!   reported with the seats left, for a re-vote of the tied projects.
//! * **Rating** (成效测评) — per project: 满意 (satisfied) if satisfied votes exceed half the
//!   base; else 基本满意 (basically satisfied) if satisfied + basically satisfied exceed half;
//!   else 不满意 (not satisfied). The satisfaction rate (满意率) is
//!   `(satisfied + basically satisfied) / ballots`, reported in basis points, rounded down.
//!
//! All arithmetic is on integers, so every verifier computes the same result.

use serde::{Deserialize, Serialize};

use crate::canonical::{Canonical, Writer};
use crate::manifest::{Contest, ManifestError};

/// Whose half a majority is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MajorityBase {
    /// All deputies on the roll (全体代表过半数).
    AllDeputies,
    /// The deputies who cast a counted ballot.
    Voting,
}

/// The vote is valid only if `ballots · den > roll · num`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quorum {
    /// Numerator.
    pub num: u32,
    /// Denominator (non-zero).
    pub den: u32,
}

impl Quorum {
    /// More than two thirds of the roll.
    pub const TWO_THIRDS: Quorum = Quorum { num: 2, den: 3 };
    /// No quorum: any participation is valid.
    pub const NONE: Quorum = Quorum { num: 0, den: 1 };

    /// Whether `ballots` out of `roll` meets the quorum.
    pub fn met(&self, ballots: u64, roll: u64) -> bool {
        self.num == 0
            || (ballots as u128) * (self.den as u128) > (roll as u128) * (self.num as u128)
    }
}

/// How counts become a result. Written internally tagged (`{"kind": "top_k", "seats": …}`);
/// decoded by hand (`spec/record.md` §3.6, §2.2): serde's internally tagged decoding buffers the
/// object and then takes an integer for `kind` and arrays for `quorum`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionRule {
    /// Publish the counts, decide nothing. (A struct variant, so that unknown fields are
    /// refused like everywhere else.)
    Counts {},
    /// "Select up to K of N": the candidates are the options of the single contest, a
    /// selection is a yes-vote.
    TopK {
        /// Seats (K): most projects adopted.
        seats: u32,
        /// Base of the majority.
        majority: MajorityBase,
        /// Quorum.
        quorum: Quorum,
    },
    /// "Yes / no / abstain on each": contest i is project i; its first option is yes.
    ApproveEach {
        /// Seats (K): most projects adopted.
        seats: u32,
        /// Base of the majority.
        majority: MajorityBase,
        /// Quorum.
        quorum: Quorum,
    },
    /// Satisfaction rating: contest i rates project i, with the options satisfied,
    /// basically satisfied, not satisfied and abstain, in that order.
    Rating {
        /// Base of the majority.
        majority: MajorityBase,
        /// Quorum.
        quorum: Quorum,
    },
}

/// The kinds of [`DecisionRule`], as in JSON.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RuleKind {
    Counts,
    TopK,
    ApproveEach,
    Rating,
}

/// A decision rule's object, every field but `kind` optional: which of them a rule must have
/// and may have is its kind's (`spec/record.md` §3.6). A field given twice, an unknown field,
/// or `null` for one is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFields {
    kind: RuleKind,
    #[serde(default, deserialize_with = "crate::json::present")]
    seats: Option<u32>,
    #[serde(default, deserialize_with = "crate::json::present")]
    majority: Option<MajorityBase>,
    #[serde(default, deserialize_with = "crate::json::present")]
    quorum: Option<Quorum>,
}

impl<'de> Deserialize<'de> for DecisionRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = RuleFields::deserialize(d)?;
        Ok(match (f.kind, f.seats, f.majority, f.quorum) {
            (RuleKind::Counts, None, None, None) => DecisionRule::Counts {},
            (RuleKind::TopK, Some(seats), Some(majority), Some(quorum)) => DecisionRule::TopK {
                seats,
                majority,
                quorum,
            },
            (RuleKind::ApproveEach, Some(seats), Some(majority), Some(quorum)) => {
                DecisionRule::ApproveEach {
                    seats,
                    majority,
                    quorum,
                }
            }
            (RuleKind::Rating, None, Some(majority), Some(quorum)) => {
                DecisionRule::Rating { majority, quorum }
            }
            (kind, ..) => {
                let (kind, fields) = match kind {
                    RuleKind::Counts => ("counts", "no other field"),
                    RuleKind::TopK => ("top_k", "seats, majority and quorum"),
                    RuleKind::ApproveEach => ("approve_each", "seats, majority and quorum"),
                    RuleKind::Rating => ("rating", "majority and quorum"),
                };
                return Err(serde::de::Error::custom(format_args!(
                    "a decision rule of kind \"{kind}\" has {fields}, and no other field"
                )));
            }
        })
    }
}

impl Canonical for DecisionRule {
    fn write_canonical(&self, w: &mut Writer) {
        fn base(w: &mut Writer, m: MajorityBase) {
            w.u8(match m {
                MajorityBase::AllDeputies => 0,
                MajorityBase::Voting => 1,
            });
        }
        match self {
            DecisionRule::Counts {} => {
                w.u8(0);
            }
            DecisionRule::TopK {
                seats,
                majority,
                quorum,
            } => {
                w.u8(1).u32(*seats);
                base(w, *majority);
                w.u32(quorum.num).u32(quorum.den);
            }
            DecisionRule::ApproveEach {
                seats,
                majority,
                quorum,
            } => {
                w.u8(2).u32(*seats);
                base(w, *majority);
                w.u32(quorum.num).u32(quorum.den);
            }
            DecisionRule::Rating { majority, quorum } => {
                w.u8(3);
                base(w, *majority);
                w.u32(quorum.num).u32(quorum.den);
            }
        }
    }
}

/// The option ids, in order, of each contest under [`DecisionRule::ApproveEach`].
pub const APPROVE_OPTIONS: [&str; 3] = ["yes", "no", "abstain"];
/// The option ids, in order, of each contest under [`DecisionRule::Rating`].
pub const RATING_OPTIONS: [&str; 4] = [
    "satisfied",
    "basically_satisfied",
    "not_satisfied",
    "abstain",
];

fn has_options(c: &Contest, ids: &[&str]) -> bool {
    c.options.len() == ids.len() && c.options.iter().zip(ids).all(|(o, id)| o.id == *id)
}

impl DecisionRule {
    /// Checks that the rule fits the contests.
    pub fn validate(&self, contests: &[Contest]) -> Result<(), ManifestError> {
        let err = |s: &str| Err(ManifestError::Rule(s.to_string()));
        let quorum = match self {
            DecisionRule::Counts {} => return Ok(()),
            DecisionRule::TopK { seats, quorum, .. } => {
                if contests.len() != 1 {
                    return err("top_k needs exactly one contest");
                }
                if *seats == 0 || *seats as usize > contests[0].options.len() {
                    return err("top_k seats must be between 1 and the number of candidates");
                }
                quorum
            }
            DecisionRule::ApproveEach { seats, quorum, .. } => {
                if contests
                    .iter()
                    .any(|c| !has_options(c, &APPROVE_OPTIONS) || c.min != 1 || c.max != 1)
                {
                    return err(
                        "approve_each needs contests of 3 options (yes, no, abstain) with range [1, 1]",
                    );
                }
                if *seats == 0 || *seats as usize > contests.len() {
                    return err("approve_each seats must be between 1 and the number of projects");
                }
                quorum
            }
            DecisionRule::Rating { quorum, .. } => {
                if contests
                    .iter()
                    .any(|c| !has_options(c, &RATING_OPTIONS) || c.min != 1 || c.max != 1)
                {
                    return err(
                        "rating needs contests of 4 options (satisfied, basically satisfied, not satisfied, abstain) with range [1, 1]",
                    );
                }
                quorum
            }
        };
        if quorum.den == 0 || quorum.num > quorum.den {
            return err("quorum must be a fraction num/den with 0 ≤ num ≤ den, den > 0");
        }
        Ok(())
    }

    /// Applies the rule to decrypted counts (`counts[contest][option]`) of `ballots` counted
    /// ballots from a roll of `roll` deputies. `contests` must be the manifest's, which
    /// [`DecisionRule::validate`] accepted, and `counts` must have its shape.
    pub fn apply(
        &self,
        contests: &[Contest],
        counts: &[Vec<u64>],
        ballots: u64,
        roll: u64,
    ) -> Outcome {
        let (quorum, majority) = match self {
            DecisionRule::Counts {} => {
                return Outcome {
                    roll,
                    ballots,
                    quorum_met: true,
                    majority_threshold: 0,
                    projects: Vec::new(),
                    tie: None,
                };
            }
            DecisionRule::TopK {
                quorum, majority, ..
            }
            | DecisionRule::ApproveEach {
                quorum, majority, ..
            }
            | DecisionRule::Rating { quorum, majority } => (quorum, majority),
        };
        let quorum_met = quorum.met(ballots, roll);
        let base = match majority {
            MajorityBase::AllDeputies => roll,
            MajorityBase::Voting => ballots,
        };
        // "More than half": the smallest v with 2v > base.
        let majority_threshold = base / 2 + 1;
        let mut projects: Vec<ProjectOutcome> = match self {
            DecisionRule::TopK { .. } => contests[0]
                .options
                .iter()
                .zip(&counts[0])
                .enumerate()
                .map(|(i, (o, &yes))| ProjectOutcome::new(0, i, &o.id, yes))
                .collect(),
            DecisionRule::ApproveEach { .. } => contests
                .iter()
                .zip(counts)
                .enumerate()
                .map(|(i, (c, n))| ProjectOutcome::new(i, 0, &c.id, n[0]))
                .collect(),
            DecisionRule::Rating { .. } => contests
                .iter()
                .zip(counts)
                .enumerate()
                .map(|(i, (c, n))| {
                    let mut p = ProjectOutcome::new(i, 0, &c.id, n[0]);
                    let rating = if n[0] >= majority_threshold {
                        Rating::Satisfied
                    } else if n[0] + n[1] >= majority_threshold {
                        Rating::BasicallySatisfied
                    } else {
                        Rating::NotSatisfied
                    };
                    p.rating = quorum_met.then_some(rating);
                    p.satisfaction_bp =
                        Some(((n[0] + n[1]) * 10_000).checked_div(ballots).unwrap_or(0) as u32);
                    p
                })
                .collect(),
            DecisionRule::Counts {} => unreachable!(),
        };
        let seats = match self {
            DecisionRule::TopK { seats, .. } | DecisionRule::ApproveEach { seats, .. } => *seats,
            _ => 0,
        };
        let mut tie = None;
        if seats > 0 && quorum_met {
            for p in &mut projects {
                p.passes = p.yes >= majority_threshold;
            }
            let mut passing: Vec<usize> = (0..projects.len())
                .filter(|&i| projects[i].passes)
                .collect();
            // Most yes-votes first; equal votes keep ballot order (the order does not decide).
            passing.sort_by(|&a, &b| projects[b].yes.cmp(&projects[a].yes).then(a.cmp(&b)));
            // Competition ranking: equal votes share a rank ("1, 2, 2, 4").
            for (pos, &i) in passing.iter().enumerate() {
                let rank = match pos {
                    0 => 1,
                    _ if projects[passing[pos - 1]].yes == projects[i].yes => {
                        projects[passing[pos - 1]].rank.expect("ranked above")
                    }
                    _ => pos as u32 + 1,
                };
                projects[i].rank = Some(rank);
            }
            let k = seats as usize;
            if passing.len() <= k {
                for &i in &passing {
                    projects[i].adopted = true;
                }
            } else {
                let boundary = projects[passing[k - 1]].yes;
                let above: Vec<usize> = passing
                    .iter()
                    .copied()
                    .filter(|&i| projects[i].yes > boundary)
                    .collect();
                let at: Vec<usize> = passing
                    .iter()
                    .copied()
                    .filter(|&i| projects[i].yes == boundary)
                    .collect();
                for &i in &above {
                    projects[i].adopted = true;
                }
                if above.len() + at.len() <= k {
                    for &i in &at {
                        projects[i].adopted = true;
                    }
                } else {
                    tie = Some(Tie {
                        seats_left: (k - above.len()) as u32,
                        votes: boundary,
                        projects: at.iter().map(|&i| projects[i].id.clone()).collect(),
                    });
                }
            }
        }
        Outcome {
            roll,
            ballots,
            quorum_met,
            majority_threshold,
            projects,
            tie,
        }
    }
}

/// Rating classification of a project (成效测评结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意.
    NotSatisfied,
}

/// The result for one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectOutcome {
    /// The project's contest index.
    pub contest: u32,
    /// The project's option index within the contest (top-K), else 0.
    pub option: u32,
    /// The project's id: its option id (top-K) or contest id.
    pub id: String,
    /// Yes-votes (top-K, approve-each) or satisfied votes (rating).
    pub yes: u64,
    /// Whether it reached the majority (quorum met and `yes ≥ majority_threshold`).
    pub passes: bool,
    /// Rank among passing projects by yes-votes (1 = most; equal votes share a rank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Whether it is adopted.
    pub adopted: bool,
    /// Rating classification (rating rule, quorum met).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// Satisfaction rate in basis points (rating rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction_bp: Option<u32>,
}

impl ProjectOutcome {
    fn new(contest: usize, option: usize, id: &str, yes: u64) -> Self {
        ProjectOutcome {
            contest: contest as u32,
            option: option as u32,
            id: id.to_string(),
            yes,
            passes: false,
            rank: None,
            adopted: false,
            rating: None,
            satisfaction_bp: None,
        }
    }
}

/// A tie at the boundary of the seats: a re-vote of `projects` for `seats_left` seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tie {
    /// Seats still to fill.
    pub seats_left: u32,
    /// The tied number of votes.
    pub votes: u64,
    /// Ids of the tied projects.
    pub projects: Vec<String>,
}

/// The decision: the rule applied to the counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// The roll: the congress's deputies (the manifest's `deputies`, `spec/protocol.md` §12.1).
    pub roll: u64,
    /// Ballots counted.
    pub ballots: u64,
    /// Whether the quorum was met (if not, nothing passes and nothing is adopted).
    pub quorum_met: bool,
    /// Votes needed to pass (more than half of the base).
    pub majority_threshold: u64,
    /// Per project, in ballot order.
    pub projects: Vec<ProjectOutcome>,
    /// A tie at the boundary, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tie: Option<Tie>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::manifest::{BallotOption, Text};

    /// Issue 18: serde's internally tagged decoding took an integer for `kind` and an array
    /// for the quorum once it had buffered the object (inside a board entry).
    #[test]
    fn a_rule_decodes_only_from_its_object() {
        let top = r#"{"kind":"top_k","seats":2,"majority":"voting","quorum":{"num":2,"den":3}}"#;
        assert_eq!(json::from_str::<DecisionRule>(top).unwrap(), rule_voting(2));
        assert_eq!(
            json::from_str::<DecisionRule>(
                r#"{"seats":2,"quorum":{"num":2,"den":3},"majority":"voting","kind":"top_k"}"#
            )
            .unwrap(),
            rule_voting(2)
        );
        assert_eq!(
            json::from_str::<DecisionRule>(r#"{"kind":"counts"}"#).unwrap(),
            DecisionRule::Counts {}
        );
        for bad in [
            r#"{"kind":1,"seats":2,"majority":"voting","quorum":{"num":2,"den":3}}"#,
            r#"{"kind":"top_k","seats":2,"majority":"voting","quorum":[2,3]}"#,
            r#"{"kind":"top_k","seats":2,"majority":{"voting":null},"quorum":{"num":2,"den":3}}"#,
            r#"{"kind":"top_k","seats":2,"majority":"voting"}"#,
            r#"{"kind":"top_k","seats":2,"seats":2,"majority":"voting","quorum":{"num":2,"den":3}}"#,
            r#"{"kind":"rating","seats":2,"majority":"voting","quorum":{"num":2,"den":3}}"#,
            r#"{"kind":"counts","seats":3}"#,
            r#"{"kind":"counts","seats":null}"#,
            r#"{"kind":"counts","x":0}"#,
            r#"{"kind":{"counts":null}}"#,
            r#"["counts"]"#,
            r#"{}"#,
        ] {
            assert!(json::from_str::<DecisionRule>(bad).is_err(), "{bad}");
        }
        let err = json::from_str::<DecisionRule>(
            r#"{"kind":"rating","seats":2,"majority":"voting","quorum":{"num":2,"den":3}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(r#"a decision rule of kind "rating" has majority and quorum"#),
            "{err}"
        );
    }

    fn rule_voting(seats: u32) -> DecisionRule {
        DecisionRule::TopK {
            seats,
            majority: MajorityBase::Voting,
            quorum: Quorum::TWO_THIRDS,
        }
    }

    fn topk_contest(n: usize) -> Vec<Contest> {
        vec![Contest {
            id: "projects".into(),
            title: Text::default(),
            min: 0,
            max: 3,
            options: (0..n)
                .map(|i| BallotOption {
                    id: format!("p{i}"),
                    title: Text::default(),
                    project: None,
                })
                .collect(),
        }]
    }

    fn rule(seats: u32) -> DecisionRule {
        DecisionRule::TopK {
            seats,
            majority: MajorityBase::AllDeputies,
            quorum: Quorum::TWO_THIRDS,
        }
    }

    #[test]
    fn top_k_majority_of_all_deputies() {
        let c = topk_contest(5);
        // Roll 10: majority needs 6. Ballots 8 > 2/3 of 10.
        let o = rule(3).apply(&c, &[vec![8, 6, 5, 7, 6]], 8, 10);
        assert!(o.quorum_met);
        assert_eq!(o.majority_threshold, 6);
        let adopted: Vec<&str> = o
            .projects
            .iter()
            .filter(|p| p.adopted)
            .map(|p| p.id.as_str())
            .collect();
        // p0 (8), p3 (7) adopted; p1 and p4 tie at 6 for the last seat.
        assert_eq!(adopted, ["p0", "p3"]);
        assert_eq!(
            o.tie,
            Some(Tie {
                seats_left: 1,
                votes: 6,
                projects: vec!["p1".into(), "p4".into()]
            })
        );
        assert!(!o.projects[2].passes);
        // Equal votes share a rank.
        let ranks: Vec<Option<u32>> = o.projects.iter().map(|p| p.rank).collect();
        assert_eq!(ranks, [Some(1), Some(3), None, Some(2), Some(3)]);
    }

    #[test]
    fn ties_that_fit_are_adopted_and_no_quorum_adopts_nothing() {
        let c = topk_contest(4);
        let o = rule(3).apply(&c, &[vec![9, 7, 7, 1]], 9, 10);
        assert_eq!(o.projects.iter().filter(|p| p.adopted).count(), 3);
        assert_eq!(o.tie, None);
        // 6 of 9 is not more than 2/3.
        let o = rule(3).apply(&c, &[vec![6, 6, 6, 0]], 6, 9);
        assert!(!o.quorum_met);
        assert!(o.projects.iter().all(|p| !p.adopted && !p.passes));
        // 7 of 9 is.
        assert!(rule(3).apply(&c, &[vec![6, 6, 6, 0]], 7, 9).quorum_met);
    }

    #[test]
    fn majority_of_voters() {
        let c = topk_contest(2);
        let r = DecisionRule::TopK {
            seats: 2,
            majority: MajorityBase::Voting,
            quorum: Quorum::NONE,
        };
        let o = r.apply(&c, &[vec![3, 2]], 5, 100);
        assert_eq!(o.majority_threshold, 3);
        assert!(o.projects[0].adopted && !o.projects[1].adopted);
    }

    #[test]
    fn rating_classification() {
        let contests: Vec<Contest> = (0..3)
            .map(|i| Contest {
                id: format!("r{i}"),
                title: Text::default(),
                min: 1,
                max: 1,
                options: RATING_OPTIONS
                    .iter()
                    .map(|id| BallotOption {
                        id: id.to_string(),
                        title: Text::default(),
                        project: None,
                    })
                    .collect(),
            })
            .collect();
        let r = DecisionRule::Rating {
            majority: MajorityBase::AllDeputies,
            quorum: Quorum::TWO_THIRDS,
        };
        r.validate(&contests).unwrap();
        let o = r.apply(
            &contests,
            &[vec![6, 2, 1, 1], vec![3, 3, 3, 1], vec![2, 3, 4, 1]],
            10,
            10,
        );
        assert_eq!(o.projects[0].rating, Some(Rating::Satisfied));
        assert_eq!(o.projects[1].rating, Some(Rating::BasicallySatisfied));
        assert_eq!(o.projects[2].rating, Some(Rating::NotSatisfied));
        assert_eq!(o.projects[1].satisfaction_bp, Some(6000));
    }

    #[test]
    fn options_are_read_by_id_not_only_by_position() {
        let contest = |ids: [&str; 3]| Contest {
            id: "p".into(),
            title: Text::default(),
            min: 1,
            max: 1,
            options: ids
                .iter()
                .map(|id| BallotOption {
                    id: id.to_string(),
                    title: Text::default(),
                    project: None,
                })
                .collect(),
        };
        let rule = DecisionRule::ApproveEach {
            seats: 1,
            majority: MajorityBase::AllDeputies,
            quorum: Quorum::NONE,
        };
        rule.validate(&[contest(APPROVE_OPTIONS)]).unwrap();
        assert!(rule.validate(&[contest(["no", "yes", "abstain"])]).is_err());
    }

    #[test]
    fn validation() {
        assert!(rule(6).validate(&topk_contest(5)).is_err());
        assert!(rule(0).validate(&topk_contest(5)).is_err());
        assert!(
            DecisionRule::TopK {
                seats: 1,
                majority: MajorityBase::Voting,
                quorum: Quorum { num: 1, den: 0 }
            }
            .validate(&topk_contest(5))
            .is_err()
        );
        assert!(
            DecisionRule::ApproveEach {
                seats: 1,
                majority: MajorityBase::Voting,
                quorum: Quorum::NONE
            }
            .validate(&topk_contest(5))
            .is_err()
        );
    }
}
