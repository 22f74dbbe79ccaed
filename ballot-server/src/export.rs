//! The election record, exported from the board in the single-file form of `spec/record.md`:
//! every part derived from the log's entries by `ElectionRecord::from_board` (the same
//! derivation the verifier checks), with the board's entries and signed tree heads.

use piaojue_crypto::board::log_id;
use piaojue_crypto::record::{BoardError, BoardInfo, BoardLog, ElectionRecord};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Entries read per query while exporting.
const PAGE: u64 = 5_000;

/// The record of an election as it stands on the board now.
pub async fn record(state: &AppState, election_id: &str) -> ApiResult<ElectionRecord> {
    // Heads first, then the entries up to the last head: a consistent cut even while ballots
    // are being appended.
    state.board.size(election_id).await?;
    let heads = state.board.heads(election_id).await?;
    let size = heads.last().map_or(0, |h| h.head.size);
    let mut entries = Vec::with_capacity(size as usize);
    while (entries.len() as u64) < size {
        let want = PAGE.min(size - entries.len() as u64);
        let page = state
            .board
            .entries(election_id, entries.len() as u64, want)
            .await?;
        if page.is_empty() {
            break;
        }
        for bytes in page {
            entries.push(
                String::from_utf8(bytes)
                    .map_err(|_| ApiError::Internal("an entry is not UTF-8".into()))?,
            );
        }
    }
    let info = BoardInfo {
        election_id: election_id.to_string(),
        log_id: log_id(election_id),
        board_key: state.board.election_key(election_id).await?,
    };
    let cosignatures = crate::witnessing::cosignatures(&state.db, election_id).await?;
    let board = BoardLog {
        info,
        entries,
        tree_heads: heads,
        cosignatures,
    };
    ElectionRecord::from_board(board).map_err(|e| match e {
        // Not a fault: the election has no record yet (before voting opens) or will never
        // have one (its key ceremony failed).
        BoardError::Incomplete { .. } | BoardError::CeremonyFailed { .. } => {
            ApiError::Conflict(format!("the election has no record: {e}"))
        }
        e => ApiError::Internal(format!("the board does not make a record: {e}")),
    })
}
