//! The short form of a tracking code, for people to write down, read aloud and compare
//! (`spec/protocol.md` §8.4): the first 80 bits of the 32-byte tracking code (§8.4) in
//! Crockford base32, 16 characters in four groups of four.
//!
//! ```text
//! short(code) = crockford32( code[0..10] )              80 bits, most significant first,
//!                                                        5 bits a character → 16 characters
//! written       XXXX-XXXX-XXXX-XXXX                      groups of 4 joined by '-' (U+002D)
//! alphabet      0123456789ABCDEFGHJKMNPQRSTVWXYZ         (no I, L, O, U)
//! read          ASCII whitespace and '-' ignored anywhere; lower case taken as upper case;
//!               I and L read as 1, O read as 0; exactly 16 symbols of the alphabet remain
//! ```
//!
//! A text someone types where a tracking code is asked for ([`TrackingCodeText`]) is the full
//! code if, with its whitespace removed, it is 43 characters of canonical base64url (§2.6), and
//! otherwise read as a short form.
//!
//! The short form names a ballot among those of one election; it is not the tracking code.
//! A ballot whose full code begins with the same 80 bits has the same short form: a board that
//! wanted another ballot to pass for one of `N` deputies' must find a valid ballot, signed by a
//! credential on the list, whose code matches one of `N` prefixes: about `2^80 / N` tries
//! (`2^63` for the largest election, `MAX_DEPUTIES` = 100,000) while the polls are open. The
//! full code (the receipt) is what proves exactly which ballot the device made.

use crate::encoding::{Bytes, Digest32};

/// The number of bytes of the tracking code the short form carries (80 bits).
pub const SHORT_BYTES: usize = 10;
/// The number of characters of a short form, without the hyphens.
pub const SHORT_CHARS: usize = 16;
/// Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The short form of a tracking code: its first 80 bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortTrackingCode([u8; SHORT_BYTES]);

/// Why a text is not a tracking code in either form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingCodeError {
    /// A character that is neither a symbol of the alphabet (nor I, L, O), a space nor '-'.
    #[error(
        "a short tracking code has no character {0:?} (it is written with 0-9 and A-Z but I, L, O, U)"
    )]
    Character(char),
    /// Another number of symbols than 16.
    #[error("a short tracking code is {SHORT_CHARS} characters (spaces and '-' ignored), got {0}")]
    Length(usize),
}

/// The value of one symbol as read: lower case, and the confusables I, L (1) and O (0) accepted.
fn symbol(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        c => c,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|i| i as u8)
}

impl ShortTrackingCode {
    /// The short form of `code`.
    pub fn of(code: &Digest32) -> Self {
        let mut head = [0u8; SHORT_BYTES];
        head.copy_from_slice(&code.0[..SHORT_BYTES]);
        ShortTrackingCode(head)
    }

    /// The 10 bytes it carries: the first 10 of every tracking code it matches.
    pub fn prefix(&self) -> &[u8; SHORT_BYTES] {
        &self.0
    }

    /// Reads a short form as people type it (see the module's documentation).
    pub fn parse(text: &str) -> Result<Self, TrackingCodeError> {
        let mut values = Vec::with_capacity(SHORT_CHARS);
        for c in text.chars() {
            if c == '-' || c.is_ascii_whitespace() {
                continue;
            }
            values.push(symbol(c).ok_or(TrackingCodeError::Character(c))?);
        }
        if values.len() != SHORT_CHARS {
            return Err(TrackingCodeError::Length(values.len()));
        }
        // 16 symbols of 5 bits are exactly 80 bits: no padding, no unused bits.
        let mut acc: u128 = 0;
        for v in values {
            acc = (acc << 5) | u128::from(v);
        }
        let mut out = [0u8; SHORT_BYTES];
        out.copy_from_slice(&acc.to_be_bytes()[16 - SHORT_BYTES..]);
        Ok(ShortTrackingCode(out))
    }

    /// Whether `code` has this short form.
    pub fn matches(&self, code: &Digest32) -> bool {
        Self::of(code) == *self
    }
}

impl std::fmt::Display for ShortTrackingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut be = [0u8; 16];
        be[16 - SHORT_BYTES..].copy_from_slice(&self.0);
        let acc = u128::from_be_bytes(be);
        for i in 0..SHORT_CHARS {
            if i > 0 && i % 4 == 0 {
                f.write_str("-")?;
            }
            let v = (acc >> (5 * (SHORT_CHARS - 1 - i))) & 31;
            write!(f, "{}", ALPHABET[v as usize] as char)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for ShortTrackingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShortTrackingCode({self})")
    }
}

/// A tracking code as typed where one is asked for: the full code or its short form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackingCodeText {
    /// The 32-byte code, from its 43 base64url characters.
    Full(Digest32),
    /// The short form.
    Short(ShortTrackingCode),
}

impl TrackingCodeText {
    /// Reads either form: the full code if the text without whitespace is 43 characters of
    /// canonical base64url, else a short form ([`ShortTrackingCode::parse`]).
    pub fn parse(text: &str) -> Result<Self, TrackingCodeError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if compact.len() == 43
            && let Ok(code) = Bytes::<32>::from_base64(&compact)
        {
            return Ok(TrackingCodeText::Full(code));
        }
        ShortTrackingCode::parse(text).map(TrackingCodeText::Short)
    }

    /// Whether `code` is the one typed (the full code) or has the short form typed.
    pub fn matches(&self, code: &Digest32) -> bool {
        match self {
            TrackingCodeText::Full(full) => full == code,
            TrackingCodeText::Short(short) => short.matches(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_is_the_first_80_bits_in_crockford_base32() {
        let zero = Bytes([0u8; 32]);
        assert_eq!(
            ShortTrackingCode::of(&zero).to_string(),
            "0000-0000-0000-0000"
        );
        let max = Bytes([0xff; 32]);
        assert_eq!(
            ShortTrackingCode::of(&max).to_string(),
            "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
        );
        // 0x00…01 in the tenth byte is the last symbol's lowest bit; the bytes after it are not read.
        let mut one = Bytes([0xee; 32]);
        one.0[..10].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let short = ShortTrackingCode::of(&one);
        assert_eq!(short.to_string(), "0000-0000-0000-0001");
        assert!(short.matches(&one) && !short.matches(&zero));
        // 0x84 = 10000 100|00…: the first symbol 16 (G), the second 16 (G) after it.
        let mut g = Bytes([0; 32]);
        g.0[0] = 0x84;
        g.0[1] = 0x20;
        assert_eq!(ShortTrackingCode::of(&g).to_string(), "GGG0-0000-0000-0000");
    }

    #[test]
    fn reading_takes_lower_case_confusables_hyphens_and_spaces() {
        let code = Bytes([0xa5; 32]);
        let short = ShortTrackingCode::of(&code);
        let written = short.to_string();
        for typed in [
            written.clone(),
            written.to_lowercase(),
            written.replace('-', ""),
            written.replace('-', " "),
            format!(" {}\n", written.replace('-', "").to_lowercase()),
            written.chars().flat_map(|c| [c, '-']).collect(),
        ] {
            assert_eq!(ShortTrackingCode::parse(&typed), Ok(short), "{typed:?}");
        }
        // I and L are 1, O is 0.
        let ones = ShortTrackingCode::parse("1111-0000-1111-0000").unwrap();
        assert_eq!(ShortTrackingCode::parse("IlL1-oOO0-iLl1-O0o0"), Ok(ones));
    }

    #[test]
    fn reading_refuses_other_characters_and_lengths() {
        for (bad, err) in [
            ("0000-0000-0000-000", TrackingCodeError::Length(15)),
            ("0000-0000-0000-00000", TrackingCodeError::Length(17)),
            ("", TrackingCodeError::Length(0)),
            ("0000-0000-0000-000U", TrackingCodeError::Character('U')),
            ("0000-0000-0000-000u", TrackingCodeError::Character('u')),
            ("0000_0000_0000_0000", TrackingCodeError::Character('_')),
            ("0000-0000-0000-000Ｚ", TrackingCodeError::Character('Ｚ')),
        ] {
            assert_eq!(ShortTrackingCode::parse(bad), Err(err), "{bad}");
        }
    }

    #[test]
    fn typed_text_is_the_full_code_or_the_short_form() {
        let code = Bytes([0x3c; 32]);
        let full = code.to_string();
        assert_eq!(
            TrackingCodeText::parse(&format!("{} {}", &full[..20], &full[20..])),
            Ok(TrackingCodeText::Full(code))
        );
        let short = ShortTrackingCode::of(&code).to_string();
        let typed = TrackingCodeText::parse(&short.to_lowercase()).unwrap();
        assert_eq!(typed, TrackingCodeText::Short(ShortTrackingCode::of(&code)));
        assert!(typed.matches(&code));
        let mut other = code;
        other.0[9] ^= 1;
        assert!(!typed.matches(&other));
        other = code;
        other.0[10] ^= 1;
        assert!(typed.matches(&other), "only 80 bits are compared");
        assert!(!TrackingCodeText::Full(code).matches(&other));
        // A full code with its last character not canonical is neither form.
        let bad = format!("{}B", &full[..42]);
        assert!(TrackingCodeText::parse(&bad).is_err());
    }
}
