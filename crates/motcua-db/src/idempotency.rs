//! Remembered responses for POST requests retried with the same `Idempotency-Key`. A record is
//! written in the transaction of the change it answers, so it exists exactly when the change
//! does.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::idempotency_keys;
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRecord {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
    /// `None` only inside the transaction that is writing the answer (and in rows left by
    /// versions that claimed keys before answering).
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
}

/// The record of an earlier request with `key`, if any.
pub fn find(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
) -> DbResult<Option<IdempotencyRecord>> {
    Ok(idempotency_keys::table
        .find((scope, key))
        .select(IdempotencyRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Takes `key` in the caller's transaction, before its change: a concurrent request with the
/// same key waits here (PostgreSQL) or before its transaction (SQLite) and then fails with
/// [`crate::DbError::Duplicate`], rolling its own change back.
pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    fingerprint: &str,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::key.eq(key),
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores the answer of the request that claimed the key, in the same transaction.
pub fn complete(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    status: i32,
    content_type: Option<&str>,
    location: Option<&str>,
    body: &[u8],
) -> DbResult<()> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set((
            idempotency_keys::status.eq(status),
            idempotency_keys::content_type.eq(content_type),
            idempotency_keys::location.eq(location),
            idempotency_keys::body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets keys claimed before `before`.
pub fn purge_older_than(conn: &mut DbConnection, before: NaiveDateTime) -> DbResult<usize> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
            .execute(conn)?,
    )
}
