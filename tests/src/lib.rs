//! Test support: a fresh database per test on either backend, and the results service running on
//! a loopback port with a real HTTP client.
//!
//! PostgreSQL: `MOTCUA_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! names a server where the tests may create databases. The schema is migrated once into a
//! template database named after the migrations' hash; each test copies it, which takes a few
//! milliseconds, and drops its copy at the end. Copies left by killed runs are dropped by the next.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod audit;
pub mod browser;
pub mod corpus;
pub mod csc;
mod database;
pub mod dump;
pub mod fuzzing;
pub mod hostile;
pub mod long_term;
pub mod proxy;
mod reports;
pub mod signed;
pub mod verification_page;
pub mod verification_qr;
pub mod webhook_receiver;

use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use actix_web::web::Data;
use chrono::NaiveDate;
use motcua_audit::Actor;
use motcua_core::access::Role;
use motcua_core::calendar::WorkingCalendar;
use motcua_db::{DbPool, PoolOptions};
use motcua_keys::api_keys::{issue_key, KeyRequest};
use motcua_results::config::{ResultsConfig, Secret};
use motcua_results::seed::SeededDistrict;
use motcua_results::state::AppState;
use motcua_testdata::generate::{catalogue, generate_batch, Batch, Rng};
use motcua_testdata::results::{UnitKey, UnitKeys};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub use database::{Backend, TestDb};
pub use reports::ReportsApp;

/// Declares a test that runs once on SQLite and once on PostgreSQL: for an
/// `async fn name(app: TestApp)`, it makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::TestApp::start($crate::Backend::Sqlite).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::TestApp::start($crate::Backend::Postgres).await).await
                }
            }
        )+
    };
}

/// For an `async fn name(backend: Backend)` that starts what it needs itself, makes
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! with_each_backend {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::Backend::Postgres).await
                }
            }
        )+
    };
}

/// Like [`on_both_backends!`], with the app made by `start(backend)` (e.g. with a tuned
/// configuration) instead of [`TestApp::start`].
#[macro_export]
macro_rules! on_both_backends_with {
    ($start:ident, $($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(super::$start($crate::Backend::Sqlite).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(super::$start($crate::Backend::Postgres).await).await
                }
            }
        )+
    };
}

/// The results service on its own database, reachable over HTTP.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    /// An admin key created directly in the database.
    pub admin_key: String,
    pub pool: DbPool,
    pub backend: Backend,
    /// The running service's state, to look inside it or hold its resources.
    pub state: Data<AppState>,
    server: ServerHandle,
    _db: TestDb,
}

impl TestApp {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts with a configuration adjusted by `tune` (e.g. a smaller body limit).
    pub async fn start_with(backend: Backend, tune: impl FnOnce(&mut ResultsConfig)) -> Self {
        let db = tokio::task::spawn_blocking(move || TestDb::create(backend))
            .await
            .unwrap();
        let mut config = ResultsConfig::for_database(db.url.clone());
        config.workers = 1;
        config.keystore_password = Some(Secret::new("test key-store password"));
        tune(&mut config);
        let pool = DbPool::open(
            &config.database_url,
            PoolOptions {
                max_connections: config.db_pool_size,
                ..PoolOptions::default()
            },
        )
        .expect("open the test database");
        let admin_key = create_key_in_db(&pool, "test admin", Role::Admin);
        let state = Data::new(AppState::new(pool.clone(), config).expect("the service state"));
        let (server, addr) = spawn_server(state.clone());
        Self {
            base_url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            admin_key,
            pool,
            backend,
            state,
            server,
            _db: db,
        }
    }

    /// Starts the service again on the same database with its configuration adjusted by `tune`
    /// (settings read at start-up, e.g. a key that must be stored first); the address changes.
    pub async fn restart_with(&mut self, tune: impl FnOnce(&mut ResultsConfig)) {
        let mut config = self.state.config.clone();
        tune(&mut config);
        let state = Data::new(AppState::new(self.pool.clone(), config).expect("the service state"));
        let (server, addr) = spawn_server(state.clone());
        stop_server(std::mem::replace(&mut self.server, server));
        self.state = state;
        self.base_url = format!("http://{addr}");
    }

    /// Loads the seed report's district and returns its units.
    pub fn seed_viet_yen(&self) -> SeededDistrict {
        let mut conn = self.pool.get().unwrap();
        motcua_results::seed::seed_viet_yen(&mut conn).unwrap()
    }

    /// Loads the seed district, and thirty dossiers with their history at its desk: received in
    /// January 2024 over the three channels, ten still open at the end, half of the results
    /// issued electronically (signed with a test collective certificate of the desk).
    pub fn seed_viet_yen_with_dossiers(&self) -> SeededDistrict {
        let seeded = self.seed_viet_yen();
        let mut conn = self.pool.get().unwrap();
        let (district_procedures, _) = catalogue(&mut conn).unwrap();
        let signer = desk_result_signer(&mut conn, &seeded);
        let january = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
        let batch = Batch {
            units: vec![(seeded.district_desk.id, seeded.district_desk.code.clone())],
            procedures: district_procedures,
            first_day: january(2),
            last_day: january(31),
            channels: [20, 8, 2],
            open_at_end: 10,
            electronic_results: 500,
            electronic_since: None,
            reused: (988, 1000),
        };
        let calendar = WorkingCalendar::vietnam_defaults().unwrap();
        generate_batch(
            &mut conn,
            &calendar,
            &batch,
            &mut Rng::new(2024),
            true,
            Some(&signer),
        )
        .unwrap();
        seeded
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends a request with `key` (if any) and an optional JSON body; returns status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        read(response).await
    }

    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// POSTs raw bytes as `content_type`, without a key; returns status and JSON.
    pub async fn post_bytes(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// POSTs a `multipart/form-data` form of `(name, bytes)` parts, without a key.
    pub async fn post_form(&self, path: &str, parts: &[(&str, &[u8])]) -> (StatusCode, Value) {
        let (content_type, body) = multipart_form(parts);
        self.post_bytes(path, &content_type, body).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(&self.admin_key), None)
            .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(&self.admin_key), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(&self.admin_key), Some(body))
            .await
    }

    /// The values of `field` in the items of a list (its first page), e.g. the codes of
    /// `/dossiers?limit=100`.
    pub async fn listed(&self, list: &str, field: &str) -> Vec<Value> {
        let (status, page) = self.get(list).await;
        assert_eq!(status, StatusCode::OK, "{list}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{list} lists nothing");
        items.iter().map(|item| item[field].clone()).collect()
    }

    /// Creates a key through the API and returns its secret.
    pub async fn key(&self, role: &str, unit_id: Option<i64>, scopes: &[&str]) -> String {
        let body = serde_json::json!({"name": format!("{role} key"), "role": role, "unit_id": unit_id, "scopes": scopes});
        let (status, created) = self.post("/api-keys", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["key"].as_str().unwrap().to_owned()
    }

    /// Counts rows of a table straight from the database, to prove what a request did not change.
    pub fn count_rows(&self, table: &str) -> i64 {
        count_rows(&self.pool, table)
    }

    /// Runs `statements` straight on the database, to change it behind the service's back.
    pub fn execute(&self, statements: &[&str]) {
        execute(&self.pool, statements);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        stop_server(self.server.clone());
    }
}

/// Stops a server from a thread of its own: blocking on the stop inside a test's tokio task can
/// spin for ever once the task has used up its cooperative budget, which only the runtime resets.
pub(crate) fn stop_server(server: ServerHandle) {
    let stopping = std::thread::spawn(move || futures_executor::block_on(server.stop(false)));
    let _ = stopping.join();
}

/// Runs `statements` in order on one connection of `pool`.
pub(crate) fn execute(pool: &DbPool, statements: &[impl AsRef<str>]) {
    use diesel::RunQueryDsl;
    let mut conn = pool.get().unwrap();
    for statement in statements {
        diesel::sql_query(statement.as_ref())
            .execute(&mut *conn)
            .unwrap();
    }
}

fn count_rows(pool: &DbPool, table: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = pool.get().unwrap();
    let query = format!("SELECT COUNT(*) AS n FROM {table}");
    diesel::sql_query(query)
        .get_result::<Count>(&mut *conn)
        .unwrap()
        .n
}

/// Sends `request` with `If-Match: if_match` (when given) and `body` (when given); returns
/// status, `ETag` and body.
pub async fn send_conditional(
    mut request: reqwest::RequestBuilder,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Option<String>, Value) {
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = read(response).await;
    (status, etag, body)
}

/// Status and JSON body (or the body as a JSON string when it is not JSON).
pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

fn create_key_in_db(pool: &DbPool, name: &str, role: Role) -> String {
    let mut conn = pool.get().unwrap();
    let request = KeyRequest {
        name: name.into(),
        role,
        unit_id: None,
        scopes: Vec::new(),
    };
    let (secret, _) = motcua_db::write_transaction(&mut conn, |conn| {
        issue_key(
            conn,
            &Actor::command_line("test"),
            &request,
            Some(motcua_results::state::unit_exists),
        )
    })
    .unwrap();
    secret
}

/// Runs the server on its own thread and actix system, so stopping it never waits on the test's
/// runtime.
fn spawn_server(state: Data<AppState>) -> (ServerHandle, std::net::SocketAddr) {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let (server, addr) = motcua_results::serve(state).expect("start the results service");
            sender.send((server.handle(), addr)).unwrap();
            let _ = server.run().await;
        });
    });
    receiver.recv().expect("the server thread started")
}

/// A `multipart/form-data` body of `(name, bytes)` parts and its content type.
pub fn multipart_form(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "motcua-test-boundary-7d1f0c";
    let mut body = Vec::new();
    for (name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A collective certificate of the seed district's desk, valid since before the generated
/// records, registered in the database, with its key: what generated results are signed with.
fn desk_result_signer(conn: &mut motcua_db::DbConnection, seeded: &SeededDistrict) -> UnitKeys {
    use motcua_pki::testpki::{CertSpec, KeySpec, NameSpec, TestPki};
    let now = chrono::Utc::now();
    let pki = TestPki::new(KeySpec::EcP256, now).unwrap();
    let desk = &seeded.district_desk;
    let mut spec = CertSpec::new(NameSpec::new().add("C", "VN").add("CN", &desk.name), now);
    spec.not_before = NaiveDate::from_ymd_opt(2023, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let certificate = pki.issue(&spec).unwrap();
    let certificate_id = store_organisation_certificate(conn, desk.id, certificate.der());
    let signer = motcua_pki::cms::KeySigner::new(
        certificate.private_key().clone(),
        certificate.certificate().clone(),
    )
    .unwrap();
    let procedures = motcua_db::procedures::list(
        conn,
        &motcua_db::procedures::ProcedureFilter::default(),
        None,
        i64::MAX,
    )
    .unwrap();
    UnitKeys {
        keys: [(
            desk.id,
            UnitKey {
                unit_name: desk.name.clone(),
                certificate_id,
                signer: std::sync::Arc::new(signer),
            },
        )]
        .into(),
        procedures: procedures.into_iter().map(|p| (p.id, p.name)).collect(),
        public_url: "http://127.0.0.1:8080".into(),
    }
}

/// Registers a collective certificate of `unit` directly in the database, as usable, for
/// results written by the data generator rather than through the API.
pub fn store_organisation_certificate(
    conn: &mut motcua_db::DbConnection,
    unit: motcua_core::record_ids::UnitId,
    der: &[u8],
) -> motcua_core::record_ids::CertificateId {
    use motcua_db::certificates::{self, NewCertificate};
    use sha2::{Digest, Sha256};
    let at = motcua_db::now();
    let verdict = motcua_results::certificate_registry::validate(
        &motcua_pki::TrustStore::new(),
        &motcua_pki::Certificate::from_der(der).unwrap(),
        at.and_utc(),
        motcua_pki::RevocationPolicy::Require,
    );
    certificates::insert(
        conn,
        &NewCertificate {
            kind: motcua_core::certificate::CertificateKind::Organisation,
            official_id: None,
            unit_id: Some(unit),
            subject: "CN=UBND XÃ TĂNG TIẾN".into(),
            issuer: "CN=test".into(),
            serial: "01".into(),
            fingerprint: hex::encode(Sha256::digest(der)),
            not_before: at,
            not_after: at,
            der: der.to_vec(),
            bound: true,
            // Read back by the certificate views (coverage, listings): a real binding.
            binding: serde_json::to_string(&motcua_pki::binding::Binding {
                bound: true,
                method: motcua_pki::binding::BindingMethod::Name,
                detail: "stored directly for generated results".into(),
            })
            .unwrap(),
            // The views read a verdict: this one is the check against an empty store (the test
            // CA is not in this database's trust store). The row is marked valid and usable all
            // the same, so that generated results are signed and renewed without the registry.
            status: "valid".into(),
            summary: "stored directly for generated results".into(),
            verdict: serde_json::to_string(&verdict).unwrap(),
            validated_at: at,
            usable: true,
            registered_at: at,
            registered_by: None,
        },
    )
    .unwrap()
    .id
}
