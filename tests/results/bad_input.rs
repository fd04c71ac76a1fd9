//! Bad input gets a problem document naming the field, never a 500, and changes nothing.

use motcua_tests::{on_both_backends, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    malformed_and_mistyped_bodies,
    unknown_routes_and_bad_paths,
    control_characters_in_queries_and_paths
);

async fn send_raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, serde_json::Value, String) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.admin_key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let (status, value) = motcua_tests::read(response).await;
    (status, value, content_type)
}

async fn malformed_and_mistyped_bodies(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let units_before = app.count_rows("units");
    let officials_before = app.count_rows("officials");
    let audit_before = app.count_rows("audit_events");

    let (status, problem, content_type) =
        send_raw(&app, "/units", "application/json", b"{\"code\": ".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["type"], "/problems/bad-request");

    let unknown = json!({"code": "000.70.24.H05", "name": "X", "kind": "commune", "valid_from": "2024-01-01", "colour": "red"});
    let (status, problem) = app.post("/units", &unknown).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["invalid_params"][0]["name"], "colour");

    let wrong_type = json!({"code": "000.70.24.H05", "name": "X", "kind": "commune", "valid_from": "2024-01-01", "parent_id": "two"});
    let (status, problem) = app.post("/units", &wrong_type).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["invalid_params"][0]["name"], "parent_id");

    let bad_enum = json!({"code": "000.70.24.H05", "name": "X", "kind": "village", "valid_from": "2024-01-01"});
    let (status, problem) = app.post("/units", &bad_enum).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["invalid_params"][0]["name"], "kind");

    let bad_date = json!({"code": "000.70.24.H05", "name": "X", "kind": "commune", "valid_from": "2024-02-30"});
    let (status, problem) = app.post("/units", &bad_date).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["invalid_params"][0]["name"], "valid_from");

    let nested = json!({"code": "1.000002", "name": "T", "field": "F", "levels": ["commune"], "processing_days": 1, "online_level": "none", "decision": {"number": "1", "date": "yesterday"}});
    let (status, problem) = app.post("/procedures", &nested).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem["invalid_params"][0]["name"], "decision.date",
        "nested fields are named by path"
    );

    let negative = json!({"code": "1.000002", "name": "T", "field": "F", "levels": ["commune"], "processing_days": -1, "online_level": "none", "decision": {"number": "1", "date": "2024-01-01"}});
    let (status, problem) = app.post("/procedures", &negative).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["invalid_params"][0]["name"], "processing_days");

    let (status, problem, _) = send_raw(&app, "/units", "text/plain", b"hello".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");

    let huge_name = "Ư".repeat(40_000);
    let oversize = json!({"full_name": huge_name, "personal_id": "024190000123", "unit_id": seeded.district_desk.id, "role": "reception", "staffing": "own_staff"});
    let (status, problem) = app.post("/officials", &oversize).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(problem["type"], "/problems/payload-too-large");

    let (status, _, _) = send_raw(&app, "/units", "application/json", vec![0xff, 0xfe, 0x00]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "bytes that are not UTF-8");

    assert_eq!(app.count_rows("units"), units_before);
    assert_eq!(app.count_rows("officials"), officials_before);
    assert_eq!(
        app.count_rows("audit_events"),
        audit_before,
        "no change, no audit record"
    );
    if app.backend == Backend::Postgres {
        let (status, _) = app.get("/health/ready").await;
        assert_eq!(status, StatusCode::OK);
    }
}

async fn unknown_routes_and_bad_paths(app: TestApp) {
    let (status, problem) = app.get("/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["type"], "/problems/not-found");
    let (status, problem) = app.get("/units/abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, problem) = app.get("/units?kind=village").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["invalid_params"][0]["name"], "kind");
    let (status, problem) = app.get("/units?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["invalid_params"][0]["name"], "colour");
    let (status, _) = app.get("/units/99999999999999999999").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an id that does not fit 64 bits"
    );
}

/// PostgreSQL stores and compares no text with NUL in it: a query value or a path with a control
/// character is refused like one in a body, naming the parameter or the path.
async fn control_characters_in_queries_and_paths(app: TestApp) {
    for query in [
        "/crls?issuer=CA%00",
        "/units?q=Vi%1B",
        "/dossiers?applicant=%00",
    ] {
        let (status, problem) = app.get(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
        let name = &problem["invalid_params"][0]["name"];
        assert!(
            query.contains(&format!("?{}=", name.as_str().unwrap())),
            "{problem}"
        );
    }
    for path in [
        "/dossiers/H05%00",
        "/verify/dossiers/H05%00",
        "/dossiers/H05%00/result",
    ] {
        let (status, problem) = app.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        assert_eq!(problem["invalid_params"][0]["name"], "path", "{problem}");
    }
}
