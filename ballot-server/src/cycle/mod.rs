//! The yearly cycle of livelihood-project votes (`spec/api.md` §9, `../shared/domain.md`):
//! congresses, proposals and their public history, screening, candidate projects, the
//! approval of the candidate list (which creates the election), re-votes after a tie, the
//! year plan, the supervision of adopted projects, and the evaluation votes.
//!
//! * [`congresses`] — the county congress and its township congresses; deputy codes.
//! * [`proposals`] — public submission (rate-limited), tracking numbers, status and history.
//! * [`screening`] — staff decisions (merge, reject, negative list, reserve, shortlist), the
//!   negative list, candidate projects.
//! * [`ballots`] — the approval (manifest + `approval` entry), re-votes and evaluation votes.
//! * [`plan`] — the year plan and the outcome of a published vote.
//! * [`supervision`] — implementation plans, progress updates with attachments, deputies'
//!   inspection notes.
//! * [`routes`] — the HTTP handlers.

pub mod ballots;
pub mod congresses;
pub mod plan;
pub mod proposals;
pub mod routes;
pub mod screening;
pub mod supervision;

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngExt;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// Tracking numbers and deputy codes use Crockford's base-32 digits (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `groups` groups of four random Crockford digits joined by `-` (20 bits a group).
pub fn random_groups(groups: usize) -> String {
    let mut rng = rand::rng();
    (0..groups)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.random_range(0..32usize)] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed: upper case, without spaces, `O` read as `0` and `I`/`L` as `1`.
pub fn normalize_code(code: &str) -> String {
    code.trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// SHA-256 of a secret code, hex (only this is stored).
pub fn code_hash(code: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"piaojue-v1/deputy-code\0");
    h.update(normalize_code(code).as_bytes());
    hex::encode(h.finalize())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Today's date (UTC) `YYYY-MM-DD`, from the clock.
pub fn today() -> String {
    date_of_ms(now_ms())
}

/// The UTC date `YYYY-MM-DD` of `ms` milliseconds since the Unix epoch (the proleptic
/// Gregorian calendar; H. Hinnant's `civil_from_days`).
pub fn date_of_ms(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A required text field: trimmed, 1 to `max` bytes, not blank (`spec/record.md` §2.3: some
/// letter or digit, not only spaces, zero-width or format characters), no control characters
/// (line breaks are allowed where `multiline`).
pub fn text(field: &str, value: &str, max: usize, multiline: bool) -> ApiResult<String> {
    let v = value.trim();
    if piaojue_crypto::text::is_blank(v) {
        return Err(ApiError::BadRequest(format!("{field} must not be empty")));
    }
    optional_text(field, v, max, multiline)
}

/// An optional text field (may be empty); the same checks as [`text`] otherwise.
pub fn optional_text(field: &str, value: &str, max: usize, multiline: bool) -> ApiResult<String> {
    let v = value.trim();
    if v.len() > max {
        return Err(ApiError::BadRequest(format!(
            "{field} is longer than {max} bytes"
        )));
    }
    if v.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(ApiError::BadRequest(format!(
            "{field} holds control characters"
        )));
    }
    Ok(v.to_string())
}

/// A year of the cycle.
pub fn check_year(year: i64) -> ApiResult<i64> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::BadRequest(format!(
            "year {year} is not between 2000 and 2100"
        )))
    }
}

/// An identifier: 1–32 bytes of `a–z`, `0–9`, `-` (congress ids go into election ids).
pub fn check_id(field: &str, id: &str) -> ApiResult<()> {
    let ok = !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then_some(()).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{field} {id:?} must be 1 to 32 characters of a-z, 0-9 and '-'"
        ))
    })
}

/// A planned month `YYYY-MM`.
pub fn check_month(field: &str, s: &str) -> ApiResult<()> {
    let ok = piaojue_crypto::board::approval::is_date(&format!("{s}-01"));
    ok.then_some(())
        .ok_or_else(|| ApiError::BadRequest(format!("{field} {s:?} is not a month YYYY-MM")))
}

/// A date `YYYY-MM-DD`.
pub fn check_date(field: &str, s: &str) -> ApiResult<()> {
    piaojue_crypto::board::approval::is_date(s)
        .then_some(())
        .ok_or_else(|| ApiError::BadRequest(format!("{field} {s:?} is not a date YYYY-MM-DD")))
}

/// How many proposals one client may submit in a window, per server process.
#[derive(Debug)]
pub struct RateLimit {
    /// Submissions allowed per window.
    pub limit: usize,
    /// The window.
    pub window: Duration,
    seen: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl RateLimit {
    /// `limit` per `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        RateLimit {
            limit,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `client`, or refuses it with 429 when it is over the limit.
    pub fn check(&self, client: IpAddr) -> ApiResult<()> {
        let now = Instant::now();
        let mut seen = self.seen.lock().expect("rate limit lock");
        // Forget clients whose window has passed, so that the map stays small.
        if seen.len() > 10_000 {
            seen.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let q = seen.entry(client).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.limit {
            let wait = q
                .front()
                .map(|t| self.window.saturating_sub(now.duration_since(*t)))
                .unwrap_or(self.window);
            return Err(ApiError::TooManyRequests(format!(
                "too many proposals from this address: at most {} in {} s; try again in {} s",
                self.limit,
                self.window.as_secs(),
                wait.as_secs() + 1
            )));
        }
        q.push_back(now);
        Ok(())
    }
}

/// The cycle's state in [`crate::AppState`].
#[derive(Debug)]
pub struct CycleState {
    /// The limit on public proposal submissions.
    pub proposals: RateLimit,
}

impl Default for CycleState {
    fn default() -> Self {
        CycleState {
            proposals: RateLimit::new(30, Duration::from_secs(600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::date_of_ms;

    #[test]
    fn dates_of_instants() {
        assert_eq!(date_of_ms(0), "1970-01-01");
        assert_eq!(date_of_ms(-1), "1969-12-31");
        // 2000-02-29 (a leap day of a century divisible by 400) and the day after.
        assert_eq!(date_of_ms(951_782_400_000), "2000-02-29");
        assert_eq!(date_of_ms(951_868_800_000), "2000-03-01");
        // 2026-12-06T02:15:36Z, and the last millisecond of 2026.
        assert_eq!(date_of_ms(1_796_523_336_000), "2026-12-06");
        assert_eq!(date_of_ms(1_798_761_599_999), "2026-12-31");
        assert_eq!(date_of_ms(1_798_761_600_000), "2027-01-01");
    }
}
