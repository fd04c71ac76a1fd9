//! A scanned component signed at reception by the receiving official, in two steps: the personal
//! key stays with the official (here a PKCS#12 file standing in for the token, as `motcua sign`
//! uses it).

use chrono::Utc;
use motcua_pki::cms::{Indication, KeySigner, Signer};
use motcua_pki::{IdentifierKind, RevocationPolicy};
use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::json;

use crate::certificates::{base64, officials_under, personal, register, Pki};
use crate::dossiers::{create, dossier, procedure};

on_both_backends!(official_signs_a_scanned_component_in_two_steps);

async fn official_signs_a_scanned_component_in_two_steps(app: TestApp) {
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let seeded = app.seed_viet_yen();
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    let commune = seeded.communes[0].id.0;
    let staff = officials_under(&app, commune).await;
    let (official, colleague) = (&staff[0], &staff[1]);
    let token = pki.person(
        official["full_name"].as_str().unwrap(),
        official["personal_id"].as_str().unwrap(),
    );
    register(&app, &personal(&token, official)).await;
    let p12 = token.pkcs12("mật khẩu", &[]).unwrap();
    let signer = KeySigner::from_pkcs12(&p12, "mật khẩu").unwrap();

    let proc_id = procedure(&app, "1.000400", "Hộ tịch", 3).await;
    let mut body = dossier(commune, proc_id, "direct", "2024-05-06T02:00:00Z");
    body["components"] = json!([{"name": "Tờ khai đăng ký khai sinh"}]);
    let created = create(&app, &body).await;
    assert_eq!(created["digitised"], false);
    let code = created["code"].as_str().unwrap();
    let scan = motcua_pki::testpki::sample_pdf("To khai dang ky khai sinh");
    let path = format!("/dossiers/{code}/components/1/signing-sessions");

    let (status, problem) = app
        .post(
            &path,
            &json!({"official_id": colleague["id"], "pdf_base64": base64(&scan)}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a colleague without a certificate cannot sign: {problem}"
    );
    assert_eq!(problem["invalid_params"][0]["name"], "official_id");
    let (status, problem) = app
        .post(
            &path,
            &json!({"official_id": official["id"], "pdf_base64": base64(b"not a pdf")}),
        )
        .await;
    assert_eq!(
        (status, problem["invalid_params"][0]["name"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("pdf_base64"))
    );

    let (status, session) = app
        .post(
            &path,
            &json!({"official_id": official["id"], "pdf_base64": base64(&scan)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let complete = format!(
        "/signing-sessions/{}/signature",
        session["session_id"].as_str().unwrap()
    );
    let to_be_signed = engine
        .decode(session["to_be_signed_base64"].as_str().unwrap())
        .unwrap();

    // A signature by another key, or over other bytes, is refused and changes nothing.
    let impostor = pki.person("Người Khác", "024190099999");
    let other = KeySigner::from_pkcs12(&impostor.pkcs12("x", &[]).unwrap(), "x").unwrap();
    for wrong in [
        other.sign(&to_be_signed).unwrap(),
        signer.sign(b"other bytes").unwrap(),
    ] {
        let (status, problem) = app
            .post(
                &complete,
                &json!({"signature_base64": engine.encode(wrong)}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["invalid_params"][0]["name"], "signature_base64");
    }
    assert_eq!(app.count_rows("component_files"), 0);

    let signature = signer.sign(&to_be_signed).unwrap();
    let (status, file) = app
        .post(
            &complete,
            &json!({"signature_base64": engine.encode(&signature)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let (status, _) = app
        .post(
            &complete,
            &json!({"signature_base64": engine.encode(&signature)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a session is used once");

    let (_, after) = app.get(&format!("/dossiers/{code}")).await;
    assert_eq!(after["digitised"], true);
    assert_eq!(after["components"][0]["digitisation"], "digitised");

    let response = app
        .client
        .get(app.url(file["download"].as_str().unwrap()))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let signed = response.bytes().await.unwrap().to_vec();
    let store = pki.0.trust_store().unwrap();
    let reports = motcua_pki::pades::verify_pdf(
        &signed,
        &store,
        &[],
        Utc::now(),
        RevocationPolicy::BestEffort,
    )
    .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].report.indication,
        Indication::TotalPassed,
        "{:?}",
        reports[0].report
    );
    let cccd = reports[0]
        .report
        .signer
        .as_ref()
        .and_then(|s| {
            s.identifiers
                .iter()
                .find(|i| i.kind == IdentifierKind::Cccd)
        })
        .map(|i| i.value.clone());
    assert_eq!(
        cccd.as_deref(),
        official["personal_id"].as_str(),
        "the official's own certificate signed it"
    );

    let (_, form) = app
        .get(&format!(
            "/statistics/indicators?unit={commune}&period=2024-05"
        ))
        .await;
    let digitisation = form["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "digitisation_rate")
        .unwrap();
    assert_eq!(
        digitisation["numerator"], 1,
        "the counters follow the digitisation: {form}"
    );
}
