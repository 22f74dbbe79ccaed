//! Supervision of adopted projects (实施监督): the implementation plan (department, milestones,
//! budget) and progress updates, written by staff, with photos and PDF files; deputies'
//! inspection notes, signed with their deputy code. All of it is public.

use piaojue_crypto::manifest::Text;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::screening::{self, Candidate};
use super::{check_date, congresses, now_ms, optional_text, text, today};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// The largest attachment.
pub const MAX_ATTACHMENT: usize = 1536 * 1024;

/// One milestone of a plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// Due date `YYYY-MM-DD`.
    pub date: String,
    /// What is done by then.
    pub text: Text,
}

/// The implementation plan of a project.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Responsible department.
    pub department: Text,
    /// Budget in yuan.
    pub budget_yuan: u64,
    /// Milestones, by date (1–50).
    pub milestones: Vec<Milestone>,
}

/// A progress update.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProgress {
    /// Date of the state reported.
    pub date: String,
    /// Completion in percent, 0–100.
    pub percent: u32,
    /// What was done.
    pub text: Text,
}

/// An attachment, as listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInfo {
    /// Id (`GET /api/cycle/attachments/{id}`).
    pub id: i64,
    /// `image/jpeg`, `image/png`, `image/webp` or `application/pdf`.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, base64url (protocol §2.6).
    pub sha256: String,
}

/// A progress update, as shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// Id.
    pub id: i64,
    /// Date.
    pub date: String,
    /// Percent.
    pub percent: u32,
    /// Text.
    pub text: Text,
    /// When it was written.
    pub created_ms: i64,
    /// Its attachments.
    pub attachments: Vec<AttachmentInfo>,
}

/// A deputy's inspection note.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// The deputy's code (signs the note; not stored).
    pub deputy_code: String,
    /// Date of the inspection.
    pub date: String,
    /// What the deputy saw and thinks (1–4000 bytes).
    pub text: String,
}

/// An inspection note, as shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// Id.
    pub id: i64,
    /// The deputy's congress.
    pub congress: String,
    /// The deputy's number in it.
    pub deputy: u32,
    /// Date.
    pub date: String,
    /// Text.
    pub text: String,
    /// When it was written.
    pub created_ms: i64,
}

/// A project's page: the candidate, its plan, progress and notes.
#[derive(Debug, Serialize)]
pub struct ProjectRecord {
    /// The project.
    pub project: Candidate,
    /// The plan, once written.
    pub plan: Option<Plan>,
    /// Progress updates, oldest first.
    pub progress: Vec<Progress>,
    /// Inspection notes, oldest first.
    pub notes: Vec<Note>,
    /// Overdue (已逾期): see [`overdue`].
    pub overdue: bool,
}

/// Whether an adopted project is overdue (已逾期): its latest progress update (`(date,
/// percent)`, if any) does not report it complete, and its completion month (`YYYY-MM`) has
/// passed — by `today` or by the date of that update. Anyone computes the same from the
/// public record and a calendar.
pub fn overdue(completion: &str, latest: Option<(&str, u32)>, today: &str) -> bool {
    if latest.is_some_and(|(_, percent)| percent >= 100) {
        return false;
    }
    let month = |date: &str| date.get(..7).unwrap_or_default().to_string();
    let last = latest.map(|(date, _)| month(date)).unwrap_or_default();
    month(today).as_str() > completion || last.as_str() > completion
}

async fn adopted(db: &Db, id: &str) -> ApiResult<Candidate> {
    let c = screening::get_candidate(db, id).await?;
    if c.adopted != Some(true) {
        return Err(ApiError::Conflict(format!(
            "{id} is not an adopted project"
        )));
    }
    Ok(c)
}

fn bilingual(field: &str, t: &Text, max: usize) -> ApiResult<Text> {
    Ok(Text::new(
        text(&format!("{field}.zh"), &t.zh, max, true)?,
        optional_text(&format!("{field}.en"), &t.en, max, true)?,
    ))
}

/// Writes (or replaces) the plan of an adopted project.
pub async fn set_plan(db: &Db, id: &str, p: Plan) -> ApiResult<Plan> {
    adopted(db, id).await?;
    let department = Text::new(
        text("department.zh", &p.department.zh, 200, false)?,
        optional_text("department.en", &p.department.en, 200, false)?,
    );
    if p.milestones.is_empty() || p.milestones.len() > 50 {
        return Err(ApiError::BadRequest("a plan has 1 to 50 milestones".into()));
    }
    if p.budget_yuan > i64::MAX as u64 {
        return Err(ApiError::BadRequest("budget_yuan is too large".into()));
    }
    let mut milestones = Vec::new();
    for m in &p.milestones {
        check_date("milestone date", &m.date)?;
        milestones.push(Milestone {
            date: m.date.clone(),
            text: bilingual("milestone text", &m.text, 1000)?,
        });
    }
    milestones.sort_by(|a, b| a.date.cmp(&b.date));
    let plan = Plan {
        department,
        budget_yuan: p.budget_yuan,
        milestones,
    };
    let json = serde_json::to_string(&plan.milestones).expect("milestones serialize");
    sqlx::query(
        "INSERT INTO project_plans (candidate_id, department_zh, department_en, budget_yuan, milestones, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (candidate_id) DO UPDATE SET \
         department_zh = excluded.department_zh, department_en = excluded.department_en, \
         budget_yuan = excluded.budget_yuan, milestones = excluded.milestones, updated_ms = excluded.updated_ms",
    )
    .bind(id)
    .bind(&plan.department.zh)
    .bind(&plan.department.en)
    .bind(plan.budget_yuan as i64)
    .bind(json)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(plan)
}

/// Appends a progress update to an adopted project.
pub async fn add_progress(db: &Db, id: &str, p: NewProgress) -> ApiResult<Progress> {
    adopted(db, id).await?;
    check_date("date", &p.date)?;
    if p.percent > 100 {
        return Err(ApiError::BadRequest("percent is 0 to 100".into()));
    }
    let t = bilingual("text", &p.text, 4000)?;
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO progress_updates (candidate_id, date, percent, text_zh, text_en, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(id)
    .bind(&p.date)
    .bind(i64::from(p.percent))
    .bind(&t.zh)
    .bind(&t.en)
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(Progress {
        id: row.try_get(0)?,
        date: p.date,
        percent: p.percent,
        text: t,
        created_ms: now,
        attachments: Vec::new(),
    })
}

/// The media types an attachment may have (its upload's `Content-Type`).
pub const ATTACHMENT_TYPES: [&str; 4] =
    ["image/jpeg", "image/png", "image/webp", "application/pdf"];

/// The content type of an attachment, from its declared type and checked against its first
/// bytes; anything else is refused.
pub fn attachment_type(declared: &str, bytes: &[u8]) -> ApiResult<&'static str> {
    let declared = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (ty, magic_ok) = match declared.as_str() {
        "image/jpeg" => ("image/jpeg", bytes.starts_with(&[0xFF, 0xD8, 0xFF])),
        "image/png" => ("image/png", bytes.starts_with(b"\x89PNG\r\n\x1a\n")),
        "image/webp" => (
            "image/webp",
            bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        ),
        "application/pdf" => ("application/pdf", bytes.starts_with(b"%PDF-")),
        other => {
            return Err(ApiError::BadRequest(format!(
                "attachments are image/jpeg, image/png, image/webp or application/pdf, not {other:?}"
            )));
        }
    };
    if !magic_ok {
        return Err(ApiError::BadRequest(format!(
            "the file is not a {ty} file (its first bytes do not match)"
        )));
    }
    Ok(ty)
}

/// Stores an attachment of a progress update.
pub async fn add_attachment(
    db: &Db,
    update: i64,
    content_type: &str,
    bytes: &[u8],
) -> ApiResult<AttachmentInfo> {
    let exists = sqlx::query("SELECT 1 FROM progress_updates WHERE id = $1")
        .bind(update)
        .fetch_optional(&db.pool)
        .await?
        .is_some();
    if !exists {
        return Err(ApiError::NotFound(format!("no progress update {update}")));
    }
    if bytes.is_empty() {
        return Err(ApiError::BadRequest("the file is empty".into()));
    }
    if bytes.len() > MAX_ATTACHMENT {
        return Err(ApiError::PayloadTooLarge(format!(
            "an attachment is at most {MAX_ATTACHMENT} bytes"
        )));
    }
    let ty = attachment_type(content_type, bytes)?;
    let sha = piaojue_crypto::encoding::encode_base64(&Sha256::digest(bytes));
    let row = sqlx::query(
        "INSERT INTO attachments (update_id, content_type, size, sha256, body, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(update)
    .bind(ty)
    .bind(bytes.len() as i64)
    .bind(&sha)
    .bind(bytes.to_vec())
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await?;
    Ok(AttachmentInfo {
        id: row.try_get(0)?,
        content_type: ty.into(),
        size: bytes.len() as u64,
        sha256: sha,
    })
}

/// An attachment's type and bytes.
pub async fn attachment(db: &Db, id: i64) -> ApiResult<(String, Vec<u8>)> {
    let row = sqlx::query("SELECT content_type, body FROM attachments WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no attachment {id}")))?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Adds a deputy's inspection note to an adopted project: the code must be a deputy's of the
/// project's congress or, for a township's project, of the county congress.
pub async fn add_note(db: &Db, id: &str, n: NewNote) -> ApiResult<Note> {
    let project = adopted(db, id).await?;
    check_date("date", &n.date)?;
    let t = text("text", &n.text, 4000, true)?;
    let Some((congress, seq)) = congresses::deputy(db, &n.deputy_code).await? else {
        return Err(ApiError::Forbidden("this deputy code is not valid".into()));
    };
    let own = congresses::get(db, &project.congress).await?;
    if congress != own.id && own.parent.as_deref() != Some(congress.as_str()) {
        return Err(ApiError::Forbidden(
            "a deputy inspects the projects of their own congress (or, a county deputy, of its townships)".into(),
        ));
    }
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO inspection_notes (candidate_id, congress_id, deputy_seq, date, text, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(id)
    .bind(&congress)
    .bind(i64::from(seq))
    .bind(&n.date)
    .bind(&t)
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(Note {
        id: row.try_get(0)?,
        congress,
        deputy: seq,
        date: n.date,
        text: t,
        created_ms: now,
    })
}

/// The latest progress update of a project: its date and percent.
pub async fn latest_progress(db: &Db, id: &str) -> ApiResult<Option<(String, u32)>> {
    sqlx::query(
        "SELECT date, percent FROM progress_updates WHERE candidate_id = $1 ORDER BY date DESC, id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? as u32)))
    .transpose()
}

/// Whether the adopted project `c`, whose latest update is `latest`, is overdue today.
pub fn overdue_now(c: &Candidate, latest: Option<&(String, u32)>) -> bool {
    c.adopted == Some(true)
        && overdue(
            &c.completion,
            latest.map(|(d, p)| (d.as_str(), *p)),
            &today(),
        )
}

/// A project's whole record.
pub async fn record(db: &Db, id: &str) -> ApiResult<ProjectRecord> {
    let project = screening::get_candidate(db, id).await?;
    let plan = match sqlx::query(
        "SELECT department_zh, department_en, budget_yuan, milestones FROM project_plans WHERE candidate_id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    {
        Some(r) => Some(Plan {
            department: Text::new(r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?),
            budget_yuan: r.try_get::<i64, _>(2)? as u64,
            milestones: piaojue_crypto::json::from_str(&r.try_get::<String, _>(3)?)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        }),
        None => None,
    };
    let rows = sqlx::query(
        "SELECT id, date, percent, text_zh, text_en, created_ms FROM progress_updates WHERE candidate_id = $1 ORDER BY date, id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let mut progress = Vec::new();
    for r in &rows {
        let uid: i64 = r.try_get(0)?;
        let att = sqlx::query(
            "SELECT id, content_type, size, sha256 FROM attachments WHERE update_id = $1 ORDER BY id",
        )
        .bind(uid)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|a| {
            Ok(AttachmentInfo {
                id: a.try_get(0)?,
                content_type: a.try_get(1)?,
                size: a.try_get::<i64, _>(2)? as u64,
                sha256: a.try_get(3)?,
            })
        })
        .collect::<ApiResult<_>>()?;
        progress.push(Progress {
            id: uid,
            date: r.try_get(1)?,
            percent: r.try_get::<i64, _>(2)? as u32,
            text: Text::new(r.try_get::<String, _>(3)?, r.try_get::<String, _>(4)?),
            created_ms: r.try_get(5)?,
            attachments: att,
        });
    }
    let notes = sqlx::query(
        "SELECT id, congress_id, deputy_seq, date, text, created_ms FROM inspection_notes WHERE candidate_id = $1 ORDER BY date, id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Note {
            id: r.try_get(0)?,
            congress: r.try_get(1)?,
            deputy: r.try_get::<i64, _>(2)? as u32,
            date: r.try_get(3)?,
            text: r.try_get(4)?,
            created_ms: r.try_get(5)?,
        })
    })
    .collect::<ApiResult<_>>()?;
    let latest = progress.last().map(|p| (p.date.clone(), p.percent));
    Ok(ProjectRecord {
        overdue: overdue_now(&project, latest.as_ref()),
        project,
        plan,
        progress,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::overdue;

    #[test]
    fn overdue_past_the_completion_month_and_not_complete() {
        // Within its month, by the clock and by the report: not overdue.
        assert!(!overdue("2027-09", Some(("2027-07-15", 40)), "2027-09-30"));
        assert!(!overdue("2027-09", None, "2026-12-06"));
        // The clock is past the month and the project not reported complete.
        assert!(overdue("2027-09", Some(("2027-07-15", 40)), "2027-10-01"));
        assert!(overdue("2027-09", None, "2028-01-01"));
        // A report dated after the month that is not 100 %: overdue whatever the clock says.
        assert!(overdue("2027-12", Some(("2028-01-10", 85)), "2026-12-06"));
        // Reported complete: never overdue, even late.
        assert!(!overdue("2027-09", Some(("2027-11-30", 100)), "2030-01-01"));
    }
}
