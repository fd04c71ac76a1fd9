//! What every handler of the report service shares.

use std::sync::Arc;

use actix_web::web::Data;
use motcua_audit::AuditTrail;
use motcua_db::{DbConnection, DbPool};
use motcua_events::Webhooks;
use motcua_keys::checkpoint_key::StoredCheckpointKey;
use motcua_keys::keystore::KeyStore;
use motcua_pki::TrustStore;
use motcua_web::archival::Archival;
use motcua_web::error::ApiError;
use motcua_web::remote_signing::RemoteSigners;
use motcua_web::{Limits, WebContext};
use sha2::{Digest, Sha256};

use crate::client::{ClientOptions, ResultsClient};
use crate::config::{ReportsConfig, Secret};
use crate::trust::SharedTrust;

pub struct AppState {
    /// The pool, the limits and the cache of API keys, for the shared extractors.
    pub web: Data<WebContext>,
    /// The key that signs audit checkpoints and their copy outside the database.
    pub audit: Data<AuditTrail>,
    pub config: ReportsConfig,
    /// The results service the figures come from, when configured.
    pub results: Option<ResultsClient>,
    /// Signers of organisation keys (decrypted PKCS#12, or keys on devices), per stored key id.
    pub signers: KeyStore<i64>,
    /// For deliveries to the province.
    pub http: reqwest::Client,
    /// The trust folder and the results service's trust store.
    pub trust: Arc<SharedTrust>,
    /// Raises every signature this service makes to its configured level (timestamps,
    /// revocation data, document timestamps).
    pub archival: Archival,
    /// The remote signing providers leaders' keys may be held by.
    pub remote: RemoteSigners,
    /// Subscriptions to the service's events: settings, sealing key, opened secrets.
    pub webhooks: Data<Webhooks>,
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
        let trust = Arc::new(SharedTrust::new(
            config.trust_roots_dir.clone(),
            config
                .results_url
                .as_deref()
                .zip(config.results_api_key.as_ref().map(Secret::expose)),
            config.trust_refresh,
        )?);
        let archival = Archival::new(config.signing.clone())
            .map_err(|e| format!("MOTCUA_SIGNING_CONFIG: {e}"))?;
        let remote = RemoteSigners::new(&config.remote_signing)
            .map_err(|e| format!("MOTCUA_REMOTE_SIGNING_CONFIG cannot be used: {e}"))?;
        let audit_key = {
            let mut conn = db.get().map_err(|e| e.to_string())?;
            checkpoint_key(&mut conn, &config, trust.clone())?
        };
        Ok(Self {
            // Unit ids of keys refer to the results service's units: nothing to check here.
            web: Data::new(
                WebContext::new("reports", db, limits, None)
                    .with_server_limits(&config.server)
                    .with_public_url(config.public_url.clone()),
            ),
            audit: Data::new(AuditTrail::new(
                audit_key.into_key(),
                config.audit.checkpoint_log.clone(),
            )),
            // Unit ids refer to the results service's tree, which this service does not keep:
            // a key limited to a unit subscribes to that unit's events only.
            webhooks: Data::new(Webhooks::new(
                config.webhooks.clone(),
                config.keystore_password.as_ref(),
                |_, unit| Ok(vec![unit]),
            )),
            config,
            results,
            signers: KeyStore::default(),
            http,
            trust,
            archival,
            remote,
        })
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

    /// The trust store signatures are verified against: `MOTCUA_TRUST_ROOTS_DIR` read now and
    /// the results service's trust store as last read (see [`SharedTrust`]).
    pub fn trust_store(&self) -> Result<TrustStore, ApiError> {
        self.trust.store()
    }
}

/// The shared extractors' context, and its database helpers (`read`, `write`, `write_answer`).
impl std::ops::Deref for AppState {
    type Target = WebContext;

    fn deref(&self) -> &WebContext {
        &self.web
    }
}

/// Audit checkpoints are signed with the stored organisation key whose certificate
/// `MOTCUA_AUDIT_CHECKPOINT_KEY` names, checked at start-up; unsigned when it is unset.
fn checkpoint_key(
    conn: &mut DbConnection,
    config: &ReportsConfig,
    trust: Arc<SharedTrust>,
) -> Result<StoredCheckpointKey<i64>, String> {
    StoredCheckpointKey::unsigned(
        stored_checkpoint_key,
        Box::new(move |_: &mut DbConnection| trust.store()),
    )
    .configured(
        &config.audit,
        config.keystore_password.as_ref(),
        |fingerprint| {
            let stored = motcua_db::reports::keys_of(conn, None)
                .map_err(|e| e.to_string())?
                .into_iter()
                .find(|stored| hex::encode(Sha256::digest(&stored.certificate)) == *fingerprint)
                .ok_or(
                    "no stored organisation key has a certificate with this SHA-256 fingerprint",
                )?;
            // Checkpoints are signed with a stored key only: a token's key is not opened here.
            let pkcs12 = stored.pkcs12.ok_or(
                "the organisation key with this certificate is on a PKCS#11 token; audit \
                 checkpoints are signed with a stored (PKCS#12) key",
            )?;
            Ok((stored.id, pkcs12))
        },
    )
}

/// The stored key `id`, looked up again at each checkpoint.
fn stored_checkpoint_key(conn: &mut DbConnection, id: i64) -> Result<Option<Vec<u8>>, ApiError> {
    Ok(motcua_db::reports::keys_of(conn, None)?
        .into_iter()
        .find(|key| key.id == id)
        .and_then(|key| key.pkcs12))
}
