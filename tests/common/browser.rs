//! What a browser test needs: `node`, `web/node_modules/playwright-core` and Chromium
//! (`PIAOJUE_CHROMIUM`, else `/usr/bin/chromium`). Without them a browser test is skipped with
//! a notice, or fails when `PIAOJUE_REQUIRE_BROWSER=1` (as `.ci/run` sets).
//!
//! Included by a test with `#[path = "common/browser.rs"] mod browser;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium binary the scripts launch.
pub fn chromium() -> PathBuf {
    std::env::var_os("PIAOJUE_CHROMIUM")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Why a browser test cannot run here, if it cannot.
pub fn missing(root: &Path) -> Option<String> {
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => return Some("`node` is not installed".into()),
    }
    if !root.join("web/node_modules/playwright-core").is_dir() {
        return Some("web/node_modules/playwright-core is missing (run `npm ci` in web/)".into());
    }
    let chromium = chromium();
    if !chromium.is_file() {
        return Some(format!(
            "Chromium is not at {} (set PIAOJUE_CHROMIUM)",
            chromium.display()
        ));
    }
    None
}

/// Whether the browser test may run: `true`, or `false` after printing why it is skipped;
/// panics instead when `PIAOJUE_REQUIRE_BROWSER=1`.
pub fn available(root: &Path) -> bool {
    let Some(why) = missing(root) else {
        return true;
    };
    if std::env::var("PIAOJUE_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("the browser test cannot run: {why} (PIAOJUE_REQUIRE_BROWSER=1)");
    }
    println!("skipped: {why}");
    false
}

/// `target/browser-artifacts/`, created.
pub fn artifacts(root: &Path) -> PathBuf {
    let dir = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/browser-artifacts");
    dir
}
