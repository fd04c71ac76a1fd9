//! Remembered responses for POST requests retried with the same `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::idempotency_keys;
use crate::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRecord {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
    /// `None` while the first request is still being processed.
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
}

/// What happened when a request claimed its key.
#[derive(Debug)]
pub enum Claim {
    /// This request is the first with the key and must be processed.
    Claimed,
    /// The key was used before; here is what was recorded.
    Existing(IdempotencyRecord),
}

/// Claims `key` for a request, or returns the record of the earlier request with it.
pub fn claim(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    fingerprint: &str,
    at: NaiveDateTime,
) -> DbResult<Claim> {
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::key.eq(key),
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::created_at.eq(at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Claim::Claimed),
        Err(error) => match DbError::from(error) {
            DbError::Duplicate { .. } => Ok(Claim::Existing(
                idempotency_keys::table
                    .find((scope, key))
                    .select(IdempotencyRecord::as_select())
                    .first(conn)?,
            )),
            other => Err(other),
        },
    }
}

/// Stores the response of the request that claimed the key.
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

/// Frees the key (the request failed in a way a retry may fix).
pub fn release(conn: &mut DbConnection, scope: &str, key: &str) -> DbResult<()> {
    diesel::delete(idempotency_keys::table.find((scope, key))).execute(conn)?;
    Ok(())
}

/// Forgets keys claimed before `before`.
pub fn purge_older_than(conn: &mut DbConnection, before: NaiveDateTime) -> DbResult<usize> {
    Ok(
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
            .execute(conn)?,
    )
}
