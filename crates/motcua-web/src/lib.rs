//! What both services share on the HTTP side, and only that: RFC 9457 problems, strict JSON and
//! query extractors, API-key authentication, idempotent POSTs, request ids, keyset pagination,
//! the application builder and OpenAPI assembly, and the verification of uploaded signed PDFs and
//! CMS signatures with its page for people. The audit trail lives in `motcua-audit`, API keys and
//! organisation keys in `motcua-keys`.

pub mod answer;
pub mod archival;
pub mod archive;
pub mod auth;
pub mod background;
pub mod concurrency;
pub mod config;
pub mod context;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod limits;
pub mod location;
pub mod observe;
pub mod openapi;
pub mod pagination;
pub mod remote_signing;
pub mod request_id;
pub mod service;
pub mod signed_upload;
mod strict_json;
pub mod verification_page;
pub mod verify_upload;

pub use context::WebContext;
pub use limits::{Limits, ServerLimits};
