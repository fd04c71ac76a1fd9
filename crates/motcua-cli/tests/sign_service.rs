//! `motcua sign --service`: the official's signing program against a running results service.
//! The official's personal key is generated on a SoftHSM2 token, certified by the test CA and
//! registered; the program finds the official's pending session, shows the dossier, the unit and
//! the document hash, signs on the token with the PIN read from a file descriptor, posts the
//! signature and prints the outcome. The signed component validates in pyHanko and pdfsig with
//! the root only. A PKCS#12 file signs the same way, and a wrong PIN fails without posting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use motcua_keys::pkcs11::generate::{generate, KeyKind};
use motcua_keys::pkcs11::tokens::fresh_softhsm_token;
use motcua_keys::pkcs11::PinSource;
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
use motcua_pki::Certificate;
use motcua_tests::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    official_signs_with_the_token_through_the_service(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    official_signs_with_the_token_through_the_service(Backend::Postgres).await;
}

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
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

async fn post(app: &TestApp, path: &str, body: &Value) -> Value {
    let (status, answer) = app.post(path, body).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {answer}");
    answer
}

async fn install_trust(app: &TestApp, pki: &TestPki) {
    post(
        app,
        "/trust-anchors",
        &json!({"kind": "root", "certificate": pki.root.pem()}),
    )
    .await;
    post(
        app,
        "/trust-anchors",
        &json!({"kind": "intermediate", "certificate": pki.issuing_ca.pem()}),
    )
    .await;
    for crl in [
        pki.root_crl(&CrlSpec::current(pki.now())).unwrap(),
        pki.crl(&CrlSpec::current(pki.now())).unwrap(),
    ] {
        post(app, "/crls", &json!({"crl": STANDARD.encode(crl)})).await;
    }
}

/// A dossier of `unit` with one component, and a signing session of it for `official`.
async fn open_session(app: &TestApp, unit: i64, official: i64, code: &str) -> Value {
    let procedure = post(
        app,
        "/procedures",
        &json!({
            "code": code, "name": format!("Thủ tục {code}"), "field": "Hộ tịch",
            "levels": ["district", "commune"], "processing_days": 3, "online_level": "full",
            "decision": {"number": format!("{code}/QĐ-UBND"), "date": "2023-01-01"},
        }),
    )
    .await;
    let dossier = post(
        app,
        "/dossiers",
        &json!({
            "unit_id": unit, "procedure_id": procedure["id"], "channel": "direct",
            "submitted_at": "2024-05-06T02:00:00Z",
            "applicant": {"kind": "citizen", "name": "Nguyễn Văn An", "id_number": "024090001234"},
            "components": [{"name": "Tờ khai đăng ký khai sinh"}],
        }),
    )
    .await;
    let scan = motcua_pki::testpki::sample_pdf("To khai dang ky khai sinh");
    post(
        app,
        &format!(
            "/dossiers/{}/components/1/signing-sessions",
            dossier["code"].as_str().unwrap()
        ),
        &json!({"official_id": official, "pdf_base64": STANDARD.encode(scan)}),
    )
    .await
}

/// Runs `motcua sign` with `args`, the PIN or password on its standard input (`--pin-fd 0`).
fn motcua_sign(app: &TestApp, args: &[&str], secret: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .arg("sign")
        .args([
            "--service",
            &app.base_url,
            "--api-key-env",
            "OFFICIAL_API_KEY",
        ])
        .args(args)
        .args(["--pin-fd", "0"])
        .env("OFFICIAL_API_KEY", &app.admin_key)
        .env_remove("MOTCUA_PKCS12_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{secret}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

async fn official_signs_with_the_token_through_the_service(backend: Backend) {
    let app = TestApp::start(backend).await;
    let seeded = app.seed_viet_yen();
    let commune = seeded.communes[0].id.0;
    let pki = TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap();
    install_trust(&app, &pki).await;
    let (status, staff) = app
        .get(&format!("/officials?under={commune}&active=true&limit=500"))
        .await;
    assert_eq!(status, StatusCode::OK, "{staff}");
    let official = staff["items"][0].clone();
    let official_id = official["id"].as_i64().unwrap();

    // The official's key on a token, certified from its request.
    let label = format!("can-bo-{backend:?}").to_lowercase();
    let device = fresh_softhsm_token(&label, "chu-ky-ca-nhan").unwrap();
    let spec = pki.individual(
        official["full_name"].as_str().unwrap(),
        official["personal_id"].as_str().unwrap(),
    );
    let generated = generate(&device, KeyKind::EcP256, &spec.subject.to_der().unwrap()).unwrap();
    let certificate: Certificate = pki.issue_from_csr(&generated.csr_der, &spec).unwrap();
    post(
        &app,
        "/certificates",
        &json!({"certificate": pem(certificate.der()), "official_id": official_id}),
    )
    .await;
    let PinSource::File(pin_file) = PinSource::parse(&device.pin_source).unwrap() else {
        panic!("the test token's PIN is in a file");
    };
    let pin = std::fs::read_to_string(pin_file).unwrap().trim().to_owned();

    let session = open_session(&app, commune, official_id, "1.000500").await;
    let session_id = session["session_id"].as_str().unwrap();
    let (status, shown) = app.get(&format!("/signing-sessions/{session_id}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["open"], true, "{shown}");
    let next = format!("{official_id}");
    let token_args = [
        "--next-for",
        &next,
        "--pkcs11-module",
        device.module.to_str().unwrap(),
        "--token",
        &label,
        "--key",
        "chu-ky-ca-nhan",
    ];

    // A wrong PIN: nothing is posted, the session stays open.
    let (succeeded, printed) = motcua_sign(&app, &token_args, "00000000");
    assert!(!succeeded, "{printed}");
    assert!(printed.contains("PIN"), "{printed}");
    let (_, still) = app.get(&format!("/signing-sessions/{session_id}")).await;
    assert_eq!(still["open"], true, "{still}");

    let (succeeded, printed) = motcua_sign(&app, &token_args, &pin);
    assert!(succeeded, "{printed}");
    for shown_part in [
        shown["dossier_code"].as_str().unwrap(),
        shown["unit_name"].as_str().unwrap(),
        shown["document_sha256"].as_str().unwrap(),
        "Signed: component 1",
    ] {
        assert!(printed.contains(shown_part), "{shown_part} in {printed}");
    }
    let (_, used) = app.get(&format!("/signing-sessions/{session_id}")).await;
    assert_eq!(used["open"], false, "{used}");
    let (_, pending) = app
        .get(&format!("/signing-sessions?official_id={official_id}"))
        .await;
    assert_eq!(pending["items"], json!([]), "{pending}");
    let (succeeded, printed) = motcua_sign(&app, &token_args, &pin);
    assert!(
        !succeeded && printed.contains("no open signing session"),
        "{printed}"
    );

    let code = shown["dossier_code"].as_str().unwrap();
    let signed = app
        .client
        .get(app.url(&format!("/dossiers/{code}/components/1/file")))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    outside_validators_accept(&pki, &signed);

    // A PKCS#12 file, its password on the descriptor, signs a session named by id.
    let holder = pki
        .issue(
            &pki.individual(
                staff["items"][1]["full_name"].as_str().unwrap(),
                staff["items"][1]["personal_id"].as_str().unwrap(),
            )
            .key(KeySpec::EcP256),
        )
        .unwrap();
    let colleague = staff["items"][1]["id"].as_i64().unwrap();
    post(
        &app,
        "/certificates",
        &json!({"certificate": holder.pem(), "official_id": colleague}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let p12 = dir.path().join("can-bo.p12");
    std::fs::write(&p12, holder.pkcs12("mật khẩu", &[]).unwrap()).unwrap();
    let session = open_session(&app, commune, colleague, "1.000501").await;
    let (succeeded, printed) = motcua_sign(
        &app,
        &[
            "--session",
            session["session_id"].as_str().unwrap(),
            "--pkcs12",
            p12.to_str().unwrap(),
        ],
        "mật khẩu",
    );
    assert!(succeeded, "{printed}");
    assert!(printed.contains("Signed: component 1"), "{printed}");
}

/// pyHanko and pdfsig, given only the root, find the signature intact and trusted.
fn outside_validators_accept(pki: &TestPki, pdf: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), pki.root.pem()).unwrap();
    let file = dir.path().join("signed.pdf");
    std::fs::write(&file, pdf).unwrap();
    let pyhanko = Command::new("pyhanko")
        .current_dir(dir.path())
        .args([
            "sign",
            "validate",
            "--no-revocation-check",
            "--trust",
            "root.pem",
            "--trust-replace",
        ])
        .arg(&file)
        .output();
    match pyhanko {
        Ok(output) => {
            let printed = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "{printed}");
            assert!(printed.contains("INTACT:TRUSTED"), "{printed}");
        }
        Err(error) => assert!(std::env::var_os("CI").is_none(), "pyhanko: {error}"),
    }
    let nss = dir.path().join("nss");
    std::fs::create_dir(&nss).unwrap();
    let nss = format!("sql:{}", nss.display());
    let certutil = |args: &[&str]| {
        Command::new("certutil")
            .current_dir(dir.path())
            .args(args)
            .output()
    };
    match certutil(&["-N", "-d", &nss, "--empty-password"]) {
        Ok(created) => {
            assert!(created.status.success());
            let added = certutil(&[
                "-A", "-d", &nss, "-n", "root", "-t", ",C,", "-i", "root.pem",
            ])
            .unwrap();
            assert!(added.status.success());
            let output = Command::new("pdfsig")
                .args(["-nssdir", &nss])
                .arg(&file)
                .output()
                .unwrap();
            let printed = String::from_utf8_lossy(&output.stdout);
            assert!(printed.contains("Signature is Valid."), "{printed}");
            assert!(printed.contains("Certificate is Trusted."), "{printed}");
        }
        Err(error) => assert!(std::env::var_os("CI").is_none(), "certutil: {error}"),
    }
}
