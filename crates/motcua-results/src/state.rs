//! What every handler shares: the database pool, the configuration, the working-day calendar and
//! the trust store, and the helpers that run database work off the async threads.

use std::sync::{Arc, RwLock};

use actix_web::web::Data;
use motcua_core::calendar::{HolidayCalendar, WorkingCalendar, YearCalendar};
use motcua_core::ids::{CertificateId, UnitId};
use motcua_db::{DbConnection, DbPool};
use motcua_pki::TrustStore;
use motcua_web::audit_trail::CheckpointKey;
use motcua_web::config::Secret;
use motcua_web::keystore::OrganisationSigner;
use motcua_web::{Limits, WebContext};

use crate::certs::TrustCache;
use crate::config::ResultsConfig;
use crate::error::ApiError;
use crate::intake::{writers_for, IntakeQueue};
use crate::keystore::KeyStore;

pub struct AppState {
    pub db: DbPool,
    pub config: ResultsConfig,
    calendar: RwLock<Arc<WorkingCalendar>>,
    /// The trust store (roots, intermediates, CRLs) in memory, rebuilt when the database's
    /// copy changes.
    pub trust: TrustCache,
    /// What the shared extractors need: the pool, the limits, the cache of API keys.
    pub web: Data<WebContext>,
    /// Decrypted organisation keys, per certificate.
    pub signers: KeyStore,
    /// Dossier creations waiting to be written together.
    pub intake: IntakeQueue,
}

impl AppState {
    /// Builds the state, loading the calendar years stored in the database over the defaults.
    pub fn new(db: DbPool, config: ResultsConfig) -> Result<Self, String> {
        let mut conn = db.get().map_err(|e| e.to_string())?;
        let calendar = load_calendar(&mut conn).map_err(|e| e.to_string())?;
        let audit_key = AuditKey::configured(&mut conn, &config)?;
        drop(conn);
        let limits = Limits {
            max_body_bytes: config.max_body_bytes,
            max_document_bytes: config.max_result_bytes,
            max_any_bytes: config
                .max_body_bytes
                .max(config.max_import_bytes)
                .max(config.max_result_bytes),
            body_timeout: config.server.body_timeout,
        };
        let intake = IntakeQueue::new(writers_for(db.backend()));
        Ok(Self {
            web: Data::new(
                WebContext::new("results", db.clone(), limits, Some(unit_exists))
                    .with_checkpoint_key(Arc::new(audit_key))
                    .with_checkpoint_log(config.audit.checkpoint_log.clone())
                    .with_server_limits(&config.server),
            ),
            db,
            config,
            calendar: RwLock::new(Arc::new(calendar)),
            trust: TrustCache::default(),
            signers: KeyStore::default(),
            intake,
        })
    }

    pub fn calendar(&self) -> Arc<WorkingCalendar> {
        match self.calendar.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn set_calendar(&self, calendar: WorkingCalendar) {
        let mut guard = match self.calendar.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(calendar);
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.web.read(work).await
    }

    /// Like [`AppState::read`], inside one write transaction: all of it happens, or none.
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
}

/// Audit checkpoints are signed with the organisation key whose certificate
/// `MOTCUA_AUDIT_CHECKPOINT_KEY` names, checked at start-up; unsigned when it is unset.
struct AuditKey {
    /// The certificate of the configured key, and the key-store password.
    configured: Option<(CertificateId, Secret)>,
    keys: KeyStore,
}

impl AuditKey {
    /// The configured key, found, usable and decrypted now: a service told to sign its
    /// checkpoints with a key it cannot use does not start.
    fn configured(conn: &mut DbConnection, config: &ResultsConfig) -> Result<Self, String> {
        let keys = KeyStore::default();
        let Some(fingerprint) = &config.audit.checkpoint_key else {
            tracing::warn!(
                "MOTCUA_AUDIT_CHECKPOINT_KEY is not set: audit checkpoints will not be signed"
            );
            return Ok(Self {
                configured: None,
                keys,
            });
        };
        let refused =
            |reason: String| format!("MOTCUA_AUDIT_CHECKPOINT_KEY={fingerprint}: {reason}");
        let password = config.keystore_password.clone().ok_or_else(|| {
            refused("organisation keys are off (MOTCUA_KEYSTORE_PASSWORD is not set)".into())
        })?;
        let (key, usable) = motcua_db::organisation_keys::find_by_fingerprint(conn, fingerprint)
            .map_err(|e| refused(e.to_string()))?
            .ok_or_else(|| {
                refused(
                    "no stored organisation key has a certificate with this SHA-256 fingerprint \
                     (GET /units/{id}/organisation-keys lists them)"
                        .into(),
                )
            })?;
        if !usable {
            return Err(refused(format!(
                "the certificate {} is not usable (expired, revoked or not trusted)",
                key.certificate_id
            )));
        }
        keys.signer(key.certificate_id, &key.pkcs12, &password)
            .map_err(|e| refused(format!("the key cannot be used: {e}")))?;
        tracing::info!(certificate_id = %key.certificate_id, %fingerprint, "audit checkpoints are signed with the configured organisation key");
        Ok(Self {
            configured: Some((key.certificate_id, password)),
            keys,
        })
    }
}

impl CheckpointKey for AuditKey {
    fn signer(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Option<Arc<dyn OrganisationSigner>>, ApiError> {
        let Some((certificate, password)) = &self.configured else {
            return Ok(None);
        };
        // Checked again at each checkpoint: the certificate may have been revoked since.
        if !motcua_db::certificates::find(conn, *certificate)?.usable {
            tracing::warn!(certificate_id = %certificate, "the audit checkpoint key's certificate is no longer usable: checkpoint unsigned");
            return Ok(None);
        }
        match motcua_db::organisation_keys::find_for_certificate(conn, *certificate)? {
            Some(key) => Ok(Some(self.keys.signer(
                *certificate,
                &key.pkcs12,
                password,
            )?)),
            None => Ok(None),
        }
    }

    fn trust_store(&self, conn: &mut DbConnection) -> Result<TrustStore, ApiError> {
        crate::certs::build_store(conn)
    }
}

/// Whether `unit` is in the unit tree (API keys can only be limited to a known unit).
pub fn unit_exists(conn: &mut DbConnection, unit: UnitId) -> motcua_db::DbResult<()> {
    motcua_db::units::find(conn, unit).map(|_| ())
}

/// The shipped calendar with the years an administrator stored.
pub fn load_calendar(conn: &mut DbConnection) -> Result<WorkingCalendar, ApiError> {
    let mut holidays =
        HolidayCalendar::vietnam_defaults().map_err(|e| ApiError::Internal(e.to_string()))?;
    for (year, data) in motcua_db::calendar::all(conn)? {
        let parsed = YearCalendar::from_json(&data)
            .map_err(|e| ApiError::Internal(format!("stored calendar of {year}: {e}")))?;
        holidays
            .insert(parsed)
            .map_err(|e| ApiError::Internal(format!("stored calendar of {year}: {e}")))?;
    }
    Ok(WorkingCalendar::new(holidays))
}
