//! Decoding and JSON text encoding of group elements, scalars and fixed-size byte strings.
//!
//! This is the one place where bytes from outside become curve points or scalars. Every decoder
//! here checks what `spec/protocol.md` §2 requires:
//!
//! * a point is a canonical 32-byte Ristretto255 encoding (anything else is
//!   [`DecodeError::InvalidPoint`]); public keys additionally must not be the identity;
//! * a scalar is the canonical little-endian encoding of an integer below the group order ℓ
//!   (anything else is [`DecodeError::NonCanonicalScalar`]);
//! * in JSON every byte string is base64url without padding (RFC 4648 §5, `spec/protocol.md`
//!   §2.6): exactly `⌈4N/3⌉` characters of `A–Z a–z 0–9 - _` for `N` bytes, and the unused low
//!   bits of the last character zero, so that each byte string has exactly one text. Decoding
//!   is constant-time (`base64ct`), as some of these strings are secrets.
//!
//! A decoded [`Point`] keeps both its encoding and its decompressed form, so that a point taken
//! from outside is decompressed exactly once and can be fed to both a transcript (bytes) and a
//! multiscalar multiplication (point) without further work.

use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length in bytes of an encoded point or scalar.
pub const ELEMENT_LEN: usize = 32;

/// Why bytes from outside were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The text is not hexadecimal (sign-in codes and key seeds only).
    #[error("not hexadecimal")]
    InvalidHex,
    /// The text is not canonical unpadded base64url.
    #[error("not canonical base64url (RFC 4648 §5, no padding)")]
    InvalidBase64,
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

/// Length of the unpadded base64url text of `n` bytes: `⌈4n/3⌉`.
pub const fn base64_len(n: usize) -> usize {
    (4 * n).div_ceil(3)
}

/// The unpadded base64url text of some bytes (`spec/protocol.md` §2.6).
pub fn encode_base64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Decodes exactly `N` bytes from unpadded base64url, refusing any other text: wrong length,
/// padding, characters outside the alphabet, non-zero unused bits.
pub fn decode_base64_array<const N: usize>(text: &str) -> Result<[u8; N], DecodeError> {
    if text.len() != base64_len(N) {
        return Err(DecodeError::WrongLength {
            expected: N,
            got: text.len() * 3 / 4,
        });
    }
    let mut out = [0u8; N];
    match Base64UrlUnpadded::decode(text, &mut out) {
        Ok(b) if b.len() == N => Ok(out),
        _ => Err(DecodeError::InvalidBase64),
    }
}

/// Decodes `N` bytes from hex. Only for the texts people handle that are not protocol JSON
/// (credential sign-in codes, local key files' seeds); the protocol's JSON is base64url.
pub fn decode_hex_array<const N: usize>(text: &str) -> Result<[u8; N], DecodeError> {
    if text.len() != 2 * N {
        return Err(DecodeError::WrongLength {
            expected: N,
            got: text.len() / 2,
        });
    }
    // Constant time in the digits (secrets are read in hex: credential seeds, board keys):
    // no table lookup or branch depends on a digit; only the final verdict branches.
    let mut out = [0u8; N];
    let mut err = 0u16;
    for (o, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        let (hi, lo) = (hex_nibble(pair[0]), hex_nibble(pair[1]));
        err |= (hi | lo) & 0xff00;
        *o = ((hi << 4) | lo) as u8;
    }
    if err != 0 {
        return Err(DecodeError::InvalidHex);
    }
    Ok(out)
}

/// One hex digit (either case) as 0..=15, or `0xffff` when it is not one, without branches.
fn hex_nibble(c: u8) -> u16 {
    let c = i16::from(c);
    let mut v: i16 = -1;
    // '0'..='9' (0x30..=0x39): v += c − 0x30 + 1.
    v += (((0x2f - c) & (c - 0x3a)) >> 8) & (c - 47);
    // 'A'..='F' (0x41..=0x46): v += c − 0x41 + 10 + 1.
    v += (((0x40 - c) & (c - 0x47)) >> 8) & (c - 54);
    // 'a'..='f' (0x61..=0x66): v += c − 0x61 + 10 + 1.
    v += (((0x60 - c) & (c - 0x67)) >> 8) & (c - 86);
    v as u16
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

    /// Decodes a point from its base64url text.
    pub fn from_base64(text: &str) -> Result<Self, DecodeError> {
        Self::decode(&decode_base64_array(text)?)
    }

    /// The decompressed point.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The base64url text of the encoding.
    pub fn to_base64(&self) -> String {
        encode_base64(&self.bytes)
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
        write!(f, "Point({})", self.to_base64())
    }
}

impl From<RistrettoPoint> for Point {
    fn from(p: RistrettoPoint) -> Self {
        Point::from_point(p)
    }
}

/// Deserializes a JSON string and parses it with `parse`, without copying it first: serde's
/// `Cow<str>` and `String` would allocate for every point and scalar of a ballot. Strings with
/// JSON escapes are parsed from the deserializer's transient buffer, like the others.
pub(crate) fn from_text<'de, D, T>(
    d: D,
    parse: impl FnOnce(&str) -> Result<T, DecodeError>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct Text<F>(F);
    impl<T, F: FnOnce(&str) -> Result<T, DecodeError>> serde::de::Visitor<'_> for Text<F> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a base64url string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            (self.0)(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Text(parse))
}

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Point::from_base64)
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
        write!(f, "PublicKey({})", self.0.to_base64())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, |t| PublicKey::decode(&decode_base64_array(t)?))
    }
}

/// Decodes a canonical scalar from its base64url text.
pub fn scalar_from_base64(text: &str) -> Result<Scalar, DecodeError> {
    decode_scalar(&decode_base64_array::<32>(text)?)
}

/// Serde adapter for canonical scalars as base64url:
/// `#[serde(with = "crate::encoding::scalar_base64")]`.
pub mod scalar_base64 {
    use super::*;

    /// Serializes a scalar as the base64url text of its 32 bytes.
    pub fn serialize<S: Serializer>(s: &Scalar, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&encode_base64(s.as_bytes()))
    }

    /// Deserializes a canonical scalar.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        from_text(d, scalar_from_base64)
    }
}

/// Serde adapter for a list of canonical scalars as base64url strings.
pub mod scalar_vec_base64 {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Serializes each scalar as base64url.
    pub fn serialize<S: Serializer>(v: &[Scalar], ser: S) -> Result<S::Ok, S::Error> {
        let mut seq = ser.serialize_seq(Some(v.len()))?;
        for s in v {
            seq.serialize_element(&encode_base64(s.as_bytes()))?;
        }
        seq.end()
    }

    /// Deserializes a list of canonical scalars.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
        struct One(Scalar);
        impl<'de> Deserialize<'de> for One {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                from_text(d, scalar_from_base64).map(One)
            }
        }
        Ok(Vec::<One>::deserialize(d)?
            .into_iter()
            .map(|o| o.0)
            .collect())
    }
}

/// A fixed-size byte string shown as base64url in JSON: hashes, fingerprints, signatures.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes<const N: usize>(pub [u8; N]);

/// A 32-byte digest (SHA-256 output).
pub type Digest32 = Bytes<32>;

impl<const N: usize> Bytes<N> {
    /// The base64url text.
    pub fn to_base64(&self) -> String {
        encode_base64(&self.0)
    }
    /// Parses the base64url text of exactly `N` bytes.
    pub fn from_base64(text: &str) -> Result<Self, DecodeError> {
        decode_base64_array(text).map(Bytes)
    }
}

impl<const N: usize> fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_base64())
    }
}

impl<const N: usize> fmt::Display for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_base64())
    }
}

impl<const N: usize> Serialize for Bytes<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}

impl<'de, const N: usize> Deserialize<'de> for Bytes<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Self::from_base64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;

    #[test]
    fn strings_decode_borrowed_escaped_and_owned() {
        let p = Point::from_point(G * Scalar::from(5u64));
        let text = p.to_base64();
        // Borrowed from the input (no escapes).
        let plain: Point = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(plain, p);
        // A JSON escape makes serde_json hand over a transient buffer instead.
        let first = text.as_bytes()[0];
        let escaped = format!("\"\\u{:04x}{}\"", first, &text[1..]);
        let esc: Point = serde_json::from_str(&escaped).unwrap();
        assert_eq!(esc, p);
        // From a `Value`: an owned string.
        let owned: Point = serde_json::from_value(serde_json::Value::String(text.clone())).unwrap();
        assert_eq!(owned, p);
        // Not a string, and a string that is not a point: refused.
        assert!(serde_json::from_str::<Point>("5").is_err());
        assert!(
            serde_json::from_str::<Point>(&format!("\"{}\"", "A".repeat(43)))
                .is_ok_and(|q| q.is_identity())
        );
        assert!(serde_json::from_str::<Point>("\"AAAA\"").is_err());
        let scalars: Vec<Scalar> =
            scalar_vec_base64::deserialize(&mut serde_json::Deserializer::from_str(&format!(
                "[\"{}\"]",
                encode_base64(Scalar::from(9u64).as_bytes())
            )))
            .unwrap();
        assert_eq!(scalars, vec![Scalar::from(9u64)]);
    }

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
        assert!(serde_json::from_str::<PublicKey>(&format!("\"{}\"", "A".repeat(43))).is_err());
        assert!(serde_json::from_str::<Point>("\"zz\"").is_err());
        assert!(serde_json::from_str::<Point>(&format!("\"{}\"", "A".repeat(42))).is_err());
    }

    #[test]
    fn base64_is_canonical() {
        let p = Point::from_point(G);
        let text = p.to_base64();
        assert_eq!(text.len(), 43);
        assert_eq!(Point::from_base64(&text).unwrap(), p);
        // G's encoding e2f2ae0a… in RFC 4648 §5 without padding.
        assert_eq!(text, "4vKuCmq8TnGohKlhxQBRX1jjC2qlgt2NtqZZReCNLXY");
        // Padding, the standard alphabet, whitespace and unused bits are all refused.
        assert!(Point::from_base64(&format!("{text}=")).is_err());
        let last = text.as_bytes()[42];
        let with_bits = format!("{}{}", &text[..42], (last + 1) as char);
        assert_eq!(
            decode_base64_array::<32>(&with_bits),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            decode_base64_array::<32>(&format!("+{}", &text[1..])),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            decode_base64_array::<32>(&format!(" {}", &text[1..])),
            Err(DecodeError::InvalidBase64)
        );
        // Lengths: 48 bytes are 64 characters, 64 bytes 86.
        assert_eq!(base64_len(48), 64);
        assert_eq!(base64_len(64), 86);
        let sig = Bytes([0xab; 64]);
        assert_eq!(Bytes::<64>::from_base64(&sig.to_base64()).unwrap(), sig);
        assert!(Bytes::<64>::from_base64(&sig.to_base64()[1..]).is_err());
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

#[cfg(test)]
mod hex_tests {
    use super::*;

    #[test]
    fn constant_time_hex_agrees_with_the_hex_crate_on_every_byte_pair() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let text = [a, b];
                let Ok(t) = std::str::from_utf8(&text) else {
                    continue;
                };
                let ours = decode_hex_array::<1>(t).ok();
                let theirs = hex::decode(t).ok().map(|v| [v[0]]);
                assert_eq!(ours, theirs, "{t:?}");
            }
        }
    }
}
