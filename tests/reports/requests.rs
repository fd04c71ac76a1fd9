//! Requests to the report service that must be refused, or answered, without the whole journey:
//! bad input names its field and changes nothing; keys reach only what they may.

use motcua_core::access::Role;
use motcua_core::record_ids::UnitId;
use motcua_reports::config::Secret;
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

motcua_tests::with_each_backend!(
    drafts_are_compiled_from_the_results_service_and_versioned,
    bad_requests_name_the_field_and_change_nothing,
    keys_reach_only_their_units,
    a_service_without_receiver_refuses_packages,
    garbage_packages_are_refused_with_the_reason,
    periods_and_bodies_are_read_strictly,
    a_report_that_could_not_be_issued_is_refused_before_anyone_signs,
);

pub(crate) fn letterhead() -> Value {
    json!({
        "issuing_body": "UBND THỊ XÃ VIỆT YÊN",
        "place": "Việt Yên",
        "recipients": ["Văn phòng UBND tỉnh (b/c);", "Lưu: VT."],
        "closing": "UBND thị xã Việt Yên trân trọng báo cáo./."
    })
}

/// A results service with the seed district (units and staff, no dossiers) and a report
/// service reading it, which holds the district's organisation key.
pub(crate) async fn district(backend: Backend) -> (TestApp, ReportsApp, i64) {
    let (results, reports, district) = district_without_key(backend).await;
    reports
        .store_organisation_key(district, "UBND thị xã Việt Yên")
        .await;
    (results, reports, district)
}

/// Like [`district`], without the district's organisation key.
async fn district_without_key(backend: Backend) -> (TestApp, ReportsApp, i64) {
    let results = TestApp::start(backend).await;
    let seeded = results.seed_viet_yen();
    let key = results.key("auditor", None, &[]).await;
    let base = results.base_url.clone();
    let reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(base);
        config.results_api_key = Some(Secret::new(key));
    })
    .await;
    (results, reports, seeded.district.id.0)
}

async fn drafts_are_compiled_from_the_results_service_and_versioned(backend: Backend) {
    let (_results, reports, district) = district(backend).await;
    let admin = reports.admin_key.clone();
    let audited = reports.count_rows("audit_events");
    let body = json!({
        "kind": "form_06", "unit_id": district, "periods": ["2024-Q1"],
        "letterhead": letterhead(),
    });
    let (status, created) = reports
        .call(Method::POST, "/reports", &admin, Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["version"], 1);
    assert_eq!(created["unit_name"], "UBND thị xã Việt Yên");
    let id = created["id"].as_str().unwrap().to_owned();

    // Figures as JSON are the frozen version, with its hash.
    let response = reports
        .client
        .get(reports.url(&format!("/reports/{id}/figures")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(
        motcua_reports::package::sha256_hex(&bytes),
        created["figures_sha256"].as_str().unwrap()
    );
    let figures: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(figures["schema"], "motcua.report-figures/1");
    assert_eq!(figures["staffing"]["rows"].as_array().unwrap().len(), 18);
    let csv = reports
        .client
        .get(reports.url(&format!("/reports/{id}/figures.csv")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().count() > 18 && csv.contains("Thượng Lan"),
        "{csv}"
    );

    // A new version keeps the figures unless recompiled, and is listed with its sources.
    let texts = json!({"texts": {"recommendations": "Đề nghị tăng phụ cấp."}});
    let (status, second) = reports
        .call(
            Method::POST,
            &format!("/reports/{id}/versions"),
            &admin,
            Some(&texts),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["version"], 2);
    assert_eq!(second["figures_sha256"], created["figures_sha256"]);
    let (status, versions) = reports
        .call(
            Method::GET,
            &format!("/reports/{id}/versions"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert!(versions[0]["sources"].as_array().unwrap().len() > 10);
    assert_eq!(
        versions[1]["texts"]["recommendations"],
        "Đề nghị tăng phụ cấp."
    );

    // Not ready yet: no document, and it cannot be issued or signed.
    let (status, _) = reports
        .call(
            Method::GET,
            &format!("/reports/{id}/document"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, refused) = reports
        .call(Method::POST, &format!("/reports/{id}/issue"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    // Compiled, then a new version: two records.
    assert_eq!(reports.count_rows("audit_events"), audited + 2);
}

async fn bad_requests_name_the_field_and_change_nothing(backend: Backend) {
    let (_results, reports, district) = district(backend).await;
    let admin = reports.admin_key.clone();
    let audited = reports.count_rows("audit_events");
    let cases = [
        (
            json!({"kind": "form_06", "unit_id": district, "periods": ["2024-Q5"], "letterhead": letterhead()}),
            "periods[0]",
        ),
        (
            json!({"kind": "form_06", "unit_id": district, "periods": [], "letterhead": letterhead()}),
            "periods",
        ),
        (
            json!({"kind": "form_06", "unit_id": district, "periods": ["2023", "2023"], "letterhead": letterhead()}),
            "periods[1]",
        ),
        (
            json!({"kind": "báo_cáo", "unit_id": district, "periods": ["2023"], "letterhead": letterhead()}),
            "kind",
        ),
        (
            json!({"kind": "form_06", "unit_id": district, "periods": ["2023"], "letterhead": letterhead(), "extra": 1}),
            "extra",
        ),
        (
            json!({"kind": "form_06", "unit_id": 999_999, "periods": ["2023"], "letterhead": letterhead()}),
            "unit_id",
        ),
        (
            json!({"kind": "form_06", "unit_id": district, "periods": ["2023"],
                   "letterhead": {"issuing_body": " ", "place": "Việt Yên", "recipients": []}}),
            "letterhead.issuing_body",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = reports
            .call(Method::POST, "/reports", &admin, Some(&body))
            .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{body}: {status} {problem}"
        );
        let names: Vec<&str> = problem["invalid_params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&field), "{body}: {problem}");
    }
    assert_eq!(reports.count_rows("reports"), 0);
    assert_eq!(reports.count_rows("audit_events"), audited);

    let (status, _) = reports
        .call(Method::GET, "/reports/nope/verification", &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn keys_reach_only_their_units(backend: Backend) {
    let (results, reports, district) = district(backend).await;
    let communes: Value = results.get(&format!("/units?under={district}")).await.1;
    let commune = communes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|unit| unit["kind"] == "commune")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let commune_officer = reports.key("xã", Role::Officer, Some(UnitId(commune)), &[]);
    let district_officer = reports.key("thị xã", Role::Officer, Some(UnitId(district)), &[]);
    let auditor = reports.key("thanh tra", Role::Auditor, None, &[]);
    let body = json!({"kind": "form_06", "unit_id": district, "periods": ["2023"], "letterhead": letterhead()});

    let (status, _) = reports
        .call(Method::POST, "/reports", &commune_officer, Some(&body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = reports
        .call(Method::POST, "/reports", &auditor, Some(&body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) = reports
        .call(Method::POST, "/reports", &district_officer, Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();

    // The commune's officer neither sees nor lists the district's report; the auditor does.
    let (status, _) = reports
        .call(
            Method::GET,
            &format!("/reports/{id}"),
            &commune_officer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = reports
        .call(Method::GET, "/reports", &commune_officer, None)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
    let (_, listed) = reports.call(Method::GET, "/reports", &auditor, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let (status, _) = reports
        .call(
            Method::POST,
            &format!("/reports/{id}/versions"),
            &auditor,
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = reports
        .client
        .get(reports.url("/reports"))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Keys of the report service come only from its admins.
    let (status, _) = reports
        .call(
            Method::POST,
            "/organisation-keys",
            &district_officer,
            Some(&json!({"unit_id": district, "pkcs12_base64": "AA==", "password": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

fn package(pdf_base64: &str) -> Value {
    json!({
        "report_id": "0193c2d6-0000-7000-8000-000000000001",
        "kind": "one_stop_activity",
        "periods": ["2023"],
        "sender": {"unit_id": 2, "name": "UBND thị xã Việt Yên", "level": "district"},
        "number_text": "05/BC-UBND",
        "issued_at": "2024-04-05T03:00:00Z",
        "figures_sha256": "00",
        "pdf_base64": pdf_base64,
    })
}

async fn a_service_without_receiver_refuses_packages(backend: Backend) {
    let reports = ReportsApp::start(backend, |_| {}).await;
    let sender = reports.key("huyện", Role::Integration, None, &["submissions:write"]);
    let (status, problem) = reports
        .call(Method::POST, "/inbox", &sender, Some(&package("JVBERi0=")))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    // An officer key cannot deliver packages.
    let officer = reports.key("cán bộ", Role::Officer, Some(UnitId(2)), &[]);
    let (status, _) = reports
        .call(Method::POST, "/inbox", &officer, Some(&package("JVBERi0=")))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn garbage_packages_are_refused_with_the_reason(backend: Backend) {
    let reports = ReportsApp::start(backend, |config| {
        config.receiver_unit_id = Some(UnitId(1));
    })
    .await;
    let sender = reports.key(
        "huyện",
        Role::Integration,
        Some(UnitId(2)),
        &["submissions:write"],
    );
    for (pdf, check) in [
        ("%%%", "pdf_base64"),
        ("JVBERi0xLjcKJSVFT0YK", "pdf_base64"),
    ] {
        let (status, problem) = reports
            .call(Method::POST, "/inbox", &sender, Some(&package(pdf)))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["verification"]["valid"], false, "{problem}");
        assert_eq!(
            problem["verification"]["findings"][0]["check"], check,
            "{problem}"
        );
    }
    // A key bound to another unit cannot send for this one.
    let other = reports.key(
        "xã",
        Role::Integration,
        Some(UnitId(3)),
        &["submissions:write"],
    );
    let (status, _) = reports
        .call(Method::POST, "/inbox", &other, Some(&package("JVBERi0=")))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = reports
        .call(
            Method::POST,
            "/inbox",
            &sender,
            Some(&json!({"report_id": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(reports.count_rows("received_reports"), 0);
}

motcua_tests::with_each_backend!(the_workflow_refuses_steps_out_of_order);

async fn the_workflow_refuses_steps_out_of_order(backend: Backend) {
    let (results, reports, district) = district(backend).await;
    let admin = reports.admin_key.clone();
    let (_, officials) = results
        .get(&format!("/officials?under={district}&limit=200"))
        .await;
    let officials = officials["items"].as_array().unwrap().clone();
    let leader = officials
        .iter()
        .find(|o| o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let clerk = officials
        .iter()
        .find(|o| !o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let body = json!({"kind": "indicators", "unit_id": district, "periods": ["2023"], "letterhead": letterhead()});
    let (_, created) = reports
        .call(Method::POST, "/reports", &admin, Some(&body))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = |step: &str| format!("/reports/{id}/{step}");

    // Not a leader: refused, naming the field.
    let (status, problem) = reports
        .call(
            Method::POST,
            &path("ready"),
            &admin,
            Some(&json!({"signatory_official_id": clerk})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["invalid_params"][0]["name"],
        "signatory_official_id"
    );
    // Signing or issuing a draft is out of order.
    let (status, _) = reports
        .call(Method::POST, &path("submission"), &admin, None)
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "nothing to submit without a receiver"
    );
    for step in ["leader-signing-sessions", "issue"] {
        let (status, problem) = reports.call(Method::POST, &path(step), &admin, None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{step}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("draft"),
            "{problem}"
        );
    }

    let (status, ready) = reports
        .call(
            Method::POST,
            &path("ready"),
            &admin,
            Some(&json!({"signatory_official_id": leader})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["status"], "ready_for_signature");
    let pdf = reports
        .client
        .get(reports.url(&path("document")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The texts are frozen now, and the leader has no certificate in the results service.
    let (status, _) = reports
        .call(Method::POST, &path("versions"), &admin, Some(&json!({})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, problem) = reports
        .call(Method::POST, &path("leader-signing-sessions"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("certificate"),
        "{problem}"
    );

    // Back to draft only with a reason; the rendered document goes.
    let (status, problem) = reports
        .call(
            Method::POST,
            &path("return"),
            &admin,
            Some(&json!({"reason": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, back) = reports
        .call(
            Method::POST,
            &path("return"),
            &admin,
            Some(&json!({"reason": "Bổ sung số liệu quý I."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["status"], "draft");
    let (status, _) = reports
        .call(Method::GET, &path("document"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(reports.count_rows("report_documents"), 0);
}

/// The report service checks periods as the results service does (years 1900 to 2199, strict
/// forms): 422 in a body, 400 in a query. A request the results service refuses as malformed is
/// passed on as the same 4xx at once, never retried into a 502. A duplicate JSON key is 400.
async fn periods_and_bodies_are_read_strictly(backend: Backend) {
    let (_results, reports, district) = district(backend).await;
    let admin = reports.admin_key.clone();
    let audited = reports.count_rows("audit_events");
    for period in [
        "99999",
        "12345-06",
        "-5000-01-01..2024-01-01",
        "+2024",
        "2200-Q1",
    ] {
        let body = json!({"kind": "form_06", "unit_id": district, "periods": [period], "letterhead": letterhead()});
        let (status, problem) = reports
            .call(Method::POST, "/reports", &admin, Some(&body))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{period}: {problem}"
        );
        assert_eq!(
            problem["invalid_params"][0]["name"], "periods[0]",
            "{problem}"
        );
        let encoded = period.replace('+', "%2B");
        for (path, name) in [
            (format!("/rollup?period={encoded}"), "period"),
            (format!("/inbox?periods=2023%20{encoded}"), "periods"),
        ] {
            let (status, problem) = reports.call(Method::GET, &path, &admin, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
            assert_eq!(problem["invalid_params"][0]["name"], name, "{problem}");
        }
    }

    // An id the results service cannot read names no unit, like an unknown one.
    let body = json!({"kind": "form_06", "unit_id": -4, "periods": ["2024-Q1"], "letterhead": letterhead()});
    let (status, problem) = reports
        .call(Method::POST, "/reports", &admin, Some(&body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "unit_id", "{problem}");

    let duplicate = format!(
        r#"{{"kind": "form_06", "unit_id": {district}, "periods": ["2024-Q1"], "letterhead": {}, "periods": ["2023"]}}"#,
        letterhead()
    );
    let response = reports
        .client
        .post(reports.url("/reports"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(duplicate)
        .send()
        .await
        .unwrap();
    let (status, problem) = motcua_tests::read(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "periods", "{problem}");

    assert_eq!(reports.count_rows("reports"), 0);
    assert_eq!(reports.count_rows("audit_events"), audited);
}

motcua_tests::with_each_backend!(refusals_of_the_results_service_are_passed_on);

/// A request the results service refuses as malformed (400) or invalid (422) is this request's
/// fault: the same status with what it named, at once and once (no retries), never a 502. The
/// results service is played by a stub that refuses everything.
async fn refusals_of_the_results_service_are_passed_on(backend: Backend) {
    for (status_line, expected) in [
        ("400 Bad Request", StatusCode::BAD_REQUEST),
        ("422 Unprocessable Entity", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (base, requests) = refusing_stub(status_line).await;
        let reports = ReportsApp::start(backend, move |config| {
            config.results_url = Some(base);
            config.results_api_key = Some(Secret::new("mc_stub".to_owned()));
        })
        .await;
        let body = json!({"kind": "form_06", "unit_id": 4, "periods": ["2024-Q1"], "letterhead": letterhead()});
        let (status, problem) = reports
            .call(Method::POST, "/reports", &reports.admin_key, Some(&body))
            .await;
        assert_eq!(status, expected, "{problem}");
        assert_eq!(problem["invalid_params"][0]["name"], "period", "{problem}");
        assert_eq!(
            requests.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "asked once, not retried"
        );
        assert_eq!(reports.count_rows("reports"), 0);
    }
}

/// An HTTP server answering every request with `status_line` and a problem naming `period`;
/// its base URL and the number of requests it answered, reads of its trust store left out.
async fn refusing_stub(
    status_line: &'static str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = vec![0_u8; 16 * 1024];
            let read = stream.read(&mut head).await.unwrap_or(0);
            // The report service also reads the trust store at start: not a figure request.
            if !head[..read].starts_with(b"GET /trust-store") {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            let problem = r#"{"type":"/problems/bad-request","title":"x","status":400,"detail":"bad period","invalid_params":[{"name":"period","reason":"out of range"}]}"#;
            let answer = format!(
                "HTTP/1.1 {status_line}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{problem}",
                problem.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (base, requests)
}

/// Issuing needs the unit's organisation key and the key-store password: without them the
/// report is refused when it is made ready and when the leader's session opens (409), not at
/// issue after the leader signed.
async fn a_report_that_could_not_be_issued_is_refused_before_anyone_signs(backend: Backend) {
    let (results, mut reports, district) = district_without_key(backend).await;
    let admin = reports.admin_key.clone();
    let (_, officials) = results
        .get(&format!("/officials?unit={district}&limit=200"))
        .await;
    let leader = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let body = json!({"kind": "indicators", "unit_id": district, "periods": ["2023"], "letterhead": letterhead()});
    let created = reports
        .ok(Method::POST, "/reports", &admin, Some(&body))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let ready = json!({"signatory_official_id": leader});

    let (status, problem) = reports
        .call(
            Method::POST,
            &format!("/reports/{id}/ready"),
            &admin,
            Some(&ready),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("no organisation key is stored for unit"),
        "{problem}"
    );
    let report = reports
        .ok(Method::GET, &format!("/reports/{id}"), &admin, None)
        .await;
    assert_eq!(report["status"], "draft");

    reports
        .store_organisation_key(district, "UBND thị xã Việt Yên")
        .await;
    let made_ready = reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/ready"),
            &admin,
            Some(&ready),
        )
        .await;
    assert_eq!(made_ready["status"], "ready_for_signature");

    // The key-store password went missing since: the leader's session is refused.
    reports
        .restart_with(|config| config.keystore_password = None)
        .await;
    let (status, problem) = reports
        .call(
            Method::POST,
            &format!("/reports/{id}/leader-signing-sessions"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("MOTCUA_KEYSTORE_PASSWORD"),
        "{problem}"
    );
    assert_eq!(reports.count_rows("report_signing_sessions"), 0);
}
