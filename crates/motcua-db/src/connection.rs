//! Connections to either backend, picked from the URL scheme, and the pool that hands them out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::breaker::{Breaker, TripOnConnectionError};
use crate::{DbError, DbResult};

/// One connection to whichever backend is configured; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

const RESULTS_POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/results/postgres");
const RESULTS_SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/results/sqlite");
const REPORTS_POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/reports/postgres");
const REPORTS_SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/reports/sqlite");

/// Which service's database: each has its own migrations (and its own tables in `schema` and
/// `reports::schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Database {
    Results,
    Reports,
}

impl Database {
    fn migrations(self, backend: Backend) -> EmbeddedMigrations {
        match (self, backend) {
            (Database::Results, Backend::Postgres) => RESULTS_POSTGRES,
            (Database::Results, Backend::Sqlite) => RESULTS_SQLITE,
            (Database::Reports, Backend::Postgres) => REPORTS_POSTGRES,
            (Database::Reports, Backend::Sqlite) => REPORTS_SQLITE,
        }
    }
}

/// Set on every SQLite connection: integrity first, and wait for a writer rather than fail.
const SQLITE_CONNECTION_PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000; PRAGMA synchronous = NORMAL;";

/// The database product behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// Picks the backend from the URL scheme and returns what its driver expects. Any other
    /// scheme is refused: silently falling back to a file would lose data written elsewhere.
    pub fn from_url(url: &str) -> Result<(Backend, String), String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok((Backend::Postgres, url.to_owned()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.contains(":memory:") || path.contains("mode=memory") {
                return Err(
                    "an in-memory SQLite database cannot be shared by a connection pool; give a file path, e.g. sqlite://data/results.sqlite3"
                        .into(),
                );
            }
            return Ok((Backend::Sqlite, path.to_owned()));
        }
        let scheme = url.split_once(':').map_or(url, |(scheme, _)| scheme);
        Err(format!(
            "unsupported database URL scheme `{scheme}`: use postgres://user@host/db or sqlite://path/to/file.sqlite3"
        ))
    }
}

/// How often a request waiting for a connection checks whether the circuit breaker opened.
const BREAKER_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Sizes and timeouts of the pool.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens connections of one backend, with that backend's own error when it fails.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    backend: Backend,
    target: String,
}

impl ConnectionManager {
    fn establish(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.target)
                .map(DbConnection::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.target)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_CONNECTION_PRAGMAS)
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Self::Connection, Self::Error> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.is_broken()
    }
}

/// A pool of connections to one migrated database, behind a circuit breaker.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<ConnectionManager>,
    backend: Backend,
    breaker: Arc<Breaker>,
    connect_timeout: Duration,
}

pub type PooledDbConnection = PooledConnection<ConnectionManager>;

impl DbPool {
    /// Connects to the results service's database, brings its schema up to date, and opens
    /// the pool.
    pub fn open(url: &str, options: PoolOptions) -> Result<Self, String> {
        Self::open_database(Database::Results, url, options)
    }

    /// Like [`DbPool::open`], for either service's database.
    pub fn open_database(
        database: Database,
        url: &str,
        options: PoolOptions,
    ) -> Result<Self, String> {
        let (backend, target) = Backend::from_url(url)?;
        let manager = ConnectionManager { backend, target };
        migrate(&manager, database)?;
        let breaker = Breaker::new(manager.clone());
        let pool = Pool::builder()
            .max_size(options.max_connections)
            .connection_timeout(options.connect_timeout)
            .error_handler(Box::new(TripOnConnectionError(Arc::clone(&breaker))))
            .build(manager)
            .map_err(|e| format!("cannot open the database pool: {e}"))?;
        Ok(Self {
            pool,
            backend,
            breaker,
            connect_timeout: options.connect_timeout,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection from the pool; an exhausted pool or a database that is down is `Unavailable`,
    /// at once while the circuit breaker is open. The wait for a connection is cut in short
    /// slices, so that a request already waiting when the breaker opens gives up then too.
    pub fn get(&self) -> DbResult<PooledDbConnection> {
        let deadline = Instant::now() + self.connect_timeout;
        loop {
            if self.breaker.is_open() {
                // A connection that is open and answers the check is used, and shows that the
                // database is back (a single failed attempt to grow the pool must not refuse work
                // the pool can do); no waiting, though.
                if let Some(conn) = self.pool.try_get() {
                    self.breaker.close();
                    return Ok(conn);
                }
                return Err(DbError::Unavailable(
                    "the database could not be reached moments ago (circuit breaker open; it is \
                     probed in the background)"
                        .into(),
                ));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.pool.get_timeout(left.min(BREAKER_CHECK_INTERVAL)) {
                Ok(conn) => return Ok(conn),
                Err(error) if left <= BREAKER_CHECK_INTERVAL => return Err(error.into()),
                Err(_) => {}
            }
        }
    }

    /// Whether the circuit breaker is open: requests are refused without trying the database.
    pub fn circuit_open(&self) -> bool {
        self.breaker.is_open()
    }

    /// How many connections are open and how many of them are idle.
    pub fn usage(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }
}

fn migrate(manager: &ConnectionManager, database: Database) -> Result<(), String> {
    let migrations = database.migrations(manager.backend);
    if manager.backend == Backend::Sqlite {
        create_parent_dir(&manager.target)?;
    }
    let mut conn = manager
        .establish()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let result = match &mut conn {
        DbConnection::Postgresql(pg) => pg.run_pending_migrations(migrations).map(|_| ()),
        DbConnection::Sqlite(lite) => lite
            .batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(Into::into)
            .and_then(|()| lite.run_pending_migrations(migrations).map(|_| ())),
    };
    result.map_err(|e| format!("cannot migrate the database: {e}"))?;
    // Audit records written before the trail was chained get their hashes now, once.
    let chained = write_transaction(&mut conn, crate::audit::chain_unchained)
        .map_err(|e| format!("cannot chain the audit trail: {e}"))?;
    if chained > 0 {
        tracing::info!(
            chained,
            "audit records written before the hash chain were chained"
        );
    }
    Ok(())
}

fn create_parent_dir(path: &str) -> Result<(), String> {
    let path = path.split('?').next().unwrap_or(path);
    match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display())),
        _ => Ok(()),
    }
}

/// Runs `work` in a transaction that holds the write lock from its first statement. On SQLite a
/// deferred transaction that reads and then writes fails at once when another writer committed
/// in between; taking the lock up front makes it wait (busy timeout) instead.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(lite) => {
            AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgresql(pg) => AnsiTransactionManager::begin_transaction(pg)?,
    }
    crate::events::transaction_started();
    match work(conn) {
        Ok(value) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            crate::events::transaction_committed();
            Ok(value)
        }
        Err(error) => {
            // The original error matters more than a failed rollback on a broken connection.
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// A round trip to the database, for readiness probes.
pub fn ping(conn: &mut DbConnection) -> DbResult<()> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// The current time as stored: UTC, microsecond precision (what PostgreSQL keeps).
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_comes_from_the_scheme() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap().0,
            Backend::Postgres
        );
        let (backend, path) = Backend::from_url("sqlite://data/x.sqlite3").unwrap();
        assert_eq!(
            (backend, path.as_str()),
            (Backend::Sqlite, "data/x.sqlite3")
        );
        assert!(Backend::from_url("mysql://u@h/db")
            .unwrap_err()
            .contains("`mysql`"));
        assert!(Backend::from_url("sqlite://:memory:").is_err());
        assert!(Backend::from_url("data/x.sqlite3").is_err());
    }
}
