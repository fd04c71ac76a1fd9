//! The committed OpenAPI document equals what the code generates, and the service serves it.

use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;

const COMMITTED: &str = include_str!("../../api-spec/results.openapi.json");

#[test]
fn committed_document_matches_the_code() {
    let generated = motcua_web::openapi::document_json(
        motcua_results::openapi::base(),
        motcua_results::routes::configure,
    );
    if generated != COMMITTED {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../api-spec/results.openapi.json"
        );
        if std::env::var_os("MOTCUA_UPDATE_SPEC").is_some() {
            std::fs::write(path, &generated).unwrap();
            return;
        }
        panic!(
            "api-spec/results.openapi.json is out of date with the code.\n\
             Regenerate it with `cargo run --bin motcua -- openapi` (or MOTCUA_UPDATE_SPEC=1 cargo test) and review the diff."
        );
    }
}

#[test]
fn every_operation_is_documented_with_its_errors() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 13, "{:?}", paths.keys());
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                !operation["summary"].as_str().unwrap_or("").is_empty(),
                "{method} {path} has a summary"
            );
            if !path.starts_with("/health") && path != "/metrics" {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
                assert!(
                    responses.contains_key("403"),
                    "{method} {path} documents 403"
                );
            }
        }
    }
}

on_both_backends!(document_and_docs_are_served);

async fn document_and_docs_are_served(app: TestApp) {
    let served = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let served: serde_json::Value = served.json().await.unwrap();
    let committed: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(served, committed);

    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger"), "Swagger UI page");
    assert!(!html.contains("cdn"), "no assets from a CDN");
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bundle.status(),
        StatusCode::OK,
        "Swagger UI assets are vendored"
    );

    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = redirect.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);

    let (status, ready) = app
        .call(reqwest::Method::GET, "/health/ready", None, None)
        .await;
    assert_eq!(
        (status, ready["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, _) = app
        .call(reqwest::Method::GET, "/health/live", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}
