//! Typed configuration of the report service, read from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use motcua_audit::config::TrailConfig;
use motcua_core::record_ids::UnitId;
pub use motcua_events::WebhookConfig;
pub use motcua_web::archival::SigningConfig;
pub use motcua_web::archive::ArchiveSettings;
pub use motcua_web::config::{env_or, keystore_password, ConfigError, Secret};
pub use motcua_web::remote_signing::RemoteSigningConfig;
pub use motcua_web::ServerLimits;

/// Everything the report service reads from its environment.
#[derive(Debug, Clone)]
pub struct ReportsConfig {
    /// `MOTCUA_REPORTS_BIND`, default `127.0.0.1:8081`.
    pub bind: SocketAddr,
    /// `MOTCUA_REPORTS_DATABASE_URL`: `postgres://…` or `sqlite://path`; default an SQLite file
    /// in the data directory (`MOTCUA_DATA_DIR`, default `data`).
    pub database_url: String,
    /// `MOTCUA_DB_POOL_SIZE`, default 10.
    pub db_pool_size: u32,
    /// `MOTCUA_WORKERS`, default the number of cores.
    pub workers: usize,
    /// `MOTCUA_MAX_BODY_BYTES`: JSON bodies, default 1 MiB.
    pub max_body_bytes: usize,
    /// `MOTCUA_MAX_PACKAGE_BYTES`: a received report package (its PDF in base64), default 64 MiB.
    pub max_package_bytes: usize,
    /// `MOTCUA_RESULTS_URL`: the results service the figures come from, e.g.
    /// `http://127.0.0.1:8080`; unset: reports cannot be compiled (a receiver needs none).
    pub results_url: Option<String>,
    /// `MOTCUA_RESULTS_API_KEY`: an integration key of the results service with read scopes.
    pub results_api_key: Option<Secret>,
    /// `MOTCUA_RECEIVER_URL`: the provincial report service packages are delivered to, e.g.
    /// `https://baocao.bacgiang.gov.vn`; unset: issued reports cannot be submitted.
    pub receiver_url: Option<String>,
    /// `MOTCUA_RECEIVER_API_KEY`: the key the province issued to this unit (`submissions:write`).
    pub receiver_api_key: Option<Secret>,
    /// `MOTCUA_RECEIVER_UNIT_ID`: in receiver mode, the unit (in the province's results service)
    /// whose organisation key signs receipts; unset: this service does not receive packages.
    pub receiver_unit_id: Option<UnitId>,
    /// `MOTCUA_TRUST_ROOTS_DIR`: CA certificates (self-signed: roots) and CRLs (`.crl`) that
    /// signatures are verified against, in addition to those installed in the results service;
    /// read again at every verification, so a new CRL dropped into the folder counts at once.
    pub trust_roots_dir: Option<PathBuf>,
    /// `MOTCUA_TRUST_REFRESH_SECS`: how often the trust anchors and CRLs installed in the results
    /// service (`GET /trust-store`) are read again, default 300; they are also read at once when
    /// a verification finds no chain.
    pub trust_refresh: Duration,
    /// `MOTCUA_KEYSTORE_PASSWORD`: the password organisation keys are stored under.
    pub keystore_password: Option<Secret>,
    /// `MOTCUA_WEBHOOK_*`: the allow-list of callback hosts and the retries of subscriptions'
    /// deliveries (see [`WebhookConfig`]).
    pub webhooks: WebhookConfig,
    /// `MOTCUA_OUTBOX_INTERVAL_MS`: how often the outbox looks for due deliveries, default 2000.
    pub outbox_interval: Duration,
    /// `MOTCUA_OUTBOX_RETRY_BASE_MS`: the first retry delay, doubled at each failure up to an
    /// hour, default 5000.
    pub outbox_retry_base: Duration,
    /// `MOTCUA_REPORTS_PUBLIC_URL`: the base URL clients reach this service at (e.g.
    /// `https://motcua.vietyen.gov.vn/api`); `Location` headers start with it. Unset: with the
    /// request's scheme and host.
    pub public_url: Option<String>,
    /// Timeouts and the cap on signature work (see [`ServerLimits`]).
    pub server: ServerLimits,
    /// `MOTCUA_AUDIT_CHECKPOINT_KEY`, `MOTCUA_AUDIT_CHECKPOINT_LOG` (see [`TrailConfig`]).
    pub audit: TrailConfig,
    /// `MOTCUA_SIGNING_CONFIG`: the level of the leader's, the organisation's and the receipt's
    /// signatures, and the timestamp authorities and revocation sources they need (see
    /// [`SigningConfig`]); unset: B-B signatures.
    pub signing: SigningConfig,
    /// `MOTCUA_ARCHIVE_*`: when issued reports get a new document timestamp.
    pub archive: ArchiveSettings,
    /// `MOTCUA_REMOTE_SIGNING_CONFIG`: the remote signing providers leaders' keys may be held by
    /// (see [`RemoteSigningConfig`]); unset: leader sessions are signed by a token only.
    pub remote_signing: RemoteSigningConfig,
}

impl ReportsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = std::env::var("MOTCUA_DATA_DIR").unwrap_or_else(|_| "data".to_owned());
        let database_url = std::env::var("MOTCUA_REPORTS_DATABASE_URL")
            .unwrap_or_else(|_| format!("sqlite://{data_dir}/reports.sqlite3"));
        Ok(Self {
            audit: TrailConfig::from_env("reports", &database_url, &data_dir)?,
            bind: env_or(
                "MOTCUA_REPORTS_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8081)),
            )?,
            database_url,
            db_pool_size: env_or("MOTCUA_DB_POOL_SIZE", 10)?,
            workers: env_or("MOTCUA_WORKERS", default_workers())?,
            max_body_bytes: env_or("MOTCUA_MAX_BODY_BYTES", 1024 * 1024)?,
            max_package_bytes: env_or("MOTCUA_MAX_PACKAGE_BYTES", 64 * 1024 * 1024)?,
            results_url: optional("MOTCUA_RESULTS_URL"),
            results_api_key: optional("MOTCUA_RESULTS_API_KEY").map(Secret::new),
            receiver_url: optional("MOTCUA_RECEIVER_URL"),
            receiver_api_key: optional("MOTCUA_RECEIVER_API_KEY").map(Secret::new),
            receiver_unit_id: optional("MOTCUA_RECEIVER_UNIT_ID")
                .map(|value| {
                    value
                        .parse()
                        .map(UnitId)
                        .map_err(|e: std::num::ParseIntError| ConfigError {
                            name: "MOTCUA_RECEIVER_UNIT_ID",
                            value,
                            reason: e.to_string(),
                        })
                })
                .transpose()?,
            trust_roots_dir: optional("MOTCUA_TRUST_ROOTS_DIR").map(PathBuf::from),
            trust_refresh: Duration::from_secs(env_or("MOTCUA_TRUST_REFRESH_SECS", 300)?),
            keystore_password: keystore_password()?,
            webhooks: WebhookConfig::from_env()?,
            outbox_interval: Duration::from_millis(env_or("MOTCUA_OUTBOX_INTERVAL_MS", 2000)?),
            outbox_retry_base: Duration::from_millis(env_or("MOTCUA_OUTBOX_RETRY_BASE_MS", 5000)?),
            public_url: motcua_web::location::public_url_from_env("MOTCUA_REPORTS_PUBLIC_URL")?,
            server: ServerLimits::from_env()?,
            signing: SigningConfig::from_env()?,
            archive: ArchiveSettings::from_env()?,
            remote_signing: RemoteSigningConfig::from_env()?,
        })
    }

    /// A configuration for tests and embedding: loopback on a free port, nothing connected.
    pub fn for_database(database_url: &str) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_owned(),
            db_pool_size: 4,
            workers: 2,
            max_body_bytes: 1024 * 1024,
            max_package_bytes: 64 * 1024 * 1024,
            results_url: None,
            results_api_key: None,
            receiver_url: None,
            receiver_api_key: None,
            receiver_unit_id: None,
            trust_roots_dir: None,
            trust_refresh: Duration::from_secs(300),
            keystore_password: None,
            webhooks: WebhookConfig::default(),
            outbox_interval: Duration::from_millis(200),
            outbox_retry_base: Duration::from_millis(200),
            public_url: None,
            server: ServerLimits::default(),
            audit: TrailConfig::default(),
            signing: SigningConfig::default(),
            archive: ArchiveSettings::default(),
            remote_signing: RemoteSigningConfig::default(),
        }
    }
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}
