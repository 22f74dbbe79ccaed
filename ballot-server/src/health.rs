//! The server's health as `/healthz` and `/readyz` report it (`spec/api.md` §Health), and the
//! one place that knows what a storage fault looks like.
//!
//! A full disk (SQLite's `SQLITE_FULL`, PostgreSQL's class 53 "insufficient resources") is a
//! state of the server, not of one request: every write fails until space returns. The log
//! writer reports each commit's outcome here; while the last one failed for lack of space,
//! writes are answered 503 with the reason, `/readyz` fails, and the fault is logged once when it
//! starts and once when it ends (not once per refused ballot).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A storage fault is over, for the log, once commits succeed this long after the last refusal:
/// a disk that is nearly full refuses one batch and takes the next, smaller one, and that is
/// one fault, logged once, not one line per batch.
pub const QUIET: Duration = Duration::from_secs(10);

/// What the last write to the database showed of its storage.
#[derive(Debug, Default)]
pub struct StorageHealth {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The reason the database refused the last write for lack of space, while it lasts.
    full: Option<String>,
    /// The fault as logged: since when, the last refusal, how many commits were refused.
    episode: Option<Episode>,
}

#[derive(Debug)]
struct Episode {
    since: Instant,
    last_refusal: Instant,
    refused: u64,
}

/// Why a database error happened, as far as the server's answer is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageFault {
    /// The disk or tablespace is full (or out of another resource the database needs to write):
    /// nothing can be committed until an operator makes room. Carries the database's message.
    Full(String),
    /// Any other fault.
    Other,
}

impl StorageFault {
    /// Classifies a database error.
    pub fn of(e: &sqlx::Error) -> Self {
        let sqlx::Error::Database(db) = e else {
            return StorageFault::Other;
        };
        let code = db.code();
        let code = code.as_deref().unwrap_or("");
        // SQLite: SQLITE_FULL (13) and its extended codes; the message is "database or disk is
        // full". PostgreSQL: SQLSTATE class 53 — 53100 disk_full, 53200 out_of_memory,
        // 53300 too_many_connections, 53400 configuration_limit_exceeded — of which a write can
        // meet the first two.
        let sqlite_full = code.parse::<i64>().is_ok_and(|c| c & 0xff == 13);
        let pg_full = code == "53100" || code == "53200";
        if sqlite_full || pg_full {
            StorageFault::Full(db.message().to_string())
        } else {
            StorageFault::Other
        }
    }
}

impl StorageHealth {
    /// Records that a write committed: writes work again (for `/readyz`), and the fault is
    /// logged as over once no refusal came for [`QUIET`].
    pub fn committed(&self) {
        self.committed_at(Instant::now());
    }

    /// Records that a write failed with `fault`.
    pub fn failed(&self, fault: &StorageFault) {
        self.failed_at(fault, Instant::now());
    }

    fn committed_at(&self, now: Instant) {
        let mut s = self.state.lock().expect("health lock");
        s.full = None;
        if let Some(e) = &s.episode
            && now.duration_since(e.last_refusal) >= QUIET
        {
            tracing::warn!(
                refused_commits = e.refused,
                seconds = e.last_refusal.duration_since(e.since).as_secs(),
                "the database accepts writes again: the storage fault is over"
            );
            s.episode = None;
        }
    }

    fn failed_at(&self, fault: &StorageFault, now: Instant) {
        let StorageFault::Full(reason) = fault else {
            return;
        };
        let mut s = self.state.lock().expect("health lock");
        match &mut s.episode {
            Some(e) => {
                e.last_refusal = now;
                e.refused += 1;
            }
            None => {
                tracing::error!(
                    reason = %reason,
                    "the database refuses writes: its storage is full; writes are refused with 503 until space returns"
                );
                s.episode = Some(Episode {
                    since: now,
                    last_refusal: now,
                    refused: 1,
                });
            }
        }
        s.full = Some(reason.clone());
    }

    /// The reason writes fail, while the storage is full (the last write was refused for it).
    pub fn full(&self) -> Option<String> {
        self.state.lock().expect("health lock").full.clone()
    }

    /// Whether a storage fault is going on, as logged (it ends [`QUIET`] after the last
    /// refusal, at the next commit).
    pub fn in_fault(&self) -> bool {
        self.state.lock().expect("health lock").episode.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_remembered_until_a_commit() {
        let h = StorageHealth::default();
        assert_eq!(h.full(), None);
        h.failed(&StorageFault::Other);
        assert_eq!(h.full(), None);
        assert!(!h.in_fault());
        h.failed(&StorageFault::Full("database or disk is full".into()));
        assert_eq!(h.full().as_deref(), Some("database or disk is full"));
        h.committed();
        assert_eq!(h.full(), None);
    }

    #[test]
    fn a_flapping_fault_is_one_episode_until_quiet() {
        let h = StorageHealth::default();
        let t = Instant::now();
        let full = StorageFault::Full("full".into());
        h.failed_at(&full, t);
        h.committed_at(t + Duration::from_millis(10));
        assert_eq!(h.full(), None, "writes work again");
        assert!(h.in_fault(), "but the fault is not over for the log");
        h.failed_at(&full, t + Duration::from_millis(20));
        h.committed_at(t + Duration::from_millis(19) + QUIET);
        assert!(h.in_fault(), "not quiet long enough after the last refusal");
        h.committed_at(t + Duration::from_millis(20) + QUIET);
        assert!(!h.in_fault());
    }
}
