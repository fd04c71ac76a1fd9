//! How long a verification may run, and a way to stop it from another thread.
//!
//! A hostile PDF must not hold a core for minutes: every loop of the verification that depends
//! on the input checks its [`Budget`] now and then. The budget runs out when its deadline passes
//! or when someone holding its [`Canceller`] cancels it (a web handler whose client went away:
//! [`Canceller::cancel_on_drop`] gives a guard to keep in the request's future, so that dropping
//! the future stops the blocking work).
//!
//! ```
//! use std::time::Duration;
//! use motcua_pki::Budget;
//!
//! let budget = Budget::new(Duration::from_secs(5));
//! let guard = budget.canceller().cancel_on_drop();
//! assert!(budget.check().is_ok());
//! drop(guard); // the request went away
//! assert_eq!(
//!     budget.check().map_err(|stop| stop.to_string()),
//!     Err("verification stopped: the client went away".to_owned())
//! );
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A deadline and a cancellation flag. Cloning shares the flag: cancelling one clone stops them
/// all. The clock starts when the budget is made, so make one for each verification.
#[derive(Debug, Clone)]
pub struct Budget {
    /// When the time runs out, and the limit it was made from (for the message).
    deadline: Option<(Instant, Duration)>,
    cancelled: Arc<AtomicBool>,
}

impl Budget {
    /// No time limit; only cancellation stops it.
    pub fn unlimited() -> Self {
        Self {
            deadline: None,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// `limit` from now. A limit too large for the clock means no limit.
    pub fn new(limit: Duration) -> Self {
        Self {
            deadline: Instant::now().checked_add(limit).map(|at| (at, limit)),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The same budget (same flag) with the time limit `limit` from now instead.
    #[must_use]
    pub fn restarted(&self, limit: Duration) -> Self {
        Self {
            deadline: Instant::now().checked_add(limit).map(|at| (at, limit)),
            cancelled: Arc::clone(&self.cancelled),
        }
    }

    /// The time limit the budget was made with, if any.
    pub fn limit(&self) -> Option<Duration> {
        self.deadline.map(|(_, limit)| limit)
    }

    /// Time left before the deadline (`None` without a deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// A handle that can cancel this budget from elsewhere.
    pub fn canceller(&self) -> Canceller {
        Canceller {
            cancelled: Arc::clone(&self.cancelled),
        }
    }

    /// Whether the work may go on: an atomic load and, with a deadline, a read of the monotonic
    /// clock (tens of nanoseconds).
    pub fn check(&self) -> Result<(), BudgetExceeded> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(BudgetExceeded::Cancelled);
        }
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => Err(BudgetExceeded::TimeRanOut(limit)),
            _ => Ok(()),
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Self::unlimited()
    }
}

/// Cancels the [`Budget`] it came from, from any thread.
#[derive(Debug, Clone)]
pub struct Canceller {
    cancelled: Arc<AtomicBool>,
}

impl Canceller {
    /// Stops the work at its next check.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// A guard that cancels when dropped, unless [disarmed](CancelOnDrop::disarm) first.
    pub fn cancel_on_drop(self) -> CancelOnDrop {
        CancelOnDrop {
            canceller: Some(self),
        }
    }
}

/// Cancels its budget when dropped: held by the future of an HTTP request, it stops the
/// blocking verification when the client goes away and the future is dropped.
#[derive(Debug)]
#[must_use = "the budget is cancelled as soon as the guard is dropped"]
pub struct CancelOnDrop {
    canceller: Option<Canceller>,
}

impl CancelOnDrop {
    /// Lets the work go on after the guard is dropped (it finished, or its result is wanted).
    pub fn disarm(mut self) {
        self.canceller = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(canceller) = &self.canceller {
            canceller.cancel();
        }
    }
}

/// Why a verification was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetExceeded {
    /// The time limit passed.
    TimeRanOut(Duration),
    /// The budget was cancelled (the client went away).
    Cancelled,
}

impl fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimeRanOut(limit) => write!(
                f,
                "verification stopped: its budget of {} ran out",
                seconds(*limit)
            ),
            Self::Cancelled => f.write_str("verification stopped: the client went away"),
        }
    }
}

impl std::error::Error for BudgetExceeded {}

/// `5 s`, `1.5 s`, `250 ms`.
fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlimited_budget_only_stops_when_cancelled() {
        let budget = Budget::unlimited();
        assert_eq!(budget.check(), Ok(()));
        assert_eq!(budget.limit(), None);
        assert_eq!(budget.remaining(), None);
        let canceller = budget.canceller();
        assert!(!canceller.is_cancelled());
        canceller.cancel();
        assert!(canceller.is_cancelled());
        assert_eq!(budget.check(), Err(BudgetExceeded::Cancelled));
        assert_eq!(
            budget.check().map_err(|stop| stop.to_string()),
            Err("verification stopped: the client went away".to_owned())
        );
    }

    #[test]
    fn the_deadline_runs_out() {
        let budget = Budget::new(Duration::from_millis(20));
        assert_eq!(budget.check(), Ok(()));
        assert!(budget.remaining().is_some_and(|left| left > Duration::ZERO));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(
            budget.check(),
            Err(BudgetExceeded::TimeRanOut(Duration::from_millis(20)))
        );
        assert_eq!(budget.remaining(), Some(Duration::ZERO));
        assert_eq!(
            Budget::new(Duration::ZERO)
                .check()
                .map_err(|stop| stop.to_string()),
            Err("verification stopped: its budget of 0 s ran out".to_owned())
        );
        assert_eq!(
            BudgetExceeded::TimeRanOut(Duration::from_secs(5)).to_string(),
            "verification stopped: its budget of 5 s ran out"
        );
        assert_eq!(
            BudgetExceeded::TimeRanOut(Duration::from_millis(1500)).to_string(),
            "verification stopped: its budget of 1.5 s ran out"
        );
        // A restarted budget has time again but shares the flag.
        let restarted = budget.restarted(Duration::from_secs(60));
        assert_eq!(restarted.check(), Ok(()));
        budget.canceller().cancel();
        assert_eq!(restarted.check(), Err(BudgetExceeded::Cancelled));
    }

    #[test]
    fn a_huge_limit_is_no_limit() {
        let budget = Budget::new(Duration::MAX);
        assert_eq!(budget.check(), Ok(()));
        assert_eq!(budget.limit(), None);
    }

    #[test]
    fn clones_share_the_flag_across_threads() {
        let budget = Budget::new(Duration::from_secs(60));
        let worker = budget.clone();
        let canceller = budget.canceller();
        let handle = std::thread::spawn(move || {
            let mut rounds = 0u64;
            while worker.check().is_ok() {
                rounds += 1;
                std::thread::yield_now();
            }
            (rounds, worker.check())
        });
        std::thread::sleep(Duration::from_millis(10));
        canceller.cancel();
        let (_, stop) = handle.join().expect("the worker ends");
        assert_eq!(stop, Err(BudgetExceeded::Cancelled));
    }

    #[test]
    fn the_guard_cancels_on_drop_unless_disarmed() {
        let budget = Budget::unlimited();
        let guard = budget.canceller().cancel_on_drop();
        assert_eq!(budget.check(), Ok(()));
        guard.disarm();
        assert_eq!(budget.check(), Ok(()));
        {
            let _guard = budget.canceller().cancel_on_drop();
        }
        assert_eq!(budget.check(), Err(BudgetExceeded::Cancelled));
    }
}
