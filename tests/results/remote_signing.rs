//! Remote signing of scanned components through a third-party CSC server, certomancer-csc-dummy,
//! over a Certomancer PKI whose certificates name the seed district's officials: a component
//! signed remotely and then validated by pyHanko and pdfsig given only Certomancer's root, a
//! session the provider rejects (it holds no private key for that official's credential) and a
//! session that expires (the provider's signHash never answers before the approval deadline).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use motcua_results::config::RemoteSigningConfig;
use motcua_tests::csc::{self, CscProvider, Holder, HoldingProxy};
use motcua_tests::{with_each_backend, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::certificates::{base64, officials_under, register};
use crate::dossiers::{create, dossier, procedure};

with_each_backend!(components_are_signed_rejected_and_expired_through_a_csc_provider);

/// The provider's answers for the expired session never come; its approval window is short.
const HELD_WINDOW_SECS: u64 = 3;

fn remote_config(direct: SocketAddr, held: SocketAddr) -> RemoteSigningConfig {
    RemoteSigningConfig::from_toml(&format!(
        r#"
poll_interval_secs = 1

[providers.certomancer]
kind = "csc"
base_url = "http://{direct}/csc/v1"
approval_window_secs = 60
timeout_secs = 5

[providers.certomancer-held]
kind = "csc"
base_url = "http://{held}/csc/v1"
approval_window_secs = {HELD_WINDOW_SECS}
timeout_secs = 1
"#
    ))
    .unwrap()
}

async fn components_are_signed_rejected_and_expired_through_a_csc_provider(backend: Backend) {
    if !csc::available() {
        return;
    }
    let port = csc::free_port();
    let direct = SocketAddr::from(([127, 0, 0, 1], port));
    let proxy = HoldingProxy::start(direct, "signatures/signHash");
    let config = remote_config(direct, proxy.address);
    let app = TestApp::start_with(backend, move |c| c.remote_signing = config).await;
    let seeded = app.seed_viet_yen();
    let commune = seeded.communes[0].id.0;
    let staff = officials_under(&app, commune).await;
    let holders: Vec<Holder> = ["an", "binh", "cuong"]
        .iter()
        .zip(&staff)
        .map(|(label, official)| Holder {
            label: (*label).to_owned(),
            full_name: official["full_name"].as_str().unwrap().to_owned(),
            personal_id: official["personal_id"].as_str().unwrap().to_owned(),
            key_available: *label != "binh",
        })
        .collect();
    let provider = tokio::task::spawn_blocking(move || CscProvider::start(port, &holders))
        .await
        .unwrap();
    install_trust(&app, &provider).await;
    let mut registered = Vec::new();
    for (label, official) in ["an", "binh", "cuong"].iter().zip(&staff) {
        let pem = provider.certificate_pem(label);
        let body = json!({"certificate": pem, "official_id": official["id"]});
        registered.push(register(&app, &body).await);
    }
    credentials_name_the_officials_certificate(&app, &staff[0], &registered[0]).await;
    let code = dossier_with_three_components(&app, commune).await;

    let signed = open_session(&app, &code, 1, &staff[0]).await;
    refusals_change_nothing(&app, &signed).await;
    signed_remotely(&app, &provider, &code, &signed).await;

    let rejected = open_session(&app, &code, 2, &staff[1]).await;
    rejected_by_the_provider(&app, &rejected).await;

    let expired = open_session(&app, &code, 3, &staff[2]).await;
    expires_without_an_answer(&app, &expired).await;

    let (_, after) = app.get(&format!("/dossiers/{code}")).await;
    let states: Vec<&str> = after["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|component| component["digitisation"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["digitised", "not_digitised", "not_digitised"]);
    audit_trail_tells_each_move(&app, &signed, &rejected, &expired).await;
    drop(proxy);
}

/// The provider's credentials listed for an official: only the one holding the official's
/// registered certificate names it.
async fn credentials_name_the_officials_certificate(
    app: &TestApp,
    official: &Value,
    certificate: &Value,
) {
    let path = format!("/officials/{}/remote-credentials", official["id"]);
    let (status, list) = app.get(&format!("{path}?provider=certomancer")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["items"].as_array().unwrap();
    let held: Vec<(&str, &Value)> = items
        .iter()
        .filter(|item| !item["certificate_id"].is_null())
        .map(|item| {
            (
                item["credential_id"].as_str().unwrap(),
                &item["certificate_id"],
            )
        })
        .collect();
    assert_eq!(
        held,
        [(CscProvider::credential("an").as_str(), &certificate["id"])],
        "{list}"
    );
    let binh = items
        .iter()
        .find(|item| item["credential_id"] == CscProvider::credential("binh"))
        .unwrap();
    assert_eq!(binh["enabled"], false, "no key at the provider: {binh}");
    let (status, problem) = app.get(&format!("{path}?provider=nobody")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "provider");
}

/// Certomancer's root and issuing CA in the trust store, with both CRLs.
async fn install_trust(app: &TestApp, provider: &CscProvider) {
    for (kind, label) in [("root", "root"), ("intermediate", "issuing")] {
        let (status, added) = app
            .post(
                "/trust-anchors",
                &json!({"kind": kind, "certificate": provider.certificate_pem(label)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    for issuer in ["root", "issuing"] {
        let (status, imported) = app
            .post("/crls", &json!({"crl": base64(&provider.crl(issuer))}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
    }
}

async fn dossier_with_three_components(app: &TestApp, commune: i64) -> String {
    let proc_id = procedure(app, "1.000400", "Hộ tịch", 3).await;
    let mut body = dossier(commune, proc_id, "direct", "2024-05-06T02:00:00Z");
    body["components"] = json!([
        {"name": "Tờ khai đăng ký khai sinh"},
        {"name": "Giấy chứng sinh"},
        {"name": "Giấy xác nhận cư trú"}
    ]);
    create(app, &body).await["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A signing session of component `position` for `official`: its id.
async fn open_session(app: &TestApp, code: &str, position: u32, official: &Value) -> String {
    let scan = motcua_pki::testpki::sample_pdf("Ban quet thanh phan ho so");
    let (status, session) = app
        .post(
            &format!("/dossiers/{code}/components/{position}/signing-sessions"),
            &json!({"official_id": official["id"], "pdf_base64": base64(&scan)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    session["session_id"].as_str().unwrap().to_owned()
}

async fn remote(
    app: &TestApp,
    session: &str,
    provider: &str,
    credential: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("/signing-sessions/{session}/remote"),
        &json!({"provider": provider, "credential_id": credential}),
    )
    .await
}

async fn state_of(app: &TestApp, session: &str) -> Value {
    let (status, view) = app.get(&format!("/signing-sessions/{session}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

/// The session once it has left `awaiting_approval` (the service polls the provider every
/// second).
async fn settled(app: &TestApp, session: &str) -> Value {
    let started = Instant::now();
    loop {
        let view = state_of(app, session).await;
        if view["state"] != "awaiting_approval" {
            return view;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still awaiting: {view}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An unknown provider or credential, and another official's credential, are refused; the
/// session stays pending.
async fn refusals_change_nothing(app: &TestApp, session: &str) {
    let (status, problem) = remote(app, session, "nobody", &CscProvider::credential("an")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "provider");
    let (status, problem) = remote(
        app,
        session,
        "certomancer",
        &CscProvider::credential("nobody"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "credential_id");
    let (status, problem) = remote(
        app,
        session,
        "certomancer",
        &CscProvider::credential("binh"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not the official's certificate"),
        "{problem}"
    );
    let view = state_of(app, session).await;
    assert_eq!(view["state"], "pending", "{view}");
    assert_eq!(view["remote"], Value::Null, "{view}");
}

async fn signed_remotely(app: &TestApp, provider: &CscProvider, code: &str, session: &str) {
    let (status, view) = remote(app, session, "certomancer", &CscProvider::credential("an")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{view}");
    assert_eq!(view["state"], "awaiting_approval", "{view}");
    assert_eq!(view["remote"]["provider"], "certomancer");
    let (status, again) = remote(app, session, "certomancer", &CscProvider::credential("an")).await;
    assert_eq!(status, StatusCode::CONFLICT, "asked once: {again}");

    let view = settled(app, session).await;
    assert_eq!(view["state"], "signed", "{view}");
    let download = view["download"].as_str().unwrap();
    assert_eq!(download, format!("/dossiers/{code}/components/1/file"));
    let response = app
        .client
        .get(app.url(download))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = response.bytes().await.unwrap().to_vec();
    let (status, reports) = app
        .post_bytes("/verify", "application/pdf", pdf.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{reports}");
    assert_eq!(
        reports[0]["report"]["indication"], "TOTAL_PASSED",
        "{reports}"
    );
    provider.validated_outside_with_the_root_only(&pdf, 1);
}

/// The provider holds no key for this credential: it refuses to authorize, and the session is
/// rejected at once with the provider's answer as its reason.
async fn rejected_by_the_provider(app: &TestApp, session: &str) {
    let (status, view) = remote(
        app,
        session,
        "certomancer",
        &CscProvider::credential("binh"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["state"], "rejected", "{view}");
    let reason = view["reason"].as_str().unwrap();
    assert!(
        reason.contains("credentials/authorize: HTTP 400"),
        "{reason}"
    );
    let view = state_of(app, session).await;
    assert_eq!(view["state"], "rejected", "{view}");
    let (status, problem) = app
        .post(
            &format!("/signing-sessions/{session}/signature"),
            &json!({"signature_base64": base64(b"anything")}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a rejected session is closed: {problem}"
    );
}

/// The provider authorizes but never answers the signing request: the session expires at its
/// approval deadline, and nothing is stored.
async fn expires_without_an_answer(app: &TestApp, session: &str) {
    let started = Instant::now();
    let (status, view) = remote(
        app,
        session,
        "certomancer-held",
        &CscProvider::credential("cuong"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{view}");
    let view = settled(app, session).await;
    assert_eq!(view["state"], "expired", "{view}");
    assert!(
        started.elapsed() >= Duration::from_secs(HELD_WINDOW_SECS - 1),
        "expired before its deadline: {view}"
    );
    let reason = view["reason"].as_str().unwrap();
    assert!(reason.contains("before the approval deadline"), "{reason}");
    // The background round records it too, with its reason.
    let started = Instant::now();
    while !expired_recorded(app, session).await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "expiry not recorded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn expired_recorded(app: &TestApp, session: &str) -> bool {
    let (_, page) = app
        .get(&format!(
            "/audit-events?object_type=signing_session&object_id={session}&action=signing_session.expired"
        ))
        .await;
    !page["items"].as_array().unwrap().is_empty()
}

async fn audit_trail_tells_each_move(app: &TestApp, signed: &str, rejected: &str, expired: &str) {
    for (session, moves) in [
        (
            signed,
            vec![
                "signing_session.awaiting_approval",
                "signing_session.signed",
            ],
        ),
        (
            rejected,
            vec![
                "signing_session.awaiting_approval",
                "signing_session.rejected",
            ],
        ),
        (
            expired,
            vec![
                "signing_session.awaiting_approval",
                "signing_session.expired",
            ],
        ),
    ] {
        let (status, page) = app
            .get(&format!(
                "/audit-events?object_type=signing_session&object_id={session}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let actions: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, moves, "{page}");
    }
}
