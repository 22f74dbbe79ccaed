//! A sample log for tests, benchmarks and demonstrations: a Merkle tree of labelled entries
//! under one origin, whose checkpoints a board key signs, and the `add-checkpoint` request
//! bodies that submit them (`spec/witness.md` §3).

use base64ct::{Base64, Encoding};
use piaojue_crypto::board::merkle::{Hash, leaf_hash};
use piaojue_crypto::board::{BoardKey, Checkpoint, MerkleTree, Note};
use piaojue_crypto::encoding::Bytes;

/// A log: origin, signing key, entries.
pub struct SampleLog {
    /// The origin.
    pub origin: String,
    /// The log's key (signs checkpoints under key name = origin).
    pub key: BoardKey,
    /// The entries' tree.
    pub tree: MerkleTree,
}

impl SampleLog {
    /// An empty log.
    pub fn new(origin: &str, key: BoardKey) -> Self {
        SampleLog {
            origin: origin.to_string(),
            key,
            tree: MerkleTree::new(),
        }
    }

    /// Appends the entries `"{label} {index}"` until the log has `size` entries.
    pub fn grow_to(&mut self, label: &str, size: u64) -> &mut Self {
        while self.tree.len() < size {
            let i = self.tree.len();
            self.tree
                .push_leaf_hash(leaf_hash(format!("{label} {i}").as_bytes()));
        }
        self
    }

    /// The checkpoint of the first `size` entries (`size` at most the log's length).
    pub fn checkpoint(&self, size: u64) -> Checkpoint {
        Checkpoint {
            origin: self.origin.clone(),
            size,
            root: Bytes(self.tree.root_at(size).expect("size ≤ the log's length")),
            extensions: vec![],
        }
    }

    /// A checkpoint's note, signed by the log's key.
    pub fn note(&self, cp: &Checkpoint) -> String {
        let text = cp.text();
        Note::new(text.clone(), vec![self.key.sign_note(&cp.origin, &text)])
            .expect("a checkpoint is a valid note text")
            .to_string()
    }

    /// The request from `old` to `new` with the log's own consistency proof.
    pub fn request(&self, old: u64, new: u64) -> String {
        let proof = if old == 0 {
            vec![]
        } else {
            self.tree
                .consistency_proof(old, new)
                .expect("old ≤ new ≤ the log's length")
        };
        request_body(old, &proof, &self.note(&self.checkpoint(new)))
    }
}

/// An `add-checkpoint` body: the old size line, the proof lines, an empty line, the note.
pub fn request_body(old: u64, proof: &[Hash], note: &str) -> String {
    let mut b = format!("old {old}\n");
    for h in proof {
        b.push_str(&Base64::encode_string(h));
        b.push('\n');
    }
    b.push('\n');
    b.push_str(note);
    b
}
