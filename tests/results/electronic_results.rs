//! Electronic results signed with the receiving unit's collective certificate: storing the
//! unit's key, issuing the signed result with the dossier's move to `releasing`, downloading it,
//! and verifying it publicly (and with poppler's `pdfsig` when it is installed).

use std::process::Command;

use base64::Engine;
use chrono::{Duration, Utc};
use motcua_pki::cms::Indication;
use motcua_pki::testpki::{CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::RevocationReason;
use motcua_tests::{on_both_backends, read, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dossiers::{create, dossier, procedure, step};

on_both_backends!(
    signed_result_moves_the_dossier_to_releasing_and_verifies,
    no_stored_key_refuses_and_changes_nothing,
    revoked_certificate_is_not_used,
    bad_keys_are_refused,
    non_pdf_results_are_refused,
    tampered_pdf_fails_verification,
    audit_checkpoints_are_signed_with_the_configured_key,
    generated_electronic_results_are_stored_and_signed,
);

/// The data generator marks a dossier as having an electronic result only when it stored one,
/// signed by the desk's collective certificate.
async fn generated_electronic_results_are_stored_and_signed(app: TestApp) {
    let seeded = app.seed_viet_yen_with_dossiers();
    let (status, page) = app.get("/dossiers?limit=100").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let dossiers = page["items"].as_array().unwrap();
    assert_eq!(dossiers.len(), 30);
    let electronic: Vec<&Value> = dossiers
        .iter()
        .filter(|d| d["electronic_result"] == true)
        .collect();
    assert!(!electronic.is_empty(), "half of the results are electronic");
    assert_eq!(app.count_rows("dossier_results"), electronic.len() as i64);
    for dossier in dossiers {
        let code = dossier["code"].as_str().unwrap();
        let response = reqwest::Client::new()
            .get(app.url(&format!("/dossiers/{code}/result")))
            .bearer_auth(&app.admin_key)
            .send()
            .await
            .unwrap();
        if dossier["electronic_result"] == true {
            assert_eq!(response.status(), StatusCode::OK, "{code}");
            let pdf = response.bytes().await.unwrap();
            // The test CA is not in any trust store: the signature itself must hold, and
            // name the desk.
            let signatures = motcua_pki::pades::verify_pdf(
                &pdf,
                &motcua_pki::TrustStore::new(),
                &[],
                Utc::now(),
                motcua_pki::RevocationPolicy::BestEffort,
            )
            .unwrap();
            assert_eq!(signatures.len(), 1, "{code}");
            let report = &signatures[0].report;
            assert_ne!(report.indication, Indication::TotalFailed, "{code}");
            assert!(signatures[0].covers_whole_document, "{code}");
            assert_eq!(
                report.signer.as_ref().unwrap().name,
                seeded.district_desk.name,
                "{code}"
            );
        } else {
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{code}");
        }
    }
}

const P12_PASSWORD: &str = "mật khẩu PKCS#12";
pub(crate) const UNIT_NAME: &str = "UBND XÃ THƯỢNG LAN";

/// A commune with a registered collective certificate and a dossier in `processing`.
pub(crate) struct Setup {
    pub(crate) pki: TestPki,
    pub(crate) certificate: TestCert,
    pub(crate) certificate_id: i64,
    pub(crate) commune: i64,
    pub(crate) code: String,
}

impl Setup {
    pub(crate) async fn new(app: &TestApp) -> Self {
        let seeded = app.seed_viet_yen();
        let commune = &seeded.communes[0];
        assert_eq!(commune.name, "UBND xã Thượng Lan");
        let pki = TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap();
        for (kind, certificate) in [("root", &pki.root), ("intermediate", &pki.issuing_ca)] {
            let (status, added) = app
                .post(
                    "/trust-anchors",
                    &json!({"kind": kind, "certificate": certificate.pem()}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{added}");
        }
        let root_crl = pki.root_crl(&CrlSpec::current(pki.now())).unwrap();
        import_crl(app, &root_crl).await;
        import_crl(app, &pki.crl(&CrlSpec::current(pki.now())).unwrap()).await;

        let certificate = organisation(&pki, UNIT_NAME);
        let (status, registered) = app
            .post(
                "/certificates",
                &json!({"certificate": certificate.pem(), "unit_id": commune.id.0}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{registered}");
        assert_eq!(registered["usable"], true, "{registered}");

        let procedure_id = procedure(app, "1.000200", "Hộ tịch", 5).await;
        let created = create(
            app,
            &dossier(commune.id.0, procedure_id, "direct", "2024-03-04T02:00:00Z"),
        )
        .await;
        let code = created["code"].as_str().unwrap().to_owned();
        step(app, &code, "processing", "2024-03-05T02:00:00Z", None).await;
        Self {
            pki,
            certificate,
            certificate_id: registered["id"].as_i64().unwrap(),
            commune: commune.id.0,
            code,
        }
    }

    fn key_body(&self, certificate: &TestCert, password: &str) -> Value {
        let pkcs12 = certificate
            .pkcs12(P12_PASSWORD, &[&self.pki.issuing_ca])
            .unwrap();
        json!({
            "certificate_id": self.certificate_id,
            "pkcs12_base64": base64(&pkcs12),
            "password": password,
        })
    }

    pub(crate) async fn store_key(&self, app: &TestApp) {
        let (status, stored) = app
            .post(
                &self.keys_path(),
                &self.key_body(&self.certificate, P12_PASSWORD),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
        assert_eq!(stored["certificate_id"], self.certificate_id);
        assert!(stored.get("pkcs12_base64").is_none());
    }

    fn keys_path(&self) -> String {
        format!("/units/{}/organisation-keys", self.commune)
    }

    pub(crate) fn result_path(&self) -> String {
        format!("/dossiers/{}/result", self.code)
    }
}

fn organisation(pki: &TestPki, name: &str) -> TestCert {
    pki.issue(
        &pki.organisation(name, "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
            .key(KeySpec::EcP256),
    )
    .unwrap()
}

async fn import_crl(app: &TestApp, der: &[u8]) {
    let (status, imported) = app.post("/crls", &json!({"crl": base64(der)})).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A one-page PDF written by hand, with a classic cross-reference table.
pub(crate) fn result_pdf() -> Vec<u8> {
    let text = "BT /F1 14 Tf 72 770 Td (KET QUA GIAI QUYET HO SO) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Sends raw bytes with a content type; `key` `None` sends no API key.
async fn send_bytes(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(Method::POST, app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    read(request.send().await.unwrap()).await
}

pub(crate) async fn post_result(app: &TestApp, setup: &Setup, pdf: Vec<u8>) -> (StatusCode, Value) {
    send_bytes(
        app,
        &setup.result_path(),
        Some(&app.admin_key),
        "application/pdf",
        pdf,
    )
    .await
}

/// Downloads the stored result: status, content type and bytes.
async fn download(app: &TestApp, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

fn invalid_names(problem: &Value) -> Vec<String> {
    problem["invalid_params"]
        .as_array()
        .map(|params| {
            params
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// What `pdfsig` prints for `pdf`, or `None` when it is not installed on a developer's machine;
/// in CI (`CI` set) its absence is a failure.
fn pdfsig(pdf: &[u8]) -> Option<String> {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("result.pdf");
    std::fs::write(&path, pdf).unwrap();
    match Command::new("pdfsig").arg(&path).output() {
        Ok(output) => Some(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("pdfsig is not installed (apt-get install poppler-utils); skipped");
            None
        }
        Err(error) => panic!("pdfsig cannot run: {error}"),
    }
}

async fn signed_result_moves_the_dossier_to_releasing_and_verifies(app: TestApp) {
    let setup = Setup::new(&app).await;
    setup.store_key(&app).await;
    let (status, listed) = app.get(&setup.keys_path()).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["items"][0]["certificate_id"], setup.certificate_id);
    assert_eq!(
        listed["items"][0]["fingerprint_sha256"],
        setup.certificate.certificate().info().fingerprint_sha256
    );
    assert!(!listed.to_string().contains("pkcs12"), "{listed}");

    let (status, issued) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["certificate_id"], setup.certificate_id);
    assert_eq!(issued["download_url"], setup.result_path());
    assert_eq!(issued["dossier"]["status"], "releasing");
    assert_eq!(issued["dossier"]["electronic_result"], true);
    assert!(issued["signer"].as_str().unwrap().contains(UNIT_NAME));

    let (status, fetched) = app.get(&format!("/dossiers/{}", setup.code)).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched["status"], "releasing");
    assert_eq!(fetched["electronic_result"], true);

    let (status, content_type, signed) = download(&app, &setup.result_path()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/pdf");
    assert!(signed.starts_with(&result_pdf()), "an incremental update");
    assert_eq!(
        issued["sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&signed))
    );

    // Public verification of the stored result: no API key.
    let (status, reports) = app
        .call(
            Method::GET,
            &format!("/verify/dossiers/{}", setup.code),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reports}");
    assert_eq!(reports["valid"], true, "{reports}");
    let reports = reports["signatures"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = &reports[0]["report"];
    assert_eq!(report["indication"], "TOTAL_PASSED", "{report}");
    assert_eq!(report["signer"]["name"], UNIT_NAME, "{report}");
    assert_eq!(reports[0]["covers_whole_document"], true);

    // The downloaded bytes verify the same through POST /verify.
    let (status, posted) =
        send_bytes(&app, "/verify", None, "application/pdf", signed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{posted}");
    assert_eq!(posted[0]["report"]["indication"], "TOTAL_PASSED");

    if let Some(printed) = pdfsig(&signed) {
        assert!(printed.contains("Signature is Valid."), "{printed}");
    }

    the_verification_qr_code_names_the_pdf_as_sent(&app, &setup, &issued, &signed).await;

    // One result per dossier; a `releasing` dossier cannot get another.
    let (status, again) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // Without the root in the trust store the same result is not valid.
    let (_, roots) = app.get("/trust-anchors?kind=root").await;
    let root = roots["items"][0]["id"].as_i64().unwrap();
    let (status, removed) = app
        .call(
            Method::DELETE,
            &format!("/trust-anchors/{root}"),
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    let (status, untrusted) = app
        .call(
            Method::GET,
            &format!("/verify/dossiers/{}", setup.code),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{untrusted}");
    assert_eq!(untrusted["valid"], false, "{untrusted}");
    assert_ne!(
        untrusted["signatures"][0]["report"]["indication"], "TOTAL_PASSED",
        "{untrusted}"
    );
}

/// The code on the result leads to the dossier's verification page with the SHA-256 of the PDF
/// the client sent; it is drawn where it should be, and the JSON verification checks that hash.
async fn the_verification_qr_code_names_the_pdf_as_sent(
    app: &TestApp,
    setup: &Setup,
    issued: &Value,
    signed: &[u8],
) {
    let sent = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(result_pdf()));
    let qr_url = issued["qr_url"].as_str().unwrap();
    assert_eq!(
        qr_url,
        app.url(&format!("/verification?code={}&sha256={sent}", setup.code)),
        "{issued}"
    );
    motcua_tests::verification_qr::assert_qr_drawn(signed, qr_url);

    let verify = |query: String| {
        let path = format!("/verify/dossiers/{}{query}", setup.code);
        async move { app.call(Method::GET, &path, None, None).await }
    };
    let (status, matching) = verify(format!("?sha256={sent}")).await;
    assert_eq!(status, StatusCode::OK, "{matching}");
    assert_eq!(matching["document_matches"], true, "{matching}");
    assert_eq!(matching["valid"], true, "{matching}");
    let other = "0".repeat(64);
    let (status, other) = verify(format!("?sha256={other}")).await;
    assert_eq!(status, StatusCode::OK, "{other}");
    assert_eq!(other["document_matches"], false, "{other}");
    let (status, without) = verify(String::new()).await;
    assert_eq!(status, StatusCode::OK, "{without}");
    assert_eq!(without["document_matches"], Value::Null, "{without}");
    let (status, malformed) = verify("?sha256=abc".into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{malformed}");
    assert_eq!(invalid_names(&malformed), ["sha256"], "{malformed}");
}

async fn no_stored_key_refuses_and_changes_nothing(app: TestApp) {
    let setup = Setup::new(&app).await;
    let counts = app.count_rows("dossier_counts");
    let events = app.count_rows("dossier_events");
    let (status, refused) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("no usable collective certificate with a stored key")
            && detail.contains("has no stored key"),
        "{detail}"
    );
    let (_, fetched) = app.get(&format!("/dossiers/{}", setup.code)).await;
    assert_eq!(fetched["status"], "processing");
    assert_eq!(fetched["electronic_result"], false);
    assert_eq!(app.count_rows("dossier_counts"), counts);
    assert_eq!(app.count_rows("dossier_events"), events);
    assert_eq!(app.count_rows("dossier_results"), 0);
    let (status, _, _) = download(&app, &setup.result_path()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/verify/dossiers/{}", setup.code),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn revoked_certificate_is_not_used(app: TestApp) {
    let setup = Setup::new(&app).await;
    setup.store_key(&app).await;
    let spec = CrlSpec {
        number: 2,
        ..CrlSpec::current(setup.pki.now())
    }
    .revoke(
        setup.certificate.certificate(),
        setup.pki.now() - Duration::hours(1),
        Some(RevocationReason::KeyCompromise),
    );
    import_crl(&app, &setup.pki.crl(&spec).unwrap()).await;
    let (status, refused) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains("revoked"),
        "{refused}"
    );
    let (_, fetched) = app.get(&format!("/dossiers/{}", setup.code)).await;
    assert_eq!(fetched["status"], "processing");
    assert_eq!(app.count_rows("dossier_results"), 0);
}

async fn bad_keys_are_refused(app: TestApp) {
    let setup = Setup::new(&app).await;
    let path = setup.keys_path();

    let (status, refused) = app
        .post(
            &path,
            &setup.key_body(&setup.certificate, "not the password"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(invalid_names(&refused), ["password"]);

    // A certificate of the same name that is not the registered one.
    let other = organisation(&setup.pki, UNIT_NAME);
    let (status, refused) = app.post(&path, &setup.key_body(&other, P12_PASSWORD)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(invalid_names(&refused), ["pkcs12_base64"]);

    let mut garbage = setup.key_body(&setup.certificate, P12_PASSWORD);
    garbage["pkcs12_base64"] = json!(base64(b"not a PKCS#12 file"));
    let (status, refused) = app.post(&path, &garbage).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(invalid_names(&refused), ["pkcs12_base64"]);

    // The certificate must be a collective certificate of that very unit.
    let other_unit = format!("/units/{}/organisation-keys", setup.commune + 1);
    let (status, refused) = app
        .post(
            &other_unit,
            &setup.key_body(&setup.certificate, P12_PASSWORD),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(invalid_names(&refused), ["certificate_id"]);

    let officer = app.key("officer", Some(setup.commune), &[]).await;
    let (status, refused) = app
        .call(
            Method::POST,
            &path,
            Some(&officer),
            Some(&setup.key_body(&setup.certificate, P12_PASSWORD)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(app.count_rows("organisation_keys"), 0);

    setup.store_key(&app).await;
    let (status, refused) = app
        .post(&path, &setup.key_body(&setup.certificate, P12_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(app.count_rows("organisation_keys"), 1);
}

async fn non_pdf_results_are_refused(app: TestApp) {
    let setup = Setup::new(&app).await;
    setup.store_key(&app).await;
    let path = setup.result_path();
    let (status, refused) = send_bytes(
        &app,
        &path,
        Some(&app.admin_key),
        "application/pdf",
        b"<html>not a PDF</html>".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(invalid_names(&refused), ["body"]);
    let (status, refused) = send_bytes(
        &app,
        &path,
        Some(&app.admin_key),
        "text/plain",
        result_pdf(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{refused}");
    let (status, refused) = send_bytes(
        &app,
        &path,
        Some(&app.admin_key),
        "application/pdf",
        b"%PDF-1.7\nbroken".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (_, fetched) = app.get(&format!("/dossiers/{}", setup.code)).await;
    assert_eq!(fetched["status"], "processing");
    assert_eq!(app.count_rows("dossier_results"), 0);

    let (status, refused) = send_bytes(
        &app,
        "/verify",
        None,
        "application/pdf",
        b"not a PDF".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let (status, refused) =
        send_bytes(&app, "/verify", None, "application/pdf", result_pdf()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("no signatures"), "{refused}");
}

async fn tampered_pdf_fails_verification(app: TestApp) {
    let setup = Setup::new(&app).await;
    setup.store_key(&app).await;
    let (status, issued) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let (_, _, mut signed) = download(&app, &setup.result_path()).await;
    let at = signed
        .windows(7)
        .position(|window| window == b"KET QUA")
        .unwrap();
    signed[at] = b'X';
    let (status, reports) = send_bytes(&app, "/verify", None, "application/pdf", signed).await;
    assert_eq!(status, StatusCode::OK, "{reports}");
    assert_eq!(
        reports[0]["report"]["indication"], "TOTAL_FAILED",
        "{reports}"
    );
    assert_eq!(reports[0]["report"]["sub_indication"], "HASH_FAILURE");
}

/// Checkpoints are signed with the key `MOTCUA_AUDIT_CHECKPOINT_KEY` names, not the newest one,
/// and each names its certificate; without the setting they are unsigned, and a key that is not
/// stored, or not usable, stops the start.
async fn audit_checkpoints_are_signed_with_the_configured_key(mut app: TestApp) {
    let setup = Setup::new(&app).await;
    setup.store_key(&app).await;
    let configured = app
        .get(&format!("/certificates/{}", setup.certificate_id))
        .await
        .1["fingerprint_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    // A newer key of the commune, with a certificate of its own.
    let other = organisation(&setup.pki, UNIT_NAME);
    let other_unit = setup.commune;
    let (status, registered) = app
        .post(
            "/certificates",
            &json!({"certificate": other.pem(), "unit_id": other_unit}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let pkcs12 = other
        .pkcs12(P12_PASSWORD, &[&setup.pki.issuing_ca])
        .unwrap();
    let (status, stored) = app
        .post(
            &format!("/units/{other_unit}/organisation-keys"),
            &json!({"certificate_id": registered["id"], "pkcs12_base64": base64(&pkcs12), "password": P12_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");

    // Not configured: unsigned.
    let (status, checkpoint) = app.post("/audit/checkpoints", &json!(null)).await;
    assert_eq!(status, StatusCode::CREATED, "{checkpoint}");
    assert_eq!(checkpoint["signed"], false, "{checkpoint}");
    assert_eq!(checkpoint["signer_fingerprint"], Value::Null);

    let fingerprint = configured.clone();
    app.restart_with(|config| config.audit.checkpoint_key = Some(fingerprint))
        .await;
    let (status, checkpoint) = app.post("/audit/checkpoints", &json!(null)).await;
    assert_eq!(status, StatusCode::CREATED, "{checkpoint}");
    assert_eq!(checkpoint["signed"], true, "{checkpoint}");
    assert_eq!(checkpoint["signer_fingerprint"], configured.as_str());
    assert!(checkpoint["signer"].as_str().unwrap().contains(UNIT_NAME));
    assert!(!checkpoint["signature_base64"].as_str().unwrap().is_empty());
    let (_, latest) = app.get("/audit/checkpoints/latest").await;
    assert_eq!(latest["signer_fingerprint"], configured.as_str());

    let (status, verification) = app.get("/audit/verification").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verification["valid"], true, "{verification}");
    let check = &verification["checkpoints"][1];
    assert_eq!(check["id"], checkpoint["id"]);
    assert_eq!(check["signature"], "TOTAL_PASSED", "{verification}");
    assert_eq!(
        verification["outside_copy"]["checkpoint"]["signer_fingerprint"],
        configured.as_str()
    );

    // A key that is not stored, a certificate without a key, no key store: no start.
    let unknown = "ab".repeat(32);
    let without_key = registered_fingerprint_without_key(&app, &setup).await;
    for (fingerprint, password, expected) in [
        (unknown.as_str(), true, "no stored organisation key"),
        (without_key.as_str(), true, "no stored organisation key"),
        (configured.as_str(), false, "MOTCUA_KEYSTORE_PASSWORD"),
    ] {
        let mut config = app.state.config.clone();
        config.audit.checkpoint_key = Some(fingerprint.to_owned());
        if !password {
            config.keystore_password = None;
        }
        let refused = motcua_results::state::AppState::new(app.pool.clone(), config)
            .err()
            .expect("the service refuses to start");
        assert!(refused.contains("MOTCUA_AUDIT_CHECKPOINT_KEY"), "{refused}");
        assert!(refused.contains(expected), "{refused}");
    }
}

/// The fingerprint of a certificate registered for the commune with no key stored.
async fn registered_fingerprint_without_key(app: &TestApp, setup: &Setup) -> String {
    let certificate = organisation(&setup.pki, UNIT_NAME);
    let (status, registered) = app
        .post(
            "/certificates",
            &json!({"certificate": certificate.pem(), "unit_id": setup.commune}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    registered["fingerprint_sha256"]
        .as_str()
        .unwrap()
        .to_owned()
}
