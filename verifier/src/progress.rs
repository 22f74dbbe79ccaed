//! Progress of a long verification, for a progress bar (the command line draws one with
//! `indicatif`; the library draws nothing).

/// Receives the progress of the verifier's long stages. Called from several threads.
pub trait Progress: Sync {
    /// A stage with `total` items starts (`what`: "cast ballots", "board entries", …).
    fn begin(&self, what: &'static str, total: u64) {
        let _ = (what, total);
    }
    /// `n` more items are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }
    /// The stage is over.
    fn end(&self) {}
}

/// No progress shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
