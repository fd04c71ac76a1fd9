//! What every handler shares: the database pool, the configuration, the working-day calendar and
//! the trust store, and the helpers that run database work off the async threads.

use std::sync::{Arc, RwLock};

use actix_web::web::Data;
use motcua_core::calendar::{HolidayCalendar, WorkingCalendar, YearCalendar};
use motcua_core::ids::UnitId;
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
                    .with_checkpoint_key(Arc::new(AuditKey {
                        password: config.keystore_password.clone(),
                        keys: KeyStore::default(),
                    }))
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

/// Audit checkpoints are signed with the newest stored organisation key whose certificate is
/// usable (any unit's), when the key store is enabled; otherwise they are unsigned.
struct AuditKey {
    password: Option<Secret>,
    keys: KeyStore,
}

impl CheckpointKey for AuditKey {
    fn signer(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Option<Arc<dyn OrganisationSigner>>, ApiError> {
        let Some(password) = &self.password else {
            return Ok(None);
        };
        match motcua_db::organisation_keys::newest_usable(conn)? {
            Some(key) => Ok(Some(self.keys.signer(
                key.certificate_id,
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
