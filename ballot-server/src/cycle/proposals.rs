//! Proposals (项目建议): anyone submits one for a congress and a year and gets a tracking
//! number; its status and history are public, its contact is not (never in any public answer,
//! page or log: only `GET …/contact` with the staff token shows it).
//!
//! Statuses: `received` → `merged` (into another) | `rejected` (with a reason) | `excluded`
//! (by an item of the negative list) | `reserve` (kept for a later year) | `shortlisted` →
//! `candidate` (a candidate project was made from it) → `adopted` | `not_adopted` (the vote).
//! Every change is a row of the append-only `proposal_history`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Any, Row, Transaction};

use super::{check_year, congresses, now_ms, optional_text, random_groups, text};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// The largest body of a submission.
pub const MAX_SUBMISSION: usize = 16 * 1024;

/// Who submitted a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmitterKind {
    /// A resident (群众).
    Public,
    /// A deputy (人大代表), proved by a deputy code.
    Deputy,
    /// A government department (部门), declared.
    Department,
    /// An organisation (单位、社会组织), declared.
    Organisation,
}

impl SubmitterKind {
    fn as_str(self) -> &'static str {
        match self {
            SubmitterKind::Public => "public",
            SubmitterKind::Deputy => "deputy",
            SubmitterKind::Department => "department",
            SubmitterKind::Organisation => "organisation",
        }
    }
    fn parse(s: &str) -> ApiResult<Self> {
        Ok(match s {
            "public" => SubmitterKind::Public,
            "deputy" => SubmitterKind::Deputy,
            "department" => SubmitterKind::Department,
            "organisation" => SubmitterKind::Organisation,
            _ => return Err(ApiError::Internal(format!("stored submitter {s:?}"))),
        })
    }
}

/// A submission.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProposal {
    /// The congress it is for.
    pub congress: String,
    /// The year of the vote it is for.
    pub year: i64,
    /// Title (1–200 bytes).
    pub title: String,
    /// What should be done, and why (1–4000 bytes).
    pub description: String,
    /// Where (1–200 bytes).
    pub location: String,
    /// Category, e.g. 教育, 交通 (1–50 bytes).
    pub category: String,
    /// Who submits.
    pub submitter: SubmitterKind,
    /// The department's or organisation's name (required for those; not allowed otherwise).
    #[serde(default)]
    pub name: Option<String>,
    /// A deputy's code (required for `deputy`).
    #[serde(default)]
    pub deputy_code: Option<String>,
    /// How staff may reach the submitter (private; at most 200 bytes).
    #[serde(default)]
    pub contact: Option<String>,
}

/// One event of a proposal's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// When, ms since the epoch.
    pub time_ms: i64,
    /// What: `received`, `merged`, `merged_in`, `rejected`, `excluded`, `reserve`,
    /// `shortlisted`, `candidate`, `approved`, `adopted`, `not_adopted`, `tie`.
    pub action: String,
    /// The reason given (may be empty).
    pub reason: String,
    /// Details: `{"into": number}`, `{"item": id, "label": …}`, `{"candidate": id}`,
    /// `{"election": id}` …
    pub detail: Value,
}

/// A proposal as the public sees it (no contact).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// Tracking number, e.g. `2027-K7QF-3MZ8`.
    pub number: String,
    /// Congress.
    pub congress: String,
    /// Year.
    pub year: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Location.
    pub location: String,
    /// Category.
    pub category: String,
    /// Who submitted.
    pub submitter: SubmitterKind,
    /// The department's or organisation's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The deputy's number in the congress (deputies' proposals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deputy: Option<u32>,
    /// Current status.
    pub status: String,
    /// The proposal it was merged into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// The candidate project made from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
    /// When it was received.
    pub created_ms: i64,
    /// Its history, oldest first (only in the answer for one proposal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

macro_rules! columns {
    () => {
        "number, congress_id, year, title, description, location, category, \
         submitter_kind, submitter_name, deputy_seq, status, merged_into, candidate_id, created_ms"
    };
}

fn row_to_proposal(r: &sqlx::any::AnyRow) -> ApiResult<Proposal> {
    Ok(Proposal {
        number: r.try_get("number")?,
        congress: r.try_get("congress_id")?,
        year: r.try_get("year")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        location: r.try_get("location")?,
        category: r.try_get("category")?,
        submitter: SubmitterKind::parse(&r.try_get::<String, _>("submitter_kind")?)?,
        name: r.try_get("submitter_name")?,
        deputy: r.try_get::<Option<i64>, _>("deputy_seq")?.map(|s| s as u32),
        status: r.try_get("status")?,
        merged_into: r.try_get("merged_into")?,
        candidate: r.try_get("candidate_id")?,
        created_ms: r.try_get("created_ms")?,
        history: None,
    })
}

/// A new tracking number for `year`: 40 random bits, so that numbers cannot be guessed.
fn tracking_number(year: i64) -> String {
    format!("{year}-{}", random_groups(2))
}

/// Checks a submission and stores it; answers the proposal (with its number).
pub async fn submit(db: &Db, p: NewProposal) -> ApiResult<Proposal> {
    let congress = congresses::get(db, &p.congress)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(m) => ApiError::BadRequest(m),
            e => e,
        })?;
    let year = check_year(p.year)?;
    let title = text("title", &p.title, 200, false)?;
    let description = text("description", &p.description, 4000, true)?;
    let location = text("location", &p.location, 200, false)?;
    let category = text("category", &p.category, 50, false)?;
    let contact = match &p.contact {
        Some(c) => Some(optional_text("contact", c, 200, false)?).filter(|c| !c.is_empty()),
        None => None,
    };
    let (name, deputy) = match p.submitter {
        SubmitterKind::Public | SubmitterKind::Deputy if p.name.is_some() => {
            return Err(ApiError::BadRequest(
                "name is only for departments and organisations (a resident's or deputy's name goes, if at all, in the private contact)".into(),
            ));
        }
        SubmitterKind::Department | SubmitterKind::Organisation => (
            Some(text(
                "name",
                p.name.as_deref().unwrap_or_default(),
                200,
                false,
            )?),
            None,
        ),
        SubmitterKind::Public | SubmitterKind::Deputy => (None, None),
    };
    let deputy = match (p.submitter, &p.deputy_code) {
        (SubmitterKind::Deputy, Some(code)) => match congresses::deputy(db, code).await? {
            Some((c, seq)) if c == congress.id => Some(seq),
            Some(_) => {
                return Err(ApiError::Invalid(
                    "this deputy code is of another congress".into(),
                ));
            }
            None => return Err(ApiError::Invalid("this deputy code is not valid".into())),
        },
        (SubmitterKind::Deputy, None) => {
            return Err(ApiError::BadRequest(
                "a deputy's proposal needs the deputy code".into(),
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::BadRequest(
                "deputy_code is only for deputies' proposals".into(),
            ));
        }
        (_, None) => deputy,
    };
    let now = now_ms();
    for _ in 0..5 {
        let number = tracking_number(year);
        let mut tx = db.pool.begin().await?;
        let inserted = sqlx::query(concat!(
            "INSERT INTO proposals (",
            columns!(),
            ", contact) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', NULL, NULL, $11, $12) \
             ON CONFLICT (number) DO NOTHING"
        ))
        .bind(&number)
        .bind(&congress.id)
        .bind(year)
        .bind(&title)
        .bind(&description)
        .bind(&location)
        .bind(&category)
        .bind(p.submitter.as_str())
        .bind(name.as_deref())
        .bind(deputy.map(i64::from))
        .bind(now)
        .bind(contact.as_deref())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            continue;
        }
        append_history(&mut tx, &number, "received", "", serde_json::json!({})).await?;
        tx.commit().await?;
        return get(db, &number).await;
    }
    Err(ApiError::Internal("no free tracking number".into()))
}

/// Appends one history row (the proposal's row must have been updated, or inserted, in the
/// same transaction: that update holds the row lock that orders concurrent decisions).
pub async fn append_history(
    tx: &mut Transaction<'_, Any>,
    number: &str,
    action: &str,
    reason: &str,
    detail: Value,
) -> Result<(), sqlx::Error> {
    let seq: i64 = sqlx::query("SELECT COUNT(*) FROM proposal_history WHERE number = $1")
        .bind(number)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    sqlx::query(
        "INSERT INTO proposal_history (number, seq, time_ms, action, reason, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(number)
    .bind(seq)
    .bind(now_ms())
    .bind(action)
    .bind(reason)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets a proposal's status (and what goes with it) and appends the history row, in `tx`.
pub async fn set_status(
    tx: &mut Transaction<'_, Any>,
    number: &str,
    status: &str,
    action: &str,
    reason: &str,
    detail: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE proposals SET status = $1 WHERE number = $2")
        .bind(status)
        .bind(number)
        .execute(&mut **tx)
        .await?;
    append_history(tx, number, action, reason, detail).await
}

/// A proposal's normalised tracking number (`2027-k7qf-3mz8` is read as `2027-K7QF-3MZ8`).
pub fn normalize_number(number: &str) -> ApiResult<String> {
    let n = super::normalize_code(number);
    let ok = n.len() == 14
        && n.as_bytes()[4] == b'-'
        && n.as_bytes()[9] == b'-'
        && n[..4].bytes().all(|b| b.is_ascii_digit())
        && n[5..]
            .bytes()
            .all(|b| b == b'-' || super::ALPHABET.contains(&b));
    if ok {
        Ok(n)
    } else {
        Err(ApiError::BadRequest(format!(
            "{number:?} is not a tracking number like 2027-K7QF-3MZ8"
        )))
    }
}

/// One proposal with its history.
pub async fn get(db: &Db, number: &str) -> ApiResult<Proposal> {
    let number = normalize_number(number)?;
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM proposals WHERE number = $1"
    ))
    .bind(&number)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no proposal {number}")))?;
    let mut p = row_to_proposal(&row)?;
    let rows = sqlx::query(
        "SELECT time_ms, action, reason, detail FROM proposal_history WHERE number = $1 ORDER BY seq",
    )
    .bind(&number)
    .fetch_all(&db.pool)
    .await?;
    p.history = Some(
        rows.iter()
            .map(|r| {
                Ok(HistoryEntry {
                    time_ms: r.try_get(0)?,
                    action: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    detail: piaojue_crypto::json::from_str(&r.try_get::<String, _>(3)?)
                        .map_err(|e| ApiError::Internal(e.to_string()))?,
                })
            })
            .collect::<ApiResult<_>>()?,
    );
    Ok(p)
}

/// The proposals of a congress for a year, oldest first; with `reserve`, also the proposals
/// of earlier years kept in reserve (what staff screen for the year).
pub async fn list(db: &Db, congress: &str, year: i64, reserve: bool) -> ApiResult<Vec<Proposal>> {
    congresses::get(db, congress).await?;
    let sql = if reserve {
        concat!(
            "SELECT ",
            columns!(),
            " FROM proposals WHERE congress_id = $1 AND (year = $2 OR (year < $2 AND status = 'reserve')) ORDER BY created_ms, number"
        )
    } else {
        concat!(
            "SELECT ",
            columns!(),
            " FROM proposals WHERE congress_id = $1 AND year = $2 ORDER BY created_ms, number"
        )
    };
    let rows = sqlx::query(sql)
        .bind(congress)
        .bind(year)
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(row_to_proposal).collect()
}

/// A proposal's private contact (staff only).
pub async fn contact(db: &Db, number: &str) -> ApiResult<Option<String>> {
    let number = normalize_number(number)?;
    let row = sqlx::query("SELECT contact FROM proposals WHERE number = $1")
        .bind(&number)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no proposal {number}")))?;
    Ok(row.try_get(0)?)
}
