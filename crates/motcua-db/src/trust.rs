//! The trust store: CA certificates (roots and intermediates), CRLs, and the version row that
//! tells service instances when their in-memory copy is out of date.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::certificate::TrustAnchorKind;
use motcua_core::record_ids::{ApiKeyId, CrlId, TrustAnchorId};

use crate::schema::{crls, trust_anchors, trust_store};
use crate::{DbConnection, DbResult};

/// Increments the trust store version and returns it. The row stays locked until the
/// transaction ends, so call it first in the transaction that changes the trust store.
pub fn bump_version(conn: &mut DbConnection, at: NaiveDateTime) -> DbResult<i64> {
    Ok(diesel::update(trust_store::table.find(1))
        .set((
            trust_store::version.eq(trust_store::version + 1),
            trust_store::changed_at.eq(at),
        ))
        .returning(trust_store::version)
        .get_result(conn)?)
}

/// Locks the version row without changing it and returns the version: work done in the rest of
/// the transaction cannot interleave with a change of the trust store.
pub fn lock_version(conn: &mut DbConnection) -> DbResult<i64> {
    Ok(diesel::update(trust_store::table.find(1))
        .set(trust_store::version.eq(trust_store::version))
        .returning(trust_store::version)
        .get_result(conn)?)
}

/// The current version, without locking.
pub fn version(conn: &mut DbConnection) -> DbResult<i64> {
    Ok(trust_store::table
        .find(1)
        .select(trust_store::version)
        .first(conn)?)
}

/// Records when every certificate's verdict was last recomputed.
pub fn mark_revalidated(conn: &mut DbConnection, at: NaiveDateTime) -> DbResult<()> {
    diesel::update(trust_store::table.find(1))
        .set(trust_store::revalidated_at.eq(at))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = trust_anchors)]
pub struct TrustAnchor {
    pub id: TrustAnchorId,
    pub kind: TrustAnchorKind,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub der: Vec<u8>,
    pub added_at: NaiveDateTime,
    pub added_by: Option<ApiKeyId>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = trust_anchors)]
pub struct NewTrustAnchor {
    pub kind: TrustAnchorKind,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub fingerprint: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub der: Vec<u8>,
    pub added_at: NaiveDateTime,
    pub added_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, Default)]
pub struct TrustAnchorFilter {
    pub kind: Option<TrustAnchorKind>,
    /// `true`: only certificates in the store; `false`: only removed ones.
    pub active: Option<bool>,
}

pub fn insert_anchor(conn: &mut DbConnection, new: &NewTrustAnchor) -> DbResult<TrustAnchor> {
    Ok(diesel::insert_into(trust_anchors::table)
        .values(new)
        .returning(trust_anchors::all_columns)
        .get_result(conn)?)
}

pub fn find_anchor(conn: &mut DbConnection, id: TrustAnchorId) -> DbResult<TrustAnchor> {
    Ok(trust_anchors::table
        .find(id)
        .select(TrustAnchor::as_select())
        .first(conn)?)
}

/// The certificate with this fingerprint that is in the store now, if any.
pub fn find_active_anchor_by_fingerprint(
    conn: &mut DbConnection,
    fingerprint: &str,
) -> DbResult<Option<TrustAnchor>> {
    Ok(trust_anchors::table
        .filter(trust_anchors::fingerprint.eq(fingerprint))
        .filter(trust_anchors::removed_at.is_null())
        .select(TrustAnchor::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_anchors(
    conn: &mut DbConnection,
    filter: &TrustAnchorFilter,
    after: Option<TrustAnchorId>,
    limit: i64,
) -> DbResult<Vec<TrustAnchor>> {
    let mut query = trust_anchors::table
        .select(TrustAnchor::as_select())
        .order(trust_anchors::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(trust_anchors::id.gt(after));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(trust_anchors::kind.eq(kind));
    }
    match filter.active {
        Some(true) => query = query.filter(trust_anchors::removed_at.is_null()),
        Some(false) => query = query.filter(trust_anchors::removed_at.is_not_null()),
        None => {}
    }
    Ok(query.load(conn)?)
}

/// Every certificate in the store now, in id order.
pub fn active_anchors(conn: &mut DbConnection) -> DbResult<Vec<TrustAnchor>> {
    list_anchors(
        conn,
        &TrustAnchorFilter {
            kind: None,
            active: Some(true),
        },
        None,
        i64::MAX,
    )
}

pub fn count_active_anchors(conn: &mut DbConnection) -> DbResult<i64> {
    Ok(trust_anchors::table
        .filter(trust_anchors::removed_at.is_null())
        .count()
        .get_result(conn)?)
}

pub fn remove_anchor(
    conn: &mut DbConnection,
    id: TrustAnchorId,
    at: NaiveDateTime,
    by: Option<ApiKeyId>,
) -> DbResult<TrustAnchor> {
    Ok(diesel::update(trust_anchors::table.find(id))
        .set((
            trust_anchors::removed_at.eq(at),
            trust_anchors::removed_by.eq(by),
        ))
        .returning(trust_anchors::all_columns)
        .get_result(conn)?)
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = crls)]
pub struct CrlRecord {
    pub id: CrlId,
    pub issuer: String,
    pub this_update: NaiveDateTime,
    pub next_update: Option<NaiveDateTime>,
    /// cRLNumber, hex.
    pub number: Option<String>,
    pub revoked_count: i64,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint: String,
    pub der: Vec<u8>,
    pub added_at: NaiveDateTime,
    pub added_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crls)]
pub struct NewCrl {
    pub issuer: String,
    pub this_update: NaiveDateTime,
    pub next_update: Option<NaiveDateTime>,
    pub number: Option<String>,
    pub revoked_count: i64,
    pub fingerprint: String,
    pub der: Vec<u8>,
    pub added_at: NaiveDateTime,
    pub added_by: Option<ApiKeyId>,
}

pub fn insert_crl(conn: &mut DbConnection, new: &NewCrl) -> DbResult<CrlRecord> {
    Ok(diesel::insert_into(crls::table)
        .values(new)
        .returning(crls::all_columns)
        .get_result(conn)?)
}

pub fn find_crl(conn: &mut DbConnection, id: CrlId) -> DbResult<CrlRecord> {
    Ok(crls::table
        .find(id)
        .select(CrlRecord::as_select())
        .first(conn)?)
}

pub fn find_crl_by_fingerprint(
    conn: &mut DbConnection,
    fingerprint: &str,
) -> DbResult<Option<CrlRecord>> {
    Ok(crls::table
        .filter(crls::fingerprint.eq(fingerprint))
        .select(CrlRecord::as_select())
        .first(conn)
        .optional()?)
}

/// CRLs in id order; `issuer` matches the issuer text exactly.
pub fn list_crls(
    conn: &mut DbConnection,
    issuer: Option<&str>,
    after: Option<CrlId>,
    limit: i64,
) -> DbResult<Vec<CrlRecord>> {
    let mut query = crls::table
        .select(CrlRecord::as_select())
        .order(crls::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(crls::id.gt(after));
    }
    if let Some(issuer) = issuer {
        query = query.filter(crls::issuer.eq(issuer.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// The newest CRLs, at most `per_issuer` per issuer name, oldest first: what a trust store
/// needs (it keeps the newest CRL of each issuer and key; an issuer re-keyed recently may sign
/// with two keys, hence more than one per name).
pub fn recent_crls(conn: &mut DbConnection, per_issuer: usize) -> DbResult<Vec<CrlRecord>> {
    let headers: Vec<(CrlId, String)> = crls::table
        .select((crls::id, crls::issuer))
        .order((crls::this_update.desc(), crls::id.desc()))
        .load(conn)?;
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let kept: Vec<CrlId> = headers
        .into_iter()
        .filter(|(_, issuer)| {
            let count = seen.entry(issuer.clone()).or_default();
            *count += 1;
            *count <= per_issuer
        })
        .map(|(id, _)| id)
        .collect();
    Ok(crls::table
        .filter(crls::id.eq_any(kept))
        .select(CrlRecord::as_select())
        .order((crls::this_update.asc(), crls::id.asc()))
        .load(conn)?)
}
