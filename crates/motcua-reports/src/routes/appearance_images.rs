//! The images drawn in the appearances of the signatures on reports: each official's
//! handwritten signature (between the title and the name) and each unit's seal (over the left
//! third of the leader's signature). PNG with transparency, so that they overlap like ink; when
//! none was uploaded (or it was removed), the appearance draws a neutral stroke or a generated
//! seal. Any key may read an image (they are printed on every issued report); admins store and
//! remove them, each change leaving an audit record that names the image by its hash.

use actix_web::http::header::{CONTENT_TYPE, ETAG};
use actix_web::web::{Bytes, Data, Path};
use actix_web::{delete, get, put, HttpRequest, HttpResponse};
use motcua_audit::Actor;
use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_db::now;
use motcua_db::reports::{self, AppearanceOwner};
use motcua_pki::pades::AppearanceImage;
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::PathId;
use motcua_web::request_id::RequestId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::package::sha256_hex;
use crate::state::AppState;

/// A signature or a seal scanned at 600 dpi with transparency is well under this.
pub const MAX_IMAGE_BYTES: usize = 256 * 1024;

/// A PNG image (`image/png`).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PngImage(#[allow(dead_code)] Vec<u8>);

/// What was stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppearanceImageView {
    /// `signature` (an official's) or `seal` (a unit's).
    pub kind: String,
    /// The official's or the unit's id in the results service.
    pub owner_id: i64,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

/// Stores the image of an official's handwritten signature, drawn in the appearance of the
/// signatures they make on reports. Admins only; a PNG with transparency, at most 256 KiB.
#[utoipa::path(tag = "signing", params(("id" = i64, Path, description = "The official's id in the results service")), request_body(content = PngImage, content_type = "image/png"), responses((status = 200, body = AppearanceImageView), WriteErrors), security(("api_key" = [])))]
#[put("/officials/{id}/signature-image")]
pub async fn put_signature_image(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    request: HttpRequest,
    id: Path<i64>,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let owner = AppearanceOwner::Official(OfficialId(id.into_inner()));
    let actor = Actor::new(&who, &request_id);
    store(&state, &who, actor, &request, owner, body).await
}

/// Stores the image of a unit's seal (red, with transparency, scanned at its real size), drawn
/// in the appearance of the unit's signature when it issues a report. Admins only; at most
/// 256 KiB.
#[utoipa::path(tag = "signing", params(("id" = i64, Path, description = "The unit's id in the results service")), request_body(content = PngImage, content_type = "image/png"), responses((status = 200, body = AppearanceImageView), WriteErrors), security(("api_key" = [])))]
#[put("/units/{id}/seal-image")]
pub async fn put_seal_image(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    request: HttpRequest,
    id: Path<i64>,
    body: Bytes,
) -> Result<Answer, ApiError> {
    let owner = AppearanceOwner::Unit(UnitId(id.into_inner()));
    let actor = Actor::new(&who, &request_id);
    store(&state, &who, actor, &request, owner, body).await
}

async fn store(
    state: &AppState,
    who: &Principal,
    actor: Actor,
    request: &HttpRequest,
    owner: AppearanceOwner,
    body: Bytes,
) -> Result<Answer, ApiError> {
    who.require_admin("upload signature and seal images")?;
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("image/png") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the image must be sent as image/png, not {content_type:?}"
        )));
    }
    if body.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::invalid(
            "body",
            format!(
                "the image has {} bytes; at most {MAX_IMAGE_BYTES}",
                body.len()
            ),
        ));
    }
    let image =
        AppearanceImage::from_png(&body).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let (kind, owner_id) = kind_and_id(owner);
    let view = AppearanceImageView {
        kind: kind.into(),
        owner_id,
        width: image.width,
        height: image.height,
        bytes: body.len(),
    };
    // An image drawn under every later signature of its owner is a change auditors must see:
    // the record names the image by its hash.
    let detail = serde_json::json!({
        "kind": kind,
        "sha256": sha256_hex(&body),
        "width": view.width,
        "height": view.height,
    });
    let object_type = format!("{kind}_image");
    state
        .write(move |conn| {
            reports::put_appearance_image(conn, owner, &body, now())?;
            actor.record(
                conn,
                "appearance_image.stored",
                &object_type,
                owner_id,
                &detail,
            )
        })
        .await?;
    Answer::ok(&view)
}

/// The image of an official's handwritten signature, as stored (`ETag`: its SHA-256).
#[utoipa::path(tag = "signing", params(("id" = i64, Path, description = "The official's id in the results service")), responses((status = 200, description = "The PNG", content_type = "image/png", body = PngImage, headers(("ETag" = String, description = "The SHA-256 of the PNG, hexadecimal, quoted"))), ReadErrors), security(("api_key" = [])))]
#[get("/officials/{id}/signature-image")]
pub async fn get_signature_image(
    state: Data<AppState>,
    _who: Principal,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let owner = AppearanceOwner::Official(OfficialId(id.into_inner()));
    read(&state, owner).await
}

/// The image of a unit's seal, as stored (`ETag`: its SHA-256).
#[utoipa::path(tag = "signing", params(("id" = i64, Path, description = "The unit's id in the results service")), responses((status = 200, description = "The PNG", content_type = "image/png", body = PngImage, headers(("ETag" = String, description = "The SHA-256 of the PNG, hexadecimal, quoted"))), ReadErrors), security(("api_key" = [])))]
#[get("/units/{id}/seal-image")]
pub async fn get_seal_image(
    state: Data<AppState>,
    _who: Principal,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let owner = AppearanceOwner::Unit(UnitId(id.into_inner()));
    read(&state, owner).await
}

/// Removes the image of an official's handwritten signature: their later signatures draw the
/// neutral stroke. Admins only; signatures already made keep the image they drew.
#[utoipa::path(tag = "signing", params(("id" = i64, Path, description = "The official's id in the results service")), responses((status = 204, description = "Removed"), WriteErrors), security(("api_key" = [])))]
#[delete("/officials/{id}/signature-image")]
pub async fn delete_signature_image(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let owner = AppearanceOwner::Official(OfficialId(id.into_inner()));
    let actor = Actor::new(&who, &request_id);
    remove(&state, &who, actor, owner).await
}

/// Removes the image of a unit's seal: the unit's later signatures draw the generated seal.
/// Admins only; reports already issued keep the image they drew.
#[utoipa::path(tag = "signing", params(("id" = i64, Path, description = "The unit's id in the results service")), responses((status = 204, description = "Removed"), WriteErrors), security(("api_key" = [])))]
#[delete("/units/{id}/seal-image")]
pub async fn delete_seal_image(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    let owner = AppearanceOwner::Unit(UnitId(id.into_inner()));
    let actor = Actor::new(&who, &request_id);
    remove(&state, &who, actor, owner).await
}

async fn read(state: &AppState, owner: AppearanceOwner) -> Result<HttpResponse, ApiError> {
    let png = state
        .read(move |conn| reports::appearance_image(conn, owner).map_err(ApiError::from))
        .await?
        .ok_or_else(|| none_stored(owner))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((ETAG, format!("\"{}\"", sha256_hex(&png))))
        .body(png))
}

async fn remove(
    state: &AppState,
    who: &Principal,
    actor: Actor,
    owner: AppearanceOwner,
) -> Result<HttpResponse, ApiError> {
    who.require_admin("remove signature and seal images")?;
    let (kind, owner_id) = kind_and_id(owner);
    let object_type = format!("{kind}_image");
    state
        .write(move |conn| {
            let png =
                reports::remove_appearance_image(conn, owner)?.ok_or_else(|| none_stored(owner))?;
            let detail = serde_json::json!({"kind": kind, "sha256": sha256_hex(&png)});
            actor.record(
                conn,
                "appearance_image.removed",
                &object_type,
                owner_id,
                &detail,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn kind_and_id(owner: AppearanceOwner) -> (&'static str, i64) {
    match owner {
        AppearanceOwner::Official(official) => ("signature", official.0),
        AppearanceOwner::Unit(unit) => ("seal", unit.0),
    }
}

fn none_stored(owner: AppearanceOwner) -> ApiError {
    ApiError::NotFound(match owner {
        AppearanceOwner::Official(official) => {
            format!("official {official} has no signature image")
        }
        AppearanceOwner::Unit(unit) => format!("unit {unit} has no seal image"),
    })
}

/// The stored image of `owner`, decoded; `None` when none was uploaded.
pub fn stored_image(
    conn: &mut motcua_db::DbConnection,
    owner: AppearanceOwner,
) -> Result<Option<AppearanceImage>, ApiError> {
    reports::appearance_image(conn, owner)?
        .map(|png| AppearanceImage::from_png(&png))
        .transpose()
        .map_err(|e| ApiError::internal(format!("a stored appearance image: {e}")))
}
