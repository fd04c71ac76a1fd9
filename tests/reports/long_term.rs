//! Reports signed for the long term: the leader's signature (two steps) and the organisation's
//! on issue reach B-LTA, with signature timestamps from a third-party authority (`openssl ts
//! -reply`), the CRLs of every certificate downloaded over HTTP and kept in the document's
//! `/DSS`, and document timestamps. The province's receipt reaches CAdES B-LT. Outside
//! validators judge the result: poppler's `pdfsig`, pyHanko's AdES validation, `openssl ts
//! -verify` on every token and `openssl cms -verify` on the receipt. When the authority is
//! down, signing is refused (502) and the report keeps its status.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};
use motcua_core::access::Role;
use motcua_core::calendar::WorkingCalendar;
use motcua_core::record_ids::UnitId;
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::testpki::tsa::{TsaServer, TsaServerOptions};
use motcua_pki::testpki::{CrlSpec, KeySpec, ServeMode, StaticHttpServer, TestCert, TestPki};
use motcua_reports::config::{Secret, SigningConfig};
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const P12_PASSWORD: &str = "mật khẩu khóa";
const LEADER: &str = "Thân Văn Thuận";
const LEADER_CCCD: &str = "024072001234";
const SIGNATURE_TIMESTAMP: &str = "1.2.840.113549.1.9.16.2.14";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_report_and_receipt_last_on_sqlite() {
    journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_report_and_receipt_last_on_postgres() {
    journey(Backend::Postgres).await;
}

/// Runs `program`; `None` when it is not installed and `CI` is unset (the check is skipped).
fn run(program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program).args(args).output() {
        Ok(output) => Some(output),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("{program} is not installed; its check is skipped");
            None
        }
        Err(error) => panic!("{program} cannot run: {error}"),
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The test PKI whose certificates name a CRL served over HTTP, its trust folder, and a
/// third-party timestamping authority it certified.
struct Pki {
    pki: TestPki,
    dir: tempfile::TempDir,
    crls: StaticHttpServer,
    tsa: TsaServer,
}

impl Pki {
    async fn new() -> Self {
        let pki = TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("root.pem"), pki.root.pem()).unwrap();
        std::fs::write(dir.path().join("issuing.pem"), pki.issuing_ca.pem()).unwrap();
        let current = CrlSpec::current(pki.now());
        std::fs::write(dir.path().join("root.crl"), pki.root_crl(&current).unwrap()).unwrap();
        let crls = StaticHttpServer::start(ServeMode::Files).await.unwrap();
        crls.serve("issuing.crl", pki.crl(&current).unwrap());
        let tsa_certificate = pki
            .issue(&pki.tsa().crl_url(&crls.url("issuing.crl")))
            .unwrap();
        let tsa = TsaServer::openssl(
            &tsa_certificate,
            &[&pki.issuing_ca],
            TsaServerOptions::default(),
        )
        .await
        .unwrap();
        Self {
            pki,
            dir,
            crls,
            tsa,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Levels by default: B-LTA for reports, B-LT for receipts.
    fn signing(&self, tsa_url: &str) -> SigningConfig {
        SigningConfig::from_toml(&format!(
            "[tsa]\ntimeout = 5\n[[tsa.endpoints]]\nurl = \"{tsa_url}\"\n[revocation]\ntimeout = 5\n"
        ))
        .unwrap()
    }

    fn organisation(&self, name: &str) -> TestCert {
        let spec = self
            .pki
            .organisation(name, "UBND TỈNH BẮC GIANG", "Bắc Giang")
            .crl_url(&self.crls.url("issuing.crl"));
        self.pki.issue(&spec).unwrap()
    }

    fn stored_key(&self, unit: i64, certificate: &TestCert) -> Value {
        json!({
            "unit_id": unit,
            "pkcs12_base64": STANDARD.encode(
                certificate.pkcs12(P12_PASSWORD, &[&self.pki.issuing_ca]).unwrap()
            ),
            "password": P12_PASSWORD,
        })
    }
}

/// An address nothing listens on.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/")
}

async fn register_trust(results: &TestApp, pki: &Pki) {
    for (kind, certificate) in [
        ("root", &pki.pki.root),
        ("intermediate", &pki.pki.issuing_ca),
    ] {
        let body = json!({"kind": kind, "certificate": certificate.pem()});
        let (status, body) = results.post("/trust-anchors", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let current = CrlSpec::current(pki.pki.now());
    for crl in [
        pki.pki.root_crl(&current).unwrap(),
        pki.pki.crl(&current).unwrap(),
    ] {
        let body = json!({"crl": STANDARD.encode(crl)});
        let (status, body) = results.post("/crls", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// The leader's official id and personal certificate, registered in the results service.
async fn leader(results: &TestApp, pki: &Pki, district: i64) -> (i64, TestCert) {
    let (_, officials) = results
        .get(&format!("/officials?unit={district}&limit=200"))
        .await;
    let id = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|official| official["full_name"] == LEADER)
        .unwrap_or_else(|| panic!("no leader in {officials}"))["id"]
        .as_i64()
        .unwrap();
    let spec = pki
        .pki
        .individual(LEADER, LEADER_CCCD)
        .crl_url(&pki.crls.url("issuing.crl"));
    let certificate = pki.pki.issue(&spec).unwrap();
    let body = json!({"certificate": certificate.pem(), "official_id": id});
    let (status, registered) = results.post("/certificates", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    (id, certificate)
}

/// A report of the district made ready for the leader's signature.
async fn ready_report(reports: &ReportsApp, officer: &str, district: i64, leader: i64) -> String {
    let body = json!({
        "kind": "one_stop_activity", "unit_id": district, "periods": ["2023"],
        "letterhead": {
            "issuing_body": "UBND THỊ XÃ VIỆT YÊN", "place": "Việt Yên",
            "recipients": ["Văn phòng UBND tỉnh (b/c);", "Lưu: VT."],
            "closing": "UBND thị xã Việt Yên trân trọng báo cáo./."
        },
        "texts": {
            "legal_basis": "Thực hiện Công văn số 1882/UBND-NC của Chủ tịch UBND tỉnh.",
            "situation": "Công tác tiếp nhận được quan tâm chỉ đạo.",
            "advantages": "Cơ sở vật chất được đầu tư.",
            "difficulties": "Khối lượng công việc lớn.",
            "organisation": "Bộ phận Một cửa thực hiện theo Nghị định số 61/2018/NĐ-CP.",
            "recommendations": "Đề nghị nâng phụ cấp."
        },
    });
    let created = reports
        .ok(Method::POST, "/reports", officer, Some(&body))
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/reports/{id}/ready");
    let ready = json!({"signatory_official_id": leader});
    reports.ok(Method::POST, &path, officer, Some(&ready)).await;
    id
}

/// The leader's two steps, the token's part done with the leader's key: the service's answer.
async fn leader_signs(
    reports: &ReportsApp,
    officer: &str,
    id: &str,
    certificate: &TestCert,
) -> (StatusCode, Value) {
    let path = format!("/reports/{id}/leader-signing-sessions");
    let session = reports.ok(Method::POST, &path, officer, None).await;
    let to_be_signed = STANDARD
        .decode(session["to_be_signed_base64"].as_str().unwrap())
        .unwrap();
    let signer = KeySigner::new(
        certificate.private_key().clone(),
        certificate.certificate().clone(),
    )
    .unwrap();
    let signature = STANDARD.encode(signer.sign(&to_be_signed).unwrap());
    let path = format!(
        "/leader-signing-sessions/{}/signature",
        session["session_id"].as_str().unwrap()
    );
    let body = json!({"signature_base64": signature});
    reports
        .call(Method::POST, &path, officer, Some(&body))
        .await
}

async fn status_of(reports: &ReportsApp, id: &str, key: &str) -> Value {
    let path = format!("/reports/{id}");
    reports.ok(Method::GET, &path, key, None).await["status"].clone()
}

async fn document(reports: &ReportsApp, id: &str, key: &str) -> Vec<u8> {
    let response = reports
        .client
        .get(reports.url(&format!("/reports/{id}/document")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

#[allow(clippy::too_many_lines)]
async fn journey(backend: Backend) {
    let results = TestApp::start(backend).await;
    let calendar = WorkingCalendar::vietnam_defaults().unwrap();
    let seeded = {
        let mut conn = results.pool.get().unwrap();
        motcua_testdata::generate::viet_yen(&mut conn, &calendar, false)
            .unwrap()
            .0
    };
    let (district, province) = (seeded.district.id.0, seeded.province.id.0);
    let pki = Pki::new().await;
    register_trust(&results, &pki).await;
    let (leader_id, leader_certificate) = leader(&results, &pki, district).await;
    let results_key = results.key("auditor", None, &[]).await;
    let signing = pki.signing(pki.tsa.url());

    // The province's receiver, signing receipts at B-LT.
    let (receiver_trust, receiver_signing) = (pki.dir.path().to_path_buf(), signing.clone());
    let receiver = ReportsApp::start(backend, move |config| {
        config.receiver_unit_id = Some(UnitId(province));
        config.trust_roots_dir = Some(receiver_trust);
        config.signing = receiver_signing;
    })
    .await;
    let stored = pki.stored_key(province, &pki.organisation("UBND TỈNH BẮC GIANG"));
    let receiver_admin = receiver.admin_key.clone();
    receiver
        .ok(
            Method::POST,
            "/organisation-keys",
            &receiver_admin,
            Some(&stored),
        )
        .await;
    let delivery_key = receiver.key(
        "UBND thị xã Việt Yên",
        Role::Integration,
        Some(UnitId(district)),
        &["submissions:write"],
    );

    // The district's report service.
    let (results_url, receiver_url) = (results.base_url.clone(), receiver.base_url.clone());
    let district_trust = pki.dir.path().to_path_buf();
    let mut reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(results_url);
        config.results_api_key = Some(Secret::new(results_key));
        config.receiver_url = Some(receiver_url);
        config.receiver_api_key = Some(Secret::new(delivery_key));
        config.trust_roots_dir = Some(district_trust);
        config.signing = signing;
    })
    .await;
    let admin = reports.admin_key.clone();
    let officer = reports.key("Văn phòng", Role::Officer, Some(UnitId(district)), &[]);
    let stored = pki.stored_key(district, &pki.organisation("UBND THỊ XÃ VIỆT YÊN"));
    reports
        .ok(Method::POST, "/organisation-keys", &admin, Some(&stored))
        .await;

    // The leader signs in two steps at B-LT; the organisation signs on issue at B-LTA, whose
    // document timestamp then covers both signatures.
    let id = ready_report(&reports, &officer, district, leader_id).await;
    let (status, signed) = leader_signs(&reports, &officer, &id, &leader_certificate).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "leader_signed");
    assert_eq!(signed["signature"]["level"], "baseline_lt", "{signed}");
    assert!(signed["signature"]["fallback_reason"].is_null());
    let path = format!("/reports/{id}/issue");
    let issued = reports.ok(Method::POST, &path, &officer, None).await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["signature"]["level"], "baseline_lta", "{issued}");
    assert!(pki.crls.hits() > 0, "the CRLs were downloaded");
    let pdf = document(&reports, &id, &officer).await;
    check_with_motcua(&reports, &id, &officer).await;
    check_with_pdfsig(&pdf);
    check_with_pyhanko(&pki, &pdf);
    let (signature_timestamps, document_timestamps) = check_tokens(&pki, &pdf);
    assert_eq!(signature_timestamps, 2);
    assert_eq!(
        document_timestamps, 1,
        "one document timestamp closes the issued report"
    );
    check_audit_trail(&reports, &id).await;

    // Delivered: the province verifies the B-LTA report and answers a receipt at B-LT.
    let path = format!("/reports/{id}/submission");
    reports.ok(Method::POST, &path, &officer, None).await;
    wait_for_acknowledged(&reports, &id, &officer).await;
    let path = format!("/reports/{id}/delivery");
    let delivery = reports.ok(Method::GET, &path, &officer, None).await;
    let receipt = &delivery["receipt"];
    assert_eq!(receipt["signature_level"], "baseline_lt", "{receipt}");
    check_receipt(&pki, receipt);
    let received = receiver
        .ok(Method::GET, &format!("/inbox/{id}"), &receiver_admin, None)
        .await;
    assert_eq!(received["verification"]["valid"], true, "{received}");
    let path = format!("/inbox/{id}/verification");
    let again = receiver.ok(Method::GET, &path, &receiver_admin, None).await;
    assert_eq!(again["valid"], true, "{again}");

    // The authority goes down: nothing is signed, nothing changes.
    let waiting_issue = ready_report(&reports, &officer, district, leader_id).await;
    let (status, body) =
        leader_signs(&reports, &officer, &waiting_issue, &leader_certificate).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let waiting_leader = ready_report(&reports, &officer, district, leader_id).await;
    let dead = dead_url().await;
    let dead_signing = pki.signing(&dead);
    reports
        .restart_with(move |config| config.signing = dead_signing)
        .await;
    let (status, problem) =
        leader_signs(&reports, &officer, &waiting_leader, &leader_certificate).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{problem}");
    assert_eq!(
        status_of(&reports, &waiting_leader, &officer).await,
        "ready_for_signature"
    );
    let path = format!("/reports/{waiting_issue}/issue");
    let (status, problem) = reports.call(Method::POST, &path, &officer, None).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("Baseline"),
        "{problem}"
    );
    assert_eq!(
        status_of(&reports, &waiting_issue, &officer).await,
        "leader_signed"
    );
}

/// motcua's verifier: two valid signatures at B-LTA, each with a signature timestamp, and
/// valid document timestamps.
async fn check_with_motcua(reports: &ReportsApp, id: &str, key: &str) {
    let path = format!("/reports/{id}/verification");
    let verification = reports.ok(Method::GET, &path, key, None).await;
    assert_eq!(verification["valid"], true, "{verification}");
    let all = verification["signatures"].as_array().unwrap();
    let (signatures, timestamps): (Vec<&Value>, Vec<&Value>) = all
        .iter()
        .partition(|signature| signature["kind"] == "signature");
    assert_eq!(signatures.len(), 2, "{verification}");
    assert!(!timestamps.is_empty(), "{verification}");
    for signature in signatures {
        assert_eq!(signature["report"]["level"], "baseline_lta", "{signature}");
        assert_eq!(
            signature["report"]["timestamps"].as_array().unwrap().len(),
            1,
            "{signature}"
        );
        assert!(signature["report"]["proof_of_existence"].is_object());
    }
    for timestamp in timestamps {
        assert_eq!(timestamp["kind"], "document_timestamp");
        assert_eq!(
            timestamp["report"]["indication"], "TOTAL_PASSED",
            "{timestamp}"
        );
    }
}

/// Poppler accepts every CAdES signature; it does not verify document timestamps (22.12).
fn check_with_pdfsig(pdf: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bao-cao.pdf");
    std::fs::write(&path, pdf).unwrap();
    let Some(output) = run("pdfsig", &[&path.display().to_string()]) else {
        return;
    };
    let printed = text(&output);
    let mut valid = 0;
    for block in printed.split("Signature #").skip(1) {
        if !block.contains("Signature Type: ETSI.CAdES.detached") {
            // A document timestamp, which this poppler leaves unverified.
            assert!(block.contains("DocumentTimestamp"), "{printed}");
            continue;
        }
        assert!(
            block.contains("Signature Validation: Signature is Valid."),
            "{printed}"
        );
        valid += 1;
    }
    assert_eq!(valid, 2, "{printed}");
}

/// pyHanko's AdES validation, trusting only the root: every signature intact and trusted,
/// with a trusted signature timestamp.
fn check_with_pyhanko(pki: &Pki, pdf: &[u8]) {
    let path = pki.path("pyhanko.pdf");
    std::fs::write(&path, pdf).unwrap();
    let root = pki.path("root.pem");
    let args = [
        "sign",
        "adesverify",
        "--trust-replace",
        "--trust",
        &root,
        &path,
    ];
    let Some(output) = run("pyhanko", &args) else {
        return;
    };
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{printed}");
    for line in lines {
        assert!(
            line.contains(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,"),
            "{line}"
        );
    }
}

/// Every token of the document passes `openssl ts -verify` (trusting the root): each
/// signature timestamp over its signature value, each document timestamp over its byte
/// ranges. Returns how many of each there are.
fn check_tokens(pki: &Pki, pdf: &[u8]) -> (usize, usize) {
    let (mut signature_timestamps, mut document_timestamps) = (0, 0);
    for (sub_filter, signed_bytes, content_info) in embedded(pdf) {
        if sub_filter == "ETSI.RFC3161" {
            token_verifies(pki, &content_info, &signed_bytes);
            document_timestamps += 1;
        } else {
            let (signature, token) = signature_value_and_token(&content_info);
            token_verifies(pki, &token.expect("a signature timestamp"), &signature);
            signature_timestamps += 1;
        }
    }
    (signature_timestamps, document_timestamps)
}

fn token_verifies(pki: &Pki, token: &[u8], data: &[u8]) {
    let work = tempfile::tempdir().unwrap();
    let (token_path, data_path) = (work.path().join("token.der"), work.path().join("data"));
    std::fs::write(&token_path, token).unwrap();
    std::fs::write(&data_path, data).unwrap();
    let (token_path, data_path) = (
        token_path.display().to_string(),
        data_path.display().to_string(),
    );
    let (root, chain) = (pki.path("root.pem"), pki.path("issuing.pem"));
    let args = [
        "ts",
        "-verify",
        "-token_in",
        "-in",
        &token_path,
        "-data",
        &data_path,
        "-CAfile",
        &root,
        "-untrusted",
        &chain,
    ];
    if let Some(output) = run("openssl", &args) {
        let printed = text(&output);
        assert!(
            output.status.success() && printed.contains("Verification: OK"),
            "{printed}"
        );
    }
}

/// Every signature and document timestamp of `pdf`, in file order: its `/SubFilter`, the bytes
/// its byte range covers and its CMS, found by the byte ranges motcua writes.
fn embedded(pdf: &[u8]) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = find(pdf, b"/ByteRange [", from) {
        let start = at + b"/ByteRange [".len();
        let end = find(pdf, b"]", start).unwrap();
        let numbers: Vec<usize> = std::str::from_utf8(&pdf[start..end])
            .unwrap()
            .split_whitespace()
            .map(|number| number.parse().unwrap())
            .collect();
        let [0, first, second, length] = numbers[..] else {
            panic!("unexpected byte range {numbers:?}");
        };
        let contents = hex::decode(&pdf[first + 1..second - 1]).unwrap();
        let mut reader = der::SliceReader::new(&contents).unwrap();
        let content_info = <ContentInfo as der::Decode>::decode(&mut reader)
            .unwrap()
            .to_der()
            .unwrap();
        let dictionary_start = pdf[..at]
            .windows(2)
            .rposition(|window| window == b"<<")
            .unwrap();
        let dictionary = String::from_utf8_lossy(&pdf[dictionary_start..first]);
        let sub_filter = dictionary
            .split("/SubFilter /")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default()
            .to_owned();
        let mut signed_bytes = pdf[..first].to_vec();
        signed_bytes.extend_from_slice(&pdf[second..second + length]);
        found.push((sub_filter, signed_bytes, content_info));
        from = end;
    }
    found
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The signature value and the signature timestamp token of a CMS signature.
fn signature_value_and_token(content_info: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    let signed: SignedData = ContentInfo::from_der(content_info)
        .unwrap()
        .content
        .decode_as()
        .unwrap();
    let signer = signed.signer_infos.0.get(0).unwrap().clone();
    let token = signer
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .find(|attribute| attribute.oid.to_string() == SIGNATURE_TIMESTAMP)
        .and_then(|attribute| attribute.values.get(0))
        .map(|value| value.to_der().unwrap());
    (signer.signature.as_bytes().to_vec(), token)
}

/// The receipt's CAdES B-LT signature: `openssl cms -verify` accepts it over the receipt's
/// bytes trusting the root; its timestamp passes `openssl ts -verify`; it carries the CRL of
/// the CA that issued the receiver's and the authority's certificates.
fn check_receipt(pki: &Pki, receipt: &Value) {
    let bytes = STANDARD
        .decode(receipt["receipt_base64"].as_str().unwrap())
        .unwrap();
    let cms = STANDARD
        .decode(receipt["signature_base64"].as_str().unwrap())
        .unwrap();
    let (signature, token) = signature_value_and_token(&cms);
    token_verifies(
        pki,
        &token.expect("the receipt's signature timestamp"),
        &signature,
    );
    let signed: SignedData = ContentInfo::from_der(&cms)
        .unwrap()
        .content
        .decode_as()
        .unwrap();
    let crls = signed.crls.map_or(0, |crls| crls.0.len());
    assert!(crls >= 1, "the receipt carries no CRL");
    let work = tempfile::tempdir().unwrap();
    let (content, signature_path) = (
        work.path().join("receipt.json"),
        work.path().join("receipt.p7s"),
    );
    std::fs::write(&content, &bytes).unwrap();
    std::fs::write(&signature_path, &cms).unwrap();
    let (content, signature_path) = (
        content.display().to_string(),
        signature_path.display().to_string(),
    );
    let root = pki.path("root.pem");
    let args = [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &signature_path,
        "-content",
        &content,
        "-CAfile",
        &root,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ];
    if let Some(output) = run("openssl", &args) {
        let printed = text(&output);
        assert!(
            output.status.success() && printed.contains("Verification successful"),
            "{printed}"
        );
    }
}

/// The audit records of both signatures say the level reached.
async fn check_audit_trail(reports: &ReportsApp, id: &str) {
    let mut conn = reports.pool.get().unwrap();
    let events = motcua_db::audit::range(&mut conn, None, None).unwrap();
    for (action, level) in [
        ("report.signed_by_leader", "baseline_lt"),
        ("report.issued", "baseline_lta"),
    ] {
        let event = events
            .iter()
            .find(|event| event.action == action && event.object_id == id)
            .unwrap_or_else(|| panic!("no {action}"));
        let detail: Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(detail["signature_level"], level, "{detail}");
    }
}

async fn wait_for_acknowledged(reports: &ReportsApp, id: &str, key: &str) {
    let started = Instant::now();
    while status_of(reports, id, key).await != "acknowledged" {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "not acknowledged after 90 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
