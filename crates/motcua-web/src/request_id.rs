//! A request id for every request: taken from `X-Request-Id` when the caller sends a sane one,
//! generated otherwise (see `observe`); returned in the response header, in problem documents and
//! written to the audit trail.

use actix_web::dev::Payload;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Ids are taken from callers only when short and plain, so they are safe in logs and headers.
pub(crate) fn is_sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl FromRequest for RequestId {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<RequestId>().cloned();
        std::future::ready(Ok(
            id.unwrap_or_else(|| RequestId(uuid::Uuid::new_v4().to_string()))
        ))
    }
}
