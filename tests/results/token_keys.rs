//! Electronic results signed by an organisation key on a PKCS#11 token (SoftHSM2): the key is
//! generated on the token, its request certified by the test CA, the certificate registered and
//! bound to the token; a wrong PIN, and a token that is gone, are a 503 naming the token that
//! changes nothing, and signing works again once the token is back.

use base64::Engine;
use motcua_keys::pkcs11::generate::{generate, KeyKind};
use motcua_keys::pkcs11::tokens::fresh_softhsm_token;
use motcua_keys::pkcs11::{modules, DeviceKey, PinSource};
use motcua_pki::Certificate;
use motcua_tests::{on_both_backends, read, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dossiers::{create, dossier, procedure, step};
use crate::electronic_results::{post_result, result_pdf, Setup, UNIT_NAME};
use crate::outside_validators::Validators;

on_both_backends!(a_result_is_signed_by_a_key_generated_on_the_token);

/// Tests that reset the token library run one at a time: a reset closes every session of the
/// process.
static ONE_TOKEN_TEST_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A unique token label for this test run and backend.
fn token_label(app: &TestApp) -> String {
    format!("xa-thuong-lan-{:?}", app.backend).to_lowercase()
}

/// Generates a P-256 key on a fresh token, has the test CA certify its request, and registers
/// the certificate for the commune.
async fn certified_token_key(app: &TestApp, setup: &Setup) -> (DeviceKey, i64) {
    let device = fresh_softhsm_token(&token_label(app), "khoa-to-chuc").unwrap();
    let spec = setup
        .pki
        .organisation(UNIT_NAME, "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang");
    let generated = generate(&device, KeyKind::EcP256, &spec.subject.to_der().unwrap()).unwrap();
    let certificate = setup.pki.issue_from_csr(&generated.csr_der, &spec).unwrap();
    let (status, registered) = app
        .post(
            "/certificates",
            &json!({"certificate": pem(&certificate), "unit_id": setup.commune}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["usable"], true, "{registered}");
    (device, registered["id"].as_i64().unwrap())
}

fn pem(certificate: &Certificate) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(certificate.der());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

fn assert_device_unavailable(status: StatusCode, problem: &Value, token: &str) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(
        problem["type"], "/problems/signing-device-unavailable",
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains(token),
        "{problem}"
    );
}

/// Another dossier of the commune in `processing`.
async fn another_dossier(app: &TestApp, setup: &Setup) -> String {
    let procedure_id = procedure(app, "1.000201", "Hộ tịch", 5).await;
    let created = create(
        app,
        &dossier(
            setup.commune,
            procedure_id,
            "direct",
            "2024-03-04T03:00:00Z",
        ),
    )
    .await;
    let code = created["code"].as_str().unwrap().to_owned();
    step(app, &code, "processing", "2024-03-05T03:00:00Z", None).await;
    code
}

async fn a_result_is_signed_by_a_key_generated_on_the_token(app: TestApp) {
    let _alone = ONE_TOKEN_TEST_AT_A_TIME.lock().await;
    let setup = Setup::new(&app).await;
    let (device, certificate_id) = certified_token_key(&app, &setup).await;
    let label = token_label(&app);
    let keys_path = format!("/units/{}/organisation-keys/device", setup.commune);
    let body = json!({"certificate_id": certificate_id, "device": device});
    assert!(
        !body.to_string().contains("pin\":"),
        "no PIN in the request"
    );

    // A wrong PIN: a 503 naming the token, nothing bound.
    let PinSource::File(pin_file) = PinSource::parse(&device.pin_source).unwrap() else {
        panic!("the test token's PIN is in a file");
    };
    let pin = std::fs::read_to_string(&pin_file).unwrap();
    std::fs::write(&pin_file, "00000000\n").unwrap();
    let (status, refused) = app.post(&keys_path, &body).await;
    assert_device_unavailable(status, &refused, &label);
    assert_eq!(app.count_rows("organisation_key_devices"), 0);

    // A PIN given in the request is not accepted: only its source.
    let mut with_pin = body.clone();
    with_pin["device"]["pin_source"] = json!("123456");
    let (status, refused) = app.post(&keys_path, &with_pin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["invalid_params"][0]["name"], "device.pin_source");

    std::fs::write(&pin_file, &pin).unwrap();
    let (status, bound) = app.post(&keys_path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{bound}");
    assert_eq!(bound["device"]["token_label"], label.as_str(), "{bound}");
    let (status, again) = app.post(&keys_path, &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (_, listed) = app
        .get(&format!("/units/{}/organisation-keys", setup.commune))
        .await;
    assert_eq!(
        listed["items"][0]["certificate_id"], certificate_id,
        "{listed}"
    );

    let (status, issued) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["certificate_id"], certificate_id, "{issued}");
    let pdf = download(&app, &setup.result_path()).await;
    let (status, verified) = app
        .call(
            reqwest::Method::GET,
            &format!("/verify/dossiers/{}", setup.code),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["valid"], true, "{verified}");
    Validators::trusting(&setup.pki.root, &setup.pki.issuing_ca).pdf(
        "token.pdf",
        &pdf,
        &["Signature1"],
    );

    // The token goes away (the library is reset without it): a 503 naming it, nothing changed.
    let second = another_dossier(&app, &setup).await;
    let tokens = tokens_folder();
    let aside = tokens.with_extension("aside");
    modules::finalise(&device.module).unwrap();
    std::fs::rename(&tokens, &aside).unwrap();
    std::fs::create_dir(&tokens).unwrap();
    modules::reinitialise(&device.module).unwrap();
    let path = format!("/dossiers/{second}/result");
    let (status, refused) = post_pdf(&app, &path).await;
    assert_device_unavailable(status, &refused, &label);
    let (_, unchanged) = app.get(&format!("/dossiers/{second}")).await;
    assert_eq!(unchanged["status"], "processing", "{unchanged}");

    // It is back: the pool opens new sessions and signs.
    modules::finalise(&device.module).unwrap();
    std::fs::remove_dir(&tokens).unwrap();
    std::fs::rename(&aside, &tokens).unwrap();
    let (status, issued) = post_pdf(&app, &path).await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["dossier"]["status"], "releasing", "{issued}");
}

/// SoftHSM2's token folder of this process.
fn tokens_folder() -> std::path::PathBuf {
    let conf = std::env::var("SOFTHSM2_CONF").unwrap();
    std::path::Path::new(&conf).with_file_name("tokens")
}

async fn download(app: &TestApp, path: &str) -> Vec<u8> {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

async fn post_pdf(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/pdf")
        .body(result_pdf())
        .send()
        .await
        .unwrap();
    read(response).await
}
