//! Test, demo and benchmark support, never linked into a service: generated dossiers, the demo
//! PKI (TEST certificates for the seed district), and the results service started in this
//! process. The report service's tests and benchmarks reach the results
//! service through here, so that the report service itself never depends on the results crate.

pub mod catalogue;
pub mod demo_pki;
pub mod generate;
pub mod results;
pub mod service;

use motcua_core::calendar::WorkingCalendar;
use motcua_db::DbConnection;
use motcua_web::error::ApiError;

/// The district [`generate::viet_yen`] makes (with its communes and officials).
pub use motcua_results::seed::SeededDistrict;

/// The working calendar stored in the database, as the results service loads it.
pub fn working_calendar(conn: &mut DbConnection) -> Result<WorkingCalendar, ApiError> {
    motcua_results::state::load_calendar(conn)
}
