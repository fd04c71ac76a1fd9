//! The figures of a one-stop report (báo cáo tình hình tổ chức và hoạt động của Bộ phận Một cửa),
//! compiled from the results service, checked against the invariants of the forms, and frozen:
//! [`Figures`] is the machine-readable content of a report version, hashed and attached to its PDF.
//!
//! Canonical JSON: [`Figures::canonical_json`] is `serde_json::to_vec` of the struct. Members come
//! in declaration order, every list has a defined order (the results service's, or the one said on
//! the field), there are no maps, and nothing in it depends on when it was compiled, so the same
//! records always give the same bytes and the same [`Compiled::figures_sha256`].

mod compile;
mod export;
mod model;
pub mod rules;
pub mod schema;
#[cfg(test)]
mod tests;

pub use compile::compile;
pub use export::CSV_COLUMNS;
pub use model::*;
pub use rules::CompileError;
