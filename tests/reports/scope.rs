//! The receiver's inbox and roll-up are scoped to the key's unit subtree, as `/reports` is; and
//! reports carry an `ETag` that makes their steps conditional with `If-Match`.

use motcua_core::access::Role;
use motcua_core::record_ids::UnitId;
use motcua_core::report::ReportKind;
use motcua_db::reports::{insert_received, ReceivedReport};
use motcua_reports::package::{Receipt, SignedReceipt};
use motcua_tests::{Backend, ReportsApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::requests::{district, letterhead};

motcua_tests::with_each_backend!(
    the_inbox_and_rollup_keep_to_the_key_unit,
    a_stale_etag_cannot_override_a_report_step,
);

/// The figures of a report of `unit` for 2023, compiled by the service from the results service.
async fn figures_of(reports: &ReportsApp, unit: i64) -> String {
    let body = json!({"kind": "one_stop_activity", "unit_id": unit, "periods": ["2023"], "letterhead": letterhead()});
    let created = reports
        .ok(Method::POST, "/reports", &reports.admin_key, Some(&body))
        .await;
    let id = created["id"].as_str().unwrap();
    reports
        .client
        .get(reports.url(&format!("/reports/{id}/figures")))
        .bearer_auth(&reports.admin_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Stores a received report as the inbox would after verifying it (the verification of real
/// packages is tested end to end in `motcua-cli`).
fn receive(reports: &ReportsApp, report_id: &str, figures: String) {
    let parsed: Value = serde_json::from_str(&figures).unwrap();
    let unit = UnitId(parsed["unit"]["id"].as_i64().unwrap());
    let at = chrono::Utc::now();
    let receipt = SignedReceipt {
        receipt: Receipt {
            report_id: report_id.into(),
            sender_unit_id: unit,
            number_text: "01/BC-UBND".into(),
            pdf_sha256: "00".into(),
            figures_sha256: "00".into(),
            received_at: at,
            receiver: "UBND tỉnh".into(),
        },
        receipt_base64: String::new(),
        signature_base64: String::new(),
        signature_level: Default::default(),
        fallback_reason: None,
    };
    let row = ReceivedReport {
        report_id: report_id.into(),
        sender_unit_id: unit,
        sender_unit_name: parsed["unit"]["name"].as_str().unwrap().into(),
        sender_level: parsed["unit"]["level"].as_str().unwrap().into(),
        kind: ReportKind::OneStopActivity,
        periods: "2023".into(),
        number_text: "01/BC-UBND".into(),
        issued_at: at.naive_utc(),
        corrects: None,
        figures,
        figures_sha256: "00".into(),
        pdf: b"%PDF-1.7\n%%EOF\n".to_vec(),
        pdf_sha256: "00".into(),
        verification: json!({"valid": true, "signatures": [], "findings": []}).to_string(),
        receipt: serde_json::to_string(&receipt).unwrap(),
        received_at: at.naive_utc(),
        received_by: None,
    };
    let mut conn = reports.pool.get().unwrap();
    insert_received(&mut conn, &row).unwrap();
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn the_inbox_and_rollup_keep_to_the_key_unit(backend: Backend) {
    let (results, reports, district_id) = district(backend).await;
    let (_, communes) = results
        .get(&format!("/units?parent={district_id}&kind=commune&limit=2"))
        .await;
    let commune = communes["items"][0]["id"].as_i64().unwrap();
    let neighbour = communes["items"][1]["id"].as_i64().unwrap();
    receive(
        &reports,
        "r-district",
        figures_of(&reports, district_id).await,
    );
    receive(&reports, "r-commune", figures_of(&reports, commune).await);
    receive(
        &reports,
        "r-neighbour",
        figures_of(&reports, neighbour).await,
    );

    let admin = reports.admin_key.clone();
    let district_key = reports.key("huyện", Role::Officer, Some(UnitId(district_id)), &[]);
    let commune_key = reports.key("xã", Role::Officer, Some(UnitId(commune)), &[]);
    let reader = reports.key(
        "xã đọc",
        Role::Integration,
        Some(UnitId(commune)),
        &["reports:read"],
    );
    let everything = ["r-commune", "r-district", "r-neighbour"];
    for (key, expected) in [
        (&admin, everything.as_slice()),
        (&district_key, everything.as_slice()),
        (&commune_key, ["r-commune"].as_slice()),
        (&reader, ["r-commune"].as_slice()),
    ] {
        let inbox = reports.ok(Method::GET, "/inbox", key, None).await;
        assert_eq!(ids(&inbox, "report_id"), expected, "{inbox}");
        let rollup = reports
            .ok(Method::GET, "/rollup?period=2023", key, None)
            .await;
        assert_eq!(ids(&rollup["reports"], "report_id"), expected, "{rollup}");
    }

    for path in [
        "/inbox/r-neighbour",
        "/inbox/r-neighbour/document",
        "/inbox/r-neighbour/verification",
        "/inbox/r-district",
    ] {
        for key in [&commune_key, &reader] {
            let (status, problem) = reports.call(Method::GET, path, key, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {problem}");
            assert_eq!(problem["type"], "/problems/forbidden");
        }
    }
    let own = reports
        .ok(Method::GET, "/inbox/r-commune", &commune_key, None)
        .await;
    assert_eq!(own["sender_unit_id"], commune);
    let (status, _) = reports
        .call(Method::GET, "/inbox/r-commune/document", &reader, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = reports
        .call(Method::GET, "/inbox/r-neighbour", &district_key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "a commune below the district");
    let (status, _) = reports
        .call(Method::GET, "/inbox/r-unknown", &commune_key, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Sends a step with `If-Match: if_match` (when given); returns status, `ETag` and body.
async fn step(
    reports: &ReportsApp,
    method: Method,
    path: &str,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Option<String>, Value) {
    let request = reports
        .client
        .request(method, reports.url(path))
        .bearer_auth(&reports.admin_key);
    motcua_tests::send_conditional(request, if_match, body).await
}

async fn read_report(reports: &ReportsApp, path: String) -> (String, Value) {
    let (status, etag, report) = step(reports, Method::GET, &path, None, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    (etag.expect("GET /reports/{id} sends an ETag"), report)
}

async fn a_stale_etag_cannot_override_a_report_step(backend: Backend) {
    let (results, reports, district_id) = district(backend).await;
    let (_, officials) = results
        .get(&format!("/officials?unit={district_id}&limit=200"))
        .await;
    let leader = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let body = json!({"kind": "indicators", "unit_id": district_id, "periods": ["2023"], "letterhead": letterhead()});
    let created = reports
        .ok(Method::POST, "/reports", &reports.admin_key, Some(&body))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = |what: &str| format!("/reports/{id}{what}");
    let read = || read_report(&reports, path(""));

    // Two clients read the same draft; the first makes a new version.
    let (first, _) = read().await;
    let (second, _) = read().await;
    assert_eq!(first, second);
    let texts = json!({"texts": {"recommendations": "Đề nghị tăng phụ cấp."}});
    let (status, after_first, version) = step(
        &reports,
        Method::POST,
        &path("/versions"),
        Some(&first),
        Some(&texts),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    let (current, as_first_left) = read().await;
    assert_eq!(after_first.as_deref(), Some(current.as_str()));
    assert_ne!(current, first, "the ETag changed with the new version");
    assert_eq!(
        as_first_left, version,
        "the answer is the report as a GET shows it"
    );

    // The second, acting on the draft it read, is refused; nothing changes.
    let audited = reports.count_rows("audit_events");
    let ready = json!({"signatory_official_id": leader});
    for (what, body) in [("/versions", &texts), ("/ready", &ready)] {
        let (status, _, problem) = step(
            &reports,
            Method::POST,
            &path(what),
            Some(&second),
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{what}: {problem}");
        assert_eq!(problem["type"], "/problems/precondition-failed");
    }
    assert_eq!(reports.count_rows("audit_events"), audited);
    assert_eq!(reports.count_rows("report_versions"), 2);
    let (still, unchanged) = read().await;
    assert_eq!(
        (still.as_str(), &unchanged),
        (current.as_str(), &as_first_left)
    );

    // With the current tag the step goes through and answers the next tag.
    let (status, made_ready, ready_view) = step(
        &reports,
        Method::POST,
        &path("/ready"),
        Some(&current),
        Some(&ready),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ready_view}");
    assert_eq!(ready_view["status"], "ready_for_signature");
    let made_ready = made_ready.unwrap();
    assert_eq!(read().await.0, made_ready);
    let back = json!({"reason": "Bổ sung số liệu."});
    let (status, _, _) = step(
        &reports,
        Method::POST,
        &path("/return"),
        Some(&current),
        Some(&back),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, returned) = step(
        &reports,
        Method::POST,
        &path("/return"),
        Some("*"),
        Some(&back),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    // Without If-Match, steps behave as before.
    let (status, _, _) = step(
        &reports,
        Method::POST,
        &path("/versions"),
        None,
        Some(&texts),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}
