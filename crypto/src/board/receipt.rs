//! Receipts: the board's signed answer to a cast ballot (`spec/record.md` §9.4).
//!
//! A receipt says "the ballot with tracking code `T` is entry `i` of election `E`'s log, whose
//! leaf hash is `L`, and the log with that entry has the signed tree head `H`", with the
//! inclusion proof of `L` in `H`. The board signs
//! `str("piaojue-v1/receipt") ‖ str(election_id) ‖ u64(i) ‖ T ‖ L ‖ tree-head signed bytes`.
//! A deputy keeps the receipt; later anyone can check that the board's current head is
//! consistent with `H`, so the ballot cannot have been removed unseen.

use serde::{Deserialize, Serialize};

use crate::board::head::SignedTreeHead;
use crate::board::merkle::verify_inclusion;
use crate::canonical::Writer;
use crate::credential::CredentialKey;
use crate::encoding::{Bytes, Digest32};

/// Domain tag of a receipt's signed bytes.
pub const TAG_RECEIPT: &str = "piaojue-v1/receipt";

/// The board's receipt for a cast (or audited) ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The election.
    pub election_id: String,
    /// The ballot's tracking code.
    pub tracking_code: Digest32,
    /// The entry's index in the log.
    pub index: u64,
    /// The entry's Merkle leaf hash, `SHA-256(0x00 ‖ entry bytes)`.
    pub leaf_hash: Digest32,
    /// A signed tree head of a log that contains the entry.
    pub tree_head: SignedTreeHead,
    /// Inclusion proof of the leaf in that tree.
    pub inclusion: Vec<Digest32>,
    /// The board's signature over [`Receipt::signed_bytes`].
    pub signature: Bytes<64>,
}

/// Why a receipt does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The board's signature on the receipt is wrong.
    #[error("the board's signature on the receipt does not verify")]
    Signature,
    /// The board's signature on the tree head is wrong.
    #[error("the board's signature on the tree head does not verify")]
    TreeHead,
    /// The tree head is for another election's log.
    #[error("the tree head is for another log")]
    WrongLog,
    /// The inclusion proof does not lead to the tree head's root.
    #[error("the inclusion proof does not lead to the tree head's root")]
    Inclusion,
}

impl Receipt {
    /// The bytes the board signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::tagged(TAG_RECEIPT);
        w.str(&self.election_id)
            .u64(self.index)
            .bytes(&self.tracking_code)
            .bytes(&self.leaf_hash)
            .fixed(&self.tree_head.head.signed_bytes());
        w.into_bytes()
    }

    /// Checks the receipt on its own: the board's signatures and the inclusion proof. (That the
    /// entry is a ballot with this tracking code is checked against the entry's bytes.)
    pub fn verify(&self, board: &CredentialKey) -> Result<(), ReceiptError> {
        if !board.verify(&self.signed_bytes(), &self.signature.0) {
            return Err(ReceiptError::Signature);
        }
        if !self.tree_head.verify(board) {
            return Err(ReceiptError::TreeHead);
        }
        if self.tree_head.head.log_id != crate::board::head::log_id(&self.election_id) {
            return Err(ReceiptError::WrongLog);
        }
        let path: Vec<[u8; 32]> = self.inclusion.iter().map(|h| h.0).collect();
        if !verify_inclusion(
            &self.leaf_hash.0,
            self.index,
            self.tree_head.head.size,
            &path,
            &self.tree_head.head.root.0,
        ) {
            return Err(ReceiptError::Inclusion);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::head::{BoardKey, TreeHead, log_id};
    use crate::board::merkle::{MerkleTree, leaf_hash};

    #[test]
    fn receipts_verify_and_tampering_is_caught() {
        let key = BoardKey::generate(&mut rand::rng());
        let mut tree = MerkleTree::new();
        for i in 0..9u8 {
            tree.push(&[i]);
        }
        let head = key.sign(TreeHead {
            log_id: log_id("e1"),
            size: 9,
            root: Bytes(tree.root()),
            timestamp_ms: 1,
        });
        let mut r = Receipt {
            election_id: "e1".into(),
            tracking_code: Bytes([7; 32]),
            index: 4,
            leaf_hash: Bytes(leaf_hash(&[4])),
            tree_head: head,
            inclusion: tree
                .inclusion_proof(4, 9)
                .unwrap()
                .into_iter()
                .map(Bytes)
                .collect(),
            signature: Bytes([0; 64]),
        };
        r.signature = key.sign_bytes(&r.signed_bytes());
        r.verify(&key.public()).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        serde_json::from_str::<Receipt>(&json)
            .unwrap()
            .verify(&key.public())
            .unwrap();

        let mut t = r.clone();
        t.tracking_code.0[0] ^= 1;
        assert_eq!(t.verify(&key.public()), Err(ReceiptError::Signature));
        let mut t = r.clone();
        t.election_id = "e2".into();
        t.signature = key.sign_bytes(&t.signed_bytes());
        assert_eq!(t.verify(&key.public()), Err(ReceiptError::WrongLog));
        let mut t = r.clone();
        t.index = 5;
        t.signature = key.sign_bytes(&t.signed_bytes());
        assert_eq!(t.verify(&key.public()), Err(ReceiptError::Inclusion));
        let other = BoardKey::generate(&mut rand::rng());
        assert_eq!(r.verify(&other.public()), Err(ReceiptError::Signature));
    }
}
