//! Bounded discrete logarithm for tallies (`spec/protocol.md` §5.2): find `m ∈ [0, bound]`
//! with `m·G = P`, by baby-step giant-step.
//!
//! With `s = ⌈√(bound + 1)⌉` the table holds the encodings of `0·G … (s−1)·G` (the baby steps);
//! the search subtracts `s·G` up to `s` times (the giant steps) and looks each result up. Cost:
//! `s` point additions and compressions to build (about 5 µs each: 1,000 entries for a bound of
//! 10⁶ take about 5 ms, once), and at most `s` additions, compressions and look-ups per solved
//! value. A tally's bound is the number of counted ballots times the largest value one ballot
//! can give one option (1), so a county's 450 deputies need a table of 22 entries.

use std::collections::HashMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;

/// A precomputed baby-step table for logarithms up to a bound.
#[derive(Debug, Clone)]
pub struct DiscreteLog {
    bound: u64,
    step: u64,
    table: HashMap<[u8; 32], u64>,
    giant: RistrettoPoint,
}

impl DiscreteLog {
    /// Builds the table for logarithms in `[0, bound]`.
    pub fn new(bound: u64) -> Self {
        let step = ((bound as f64 + 1.0).sqrt().ceil() as u64).max(1);
        let mut table = HashMap::with_capacity(step as usize);
        let mut p = RistrettoPoint::default();
        for i in 0..step {
            table.insert(p.compress().to_bytes(), i);
            p += G;
        }
        DiscreteLog {
            bound,
            step,
            table,
            giant: G * Scalar::from(step),
        }
    }

    /// The bound this table was built for.
    pub fn bound(&self) -> u64 {
        self.bound
    }

    /// `m` with `m·G = target` and `m ≤ bound`, or `None` if there is none.
    pub fn solve(&self, target: &RistrettoPoint) -> Option<u64> {
        let mut p = *target;
        let mut j = 0u64;
        while j * self.step <= self.bound {
            if let Some(i) = self.table.get(&p.compress().to_bytes()) {
                let m = j * self.step + i;
                return (m <= self.bound).then_some(m);
            }
            p -= self.giant;
            j += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_every_value_in_range_and_nothing_outside() {
        let d = DiscreteLog::new(200);
        for m in [0u64, 1, 2, 13, 14, 15, 99, 199, 200] {
            assert_eq!(d.solve(&(G * Scalar::from(m))), Some(m), "m = {m}");
        }
        assert_eq!(d.solve(&(G * Scalar::from(201u64))), None);
        assert_eq!(d.solve(&(G * Scalar::from(100_000u64))), None);
        assert_eq!(d.solve(&(-G)), None);
    }

    #[test]
    fn large_bound() {
        let d = DiscreteLog::new(1_000_000);
        assert_eq!(d.solve(&(G * Scalar::from(987_654u64))), Some(987_654));
        assert_eq!(d.solve(&(G * Scalar::from(1_000_000u64))), Some(1_000_000));
    }
}
