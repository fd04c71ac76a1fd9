//! Organisation keys held on a PKCS#11 token or HSM: which device holds the key of a registered
//! collective certificate (see `motcua_keys::pkcs11`). No secret is stored: the PIN source is
//! the name of a variable or file of the service.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::record_ids::{ApiKeyId, CertificateId, UnitId};

use crate::schema::{certificates, organisation_key_devices};
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = organisation_key_devices)]
pub struct DeviceKeyRow {
    pub id: i64,
    pub certificate_id: CertificateId,
    /// JSON of the device (`motcua_keys::pkcs11::DeviceKey`).
    pub device: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organisation_key_devices)]
pub struct NewDeviceKey {
    pub certificate_id: CertificateId,
    pub device: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

pub fn insert(conn: &mut DbConnection, new: &NewDeviceKey) -> DbResult<i64> {
    Ok(diesel::insert_into(organisation_key_devices::table)
        .values(new)
        .returning(organisation_key_devices::id)
        .get_result(conn)?)
}

pub fn find_for_certificate(
    conn: &mut DbConnection,
    certificate: CertificateId,
) -> DbResult<Option<DeviceKeyRow>> {
    Ok(organisation_key_devices::table
        .filter(organisation_key_devices::certificate_id.eq(certificate))
        .select(DeviceKeyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Device-held keys of the collective certificates of `unit`, with each certificate's
/// fingerprint and whether it is usable, in certificate id order.
pub fn list_for_unit(
    conn: &mut DbConnection,
    unit: UnitId,
) -> DbResult<Vec<(DeviceKeyRow, String, bool)>> {
    Ok(organisation_key_devices::table
        .inner_join(certificates::table)
        .filter(certificates::unit_id.eq(unit))
        .order(certificates::id.asc())
        .select((
            DeviceKeyRow::as_select(),
            certificates::fingerprint,
            certificates::usable,
        ))
        .load(conn)?)
}
