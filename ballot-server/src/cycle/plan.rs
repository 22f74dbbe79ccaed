//! The year plan (年度计划): for every congress, the seats to fill and from how many candidates,
//! the state of its votes (selection, re-votes, evaluation, department rating) with their
//! validity, and the projects adopted; and the outcome of a published selection vote written
//! into the candidates and their proposals' histories.

use piaojue_crypto::rules::Outcome;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::congresses::{self, Congress};
use super::proposals::set_status;
use super::screening::{self, Candidate};
use super::{check_year, supervision};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, ElectionState};

/// One vote of a congress in the plan.
#[derive(Debug, Serialize)]
pub struct PlannedVote {
    /// Election id.
    pub election_id: String,
    /// `selection`, `revote`, `evaluation` or `department_rating`.
    pub purpose: String,
    /// Lifecycle state.
    pub state: ElectionState,
    /// The election it re-votes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The re-votes of this one.
    pub children: Vec<String>,
    /// Options (projects, departments) on the ballot.
    pub options: u32,
    /// Seats (selection votes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    /// Deputies who voted (distinct credentials) and credentials issued.
    pub voted: u64,
    /// Credentials issued.
    pub credentials: u64,
    /// Once tallied: whether the quorum was met (the vote is valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum_met: Option<bool>,
    /// Once tallied: the tie at the boundary, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tie: Option<piaojue_crypto::rules::Tie>,
    /// Once tallied: the number of projects adopted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adopted: Option<u32>,
}

/// One adopted project in the plan.
#[derive(Debug, Serialize)]
pub struct AdoptedProject {
    /// The candidate project.
    #[serde(flatten)]
    pub project: Candidate,
    /// Its latest progress, in percent (absent before the first update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<u32>,
    /// Overdue (已逾期): past its completion month and not reported complete
    /// ([`supervision::overdue`]).
    pub overdue: bool,
}

/// One congress in the plan.
#[derive(Debug, Serialize)]
pub struct CongressPlan {
    /// The congress.
    pub congress: Congress,
    /// Proposals received for the year.
    pub proposals: u64,
    /// Candidate projects made for the year.
    pub candidates: u32,
    /// Seats to fill (set by the approval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    /// Its votes of the year, in the order they were created.
    pub votes: Vec<PlannedVote>,
    /// The projects adopted.
    pub adopted: Vec<AdoptedProject>,
}

/// The plan of a year.
#[derive(Debug, Serialize)]
pub struct YearPlan {
    /// The year.
    pub year: i64,
    /// Every congress, the county first.
    pub congresses: Vec<CongressPlan>,
    /// Totals over all congresses: proposals, candidates, seats, adopted.
    pub totals: serde_json::Value,
}

/// The years of the cycle that have data (a proposal, a candidate project or an election),
/// newest first.
pub async fn years(s: &AppState) -> ApiResult<Vec<i64>> {
    sqlx::query(
        "SELECT year FROM proposals UNION SELECT year FROM candidates \
         UNION SELECT year FROM elections WHERE year IS NOT NULL ORDER BY 1 DESC",
    )
    .fetch_all(&s.db.pool)
    .await?
    .iter()
    .map(|r| Ok(r.try_get::<i64, _>(0)?))
    .collect()
}

/// The plan of `year`.
pub async fn year_plan(s: &AppState, year: i64) -> ApiResult<YearPlan> {
    let year = check_year(year)?;
    let mut out = Vec::new();
    let (mut tp, mut tc, mut ts, mut ta) = (0u64, 0u64, 0u64, 0u64);
    for c in congresses::list(&s.db).await? {
        let proposals: i64 =
            sqlx::query("SELECT COUNT(*) FROM proposals WHERE congress_id = $1 AND year = $2")
                .bind(&c.id)
                .bind(year)
                .fetch_one(&s.db.pool)
                .await?
                .try_get(0)?;
        let candidates = screening::candidates(&s.db, &c.id, year).await?;
        let seats = sqlx::query(
            "SELECT seats FROM approvals WHERE congress_id = $1 AND year = $2 ORDER BY created_ms LIMIT 1",
        )
        .bind(&c.id)
        .bind(year)
        .fetch_optional(&s.db.pool)
        .await?
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()?
        .map(|n| n as u32);
        let rows = sqlx::query(
            "SELECT id, purpose, parent FROM elections WHERE congress_id = $1 AND year = $2 ORDER BY created_ms, id",
        )
        .bind(&c.id)
        .bind(year)
        .fetch_all(&s.db.pool)
        .await?;
        let mut votes = Vec::new();
        for r in &rows {
            let id: String = r.try_get(0)?;
            let purpose: String = r.try_get(1)?;
            let parent: Option<String> = r.try_get(2)?;
            let status = s.elections.status(&s.db, &id).await?;
            let m = &status.manifest;
            let outcome = match status.state {
                ElectionState::Tallied | ElectionState::Published => {
                    let v = s.elections.result(&s.board, &id).await?;
                    Some(
                        piaojue_crypto::json::from_value::<Outcome>(v["outcome"].clone())
                            .map_err(|e| ApiError::Internal(e.to_string()))?,
                    )
                }
                _ => None,
            };
            let seats = match m.decision {
                piaojue_crypto::manifest::DecisionRule::TopK { seats, .. }
                | piaojue_crypto::manifest::DecisionRule::ApproveEach { seats, .. } => Some(seats),
                _ => None,
            };
            votes.push(PlannedVote {
                election_id: id.clone(),
                purpose,
                state: status.state,
                parent,
                children: rows
                    .iter()
                    .filter(|x| {
                        x.try_get::<Option<String>, _>(2).ok().flatten().as_deref()
                            == Some(id.as_str())
                    })
                    .map(|x| x.try_get(0))
                    .collect::<Result<_, _>>()?,
                options: piaojue_crypto::board::approval::candidate_ids(m).len() as u32,
                seats,
                voted: status.voted,
                credentials: status.credentials,
                quorum_met: outcome.as_ref().map(|o| o.quorum_met),
                tie: outcome.as_ref().and_then(|o| o.tie.clone()),
                adopted: outcome
                    .as_ref()
                    .filter(|_| seats.is_some())
                    .map(|o| o.projects.iter().filter(|p| p.adopted).count() as u32),
            });
        }
        let mut adopted = Vec::new();
        for cand in candidates.iter().filter(|c| c.adopted == Some(true)) {
            let latest = supervision::latest_progress(&s.db, &cand.id).await?;
            adopted.push(AdoptedProject {
                progress: latest.as_ref().map(|(_, p)| *p),
                overdue: supervision::overdue_now(cand, latest.as_ref()),
                project: cand.clone(),
            });
        }
        tp += proposals as u64;
        tc += candidates.len() as u64;
        ts += u64::from(seats.unwrap_or(0));
        ta += adopted.len() as u64;
        out.push(CongressPlan {
            congress: c,
            proposals: proposals as u64,
            candidates: candidates.len() as u32,
            seats,
            votes,
            adopted,
        });
    }
    Ok(YearPlan {
        year,
        congresses: out,
        totals: json!({ "proposals": tp, "candidates": tc, "seats": ts, "adopted": ta }),
    })
}

/// After a selection vote or re-vote is published: marks its candidates adopted or not, and
/// appends `adopted`, `not_adopted` or `tie` to their proposals' histories. Does nothing for
/// other elections; idempotent (a candidate decided once stays decided).
pub async fn record_outcome(s: &AppState, election: &str) -> ApiResult<()> {
    let Some((_, _, purpose)) = super::ballots::cycle_of(s, election).await? else {
        return Ok(());
    };
    if purpose != "selection" && purpose != "revote" {
        return Ok(());
    }
    let v = s.elections.result(&s.board, election).await?;
    let outcome: Outcome = piaojue_crypto::json::from_value(v["outcome"].clone())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let options = screening::options_of(&s.db, election).await?;
    let tied: Vec<&str> = outcome
        .tie
        .as_ref()
        .map(|t| t.projects.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let mut tx = s.db.pool.begin().await?;
    for p in &outcome.projects {
        let Some((_, Some(cid))) = options.iter().find(|(o, _)| *o == p.id) else {
            continue;
        };
        let (adopted, action, reason) = if p.adopted {
            (Some(1i64), "adopted", String::new())
        } else if tied.contains(&p.id.as_str()) {
            (
                None,
                "tie",
                format!("与其他项目得票相同（{} 票），待再次表决", p.yes),
            )
        } else if !outcome.quorum_met {
            (
                Some(0),
                "not_adopted",
                "出席代表未达法定人数，表决无效".to_string(),
            )
        } else if !p.passes {
            (
                Some(0),
                "not_adopted",
                format!(
                    "赞成票 {} 票，未超过半数（需 {} 票）",
                    p.yes, outcome.majority_threshold
                ),
            )
        } else {
            (
                Some(0),
                "not_adopted",
                format!("赞成票 {} 票，未进入前列", p.yes),
            )
        };
        let changed = match adopted {
            Some(a) => {
                sqlx::query("UPDATE candidates SET adopted = $1 WHERE id = $2 AND adopted IS NULL")
                    .bind(a)
                    .bind(cid)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            }
            None => 1,
        };
        if changed == 0 {
            continue;
        }
        let sources = screening::get_candidate(&s.db, cid).await?.proposals;
        for n in sources {
            let status = match adopted {
                Some(1) => "adopted",
                Some(_) => "not_adopted",
                None => "candidate",
            };
            set_status(
                &mut tx,
                &n,
                status,
                action,
                &reason,
                json!({ "election": election, "candidate": cid, "votes": p.yes }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
