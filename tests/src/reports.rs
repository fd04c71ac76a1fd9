//! The report service on its own database, reachable over HTTP, for the tests.

use std::sync::mpsc;

use actix_web::dev::ServerHandle;
use motcua_audit::Actor;
use motcua_core::access::Role;
use motcua_core::record_ids::UnitId;
use motcua_db::{Database, DbPool, PoolOptions};
use motcua_keys::api_keys::{issue_key, KeyRequest};
use motcua_reports::config::{ReportsConfig, Secret};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::database::{Backend, TestDb};
use crate::read;

pub struct ReportsApp {
    pub base_url: String,
    pub client: reqwest::Client,
    /// An admin key created directly in the database.
    pub admin_key: String,
    pub pool: DbPool,
    config: ReportsConfig,
    server: Option<ServerHandle>,
    _db: TestDb,
}

impl ReportsApp {
    /// Starts on a fresh database with the configuration adjusted by `tune`.
    pub async fn start(backend: Backend, tune: impl FnOnce(&mut ReportsConfig)) -> Self {
        let db =
            tokio::task::spawn_blocking(move || TestDb::create_for(Database::Reports, backend))
                .await
                .unwrap();
        let mut config = ReportsConfig::for_database(&db.url);
        config.workers = 1;
        config.keystore_password = Some(Secret::new("test key-store password"));
        tune(&mut config);
        let pool = DbPool::open_database(
            Database::Reports,
            &config.database_url,
            PoolOptions {
                max_connections: config.db_pool_size,
                ..PoolOptions::default()
            },
        )
        .expect("open the test database");
        let admin_key = reports_key(&pool, "test admin", Role::Admin, None, &[]);
        let (server, addr) = spawn(config.clone(), pool.clone());
        // A restart listens where the service listened before.
        config.bind = addr;
        Self {
            base_url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            admin_key,
            pool,
            config,
            server: Some(server),
            _db: db,
        }
    }

    /// Stops the service (the database stays), as an outage or a shutdown would.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop(true).await;
        }
    }

    /// Starts the service again on the same address and database.
    pub async fn restart(&mut self) {
        self.stop().await;
        let (server, _) = spawn(self.config.clone(), self.pool.clone());
        self.server = Some(server);
    }

    /// Like [`restart`](Self::restart), with the configuration adjusted by `tune` (settings read
    /// at start-up, e.g. a key that must be stored first).
    pub async fn restart_with(&mut self, tune: impl FnOnce(&mut ReportsConfig)) {
        tune(&mut self.config);
        self.restart().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Like [`call`](Self::call), asserting a 2xx answer; returns its JSON.
    pub async fn ok(&self, method: Method, path: &str, key: &str, body: Option<&Value>) -> Value {
        let (status, value) = self.call(method, path, key, body).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(key);
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request.send().await.unwrap()).await
    }

    /// A key of this service, straight in its database.
    pub fn key(&self, name: &str, role: Role, unit: Option<UnitId>, scopes: &[&str]) -> String {
        reports_key(&self.pool, name, role, unit, scopes)
    }

    /// Stores an organisation key of `unit`, whose certificate (from a fresh test PKI) is
    /// named `name`, so that the unit's reports can be made ready, signed and issued.
    pub async fn store_organisation_key(&self, unit: i64, name: &str) {
        use base64::Engine;
        use motcua_pki::testpki::{KeySpec, TestPki};
        let pki = TestPki::new(KeySpec::Rsa2048, chrono::Utc::now()).unwrap();
        let certificate = pki
            .issue(&pki.organisation(name, "UBND TỈNH BẮC GIANG", "Bắc Giang"))
            .unwrap();
        let pkcs12 = certificate
            .pkcs12("khóa tổ chức", &[&pki.issuing_ca])
            .unwrap();
        let body = serde_json::json!({
            "unit_id": unit,
            "pkcs12_base64": base64::engine::general_purpose::STANDARD.encode(pkcs12),
            "password": "khóa tổ chức",
        });
        let admin = self.admin_key.clone();
        self.ok(Method::POST, "/organisation-keys", &admin, Some(&body))
            .await;
    }

    /// Counts rows of a table straight from the database.
    pub fn count_rows(&self, table: &str) -> i64 {
        crate::count_rows(&self.pool, table)
    }
}

impl Drop for ReportsApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            crate::stop_server(server);
        }
    }
}

fn reports_key(
    pool: &DbPool,
    name: &str,
    role: Role,
    unit_id: Option<UnitId>,
    scopes: &[&str],
) -> String {
    let mut conn = pool.get().unwrap();
    let request = KeyRequest {
        name: name.into(),
        role,
        unit_id,
        scopes: scopes.iter().map(|s| s.parse().unwrap()).collect(),
    };
    let (secret, _) = motcua_db::write_transaction(&mut conn, |conn| {
        issue_key(conn, &Actor::command_line("test"), &request, None)
    })
    .unwrap();
    secret
}

fn spawn(config: ReportsConfig, pool: DbPool) -> (ServerHandle, std::net::SocketAddr) {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let (server, addr) =
                motcua_reports::start_with_pool(config, pool).expect("start the report service");
            sender.send((server.handle(), addr)).unwrap();
            let _ = server.run().await;
        });
    });
    receiver.recv().expect("the server thread started")
}
