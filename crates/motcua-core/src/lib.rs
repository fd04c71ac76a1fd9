//! Domain types of motcua, with no I/O: identifiers, administrative units, procedures,
//! officials, certificates, access roles, reporting periods and text normalisation.

pub mod access;
pub mod calendar;
pub mod certificate;
pub mod dossier;
pub mod event;
pub mod form06;
pub mod identifiers;
pub mod official;
pub mod percent;
pub mod period;
pub mod procedure;
pub mod record_ids;
pub mod report;
pub mod signing_session;
pub mod statistics;
pub mod text;
mod text_enum;
pub mod time;
pub mod unit;

pub use text_enum::UnknownVariant;
