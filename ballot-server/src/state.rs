//! The server's explicit state, passed to every handler: the database, the board and the
//! staff tokens. No global mutable state.

use std::sync::Arc;

use crate::board::Board;
use crate::db::Db;
use crate::elections::Elections;
pub use crate::lifecycle::ElectionState;

/// Everything a handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The bulletin board.
    pub board: Arc<Board>,
    /// Cached election data (manifests, contexts, credential lists).
    pub elections: Arc<Elections>,
    /// The yearly cycle's state (the limit on public submissions).
    pub cycle: Arc<crate::cycle::CycleState>,
    /// How long a staff token is valid after it was made (`None`: until revoked).
    pub staff_token_ttl: Option<std::time::Duration>,
    /// The verifier's downloads (`serve --downloads-dir`; none by default).
    pub downloads: Arc<crate::downloads::Downloads>,
}
