//! A temporary folder for one in-process server state (a SQLite file and a board key file),
//! removed when dropped, and, when `PIAOJUE_TEST_POSTGRES_URL` names a PostgreSQL server, a fresh
//! database on it for the same test. Included by the server's integration tests with
//! `mod scratch;`.
#![allow(dead_code)]

use std::path::PathBuf;

use rand::RngExt;

/// A folder removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A new folder under the system's temporary folder.
    pub fn new() -> Self {
        let suffix: u64 = rand::rng().random();
        let p = std::env::temp_dir().join(format!("piaojue-server-test-{suffix:016x}"));
        std::fs::create_dir_all(&p).expect("a temporary folder");
        Scratch(p)
    }

    /// The URL of its SQLite database.
    pub fn url(&self) -> String {
        format!("sqlite:{}", self.0.join("board.db").display())
    }

    /// Its board key file.
    pub fn key(&self) -> PathBuf {
        self.0.join("board-key")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh PostgreSQL database `piaojue_s_<random>` on the server of `PIAOJUE_TEST_POSTGRES_URL`
/// (e.g. `postgres://postgres@127.0.0.1/test`), dropped `WITH (FORCE)` when this is dropped.
pub struct ScratchPostgres {
    admin: String,
    name: String,
}

impl ScratchPostgres {
    /// A new database, or `None` (the test then skips PostgreSQL) if the variable is not set.
    pub async fn new() -> Option<Self> {
        let admin = std::env::var("PIAOJUE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let suffix: u64 = rand::rng().random();
        let db = ScratchPostgres {
            admin,
            name: format!("piaojue_s_{suffix:016x}"),
        };
        admin_sql(&db.admin, format!("CREATE DATABASE {}", db.name)).await;
        Some(db)
    }

    /// Its URL: the variable's with the database replaced.
    pub fn url(&self) -> String {
        let (server, query) = match self.admin.split_once('?') {
            Some((s, q)) => (s, format!("?{q}")),
            None => (self.admin.as_str(), String::new()),
        };
        let host_end = server.find("://").map_or(0, |i| i + 3);
        let server = match server[host_end..].find('/') {
            Some(i) => &server[..host_end + i],
            None => server,
        };
        format!("{server}/{}{query}", self.name)
    }
}

/// Runs one statement of the test's own on the administrative database.
async fn admin_sql(admin: &str, sql: String) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin)
        .await
        .expect("the PostgreSQL server of PIAOJUE_TEST_POSTGRES_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("an administrative statement");
    let _ = conn.close().await;
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        // Drop may run inside the test's runtime: a thread of its own with a runtime of its own.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let admin = self.admin.clone();
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(admin_sql(&admin, sql));
        })
        .join();
    }
}
