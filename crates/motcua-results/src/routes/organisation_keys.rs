//! Private keys of units' collective certificates, stored encrypted to sign electronic results.
//! Key material is accepted, never returned: lists show which certificates have a key.

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::certificate::CertificateKind;
use motcua_core::record_ids::{CertificateId, UnitId};
use motcua_db::certificates::StoredCertificate;
use motcua_db::organisation_key_devices::{self, NewDeviceKey};
use motcua_db::organisation_keys::{self, KeyListing, NewKey};
use motcua_db::{certificates, now, units, DbConnection, DbError};
use motcua_keys::pkcs11::{DeviceError, DeviceKey, DeviceSigner};
use motcua_pki::Certificate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::utc;
use crate::auth::{Principal, UnitScope};
use crate::certificate_registry::fingerprint;
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_keys::keystore;
use motcua_web::answer::Answer;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::{PathId, ValidJson};
use motcua_web::request_id::RequestId;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreKeyRequest {
    /// A registered, usable collective certificate of the unit.
    pub certificate_id: CertificateId,
    /// The PKCS#12 file (`.p12`, `.pfx`) holding the certificate and its private key, base64.
    pub pkcs12_base64: String,
    /// The password of the PKCS#12 file; used once, never stored.
    pub password: String,
}

impl std::fmt::Debug for StoreKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreKeyRequest")
            .field("certificate_id", &self.certificate_id)
            .finish_non_exhaustive()
    }
}

/// A stored key, without key material.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganisationKeyView {
    pub id: i64,
    pub certificate_id: CertificateId,
    /// SHA-256 of the certificate's DER, lowercase hex.
    pub fingerprint_sha256: String,
    /// Whether the certificate is usable now (bound to the unit and valid).
    pub usable: bool,
    pub created_at: DateTime<Utc>,
    /// The PKCS#11 token or HSM holding the key; absent for a stored (PKCS#12) key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceKey>,
}

impl From<KeyListing> for OrganisationKeyView {
    fn from(k: KeyListing) -> Self {
        Self {
            id: k.id,
            certificate_id: k.certificate_id,
            fingerprint_sha256: k.fingerprint,
            usable: k.usable,
            created_at: utc(k.created_at),
            device: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganisationKeyList {
    pub items: Vec<OrganisationKeyView>,
}

/// Store the private key of a unit's collective certificate (admins only), to sign the unit's
/// electronic results. The certificate must be a registered, usable collective certificate of
/// the unit and the PKCS#12 file must hold that very certificate. The key is stored encrypted
/// under the service's key-store password and is never returned.
#[utoipa::path(tag = "certificates", params(("id" = i64, Path)), request_body = StoreKeyRequest, responses((status = 201, body = OrganisationKeyView), WriteErrors), security(("api_key" = [])))]
#[post("/units/{id}/organisation-keys")]
pub async fn store_organisation_key(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
    body: ValidJson<StoreKeyRequest>,
) -> Result<Answer, ApiError> {
    who.require_admin("store organisation keys")?;
    let unit = UnitId(id.into_inner());
    let request = body.into_inner();
    let password = keystore::password(state.config.keystore_password.as_ref())?.clone();
    let uploaded = base64::engine::general_purpose::STANDARD
        .decode(
            request
                .pkcs12_base64
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>(),
        )
        .map_err(|_| ApiError::invalid("pkcs12_base64", "is not base64"))?;
    let certificate_id = request.certificate_id;
    // Key derivation is slow on purpose: off the async threads.
    let sealed =
        actix_web::web::block(move || keystore::seal(&uploaded, &request.password, &password))
            .await
            .map_err(|e| ApiError::internal(format!("sealing task failed: {e}")))??;
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            let stored = collective_certificate(conn, unit, certificate_id)?;
            let uploaded_fingerprint = fingerprint(sealed.certificate.der());
            if uploaded_fingerprint != stored.fingerprint {
                return Err(ApiError::invalid(
                    "pkcs12_base64",
                    format!(
                        "the PKCS#12 file holds another certificate ({}, SHA-256 {uploaded_fingerprint}) \
                         than certificate {certificate_id}",
                        sealed.certificate.info().subject.text
                    ),
                ));
            }
            refuse_second_key(conn, certificate_id)?;
            let created_at = now();
            let key_id = organisation_keys::insert(
                conn,
                &NewKey {
                    certificate_id,
                    pkcs12: sealed.pkcs12,
                    created_at,
                    created_by: actor.key_id,
                },
            )
            .map_err(|e| match e {
                DbError::Duplicate { .. } => ApiError::Conflict(format!(
                    "certificate {certificate_id} already has a stored key"
                )),
                other => other.into(),
            })?;
            let view = OrganisationKeyView {
                id: key_id,
                certificate_id,
                fingerprint_sha256: stored.fingerprint,
                usable: stored.usable,
                created_at: utc(created_at),
                device: None,
            };
            actor.record(conn, "organisation_key.store", "certificate", certificate_id, &view)?;
            Answer::created(Some(format!("/units/{unit}/organisation-keys")), &view)
        })
        .await
}

/// Which collective certificates of the unit have a stored key (ids and fingerprints only).
#[utoipa::path(tag = "certificates", params(("id" = i64, Path)), responses((status = 200, body = OrganisationKeyList), ReadErrors), security(("api_key" = [])))]
#[get("/units/{id}/organisation-keys")]
pub async fn list_organisation_keys(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<OrganisationKeyList>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let unit = UnitId(id.into_inner());
    let rows = state
        .read(move |conn| {
            units::find(conn, unit).map_err(ApiError::not_found_as(format!("unit {unit}")))?;
            who.require_unit(conn, unit)?;
            let stored = organisation_keys::list_for_unit(conn, unit)?;
            let on_devices = organisation_key_devices::list_for_unit(conn, unit)?;
            Ok((stored, on_devices))
        })
        .await?;
    let (stored, on_devices) = rows;
    let mut items: Vec<OrganisationKeyView> = stored.into_iter().map(Into::into).collect();
    for (row, fingerprint, usable) in on_devices {
        items.push(OrganisationKeyView {
            id: row.id,
            certificate_id: row.certificate_id,
            fingerprint_sha256: fingerprint,
            usable,
            created_at: utc(row.created_at),
            device: serde_json::from_str(&row.device).ok(),
        });
    }
    items.sort_by_key(|item| item.certificate_id);
    Ok(Json(OrganisationKeyList { items }))
}

/// A certificate bound to a PKCS#11 key: the device, checked by signing with it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceKeyRequest {
    /// A registered, usable collective certificate of the unit.
    pub certificate_id: CertificateId,
    /// The token or HSM holding the certificate's private key; the PIN is read by the service
    /// from `pin_source` (a variable or file of its own), never sent.
    pub device: DeviceKey,
}

/// Bind a unit's collective certificate to a private key held on a PKCS#11 token or HSM
/// (admins only), instead of a stored PKCS#12 file. The service signs a probe with the key and
/// checks it against the certificate before it records the binding; a token that is absent,
/// refuses the PIN or does not answer is a 503 `signing-device-unavailable` naming it.
#[utoipa::path(tag = "certificates", params(("id" = i64, Path)), request_body = DeviceKeyRequest, responses((status = 201, body = OrganisationKeyView), WriteErrors), security(("api_key" = [])))]
#[post("/units/{id}/organisation-keys/device")]
pub async fn bind_device_key(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
    body: ValidJson<DeviceKeyRequest>,
) -> Result<Answer, ApiError> {
    who.require_admin("bind organisation keys")?;
    let unit = UnitId(id.into_inner());
    let DeviceKeyRequest {
        certificate_id,
        device,
    } = body.into_inner();
    device.check("device.")?;
    let stored = state
        .read(move |conn| {
            let stored = collective_certificate(conn, unit, certificate_id)?;
            refuse_second_key(conn, certificate_id)?;
            Ok(stored)
        })
        .await?;
    let certificate = Certificate::from_der(&stored.der)
        .map_err(|e| ApiError::internal(format!("stored certificate {certificate_id}: {e}")))?;
    let probed = device.clone();
    // The token is asked on a blocking thread; the pool bounds the wait.
    actix_web::web::block(move || {
        let signer = DeviceSigner::new(probed.clone(), certificate).map_err(|e| match e {
            DeviceError::Key(reason) => ApiError::invalid("device", reason),
            other => other.to_api(&probed),
        })?;
        signer.probe().map_err(|e| match e {
            DeviceError::Key(reason) => ApiError::invalid("device", reason),
            other => other.to_api(&probed),
        })
    })
    .await
    .map_err(|e| ApiError::internal(format!("probing task failed: {e}")))??;
    let actor = Actor::new(&who, &request_id);
    let device_json = motcua_web::error::to_json_text(&device)?;
    state
        .write_answer(move |conn| {
            refuse_second_key(conn, certificate_id)?;
            let created_at = now();
            let key_id = organisation_key_devices::insert(
                conn,
                &NewDeviceKey {
                    certificate_id,
                    device: device_json,
                    created_at,
                    created_by: actor.key_id,
                },
            )
            .map_err(|e| match e {
                DbError::Duplicate { .. } => {
                    ApiError::Conflict(format!("certificate {certificate_id} already has a key"))
                }
                other => other.into(),
            })?;
            let view = OrganisationKeyView {
                id: key_id,
                certificate_id,
                fingerprint_sha256: stored.fingerprint,
                usable: stored.usable,
                created_at: utc(created_at),
                device: Some(device),
            };
            actor.record(
                conn,
                "organisation_key.bind_device",
                "certificate",
                certificate_id,
                &view,
            )?;
            Answer::created(Some(format!("/units/{unit}/organisation-keys")), &view)
        })
        .await
}

/// The registered, usable collective certificate `certificate_id` of `unit`; errors name
/// `certificate_id`.
fn collective_certificate(
    conn: &mut DbConnection,
    unit: UnitId,
    certificate_id: CertificateId,
) -> Result<StoredCertificate, ApiError> {
    units::find(conn, unit).map_err(ApiError::not_found_as(format!("unit {unit}")))?;
    let stored = certificates::find(conn, certificate_id).map_err(|e| match e {
        DbError::NotFound => ApiError::invalid(
            "certificate_id",
            format!("there is no certificate {certificate_id}"),
        ),
        other => other.into(),
    })?;
    if stored.kind != CertificateKind::Organisation || stored.unit_id != Some(unit) {
        return Err(ApiError::invalid(
            "certificate_id",
            format!("certificate {certificate_id} is not a collective certificate of unit {unit}"),
        ));
    }
    if !stored.usable {
        return Err(ApiError::invalid(
            "certificate_id",
            format!(
                "certificate {certificate_id} is not usable (status `{}`: {})",
                stored.status, stored.summary
            ),
        ));
    }
    Ok(stored)
}

/// A certificate has one key: stored, or on a device.
fn refuse_second_key(
    conn: &mut DbConnection,
    certificate_id: CertificateId,
) -> Result<(), ApiError> {
    if organisation_keys::find_for_certificate(conn, certificate_id)?.is_some()
        || organisation_key_devices::find_for_certificate(conn, certificate_id)?.is_some()
    {
        return Err(ApiError::Conflict(format!(
            "certificate {certificate_id} already has a key"
        )));
    }
    Ok(())
}
