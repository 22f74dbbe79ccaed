//! Blank texts (`spec/record.md` §2.3).
//!
//! Where the record requires a human text (the approving body, a decision reference …), a text
//! that shows nothing is refused as surely as an empty one. A text is **blank** when it has no
//! code point that is a letter or digit — `char::is_alphanumeric`: the Unicode property
//! `Alphabetic` or the general category `N` (`Nd`, `Nl`, `No`) — and is not a
//! `Default_Ignorable_Code_Point`. So spaces of every kind (`White_Space`: U+0020, U+3000 …),
//! zero-width and format characters (U+200B, U+200D, U+2060, U+FEFF …), punctuation and symbols
//! alone are blank; the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), letters that are also
//! default-ignorable, are blank too. In a JavaScript regular expression the same test is
//! `/(?![\p{Default_Ignorable_Code_Point}])[\p{Alphabetic}\p{N}]/u`.

/// The `Default_Ignorable_Code_Point` ranges of Unicode 16 (`DerivedCoreProperties.txt`),
/// sorted.
const DEFAULT_IGNORABLE: [(u32, u32); 17] = [
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
];

/// Whether `c` is a `Default_Ignorable_Code_Point`.
pub fn is_default_ignorable(c: char) -> bool {
    let c = c as u32;
    DEFAULT_IGNORABLE
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether `text` is blank (`spec/record.md` §2.3): no letter or digit that is not
/// default-ignorable.
pub fn is_blank(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_alphanumeric() && !is_default_ignorable(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_texts() {
        for t in [
            "",
            " ",
            "\u{3000}",
            "\u{200B}",
            "\u{FEFF}",
            " \u{200B}\u{3000}\u{FEFF}\n\t",
            "\u{00AD}\u{2060}",
            "\u{3164}",
            "\u{115F}\u{1160}",
            "\u{FFA0}",
            "\u{200D}\u{FE0F}",
            ".",
            "——",
            "!?\u{3002}",
            "\u{E0041}",
        ] {
            assert!(is_blank(t), "{:?} is blank", t.escape_unicode().to_string());
        }
        for t in [
            "人",
            "a",
            "7",
            "\u{3000}人大\u{200B}",
            "\u{2167}",
            "\u{00BD}",
            "\u{0660}",
            "\u{3007}",
        ] {
            assert!(!is_blank(t), "{t:?} is not blank");
        }
    }

    #[test]
    fn the_table_is_sorted_and_disjoint() {
        assert!(DEFAULT_IGNORABLE.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(DEFAULT_IGNORABLE.iter().all(|(lo, hi)| lo <= hi));
        for c in ['\u{200B}', '\u{FEFF}', '\u{E0FFF}', '\u{115F}', '\u{1160}'] {
            assert!(is_default_ignorable(c));
        }
        for c in ['\u{200A}', '\u{3000}', 'a', '\u{1161}', '\u{E1000}'] {
            assert!(!is_default_ignorable(c));
        }
    }
}

/// How many characters of a record's text an error message quotes ([`quoted`]).
pub const QUOTE_CHARS: usize = 80;

/// A record's text as an error message quotes it (`spec/verification.md` §5.1): in double
/// quotes, `"` and `\` escaped with `\`, at most [`QUOTE_CHARS`] characters (a longer text is
/// cut, `…"` and ` ({n} characters)` after the closing quote), control characters written
/// `\u{hex}` (a line break cannot end the message). Never a Rust debug string. The verifier's
/// report escapes the format characters too when it prints the message.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * QUOTE_CHARS) + 2);
    out.push('"');
    for (n, c) in text.chars().enumerate() {
        if n == QUOTE_CHARS {
            return format!("{out}…\" ({} characters)", text.chars().count());
        }
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod quoted_tests {
    use super::*;

    #[test]
    fn quoted_escapes_and_cuts() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quoted("2027-1-5\n"), r#""2027-1-5\u{a}""#);
        let long = "x".repeat(100);
        assert_eq!(
            quoted(&long),
            format!("\"{}…\" (100 characters)", "x".repeat(QUOTE_CHARS))
        );
    }
}
