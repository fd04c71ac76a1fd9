//! The tamper-evident side of the audit trail, shared by both services: checkpoints (signed RFC
//! 6962 tree heads over the records since the previous checkpoint), inclusion proofs, and the
//! verification of the hash chain and of the checkpoints over a range of records.
//!
//! Which key signs checkpoints is set explicitly (`MOTCUA_AUDIT_CHECKPOINT_KEY`, see
//! [`TrailConfig`]; each service finds it with its [`CheckpointKey`]); without one a checkpoint
//! is stored unsigned and says so (`signed: false`). Each checkpoint is also copied outside the
//! database ([`CheckpointLog`]: a file of JSON lines, a log line, a metric), so that emptying or
//! shortening the trail, checkpoints included, is detected by the verification.

use std::path::{Path as FilePath, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::ids::AuditEventId;
use motcua_db::audit::{self, AuditEvent, Checkpoint, NewCheckpoint, GENESIS};
use motcua_db::merkle::{self, Hash};
use motcua_db::{now, DbConnection};
use motcua_pki::cms::{self, Indication};
use motcua_pki::{RevocationPolicy, TrustStore};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::answer::Answer;
use crate::audit::Actor;
use crate::auth::Principal;
use crate::checkpoint_log::CheckpointRoot;
use crate::config::ConfigError;
use crate::context::WebContext;
use crate::error::responses::{ReadErrors, WriteErrors};
use crate::error::ApiError;
use crate::extract::{PathId, ValidQuery};
use crate::keystore::{chain_to_embed, OrganisationSigner};
use crate::request_id::RequestId;

/// Where a service finds the key that signs its checkpoints, and the trust store their
/// signatures are checked against.
pub trait CheckpointKey: Send + Sync {
    /// The signer of a new checkpoint; `None` when the service has no usable key (the
    /// checkpoint is then unsigned).
    fn signer(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Option<Arc<dyn OrganisationSigner>>, ApiError>;

    /// The trust store signatures of checkpoints are verified against.
    fn trust_store(&self, conn: &mut DbConnection) -> Result<TrustStore, ApiError>;
}

/// `MOTCUA_AUDIT_CHECKPOINT_SECS`: seconds between two checkpoints made by the service itself
/// (default 3600).
pub fn checkpoint_interval_from_env() -> Result<Duration, String> {
    match std::env::var("MOTCUA_AUDIT_CHECKPOINT_SECS") {
        Err(_) => Ok(Duration::from_secs(DEFAULT_CHECKPOINT_SECS)),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
            _ => Err(format!(
                "MOTCUA_AUDIT_CHECKPOINT_SECS must be a positive number of seconds, not `{text}`"
            )),
        },
    }
}

pub const DEFAULT_CHECKPOINT_SECS: u64 = 3600;

/// The settings of the audit trail that each service reads into its typed configuration.
#[derive(Debug, Clone, Default)]
pub struct TrailConfig {
    /// `MOTCUA_AUDIT_CHECKPOINT_KEY`: the SHA-256 fingerprint (hex, colons allowed) of the
    /// certificate of the stored organisation key that signs checkpoints; unset: checkpoints are
    /// unsigned (a warning at start-up). A key that is not stored or cannot be used stops the
    /// start.
    pub checkpoint_key: Option<String>,
    /// `MOTCUA_AUDIT_CHECKPOINT_LOG`: the file each checkpoint is appended to as a JSON line;
    /// default beside the SQLite database (`<file>.audit-checkpoints.jsonl`), or
    /// `<MOTCUA_DATA_DIR>/<service>-audit-checkpoints.jsonl` with PostgreSQL; none for an
    /// in-memory database.
    pub checkpoint_log: Option<PathBuf>,
}

impl TrailConfig {
    pub fn from_env(
        service: &str,
        database_url: &str,
        data_dir: &str,
    ) -> Result<Self, ConfigError> {
        const KEY: &str = "MOTCUA_AUDIT_CHECKPOINT_KEY";
        let checkpoint_key = match std::env::var(KEY) {
            Ok(text) if !text.trim().is_empty() => {
                Some(parse_fingerprint(&text).map_err(|reason| ConfigError {
                    name: KEY,
                    value: text.clone(),
                    reason,
                })?)
            }
            _ => None,
        };
        let checkpoint_log = match std::env::var_os("MOTCUA_AUDIT_CHECKPOINT_LOG") {
            Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
            _ => default_checkpoint_log(service, database_url, data_dir),
        };
        Ok(Self {
            checkpoint_key,
            checkpoint_log,
        })
    }
}

/// Beside the database: next to an SQLite file, in the data directory for PostgreSQL.
fn default_checkpoint_log(service: &str, database_url: &str, data_dir: &str) -> Option<PathBuf> {
    match database_url.strip_prefix("sqlite://") {
        Some(file) if file.is_empty() || file.contains(":memory:") => None,
        Some(file) => Some(PathBuf::from(format!("{file}.audit-checkpoints.jsonl"))),
        None => Some(FilePath::new(data_dir).join(format!("{service}-audit-checkpoints.jsonl"))),
    }
}

/// A certificate's SHA-256 fingerprint as stored: 64 lowercase hex digits (colons and spaces
/// dropped).
pub fn parse_fingerprint(text: &str) -> Result<String, String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err("the SHA-256 fingerprint of the signing certificate: 64 hex digits".into())
    }
}

fn leaf_of(record_hash: &str) -> Hash {
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
    let tree_size = i64::try_from(records.len())
        .map_err(|_| ApiError::Internal("too many audit records".into()))?;
    let statement = audit::statement(
        created_at, first.id.0, last.id.0, tree_size, &root_hash, &last.hash,
    );
    let signer = match key {
        Some(key) => key.signer(conn)?.map(|signer| (key, signer)),
        None => None,
    };
    let (signature, signer) = match signer {
        Some((key, signer)) => {
            // The chain up to the root, completed from the trust store; without a readable
            // store, the certificates that came with the key.
            let chain = match key.trust_store(conn) {
                Ok(store) => chain_to_embed(signer.as_ref(), &store),
                Err(error) => {
                    tracing::warn!(%error, "audit checkpoint: no trust store to complete the chain");
                    signer.chain().to_vec()
                }
            };
            let signature = cms::sign_detached(
                statement.as_bytes(),
                signer.as_ref(),
                &chain,
                created_at.and_utc(),
                true,
            )
            .map_err(|e| ApiError::Internal(format!("signing the audit checkpoint: {e}")))?;
            let info = signer.certificate().info();
            (
                Some(signature),
                Some((info.subject.text.clone(), info.fingerprint_sha256.clone())),
            )
        }
        None => (None, None),
    };
    let (signer, signer_fingerprint) = signer.unzip();
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
    background: &mut crate::background::Background,
    web: Data<WebContext>,
) -> Result<(), String> {
    background.every(
        "audit checkpoints",
        checkpoint_interval_from_env()?,
        false,
        move || {
            let web = web.clone();
            async move { checkpoint_round(&web).await }
        },
    );
    Ok(())
}

/// One checkpoint round: signs a tree head over the records made since the last one.
pub async fn checkpoint_round(web: &WebContext) {
    let key = web.checkpoint_key.clone();
    match web
        .write(move |conn| make_checkpoint(conn, key.as_deref()))
        .await
    {
        Ok(Some(checkpoint)) => web.checkpoint_log.publish(&checkpoint, &web.metrics),
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

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The checkpoint to prove inclusion in; by default the one that covers the record.
    pub checkpoint: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerificationQuery {
    /// First record id to check (default: the first record).
    pub from: Option<i64>,
    /// Last record id to check (default: the last record).
    pub to: Option<i64>,
}

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
                ApiError::Internal(format!("verifying checkpoint {}: {e}", checkpoint.id))
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
        .ok_or_else(|| ApiError::Internal(format!("audit record {record} vanished")))?;
    let path = merkle::inclusion_path(&leaves, index)
        .ok_or_else(|| ApiError::Internal("inclusion path out of range".into()))?;
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

/// Make a checkpoint now over the audit records since the last one (admins only). 409 when there
/// is no new record.
#[utoipa::path(tag = "audit", responses((status = 201, body = CheckpointView), WriteErrors), security(("api_key" = [])))]
#[post("/audit/checkpoints")]
pub async fn create_checkpoint(
    state: Data<WebContext>,
    who: Principal,
    request_id: RequestId,
) -> Result<Answer, ApiError> {
    who.require(Resource::Audit, Access::Write)?;
    let actor = Actor::new(&who, &request_id);
    let key = state.checkpoint_key.clone();
    // The checkpoint made, to copy outside once committed (none when the answer is a replay).
    let made = Arc::new(Mutex::new(None));
    let kept = Arc::clone(&made);
    let answer = state
        .write_answer(move |conn| {
            let checkpoint = make_checkpoint(conn, key.as_deref())?.ok_or_else(|| {
                ApiError::Conflict("no audit record since the last checkpoint".into())
            })?;
            let view = CheckpointView::from(checkpoint.clone());
            actor.record(
                conn,
                "audit_checkpoint.create",
                "audit_checkpoint",
                checkpoint.id,
                &view,
            )?;
            *kept.lock().unwrap_or_else(PoisonError::into_inner) = Some(checkpoint);
            Answer::created(Some(format!("/audit/checkpoints/{}", view.id)), &view)
        })
        .await?;
    // Copied outside once committed: a copy of a checkpoint rolled back would fail every
    // later verification.
    if let Some(checkpoint) = made.lock().unwrap_or_else(PoisonError::into_inner).take() {
        state.checkpoint_log.publish(&checkpoint, &state.metrics);
    }
    Ok(answer)
}

/// The latest checkpoint of the audit trail.
#[utoipa::path(tag = "audit", responses((status = 200, body = CheckpointView), ReadErrors), security(("api_key" = [])))]
#[get("/audit/checkpoints/latest")]
pub async fn latest_checkpoint(
    state: Data<WebContext>,
    who: Principal,
) -> Result<Json<CheckpointView>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let checkpoint = state
        .read(|conn| {
            audit::latest_checkpoint(conn)?
                .ok_or_else(|| ApiError::NotFound("no audit checkpoint has been made yet".into()))
        })
        .await?;
    Ok(Json(checkpoint.into()))
}

/// One checkpoint of the audit trail.
#[utoipa::path(tag = "audit", params(("id" = i64, Path)), responses((status = 200, body = CheckpointView), ReadErrors), security(("api_key" = [])))]
#[get("/audit/checkpoints/{id}")]
pub async fn get_checkpoint(
    state: Data<WebContext>,
    who: Principal,
    id: PathId,
) -> Result<Json<CheckpointView>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let id = id.into_inner();
    let checkpoint = state
        .read(move |conn| {
            audit::find_checkpoint(conn, id)
                .map_err(ApiError::not_found_as(format!("audit checkpoint {id}")))
        })
        .await?;
    Ok(Json(checkpoint.into()))
}

/// RFC 6962 inclusion proof of an audit record in a checkpoint (by default the one covering it;
/// 409 when none does yet).
#[utoipa::path(tag = "audit", params(("id" = i64, Path), ProofQuery), responses((status = 200, body = InclusionProof), (status = 409, description = "No checkpoint covers the record yet", body = crate::error::Problem, content_type = "application/problem+json"), ReadErrors), security(("api_key" = [])))]
#[get("/audit-events/{id}/proof")]
pub async fn record_proof(
    state: Data<WebContext>,
    who: Principal,
    id: PathId,
    query: ValidQuery<ProofQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let record = AuditEventId(id.into_inner());
    let checkpoint = query.into_inner().checkpoint;
    let proof = state
        .read(move |conn| proof(conn, record, checkpoint))
        .await?;
    Ok(Json(proof))
}

/// Recomputes every hash and link of the records in `from..=to` and the root and signature of
/// every checkpoint overlapping them.
#[utoipa::path(tag = "audit", params(VerificationQuery), responses((status = 200, body = Verification), ReadErrors), security(("api_key" = [])))]
#[get("/audit/verification")]
pub async fn verify_trail(
    state: Data<WebContext>,
    who: Principal,
    query: ValidQuery<VerificationQuery>,
) -> Result<Json<Verification>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let query = query.into_inner();
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(ApiError::bad_param("from", "must not be after `to`"));
        }
    }
    let key = state.checkpoint_key.clone();
    let outside = state.checkpoint_log.newest();
    let verification = state
        .read(move |conn| {
            verify(
                conn,
                key.as_deref(),
                outside,
                query.from.map(AuditEventId),
                query.to.map(AuditEventId),
            )
        })
        .await?;
    Ok(Json(verification))
}
