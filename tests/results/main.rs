//! The results service over real HTTP, every test on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod api_fuzzing;
mod api_keys;
mod archive;
mod audit_trail;
mod bad_input;
mod certificates;
mod component_signing;
mod concurrency;
mod corpus;
mod database_outage;
mod dossier_trail;
mod dossiers;
mod electronic_results;
mod events;
mod hostile_documents;
mod idempotency;
mod long_term;
mod officials;
mod openapi;
mod outside_validators;
mod procedures;
mod remote_signing;
mod resource_limits;
mod scope;
mod secrets_at_rest;
mod seed_scenario;
mod statistics;
mod token_keys;
mod units;
mod verification_page;
mod webhooks;
