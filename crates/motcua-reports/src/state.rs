//! What every handler of the report service shares.

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::web::Data;
use motcua_db::{DbConnection, DbPool};
use motcua_pki::TrustStore;
use motcua_web::audit_trail::CheckpointKey;
use motcua_web::config::Secret;
use motcua_web::error::ApiError;
use motcua_web::keystore::KeyStore;
use motcua_web::keystore::OrganisationSigner;
use motcua_web::{Limits, WebContext};
use sha2::{Digest, Sha256};

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
        let audit_key = {
            let mut conn = db.get().map_err(|e| e.to_string())?;
            AuditKey::configured(&mut conn, &config)?
        };
        Ok(Self {
            // Unit ids of keys refer to the results service's units: nothing to check here.
            web: Data::new(
                WebContext::new("reports", db, limits, None)
                    .with_checkpoint_key(Arc::new(audit_key))
                    .with_checkpoint_log(config.audit.checkpoint_log.clone())
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

/// Audit checkpoints are signed with the stored organisation key whose certificate
/// `MOTCUA_AUDIT_CHECKPOINT_KEY` names, checked at start-up; unsigned when it is unset.
struct AuditKey {
    /// The id of the configured key, and the key-store password.
    configured: Option<(i64, Secret)>,
    trust_roots_dir: Option<PathBuf>,
    keys: KeyStore<i64>,
}

impl AuditKey {
    /// The configured key, found and decrypted now: a service told to sign its checkpoints with
    /// a key it cannot use does not start.
    fn configured(conn: &mut DbConnection, config: &ReportsConfig) -> Result<Self, String> {
        let mut key = Self {
            configured: None,
            trust_roots_dir: config.trust_roots_dir.clone(),
            keys: KeyStore::default(),
        };
        let Some(fingerprint) = &config.audit.checkpoint_key else {
            tracing::warn!(
                "MOTCUA_AUDIT_CHECKPOINT_KEY is not set: audit checkpoints will not be signed"
            );
            return Ok(key);
        };
        let refused =
            |reason: String| format!("MOTCUA_AUDIT_CHECKPOINT_KEY={fingerprint}: {reason}");
        let password = config.keystore_password.clone().ok_or_else(|| {
            refused("organisation keys are off (MOTCUA_KEYSTORE_PASSWORD is not set)".into())
        })?;
        let stored = motcua_db::reports::keys_of(conn, None)
            .map_err(|e| refused(e.to_string()))?
            .into_iter()
            .find(|stored| hex::encode(Sha256::digest(&stored.certificate)) == *fingerprint)
            .ok_or_else(|| {
                refused(
                    "no stored organisation key has a certificate with this SHA-256 fingerprint"
                        .into(),
                )
            })?;
        key.keys
            .signer(stored.id, &stored.pkcs12, &password)
            .map_err(|e| refused(format!("the key cannot be used: {e}")))?;
        tracing::info!(key_id = stored.id, %fingerprint, "audit checkpoints are signed with the configured organisation key");
        key.configured = Some((stored.id, password));
        Ok(key)
    }
}

impl CheckpointKey for AuditKey {
    fn signer(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Option<Arc<dyn OrganisationSigner>>, ApiError> {
        let Some((id, password)) = &self.configured else {
            return Ok(None);
        };
        let key = motcua_db::reports::keys_of(conn, None)?
            .into_iter()
            .find(|key| key.id == *id);
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
