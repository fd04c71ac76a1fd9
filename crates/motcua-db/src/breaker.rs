//! A circuit breaker in front of the pool. Without it, every request during a database outage
//! waits the pool's whole connect timeout (5 s) before its 503, holding a worker thread. Once a
//! new connection to the database has failed, the breaker is open: requests are refused at once
//! (`Unavailable`), and one background thread tries to connect until the database answers, which
//! closes the breaker again. Nothing else changes: the pool reconnects on its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::r2d2::{HandleError, ManageConnection};

use crate::connection::ConnectionManager;

/// How often the background probe tries the database while the breaker is open.
const PROBE_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct Breaker {
    open: AtomicBool,
    probing: AtomicBool,
    /// Opens its own connections, so that probing needs no pool.
    probe: ConnectionManager,
}

impl Breaker {
    pub fn new(probe: ConnectionManager) -> Arc<Self> {
        Arc::new(Self {
            open: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            probe,
        })
    }

    /// Whether requests are refused without trying the database.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    /// A connection answered: the database is reachable (the probe, still running, ends at its
    /// next round).
    pub fn close(&self) {
        if self.open.swap(false, Ordering::SeqCst) {
            tracing::info!("database reachable again: circuit breaker closed");
        }
    }

    /// A connection could not be made: refuse requests until the probe reaches the database.
    fn trip(self: &Arc<Self>) {
        if !self.open.swap(true, Ordering::SeqCst) {
            tracing::warn!("database unreachable: circuit breaker open, probing in the background");
        }
        if self.probing.swap(true, Ordering::SeqCst) {
            return;
        }
        let breaker = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("db-breaker-probe".into())
            .spawn(move || breaker.probe_until_closed());
        if spawned.is_err() {
            // Without a probe thread the breaker would stay open for ever: stay closed instead.
            self.probing.store(false, Ordering::SeqCst);
            self.open.store(false, Ordering::SeqCst);
        }
    }

    fn probe_until_closed(self: Arc<Self>) {
        loop {
            std::thread::sleep(PROBE_INTERVAL);
            // The pools that used this breaker are gone: nobody is waiting for the answer.
            if Arc::strong_count(&self) == 1 {
                self.probing.store(false, Ordering::SeqCst);
                return;
            }
            let reachable = self
                .probe
                .connect()
                .and_then(|mut conn| self.probe.is_valid(&mut conn))
                .is_ok();
            if reachable {
                // In this order, a failure in between starts a new probe rather than leaving the
                // breaker open with none.
                self.probing.store(false, Ordering::SeqCst);
                self.close();
                return;
            }
        }
    }
}

/// The pool's error handler: a failed connection attempt trips the breaker. (A failed check of
/// an idle connection does not: after a restart of the database the pool replaces stale
/// connections at once.)
#[derive(Debug)]
pub struct TripOnConnectionError(pub Arc<Breaker>);

impl HandleError<diesel::r2d2::Error> for TripOnConnectionError {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        if let diesel::r2d2::Error::ConnectionError(reason) = error {
            tracing::debug!(%reason, "cannot connect to the database");
            self.0.trip();
        }
    }
}
