//! Storage of motcua: one diesel schema over SQLite (the embedded default) and PostgreSQL,
//! the connection pool, embedded migrations and the queries of each table.

pub mod api_keys;
pub mod audit;
mod breaker;
pub mod calendar;
pub mod certificates;
mod connection;
pub mod dossier_results;
pub mod dossiers;
mod error;
pub mod events;
pub mod idempotency;
pub mod merkle;
pub mod officials;
pub mod organisation_key_devices;
pub mod organisation_keys;
pub mod procedures;
pub mod reports;
pub mod schema;
pub mod signing;
pub mod statistics;
pub mod subscriptions;
pub mod trust;
pub mod units;
mod unnest;

pub use connection::{
    now, ping, write_transaction, Backend, ConnectionManager, Database, DbConnection, DbPool,
    MultiBackend, PoolOptions, PooledDbConnection,
};
pub use diesel::result::Error as DieselError;
pub use error::DbError;

/// Every query returns this.
pub type DbResult<T> = Result<T, DbError>;
