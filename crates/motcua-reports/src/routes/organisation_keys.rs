//! The private key of a unit's collective certificate, which signs issued reports (and, at the
//! province, receipts). Stored encrypted; no endpoint ever returns key material.

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_audit::Actor;
use motcua_core::record_ids::UnitId;
use motcua_db::now;
use motcua_db::reports::{self, NewOrganisationKey};
use motcua_keys::keystore;
use motcua_pki::binding::bind_to_unit;
use motcua_pki::Certificate;
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
}

fn key_view(key: &reports::OrganisationKey) -> Result<OrganisationKeyView, ApiError> {
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
    })
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
    if let Some(client) = &state.results {
        let unit = client
            .unit(body.unit_id)
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
            &sealed.certificate,
            &unit.name,
            unit.tax_code.as_deref(),
            unit.budget_code.as_deref(),
        );
        if !binding.bound {
            return Err(ApiError::invalid("pkcs12_base64", binding.detail));
        }
    }
    let actor = Actor::new(&who, &request_id);
    let key = NewOrganisationKey {
        unit_id: body.unit_id,
        certificate: sealed.certificate.der().to_vec(),
        pkcs12: sealed.pkcs12,
        created_at: now(),
        created_by: Some(who.key_id),
    };
    state
        .write_answer(move |conn| {
            let id = reports::insert_key(conn, &key)?;
            let stored = reports::keys_of(conn, Some(key.unit_id))?
                .into_iter()
                .find(|stored| stored.id == id)
                .ok_or_else(|| ApiError::internal("the stored key vanished"))?;
            let view = key_view(&stored)?;
            actor.record(
                conn,
                "organisation_key.stored",
                "organisation_key",
                id,
                &serde_json::json!({
                    "unit_id": view.unit_id, "subject": view.subject,
                    "fingerprint_sha256": view.fingerprint_sha256,
                }),
            )?;
            Answer::created(None, &view)
        })
        .await
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
