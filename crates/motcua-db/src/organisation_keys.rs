//! Private keys of units' collective certificates, encrypted at rest (see
//! `motcua_keys::keystore`). Rows are never returned by the API, only which certificates
//! have one.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::record_ids::{ApiKeyId, CertificateId, UnitId};

use crate::schema::{certificates, organisation_keys};
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = organisation_keys)]
pub struct StoredKey {
    pub id: i64,
    pub certificate_id: CertificateId,
    /// PKCS#12 encrypted under the key-store password.
    pub pkcs12: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organisation_keys)]
pub struct NewKey {
    pub certificate_id: CertificateId,
    pub pkcs12: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

/// What lists show of a stored key: no key material.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyListing {
    pub id: i64,
    pub certificate_id: CertificateId,
    pub fingerprint: String,
    pub usable: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewKey) -> DbResult<i64> {
    Ok(diesel::insert_into(organisation_keys::table)
        .values(new)
        .returning(organisation_keys::id)
        .get_result(conn)?)
}

pub fn find_for_certificate(
    conn: &mut DbConnection,
    certificate: CertificateId,
) -> DbResult<Option<StoredKey>> {
    Ok(organisation_keys::table
        .filter(organisation_keys::certificate_id.eq(certificate))
        .select(StoredKey::as_select())
        .first(conn)
        .optional()?)
}

/// Keys of the collective certificates of `unit`, in certificate id order.
pub fn list_for_unit(conn: &mut DbConnection, unit: UnitId) -> DbResult<Vec<KeyListing>> {
    let rows: Vec<(i64, CertificateId, String, bool, NaiveDateTime)> = organisation_keys::table
        .inner_join(certificates::table)
        .filter(certificates::unit_id.eq(unit))
        .order(certificates::id.asc())
        .select((
            organisation_keys::id,
            organisation_keys::certificate_id,
            certificates::fingerprint,
            certificates::usable,
            organisation_keys::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, certificate_id, fingerprint, usable, created_at)| KeyListing {
                id,
                certificate_id,
                fingerprint,
                usable,
                created_at,
            },
        )
        .collect())
}

/// The stored key whose certificate has the SHA-256 `fingerprint` (hex), with whether that
/// certificate is usable now: what `MOTCUA_AUDIT_CHECKPOINT_KEY` names.
pub fn find_by_fingerprint(
    conn: &mut DbConnection,
    fingerprint: &str,
) -> DbResult<Option<(StoredKey, bool)>> {
    Ok(organisation_keys::table
        .inner_join(certificates::table)
        .filter(certificates::fingerprint.eq(fingerprint))
        .select((StoredKey::as_select(), certificates::usable))
        .first(conn)
        .optional()?)
}
