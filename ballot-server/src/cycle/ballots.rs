//! The votes of the cycle, made from its data: the **approval** of a candidate list, which
//! creates the selection election (entry 0 its manifest, entry 1 the `approval` event, in one
//! append); the **re-vote** of the projects tied at the boundary of the seats (a new election
//! whose parent is the first); and the **evaluation** votes (成效测评) of the adopted projects,
//! or the rating of government departments, under the `rating` rule.
//!
//! The elections go on like any other: tellers, key ceremony, credentials, ballots, tally.

use piaojue_crypto::board::{Approval, ApprovedCandidate, Event};
use piaojue_crypto::manifest::{
    BallotOption, Contest, DecisionRule, MajorityBase, Manifest, Project, Quorum, Revote,
    TellerParams, Text,
};
use piaojue_crypto::rules::{APPROVE_OPTIONS, RATING_OPTIONS};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::screening::{self, Candidate};
use super::{check_date, check_year, congresses, now_ms, optional_text, text};
use crate::board::log::TxWrite;
use crate::board::{Appended, Effect};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The ballot form of a selection vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// "Choose up to K of N" (one contest, rule `top_k`).
    TopK,
    /// "Yes / no / abstain on each" (one contest per project, rule `approve_each`).
    ApproveEach,
}

fn two_thirds() -> Quorum {
    Quorum::TWO_THIRDS
}
fn all_deputies() -> MajorityBase {
    MajorityBase::AllDeputies
}

/// The standing committee's or presidium's approval of a candidate list, and the vote to set
/// up for it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// Congress.
    pub congress: String,
    /// Year.
    pub year: i64,
    /// The approving body; by default the congress's.
    #[serde(default)]
    pub body: Option<Text>,
    /// The meeting or decision reference.
    pub reference: String,
    /// The decision's date, `YYYY-MM-DD`.
    pub date: String,
    /// The candidates approved, in ballot order; by default every candidate of the congress
    /// and year that is in no vote yet.
    #[serde(default)]
    pub candidates: Option<Vec<String>>,
    /// The ballot form.
    pub form: Form,
    /// Seats: most projects adopted.
    pub seats: u32,
    /// Base of the majority (default: all deputies).
    #[serde(default = "all_deputies")]
    pub majority: MajorityBase,
    /// Quorum (default 2/3).
    #[serde(default = "two_thirds")]
    pub quorum: Quorum,
    /// Tellers.
    pub tellers: TellerParams,
    /// The session that votes (the manifest's `congress`), e.g.
    /// 某县第十八届人民代表大会第五次会议; by default the congress's name.
    #[serde(default)]
    pub session: Option<Text>,
}

/// What a vote made by the cycle answers: its election id and the append.
#[derive(Debug, Serialize)]
pub struct Created {
    /// The new election's id.
    pub election_id: String,
    /// Index of its first entry (0).
    pub index: u64,
    /// The signed tree head after the append.
    pub tree_head: piaojue_crypto::board::SignedTreeHead,
}

impl Created {
    fn new(id: String, a: Appended) -> Self {
        Created {
            election_id: id,
            index: a.first_index,
            tree_head: a.head,
        }
    }
}

fn project_of(c: &Candidate) -> Project {
    Project {
        department: c.department.clone(),
        investment_yuan: c.investment_yuan,
        completion: c.completion.clone(),
        description: c.description.clone(),
    }
}

fn choice(id: &str, zh: &str, en: &str) -> BallotOption {
    BallotOption {
        id: id.into(),
        title: Text::new(zh, en),
        project: None,
    }
}

/// The contests of a selection vote over `(option id, candidate)`.
fn selection_contests(
    form: Form,
    year: i64,
    seats: u32,
    items: &[(String, Candidate)],
) -> Vec<Contest> {
    match form {
        Form::TopK => vec![Contest {
            id: "projects".into(),
            title: Text::new(
                format!("{year}年度民生实事候选项目（最多选{seats}项）"),
                format!("Candidate livelihood projects {year} (choose up to {seats})"),
            ),
            min: 0,
            max: seats,
            options: items
                .iter()
                .map(|(id, c)| BallotOption {
                    id: id.clone(),
                    title: c.name.clone(),
                    project: Some(project_of(c)),
                })
                .collect(),
        }],
        Form::ApproveEach => items
            .iter()
            .map(|(id, c)| Contest {
                id: id.clone(),
                title: c.name.clone(),
                min: 1,
                max: 1,
                options: APPROVE_OPTIONS
                    .iter()
                    .zip([("赞成", "Yes"), ("反对", "No"), ("弃权", "Abstain")])
                    .map(|(id, (zh, en))| choice(id, zh, en))
                    .collect(),
            })
            .collect(),
    }
}

fn rule(form: Form, seats: u32, majority: MajorityBase, quorum: Quorum) -> DecisionRule {
    match form {
        Form::TopK => DecisionRule::TopK {
            seats,
            majority,
            quorum,
        },
        Form::ApproveEach => DecisionRule::ApproveEach {
            seats,
            majority,
            quorum,
        },
    }
}

/// The session that votes (the manifest's `congress`): as given, or the congress's name.
fn session_of(given: Option<&Text>, congress: &congresses::Congress) -> ApiResult<Text> {
    Ok(match given {
        Some(t) => Text::new(
            text("session.zh", &t.zh, 200, false)?,
            optional_text("session.en", &t.en, 200, false)?,
        ),
        None => congress.name.clone(),
    })
}

fn bad_request_if_missing(e: ApiError) -> ApiError {
    match e {
        ApiError::NotFound(m) => ApiError::BadRequest(m),
        e => e,
    }
}

/// What an election of the cycle links to, recorded by the board's writer in the transaction
/// that appends the election's first entries (so an election never exists without them): which
/// candidate each option is, and, for a selection vote, the approval and what it did to the
/// proposals.
#[derive(Debug, Clone)]
pub struct CycleLinks {
    /// Each option's id and the candidate it is, in ballot order.
    pub options: Vec<(String, Option<String>)>,
    /// The approval of the candidate list, with its congress, year and seats.
    pub approval: Option<(Approval, String, i64, u32)>,
}

impl CycleLinks {
    /// The links of a vote on candidates: each option is its candidate.
    fn of_candidates(
        items: &[(String, Candidate)],
        approval: Option<(Approval, String, i64, u32)>,
    ) -> Box<Self> {
        Box::new(CycleLinks {
            options: items
                .iter()
                .map(|(o, c)| (o.clone(), Some(c.id.clone())))
                .collect(),
            approval,
        })
    }
}

/// An election's place in the yearly cycle (server-side columns, not on the board): its
/// congress, year and purpose (`selection`, `revote`, `evaluation`, `department_rating`), and
/// its options' candidates and approval, written in the log writer's transaction
/// ([`Effect::Write`]).
#[derive(Debug)]
pub struct CyclePlace {
    congress: String,
    year: i64,
    purpose: &'static str,
    links: Box<CycleLinks>,
}

impl CyclePlace {
    fn effect(
        congress: String,
        year: i64,
        purpose: &'static str,
        links: Box<CycleLinks>,
    ) -> Effect {
        Effect::Write(std::sync::Arc::new(CyclePlace {
            congress,
            year,
            purpose,
            links,
        }))
    }
}

impl TxWrite for CyclePlace {
    fn write<'a, 'c: 'a>(
        &'a self,
        tx: &'a mut Transaction<'c, Any>,
        election_id: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'a>>
    {
        Box::pin(async move {
            sqlx::query(
                "UPDATE elections SET congress_id = $1, year = $2, purpose = $3 WHERE id = $4",
            )
            .bind(&self.congress)
            .bind(self.year)
            .bind(self.purpose)
            .bind(election_id)
            .execute(&mut **tx)
            .await?;
            record_links(tx, election_id, &self.links).await
        })
    }
}

/// Writes `links` for `election` in the writer's transaction `tx`.
pub(crate) async fn record_links(
    tx: &mut Transaction<'_, Any>,
    election: &str,
    links: &CycleLinks,
) -> Result<(), sqlx::Error> {
    for (i, (option, candidate)) in links.options.iter().enumerate() {
        sqlx::query(
            "INSERT INTO election_options (election_id, option_id, position, candidate_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(election)
        .bind(option)
        .bind(i as i64)
        .bind(candidate.as_deref())
        .execute(&mut **tx)
        .await?;
    }
    if let Some((a, congress, year, seats)) = &links.approval {
        sqlx::query(
            "INSERT INTO approvals (election_id, congress_id, year, body_zh, body_en, reference, date, seats, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(election)
        .bind(congress)
        .bind(*year)
        .bind(&a.body.zh)
        .bind(&a.body.en)
        .bind(&a.reference)
        .bind(&a.date)
        .bind(i64::from(*seats))
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        for c in &a.candidates {
            for n in &c.proposals {
                super::proposals::set_status(
                    tx,
                    n,
                    "candidate",
                    "approved",
                    &a.reference,
                    json!({ "election": election, "body": a.body, "date": a.date }),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Approves a candidate list and creates its selection election `{congress}-{year}-selection`.
pub async fn approve(s: &AppState, r: ApproveRequest) -> ApiResult<Created> {
    let congress = congresses::get(&s.db, &r.congress)
        .await
        .map_err(bad_request_if_missing)?;
    let year = check_year(r.year)?;
    let reference = text("reference", &r.reference, 200, false)?;
    check_date("date", &r.date)?;
    let body = match &r.body {
        Some(b) => Text::new(
            text("body.zh", &b.zh, 200, false)?,
            optional_text("body.en", &b.en, 200, false)?,
        ),
        None => congress.approver.clone(),
    };
    let all = screening::candidates(&s.db, &congress.id, year).await?;
    let chosen: Vec<Candidate> = match &r.candidates {
        Some(ids) => {
            let mut out: Vec<Candidate> = Vec::new();
            for id in ids {
                let c = all.iter().find(|c| &c.id == id).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "{id:?} is not a candidate of {} for {year}",
                        congress.id
                    ))
                })?;
                if out.iter().any(|o| o.id == c.id) {
                    return Err(ApiError::BadRequest(format!("candidate {id:?} twice")));
                }
                out.push(c.clone());
            }
            out
        }
        None => all
            .iter()
            .filter(|c| c.election.is_none())
            .cloned()
            .collect(),
    };
    if chosen.is_empty() {
        return Err(ApiError::Conflict(format!(
            "{} has no candidate projects for {year} to approve",
            congress.id
        )));
    }
    if let Some(c) = chosen.iter().find(|c| c.election.is_some()) {
        return Err(ApiError::Conflict(format!(
            "candidate {} is in a vote already",
            c.id
        )));
    }
    let items: Vec<(String, Candidate)> = chosen
        .into_iter()
        .enumerate()
        .map(|(i, c)| (format!("p{:02}", i + 1), c))
        .collect();
    let id = format!("{}-{year}-selection", congress.id);
    let session = session_of(r.session.as_ref(), &congress)?;
    let manifest = Manifest {
        version: piaojue_crypto::PROTOCOL_VERSION,
        election_id: id.clone(),
        title: Text::new(
            format!("{}{year}年度民生实事项目票决", congress.name.zh),
            format!("{}: livelihood projects {year}", congress.name.en),
        ),
        congress: session,
        deputies: congress.deputies,
        tellers: r.tellers,
        contests: selection_contests(r.form, year, r.seats, &items),
        decision: rule(r.form, r.seats, r.majority, r.quorum),
        revote: Revote::FirstFinal,
        board: s.board.params(&id),
        witnesses: s.board.config().witnesses.clone(),
    };
    let approval = Approval {
        body,
        reference,
        date: r.date.clone(),
        candidates: items
            .iter()
            .map(|(id, c)| ApprovedCandidate {
                option: id.clone(),
                proposals: c.proposals.clone(),
            })
            .collect(),
    };
    let a = s
        .elections
        .create_with(
            &s.board,
            manifest,
            None,
            Some(approval.clone()),
            Some(CyclePlace::effect(
                congress.id.clone(),
                year,
                "selection",
                CycleLinks::of_candidates(
                    &items,
                    Some((approval, congress.id.clone(), year, r.seats)),
                ),
            )),
        )
        .await?;
    Ok(Created::new(id, a))
}

/// An election's place in the cycle: `(congress, year, purpose)`, if it has one.
pub async fn cycle_of(s: &AppState, id: &str) -> ApiResult<Option<(String, i64, String)>> {
    let row = sqlx::query("SELECT congress_id, year, purpose FROM elections WHERE id = $1")
        .bind(id)
        .fetch_optional(&s.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no election {id:?}")))?;
    let c: Option<String> = row.try_get(0)?;
    let y: Option<i64> = row.try_get(1)?;
    let p: Option<String> = row.try_get(2)?;
    Ok(match (c, y, p) {
        (Some(c), Some(y), Some(p)) => Some((c, y, p)),
        _ => None,
    })
}

/// A re-vote's settings (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevoteRequest {
    /// Tellers (default: the first vote's).
    #[serde(default)]
    pub tellers: Option<TellerParams>,
}

/// Starts a re-vote of the projects tied at the boundary of the seats of `parent`: a new
/// election `{congress}-{year}-revote-{k}` with the tied projects for the seats left, the same
/// ballot form, rule settings, session and roll, and the parent's approval (restricted to the
/// tied projects) as its entry 1.
pub async fn revote(s: &AppState, parent: &str, r: RevoteRequest) -> ApiResult<Created> {
    let Some((congress, year, purpose)) = cycle_of(s, parent).await? else {
        return Err(ApiError::Conflict(format!(
            "{parent} is not a selection vote of the cycle"
        )));
    };
    if purpose != "selection" && purpose != "revote" {
        return Err(ApiError::Conflict(format!(
            "{parent} is a {purpose} vote; only a selection vote is re-voted"
        )));
    }
    let result = s.elections.result(&s.board, parent).await?;
    let outcome: piaojue_crypto::rules::Outcome =
        piaojue_crypto::json::from_value(result["outcome"].clone())
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(tie) = outcome.tie else {
        return Err(ApiError::Conflict(format!(
            "{parent} has no tie at the boundary of the seats"
        )));
    };
    let m = s.elections.manifest(&s.db, parent).await?;
    let (form, majority, quorum) = match m.decision {
        DecisionRule::TopK {
            majority, quorum, ..
        } => (Form::TopK, majority, quorum),
        DecisionRule::ApproveEach {
            majority, quorum, ..
        } => (Form::ApproveEach, majority, quorum),
        _ => {
            return Err(ApiError::Conflict(format!(
                "{parent} is not a selection vote"
            )));
        }
    };
    let options = screening::options_of(&s.db, parent).await?;
    let mut items = Vec::new();
    for p in &tie.projects {
        let Some((_, Some(cid))) = options.iter().find(|(o, _)| o == p) else {
            return Err(ApiError::Internal(format!(
                "{parent}: option {p} has no candidate"
            )));
        };
        items.push((p.clone(), screening::get_candidate(&s.db, cid).await?));
    }
    let n = sqlx::query("SELECT COUNT(*) FROM elections WHERE parent IS NOT NULL AND congress_id = $1 AND year = $2 AND purpose = 'revote'")
        .bind(&congress)
        .bind(year)
        .fetch_one(&s.db.pool)
        .await?
        .try_get::<i64, _>(0)?;
    let id = format!("{congress}-{year}-revote-{}", n + 1);
    let seats = tie.seats_left;
    let manifest = Manifest {
        version: piaojue_crypto::PROTOCOL_VERSION,
        election_id: id.clone(),
        title: Text::new(
            format!("{}（对得票相同项目的再次表决，{seats}个名额）", m.title.zh),
            format!(
                "{} — re-vote of the tied projects ({seats} seats)",
                m.title.en
            ),
        ),
        congress: m.congress.clone(),
        deputies: m.deputies,
        tellers: r.tellers.unwrap_or(m.tellers),
        contests: selection_contests(form, year, seats, &items),
        decision: rule(form, seats, majority, quorum),
        revote: m.revote,
        board: s.board.params(&id),
        witnesses: s.board.config().witnesses.clone(),
    };
    let approval = match s
        .board
        .entries_of_kind(parent, "approval")
        .await?
        .first()
        .map(|b| piaojue_crypto::board::Entry::from_bytes(b))
    {
        Some(Ok(piaojue_crypto::board::Entry {
            event: Event::Approval(a),
            ..
        })) => Some(Approval {
            candidates: a
                .candidates
                .into_iter()
                .filter(|c| tie.projects.contains(&c.option))
                .collect(),
            ..a
        }),
        _ => None,
    };
    let a = s
        .elections
        .create_with(
            &s.board,
            manifest,
            Some(parent.to_string()),
            approval,
            Some(CyclePlace::effect(
                congress.clone(),
                year,
                "revote",
                CycleLinks::of_candidates(&items, None),
            )),
        )
        .await?;
    // The same roll of deputies.
    let rows = sqlx::query("SELECT name FROM roll WHERE election_id = $1 ORDER BY position")
        .bind(parent)
        .fetch_all(&s.db.pool)
        .await?;
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    if !names.is_empty() {
        s.elections.set_roll(&s.db, &id, names).await?;
    }
    Ok(Created::new(id, a))
}

/// What an evaluation rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationKind {
    /// The congress's adopted projects of the year (成效测评).
    Projects,
    /// Government departments (部门评议).
    Departments,
}

/// An evaluation vote to set up.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    /// Congress.
    pub congress: String,
    /// Year.
    pub year: i64,
    /// Projects or departments.
    pub kind: EvaluationKind,
    /// The departments rated (`departments` only; 1–256).
    #[serde(default)]
    pub departments: Vec<Text>,
    /// Tellers.
    pub tellers: TellerParams,
    /// Base of the majority (default: all deputies).
    #[serde(default = "all_deputies")]
    pub majority: MajorityBase,
    /// Quorum (default 2/3).
    #[serde(default = "two_thirds")]
    pub quorum: Quorum,
    /// The session that votes; by default the congress's name.
    #[serde(default)]
    pub session: Option<Text>,
}

/// One contest of a rating vote: its id, its title and the candidate project it rates (none
/// for a department).
type RatedItem = (String, Text, Option<String>);

fn rating_contest(id: String, title: Text) -> Contest {
    Contest {
        id,
        title,
        min: 1,
        max: 1,
        options: RATING_OPTIONS
            .iter()
            .zip([
                ("满意", "Satisfied"),
                ("基本满意", "Basically satisfied"),
                ("不满意", "Not satisfied"),
                ("弃权", "Abstain"),
            ])
            .map(|(id, (zh, en))| choice(id, zh, en))
            .collect(),
    }
}

/// Creates an evaluation vote: `{congress}-{year}-evaluation` rating the adopted projects, or
/// `{congress}-{year}-departments` rating departments.
pub async fn evaluation(s: &AppState, r: EvaluationRequest) -> ApiResult<Created> {
    let congress = congresses::get(&s.db, &r.congress)
        .await
        .map_err(bad_request_if_missing)?;
    let year = check_year(r.year)?;
    let (id, purpose, title, items): (String, &'static str, Text, Vec<RatedItem>) = match r.kind {
        EvaluationKind::Projects => {
            if !r.departments.is_empty() {
                return Err(ApiError::BadRequest(
                    "departments are only for kind departments".into(),
                ));
            }
            let adopted: Vec<Candidate> = screening::candidates(&s.db, &congress.id, year)
                .await?
                .into_iter()
                .filter(|c| c.adopted == Some(true))
                .collect();
            if adopted.is_empty() {
                return Err(ApiError::Conflict(format!(
                    "{} has no adopted projects for {year} (the votes are published first)",
                    congress.id
                )));
            }
            (
                format!("{}-{year}-evaluation", congress.id),
                "evaluation",
                Text::new(
                    format!("{}{year}年度民生实事项目成效测评", congress.name.zh),
                    format!(
                        "{}: evaluation of the livelihood projects of {year}",
                        congress.name.en
                    ),
                ),
                adopted
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| (format!("e{:02}", i + 1), c.name, Some(c.id)))
                    .collect(),
            )
        }
        EvaluationKind::Departments => {
            if r.departments.is_empty() || r.departments.len() > 256 {
                return Err(ApiError::BadRequest(
                    "a department rating needs 1 to 256 departments".into(),
                ));
            }
            let mut items = Vec::new();
            for (i, d) in r.departments.iter().enumerate() {
                items.push((
                    format!("d{:02}", i + 1),
                    Text::new(
                        text("departments.zh", &d.zh, 200, false)?,
                        optional_text("departments.en", &d.en, 200, false)?,
                    ),
                    None,
                ));
            }
            (
                format!("{}-{year}-departments", congress.id),
                "department_rating",
                Text::new(
                    format!("{}{year}年度政府部门工作评议", congress.name.zh),
                    format!(
                        "{}: rating of government departments, {year}",
                        congress.name.en
                    ),
                ),
                items,
            )
        }
    };
    let session = session_of(r.session.as_ref(), &congress)?;
    let manifest = Manifest {
        version: piaojue_crypto::PROTOCOL_VERSION,
        election_id: id.clone(),
        title,
        congress: session,
        deputies: congress.deputies,
        tellers: r.tellers,
        contests: items
            .iter()
            .map(|(id, t, _)| rating_contest(id.clone(), t.clone()))
            .collect(),
        decision: DecisionRule::Rating {
            majority: r.majority,
            quorum: r.quorum,
        },
        revote: Revote::FirstFinal,
        board: s.board.params(&id),
        witnesses: s.board.config().witnesses.clone(),
    };
    let a = s
        .elections
        .create_with(
            &s.board,
            manifest,
            None,
            None,
            Some(CyclePlace::effect(
                congress.id.clone(),
                year,
                purpose,
                Box::new(CycleLinks {
                    options: items.into_iter().map(|(o, _, c)| (o, c)).collect(),
                    approval: None,
                }),
            )),
        )
        .await?;
    Ok(Created::new(id, a))
}
