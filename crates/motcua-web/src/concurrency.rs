//! Optimistic concurrency (RFC 9110 §8.8.3, §13.1.1): a strong `ETag` that is the SHA-256 of a
//! resource's representation, and an optional `If-Match` on the requests that change it, checked
//! inside the change's transaction so that a client acting on what it read cannot silently
//! override a change made since.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName};
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

use crate::error::ApiError;

/// A strong entity tag, quoted as it travels in `ETag` and `If-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ETag(String);

impl ETag {
    /// The tag of a representation: SHA-256 of its JSON, so it changes with every visible change
    /// and two instances of the service agree on it without a shared counter.
    pub fn of(representation: &impl Serialize) -> Result<Self, ApiError> {
        let json = serde_json::to_vec(representation)
            .map_err(|e| ApiError::internal(format!("encoding JSON: {e}")))?;
        Ok(Self(format!("\"{}\"", hex::encode(Sha256::digest(json)))))
    }

    /// The `ETag` response header.
    pub fn header(self) -> (HeaderName, String) {
        (header::ETAG, self.0)
    }
}

/// The request's `If-Match`, if it sent one.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    /// Whether the request made its change conditional.
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// Refuses with 412 unless the header is absent, `*` (any current representation) or lists
    /// `current`. Comparison is strong: a weak tag (`W/"…"`) or a value that is not a quoted tag
    /// never matches, so a garbled header refuses the change rather than allowing it.
    pub fn check(&self, current: &ETag) -> Result<(), ApiError> {
        let Some(value) = &self.0 else {
            return Ok(());
        };
        let matches = value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == current.0);
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed(format!(
                "If-Match {value} does not match the current ETag {}: the resource changed since \
                 it was read; read it again",
                current.0
            )))
        }
    }

    /// [`IfMatch::check`] against the tag `current` computes, only when the header was sent.
    pub fn check_with(
        &self,
        current: impl FnOnce() -> Result<ETag, ApiError>,
    ) -> Result<(), ApiError> {
        if self.is_present() {
            self.check(&current()?)
        } else {
            Ok(())
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        // Several `If-Match` lines are one comma-separated list (RFC 9110 §5.3).
        let values: Result<Vec<&str>, _> = req
            .headers()
            .get_all(header::IF_MATCH)
            .map(|value| value.to_str())
            .collect();
        ready(match values {
            Ok(values) if values.is_empty() => Ok(Self(None)),
            Ok(values) => Ok(Self(Some(values.join(", ")))),
            Err(_) => Err(ApiError::bad_param(
                "If-Match",
                "an entity tag is ASCII text, e.g. \"3f2a…\"",
            )),
        })
    }
}

/// The header as an OpenAPI parameter: `params(..., IfMatch)` in an operation's annotation.
impl utoipa::IntoParams for IfMatch {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![ParameterBuilder::new()
            .name("If-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "Makes the change conditional: the `ETag` the client read (or `*`). When it \
                 no longer matches, the answer is 412 and nothing changes.",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_strong_and_compared_exactly() {
        let tag = ETag::of(&serde_json::json!({"status": "new"})).unwrap();
        let other = ETag::of(&serde_json::json!({"status": "processing"})).unwrap();
        assert_ne!(tag, other);
        assert!(IfMatch(None).check(&tag).is_ok());
        assert!(IfMatch(Some("*".into())).check(&tag).is_ok());
        assert!(IfMatch(Some(format!("{}, {}", other.0, tag.0)))
            .check(&tag)
            .is_ok());
        assert!(IfMatch(Some(other.0)).check(&tag).is_err());
        assert!(IfMatch(Some(format!("W/{}", tag.0))).check(&tag).is_err());
        assert!(IfMatch(Some(tag.0.trim_matches('"').to_owned()))
            .check(&tag)
            .is_err());
    }
}
