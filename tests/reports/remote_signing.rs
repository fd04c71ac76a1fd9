//! Remote signing of a leader's signing session through a third-party CSC server,
//! certomancer-csc-dummy, over a Certomancer PKI whose certificates name the district's leaders
//! and the district itself (its organisation key): a report signed by its leader remotely, then
//! issued, both signatures validated by pyHanko and pdfsig given only Certomancer's root; a
//! session the provider rejects (it holds no private key for that leader's credential); a
//! session that expires (the provider's signHash never answers before the approval deadline);
//! and a pending session whose time ran out, recorded expired by the background round.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::RunQueryDsl;
use motcua_reports::config::{RemoteSigningConfig, Secret};
use motcua_tests::csc::{self, CscProvider, Holder, HoldingProxy};
use motcua_tests::{with_each_backend, Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::requests::letterhead;

with_each_backend!(leader_sessions_are_signed_rejected_and_expired_through_a_csc_provider);

/// The provider's answers for the expired session never come; its approval window is short.
const HELD_WINDOW_SECS: u64 = 3;

const P12_PASSWORD: &str = "khóa tổ chức";

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

/// The results service with the seed district and two more of its leaders, the provider
/// holding a key for each leader (but `binh`) and for the district, that PKI in the results
/// service's trust store, each leader's certificate registered, and a report service reading it
/// with the district's organisation key.
struct Scene {
    results: TestApp,
    reports: ReportsApp,
    provider: CscProvider,
    district: i64,
    /// The leaders' official ids, in the order of `LEADERS`.
    leaders: Vec<i64>,
}

const LEADERS: [&str; 3] = ["an", "binh", "cuong"];

impl Scene {
    async fn start(backend: Backend, port: u16, config: RemoteSigningConfig) -> Self {
        let results = TestApp::start(backend).await;
        let seeded = results.seed_viet_yen();
        let district = seeded.district.id.0;
        let leaders = leaders_of(&results, district).await;
        let mut holders: Vec<Holder> = LEADERS
            .iter()
            .zip(&leaders)
            .map(|(label, leader)| Holder {
                label: (*label).to_owned(),
                full_name: leader["full_name"].as_str().unwrap().to_owned(),
                personal_id: leader["personal_id"].as_str().unwrap().to_owned(),
                key_available: *label != "binh",
            })
            .collect();
        holders.push(Holder {
            label: "district".into(),
            full_name: seeded.district.name.clone(),
            personal_id: String::new(),
            key_available: true,
        });
        let provider = tokio::task::spawn_blocking(move || CscProvider::start(port, &holders))
            .await
            .unwrap();
        install_trust(&results, &provider).await;
        for (label, leader) in LEADERS.iter().zip(&leaders) {
            let body = json!({"certificate": provider.certificate_pem(label), "official_id": leader["id"]});
            let (status, registered) = results.post("/certificates", &body).await;
            assert_eq!(status, StatusCode::CREATED, "{registered}");
            assert_eq!(registered["usable"], true, "{registered}");
        }
        let key = results.key("auditor", None, &[]).await;
        let base = results.base_url.clone();
        let reports = ReportsApp::start(backend, move |c| {
            c.results_url = Some(base);
            c.results_api_key = Some(Secret::new(key));
            c.remote_signing = config;
        })
        .await;
        let stored = json!({
            "unit_id": district,
            "pkcs12_base64": STANDARD.encode(provider.pkcs12("district", P12_PASSWORD)),
            "password": P12_PASSWORD,
        });
        let admin = reports.admin_key.clone();
        reports
            .ok(Method::POST, "/organisation-keys", &admin, Some(&stored))
            .await;
        Self {
            results,
            reports,
            provider,
            district,
            leaders: leaders.iter().map(|l| l["id"].as_i64().unwrap()).collect(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        self.reports
            .call(method, path, &self.reports.admin_key, body)
            .await
    }

    /// A report ready for the signature of leader `index`, and a leader's session of it.
    async fn session_for(&self, index: usize) -> (String, String) {
        let body = json!({
            "kind": "form_06", "unit_id": self.district, "periods": ["2024-Q1"],
            "letterhead": letterhead(),
        });
        let (status, created) = self.call(Method::POST, "/reports", Some(&body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let ready = json!({"signatory_official_id": self.leaders[index]});
        let (status, body) = self
            .call(Method::POST, &format!("/reports/{id}/ready"), Some(&ready))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (id.clone(), self.new_session(&id).await)
    }

    async fn new_session(&self, report: &str) -> String {
        let path = format!("/reports/{report}/leader-signing-sessions");
        let (status, session) = self.call(Method::POST, &path, None).await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        session["session_id"].as_str().unwrap().to_owned()
    }

    async fn remote(&self, session: &str, provider: &str, label: &str) -> (StatusCode, Value) {
        let body = json!({"provider": provider, "credential_id": CscProvider::credential(label)});
        let path = format!("/leader-signing-sessions/{session}/remote");
        self.call(Method::POST, &path, Some(&body)).await
    }

    async fn session(&self, session: &str) -> Value {
        let path = format!("/leader-signing-sessions/{session}");
        let (status, view) = self.call(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        view
    }

    /// The session once it has left `awaiting_approval` (the service polls every second).
    async fn settled(&self, session: &str) -> Value {
        let started = Instant::now();
        loop {
            let view = self.session(session).await;
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

    async fn report_status(&self, report: &str) -> Value {
        let (status, view) = self
            .call(Method::GET, &format!("/reports/{report}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        view["status"].clone()
    }

    /// The audit actions recorded for `object_id`, oldest first.
    fn actions(&self, object_id: &str) -> Vec<String> {
        let mut conn = self.reports.pool.get().unwrap();
        motcua_db::audit::range(&mut conn, None, None)
            .unwrap()
            .into_iter()
            .filter(|event| event.object_id == object_id)
            .map(|event| event.action)
            .collect()
    }

    /// Waits until the background round has recorded `action` for `object_id`.
    async fn recorded(&self, object_id: &str, action: &str) {
        let started = Instant::now();
        while !self.actions(object_id).iter().any(|done| done == action) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{action} not recorded: {:?}",
                self.actions(object_id)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The seed leader and two Phó Chủ tịch added to the district, as the results service shows
/// them.
async fn leaders_of(results: &TestApp, district: i64) -> Vec<Value> {
    for (name, personal_id) in [
        ("Nguyễn Thị Bình", "024185004321"),
        ("Lê Văn Cường", "024087005678"),
    ] {
        let body = json!({
            "full_name": name, "personal_id": personal_id, "unit_id": district,
            "role": "leader", "staffing": "own_staff", "title": "Phó Chủ tịch UBND thị xã",
        });
        let (status, created) = results.post("/officials", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let (_, officials) = results
        .get(&format!("/officials?unit={district}&limit=200"))
        .await;
    let leaders: Vec<Value> = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
        .cloned()
        .collect();
    assert_eq!(leaders.len(), 3, "{officials}");
    leaders
}

/// Certomancer's root and issuing CA in the results service's trust store, with both CRLs.
async fn install_trust(results: &TestApp, provider: &CscProvider) {
    for (kind, label) in [("root", "root"), ("intermediate", "issuing")] {
        let body = json!({"kind": kind, "certificate": provider.certificate_pem(label)});
        let (status, added) = results.post("/trust-anchors", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    for issuer in ["root", "issuing"] {
        let body = json!({"crl": STANDARD.encode(provider.crl(issuer))});
        let (status, imported) = results.post("/crls", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
    }
}

async fn leader_sessions_are_signed_rejected_and_expired_through_a_csc_provider(backend: Backend) {
    if !csc::available() {
        return;
    }
    let port = csc::free_port();
    let direct = SocketAddr::from(([127, 0, 0, 1], port));
    let proxy = HoldingProxy::start(direct, "signatures/signHash");
    let scene = Scene::start(backend, port, remote_config(direct, proxy.address)).await;

    let (signed_report, signed) = scene.session_for(0).await;
    credentials_name_the_session_certificate(&scene, &signed).await;
    refusals_change_nothing(&scene, &signed).await;
    signed_remotely_then_issued(&scene, &signed_report, &signed).await;

    let (rejected_report, rejected) = scene.session_for(1).await;
    rejected_by_the_provider(&scene, &rejected_report, &rejected).await;
    let pending = scene.new_session(&rejected_report).await;
    a_pending_session_whose_time_ran_out_is_recorded_expired(&scene, &pending).await;

    let (expired_report, expired) = scene.session_for(2).await;
    expires_without_an_answer(&scene, &expired_report, &expired).await;

    for (session, last) in [
        (&signed, "signing_session.signed"),
        (&rejected, "signing_session.rejected"),
        (&expired, "signing_session.expired"),
    ] {
        assert_eq!(
            scene.actions(session),
            ["signing_session.awaiting_approval", last],
            "{session}"
        );
    }
    drop(proxy);
}

/// The provider's credentials listed for the session's leader: only the one holding the
/// session's certificate is marked so, with the leader's registered certificate.
async fn credentials_name_the_session_certificate(scene: &Scene, session: &str) {
    let path = format!("/leader-signing-sessions/{session}/remote-credentials");
    let (status, list) = scene
        .call(Method::GET, &format!("{path}?provider=certomancer"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["session_id"], session, "{list}");
    let items = list["items"].as_array().unwrap();
    let holding: Vec<&str> = items
        .iter()
        .filter(|item| item["holds_session_certificate"] == true)
        .map(|item| item["credential_id"].as_str().unwrap())
        .collect();
    assert_eq!(holding, [CscProvider::credential("an")], "{list}");
    let an = items
        .iter()
        .find(|item| item["credential_id"] == CscProvider::credential("an"))
        .unwrap();
    let (_, certificates) = scene
        .results
        .get(&format!("/certificates?official={}", scene.leaders[0]))
        .await;
    assert_eq!(
        an["certificate_id"], certificates["items"][0]["id"],
        "{list}"
    );
    let (status, problem) = scene
        .call(Method::GET, &format!("{path}?provider=nobody"), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "provider");
}

/// An unknown provider or credential, and another leader's credential, are refused; the
/// session stays pending.
async fn refusals_change_nothing(scene: &Scene, session: &str) {
    let (status, problem) = scene.remote(session, "nobody", "an").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "provider");
    let (status, problem) = scene.remote(session, "certomancer", "nobody").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "credential_id");
    let (status, problem) = scene.remote(session, "certomancer", "cuong").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not the official's certificate"),
        "{problem}"
    );
    let view = scene.session(session).await;
    assert_eq!(view["state"], "pending", "{view}");
    assert_eq!(view["remote"], Value::Null, "{view}");
    assert!(scene.actions(session).is_empty());
}

/// The provider signs: the report becomes leader-signed as with a token's signature, is issued,
/// and both signatures are valid for motcua, pyHanko and pdfsig given only the root.
async fn signed_remotely_then_issued(scene: &Scene, report: &str, session: &str) {
    let (status, view) = scene.remote(session, "certomancer", "an").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{view}");
    assert_eq!(view["state"], "awaiting_approval", "{view}");
    assert_eq!(view["open"], false, "{view}");
    assert_eq!(view["remote"]["provider"], "certomancer", "{view}");
    assert!(view["remote"]["approval_deadline"].is_string(), "{view}");
    let (status, again) = scene.remote(session, "certomancer", "an").await;
    assert_eq!(status, StatusCode::CONFLICT, "asked once: {again}");

    let view = scene.settled(session).await;
    assert_eq!(view["state"], "signed", "{view}");
    assert_eq!(scene.report_status(report).await, "leader_signed");
    let leader_signed: Vec<String> = scene.actions(report);
    assert!(
        leader_signed
            .iter()
            .any(|action| action == "report.signed_by_leader"),
        "{leader_signed:?}"
    );
    let (status, issued) = scene
        .call(Method::POST, &format!("/reports/{report}/issue"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["status"], "issued", "{issued}");
    let (status, verification) = scene
        .call(
            Method::GET,
            &format!("/reports/{report}/verification"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verification}");
    assert_eq!(verification["valid"], true, "{verification}");
    let response = scene
        .reports
        .client
        .get(scene.reports.url(&format!("/reports/{report}/document")))
        .bearer_auth(&scene.reports.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = response.bytes().await.unwrap().to_vec();
    scene.provider.validated_outside_with_the_root_only(&pdf, 2);
}

/// The provider holds no key for this credential: it refuses to authorize, and the session is
/// rejected at once with the provider's answer as its reason; the report still waits.
async fn rejected_by_the_provider(scene: &Scene, report: &str, session: &str) {
    let (status, view) = scene.remote(session, "certomancer", "binh").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["state"], "rejected", "{view}");
    let reason = view["reason"].as_str().unwrap();
    assert!(
        reason.contains("credentials/authorize: HTTP 400"),
        "{reason}"
    );
    assert_eq!(scene.session(session).await["state"], "rejected");
    let path = format!("/leader-signing-sessions/{session}/signature");
    let body = json!({"signature_base64": STANDARD.encode(b"anything")});
    let (status, problem) = scene.call(Method::POST, &path, Some(&body)).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a rejected session is closed: {problem}"
    );
    assert_eq!(scene.report_status(report).await, "ready_for_signature");
}

/// A pending session whose time ran out is recorded expired by the background round, with its
/// reason; it no longer takes a signature.
async fn a_pending_session_whose_time_ran_out_is_recorded_expired(scene: &Scene, session: &str) {
    let mut conn = scene.reports.pool.get().unwrap();
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    let updated = diesel::sql_query(format!(
        "UPDATE report_signing_sessions SET expires_at = '{}' WHERE id = '{session}'",
        past.format("%Y-%m-%d %H:%M:%S%.6f")
    ))
    .execute(&mut *conn)
    .unwrap();
    drop(conn);
    assert_eq!(updated, 1);
    scene.recorded(session, "signing_session.expired").await;
    let view = scene.session(session).await;
    assert_eq!(view["state"], "expired", "{view}");
    assert_eq!(view["open"], false, "{view}");
    assert!(
        view["reason"].as_str().unwrap().contains("time ran out"),
        "{view}"
    );
}

/// The provider authorizes but never answers the signing request: the session expires at its
/// approval deadline, the expiry is recorded, and the report still waits for its leader.
async fn expires_without_an_answer(scene: &Scene, report: &str, session: &str) {
    let started = Instant::now();
    let (status, view) = scene.remote(session, "certomancer-held", "cuong").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{view}");
    let view = scene.settled(session).await;
    assert_eq!(view["state"], "expired", "{view}");
    assert!(
        started.elapsed() >= Duration::from_secs(HELD_WINDOW_SECS - 1),
        "expired before its deadline: {view}"
    );
    let reason = view["reason"].as_str().unwrap();
    assert!(reason.contains("before the approval deadline"), "{reason}");
    scene.recorded(session, "signing_session.expired").await;
    assert_eq!(scene.report_status(report).await, "ready_for_signature");
}
