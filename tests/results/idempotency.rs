use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    retried_post_creates_once,
    key_reuse_with_another_body_is_refused,
    concurrent_retries_create_once
);

async fn post_with_key(
    app: &TestApp,
    key: &str,
    body: &serde_json::Value,
) -> (StatusCode, serde_json::Value, bool) {
    let response = app
        .client
        .post(app.url("/units"))
        .bearer_auth(&app.admin_key)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let (status, value) = motcua_tests::read(response).await;
    (status, value, replayed)
}

fn unit() -> serde_json::Value {
    json!({"code": "000.00.24.H05", "name": "UBND thị xã Việt Yên", "kind": "district", "valid_from": "2024-01-01"})
}

async fn retried_post_creates_once(app: TestApp) {
    let (first_status, first, replayed) = post_with_key(&app, "retry-1", &unit()).await;
    assert_eq!(first_status, StatusCode::CREATED);
    assert!(!replayed);
    let (second_status, second, replayed) = post_with_key(&app, "retry-1", &unit()).await;
    assert_eq!(
        second_status,
        StatusCode::CREATED,
        "the first response again, not a 409: {second}"
    );
    assert!(replayed);
    assert_eq!(first, second);
    assert_eq!(app.count_rows("units"), 1);

    let (status, _, _) = post_with_key(&app, "retry-2", &unit()).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a new key is a new request, and the code is taken"
    );
}

async fn key_reuse_with_another_body_is_refused(app: TestApp) {
    post_with_key(&app, "k", &unit()).await;
    let mut other = unit();
    other["code"] = json!("000.00.25.H05");
    let (status, problem, _) = post_with_key(&app, "k", &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "Idempotency-Key");
    assert_eq!(app.count_rows("units"), 1);
}

async fn concurrent_retries_create_once(app: TestApp) {
    let body = unit();
    let attempts = (0..8).map(|_| post_with_key(&app, "burst", &body));
    let results = futures_util::future::join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(s, _, replayed)| *s == StatusCode::CREATED && !replayed)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for (status, _, _) in &results {
        assert!(
            matches!(*status, StatusCode::CREATED | StatusCode::CONFLICT),
            "replayed or still in progress: {status}"
        );
    }
    assert_eq!(app.count_rows("units"), 1);
}
