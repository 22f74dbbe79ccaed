//! Non-interactive zero-knowledge proofs (`spec/protocol.md` §5.3–5.5).
//!
//! Each proof is a Σ-protocol made non-interactive by Fiat-Shamir over a Merlin transcript
//! ([`crate::transcript`]) that binds the [`ProofContext`](crate::transcript::ProofContext)
//! (election, prover, role, position), the whole statement and the commitments. Proofs carry
//! their commitments (not the challenge), so that many of them can be checked together by a
//! random linear combination ([`crate::batch`]). Each has `prove`, `verify` and `queue` (the
//! batch form: `verify` is `queue` into a fresh batch, then one check).

pub mod dleq;
pub mod range;
pub mod schnorr;

pub use dleq::DleqProof;
pub use range::RangeProof;
pub use schnorr::SchnorrProof;

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The verification equation does not hold.
    #[error("the {0} proof does not verify")]
    Invalid(&'static str),
    /// The proof has the wrong number of parts for its statement.
    #[error("malformed {proof} proof: {reason}")]
    Malformed {
        /// Proof type.
        proof: &'static str,
        /// What is wrong.
        reason: String,
    },
}
