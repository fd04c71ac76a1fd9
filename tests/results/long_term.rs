//! Long-term signatures of the results service: electronic results and signed components raised
//! to PAdES B-LT with a third-party TSA (`openssl ts -reply`) and OCSP answers from
//! `openssl ocsp`, checked by motcua's verifier, `pdfsig`, pyHanko and `openssl ts -verify`; a
//! failing authority refusing the signature (or, when configured, falling back to B-B and saying
//! why); the service as a timestamp authority; and the freshness of the trust store's CRLs,
//! kept current by the scheduled refresh.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_pki::cms::{Indication, KeySigner, Signer};
use motcua_pki::pades::{verify_pdf, PdfSignatureKind, SignatureLevel};
use motcua_pki::testpki::tsa::{TsaBehaviour, TsaServer};
use motcua_pki::testpki::{
    CertSpec, CrlSpec, NameSpec, OpensslOcspResponder, ServeMode, StaticHttpServer, TestCert,
};
use motcua_pki::RevocationPolicy;
use motcua_results::config::{Secret, SigningConfig, TsaRoleConfig, DEFAULT_TSA_POLICY};
use motcua_tests::long_term::{
    openssl_available, pdfsig_accepts, run, signing_toml, text, write, LongTermPki,
};
use motcua_tests::{read, with_each_backend, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Digest;

use crate::certificates::{base64, officials_under, personal, register};
use crate::dossiers::{create, dossier, procedure, step};
use crate::electronic_results::{result_pdf, UNIT_NAME};

with_each_backend!(
    results_and_components_are_signed_at_b_lt,
    a_failing_authority_refuses_or_falls_back,
    the_service_is_a_timestamp_authority,
    trust_anchors_show_crl_freshness_and_its_refresh,
);

const P12_PASSWORD: &str = "mật khẩu PKCS#12";
const LT_LEVELS: &str = "electronic_result = \"baseline_lt\"\ndossier_component = \"baseline_lt\"";

/// A commune whose collective certificate and first official's personal certificate name the
/// OCSP responder, the responder and TSA servers, and a dossier in `processing`.
struct Office {
    app: TestApp,
    pki: LongTermPki,
    official: Value,
    official_token: TestCert,
    code: String,
    responder: OpensslOcspResponder,
    tsa: Vec<TsaServer>,
}

impl Office {
    /// The service signing at `levels` with the TSAs answering as `behaviours`, in order.
    async fn new(backend: Backend, levels: &str, behaviours: &[TsaBehaviour]) -> Self {
        let mut app = TestApp::start(backend).await;
        let seeded = app.seed_viet_yen();
        let commune = seeded.communes[0].id.0;
        let official = officials_under(&app, commune).await[0].clone();
        let pki = LongTermPki::new();
        let organisation = pki.issue_with_ocsp(pki.pki.organisation(
            UNIT_NAME,
            "UBND THỊ XÃ VIỆT YÊN",
            "Bắc Giang",
        ));
        let official_token = pki.issue_with_ocsp(pki.pki.individual(
            official["full_name"].as_str().unwrap(),
            official["personal_id"].as_str().unwrap(),
        ));
        let responder = pki.responder(&[&organisation, &official_token]);
        let mut tsa = Vec::new();
        for behaviour in behaviours {
            tsa.push(pki.tsa_server(*behaviour).await);
        }
        let urls: Vec<&str> = tsa.iter().map(TsaServer::url).collect();
        let config =
            SigningConfig::from_toml(&signing_toml(levels, &urls, 2, &responder.url())).unwrap();
        app.restart_with(|settings| settings.signing = config).await;
        install_trust(&app, &pki).await;
        let registered = register(
            &app,
            &json!({"certificate": organisation.pem(), "unit_id": commune}),
        )
        .await;
        assert_eq!(registered["usable"], true, "{registered}");
        let pkcs12 = organisation
            .pkcs12(P12_PASSWORD, &[&pki.pki.issuing_ca])
            .unwrap();
        let (status, stored) = app
            .post(
                &format!("/units/{commune}/organisation-keys"),
                &json!({"certificate_id": registered["id"], "pkcs12_base64": base64(&pkcs12), "password": P12_PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
        register(&app, &personal(&official_token, &official)).await;
        let procedure_id = procedure(&app, "1.000200", "Hộ tịch", 5).await;
        let mut body = dossier(commune, procedure_id, "direct", "2024-03-04T02:00:00Z");
        body["components"] = json!([{"name": "Tờ khai đăng ký khai sinh"}]);
        let code = create(&app, &body).await["code"]
            .as_str()
            .unwrap()
            .to_owned();
        step(&app, &code, "processing", "2024-03-05T02:00:00Z", None).await;
        Self {
            app,
            pki,
            official,
            official_token,
            code,
            responder,
            tsa,
        }
    }

    async fn issue_result(&self) -> (StatusCode, Value) {
        let response = self
            .app
            .client
            .post(self.app.url(&format!("/dossiers/{}/result", self.code)))
            .bearer_auth(&self.app.admin_key)
            .header("content-type", "application/pdf")
            .body(result_pdf())
            .send()
            .await
            .unwrap();
        read(response).await
    }

    async fn download(&self, path: &str) -> Vec<u8> {
        let response = self
            .app
            .client
            .get(self.app.url(path))
            .bearer_auth(&self.app.admin_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap().to_vec()
    }

    async fn status(&self) -> String {
        let (_, found) = self.app.get(&format!("/dossiers/{}", self.code)).await;
        found["status"].as_str().unwrap().to_owned()
    }

    /// Both steps of the official's signature of component 1; the answer of the second.
    async fn sign_component(&self) -> (StatusCode, Value) {
        let engine = base64::engine::general_purpose::STANDARD;
        let scan = motcua_pki::testpki::sample_pdf("To khai dang ky khai sinh");
        let (status, session) = self
            .app
            .post(
                &format!("/dossiers/{}/components/1/signing-sessions", self.code),
                &json!({"official_id": self.official["id"], "pdf_base64": base64(&scan)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        let to_be_signed = engine
            .decode(session["to_be_signed_base64"].as_str().unwrap())
            .unwrap();
        let p12 = self.official_token.pkcs12("x", &[]).unwrap();
        let signature = KeySigner::from_pkcs12(&p12, "x")
            .unwrap()
            .sign(&to_be_signed)
            .unwrap();
        self.app
            .post(
                &format!(
                    "/signing-sessions/{}/signature",
                    session["session_id"].as_str().unwrap()
                ),
                &json!({"signature_base64": engine.encode(signature)}),
            )
            .await
    }

    /// The detail of the last audit record of `action`.
    async fn audit_detail(&self, action: &str) -> Value {
        let (status, page) = self
            .app
            .get(&format!("/audit-events?action={action}&limit=500"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["items"].as_array().unwrap().last().unwrap()["detail"].clone()
    }

    /// motcua's verifier (revocation required, the CAs' CRLs known), `pdfsig`, pyHanko and
    /// `openssl ts -verify` all accept `pdf`, one signature at `level`.
    fn check(&self, pdf: &[u8], level: SignatureLevel) {
        let mut store = self.pki.pki.trust_store().unwrap();
        for crl in crls(&self.pki) {
            store.add_crl(&crl).unwrap();
        }
        let reports = verify_pdf(pdf, &store, &[], Utc::now(), RevocationPolicy::Require).unwrap();
        let signatures: Vec<_> = reports
            .iter()
            .filter(|report| report.kind == PdfSignatureKind::Signature)
            .collect();
        assert_eq!(signatures.len(), 1, "{reports:#?}");
        let report = &signatures[0].report;
        assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
        assert_eq!(report.level, Some(level), "{report:#?}");
        if let Some(valid) = pdfsig_accepts(pdf) {
            assert_eq!(valid, 1);
        }
        let timestamped = self.pki.check_tokens(pdf).signature_timestamps;
        if level == SignatureLevel::BaselineB {
            assert_eq!(timestamped, 0);
        } else {
            assert_eq!(timestamped, 1, "the signature carries its timestamp");
            self.pki.pyhanko_accepts(pdf, 1);
        }
    }
}

/// The root and issuing CA, and a current CRL of each, through the API.
async fn install_trust(app: &TestApp, pki: &LongTermPki) {
    for (kind, certificate) in [
        ("root", &pki.pki.root),
        ("intermediate", &pki.pki.issuing_ca),
    ] {
        let (status, added) = app
            .post(
                "/trust-anchors",
                &json!({"kind": kind, "certificate": certificate.pem()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    for crl in crls(pki) {
        let (status, imported) = app.post("/crls", &json!({"crl": base64(&crl)})).await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
    }
}

fn crls(pki: &LongTermPki) -> [Vec<u8>; 2] {
    let spec = CrlSpec::current(pki.pki.now());
    [
        pki.pki.root_crl(&spec).unwrap(),
        pki.pki.crl(&spec).unwrap(),
    ]
}

async fn results_and_components_are_signed_at_b_lt(backend: Backend) {
    if !openssl_available() {
        return;
    }
    let office = Office::new(backend, LT_LEVELS, &[TsaBehaviour::Answer]).await;
    let (status, result) = office.issue_result().await;
    assert_eq!(status, StatusCode::CREATED, "{result}");
    assert_eq!(result["signature_level"], "baseline_lt", "{result}");
    assert_eq!(result["fallback_reason"], Value::Null);
    let pdf = office
        .download(result["download_url"].as_str().unwrap())
        .await;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&pdf)),
        result["sha256"].as_str().unwrap(),
        "the answer describes the document stored"
    );
    office.check(&pdf, SignatureLevel::BaselineLt);
    let recorded = office.audit_detail("dossier.result").await;
    assert_eq!(recorded["signature_level"], "baseline_lt", "{recorded}");

    let (status, file) = office.sign_component().await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(file["signature_level"], "baseline_lt", "{file}");
    let pdf = office.download(file["download"].as_str().unwrap()).await;
    office.check(&pdf, SignatureLevel::BaselineLt);
    let recorded = office.audit_detail("component.signed").await;
    assert_eq!(
        recorded["component"]["signature_level"], "baseline_lt",
        "{recorded}"
    );
}

async fn a_failing_authority_refuses_or_falls_back(backend: Backend) {
    if !openssl_available() {
        return;
    }
    let behaviours = [TsaBehaviour::Garbage, TsaBehaviour::Hang];
    let mut office = Office::new(backend, LT_LEVELS, &behaviours).await;
    let urls: Vec<String> = office.tsa.iter().map(|tsa| tsa.url().to_owned()).collect();

    let (status, problem) = office.issue_result().await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    for url in &urls {
        assert!(detail.contains(url.as_str()), "names {url}: {detail}");
    }
    assert_eq!(office.app.count_rows("dossier_results"), 0);
    assert_eq!(office.status().await, "processing");
    let (status, problem) = office.sign_component().await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{problem}");
    assert_eq!(office.app.count_rows("component_files"), 0);

    let with_fallback = format!("{LT_LEVELS}\nfallback = \"baseline_b\"");
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let config = SigningConfig::from_toml(&signing_toml(
        &with_fallback,
        &url_refs,
        2,
        &office.responder.url(),
    ))
    .unwrap();
    office
        .app
        .restart_with(|settings| settings.signing = config)
        .await;
    let (status, result) = office.issue_result().await;
    assert_eq!(status, StatusCode::CREATED, "{result}");
    assert_eq!(result["signature_level"], "baseline_b", "{result}");
    let reason = result["fallback_reason"].as_str().unwrap();
    assert!(reason.contains(urls[0].as_str()), "{reason}");
    assert_eq!(office.status().await, "releasing");
    let recorded = office.audit_detail("dossier.result").await;
    assert_eq!(recorded["fallback_reason"], reason, "{recorded}");
    let pdf = office
        .download(result["download_url"].as_str().unwrap())
        .await;
    office.check(&pdf, SignatureLevel::BaselineB);
}

/// `openssl ts -reply -in FILE -text` of a reply.
fn reply_text(dir: &std::path::Path, reply: &[u8]) -> String {
    let path = write(dir, "reply.tsr", reply).display().to_string();
    let output = run("openssl", &["ts", "-reply", "-in", &path, "-text"]).unwrap();
    text(&output)
}

async fn the_service_is_a_timestamp_authority(backend: Backend) {
    if !openssl_available() {
        return;
    }
    let pki = LongTermPki::new();
    let key_file = write(
        pki.dir.path(),
        "tsa.p12",
        &pki.tsa
            .pkcs12(P12_PASSWORD, &[&pki.pki.issuing_ca])
            .unwrap(),
    );
    let role = TsaRoleConfig {
        key_file: key_file.clone(),
        password: Secret::new(P12_PASSWORD),
        policy: DEFAULT_TSA_POLICY.to_owned(),
    };
    let mut app = TestApp::start_with(backend, |settings| settings.tsa = Some(role.clone())).await;

    let data = b"Ket qua giai quyet ho so 000.00.24.H05-240304-0001".to_vec();
    let data_path = write(pki.dir.path(), "data.txt", &data);
    let query_path = pki.path("query.tsq");
    let asked = run(
        "openssl",
        &[
            "ts",
            "-query",
            "-data",
            &data_path.display().to_string(),
            "-sha256",
            "-cert",
            "-out",
            &query_path.display().to_string(),
        ],
    )
    .unwrap();
    assert!(asked.status.success(), "{}", text(&asked));
    let query = std::fs::read(&query_path).unwrap();
    let response = app
        .client
        .post(app.url("/timestamps"))
        .header("content-type", "application/timestamp-query")
        .body(query.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/timestamp-reply"
    );
    let reply = response.bytes().await.unwrap().to_vec();
    pki.timestamp_verifies(&reply, &data, true).unwrap();
    let printed = reply_text(pki.dir.path(), &reply);
    assert!(printed.contains("Status: Granted."), "{printed}");
    assert!(
        printed.contains(&format!("Policy OID: {DEFAULT_TSA_POLICY}")),
        "{printed}"
    );

    // Bytes that are no TimeStampReq get a rejection TimeStampResp (status 2), as RFC 3161 says.
    let (status, rejected) = raw_post(
        &app,
        "application/timestamp-query",
        b"not a request".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let printed = reply_text(pki.dir.path(), &rejected);
    assert!(printed.contains("Status: Rejected."), "{printed}");
    assert!(printed.contains("wrong format"), "{printed}");
    let (status, _) = raw_post(&app, "application/json", query.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = raw_post(&app, "application/timestamp-query", vec![0x30; 65 * 1024]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // A certificate without the timeStamping purpose is refused at start-up.
    let not_tsa = pki.issue_with_ocsp(pki.pki.organisation(
        UNIT_NAME,
        "UBND THỊ XÃ VIỆT YÊN",
        "Bắc Giang",
    ));
    let wrong_file = write(
        pki.dir.path(),
        "not-tsa.p12",
        &not_tsa.pkcs12(P12_PASSWORD, &[]).unwrap(),
    );
    let mut config = app.state.config.clone();
    config.tsa = Some(TsaRoleConfig {
        key_file: wrong_file,
        ..role
    });
    let refused = motcua_results::state::AppState::new(app.pool.clone(), config)
        .err()
        .expect("a certificate that may not sign timestamps is refused");
    assert!(refused.contains("cannot sign timestamps"), "{refused}");
    assert!(refused.contains("MOTCUA_TSA_KEY_FILE"), "{refused}");

    app.restart_with(|settings| settings.tsa = None).await;
    let (status, problem) = raw_post(&app, "application/timestamp-query", query).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let problem: Value = serde_json::from_slice(&problem).unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("MOTCUA_TSA_KEY_FILE"),
        "{problem}"
    );
}

/// POSTs `body` as `content_type` without an API key; status and raw body.
async fn raw_post(app: &TestApp, content_type: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let response = app
        .client
        .post(app.url("/timestamps"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

/// The `crl` member of the trust anchor named `subject`.
async fn anchor_crl(app: &TestApp, subject: &str) -> Value {
    let (status, page) = app.get("/trust-anchors?limit=500").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|anchor| anchor["subject"].as_str().unwrap().contains(subject))
        .unwrap_or_else(|| panic!("no trust anchor {subject}: {page}"))["crl"]
        .clone()
}

async fn trust_anchors_show_crl_freshness_and_its_refresh(backend: Backend) {
    let server = StaticHttpServer::start(ServeMode::Files).await.unwrap();
    let now = Utc::now();
    let name = |common_name: &str| {
        NameSpec::new()
            .add("C", "VN")
            .add("O", "Ban Cơ yếu Chính phủ")
            .add("CN", common_name)
    };
    let root = TestCert::self_signed(&CertSpec::certificate_authority(
        name("Root làm mới CRL"),
        now,
        5,
        20,
    ))
    .unwrap();
    let mut issuing = CertSpec::certificate_authority(name("CA làm mới CRL"), now, 3, 10)
        .crl_url(&server.url("root.crl"));
    issuing.path_len = Some(0);
    let issuing = root.issue(&issuing).unwrap();
    let app = TestApp::start_with(backend, |settings| {
        settings.crl_refresh_interval = Duration::from_secs(1);
    })
    .await;
    for (kind, certificate) in [("root", &root), ("intermediate", &issuing)] {
        let (status, added) = app
            .post(
                "/trust-anchors",
                &json!({"kind": kind, "certificate": certificate.pem()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    let stale = CrlSpec::stale(now);
    let (status, imported) = app
        .post("/crls", &json!({"crl": base64(&root.crl(&stale).unwrap())}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");

    let held = anchor_crl(&app, "Root làm mới CRL").await;
    assert_eq!(held["freshness"], "stale", "{held}");
    let stale_update: DateTime<Utc> = serde_json::from_value(held["this_update"].clone()).unwrap();
    assert_eq!(stale_update.timestamp(), stale.this_update.timestamp());
    let missing = anchor_crl(&app, "CA làm mới CRL").await;
    assert_eq!(missing["freshness"], "missing", "{missing}");
    assert_eq!(missing["this_update"], Value::Null);

    let fresh = CrlSpec {
        number: 2,
        ..CrlSpec::current(now)
    };
    server.serve("root.crl", root.crl(&fresh).unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let held = loop {
        let held = anchor_crl(&app, "Root làm mới CRL").await;
        if held["freshness"] == "current" || std::time::Instant::now() > deadline {
            break held;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        held["freshness"], "current",
        "the refresh downloaded the CRL: {held}"
    );
    let next_update: DateTime<Utc> = serde_json::from_value(held["next_update"].clone()).unwrap();
    assert_eq!(next_update.timestamp(), fresh.next_update.timestamp());
    assert!(server.hits() > 0);

    // Stored and audited as an admin's import is.
    let (_, crls) = app.get("/crls?limit=500").await;
    assert_eq!(crls["items"].as_array().unwrap().len(), 2, "{crls}");
    let (_, events) = app.get("/audit-events?action=crl.import&limit=500").await;
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{events:#?}");
    assert!(
        events[1]["actor_name"]
            .as_str()
            .unwrap()
            .contains("CRL refresh"),
        "{events:#?}"
    );
    assert_eq!(events[1]["detail"]["number"], "02", "{events:#?}");
}
