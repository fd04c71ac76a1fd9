//! Verification of the trail: the hash chain of the records, the root and signature of every
//! checkpoint over them, and the trail against the newest checkpoint kept outside the database.

use chrono::Utc;
use motcua_core::record_ids::AuditEventId;
use motcua_db::audit::{self, Checkpoint, GENESIS};
use motcua_db::merkle::{self, Hash};
use motcua_db::DbConnection;
use motcua_pki::cms::{self, Indication};
use motcua_pki::{RevocationPolicy, TrustStore};
use motcua_web::error::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::checkpoint_log::CheckpointRoot;
use crate::checkpoints::{leaf_of, CheckpointKey};

/// What is wrong with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordProblem {
    /// The record's content does not give its hash: it was changed.
    HashMismatch,
    /// The record does not follow the one before it: a record was removed or the order changed.
    PrevHashMismatch,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BrokenRecord {
    pub id: i64,
    pub problem: RecordProblem,
    pub explanation: String,
}

/// What is wrong with a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointProblem {
    /// The records it covers no longer give its size, last hash or root: records were removed,
    /// added or changed.
    RootMismatch,
    /// Its signature does not verify over its statement.
    SignatureInvalid,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckpointCheck {
    pub id: i64,
    pub valid: bool,
    pub problem: Option<CheckpointProblem>,
    pub explanation: Option<String>,
    /// Indication of the signature verification (ETSI EN 319 102-1); absent when unsigned.
    /// Only `TOTAL_FAILED` makes the checkpoint invalid: `INDETERMINATE` says the signer's
    /// certificate could not be validated against the trust store, not that the tree head changed.
    pub signature: Option<Indication>,
}

/// What is wrong with the trail against the copy of its newest checkpoint kept outside the
/// database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutsideProblem {
    /// The trail ends before the last record the checkpoint covered, or is empty: records were
    /// removed from its end (e.g. the tables were emptied).
    TrailShortened,
    /// The records the checkpoint covered no longer give its root.
    RootMismatch,
    /// The checkpoint is no longer in `audit_checkpoints`, or differs there.
    CheckpointMissing,
}

/// The trail checked against the newest checkpoint kept outside the database.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutsideCheck {
    /// Where the copy was read: `file <path>`, or the memory of the running service.
    pub source: String,
    pub checkpoint: CheckpointRoot,
    pub valid: bool,
    pub problem: Option<OutsideProblem>,
    pub explanation: Option<String>,
}

/// The outcome of a verification of the trail.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Verification {
    /// Every record and checkpoint in the range checked out.
    pub valid: bool,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub records_checked: u64,
    /// The first record (in id order) that breaks the chain.
    pub broken_record: Option<BrokenRecord>,
    /// The checkpoints that cover records of the range.
    pub checkpoints: Vec<CheckpointCheck>,
    /// The trail against the newest checkpoint kept outside the database, when one can be read
    /// and its records overlap the range; absent otherwise.
    pub outside_copy: Option<OutsideCheck>,
}

/// Checks the chain over `from..=to`, the checkpoints that overlap it, and the trail against
/// `outside` (where it was read, and the newest checkpoint kept outside the database).
pub fn verify(
    conn: &mut DbConnection,
    key: Option<&dyn CheckpointKey>,
    outside: Option<(String, CheckpointRoot)>,
    from: Option<AuditEventId>,
    to: Option<AuditEventId>,
) -> Result<Verification, ApiError> {
    let records = audit::range(conn, from, to)?;
    let mut expected_prev = match records.first() {
        Some(first) => {
            audit::before(conn, first.id)?.map_or_else(|| GENESIS.to_owned(), |p| p.hash)
        }
        None => GENESIS.to_owned(),
    };
    let mut broken_record = None;
    for record in &records {
        if record.computed_hash() != record.hash {
            broken_record = Some(BrokenRecord {
                id: record.id.0,
                problem: RecordProblem::HashMismatch,
                explanation: format!(
                    "the content of record {} does not give its hash: it was changed",
                    record.id
                ),
            });
            break;
        }
        if record.prev_hash != expected_prev {
            broken_record = Some(BrokenRecord {
                id: record.id.0,
                problem: RecordProblem::PrevHashMismatch,
                explanation: format!(
                    "record {} does not follow the record before it: a record was removed or \
                     the order changed",
                    record.id
                ),
            });
            break;
        }
        expected_prev.clone_from(&record.hash);
    }
    let checkpoints = audit::checkpoints_overlapping(conn, from, to)?;
    let store = match (key, checkpoints.iter().any(|c| c.signature.is_some())) {
        (Some(key), true) => key.trust_store(conn)?,
        _ => TrustStore::new(),
    };
    let checks = checkpoints
        .iter()
        .map(|c| check_checkpoint(conn, c, &store))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let outside_copy = match outside {
        Some((source, root))
            if from.is_none_or(|f| f.0 <= root.last_record_id)
                && to.is_none_or(|t| t.0 >= root.first_record_id) =>
        {
            Some(check_outside(conn, source, root)?)
        }
        _ => None,
    };
    Ok(Verification {
        valid: broken_record.is_none()
            && checks.iter().all(|c| c.valid)
            && outside_copy.as_ref().is_none_or(|c| c.valid),
        from: from.map(|f| f.0),
        to: to.map(|t| t.0),
        records_checked: records.len() as u64,
        broken_record,
        checkpoints: checks,
        outside_copy,
    })
}

/// The trail against a checkpoint kept outside the database: its records are all there and
/// still give its root, and the checkpoint is still stored as it was made.
fn check_outside(
    conn: &mut DbConnection,
    source: String,
    root: CheckpointRoot,
) -> Result<OutsideCheck, ApiError> {
    let last_id = audit::last(conn)?.map(|r| r.id.0);
    let problem = if last_id.is_none_or(|last| last < root.last_record_id) {
        let now = last_id.map_or_else(
            || "is empty".to_owned(),
            |last| format!("ends at record {last}"),
        );
        Some((
            OutsideProblem::TrailShortened,
            format!(
                "the trail {now}, but checkpoint {} of {} covered records {} to {}: records \
                 were removed",
                root.checkpoint_id, root.created_at, root.first_record_id, root.last_record_id
            ),
        ))
    } else {
        let records = audit::range(
            conn,
            Some(AuditEventId(root.first_record_id)),
            Some(AuditEventId(root.last_record_id)),
        )?;
        let leaves: Vec<Hash> = records.iter().map(|r| leaf_of(&r.hash)).collect();
        let stored = audit::find_checkpoint(conn, root.checkpoint_id).ok();
        if records.len() as u64 != root.tree_size.unsigned_abs()
            || hex::encode(merkle::root(&leaves)) != root.root_hash
        {
            Some((
                OutsideProblem::RootMismatch,
                format!(
                    "records {} to {} no longer give the root of checkpoint {}",
                    root.first_record_id, root.last_record_id, root.checkpoint_id
                ),
            ))
        } else if stored.is_none_or(|stored| CheckpointRoot::from(&stored) != root) {
            Some((
                OutsideProblem::CheckpointMissing,
                format!(
                    "checkpoint {} is no longer stored as it was made",
                    root.checkpoint_id
                ),
            ))
        } else {
            None
        }
    };
    Ok(OutsideCheck {
        source,
        checkpoint: root,
        valid: problem.is_none(),
        problem: problem.as_ref().map(|p| p.0),
        explanation: problem.map(|p| p.1),
    })
}

fn check_checkpoint(
    conn: &mut DbConnection,
    checkpoint: &Checkpoint,
    store: &TrustStore,
) -> Result<CheckpointCheck, ApiError> {
    let records = audit::range(
        conn,
        Some(AuditEventId(checkpoint.first_record_id)),
        Some(AuditEventId(checkpoint.last_record_id)),
    )?;
    let leaves: Vec<Hash> = records.iter().map(|r| leaf_of(&r.hash)).collect();
    let root = hex::encode(merkle::root(&leaves));
    let mut problem = None;
    if records.len() as u64 != checkpoint.tree_size.unsigned_abs() {
        problem = Some((
            CheckpointProblem::RootMismatch,
            format!(
                "the checkpoint covers {} records, {} remain: records were removed or added",
                checkpoint.tree_size,
                records.len()
            ),
        ));
    } else if records.last().map(|r| r.hash.as_str()) != Some(checkpoint.last_record_hash.as_str())
        || root != checkpoint.root_hash
    {
        problem = Some((
            CheckpointProblem::RootMismatch,
            "the records covered no longer give the checkpoint's root hash".to_owned(),
        ));
    }
    let signature = match &checkpoint.signature {
        None => None,
        Some(cms_der) => {
            let report = cms::verify_detached(
                cms_der,
                checkpoint.statement().as_bytes(),
                store,
                &[],
                Utc::now(),
                RevocationPolicy::BestEffort,
            )
            .map_err(|e| {
                ApiError::internal(format!("verifying checkpoint {}: {e}", checkpoint.id))
            })?;
            if report.indication == Indication::TotalFailed && problem.is_none() {
                problem = Some((
                    CheckpointProblem::SignatureInvalid,
                    format!("the signature does not verify: {}", report.summary),
                ));
            }
            Some(report.indication)
        }
    };
    Ok(CheckpointCheck {
        id: checkpoint.id,
        valid: problem.is_none(),
        problem: problem.as_ref().map(|p| p.0),
        explanation: problem.map(|p| p.1),
        signature,
    })
}
