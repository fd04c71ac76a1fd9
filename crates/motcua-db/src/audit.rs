//! The append-only audit trail: every change, by whom, when, in which request.
//!
//! The trail is a hash chain: each record carries `prev_hash`, the `hash` of the record before it
//! ([`GENESIS`] for the first), and its own `hash`, the SHA-256 of [`canonical_bytes`]. Records
//! are appended one at a time under a lock ([`lock_trail`]), so the chain stays linear when
//! transactions write concurrently. Checkpoints ([`Checkpoint`]) are RFC 6962 tree heads over the
//! records since the previous checkpoint.

use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use motcua_core::record_ids::{ApiKeyId, AuditEventId};
use sha2::{Digest, Sha256};

use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::schema::{audit_checkpoints, audit_events};
use crate::unnest::{Statement, Unnest};
use crate::{DbConnection, DbResult};

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Key of the PostgreSQL advisory lock that serialises audit appends and checkpoints
/// ("motcua" + "audit" in ASCII, folded into a positive 63-bit number).
const TRAIL_LOCK: i64 = 0x6d6f_7463_7561_6175;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: NaiveDateTime,
    pub actor_key_id: Option<ApiKeyId>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub request_id: String,
    /// JSON: the record after the change, or what the action needs to be understood.
    pub detail: String,
    /// The `hash` of the previous record; [`GENESIS`] for the first.
    pub prev_hash: String,
    /// SHA-256 (hex) of [`canonical_bytes`] of this record.
    pub hash: String,
}

impl AuditEvent {
    /// The hash this record should have, from its content and its `prev_hash`.
    pub fn computed_hash(&self) -> String {
        record_hash(&RecordFields {
            id: self.id.0,
            at: self.at,
            actor_key_id: self.actor_key_id.map(|k| k.0),
            actor_name: &self.actor_name,
            action: &self.action,
            object_type: &self.object_type,
            object_id: &self.object_id,
            request_id: &self.request_id,
            detail: &self.detail,
            prev_hash: &self.prev_hash,
        })
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    pub at: NaiveDateTime,
    pub actor_key_id: Option<ApiKeyId>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub request_id: String,
    pub detail: String,
}

/// The hashed fields of a record.
#[derive(Debug, Clone, Copy)]
pub struct RecordFields<'a> {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_key_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    pub request_id: &'a str,
    pub detail: &'a str,
    pub prev_hash: &'a str,
}

/// The canonical encoding of a record: the ASCII tag `motcua-audit-v1`, then each field in the
/// order id, at, actor_key_id, actor_name, action, object_type, object_id, request_id, detail,
/// prev_hash, each as one byte (0 = null, 1 = present), and when present the length of its UTF-8
/// text as an unsigned 64-bit big-endian number followed by the text. Numbers are written in
/// decimal, `at` as `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC, microseconds), `prev_hash` as lowercase
/// hex. Every field is delimited by its length, so no two records share an encoding.
pub fn canonical_bytes(record: &RecordFields<'_>) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, value: Option<&str>) {
        match value {
            None => out.push(0),
            Some(text) => {
                out.push(1);
                out.extend_from_slice(&(text.len() as u64).to_be_bytes());
                out.extend_from_slice(text.as_bytes());
            }
        }
    }
    let mut out = b"motcua-audit-v1".to_vec();
    field(&mut out, Some(&record.id.to_string()));
    field(&mut out, Some(&canonical_time(record.at)));
    field(
        &mut out,
        record.actor_key_id.map(|k| k.to_string()).as_deref(),
    );
    for text in [
        record.actor_name,
        record.action,
        record.object_type,
        record.object_id,
        record.request_id,
        record.detail,
        record.prev_hash,
    ] {
        field(&mut out, Some(text));
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS.ffffff`: how times enter hashes and signed statements.
pub fn canonical_time(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// SHA-256 (lowercase hex) of the canonical encoding.
pub fn record_hash(record: &RecordFields<'_>) -> String {
    hex::encode(Sha256::digest(canonical_bytes(record)))
}

/// Serialises writers of the trail until the end of the transaction: an advisory lock on
/// PostgreSQL; nothing on SQLite, whose write transactions (`BEGIN IMMEDIATE`) already are.
pub fn lock_trail(conn: &mut DbConnection) -> DbResult<()> {
    if let DbConnection::Postgresql(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({TRAIL_LOCK})")).execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
struct ChainedAuditEvent<'a> {
    id: i64,
    at: NaiveDateTime,
    actor_key_id: Option<ApiKeyId>,
    actor_name: &'a str,
    action: &'a str,
    object_type: &'a str,
    object_id: &'a str,
    request_id: &'a str,
    detail: &'a str,
    prev_hash: String,
    hash: String,
}

/// The last record (highest id).
pub fn last(conn: &mut DbConnection) -> DbResult<Option<AuditEvent>> {
    Ok(audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::id.desc())
        .first(conn)
        .optional()?)
}

/// Appends one record, chained to the last one; call it inside the transaction that makes the
/// change (it opens a savepoint, or a transaction when there is none).
pub fn append(conn: &mut DbConnection, event: &NewAuditEvent) -> DbResult<AuditEventId> {
    let ids = append_many(conn, std::slice::from_ref(event))?;
    ids.first()
        .copied()
        .ok_or_else(|| crate::DbError::Other("no audit record was appended".into()))
}

/// Appends records in the order given, each chained to the one before: one lock, one read of
/// the last record and one multi-row insert whatever their number (the group-commit intake
/// appends a record per dossier of its batch). Ids are the last id plus one, two, …, taken under
/// the lock, so that they are known when the hashes are computed.
pub fn append_many(
    conn: &mut DbConnection,
    events: &[NewAuditEvent],
) -> DbResult<Vec<AuditEventId>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    conn.transaction(|conn| {
        lock_trail(conn)?;
        let mut previous = last(conn)?;
        if previous.as_ref().is_some_and(|p| p.hash.is_empty()) {
            chain_unchained(conn)?;
            previous = last(conn)?;
        }
        let (mut id, mut prev_hash) = match previous {
            Some(p) => (p.id.0, p.hash),
            None => (0, GENESIS.to_owned()),
        };
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            id += 1;
            let at = event.at.trunc_subsecs(6);
            let hash = record_hash(&RecordFields {
                id,
                at,
                actor_key_id: event.actor_key_id.map(|k| k.0),
                actor_name: &event.actor_name,
                action: &event.action,
                object_type: &event.object_type,
                object_id: &event.object_id,
                request_id: &event.request_id,
                detail: &event.detail,
                prev_hash: &prev_hash,
            });
            rows.push(ChainedAuditEvent {
                id,
                at,
                actor_key_id: event.actor_key_id,
                actor_name: &event.actor_name,
                action: &event.action,
                object_type: &event.object_type,
                object_id: &event.object_id,
                request_id: &event.request_id,
                detail: &event.detail,
                prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            });
        }
        insert_chained(conn, &rows)?;
        Ok(rows.iter().map(|r| AuditEventId(r.id)).collect())
    })
}

/// One statement on PostgreSQL (columns bound as arrays, see [`crate::unnest`]); statements of
/// up to 500 rows on SQLite, under its limit on bound parameters.
fn insert_chained(conn: &mut DbConnection, rows: &[ChainedAuditEvent<'_>]) -> DbResult<()> {
    match conn {
        DbConnection::Postgresql(pg) => {
            Unnest::<InsertChained>::new()
                .column::<BigInt, _, _>(rows, |r| r.id)
                .column::<Timestamp, _, _>(rows, |r| r.at)
                .column::<Nullable<BigInt>, _, _>(rows, |r| r.actor_key_id)
                .column::<Text, _, _>(rows, |r| r.actor_name)
                .column::<Text, _, _>(rows, |r| r.action)
                .column::<Text, _, _>(rows, |r| r.object_type)
                .column::<Text, _, _>(rows, |r| r.object_id)
                .column::<Text, _, _>(rows, |r| r.request_id)
                .column::<Text, _, _>(rows, |r| r.detail)
                .column::<Text, _, _>(rows, |r| r.prev_hash.as_str())
                .column::<Text, _, _>(rows, |r| r.hash.as_str())
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            for chunk in rows.chunks(500) {
                diesel::insert_into(audit_events::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

struct InsertChained;
impl Statement for InsertChained {
    const INTO: &'static str = "audit_events (id, at, actor_key_id, actor_name, action, \
         object_type, object_id, request_id, detail, prev_hash, hash)";
    const THEN: &'static str = "";
}

/// Chains the records written before the trail was chained (their `hash` is empty), in id
/// order, after the last chained one. Returns how many were chained. The append-only triggers
/// allow exactly this change: setting both hashes of a record that has none.
pub fn chain_unchained(conn: &mut DbConnection) -> DbResult<usize> {
    conn.transaction(|conn| {
        lock_trail(conn)?;
        let unchained: Vec<AuditEvent> = audit_events::table
            .filter(audit_events::hash.eq(""))
            .select(AuditEvent::as_select())
            .order(audit_events::id.asc())
            .load(conn)?;
        let Some(first) = unchained.first() else {
            return Ok(0);
        };
        let mut prev_hash = audit_events::table
            .filter(audit_events::id.lt(first.id))
            .filter(audit_events::hash.ne(""))
            .order(audit_events::id.desc())
            .select(audit_events::hash)
            .first::<String>(conn)
            .optional()?
            .unwrap_or_else(|| GENESIS.to_owned());
        for mut record in unchained.iter().cloned() {
            record.prev_hash = prev_hash;
            let hash = record.computed_hash();
            diesel::update(audit_events::table.find(record.id))
                .set((
                    audit_events::prev_hash.eq(&record.prev_hash),
                    audit_events::hash.eq(&hash),
                ))
                .execute(conn)?;
            prev_hash = hash;
        }
        Ok(unchained.len())
    })
}

/// Records with `from <= id <= to`, in id order.
pub fn range(
    conn: &mut DbConnection,
    from: Option<AuditEventId>,
    to: Option<AuditEventId>,
) -> DbResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::id.asc())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(audit_events::id.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(audit_events::id.le(to));
    }
    Ok(query.load(conn)?)
}

/// The record just before `id`, if any.
pub fn before(conn: &mut DbConnection, id: AuditEventId) -> DbResult<Option<AuditEvent>> {
    Ok(audit_events::table
        .filter(audit_events::id.lt(id))
        .select(AuditEvent::as_select())
        .order(audit_events::id.desc())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: AuditEventId) -> DbResult<AuditEvent> {
    Ok(audit_events::table
        .find(id)
        .select(AuditEvent::as_select())
        .first(conn)?)
}

/// A signed tree head over the records `first_record_id..=last_record_id`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_checkpoints)]
pub struct Checkpoint {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub first_record_id: i64,
    pub last_record_id: i64,
    pub tree_size: i64,
    /// RFC 6962 tree hash (hex) over the records' hashes.
    pub root_hash: String,
    pub last_record_hash: String,
    /// Detached CMS (DER) over [`Checkpoint::statement`]; `None`: unsigned.
    pub signature: Option<Vec<u8>>,
    /// Subject of the signing certificate.
    pub signer: Option<String>,
    /// SHA-256 (hex) of the signing certificate's DER.
    pub signer_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_checkpoints)]
pub struct NewCheckpoint {
    pub created_at: NaiveDateTime,
    pub first_record_id: i64,
    pub last_record_id: i64,
    pub tree_size: i64,
    pub root_hash: String,
    pub last_record_hash: String,
    pub signature: Option<Vec<u8>>,
    pub signer: Option<String>,
    pub signer_fingerprint: Option<String>,
}

/// The text a checkpoint's signature covers (UTF-8, lines ending in `\n`).
pub fn statement(
    created_at: NaiveDateTime,
    first_record_id: i64,
    last_record_id: i64,
    tree_size: i64,
    root_hash: &str,
    last_record_hash: &str,
) -> String {
    format!(
        "motcua audit checkpoint v1\nfirst_record_id: {first_record_id}\nlast_record_id: {last_record_id}\ntree_size: {tree_size}\nroot_hash: {root_hash}\nlast_record_hash: {last_record_hash}\ncreated_at: {}\n",
        canonical_time(created_at)
    )
}

impl Checkpoint {
    pub fn statement(&self) -> String {
        statement(
            self.created_at,
            self.first_record_id,
            self.last_record_id,
            self.tree_size,
            &self.root_hash,
            &self.last_record_hash,
        )
    }
}

pub fn insert_checkpoint(conn: &mut DbConnection, new: &NewCheckpoint) -> DbResult<Checkpoint> {
    let id: i64 = diesel::insert_into(audit_checkpoints::table)
        .values(new)
        .returning(audit_checkpoints::id)
        .get_result(conn)?;
    find_checkpoint(conn, id)
}

pub fn latest_checkpoint(conn: &mut DbConnection) -> DbResult<Option<Checkpoint>> {
    Ok(audit_checkpoints::table
        .select(Checkpoint::as_select())
        .order(audit_checkpoints::id.desc())
        .first(conn)
        .optional()?)
}

pub fn find_checkpoint(conn: &mut DbConnection, id: i64) -> DbResult<Checkpoint> {
    Ok(audit_checkpoints::table
        .find(id)
        .select(Checkpoint::as_select())
        .first(conn)?)
}

/// The first checkpoint whose records include `record`.
pub fn checkpoint_covering(
    conn: &mut DbConnection,
    record: AuditEventId,
) -> DbResult<Option<Checkpoint>> {
    Ok(audit_checkpoints::table
        .filter(audit_checkpoints::first_record_id.le(record.0))
        .filter(audit_checkpoints::last_record_id.ge(record.0))
        .select(Checkpoint::as_select())
        .order(audit_checkpoints::id.asc())
        .first(conn)
        .optional()?)
}

/// Checkpoints whose records overlap `from..=to`, in id order.
pub fn checkpoints_overlapping(
    conn: &mut DbConnection,
    from: Option<AuditEventId>,
    to: Option<AuditEventId>,
) -> DbResult<Vec<Checkpoint>> {
    let mut query = audit_checkpoints::table
        .select(Checkpoint::as_select())
        .order(audit_checkpoints::id.asc())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(audit_checkpoints::last_record_id.ge(from.0));
    }
    if let Some(to) = to {
        query = query.filter(audit_checkpoints::first_record_id.le(to.0));
    }
    Ok(query.load(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after: Option<AuditEventId>,
    limit: i64,
) -> DbResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(audit_events::id.gt(after));
    }
    if let Some(object_type) = &filter.object_type {
        query = query.filter(audit_events::object_type.eq(object_type.clone()));
    }
    if let Some(object_id) = &filter.object_id {
        query = query.filter(audit_events::object_id.eq(object_id.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    Ok(query.load(conn)?)
}
