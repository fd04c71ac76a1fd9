//! The report service: fetches a unit's figures from the results service, checks and freezes them.

pub mod client;
pub mod figures;
