//! Decoding and hex/JSON encoding of group elements, scalars and fixed-size byte strings.
//!
//! This is the one place where bytes from outside become curve points or scalars. Every decoder
//! here checks what `spec/protocol.md` §2 requires:
//!
//! * a point is a canonical 32-byte Ristretto255 encoding (anything else is
//!   [`DecodeError::InvalidPoint`]); public keys additionally must not be the identity;
//! * a scalar is the canonical little-endian encoding of an integer below the group order ℓ
//!   (anything else is [`DecodeError::NonCanonicalScalar`]);
//! * hex is lower-case or upper-case, with exactly twice as many digits as the byte length.
//!
//! A decoded [`Point`] keeps both its encoding and its decompressed form, so that a point taken
//! from outside is decompressed exactly once and can be fed to both a transcript (bytes) and a
//! multiscalar multiplication (point) without further work.

use core::fmt;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length in bytes of an encoded point or scalar.
pub const ELEMENT_LEN: usize = 32;

/// Why bytes from outside were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The text is not hexadecimal.
    #[error("not hexadecimal: {0}")]
    InvalidHex(String),
    /// The byte string has the wrong length.
    #[error("wrong length: expected {expected} bytes, got {got}")]
    WrongLength {
        /// Expected length in bytes.
        expected: usize,
        /// Length found.
        got: usize,
    },
    /// The 32 bytes are not the canonical encoding of a Ristretto255 point.
    #[error("not a canonical Ristretto255 point encoding")]
    InvalidPoint,
    /// The point is the identity where a non-identity element is required.
    #[error("the identity point is not allowed here")]
    IdentityPoint,
    /// The 32 bytes are not a canonical scalar (an integer below the group order).
    #[error("not a canonical scalar (must be below the group order)")]
    NonCanonicalScalar,
    /// An ed25519 public key does not decode, or is of small order.
    #[error("not a valid ed25519 public key: {0}")]
    InvalidCredential(&'static str),
}

/// Decodes `N` bytes from hex.
pub fn decode_hex_array<const N: usize>(text: &str) -> Result<[u8; N], DecodeError> {
    if text.len() != 2 * N {
        return Err(DecodeError::WrongLength {
            expected: N,
            got: text.len() / 2,
        });
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|e| DecodeError::InvalidHex(e.to_string()))?;
    Ok(out)
}

/// Decodes a scalar, refusing non-canonical encodings.
pub fn decode_scalar(bytes: &[u8; 32]) -> Result<Scalar, DecodeError> {
    Option::from(Scalar::from_canonical_bytes(*bytes)).ok_or(DecodeError::NonCanonicalScalar)
}

/// A Ristretto255 group element together with its canonical encoding.
///
/// Equality and hashing are by encoding, which for Ristretto255 is equality of group elements.
#[derive(Clone, Copy)]
pub struct Point {
    point: RistrettoPoint,
    bytes: [u8; 32],
}

impl Point {
    /// Wraps a computed point, compressing it once.
    pub fn from_point(point: RistrettoPoint) -> Self {
        Point {
            bytes: point.compress().to_bytes(),
            point,
        }
    }

    /// Encodes many points at once from their halves: given `Hᵢ = Pᵢ / 2`, returns the `Pᵢ`
    /// with their encodings, at the cost of one field inversion for the lot (dalek's
    /// `double_and_compress_batch`) instead of one per point.
    pub fn from_halves(halves: &[RistrettoPoint]) -> Vec<Self> {
        RistrettoPoint::double_and_compress_batch(halves)
            .into_iter()
            .zip(halves)
            .map(|(c, h)| Point {
                point: h + h,
                bytes: c.to_bytes(),
            })
            .collect()
    }

    /// Decodes a point; any canonical encoding, the identity included, is accepted.
    pub fn decode(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let point = CompressedRistretto(*bytes)
            .decompress()
            .ok_or(DecodeError::InvalidPoint)?;
        Ok(Point {
            point,
            bytes: *bytes,
        })
    }

    /// Decodes a point and refuses the identity.
    pub fn decode_nonidentity(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let p = Self::decode(bytes)?;
        if p.is_identity() {
            return Err(DecodeError::IdentityPoint);
        }
        Ok(p)
    }

    /// Decodes a point from hex.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        Self::decode(&decode_hex_array(text)?)
    }

    /// The decompressed point.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Lower-case hex of the encoding.
    pub fn to_hex(&self) -> String {
        hex::encode(self.bytes)
    }

    /// Whether this is the identity element.
    pub fn is_identity(&self) -> bool {
        self.point.is_identity()
    }

    /// The identity element.
    pub fn identity() -> Self {
        Self::from_point(RistrettoPoint::default())
    }
}

impl PartialEq for Point {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for Point {}

impl core::hash::Hash for Point {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state)
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Point({})", self.to_hex())
    }
}

impl From<RistrettoPoint> for Point {
    fn from(p: RistrettoPoint) -> Self {
        Point::from_point(p)
    }
}

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Point::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// `1/2 mod ℓ`: scaling a scalar by it gives the half of a point, for [`Point::from_halves`].
pub fn half() -> &'static Scalar {
    static HALF: std::sync::LazyLock<Scalar> =
        std::sync::LazyLock::new(|| Scalar::from(2u64).invert());
    &HALF
}

/// A public key: a point that is not the identity.
///
/// Used for teller keys, verification keys and the joint election key. The only ways to get one
/// are [`PublicKey::decode`] (which checks) and [`PublicKey::from_secret`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(Point);

impl PublicKey {
    /// Decodes a public key: canonical and not the identity.
    pub fn decode(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        Point::decode_nonidentity(bytes).map(PublicKey)
    }

    /// Wraps a computed point, refusing the identity.
    pub fn from_point(point: RistrettoPoint) -> Result<Self, DecodeError> {
        let p = Point::from_point(point);
        if p.is_identity() {
            return Err(DecodeError::IdentityPoint);
        }
        Ok(PublicKey(p))
    }

    /// `x·G` for a secret `x` (constant-time fixed-base multiplication).
    ///
    /// # Panics
    /// If `x` is zero, which a correctly sampled secret never is.
    pub fn from_secret(x: &Scalar) -> Self {
        Self::from_point(curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE * x)
            .expect("secret scalar must be non-zero")
    }

    /// The key as a [`Point`].
    pub fn as_point(&self) -> &Point {
        &self.0
    }

    /// The decompressed point.
    pub fn point(&self) -> &RistrettoPoint {
        self.0.point()
    }

    /// The canonical 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.0.to_hex())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PublicKey::decode(&decode_hex_array(&text).map_err(serde::de::Error::custom)?)
            .map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for canonical scalars as hex: `#[serde(with = "crate::encoding::scalar_hex")]`.
pub mod scalar_hex {
    use super::*;

    /// Serializes a scalar as 64 hex digits.
    pub fn serialize<S: Serializer>(s: &Scalar, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&hex::encode(s.as_bytes()))
    }

    /// Deserializes a canonical scalar from 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = decode_hex_array::<32>(&text).map_err(serde::de::Error::custom)?;
        decode_scalar(&bytes).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for a list of canonical scalars as hex strings.
pub mod scalar_vec_hex {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Serializes each scalar as 64 hex digits.
    pub fn serialize<S: Serializer>(v: &[Scalar], ser: S) -> Result<S::Ok, S::Error> {
        let mut seq = ser.serialize_seq(Some(v.len()))?;
        for s in v {
            seq.serialize_element(&hex::encode(s.as_bytes()))?;
        }
        seq.end()
    }

    /// Deserializes a list of canonical scalars.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
        let texts = Vec::<std::borrow::Cow<'de, str>>::deserialize(d)?;
        texts
            .iter()
            .map(|t| {
                let bytes = decode_hex_array::<32>(t).map_err(serde::de::Error::custom)?;
                decode_scalar(&bytes).map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

/// A fixed-size byte string shown as hex in JSON: hashes, fingerprints, signatures.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes<const N: usize>(pub [u8; N]);

/// A 32-byte digest (SHA-256 output).
pub type Digest32 = Bytes<32>;

impl<const N: usize> Bytes<N> {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// Parses hex of exactly `N` bytes.
    pub fn from_hex(text: &str) -> Result<Self, DecodeError> {
        decode_hex_array(text).map(Bytes)
    }
}

impl<const N: usize> fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl<const N: usize> fmt::Display for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_hex())
    }
}

impl<const N: usize> Serialize for Bytes<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de, const N: usize> Deserialize<'de> for Bytes<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;

    #[test]
    fn point_roundtrip_and_rejections() {
        let p = Point::from_point(G * Scalar::from(7u64));
        assert_eq!(Point::decode(p.as_bytes()).unwrap(), p);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Point>(&json).unwrap(), p);
        // 2^255 - 1 is not a canonical field element, so not a point.
        assert_eq!(Point::decode(&[0xff; 32]), Err(DecodeError::InvalidPoint));
        // The identity decodes as a point but not as a public key.
        assert!(Point::decode(&[0; 32]).unwrap().is_identity());
        assert_eq!(PublicKey::decode(&[0; 32]), Err(DecodeError::IdentityPoint));
        assert!(serde_json::from_str::<PublicKey>(&format!("\"{}\"", "00".repeat(32))).is_err());
        assert!(serde_json::from_str::<Point>("\"zz\"").is_err());
        assert!(serde_json::from_str::<Point>(&format!("\"{}\"", "00".repeat(31))).is_err());
    }

    #[test]
    fn scalar_rejects_non_canonical() {
        // ℓ itself is not canonical; ℓ - 1 is.
        let mut l = [0u8; 32];
        l.copy_from_slice(
            &hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
                .unwrap(),
        );
        assert_eq!(decode_scalar(&l), Err(DecodeError::NonCanonicalScalar));
        l[0] -= 1;
        assert!(decode_scalar(&l).is_ok());
        assert_eq!(
            decode_scalar(&[0xff; 32]),
            Err(DecodeError::NonCanonicalScalar)
        );
    }
}
