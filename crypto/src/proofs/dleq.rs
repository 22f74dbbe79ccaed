//! Chaum-Pedersen proof of equality of discrete logarithms (`spec/protocol.md` §5.4).
//!
//! Statement: bases `G`, `H` and points `X`, `Y`. Witness: `x` with `X = x·G` and `Y = x·H`.
//!
//! ```text
//! Prover:   w ←$ ℤ_ℓ,  R₁ = w·G,  R₂ = w·H
//!           c = H(ctx, H, X, Y, R₁, R₂)
//!           s = w + c·x
//! Verifier: s·G = R₁ + c·X   and   s·H = R₂ + c·Y
//! ```
//!
//! Used for decryption shares (`H = α`, `X` the teller's verification key, `Y = x·α`) and for
//! key-ceremony complaints (`H` the accused teller's encryption key, `Y` the shared
//! Diffie-Hellman point). Transcript: `begin_proof("dleq", ctx)`, then `"H"`, `"X"`, `"Y"`,
//! `"R1"`, `"R2"`, challenge `"challenge"`.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::batch::BatchVerifier;
use crate::canonical::{Canonical, Writer};
use crate::encoding::{Point, scalar_base64};
use crate::proofs::ProofError;
use crate::transcript::{ProofContext, TranscriptProtocol, new_transcript};

const LABEL: &[u8] = b"dleq";

/// The public part of a DLEQ statement: `X = x·G`, `Y = x·H`.
#[derive(Debug, Clone, Copy)]
pub struct DleqStatement<'a> {
    /// The second base `H`.
    pub h: &'a Point,
    /// `X = x·G`.
    pub x: &'a Point,
    /// `Y = x·H`.
    pub y: &'a Point,
}

/// A proof that `log_G X = log_H Y`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DleqProof {
    /// `R₁ = w·G`.
    pub commitment_g: Point,
    /// `R₂ = w·H`.
    pub commitment_h: Point,
    /// `s = w + c·x`.
    #[serde(with = "scalar_base64")]
    pub response: Scalar,
}

impl Canonical for DleqProof {
    fn write_canonical(&self, w: &mut Writer) {
        w.point(&self.commitment_g)
            .point(&self.commitment_h)
            .scalar(&self.response);
    }
}

fn statement_transcript(ctx: &ProofContext, st: &DleqStatement) -> merlin::Transcript {
    let mut t = new_transcript();
    t.begin_proof(LABEL, ctx);
    t.append_point(b"H", st.h);
    t.append_point(b"X", st.x);
    t.append_point(b"Y", st.y);
    t
}

fn challenge(mut t: merlin::Transcript, r1: &Point, r2: &Point) -> Scalar {
    t.append_point(b"R1", r1);
    t.append_point(b"R2", r2);
    t.challenge_scalar(b"challenge")
}

impl DleqProof {
    /// Proves `X = x·G` and `Y = x·H`.
    pub fn prove<R: CryptoRng + ?Sized>(
        ctx: &ProofContext,
        secret: &Scalar,
        st: &DleqStatement,
        rng: &mut R,
    ) -> Self {
        let t = statement_transcript(ctx, st);
        let w = t.witness_scalar(b"nonce", secret.as_bytes(), rng);
        let commitment_g = Point::from_point(RISTRETTO_BASEPOINT_TABLE * &w);
        let commitment_h = Point::from_point(st.h.point() * w);
        let c = challenge(t, &commitment_g, &commitment_h);
        DleqProof {
            commitment_g,
            commitment_h,
            response: w + c * secret,
        }
    }

    /// Queues `s·G − R₁ − c·X = 0` and `s·H − R₂ − c·Y = 0` into a batch.
    pub fn queue(&self, ctx: &ProofContext, st: &DleqStatement, batch: &mut BatchVerifier) {
        let c = challenge(
            statement_transcript(ctx, st),
            &self.commitment_g,
            &self.commitment_h,
        );
        // z₁·(R₁ + c·X − s·G) = 0 and z₂·(R₂ + c·Y − s·H) = 0: the commitments get the short
        // weights themselves (§5.6).
        let z1 = batch.weight();
        batch.add_g(-(z1 * self.response));
        batch.add_unmerged(z1, *self.commitment_g.point());
        batch.add(z1 * c, st.x);
        let z2 = batch.weight();
        batch.add(-(z2 * self.response), st.h);
        batch.add_unmerged(z2, *self.commitment_h.point());
        batch.add(z2 * c, st.y);
    }

    /// Verifies the proof alone.
    pub fn verify(&self, ctx: &ProofContext, st: &DleqStatement) -> Result<(), ProofError> {
        let mut batch = BatchVerifier::new();
        self.queue(ctx, st, &mut batch);
        batch
            .verify()
            .then_some(())
            .ok_or(ProofError::Invalid("Chaum-Pedersen"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
    use proptest::prelude::*;

    fn ctx() -> ProofContext {
        ProofContext::new([3; 32], [4; 32], b"test")
    }

    fn setup(x: Scalar, h: Scalar) -> (Point, Point, Point) {
        let hp = G * h;
        (Point::from(hp), Point::from(G * x), Point::from(hp * x))
    }

    #[test]
    fn completeness_and_tampering() {
        let mut rng = rand::rng();
        let x = Scalar::from(1234u64);
        let (h, xp, yp) = setup(x, Scalar::from(99u64));
        let st = DleqStatement {
            h: &h,
            x: &xp,
            y: &yp,
        };
        let proof = DleqProof::prove(&ctx(), &x, &st, &mut rng);
        proof.verify(&ctx(), &st).unwrap();

        // Y with a different logarithm: the statement is false, the proof fails.
        let wrong_y = Point::from(yp.point() + G);
        assert!(
            proof
                .verify(&ctx(), &DleqStatement { y: &wrong_y, ..st })
                .is_err()
        );
        // A proof for a false statement cannot be made to verify.
        let false_st = DleqStatement { y: &wrong_y, ..st };
        assert!(
            DleqProof::prove(&ctx(), &x, &false_st, &mut rng)
                .verify(&ctx(), &false_st)
                .is_err()
        );
        let mut c = ctx();
        c.election[5] ^= 0x80;
        assert!(proof.verify(&c, &st).is_err());
        let mut c = ctx();
        c.party[0] ^= 1;
        assert!(proof.verify(&c, &st).is_err());
        let mut p = proof.clone();
        p.response -= Scalar::ONE;
        assert!(p.verify(&ctx(), &st).is_err());
        let mut p = proof.clone();
        std::mem::swap(&mut p.commitment_g, &mut p.commitment_h);
        assert!(p.verify(&ctx(), &st).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn random_statements(x: u64, h in 1u64..) {
            let x = Scalar::from(x);
            let (hp, xp, yp) = setup(x, Scalar::from(h));
            let st = DleqStatement { h: &hp, x: &xp, y: &yp };
            let proof = DleqProof::prove(&ctx(), &x, &st, &mut rand::rng());
            prop_assert!(proof.verify(&ctx(), &st).is_ok());
        }
    }
}
