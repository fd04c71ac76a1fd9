//! `Idempotency-Key` on POST: the first request with a key is processed and its answer kept;
//! a retry with the same key and the same request gets that answer again and changes nothing.
//! Keys are scoped to the credential that sent them and forgotten after a day.
//!
//! The answer is kept in the transaction of the change it answers
//! ([`crate::WebContext::write_answer`]), so a key is remembered exactly when its change was
//! made: there is no claim that a failure could leave "in progress". This middleware runs after
//! authentication and only for an authenticated caller; it replays what is kept, and otherwise
//! hands the key to the handler for the length of the request.

use std::cell::RefCell;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{Error, HttpMessage, Responder};
use motcua_db::idempotency::{self, IdempotencyRecord};
use motcua_db::{now, DbConnection};
use sha2::{Digest, Sha256};

use crate::answer::Answer;
use crate::auth::{bearer_token, hash_key, Principal};
use crate::background::Background;
use crate::context::WebContext;
use crate::error::ApiError;
use crate::extract::read_body;

pub use crate::answer::REPLAYED_HEADER;

pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
const RETENTION_HOURS: i64 = 24;
/// How often expired keys are deleted: the table holds at most a day and an hour of keys.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// A key this request is the first to use, waiting for the handler's transaction.
#[derive(Debug, Clone)]
pub struct PendingKey {
    scope: String,
    key: String,
    fingerprint: String,
}

tokio::task_local! {
    /// The handler runs inside the middleware's future, so it sees the key of its own request.
    static PENDING: RefCell<Option<PendingKey>>;
}

/// The key of the current request, for the one transaction that answers it (later calls get
/// `None`, unless that transaction was rolled back).
pub(crate) fn take_pending() -> Option<PendingKey> {
    PENDING
        .try_with(|pending| pending.borrow_mut().take())
        .ok()
        .flatten()
}

/// Whether the current request's answer is to be kept: a handler that usually answers from a
/// shared transaction (the intake's batches) then writes in its own.
pub fn answer_is_kept() -> bool {
    PENDING
        .try_with(|pending| pending.borrow().is_some())
        .unwrap_or(false)
}

pub async fn idempotent_post(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|v| v.to_str().map(str::to_owned));
    let authenticated = req.extensions().contains::<Principal>();
    let token = bearer_token(req.request());
    let state = req.app_data::<Data<WebContext>>().cloned();
    // Without a caller there is nothing to scope a key to: the handler refuses or serves it.
    let (Some(key), Some(token), Some(state), true, true) = (
        key,
        token,
        state,
        authenticated,
        req.method() == Method::POST,
    ) else {
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
    let pending = PendingKey {
        scope: hash_key(&token),
        key,
        fingerprint: fingerprint(&req, &body),
    };
    let earlier = {
        let (scope, key) = (pending.scope.clone(), pending.key.clone());
        state
            .read(move |conn| Ok(idempotency::find(conn, &scope, &key)?))
            .await
    };
    match earlier.and_then(|record| record.map(|r| replay(&r, &pending.fingerprint)).transpose()) {
        Err(error) => Ok(req.error_response(error)),
        Ok(Some(answer)) => {
            let (request, _) = req.into_parts();
            let response = answer.respond_to(&request);
            Ok(ServiceResponse::new(request, response))
        }
        Ok(None) => {
            req.set_payload(payload_of(body));
            PENDING
                .scope(RefCell::new(Some(pending)), next.call(req))
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
    }
}

/// Runs `work` in one write transaction that also keeps its answer under the request's key,
/// if it has one. A concurrent request with the same key that committed first wins: this one
/// is rolled back and gets that request's answer.
pub(crate) async fn write_answer<F>(state: &WebContext, work: F) -> Result<Answer, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<Answer, ApiError> + Send + 'static,
{
    let Some(pending) = take_pending() else {
        return state.write(work).await;
    };
    let kept = pending.clone();
    let outcome = state
        .write(move |conn| {
            idempotency::claim(conn, &kept.scope, &kept.key, &kept.fingerprint, now())?;
            let answer = work(conn)?;
            idempotency::complete(
                conn,
                &kept.scope,
                &kept.key,
                i32::from(answer.status.as_u16()),
                answer.content_type.as_deref(),
                answer.location.as_deref(),
                &answer.remembered,
            )?;
            Ok(answer)
        })
        .await;
    let Err(error) = outcome else {
        return outcome;
    };
    // Rolled back. If another request with the key committed meanwhile, its answer is this
    // one's too; otherwise nothing was kept and the error stands, and the key is left for a
    // later transaction of the same request (a step tried again, e.g. an issue whose number
    // was taken meanwhile).
    let (scope, key) = (pending.scope.clone(), pending.key.clone());
    match state
        .read(move |conn| Ok(idempotency::find(conn, &scope, &key)?))
        .await
    {
        Ok(Some(record)) => replay(&record, &pending.fingerprint),
        _ => {
            restore_pending(pending);
            Err(error)
        }
    }
}

/// Gives the key back to the current request when the transaction that took it was rolled
/// back without keeping an answer.
fn restore_pending(pending: PendingKey) {
    let _ = PENDING.try_with(|slot| *slot.borrow_mut() = Some(pending));
}

/// Deletes expired keys every hour, so that none outlives its day by much.
pub fn schedule_purge(background: &mut Background, state: Data<WebContext>) {
    background.every("idempotency key purge", PURGE_INTERVAL, true, move || {
        let state = state.clone();
        async move {
            let before = now() - chrono::Duration::hours(RETENTION_HOURS);
            match state
                .read(move |conn| Ok(idempotency::purge_older_than(conn, before)?))
                .await
            {
                Ok(purged) => tracing::debug!(purged, "expired idempotency keys purged"),
                Err(error) => tracing::warn!(%error, "could not purge expired idempotency keys"),
            }
        }
    });
}

/// The kept answer, or why this request may not have it.
fn replay(record: &IdempotencyRecord, fingerprint: &str) -> Result<Answer, ApiError> {
    if record.fingerprint != fingerprint {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "this key was already used for a different request; use a new key for a new request",
        ));
    }
    let Some(status) = record
        .status
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return Err(ApiError::Conflict(
            "a request with this Idempotency-Key is still being processed; retry later".into(),
        ));
    };
    Ok(Answer::replay(
        status,
        record.content_type.clone(),
        record.location.clone(),
        Bytes::from(record.body.clone().unwrap_or_default()),
    ))
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
