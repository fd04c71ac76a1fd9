//! What every handler shares: the database pool, the configuration, the working-day calendar and
//! the trust store, and the helpers that run database work off the async threads.

use std::sync::{Arc, RwLock};

use actix_web::web::Data;
use motcua_audit::AuditTrail;
use motcua_core::calendar::{HolidayCalendar, WorkingCalendar, YearCalendar};
use motcua_core::record_ids::{CertificateId, UnitId};
use motcua_db::{DbConnection, DbPool};
use motcua_events::Webhooks;
use motcua_keys::checkpoint_key::StoredCheckpointKey;
use motcua_keys::keystore::KeyStore;
use motcua_pki::cms::KeySigner;
use motcua_pki::tsp::TimestampAuthority;
use motcua_web::archival::Archival;
use motcua_web::error::ApiError;
use motcua_web::remote_signing::RemoteSigners;
use motcua_web::{Limits, WebContext};

use crate::certificate_registry::TrustCache;
use crate::config::{ResultsConfig, TsaRoleConfig};
use crate::intake::{writers_for, IntakeQueue};

pub struct AppState {
    pub db: DbPool,
    pub config: ResultsConfig,
    calendar: RwLock<Arc<WorkingCalendar>>,
    /// The trust store (roots, intermediates, CRLs) in memory, rebuilt when the database's
    /// copy changes.
    pub trust: TrustCache,
    /// What the shared extractors need: the pool, the limits, the cache of API keys.
    pub web: Data<WebContext>,
    /// The key that signs audit checkpoints and their copy outside the database.
    pub audit: Data<AuditTrail>,
    /// Decrypted organisation keys, per certificate.
    pub signers: KeyStore,
    /// Dossier creations waiting to be written together.
    pub intake: IntakeQueue,
    /// Raises the service's signatures to their configured level (timestamps, revocation data).
    pub archival: Archival,
    /// The service's own timestamp authority (`POST /timestamps`), when configured.
    pub timestamp_authority: Option<TimestampAuthority>,
    /// The remote signing providers officials' keys may be held by.
    pub remote: RemoteSigners,
    /// Subscriptions to the service's events: settings, sealing key, opened secrets.
    pub webhooks: Data<Webhooks>,
}

impl AppState {
    /// Builds the state, loading the calendar years stored in the database over the defaults.
    pub fn new(db: DbPool, config: ResultsConfig) -> Result<Self, String> {
        let mut conn = db.get().map_err(|e| e.to_string())?;
        let calendar = load_calendar(&mut conn).map_err(|e| e.to_string())?;
        let audit_key = checkpoint_key(&mut conn, &config)?;
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
        let archival = Archival::new(config.signing.clone())
            .map_err(|e| format!("MOTCUA_SIGNING_CONFIG cannot be used: {e}"))?;
        let timestamp_authority = config.tsa.as_ref().map(timestamp_authority).transpose()?;
        let remote = RemoteSigners::new(&config.remote_signing)
            .map_err(|e| format!("MOTCUA_REMOTE_SIGNING_CONFIG cannot be used: {e}"))?;
        Ok(Self {
            web: Data::new(
                WebContext::new("results", db.clone(), limits, Some(unit_exists))
                    .with_server_limits(&config.server)
                    .with_public_url(config.public_url.clone()),
            ),
            audit: Data::new(AuditTrail::new(
                audit_key.into_key(),
                config.audit.checkpoint_log.clone(),
            )),
            webhooks: Data::new(Webhooks::new(
                config.webhooks.clone(),
                config.keystore_password.as_ref(),
                unit_subtree,
            )),
            db,
            config,
            calendar: RwLock::new(Arc::new(calendar)),
            trust: TrustCache::default(),
            signers: KeyStore::default(),
            intake,
            archival,
            timestamp_authority,
            remote,
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
}

/// The shared extractors' context, and its database helpers (`read`, `write`, `write_answer`).
impl std::ops::Deref for AppState {
    type Target = WebContext;

    fn deref(&self) -> &WebContext {
        &self.web
    }
}

/// The timestamp authority of `MOTCUA_TSA_KEY_FILE`; refused when the file cannot be read or
/// its certificate may not sign timestamps (RFC 3161 §2.3).
fn timestamp_authority(config: &TsaRoleConfig) -> Result<TimestampAuthority, String> {
    let file = config.key_file.display();
    let bytes = std::fs::read(&config.key_file)
        .map_err(|e| format!("MOTCUA_TSA_KEY_FILE {file} cannot be read: {e}"))?;
    let signer = KeySigner::from_pkcs12(&bytes, config.password.expose()).map_err(|e| {
        format!("MOTCUA_TSA_KEY_FILE {file} cannot be opened with MOTCUA_TSA_KEY_PASSWORD: {e}")
    })?;
    let chain = signer.chain().to_vec();
    TimestampAuthority::new(signer, &chain, &config.policy).map_err(|e| {
        format!("MOTCUA_TSA_KEY_FILE {file} cannot be used as a timestamp authority: {e}")
    })
}

/// Audit checkpoints are signed with the organisation key whose certificate
/// `MOTCUA_AUDIT_CHECKPOINT_KEY` names, checked at start-up; unsigned when it is unset.
fn checkpoint_key(
    conn: &mut DbConnection,
    config: &ResultsConfig,
) -> Result<StoredCheckpointKey<CertificateId>, String> {
    StoredCheckpointKey::unsigned(
        stored_checkpoint_key,
        Box::new(|conn: &mut DbConnection| crate::certificate_registry::build_store(conn)),
    )
    .configured(
        &config.audit,
        config.keystore_password.as_ref(),
        |fingerprint| {
            let (key, usable) =
                motcua_db::organisation_keys::find_by_fingerprint(conn, fingerprint)
                    .map_err(|e| e.to_string())?
                    .ok_or(
                        "no stored organisation key has a certificate with this SHA-256 \
                            fingerprint (GET /units/{id}/organisation-keys lists them)",
                    )?;
            if !usable {
                return Err(format!(
                    "the certificate {} is not usable (expired, revoked or not trusted)",
                    key.certificate_id
                ));
            }
            Ok((key.certificate_id, key.pkcs12))
        },
    )
}

/// The stored key of `certificate`, checked again at each checkpoint: the certificate may have
/// been revoked since the start.
fn stored_checkpoint_key(
    conn: &mut DbConnection,
    certificate: CertificateId,
) -> Result<Option<Vec<u8>>, ApiError> {
    if !motcua_db::certificates::find(conn, certificate)?.usable {
        tracing::warn!(certificate_id = %certificate, "the audit checkpoint key's certificate is no longer usable: checkpoint unsigned");
        return Ok(None);
    }
    Ok(
        motcua_db::organisation_keys::find_for_certificate(conn, certificate)?
            .map(|key| key.pkcs12),
    )
}

/// Whether `unit` is in the unit tree (API keys can only be limited to a known unit).
pub fn unit_exists(conn: &mut DbConnection, unit: UnitId) -> motcua_db::DbResult<()> {
    motcua_db::units::find(conn, unit).map(|_| ())
}

/// `unit` and every unit below it (the units a key limited to it may subscribe to).
fn unit_subtree(conn: &mut DbConnection, unit: UnitId) -> motcua_db::DbResult<Vec<UnitId>> {
    let mut units = motcua_db::units::subtree(conn, unit)?;
    if !units.contains(&unit) {
        units.push(unit);
    }
    Ok(units)
}

/// The shipped calendar with the years an administrator stored.
pub fn load_calendar(conn: &mut DbConnection) -> Result<WorkingCalendar, ApiError> {
    let mut holidays = HolidayCalendar::vietnam_defaults().map_err(ApiError::internal_from)?;
    for (year, data) in motcua_db::calendar::all(conn)? {
        let parsed = YearCalendar::from_json(&data)
            .map_err(|e| ApiError::internal(format!("stored calendar of {year}: {e}")))?;
        holidays
            .insert(parsed)
            .map_err(|e| ApiError::internal(format!("stored calendar of {year}: {e}")))?;
    }
    Ok(WorkingCalendar::new(holidays))
}
