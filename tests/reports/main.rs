//! Tests of the report service over real HTTP, on SQLite and PostgreSQL. The whole journey
//! (results service, district, province, the signing CLI) is in
//! `crates/motcua-cli/tests/report_end_to_end.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_fuzzing;
mod appearance_images;
mod audit_trail;
mod database_outage;
mod figures;
mod idempotency;
mod long_term;
mod openapi;
mod operations;
mod remote_signing;
mod requests;
mod scope;
mod trust;
mod verification_page;
mod webhooks;
