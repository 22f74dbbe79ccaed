//! The bulletin board's Merkle tree, as in RFC 9162 (Certificate Transparency 2.0) §2.1
//! (`spec/record.md` §9.2).
//!
//! With `HASH` = SHA-256, the hash of a list of `n` entries `D[n] = {d(0), …, d(n−1)}` is
//!
//! ```text
//! MTH({})       = HASH()
//! MTH({d(0)})   = HASH(0x00 ‖ d(0))
//! MTH(D[n])     = HASH(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   for n > 1,
//! ```
//!
//! `k` the largest power of two smaller than `n`. An inclusion proof for entry `m` is the list
//! of sibling hashes on its path to the root; a consistency proof between sizes `m ≤ n` shows
//! that the first `m` entries of the larger tree are exactly the smaller tree. The algorithms
//! to check both are RFC 9162 §2.1.3.2 and §2.1.4.2, transcribed below.
//!
//! [`MerkleTree`] keeps every complete subtree's hash, so appending is amortised O(1) and any
//! root, inclusion proof or consistency proof is computed in O(log² n) hashes.

use sha2::{Digest as _, Sha256};

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// `HASH(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `HASH(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// `HASH()`, the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// An append-only Merkle tree over leaf hashes.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    /// `levels[h][i]` is the hash of the complete subtree of `2^h` leaves starting at `i·2^h`.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut t = Self::new();
        for l in leaves {
            t.push_leaf_hash(l);
        }
        t
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends an entry (its leaf hash is computed here). Returns its index.
    pub fn push(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf hash. Returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(leaf);
        let index = self.levels[0].len() as u64 - 1;
        let mut h = 0;
        while self.levels[h].len().is_multiple_of(2) {
            let n = self.levels[h].len();
            let parent = node_hash(&self.levels[h][n - 2], &self.levels[h][n - 1]);
            if self.levels.len() == h + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[h + 1].push(parent);
            h += 1;
        }
        index
    }

    /// Forgets every leaf from `len` on (to undo appends whose commit failed).
    pub fn truncate(&mut self, len: u64) {
        for (h, level) in self.levels.iter_mut().enumerate() {
            level.truncate((len >> h) as usize);
        }
        while self.levels.last().is_some_and(Vec::is_empty) {
            self.levels.pop();
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(index as usize).copied()
    }

    /// `MTH(D[start:end])` where `start` is a multiple of a power of two ≥ `end − start`, as
    /// every subtree in the RFC's recursion is.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() {
            let h = n.trailing_zeros() as usize;
            return self.levels[h][(start >> h) as usize];
        }
        let k = largest_power_of_two_below(n);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// The root of the first `size` leaves (`size ≤ len`).
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(empty_root()),
            s if s > self.len() => None,
            s => Some(self.subtree(0, s)),
        }
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.len()).expect("size ≤ len")
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size` leaves
    /// (RFC 9162 §2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.len() {
            return None;
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Some(path)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = largest_power_of_two_below(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// The consistency proof between the trees of the first `old` and `new` leaves
    /// (RFC 9162 §2.1.4.1), `0 < old ≤ new ≤ len`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if old == 0 || old > new || new > self.len() {
            return None;
        }
        let mut out = Vec::new();
        self.subproof(old, 0, new, true, &mut out);
        Some(out)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = largest_power_of_two_below(n);
        if m <= k {
            self.subproof(m, start, start + k, complete, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// The right edge of a Merkle tree built leaf by leaf: the roots of its complete subtrees, one
/// per set bit of its size, so that the tree head of any size can be computed as the leaves
/// stream past, in `O(log n)` memory (a verifier of a log of any length keeps only this).
///
/// With `n = 2^a₁ + 2^a₂ + …` (`a₁ > a₂ > …`) the RFC 9162 tree of `n` leaves is the complete
/// tree of the first `2^a₁` leaves joined with the tree of the rest, so its root is
/// `node(T₁, node(T₂, … Tₖ))`: the subtree roots folded from the smallest.
#[derive(Debug, Clone, Default)]
pub struct MerkleFrontier {
    /// `levels[i]` is the root of a complete subtree of `2^i` leaves, if bit `i` of the size is set.
    levels: Vec<Option<Hash>>,
    size: u64,
}

impl MerkleFrontier {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.size
    }

    /// Whether there are no leaves.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut carry = leaf;
        let mut level = 0;
        loop {
            if level == self.levels.len() {
                self.levels.push(None);
            }
            match self.levels[level].take() {
                Some(left) => {
                    carry = node_hash(&left, &carry);
                    level += 1;
                }
                None => {
                    self.levels[level] = Some(carry);
                    break;
                }
            }
        }
        self.size += 1;
    }

    /// `MTH` of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut acc: Option<Hash> = None;
        for h in self.levels.iter().flatten() {
            acc = Some(match acc {
                None => *h,
                Some(right) => node_hash(h, &right),
            });
        }
        acc.unwrap_or_else(empty_root)
    }
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root
}

/// Checks a consistency proof between an old tree (`old`, `old_root`) and a new one
/// (`new`, `new_root`) (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        // Every tree extends the empty tree; there is nothing to prove.
        return proof.is_empty() && old_root == &empty_root();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    &fr == old_root && &sr == new_root && snode == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frontier_gives_the_root_of_every_size() {
        let mut tree = MerkleTree::new();
        let mut f = MerkleFrontier::new();
        assert_eq!(f.root(), empty_root());
        for i in 0..300u32 {
            let leaf = leaf_hash(&i.to_be_bytes());
            tree.push_leaf_hash(leaf);
            f.push(leaf);
            assert_eq!(f.len(), tree.len());
            assert_eq!(f.root(), tree.root(), "size {}", i + 1);
        }
    }
    use proptest::prelude::*;

    /// MTH straight from the RFC's recursive definition.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = largest_power_of_two_below(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    fn tree(n: u64) -> (MerkleTree, Vec<Hash>) {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        (MerkleTree::from_leaves(leaves.iter().copied()), leaves)
    }

    #[test]
    fn rfc_6962_test_vector_roots() {
        // The eight-leaf tree of the certificate-transparency reference tests
        // (leaves "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162…6f).
        let data: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[
                0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
                0x6e, 0x6f,
            ],
        ];
        let mut t = MerkleTree::new();
        for d in data {
            t.push(d);
        }
        let expect = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        for (i, e) in expect.iter().enumerate() {
            assert_eq!(
                hex::encode(t.root_at(i as u64 + 1).unwrap()),
                *e,
                "size {}",
                i + 1
            );
        }
    }

    #[test]
    fn every_proof_in_small_trees() {
        let (t, leaves) = tree(40);
        for size in 1..=40u64 {
            let root = t.root_at(size).unwrap();
            assert_eq!(root, reference_root(&leaves[..size as usize]));
            for i in 0..size {
                let p = t.inclusion_proof(i, size).unwrap();
                assert!(verify_inclusion(&leaves[i as usize], i, size, &p, &root));
                // Wrong index, wrong leaf, wrong root, truncated path: refused.
                assert!(!verify_inclusion(
                    &leaves[i as usize],
                    (i + 1) % size.max(2),
                    size,
                    &p,
                    &root
                ));
                assert!(!verify_inclusion(&leaf_hash(b"x"), i, size, &p, &root));
                if !p.is_empty() {
                    assert!(!verify_inclusion(
                        &leaves[i as usize],
                        i,
                        size,
                        &p[..p.len() - 1],
                        &root
                    ));
                }
            }
            for old in 1..=size {
                let p = t.consistency_proof(old, size).unwrap();
                let old_root = t.root_at(old).unwrap();
                assert!(
                    verify_consistency(old, size, &old_root, &root, &p),
                    "{old} -> {size}"
                );
                if old < size {
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_consistency(old, size, &old_root, &root, &bad));
                    assert!(!verify_consistency(
                        old,
                        size,
                        &leaf_hash(b"forged"),
                        &root,
                        &p
                    ));
                }
            }
        }
        assert!(t.inclusion_proof(40, 40).is_none());
        assert!(t.consistency_proof(0, 5).is_none());
    }

    #[test]
    fn truncate_undoes_appends() {
        let (mut t, leaves) = tree(37);
        let root_20 = t.root_at(20).unwrap();
        t.truncate(20);
        assert_eq!(t.len(), 20);
        assert_eq!(t.root(), root_20);
        for l in &leaves[20..] {
            t.push_leaf_hash(*l);
        }
        assert_eq!(t.root(), reference_root(&leaves));
        t.truncate(0);
        assert!(t.is_empty());
        assert_eq!(t.root(), empty_root());
    }

    #[test]
    fn rewritten_history_is_not_consistent() {
        let (t, mut leaves) = tree(20);
        leaves[7] = leaf_hash(b"rewritten");
        let forged = MerkleTree::from_leaves(leaves);
        let proof = forged.consistency_proof(10, 20).unwrap();
        assert!(!verify_consistency(
            10,
            20,
            &t.root_at(10).unwrap(),
            &forged.root(),
            &proof
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn proofs_in_larger_trees(n in 1u64..3000, a: u64, b: u64) {
            let (t, leaves) = tree(n);
            let size = 1 + a % n;
            let i = b % size;
            let root = t.root_at(size).unwrap();
            let p = t.inclusion_proof(i, size).unwrap();
            prop_assert!(verify_inclusion(&leaves[i as usize], i, size, &p, &root));
            let old = 1 + b % size;
            let c = t.consistency_proof(old, size).unwrap();
            prop_assert!(verify_consistency(old, size, &t.root_at(old).unwrap(), &root, &c));
        }
    }
}
