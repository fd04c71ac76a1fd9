//! No secret at rest: after a broad run of both services (keys made with and without
//! `Idempotency-Key` and retried, organisation keys imported as PKCS#12, a result signed, a
//! report compiled, subscriptions to events made), every column of every table of both
//! databases is searched for the API key secrets issued, any PEM private key, the private keys'
//! DER, the PKCS#12 files (raw and base64) and their password, and the subscriptions' signing
//! secrets (text and bytes).

use base64::Engine;
use motcua_reports::config::Secret;
use motcua_tests::dump::{dump_database, occurrences, ColumnDump};
use motcua_tests::{with_each_backend, Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dossiers::{dossier, procedure};
use crate::electronic_results::{result_pdf, Setup};

with_each_backend!(no_secret_is_stored_in_either_database);

const P12_PASSWORD: &str = "mật khẩu của tệp khoá";
const SUBSCRIPTION_SECRET: &str = "whsec_c2VjcmV0IG9mIGEgc3Vic2NyaXB0aW9uIHRvIGV2ZW50cw==";

/// What must never be found in a database.
#[derive(Default)]
struct Secrets {
    needles: Vec<(String, Vec<u8>)>,
}

impl Secrets {
    fn add(&mut self, what: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.needles.push((what.into(), bytes.into()));
    }

    fn assert_absent(&self, service: &str, dump: &[ColumnDump]) {
        for (what, needle) in &self.needles {
            let found = occurrences(dump, needle);
            assert!(found.is_empty(), "{service}: {what} is stored in {found:?}");
        }
    }
}

/// POSTs `body` with an `Idempotency-Key`; returns status and JSON.
async fn post_once(
    client: &reqwest::Client,
    url: String,
    key: &str,
    idempotency_key: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let response = client
        .post(url)
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency_key)
        .json(body)
        .send()
        .await
        .unwrap();
    motcua_tests::read(response).await
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn no_secret_is_stored_in_either_database(backend: Backend) {
    let results = TestApp::start_with(backend, |config| {
        config.webhooks.allowed_hosts = "127.0.0.1".parse().unwrap();
    })
    .await;
    let mut secrets = Secrets::default();
    secrets.add("the results admin key", results.admin_key.clone());
    secrets.add("a PEM private key", "PRIVATE KEY");
    secrets.add("the PKCS#12 password", P12_PASSWORD);

    // Units, officials, procedures, certificates, a dossier: the ordinary work.
    let setup = Setup::new(&results).await;
    let (status, official) = post_once(
        &results.client,
        results.url("/officials"),
        &results.admin_key,
        "official-1",
        &json!({"unit_id": setup.commune, "full_name": "Nguyễn Thị Lan",
                "personal_id": "024190000123", "role": "reception", "staffing": "agency_sent",
                "agency": "post_office", "agency_name": "Bưu điện thị xã Việt Yên"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{official}");
    let procedure_id = procedure(&results, "1.000300", "Chứng thực", 3).await;
    let body = dossier(
        setup.commune,
        procedure_id,
        "online",
        "2024-03-06T02:00:00Z",
    );
    let (status, created) = post_once(
        &results.client,
        results.url("/dossiers"),
        &results.admin_key,
        "dossier-1",
        &body,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // API keys, with and without Idempotency-Key, one retried.
    let mut replays = Vec::new();
    secrets.add(
        "an officer key",
        results.key("officer", Some(setup.commune), &[]).await,
    );
    for attempt in 0..2 {
        let (status, created) = post_once(
            &results.client,
            results.url("/api-keys"),
            &results.admin_key,
            "integration-key",
            &json!({"name": "Cổng DVC", "role": "integration", "scopes": ["dossiers:write"]}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        if attempt == 0 {
            secrets.add("an integration key", created["key"].as_str().unwrap());
        } else {
            replays.push(created);
        }
    }

    // The unit's organisation key as PKCS#12; a result signed with it; a checkpoint too.
    let pkcs12 = setup
        .certificate
        .pkcs12(P12_PASSWORD, &[&setup.pki.issuing_ca])
        .unwrap();
    let private_key = setup.certificate.private_key();
    secrets.add("the PKCS#12 file", pkcs12.clone());
    secrets.add("the PKCS#12 file in base64", base64(&pkcs12));
    secrets.add(
        "the private key (DER)",
        private_key.private_key_to_der().unwrap(),
    );
    secrets.add(
        "the private key (PKCS#8)",
        private_key.private_key_to_pkcs8().unwrap(),
    );
    secrets.add(
        "the private key (PEM)",
        setup.certificate.private_key_pem().unwrap(),
    );
    let (status, stored) = post_once(
        &results.client,
        results.url(&format!("/units/{}/organisation-keys", setup.commune)),
        &results.admin_key,
        "organisation-key",
        &json!({"certificate_id": setup.certificate_id, "pkcs12_base64": base64(&pkcs12),
                "password": P12_PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let response = results
        .client
        .post(results.url(&setup.result_path()))
        .bearer_auth(&results.admin_key)
        .header("Idempotency-Key", "result-1")
        .header("content-type", "application/pdf")
        .body(result_pdf())
        .send()
        .await
        .unwrap();
    let (status, signed) = motcua_tests::read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    let (status, checkpoint) = post_once(
        &results.client,
        results.url("/audit/checkpoints"),
        &results.admin_key,
        "checkpoint-1",
        &json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{checkpoint}");

    // The report service, reading the results service with a key made through its API.
    let reader = results.key("auditor", None, &[]).await;
    secrets.add(
        "the report service's key to the results service",
        reader.clone(),
    );
    let base = results.base_url.clone();
    let reports = ReportsApp::start(backend, move |config| {
        config.webhooks.allowed_hosts = "127.0.0.1".parse().unwrap();
        config.results_url = Some(base);
        config.results_api_key = Some(Secret::new(reader));
    })
    .await;
    secrets.add("the reports admin key", reports.admin_key.clone());
    let admin = reports.admin_key.clone();
    for attempt in 0..2 {
        let (status, created) = post_once(
            &reports.client,
            reports.url("/api-keys"),
            &admin,
            "officer-key",
            &json!({"name": "Văn phòng xã", "role": "officer", "unit_id": setup.commune}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        if attempt == 0 {
            secrets.add("a reports officer key", created["key"].as_str().unwrap());
        } else {
            replays.push(created);
        }
    }
    let (status, stored) = post_once(
        &reports.client,
        reports.url("/organisation-keys"),
        &admin,
        "organisation-key",
        &json!({"unit_id": setup.commune, "pkcs12_base64": base64(&pkcs12),
                "password": P12_PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let (status, report) = post_once(
        &reports.client,
        reports.url("/reports"),
        &admin,
        "report-1",
        &json!({"kind": "form_06", "unit_id": setup.commune, "periods": ["2024-Q1"],
                "letterhead": crate_letterhead()}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let (status, _) = reports
        .call(Method::GET, "/organisation-keys", &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);

    // Subscriptions to both services' events, one with its own secret, one generated.
    let receiver = motcua_tests::webhook_receiver::WebhookReceiver::start(SUBSCRIPTION_SECRET);
    secrets.add("a subscription's secret", SUBSCRIPTION_SECRET);
    secrets.add(
        "a subscription's secret bytes",
        base64::engine::general_purpose::STANDARD
            .decode(&SUBSCRIPTION_SECRET["whsec_".len()..])
            .unwrap(),
    );
    let (status, created) = post_once(
        &results.client,
        results.url("/subscriptions"),
        &results.admin_key,
        "subscription-1",
        &json!({"callback_url": receiver.url, "secret": SUBSCRIPTION_SECRET}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, created) = post_once(
        &reports.client,
        reports.url("/subscriptions"),
        &admin,
        "subscription-1",
        &json!({"callback_url": receiver.url}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    secrets.add(
        "a generated subscription secret",
        created["secret"].as_str().unwrap(),
    );

    let results_dump = dump_database(&results.pool, backend);
    let reports_dump = dump_database(&reports.pool, backend);
    // The dump reads every kind of column: the certificate (bytes) and a unit's name (text)
    // are there, as are the kept answers.
    let certificate = setup.certificate.der().to_vec();
    assert!(!occurrences(&results_dump, &certificate).is_empty());
    assert!(!occurrences(&reports_dump, &certificate).is_empty());
    assert!(!occurrences(&results_dump, "Nguyễn Thị Lan".as_bytes()).is_empty());
    assert!(results_dump
        .iter()
        .any(|c| c.table == "idempotency_keys" && !c.hex.is_empty()));
    assert!(reports_dump
        .iter()
        .any(|c| c.table == "idempotency_keys" && !c.hex.is_empty()));
    secrets.assert_absent("results", &results_dump);
    secrets.assert_absent("reports", &reports_dump);
    for replay in replays {
        assert_eq!(
            replay["key"],
            Value::Null,
            "a replay shows no secret: {replay}"
        );
    }
}

fn crate_letterhead() -> Value {
    json!({
        "issuing_body": "UBND XÃ THƯỢNG LAN",
        "place": "Thượng Lan",
        "recipients": ["UBND thị xã Việt Yên (b/c);", "Lưu: VT."],
        "closing": "UBND xã Thượng Lan trân trọng báo cáo./."
    })
}
