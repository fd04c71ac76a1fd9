//! The answer of a POST that changes something, built inside the change's transaction so that
//! the idempotency store can keep it in that same transaction ([`crate::WebContext::write_answer`]).
//! Secrets in an answer are typed ([`Secret`]): they are sent once and never kept.

use std::cell::Cell;

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::{Serialize, Serializer};

use crate::error::ApiError;

/// Set on a response that repeats the one given to an earlier request with the same key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

const JSON: &str = "application/json";

/// A JSON answer: its status, `Location`, the body sent and the body a replay gets.
#[derive(Debug, Clone)]
pub struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) body: Bytes,
    /// The body without its secrets; what the idempotency store keeps.
    pub(crate) remembered: Bytes,
    pub(crate) replayed: bool,
    /// The changed resource's new entity tag (not kept: a replay may be older than the resource).
    pub(crate) etag: Option<String>,
}

impl Answer {
    /// `200 OK` with `value`.
    pub fn ok(value: &impl Serialize) -> Result<Self, ApiError> {
        Self::json(StatusCode::OK, None, value)
    }

    /// `201 Created` with `value`, and `Location` when the new record has its own URL.
    pub fn created(location: Option<String>, value: &impl Serialize) -> Result<Self, ApiError> {
        Self::json(StatusCode::CREATED, location, value)
    }

    /// `202 Accepted` with `value`: the work goes on after the answer.
    pub fn accepted(value: &impl Serialize) -> Result<Self, ApiError> {
        Self::json(StatusCode::ACCEPTED, None, value)
    }

    fn json(
        status: StatusCode,
        location: Option<String>,
        value: &impl Serialize,
    ) -> Result<Self, ApiError> {
        let cannot = |e: serde_json::Error| ApiError::internal(format!("answer: {e}"));
        let body = serde_json::to_vec(value).map_err(cannot)?;
        let remembered = without_secrets(value).map_err(cannot)?;
        Ok(Self {
            status,
            content_type: Some(JSON.into()),
            location,
            body: body.into(),
            remembered: remembered.into(),
            replayed: false,
            etag: None,
        })
    }

    /// An answer given before, as kept (its secrets already gone).
    pub(crate) fn replay(
        status: StatusCode,
        content_type: Option<String>,
        location: Option<String>,
        body: Bytes,
    ) -> Self {
        Self {
            status,
            content_type,
            location,
            remembered: body.clone(),
            body,
            replayed: true,
            etag: None,
        }
    }

    /// Sends the changed resource's new `ETag` with the answer.
    pub fn with_etag(mut self, etag: crate::concurrency::ETag) -> Self {
        self.etag = Some(etag.header().1);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether this is the answer kept for an earlier request with the same key.
    pub fn is_replay(&self) -> bool {
        self.replayed
    }
}

impl Responder for Answer {
    type Body = BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(content_type) = &self.content_type {
            response.insert_header((header::CONTENT_TYPE, content_type.as_str()));
        }
        if let Some(location) = &self.location {
            let absolute = crate::location::absolute_url(req, location);
            // A host a header cannot carry leaves the path alone, which is still a valid one.
            let value =
                HeaderValue::from_str(&absolute).or_else(|_| HeaderValue::from_str(location));
            if let Ok(value) = value {
                response.insert_header((header::LOCATION, value));
            }
        }
        // The answer to a change is not for caches (and may hold a secret).
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(etag) = &self.etag {
            response.insert_header((header::ETAG, etag.as_str()));
        }
        if self.replayed {
            response.insert_header((
                HeaderName::from_static(REPLAYED_HEADER),
                HeaderValue::from_static("true"),
            ));
        }
        response.body(self.body)
    }
}

/// A secret shown once in an answer (the key of a new API key): sent as a string, kept by the
/// idempotency store as `null`, so that neither a database dump nor a replay holds it. This
/// type is the one place that decides what is left out of a kept answer.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

thread_local! {
    /// Set while an answer is serialized for keeping (serialization is synchronous, so a
    /// thread-local flag cannot leak into another answer).
    static KEEPING: Cell<bool> = const { Cell::new(false) };
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if KEEPING.with(Cell::get) {
            serializer.serialize_none()
        } else {
            serializer.serialize_str(&self.0)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// `value` as JSON with every [`Secret`] in it `null`.
fn without_secrets(value: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    KEEPING.with(|keeping| keeping.set(true));
    let kept = serde_json::to_vec(value);
    KEEPING.with(|keeping| keeping.set(false));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct WithSecret {
        key: Secret,
        name: &'static str,
    }

    #[test]
    fn a_secret_is_sent_but_not_kept() {
        let answer = Answer::created(
            Some("/api-keys/1".into()),
            &WithSecret {
                key: Secret::new("mc_top".into()),
                name: "n",
            },
        )
        .expect("serializable");
        assert_eq!(&answer.body[..], br#"{"key":"mc_top","name":"n"}"#);
        assert_eq!(&answer.remembered[..], br#"{"key":null,"name":"n"}"#);
        let plain = Answer::ok(&serde_json::json!({"key": "not secret"})).expect("serializable");
        assert_eq!(plain.body, plain.remembered);
    }
}
