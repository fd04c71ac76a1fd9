//! A report signed and issued with keys on PKCS#11 tokens (SoftHSM2), with real servers on
//! loopback: the district's organisation key is generated on a token, its request certified by
//! the test CA and bound to the report service; the leader's personal key is on another token
//! and the leader signs with `motcua sign --service … --pkcs11-module … --token … --key …`, the
//! PIN on a file descriptor; the report is issued with the token-held organisation key, and
//! pyHanko and pdfsig, given only the root, find both signatures intact and trusted. A PIN in
//! the request, and a PIN the token refuses, bind nothing; a token gone at issue is a 503 naming
//! it that leaves the report signed by the leader only, and the issue succeeds once it is back.
//! At the province, whose key signing receipts is on a token too, a delivery while the token is
//! gone is refused with that 503 and retried by the district until the token is back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use motcua_core::access::Role;
use motcua_core::calendar::WorkingCalendar;
use motcua_core::record_ids::UnitId;
use motcua_keys::pkcs11::generate::{generate, KeyKind};
use motcua_keys::pkcs11::tokens::fresh_softhsm_token;
use motcua_keys::pkcs11::{modules, DeviceKey, PinSource};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
use motcua_pki::Certificate;
use motcua_reports::config::Secret;
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const LEADER: &str = "Thân Văn Thuận";
const LEADER_CCCD: &str = "024072001234";
const DISTRICT: &str = "UBND THỊ XÃ VIỆT YÊN";

/// The backends' journeys run one at a time: taking the token away resets the token library,
/// which closes every session of the process.
static ONE_JOURNEY_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    issued_with_token_keys(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    issued_with_token_keys(Backend::Postgres).await;
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

/// The test hierarchy, its CRLs in the results service and in a trust folder for the report
/// service.
async fn trust(results: &TestApp) -> (TestPki, tempfile::TempDir) {
    let pki = TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let current = CrlSpec::current(pki.now());
    let (root_crl, issuing_crl) = (pki.root_crl(&current).unwrap(), pki.crl(&current).unwrap());
    std::fs::write(dir.path().join("root.pem"), pki.root.pem()).unwrap();
    std::fs::write(dir.path().join("issuing.pem"), pki.issuing_ca.pem()).unwrap();
    std::fs::write(dir.path().join("root.crl"), &root_crl).unwrap();
    std::fs::write(dir.path().join("issuing.crl"), &issuing_crl).unwrap();
    for (kind, certificate) in [("root", &pki.root), ("intermediate", &pki.issuing_ca)] {
        let (status, body) = results
            .post(
                "/trust-anchors",
                &json!({"kind": kind, "certificate": certificate.pem()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for crl in [root_crl, issuing_crl] {
        let (status, body) = results
            .post("/crls", &json!({"crl": STANDARD.encode(crl)}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    (pki, dir)
}

/// A P-256 key generated on a fresh token, and its certificate issued by the test CA from the
/// token's request for `spec`.
fn key_on_token(
    pki: &TestPki,
    label: &str,
    key_label: &str,
    spec: &motcua_pki::testpki::CertSpec,
) -> (DeviceKey, Certificate) {
    let device = fresh_softhsm_token(label, key_label).unwrap();
    let generated = generate(&device, KeyKind::EcP256, &spec.subject.to_der().unwrap()).unwrap();
    let certificate = pki.issue_from_csr(&generated.csr_der, spec).unwrap();
    (device, certificate)
}

/// The leader's official id, their key on a token and its certificate registered for them.
async fn leader_with_token(
    results: &TestApp,
    pki: &TestPki,
    district: i64,
    label: &str,
) -> (i64, DeviceKey) {
    let (_, officials) = results
        .get(&format!("/officials?unit={district}&limit=200"))
        .await;
    let id = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["full_name"] == LEADER)
        .unwrap_or_else(|| panic!("no leader in {officials}"))["id"]
        .as_i64()
        .unwrap();
    let spec = pki.individual(LEADER, LEADER_CCCD);
    let (device, certificate) = key_on_token(pki, label, "chu-ky-lanh-dao", &spec);
    let (status, registered) = results
        .post(
            "/certificates",
            &json!({"certificate": pem(certificate.der()), "official_id": id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["usable"], true, "{registered}");
    (id, device)
}

/// The PIN file of a test token and the PIN in it.
fn pin_of(device: &DeviceKey) -> (std::path::PathBuf, String) {
    let PinSource::File(pin_file) = PinSource::parse(&device.pin_source).unwrap() else {
        panic!("the test token's PIN is in a file");
    };
    let pin = std::fs::read_to_string(&pin_file)
        .unwrap()
        .trim()
        .to_owned();
    (pin_file, pin)
}

/// Binds the district's token key: a PIN in the request and a refused PIN bind nothing.
async fn bind_district_key(reports: &ReportsApp, district: i64, device: &DeviceKey, pem: &str) {
    let admin = reports.admin_key.clone();
    let body = json!({"unit_id": district, "certificate_pem": pem, "device": device});
    assert!(
        !body.to_string().contains("pin\":"),
        "no PIN in the request"
    );

    let mut with_pin = body.clone();
    with_pin["device"]["pin"] = json!("12345678");
    let (status, refused) = reports
        .call(
            Method::POST,
            "/organisation-keys/device",
            &admin,
            Some(&with_pin),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("pin"), "{refused}");

    let (pin_file, pin) = pin_of(device);
    std::fs::write(&pin_file, "00000000\n").unwrap();
    let (status, refused) = reports
        .call(
            Method::POST,
            "/organisation-keys/device",
            &admin,
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    assert_eq!(
        refused["type"], "/problems/signing-device-unavailable",
        "{refused}"
    );
    let label = device.token_label.as_deref().unwrap();
    assert!(
        refused["detail"].as_str().unwrap().contains(label),
        "{refused}"
    );
    assert_eq!(reports.count_rows("organisation_keys"), 0);

    std::fs::write(&pin_file, format!("{pin}\n")).unwrap();
    let bound = reports
        .ok(
            Method::POST,
            "/organisation-keys/device",
            &admin,
            Some(&body),
        )
        .await;
    assert_eq!(bound["device"]["token_label"], label, "{bound}");
    assert_eq!(bound["unit_id"], district, "{bound}");
    let listed = reports
        .ok(Method::GET, "/organisation-keys", &admin, None)
        .await;
    assert_eq!(listed[0]["device"]["key_label"], "khoa-to-chuc", "{listed}");
    assert!(!listed.to_string().contains(&pin), "{listed}");
}

/// `motcua sign --service … --next-for LEADER` with the leader's token, the PIN on its standard
/// input (`--pin-fd 0`); what it printed.
fn sign_with_token(reports: &ReportsApp, key: &str, leader: i64, device: &DeviceKey) -> String {
    let (_, pin) = pin_of(device);
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["sign", "--service", &reports.base_url])
        .args(["--api-key-env", "LEADER_API_KEY"])
        .args(["--next-for", &leader.to_string()])
        .arg("--pkcs11-module")
        .arg(&device.module)
        .args(["--token", device.token_label.as_deref().unwrap()])
        .args(["--key", device.key_label.as_deref().unwrap()])
        .args(["--pin-fd", "0"])
        .env("LEADER_API_KEY", key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{pin}").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
    printed
}

async fn bytes(app: &ReportsApp, path: &str, key: &str) -> Vec<u8> {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.unwrap().to_vec()
}

fn texts() -> Value {
    json!({
        "legal_basis": "Thực hiện Công văn số 1882/UBND-NC ngày 14/4/2024 của Chủ tịch UBND tỉnh; UBND thị xã Việt Yên báo cáo kết quả như sau:",
        "situation": "Công tác tiếp nhận, giải quyết TTHC được lãnh đạo UBND thị xã quan tâm chỉ đạo.",
        "advantages": "Cơ sở vật chất của bộ phận một cửa được quan tâm đầu tư.",
        "difficulties": "Khối lượng công việc tại Bộ phận tiếp nhận và trả kết quả lớn.",
        "organisation": "Bộ phận Một cửa thực hiện theo Nghị định số 61/2018/NĐ-CP.",
        "recommendations": "Đề nghị UBND tỉnh nâng phụ cấp cho công chức Bộ phận Một cửa."
    })
}

fn letterhead() -> Value {
    json!({
        "issuing_body": DISTRICT,
        "place": "Việt Yên",
        "recipients": ["Văn phòng UBND tỉnh (b/c);", "Lưu: VT."],
        "closing": "UBND thị xã Việt Yên trân trọng báo cáo./."
    })
}

/// SoftHSM2's token folder of this process.
fn tokens_folder() -> std::path::PathBuf {
    let conf = std::env::var("SOFTHSM2_CONF").unwrap();
    std::path::Path::new(&conf).with_file_name("tokens")
}

/// Every token gone, as if unplugged: the library is reset with an empty token folder.
fn take_tokens_away(device: &DeviceKey) {
    let tokens = tokens_folder();
    modules::finalise(&device.module).unwrap();
    std::fs::rename(&tokens, tokens.with_extension("aside")).unwrap();
    std::fs::create_dir(&tokens).unwrap();
    modules::reinitialise(&device.module).unwrap();
}

/// The tokens of [`take_tokens_away`] back in place.
fn put_tokens_back(device: &DeviceKey) {
    let tokens = tokens_folder();
    modules::finalise(&device.module).unwrap();
    std::fs::remove_dir(&tokens).unwrap();
    std::fs::rename(tokens.with_extension("aside"), &tokens).unwrap();
}

/// Issuing while the organisation's token is gone (the library reset without it): a 503 naming
/// the token, the report still `leader_signed` with no number. The token is back afterwards.
async fn issue_without_the_token(
    reports: &ReportsApp,
    officer: &str,
    id: &str,
    device: &DeviceKey,
) {
    take_tokens_away(device);
    let path = format!("/reports/{id}/issue");
    let (status, refused) = reports.call(Method::POST, &path, officer, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{refused}");
    assert_eq!(
        refused["type"], "/problems/signing-device-unavailable",
        "{refused}"
    );
    let label = device.token_label.as_deref().unwrap();
    assert!(
        refused["detail"].as_str().unwrap().contains(label),
        "{refused}"
    );
    let unchanged = reports
        .ok(Method::GET, &format!("/reports/{id}"), officer, None)
        .await;
    assert_eq!(unchanged["status"], "leader_signed", "{unchanged}");
    assert_eq!(
        unchanged.get("number_text"),
        Some(&Value::Null),
        "{unchanged}"
    );
    put_tokens_back(device);
}

async fn issued_with_token_keys(backend: Backend) {
    let _alone = ONE_JOURNEY_AT_A_TIME.lock().await;
    let results = TestApp::start(backend).await;
    let calendar = WorkingCalendar::vietnam_defaults().unwrap();
    let (district, province) = {
        let mut conn = results.pool.get().unwrap();
        let seeded = motcua_testdata::generate::viet_yen(&mut conn, &calendar, false, None)
            .unwrap()
            .0;
        (seeded.district.id.0, seeded.province.id.0)
    };
    let (pki, trust_dir) = trust(&results).await;
    let tag = format!("{backend:?}").to_lowercase();
    let (leader_id, leader_device) =
        leader_with_token(&results, &pki, district, &format!("lanh-dao-{tag}")).await;
    let results_key = results.key("auditor", None, &[]).await;

    let (results_url, trust_path) = (results.base_url.clone(), trust_dir.path().to_path_buf());
    let mut reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(results_url);
        config.results_api_key = Some(Secret::new(results_key));
        config.trust_roots_dir = Some(trust_path);
    })
    .await;
    let spec = pki.organisation(DISTRICT, "UBND TỈNH BẮC GIANG", "Bắc Giang");
    let (district_device, district_certificate) =
        key_on_token(&pki, &format!("to-chuc-{tag}"), "khoa-to-chuc", &spec);
    bind_district_key(
        &reports,
        district,
        &district_device,
        &pem(district_certificate.der()),
    )
    .await;

    let officer = reports.key(
        "Văn phòng thị xã",
        Role::Officer,
        Some(UnitId(district)),
        &[],
    );
    let created = reports
        .ok(
            Method::POST,
            "/reports",
            &officer,
            Some(&json!({
                "kind": "one_stop_activity", "unit_id": district, "periods": ["2023"],
                "letterhead": letterhead(), "texts": texts(),
            })),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let ready = json!({"signatory_official_id": leader_id});
    let path = format!("/reports/{id}/ready");
    reports
        .ok(Method::POST, &path, &officer, Some(&ready))
        .await;
    let path = format!("/reports/{id}/leader-signing-sessions");
    reports.ok(Method::POST, &path, &officer, None).await;
    let printed = sign_with_token(&reports, &officer, leader_id, &leader_device);
    assert!(printed.contains(&id), "{printed}");
    assert!(printed.contains("is now \"leader_signed\""), "{printed}");

    issue_without_the_token(&reports, &officer, &id, &district_device).await;
    let path = format!("/reports/{id}/issue");
    let issued = reports.ok(Method::POST, &path, &officer, None).await;
    assert_eq!(issued["status"], "issued", "{issued}");
    let path = format!("/reports/{id}/verification");
    let verification = reports.ok(Method::GET, &path, &officer, None).await;
    assert_eq!(verification["valid"], true, "{verification}");
    assert_eq!(verification["signatures"].as_array().unwrap().len(), 2);
    let pdf = bytes(&reports, &format!("/reports/{id}/document"), &officer).await;
    outside_validators_accept(&pki, &pdf);

    let receiver = province_with_token(&pki, trust_dir.path(), backend, province, &tag).await;
    let delivery_key = receiver.key(
        "UBND thị xã Việt Yên",
        Role::Integration,
        Some(UnitId(district)),
        &["submissions:write"],
    );
    let receiver_url = receiver.base_url.clone();
    reports
        .restart_with(move |config| {
            config.receiver_url = Some(receiver_url);
            config.receiver_api_key = Some(Secret::new(delivery_key));
        })
        .await;
    receipt_waits_for_the_token(&reports, &receiver, &officer, &id, &district_device).await;
}

/// The province's report service, its organisation key (which signs receipts) on a token.
async fn province_with_token(
    pki: &TestPki,
    trust: &std::path::Path,
    backend: Backend,
    province: i64,
    tag: &str,
) -> ReportsApp {
    let trust = trust.to_path_buf();
    let receiver = ReportsApp::start(backend, move |config| {
        config.receiver_unit_id = Some(UnitId(province));
        config.trust_roots_dir = Some(trust);
    })
    .await;
    let spec = pki.organisation("UBND TỈNH BẮC GIANG", "UBND TỈNH BẮC GIANG", "Bắc Giang");
    let (device, certificate) = key_on_token(pki, &format!("tinh-{tag}"), "khoa-tinh", &spec);
    let body =
        json!({"unit_id": province, "certificate_pem": pem(certificate.der()), "device": device});
    let admin = receiver.admin_key.clone();
    receiver
        .ok(
            Method::POST,
            "/organisation-keys/device",
            &admin,
            Some(&body),
        )
        .await;
    receiver
}

/// Submitted while the tokens are gone: the province cannot sign its receipt, so it answers the
/// delivery with the 503 of the token and stores nothing; the district keeps the package and
/// tries again, and once the token is back the report is received and acknowledged.
async fn receipt_waits_for_the_token(
    reports: &ReportsApp,
    receiver: &ReportsApp,
    officer: &str,
    id: &str,
    device: &DeviceKey,
) {
    take_tokens_away(device);
    let path = format!("/reports/{id}/submission");
    reports.ok(Method::POST, &path, officer, None).await;
    let delivery_path = format!("/reports/{id}/delivery");
    let started = std::time::Instant::now();
    let failed = loop {
        let delivery = reports.ok(Method::GET, &delivery_path, officer, None).await;
        if delivery["attempts"].as_i64().unwrap_or(0) >= 2 {
            break delivery;
        }
        assert!(started.elapsed().as_secs() < 60, "no attempt: {delivery}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let error = failed["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("503"), "{failed}");
    let report = reports
        .ok(Method::GET, &format!("/reports/{id}"), officer, None)
        .await;
    assert_eq!(report["status"], "submitted", "{report}");
    let admin = receiver.admin_key.clone();
    let (status, _) = receiver
        .call(Method::GET, &format!("/inbox/{id}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing received");

    put_tokens_back(device);
    let started = std::time::Instant::now();
    loop {
        let report = reports
            .ok(Method::GET, &format!("/reports/{id}"), officer, None)
            .await;
        if report["status"] == "acknowledged" {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 90,
            "not acknowledged: {report}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let received = receiver
        .ok(Method::GET, &format!("/inbox/{id}"), &admin, None)
        .await;
    assert_eq!(received["verification"]["valid"], true, "{received}");
}

/// pyHanko and pdfsig, given only the root, find both signatures intact and trusted. No CRL is
/// served here, so revocation is not checked by pyHanko.
fn outside_validators_accept(pki: &TestPki, pdf: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root.pem"), pki.root.pem()).unwrap();
    let file = dir.path().join("bao-cao.pdf");
    std::fs::write(&file, pdf).unwrap();
    match Command::new("pyhanko")
        .current_dir(dir.path())
        .args(["sign", "adesverify", "--no-revocation-check"])
        .args(["--trust-replace", "--trust", "root.pem"])
        .arg(&file)
        .output()
    {
        Ok(output) => {
            let printed = String::from_utf8_lossy(&output.stdout);
            let intact: Vec<&str> = printed.lines().filter(|l| l.contains(":INTACT")).collect();
            assert_eq!(intact.len(), 2, "{printed}");
            assert!(
                intact.iter().all(|l| l.contains("INTACT:TRUSTED")),
                "{printed}"
            );
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
            assert_eq!(
                printed.matches("Signature is Valid.").count(),
                2,
                "{printed}"
            );
            assert_eq!(
                printed.matches("Certificate is Trusted.").count(),
                2,
                "{printed}"
            );
            assert!(printed.contains(LEADER), "{printed}");
            assert!(printed.contains(DISTRICT), "{printed}");
        }
        Err(error) => assert!(std::env::var_os("CI").is_none(), "certutil: {error}"),
    }
}
