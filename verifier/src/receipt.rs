//! Checking a deputy's receipt against the board (`spec/verification.md` §7.4, steps R1–R4):
//! is my ballot on the board, and does the board I see now extend the log my receipt was
//! signed for?

use piaojue_crypto::board::merkle::leaf_hash;
use piaojue_crypto::board::{Entry, Event, Receipt, SignedTreeHead, log_id, verify_consistency};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::encoding::Digest32;
use piaojue_crypto::record::BoardLog;
use serde::{Deserialize, Serialize};

use crate::board::merkle_tree;
use crate::message::{Detail, KeyOrigin, Message, Text};
use crate::report::{Report, ReportKind, quote, receipt_steps};

/// A consistency proof as the board serves it:
/// `GET /api/elections/{id}/board/consistency?old=m&new=n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older size.
    pub old: u64,
    /// The newer size.
    pub new: u64,
    /// The proof's hashes (RFC 9162 §2.1.4.1).
    pub proof: Vec<Digest32>,
}

/// Where a receipt is checked: the board's server, or a record's board log.
pub trait BoardSource {
    /// The exact bytes of entry `index` of the election's log.
    fn entry(&self, election_id: &str, index: u64) -> Result<Vec<u8>, String>;
    /// The board's latest signed tree head.
    fn head(&self, election_id: &str) -> Result<SignedTreeHead, String>;
    /// A consistency proof between two sizes of the log.
    fn consistency(
        &self,
        election_id: &str,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof, String>;
}

/// A record's board log as a [`BoardSource`] (offline): its entries, its last tree head, and
/// consistency proofs computed from its entries.
pub struct LogSource<'a>(pub &'a BoardLog);

impl LogSource<'_> {
    fn check_id(&self, election_id: &str) -> Result<(), String> {
        if self.0.info.election_id == election_id {
            Ok(())
        } else {
            Err(format!(
                "the record's board is for election {}, not {}",
                quote(&self.0.info.election_id),
                quote(election_id)
            ))
        }
    }
}

impl BoardSource for LogSource<'_> {
    fn entry(&self, election_id: &str, index: u64) -> Result<Vec<u8>, String> {
        self.check_id(election_id)?;
        self.0
            .entries
            .get(index as usize)
            .map(|e| e.as_bytes().to_vec())
            .ok_or_else(|| format!("the log has no entry {index}"))
    }

    fn head(&self, election_id: &str) -> Result<SignedTreeHead, String> {
        self.check_id(election_id)?;
        self.0
            .tree_heads
            .last()
            .copied()
            .ok_or_else(|| "the record's board has no tree head".into())
    }

    fn consistency(
        &self,
        election_id: &str,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof, String> {
        self.check_id(election_id)?;
        let proof = merkle_tree(&self.0.entries)
            .consistency_proof(old, new)
            .ok_or_else(|| format!("no consistency proof from size {old} to {new}"))?;
        Ok(ConsistencyProof {
            old,
            new,
            proof: proof
                .into_iter()
                .map(piaojue_crypto::encoding::Bytes)
                .collect(),
        })
    }
}

/// Checks a receipt (R1–R4). `key_origin` says where the board key came from, for the report.
pub fn check_receipt(
    receipt: &Receipt,
    board_key: &CredentialKey,
    key_origin: KeyOrigin,
    source: &dyn BoardSource,
) -> Report {
    let mut report = Report {
        kind: ReportKind::Receipt,
        election_id: Some(receipt.election_id.clone()),
        ..Report::default()
    };
    let id = receipt.election_id.as_str();
    let signed = &receipt.tree_head.head;

    // R1
    let failures = match receipt.verify(board_key) {
        Ok(()) => Vec::new(),
        Err(e) => vec![Message::Receipt(e)],
    };
    report.push(
        receipt_steps::SIGNED,
        Message::Joined(vec![
            Text::ReceiptSummary {
                index: receipt.index,
                code: receipt.tracking_code.to_string(),
                size: signed.size,
                key: board_key.to_base64(),
            }
            .into(),
            Message::KeyOrigin(key_origin),
        ]),
        failures,
    );

    // R2
    let failures = match source.entry(id, receipt.index) {
        Err(e) => vec![
            Text::EntryUnavailable {
                index: receipt.index,
                detail: Detail::of(e),
            }
            .into(),
        ],
        Ok(bytes) => {
            let mut out = check_entry(receipt, &bytes);
            if let Ok(Entry {
                event: Event::Ballot(b),
                ..
            }) = Entry::from_bytes(&bytes)
            {
                out.extend(replaced_by(source, id, receipt.index, &b.credential));
            }
            out
        }
    };
    report.push(
        receipt_steps::ENTRY,
        Text::EntrySummary {
            index: receipt.index,
        },
        failures,
    );

    // R3
    let head = match source.head(id) {
        Err(e) => {
            report.push(
                receipt_steps::HEAD,
                Text::HeadUnavailable,
                vec![
                    Text::HeadUnavailableBecause {
                        detail: Detail::of(e),
                    }
                    .into(),
                ],
            );
            report.skip(receipt_steps::CONSISTENT, Text::NoCurrentHead);
            return report;
        }
        Ok(h) => h,
    };
    let now = head.head;
    let mut failures: Vec<Message> = Vec::new();
    if !head.verify(board_key) {
        failures.push(Text::CurrentHeadSignature.into());
    }
    if now.log_id != log_id(id) {
        failures.push(Text::CurrentHeadOtherLog.into());
    }
    if now.size < signed.size {
        failures.push(
            Text::LogShrank {
                now: now.size,
                then: signed.size,
            }
            .into(),
        );
    }
    if now.timestamp_ms < signed.timestamp_ms {
        failures.push(
            Text::HeadTimeBeforeReceipt {
                now: now.timestamp_ms,
                then: signed.timestamp_ms,
            }
            .into(),
        );
    }
    let head_ok = failures.is_empty();
    report.push(
        receipt_steps::HEAD,
        Text::HeadSummary {
            size: now.size,
            time: now.timestamp_ms,
        },
        failures,
    );
    if !head_ok {
        report.skip(receipt_steps::CONSISTENT, Text::CurrentHeadDidNotVerify);
        return report;
    }

    // R4
    let (from, to) = (signed.size, now.size);
    let failure: Option<Message> = if to == from {
        (now.root != signed.root).then(|| Text::Forked.into())
    } else {
        match source.consistency(id, from, to) {
            Err(e) => Some(
                Text::NoConsistencyProof {
                    detail: Detail::of(e),
                }
                .into(),
            ),
            Ok(p) if p.old != from || p.new != to => Some(
                Text::WrongProofRange {
                    old: p.old,
                    new: p.new,
                    from,
                    to,
                }
                .into(),
            ),
            Ok(p) => {
                let path: Vec<[u8; 32]> = p.proof.iter().map(|h| h.0).collect();
                (!verify_consistency(from, to, &signed.root.0, &now.root.0, &path))
                    .then(|| Text::HistoryRewritten { from, to }.into())
            }
        }
    };
    report.push(
        receipt_steps::CONSISTENT,
        Text::ConsistencySummary { from, to },
        failure.into_iter().collect::<Vec<_>>(),
    );
    report
}

/// R2, its last check: under `last_counts`, no later `ballot` entry of the log (up to the board's current
/// head) has the same credential; else the receipted ballot was replaced and does not count.
fn replaced_by(
    source: &dyn BoardSource,
    id: &str,
    index: u64,
    credential: &piaojue_crypto::credential::CredentialKey,
) -> Vec<Message> {
    let last_counts = match source.entry(id, 0).map(|b| Entry::from_bytes(&b)) {
        Ok(Ok(Entry {
            event: Event::Manifest(m),
            ..
        })) => m.revote == piaojue_crypto::manifest::Revote::LastCounts,
        _ => {
            return vec![Text::Entry0NotManifest.into()];
        }
    };
    if !last_counts {
        return Vec::new();
    }
    let size = match source.head(id) {
        Ok(h) => h.head.size,
        Err(e) => {
            return vec![
                Text::HeadUnavailableBecause {
                    detail: Detail::of(e),
                }
                .into(),
            ];
        }
    };
    for i in index + 1..size {
        match source.entry(id, i).map(|b| Entry::from_bytes(&b)) {
            Ok(Ok(Entry {
                event: Event::Ballot(later),
                ..
            })) if later.credential == *credential => {
                return vec![
                    Text::ReplacedBy {
                        index: i,
                        code: later.tracking_code().to_string(),
                    }
                    .into(),
                ];
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return vec![
                    Text::LaterEntryDoesNotParse {
                        index: i,
                        detail: Detail::of(e.to_string()),
                    }
                    .into(),
                ];
            }
            Err(e) => {
                return vec![
                    Text::EntryUnavailable {
                        index: i,
                        detail: Detail::of(e),
                    }
                    .into(),
                ];
            }
        }
    }
    Vec::new()
}

/// R2: the entry's bytes are the receipt's leaf, and the entry is this ballot.
fn check_entry(receipt: &Receipt, bytes: &[u8]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    if leaf_hash(bytes) != receipt.leaf_hash.0 {
        out.push(Text::LeafHashDiffers.into());
    }
    match Entry::from_bytes(bytes) {
        Err(e) => out.push(
            Text::EntryDoesNotParse {
                detail: Detail::of(e.to_string()),
            }
            .into(),
        ),
        Ok(entry) => {
            if entry.index != receipt.index {
                out.push(
                    Text::EntrySaysIndex {
                        entry: entry.index,
                        receipt: receipt.index,
                    }
                    .into(),
                );
            }
            let code = match &entry.event {
                Event::Ballot(b) => Some(b.tracking_code()),
                Event::Audited(a) => Some(a.ballot.tracking_code()),
                other => {
                    out.push(Message::EntryNotBallot(other.kind()));
                    None
                }
            };
            if let Some(code) = code
                && code != receipt.tracking_code
            {
                out.push(
                    Text::EntryCodeDiffers {
                        code: code.to_string(),
                        receipt: receipt.tracking_code.to_string(),
                    }
                    .into(),
                );
            }
        }
    }
    out
}
