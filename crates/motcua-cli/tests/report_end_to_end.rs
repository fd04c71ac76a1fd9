//! The whole journey of a report, with real servers on loopback: a results service holding the
//! seed district's records, the district's report service, and the province's receiver. The
//! district compiles the seed report for 2023 and Q1/2024, the leader signs in two steps with
//! `motcua sign`, the organisation signs on issue, the outbox delivers once the receiver (down
//! at first) is back, the province verifies, acknowledges and rolls the figures up. Tampered
//! packages are refused with their validation report. Poppler's tools check the PDF.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use motcua_core::access::Role;
use motcua_core::calendar::WorkingCalendar;
use motcua_core::record_ids::UnitId;
use motcua_pki::cms::KeySigner;
use motcua_pki::pades::{self, PdfSignatureOptions};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestCert, TestPki};
use motcua_reports::config::Secret;
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const P12_PASSWORD: &str = "mật khẩu khóa";
const LEADER: &str = "Thân Văn Thuận";
const LEADER_CCCD: &str = "024072001234";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    journey(Backend::Postgres).await;
}

/// Fails in CI when a tool is missing; on a developer machine without it, skips that check.
fn tool(name: &str, args: &[&str]) -> Option<String> {
    match Command::new(name).args(args).output() {
        Ok(output) => Some(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("{name} is not installed (apt-get install poppler-utils); check skipped");
            None
        }
        Err(error) => panic!("{name} cannot run: {error}"),
    }
}

struct Pki {
    pki: TestPki,
    dir: tempfile::TempDir,
}

impl Pki {
    /// The government hierarchy and its CRLs, written as a trust folder.
    fn new() -> Self {
        let pki = TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("root.pem"), pki.root.pem()).unwrap();
        std::fs::write(dir.path().join("issuing.pem"), pki.issuing_ca.pem()).unwrap();
        let current = CrlSpec::current(pki.now());
        std::fs::write(dir.path().join("root.crl"), pki.root_crl(&current).unwrap()).unwrap();
        std::fs::write(dir.path().join("issuing.crl"), pki.crl(&current).unwrap()).unwrap();
        Self { pki, dir }
    }

    fn organisation(&self, name: &str) -> TestCert {
        self.pki
            .issue(
                &self
                    .pki
                    .organisation(name, "UBND TỈNH BẮC GIANG", "Bắc Giang"),
            )
            .unwrap()
    }

    fn pkcs12(&self, certificate: &TestCert) -> String {
        STANDARD.encode(
            certificate
                .pkcs12(P12_PASSWORD, &[&self.pki.issuing_ca])
                .unwrap(),
        )
    }
}

async fn register_trust(results: &TestApp, pki: &Pki) {
    for (kind, certificate) in [
        ("root", &pki.pki.root),
        ("intermediate", &pki.pki.issuing_ca),
    ] {
        let (status, body) = results
            .post(
                "/trust-anchors",
                &json!({"kind": kind, "certificate": certificate.pem()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let current = CrlSpec::current(pki.pki.now());
    for crl in [
        pki.pki.root_crl(&current).unwrap(),
        pki.pki.crl(&current).unwrap(),
    ] {
        let (status, body) = results
            .post("/crls", &json!({"crl": STANDARD.encode(crl)}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// The leader's official id, with a personal certificate registered for them.
async fn leader(results: &TestApp, pki: &Pki, district: i64) -> (i64, TestCert) {
    let (_, officials) = results
        .get(&format!("/officials?unit={district}&limit=200"))
        .await;
    let official = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["full_name"] == LEADER)
        .unwrap_or_else(|| panic!("no leader in {officials}"))
        .clone();
    let id = official["id"].as_i64().unwrap();
    let certificate = pki
        .pki
        .issue(&pki.pki.individual(LEADER, LEADER_CCCD))
        .unwrap();
    let (status, registered) = results
        .post(
            "/certificates",
            &json!({"certificate": certificate.pem(), "official_id": id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["usable"], true, "{registered}");
    (id, certificate)
}

fn texts() -> Value {
    json!({
        "legal_basis": "Thực hiện Công văn số 1882/UBND-NC ngày 14/4/2024 của Chủ tịch UBND tỉnh về báo cáo tình hình tổ chức và hoạt động của Bộ phận Một cửa; UBND thị xã Việt Yên báo cáo kết quả như sau:",
        "situation": "Công tác tiếp nhận, giải quyết TTHC được lãnh đạo UBND thị xã quan tâm chỉ đạo.",
        "advantages": "Cơ sở vật chất, trang thiết bị phục vụ cho hoạt động của bộ phận một cửa được quan tâm đầu tư.",
        "difficulties": "Khối lượng công việc phát sinh tại Bộ phận tiếp nhận và trả kết quả lớn.",
        "organisation": "Bộ phận Một cửa cấp huyện, cấp xã trên địa bàn đang thực hiện theo quy định tại Nghị định số 61/2018/NĐ-CP.",
        "recommendations": "Đề nghị UBND tỉnh đề xuất HĐND tỉnh nâng phụ cấp cho công chức, viên chức làm việc tại Bộ phận Một cửa các cấp."
    })
}

fn letterhead() -> Value {
    json!({
        "issuing_body": "UBND THỊ XÃ VIỆT YÊN",
        "place": "Việt Yên",
        "recipients": [
            "Văn phòng UBND tỉnh (b/c);",
            "Chủ tịch, các PCT UBND thị xã;",
            "VP: LĐVP, CVTH;",
            "Lưu: VT."
        ],
        "closing": "UBND thị xã Việt Yên trân trọng báo cáo./."
    })
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

/// The leader's side of two-step signing, as the leader would run it: `motcua sign`.
fn sign_with_cli(pkcs12: &[u8], to_be_signed: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lanh-dao.p12");
    std::fs::write(&path, pkcs12).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["sign", "--pkcs12"])
        .arg(&path)
        .args(["--to-be-signed", to_be_signed])
        .env("MOTCUA_PKCS12_PASSWORD", P12_PASSWORD)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// `motcua sign --service … --next-for LEADER --pkcs12 FILE`, the password on its standard
/// input (`--pin-fd 0`); what it printed.
fn sign_through_service(reports: &ReportsApp, key: &str, leader: i64, pkcs12: &[u8]) -> String {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lanh-dao.p12");
    std::fs::write(&path, pkcs12).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["sign", "--service", &reports.base_url])
        .args([
            "--api-key-env",
            "LEADER_API_KEY",
            "--next-for",
            &leader.to_string(),
        ])
        .arg("--pkcs12")
        .arg(&path)
        .args(["--pin-fd", "0"])
        .env("LEADER_API_KEY", key)
        .env_remove("MOTCUA_PKCS12_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{P12_PASSWORD}").unwrap();
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

async fn wait_for_status(app: &ReportsApp, id: &str, key: &str, status: &str) -> Value {
    let started = Instant::now();
    loop {
        let report = app
            .ok(Method::GET, &format!("/reports/{id}"), key, None)
            .await;
        if report["status"] == status {
            return report;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "report still {} after 60 s",
            report["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[allow(clippy::too_many_lines)]
async fn journey(backend: Backend) {
    // The results service with the seed district's records (2023 and Q1/2024).
    let results = TestApp::start(backend).await;
    let calendar = WorkingCalendar::vietnam_defaults().unwrap();
    let seeded = {
        let mut conn = results.pool.get().unwrap();
        motcua_testdata::generate::viet_yen(&mut conn, &calendar, false, None)
            .unwrap()
            .0
    };
    let (district, province) = (seeded.district.id.0, seeded.province.id.0);
    let pki = Pki::new();
    register_trust(&results, &pki).await;
    let (leader_id, leader_certificate) = leader(&results, &pki, district).await;
    let results_key = results.key("auditor", None, &[]).await;

    // The province's receiver: its organisation key signs receipts; it issues the district a
    // key to deliver with. Then it goes down.
    let trust_dir = pki.dir.path().to_path_buf();
    let receiver_trust = trust_dir.clone();
    let mut receiver = ReportsApp::start(backend, move |config| {
        config.receiver_unit_id = Some(UnitId(province));
        config.trust_roots_dir = Some(receiver_trust);
    })
    .await;
    let province_key = pki.organisation("UBND TỈNH BẮC GIANG");
    let stored = json!({
        "unit_id": province,
        "pkcs12_base64": pki.pkcs12(&province_key),
        "password": P12_PASSWORD,
    });
    receiver
        .ok(
            Method::POST,
            "/organisation-keys",
            &receiver.admin_key.clone(),
            Some(&stored),
        )
        .await;
    let delivery_key = receiver.key(
        "UBND thị xã Việt Yên",
        Role::Integration,
        Some(UnitId(district)),
        &["submissions:write"],
    );
    receiver.stop().await;

    // The district's report service, reading the results service, delivering to the province.
    let (results_url, receiver_url) = (results.base_url.clone(), receiver.base_url.clone());
    let district_trust = trust_dir.clone();
    let mut reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(results_url);
        config.results_api_key = Some(Secret::new(results_key));
        config.receiver_url = Some(receiver_url);
        config.receiver_api_key = Some(Secret::new(delivery_key.clone()));
        config.trust_roots_dir = Some(district_trust);
    })
    .await;
    let admin = reports.admin_key.clone();
    let officer = reports.key(
        "Văn phòng thị xã",
        Role::Officer,
        Some(UnitId(district)),
        &[],
    );
    let district_key = pki.organisation("UBND THỊ XÃ VIỆT YÊN");
    let stored = json!({
        "unit_id": district,
        "pkcs12_base64": pki.pkcs12(&district_key),
        "password": P12_PASSWORD,
    });
    reports
        .ok(Method::POST, "/organisation-keys", &admin, Some(&stored))
        .await;

    // The leader's handwritten signature and the district's seal, drawn in the appearances.
    appearance_images_are_checked(&reports, &admin, &officer, leader_id, district).await;

    // Compile the seed report: 2023 and Q1/2024 side by side.
    let created = reports
        .ok(
            Method::POST,
            "/reports",
            &officer,
            Some(&json!({
                "kind": "one_stop_activity", "unit_id": district, "periods": ["2023", "2024-Q1"],
                "letterhead": letterhead(), "texts": texts(),
            })),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let figures_json = bytes(&reports, &format!("/reports/{id}/figures"), &officer).await;
    let figures: Value = serde_json::from_slice(&figures_json).unwrap();
    let district_2023 = &figures["form06"][0]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["level"] == "district")
        .unwrap()["total"];
    assert_eq!(district_2023["total"], 10_726);
    let district_q1 = &figures["form06"][1]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["level"] == "district")
        .unwrap()["total"];
    // The seed prints 3 155 new dossiers; the records give 3 151 + 4 + 4.
    assert_eq!(
        district_q1["new_online"].as_i64().unwrap()
            + district_q1["new_direct_postal"].as_i64().unwrap(),
        3_159
    );

    // Ready for signature with the vice-chair as signatory; the leader signs with the CLI.
    let ready = reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/ready"),
            &officer,
            Some(&json!({"signatory_official_id": leader_id})),
        )
        .await;
    assert_eq!(ready["status"], "ready_for_signature");
    let session = reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/leader-signing-sessions"),
            &officer,
            None,
        )
        .await;
    // The leader's signing program finds the session, shows the report and signs it.
    let printed = sign_through_service(
        &reports,
        &officer,
        leader_id,
        &leader_certificate
            .pkcs12(P12_PASSWORD, &[&pki.pki.issuing_ca])
            .unwrap(),
    );
    for shown in [
        id.as_str(),
        ready["unit_name"].as_str().unwrap(),
        session["session_id"].as_str().unwrap(),
        "Document SHA-256: ",
        "is now \"leader_signed\"",
    ] {
        assert!(printed.contains(shown), "{shown} in {printed}");
    }
    let signed = reports
        .ok(Method::GET, &format!("/reports/{id}"), &officer, None)
        .await;
    assert_eq!(signed["status"], "leader_signed");
    assert_eq!(signed["leader"]["full_name"], LEADER);

    // Issue: number, time and the organisation's signature.
    let issued = reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/issue"),
            &officer,
            None,
        )
        .await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["number_text"], "01/BC-UBND");
    let pdf = bytes(&reports, &format!("/reports/{id}/document"), &officer).await;
    let verification = reports
        .ok(
            Method::GET,
            &format!("/reports/{id}/verification"),
            &officer,
            None,
        )
        .await;
    assert_eq!(verification["valid"], true, "{verification}");
    assert_eq!(verification["signatures"].as_array().unwrap().len(), 2);
    if let Some(keep) = std::env::var_os("MOTCUA_KEEP_REPORT_PDF") {
        // To look at the issued report: MOTCUA_KEEP_REPORT_PDF=/tmp/bao-cao.pdf cargo test …
        std::fs::write(keep, &pdf).unwrap();
    }
    check_pdf_with_poppler(&pdf, &figures_json);
    issue_update_is_explained(&verification);
    // The uploaded images are in the appearances, with the signers' names in the signatures.
    assert_eq!(
        count(&pdf, b"/Subtype /Image"),
        4,
        "two images, each with its mask"
    );
    assert_eq!(count(&pdf, b"/SMask"), 2);
    for name in [LEADER, "UBND thị xã Việt Yên"] {
        // A text string: UTF-16BE with its byte order mark, written in hex.
        let hex: String = name
            .encode_utf16()
            .map(|unit| format!("{unit:04X}"))
            .collect();
        let entry = format!("/Name <FEFF{hex}>");
        assert_eq!(
            count(&pdf, entry.as_bytes()),
            1,
            "{name} in a signature's /Name"
        );
    }
    pyhanko_accepts_both(&pdf, &pki);
    verify_with_cli_explains_the_issue(&pdf, &pki);

    // Submit while the receiver is down: the outbox fails and keeps the package.
    let submitted = reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/submission"),
            &officer,
            None,
        )
        .await;
    assert_eq!(submitted["status"], "submitted");
    let started = Instant::now();
    loop {
        let (_, delivery) = reports
            .call(
                Method::GET,
                &format!("/reports/{id}/delivery"),
                &officer,
                None,
            )
            .await;
        if delivery["attempts"].as_i64().unwrap_or(0) >= 1 {
            assert!(
                delivery["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("cannot reach"),
                "{delivery}"
            );
            assert!(delivery["delivered_at"].is_null());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no attempt: {delivery}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The district's service restarts meanwhile: the queue is in the database.
    reports.restart().await;
    receiver.restart().await;
    let acknowledged = wait_for_status(&reports, &id, &officer, "acknowledged").await;
    assert!(acknowledged["acknowledged_at"].is_string());
    let delivery = reports
        .ok(
            Method::GET,
            &format!("/reports/{id}/delivery"),
            &officer,
            None,
        )
        .await;
    assert_eq!(delivery["receipt"]["receipt"]["report_id"], id.as_str());
    assert_eq!(receiver.count_rows("received_reports"), 1);

    // The province: verified, stored once, rolled up.
    let receiver_admin = receiver.admin_key.clone();
    let received = receiver
        .ok(Method::GET, &format!("/inbox/{id}"), &receiver_admin, None)
        .await;
    assert_eq!(received["verification"]["valid"], true, "{received}");
    assert_eq!(received["number_text"], "01/BC-UBND");
    let rollup = receiver
        .ok(Method::GET, "/rollup?period=2023", &receiver_admin, None)
        .await;
    let level = |name: &str| {
        rollup["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["level"] == name)
            .unwrap()["columns"]["total"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (level("district"), level("commune")),
        (10_726, 28_616),
        "{rollup}"
    );
    assert_eq!(rollup["reports"][0]["report_id"], id.as_str());

    // Delivered again (a retry after a lost answer): the same receipt, still one report.
    let package: Value = {
        let mut conn = reports.pool.get().unwrap();
        let entry = motcua_db::reports::outbox_entry(&mut conn, &id)
            .unwrap()
            .unwrap();
        serde_json::from_slice(&entry.package).unwrap()
    };
    let (status, again) = receiver
        .call(
            Method::POST,
            "/inbox",
            &receiver.key(
                "lại",
                Role::Integration,
                Some(UnitId(district)),
                &["submissions:write"],
            ),
            Some(&package),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["receipt"], delivery["receipt"]["receipt"]);
    assert_eq!(receiver.count_rows("received_reports"), 1);

    tampered_packages_are_refused(&receiver, &reports, &package, &pki, &id, district).await;
    let leader = (leader_id, &leader_certificate);
    two_reports_issued_at_once(&reports, &officer, district, leader, &pki).await;
}

/// Compiles a report of the district and has the leader sign it.
async fn leader_signed_report(
    reports: &ReportsApp,
    officer: &str,
    district: i64,
    (leader_id, leader_certificate): (i64, &TestCert),
    pki: &Pki,
) -> String {
    let created = reports
        .ok(
            Method::POST,
            "/reports",
            officer,
            Some(&json!({
                "kind": "one_stop_activity", "unit_id": district, "periods": ["2023"],
                "letterhead": letterhead(), "texts": texts(),
            })),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let ready = json!({"signatory_official_id": leader_id});
    let path = format!("/reports/{id}/ready");
    reports.ok(Method::POST, &path, officer, Some(&ready)).await;
    let path = format!("/reports/{id}/leader-signing-sessions");
    let session = reports.ok(Method::POST, &path, officer, None).await;
    let signature = sign_with_cli(
        &leader_certificate
            .pkcs12(P12_PASSWORD, &[&pki.pki.issuing_ca])
            .unwrap(),
        session["to_be_signed_base64"].as_str().unwrap(),
    );
    let path = format!(
        "/leader-signing-sessions/{}/signature",
        session["session_id"].as_str().unwrap()
    );
    let body = json!({"signature_base64": signature});
    let signed = reports.ok(Method::POST, &path, officer, Some(&body)).await;
    assert_eq!(signed["status"], "leader_signed");
    id
}

/// Two reports of the same unit issued at the same moment both succeed, with the next two
/// numbers: the organisation's signature is made outside the write transaction, and an issue
/// whose number was taken meanwhile is signed again with the next one.
async fn two_reports_issued_at_once(
    reports: &ReportsApp,
    officer: &str,
    district: i64,
    leader: (i64, &TestCert),
    pki: &Pki,
) {
    let first = leader_signed_report(reports, officer, district, leader, pki).await;
    let second = leader_signed_report(reports, officer, district, leader, pki).await;
    let (first_path, second_path) = (
        format!("/reports/{first}/issue"),
        format!("/reports/{second}/issue"),
    );
    let ((first_status, first), (second_status, second)) = tokio::join!(
        reports.call(Method::POST, &first_path, officer, None),
        reports.call(Method::POST, &second_path, officer, None),
    );
    assert_eq!(first_status, StatusCode::OK, "{first}");
    assert_eq!(second_status, StatusCode::OK, "{second}");
    let mut numbers = [
        first["number_text"].as_str().unwrap(),
        second["number_text"].as_str().unwrap(),
    ];
    numbers.sort_unstable();
    assert_eq!(numbers, ["02/BC-UBND", "03/BC-UBND"]);
    for id in [&first["id"], &second["id"]] {
        let path = format!("/reports/{}/verification", id.as_str().unwrap());
        let verification = reports.ok(Method::GET, &path, officer, None).await;
        assert_eq!(verification["valid"], true, "{verification}");
    }
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

/// Sends `body` as `content_type` to `path`; the status and the answer.
async fn put_image(
    app: &ReportsApp,
    path: &str,
    key: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url(path))
        .bearer_auth(key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Images are PNG with transparency, size-limited, uploaded by admins only; the leader's and
/// the district's are stored.
async fn appearance_images_are_checked(
    reports: &ReportsApp,
    admin: &str,
    officer: &str,
    leader: i64,
    district: i64,
) {
    let signature = pades::sample_signature_png(600, 200);
    let seal = pades::sample_seal_png(600);
    let signature_path = format!("/officials/{leader}/signature-image");
    let seal_path = format!("/units/{district}/seal-image");
    let (status, _) = put_image(reports, &seal_path, officer, "image/png", seal.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = put_image(reports, &seal_path, admin, "image/jpeg", seal.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
    let (status, problem) = put_image(
        reports,
        &seal_path,
        admin,
        "image/png",
        b"not a png".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let mut large = seal.clone();
    large.resize(300 * 1024, 0);
    let (status, problem) = put_image(reports, &seal_path, admin, "image/png", large).await;
    assert!(status.is_client_error(), "{status} {problem}");
    let (status, stored) = put_image(reports, &seal_path, admin, "image/png", seal).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["kind"], "seal");
    assert_eq!(stored["width"], 600);
    let (status, stored) = put_image(reports, &signature_path, admin, "image/png", signature).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["kind"], "signature");
    assert_eq!(stored["owner_id"], leader);
    // One audit record per stored image, none for the refused uploads.
    let mut conn = reports.pool.get().unwrap();
    let events = motcua_db::audit::range(&mut conn, None, None).unwrap();
    let stored: Vec<(String, String)> = events
        .iter()
        .filter(|event| event.action == "appearance_image.stored")
        .map(|event| (event.object_type.clone(), event.object_id.clone()))
        .collect();
    assert_eq!(
        stored,
        vec![
            ("seal_image".to_owned(), district.to_string()),
            ("signature_image".to_owned(), leader.to_string()),
        ]
    );
}

/// The date line the issue writes today, in Vietnam time.
fn issued_date_line() -> String {
    let today = Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .date_naive();
    format!(
        "Việt Yên, ngày {:02} tháng {} năm {}",
        today.format("%d"),
        today.format("%-m"),
        today.format("%Y")
    )
}

/// The leader's signature reports the issue's update: the two fields filled in, which its lock
/// permits, and nothing it forbids.
fn issue_update_is_explained(verification: &Value) {
    let leader = verification["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|signature| signature["field_name"] == "LanhDao")
        .expect("the leader's signature");
    let modifications = leader["modifications"].as_array().unwrap();
    let filled: Vec<&str> = modifications
        .iter()
        .filter(|m| m["kind"] == "form_field_filled")
        .map(|m| m["detail"].as_str().unwrap())
        .collect();
    assert_eq!(filled.len(), 2, "{leader}");
    assert!(filled
        .iter()
        .any(|d| d.contains("SoKyHieu") && d.contains("Số: 01/BC-UBND")));
    assert!(filled
        .iter()
        .any(|d| d.contains("NgayBanHanh") && d.contains(&issued_date_line())));
    assert_eq!(leader["changes_after"], "further_signatures", "{leader}");
}

/// `motcua verify`, given the trust folder, passes both signatures and says the issue filled
/// in the number and date as the leader's lock permits.
fn verify_with_cli_explains_the_issue(pdf: &[u8], pki: &Pki) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issued.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .arg("verify")
        .arg("--trust-roots")
        .arg(pki.dir.path())
        .arg(&path)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed}");
    assert_eq!(printed.matches("TOTAL_PASSED").count(), 2, "{printed}");
    let explained: Vec<&str> = printed
        .lines()
        .filter(|line| line.contains("allowed after: form field"))
        .collect();
    assert_eq!(explained.len(), 2, "{printed}");
    assert!(
        explained.iter().all(|line| line.contains("lock permits")),
        "{printed}"
    );
    assert!(!printed.contains("changed after:"), "{printed}");
}

/// pyHanko, given only the root, finds both signatures intact and trusted, and the issue's
/// update (form filling and a signature) within what the leader's lock permits. No CRL is
/// served here, so revocation is not checked (the long-term tests check it).
fn pyhanko_accepts_both(pdf: &[u8], pki: &Pki) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("issued.pdf");
    std::fs::write(&path, pdf).unwrap();
    let root = dir.path().join("root.pem");
    std::fs::write(&root, pki.pki.root.pem()).unwrap();
    let Some(printed) = tool(
        "pyhanko",
        &[
            "sign",
            "adesverify",
            "--no-revocation-check",
            "--trust-replace",
            "--trust",
            root.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    ) else {
        return;
    };
    let lines: Vec<&str> = printed.lines().filter(|l| l.contains(":INTACT")).collect();
    assert_eq!(lines.len(), 2, "{printed}");
    for line in lines {
        assert!(line.contains("INTACT:TRUSTED"), "{printed}");
        assert!(!line.contains("ILLEGAL"), "{printed}");
    }
}

fn check_pdf_with_poppler(pdf: &[u8], figures_json: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bao-cao.pdf");
    std::fs::write(&path, pdf).unwrap();
    let path_text = path.to_str().unwrap();
    if let Some(text) = tool("pdftotext", &["-layout", path_text, "-"]) {
        for expected in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "BÁO CÁO",
            "KT. CHỦ TỊCH",
            "PHÓ CHỦ TỊCH",
            LEADER,
            "UBND THỊ XÃ VIỆT YÊN",
            "PHỤ LỤC",
            "Thượng Lan",
            "Tăng Tiến",
            "Hồng Thái",
            "10.726",
            "Số: 01/BC-UBND",
            &issued_date_line(),
            // The district's new dossiers of Q1/2024 as the records give them (the seed report
            // misprints 3155 although its channels add up to 3151 + 4 + 4).
            "3.159",
            "UBND thị trấn Nếnh",
        ] {
            assert!(
                text.contains(expected),
                "pdftotext lacks {expected:?}:\n{text}"
            );
        }
    }
    if let Some(fonts) = tool("pdffonts", &[path_text]) {
        let rows: Vec<&str> = fonts
            .lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(!rows.is_empty(), "{fonts}");
        for row in rows {
            assert!(row.contains("LiberationSerif"), "{fonts}");
            assert!(
                row.contains("yes yes yes"),
                "embedded, subset, unicode: {fonts}"
            );
        }
    }
    if let Some(signatures) = tool("pdfsig", &[path_text]) {
        assert_eq!(
            signatures.matches("Signature is Valid.").count(),
            2,
            "{signatures}"
        );
        assert!(signatures.contains(LEADER), "{signatures}");
        assert!(signatures.contains("UBND THỊ XÃ VIỆT YÊN"), "{signatures}");
    }
    let out = dir.path().join("figures.json");
    if tool(
        "pdfdetach",
        &["-save", "1", "-o", out.to_str().unwrap(), path_text],
    )
    .is_some()
    {
        assert_eq!(
            std::fs::read(&out).unwrap(),
            figures_json,
            "the attachment is the frozen figures"
        );
    }
}

async fn tampered_packages_are_refused(
    receiver: &ReportsApp,
    reports: &ReportsApp,
    package: &Value,
    pki: &Pki,
    id: &str,
    district: i64,
) {
    let sender = receiver.key(
        "kiểm thử",
        Role::Integration,
        Some(UnitId(district)),
        &["submissions:write"],
    );
    let pdf = STANDARD
        .decode(package["pdf_base64"].as_str().unwrap())
        .unwrap();
    let with = |report_id: &str, pdf: &[u8], figures_sha256: &str| {
        let mut changed = package.clone();
        changed["report_id"] = json!(report_id);
        changed["pdf_base64"] = json!(STANDARD.encode(pdf));
        changed["figures_sha256"] = json!(figures_sha256);
        changed
    };
    let declared = package["figures_sha256"].as_str().unwrap();

    // One byte of the page content changed.
    let mut changed_byte = pdf.clone();
    let at = changed_byte.len() / 3;
    changed_byte[at] ^= 0x20;
    // The attached figures changed inside the PDF.
    let mut changed_attachment = pdf.clone();
    let stream = find(&changed_attachment, b"/Type /EmbeddedFile").expect("an embedded file");
    let data = stream + find(&changed_attachment[stream..], b"stream").unwrap() + 20;
    changed_attachment[data] ^= 0x01;
    // Signed by certificates of a CA nobody trusts (names as the real ones).
    let rendered = bytes(
        reports,
        &format!("/reports/{id}/document?stage=rendered"),
        &reports.admin_key,
    )
    .await;
    let untrusted = untrusted_signatures(pki, &rendered);

    let cases: [(&str, Vec<u8>, String, &str); 4] = [
        (
            "0193c2d6-0000-7000-8000-0000000000a1",
            changed_byte,
            declared.to_owned(),
            "signatures[",
        ),
        (
            "0193c2d6-0000-7000-8000-0000000000a2",
            changed_attachment,
            declared.to_owned(),
            "signatures[",
        ),
        (
            "0193c2d6-0000-7000-8000-0000000000a3",
            pdf.clone(),
            "0".repeat(64),
            "figures_sha256",
        ),
        (
            "0193c2d6-0000-7000-8000-0000000000a4",
            untrusted,
            declared.to_owned(),
            "signatures[",
        ),
    ];
    for (report_id, pdf, sha, check) in cases {
        let (status, problem) = receiver
            .call(
                Method::POST,
                "/inbox",
                &sender,
                Some(&with(report_id, &pdf, &sha)),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{report_id}: {problem}"
        );
        let verification = &problem["verification"];
        assert_eq!(verification["valid"], false);
        let findings = verification["findings"].as_array().unwrap();
        assert!(
            findings
                .iter()
                .any(|f| f["check"].as_str().unwrap().starts_with(check)),
            "{report_id}: {problem}"
        );
    }
    // The untrusted chain is named in the validation report.
    assert_eq!(receiver.count_rows("received_reports"), 1);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The rendered report signed by a leader and an organisation whose certificates come from a CA
/// that is not in the trust folder.
fn untrusted_signatures(pki: &Pki, rendered: &[u8]) -> Vec<u8> {
    let leader = pki
        .pki
        .issue_by_unknown_ca(&pki.pki.individual(LEADER, LEADER_CCCD))
        .unwrap();
    let organisation = pki
        .pki
        .issue_by_unknown_ca(&pki.pki.organisation(
            "UBND THỊ XÃ VIỆT YÊN",
            "UBND TỈNH BẮC GIANG",
            "Bắc Giang",
        ))
        .unwrap();
    let mut pdf = rendered.to_vec();
    for certificate in [leader, organisation] {
        let signer = KeySigner::new(
            certificate.private_key().clone(),
            certificate.certificate().clone(),
        )
        .unwrap();
        pdf = pades::sign_pdf(&pdf, &signer, &[], &PdfSignatureOptions::new(Utc::now())).unwrap();
    }
    pdf
}
