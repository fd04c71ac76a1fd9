//! What both services share on the HTTP side: RFC 9457 problems, strict JSON and query
//! extractors, API-key authentication, idempotent POSTs, request ids, keyset pagination, the
//! audit trail writer, and the verification of signed PDFs and CMS signatures with its page for
//! people.

pub mod answer;
pub mod api_keys;
pub mod audit;
pub mod audit_trail;
pub mod auth;
pub mod background;
pub mod checkpoint_log;
pub mod concurrency;
pub mod config;
pub mod context;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod keystore;
pub mod limits;
pub mod observe;
pub mod openapi;
pub mod pagination;
pub mod request_id;
pub mod signed_upload;
mod strict_json;
pub mod verification;
pub mod verification_page;

pub use context::WebContext;
pub use limits::{Limits, ServerLimits};
