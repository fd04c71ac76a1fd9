//! Reports signed for the long term: the leader's signature (two steps) and the organisation's
//! on issue reach B-LTA, with signature timestamps from a third-party authority (`openssl ts
//! -reply`), the district's certificates checked by OCSP (`openssl ocsp` on loopback) and the
//! answers kept in the document's `/DSS`, and document timestamps. The province's receipt
//! reaches CAdES B-LT, its certificate checked by a CRL downloaded over HTTP. Outside validators
//! judge the result: poppler's `pdfsig`, pyHanko's AdES validation, `openssl ts -verify` on
//! every token and `openssl cms -verify` on the receipt. When the authority is down, signing is
//! refused (502) and the report keeps its status.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::Decode;
use motcua_core::access::Role;
use motcua_core::calendar::WorkingCalendar;
use motcua_core::record_ids::UnitId;
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::testpki::tsa::{TsaBehaviour, TsaServer};
use motcua_pki::testpki::{CrlSpec, OpensslOcspResponder, ServeMode, StaticHttpServer, TestCert};
use motcua_reports::config::{Secret, SigningConfig};
use motcua_tests::long_term::{
    find, pdfsig_accepts, run, signature_value_and_token, signing_toml, text, LongTermPki, Tokens,
};
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const P12_PASSWORD: &str = "mật khẩu khóa";
const LEADER: &str = "Thân Văn Thuận";
const LEADER_CCCD: &str = "024072001234";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_report_and_receipt_last_on_sqlite() {
    journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_report_and_receipt_last_on_postgres() {
    journey(Backend::Postgres).await;
}

/// The test PKI with its certificates: the leader's and the district's name the OCSP
/// responder, the province's names a CRL served over HTTP; a third-party timestamping authority
/// it certified; the trust folder both report services read.
struct Pki {
    long_term: LongTermPki,
    leader: TestCert,
    district: TestCert,
    province: TestCert,
    crls: StaticHttpServer,
    responder: OpensslOcspResponder,
    tsa: TsaServer,
    trust: PathBuf,
}

impl Pki {
    async fn new() -> Self {
        let long_term = LongTermPki::new();
        let pki = &long_term.pki;
        let leader = long_term.issue_with_ocsp(pki.individual(LEADER, LEADER_CCCD));
        let district = long_term.issue_with_ocsp(pki.organisation(
            "UBND THỊ XÃ VIỆT YÊN",
            "UBND TỈNH BẮC GIANG",
            "Bắc Giang",
        ));
        let crls = StaticHttpServer::start(ServeMode::Files).await.unwrap();
        crls.serve(
            "issuing.crl",
            pki.crl(&CrlSpec::current(pki.now())).unwrap(),
        );
        let province = pki
            .issue(
                &pki.organisation("UBND TỈNH BẮC GIANG", "UBND TỈNH BẮC GIANG", "Bắc Giang")
                    .crl_url(&crls.url("issuing.crl")),
            )
            .unwrap();
        let responder = long_term.responder(&[&leader, &district]);
        let tsa = long_term.tsa_server(TsaBehaviour::Answer).await;
        let trust = long_term.trust_folder();
        Self {
            long_term,
            leader,
            district,
            province,
            crls,
            responder,
            tsa,
            trust,
        }
    }

    /// Levels by default: B-LTA for reports, B-LT for receipts.
    fn signing(&self, tsa_url: &str) -> SigningConfig {
        SigningConfig::from_toml(&signing_toml("", &[tsa_url], 5, &self.responder.url())).unwrap()
    }

    fn stored_key(&self, unit: i64, certificate: &TestCert) -> Value {
        json!({
            "unit_id": unit,
            "pkcs12_base64": STANDARD.encode(
                certificate.pkcs12(P12_PASSWORD, &[&self.long_term.pki.issuing_ca]).unwrap()
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
    let test_pki = &pki.long_term.pki;
    for (kind, certificate) in [
        ("root", &test_pki.root),
        ("intermediate", &test_pki.issuing_ca),
    ] {
        let body = json!({"kind": kind, "certificate": certificate.pem()});
        let (status, body) = results.post("/trust-anchors", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let current = CrlSpec::current(test_pki.now());
    for crl in [
        test_pki.root_crl(&current).unwrap(),
        test_pki.crl(&current).unwrap(),
    ] {
        let body = json!({"crl": STANDARD.encode(crl)});
        let (status, body) = results.post("/crls", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

/// The leader's official id, the leader's personal certificate registered in the results
/// service.
async fn leader(results: &TestApp, pki: &Pki, district: i64) -> i64 {
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
    let body = json!({"certificate": pki.leader.pem(), "official_id": id});
    let (status, registered) = results.post("/certificates", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    id
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
        motcua_testdata::generate::viet_yen(&mut conn, &calendar, false, None)
            .unwrap()
            .0
    };
    let (district, province) = (seeded.district.id.0, seeded.province.id.0);
    let pki = Pki::new().await;
    register_trust(&results, &pki).await;
    let leader_id = leader(&results, &pki, district).await;
    let results_key = results.key("auditor", None, &[]).await;
    let signing = pki.signing(pki.tsa.url());

    // The province's receiver, signing receipts at B-LT.
    let (receiver_trust, receiver_signing) = (pki.trust.clone(), signing.clone());
    let receiver = ReportsApp::start(backend, move |config| {
        config.receiver_unit_id = Some(UnitId(province));
        config.trust_roots_dir = Some(receiver_trust);
        config.signing = receiver_signing;
    })
    .await;
    let stored = pki.stored_key(province, &pki.province);
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
    let district_trust = pki.trust.clone();
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
    let stored = pki.stored_key(district, &pki.district);
    reports
        .ok(Method::POST, "/organisation-keys", &admin, Some(&stored))
        .await;

    // The leader signs in two steps at B-LT; the organisation signs on issue at B-LTA, whose
    // document timestamp then covers both signatures.
    let id = ready_report(&reports, &officer, district, leader_id).await;
    let (status, signed) = leader_signs(&reports, &officer, &id, &pki.leader).await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "leader_signed");
    assert_eq!(signed["signature"]["level"], "baseline_lt", "{signed}");
    assert!(signed["signature"]["fallback_reason"].is_null());
    let path = format!("/reports/{id}/issue");
    let issued = reports.ok(Method::POST, &path, &officer, None).await;
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["signature"]["level"], "baseline_lta", "{issued}");
    let pdf = document(&reports, &id, &officer).await;
    assert!(
        find(&pdf, b"/OCSPs", 0).is_some(),
        "the OCSP answers are kept in the /DSS"
    );
    check_with_motcua(&reports, &id, &officer).await;
    if let Some(valid) = pdfsig_accepts(&pdf) {
        assert_eq!(valid, 2, "both signatures valid in pdfsig");
    }
    pki.long_term.pyhanko_accepts(&pdf, 2);
    let tokens = pki.long_term.check_tokens(&pdf);
    assert_eq!(
        tokens,
        Tokens {
            signature_timestamps: 2,
            document_timestamps: 1,
        },
        "each signature timestamped, one document timestamp closing the issued report"
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
    assert!(pki.crls.hits() > 0, "the province's CRL was downloaded");
    let received = receiver
        .ok(Method::GET, &format!("/inbox/{id}"), &receiver_admin, None)
        .await;
    assert_eq!(received["verification"]["valid"], true, "{received}");
    let path = format!("/inbox/{id}/verification");
    let again = receiver.ok(Method::GET, &path, &receiver_admin, None).await;
    assert_eq!(again["valid"], true, "{again}");
    check_events(&reports, &receiver, &id, district, &officer).await;

    archive_renewal(&mut reports, &pki, &id, &officer).await;

    // The authority goes down: nothing is signed, nothing changes.
    let waiting_issue = ready_report(&reports, &officer, district, leader_id).await;
    let (status, body) = leader_signs(&reports, &officer, &waiting_issue, &pki.leader).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let waiting_leader = ready_report(&reports, &officer, district, leader_id).await;
    let dead = dead_url().await;
    let dead_signing = pki.signing(&dead);
    reports
        .restart_with(move |config| config.signing = dead_signing)
        .await;
    let (status, problem) = leader_signs(&reports, &officer, &waiting_leader, &pki.leader).await;
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

/// The archive endpoints (admins only): the issued report needs nothing while its authority's
/// certificate is far from its end; once the margin reaches that end, a renewal gives it a
/// second document timestamp that every validator accepts.
async fn archive_renewal(reports: &mut ReportsApp, pki: &Pki, id: &str, officer: &str) {
    let admin = reports.admin_key.clone();
    for (method, path) in [
        (Method::GET, "/archive"),
        (Method::POST, "/archive/renewals"),
    ] {
        let (status, body) = reports.call(method, path, officer, Some(&json!({}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let status = reports.ok(Method::GET, "/archive", &admin, None).await;
    assert_eq!(
        (status["total"].as_u64(), status["not_needed"].as_u64()),
        (Some(1), Some(1)),
        "{status}"
    );
    let (status, body) = reports
        .call(
            Method::POST,
            "/archive/renewals",
            &admin,
            Some(&json!({"limit": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // A margin longer than the authority certificate's life: its timestamps need renewing.
    reports
        .restart_with(|config| config.archive.margin = chrono::TimeDelta::days(100 * 365))
        .await;
    let status = reports.ok(Method::GET, "/archive", &admin, None).await;
    assert_eq!(status["authority_expiring"], 1, "{status}");
    let renewal = reports
        .ok(Method::POST, "/archive/renewals", &admin, Some(&json!({})))
        .await;
    assert_eq!(
        (renewal["renewed"].as_u64(), renewal["remaining"].as_u64()),
        (Some(1), Some(0)),
        "{renewal}"
    );
    assert!(
        renewal["failed"].as_array().unwrap().is_empty(),
        "{renewal}"
    );

    let pdf = document(reports, id, officer).await;
    let tokens = pki.long_term.check_tokens(&pdf);
    assert_eq!(tokens.document_timestamps, 2, "a second document timestamp");
    pki.long_term.pyhanko_accepts(&pdf, 2);
    check_with_motcua(reports, id, officer).await;
    let mut conn = reports.pool.get().unwrap();
    let events = motcua_db::audit::range(&mut conn, None, None).unwrap();
    let renewed: Vec<_> = events
        .iter()
        .filter(|event| event.action == "archive.renewed" && event.object_id == id)
        .collect();
    assert_eq!(renewed.len(), 1, "one audit record of the renewal");
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

/// The receipt's CAdES B-LT signature: `openssl cms -verify` accepts it over the receipt's
/// bytes trusting the root; its timestamp passes `openssl ts -verify`; it carries the CRL of
/// the CA that issued the receiver's certificate.
fn check_receipt(pki: &Pki, receipt: &Value) {
    let bytes = STANDARD
        .decode(receipt["receipt_base64"].as_str().unwrap())
        .unwrap();
    let cms = STANDARD
        .decode(receipt["signature_base64"].as_str().unwrap())
        .unwrap();
    let (signature, token) = signature_value_and_token(&cms);
    let token = token.expect("the receipt's signature timestamp");
    pki.long_term
        .timestamp_verifies(&token, &signature, false)
        .unwrap();
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
    let root = pki.long_term.path("root.pem").display().to_string();
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

/// The district published its report's issue, submission and acknowledgement, one event each and
/// in that order; the province published what it received, visible to the sender's unit only.
async fn check_events(
    reports: &ReportsApp,
    receiver: &ReportsApp,
    id: &str,
    district: i64,
    officer: &str,
) {
    let page = reports.ok(Method::GET, "/events", officer, None).await;
    let events = page["items"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("vn.motcua.report.issued", id),
            ("vn.motcua.report.submitted", id),
            ("vn.motcua.report.acknowledged", id),
        ],
        "{page}"
    );
    let issued = &events[0]["data"];
    assert_eq!(issued["from_status"], "leader_signed");
    assert_eq!(issued["unit_id"], district);
    assert!(
        issued["number_text"].as_str().unwrap().contains("/BC-"),
        "{issued}"
    );
    assert_eq!(
        issued["links"]["document"],
        format!("/reports/{id}/document")
    );
    assert_eq!(
        events[2]["data"]["links"]["delivery"],
        format!("/reports/{id}/delivery")
    );
    assert_eq!(events[0]["source"], "urn:motcua:reports");

    let admin = receiver.admin_key.clone();
    let received = receiver.ok(Method::GET, "/events", &admin, None).await;
    let items = received["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{received}");
    assert_eq!(items[0]["type"], "vn.motcua.report.received");
    assert_eq!(items[0]["subject"], id);
    assert_eq!(items[0]["data"]["sender_unit_id"], district);
    assert_eq!(
        items[0]["data"]["links"]["received"],
        format!("/inbox/{id}")
    );
    let other = receiver.key(
        "Xã khác",
        Role::Officer,
        Some(UnitId(district + 10_000)),
        &[],
    );
    let hidden = receiver.ok(Method::GET, "/events", &other, None).await;
    assert!(hidden["items"].as_array().unwrap().is_empty(), "{hidden}");
    let sender = receiver.key("Văn phòng", Role::Officer, Some(UnitId(district)), &[]);
    let seen = receiver.ok(Method::GET, "/events", &sender, None).await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 1, "{seen}");
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
