//! The canonical byte encoding: the one encoding that is hashed and signed.
//!
//! `spec/protocol.md` §3 defines it; in short, with `‖` for concatenation:
//!
//! | value | bytes |
//! |---|---|
//! | `u8`, `u32`, `u64` | fixed width, big-endian |
//! | bool | one byte, 0 or 1 |
//! | point, scalar, digest | their fixed bytes (32, or 64 for a signature) |
//! | string | `u32` byte length ‖ UTF-8 bytes |
//! | optional value | `0` for none, or `1` ‖ value |
//! | list | `u32` element count ‖ elements |
//! | struct | its fields in the order the spec lists them |
//!
//! Every hashed object starts with a domain tag (a string) naming what it is, so that no two
//! kinds of object can ever have the same bytes.

use sha2::{Digest as _, Sha256};

use crate::encoding::{Bytes, Digest32, Point, PublicKey};

/// Builds canonical bytes.
#[derive(Default, Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer that starts with the domain tag `tag` (written as a string).
    pub fn tagged(tag: &str) -> Self {
        let mut w = Writer::default();
        w.str(tag);
        w
    }
    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    /// Appends a bool as one byte.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(v as u8)
    }
    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    /// Appends fixed-size bytes as they are (no length prefix).
    pub fn fixed(&mut self, bytes: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(bytes);
        self
    }
    /// Appends a point's 32-byte encoding.
    pub fn point(&mut self, p: &Point) -> &mut Self {
        self.fixed(p.as_bytes())
    }
    /// Appends a public key's 32-byte encoding.
    pub fn key(&mut self, k: &PublicKey) -> &mut Self {
        self.fixed(k.as_bytes())
    }
    /// Appends a scalar's 32-byte encoding.
    pub fn scalar(&mut self, s: &curve25519_dalek::Scalar) -> &mut Self {
        self.fixed(s.as_bytes())
    }
    /// Appends fixed-size bytes.
    pub fn bytes<const N: usize>(&mut self, b: &Bytes<N>) -> &mut Self {
        self.fixed(&b.0)
    }
    /// Appends a length-prefixed UTF-8 string.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.len(s.len());
        self.fixed(s.as_bytes())
    }
    /// Appends a list length (a `u32`).
    ///
    /// # Panics
    /// If the length does not fit in a `u32`, which no valid election object reaches.
    pub fn len(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).expect("list too long for the canonical encoding"))
    }
    /// Appends an optional value.
    pub fn option<T>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
                self
            }
        }
    }
    /// Appends a list.
    pub fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.len(items.len());
        for item in items {
            f(self, item);
        }
        self
    }
    /// Appends an object that has a canonical encoding.
    pub fn object<T: Canonical + ?Sized>(&mut self, v: &T) -> &mut Self {
        v.write_canonical(self);
        self
    }
    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }
    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
    /// SHA-256 of the bytes.
    pub fn sha256(&self) -> Digest32 {
        Bytes(Sha256::digest(&self.buf).into())
    }
}

/// An object with a canonical byte encoding (`spec/protocol.md` §3).
pub trait Canonical {
    /// Writes the object's fields, without a domain tag.
    fn write_canonical(&self, w: &mut Writer);

    /// The canonical bytes of the object alone.
    fn canonical_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.write_canonical(&mut w);
        w.into_bytes()
    }
}

/// SHA-256 over a domain tag followed by an object's canonical bytes.
pub fn tagged_hash<T: Canonical + ?Sized>(tag: &str, v: &T) -> Digest32 {
    let mut w = Writer::tagged(tag);
    v.write_canonical(&mut w);
    w.sha256()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_specified() {
        let mut w = Writer::tagged("t");
        w.u8(1).u32(2).u64(3).str("票").bool(true);
        w.option(Some(&5u32), |w, v| {
            w.u32(*v);
        });
        w.option::<u32>(None, |_, _| {});
        w.list(&[7u8, 8], |w, v| {
            w.u8(*v);
        });
        assert_eq!(
            hex::encode(w.as_bytes()),
            "0000000174\
             01\
             00000002\
             0000000000000003\
             00000003e7a5a8\
             01\
             0100000005\
             00\
             000000020708"
        );
    }
}
