//! Expired `Idempotency-Key` records are purged on a schedule, not only when another idempotent
//! request comes.

use std::time::{Duration, Instant};

use chrono::Duration as Age;
use motcua_tests::{with_each_backend, Backend, ReportsApp};

with_each_backend!(expired_keys_are_purged_on_a_schedule);

async fn expired_keys_are_purged_on_a_schedule(backend: Backend) {
    let mut reports = ReportsApp::start(backend, |_| {}).await;
    {
        let mut conn = reports.pool.get().unwrap();
        let now = motcua_db::now();
        motcua_db::idempotency::claim(&mut conn, "scope", "expired", "f", now - Age::hours(25))
            .unwrap();
        motcua_db::idempotency::claim(&mut conn, "scope", "fresh", "f", now - Age::hours(23))
            .unwrap();
    }
    assert_eq!(reports.count_rows("idempotency_keys"), 2);
    // The purge runs when the service starts and then every hour; no request is needed.
    reports.restart().await;
    let started = Instant::now();
    while reports.count_rows("idempotency_keys") != 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the expired key was not purged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        reports.count_rows("idempotency_keys WHERE key = 'fresh'"),
        1,
        "a key of the last day is kept"
    );
}
