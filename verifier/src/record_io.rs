//! Reading and writing election records in the two forms of `spec/record.md` §8: one JSON
//! file, or a folder of `election.json`, `ballots.jsonl`, `audited.jsonl`, `result.json` and,
//! when the record has a board log, `board.json`, `board.jsonl` and `tree_heads.jsonl` (§9.5).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use piaojue_crypto::json;
use piaojue_crypto::record::{
    BoardLog, ElectionData, ElectionRecord, TallyResult, derive_record, parse_entry,
};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// File names of the folder form.
pub mod files {
    /// The set-up.
    pub const ELECTION: &str = "election.json";
    /// Cast ballots, one per line.
    pub const BALLOTS: &str = "ballots.jsonl";
    /// Audited ballots, one per line.
    pub const AUDITED: &str = "audited.jsonl";
    /// The result.
    pub const RESULT: &str = "result.json";
    /// The board's identity.
    pub const BOARD: &str = "board.json";
    /// The board's entries, one per line, as their exact bytes.
    pub const BOARD_ENTRIES: &str = "board.jsonl";
    /// The board's signed tree heads, one per line.
    pub const TREE_HEADS: &str = "tree_heads.jsonl";
}

/// Why a record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A board entry cannot be written as one line.
    #[error("board entry {0} holds a line break and cannot be written to board.jsonl")]
    Multiline(usize),
    /// A ballot of the single-file form does not decode.
    #[error("{path}, {item}: {source}")]
    DecodeItem {
        /// The file.
        path: PathBuf,
        /// Which value, e.g. `ballots[12]`.
        item: String,
        /// The error.
        source: serde_json::Error,
    },
    /// A board-form record's log does not make an election record.
    #[error("{0}: the board's log does not make a record: {1}")]
    Board(PathBuf, piaojue_crypto::record::BoardError),
    /// A file does not decode (bad JSON, bad point, non-canonical scalar, unknown field …).
    #[error("{path}{}: {source}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Decode {
        /// The file.
        path: PathBuf,
        /// The line (JSON Lines files).
        line: Option<usize>,
        /// The error.
        source: serde_json::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_text(path: &Path) -> Result<String, RecordError> {
    let bytes = fs::read(path).map_err(io(path))?;
    String::from_utf8(bytes).map_err(|e| RecordError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

fn decode_error(path: &Path, line: Option<usize>) -> impl FnOnce(serde_json::Error) -> RecordError {
    let path = path.to_path_buf();
    move |source| RecordError::Decode { path, line, source }
}

/// Reads a JSON file.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RecordError> {
    json::from_str(&read_text(path)?).map_err(decode_error(path, None))
}

/// Reads a JSON Lines file (blank lines are not allowed), decoding the lines in parallel.
pub fn read_jsonl<T: DeserializeOwned + Send>(path: &Path) -> Result<Vec<T>, RecordError> {
    let text = read_text(path)?;
    let lines: Vec<&str> = text.lines().collect();
    lines
        .par_iter()
        .enumerate()
        .map(|(i, line)| json::from_str(line).map_err(decode_error(path, Some(i + 1))))
        .collect()
}

/// The single-file form with the ballots still undecoded, so that they can be decoded in
/// parallel (decoding checks every point, which is most of the work).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    election: ElectionData,
    ballots: Vec<Box<RawValue>>,
    audited: Vec<Box<RawValue>>,
    #[serde(default)]
    result: Option<TallyResult>,
    #[serde(default)]
    board: Option<BoardLog>,
}

fn decode_all<T: DeserializeOwned + Send>(
    path: &Path,
    what: &str,
    raw: &[Box<RawValue>],
) -> Result<Vec<T>, RecordError> {
    raw.par_iter()
        .enumerate()
        .map(|(i, r)| {
            json::from_str(r.get()).map_err(|source| RecordError::DecodeItem {
                path: path.to_path_buf(),
                item: format!("{what}[{i}]"),
                source,
            })
        })
        .collect()
}

/// Reads the single-file form.
fn read_record_file(path: &Path) -> Result<ElectionRecord, RecordError> {
    let raw: RawRecord = read_json(path)?;
    Ok(ElectionRecord {
        election: raw.election,
        ballots: decode_all(path, "ballots", &raw.ballots)?,
        audited: decode_all(path, "audited", &raw.audited)?,
        result: raw.result,
        board: raw.board,
    })
}

/// Reads `board.jsonl`: the file is split at `\n` and each line is one entry's exact bytes
/// (nothing is stripped; a final `\n` ends the last line). Lines must be UTF-8.
pub fn read_board_entries(path: &Path) -> Result<Vec<String>, RecordError> {
    let text = read_text(path)?;
    let body = text.strip_suffix('\n').unwrap_or(&text);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    Ok(body.split('\n').map(str::to_owned).collect())
}

/// The forms a record comes in (`spec/record.md` §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordForm {
    /// `board.json`, `board.jsonl`, `tree_heads.jsonl` and nothing else: the log is the
    /// record (what a server exports; verified as a stream, `crate::stream`).
    BoardFolder,
    /// A folder with `election.json` (the board's files beside it or not).
    Folder,
    /// One JSON file: `{"board": …}` alone (board form) or an [`ElectionRecord`].
    File,
}

/// Which form the record at `path` is in.
pub fn record_form(path: &Path) -> RecordForm {
    if !path.is_dir() {
        RecordForm::File
    } else if !path.join(files::ELECTION).exists() && path.join(files::BOARD).exists() {
        RecordForm::BoardFolder
    } else {
        RecordForm::Folder
    }
}

/// A record in board form as one file: `{"board": {"info": …, "entries": […], "tree_heads":
/// […]}}`.
#[derive(Debug, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardRecordFile {
    /// The log.
    pub board: BoardLog,
}

/// Reads a single file in board form, or `None` if the file is in the other single-file form.
pub fn read_board_file(path: &Path) -> Result<Option<BoardLog>, RecordError> {
    let text = read_text(path)?;
    match json::from_str::<BoardRecordFile>(&text) {
        Ok(f) => Ok(Some(f.board)),
        Err(_) if !text.trim_start().starts_with("{\"board\"") => Ok(None),
        Err(source) => Err(RecordError::Decode {
            path: path.to_path_buf(),
            line: None,
            source,
        }),
    }
}

/// Reads a board-form folder's log whole (for the diff and receipt checks; verification
/// streams it instead).
pub fn read_board_folder(path: &Path) -> Result<BoardLog, RecordError> {
    Ok(BoardLog {
        info: read_json(&path.join(files::BOARD))?,
        entries: read_board_entries(&path.join(files::BOARD_ENTRIES))?,
        tree_heads: read_jsonl(&path.join(files::TREE_HEADS))?,
    })
}

/// The record a board log holds, every part derived from it, entries parsed in parallel.
pub fn record_from_board(path: &Path, board: BoardLog) -> Result<ElectionRecord, RecordError> {
    let parsed: Vec<_> = board
        .entries
        .par_iter()
        .enumerate()
        .map(|(i, e)| parse_entry(i as u64, e))
        .collect::<Result<_, _>>()
        .map_err(|e| RecordError::Board(path.to_path_buf(), e))?;
    let mut record = derive_record(&board.info, parsed)
        .map_err(|e| RecordError::Board(path.to_path_buf(), e))?
        .record;
    record.board = Some(board);
    Ok(record)
}

/// Reads a record from a folder or a single JSON file, in any form (a board-form record is
/// derived from its log).
pub fn read_record(path: &Path) -> Result<ElectionRecord, RecordError> {
    match record_form(path) {
        RecordForm::BoardFolder => return record_from_board(path, read_board_folder(path)?),
        RecordForm::File => {
            if let Some(board) = read_board_file(path)? {
                return record_from_board(path, board);
            }
            return read_record_file(path);
        }
        RecordForm::Folder => {}
    }
    let result_path = path.join(files::RESULT);
    let board_path = path.join(files::BOARD);
    Ok(ElectionRecord {
        election: read_json(&path.join(files::ELECTION))?,
        ballots: read_jsonl(&path.join(files::BALLOTS))?,
        audited: read_jsonl(&path.join(files::AUDITED))?,
        result: if result_path.exists() {
            Some(read_json(&result_path)?)
        } else {
            None
        },
        board: if board_path.exists() {
            Some(BoardLog {
                info: read_json(&board_path)?,
                entries: read_board_entries(&path.join(files::BOARD_ENTRIES))?,
                tree_heads: read_jsonl(&path.join(files::TREE_HEADS))?,
            })
        } else {
            None
        },
    })
}

fn write_jsonl<T: serde::Serialize>(path: &Path, items: &[T]) -> Result<(), RecordError> {
    let mut w = BufWriter::new(File::create(path).map_err(io(path))?);
    for item in items {
        serde_json::to_writer(&mut w, item).expect("record values serialize");
        w.write_all(b"\n").map_err(io(path))?;
    }
    w.flush().map_err(io(path))
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), RecordError> {
    let mut w = BufWriter::new(File::create(path).map_err(io(path))?);
    serde_json::to_writer_pretty(&mut w, value).expect("record values serialize");
    w.write_all(b"\n").map_err(io(path))?;
    w.flush().map_err(io(path))
}

fn remove_if_exists(path: &Path) -> Result<(), RecordError> {
    if path.exists() {
        fs::remove_file(path).map_err(io(path))?;
    }
    Ok(())
}

/// Writes `board.jsonl`: each entry's bytes followed by `\n`.
pub fn write_board_entries(path: &Path, entries: &[String]) -> Result<(), RecordError> {
    if let Some(i) = entries.iter().position(|e| e.contains('\n')) {
        return Err(RecordError::Multiline(i));
    }
    let mut w = BufWriter::new(File::create(path).map_err(io(path))?);
    for e in entries {
        w.write_all(e.as_bytes()).map_err(io(path))?;
        w.write_all(b"\n").map_err(io(path))?;
    }
    w.flush().map_err(io(path))
}

/// Writes a record in the folder form (creating the folder). Files of parts the record does
/// not have (`result.json`, the board's files) are removed.
pub fn write_record_folder(path: &Path, record: &ElectionRecord) -> Result<(), RecordError> {
    fs::create_dir_all(path).map_err(io(path))?;
    write_json(&path.join(files::ELECTION), &record.election)?;
    write_jsonl(&path.join(files::BALLOTS), &record.ballots)?;
    write_jsonl(&path.join(files::AUDITED), &record.audited)?;
    let result_path = path.join(files::RESULT);
    match &record.result {
        Some(r) => write_json(&result_path, r)?,
        None => remove_if_exists(&result_path)?,
    }
    match &record.board {
        Some(b) => {
            write_json(&path.join(files::BOARD), &b.info)?;
            write_board_entries(&path.join(files::BOARD_ENTRIES), &b.entries)?;
            write_jsonl(&path.join(files::TREE_HEADS), &b.tree_heads)?;
        }
        None => {
            for f in [files::BOARD, files::BOARD_ENTRIES, files::TREE_HEADS] {
                remove_if_exists(&path.join(f))?;
            }
        }
    }
    Ok(())
}

/// Writes a record's board log in board form: the folder holds `board.json`, `board.jsonl`
/// and `tree_heads.jsonl`, and the files of the other form are removed.
pub fn write_board_folder(path: &Path, board: &BoardLog) -> Result<(), RecordError> {
    fs::create_dir_all(path).map_err(io(path))?;
    for f in [
        files::ELECTION,
        files::BALLOTS,
        files::AUDITED,
        files::RESULT,
    ] {
        remove_if_exists(&path.join(f))?;
    }
    write_json(&path.join(files::BOARD), &board.info)?;
    write_board_entries(&path.join(files::BOARD_ENTRIES), &board.entries)?;
    write_jsonl(&path.join(files::TREE_HEADS), &board.tree_heads)
}

/// Writes a record as one JSON file.
pub fn write_record_file(path: &Path, record: &ElectionRecord) -> Result<(), RecordError> {
    write_json(path, record)
}
