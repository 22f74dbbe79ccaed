//! A temporary folder for one in-process server state (a SQLite file and a board key file),
//! removed when dropped. Included by the server's integration tests with `mod scratch;`.
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
