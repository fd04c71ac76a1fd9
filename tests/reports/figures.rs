//! The figures of a one-stop report as the seed report has them: rates by level computed from
//! the records with the requests they came from, figures from outside kept apart with their
//! source, desk staff without the committee's leaders, the subsections of section 2, the
//! appendix's footnotes and the names of townships.

use motcua_reports::config::Secret;
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::requests::letterhead;

motcua_tests::with_each_backend!(
    external_figures_are_refused_by_field_and_change_nothing,
    the_document_prints_the_records_and_the_outside_figures_apart,
);

const PORTAL: &str = "Cổng Dịch vụ công quốc gia";

fn portal_2023() -> Value {
    json!({
        "label": "tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC", "period": "2023",
        "value": 92.7, "unit": "percent", "source": PORTAL, "as_of": "2024-01-15"
    })
}

/// The seed district with thirty dossiers of January 2024 at its desk, and a report service.
async fn district_with_dossiers(backend: Backend) -> (TestApp, ReportsApp, i64) {
    let results = TestApp::start(backend).await;
    let seeded = results.seed_viet_yen_with_dossiers();
    let key = results.key("auditor", None, &[]).await;
    let base = results.base_url.clone();
    let reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(base);
        config.results_api_key = Some(Secret::new(key));
    })
    .await;
    (results, reports, seeded.district.id.0)
}

async fn external_figures_are_refused_by_field_and_change_nothing(backend: Backend) {
    let (_results, reports, district) = district_with_dossiers(backend).await;
    let admin = reports.admin_key.clone();
    let mut wrong = portal_2023();
    wrong["source"] = json!(" ");
    wrong["value"] = json!(120);
    let mut early = portal_2023();
    early["as_of"] = json!("2022-12-31");
    let body = json!({
        "kind": "one_stop_activity", "unit_id": district, "periods": ["2024-Q1"],
        "letterhead": letterhead(), "external_figures": [portal_2023(), wrong, early],
    });
    let (status, problem) = reports
        .call(Method::POST, "/reports", &admin, Some(&body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let names: Vec<&str> = problem["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "external_figures[1].source",
            "external_figures[1].value",
            "external_figures[2].as_of"
        ],
        "{problem}"
    );
    let (_, listed) = reports.call(Method::GET, "/reports", &admin, None).await;
    assert_eq!(listed["items"], json!([]), "nothing was created");

    let mut unknown = portal_2023();
    unknown["unit"] = json!("per_mille");
    let body = json!({
        "kind": "one_stop_activity", "unit_id": district, "periods": ["2024-Q1"],
        "letterhead": letterhead(), "external_figures": [unknown],
    });
    let (status, problem) = reports
        .call(Method::POST, "/reports", &admin, Some(&body))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem.to_string().contains("external_figures[0].unit"),
        "{problem}"
    );
}

fn member<'a>(figures: &'a Value, name: &str) -> &'a Value {
    figures["provenance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["figures"] == name)
        .unwrap_or_else(|| panic!("no provenance of {name}: {}", figures["provenance"]))
}

fn indicator<'a>(indicators: &'a Value, key: &str) -> &'a Value {
    indicators["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap()
}

/// The text of a PDF, lines joined by spaces; `None` when pdftotext is missing outside CI.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext failed");
            let text = String::from_utf8(out.stdout).unwrap();
            Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Err(_) if std::env::var_os("CI").is_none() => None,
        Err(e) => panic!("pdftotext is needed in CI: {e}"),
    }
}

/// An attachment of a PDF by file name, read with qpdf; `None` when qpdf is missing outside CI.
fn attachment(pdf: &[u8], name: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let qpdf = |args: &[&str]| {
        std::process::Command::new("qpdf")
            .args(args)
            .arg(&path)
            .output()
    };
    let listed = match qpdf(&["--list-attachments"]) {
        Ok(out) => String::from_utf8(out.stdout).unwrap(),
        Err(_) if std::env::var_os("CI").is_none() => return None,
        Err(e) => panic!("qpdf is needed in CI: {e}"),
    };
    // Lines read "<name-tree key> -> <object>"; the key ends with the file name.
    let key = listed
        .lines()
        .filter_map(|line| line.split(" -> ").next())
        .find(|key| key.ends_with(name))
        .unwrap_or_else(|| panic!("no attachment {name} in:\n{listed}"));
    let out = qpdf(&[&format!("--show-attachment={key}")]).unwrap();
    assert!(out.status.success(), "cannot read {key}");
    Some(out.stdout)
}

async fn the_document_prints_the_records_and_the_outside_figures_apart(backend: Backend) {
    let (results, reports, district) = district_with_dossiers(backend).await;
    let admin = reports.admin_key.clone();
    let body = json!({
        "kind": "one_stop_activity", "unit_id": district, "periods": ["2024-Q1"],
        "letterhead": letterhead(),
        "texts": {
            "organisation": "Bộ phận Một cửa thực hiện theo Nghị định số 61/2018/NĐ-CP.",
            "operation_effectiveness": "Không có tình trạng nhũng nhiễu, tiêu cực.",
            "operation_difficulties": "Một số lĩnh vực thường xuyên thay đổi quy định."
        },
        "external_figures": [portal_2023()],
    });
    let created = reports
        .ok(Method::POST, "/reports", &admin, Some(&body))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();

    // The figures are the records' only, each saying which requests it was computed from.
    let figures = reports
        .ok(Method::GET, &format!("/reports/{id}/figures"), &admin, None)
        .await;
    assert!(
        !figures.to_string().contains(PORTAL),
        "outside figures are not mixed with the computed ones"
    );
    let q1 = "2024-Q1";
    let (_, indicators) = results
        .get(&format!(
            "/statistics/indicators?unit={district}&period={q1}"
        ))
        .await;
    let district_rates = figures["level_rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == q1 && r["level"] == "district")
        .unwrap();
    // Every dossier is at the district's desk: the district level's rates are the subtree's.
    for (member, key) in [
        ("electronic_result", "electronic_result_rate"),
        ("digitised_result", "result_digitisation_rate"),
        ("reuse", "reuse_rate"),
        ("digitisation", "digitisation_rate"),
    ] {
        let expected = indicator(&indicators, key);
        let rate = &district_rates[member];
        assert_eq!(
            (&rate["numerator"], &rate["denominator"]),
            (&expected["numerator"], &expected["denominator"]),
            "{member}: {district_rates}"
        );
        assert_eq!(rate["percent"], expected["rate_percent"], "{member}");
    }
    assert!(
        district_rates["electronic_result"]["numerator"]
            .as_i64()
            .unwrap()
            > 0
    );
    let level_rates = member(&figures, "level_rates");
    assert_eq!(level_rates["origin"], "computed_from_records");
    assert!(level_rates["requests"]
        .as_array()
        .unwrap()
        .contains(&json!(format!(
            "/statistics/indicators?unit={district}&period={q1}"
        ))));
    assert_eq!(
        member(&figures, "staffing")["requests"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        &json!(format!("/units/{district}/staffing"))
    );
    // When each request was answered is in the version's sources.
    let (_, versions) = reports
        .call(
            Method::GET,
            &format!("/reports/{id}/versions"),
            &admin,
            None,
        )
        .await;
    let sources = versions[0]["sources"].as_array().unwrap();
    for request in level_rates["requests"].as_array().unwrap() {
        let source = sources.iter().find(|s| &s["path"] == request).unwrap();
        assert!(source["fetched_at"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(versions[0]["external_figures"], json!([portal_2023()]));

    // Desk staff are the desks' 69 officials, not the leader who sits at the district.
    assert_eq!(
        figures["certificates"]["desk_staff"],
        json!({"covered": 0, "total": 69, "percent": 0.0})
    );
    assert_eq!(figures["certificates"]["officials"]["total"], 70);
    let rows = figures["staffing"]["rows"].as_array().unwrap();
    let nenh = rows
        .iter()
        .find(|r| r["unit_name"] == "UBND thị trấn Nếnh")
        .unwrap();
    assert_eq!(nenh["unit_kind"], "thi_tran");
    let desk = rows.iter().find(|r| r["agency_sent"] == 10).unwrap();
    let sent: i64 = desk["by_agency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["count"].as_i64().unwrap())
        .sum();
    assert_eq!(sent, 10, "{desk}");
    assert_eq!(
        desk["own_by_title"],
        json!([
            {"title": "Phó Chánh Văn phòng HĐND và UBND thị xã, Trưởng Bộ phận", "count": 1},
            {"title": "Cán bộ Văn phòng phụ trách Bộ phận Một cửa", "count": 1}
        ])
    );

    // The document: made ready for the leader's signature.
    let (_, officials) = results
        .get(&format!("/officials?under={district}&limit=500"))
        .await;
    let leader = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["full_name"] == "Thân Văn Thuận")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    reports
        .store_organisation_key(district, "UBND THỊ XÃ VIỆT YÊN")
        .await;
    let ready = json!({"signatory_official_id": leader});
    reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/ready"),
            &admin,
            Some(&ready),
        )
        .await;
    let pdf = reports
        .client
        .get(reports.url(&format!("/reports/{id}/document")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    if let Some(text) = pdf_text(&pdf) {
        let electronic = &district_rates["electronic_result"];
        let printed_rate = motcua_core::percent::written(
            electronic["numerator"].as_i64().unwrap(),
            electronic["denominator"].as_i64().unwrap(),
        );
        for expected in [
            "Theo số liệu của Cổng Dịch vụ công quốc gia (ngày 15/01/2024), năm 2023 tỷ lệ số \
             hóa hồ sơ, kết quả giải quyết TTHC đạt: 92,7 %.",
            "Quý I/2024 (tính từ hồ sơ trên hệ thống): cấp huyện: tỷ lệ hồ sơ cấp kết quả điện \
             tử",
            &format!("tỷ lệ hồ sơ cấp kết quả điện tử {printed_rate}"),
            "tỷ lệ khai thác, sử dụng lại tài liệu số hóa",
            "0/69 công chức Một cửa (0,00 %)",
            "a) Tình hình, tổ chức thực hiện",
            "b) Hiệu quả trong tổ chức vận hành Bộ phận Một cửa",
            "Không có tình trạng nhũng nhiễu, tiêu cực.",
            "c) Những khó khăn, bất cập trong tổ chức vận hành mô hình Bộ phận Một cửa",
            "Một số lĩnh vực thường xuyên thay đổi quy định.",
            "16 xã, 1 thị trấn và 1 Bộ phận Một cửa cấp huyện",
            "UBND thị trấn Nếnh 3",
            // The own-staff note comes before the agency note of the same row.
            "12 02 ¹ 10 ²",
            "¹ Gồm 01 Phó Chánh Văn phòng HĐND và UBND thị xã, Trưởng Bộ phận và 01 Cán bộ Văn \
             phòng phụ trách Bộ phận Một cửa.",
            "² Bộ phận Một cửa thị xã Việt Yên: gồm",
            "03 Bưu điện",
        ] {
            assert!(
                text.contains(expected),
                "the document lacks {expected:?}:\n{text}"
            );
        }
    }
    if let Some(attached) = attachment(&pdf, "sources.json") {
        // The signed PDF carries when each request of the figures was answered.
        let attached: Value = serde_json::from_slice(&attached).unwrap();
        assert_eq!(&attached, &versions[0]["sources"]);
    }
    if let Some(attached) = attachment(&pdf, "external-figures.json") {
        let attached: Value = serde_json::from_slice(&attached).unwrap();
        assert_eq!(attached["schema"], "motcua.report-external-figures/1");
        assert_eq!(attached["figures"][0]["origin"], "external");
        assert_eq!(attached["figures"][0]["source"], PORTAL);
        assert_eq!(attached["figures"][0]["value"], 92.7);
    }
}
