//! Registered certificates of officials (personal) and units (collective), with the latest
//! verdict of each.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::certificate::CertificateKind;
use motcua_core::record_ids::{ApiKeyId, CertificateId, OfficialId, UnitId};

use crate::schema::{certificates, officials};
use crate::{DbConnection, DbResult};

/// A whole row, DER and verdict included.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct StoredCertificate {
    pub id: CertificateId,
    pub kind: CertificateKind,
    pub official_id: Option<OfficialId>,
    pub unit_id: Option<UnitId>,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub der: Vec<u8>,
    /// Whether the certificate names its holder (checked at registration).
    pub bound: bool,
    /// JSON: how the holder was matched.
    pub binding: String,
    /// Status of the latest verdict (`valid`, `revoked`, …).
    pub status: String,
    /// One sentence of the latest verdict.
    pub summary: String,
    /// JSON: the latest verdict.
    pub verdict: String,
    pub validated_at: NaiveDateTime,
    /// Bound and valid at `validated_at`.
    pub usable: bool,
    pub registered_at: NaiveDateTime,
    pub registered_by: Option<ApiKeyId>,
}

/// A row without its DER and verdict, for lists and reports.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct CertificateSummary {
    pub id: CertificateId,
    pub kind: CertificateKind,
    pub official_id: Option<OfficialId>,
    pub unit_id: Option<UnitId>,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub fingerprint: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub bound: bool,
    pub binding: String,
    pub status: String,
    pub summary: String,
    pub validated_at: NaiveDateTime,
    pub usable: bool,
    pub registered_at: NaiveDateTime,
    pub registered_by: Option<ApiKeyId>,
}

impl From<StoredCertificate> for CertificateSummary {
    fn from(c: StoredCertificate) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            official_id: c.official_id,
            unit_id: c.unit_id,
            subject: c.subject,
            issuer: c.issuer,
            serial: c.serial,
            fingerprint: c.fingerprint,
            not_before: c.not_before,
            not_after: c.not_after,
            bound: c.bound,
            binding: c.binding,
            status: c.status,
            summary: c.summary,
            validated_at: c.validated_at,
            usable: c.usable,
            registered_at: c.registered_at,
            registered_by: c.registered_by,
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = certificates)]
pub struct NewCertificate {
    pub kind: CertificateKind,
    pub official_id: Option<OfficialId>,
    pub unit_id: Option<UnitId>,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub fingerprint: String,
    pub not_before: NaiveDateTime,
    pub not_after: NaiveDateTime,
    pub der: Vec<u8>,
    pub bound: bool,
    pub binding: String,
    pub status: String,
    pub summary: String,
    pub verdict: String,
    pub validated_at: NaiveDateTime,
    pub usable: bool,
    pub registered_at: NaiveDateTime,
    pub registered_by: Option<ApiKeyId>,
}

/// A recomputed verdict.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = certificates)]
pub struct VerdictUpdate {
    pub status: String,
    pub summary: String,
    pub verdict: String,
    pub validated_at: NaiveDateTime,
    pub usable: bool,
}

/// What revalidation needs of a row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct RevalidationRow {
    pub id: CertificateId,
    pub der: Vec<u8>,
    pub bound: bool,
    pub status: String,
    pub usable: bool,
}

/// Filters of the certificate list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    pub official: Option<OfficialId>,
    /// Certificates held in these units: collective certificates of the units and personal
    /// certificates of the officials who work there now.
    pub held_in: Option<Vec<UnitId>>,
    pub kind: Option<CertificateKind>,
    pub status: Option<String>,
    pub usable: Option<bool>,
    /// notAfter from (inclusive) .. to (inclusive).
    pub not_after_between: Option<(NaiveDateTime, NaiveDateTime)>,
}

pub fn insert(conn: &mut DbConnection, new: &NewCertificate) -> DbResult<StoredCertificate> {
    Ok(diesel::insert_into(certificates::table)
        .values(new)
        .returning(certificates::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConnection, id: CertificateId) -> DbResult<StoredCertificate> {
    Ok(certificates::table
        .find(id)
        .select(StoredCertificate::as_select())
        .first(conn)?)
}

pub fn find_by_fingerprint(
    conn: &mut DbConnection,
    fingerprint: &str,
) -> DbResult<Option<CertificateSummary>> {
    Ok(certificates::table
        .filter(certificates::fingerprint.eq(fingerprint))
        .select(CertificateSummary::as_select())
        .first(conn)
        .optional()?)
}

/// One page in id order, starting after `after`.
pub fn list(
    conn: &mut DbConnection,
    filter: &CertificateFilter,
    after: Option<CertificateId>,
    limit: i64,
) -> DbResult<Vec<CertificateSummary>> {
    let mut query = certificates::table
        .select(CertificateSummary::as_select())
        .order(certificates::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(certificates::id.gt(after));
    }
    if let Some(official) = filter.official {
        query = query.filter(certificates::official_id.eq(official));
    }
    if let Some(units) = &filter.held_in {
        let officials_there = officials::table
            .filter(officials::unit_id.eq_any(units.clone()))
            .select(officials::id);
        query = query.filter(
            certificates::unit_id
                .assume_not_null()
                .eq_any(units.clone())
                .or(certificates::official_id
                    .assume_not_null()
                    .eq_any(officials_there)),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(certificates::kind.eq(kind));
    }
    if let Some(status) = &filter.status {
        query = query.filter(certificates::status.eq(status.clone()));
    }
    if let Some(usable) = filter.usable {
        query = query.filter(certificates::usable.eq(usable));
    }
    if let Some((from, to)) = filter.not_after_between {
        query = query
            .filter(certificates::not_after.ge(from))
            .filter(certificates::not_after.le(to));
    }
    Ok(query.load(conn)?)
}

/// Up to `limit` rows to revalidate, in id order after `after`.
pub fn for_revalidation(
    conn: &mut DbConnection,
    after: Option<CertificateId>,
    limit: i64,
) -> DbResult<Vec<RevalidationRow>> {
    let mut query = certificates::table
        .select(RevalidationRow::as_select())
        .order(certificates::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(certificates::id.gt(after));
    }
    Ok(query.load(conn)?)
}

pub fn set_verdict(
    conn: &mut DbConnection,
    id: CertificateId,
    update: &VerdictUpdate,
) -> DbResult<()> {
    diesel::update(certificates::table.find(id))
        .set(update)
        .execute(conn)?;
    Ok(())
}
