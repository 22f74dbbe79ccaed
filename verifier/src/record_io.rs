//! Reading and writing election records in the two forms of `spec/record.md` §8: one JSON
//! file, or a folder of `election.json`, `ballots.jsonl`, `audited.jsonl`, `result.json` and,
//! when the record has a board log, `board.json`, `board.jsonl`, `tree_heads.jsonl` and
//! `cosignatures.jsonl` (§9.5).
//!
//! Every file is read within the limits of `spec/record.md` §8.5 ([`crate::limits`]): only
//! regular files are opened ([`open_file`]), a whole file is read only up to its limit
//! ([`read_bytes`]), and JSON Lines files a line at a time ([`Lines`]).

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use piaojue_crypto::board::Entry;
use piaojue_crypto::json;
use piaojue_crypto::record::{
    BoardError, BoardInfo, BoardLog, ElectionData, ElectionRecord, TallyResult, derive_record,
};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::limits::{MAX_BOARD_INFO, MAX_CHUNK_BYTES, MAX_JSON_FILE, MAX_LINE, MAX_RECORD_FILE};
use crate::report::cut;
use crate::stream::CHUNK;

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
    /// The witnesses' cosignatures (`spec/record.md` §9.5).
    pub const COSIGNATURES: &str = "cosignatures.jsonl";
}

/// Why a record could not be read or written.
///
/// A decoder's message may quote the input: it is cut to [`MAX_MESSAGE`] characters
/// ([`cut`]). The errors hold their cause as text of their own (not as a `source`), so that a
/// chain of errors (`anyhow`'s `{:#}`) prints it once.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// A record's file is not a regular file (a FIFO, a device, a directory …): it is not
    /// read, so that it can neither block the reader nor feed it without end.
    #[error("{path} is not a regular file but {kind}: a record's files must be regular files")]
    NotAFile {
        /// The file.
        path: PathBuf,
        /// What it is, e.g. "a FIFO".
        kind: &'static str,
    },
    /// A file is larger than its limit (`spec/record.md` §8.5).
    #[error(
        "{path} is larger than {limit} bytes, the most this file of a record may hold (spec/record.md §8.5)"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its limit in bytes.
        limit: u64,
    },
    /// A line of a JSON Lines file is longer than [`MAX_LINE`].
    #[error(
        "{path}, line {line}: longer than {MAX_LINE} bytes, the longest line a record may hold (spec/record.md §8.5)"
    )]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
    },
    /// A file, or a line of a JSON Lines file, is not UTF-8.
    #[error("{path}, line {line}: not UTF-8")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The line, from 1, that holds the first byte that is not UTF-8.
        line: usize,
    },
    /// A board entry cannot be written as one line.
    #[error("board entry {0} holds a line break and cannot be written to board.jsonl")]
    Multiline(usize),
    /// A ballot of the single-file form does not decode.
    #[error("{path}, {item}: {}", cut(reason.as_str()))]
    DecodeItem {
        /// The file.
        path: PathBuf,
        /// Which value, e.g. `ballots[12]`.
        item: String,
        /// The decoder's message ([`decode_message`]).
        reason: String,
    },
    /// A board-form record's log does not make a record.
    #[error("{}: the board's log does not make a record: {}", .0.display(), cut(.1.to_string()))]
    Board(PathBuf, piaojue_crypto::record::BoardError),
    /// A file does not decode (bad JSON, bad point, non-canonical scalar, unknown field …).
    #[error(
        "{path}{}: {}",
        line.map(|l| format!(", line {l}")).unwrap_or_default(),
        cut(reason.as_str())
    )]
    Decode {
        /// The file.
        path: PathBuf,
        /// The line (JSON Lines files).
        line: Option<usize>,
        /// The decoder's message ([`decode_message`]).
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |error| RecordError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// What a file that is not a regular file is, for [`RecordError::NotAFile`].
fn file_kind(t: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Opens one of a record's files for reading, refusing anything but a regular file (a
/// symbolic link is followed, and what it leads to must be one).
///
/// On Unix the file is opened with `O_NONBLOCK`, so that opening a FIFO returns at once
/// instead of waiting for a writer; then the opened file's own metadata (not the path's, which
/// could change in between) must say it is a regular file. `O_NONBLOCK` changes nothing for
/// reading a regular file.
pub fn open_file(path: &Path) -> Result<File, RecordError> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io(path))?;
    let kind = file.metadata().map_err(io(path))?.file_type();
    if !kind.is_file() {
        return Err(RecordError::NotAFile {
            path: path.to_path_buf(),
            kind: file_kind(kind),
        });
    }
    Ok(file)
}

/// Reads a whole file of at most `limit` bytes ([`crate::limits`]); a larger one is refused
/// without reading past the limit.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, RecordError> {
    let file = open_file(path)?;
    let size = file.metadata().map_err(io(path))?.len();
    let too_large = || RecordError::TooLarge {
        path: path.to_path_buf(),
        limit,
    };
    if size > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read_bytes`], as UTF-8 (an error names the line of the first byte that is not).
pub fn read_text(path: &Path, limit: u64) -> Result<String, RecordError> {
    String::from_utf8(read_bytes(path, limit)?).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        RecordError::NotUtf8 {
            path: path.to_path_buf(),
            line: 1 + valid.iter().filter(|&&b| b == b'\n').count(),
        }
    })
}

/// The lines of a JSON Lines file, read one at a time: each without its `\n` (nothing else is
/// stripped), with its number from 1. A line longer than [`MAX_LINE`], one that is not UTF-8,
/// a file larger than [`MAX_RECORD_FILE`] or a read error is an error naming the line, and
/// ends the lines: no later line is read, so none is taken for another.
pub struct Lines<R> {
    reader: R,
    path: PathBuf,
    line: usize,
    read: u64,
    done: bool,
}

impl Lines<BufReader<File>> {
    /// The lines of the file at `path` ([`open_file`]).
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        Ok(Lines::new(
            BufReader::with_capacity(1 << 20, open_file(path)?),
            path,
        ))
    }
}

impl<R: BufRead> Lines<R> {
    /// The lines `reader` gives, `path` naming them in errors.
    pub fn new(reader: R, path: &Path) -> Self {
        Lines {
            reader,
            path: path.to_path_buf(),
            line: 0,
            read: 0,
            done: false,
        }
    }

    fn fail(&mut self, e: RecordError) -> Option<Result<(usize, String), RecordError>> {
        self.done = true;
        Some(Err(e))
    }
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<(usize, String), RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut buf = Vec::new();
        let n = match (&mut self.reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) => return None,
            Ok(n) => n,
            Err(e) => return self.fail(io(&self.path)(e)),
        };
        self.line += 1;
        self.read += n as u64;
        let path = || self.path.clone();
        if self.read > MAX_RECORD_FILE {
            let e = RecordError::TooLarge {
                path: path(),
                limit: MAX_RECORD_FILE,
            };
            return self.fail(e);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        } else if buf.len() > MAX_LINE {
            let e = RecordError::LineTooLong {
                path: path(),
                line: self.line,
            };
            return self.fail(e);
        }
        match String::from_utf8(buf) {
            Ok(s) => Some(Ok((self.line, s))),
            Err(_) => {
                let e = RecordError::NotUtf8 {
                    path: path(),
                    line: self.line,
                };
                self.fail(e)
            }
        }
    }
}

fn decode_error<'a>(
    path: &Path,
    line: Option<usize>,
    text: &'a str,
) -> impl FnOnce(serde_json::Error) -> RecordError + 'a {
    let path = path.to_path_buf();
    move |e| RecordError::Decode {
        path,
        line,
        reason: decode_message(&e.to_string(), text),
    }
}

/// A decoder's message about `text`, with an integer out of its type's range as the integer
/// the text holds: `serde_json` reads an integer beyond `u64` as a float and reports
/// ``invalid type: floating point `1.8446744073709552e19`, expected u64``; this says
/// ``integer `18446744073709551616` out of range, expected u64``. The integer is the one
/// integer of `text` (19 digits or more) with that float's value; if there is none or more
/// than one, the message is left as it is. (The message's position cannot say: a value read
/// through an internally tagged or flattened enum is reported at the end of its object.)
pub fn decode_message(message: &str, text: &str) -> String {
    const FLOAT: &str = "invalid type: floating point `";
    let exact = || {
        let (before, rest) = message.split_once(FLOAT)?;
        let (float, rest) = rest.split_once('`')?;
        let value: f64 = float.parse().ok()?;
        let bytes = text.as_bytes();
        let mut found: Option<&str> = None;
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = if i > 0 && bytes[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            let end = i + bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let number = &text[start..end];
            if end - i >= 19 && number.parse::<f64>().ok() == Some(value) {
                match found {
                    Some(f) if f != number => return None,
                    _ => found = Some(number),
                }
            }
            i = end;
        }
        Some(format!("{before}integer `{}` out of range{rest}", found?))
    };
    exact().unwrap_or_else(|| message.to_owned())
}

/// [`piaojue_crypto::record::parse_entry`], its decoder's message with an out-of-range
/// integer as the integer ([`decode_message`]).
pub fn parse_entry(index: u64, bytes: &str) -> Result<Entry, BoardError> {
    piaojue_crypto::record::parse_entry(index, bytes).map_err(|e| match e {
        BoardError::Parse { index, reason } => BoardError::Parse {
            index,
            reason: decode_message(&reason, bytes),
        },
        e => e,
    })
}

/// Reads a JSON file of at most [`MAX_JSON_FILE`] bytes.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, RecordError> {
    read_json_limited(path, MAX_JSON_FILE)
}

fn read_json_limited<T: DeserializeOwned>(path: &Path, limit: u64) -> Result<T, RecordError> {
    let text = read_text(path, limit)?;
    json::from_str(&text).map_err(decode_error(path, None, &text))
}

/// Reads `board.json` (at most [`MAX_BOARD_INFO`] bytes).
pub fn read_board_info(path: &Path) -> Result<BoardInfo, RecordError> {
    read_json_limited(path, MAX_BOARD_INFO)
}

/// Reads a JSON Lines file (blank lines are not allowed; a `\r` before a `\n` is removed),
/// line by line ([`Lines`]), decoding the lines of each chunk in parallel.
pub fn read_jsonl<T: DeserializeOwned + Send>(path: &Path) -> Result<Vec<T>, RecordError> {
    let mut lines = Lines::open(path)?;
    let mut out = Vec::new();
    loop {
        let mut chunk = Vec::new();
        let mut bytes = 0;
        for line in lines.by_ref() {
            let (n, mut text) = line?;
            if text.ends_with('\r') {
                text.pop();
            }
            bytes += text.len();
            chunk.push((n, text));
            if chunk.len() == CHUNK || bytes >= MAX_CHUNK_BYTES {
                break;
            }
        }
        if chunk.is_empty() {
            return Ok(out);
        }
        let decoded: Vec<T> = chunk
            .par_iter()
            .map(|(n, line)| json::from_str(line).map_err(decode_error(path, Some(*n), line)))
            .collect::<Result<_, _>>()?;
        out.extend(decoded);
    }
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
            json::from_str(r.get()).map_err(|e| RecordError::DecodeItem {
                path: path.to_path_buf(),
                item: format!("{what}[{i}]"),
                reason: decode_message(&e.to_string(), r.get()),
            })
        })
        .collect()
}

/// Reads the single-file form.
fn read_record_file(path: &Path) -> Result<ElectionRecord, RecordError> {
    let raw: RawRecord = read_json_limited(path, MAX_RECORD_FILE)?;
    Ok(ElectionRecord {
        election: raw.election,
        ballots: decode_all(path, "ballots", &raw.ballots)?,
        audited: decode_all(path, "audited", &raw.audited)?,
        result: raw.result,
        board: raw.board,
    })
}

/// Reads `board.jsonl`: the file is split at `\n` and each line is one entry's exact bytes
/// (nothing is stripped; a final `\n` ends the last line). Lines must be UTF-8 and at most
/// [`MAX_LINE`] bytes ([`Lines`]).
pub fn read_board_entries(path: &Path) -> Result<Vec<String>, RecordError> {
    Lines::open(path)?
        .map(|l| l.map(|(_, text)| text))
        .collect()
}

/// The forms a record comes in (`spec/record.md` §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordForm {
    /// `board.json`, `board.jsonl`, `tree_heads.jsonl`, `cosignatures.jsonl` and nothing else: the log is the
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
    let text = read_text(path, MAX_RECORD_FILE)?;
    match json::from_str::<BoardRecordFile>(&text) {
        Ok(f) => Ok(Some(f.board)),
        Err(_) if !text.trim_start().starts_with("{\"board\"") => Ok(None),
        Err(e) => Err(decode_error(path, None, &text)(e)),
    }
}

/// Reads a board-form folder's log whole (for the diff and receipt checks; verification
/// streams it instead).
pub fn read_board_folder(path: &Path) -> Result<BoardLog, RecordError> {
    Ok(BoardLog {
        info: read_board_info(&path.join(files::BOARD))?,
        entries: read_board_entries(&path.join(files::BOARD_ENTRIES))?,
        tree_heads: read_jsonl(&path.join(files::TREE_HEADS))?,
        cosignatures: read_jsonl(&path.join(files::COSIGNATURES))?,
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
                info: read_board_info(&board_path)?,
                entries: read_board_entries(&path.join(files::BOARD_ENTRIES))?,
                tree_heads: read_jsonl(&path.join(files::TREE_HEADS))?,
                cosignatures: read_jsonl(&path.join(files::COSIGNATURES))?,
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
            write_jsonl(&path.join(files::COSIGNATURES), &b.cosignatures)?;
        }
        None => {
            for f in [
                files::BOARD,
                files::BOARD_ENTRIES,
                files::TREE_HEADS,
                files::COSIGNATURES,
            ] {
                remove_if_exists(&path.join(f))?;
            }
        }
    }
    Ok(())
}

/// Writes a record's board log in board form: the folder holds `board.json`, `board.jsonl`,
/// `tree_heads.jsonl` and `cosignatures.jsonl`, and the files of the other form are removed.
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
    write_jsonl(&path.join(files::TREE_HEADS), &board.tree_heads)?;
    write_jsonl(&path.join(files::COSIGNATURES), &board.cosignatures)
}

/// Writes a record as one JSON file.
pub fn write_record_file(path: &Path, record: &ElectionRecord) -> Result<(), RecordError> {
    write_json(path, record)
}
