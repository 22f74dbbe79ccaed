//! The encrypted tally and its decryption into counts (`spec/protocol.md` §11,
//! `spec/verification.md` V8–V10).
//!
//! The encrypted tally of contest `c`, option `o` is the component-wise sum of that option's
//! ciphertexts over the counted ballots: `(Σ αᵢ, Σ βᵢ) = Enc_K(Σ vᵢ; Σ rᵢ)`. Only
//! [`VerifiedBallot`]s can be added. Its `N` ciphertexts, flattened in manifest order (contest
//! by contest, option by option), are what the tellers decrypt; the count of each is the
//! discrete logarithm of `β − x·α`, at most the number of counted ballots.

use curve25519_dalek::ristretto::RistrettoPoint;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::ballot::{Ballot, VerifiedBallot};
use crate::decryption::{DecryptionError, DecryptionShare, combine};
use crate::dlog::DiscreteLog;
use crate::elgamal::Ciphertext;
use crate::encoding::Point;
use crate::manifest::{Manifest, Revote};

/// Per contest, per option: the sum of the counted ballots' ciphertexts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedTally {
    /// `contests[c][o]`.
    pub contests: Vec<Vec<Ciphertext>>,
}

impl EncryptedTally {
    /// Adds up verified ballots (`spec/verification.md` V8.2).
    pub fn aggregate<'a>(
        manifest: &Manifest,
        ballots: impl IntoIterator<Item = &'a VerifiedBallot>,
    ) -> Self {
        Self::sum(manifest, ballots.into_iter().map(VerifiedBallot::ballot))
    }

    /// Adds up ballots that the caller verified before storing them: the ballot server, which
    /// verified every ballot before committing it to its board, reads them back to close the
    /// vote. Refuses ballots that do not have the manifest's shape; checks nothing else.
    pub fn aggregate_stored(manifest: &Manifest, ballots: &[Ballot]) -> Result<Self, TallyError> {
        let fits = |b: &Ballot| {
            b.contests.len() == manifest.contests.len()
                && b.contests
                    .iter()
                    .zip(&manifest.contests)
                    .all(|(bc, mc)| bc.selections.len() == mc.options.len())
        };
        if !ballots.iter().all(fits) {
            return Err(TallyError::Shape);
        }
        Ok(Self::sum(manifest, ballots.iter()))
    }

    fn sum<'a>(manifest: &Manifest, ballots: impl Iterator<Item = &'a Ballot>) -> Self {
        let mut sums = RunningTally::new(manifest);
        for b in ballots {
            sums.add(b);
        }
        sums.finish()
    }

    /// The ciphertexts in manifest order, as the tellers decrypt them.
    pub fn flatten(&self) -> Vec<Ciphertext> {
        self.contests.iter().flatten().copied().collect()
    }

    /// Whether the tally has the manifest's shape.
    pub fn fits(&self, manifest: &Manifest) -> bool {
        self.contests.len() == manifest.contests.len()
            && self
                .contests
                .iter()
                .zip(&manifest.contests)
                .all(|(t, c)| t.len() == c.options.len())
    }
}

/// An encrypted tally being added up: per option the two point sums, not yet encoded, so that
/// ballots can be added (and, under `last_counts`, taken away) one at a time or in parallel
/// parts that are merged, at the cost of point additions only.
#[derive(Debug, Clone)]
pub struct RunningTally {
    sums: Vec<Vec<(RistrettoPoint, RistrettoPoint)>>,
}

impl RunningTally {
    /// The empty tally of an election (every sum the identity).
    pub fn new(manifest: &Manifest) -> Self {
        RunningTally {
            sums: manifest
                .contests
                .iter()
                .map(|c| {
                    vec![(RistrettoPoint::default(), RistrettoPoint::default()); c.options.len()]
                })
                .collect(),
        }
    }

    /// Adds a ballot's ciphertexts (its shape must be the manifest's).
    pub fn add(&mut self, b: &Ballot) {
        for (sc, bc) in self.sums.iter_mut().zip(&b.contests) {
            for (s, sel) in sc.iter_mut().zip(&bc.selections) {
                s.0 += sel.ciphertext.a.point();
                s.1 += sel.ciphertext.b.point();
            }
        }
    }

    /// Takes a ballot's ciphertexts away (a ballot replaced under `last_counts`).
    pub fn subtract(&mut self, b: &Ballot) {
        for (sc, bc) in self.sums.iter_mut().zip(&b.contests) {
            for (s, sel) in sc.iter_mut().zip(&bc.selections) {
                s.0 -= sel.ciphertext.a.point();
                s.1 -= sel.ciphertext.b.point();
            }
        }
    }

    /// Adds another part of the same election's tally.
    pub fn merge(&mut self, other: &RunningTally) {
        for (sc, oc) in self.sums.iter_mut().zip(&other.sums) {
            for (s, o) in sc.iter_mut().zip(oc) {
                s.0 += o.0;
                s.1 += o.1;
            }
        }
    }

    /// The tally's ciphertexts, encoded.
    pub fn finish(&self) -> EncryptedTally {
        let flat: Vec<RistrettoPoint> = self
            .sums
            .iter()
            .flatten()
            .flat_map(|(a, b)| [*a, *b])
            .collect();
        let mut points = flat.into_iter().map(Point::from_point);
        EncryptedTally {
            contests: self
                .sums
                .iter()
                .map(|c| {
                    c.iter()
                        .map(|_| Ciphertext {
                            a: points.next().expect("one per sum"),
                            b: points.next().expect("one per sum"),
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

/// Which verified ballots count, under the election's [`Revote`] rule
/// (`spec/verification.md` V5.7).
#[derive(Debug)]
pub struct CountedBallots {
    /// The ballots that count, in board order.
    pub counted: Vec<VerifiedBallot>,
    /// Ballots replaced by a later ballot of the same credential (`last_counts`): positions.
    pub superseded: Vec<usize>,
    /// Ballots that a `first_final` election must never have accepted: (position, position
    /// of the credential's first ballot).
    pub second_ballots: Vec<(usize, usize)>,
}

/// Applies the revote rule to verified ballots given with their board positions, in order.
pub fn select_counted(revote: Revote, ballots: Vec<(usize, VerifiedBallot)>) -> CountedBallots {
    let mut first: HashMap<[u8; 32], usize> = HashMap::with_capacity(ballots.len());
    let mut last: HashMap<[u8; 32], usize> = HashMap::with_capacity(ballots.len());
    for (pos, b) in &ballots {
        let key = *b.ballot().credential.as_bytes();
        first.entry(key).or_insert(*pos);
        last.insert(key, *pos);
    }
    let mut out = CountedBallots {
        counted: Vec::with_capacity(first.len()),
        superseded: Vec::new(),
        second_ballots: Vec::new(),
    };
    for (pos, b) in ballots {
        let key = *b.ballot().credential.as_bytes();
        match revote {
            Revote::FirstFinal if first[&key] == pos => out.counted.push(b),
            Revote::FirstFinal => out.second_ballots.push((pos, first[&key])),
            Revote::LastCounts if last[&key] == pos => out.counted.push(b),
            Revote::LastCounts => out.superseded.push(pos),
        }
    }
    out
}

/// Why a tally could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TallyError {
    /// The decryption shares do not combine.
    #[error(transparent)]
    Decryption(#[from] DecryptionError),
    /// A decrypted value is not a count of at most `bound` ballots.
    #[error(
        "contest {contest}, option {option}: the decrypted value is not a count in [0, {bound}]"
    )]
    OutOfRange {
        /// Contest index.
        contest: usize,
        /// Option index.
        option: usize,
        /// The largest possible count.
        bound: u64,
    },
    /// The tally does not have the manifest's shape.
    #[error("the tally does not have the shape of the manifest")]
    Shape,
}

/// Per contest, per option: the number of counted ballots that selected it.
pub type Counts = Vec<Vec<u64>>;

/// Combines `t` verified decryption shares of the tally and solves each count
/// (`spec/protocol.md` §10.3, §11; the verifier checks recorded counts instead: `spec/verification.md` V10). `ballots` is the number of counted ballots, the bound
/// of every count.
pub fn decrypt_counts(
    manifest: &Manifest,
    tally: &EncryptedTally,
    shares: &[DecryptionShare],
    ballots: u64,
) -> Result<Counts, TallyError> {
    if !tally.fits(manifest) {
        return Err(TallyError::Shape);
    }
    let flat = tally.flatten();
    let points = combine(manifest.tellers.t, shares, &flat)?;
    counts_from_points(manifest, &points, ballots)
}

/// Solves the discrete logarithms of the combined points `m·G` in manifest order.
pub fn counts_from_points(
    manifest: &Manifest,
    points: &[RistrettoPoint],
    ballots: u64,
) -> Result<Counts, TallyError> {
    if points.len() != manifest.option_count() {
        return Err(TallyError::Shape);
    }
    let dlog = DiscreteLog::new(ballots);
    let mut it = points.iter();
    let mut counts = Vec::with_capacity(manifest.contests.len());
    for (ci, c) in manifest.contests.iter().enumerate() {
        let mut row = Vec::with_capacity(c.options.len());
        for oi in 0..c.options.len() {
            let p = it.next().expect("length checked");
            row.push(dlog.solve(p).ok_or(TallyError::OutOfRange {
                contest: ci,
                option: oi,
                bound: ballots,
            })?);
        }
        counts.push(row);
    }
    Ok(counts)
}
