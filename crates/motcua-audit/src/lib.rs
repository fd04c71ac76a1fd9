//! The audit trail of a motcua service: who changed what ([`actor::Actor`], one record per change
//! in the transaction of the change), the checkpoints that make the trail tamper-evident (signed
//! tree heads, made on a schedule or on request, copied outside the database), inclusion proofs,
//! the verification of the trail, and their endpoints.
//!
//! Separate from `motcua-web` (HTTP plumbing) because it is a record-keeping duty of its own, with
//! its own configuration and background work; the key that signs checkpoints is reached through
//! the [`checkpoints::CheckpointKey`] seam, so the key store lives above this crate.

pub mod actor;
pub mod checkpoint_log;
pub mod checkpoints;
pub mod config;
pub mod integrity;
pub mod routes;

pub use actor::Actor;
pub use checkpoints::{schedule_checkpoints, AuditTrail, CheckpointKey, CheckpointSignature};
