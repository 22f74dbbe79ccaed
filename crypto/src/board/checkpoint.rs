//! Checkpoints, exactly as c2sp.org/tlog-checkpoint (v1.0.0) has them (`spec/protocol.md`
//! §14): the text of a signed note that states a log's tree head.
//!
//! ```text
//! <origin>\n            the log's identity; Piaojue's is "{board name}/{election id}"
//! <tree size>\n         decimal, no leading zeros ("0" for the empty tree)
//! <root hash>\n         base64 (standard, padded) of the 32-byte RFC 6962 / 9162 Merkle root
//! [<extension line>\n]* opaque, non-empty; Piaojue writes none
//! ```
//!
//! The board signs each checkpoint with an Ed25519 note signature (type `0x01`) whose key name
//! is the checkpoint's origin, with the same key as its tree heads ([`super::BoardKey::sign_note`]).

use base64ct::{Base64, Encoding};

use super::note::{NoteError, is_valid_key_name};
use crate::encoding::{Bytes, Digest32};

/// A log's checkpoint: origin, tree size, root hash and extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin (first line).
    pub origin: String,
    /// The number of leaves.
    pub size: u64,
    /// The Merkle root of the first `size` leaves.
    pub root: Digest32,
    /// The extension lines, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: origin, size, base64 root and extension lines, each ending in a newline.
    pub fn text(&self) -> String {
        let mut t = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root.0)
        );
        for e in &self.extensions {
            t.push_str(e);
            t.push('\n');
        }
        t
    }

    /// Parses a checkpoint text: at least three non-empty lines each ending in a newline, no
    /// control characters but newline, a size without leading zeros that fits in 64 bits, a root
    /// that is the canonical padded base64 of exactly 32 bytes.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        if let Some((offset, c)) = text.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
            return Err(NoteError::ControlCharacter {
                code: c as u32,
                offset,
            });
        }
        let body = text
            .strip_suffix('\n')
            .ok_or(NoteError::TextNotTerminated)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(NoteError::CheckpointTooShort);
        }
        if let Some(i) = lines.iter().position(|l| l.is_empty()) {
            return Err(NoteError::CheckpointEmptyLine(i + 1));
        }
        let size_line = lines[1];
        let canonical = size_line == "0"
            || (size_line.bytes().all(|b| b.is_ascii_digit()) && !size_line.starts_with('0'));
        let size = canonical
            .then(|| size_line.parse::<u64>().ok())
            .flatten()
            .ok_or_else(|| NoteError::CheckpointSize(size_line.to_string()))?;
        let mut root = [0u8; 32];
        match Base64::decode(lines[2], &mut root) {
            Ok(r) if r.len() == 32 => {}
            _ => return Err(NoteError::CheckpointRoot(lines[2].to_string())),
        }
        Ok(Checkpoint {
            origin: lines[0].to_string(),
            size,
            root: Bytes(root),
            extensions: lines[3..].iter().map(|l| l.to_string()).collect(),
        })
    }
}

/// Piaojue's log origin for an election: `"{board_name}/{election_id}"`. The board name must be a
/// valid key name (see [`is_valid_board_name`]) and the election id a manifest id (1 to 64 of
/// `a-z 0-9 - _`), so the origin is itself a valid key name.
pub fn log_origin(board_name: &str, election_id: &str) -> String {
    format!("{board_name}/{election_id}")
}

/// Whether `name` may name a board in origins: a valid key name.
pub fn is_valid_board_name(name: &str) -> bool {
    is_valid_key_name(name)
}

/// Splits a Piaojue origin into board name and election id: the election id is what follows the
/// last `/` and must be a manifest id; the board name, what precedes it, a valid key name.
pub fn split_origin(origin: &str) -> Option<(&str, &str)> {
    let (board, election) = origin.rsplit_once('/')?;
    (is_valid_board_name(board) && crate::manifest::is_valid_id(election))
        .then_some((board, election))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// c2sp.org/tlog-checkpoint's example text.
    const EXAMPLE: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    #[test]
    fn the_specification_example_round_trips() {
        let c = Checkpoint::parse(EXAMPLE).unwrap();
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20852163);
        assert!(c.extensions.is_empty());
        assert_eq!(c.text(), EXAMPLE);
        let mut e = c.clone();
        e.extensions = vec!["ext one".into(), "two".into()];
        assert_eq!(Checkpoint::parse(&e.text()).unwrap(), e);
    }

    #[test]
    fn malformed_checkpoints_are_refused() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases: Vec<(String, NoteError)> = vec![
            (format!("o\n1\n{root}"), NoteError::TextNotTerminated),
            ("o\n1\n".into(), NoteError::CheckpointTooShort),
            (format!("\n1\n{root}\n"), NoteError::CheckpointEmptyLine(1)),
            (
                format!("o\n1\n{root}\n\n"),
                NoteError::CheckpointEmptyLine(4),
            ),
            (
                format!("o\n01\n{root}\n"),
                NoteError::CheckpointSize("01".into()),
            ),
            (
                format!("o\n00\n{root}\n"),
                NoteError::CheckpointSize("00".into()),
            ),
            (
                format!("o\n+1\n{root}\n"),
                NoteError::CheckpointSize("+1".into()),
            ),
            (
                format!("o\n-1\n{root}\n"),
                NoteError::CheckpointSize("-1".into()),
            ),
            (
                format!("o\n18446744073709551616\n{root}\n"),
                NoteError::CheckpointSize("18446744073709551616".into()),
            ),
            (
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n".into(),
                NoteError::CheckpointRoot("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I".into()),
            ),
            (
                // Non-zero unused bits.
                "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n".into(),
                NoteError::CheckpointRoot("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=".into()),
            ),
            (
                // base64url alphabet.
                "o\n1\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n".into(),
                NoteError::CheckpointRoot("CsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=".into()),
            ),
            (
                "o\n1\nAAAA\n".into(),
                NoteError::CheckpointRoot("AAAA".into()),
            ),
            (
                format!("o\r\n1\n{root}\n"),
                NoteError::ControlCharacter {
                    code: 13,
                    offset: 1,
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Checkpoint::parse(&text), Err(want), "{text:?}");
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n0\n{root}\n")).unwrap().size,
            0
        );
        assert_eq!(
            Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n"))
                .unwrap()
                .size,
            u64::MAX
        );
    }

    #[test]
    fn origins() {
        assert_eq!(
            log_origin("board.example/county", "e-2026"),
            "board.example/county/e-2026"
        );
        assert_eq!(
            split_origin("board.example/county/e-2026"),
            Some(("board.example/county", "e-2026"))
        );
        for bad in ["e-2026", "/e", "b/", "b/E", "b c/e", "b+c/e", "b/e.x"] {
            assert_eq!(split_origin(bad), None, "{bad}");
        }
        assert_eq!(
            split_origin(&format!("b/{}", "a".repeat(64))).map(|s| s.0),
            Some("b")
        );
        assert_eq!(split_origin(&format!("b/{}", "a".repeat(65))), None);
    }
}
