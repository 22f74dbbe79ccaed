//! Which logs a witness accepts, and with which keys (`spec/witness.md` §2).
//!
//! Two kinds of entries:
//!
//! * a **board**, `NAME=KEY`: a Piaojue board's name and its public key (43 base64url
//!   characters, as `GET /api/board-key` serves it). The witness accepts every log whose origin
//!   is `NAME/<election id>` (the election id 1 to 64 of `a-z 0-9 - _`), signed with an Ed25519
//!   note signature (type `0x01`) under key name = that origin, by `KEY`;
//! * a **log**, a vkey (`name+id+base64(0x01 ‖ key)`): the one log whose origin is the vkey's
//!   name, signed by that key.

use piaojue_crypto::board::checkpoint::{is_valid_board_name, split_origin};
use piaojue_crypto::board::{NoteError, SignatureType, VerifierKey};
use piaojue_crypto::credential::CredentialKey;
use piaojue_crypto::encoding::decode_base64_array;

/// Why a policy entry was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// `--board` is not `NAME=KEY`.
    #[error("a board is NAME=KEY (KEY the board's public key, 43 base64url characters): {0:?}")]
    BoardFormat(String),
    /// The board name is not a valid key name.
    #[error("invalid board name {0:?}: non-empty, without spaces or '+'")]
    BoardName(String),
    /// The board key does not decode.
    #[error("invalid board key for {name}: {reason}")]
    BoardKey {
        /// The board.
        name: String,
        /// Why.
        reason: String,
    },
    /// A log vkey that does not parse.
    #[error("invalid log vkey {vkey:?}: {reason}")]
    LogKey {
        /// The vkey.
        vkey: String,
        /// Why.
        reason: NoteError,
    },
    /// A log vkey of another type than Ed25519.
    #[error("the log vkey {0:?} is not an Ed25519 (type 0x01) key")]
    LogKeyType(String),
}

/// The logs a witness accepts.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    boards: Vec<(String, CredentialKey)>,
    logs: Vec<VerifierKey>,
}

impl Policy {
    /// No log accepted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts the logs of a board.
    pub fn add_board(&mut self, name: &str, key: CredentialKey) -> Result<(), PolicyError> {
        if !is_valid_board_name(name) {
            return Err(PolicyError::BoardName(name.into()));
        }
        self.boards.push((name.to_string(), key));
        Ok(())
    }

    /// Accepts the logs of a board given as `NAME=KEY`.
    pub fn add_board_arg(&mut self, arg: &str) -> Result<(), PolicyError> {
        let (name, key) = arg
            .rsplit_once('=')
            .ok_or_else(|| PolicyError::BoardFormat(arg.into()))?;
        let bytes = decode_base64_array::<32>(key).map_err(|e| PolicyError::BoardKey {
            name: name.into(),
            reason: e.to_string(),
        })?;
        let key = CredentialKey::decode(&bytes).map_err(|e| PolicyError::BoardKey {
            name: name.into(),
            reason: e.to_string(),
        })?;
        self.add_board(name, key)
    }

    /// Accepts one log, given by its vkey (type `0x01`; its name is the log's origin).
    pub fn add_log(&mut self, vkey: &str) -> Result<(), PolicyError> {
        let vk = VerifierKey::parse(vkey).map_err(|reason| PolicyError::LogKey {
            vkey: vkey.into(),
            reason,
        })?;
        if vk.sig_type() != SignatureType::Ed25519 {
            return Err(PolicyError::LogKeyType(vkey.into()));
        }
        self.logs.push(vk);
        Ok(())
    }

    /// Whether no log is accepted.
    pub fn is_empty(&self) -> bool {
        self.boards.is_empty() && self.logs.is_empty()
    }

    /// The keys trusted for `origin`; empty if the origin is unknown.
    pub fn keys_for(&self, origin: &str) -> Vec<VerifierKey> {
        let mut keys: Vec<VerifierKey> = self
            .logs
            .iter()
            .filter(|vk| vk.name() == origin)
            .cloned()
            .collect();
        if let Some((board, _election)) = split_origin(origin) {
            for (name, key) in &self.boards {
                if name == board {
                    keys.extend(VerifierKey::new(origin, SignatureType::Ed25519, *key).ok());
                }
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use piaojue_crypto::board::BoardKey;

    #[test]
    fn boards_and_logs() {
        let board = BoardKey::from_seed(&[1; 32]);
        let mut p = Policy::new();
        assert!(p.is_empty());
        p.add_board_arg(&format!(
            "board.example/county={}",
            board.public().to_base64()
        ))
        .unwrap();
        let keys = p.keys_for("board.example/county/e-1");
        assert_eq!(
            keys,
            vec![board.verifier_key("board.example/county/e-1").unwrap()]
        );
        for unknown in [
            "board.example/county",
            "board.example/county/E",
            "board.example/county/e/f",
            "board.example/other/e",
            "other.example/county/e",
        ] {
            assert!(p.keys_for(unknown).is_empty(), "{unknown}");
        }
        let log = BoardKey::from_seed(&[2; 32])
            .verifier_key("log.example/x")
            .unwrap();
        p.add_log(&log.encode()).unwrap();
        assert_eq!(p.keys_for("log.example/x"), vec![log]);
        assert!(p.keys_for("log.example/y").is_empty());
    }

    #[test]
    fn bad_entries_are_refused() {
        let key = BoardKey::from_seed(&[1; 32]).public().to_base64();
        let mut p = Policy::new();
        assert!(matches!(
            p.add_board_arg(&key),
            Err(PolicyError::BoardFormat(_))
        ));
        assert!(matches!(
            p.add_board_arg(&format!("a b={key}")),
            Err(PolicyError::BoardName(_))
        ));
        assert!(matches!(
            p.add_board_arg(&format!("={key}")),
            Err(PolicyError::BoardName(_))
        ));
        assert!(matches!(
            p.add_board_arg("b=AAAA"),
            Err(PolicyError::BoardKey { .. })
        ));
        // The identity point: a small-order key.
        let mut id = [0u8; 32];
        id[0] = 1;
        assert!(matches!(
            p.add_board_arg(&format!(
                "b={}",
                piaojue_crypto::encoding::encode_base64(&id)
            )),
            Err(PolicyError::BoardKey { .. })
        ));
        assert!(matches!(
            p.add_log("nonsense"),
            Err(PolicyError::LogKey { .. })
        ));
        let co = piaojue_crypto::board::WitnessKey::from_seed(&[3; 32])
            .verifier_key("w")
            .unwrap();
        assert!(matches!(
            p.add_log(&co.encode()),
            Err(PolicyError::LogKeyType(_))
        ));
        assert!(p.is_empty());
    }
}
