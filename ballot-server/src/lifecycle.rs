//! An election's lifecycle: the states it goes through, as stored and shown.

use serde::{Deserialize, Serialize};

/// An election's place in its lifecycle (`spec/record.md` §9.1):
/// draft → key_ceremony → registration → open → closed → tallied → published, or failed when
/// the key ceremony names a cheating teller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionState {
    /// Created; the tellers are not set yet.
    Draft,
    /// The tellers are running the key ceremony.
    KeyCeremony,
    /// The election key exists; credentials are being registered.
    Registration,
    /// Voting is open.
    Open,
    /// Voting is closed; the encrypted tally is on the board; tellers decrypt.
    Closed,
    /// The result is computed and on the board.
    Tallied,
    /// Staff published the result.
    Published,
    /// The key ceremony failed; the election cannot go on.
    Failed,
}

impl ElectionState {
    /// Every state.
    pub const ALL: [ElectionState; 8] = [
        ElectionState::Draft,
        ElectionState::KeyCeremony,
        ElectionState::Registration,
        ElectionState::Open,
        ElectionState::Closed,
        ElectionState::Tallied,
        ElectionState::Published,
        ElectionState::Failed,
    ];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ElectionState::Draft => "draft",
            ElectionState::KeyCeremony => "key_ceremony",
            ElectionState::Registration => "registration",
            ElectionState::Open => "open",
            ElectionState::Closed => "closed",
            ElectionState::Tallied => "tallied",
            ElectionState::Published => "published",
            ElectionState::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}
