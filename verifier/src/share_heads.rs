//! Step V9.7 of `spec/verification.md`: the board head that each decryption share names is a
//! head of this log, between the tally and the share's own entry.
//!
//! A teller verifies the log before it decrypts (`spec/protocol.md` §10.1) and names, in its
//! signed share, the head `(size, root)` it verified. With `T` the index of the log's `tally`
//! entry and `S` the index of the share's own entry, the head is one of this log iff
//!
//! ```text
//!     T < size ≤ S     and     root = MTH(size)
//! ```
//!
//! (the teller saw the tally, and nothing after its own share). Only the roots at the sizes
//! `T + 1 … N` are needed, so a streamed log keeps the few roots after its tally entry.

use std::collections::HashMap;

use piaojue_crypto::board::merkle::Hash;
use piaojue_crypto::board::{Entry, Event};
use piaojue_crypto::decryption::DecryptionShare;

/// What V9.7 needs from a log: where its tally and its shares are, and the roots after the
/// tally.
#[derive(Debug, Clone, Default)]
pub struct ShareHeads {
    /// Index of the `tally` entry, once met.
    tally: Option<u64>,
    /// Each teller's (first) `decryption_share` entry.
    entries: HashMap<u32, u64>,
    /// `roots[i] = MTH(T + 1 + i)`.
    roots: Vec<Hash>,
}

impl ShareHeads {
    /// Before the first entry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes entry `entry` (already parsed, at index `entry.index`).
    pub fn note(&mut self, entry: &Entry) {
        match &entry.event {
            Event::Tally(_) if self.tally.is_none() => self.tally = Some(entry.index),
            Event::DecryptionShare(s) => {
                self.entries.entry(s.teller).or_insert(entry.index);
            }
            _ => {}
        }
    }

    /// Whether the roots from now on are needed (the tally entry was met).
    pub fn wants_roots(&self) -> bool {
        self.tally.is_some()
    }

    /// The root of the log after the entry just noted (`MTH(size)`, `size` the entries so far);
    /// only called once [`ShareHeads::wants_roots`].
    pub fn root(&mut self, root: Hash) {
        self.roots.push(root);
    }

    /// Builds it from a whole log: `entries` parsed, `root_at(m)` the Merkle root of the first
    /// `m` entries.
    pub fn of_log(entries: &[Entry], root_at: impl Fn(u64) -> Option<Hash>) -> Self {
        let mut s = ShareHeads::new();
        for e in entries {
            s.note(e);
        }
        if let Some(t) = s.tally {
            s.roots = (t + 1..=entries.len() as u64).map_while(&root_at).collect();
        }
        s
    }

    /// V9.7 for one share: `None` if its head is a head of this log between the tally and the
    /// share's entry, else the failure. A share that is not on the log is not checked here
    /// (V7.4 reports it).
    pub fn check(&self, share: &DecryptionShare) -> Option<crate::message::Message> {
        use crate::message::Text;
        let j = share.teller;
        let (Some(t), Some(&at)) = (self.tally, self.entries.get(&j)) else {
            return None;
        };
        let size = share.board_head.size;
        if size <= t || size > at {
            return Some(
                Text::ShareHeadOutside {
                    j,
                    size,
                    tally: t,
                    own: at,
                }
                .into(),
            );
        }
        match self.roots.get((size - t - 1) as usize) {
            Some(root) if *root == share.board_head.root.0 => None,
            _ => Some(Text::ShareHeadRoot { j, size }.into()),
        }
    }
}
