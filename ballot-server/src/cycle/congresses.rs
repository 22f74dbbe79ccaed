//! Congresses: the county people's congress and its township congresses, each with its
//! deputies, its approving body (the county's standing committee, 县人大常委会; a township's
//! presidium, 乡镇人大主席团) and its elections. Deputy codes (代表码) mark a deputy's proposals
//! and sign inspection notes; only their hashes are stored.

use piaojue_crypto::manifest::Text;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::{check_id, code_hash, now_ms, random_groups, text};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// County or township.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 县（区）人民代表大会.
    County,
    /// 乡镇人民代表大会.
    Township,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Township => "township",
        }
    }
    fn parse(s: &str) -> ApiResult<Self> {
        match s {
            "county" => Ok(Level::County),
            "township" => Ok(Level::Township),
            _ => Err(ApiError::Internal(format!("stored level {s:?}"))),
        }
    }
}

/// A congress, as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Congress {
    /// Id (1–32 of `a–z`, `0–9`, `-`), e.g. `county`, `t03`.
    pub id: String,
    /// Name, e.g. 某县第十八届人民代表大会.
    pub name: Text,
    /// County or township.
    pub level: Level,
    /// The county congress of a township congress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The body that approves the candidate list.
    pub approver: Text,
    /// Number of deputies.
    pub deputies: u32,
}

/// A new congress (staff).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCongress {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Text,
    /// Level.
    pub level: Level,
    /// The county congress (townships only).
    #[serde(default)]
    pub parent: Option<String>,
    /// The approving body; by default 人大常委会 (county) or 人大主席团 (township).
    #[serde(default)]
    pub approver: Option<Text>,
    /// Number of deputies (1 … 3000).
    pub deputies: u32,
}

fn row_to_congress(r: &sqlx::any::AnyRow) -> ApiResult<Congress> {
    Ok(Congress {
        id: r.try_get("id")?,
        name: Text::new(
            r.try_get::<String, _>("name_zh")?,
            r.try_get::<String, _>("name_en")?,
        ),
        level: Level::parse(&r.try_get::<String, _>("level")?)?,
        parent: r.try_get("parent")?,
        approver: Text::new(
            r.try_get::<String, _>("approver_zh")?,
            r.try_get::<String, _>("approver_en")?,
        ),
        deputies: r.try_get::<i64, _>("deputies")? as u32,
    })
}

macro_rules! columns {
    () => {
        "id, name_zh, name_en, level, parent, approver_zh, approver_en, deputies"
    };
}

/// Creates a congress.
pub async fn create(db: &Db, c: NewCongress) -> ApiResult<Congress> {
    check_id("congress id", &c.id)?;
    let name = Text::new(
        text("name.zh", &c.name.zh, 200, false)?,
        super::optional_text("name.en", &c.name.en, 200, false)?,
    );
    if c.deputies == 0 || c.deputies > 3000 {
        return Err(ApiError::BadRequest(
            "deputies must be between 1 and 3000".into(),
        ));
    }
    match (c.level, &c.parent) {
        (Level::County, Some(_)) => {
            return Err(ApiError::BadRequest(
                "a county congress has no parent".into(),
            ));
        }
        (Level::Township, None) => {
            return Err(ApiError::BadRequest(
                "a township congress needs its county congress as parent".into(),
            ));
        }
        (Level::Township, Some(p)) => {
            let parent = get(db, p).await.map_err(|e| match e {
                ApiError::NotFound(m) => ApiError::BadRequest(m),
                e => e,
            })?;
            if parent.level != Level::County {
                return Err(ApiError::BadRequest(format!(
                    "the parent {p:?} is not a county congress"
                )));
            }
        }
        (Level::County, None) => {}
    }
    let approver = match c.approver {
        Some(a) => Text::new(
            text("approver.zh", &a.zh, 200, false)?,
            super::optional_text("approver.en", &a.en, 200, false)?,
        ),
        None => {
            let place = name.zh.split("第").next().unwrap_or(&name.zh).to_string();
            match c.level {
                Level::County => Text::new(
                    format!("{place}人大常委会"),
                    "Standing Committee of the County People's Congress",
                ),
                Level::Township => Text::new(
                    format!("{place}人大主席团"),
                    "Presidium of the Township People's Congress",
                ),
            }
        }
    };
    let res = sqlx::query(
        "INSERT INTO congresses (id, name_zh, name_en, level, parent, approver_zh, approver_en, deputies, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&c.id)
    .bind(&name.zh)
    .bind(&name.en)
    .bind(c.level.as_str())
    .bind(c.parent.as_deref())
    .bind(&approver.zh)
    .bind(&approver.en)
    .bind(i64::from(c.deputies))
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    if res.rows_affected() == 0 {
        return Err(ApiError::Conflict(format!(
            "congress {:?} exists already",
            c.id
        )));
    }
    get(db, &c.id).await
}

/// One congress.
pub async fn get(db: &Db, id: &str) -> ApiResult<Congress> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM congresses WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no congress {id:?}")))?;
    row_to_congress(&row)
}

/// Every congress: the county first, then its townships by id.
pub async fn list(db: &Db) -> ApiResult<Vec<Congress>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM congresses ORDER BY CASE level WHEN 'county' THEN 0 ELSE 1 END, id"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(row_to_congress).collect()
}

/// Issues `count` new deputy codes for a congress; the codes are answered once, only their
/// hashes are kept. Deputies are numbered on from the codes issued before.
pub async fn issue_codes(db: &Db, congress: &str, count: u32) -> ApiResult<Vec<(u32, String)>> {
    let c = get(db, congress).await?;
    if count == 0 || count > 3000 {
        return Err(ApiError::BadRequest(
            "count must be between 1 and 3000".into(),
        ));
    }
    let mut tx = db.pool.begin().await?;
    let have: i64 = sqlx::query("SELECT COUNT(*) FROM deputy_codes WHERE congress_id = $1")
        .bind(&c.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let mut out = Vec::with_capacity(count as usize);
    for k in 0..count {
        let seq = have as u32 + k + 1;
        let code = random_groups(4);
        sqlx::query(
            "INSERT INTO deputy_codes (code_hash, congress_id, seq, created_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(code_hash(&code))
        .bind(&c.id)
        .bind(i64::from(seq))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        out.push((seq, code));
    }
    tx.commit().await?;
    Ok(out)
}

/// The congress and number of the deputy whose code this is.
pub async fn deputy(db: &Db, code: &str) -> ApiResult<Option<(String, u32)>> {
    let row = sqlx::query("SELECT congress_id, seq FROM deputy_codes WHERE code_hash = $1")
        .bind(code_hash(code))
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)? as u32)))
        .transpose()
}
