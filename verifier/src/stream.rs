//! Verifying a bulletin-board log as it streams past (`spec/verification.md` §3.2): a record in
//! board form — `board.json`, `board.jsonl`, `tree_heads.jsonl`, `cosignatures.jsonl`, and
//! nothing else — is its
//! log, and every step V1–V11 is computed from the log in one pass, in memory bounded by the
//! set-up, one chunk of entries and a few bytes per ballot (its tracking code and credential),
//! whatever the number of ballots.
//!
//! The log is read in chunks of [`CHUNK`] entries. Each chunk's entries are hashed into Merkle
//! leaves and parsed in parallel (parsing decodes every point, once: this is most of the
//! work); then, in order, the leaves extend a [`MerkleFrontier`] (each signed tree head is
//! checked when the log reaches its size), the entries go through the lifecycle automaton
//! ([`LogReader`]), and the chunk's ballots are verified in parallel batches ([`CastBallots`])
//! and added to a running tally. Nothing is read twice and nothing is kept that a later step
//! does not need.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use piaojue_crypto::ballot::{AuditedBallot, Ballot};
use piaojue_crypto::board::merkle::{Hash, MerkleFrontier, leaf_hash};
use piaojue_crypto::board::{Event, SignedTreeHead, log_id};
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::{
    BoardError, BoardInfo, ElectionData, LogEnd, LogItem, LogReader, RecordedCosignature,
};
use piaojue_crypto::signature::SignatureBatch;
use rayon::prelude::*;

use crate::board::{approval_step, log_id_failure};
use crate::limits::MAX_CHUNK_BYTES;
use crate::message::{Detail, Message, Text};
use crate::progress::{NoProgress, Progress};
use crate::record_io::{self, RecordError, files, parse_entry};
use crate::report::{Report, steps};
use crate::share_heads::ShareHeads;
use crate::verify::{CastBallots, verify_audited, verify_election, verify_result};
use crate::witnessed::{self, MILESTONES};

/// Entries read, hashed and parsed at a time.
pub const CHUNK: usize = 4096;

/// Verifies a record in board form from its folder, streaming `board.jsonl`.
pub fn verify_board_folder(path: &Path, progress: &dyn Progress) -> Result<Report, RecordError> {
    Ok(verify_board_folder_info(path, progress)?.0)
}

/// [`verify_board_folder`], also answering the board's identity (`board.json`) it verified
/// against (the board key to compare with a pinned one, `board::pin_board_key`).
pub fn verify_board_folder_info(
    path: &Path,
    progress: &dyn Progress,
) -> Result<(Report, BoardInfo), RecordError> {
    let info: BoardInfo = record_io::read_board_info(&path.join(files::BOARD))?;
    let heads: Vec<SignedTreeHead> = record_io::read_jsonl(&path.join(files::TREE_HEADS))?;
    let cosignatures: Vec<RecordedCosignature> =
        record_io::read_jsonl(&path.join(files::COSIGNATURES))?;
    let lines = record_io::Lines::open(&path.join(files::BOARD_ENTRIES))?;
    let entries = lines.map(|l| l.map(|(_, text)| text).map_err(|e| e.to_string()));
    let report = verify_log(&info, &heads, &cosignatures, entries, progress);
    Ok((report, info))
}

/// Verifies a board log given as its info, its signed tree heads and its entries in order
/// (each entry's exact bytes; an `Err` is a read error, which ends the log: no later item is
/// taken, so that no entry is taken for the one before it). Every step of
/// `spec/verification.md` is in the report.
pub fn verify_log(
    info: &BoardInfo,
    heads: &[SignedTreeHead],
    cosignatures: &[RecordedCosignature],
    entries: impl Iterator<Item = Result<String, String>>,
    progress: &dyn Progress,
) -> Report {
    verify_log_chunked(info, heads, cosignatures, entries, CHUNK, progress)
}

/// [`verify_log`] reading `chunk` entries at a time (the verdict does not depend on it; tests
/// use small chunks to cross every boundary).
pub fn verify_log_chunked(
    info: &BoardInfo,
    heads: &[SignedTreeHead],
    cosignatures: &[RecordedCosignature],
    mut entries: impl Iterator<Item = Result<String, String>>,
    chunk: usize,
    progress: &dyn Progress,
) -> Report {
    let mut report = Report {
        election_id: Some(info.election_id.clone()),
        ..Report::default()
    };
    let total = heads.last().map_or(0, |h| h.head.size);
    progress.begin("board entries", total);
    let mut log = LogState::new(info, heads, cosignatures, chunk.max(1));

    // Until the vote opens, entries are the set-up: nothing to verify yet. The set-up is the
    // log's as of its `open` entry, even when a later entry of the same chunk breaks the log.
    let mut items = Vec::new();
    let setup = loop {
        if let Some(setup) = log.setup.take() {
            break Some(setup);
        }
        match log.read_chunk(&mut entries, progress) {
            Some(chunk) => items.extend(chunk),
            None => break None,
        }
    };
    let ctx = setup.as_ref().and_then(|e| verify_election(e, &mut report));
    match (&setup, &ctx) {
        (Some(election), Some(ctx)) => {
            let mut cast = CastBallots::new(ctx, &election.credentials);
            let mut audited: Vec<AuditedBallot> = Vec::new();
            loop {
                let mut ballots: Vec<Ballot> = Vec::with_capacity(items.len());
                for item in items.drain(..) {
                    match item {
                        LogItem::Ballot(_, b) => ballots.push(b),
                        LogItem::Audited(_, a) => audited.push(a),
                    }
                }
                // The progress bar counts entries (read_chunk), not ballots.
                cast.push(ballots, &NoProgress);
                match log.read_chunk(&mut entries, progress) {
                    Some(chunk) => items = chunk,
                    None => break,
                }
            }
            progress.end();
            let summary = cast.finish(&mut report);
            verify_audited(ctx, &election.credentials, &audited, &summary, &mut report);
            let heads = std::mem::take(&mut log.share_heads);
            let end = log.finish(&mut report);
            match end {
                Some(mut end) => {
                    // A log records no number of counted ballots (only a record's result
                    // claims one, V8.1): the count is the verifier's own.
                    if let Some(r) = end.result.as_mut() {
                        r.counted = summary.counted;
                    }
                    verify_result(
                        &end.election,
                        &summary,
                        end.result.as_ref(),
                        Some(&heads),
                        &mut report,
                    )
                }
                None => skip_result(&mut report, Text::LogBreaksBeforeResult),
            }
        }
        _ => {
            // No election to verify ballots of (the log breaks off or its set-up fails V1–V4):
            // the board itself is still checked to its end.
            while log.read_chunk(&mut entries, progress).is_some() {}
            progress.end();
            let why = if setup.is_none() {
                Text::LogNotOpened
            } else {
                Text::SetupDidNotVerify
            };
            if setup.is_none() {
                for s in [
                    steps::MANIFEST,
                    steps::CEREMONY,
                    steps::CREDENTIALS,
                    steps::FINGERPRINT,
                ] {
                    report.skip(s, why.clone());
                }
            }
            report.skip(steps::BALLOTS, why.clone());
            report.skip(steps::AUDITED, why.clone());
            log.finish(&mut report);
            skip_result(&mut report, why);
        }
    }
    report
}

fn skip_result(report: &mut Report, why: Text) {
    for s in [steps::TALLY, steps::SHARES, steps::COUNTS, steps::OUTCOME] {
        report.skip(s, why.clone());
    }
}

/// V7 as the log streams past: the Merkle frontier, the tree heads met on the way, the
/// lifecycle automaton (dropped at the first entry that breaks it) and every failure.
struct LogState<'a> {
    info: &'a BoardInfo,
    heads: &'a [SignedTreeHead],
    /// Head positions by size, for the heads the log has not reached yet.
    waiting: HashMap<u64, Vec<usize>>,
    chunk: usize,
    frontier: MerkleFrontier,
    /// Fed every entry up to the first that breaks the log, then kept as it was before it.
    reader: Option<LogReader>,
    broken: Option<BoardError>,
    /// A read error ended the log.
    ended: bool,
    /// The set-up, once the log has opened the vote (taken by the caller).
    setup: Option<ElectionData>,
    opened: bool,
    ballots: u64,
    audited: u64,
    failures: Vec<Message>,
    /// The tally and the shares on the log, with the roots after the tally (V9.7).
    share_heads: ShareHeads,
    /// The witnesses' cosignatures (V7.10), the sizes they need a root of, and those roots.
    cosignatures: &'a [RecordedCosignature],
    cosigned_sizes: HashSet<u64>,
    cosigned_roots: HashMap<u64, Hash>,
    /// The milestone entries met (V7.10) and the manifest (entry 0), once read.
    milestones: Vec<(u64, String)>,
    manifest: Option<Manifest>,
}

impl<'a> LogState<'a> {
    fn new(
        info: &'a BoardInfo,
        heads: &'a [SignedTreeHead],
        cosignatures: &'a [RecordedCosignature],
        chunk: usize,
    ) -> Self {
        let mut waiting: HashMap<u64, Vec<usize>> = HashMap::new();
        for (k, h) in heads.iter().enumerate() {
            waiting.entry(h.head.size).or_default().push(k);
        }
        let mut state = LogState {
            info,
            heads,
            waiting,
            chunk,
            frontier: MerkleFrontier::new(),
            reader: Some(LogReader::new(info)),
            broken: None,
            ended: false,
            setup: None,
            opened: false,
            ballots: 0,
            audited: 0,
            failures: Vec::new(),
            share_heads: ShareHeads::new(),
            cosignatures,
            cosigned_sizes: cosignatures.iter().map(|c| c.size).collect(),
            cosigned_roots: HashMap::new(),
            milestones: Vec::new(),
            manifest: None,
        };
        state.check_heads_at_size();
        state
    }

    /// Reads, hashes and parses the next chunk; returns its ballots (none once the log is
    /// broken), or `None` at the end of the log.
    fn read_chunk(
        &mut self,
        entries: &mut impl Iterator<Item = Result<String, String>>,
        progress: &dyn Progress,
    ) -> Option<Vec<LogItem>> {
        let mut lines = Vec::with_capacity(self.chunk);
        let mut bytes = 0;
        while !self.ended && lines.len() < self.chunk && bytes < MAX_CHUNK_BYTES {
            match entries.next() {
                Some(Ok(l)) => {
                    bytes += l.len();
                    lines.push(l);
                }
                Some(Err(e)) => {
                    let at = self.frontier.len() + lines.len() as u64;
                    self.failures.push(
                        Text::LogUnreadable {
                            at,
                            detail: Detail::of(e),
                        }
                        .into(),
                    );
                    self.ended = true;
                }
                None => self.ended = true,
            }
        }
        if lines.is_empty() {
            return None;
        }
        let first = self.frontier.len();
        let parse = self.broken.is_none();
        let parsed: Vec<(Hash, Option<_>)> = lines
            .par_iter()
            .enumerate()
            .map(|(i, line)| {
                let leaf = leaf_hash(line.as_bytes());
                (leaf, parse.then(|| parse_entry(first + i as u64, line)))
            })
            .collect();
        drop(lines);
        let mut items = Vec::new();
        for (leaf, entry) in parsed {
            self.frontier.push(leaf);
            self.check_heads_at_size();
            if self.cosigned_sizes.contains(&self.frontier.len()) {
                self.cosigned_roots
                    .insert(self.frontier.len(), self.frontier.root());
            }
            if let Some(Ok(e)) = &entry {
                self.share_heads.note(e);
                let kind = e.event.kind();
                if MILESTONES.contains(&kind) {
                    self.milestones.push((e.index, kind.to_string()));
                }
                if let (0, Event::Manifest(m)) = (e.index, &e.event) {
                    self.manifest = Some(m.clone());
                }
            }
            if self.share_heads.wants_roots() {
                self.share_heads.root(self.frontier.root());
            }
            let Some(entry) = entry else { continue };
            let Some(reader) = self.reader.as_mut().filter(|_| self.broken.is_none()) else {
                continue;
            };
            match entry.and_then(|e| reader.push(e)) {
                Ok(Some(item)) => {
                    match &item {
                        LogItem::Ballot(..) => self.ballots += 1,
                        LogItem::Audited(..) => self.audited += 1,
                    }
                    items.push(item);
                }
                Ok(None) => {
                    if !self.opened {
                        self.setup = reader.setup();
                        self.opened = self.setup.is_some();
                    }
                }
                Err(e) => {
                    // The log breaks here: the rest is only hashed. The reader keeps what came
                    // before (spec/verification.md §5.2).
                    self.broken = Some(e);
                }
            }
        }
        progress.advance(self.frontier.len() - first);
        Some(items)
    }

    /// The roots of the heads whose size the log has just reached (V7.5).
    fn check_heads_at_size(&mut self) {
        let size = self.frontier.len();
        if let Some(ks) = self.waiting.remove(&size) {
            let root = self.frontier.root();
            for k in ks {
                if self.heads[k].head.root.0 != root {
                    self.failures.push(Text::HeadRoot { k, size }.into());
                }
            }
        }
    }

    /// After the last entry: V7.1, the lifecycle's end, V7.5–V7.7, and the V7 line of the
    /// report. Returns the log's end when the log is a complete, unbroken election.
    fn finish(mut self, report: &mut Report) -> Option<LogEnd> {
        let n = self.frontier.len();
        let info = self.info;
        let mut failures: Vec<Message> = Vec::new();
        // V7.1 Identity.
        if info.log_id != log_id(&info.election_id) {
            failures.push(log_id_failure(info));
        }
        // V7.2–V7.3 Parsing and lifecycle. A log broken after its result entry still gives
        // the result (every input of V8–V11 came before the bad entry).
        let unbroken = self.broken.is_none();
        let end = match (self.broken.take(), self.reader.take()) {
            (Some(e), reader) => {
                failures.push(Message::board(e));
                reader
                    .filter(LogReader::has_result)
                    .and_then(|r| r.finish().ok())
            }
            (None, Some(reader)) => match reader.finish() {
                Ok(end) => Some(end),
                Err(e) => {
                    failures.push(Message::board(e));
                    None
                }
            },
            (None, None) => None,
        };
        // V7.7 The approval of the candidates.
        let mut summary: Vec<Message> = vec![
            Text::BoardSummary {
                entries: n,
                heads: self.heads.len(),
            }
            .into(),
            Text::BoardBallots {
                cast: self.ballots,
                audited: self.audited,
            }
            .into(),
        ];
        if let Some(end) = end.as_ref().filter(|_| unbroken) {
            summary.extend(approval_step(
                &end.election.manifest,
                &end.approvals,
                &mut failures,
            ));
        }
        // V7.5 Heads beyond the log; signatures, log ids and the sequence; V7.6.
        let mut beyond: Vec<usize> = self.waiting.into_values().flatten().collect();
        beyond.sort_unstable();
        for k in beyond {
            failures.push(
                Text::HeadBeyondLog {
                    k,
                    size: self.heads[k].head.size,
                    entries: n,
                }
                .into(),
            );
        }
        failures.extend(check_head_signatures(info, self.heads));
        failures.extend(check_head_sequence(self.heads, n));
        failures.append(&mut self.failures);
        // V7.9 The manifest's board, V7.10 witnessed.
        if let Some(manifest) = &self.manifest {
            failures.extend(witnessed::check_board_key(manifest, info));
            let roots = &self.cosigned_roots;
            let (more, said) = witnessed::check_cosignatures(
                manifest,
                n,
                |m| roots.get(&m).copied(),
                &self.milestones,
                self.cosignatures,
            );
            failures.extend(more);
            summary.push(said);
        }
        report.push(steps::BOARD, Message::Joined(summary), failures);
        end
    }
}

/// V7.5: every head's signature (one batch; alone only when the batch fails, to name the bad
/// ones) and log id.
pub fn check_head_signatures(info: &BoardInfo, heads: &[SignedTreeHead]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    let prepared: Vec<_> = heads
        .par_iter()
        .map(|h| {
            info.board_key
                .prepare(&[&h.head.signed_bytes()], &h.signature.0)
        })
        .collect();
    let mut batch = SignatureBatch::with_capacity(heads.len());
    prepared.iter().flatten().for_each(|p| batch.queue(p));
    let all_good = prepared.iter().all(Option::is_some) && batch.verify();
    for (k, (h, p)) in heads.iter().zip(&prepared).enumerate() {
        let size = h.head.size;
        if !all_good && !p.is_some_and(|p| p.verify()) {
            out.push(Text::HeadSignature { k, size }.into());
        }
        if h.head.log_id != info.log_id {
            out.push(Text::HeadOtherLog { k, size }.into());
        }
    }
    out
}

/// V7.5–V7.6: heads grow in size, do not go back in time, and the last covers the `n` entries.
pub fn check_head_sequence(heads: &[SignedTreeHead], n: u64) -> Vec<Message> {
    let mut failures: Vec<Message> = Vec::new();
    for (k, w) in heads.windows(2).enumerate() {
        let (p, h) = (&w[0].head, &w[1].head);
        if h.size <= p.size {
            failures.push(
                Text::HeadNotGrowing {
                    k: k + 1,
                    size: h.size,
                    previous: p.size,
                }
                .into(),
            );
        }
        if h.timestamp_ms < p.timestamp_ms {
            failures.push(
                Text::HeadTimeBack {
                    k: k + 1,
                    time: h.timestamp_ms,
                    previous: p.timestamp_ms,
                }
                .into(),
            );
        }
    }
    match heads.last() {
        None => failures.push(Text::NoTreeHead.into()),
        Some(last) if last.head.size != n => failures.push(
            Text::LastHeadShort {
                size: last.head.size,
                entries: n,
            }
            .into(),
        ),
        Some(_) => {}
    }
    failures
}
