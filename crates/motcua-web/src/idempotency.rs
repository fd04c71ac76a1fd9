//! `Idempotency-Key` on POST: the first request with a key is processed and its response kept;
//! a retry with the same key and the same request gets that response again and creates nothing.
//! Keys are scoped to the credential that sent them and forgotten after a day.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use chrono::Duration;
use motcua_db::idempotency::{self, Claim, IdempotencyRecord};
use motcua_db::now;
use sha2::{Digest, Sha256};

use crate::auth::{bearer_token, hash_key};
use crate::context::WebContext;
use crate::error::ApiError;
use crate::extract::read_body;

pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Set on a response that repeats the one given to an earlier request with the same key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const RETENTION_HOURS: i64 = 24;

pub async fn idempotent_post(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|v| v.to_str().map(str::to_owned));
    let token = bearer_token(req.request());
    let state = req.app_data::<Data<WebContext>>().cloned();
    let (Some(key), Some(token), Some(state), true) =
        (key, token, state, req.method() == Method::POST)
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let key = match key {
        Ok(key) if (1..=255).contains(&key.len()) => key,
        _ => {
            return Ok(req.error_response(ApiError::bad_param(
                "Idempotency-Key",
                "1 to 255 visible ASCII characters",
            )))
        }
    };
    // The handler applies its own limit; this one only bounds what is buffered here.
    let limit = state.limits.max_any_bytes;
    let body = match read_body(req.take_payload(), limit).await {
        Ok(body) => body,
        Err(error) => return Ok(req.error_response(error)),
    };
    let scope = hash_key(&token);
    let fingerprint = fingerprint(&req, &body);

    let claim = {
        let (scope, key, fingerprint) = (scope.clone(), key.clone(), fingerprint.clone());
        state
            .read(move |conn| {
                let at = now();
                idempotency::purge_older_than(conn, at - Duration::hours(RETENTION_HOURS))?;
                Ok(idempotency::claim(conn, &scope, &key, &fingerprint, at)?)
            })
            .await
    };
    match claim {
        Err(error) => Ok(req.error_response(error)),
        Ok(Claim::Existing(record)) => Ok(req.into_response(replay(&record, &fingerprint))),
        Ok(Claim::Claimed) => {
            req.set_payload(payload_of(body));
            let response = next.call(req).await?.map_into_boxed_body();
            remember(&state, scope, key, response).await
        }
    }
}

/// Keeps the response for retries, or frees the key when a retry might succeed.
async fn remember(
    state: &WebContext,
    scope: String,
    key: String,
    response: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let status = response.status();
    let (req, res) = response.into_parts();
    let (res, res_body) = res.into_parts();
    let bytes = body::to_bytes(res_body)
        .await
        .map_err(|_| ApiError::Internal("cannot buffer the response".into()))?;
    let retry_may_succeed = status.is_server_error()
        || matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
        );
    let content_type = header_text(res.headers(), header::CONTENT_TYPE);
    let location = header_text(res.headers(), header::LOCATION);
    let stored = bytes.clone();
    let outcome = state
        .read(move |conn| {
            if retry_may_succeed {
                idempotency::release(conn, &scope, &key)?;
            } else {
                let status = i32::from(status.as_u16());
                idempotency::complete(
                    conn,
                    &scope,
                    &key,
                    status,
                    content_type.as_deref(),
                    location.as_deref(),
                    &stored,
                )?;
            }
            Ok(())
        })
        .await;
    if let Err(error) = outcome {
        // The change itself is committed; say so in the log rather than fail the response.
        tracing::error!(%error, "could not record the idempotent response");
    }
    Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))))
}

fn replay(record: &IdempotencyRecord, fingerprint: &str) -> HttpResponse {
    if record.fingerprint != fingerprint {
        return ApiError::invalid(
            "Idempotency-Key",
            "this key was already used for a different request; use a new key for a new request",
        )
        .error_response();
    }
    let Some(status) = record
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return ApiError::Conflict(
            "a request with this Idempotency-Key is still being processed; retry later".into(),
        )
        .error_response();
    };
    let mut response = HttpResponse::build(status);
    if let Some(content_type) = &record.content_type {
        response.insert_header((header::CONTENT_TYPE, content_type.as_str()));
    }
    if let Some(location) = &record.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    response.insert_header((
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    ));
    response.body(record.body.clone().unwrap_or_default())
}

fn fingerprint(req: &ServiceRequest, body: &Bytes) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

fn payload_of(bytes: Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(bytes);
    payload.into()
}

fn header_text(headers: &actix_web::http::header::HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
