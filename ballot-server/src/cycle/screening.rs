//! Screening (初审/筛选), by staff: merge duplicates, reject with a reason, exclude by an item
//! of the negative list (负面清单), keep in reserve for a later year (项目储备库), shortlist; and
//! candidate projects (候选项目) made from shortlisted proposals. Every decision is a row of the
//! proposal's public, append-only history.

use piaojue_crypto::manifest::Text;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::proposals::{self, normalize_number, set_status};
use super::{check_id, check_month, check_year, congresses, now_ms, optional_text, text};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// A staff decision on a proposal: `{"action": "merge", "into": …, "reason": …}`. Decoded by
/// hand (serde's internally tagged decoding buffers the object and then takes an integer for
/// `action`): `action` is a string, and each action has exactly its fields (`spec/record.md`
/// §2.2, `spec/api.md`).
#[derive(Debug)]
pub enum Decision {
    /// Merge into another proposal (a duplicate or a similar one).
    Merge {
        /// The proposal it is merged into.
        into: String,
        /// Why (may be empty).
        reason: String,
    },
    /// Not adopted, with the reason.
    Reject {
        /// Why (required).
        reason: String,
    },
    /// Excluded by an item of the negative list.
    Exclude {
        /// The item's id.
        item: String,
        /// More words (may be empty).
        reason: String,
    },
    /// Kept in reserve: screened again in a later year.
    Reserve {
        /// Why (may be empty).
        reason: String,
    },
    /// On the shortlist for candidate projects.
    Shortlist {
        /// Why (may be empty).
        reason: String,
    },
}

/// The actions of a [`Decision`].
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    Merge,
    Reject,
    Exclude,
    Reserve,
    Shortlist,
}

/// A decision's object: which fields an action must have (`into`, `item`, and `reason` for
/// `reject`) and may have (`reason`) is checked after.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionFields {
    action: Action,
    #[serde(default, deserialize_with = "piaojue_crypto::json::present")]
    into: Option<String>,
    #[serde(default, deserialize_with = "piaojue_crypto::json::present")]
    item: Option<String>,
    #[serde(default, deserialize_with = "piaojue_crypto::json::present")]
    reason: Option<String>,
}

impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = DecisionFields::deserialize(d)?;
        let reason = f.reason.clone().unwrap_or_default();
        Ok(match (f.action, f.into, f.item) {
            (Action::Merge, Some(into), None) => Decision::Merge { into, reason },
            (Action::Reject, None, None) if f.reason.is_some() => Decision::Reject { reason },
            (Action::Exclude, None, Some(item)) => Decision::Exclude { item, reason },
            (Action::Reserve, None, None) => Decision::Reserve { reason },
            (Action::Shortlist, None, None) => Decision::Shortlist { reason },
            (action, ..) => {
                let (name, fields) = match action {
                    Action::Merge => ("merge", "into, and optionally reason"),
                    Action::Reject => ("reject", "reason"),
                    Action::Exclude => ("exclude", "item, and optionally reason"),
                    Action::Reserve => ("reserve", "optionally reason"),
                    Action::Shortlist => ("shortlist", "optionally reason"),
                };
                return Err(serde::de::Error::custom(format_args!(
                    "the action \"{name}\" has {fields}, and no other field"
                )));
            }
        })
    }
}

/// The statuses a decision may start from.
const OPEN: [&str; 3] = ["received", "reserve", "shortlisted"];

/// Applies a decision; answers the proposal with its history.
pub async fn decide(db: &Db, number: &str, d: Decision) -> ApiResult<proposals::Proposal> {
    let number = normalize_number(number)?;
    let p = proposals::get(db, &number).await?;
    let reason_of = |r: &str| optional_text("reason", r, 1000, true);
    let conflict = |what: &str| {
        ApiError::Conflict(format!(
            "proposal {number} is {}; it cannot be {what}",
            p.status
        ))
    };
    // Checked again inside the transaction (the status may change meanwhile).
    let from: &[&str] = match &d {
        Decision::Merge { .. } | Decision::Reject { .. } | Decision::Exclude { .. } => &OPEN,
        Decision::Reserve { .. } => &["received", "shortlisted"],
        Decision::Shortlist { .. } => &["received", "reserve"],
    };
    if !from.contains(&p.status.as_str()) {
        return Err(conflict(match &d {
            Decision::Merge { .. } => "merged",
            Decision::Reject { .. } => "rejected",
            Decision::Exclude { .. } => "excluded",
            Decision::Reserve { .. } => "kept in reserve",
            Decision::Shortlist { .. } => "shortlisted",
        }));
    }
    let mut tx = db.pool.begin().await?;
    let lock =
        sqlx::query("UPDATE proposals SET status = status WHERE number = $1 AND status = $2")
            .bind(&number)
            .bind(&p.status)
            .execute(&mut *tx)
            .await?;
    if lock.rows_affected() == 0 {
        return Err(ApiError::Conflict(format!(
            "proposal {number} changed meanwhile; look again"
        )));
    }
    match d {
        Decision::Merge { into, reason } => {
            let into = normalize_number(&into)?;
            let target = proposals::get(db, &into).await.map_err(|e| match e {
                ApiError::NotFound(m) => ApiError::BadRequest(m),
                e => e,
            })?;
            if into == number {
                return Err(ApiError::BadRequest(
                    "a proposal cannot be merged into itself".into(),
                ));
            }
            if target.congress != p.congress {
                return Err(ApiError::BadRequest(format!(
                    "{into} is a proposal for another congress"
                )));
            }
            if !OPEN.contains(&target.status.as_str()) {
                return Err(ApiError::Conflict(format!(
                    "{into} is {}; merge into an open proposal",
                    target.status
                )));
            }
            let reason = reason_of(&reason)?;
            sqlx::query("UPDATE proposals SET merged_into = $1 WHERE number = $2")
                .bind(&into)
                .bind(&number)
                .execute(&mut *tx)
                .await?;
            set_status(
                &mut tx,
                &number,
                "merged",
                "merged",
                &reason,
                json!({ "into": into }),
            )
            .await?;
            sqlx::query("UPDATE proposals SET status = status WHERE number = $1")
                .bind(&into)
                .execute(&mut *tx)
                .await?;
            proposals::append_history(
                &mut tx,
                &into,
                "merged_in",
                &reason,
                json!({ "from": number }),
            )
            .await?;
        }
        Decision::Reject { reason } => {
            let reason = text("reason", &reason, 1000, true)?;
            set_status(&mut tx, &number, "rejected", "rejected", &reason, json!({})).await?;
        }
        Decision::Exclude { item, reason } => {
            let list = negative_list(db).await?;
            let Some(it) = list.iter().find(|i| i.id == item) else {
                return Err(ApiError::BadRequest(format!(
                    "{item:?} is not an item of the negative list"
                )));
            };
            let reason = reason_of(&reason)?;
            set_status(
                &mut tx,
                &number,
                "excluded",
                "excluded",
                &reason,
                json!({ "item": it.id, "label": it.label }),
            )
            .await?;
        }
        Decision::Reserve { reason } => {
            let reason = reason_of(&reason)?;
            set_status(&mut tx, &number, "reserve", "reserve", &reason, json!({})).await?;
        }
        Decision::Shortlist { reason } => {
            let reason = reason_of(&reason)?;
            set_status(
                &mut tx,
                &number,
                "shortlisted",
                "shortlisted",
                &reason,
                json!({ "from_year": p.year }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    proposals::get(db, &number).await
}

/// An item of the negative list: a kind of project that is not taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegativeItem {
    /// Id (1–32 of `a–z`, `0–9`, `-`).
    pub id: String,
    /// What is excluded.
    pub label: Text,
    /// Words that hint at it, shown to staff next to proposals that contain them.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// The negative list, in order.
pub async fn negative_list(db: &Db) -> ApiResult<Vec<NegativeItem>> {
    let rows = sqlx::query(
        "SELECT id, label_zh, label_en, keywords FROM negative_list ORDER BY position, id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let kw: String = r.try_get(3)?;
            Ok(NegativeItem {
                id: r.try_get(0)?,
                label: Text::new(r.try_get::<String, _>(1)?, r.try_get::<String, _>(2)?),
                keywords: kw
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

/// Replaces the negative list (past decisions keep the label they were made with).
pub async fn set_negative_list(db: &Db, items: Vec<NegativeItem>) -> ApiResult<Vec<NegativeItem>> {
    if items.len() > 100 {
        return Err(ApiError::BadRequest(
            "the negative list has at most 100 items".into(),
        ));
    }
    let mut ids = std::collections::HashSet::new();
    let mut clean = Vec::with_capacity(items.len());
    for it in items {
        check_id("item id", &it.id)?;
        if !ids.insert(it.id.clone()) {
            return Err(ApiError::BadRequest(format!("item {:?} twice", it.id)));
        }
        if it.keywords.len() > 50 {
            return Err(ApiError::BadRequest(format!(
                "item {:?}: at most 50 keywords",
                it.id
            )));
        }
        let mut keywords = Vec::new();
        for k in &it.keywords {
            let k = text("keyword", k, 50, false)?;
            if k.contains(',') {
                return Err(ApiError::BadRequest("a keyword holds a comma".into()));
            }
            keywords.push(k);
        }
        clean.push(NegativeItem {
            label: Text::new(
                text("label.zh", &it.label.zh, 200, false)?,
                optional_text("label.en", &it.label.en, 200, false)?,
            ),
            id: it.id,
            keywords,
        });
    }
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM negative_list")
        .execute(&mut *tx)
        .await?;
    for (i, it) in clean.iter().enumerate() {
        sqlx::query(
            "INSERT INTO negative_list (id, position, label_zh, label_en, keywords) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&it.id)
        .bind(i as i64)
        .bind(&it.label.zh)
        .bind(&it.label.en)
        .bind(it.keywords.join(","))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    negative_list(db).await
}

/// A new candidate project, made from shortlisted proposals.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCandidate {
    /// Congress.
    pub congress: String,
    /// Year of the vote.
    pub year: i64,
    /// Project name.
    pub name: Text,
    /// Responsible department (责任单位).
    pub department: Text,
    /// Total investment in yuan.
    pub investment_yuan: u64,
    /// Planned completion `YYYY-MM`.
    pub completion: String,
    /// Description (项目内容).
    pub description: Text,
    /// The shortlisted proposals it is made from (may be empty).
    #[serde(default)]
    pub proposals: Vec<String>,
}

/// A candidate project.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Id, `{congress}-{year}-cNN`.
    pub id: String,
    /// Congress.
    pub congress: String,
    /// Year.
    pub year: i64,
    /// Name.
    pub name: Text,
    /// Responsible department.
    pub department: Text,
    /// Investment in yuan.
    pub investment_yuan: u64,
    /// Completion `YYYY-MM`.
    pub completion: String,
    /// Description.
    pub description: Text,
    /// Source proposals' tracking numbers.
    pub proposals: Vec<String>,
    /// The election it is a candidate of, once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub election: Option<String>,
    /// Its option (or contest) id in that election.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    /// Adopted by the vote (`true`), not adopted (`false`), or not decided yet (absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted: Option<bool>,
}

macro_rules! columns {
    () => {
        "id, congress_id, year, name_zh, name_en, department_zh, department_en, \
         investment_yuan, completion, description_zh, description_en, sources, adopted"
    };
}

/// The columns, with the first election the candidate is an option of (its selection vote).
macro_rules! select {
    ($filter:literal) => {
        concat!(
            "SELECT ",
            columns!(),
            ", (SELECT MIN(o.election_id) FROM election_options o JOIN elections e ON e.id = o.election_id \
              WHERE o.candidate_id = candidates.id AND e.purpose = 'selection') AS election_id, \
             (SELECT MIN(o.option_id) FROM election_options o JOIN elections e ON e.id = o.election_id \
              WHERE o.candidate_id = candidates.id AND e.purpose = 'selection') AS option_id \
             FROM candidates ",
            $filter
        )
    };
}

fn row_to_candidate(r: &sqlx::any::AnyRow) -> ApiResult<Candidate> {
    let t = |a: &str, b: &str| -> ApiResult<Text> {
        Ok(Text::new(
            r.try_get::<String, _>(a)?,
            r.try_get::<String, _>(b)?,
        ))
    };
    Ok(Candidate {
        id: r.try_get("id")?,
        congress: r.try_get("congress_id")?,
        year: r.try_get("year")?,
        name: t("name_zh", "name_en")?,
        department: t("department_zh", "department_en")?,
        investment_yuan: r.try_get::<i64, _>("investment_yuan")? as u64,
        completion: r.try_get("completion")?,
        description: t("description_zh", "description_en")?,
        proposals: piaojue_crypto::json::from_str(&r.try_get::<String, _>("sources")?)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
        election: r.try_get("election_id")?,
        option: r.try_get("option_id")?,
        adopted: r.try_get::<Option<i64>, _>("adopted")?.map(|a| a != 0),
    })
}

fn bilingual(field: &str, t: &Text, max: usize, multiline: bool) -> ApiResult<Text> {
    Ok(Text::new(
        text(&format!("{field}.zh"), &t.zh, max, multiline)?,
        optional_text(&format!("{field}.en"), &t.en, max, multiline)?,
    ))
}

/// Makes a candidate project from shortlisted proposals, which become `candidate`.
pub async fn create_candidate(db: &Db, c: NewCandidate) -> ApiResult<Candidate> {
    let congress = congresses::get(db, &c.congress)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(m) => ApiError::BadRequest(m),
            e => e,
        })?;
    let year = check_year(c.year)?;
    let name = bilingual("name", &c.name, 200, false)?;
    let department = bilingual("department", &c.department, 200, false)?;
    let description = bilingual("description", &c.description, 4000, true)?;
    check_month("completion", &c.completion)?;
    if c.investment_yuan > i64::MAX as u64 {
        return Err(ApiError::BadRequest("investment_yuan is too large".into()));
    }
    let mut sources = Vec::new();
    for n in &c.proposals {
        let n = normalize_number(n)?;
        if sources.contains(&n) {
            return Err(ApiError::BadRequest(format!("proposal {n} twice")));
        }
        sources.push(n);
    }
    let mut tx = db.pool.begin().await?;
    for n in &sources {
        let row = sqlx::query("SELECT congress_id, status FROM proposals WHERE number = $1")
            .bind(n)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| ApiError::BadRequest(format!("no proposal {n}")))?;
        let (pc, status): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if pc != congress.id {
            return Err(ApiError::BadRequest(format!(
                "proposal {n} is for another congress"
            )));
        }
        if status != "shortlisted" {
            return Err(ApiError::Conflict(format!(
                "proposal {n} is {status}; only shortlisted proposals become candidates"
            )));
        }
    }
    let have: i64 =
        sqlx::query("SELECT COUNT(*) FROM candidates WHERE congress_id = $1 AND year = $2")
            .bind(&congress.id)
            .bind(year)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
    if have >= 99 {
        return Err(ApiError::Conflict(
            "a congress has at most 99 candidates a year".into(),
        ));
    }
    let id = format!("{}-{year}-c{:02}", congress.id, have + 1);
    let inserted = sqlx::query(concat!(
        "INSERT INTO candidates (",
        columns!(),
        ", created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13) \
         ON CONFLICT (id) DO NOTHING"
    ))
    .bind(&id)
    .bind(&congress.id)
    .bind(year)
    .bind(&name.zh)
    .bind(&name.en)
    .bind(&department.zh)
    .bind(&department.en)
    .bind(c.investment_yuan as i64)
    .bind(&c.completion)
    .bind(&description.zh)
    .bind(&description.en)
    .bind(serde_json::to_string(&sources).expect("strings serialize"))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::Conflict(
            "another candidate was made at the same moment; try again".into(),
        ));
    }
    for n in &sources {
        sqlx::query("UPDATE proposals SET candidate_id = $1 WHERE number = $2")
            .bind(&id)
            .bind(n)
            .execute(&mut *tx)
            .await?;
        set_status(
            &mut tx,
            n,
            "candidate",
            "candidate",
            "",
            json!({ "candidate": id, "name": name }),
        )
        .await?;
    }
    tx.commit().await?;
    get_candidate(db, &id).await
}

/// One candidate.
pub async fn get_candidate(db: &Db, id: &str) -> ApiResult<Candidate> {
    let row = sqlx::query(select!("WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no candidate project {id:?}")))?;
    row_to_candidate(&row)
}

/// The candidates of a congress for a year, in order.
pub async fn candidates(db: &Db, congress: &str, year: i64) -> ApiResult<Vec<Candidate>> {
    let rows = sqlx::query(select!("WHERE congress_id = $1 AND year = $2 ORDER BY id"))
        .bind(congress)
        .bind(year)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(row_to_candidate).collect()
}

/// The options of a cycle election, in ballot order: `(option id, candidate id)`; the
/// candidate is absent for a rated department.
pub async fn options_of(db: &Db, election: &str) -> ApiResult<Vec<(String, Option<String>)>> {
    let rows = sqlx::query(
        "SELECT option_id, candidate_id FROM election_options WHERE election_id = $1 ORDER BY position",
    )
    .bind(election)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}
