//! The report service's PostgreSQL becomes unreachable: it answers 503 problem+json (at once,
//! once its circuit breaker is open), reports itself not ready, keeps nothing of the refused
//! requests, and recovers without a restart.

use std::time::{Duration, Instant};

use motcua_reports::config::Secret;
use motcua_tests::proxy::{assert_unavailable, TcpProxy};
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::requests::letterhead;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_survive_a_database_outage() {
    let results = TestApp::start(Backend::Postgres).await;
    let district = results.seed_viet_yen().district.id.0;
    let key = results.key("auditor", None, &[]).await;
    let base = results.base_url.clone();
    let mut proxy = None;
    let reports = ReportsApp::start(Backend::Postgres, |config| {
        let through = TcpProxy::in_front_of(&config.database_url);
        config.database_url = through.url_through(&config.database_url);
        config.results_url = Some(base);
        config.results_api_key = Some(Secret::new(key));
        proxy = Some(through);
    })
    .await;
    let proxy = proxy.unwrap();
    let admin = reports.admin_key.clone();
    let draft = json!({
        "kind": "form_06", "unit_id": district, "periods": ["2024-Q1"],
        "letterhead": letterhead(),
    });
    let (status, created) = reports
        .call(Method::POST, "/reports", &admin, Some(&draft))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let reports_before = reports.count_rows("reports");

    proxy.cut();
    let (status, problem) = reports
        .call(Method::GET, "/health/ready", &admin, None)
        .await;
    assert_unavailable(status, &problem, "readiness while the database is down");
    let (status, _) = reports
        .call(Method::GET, "/health/live", &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK, "the process itself is alive");
    let (status, problem) = reports
        .call(Method::POST, "/reports", &admin, Some(&draft))
        .await;
    assert_unavailable(status, &problem, "a new draft while the database is down");
    // Reads that touch nothing but the database: the breaker answers them at once (a new draft
    // also reads the results service first, which takes its own time).
    for _ in 0..5 {
        let started = Instant::now();
        let (status, problem) = reports.call(Method::GET, "/reports", &admin, None).await;
        assert_unavailable(status, &problem, "the list while the database is down");
        let (status, problem) = reports
            .call(Method::GET, "/health/ready", &admin, None)
            .await;
        assert_unavailable(status, &problem, "readiness while the database is down");
        assert!(
            started.elapsed() < Duration::from_millis(400),
            "two answers during the outage took {:?}: the breaker answers at once",
            started.elapsed()
        );
    }

    proxy.restore();
    let started = Instant::now();
    while reports
        .call(Method::GET, "/health/ready", &admin, None)
        .await
        .0
        != StatusCode::OK
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not ready a minute after the database returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        reports.count_rows("reports"),
        reports_before,
        "the draft refused during the outage was not kept"
    );
    let (status, created) = reports
        .call(Method::POST, "/reports", &admin, Some(&draft))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the same process serves again: {created}"
    );
    let (status, listed) = reports.call(Method::GET, "/reports", &admin, None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
}
