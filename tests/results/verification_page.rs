//! The verification page of the results service: signed PDFs uploaded by people, the stored
//! electronic result of a dossier looked up by its code, the refusals, and a real browser.

use std::time::Duration;

use base64::Engine;
use motcua_tests::signed::SigningPki;
use motcua_tests::verification_page::{self as page, PageClient};
use motcua_tests::{on_both_backends, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

use crate::electronic_results::{post_result, result_pdf, Setup, UNIT_NAME};

/// The largest result PDF of these tests' service: small, so that passing it is cheap.
const LIMIT: usize = 256 * 1024;
/// Short, so that a trickled upload is cut off quickly.
const BODY_TIMEOUT: Duration = Duration::from_secs(2);

motcua_tests::with_each_backend!(uploads, refusals);
on_both_backends!(dossier_code_lookup);

/// The service trusting the test PKI's root and issuing CA, with their CRLs imported.
async fn start(backend: Backend) -> (TestApp, SigningPki) {
    let pki = SigningPki::new();
    let app = TestApp::start_with(backend, |config| {
        config.max_result_bytes = LIMIT;
        config.server.body_timeout = BODY_TIMEOUT;
    })
    .await;
    for (kind, certificate) in [
        ("root", &pki.pki.root),
        ("intermediate", &pki.pki.issuing_ca),
    ] {
        let anchor = json!({ "kind": kind, "certificate": certificate.pem() });
        let (status, added) = app.post("/trust-anchors", &anchor).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    for crl in pki.crls() {
        let crl = base64::engine::general_purpose::STANDARD.encode(crl);
        let (status, imported) = app.post("/crls", &json!({ "crl": crl })).await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
    }
    (app, pki)
}

fn page_of(app: &TestApp) -> PageClient {
    PageClient::new(&app.base_url, &app.client)
}

async fn uploads(backend: Backend) {
    let (app, pki) = start(backend).await;
    let page = page_of(&app);
    page::uploads(&page, &pki, true).await;
}

async fn refusals(backend: Backend) {
    let (app, _pki) = start(backend).await;
    page::refusals(&page_of(&app), LIMIT).await;
    page::trickled_upload_times_out(&page_of(&app), BODY_TIMEOUT).await;
}

/// Whoever holds the dossier code reads the report of its electronic result, as `/verify` does.
async fn dossier_code_lookup(app: TestApp) {
    let setup = Setup::new(&app).await;
    setup.store_key(&app).await;
    let page = page_of(&app);
    let missing = page
        .get(&format!("/verification?code={}", setup.code))
        .await;
    missing.assert_page(StatusCode::NOT_FOUND);
    assert!(missing.contains("Không có kết quả điện tử nào được lưu"));

    let (status, issued) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let report = page
        .get(&format!("/verification?code={}", setup.code))
        .await;
    report.assert_page(StatusCode::OK);
    assert_eq!(report.indication_of("signature-1"), Some("TOTAL_PASSED"));
    assert!(report.contains(&format!("<strong>{}</strong>", setup.code)));
    assert!(report.contains(&format!("<td class=\"signer-name\">{UNIT_NAME}</td>")));
    let switch = format!("href=\"/verification?code={}&amp;lang=en\"", setup.code);
    assert!(report.contains(&switch), "{}", report.html);

    // From the result's verification QR code: the hash of the PDF as sent matches.
    let sent = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(result_pdf()));
    let matching = page
        .get(&format!("/verification?code={}&sha256={sent}", setup.code))
        .await;
    matching.assert_page(StatusCode::OK);
    assert!(
        matching.contains("data-match=\"true\""),
        "{}",
        matching.html
    );
    assert!(matching.contains("Văn bản khớp với bản đã lưu"));
    let other = "ab".repeat(32);
    let different = page
        .get(&format!(
            "/verification?code={}&sha256={other}&lang=en",
            setup.code
        ))
        .await;
    different.assert_page(StatusCode::OK);
    assert!(
        different.contains("data-match=\"false\""),
        "{}",
        different.html
    );
    assert!(different.contains("does NOT match the stored one"));
    assert_eq!(different.indication_of("signature-1"), Some("TOTAL_PASSED"));
    let switch = format!(
        "href=\"/verification?code={}&amp;sha256={other}&amp;lang=vi\"",
        setup.code
    );
    assert!(different.contains(&switch), "{}", different.html);
    let malformed = page
        .get(&format!("/verification?code={}&sha256=xyz", setup.code))
        .await;
    malformed.assert_page(StatusCode::BAD_REQUEST);
    assert!(malformed.contains("Mã băm trong đường dẫn không đúng dạng"));

    let english = page
        .get(&format!("/verification?code={}&lang=en", setup.code))
        .await;
    english.assert_page(StatusCode::OK);
    assert!(english.contains("Electronic result of dossier"));
    assert!(english.contains(&format!("value=\"{}\"", setup.code)));

    let unknown = page
        .get("/verification?code=000.00.00.X00-000000-0000&lang=en")
        .await;
    unknown.assert_page(StatusCode::NOT_FOUND);
    assert!(unknown.contains("No electronic result is stored for a dossier with this code."));
    let overlong = page
        .get(&format!("/verification?code={}", "9".repeat(65)))
        .await;
    overlong.assert_page(StatusCode::NOT_FOUND);
}

/// Chromium uploads a signed PDF and a tampered one and reads the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_page_in_a_browser() {
    let (app, pki) = start(Backend::Sqlite).await;
    page::in_a_browser(&app.base_url, &pki).await;
}
