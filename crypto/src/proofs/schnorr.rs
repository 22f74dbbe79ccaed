//! Schnorr proof of knowledge of a discrete logarithm (`spec/protocol.md` §5.3).
//!
//! Statement: public `X`. Witness: `x` with `X = x·G`.
//!
//! ```text
//! Prover:   w ←$ ℤ_ℓ,  R = w·G
//!           c = H(ctx, X, R)
//!           s = w + c·x
//! Verifier: s·G = R + c·X
//! ```
//!
//! Transcript: `begin_proof("schnorr", ctx)`, `X` under `"X"`, `R` under `"R"`, challenge
//! `"challenge"`.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::scalar::Scalar;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::batch::BatchVerifier;
use crate::canonical::{Canonical, Writer};
use crate::encoding::{Point, scalar_base64};
use crate::proofs::ProofError;
use crate::transcript::{ProofContext, TranscriptProtocol, new_transcript};

const LABEL: &[u8] = b"schnorr";

/// A proof of knowledge of `x` with `X = x·G`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchnorrProof {
    /// `R = w·G`.
    pub commitment: Point,
    /// `s = w + c·x`.
    #[serde(with = "scalar_base64")]
    pub response: Scalar,
}

impl Canonical for SchnorrProof {
    fn write_canonical(&self, w: &mut Writer) {
        w.point(&self.commitment).scalar(&self.response);
    }
}

fn challenge(ctx: &ProofContext, public: &Point, commitment: &Point) -> Scalar {
    let mut t = new_transcript();
    t.begin_proof(LABEL, ctx);
    t.append_point(b"X", public);
    t.append_point(b"R", commitment);
    t.challenge_scalar(b"challenge")
}

impl SchnorrProof {
    /// Proves knowledge of `secret` for `public = secret·G`.
    pub fn prove<R: CryptoRng + ?Sized>(
        ctx: &ProofContext,
        secret: &Scalar,
        public: &Point,
        rng: &mut R,
    ) -> Self {
        let mut t = new_transcript();
        t.begin_proof(LABEL, ctx);
        t.append_point(b"X", public);
        let w = t.witness_scalar(b"nonce", secret.as_bytes(), rng);
        let commitment = Point::from_point(RISTRETTO_BASEPOINT_TABLE * &w);
        let c = challenge(ctx, public, &commitment);
        SchnorrProof {
            commitment,
            response: w + c * secret,
        }
    }

    /// Queues `s·G − R − c·X = 0` into a batch.
    pub fn queue(&self, ctx: &ProofContext, public: &Point, batch: &mut BatchVerifier) {
        let c = challenge(ctx, public, &self.commitment);
        // z·(R + c·X − s·G) = 0: the commitment gets the short weight itself (§5.6).
        let z = batch.weight();
        batch.add_g(-(z * self.response));
        batch.add_unmerged(z, *self.commitment.point());
        batch.add(z * c, public);
    }

    /// Verifies the proof alone.
    pub fn verify(&self, ctx: &ProofContext, public: &Point) -> Result<(), ProofError> {
        let mut batch = BatchVerifier::new();
        self.queue(ctx, public, &mut batch);
        batch
            .verify()
            .then_some(())
            .ok_or(ProofError::Invalid("Schnorr"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::PublicKey;
    use proptest::prelude::*;

    fn ctx() -> ProofContext {
        ProofContext::new([1; 32], [2; 32], b"test")
    }

    #[test]
    fn completeness_and_tampering() {
        let mut rng = rand::rng();
        let x = Scalar::from(42u64);
        let pk = *PublicKey::from_secret(&x).as_point();
        let proof = SchnorrProof::prove(&ctx(), &x, &pk, &mut rng);
        proof.verify(&ctx(), &pk).unwrap();

        // Another statement, election, party, role or position: refused.
        let other = *PublicKey::from_secret(&Scalar::from(43u64)).as_point();
        assert!(proof.verify(&ctx(), &other).is_err());
        let mut c = ctx();
        c.election[0] ^= 1;
        assert!(proof.verify(&c, &pk).is_err());
        let mut c = ctx();
        c.party[31] ^= 1;
        assert!(proof.verify(&c, &pk).is_err());
        assert!(
            proof
                .verify(&ProofContext::new([1; 32], [2; 32], b"other"), &pk)
                .is_err()
        );
        assert!(proof.verify(&ctx().at(0, 1), &pk).is_err());
        // Changed response or commitment: refused.
        let mut p = proof.clone();
        p.response += Scalar::ONE;
        assert!(p.verify(&ctx(), &pk).is_err());
        let mut p = proof.clone();
        p.commitment = other;
        assert!(p.verify(&ctx(), &pk).is_err());
        // Round trip through JSON.
        let back: SchnorrProof =
            serde_json::from_str(&serde_json::to_string(&proof).unwrap()).unwrap();
        back.verify(&ctx(), &pk).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn proofs_of_random_keys_verify(seed: [u8; 32]) {
            let x = Scalar::from_bytes_mod_order(seed) + Scalar::ONE;
            let pk = *PublicKey::from_secret(&x).as_point();
            let proof = SchnorrProof::prove(&ctx(), &x, &pk, &mut rand::rng());
            prop_assert!(proof.verify(&ctx(), &pk).is_ok());
            // A wrong witness never yields a proof that verifies.
            let bad = SchnorrProof::prove(&ctx(), &(x + Scalar::ONE), &pk, &mut rand::rng());
            prop_assert!(bad.verify(&ctx(), &pk).is_err());
        }
    }
}
