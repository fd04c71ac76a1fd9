//! Checkpoints of the audit trail: signed RFC 6962 tree heads over the records since the
//! previous checkpoint, made on a schedule or on request, and inclusion proofs of records in them.
//!
//! Which key signs checkpoints is set explicitly (`MOTCUA_AUDIT_CHECKPOINT_KEY`, see
//! [`crate::config::TrailConfig`]; each service gives its [`CheckpointKey`]); without one a
//! checkpoint is stored unsigned and says so (`signed: false`). Each checkpoint is also copied
//! outside the database ([`CheckpointLog`]: a file of JSON lines, a log line, a metric), so that
//! emptying or shortening the trail, checkpoints included, is detected by the verification.

use std::path::PathBuf;
use std::sync::Arc;

use actix_web::web::Data;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::record_ids::AuditEventId;
use motcua_db::audit::{self, AuditEvent, Checkpoint, NewCheckpoint};
use motcua_db::merkle::{self, Hash};
use motcua_db::{now, DbConnection};
use motcua_pki::TrustStore;
use motcua_web::background::Background;
use motcua_web::error::ApiError;
use motcua_web::WebContext;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::checkpoint_log::CheckpointLog;
use crate::config::checkpoint_interval_from_env;

/// Where a service finds the key that signs its checkpoints, and the trust store their
/// signatures are checked against. The seam lets the key store live above this crate.
pub trait CheckpointKey: Send + Sync {
    /// Signs `statement` (a detached CMS signature made at `at`); `None` when the service has no
    /// usable key (the checkpoint is then unsigned).
    fn sign(
        &self,
        conn: &mut DbConnection,
        statement: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Option<CheckpointSignature>, ApiError>;

    /// The trust store signatures of checkpoints are verified against.
    fn trust_store(&self, conn: &mut DbConnection) -> Result<TrustStore, ApiError>;
}

/// A checkpoint's signature and who made it.
#[derive(Debug, Clone)]
pub struct CheckpointSignature {
    /// Detached CMS signature (DER) over the checkpoint's statement.
    pub cms: Vec<u8>,
    /// Subject of the signing certificate.
    pub signer: String,
    /// SHA-256 (hex) of the signing certificate's DER.
    pub signer_fingerprint: String,
}

/// A service's audit trail: the key that signs its checkpoints and where they are copied outside
/// the database. Each service registers one as `Data<AuditTrail>`.
pub struct AuditTrail {
    /// None: checkpoints are unsigned.
    pub key: Option<Arc<dyn CheckpointKey>>,
    pub log: CheckpointLog,
}

impl AuditTrail {
    /// Checkpoints signed with `key`, copied to `log_file` (see [`CheckpointLog`]).
    pub fn new(key: Option<Arc<dyn CheckpointKey>>, log_file: Option<PathBuf>) -> Self {
        Self {
            key,
            log: CheckpointLog::new(log_file),
        }
    }
}

pub(crate) fn leaf_of(record_hash: &str) -> Hash {
    let bytes = hex::decode(record_hash).unwrap_or_else(|_| record_hash.as_bytes().to_vec());
    merkle::leaf_hash(&bytes)
}

/// Makes a checkpoint over the records since the previous one, signed when `key` gives a signer;
/// `None` when there is no new record. Call it in a write transaction.
pub fn make_checkpoint(
    conn: &mut DbConnection,
    key: Option<&dyn CheckpointKey>,
) -> Result<Option<Checkpoint>, ApiError> {
    audit::lock_trail(conn)?;
    let after = audit::latest_checkpoint(conn)?.map_or(0, |c| c.last_record_id);
    let records = audit::range(conn, Some(AuditEventId(after + 1)), None)?;
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(None);
    };
    let leaves: Vec<Hash> = records.iter().map(|r| leaf_of(&r.hash)).collect();
    let root_hash = hex::encode(merkle::root(&leaves));
    let created_at = now();
    let tree_size =
        i64::try_from(records.len()).map_err(|_| ApiError::internal("too many audit records"))?;
    let statement = audit::statement(
        created_at, first.id.0, last.id.0, tree_size, &root_hash, &last.hash,
    );
    let signed = match key {
        Some(key) => key.sign(conn, statement.as_bytes(), created_at.and_utc())?,
        None => None,
    };
    let (signature, signer, signer_fingerprint) = match signed {
        Some(signed) => (
            Some(signed.cms),
            Some(signed.signer),
            Some(signed.signer_fingerprint),
        ),
        None => (None, None, None),
    };
    let checkpoint = audit::insert_checkpoint(
        conn,
        &NewCheckpoint {
            created_at,
            first_record_id: first.id.0,
            last_record_id: last.id.0,
            tree_size,
            root_hash,
            last_record_hash: last.hash.clone(),
            signature,
            signer,
            signer_fingerprint,
        },
    )?;
    Ok(Some(checkpoint))
}

/// Makes a checkpoint every `MOTCUA_AUDIT_CHECKPOINT_SECS`, the first one an interval after the
/// start, for as long as the service runs.
pub fn schedule_checkpoints(
    background: &mut Background,
    web: Data<WebContext>,
    trail: Data<AuditTrail>,
) -> Result<(), String> {
    background.every(
        "audit checkpoints",
        checkpoint_interval_from_env()?,
        false,
        move || {
            let (web, trail) = (web.clone(), trail.clone());
            async move { checkpoint_round(&web, &trail).await }
        },
    );
    Ok(())
}

/// One checkpoint round: signs a tree head over the records made since the last one.
pub async fn checkpoint_round(web: &WebContext, trail: &AuditTrail) {
    let key = trail.key.clone();
    match web
        .write(move |conn| make_checkpoint(conn, key.as_deref()))
        .await
    {
        Ok(Some(checkpoint)) => trail.log.publish(&checkpoint, &web.metrics),
        Ok(None) => tracing::debug!("no audit record since the last checkpoint"),
        Err(error) => tracing::warn!(%error, "audit checkpoint failed"),
    }
}

/// A signed tree head over the audit records `first_record_id..=last_record_id`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckpointView {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub first_record_id: i64,
    pub last_record_id: i64,
    /// Number of records (leaves of the tree).
    pub tree_size: i64,
    /// RFC 6962 Merkle tree hash (hex); leaf = SHA-256(0x00 ‖ record hash bytes).
    pub root_hash: String,
    /// `hash` of the last record: binds the checkpoint to the chain.
    pub last_record_hash: String,
    /// Whether the checkpoint is signed; `false` when the service had no organisation key.
    pub signed: bool,
    /// Subject of the signing certificate.
    pub signer: Option<String>,
    /// SHA-256 (hex) of the signing certificate's DER: the key set by
    /// `MOTCUA_AUDIT_CHECKPOINT_KEY` when the checkpoint was made.
    pub signer_fingerprint: Option<String>,
    /// Detached CMS signature (DER, base64) over `statement`.
    pub signature_base64: Option<String>,
    /// The exact text signed (UTF-8).
    pub statement: String,
}

impl From<Checkpoint> for CheckpointView {
    fn from(c: Checkpoint) -> Self {
        Self {
            statement: c.statement(),
            signed: c.signature.is_some(),
            signature_base64: c
                .signature
                .as_ref()
                .map(|s| base64::engine::general_purpose::STANDARD.encode(s)),
            id: c.id,
            created_at: c.created_at.and_utc(),
            first_record_id: c.first_record_id,
            last_record_id: c.last_record_id,
            tree_size: c.tree_size,
            root_hash: c.root_hash,
            last_record_hash: c.last_record_hash,
            signer: c.signer,
            signer_fingerprint: c.signer_fingerprint,
        }
    }
}

/// RFC 6962 inclusion proof of a record in a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    pub record_id: i64,
    /// The record's `hash` (hex).
    pub record_hash: String,
    /// SHA-256(0x00 ‖ record hash bytes), hex.
    pub leaf_hash: String,
    pub checkpoint_id: i64,
    /// Position of the record among the checkpoint's records, from 0.
    pub leaf_index: u64,
    pub tree_size: u64,
    pub root_hash: String,
    /// Sibling hashes (hex) from the leaf up (RFC 6962 §2.1.1 PATH).
    pub audit_path: Vec<String>,
}

/// The inclusion proof of `record` in `checkpoint` (or the checkpoint that covers it).
pub fn proof(
    conn: &mut DbConnection,
    record: AuditEventId,
    checkpoint: Option<i64>,
) -> Result<InclusionProof, ApiError> {
    let event: AuditEvent = audit::find(conn, record)
        .map_err(ApiError::not_found_as(format!("audit record {record}")))?;
    let checkpoint = match checkpoint {
        Some(id) => {
            let found = audit::find_checkpoint(conn, id)
                .map_err(ApiError::not_found_as(format!("audit checkpoint {id}")))?;
            if record.0 < found.first_record_id || record.0 > found.last_record_id {
                return Err(ApiError::bad_param(
                    "checkpoint",
                    format!(
                        "checkpoint {id} covers records {} to {}, not {record}",
                        found.first_record_id, found.last_record_id
                    ),
                ));
            }
            found
        }
        None => audit::checkpoint_covering(conn, record)?.ok_or_else(|| {
            ApiError::Conflict(format!(
                "audit record {record} is not in a checkpoint yet; make one with POST /audit/checkpoints"
            ))
        })?,
    };
    let records = audit::range(
        conn,
        Some(AuditEventId(checkpoint.first_record_id)),
        Some(AuditEventId(checkpoint.last_record_id)),
    )?;
    let leaves: Vec<Hash> = records.iter().map(|r| leaf_of(&r.hash)).collect();
    let index = records
        .iter()
        .position(|r| r.id == record)
        .ok_or_else(|| ApiError::internal(format!("audit record {record} vanished")))?;
    let path = merkle::inclusion_path(&leaves, index)
        .ok_or_else(|| ApiError::internal("inclusion path out of range"))?;
    Ok(InclusionProof {
        record_id: record.0,
        leaf_hash: hex::encode(leaf_of(&event.hash)),
        record_hash: event.hash,
        checkpoint_id: checkpoint.id,
        leaf_index: index as u64,
        tree_size: checkpoint.tree_size.unsigned_abs(),
        root_hash: checkpoint.root_hash,
        audit_path: path.iter().map(hex::encode).collect(),
    })
}
