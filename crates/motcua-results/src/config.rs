//! Typed configuration of the results service, read from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use motcua_audit::config::TrailConfig;
pub use motcua_events::WebhookConfig;
pub use motcua_web::archival::SigningConfig;
pub use motcua_web::archive::ArchiveSettings;
pub use motcua_web::config::{env_or, keystore_password, ConfigError, Secret};
pub use motcua_web::remote_signing::RemoteSigningConfig;
pub use motcua_web::ServerLimits;

/// Everything the results service reads from its environment.
#[derive(Debug, Clone)]
pub struct ResultsConfig {
    /// `MOTCUA_RESULTS_BIND`, default `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// `DATABASE_URL`: `postgres://…` or `sqlite://path`; default an SQLite file in the data directory.
    pub database_url: String,
    /// `MOTCUA_DB_POOL_SIZE`, default 10.
    pub db_pool_size: u32,
    /// `MOTCUA_MAX_BODY_BYTES`: the largest JSON body accepted, default 1 MiB.
    pub max_body_bytes: usize,
    /// `MOTCUA_MAX_IMPORT_BYTES`: the largest bulk import accepted, default 64 MiB.
    pub max_import_bytes: usize,
    /// `MOTCUA_WORKERS`: HTTP worker threads, default one per core.
    pub workers: usize,
    /// `MOTCUA_TRUST_ROOTS_DIR`: CA certificates (PEM, DER or PKCS#7 files) installed in the
    /// trust store at start-up when it is empty; unset: none.
    pub trust_roots_dir: Option<PathBuf>,
    /// `MOTCUA_REVALIDATION_INTERVAL_SECS`: how often every certificate's verdict is recomputed
    /// in the background, default every hour (and once at start-up).
    pub revalidation_interval: Duration,
    /// `MOTCUA_MAX_RESULT_BYTES`: the largest result PDF accepted (signing and verification),
    /// default 20 MiB.
    pub max_result_bytes: usize,
    /// `MOTCUA_KEYSTORE_PASSWORD`: the password under which the private keys of units'
    /// collective certificates are stored; unset: keys can be neither stored nor used.
    pub keystore_password: Option<Secret>,
    /// `MOTCUA_WEBHOOK_*`: the allow-list of callback hosts and the retries of subscriptions'
    /// deliveries (see [`WebhookConfig`]).
    pub webhooks: WebhookConfig,
    /// `MOTCUA_RESULTS_PUBLIC_URL`: the base URL clients reach this service at (e.g.
    /// `https://motcua.vietyen.gov.vn/api`); `Location` headers start with it. Unset: with the
    /// request's scheme and host.
    pub public_url: Option<String>,
    /// Timeouts and the cap on signature work (see [`ServerLimits`]).
    pub server: ServerLimits,
    /// `MOTCUA_AUDIT_CHECKPOINT_KEY`, `MOTCUA_AUDIT_CHECKPOINT_LOG` (see [`TrailConfig`]).
    pub audit: TrailConfig,
    /// `MOTCUA_SIGNING_CONFIG`: the level of each kind of signature, the timestamp authorities
    /// and revocation sources (see [`SigningConfig`]); unset: B-B signatures.
    pub signing: SigningConfig,
    /// `MOTCUA_TSA_KEY_FILE` and its companions: the service answers RFC 3161 requests at
    /// `POST /timestamps`; unset: it does not.
    pub tsa: Option<TsaRoleConfig>,
    /// `MOTCUA_CRL_REFRESH_SECS`: the longest time between two downloads of the trust store's
    /// CRLs, default an hour (sooner when a held CRL's nextUpdate comes first).
    pub crl_refresh_interval: Duration,
    /// `MOTCUA_ARCHIVE_*`: when stored results get a new document timestamp.
    pub archive: ArchiveSettings,
    /// `MOTCUA_REMOTE_SIGNING_CONFIG`: the remote signing providers (see
    /// [`RemoteSigningConfig`]); unset: none.
    pub remote_signing: RemoteSigningConfig,
}

/// The service as a timestamp authority.
#[derive(Debug, Clone)]
pub struct TsaRoleConfig {
    /// `MOTCUA_TSA_KEY_FILE`: PKCS#12 with the TSA key, its certificate (critical
    /// extendedKeyUsage timeStamping only) and the CA certificates above it.
    pub key_file: PathBuf,
    /// `MOTCUA_TSA_KEY_PASSWORD`: the PKCS#12 password.
    pub password: Secret,
    /// `MOTCUA_TSA_POLICY`: the TSA policy OID written in every token.
    pub policy: String,
}

/// The TSA policy used when `MOTCUA_TSA_POLICY` is unset.
pub const DEFAULT_TSA_POLICY: &str = "1.2.704.1.3161";

impl TsaRoleConfig {
    /// `None` when `MOTCUA_TSA_KEY_FILE` is unset or empty.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let Some(key_file) = std::env::var_os("MOTCUA_TSA_KEY_FILE").filter(|f| !f.is_empty())
        else {
            return Ok(None);
        };
        let password = std::env::var("MOTCUA_TSA_KEY_PASSWORD").map_err(|_| ConfigError {
            name: "MOTCUA_TSA_KEY_PASSWORD",
            value: String::new(),
            reason: "must be set (possibly empty) with MOTCUA_TSA_KEY_FILE".into(),
        })?;
        Ok(Some(Self {
            key_file: PathBuf::from(key_file),
            password: Secret::new(password),
            policy: env_or("MOTCUA_TSA_POLICY", DEFAULT_TSA_POLICY.to_owned())?,
        }))
    }
}

impl ResultsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = std::env::var("MOTCUA_DATA_DIR").unwrap_or_else(|_| "data".to_owned());
        let database_url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| format!("sqlite://{data_dir}/results.sqlite3"));
        Ok(Self {
            audit: TrailConfig::from_env("results", &database_url, &data_dir)?,
            bind: env_or(
                "MOTCUA_RESULTS_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            database_url,
            db_pool_size: env_or("MOTCUA_DB_POOL_SIZE", 10)?,
            max_body_bytes: env_or("MOTCUA_MAX_BODY_BYTES", 1024 * 1024)?,
            max_import_bytes: env_or("MOTCUA_MAX_IMPORT_BYTES", 64 * 1024 * 1024)?,
            workers: env_or(
                "MOTCUA_WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )?,
            trust_roots_dir: std::env::var_os("MOTCUA_TRUST_ROOTS_DIR")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from),
            revalidation_interval: revalidation_interval()?,
            max_result_bytes: env_or("MOTCUA_MAX_RESULT_BYTES", DEFAULT_MAX_RESULT_BYTES)?,
            keystore_password: keystore_password()?,
            webhooks: WebhookConfig::from_env()?,
            public_url: motcua_web::location::public_url_from_env("MOTCUA_RESULTS_PUBLIC_URL")?,
            server: ServerLimits::from_env()?,
            signing: SigningConfig::from_env()?,
            tsa: TsaRoleConfig::from_env()?,
            crl_refresh_interval: crl_refresh_interval()?,
            archive: ArchiveSettings::from_env()?,
            remote_signing: RemoteSigningConfig::from_env()?,
        })
    }

    /// A configuration for tests and embedding: the given database, an ephemeral port.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            db_pool_size: 4,
            max_body_bytes: 64 * 1024,
            max_import_bytes: 16 * 1024 * 1024,
            workers: 2,
            trust_roots_dir: None,
            revalidation_interval: Duration::from_secs(DEFAULT_REVALIDATION_SECS),
            max_result_bytes: DEFAULT_MAX_RESULT_BYTES,
            keystore_password: None,
            webhooks: WebhookConfig::default(),
            public_url: None,
            server: ServerLimits::default(),
            audit: TrailConfig::default(),
            signing: SigningConfig::default(),
            tsa: None,
            crl_refresh_interval: Duration::from_secs(DEFAULT_CRL_REFRESH_SECS),
            archive: ArchiveSettings::default(),
            remote_signing: RemoteSigningConfig::default(),
        }
    }
}

/// CRLs are downloaded at least hourly by default.
pub const DEFAULT_CRL_REFRESH_SECS: u64 = 3600;

fn crl_refresh_interval() -> Result<Duration, ConfigError> {
    const NAME: &str = "MOTCUA_CRL_REFRESH_SECS";
    let seconds: u64 = env_or(NAME, DEFAULT_CRL_REFRESH_SECS)?;
    if (1..=86_400).contains(&seconds) {
        Ok(Duration::from_secs(seconds))
    } else {
        Err(ConfigError {
            name: NAME,
            value: seconds.to_string(),
            reason: "between 1 second and 86400 (a day)".into(),
        })
    }
}

/// Verdicts are recomputed at least daily; hourly by default, so that expiries and stale CRLs
/// show within the hour.
pub const DEFAULT_REVALIDATION_SECS: u64 = 3600;

/// 20 MiB.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 20 * 1024 * 1024;

/// Shortest key-store password accepted.
fn revalidation_interval() -> Result<Duration, ConfigError> {
    const NAME: &str = "MOTCUA_REVALIDATION_INTERVAL_SECS";
    let seconds: u64 = env_or(NAME, DEFAULT_REVALIDATION_SECS)?;
    if (1..=86_400).contains(&seconds) {
        Ok(Duration::from_secs(seconds))
    } else {
        Err(ConfigError {
            name: NAME,
            value: seconds.to_string(),
            reason: "between 1 second and 86400 (a day)".into(),
        })
    }
}
