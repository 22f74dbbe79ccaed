//! The verifier's downloads (`serve --downloads-dir DIR`, `spec/api.md` §Downloads): the files
//! of one folder, read once at start, served at `GET /downloads/{file}` and listed with their
//! size and SHA-256 at `GET /api/downloads`, so that a deputy gets the independent verifier
//! from the server and can compare its digest with one published elsewhere, or build it from
//! source with the command listed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The command that builds the verifier from the source (`README.md`).
pub const BUILD_COMMAND: &str = "cargo build --release -p piaojue-verifier";

/// The most a downloads folder may hold in all: 1 GiB (the files are kept in memory).
pub const MAX_TOTAL: u64 = 1 << 30;

/// Why a downloads folder cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum DownloadsError {
    /// The folder or a file in it cannot be read.
    #[error("reading {path}: {source}")]
    Read {
        /// What was read.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The files are larger than [`MAX_TOTAL`] in all.
    #[error("the files of {0} are larger than {MAX_TOTAL} bytes in all")]
    TooLarge(PathBuf),
}

/// One file offered.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadFile {
    /// Its name, one path segment of `A–Z a–z 0–9 . - _`.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, 64 lowercase hex digits (as `sha256sum` prints it).
    pub sha256: String,
    /// Where to get it: `/downloads/{name}`.
    pub url: String,
}

/// The files offered (none by default).
#[derive(Debug, Clone, Default)]
pub struct Downloads {
    files: BTreeMap<String, (DownloadFile, Bytes)>,
}

/// The answer of `GET /api/downloads`.
#[derive(Debug, Serialize)]
pub struct DownloadList<'a> {
    /// The server's version (the verifier's is the same in one build).
    pub version: &'static str,
    /// How to build the verifier from the source instead.
    pub build_command: &'static str,
    /// The files, by name.
    pub files: Vec<&'a DownloadFile>,
}

/// Whether `name` is a file name served: one path segment of plain characters, not hidden.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl Downloads {
    /// The regular files of `dir` whose names are plain ([`is_plain_name`]), read now;
    /// sub-folders, links to folders and other names are left out.
    pub fn from_dir(dir: &Path) -> Result<Self, DownloadsError> {
        let read_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DownloadsError::Read { path, source }
        };
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
            let entry = entry.map_err(read_err(dir))?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !is_plain_name(&name) || !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(read_err(&path))?;
            total += bytes.len() as u64;
            if total > MAX_TOTAL {
                return Err(DownloadsError::TooLarge(dir.to_path_buf()));
            }
            let file = DownloadFile {
                size: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&bytes)),
                url: format!("/downloads/{name}"),
                name: name.clone(),
            };
            files.insert(name, (file, Bytes::from(bytes)));
        }
        Ok(Downloads { files })
    }

    /// The list `GET /api/downloads` answers.
    pub fn list(&self) -> DownloadList<'_> {
        DownloadList {
            version: env!("CARGO_PKG_VERSION"),
            build_command: BUILD_COMMAND,
            files: self.files.values().map(|(f, _)| f).collect(),
        }
    }

    /// `GET /downloads/{name}`: the file, or 404 for any other name (a name is only looked
    /// up, never joined to a path).
    pub fn respond(&self, name: &str) -> Response {
        match self.files.get(name) {
            Some((f, bytes)) => {
                let mut res = bytes.clone().into_response();
                let h = res.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                if let Ok(v) =
                    HeaderValue::from_str(&format!("attachment; filename=\"{}\"", f.name))
                {
                    h.insert(header::CONTENT_DISPOSITION, v);
                }
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                res
            }
            None => ApiError::NotFound(format!(
                "no download {:?}",
                name.chars().take(80).collect::<String>()
            ))
            .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_regular_files_are_offered() {
        let dir = std::env::temp_dir().join(format!("piaojue-downloads-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("piaojue-verify"), b"binary").unwrap();
        std::fs::write(dir.join(".hidden"), b"secret").unwrap();
        std::fs::write(dir.join("with space"), b"x").unwrap();
        std::fs::write(dir.join("sub").join("inner"), b"x").unwrap();
        let d = Downloads::from_dir(&dir).unwrap();
        let names: Vec<&str> = d.list().files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["piaojue-verify"]);
        let f = d.list().files[0];
        assert_eq!(f.size, 6);
        // sha256sum of "binary".
        assert_eq!(
            f.sha256,
            "9a3a45d01531a20e89ac6ae10b0b0beb0492acd7216a368aa062d1a5fecaf9cd"
        );
        assert!(!is_plain_name("../etc/passwd"));
        assert!(!is_plain_name(".."));
        assert!(!is_plain_name(""));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        assert!(matches!(
            Downloads::from_dir(Path::new("/nonexistent/piaojue-downloads")),
            Err(DownloadsError::Read { .. })
        ));
    }
}
