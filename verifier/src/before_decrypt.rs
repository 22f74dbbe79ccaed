//! What a teller checks before it decrypts (`spec/verification.md` §8, steps T1–T3): the
//! record the server serves verifies (V1–V7, and V8–V11 when it already has a result), it has
//! a board, and the board's `tally` entry is the sum of the counted ballots (V8.2). Only then is
//! the tally safe to decrypt: every ballot summed into it is a deputy's signed, proved ballot.
//! (A record with one extra "ballot" made of 1024 times a deputy's ciphertexts, and a tally to
//! match, would make the decrypted counts reveal that deputy's vote; its proofs and signature
//! fail V5.)
//!
//! What the teller compares with its own key file (the joint key of its ceremony, the tally it
//! decrypted before) is the teller's business (`piaojue teller decrypt`); this module answers
//! what the record says once it is verified.

use std::collections::BTreeMap;

use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::record::ElectionRecord;
use piaojue_crypto::tally::EncryptedTally;

use crate::progress::Progress;
use crate::report::{Lang, Report};
use crate::verify::verify_record_summary;

/// Why a teller must not decrypt the served record.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// T1: the record has no board part.
    #[error(
        "服务器提供的选举记录没有公告板日志 / the served record has no board log: the tally cannot be checked against the board"
    )]
    NoBoard,
    /// T1: a verification step failed.
    #[error(
        "服务器提供的选举记录未通过验证 / the served record does not verify (failed: {}):\n{}",
        .0.failed_steps().join(", "),
        .0.render(Lang::En)
    )]
    Unverified(Box<Report>),
    /// T2: the log has no tally entry (yet).
    #[error("公告板上还没有加密计票 / the board has no encrypted tally yet")]
    NoTally,
    /// T2: an entry after the tally does not parse (V7 passed, so this cannot happen).
    #[error("entry {0} of the board does not parse")]
    Entry(u64),
    /// T3: the tally entry is not the sum of the counted ballots.
    #[error(
        "公告板上的加密计票不等于 {0} 张计入选票之和 / the board's encrypted tally is not the sum of its {0} counted ballots"
    )]
    Tally(u64),
}

/// A verified record, ready to be decrypted.
#[derive(Debug)]
pub struct Decryptable {
    /// The verification report (V1–V7 passed; V8–V11 passed or skipped).
    pub report: Report,
    /// The encrypted tally of the log's `tally` entry, equal to the sum of the counted ballots.
    pub tally: EncryptedTally,
    /// The index of the `tally` entry.
    pub tally_entry: u64,
    /// Number of counted ballots.
    pub counted: u64,
    /// The board's last signed tree head (it covers the whole log, V7.6).
    pub head: BoardHeadRef,
    /// The decryption shares on the log, by teller: the entry and the share.
    pub shares: BTreeMap<u32, (u64, DecryptionShare)>,
}

/// T1–T3 on a served record.
pub fn check_before_decrypt(
    record: &ElectionRecord,
    progress: &dyn Progress,
) -> Result<Decryptable, Refusal> {
    // T1: the record verifies, with its board.
    let board = record.board.as_ref().ok_or(Refusal::NoBoard)?;
    let (report, summary) = verify_record_summary(record, progress);
    let summary = match summary {
        Some(s) if report.passed() => s,
        _ => return Err(Refusal::Unverified(Box::new(report))),
    };
    let last = board.tree_heads.last().ok_or(Refusal::NoTally)?;
    let head = BoardHeadRef {
        size: last.head.size,
        root: last.head.root,
    };
    // T2: the tally entry, near the end of the log, and the shares after it.
    let mut shares = BTreeMap::new();
    let mut found = None;
    for (i, bytes) in board.entries.iter().enumerate().rev() {
        let entry = Entry::from_bytes(bytes.as_bytes()).map_err(|_| Refusal::Entry(i as u64))?;
        match entry.event {
            Event::Tally(t) => {
                found = Some((entry.index, t));
                break;
            }
            Event::DecryptionShare(s) => {
                shares.insert(s.teller, (entry.index, s));
            }
            _ => {}
        }
    }
    let (tally_entry, tally) = found.ok_or(Refusal::NoTally)?;
    // T3: V8.2 on the tally entry, with the verifier's own sum of the counted ballots.
    if summary.tally != tally {
        return Err(Refusal::Tally(summary.counted));
    }
    Ok(Decryptable {
        report,
        tally,
        tally_entry,
        counted: summary.counted,
        head,
        shares,
    })
}
