//! The private key of a unit's collective certificate, which signs issued reports (and, at the
//! province, receipts): stored encrypted, or held on a PKCS#11 token or HSM. No endpoint ever
//! returns key material.

use std::sync::Arc;

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_audit::Actor;
use motcua_core::record_ids::UnitId;
use motcua_db::now;
use motcua_db::reports::{self, NewOrganisationKey, OrganisationKey};
use motcua_keys::keystore::{self, OrganisationSigner};
use motcua_keys::pkcs11::{DeviceError, DeviceKey, DeviceSigner};
use motcua_pki::binding::bind_to_unit;
use motcua_pki::{parse_certificates, Certificate, PkiError};
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::ValidJson;
use motcua_web::request_id::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::state::AppState;

/// A PKCS#12 file is a few KiB; anything far larger is not one.
const MAX_PKCS12_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreOrganisationKey {
    /// The unit whose collective certificate this is (its id in the results service).
    pub unit_id: UnitId,
    /// The PKCS#12 file (.p12, .pfx) with the key and its certificate, base64.
    pub pkcs12_base64: String,
    /// The PKCS#12 file's password; it is not stored.
    pub password: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationKeyView {
    pub id: i64,
    pub unit_id: UnitId,
    pub subject: String,
    pub issuer: String,
    pub fingerprint_sha256: String,
    pub not_after: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The PKCS#11 token or HSM holding the key; absent for a stored (PKCS#12) key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceKey>,
}

fn key_view(key: &OrganisationKey) -> Result<OrganisationKeyView, ApiError> {
    let certificate = Certificate::from_der(&key.certificate).map_err(ApiError::internal_from)?;
    let info = certificate.info();
    Ok(OrganisationKeyView {
        id: key.id,
        unit_id: key.unit_id,
        subject: info.subject.text.clone(),
        issuer: info.issuer.text.clone(),
        fingerprint_sha256: info.fingerprint_sha256.clone(),
        not_after: info.not_after,
        created_at: key.created_at.and_utc(),
        device: key
            .device
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(ApiError::internal_from)?,
    })
}

/// The signer of a stored organisation key, of either kind: the PKCS#12 opened with the
/// key-store password, or the key on its device (the token is asked nothing until a signature).
pub(crate) fn organisation_signer(
    state: &AppState,
    key: &OrganisationKey,
) -> Result<Arc<dyn OrganisationSigner>, ApiError> {
    match (&key.pkcs12, &key.device) {
        (Some(pkcs12), _) => {
            let password = keystore::password(state.config.keystore_password.as_ref())?;
            state.signers.signer(key.id, pkcs12, password)
        }
        (None, Some(device)) => state
            .signers
            .device_signer(key.id, device, &key.certificate),
        (None, None) => Err(ApiError::internal(format!(
            "organisation key {} has neither a PKCS#12 nor a device",
            key.id
        ))),
    }
}

/// The problem of a failed signature by an organisation key: a device that cannot sign is the
/// 503 `signing-device-unavailable`, anything else an internal error about `what`.
pub(crate) fn signature_failed(what: &str, error: PkiError) -> ApiError {
    match error {
        PkiError::SigningDevice(reason) => ApiError::SigningDeviceUnavailable(reason),
        other => ApiError::internal(format!("{what}: {other}")),
    }
}

/// When the results service is configured, `certificate` must name unit `unit_id`; errors name
/// `field`.
async fn require_names_unit(
    state: &AppState,
    unit_id: UnitId,
    certificate: &Certificate,
    field: &str,
) -> Result<(), ApiError> {
    let Some(client) = &state.results else {
        return Ok(());
    };
    let unit = client
        .unit(unit_id)
        .await
        .map_err(|error| {
            if error.is_unknown_record() {
                ApiError::invalid("unit_id", "no such unit in the results service")
            } else {
                ApiError::BadGateway(format!("cannot read the unit: {error}"))
            }
        })?
        .value;
    let binding = bind_to_unit(
        certificate,
        &unit.name,
        unit.tax_code.as_deref(),
        unit.budget_code.as_deref(),
    );
    if !binding.bound {
        return Err(ApiError::invalid(field, binding.detail));
    }
    Ok(())
}

/// Stores (or rotates) a unit's organisation key. Admins only. When the results service is
/// configured, the certificate must name the unit (tax code, budget code or name).
#[utoipa::path(tag = "organisation-keys", request_body = StoreOrganisationKey, responses((status = 201, body = OrganisationKeyView), WriteErrors), security(("api_key" = [])))]
#[post("/organisation-keys")]
pub async fn store_organisation_key(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<StoreOrganisationKey>,
) -> Result<Answer, ApiError> {
    who.require_admin("store organisation keys")?;
    let body = body.into_inner();
    let password = keystore::password(state.config.keystore_password.as_ref())?.clone();
    let uploaded = STANDARD
        .decode(body.pkcs12_base64.trim())
        .map_err(|_| ApiError::invalid("pkcs12_base64", "not base64"))?;
    if uploaded.len() > MAX_PKCS12_BYTES {
        return Err(ApiError::invalid(
            "pkcs12_base64",
            format!("larger than {MAX_PKCS12_BYTES} bytes: not a PKCS#12 key file"),
        ));
    }
    let sealed =
        actix_web::web::block(move || keystore::seal(&uploaded, &body.password, &password))
            .await
            .map_err(ApiError::internal_from)??;
    require_names_unit(&state, body.unit_id, &sealed.certificate, "pkcs12_base64").await?;
    let actor = Actor::new(&who, &request_id);
    let key = NewOrganisationKey {
        unit_id: body.unit_id,
        certificate: sealed.certificate.der().to_vec(),
        pkcs12: Some(sealed.pkcs12),
        created_at: now(),
        created_by: Some(who.key_id),
        device: None,
    };
    store_key(&state, actor, key, "organisation_key.stored").await
}

/// Records `key` (the unit's newest key from now on) and its audit event `action`.
async fn store_key(
    state: &AppState,
    actor: Actor,
    key: NewOrganisationKey,
    action: &'static str,
) -> Result<Answer, ApiError> {
    state
        .write_answer(move |conn| {
            let id = reports::insert_key(conn, &key)?;
            let stored = reports::keys_of(conn, Some(key.unit_id))?
                .into_iter()
                .find(|stored| stored.id == id)
                .ok_or_else(|| ApiError::internal("the stored key vanished"))?;
            let view = key_view(&stored)?;
            let mut details = serde_json::json!({
                "unit_id": view.unit_id, "subject": view.subject,
                "fingerprint_sha256": view.fingerprint_sha256,
            });
            if let Some(device) = &view.device {
                details["device"] =
                    serde_json::to_value(device).map_err(ApiError::internal_from)?;
            }
            actor.record(conn, action, "organisation_key", id, &details)?;
            Answer::created(None, &view)
        })
        .await
}

/// A unit's collective certificate whose private key is on a PKCS#11 token or HSM.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindDeviceKey {
    /// The unit whose collective certificate this is (its id in the results service).
    pub unit_id: UnitId,
    /// The collective certificate, PEM (or base64 DER between PEM lines).
    pub certificate_pem: String,
    /// The token or HSM holding the certificate's private key; the PIN is read by the service
    /// from `pin_source` (a variable or file of its own), never sent.
    pub device: DeviceKey,
}

/// Binds a unit's organisation key to a PKCS#11 token or HSM (admins only), instead of a stored
/// PKCS#12 file; it becomes the unit's key for new signatures. The service signs a probe with
/// the key and checks it against the certificate before it records anything; a token that is
/// absent, refuses the PIN or does not answer is a 503 `signing-device-unavailable` naming it.
/// When the results service is configured, the certificate must name the unit.
#[utoipa::path(tag = "organisation-keys", request_body = BindDeviceKey, responses((status = 201, body = OrganisationKeyView), WriteErrors), security(("api_key" = [])))]
#[post("/organisation-keys/device")]
pub async fn bind_device_key(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<BindDeviceKey>,
) -> Result<Answer, ApiError> {
    who.require_admin("bind organisation keys")?;
    let BindDeviceKey {
        unit_id,
        certificate_pem,
        device,
    } = body.into_inner();
    device.check("device.")?;
    let certificate = single_certificate(&certificate_pem)?;
    require_names_unit(&state, unit_id, &certificate, "certificate_pem").await?;
    probe_device(device.clone(), certificate.clone()).await?;
    let key = NewOrganisationKey {
        unit_id,
        certificate: certificate.der().to_vec(),
        pkcs12: None,
        created_at: now(),
        created_by: Some(who.key_id),
        device: Some(motcua_web::error::to_json_text(&device)?),
    };
    let actor = Actor::new(&who, &request_id);
    store_key(&state, actor, key, "organisation_key.bound_device").await
}

/// The one certificate of `pem`; errors name `certificate_pem`.
fn single_certificate(pem: &str) -> Result<Certificate, ApiError> {
    let mut certificates = parse_certificates(pem.as_bytes())
        .map_err(|e| ApiError::invalid("certificate_pem", e.to_string()))?;
    if certificates.len() != 1 {
        return Err(ApiError::invalid(
            "certificate_pem",
            format!("holds {} certificates, not one", certificates.len()),
        ));
    }
    Ok(certificates.remove(0))
}

/// Signs a probe with the device's key and checks it against `certificate`, on a blocking
/// thread: a key that is missing or not the certificate's is a 422 on `device`, an unusable
/// token a 503.
async fn probe_device(device: DeviceKey, certificate: Certificate) -> Result<(), ApiError> {
    let as_api = |device: &DeviceKey, error: DeviceError| match error {
        DeviceError::Key(reason) => ApiError::invalid("device", reason),
        other => other.to_api(device),
    };
    actix_web::web::block(move || {
        let signer = DeviceSigner::new(device.clone(), certificate)
            .map_err(|error| as_api(&device, error))?;
        signer.probe().map_err(|error| as_api(&device, error))
    })
    .await
    .map_err(|e| ApiError::internal(format!("probing task failed: {e}")))?
}

/// Which organisation keys are stored (certificates only, never key material).
#[utoipa::path(tag = "organisation-keys", responses((status = 200, body = Vec<OrganisationKeyView>), ReadErrors), security(("api_key" = [])))]
#[get("/organisation-keys")]
pub async fn list_organisation_keys(
    state: Data<AppState>,
    who: Principal,
) -> Result<Json<Vec<OrganisationKeyView>>, ApiError> {
    who.require_admin("list organisation keys")?;
    let keys = state
        .read(|conn| {
            reports::keys_of(conn, None)?
                .iter()
                .map(key_view)
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    Ok(Json(keys))
}
