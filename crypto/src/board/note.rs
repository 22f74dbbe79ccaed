//! Signed notes, exactly as c2sp.org/signed-note (v1.0.0) has them (`spec/protocol.md` §14).
//!
//! A note is a text signed by one or more keys:
//!
//! ```text
//! note      = text ‖ "\n" ‖ sig_line+
//! text      = one or more lines, each ending in "\n" (empty lines allowed)
//! sig_line  = "— " ‖ key_name ‖ " " ‖ base64(u32_be(key_id) ‖ signature) ‖ "\n"
//! ```
//!
//! `—` is U+2014 (bytes `E2 80 94`); base64 is the standard alphabet with padding (RFC 4648
//! §4). A note is valid UTF-8 with no control character below U+0020 but `\n`; the text is
//! separated from the signatures by the **last** empty line, so the text itself may contain
//! empty lines. Key names are non-empty, contain no Unicode white space (Rust's
//! [`char::is_whitespace`], the same set as Go's `unicode.IsSpace`) and no `+`.
//!
//! A key is identified by its name and its 4-byte key id
//!
//! ```text
//! key_id = SHA-256(key_name ‖ 0x0A ‖ type ‖ public_key)[0..4]   (big-endian u32)
//! ```
//!
//! and written as a verifier key ("vkey") `name+hex8(key_id)+base64(type ‖ public_key)`.
//! Piaojue knows two signature types, both over Ed25519 keys (32-byte RFC 8032 encodings,
//! canonical and not of small order, as every ed25519 key Piaojue decodes):
//!
//! * `0x01` Ed25519: the signature is the 64-byte Ed25519 signature of the note text;
//! * `0x04` cosignature/v1 (c2sp.org/tlog-cosignature): the signature is
//!   `u64_be(timestamp) ‖ Ed25519(cosigned message)`, 72 bytes, the cosigned message being
//!   [`super::cosignature::cosigned_message`]; the timestamp is at most 2^63 − 1.
//!
//! Signatures are checked with Piaojue's strict rules (§7.4: canonical `R` and `S`, `R` not of
//! small order). Piaojue also refuses, where the specification would let a parser be lenient:
//! base64 that is not canonical (non-zero unused bits), a vkey whose key id is not 8 lowercase
//! hex digits, notes larger than [`MAX_NOTE_BYTES`].

use core::fmt;

use base64ct::{Base64, Encoding};
use sha2::{Digest as _, Sha256};

use crate::credential::CredentialKey;
use crate::encoding::DecodeError;

/// The largest note Piaojue parses, in bytes: 64 KiB. That holds a checkpoint with far more than
/// the 16 signatures the specification requires verifiers to accept, even post-quantum ones
/// (an ML-DSA-44 cosignature line is about 3.3 KB).
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// The signature line's prefix: em dash (U+2014) and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Whether `name` may be a key name: non-empty, no Unicode white space, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// Why a note, a signature line, a vkey or a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is larger than [`MAX_NOTE_BYTES`].
    #[error("the note has {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The bytes are not UTF-8.
    #[error("the note is not valid UTF-8")]
    NotUtf8,
    /// A control character other than newline.
    #[error("control character U+{code:04X} at byte {offset} (only newline is allowed)")]
    ControlCharacter {
        /// The character's code point.
        code: u32,
        /// Its byte offset.
        offset: usize,
    },
    /// No empty line separates the text from the signatures.
    #[error("no empty line separates the note's text from its signatures")]
    NoSeparator,
    /// The text is empty or does not end in a newline.
    #[error("the note's text must be non-empty and end in a newline")]
    TextNotTerminated,
    /// The note has no signature line.
    #[error("the note has no signature")]
    NoSignatures,
    /// The last signature line does not end in a newline.
    #[error("the last signature line does not end in a newline")]
    UnterminatedSignature,
    /// A signature line does not start with an em dash and a space.
    #[error("a signature line must start with \"— \" (U+2014, space)")]
    SignaturePrefix,
    /// A signature line has no space between key name and signature.
    #[error("a signature line must be \"— <key name> <base64 signature>\"")]
    SignatureLineFormat,
    /// A key name is empty or has white space or `+`.
    #[error("invalid key name {0:?}: it must be non-empty, without spaces or '+'")]
    InvalidKeyName(String),
    /// Base64 that is not canonical standard base64 with padding.
    #[error("not canonical base64 (RFC 4648 §4, with padding)")]
    InvalidBase64,
    /// A signature shorter than its key id and one byte.
    #[error("a signature must have a 4-byte key id and at least one byte more")]
    SignatureTooShort,
    /// A vkey that is not `name+id+key`.
    #[error("a verifier key must be <name>+<8 lowercase hex digits>+<base64 of type and key>")]
    VkeyFormat,
    /// A signature type Piaojue does not know.
    #[error(
        "unknown signature type 0x{0:02x} (Piaojue knows 0x01 Ed25519 and 0x04 cosignature/v1)"
    )]
    UnknownSignatureType(u8),
    /// A public key of the wrong length.
    #[error("an Ed25519 public key has 32 bytes, not {0}")]
    KeyLength(usize),
    /// A public key that is not a valid ed25519 key.
    #[error("invalid public key: {0}")]
    InvalidKey(DecodeError),
    /// A vkey whose key id is not its name's, type's and key's.
    #[error("the key id {given:08x} is not the key's ({computed:08x})")]
    KeyIdMismatch {
        /// The id written in the vkey.
        given: u32,
        /// The id of the name, type and key.
        computed: u32,
    },
    /// A signature by a trusted key does not verify.
    #[error("the signature by {name} (key id {key_id:08x}) does not verify")]
    BadSignature {
        /// The key's name.
        name: String,
        /// The key's id.
        key_id: u32,
    },
    /// No signature by a trusted key.
    #[error("the note carries no signature by a trusted key")]
    NoTrustedSignature,
    /// A checkpoint text with fewer than three lines.
    #[error("a checkpoint has at least three lines: origin, tree size, root hash")]
    CheckpointTooShort,
    /// A checkpoint line that is empty.
    #[error("line {0} of the checkpoint is empty")]
    CheckpointEmptyLine(usize),
    /// A tree size that is not a decimal without leading zeros that fits in 64 bits.
    #[error("the tree size {0:?} is not a decimal number without leading zeros below 2^64")]
    CheckpointSize(String),
    /// A root hash that is not the base64 of 32 bytes.
    #[error("the root hash {0:?} is not the base64 of 32 bytes")]
    CheckpointRoot(String),
}

/// Note signature types Piaojue knows (c2sp.org/signed-note §Signature types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureType {
    /// `0x01`: Ed25519 over the note text (the board's checkpoint signature).
    Ed25519,
    /// `0x04`: timestamped Ed25519 checkpoint cosignature (c2sp.org/tlog-cosignature).
    CosignatureV1,
}

impl SignatureType {
    /// The type's identifier byte.
    pub fn byte(self) -> u8 {
        match self {
            SignatureType::Ed25519 => 0x01,
            SignatureType::CosignatureV1 => 0x04,
        }
    }
    /// The type with this identifier byte.
    pub fn from_byte(b: u8) -> Result<Self, NoteError> {
        match b {
            0x01 => Ok(SignatureType::Ed25519),
            0x04 => Ok(SignatureType::CosignatureV1),
            other => Err(NoteError::UnknownSignatureType(other)),
        }
    }
    /// The length of the signature bytes after the key id.
    pub fn signature_len(self) -> usize {
        match self {
            SignatureType::Ed25519 => 64,
            SignatureType::CosignatureV1 => 72,
        }
    }
}

/// `SHA-256(name ‖ 0x0A ‖ type ‖ key)[0..4]` as a big-endian integer.
pub fn key_id(name: &str, sig_type: SignatureType, key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', sig_type.byte()]);
    h.update(key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Canonical standard base64 with padding, refusing anything else.
fn decode_base64(text: &str) -> Result<Vec<u8>, NoteError> {
    Base64::decode_vec(text).map_err(|_| NoteError::InvalidBase64)
}

/// A trusted key: name, signature type and Ed25519 public key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VerifierKey {
    name: String,
    sig_type: SignatureType,
    key: CredentialKey,
}

impl VerifierKey {
    /// The key with this name, type and public key; refuses an invalid name.
    pub fn new(name: &str, sig_type: SignatureType, key: CredentialKey) -> Result<Self, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        Ok(VerifierKey {
            name: name.to_string(),
            sig_type,
            key,
        })
    }
    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The signature type.
    pub fn sig_type(&self) -> SignatureType {
        self.sig_type
    }
    /// The public key.
    pub fn key(&self) -> &CredentialKey {
        &self.key
    }
    /// The key id: `SHA-256(name ‖ 0x0A ‖ type ‖ key)[0..4]`, big-endian.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, self.sig_type, self.key.as_bytes())
    }
    /// The vkey: `name+hex8(key_id)+base64(type ‖ key)`.
    pub fn encode(&self) -> String {
        let mut material = Vec::with_capacity(33);
        material.push(self.sig_type.byte());
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id(),
            Base64::encode_string(&material)
        )
    }
    /// Parses a vkey: a valid name, exactly 8 lowercase hex digits that are the key id of the
    /// name, type and key, a known type and a valid 32-byte Ed25519 key. The base64 part may
    /// itself contain `+`: the name ends at the first `+`, the id at the second.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, rest) = vkey.split_once('+').ok_or(NoteError::VkeyFormat)?;
        let (id_hex, material) = rest.split_once('+').ok_or(NoteError::VkeyFormat)?;
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        if id_hex.len() != 8
            || !id_hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(NoteError::VkeyFormat);
        }
        let given = u32::from_str_radix(id_hex, 16).map_err(|_| NoteError::VkeyFormat)?;
        let material = decode_base64(material)?;
        let (&type_byte, key) = material.split_first().ok_or(NoteError::VkeyFormat)?;
        let sig_type = SignatureType::from_byte(type_byte)?;
        let key: &[u8; 32] = key
            .try_into()
            .map_err(|_| NoteError::KeyLength(key.len()))?;
        let key = CredentialKey::decode(key).map_err(NoteError::InvalidKey)?;
        let vk = VerifierKey::new(name, sig_type, key)?;
        let computed = vk.key_id();
        if computed != given {
            return Err(NoteError::KeyIdMismatch { given, computed });
        }
        Ok(vk)
    }
    /// Whether `sig` is this key's (same name and key id) and verifies over `text`. For
    /// [`SignatureType::CosignatureV1`] the signature is `u64_be(timestamp) ‖ Ed25519 signature`
    /// over [`super::cosignature::cosigned_message`]`(text, timestamp)`, timestamp ≤ 2^63 − 1.
    pub fn verify(&self, text: &str, sig: &NoteSignature) -> bool {
        if !self.matches(sig) || sig.bytes.len() != self.sig_type.signature_len() {
            return false;
        }
        match self.sig_type {
            SignatureType::Ed25519 => {
                let s: &[u8; 64] = sig.bytes[..].try_into().expect("length checked");
                self.key.verify(text.as_bytes(), s)
            }
            SignatureType::CosignatureV1 => {
                let Some(timestamp) = sig.timestamp() else {
                    return false;
                };
                if timestamp > i64::MAX as u64 {
                    return false;
                }
                let s: &[u8; 64] = sig.bytes[8..].try_into().expect("length checked");
                self.key
                    .verify(&super::cosignature::cosigned_message(text, timestamp), s)
            }
        }
    }
    /// Whether `sig` claims to be by this key: same name and key id.
    pub fn matches(&self, sig: &NoteSignature) -> bool {
        sig.name == self.name && sig.key_id == self.key_id()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({})", self.encode())
    }
}

/// One signature of a note: key name, key id and the signature bytes after the id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id.
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub bytes: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, `— name base64(u32_be(key_id) ‖ bytes)` and a newline.
    pub fn line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.bytes.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.bytes);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            Base64::encode_string(&raw)
        )
    }

    /// Parses one signature line, with or without its final newline.
    pub fn parse_line(line: &str) -> Result<Self, NoteError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        if let Some((offset, c)) = line.char_indices().find(|&(_, c)| c < ' ') {
            return Err(NoteError::ControlCharacter {
                code: c as u32,
                offset,
            });
        }
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(NoteError::SignaturePrefix)?;
        let (name, b64) = rest.split_once(' ').ok_or(NoteError::SignatureLineFormat)?;
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        let raw = decode_base64(b64)?;
        if raw.len() < 5 {
            return Err(NoteError::SignatureTooShort);
        }
        Ok(NoteSignature {
            name: name.to_string(),
            key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            bytes: raw[4..].to_vec(),
        })
    }

    /// Parses a sequence of one or more signature lines, each ending in a newline (the body of
    /// a witness's `add-checkpoint` answer), at most [`MAX_NOTE_BYTES`] long.
    pub fn parse_lines(text: &str) -> Result<Vec<Self>, NoteError> {
        if text.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge {
                len: text.len(),
                max: MAX_NOTE_BYTES,
            });
        }
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::UnterminatedSignature)?;
        if body.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        body.split('\n').map(Self::parse_line).collect()
    }

    /// The timestamp of a cosignature/v1 (its first 8 bytes, big-endian), if the signature has
    /// the 72 bytes of one.
    pub fn timestamp(&self) -> Option<u64> {
        (self.bytes.len() == 72).then(|| {
            let mut t = [0u8; 8];
            t.copy_from_slice(&self.bytes[..8]);
            u64::from_be_bytes(t)
        })
    }
}

/// A signed note: a text ending in a newline and one or more signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

/// The first control character other than newline, as an error.
fn check_controls(text: &str) -> Result<(), NoteError> {
    match text.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
        Some((offset, c)) => Err(NoteError::ControlCharacter {
            code: c as u32,
            offset,
        }),
        None => Ok(()),
    }
}

impl Note {
    /// A note of this text and these signatures: the text non-empty, ending in a newline and
    /// without control characters but newline; at least one signature, each with a valid key
    /// name and at least one byte; the whole at most [`MAX_NOTE_BYTES`].
    pub fn new(text: String, signatures: Vec<NoteSignature>) -> Result<Self, NoteError> {
        if !text.ends_with('\n') {
            return Err(NoteError::TextNotTerminated);
        }
        check_controls(&text)?;
        if signatures.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        for s in &signatures {
            if !is_valid_key_name(&s.name) {
                return Err(NoteError::InvalidKeyName(s.name.clone()));
            }
            if s.bytes.is_empty() {
                return Err(NoteError::SignatureTooShort);
            }
        }
        let note = Note { text, signatures };
        let len = note.to_bytes().len();
        if len > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge {
                len,
                max: MAX_NOTE_BYTES,
            });
        }
        Ok(note)
    }

    /// Parses a note exactly as c2sp.org/signed-note: at most [`MAX_NOTE_BYTES`], UTF-8, no
    /// control characters but newline, the text separated from the signature lines by the last
    /// empty line, at least one signature line, each ending in a newline.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge {
                len: bytes.len(),
                max: MAX_NOTE_BYTES,
            });
        }
        let all = core::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?;
        check_controls(all)?;
        let split = all.rfind("\n\n").ok_or(NoteError::NoSeparator)?;
        let (text, sigs) = (&all[..split + 1], &all[split + 2..]);
        if sigs.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let sigs = sigs
            .strip_suffix('\n')
            .ok_or(NoteError::UnterminatedSignature)?;
        let signatures = sigs
            .split('\n')
            .map(NoteSignature::parse_line)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Note {
            text: text.to_string(),
            signatures,
        })
    }

    /// The text, with its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The signatures, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }
    /// Appends a signature (the size bound is not checked here: [`Note::parse`] checks it).
    pub fn push(&mut self, s: NoteSignature) {
        self.signatures.push(s);
    }

    /// The note's bytes: text, an empty line, the signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.text.clone().into_bytes();
        out.push(b'\n');
        for s in &self.signatures {
            out.extend_from_slice(s.line().as_bytes());
        }
        out
    }

    /// Verifies the note against trusted keys as the specification says: signatures whose
    /// (name, key id) is no trusted key's are ignored; every signature of a trusted key must
    /// verify (else the whole note is refused, [`NoteError::BadSignature`]); at least one must
    /// ([`NoteError::NoTrustedSignature`]). Returns the trusted keys that signed, each once,
    /// in the order of `trusted`.
    pub fn verify<'k>(
        &self,
        trusted: &'k [VerifierKey],
    ) -> Result<Vec<&'k VerifierKey>, NoteError> {
        let mut signed = vec![false; trusted.len()];
        for sig in &self.signatures {
            for (i, key) in trusted.iter().enumerate() {
                if key.matches(sig) {
                    if !key.verify(&self.text, sig) {
                        return Err(NoteError::BadSignature {
                            name: sig.name.clone(),
                            key_id: sig.key_id,
                        });
                    }
                    signed[i] = true;
                }
            }
        }
        let keys: Vec<&VerifierKey> = trusted
            .iter()
            .zip(signed)
            .filter_map(|(k, s)| s.then_some(k))
            .collect();
        if keys.is_empty() {
            return Err(NoteError::NoTrustedSignature);
        }
        Ok(keys)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.signatures {
            f.write_str(&s.line())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// c2sp.org/signed-note §Verifier keys, Example.
    const EXAMPLE_VKEY: &str =
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    const EXAMPLE_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

    fn example() -> (VerifierKey, Note) {
        (
            VerifierKey::parse(EXAMPLE_VKEY).unwrap(),
            Note::parse(EXAMPLE_NOTE.as_bytes()).unwrap(),
        )
    }

    #[test]
    fn the_specification_example_verifies() {
        let (vk, note) = example();
        assert_eq!(vk.name(), "example.com/foo");
        assert_eq!(vk.key_id(), 0x530d903a);
        assert_eq!(vk.sig_type(), SignatureType::Ed25519);
        assert_eq!(vk.encode(), EXAMPLE_VKEY);
        assert_eq!(vk.to_string(), EXAMPLE_VKEY);
        assert_eq!(note.text(), "This is an example message.\n");
        assert_eq!(note.signatures().len(), 1);
        assert!(vk.verify(note.text(), &note.signatures()[0]));
        assert_eq!(note.verify(std::slice::from_ref(&vk)).unwrap(), vec![&vk]);
        assert_eq!(note.to_bytes(), EXAMPLE_NOTE.as_bytes());
        assert_eq!(note.to_string(), EXAMPLE_NOTE);
    }

    #[test]
    fn tampered_example_is_refused() {
        let (vk, note) = example();
        // Another text.
        assert!(!vk.verify("This is an example message!\n", &note.signatures()[0]));
        // A flipped signature bit.
        let mut sig = note.signatures()[0].clone();
        sig.bytes[10] ^= 1;
        assert!(!vk.verify(note.text(), &sig));
        let mut bad = note.clone();
        bad.signatures = vec![sig];
        assert!(matches!(
            bad.verify(std::slice::from_ref(&vk)),
            Err(NoteError::BadSignature { .. })
        ));
        // Another name or id: not this key's signature, ignored, so no trusted signature.
        for (name, id) in [
            ("example.com/bar", 0x530d903a),
            ("example.com/foo", 0x530d903b),
        ] {
            let mut s = note.signatures()[0].clone();
            s.name = name.into();
            s.key_id = id;
            assert!(!vk.matches(&s) && !vk.verify(note.text(), &s));
            let n = Note::new(note.text().into(), vec![s]).unwrap();
            assert_eq!(
                n.verify(std::slice::from_ref(&vk)),
                Err(NoteError::NoTrustedSignature)
            );
        }
        // A truncated signature.
        let mut s = note.signatures()[0].clone();
        s.bytes.pop();
        assert!(!vk.verify(note.text(), &s));
        // The right signature with the same key declared a cosigner: another key id.
        let co = VerifierKey::new(vk.name(), SignatureType::CosignatureV1, *vk.key()).unwrap();
        assert_ne!(co.key_id(), vk.key_id());
        assert!(!co.verify(note.text(), &note.signatures()[0]));
    }

    #[test]
    fn unknown_signatures_are_ignored_and_a_bad_known_one_refuses_the_note() {
        let (vk, note) = example();
        let mut n = note.clone();
        n.push(NoteSignature {
            name: "someone.else".into(),
            key_id: 7,
            bytes: vec![1; 64],
        });
        let n = Note::parse(&n.to_bytes()).unwrap();
        assert_eq!(n.signatures().len(), 2);
        assert_eq!(n.verify(std::slice::from_ref(&vk)).unwrap(), vec![&vk]);
        let mut bad = note.signatures()[0].clone();
        bad.bytes[0] ^= 0x80;
        let mut n2 = n.clone();
        n2.push(bad);
        assert!(matches!(
            n2.verify(std::slice::from_ref(&vk)),
            Err(NoteError::BadSignature { .. })
        ));
        assert_eq!(n.verify(&[]), Err(NoteError::NoTrustedSignature));
    }

    #[test]
    fn key_names() {
        for good in ["a", "example.com/foo", "选举/一", "x_y-z"] {
            assert!(is_valid_key_name(good), "{good}");
        }
        for bad in [
            "",
            "a b",
            "a+b",
            "a\tb",
            "a\u{3000}b",
            "a\u{a0}b",
            "a\u{2028}b",
            "a\nb",
        ] {
            assert!(!is_valid_key_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn vkeys_are_refused_when_malformed() {
        type Check = fn(&NoteError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("example.com/foo", |e| *e == NoteError::VkeyFormat),
            ("example.com/foo+530d903a", |e| *e == NoteError::VkeyFormat),
            // Upper-case hex, short hex.
            (
                "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                |e| *e == NoteError::VkeyFormat,
            ),
            (
                "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                |e| *e == NoteError::VkeyFormat,
            ),
            // Wrong id.
            (
                "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                |e| matches!(e, NoteError::KeyIdMismatch { .. }),
            ),
            // Another name under the same id.
            (
                "example.com/fo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                |e| matches!(e, NoteError::KeyIdMismatch { .. }),
            ),
            // Bad name.
            (
                "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                |e| matches!(e, NoteError::InvalidKeyName(_)),
            ),
            // Unknown type 0x02.
            (
                "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                |e| {
                    matches!(
                        e,
                        NoteError::InvalidBase64 | NoteError::UnknownSignatureType(_)
                    )
                },
            ),
            // Short key, base64 without padding, not base64.
            (
                "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U",
                |e| matches!(e, NoteError::KeyLength(_) | NoteError::InvalidBase64),
            ),
            (
                "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=",
                |e| *e == NoteError::InvalidBase64,
            ),
            ("example.com/foo+530d903a+!!", |e| {
                *e == NoteError::InvalidBase64
            }),
            ("example.com/foo+530d903a+", |e| *e == NoteError::VkeyFormat),
        ];
        for (vkey, ok) in cases {
            let err = VerifierKey::parse(vkey).unwrap_err();
            assert!(ok(&err), "{vkey}: {err:?}");
        }
        // Type 0x02 exactly, with a valid key: unknown type.
        let mut material = vec![0x02];
        material.extend_from_slice(
            &Base64::decode_vec("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").unwrap()[1..],
        );
        let v = format!("n+00000000+{}", Base64::encode_string(&material));
        assert_eq!(
            VerifierKey::parse(&v),
            Err(NoteError::UnknownSignatureType(2))
        );
        // A small-order key (the identity) and a non-canonical one (y = p).
        for key in [
            {
                let mut k = [0u8; 32];
                k[0] = 1;
                k
            },
            {
                let mut k = [0xff; 32];
                k[0] = 0xed;
                k[31] = 0x7f;
                k
            },
        ] {
            let mut m = vec![0x01];
            m.extend_from_slice(&key);
            let id = key_id("n", SignatureType::Ed25519, &key);
            let v = format!("n+{id:08x}+{}", Base64::encode_string(&m));
            assert!(
                matches!(VerifierKey::parse(&v), Err(NoteError::InvalidKey(_))),
                "{v}"
            );
        }
    }

    #[test]
    fn notes_are_refused_when_malformed() {
        let sig = "\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        let cases: Vec<(Vec<u8>, NoteError)> = vec![
            (b"text\n".to_vec(), NoteError::NoSeparator),
            (b"text\n\n".to_vec(), NoteError::NoSignatures),
            (
                format!("text\n\n{}", sig.trim_end()).into_bytes(),
                NoteError::UnterminatedSignature,
            ),
            (
                format!("te\rxt\n\n{sig}").into_bytes(),
                NoteError::ControlCharacter {
                    code: 13,
                    offset: 2,
                },
            ),
            (
                format!("text\n\n{}", sig.replace('\u{2014}', "-")).into_bytes(),
                NoteError::SignaturePrefix,
            ),
            (
                format!("text\n\n{sig}{sig}\n").into_bytes(),
                NoteError::NoSignatures,
            ),
            (
                format!("text\n\n{sig}x\n").into_bytes(),
                NoteError::SignaturePrefix,
            ),
            (
                format!("text\n\n{}", sig.replace("foo ", "foo")).into_bytes(),
                NoteError::SignatureLineFormat,
            ),
            (
                format!("text\n\n{}", sig.replace("foo", "f+o")).into_bytes(),
                NoteError::InvalidKeyName("example.com/f+o".into()),
            ),
            (
                format!("text\n\n{}", sig.replace("IneyaQM=", "IneyaQM")).into_bytes(),
                NoteError::InvalidBase64,
            ),
            // Non-zero unused bits: ...aQM= decodes the same as ...aQN= in a lenient decoder.
            (
                format!("text\n\n{}", sig.replace("IneyaQM=", "IneyaQN=")).into_bytes(),
                NoteError::InvalidBase64,
            ),
            (
                "text\n\n\u{2014} k AAAAAA==\n".as_bytes().to_vec(),
                NoteError::SignatureTooShort,
            ),
            (
                "text\n\n\u{2014} k \n".as_bytes().to_vec(),
                NoteError::SignatureTooShort,
            ),
            (b"text\n\n\xff\n".to_vec(), NoteError::NotUtf8),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                Note::parse(&bytes),
                Err(want),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let big = format!("{}\n\n{sig}", "a".repeat(MAX_NOTE_BYTES));
        assert!(matches!(
            Note::parse(big.as_bytes()),
            Err(NoteError::TooLarge { .. })
        ));
    }

    #[test]
    fn the_text_ends_at_the_last_empty_line() {
        let sig = "\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
        let n = Note::parse(format!("a\n\nb\n\n\n{sig}").as_bytes()).unwrap();
        assert_eq!(n.text(), "a\n\nb\n\n");
        assert_eq!(n.to_bytes(), format!("a\n\nb\n\n\n{sig}").into_bytes());
        // A signature-looking line before the last empty line belongs to the text.
        let n = Note::parse(format!("a\n\n{sig}\n{sig}").as_bytes()).unwrap();
        assert_eq!(n.text(), format!("a\n\n{sig}"));
        assert_eq!(n.signatures().len(), 1);
    }

    #[test]
    fn new_notes_are_checked() {
        let s = NoteSignature {
            name: "k".into(),
            key_id: 1,
            bytes: vec![0; 64],
        };
        assert_eq!(
            Note::new("no newline".into(), vec![s.clone()]),
            Err(NoteError::TextNotTerminated)
        );
        assert_eq!(
            Note::new(String::new(), vec![s.clone()]),
            Err(NoteError::TextNotTerminated)
        );
        assert_eq!(
            Note::new("a\n".into(), vec![]),
            Err(NoteError::NoSignatures)
        );
        assert!(matches!(
            Note::new("a\u{7}\n".into(), vec![s.clone()]),
            Err(NoteError::ControlCharacter { code: 7, .. })
        ));
        let mut bad = s.clone();
        bad.name = "a b".into();
        assert!(matches!(
            Note::new("a\n".into(), vec![bad]),
            Err(NoteError::InvalidKeyName(_))
        ));
        let mut empty = s.clone();
        empty.bytes.clear();
        assert_eq!(
            Note::new("a\n".into(), vec![empty]),
            Err(NoteError::SignatureTooShort)
        );
        assert!(matches!(
            Note::new(format!("{}\n", "a".repeat(MAX_NOTE_BYTES)), vec![s.clone()]),
            Err(NoteError::TooLarge { .. })
        ));
        let n = Note::new("a\n".into(), vec![s.clone()]).unwrap();
        assert_eq!(Note::parse(&n.to_bytes()).unwrap(), n);
    }

    #[test]
    fn signature_lines() {
        let s = NoteSignature {
            name: "w.example/1".into(),
            key_id: 0x01020304,
            bytes: (0..72).collect(),
        };
        let line = s.line();
        assert!(line.starts_with("\u{2014} w.example/1 AQIDBA"));
        assert!(line.ends_with('\n'));
        assert_eq!(NoteSignature::parse_line(&line).unwrap(), s);
        assert_eq!(NoteSignature::parse_line(line.trim_end()).unwrap(), s);
        assert_eq!(s.timestamp(), Some(0x0001020304050607));
        let two = format!("{line}{line}");
        assert_eq!(
            NoteSignature::parse_lines(&two).unwrap(),
            vec![s.clone(), s.clone()]
        );
        assert_eq!(
            NoteSignature::parse_lines(line.trim_end()),
            Err(NoteError::UnterminatedSignature)
        );
        assert_eq!(
            NoteSignature::parse_lines("\n"),
            Err(NoteError::NoSignatures)
        );
        assert_eq!(
            NoteSignature::parse_lines(&format!("{line}\n")),
            Err(NoteError::SignaturePrefix)
        );
        assert!(matches!(
            NoteSignature::parse_line(&format!("{line}x")),
            Err(NoteError::ControlCharacter { code: 10, .. })
        ));
        let short = NoteSignature {
            bytes: vec![0; 64],
            ..s
        };
        assert_eq!(short.timestamp(), None);
    }

    mod arbitrary_input {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// No input makes the parsers panic; whatever parses re-encodes to the same bytes.
            #[test]
            fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
                if let Ok(n) = Note::parse(&bytes) {
                    prop_assert_eq!(n.to_bytes(), bytes.clone());
                }
                if let Ok(text) = core::str::from_utf8(&bytes) {
                    let _ = VerifierKey::parse(text);
                    let _ = NoteSignature::parse_lines(text);
                    let _ = crate::board::Checkpoint::parse(text);
                }
            }

            /// One byte of a valid note changed: if it still verifies, the byte was set to itself
            /// (strict base64 leaves no second encoding of the signature).
            #[test]
            fn a_changed_byte_never_verifies_another_text(at in 0usize..200, to in any::<u8>()) {
                let (vk, note) = super::example();
                let mut bytes = note.to_bytes();
                let at = at % bytes.len();
                bytes[at] = to;
                if let Ok(n) = Note::parse(&bytes)
                    && n.verify(std::slice::from_ref(&vk)).is_ok()
                {
                    prop_assert_eq!(&bytes, &note.to_bytes());
                }
            }
        }
    }
}
