//! Typed configuration of the results service, read from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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
}

/// A value kept out of logs and `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl ResultsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = std::env::var("MOTCUA_DATA_DIR").unwrap_or_else(|_| "data".to_owned());
        Ok(Self {
            bind: env_or(
                "MOTCUA_RESULTS_BIND",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| format!("sqlite://{data_dir}/results.sqlite3")),
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
        }
    }
}

/// Verdicts are recomputed at least daily; hourly by default, so that expiries and stale CRLs
/// show within the hour.
pub const DEFAULT_REVALIDATION_SECS: u64 = 3600;

/// 20 MiB.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 20 * 1024 * 1024;

/// Shortest key-store password accepted.
const MIN_KEYSTORE_PASSWORD_CHARS: usize = 12;

fn keystore_password() -> Result<Option<Secret>, ConfigError> {
    const NAME: &str = "MOTCUA_KEYSTORE_PASSWORD";
    match std::env::var(NAME) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) if value.chars().count() < MIN_KEYSTORE_PASSWORD_CHARS => Err(ConfigError {
            name: NAME,
            value: "(hidden)".into(),
            reason: format!("at least {MIN_KEYSTORE_PASSWORD_CHARS} characters"),
        }),
        Ok(value) => Ok(Some(Secret::new(value))),
        Err(_) => Ok(None),
    }
}

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

/// Reads `name`, or returns `default` when it is unset.
pub fn env_or<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) => value.parse().map_err(|e: T::Err| ConfigError {
            name,
            reason: e.to_string(),
            value,
        }),
        Err(_) => Ok(default),
    }
}
