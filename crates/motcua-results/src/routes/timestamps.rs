//! The service as an RFC 3161 timestamp authority, when `MOTCUA_TSA_KEY_FILE` names its key:
//! `POST /timestamps` answers a `TimeStampReq` with a `TimeStampResp` (RFC 3161 §3.4, the HTTP
//! transport). Public like any such authority, within the service's body limits.

use actix_web::web::{self, Data};
use actix_web::{post, HttpRequest, HttpResponse};
use chrono::Utc;
use utoipa::ToSchema;

use crate::state::AppState;
use motcua_web::error::responses::WriteErrors;
use motcua_web::error::ApiError;
use motcua_web::extract::{media_type, read_body};

/// The largest request read: a `TimeStampReq` is a few hundred bytes.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

const QUERY_MEDIA_TYPE: &str = "application/timestamp-query";
const REPLY_MEDIA_TYPE: &str = "application/timestamp-reply";

/// A DER `TimeStampReq` (RFC 3161 §2.4.1).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct TimestampQuery(#[allow(dead_code)] Vec<u8>);

/// A DER `TimeStampResp` (RFC 3161 §2.4.2).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct TimestampReply(#[allow(dead_code)] Vec<u8>);

/// Timestamp a hash (RFC 3161). The body is a DER `TimeStampReq` (`application/timestamp-query`,
/// at most 64 KiB) with a SHA-256, SHA-384 or SHA-512 imprint; the answer is always a DER
/// `TimeStampResp` (`application/timestamp-reply`): status 0 (granted) with the token, signed
/// by the service's TSA certificate under its policy (`MOTCUA_TSA_POLICY`), or status 2
/// (rejection) with the reason and failure information, e.g. `badDataFormat` for bytes that are
/// not a `TimeStampReq`. No API key needed. 404 when the service is not a timestamp authority,
/// 415 for another media type, 413 over 64 KiB.
#[utoipa::path(
    tag = "timestamps",
    request_body(content = TimestampQuery, content_type = "application/timestamp-query"),
    responses(
        (status = 200, description = "A TimeStampResp: granted with its token, or a rejection saying why", body = TimestampReply, content_type = "application/timestamp-reply"),
        WriteErrors,
    )
)]
#[post("/timestamps")]
pub async fn timestamp(
    state: Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if state.timestamp_authority.is_none() {
        return Err(ApiError::NotFound(
            "this service is not a timestamp authority (MOTCUA_TSA_KEY_FILE is not set)".into(),
        ));
    }
    if media_type(&request) != QUERY_MEDIA_TYPE {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the DER TimeStampReq as {QUERY_MEDIA_TYPE}"
        )));
    }
    let query = read_body(payload.into_inner(), MAX_QUERY_BYTES).await?;
    // A token costs a signature: it waits for a slot like every other signature.
    let _slot = state.web.signature_slot().await?;
    let shared = state.clone();
    let reply = web::block(move || {
        shared
            .timestamp_authority
            .as_ref()
            .map(|authority| authority.respond(&query, Utc::now()))
    })
    .await
    .map_err(|e| ApiError::internal(format!("timestamping task failed: {e}")))?
    .ok_or_else(|| ApiError::internal("the timestamp authority disappeared"))?;
    state
        .web
        .metrics
        .signatures_made
        .with_label_values(&["timestamp"])
        .inc();
    Ok(HttpResponse::Ok()
        .content_type(REPLY_MEDIA_TYPE)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(reply))
}
