//! What operators rely on, on both services: Prometheus metrics per route and status, and the
//! request id in the response header and in every problem document.

use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::StatusCode;

fn metric_line<'a>(text: &'a str, name: &str, labels: &[&str]) -> Option<&'a str> {
    text.lines()
        .find(|line| line.starts_with(name) && labels.iter().all(|label| line.contains(label)))
}

async fn scrape(client: &reqwest::Client, base: &str) -> String {
    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    response.text().await.unwrap()
}

/// Requests are counted per route pattern (not per path: ids stay out of the labels), method
/// and status, with their latency; the pool is reported.
async fn counts_requests(client: &reqwest::Client, base: &str, service: &str, key: &str) {
    for _ in 0..3 {
        client
            .get(format!("{base}/health/live"))
            .send()
            .await
            .unwrap();
    }
    let missing = client
        .get(format!("{base}/reports/nope-1"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(missing.status().is_client_error());
    let text = scrape(client, base).await;
    let service = format!("service=\"{service}\"");
    let live = metric_line(
        &text,
        "motcua_http_requests_total",
        &["route=\"/health/live\"", "status=\"200\"", &service],
    )
    .unwrap_or_else(|| panic!("no counter of /health/live in\n{text}"));
    assert!(live.ends_with(" 3"), "{live}");
    assert!(
        metric_line(
            &text,
            "motcua_http_request_duration_seconds_bucket",
            &["route=\"/health/live\""]
        )
        .is_some(),
        "{text}"
    );
    assert!(!text.contains("nope-1"), "paths with ids are not labels");
    assert!(
        metric_line(&text, "motcua_db_pool_connections", &["state=\"idle\""]).is_some(),
        "{text}"
    );
}

/// Every problem carries the request id as its `instance`, the same as the response header; a
/// sane id sent by the caller is kept.
async fn problems_name_the_request(client: &reqwest::Client, base: &str) {
    let response = client
        .get(format!("{base}/no-such-endpoint"))
        .header("X-Request-Id", "trace-42.a_b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-request-id"], "trace-42.a_b");
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["instance"], "urn:motcua:request:trace-42.a_b");

    let response = client
        .get(format!("{base}/api-keys"))
        .header("X-Request-Id", "bad id with spaces and a CCCD 024072001234")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a fresh id replaces an unusable one: {id}");
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["instance"], format!("urn:motcua:request:{id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_service_metrics_and_request_ids() {
    let reports = ReportsApp::start(Backend::Sqlite, |_| {}).await;
    counts_requests(
        &reports.client,
        &reports.base_url,
        "reports",
        &reports.admin_key,
    )
    .await;
    problems_name_the_request(&reports.client, &reports.base_url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_service_metrics_and_request_ids() {
    let results = TestApp::start(Backend::Postgres).await;
    counts_requests(
        &results.client,
        &results.base_url,
        "results",
        &results.admin_key,
    )
    .await;
    problems_name_the_request(&results.client, &results.base_url).await;
}
