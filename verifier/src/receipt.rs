//! Checking a deputy's receipt against the board (`spec/verification.md` §7.4, steps R1–R4):
//! is my ballot on the board, and does the board I see now extend the log my receipt was
//! signed for?

use piaojue_crypto::board::merkle::{Hash, leaf_hash, verify_inclusion};
use piaojue_crypto::board::{
    Checkpoint, Entry, Event, Note, Receipt, SignatureType, SignedTreeHead, VerifierKey, log_id,
    verify_consistency,
};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::encoding::Digest32;
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::record::{BoardLog, cosigner_key};
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

/// An inclusion proof as the board serves it:
/// `GET /api/elections/{id}/board/inclusion?index=i&size=n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The entry's index.
    pub index: u64,
    /// The tree's size.
    pub size: u64,
    /// The proof's hashes (RFC 9162 §2.1.3.1).
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
    /// An inclusion proof of entry `index` in the tree of the log's first `size` entries.
    fn inclusion(&self, election_id: &str, index: u64, size: u64)
    -> Result<InclusionProof, String>;
    /// The board's latest checkpoint cosigned by a quorum of the manifest's witnesses, as a
    /// signed note (c2sp.org/signed-note): `GET …/board/checkpoint`.
    fn cosigned_checkpoint(&self, election_id: &str) -> Result<Vec<u8>, String>;
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

    fn inclusion(
        &self,
        election_id: &str,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, String> {
        self.check_id(election_id)?;
        let proof = merkle_tree(&self.0.entries)
            .inclusion_proof(index, size)
            .ok_or_else(|| format!("no inclusion proof of entry {index} in {size} entries"))?;
        Ok(InclusionProof {
            index,
            size,
            proof: proof
                .into_iter()
                .map(piaojue_crypto::encoding::Bytes)
                .collect(),
        })
    }

    /// The checkpoint of the largest size the record's cosignatures give a quorum of distinct
    /// manifest witnesses, with those cosignatures (unverified: the check verifies them).
    fn cosigned_checkpoint(&self, election_id: &str) -> Result<Vec<u8>, String> {
        self.check_id(election_id)?;
        let manifest = match self
            .0
            .entries
            .first()
            .map(|e| Entry::from_bytes(e.as_bytes()))
        {
            Some(Ok(Entry {
                event: Event::Manifest(m),
                ..
            })) => m,
            _ => return Err("entry 0 of the record's board is not a manifest".into()),
        };
        let named = |name: &str| manifest.witnesses.list.iter().find(|w| w.name == name);
        let mut by_size: std::collections::BTreeMap<u64, Vec<_>> = Default::default();
        for c in &self.0.cosignatures {
            if let Some(w) = named(&c.witness)
                && !by_size
                    .get(&c.size)
                    .is_some_and(|v: &Vec<(String, _)>| v.iter().any(|(n, _)| *n == c.witness))
            {
                by_size
                    .entry(c.size)
                    .or_default()
                    .push((c.witness.clone(), c.note_signature(w)));
            }
        }
        let quorum = manifest.witnesses.quorum as usize;
        let (size, signatures) = by_size
            .into_iter()
            .rev()
            .find(|(_, v)| quorum > 0 && v.len() >= quorum)
            .ok_or(
                "the record has no checkpoint cosigned by a quorum of the manifest's witnesses",
            )?;
        let root = merkle_tree(&self.0.entries)
            .root_at(size)
            .ok_or_else(|| format!("the record's board has fewer than {size} entries"))?;
        let text = crate::witnessed::checkpoint_text(&manifest, size, root);
        let note = Note::new(text, signatures.into_iter().map(|(_, s)| s).collect())
            .map_err(|e| e.to_string())?;
        Ok(note.to_bytes())
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
    // R3, witnessed: a checkpoint cosigned by a quorum of the manifest's witnesses covers the
    // receipt.
    let (witnessed, witness_summary) = match check_witnessed(receipt, board_key, source) {
        Ok(Some(w)) => {
            let summary = Text::WitnessedSummary {
                size: w.size,
                count: w.count,
                quorum: w.quorum,
            };
            (Some(w), Some(summary.into()))
        }
        Ok(None) => (None, Some(Text::NoWitnesses.into())),
        Err(m) => {
            failures.push(m);
            (None, None)
        }
    };
    let head_ok = failures.is_empty();
    let head_summary = Text::HeadSummary {
        size: now.size,
        time: now.timestamp_ms,
    };
    report.push(
        receipt_steps::HEAD,
        Message::Joined(
            std::iter::once(head_summary.into())
                .chain(witness_summary)
                .collect(),
        ),
        failures,
    );
    if !head_ok {
        report.skip(receipt_steps::CONSISTENT, Text::CurrentHeadDidNotVerify);
        return report;
    }

    // R4: the board's current head, and the cosigned checkpoint, extend the receipt's log.
    let (from, to) = (signed.size, now.size);
    let mut failures: Vec<Message> = Vec::new();
    failures.extend(
        consistent(source, id, (from, &signed.root.0), (to, &now.root.0)).map(|f| match f {
            Inconsistent::SameSize => Text::Forked.into(),
            Inconsistent::Rewritten => Text::HistoryRewritten { from, to }.into(),
            Inconsistent::Other(m) => m,
        }),
    );
    let mut summary = vec![Message::from(Text::ConsistencySummary { from, to })];
    if let Some(w) = &witnessed {
        let to = w.size;
        failures.extend(
            consistent(source, id, (from, &signed.root.0), (to, &w.root)).map(|f| match f {
                Inconsistent::SameSize => Text::WitnessedForked.into(),
                Inconsistent::Rewritten => Text::WitnessedRewritten { from, to }.into(),
                Inconsistent::Other(m) => m,
            }),
        );
        summary.push(Text::WitnessedConsistencySummary { from, to }.into());
    }
    report.push(
        receipt_steps::CONSISTENT,
        Message::Joined(summary),
        failures,
    );
    report
}

/// How a larger tree fails to extend a smaller one.
enum Inconsistent {
    /// Same size, another root.
    SameSize,
    /// The consistency proof does not verify.
    Rewritten,
    /// No proof, or a proof of other sizes.
    Other(Message),
}

/// Whether the tree `(to, to_root)` extends `(from, from_root)` (`from ≤ to`), by the board's
/// consistency proof.
fn consistent(
    source: &dyn BoardSource,
    id: &str,
    (from, from_root): (u64, &Hash),
    (to, to_root): (u64, &Hash),
) -> Option<Inconsistent> {
    if to == from {
        return (to_root != from_root).then_some(Inconsistent::SameSize);
    }
    match source.consistency(id, from, to) {
        Err(e) => Some(Inconsistent::Other(
            Text::NoConsistencyProof {
                detail: Detail::of(e),
            }
            .into(),
        )),
        Ok(p) if p.old != from || p.new != to => Some(Inconsistent::Other(
            Text::WrongProofRange {
                old: p.old,
                new: p.new,
                from,
                to,
            }
            .into(),
        )),
        Ok(p) => {
            let path: Vec<[u8; 32]> = p.proof.iter().map(|h| h.0).collect();
            (!verify_consistency(from, to, from_root, to_root, &path))
                .then_some(Inconsistent::Rewritten)
        }
    }
}

/// The cosigned checkpoint R3 found: its size and root, how many of the manifest's witnesses
/// cosigned it, and their quorum.
struct Witnessed {
    size: u64,
    root: Hash,
    count: usize,
    quorum: u32,
}

/// R3's witness part (`spec/verification.md` §7.4): the election's manifest is entry 0 of the
/// log the receipt was signed for (its inclusion proof in the receipt's head), names this
/// board's key, and, if it names witnesses, the board's cosigned checkpoint is of the
/// manifest's origin, its board signature (if any) verifies, at least the quorum of the
/// manifest's witnesses cosigned it, and it covers the receipt (its size at least the
/// receipt head's). `None`: the manifest names no witnesses.
fn check_witnessed(
    receipt: &Receipt,
    board_key: &CredentialKey,
    source: &dyn BoardSource,
) -> Result<Option<Witnessed>, Message> {
    let id = receipt.election_id.as_str();
    let signed = &receipt.tree_head.head;
    let manifest = receipt_manifest(receipt, board_key, source)?;
    let quorum = manifest.witnesses.quorum;
    if quorum == 0 {
        return Ok(None);
    }
    let bytes = source.cosigned_checkpoint(id).map_err(|e| {
        Message::from(Text::CosignedUnavailable {
            detail: Detail::of(e),
        })
    })?;
    let (note, checkpoint) = Note::parse(&bytes)
        .ok()
        .and_then(|n| Checkpoint::parse(n.text()).ok().map(|c| (n, c)))
        .filter(|(_, c)| c.origin == manifest.board.origin)
        .ok_or_else(|| Message::from(Text::CosignedNotCheckpoint))?;
    let board = VerifierKey::new(&checkpoint.origin, SignatureType::Ed25519, *board_key)
        .map_err(|_| Message::from(Text::CosignedNotCheckpoint))?;
    let text = note.text();
    if note
        .signatures()
        .iter()
        .any(|s| board.matches(s) && !board.verify(text, s))
    {
        return Err(Text::CosignedBoardSignature.into());
    }
    let count = manifest
        .witnesses
        .list
        .iter()
        .filter_map(cosigner_key)
        .filter(|k| note.signatures().iter().any(|s| k.verify(text, s)))
        .count();
    if count < quorum as usize {
        return Err(Text::CosignedShort { count, quorum }.into());
    }
    if checkpoint.size < signed.size {
        return Err(Text::NotYetWitnessed {
            size: checkpoint.size,
            receipt: signed.size,
        }
        .into());
    }
    Ok(Some(Witnessed {
        size: checkpoint.size,
        root: checkpoint.root.0,
        count,
        quorum,
    }))
}

/// The election's manifest: entry 0 of the log the receipt was signed for, proved by its
/// inclusion in the receipt's head, for this election and naming this board's key.
fn receipt_manifest(
    receipt: &Receipt,
    board_key: &CredentialKey,
    source: &dyn BoardSource,
) -> Result<Manifest, Message> {
    let id = receipt.election_id.as_str();
    let signed = &receipt.tree_head.head;
    let bytes = source.entry(id, 0).map_err(|e| {
        Message::from(Text::ManifestUnavailable {
            detail: Detail::of(e),
        })
    })?;
    let proof = source.inclusion(id, 0, signed.size).map_err(|e| {
        Message::from(Text::ManifestUnavailable {
            detail: Detail::of(e),
        })
    })?;
    let path: Vec<Hash> = proof.proof.iter().map(|h| h.0).collect();
    if proof.index != 0
        || proof.size != signed.size
        || !verify_inclusion(&leaf_hash(&bytes), 0, signed.size, &path, &signed.root.0)
    {
        return Err(Text::ManifestNotInReceiptLog.into());
    }
    match Entry::from_bytes(&bytes) {
        Ok(Entry {
            event: Event::Manifest(m),
            ..
        }) if m.election_id == id && m.board.key == *board_key => Ok(m),
        _ => Err(Text::ManifestNotThisBoard.into()),
    }
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
