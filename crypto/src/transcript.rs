//! Fiat-Shamir transcripts: one extension trait over [`merlin::Transcript`], so that every proof
//! appends its context, statement and commitments in one named way (`spec/protocol.md` §4).
//!
//! Every proof transcript starts the same way:
//!
//! ```text
//! T = Transcript::new("piaojue-v1")
//! T.append_message("proof", <proof type: "schnorr" | "dleq" | "range">)
//! T.append_message("election", <32-byte election or ceremony id>)
//! T.append_message("party", <32-byte public key of the prover: credential or teller key>)
//! T.append_message("role", <what the proof is for, e.g. "selection">)
//! T.append_u64("index0", i0)
//! T.append_u64("index1", i1)
//! ```
//!
//! then the statement and the commitments, each under its own label, and finally the challenge
//! `c = wide_reduce(T.challenge_bytes("challenge", 64))`, a 512-bit value reduced modulo ℓ so
//! that it is uniform (no modular bias).

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::CryptoRng;
use zeroize::Zeroize;

use crate::encoding::Point;

/// What a proof is bound to besides its statement: the election, the prover, the purpose and
/// the position of the proved object. Part of every transcript (`spec/protocol.md` §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofContext {
    /// Election fingerprint (for ballots and decryption) or ceremony id (for the key ceremony).
    pub election: [u8; 32],
    /// The prover's public key: a deputy's credential or a teller's signing key.
    pub party: [u8; 32],
    /// The purpose of the proof, e.g. `b"selection"`, `b"contest-sum"`.
    pub role: &'static [u8],
    /// The position of the object proved about (e.g. contest and option index).
    pub index: [u64; 2],
}

impl ProofContext {
    /// A context at position (0, 0).
    pub fn new(election: [u8; 32], party: [u8; 32], role: &'static [u8]) -> Self {
        ProofContext {
            election,
            party,
            role,
            index: [0, 0],
        }
    }

    /// The same context at another position.
    pub fn at(mut self, i0: u64, i1: u64) -> Self {
        self.index = [i0, i1];
        self
    }
}

/// The protocol's operations on a Merlin transcript.
pub trait TranscriptProtocol {
    /// Starts a proof of type `proof` in context `ctx`.
    fn begin_proof(&mut self, proof: &'static [u8], ctx: &ProofContext);
    /// Appends a point under a label.
    fn append_point(&mut self, label: &'static [u8], p: &Point);
    /// Appends a scalar under a label.
    fn append_scalar(&mut self, label: &'static [u8], s: &Scalar);
    /// Appends an integer under a label.
    fn append_int(&mut self, label: &'static [u8], v: u64);
    /// Draws a challenge scalar: 64 bytes reduced modulo ℓ.
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
    /// Derives a secret nonce, hedged: from the transcript so far, the secret witness and fresh
    /// randomness, so that neither a weak RNG nor a repeated statement alone can repeat a nonce.
    fn witness_scalar<R: CryptoRng + ?Sized>(
        &self,
        label: &'static [u8],
        witness: &[u8],
        rng: &mut R,
    ) -> Scalar;
}

impl TranscriptProtocol for Transcript {
    fn begin_proof(&mut self, proof: &'static [u8], ctx: &ProofContext) {
        self.append_message(b"proof", proof);
        self.append_message(b"election", &ctx.election);
        self.append_message(b"party", &ctx.party);
        self.append_message(b"role", ctx.role);
        self.append_u64(b"index0", ctx.index[0]);
        self.append_u64(b"index1", ctx.index[1]);
    }

    fn append_point(&mut self, label: &'static [u8], p: &Point) {
        self.append_message(label, p.as_bytes());
    }

    fn append_scalar(&mut self, label: &'static [u8], s: &Scalar) {
        self.append_message(label, s.as_bytes());
    }

    fn append_int(&mut self, label: &'static [u8], v: u64) {
        self.append_u64(label, v);
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut buf = [0u8; 64];
        self.challenge_bytes(label, &mut buf);
        Scalar::from_bytes_mod_order_wide(&buf)
    }

    fn witness_scalar<R: CryptoRng + ?Sized>(
        &self,
        label: &'static [u8],
        witness: &[u8],
        rng: &mut R,
    ) -> Scalar {
        let mut t = self.clone();
        t.append_message(b"witness", witness);
        let mut fresh = [0u8; 32];
        rng.fill_bytes(&mut fresh);
        t.append_message(b"rng", &fresh);
        fresh.zeroize();
        let mut buf = [0u8; 64];
        t.challenge_bytes(label, &mut buf);
        let s = Scalar::from_bytes_mod_order_wide(&buf);
        buf.zeroize();
        s
    }
}

/// A new transcript with the protocol's label.
pub fn new_transcript() -> Transcript {
    Transcript::new(b"piaojue-v1")
}
