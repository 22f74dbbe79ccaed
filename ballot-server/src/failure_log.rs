//! The log of failed requests (answers 5xx): at most one line per kind of failure (a status
//! code, an error) every [`INTERVAL`], with the number of the same failures left out since the
//! last line, so that an attack answered by thousands of 503s writes a few lines, not
//! thousands. A 503 (the server at one of its limits, `spec/api.md` §6.1) is a warning; any
//! other failure an error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tower_http::classify::ServerErrorsFailureClass;
use tower_http::trace::OnFailure;

/// The shortest time between two lines about the same kind of failure.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Kinds of failure remembered at once; past it the memory starts again.
const MAX_KINDS: usize = 64;

/// When each kind of failure was last written, and how many were left out since.
#[derive(Debug)]
struct Throttle {
    interval: Duration,
    kinds: HashMap<String, (Instant, u64)>,
}

impl Throttle {
    /// Whether a failure of `kind` at `now` is written: `Some(left out since the last line)`,
    /// or `None` when it is left out.
    fn admit(&mut self, kind: &str, now: Instant) -> Option<u64> {
        if self.kinds.len() >= MAX_KINDS && !self.kinds.contains_key(kind) {
            self.kinds.clear();
        }
        match self.kinds.get_mut(kind) {
            Some((last, left_out)) if now.duration_since(*last) < self.interval => {
                *left_out += 1;
                None
            }
            Some((last, left_out)) => {
                let n = *left_out;
                *last = now;
                *left_out = 0;
                Some(n)
            }
            None => {
                self.kinds.insert(kind.to_string(), (now, 0));
                Some(0)
            }
        }
    }
}

/// The trace layer's [`OnFailure`]: failures logged under the throttle.
#[derive(Debug, Clone)]
pub struct ThrottledFailureLog {
    throttle: Arc<Mutex<Throttle>>,
}

impl ThrottledFailureLog {
    /// A log writing at most one line per kind of failure every `interval`.
    pub fn new(interval: Duration) -> Self {
        ThrottledFailureLog {
            throttle: Arc::new(Mutex::new(Throttle {
                interval,
                kinds: HashMap::new(),
            })),
        }
    }
}

impl Default for ThrottledFailureLog {
    fn default() -> Self {
        Self::new(INTERVAL)
    }
}

impl OnFailure<ServerErrorsFailureClass> for ThrottledFailureLog {
    fn on_failure(
        &mut self,
        class: ServerErrorsFailureClass,
        latency: Duration,
        _span: &tracing::Span,
    ) {
        let kind = class.to_string();
        let left_out = self
            .throttle
            .lock()
            .expect("failure log lock")
            .admit(&kind, Instant::now());
        let Some(left_out) = left_out else { return };
        let latency_ms = latency.as_millis();
        match class {
            ServerErrorsFailureClass::StatusCode(s) if s.as_u16() == 503 => tracing::warn!(
                classification = %kind, latency_ms, left_out,
                "response failed (at most one line every {} s; left_out: the same failures since the last line)",
                INTERVAL.as_secs()
            ),
            _ => tracing::error!(
                classification = %kind, latency_ms, left_out,
                "response failed (at most one line every {} s; left_out: the same failures since the last line)",
                INTERVAL.as_secs()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_kind_per_interval_with_the_count_left_out() {
        let mut t = Throttle {
            interval: Duration::from_secs(10),
            kinds: HashMap::new(),
        };
        let t0 = Instant::now();
        assert_eq!(t.admit("503", t0), Some(0));
        for i in 1..=617 {
            assert_eq!(t.admit("503", t0 + Duration::from_millis(i)), None);
        }
        // Another kind has its own line.
        assert_eq!(t.admit("500", t0 + Duration::from_secs(1)), Some(0));
        assert_eq!(t.admit("503", t0 + Duration::from_secs(10)), Some(617));
        assert_eq!(t.admit("503", t0 + Duration::from_secs(11)), None);
        assert_eq!(t.admit("503", t0 + Duration::from_secs(20)), Some(1));
    }
}
