//! The number of deputies signed in (实到人数), announced by the chief scrutineer (总监票人)
//! before voting opens (`spec/protocol.md` §7.6).
//!
//! The manifest fixes the roll by law (`Manifest::deputies`, 应到人数): the base of the quorum
//! and of an all-deputies majority, and the most credentials there may be. How many of them are
//! present is known only in the hall. The chief scrutineer, one of the tellers, signs it with
//! the signing key of their key-ceremony announcement:
//!
//! ```text
//! signed bytes = str("piaojue-v1/attendance") ‖ F ‖ u32(j) ‖ u32(signed_in)
//! ```
//!
//! with `F` the election fingerprint (so the statement names the election, its key and its
//! final credential list) and `j` the teller's index. More ballots counted than deputies signed
//! in is then a fault the verifier reports (V11.2), whoever added them.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::canonical::Writer;
use crate::credential::CredentialKey;
use crate::encoding::Bytes;
use crate::manifest::Manifest;

/// Domain tag of the signed bytes.
pub const ATTENDANCE_TAG: &str = "piaojue-v1/attendance";

/// The chief scrutineer's signed count of the deputies signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    /// The signing teller's index `j`, `1 … n`.
    pub teller: u32,
    /// Deputies signed in (实到人数), at most the manifest's `deputies`.
    pub signed_in: u32,
    /// ed25519 signature by teller `j`'s signing key over [`Attendance::signed_bytes`].
    pub signature: Bytes<64>,
}

/// Why an attendance statement is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttendanceError {
    /// The teller index is not one of the election's tellers.
    #[error("the attendance names teller {teller}, not one of the election's tellers 1 … {n}")]
    Teller {
        /// The index named.
        teller: u32,
        /// The number of tellers.
        n: u32,
    },
    /// More deputies signed in than the congress has.
    #[error("{signed_in} deputies signed in, more than the {deputies} of the congress")]
    TooMany {
        /// Signed in.
        signed_in: u32,
        /// The manifest's deputies.
        deputies: u32,
    },
    /// The signature does not verify under the teller's signing key.
    #[error("teller {teller}'s signature on the attendance does not verify")]
    Signature {
        /// The index named.
        teller: u32,
    },
}

impl Attendance {
    /// The bytes the teller signs: `str(ATTENDANCE_TAG) ‖ F ‖ u32(j) ‖ u32(signed_in)`.
    pub fn signed_bytes(fingerprint: [u8; 32], teller: u32, signed_in: u32) -> Vec<u8> {
        let mut w = Writer::tagged(ATTENDANCE_TAG);
        w.fixed(&fingerprint).u32(teller).u32(signed_in);
        w.into_bytes()
    }

    /// Teller `teller` states that `signed_in` deputies are signed in to election `fingerprint`.
    pub fn sign(fingerprint: [u8; 32], teller: u32, signed_in: u32, signing: &SigningKey) -> Self {
        let bytes = Self::signed_bytes(fingerprint, teller, signed_in);
        Attendance {
            teller,
            signed_in,
            signature: Bytes(signing.sign(&bytes).to_bytes()),
        }
    }

    /// Checks the statement (`spec/verification.md` V3.5): the teller is one of the manifest's,
    /// at most `deputies` are signed in, and the signature verifies (the rule of protocol §2.4)
    /// under `teller_keys[j − 1]`, the signing keys of the ceremony's announcements in index
    /// order.
    pub fn check(
        &self,
        manifest: &Manifest,
        fingerprint: [u8; 32],
        teller_keys: &[Bytes<32>],
    ) -> Result<(), AttendanceError> {
        let n = manifest.tellers.n;
        let key = (self.teller >= 1 && self.teller <= n)
            .then(|| teller_keys.get(self.teller as usize - 1))
            .flatten()
            .ok_or(AttendanceError::Teller {
                teller: self.teller,
                n,
            })?;
        if self.signed_in > manifest.deputies {
            return Err(AttendanceError::TooMany {
                signed_in: self.signed_in,
                deputies: manifest.deputies,
            });
        }
        let bytes = Self::signed_bytes(fingerprint, self.teller, self.signed_in);
        CredentialKey::decode(&key.0)
            .is_ok_and(|k| k.verify(&bytes, &self.signature.0))
            .then_some(())
            .ok_or(AttendanceError::Signature {
                teller: self.teller,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::TellerParams;
    use crate::samples;

    const F: [u8; 32] = [7; 32];

    fn setup() -> (Manifest, Vec<SigningKey>, Vec<Bytes<32>>) {
        let mut m = samples::up_to_k_of_n("att", 3, 1, TellerParams { n: 3, t: 2 });
        m.deputies = 40;
        let signing: Vec<SigningKey> = (1..=3u8)
            .map(|i| SigningKey::from_bytes(&[i; 32]))
            .collect();
        let keys = signing
            .iter()
            .map(|k| Bytes(k.verifying_key().to_bytes()))
            .collect();
        (m, signing, keys)
    }

    #[test]
    fn a_tellers_statement_verifies() {
        let (m, signing, keys) = setup();
        let a = Attendance::sign(F, 2, 37, &signing[1]);
        assert_eq!(a.check(&m, F, &keys), Ok(()));
        let all = Attendance::sign(F, 1, 40, &signing[0]);
        assert_eq!(all.check(&m, F, &keys), Ok(()));
    }

    #[test]
    fn a_changed_count_teller_or_election_is_refused() {
        let (m, signing, keys) = setup();
        let a = Attendance::sign(F, 2, 37, &signing[1]);
        let mut more = a.clone();
        more.signed_in = 38;
        assert_eq!(
            more.check(&m, F, &keys),
            Err(AttendanceError::Signature { teller: 2 })
        );
        let mut other = a.clone();
        other.teller = 3;
        assert_eq!(
            other.check(&m, F, &keys),
            Err(AttendanceError::Signature { teller: 3 })
        );
        assert_eq!(
            a.check(&m, [8; 32], &keys),
            Err(AttendanceError::Signature { teller: 2 })
        );
        // Signed by teller 1 but naming teller 2.
        let forged = Attendance {
            teller: 2,
            ..Attendance::sign(F, 2, 37, &signing[0])
        };
        assert!(forged.check(&m, F, &keys).is_err());
    }

    #[test]
    fn a_teller_out_of_range_or_more_than_the_roll_is_refused() {
        let (m, signing, keys) = setup();
        for j in [0, 4] {
            let a = Attendance::sign(F, j, 10, &signing[0]);
            assert_eq!(
                a.check(&m, F, &keys),
                Err(AttendanceError::Teller { teller: j, n: 3 })
            );
        }
        let a = Attendance::sign(F, 1, 41, &signing[0]);
        assert_eq!(
            a.check(&m, F, &keys),
            Err(AttendanceError::TooMany {
                signed_in: 41,
                deputies: 40
            })
        );
    }
}
