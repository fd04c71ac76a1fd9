//! The certificate registry over HTTP: the trust store managed through the API, registering and
//! binding certificates of officials and units, refusals with their verdict, validation without
//! storing, the coverage report of the seed district, and revalidation when CRLs or the trust
//! store change (and on schedule).

use base64::Engine;
use chrono::{Duration, Utc};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::RevocationReason;
use motcua_tests::{on_both_backends, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    registers_and_binds_personal_and_collective_certificates,
    refuses_certificates_that_fail_binding_or_validation,
    validates_without_storing,
    validation_builds_the_path_with_the_chain_given,
    look_alike_roots_never_enter_the_trust_store,
    coverage_of_the_seed_district_follows_revocation,
    trust_store_changes_are_admin_only,
    bad_uploads_are_refused_and_store_nothing,
    removing_a_root_makes_certificates_untrusted,
);

/// A test copy of the government hierarchy. The CAs have RSA 2048 keys; holders get P-256 keys,
/// which are generated in a fraction of the time, so a test can issue a certificate to each of
/// the seed district's 70 officials.
pub(crate) struct Pki(pub(crate) TestPki);

impl Pki {
    pub(crate) fn new() -> Self {
        Self(TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap())
    }

    pub(crate) fn person(&self, full_name: &str, cccd: &str) -> TestCert {
        self.0
            .issue(&self.0.individual(full_name, cccd).key(KeySpec::EcP256))
            .unwrap()
    }

    fn unit(&self, common_name: &str) -> TestCert {
        let spec = self
            .0
            .organisation(common_name, "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
            .key(KeySpec::EcP256);
        self.0.issue(&spec).unwrap()
    }

    /// A CRL of the issuing CA revoking `revoked` an hour ago, as PEM.
    fn crl(&self, number: u64, revoked: &[&TestCert]) -> Value {
        let mut spec = CrlSpec {
            number,
            ..CrlSpec::current(self.0.now())
        };
        for certificate in revoked {
            spec = spec.revoke(
                certificate.certificate(),
                self.0.now() - Duration::hours(1),
                Some(RevocationReason::KeyCompromise),
            );
        }
        json!({"crl": pem("X509 CRL", &self.0.crl(&spec).unwrap())})
    }

    /// Installs the root (PEM), the issuing CA (base64 DER) and the CRLs of both (base64 DER and
    /// PEM) through the API; the issuing CA's CRL revokes `revoked`.
    pub(crate) async fn install(&self, app: &TestApp, revoked: &[&TestCert]) {
        let (status, added) = app
            .post(
                "/trust-anchors",
                &json!({"kind": "root", "certificate": self.0.root.pem()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!(added["anchors"][0]["kind"], "root");
        let (status, added) = app
            .post(
                "/trust-anchors",
                &json!({"kind": "intermediate", "certificate": base64(self.0.issuing_ca.der())}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        let root_crl = self.0.root_crl(&CrlSpec::current(self.0.now())).unwrap();
        let (status, imported) = app.post("/crls", &json!({"crl": base64(&root_crl)})).await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
        let (status, imported) = app.post("/crls", &self.crl(1, revoked)).await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
        assert_eq!(imported["current"], true);
    }
}

pub(crate) fn base64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Every active official below `unit`, as the API shows them.
pub(crate) async fn officials_under(app: &TestApp, unit: i64) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/officials?under={unit}&active=true&limit=500"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

pub(crate) fn personal(certificate: &TestCert, official: &Value) -> Value {
    json!({"certificate": certificate.pem(), "official_id": official["id"]})
}

fn collective(certificate: &TestCert, unit: i64) -> Value {
    json!({"certificate": certificate.pem(), "unit_id": unit})
}

pub(crate) async fn register(app: &TestApp, body: &Value) -> Value {
    let (status, created) = app.post("/certificates", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

async fn registers_and_binds_personal_and_collective_certificates(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    let district = seeded.district.id.0;
    let people = officials_under(&app, district).await;
    let leader = people
        .iter()
        .find(|o| o["full_name"] == "Thân Văn Thuận")
        .unwrap();

    let certificate = pki.person("Thân Văn Thuận", leader["personal_id"].as_str().unwrap());
    let created = register(&app, &personal(&certificate, leader)).await;
    assert_eq!(created["kind"], "individual");
    assert_eq!(created["official_id"], leader["id"]);
    assert!(created["unit_id"].is_null());
    assert_eq!(
        (created["status"].as_str(), created["usable"].as_bool()),
        (Some("valid"), Some(true)),
        "{created}"
    );
    assert_eq!(created["binding"]["method"], "cccd");
    assert_eq!(created["binding"]["bound"], true);
    assert_eq!(created["verdict"]["status"], "valid");
    assert_eq!(
        created["fingerprint_sha256"],
        certificate.certificate().info().fingerprint_sha256
    );
    assert!(created["subject"]
        .as_str()
        .unwrap()
        .contains("CCCD:024072001234"));
    let id = created["id"].as_i64().unwrap();

    let (status, fetched) = app.get(&format!("/certificates/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched["status"], "valid");
    assert_eq!(fetched["pem"], certificate.pem());
    let chain = fetched["verdict"]["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 3, "leaf, issuing CA, root");
    assert_eq!(chain[2]["trust_anchor"], true);
    // What a signature with it carries: the issuing CA, not the root; not in lists.
    assert_eq!(fetched["chain_pem"], json!([pki.0.issuing_ca.pem()]));
    assert_eq!(created["chain_pem"], fetched["chain_pem"]);
    let (_, listed) = app
        .get(&format!("/certificates?official={}", leader["id"]))
        .await;
    assert_eq!(listed["items"][0]["id"], id, "{listed}");
    assert!(listed["items"][0].get("chain_pem").is_none(), "{listed}");

    // Communes have no tax code in the seed, so their certificates name them: case and Unicode
    // normalisation do not matter. A unit may hold several (the "second collective certificate").
    let commune = &seeded.communes[0];
    assert_eq!(commune.name, "UBND xã Thượng Lan");
    let first = register(
        &app,
        &collective(&pki.unit("UBND XÃ THƯỢNG LAN"), commune.id.0),
    )
    .await;
    assert_eq!(first["kind"], "organisation");
    assert_eq!(first["binding"]["method"], "name");
    assert_eq!(first["usable"], true, "{first}");
    let second = register(
        &app,
        &collective(&pki.unit("UBND xa\u{0303} Thượng  Lan"), commune.id.0),
    )
    .await;
    assert_eq!(second["usable"], true, "{second}");

    let (status, problem) = app
        .post("/certificates", &personal(&certificate, leader))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    let (_, page) = app.get(&format!("/certificates?unit={}", commune.id)).await;
    assert_eq!(
        ids(&page),
        vec![
            first["id"].as_i64().unwrap(),
            second["id"].as_i64().unwrap()
        ]
    );
    assert!(
        page["items"][0].get("verdict").is_none(),
        "lists stay light"
    );
    let (_, page) = app
        .get(&format!("/certificates?official={}", leader["id"]))
        .await;
    assert_eq!(ids(&page), vec![id]);
    let (_, page) = app
        .get(&format!(
            "/certificates?under={district}&kind=organisation&status=valid&usable=true"
        ))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, page) = app
        .get(&format!("/certificates?under={district}&limit=2"))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, rest) = app
        .get(&format!(
            "/certificates?under={district}&limit=2&cursor={}",
            page["next"].as_str().unwrap()
        ))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next"].is_null());
    let (status, problem) = app.get("/certificates?state=valid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");

    // A unit with a tax code is named by UID=MST:, and its name alone is not enough.
    let taxed = &seeded.communes[1];
    let (status, unit) = app
        .patch(
            &format!("/units/{}", taxed.id),
            &json!({"tax_code": "0400260612"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unit}");
    let by_code = pki
        .0
        .issue(
            &pki.0
                .organisation("UBND XÃ TRUNG SƠN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
                .key(KeySpec::EcP256)
                .identifier(motcua_pki::IdentifierKind::TaxCode, "0400260612"),
        )
        .unwrap();
    let created = register(&app, &collective(&by_code, taxed.id.0)).await;
    assert_eq!(created["binding"]["method"], "tax_code");
    let (status, problem) = app
        .post(
            "/certificates",
            &collective(&pki.unit("UBND xã Trung Sơn"), taxed.id.0),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["binding"]["method"], "tax_code");
    assert!(problem["binding"]["detail"]
        .as_str()
        .unwrap()
        .contains("0400260612"));

    // Officers register certificates in their own subtree only; auditors read them.
    let officer = app.key("officer", Some(commune.id.0), &[]).await;
    let auditor = app.key("auditor", None, &[]).await;
    let own = officials_under(&app, commune.id.0).await;
    let other = officials_under(&app, seeded.communes[2].id.0).await;
    let mine = pki.person("Cán bộ", own[0]["personal_id"].as_str().unwrap());
    let (status, created) = app
        .call(
            Method::POST,
            "/certificates",
            Some(&officer),
            Some(&personal(&mine, &own[0])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let theirs = pki.person("Cán bộ", other[0]["personal_id"].as_str().unwrap());
    let (status, _) = app
        .call(
            Method::POST,
            "/certificates",
            Some(&officer),
            Some(&personal(&theirs, &other[0])),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/certificates/{id}"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the leader works outside the officer's commune"
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/certificates",
            Some(&auditor),
            Some(&personal(&theirs, &other[0])),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = app
        .call(Method::GET, "/certificates", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().unwrap().len(), 5);

    let (_, audit) = app
        .get(&format!(
            "/audit-events?action=certificate.register&object_id={id}"
        ))
        .await;
    assert_eq!(audit["items"][0]["detail"]["status"], "valid", "{audit}");
}

/// One refused registration: 422 with the verdict, naming the failing check.
async fn refused(app: &TestApp, body: &Value, status: &str, check: &str) -> Value {
    let (code, problem) = app.post("/certificates", body).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{check}: {problem}");
    assert_eq!(problem["type"], "/problems/validation-error");
    assert_eq!(problem["verdict"]["status"], status, "{problem}");
    let reasons: Vec<&str> = problem["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|param| assert_eq!(param["name"], "certificate"))
        .map(|param| param["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|reason| reason.starts_with(&format!("{check} check failed"))),
        "{check} is named: {reasons:?}"
    );
    problem
}

async fn refuses_certificates_that_fail_binding_or_validation(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let pki = Pki::new();
    let commune = &seeded.communes[0];
    let people = officials_under(&app, commune.id.0).await;
    let official = &people[0];
    let cccd = official["personal_id"].as_str().unwrap();
    let name = official["full_name"].as_str().unwrap();
    let revoked = pki.person(name, cccd);
    pki.install(&app, &[&revoked]).await;
    let audit_before = app.count_rows("audit_events");

    let wrong_cccd = pki.person(name, "024099999999");
    let problem = refused(&app, &personal(&wrong_cccd, official), "valid", "binding").await;
    assert_eq!(problem["binding"]["bound"], false);
    assert!(problem["binding"]["detail"]
        .as_str()
        .unwrap()
        .contains("024099999999"));

    let expired = pki
        .0
        .issue(&pki.0.individual(name, cccd).key(KeySpec::EcP256).expired())
        .unwrap();
    let problem = refused(&app, &personal(&expired, official), "expired", "validity").await;
    assert_eq!(problem["binding"]["bound"], true, "bound but expired");

    let untrusted = pki
        .0
        .issue_by_unknown_ca(&pki.0.individual(name, cccd).key(KeySpec::EcP256))
        .unwrap();
    refused(
        &app,
        &personal(&untrusted, official),
        "untrusted",
        "trust_anchor",
    )
    .await;

    let encryption_only = pki
        .0
        .issue(
            &pki.0
                .individual(name, cccd)
                .key(KeySpec::EcP256)
                .wrong_key_usage(),
        )
        .unwrap();
    refused(
        &app,
        &personal(&encryption_only, official),
        "wrong_key_usage",
        "key_usage",
    )
    .await;

    let problem = refused(&app, &personal(&revoked, official), "revoked", "revocation").await;
    assert_eq!(
        problem["verdict"]["revocation"]["reason"], "key_compromise",
        "{problem}"
    );

    // A personal certificate is no unit's collective certificate.
    let problem = refused(
        &app,
        &collective(&revoked, commune.id.0),
        "revoked",
        "binding",
    )
    .await;
    assert_eq!(problem["binding"]["method"], "cccd");

    // Holder errors name their field.
    let good = pki.person(name, cccd);
    for (body, field) in [
        (
            json!({"certificate": good.pem(), "official_id": official["id"], "unit_id": commune.id}),
            "unit_id",
        ),
        (json!({"certificate": good.pem()}), "official_id"),
        (
            json!({"certificate": good.pem(), "official_id": 987654}),
            "official_id",
        ),
        (
            json!({"certificate": good.pem(), "unit_id": 987654}),
            "unit_id",
        ),
    ] {
        let (status, problem) = app.post("/certificates", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["invalid_params"][0]["name"], field, "{problem}");
    }
    assert_eq!(app.count_rows("certificates"), 0, "nothing was stored");
    assert_eq!(app.count_rows("audit_events"), audit_before);

    // Kept on request, marked not usable.
    let mut body = personal(&expired, official);
    body["store_unusable"] = json!(true);
    let stored = register(&app, &body).await;
    assert_eq!(
        (stored["status"].as_str(), stored["usable"].as_bool()),
        (Some("expired"), Some(false))
    );
    let mut body = personal(&wrong_cccd, official);
    body["store_unusable"] = json!(true);
    let stored = register(&app, &body).await;
    assert_eq!(
        (stored["status"].as_str(), stored["usable"].as_bool()),
        (Some("valid"), Some(false)),
        "valid, but not the official's"
    );
    let (_, page) = app.get("/certificates?usable=false").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, page) = app.get("/certificates?usable=true").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}

async fn validates_without_storing(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    let people = officials_under(&app, seeded.communes[3].id.0).await;
    let official = &people[0];
    let certificate = pki.person("Người ký", official["personal_id"].as_str().unwrap());

    let (status, report) = app
        .post(
            "/certificates/validate",
            &json!({"certificate": base64(certificate.der())}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"]["status"], "valid");
    assert_eq!(report["usable"], true);
    assert!(report["binding"].is_null());
    assert_eq!(report["certificate"]["identifiers"][0]["kind"], "cccd");

    // At a time before the certificate was issued.
    let before = (Utc::now() - Duration::days(60)).to_rfc3339();
    let (status, report) = app
        .post(
            "/certificates/validate",
            &json!({"certificate": certificate.pem(), "at": before}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"]["status"], "not_yet_valid");
    assert_eq!(report["usable"], false);

    // With a holder: binding checked too.
    let (_, report) = app
        .post(
            "/certificates/validate",
            &json!({"certificate": certificate.pem(), "official_id": official["id"]}),
        )
        .await;
    assert_eq!(report["binding"]["bound"], true, "{report}");
    let (_, report) = app
        .post(
            "/certificates/validate",
            &json!({"certificate": certificate.pem(), "official_id": people[1]["id"]}),
        )
        .await;
    assert_eq!(report["binding"]["bound"], false, "{report}");
    assert_eq!(report["usable"], false);

    let auditor = app.key("auditor", None, &[]).await;
    let (status, report) = app
        .call(
            Method::POST,
            "/certificates/validate",
            Some(&auditor),
            Some(&json!({"certificate": certificate.pem()})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "auditors verify certificates: {report}"
    );

    let (status, problem) = app
        .post(
            "/certificates/validate",
            &json!({"certificate": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "certificate");
    assert_eq!(app.count_rows("certificates"), 0);
}

/// Certificates given in `chain` help build the path without being trusted, so the verdict names
/// the rule the path breaks instead of "no path to a trusted root".
async fn validation_builds_the_path_with_the_chain_given(app: TestApp) {
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    // An end-entity certificate (cA false) that issued another one.
    let not_a_ca = pki.person("Không Phải CA", "001085000011");
    let issued_by_a_leaf = not_a_ca
        .issue(
            &pki.0
                .individual("Cấp Bởi Lá", "001085000012")
                .key(KeySpec::EcP256),
        )
        .unwrap();
    let validate = |chain: Value| json!({"certificate": issued_by_a_leaf.pem(), "chain": chain, "revocation_policy": "best_effort"});

    let (status, alone) = app
        .post("/certificates/validate", &validate(json!([])))
        .await;
    assert_eq!(status, StatusCode::OK, "{alone}");
    assert_eq!(alone["verdict"]["status"], "untrusted", "{alone}");

    for chain in [json!([not_a_ca.pem()]), json!([base64(not_a_ca.der())])] {
        let (status, report) = app.post("/certificates/validate", &validate(chain)).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(
            report["verdict"]["status"], "constraint_violation",
            "{report}"
        );
        assert_eq!(report["verdict"]["chain"].as_array().unwrap().len(), 4);
        assert!(
            report["verdict"]["summary"]
                .as_str()
                .unwrap()
                .contains("not a CA"),
            "{report}"
        );
        assert_eq!(report["usable"], false);
    }

    let (status, problem) = app
        .post(
            "/certificates/validate",
            &validate(json!([not_a_ca.pem(), "bm90IGEgY2VydA=="])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["invalid_params"][0]["name"], "chain[1]",
        "{problem}"
    );
    let many = vec![Value::from(not_a_ca.pem()); 17];
    let (status, problem) = app
        .post("/certificates/validate", &validate(Value::from(many)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "chain", "{problem}");
    assert_eq!(app.count_rows("certificates"), 0);
}

/// A self-signed certificate with the government root's exact name and another key: refused as
/// a second root (409 naming the collision) and as an intermediate (422); the store is unchanged.
async fn look_alike_roots_never_enter_the_trust_store(app: TestApp) {
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    let look_alike = TestCert::self_signed(&motcua_pki::testpki::CertSpec::certificate_authority(
        motcua_pki::testpki::NameSpec::new()
            .add("C", "VN")
            .add("O", TestPki::CA_ORGANISATION)
            .add("CN", TestPki::ROOT_NAME),
        Utc::now(),
        5,
        20,
    ))
    .unwrap();
    let anchors_before = app.count_rows("trust_anchors");

    let (status, problem) = app
        .post(
            "/trust-anchors",
            &json!({"kind": "root", "certificate": look_alike.pem()}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(TestPki::ROOT_NAME), "{detail}");
    assert!(
        detail.contains(&pki.0.root.certificate().info().fingerprint_sha256),
        "{detail}"
    );

    let (status, problem) = app
        .post(
            "/trust-anchors",
            &json!({"kind": "intermediate", "certificate": look_alike.pem()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "certificate");
    assert!(
        problem["invalid_params"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("self-signed"),
        "{problem}"
    );
    assert_eq!(app.count_rows("trust_anchors"), anchors_before);

    // A leaf it issued, with the look-alike in `chain`: untrusted, and the reason says why.
    let leaf = look_alike
        .issue(
            &pki.0
                .individual("Giả Mạo", "001085000013")
                .key(KeySpec::EcP256),
        )
        .unwrap();
    let (status, report) = app
        .post(
            "/certificates/validate",
            &json!({"certificate": leaf.pem(), "chain": [look_alike.pem()]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["verdict"]["status"], "untrusted", "{report}");
    let summary = report["verdict"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("named like the trusted root")
            && summary.contains(&look_alike.certificate().info().fingerprint_sha256),
        "{summary}"
    );
}

/// The seed report: "100 % of one-stop officials have a personal certificate; 100 % of commune
/// desks have a second collective certificate". Then a CRL revokes one official's certificate.
async fn coverage_of_the_seed_district_follows_revocation(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let district = seeded.district.id.0;
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    let coverage_path = format!("/units/{district}/certificate-coverage");

    let (status, empty) = app.get(&coverage_path).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(
        empty["officials"],
        json!({"covered": 0, "total": 70, "percent": 0.0})
    );
    assert_eq!(
        empty["desks"],
        json!({"covered": 0, "total": 18, "percent": 0.0})
    );
    assert_eq!(
        empty["desk_staff"],
        json!({"covered": 0, "total": 69, "percent": 0.0}),
        "the leader sits at the district, not at a desk"
    );
    assert_eq!(empty["uncovered_desks"].as_array().unwrap().len(), 18);

    let people = officials_under(&app, district).await;
    assert_eq!(people.len(), 70, "69 desk officials and the leader");
    let mut issued = Vec::new();
    for official in &people {
        let certificate = pki.person(
            official["full_name"].as_str().unwrap(),
            official["personal_id"].as_str().unwrap(),
        );
        let created = register(&app, &personal(&certificate, official)).await;
        assert_eq!(created["usable"], true, "{created}");
        issued.push((certificate, created));
    }
    let desks: Vec<_> = std::iter::once(&seeded.district_desk)
        .chain(&seeded.communes)
        .collect();
    for desk in &desks {
        let created = register(&app, &collective(&pki.unit(&desk.name), desk.id.0)).await;
        assert_eq!(created["usable"], true, "{created}");
    }
    // One official also holds a renewal-due certificate that expires in ten days.
    let mut soon = pki.0.individual(
        people[0]["full_name"].as_str().unwrap(),
        people[0]["personal_id"].as_str().unwrap(),
    );
    soon.key = KeySpec::EcP256;
    soon.not_after = Utc::now() + Duration::days(10);
    let soon = register(&app, &personal(&pki.0.issue(&soon).unwrap(), &people[0])).await;

    let (_, full) = app.get(&coverage_path).await;
    assert_eq!(
        full["officials"],
        json!({"covered": 70, "total": 70, "percent": 100.0})
    );
    assert_eq!(
        full["desks"],
        json!({"covered": 18, "total": 18, "percent": 100.0})
    );
    assert_eq!(
        full["desk_staff"],
        json!({"covered": 69, "total": 69, "percent": 100.0})
    );
    assert_eq!(full["uncovered_officials"], json!([]));
    assert_eq!(full["by_status"], json!([{"status": "valid", "count": 89}]));
    assert_eq!(full["expiring_within_days"], 30);
    assert_eq!(
        ids(&json!({"items": full["expiring"]})),
        vec![soon["id"].as_i64().unwrap()]
    );
    let (_, narrow) = app
        .get(&format!("{coverage_path}?expiring_within_days=5"))
        .await;
    assert_eq!(narrow["expiring"], json!([]));
    let (_, page) = app
        .get(&format!(
            "/certificates?under={district}&expiring_within_days=30"
        ))
        .await;
    assert_eq!(ids(&page), vec![soon["id"].as_i64().unwrap()]);
    // A commune's own report.
    let (_, commune) = app
        .get(&format!(
            "/units/{}/certificate-coverage",
            seeded.communes[0].id
        ))
        .await;
    assert_eq!(commune["officials"]["total"], 3);
    assert_eq!(
        commune["desks"],
        json!({"covered": 1, "total": 1, "percent": 100.0})
    );

    // The CA revokes one official's certificate: importing its new CRL flips the verdict.
    let (victim_cert, victim) = &issued[5];
    let victim_id = victim["id"].as_i64().unwrap();
    let (status, imported) = app.post("/crls", &pki.crl(2, &[victim_cert])).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    assert_eq!(imported["current"], true);
    assert_eq!(imported["crl"]["revoked_count"], 1);
    assert_eq!(imported["revalidation"]["checked"], 89);
    assert_eq!(imported["revalidation"]["changed"], 1);

    let (_, revoked) = app.get(&format!("/certificates/{victim_id}")).await;
    assert_eq!(
        (revoked["status"].as_str(), revoked["usable"].as_bool()),
        (Some("revoked"), Some(false)),
        "{revoked}"
    );
    assert_eq!(
        revoked["verdict"]["revocation"]["serial"],
        victim_cert.certificate().info().serial
    );

    let (_, after) = app.get(&coverage_path).await;
    assert_eq!(
        after["officials"],
        json!({"covered": 69, "total": 70, "percent": 98.57}),
        "69/70 = 98.571…, rounded once"
    );
    assert_ne!(victim_cert_unit(&people, victim), district);
    assert_eq!(
        after["desk_staff"],
        json!({"covered": 68, "total": 69, "percent": 98.55})
    );
    assert_eq!(after["desks"]["percent"], 100.0);
    assert_eq!(
        after["uncovered_officials"][0]["official_id"],
        victim["official_id"]
    );
    assert_eq!(ids(&json!({"items": after["revoked"]})), vec![victim_id]);
    assert_eq!(
        after["by_status"],
        json!([{"status": "revoked", "count": 1}, {"status": "valid", "count": 88}])
    );
    let (_, page) = app
        .get(&format!("/certificates?under={district}&status=revoked"))
        .await;
    assert_eq!(ids(&page), vec![victim_id]);

    let (_, audit) = app
        .get(&format!(
            "/audit-events?action=certificate.verdict_changed&object_type=certificate&object_id={victim_id}"
        ))
        .await;
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["detail"]["old_status"], "valid");
    assert_eq!(events[0]["detail"]["new_status"], "revoked");
    assert_eq!(events[0]["detail"]["new_usable"], false);
    assert_eq!(
        events[0]["actor_name"], "test admin",
        "caused by the CRL import"
    );
    let (_, all_changes) = app
        .get("/audit-events?action=certificate.verdict_changed")
        .await;
    assert_eq!(all_changes["items"].as_array().unwrap().len(), 1);
}

async fn trust_store_changes_are_admin_only(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    let officer = app.key("officer", Some(seeded.communes[0].id.0), &[]).await;
    let auditor = app.key("auditor", None, &[]).await;
    let integration = app.key("integration", None, &["certificates:write"]).await;
    let (_, anchors) = app.get("/trust-anchors").await;
    let root = anchors["items"][0]["id"].as_i64().unwrap();
    let anchors_before = app.count_rows("trust_anchors");
    let crls_before = app.count_rows("crls");

    let other = Pki::new();
    let new_root = json!({"kind": "root", "certificate": other.0.root.pem()});
    let new_crl = pki.crl(2, &[]);
    for key in [&officer, &auditor, &integration] {
        let (status, problem) = app
            .call(Method::POST, "/trust-anchors", Some(key), Some(&new_root))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert_eq!(problem["type"], "/problems/forbidden");
        let (status, _) = app
            .call(Method::POST, "/crls", Some(key), Some(&new_crl))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app
            .call(
                Method::DELETE,
                &format!("/trust-anchors/{root}"),
                Some(key),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    for (method, path, body) in [
        (Method::POST, "/trust-anchors".to_owned(), Some(&new_root)),
        (Method::POST, "/crls".to_owned(), Some(&new_crl)),
        (Method::DELETE, format!("/trust-anchors/{root}"), None),
        (Method::GET, "/trust-anchors".to_owned(), None),
    ] {
        let (status, _) = app.call(method, &path, None, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(app.count_rows("trust_anchors"), anchors_before);
    assert_eq!(app.count_rows("crls"), crls_before);

    // Auditors (and officers) read the trust store.
    for key in [&auditor, &officer] {
        let (status, page) = app
            .call(Method::GET, "/trust-anchors", Some(key), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let (status, page) = app.call(Method::GET, "/crls", Some(key), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
    }
    let (status, anchor) = app
        .call(
            Method::GET,
            &format!("/trust-anchors/{root}"),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        anchor["subject"],
        "CN=RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN"
    );
    assert_eq!(anchor["pem"], pki.0.root.pem());
    let (_, crls) = app.get("/crls").await;
    let crl = &crls["items"][1];
    assert_eq!(
        crl["issuer"],
        "CN=CA phục vụ các cơ quan Nhà nước G2, O=Ban Cơ yếu Chính phủ, C=VN"
    );
    let (status, fetched) = app.get(&format!("/crls/{}", crl["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, *crl);
    let (status, _) = app.get("/crls/987654").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, audit) = app.get("/audit-events?action=crl.import").await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
}

async fn bad_uploads_are_refused_and_store_nothing(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let pki = Pki::new();
    let people = officials_under(&app, seeded.communes[0].id.0).await;
    let leaf = pki.person("Người ký", people[0]["personal_id"].as_str().unwrap());
    let audit_before = app.count_rows("audit_events");
    let garbage_pem =
        "-----BEGIN CERTIFICATE-----\nthis is not base64 !\n-----END CERTIFICATE-----\n";

    let cases = [
        (
            "/trust-anchors",
            json!({"kind": "root", "certificate": garbage_pem}),
            "certificate",
            "",
        ),
        (
            "/trust-anchors",
            json!({"kind": "root", "certificate": "@@@ not a certificate @@@"}),
            "certificate",
            "base64",
        ),
        (
            "/trust-anchors",
            json!({"kind": "root", "certificate": ""}),
            "certificate",
            "empty",
        ),
        (
            "/trust-anchors",
            json!({"kind": "root", "certificate": leaf.pem()}),
            "certificate",
            "not a CA certificate",
        ),
        (
            "/trust-anchors",
            json!({"kind": "bridge", "certificate": pki.0.root.pem()}),
            "kind",
            "",
        ),
        (
            "/trust-anchors",
            json!({"kind": "root", "certificate": pki.0.root.pem(), "trusted": true}),
            "trusted",
            "unknown field",
        ),
        ("/crls", json!({"crl": "%%%"}), "crl", ""),
        ("/crls", json!({"crl": garbage_pem}), "crl", "X509 CRL"),
        (
            "/crls",
            json!({"crl": base64(leaf.der())}),
            "crl",
            "not a valid X.509 CRL",
        ),
        ("/crls", pki.crl(1, &[]), "crl", "not in the trust store"),
        (
            "/certificates",
            json!({"certificate": garbage_pem, "official_id": people[0]["id"]}),
            "certificate",
            "",
        ),
        (
            "/certificates",
            json!({"certificate": format!("{}{}", leaf.pem(), pki.0.issuing_ca.pem()), "official_id": people[0]["id"]}),
            "certificate",
            "holds 2 certificates",
        ),
    ];
    for (path, body, field, reason) in cases {
        let (status, problem) = app.post(path, &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}: {problem}"
        );
        let param = &problem["invalid_params"][0];
        assert_eq!(param["name"], field, "{problem}");
        assert!(
            param["reason"].as_str().unwrap().contains(reason),
            "{reason:?} in {problem}"
        );
    }
    // Both fields wrong at once: both are named.
    let (status, problem) = app
        .post("/certificates", &json!({"certificate": "%%%"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let names: Vec<&str> = problem["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["official_id", "certificate"]);
    let (status, problem) = app
        .post(
            "/certificates/validate",
            &json!({"certificate": leaf.pem(), "at": "yesterday"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "at");
    let district = seeded.district.id.0;
    for (path, status, param) in [
        ("/certificates?status=bogus".to_owned(), 400, Some("status")),
        (
            "/certificates?expiring_within_days=-1".to_owned(),
            400,
            Some("expiring_within_days"),
        ),
        (
            format!("/units/{district}/certificate-coverage?expiring_within_days=99999"),
            400,
            Some("expiring_within_days"),
        ),
        ("/trust-anchors?kind=bridge".to_owned(), 400, Some("kind")),
        ("/certificates/987654".to_owned(), 404, None),
        ("/trust-anchors/987654".to_owned(), 404, None),
        ("/units/987654/certificate-coverage".to_owned(), 404, None),
    ] {
        let (code, problem) = app.get(&path).await;
        assert_eq!(code.as_u16(), status, "{path}: {problem}");
        if let Some(param) = param {
            assert_eq!(problem["invalid_params"][0]["name"], param, "{path}");
        }
    }
    let (status, _) = app
        .call(
            Method::DELETE,
            "/trust-anchors/987654",
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for table in ["trust_anchors", "crls", "certificates"] {
        assert_eq!(app.count_rows(table), 0, "{table}");
    }
    assert_eq!(app.count_rows("audit_events"), audit_before);

    // The same certificate or CRL twice is a conflict.
    pki.install(&app, &[]).await;
    let (status, problem) = app
        .post(
            "/trust-anchors",
            &json!({"kind": "root", "certificate": pki.0.root.pem()}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = app.post("/crls", &pki.crl(1, &[])).await;
    assert_eq!(status, StatusCode::CONFLICT, "an identical CRL: {problem}");
    assert_eq!(app.count_rows("trust_anchors"), 2);
}

async fn removing_a_root_makes_certificates_untrusted(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let pki = Pki::new();
    pki.install(&app, &[]).await;
    let people = officials_under(&app, seeded.communes[0].id.0).await;
    let certificate = pki.person("Người ký", people[0]["personal_id"].as_str().unwrap());
    let id = register(&app, &personal(&certificate, &people[0])).await["id"]
        .as_i64()
        .unwrap();
    let (_, roots) = app.get("/trust-anchors?kind=root").await;
    let root = roots["items"][0]["id"].as_i64().unwrap();

    // The store in use, in DER, as the report service reads it with a read key.
    let reader = app.key("auditor", None, &[]).await;
    let exported = |key: String| {
        let app = &app;
        async move {
            let (status, exported) = app
                .call(Method::GET, "/trust-store", Some(&key), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{exported}");
            exported
        }
    };
    let before = exported(reader.clone()).await;
    let ders = |exported: &Value, member: &str| -> Vec<Vec<u8>> {
        exported[member]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let text = item.get("der_base64").unwrap_or(item).as_str().unwrap();
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap()
            })
            .collect()
    };
    assert_eq!(
        ders(&before, "anchors"),
        [pki.0.root.der().to_vec(), pki.0.issuing_ca.der().to_vec()]
    );
    assert_eq!(before["anchors"][0]["kind"], "root");
    assert_eq!(ders(&before, "crls_der_base64").len(), 2, "{before}");

    let (status, removed) = app
        .call(
            Method::DELETE,
            &format!("/trust-anchors/{root}"),
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert!(removed["anchor"]["removed_at"].is_string());
    assert_eq!(removed["revalidation"]["changed"], 1);
    let (_, fetched) = app.get(&format!("/certificates/{id}")).await;
    assert_eq!(fetched["status"], "untrusted", "{fetched}");
    assert_eq!(fetched["usable"], false);
    let (_, active) = app.get("/trust-anchors?active=true").await;
    assert_eq!(active["items"].as_array().unwrap().len(), 1);
    assert_eq!(active["items"][0]["kind"], "intermediate");
    // Gone from the exported store too, with the root's CRL; a new version.
    let after = exported(reader).await;
    assert_eq!(ders(&after, "anchors"), [pki.0.issuing_ca.der().to_vec()]);
    assert_eq!(ders(&after, "crls_der_base64").len(), 1, "{after}");
    assert!(after["version"].as_i64() > before["version"].as_i64());
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/trust-anchors/{root}"),
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Trusted again: the CRLs imported before are used again.
    let (status, added) = app
        .post(
            "/trust-anchors",
            &json!({"kind": "root", "certificate": pki.0.root.pem()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["revalidation"]["changed"], 1);
    let (_, fetched) = app.get(&format!("/certificates/{id}")).await;
    assert_eq!(fetched["status"], "valid", "{fetched}");
    let (_, audit) = app
        .get(&format!(
            "/audit-events?action=certificate.verdict_changed&object_id={id}"
        ))
        .await;
    let changes: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["detail"]["old_status"].as_str().unwrap(),
                e["detail"]["new_status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, [("valid", "untrusted"), ("untrusted", "valid")]);
}

mod scheduled {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::default_roots_and_scheduled_revalidation(super::Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::default_roots_and_scheduled_revalidation(super::Backend::Postgres).await
    }
}

/// The trust store starts from `MOTCUA_TRUST_ROOTS_DIR`, and the background task recomputes
/// verdicts on its own and records the changes.
async fn default_roots_and_scheduled_revalidation(backend: Backend) {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("root-g2.pem"), pki.0.root.pem()).unwrap();
    std::fs::write(dir.path().join("ca-g2.crt"), pki.0.issuing_ca.der()).unwrap();
    std::fs::write(dir.path().join("README.txt"), "not a certificate").unwrap();
    let roots = dir.path().to_owned();
    let app = TestApp::start_with(backend, move |config| {
        config.trust_roots_dir = Some(roots);
        config.revalidation_interval = std::time::Duration::from_secs(1);
    })
    .await;
    let seeded = app.seed_viet_yen();

    let (_, anchors) = app.get("/trust-anchors").await;
    let kinds: Vec<(&str, bool)> = anchors["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["kind"].as_str().unwrap(), a["added_by"].is_null()))
        .collect();
    assert_eq!(kinds, [("intermediate", true), ("root", true)], "{anchors}");
    let (_, audit) = app.get("/audit-events?action=trust_anchor.add").await;
    assert_eq!(
        audit["items"][0]["actor_name"],
        "system: MOTCUA_TRUST_ROOTS_DIR"
    );

    let root_crl = pki.0.root_crl(&CrlSpec::current(pki.0.now())).unwrap();
    let (status, _) = app.post("/crls", &json!({"crl": base64(&root_crl)})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.post("/crls", &pki.crl(1, &[])).await;
    assert_eq!(status, StatusCode::CREATED);
    let people = officials_under(&app, seeded.communes[0].id.0).await;
    let certificate = pki.person("Người ký", people[0]["personal_id"].as_str().unwrap());
    let id = register(&app, &personal(&certificate, &people[0])).await["id"]
        .as_i64()
        .unwrap();

    // A verdict out of date (as if the clock had moved on): the next scheduled run corrects it.
    {
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().unwrap();
        diesel::sql_query(format!(
            "UPDATE certificates SET status = 'revoked', usable = FALSE WHERE id = {id}"
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    let mut corrected = Value::Null;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, fetched) = app.get(&format!("/certificates/{id}")).await;
        if fetched["status"] == "valid" {
            corrected = fetched;
            break;
        }
    }
    assert_eq!(corrected["usable"], true, "revalidated within 10 seconds");
    let (_, audit) = app
        .get(&format!(
            "/audit-events?action=certificate.verdict_changed&object_id={id}"
        ))
        .await;
    let event = &audit["items"][0];
    assert_eq!(event["actor_name"], "system: scheduled revalidation");
    assert_eq!(event["detail"]["old_status"], "revoked");
    assert_eq!(event["detail"]["new_status"], "valid");

    // Restarting with the folder configured does not add the roots again.
    let added =
        motcua_results::certificate_registry::install_default_roots(&app.pool, dir.path()).unwrap();
    assert_eq!(added, 0);
}

/// The unit of the official a certificate was registered for.
fn victim_cert_unit(people: &[Value], certificate: &Value) -> i64 {
    people
        .iter()
        .find(|o| o["id"] == certificate["official_id"])
        .and_then(|o| o["unit_id"].as_i64())
        .unwrap()
}
