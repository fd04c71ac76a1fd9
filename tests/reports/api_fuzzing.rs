//! API fuzzing of the report service against its committed OpenAPI document. It compiles from a
//! results service with the seed district and a month of dossiers, receives packages for the
//! province, and holds a draft and a report ready for signature so that reads find something.

use motcua_reports::config::Secret;
use motcua_tests::fuzzing::{fuzz, FuzzTarget, Known};
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

motcua_tests::with_each_backend!(every_answer_conforms_to_the_document);

async fn every_answer_conforms_to_the_document(backend: Backend) {
    let results = TestApp::start(backend).await;
    let seeded = results.seed_viet_yen_with_dossiers();
    let results_key = results.key("auditor", None, &[]).await;
    let results_url = results.base_url.clone();
    let province = seeded.province.id;
    let reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(results_url);
        config.results_api_key = Some(Secret::new(results_key));
        config.receiver_unit_id = Some(province);
    })
    .await;
    let district = seeded.district.id.0;
    let leader = leader_of(&results, district).await;
    reports
        .store_organisation_key(district, &seeded.district.name)
        .await;
    let report_ids = vec![
        draft(&reports, "form_06", district).await,
        ready_for_signature(&reports, district, leader).await,
    ];
    let units = results.listed("/units?limit=500", "id").await;
    let officials = results.listed("/officials?limit=200", "id").await;
    let periods = ["2024", "2024-Q1", "2024-01"].map(Value::from).to_vec();
    let known = [
        Known::on(r"^/reports/\{id\}", "path.id", report_ids),
        Known::everywhere("query.under", units.clone()),
        Known::everywhere("query.period", periods.clone()),
        Known::everywhere("query.periods", periods.clone()),
        Known::everywhere("body.unit_id", units),
        Known::everywhere("body.periods[*]", periods),
        Known::everywhere("body.signatory_official_id", officials),
    ];
    fuzz(FuzzTarget {
        document: "reports.openapi.json",
        base_url: &reports.base_url,
        admin_key: &reports.admin_key,
        known: &known,
    })
    .await;
}

/// The district's chairman or vice-chairman, who may sign its reports.
async fn leader_of(results: &TestApp, district: i64) -> i64 {
    let (_, officials) = results
        .get(&format!("/officials?under={district}&limit=200"))
        .await;
    officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// A report compiled for the first quarter of 2024; returns its id.
async fn draft(reports: &ReportsApp, kind: &str, unit: i64) -> Value {
    let body = json!({
        "kind": kind, "unit_id": unit, "periods": ["2024-Q1"],
        "letterhead": {
            "issuing_body": "UBND THỊ XÃ VIỆT YÊN",
            "place": "Việt Yên",
            "recipients": ["Văn phòng UBND tỉnh (b/c);", "Lưu: VT."],
        },
    });
    let (status, created) = reports
        .call(Method::POST, "/reports", &reports.admin_key, Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].clone()
}

/// A report with its document rendered, waiting for the leader's signature; returns its id.
async fn ready_for_signature(reports: &ReportsApp, unit: i64, leader: i64) -> Value {
    let id = draft(reports, "indicators", unit).await;
    let path = format!("/reports/{}/ready", id.as_str().unwrap());
    let body = json!({"signatory_official_id": leader});
    let (status, ready) = reports
        .call(Method::POST, &path, &reports.admin_key, Some(&body))
        .await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    id
}
