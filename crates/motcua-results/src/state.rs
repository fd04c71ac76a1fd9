//! What every handler shares: the database pool, the configuration, the working-day calendar and
//! the trust store, and the helpers that run database work off the async threads.

use std::sync::{Arc, RwLock};

use motcua_core::calendar::{HolidayCalendar, WorkingCalendar, YearCalendar};
use motcua_db::{write_transaction, DbConnection, DbPool};

use crate::auth::KeyCache;
use crate::certs::TrustCache;
use crate::config::ResultsConfig;
use crate::error::ApiError;
use crate::keystore::KeyStore;

pub struct AppState {
    pub db: DbPool,
    pub config: ResultsConfig,
    calendar: RwLock<Arc<WorkingCalendar>>,
    /// The trust store (roots, intermediates, CRLs) in memory, rebuilt when the database's
    /// copy changes.
    pub trust: TrustCache,
    /// API keys recently looked up.
    pub keys: KeyCache,
    /// Decrypted organisation keys, per certificate.
    pub signers: KeyStore,
}

impl AppState {
    /// Builds the state, loading the calendar years stored in the database over the defaults.
    pub fn new(db: DbPool, config: ResultsConfig) -> Result<Self, String> {
        let mut conn = db.get().map_err(|e| e.to_string())?;
        let calendar = load_calendar(&mut conn).map_err(|e| e.to_string())?;
        drop(conn);
        Ok(Self {
            db,
            config,
            calendar: RwLock::new(Arc::new(calendar)),
            trust: TrustCache::default(),
            keys: KeyCache::default(),
            signers: KeyStore::default(),
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
        let pool = self.db.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("database task failed: {e}")))?
    }

    /// Like [`AppState::read`], inside one write transaction: all of it happens, or none.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, work)).await
    }
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
