//! The server's health as `/healthz` and `/readyz` report it (`spec/api.md` §Health), and the
//! one place that knows what a storage fault looks like.
//!
//! A full disk (SQLite's `SQLITE_FULL`, PostgreSQL's class 53 "insufficient resources") is a
//! state of the server, not of one request: every write fails until space returns. The log
//! writer reports each commit's outcome here; while the last one failed for lack of space,
//! writes are answered 503 with the reason, `/readyz` fails, and the fault is logged once when it
//! starts and once when it ends (not once per refused ballot).

use std::sync::Mutex;

/// What the last write to the database showed of its storage.
#[derive(Debug, Default)]
pub struct StorageHealth {
    /// The reason the database refused the last write for lack of space, while it lasts.
    full: Mutex<Option<String>>,
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
    /// Records that a write committed: a storage fault, if there was one, is over.
    pub fn committed(&self) {
        let mut full = self.full.lock().expect("health lock");
        if full.take().is_some() {
            tracing::warn!("the database accepts writes again: storage fault over");
        }
    }

    /// Records that a write failed with `fault`.
    pub fn failed(&self, fault: &StorageFault) {
        if let StorageFault::Full(reason) = fault {
            let mut full = self.full.lock().expect("health lock");
            if full.is_none() {
                tracing::error!(
                    reason = %reason,
                    "the database refuses writes: its storage is full; ballots are refused with 503 until space returns"
                );
            }
            *full = Some(reason.clone());
        }
    }

    /// The reason writes fail, while the storage is full.
    pub fn full(&self) -> Option<String> {
        self.full.lock().expect("health lock").clone()
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
        h.failed(&StorageFault::Full("database or disk is full".into()));
        assert_eq!(h.full().as_deref(), Some("database or disk is full"));
        h.committed();
        assert_eq!(h.full(), None);
    }
}
