//! The body of `POST /add-checkpoint`, exactly as c2sp.org/tlog-witness has it
//! (`spec/witness.md` §3):
//!
//! ```text
//! "old " ‖ decimal(old size) ‖ "\n"          no leading zeros ("0" for zero)
//! base64(hash) ‖ "\n"                         0 to 63 consistency proof lines (32-byte hashes)
//! "\n"                                        an empty line
//! checkpoint note                             c2sp.org/signed-note with a checkpoint text
//! ```

use base64ct::{Base64, Encoding};
use piaojue_crypto::board::merkle::Hash;
use piaojue_crypto::board::{Checkpoint, MAX_NOTE_BYTES, Note, NoteError};

/// At most this many consistency proof lines.
pub const MAX_PROOF_LINES: usize = 63;

/// The largest request body accepted: the old size line, 63 proof lines, the empty line and a
/// note of at most [`MAX_NOTE_BYTES`].
pub const MAX_REQUEST_BYTES: usize = 32 + MAX_PROOF_LINES * 45 + 1 + MAX_NOTE_BYTES;

/// Why a request body is malformed (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The body is larger than [`MAX_REQUEST_BYTES`].
    #[error("the request has {0} bytes, more than {MAX_REQUEST_BYTES}")]
    TooLarge(usize),
    /// A line without its newline.
    #[error("the request ends in the middle of a line")]
    Unterminated,
    /// The first line is not `old <size>`.
    #[error("the first line must be \"old <size>\" (decimal, no leading zeros)")]
    OldSize,
    /// A proof line that is not the base64 of 32 bytes.
    #[error("consistency proof line {0} is not the base64 of a 32-byte hash")]
    ProofLine(usize),
    /// More than 63 proof lines.
    #[error("more than {MAX_PROOF_LINES} consistency proof lines")]
    TooManyProofLines,
    /// The note does not parse.
    #[error("the checkpoint note is malformed: {0}")]
    Note(NoteError),
    /// The note's text is not a checkpoint.
    #[error("the note is not a checkpoint: {0}")]
    Checkpoint(NoteError),
}

/// A parsed `add-checkpoint` request.
#[derive(Debug, Clone)]
pub struct AddCheckpoint {
    /// The size of the latest checkpoint the client believes the witness cosigned.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint note as sent.
    pub note: Note,
    /// Its text, parsed.
    pub checkpoint: Checkpoint,
}

/// A decimal without leading zeros ("0" for zero) that fits in 64 bits.
pub fn parse_decimal(s: &str) -> Option<u64> {
    let canonical = s == "0" || (!s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()));
    canonical.then(|| s.parse().ok()).flatten()
}

/// Splits off the next line (without its newline).
fn next_line<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], RequestError> {
    let i = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(RequestError::Unterminated)?;
    let line = &rest[..i];
    *rest = &rest[i + 1..];
    Ok(line)
}

/// Parses a request body.
pub fn parse(body: &[u8]) -> Result<AddCheckpoint, RequestError> {
    if body.len() > MAX_REQUEST_BYTES {
        return Err(RequestError::TooLarge(body.len()));
    }
    let mut rest = body;
    let first = next_line(&mut rest)?;
    let old_size = core::str::from_utf8(first)
        .ok()
        .and_then(|l| l.strip_prefix("old "))
        .and_then(parse_decimal)
        .ok_or(RequestError::OldSize)?;
    let mut proof = Vec::new();
    loop {
        let line = next_line(&mut rest)?;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(RequestError::TooManyProofLines);
        }
        let mut h = [0u8; 32];
        match core::str::from_utf8(line)
            .ok()
            .map(|l| Base64::decode(l, &mut h).map(|d| d.len()))
        {
            Some(Ok(32)) => proof.push(h),
            _ => return Err(RequestError::ProofLine(proof.len() + 1)),
        }
    }
    let note = Note::parse(rest).map_err(RequestError::Note)?;
    let checkpoint = Checkpoint::parse(note.text()).map_err(RequestError::Checkpoint)?;
    Ok(AddCheckpoint {
        old_size,
        proof,
        note,
        checkpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
    const P1: &str = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=";

    #[test]
    fn the_specification_example_parses() {
        let body = format!(
            "old 20852014\n{P1}\njrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\n{NOTE}"
        );
        let r = parse(body.as_bytes()).unwrap();
        assert_eq!(r.old_size, 20852014);
        assert_eq!(r.proof.len(), 4);
        assert_eq!(r.checkpoint.size, 20852163);
        assert_eq!(r.checkpoint.origin, "example.com/behind-the-sofa");
        let r = parse(format!("old 0\n\n{NOTE}").as_bytes()).unwrap();
        assert_eq!((r.old_size, r.proof.len()), (0, 0));
    }

    #[test]
    fn malformed_requests_are_refused() {
        let many = format!("{P1}\n").repeat(64);
        let cases: Vec<(String, RequestError)> = vec![
            (String::new(), RequestError::Unterminated),
            ("old 1".into(), RequestError::Unterminated),
            (format!("old 01\n\n{NOTE}"), RequestError::OldSize),
            (format!("old -1\n\n{NOTE}"), RequestError::OldSize),
            (format!("old  1\n\n{NOTE}"), RequestError::OldSize),
            (format!("Old 1\n\n{NOTE}"), RequestError::OldSize),
            (
                format!("old 18446744073709551616\n\n{NOTE}"),
                RequestError::OldSize,
            ),
            (format!("old 1\n{P1}\n"), RequestError::Unterminated),
            (format!("old 1\nAAAA\n\n{NOTE}"), RequestError::ProofLine(1)),
            (
                format!("old 1\n{P1}\n{}\n\n{NOTE}", &P1[..43]),
                RequestError::ProofLine(2),
            ),
            (
                format!("old 1\n{many}\n{NOTE}"),
                RequestError::TooManyProofLines,
            ),
            (
                "old 1\n\nno signatures\n".into(),
                RequestError::Note(NoteError::NoSeparator),
            ),
            (
                format!("old 1\n\n{}", NOTE.replacen("20852163", "x", 1)),
                RequestError::Checkpoint(NoteError::CheckpointSize("x".into())),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(parse(body.as_bytes()).unwrap_err(), want, "{body:?}");
        }
        assert!(
            parse(format!("old 1\n{}\n{NOTE}", format!("{P1}\n").repeat(63)).as_bytes()).is_ok()
        );
        assert!(matches!(
            parse(&vec![b'a'; MAX_REQUEST_BYTES + 1]),
            Err(RequestError::TooLarge(_))
        ));
        assert!(parse(b"old 1\n\xff\n\n").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// No body makes the parser panic.
        #[test]
        fn never_panics(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse(&body);
            let mut prefixed = b"old 1\n".to_vec();
            prefixed.extend_from_slice(&body);
            let _ = parse(&prefixed);
        }
    }
}
