//! The reader's limits (`spec/record.md` §8.5), in one place: how large a record's files and
//! lines may be, how many failures a step keeps, and how much of a record's text a message
//! quotes. A file or line over a limit is refused with an error naming it; nothing is read
//! past a limit, so a hostile folder cannot exhaust memory or print an endless report.

/// The longest line of a `.jsonl` file, without its `\n`: 4 MiB. A line is one ballot, audited
/// ballot, board entry or tree head; every one of them reaches the board as an API body of at
/// most 2 MiB (`spec/api.md` §2), and an entry adds a few dozen bytes of framing (`index`,
/// `time_ms`, `kind`); the limit is twice that, so that no board's entry comes near it.
pub const MAX_LINE: usize = 4 << 20;

/// The largest `board.json` (a [`piaojue_crypto::record::BoardInfo`], a few hundred bytes):
/// 1 MiB.
pub const MAX_BOARD_INFO: u64 = 1 << 20;

/// The largest `election.json` or `result.json`: 256 MiB. The set-up is a manifest (an API
/// body, at most 2 MiB), a key ceremony of at most 32 tellers and the credential list (about
/// 60 bytes a credential, pretty-printed: 6 MB for 100,000 deputies); the result is a tally and
/// at most 32 decryption shares, each at most an API body (pretty-printed, about twice that).
pub const MAX_JSON_FILE: u64 = 256 << 20;

/// The largest `.jsonl` file (`ballots.jsonl`, `audited.jsonl`, `board.jsonl`,
/// `tree_heads.jsonl`) or single-file record: 64 GiB, seven million ballots of "up to 10 of 13"
/// (about 9 kB each). Lines are read one at a time, so this bounds the time a read takes, not
/// its memory; the single-file form is read whole and needs that much memory.
pub const MAX_RECORD_FILE: u64 = 64 << 30;

/// The largest receipt file (a receipt is a few kilobytes): 1 MiB.
pub const MAX_RECEIPT: u64 = 1 << 20;

/// The largest audit file (a ballot and its opening, about 10 kB for "up to 10 of 13"):
/// 16 MiB.
pub const MAX_AUDIT_FILE: u64 = 16 << 20;

/// Failures kept per step of a report: the first 100 (in the order the step finds them); the
/// rest are only counted ("… and 1,999,900 more failures").
pub const MAX_FAILURES: usize = 100;

/// Characters of a record's text that a message quotes ([`crate::report::quote`]); a longer
/// text is cut, with an ellipsis and its length.
pub const MAX_QUOTE: usize = 80;

/// Characters of one failure message ([`crate::report::Report::push`]): a longer message (a
/// decoder's, quoting the input) is cut, with an ellipsis and its length.
pub const MAX_MESSAGE: usize = 400;

/// Text a chunk of a streamed log holds at most (`crate::stream`): 64 MiB, so that 4,096 lines
/// of 4 MiB do not make a chunk of 16 GiB.
pub const MAX_CHUNK_BYTES: usize = 64 << 20;
