//! What every handler of the report service shares.

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::web::Data;
use motcua_core::ids::UnitId;
use motcua_db::{DbConnection, DbPool};
use motcua_pki::TrustStore;
use motcua_web::audit_trail::CheckpointKey;
use motcua_web::config::Secret;
use motcua_web::error::ApiError;
use motcua_web::keystore::KeyStore;
use motcua_web::keystore::OrganisationSigner;
use motcua_web::{Limits, WebContext};

use crate::client::{ClientOptions, ResultsClient};
use crate::config::ReportsConfig;

pub struct AppState {
    /// The pool, the limits and the cache of API keys, for the shared extractors.
    pub web: Data<WebContext>,
    pub config: ReportsConfig,
    /// The results service the figures come from, when configured.
    pub results: Option<ResultsClient>,
    /// Decrypted organisation keys, per stored key id.
    pub signers: KeyStore<i64>,
    /// For deliveries to the province.
    pub http: reqwest::Client,
}

impl AppState {
    pub fn new(db: DbPool, config: ReportsConfig) -> Result<Self, String> {
        let limits = Limits {
            max_body_bytes: config.max_body_bytes,
            max_document_bytes: config.max_package_bytes,
            max_any_bytes: config.max_body_bytes.max(config.max_package_bytes),
            body_timeout: config.server.body_timeout,
        };
        let results = match (&config.results_url, &config.results_api_key) {
            (Some(url), Some(key)) => Some(
                ResultsClient::new(url, key.expose(), ClientOptions::default())
                    .map_err(|e| format!("MOTCUA_RESULTS_URL: {e}"))?,
            ),
            (Some(_), None) => {
                return Err("MOTCUA_RESULTS_URL is set but MOTCUA_RESULTS_API_KEY is not".into())
            }
            _ => None,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            // Unit ids of keys refer to the results service's units: nothing to check here.
            web: Data::new(
                WebContext::new("reports", db, limits, None)
                    .with_checkpoint_key(Arc::new(AuditKey {
                        password: config.keystore_password.clone(),
                        unit: config.receiver_unit_id,
                        trust_roots_dir: config.trust_roots_dir.clone(),
                        keys: KeyStore::default(),
                    }))
                    .with_server_limits(&config.server),
            ),
            config,
            results,
            signers: KeyStore::default(),
            http,
        })
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.web.read(work).await
    }

    /// Like [`AppState::read`], inside one write transaction.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.web.write(work).await
    }

    /// See [`motcua_web::WebContext::write_answer`].
    pub async fn write_answer<F>(&self, work: F) -> Result<motcua_web::answer::Answer, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<motcua_web::answer::Answer, ApiError>
            + Send
            + 'static,
    {
        self.web.write_answer(work).await
    }

    /// The results service client, or why reports cannot be compiled here.
    pub fn results(&self) -> Result<&ResultsClient, ApiError> {
        self.results.as_ref().ok_or_else(|| {
            ApiError::Conflict(
                "this report service has no results service configured (MOTCUA_RESULTS_URL, \
                 MOTCUA_RESULTS_API_KEY); it can only receive reports"
                    .into(),
            )
        })
    }

    /// The trust store signatures are verified against, read from `MOTCUA_TRUST_ROOTS_DIR` now.
    pub fn trust_store(&self) -> Result<TrustStore, ApiError> {
        match &self.config.trust_roots_dir {
            Some(dir) => TrustStore::from_dir(dir)
                .map_err(|e| ApiError::Internal(format!("MOTCUA_TRUST_ROOTS_DIR: {e}"))),
            None => Ok(TrustStore::new()),
        }
    }
}

/// Audit checkpoints are signed with the current key of the receiving unit
/// (`MOTCUA_RECEIVER_UNIT_ID`) or, without one, the newest stored organisation key of any unit;
/// unsigned when no key is stored or the key store is not enabled.
struct AuditKey {
    password: Option<Secret>,
    unit: Option<UnitId>,
    trust_roots_dir: Option<PathBuf>,
    keys: KeyStore<i64>,
}

impl CheckpointKey for AuditKey {
    fn signer(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Option<Arc<dyn OrganisationSigner>>, ApiError> {
        let Some(password) = &self.password else {
            return Ok(None);
        };
        let key = match self.unit {
            Some(unit) => motcua_db::reports::current_key(conn, unit)?,
            None => motcua_db::reports::keys_of(conn, None)?.pop(),
        };
        match key {
            Some(key) => Ok(Some(self.keys.signer(key.id, &key.pkcs12, password)?)),
            None => Ok(None),
        }
    }

    fn trust_store(&self, _conn: &mut DbConnection) -> Result<TrustStore, ApiError> {
        match &self.trust_roots_dir {
            Some(dir) => TrustStore::from_dir(dir)
                .map_err(|e| ApiError::Internal(format!("MOTCUA_TRUST_ROOTS_DIR: {e}"))),
            None => Ok(TrustStore::new()),
        }
    }
}
