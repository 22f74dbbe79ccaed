//! Batch verification by random linear combination (`spec/protocol.md` §5.6).
//!
//! Every verification equation in this library has the form `Σᵢ aᵢ·Pᵢ = 0` for public scalars
//! `aᵢ` and points `Pᵢ`. To check many equations `E₁ … Eₘ` at once the verifier draws
//! independent 128-bit weights `z₁ … zₘ` and checks the single equation
//!
//! ```text
//!     Σⱼ zⱼ · Eⱼ = 0
//! ```
//!
//! with one variable-time multiscalar multiplication. If any `Eⱼ ≠ 0` the combination is zero
//! with probability at most 2⁻¹²⁸ over the choice of the weights (the weights are drawn after
//! the proofs are fixed, from the verifier's own randomness), so the batch verdict equals the
//! verdict of checking each equation alone, except with that probability.
//!
//! Coefficients of the same point are merged (by encoding) before the multiplication, so a
//! point that appears in many equations — the generator `G`, the election key `K`, a
//! ciphertext that is both proved alone and summed into a contest — costs one term.

use std::collections::HashMap;

use chacha20::ChaCha20Rng;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_core::{Rng, SeedableRng};

use crate::encoding::Point;

/// Accumulates weighted verification equations and checks them in one multiscalar
/// multiplication.
pub struct BatchVerifier {
    rng: ChaCha20Rng,
    g: Scalar,
    index: HashMap<[u8; 32], usize>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    equations: usize,
}

impl BatchVerifier {
    /// A batch whose weights come from the operating system's randomness.
    pub fn new() -> Self {
        let mut seed = [0u8; 32];
        getrandom_seed(&mut seed);
        Self::with_seed(seed)
    }

    /// A batch with weights from a given seed. Only for tests and reproducible benchmarks: a
    /// prover who knows the seed can craft proofs that pass the batch but fail alone.
    pub fn with_seed(seed: [u8; 32]) -> Self {
        BatchVerifier {
            rng: ChaCha20Rng::from_seed(seed),
            g: Scalar::ZERO,
            index: HashMap::new(),
            scalars: Vec::new(),
            points: Vec::new(),
            equations: 0,
        }
    }

    /// Reserves room for `terms` more distinct points.
    pub fn reserve(&mut self, terms: usize) {
        self.index.reserve(terms);
        self.scalars.reserve(terms);
        self.points.reserve(terms);
    }

    /// Starts a new equation and returns its random 128-bit weight `z`.
    pub fn weight(&mut self) -> Scalar {
        self.equations += 1;
        let mut b = [0u8; 32];
        self.rng.fill_bytes(&mut b[..16]);
        Scalar::from_bytes_mod_order(b)
    }

    /// Adds `coefficient · G`.
    pub fn add_g(&mut self, coefficient: Scalar) {
        self.g += coefficient;
    }

    /// Adds `coefficient · P`.
    pub fn add(&mut self, coefficient: Scalar, p: &Point) {
        match self.index.get(p.as_bytes()) {
            Some(&i) => self.scalars[i] += coefficient,
            None => {
                self.index.insert(*p.as_bytes(), self.points.len());
                self.scalars.push(coefficient);
                self.points.push(*p.point());
            }
        }
    }

    /// Adds `coefficient · P` for a point that has no encoding at hand (e.g. a sum computed by
    /// the verifier). It is not merged with other terms.
    pub fn add_unmerged(&mut self, coefficient: Scalar, p: RistrettoPoint) {
        self.scalars.push(coefficient);
        self.points.push(p);
    }

    /// Number of equations queued.
    pub fn equations(&self) -> usize {
        self.equations
    }

    /// Number of distinct point terms queued (excluding `G`).
    pub fn terms(&self) -> usize {
        self.points.len()
    }

    /// Checks every queued equation at once. `true` means all hold (up to probability 2⁻¹²⁸).
    pub fn verify(self) -> bool {
        let scalars = std::iter::once(self.g).chain(self.scalars);
        let points = std::iter::once(RISTRETTO_BASEPOINT_POINT).chain(self.points);
        RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity()
    }
}

impl Default for BatchVerifier {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn getrandom_seed(seed: &mut [u8; 32]) {
    use rand::TryRng;
    rand::rngs::SysRng
        .try_fill_bytes(seed)
        .expect("the operating system's random number generator failed");
}
