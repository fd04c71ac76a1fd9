//! One trust store: a report service without a trust folder verifies against the CA
//! certificates and CRLs installed through the results service's API, reads them again at once
//! when a signature finds no chain, and refuses to issue a report whose signatures do not all
//! pass (409 with the report of every signature, nothing changed).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::time::{Duration, Instant};

use chrono::Utc;
use motcua_core::access::Role;
use motcua_core::record_ids::UnitId;
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::pades::{sign_pdf, PdfSignatureOptions};
use motcua_pki::testpki::{sample_pdf, CertSpec, KeySpec, NameSpec, TestCert};
use motcua_reports::config::{ReportsConfig, Secret};
use motcua_tests::signed::SigningPki;
use motcua_tests::verification_page::PageClient;
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::requests::letterhead;

motcua_tests::with_each_backend!(
    issues_and_verifies_against_the_results_trust_store,
    refuses_to_issue_what_does_not_verify,
    a_silent_results_service_leaves_the_folder,
    the_receiver_verifies_against_the_results_trust_store,
);

const P12_PASSWORD: &str = "mật khẩu PKCS#12";

/// A CA neither service trusts, with other names than the test PKI's.
fn other_ca(pki: &SigningPki) -> TestCert {
    TestCert::self_signed(
        &CertSpec::certificate_authority(
            NameSpec::new()
                .add("C", "VN")
                .add("O", "Tổ chức chứng thực thử nghiệm")
                .add("CN", "CA thử nghiệm khác"),
            pki.pki.now(),
            1,
            5,
        )
        .key(KeySpec::EcP256),
    )
    .unwrap()
}

/// The CA certificates and CRLs of `pki`, installed through the results service's API.
async fn install(results: &TestApp, pki: &SigningPki) {
    for (kind, certificate) in [
        ("root", &pki.pki.root),
        ("intermediate", &pki.pki.issuing_ca),
    ] {
        let (status, added) = results
            .post(
                "/trust-anchors",
                &json!({"kind": kind, "certificate": certificate.pem()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    for crl in pki.crls() {
        let (status, imported) = results
            .post("/crls", &json!({"crl": STANDARD.encode(crl)}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
    }
}

/// The seed district in a results service that trusts `pki`, its leader with a registered
/// personal certificate, and a report service without a trust folder reading it.
struct Scene {
    results: TestApp,
    reports: ReportsApp,
    district: i64,
    leader_id: i64,
    leader: TestCert,
}

/// A results service with the seed district that trusts `pki` (installed through its API), and
/// the district's leader with a registered personal certificate.
struct Records {
    results: TestApp,
    province: i64,
    district: i64,
    leader_id: i64,
    leader: TestCert,
}

impl Records {
    async fn start(backend: Backend, pki: &SigningPki) -> Self {
        let results = TestApp::start(backend).await;
        let seeded = results.seed_viet_yen();
        let district = seeded.district.id.0;
        install(&results, pki).await;
        let (_, officials) = results
            .get(&format!("/officials?unit={district}&limit=200"))
            .await;
        let leader = officials["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
            .unwrap_or_else(|| panic!("no leader in {officials}"))
            .clone();
        let token = pki.person(
            leader["full_name"].as_str().unwrap(),
            leader["personal_id"].as_str().unwrap(),
        );
        let (status, registered) = results
            .post(
                "/certificates",
                &json!({"certificate": token.pem(), "official_id": leader["id"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{registered}");
        assert_eq!(registered["usable"], true, "{registered}");
        Self {
            results,
            province: seeded.province.id.0,
            district,
            leader_id: leader["id"].as_i64().unwrap(),
            leader: token,
        }
    }

    /// A report service without trust folder reading these records, with `tune` applied.
    async fn report_service(
        &self,
        backend: Backend,
        tune: impl FnOnce(&mut ReportsConfig),
    ) -> ReportsApp {
        let key = self.results.key("auditor", None, &[]).await;
        let base = self.results.base_url.clone();
        ReportsApp::start(backend, move |config| {
            config.results_url = Some(base);
            config.results_api_key = Some(Secret::new(key));
            assert!(config.trust_roots_dir.is_none());
            tune(config);
        })
        .await
    }
}

impl Scene {
    async fn new(backend: Backend, pki: &SigningPki) -> Self {
        let records = Records::start(backend, pki).await;
        let reports = records.report_service(backend, |_| {}).await;
        Self::of(records, reports)
    }

    fn of(records: Records, reports: ReportsApp) -> Self {
        Self {
            results: records.results,
            reports,
            district: records.district,
            leader_id: records.leader_id,
            leader: records.leader,
        }
    }

    /// Stores the district's organisation key, `certificate` with its issuing CA.
    async fn store_organisation_key(&self, certificate: &TestCert, issuing: &TestCert) {
        let pkcs12 = certificate.pkcs12(P12_PASSWORD, &[issuing]).unwrap();
        self.reports
            .ok(
                Method::POST,
                "/organisation-keys",
                &self.reports.admin_key,
                Some(&json!({
                    "unit_id": self.district,
                    "pkcs12_base64": STANDARD.encode(pkcs12),
                    "password": P12_PASSWORD,
                })),
            )
            .await;
    }

    /// A report compiled, made ready and signed by the leader; its id. The `Location` of the
    /// new report is absolute and can be fetched.
    async fn leader_signed_report(&self) -> String {
        let admin = &self.reports.admin_key;
        let response = self
            .reports
            .client
            .post(self.reports.url("/reports"))
            .bearer_auth(admin)
            .json(&json!({
                "kind": "form_06", "unit_id": self.district, "periods": ["2024-Q1"],
                "letterhead": letterhead(),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let (_, created) = motcua_tests::read(response).await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(location, self.reports.url(&format!("/reports/{id}")));
        let fetched = self
            .reports
            .client
            .get(&location)
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert_eq!(fetched.status(), StatusCode::OK);

        let ready = self
            .reports
            .ok(
                Method::POST,
                &format!("/reports/{id}/ready"),
                admin,
                Some(&json!({"signatory_official_id": self.leader_id})),
            )
            .await;
        let qr_url = ready["verification_qr_url"].as_str().unwrap();
        let page = format!("/verification?report={id}&sha256=");
        assert!(qr_url.starts_with(&self.reports.url(&page)), "{ready}");
        let session = self
            .reports
            .ok(
                Method::POST,
                &format!("/reports/{id}/leader-signing-sessions"),
                admin,
                None,
            )
            .await;
        let signer = KeySigner::new(
            self.leader.private_key().clone(),
            self.leader.certificate().clone(),
        )
        .unwrap();
        let to_be_signed = STANDARD
            .decode(session["to_be_signed_base64"].as_str().unwrap())
            .unwrap();
        let signature = signer.sign(&to_be_signed).unwrap();
        let signed = self
            .reports
            .ok(
                Method::POST,
                &format!(
                    "/leader-signing-sessions/{}/signature",
                    session["session_id"].as_str().unwrap()
                ),
                admin,
                Some(&json!({"signature_base64": STANDARD.encode(signature)})),
            )
            .await;
        assert_eq!(signed["status"], "leader_signed", "{signed}");
        id
    }

    async fn issue(&self, id: &str) -> (StatusCode, Value) {
        self.reports
            .call(
                Method::POST,
                &format!("/reports/{id}/issue"),
                &self.reports.admin_key,
                None,
            )
            .await
    }

    async fn verification(&self, id: &str) -> Value {
        self.reports
            .ok(
                Method::GET,
                &format!("/reports/{id}/verification"),
                &self.reports.admin_key,
                None,
            )
            .await
    }
}

async fn issues_and_verifies_against_the_results_trust_store(backend: Backend) {
    let pki = SigningPki::new();
    let scene = Scene::new(backend, &pki).await;
    let district_key = pki.organisation("UBND THỊ XÃ VIỆT YÊN", "Văn phòng", "2400123456");
    scene
        .store_organisation_key(&district_key, &pki.pki.issuing_ca)
        .await;
    let id = scene.leader_signed_report().await;
    let page = PageClient::new(&scene.reports.base_url, &scene.reports.client);
    let not_issued = page.get(&format!("/verification?report={id}")).await;
    not_issued.assert_page(StatusCode::NOT_FOUND);
    assert!(not_issued.contains("Không có báo cáo nào đã ban hành với mã này."));
    let (status, issued) = scene.issue(&id).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["status"], "issued");
    the_issued_report_carries_its_verification_qr_code(&scene, &page, &id, &issued).await;
    let verification = scene.verification(&id).await;
    assert_eq!(verification["valid"], true, "{verification}");
    let signatures = verification["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 2, "{verification}");
    for signature in signatures {
        assert_eq!(
            signature["report"]["indication"], "TOTAL_PASSED",
            "{signature}"
        );
    }
    // The results service's trust store, as the report service read it.
    let (status, exported) = scene.results.get("/trust-store").await;
    assert_eq!(status, StatusCode::OK, "{exported}");
    assert_eq!(exported["anchors"].as_array().unwrap().len(), 2);
    assert_eq!(exported["crls_der_base64"].as_array().unwrap().len(), 2);
}

/// The issued document shows the code of the URL the issue answered, in its place; the public
/// page finds the issued report by it and says whether the document matches.
async fn the_issued_report_carries_its_verification_qr_code(
    scene: &Scene,
    page: &PageClient,
    id: &str,
    issued: &Value,
) {
    let qr_url = issued["verification_qr_url"].as_str().unwrap();
    let issued_pdf = scene
        .reports
        .client
        .get(scene.reports.url(&format!("/reports/{id}/document")))
        .bearer_auth(&scene.reports.admin_key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    motcua_tests::verification_qr::assert_qr_drawn(&issued_pdf, qr_url);

    let path = qr_url.strip_prefix(&scene.reports.base_url).unwrap();
    let matching = page.get(path).await;
    matching.assert_page(StatusCode::OK);
    assert!(
        matching.contains("data-match=\"true\""),
        "{}",
        matching.html
    );
    assert!(
        matching.contains("UBND thị xã Việt Yên"),
        "{}",
        matching.html
    );
    let number = issued["number_text"].as_str().unwrap();
    assert!(matching.contains(number), "{}", matching.html);
    for signature in ["signature-1", "signature-2"] {
        assert_eq!(matching.indication_of(signature), Some("TOTAL_PASSED"));
    }
    let other = page
        .get(&format!(
            "/verification?report={id}&sha256={}&lang=en",
            "0".repeat(64)
        ))
        .await;
    other.assert_page(StatusCode::OK);
    assert!(other.contains("data-match=\"false\""), "{}", other.html);
    assert!(other.contains("does NOT match the stored one"));
    let malformed = page
        .get(&format!("/verification?report={id}&sha256=12"))
        .await;
    malformed.assert_page(StatusCode::BAD_REQUEST);
    let unknown = page
        .get("/verification?report=no-such-report&lang=en")
        .await;
    unknown.assert_page(StatusCode::NOT_FOUND);
    assert!(unknown.contains("There is no issued report with this id."));
}

async fn refuses_to_issue_what_does_not_verify(backend: Backend) {
    let pki = SigningPki::new();
    let scene = Scene::new(backend, &pki).await;
    // The organisation's key comes from a CA that neither service trusts.
    let other_ca = other_ca(&pki);
    let foreign_key = other_ca
        .issue(
            &pki.pki
                .organisation("UBND THỊ XÃ VIỆT YÊN", "UBND TỈNH BẮC GIANG", "Bắc Giang")
                .key(KeySpec::EcP256),
        )
        .unwrap();
    scene.store_organisation_key(&foreign_key, &other_ca).await;
    let id = scene.leader_signed_report().await;
    let (_, before) = scene
        .reports
        .call(
            Method::GET,
            &format!("/reports/{id}"),
            &scene.reports.admin_key,
            None,
        )
        .await;
    let (documents, events) = (
        scene.reports.count_rows("report_documents"),
        scene.reports.count_rows("audit_events"),
    );

    let (status, problem) = scene.issue(&id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["type"], "/problems/signatures-not-valid",
        "{problem}"
    );
    let verification = &problem["verification"];
    assert_eq!(verification["valid"], false, "{problem}");
    let signatures = verification["signatures"].as_array().unwrap();
    let field = |name: &str| {
        signatures
            .iter()
            .find(|s| s["field_name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {problem}"))
    };
    assert_eq!(field("LanhDao")["report"]["indication"], "TOTAL_PASSED");
    assert_eq!(
        field("ToChuc")["report"]["sub_indication"],
        "NO_CERTIFICATE_CHAIN_FOUND",
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("ToChuc"),
        "{problem}"
    );

    // Nothing changed: the report is still signed by the leader only, at the same version.
    let (_, after) = scene
        .reports
        .call(
            Method::GET,
            &format!("/reports/{id}"),
            &scene.reports.admin_key,
            None,
        )
        .await;
    assert_eq!(after["status"], "leader_signed", "{after}");
    assert_eq!(after, before);
    assert_eq!(scene.reports.count_rows("report_documents"), documents);
    assert_eq!(scene.reports.count_rows("audit_events"), events);
    let verification = scene.verification(&id).await;
    assert_eq!(verification["stage"], "leader_signed", "{verification}");

    // Once the other CA is installed in the results service, the next issue finds its chain at
    // once, without waiting for the scheduled refresh (a forced read waits a second after the
    // last one).
    let (status, added) = scene
        .results
        .post(
            "/trust-anchors",
            &json!({"kind": "root", "certificate": other_ca.pem()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, issued) = scene.issue(&id).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["status"], "issued");
    assert_eq!(scene.verification(&id).await["valid"], true);
}

/// A results service that accepts connections and never answers: verifications use the trust
/// folder at once, and one that finds no chain waits for the results service a few seconds at
/// most.
async fn a_silent_results_service_leaves_the_folder(backend: Backend) {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            held.push(connection);
        }
    });
    let pki = SigningPki::new();
    let roots = pki.roots_dir();
    let reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(format!("http://{address}"));
        config.results_api_key = Some(Secret::new("mc_silent"));
        config.trust_roots_dir = Some(roots);
    })
    .await;
    let page = PageClient::new(&reports.base_url, &reports.client);

    let trusted =
        pki.sign(&pki.organisation("UBND XÃ THƯỢNG LAN", "Bộ phận Một cửa", "2400123456"));
    let started = Instant::now();
    let answer = page.upload("", "ket-qua.pdf", &trusted).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.html);
    assert_eq!(answer.indication_of("summary"), Some("TOTAL_PASSED"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let other_ca = other_ca(&pki);
    let stranger = other_ca
        .issue(
            &pki.pki
                .organisation("UBND XÃ THƯỢNG LAN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
                .key(KeySpec::EcP256),
        )
        .unwrap();
    let signer = KeySigner::new(
        stranger.private_key().clone(),
        stranger.certificate().clone(),
    )
    .unwrap();
    let unknown = sign_pdf(
        &sample_pdf("KET QUA GIAI QUYET HO SO"),
        &signer,
        &[],
        &PdfSignatureOptions::new(Utc::now()),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = Instant::now();
    let answer = page.upload("", "ket-qua.pdf", &unknown).await;
    let waited = started.elapsed();
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.html);
    assert_ne!(answer.indication_of("summary"), Some("TOTAL_PASSED"));
    assert!(
        waited < Duration::from_secs(8),
        "a silent results service held the verification {waited:?}"
    );
}

/// The province's receiver, without trust folder, verifies the district's package and signs its
/// receipt against the anchors installed in its results service; the district checks that
/// receipt the same way.
async fn the_receiver_verifies_against_the_results_trust_store(backend: Backend) {
    let pki = SigningPki::new();
    let records = Records::start(backend, &pki).await;
    let province = records.province;
    let receiver = records
        .report_service(backend, move |config| {
            config.receiver_unit_id = Some(UnitId(province));
        })
        .await;
    let province_key = pki.organisation("UBND TỈNH BẮC GIANG", "Văn phòng", "2400100000");
    let pkcs12 = province_key
        .pkcs12(P12_PASSWORD, &[&pki.pki.issuing_ca])
        .unwrap();
    receiver
        .ok(
            Method::POST,
            "/organisation-keys",
            &receiver.admin_key,
            Some(&json!({
                "unit_id": province,
                "pkcs12_base64": STANDARD.encode(pkcs12),
                "password": P12_PASSWORD,
            })),
        )
        .await;
    let delivery_key = receiver.key(
        "UBND thị xã Việt Yên",
        Role::Integration,
        Some(UnitId(records.district)),
        &["submissions:write"],
    );
    let receiver_url = receiver.base_url.clone();
    let reports = records
        .report_service(backend, move |config| {
            config.receiver_url = Some(receiver_url);
            config.receiver_api_key = Some(Secret::new(delivery_key));
        })
        .await;
    let scene = Scene::of(records, reports);
    let district_key = pki.organisation("UBND THỊ XÃ VIỆT YÊN", "Văn phòng", "2400123456");
    scene
        .store_organisation_key(&district_key, &pki.pki.issuing_ca)
        .await;
    let id = scene.leader_signed_report().await;
    let (status, issued) = scene.issue(&id).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let admin = &scene.reports.admin_key;
    scene
        .reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/submission"),
            admin,
            None,
        )
        .await;
    let waiting = Instant::now();
    let delivery = loop {
        let delivery = scene
            .reports
            .ok(Method::GET, &format!("/reports/{id}/delivery"), admin, None)
            .await;
        if delivery["receipt"].is_object() {
            break delivery;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "not acknowledged: {delivery}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(delivery["last_error"].is_null(), "{delivery}");
    let received = receiver
        .ok(
            Method::GET,
            &format!("/inbox/{id}/verification"),
            &receiver.admin_key,
            None,
        )
        .await;
    assert_eq!(received["valid"], true, "{received}");
    let (_, report) = scene
        .reports
        .call(Method::GET, &format!("/reports/{id}"), admin, None)
        .await;
    assert_eq!(report["status"], "acknowledged", "{report}");
}
