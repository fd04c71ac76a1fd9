//! Every failure a client can see, and how it is told: RFC 9457 `application/problem+json`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use motcua_db::DbError;
use motcua_pki::Verdict;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use motcua_pki::binding::Binding;

use crate::verify_upload::SignaturesVerdict;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input: which field (a JSON path such as `components[2].name`, or a query
/// parameter) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

impl InvalidParam {
    pub fn new(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

/// An RFC 9457 problem document.
///
/// Members particular to a kind of problem are either untyped (`extensions`) or a typed
/// extension written after them (see [`ApiError::problem_json`]), such as the verdict of a
/// refused certificate ([`CertificateRefusal`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

// The documented form of `Problem`, typed extensions included: what a client may receive. The
// doc comments below are the schema's descriptions.
/// An RFC 9457 problem document.
#[derive(ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)]
struct ProblemSchema {
    /// A URI reference naming the kind of problem; see API-DESIGN.md for the list.
    #[serde(rename = "type")]
    problem_type: String,
    title: String,
    status: u16,
    detail: String,
    /// `urn:motcua:request:<request id>`: the request in the service's logs and audit trail
    /// (the same id as the `X-Request-Id` response header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
    /// The fields that were wrong, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    invalid_params: Vec<InvalidParam>,
    /// Members particular to a kind of problem, e.g. `rejected` lines of an import.
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    extensions: serde_json::Map<String, serde_json::Value>,
    /// For a refused certificate: the verdict of its validation, with every check made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verdict: Option<Box<Verdict>>,
    /// For a refused certificate: whether it names its holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binding: Option<Binding>,
    /// For a document refused because its signatures do not all pass (409
    /// `/problems/signatures-not-valid`): the report of every signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    verification: Option<Box<SignaturesVerdict>>,
}

impl utoipa::PartialSchema for Problem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ProblemSchema::schema()
    }
}

impl ToSchema for Problem {
    fn name() -> std::borrow::Cow<'static, str> {
        ProblemSchema::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        ProblemSchema::schemas(schemas);
    }
}

/// A certificate refused at registration: it does not name its holder or is not valid. Its
/// verdict and binding are the typed extension members of the problem.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateRefusal {
    #[serde(skip)]
    pub detail: String,
    /// One entry per failed check, each naming the check.
    #[serde(skip)]
    pub invalid_params: Vec<InvalidParam>,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
}

/// A problem with its typed extension members written after the others.
#[derive(Serialize)]
struct Extended<'a, E: Serialize> {
    #[serde(flatten)]
    problem: &'a Problem,
    #[serde(flatten)]
    extension: &'a E,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request could not be read: malformed JSON, a bad query string or path.
    #[error("{detail}")]
    BadRequest {
        detail: String,
        invalid_params: Vec<InvalidParam>,
    },
    /// The request was read but its content is not acceptable.
    #[error("{detail}")]
    Invalid {
        detail: String,
        invalid_params: Vec<InvalidParam>,
        extensions: serde_json::Map<String, serde_json::Value>,
    },
    /// A certificate that fails binding or validation (422, with the verdict).
    #[error("{}", .0.detail)]
    CertificateRefused(Box<CertificateRefusal>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// A document this service signed does not verify (409, with the report of every
    /// signature); nothing was stored.
    #[error("{detail}")]
    SignaturesNotValid {
        detail: String,
        verification: Box<SignaturesVerdict>,
    },
    /// An `If-Match` that no longer matches the resource.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The path and query are longer than the service reads.
    #[error("the path and query are longer than the limit of {limit} bytes")]
    UriTooLong { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body did not arrive within the body timeout.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    Unavailable(String),
    /// The token or HSM holding the signing key cannot sign now (absent, PIN refused, not
    /// answering); the detail names the token.
    #[error("{0}")]
    SigningDeviceUnavailable(String),
    /// Every slot for this kind of work is taken: come back after `Retry-After`.
    #[error("{0}")]
    Busy(String),
    /// A service this one depends on failed or answered something unusable.
    #[error("{0}")]
    BadGateway(String),
    #[error("{0}")]
    Internal(InternalError),
}

/// An unexpected failure: a message for the log and, when there is one, the error behind it (its
/// chain of causes is logged too). Clients only ever see a fixed sentence.
#[derive(Debug)]
pub struct InternalError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl InternalError {
    /// The message and every cause behind it, `: `-separated, for the log.
    pub fn chain(&self) -> String {
        let mut text = self.message.clone();
        let mut next: Option<&(dyn std::error::Error + 'static)> = match &self.source {
            // `internal_from` takes its message from the source: start at the source's cause.
            Some(source) if source.to_string() == self.message => source.source(),
            Some(source) => Some(source.as_ref()),
            None => None,
        };
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }
}

impl std::fmt::Display for InternalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InternalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|source| source.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl ApiError {
    /// An unexpected failure described by `message` (logged, never shown to the client).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(InternalError {
            message: message.into(),
            source: None,
        })
    }

    /// An unexpected failure caused by `error`, kept with its causes for the log.
    pub fn internal_from(
        error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        let source = error.into();
        Self::Internal(InternalError {
            message: source.to_string(),
            source: Some(source),
        })
    }

    /// A validation failure of one field.
    pub fn invalid(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::invalid_all(vec![InvalidParam::new(name, reason)])
    }

    /// A validation failure of several fields at once, so the client can fix them together.
    pub fn invalid_all(invalid_params: Vec<InvalidParam>) -> Self {
        let names: Vec<&str> = invalid_params.iter().map(|p| p.name.as_str()).collect();
        Self::Invalid {
            detail: format!("invalid value of: {}", names.join(", ")),
            invalid_params,
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds a member to the problem document of a validation failure.
    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Self {
        if let Self::Invalid { extensions, .. } = &mut self {
            extensions.insert(key.to_owned(), value);
        }
        self
    }

    pub fn bad_param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        let param = InvalidParam::new(name, reason);
        Self::BadRequest {
            detail: format!("invalid parameter `{}`: {}", param.name, param.reason),
            invalid_params: vec![param],
        }
    }

    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("{what} does not exist"))
    }

    /// Maps "not found" of the record a request addresses to 404 naming it; other errors as usual.
    pub fn not_found_as(what: String) -> impl FnOnce(DbError) -> ApiError {
        move |error| match error {
            DbError::NotFound => ApiError::not_found(what),
            other => other.into(),
        }
    }

    /// Maps "not found" of a referenced record to a validation error on the field that named it.
    pub fn missing_reference(field: &'static str) -> impl FnOnce(DbError) -> ApiError {
        move |error| match error {
            DbError::NotFound => ApiError::invalid(field, "refers to a record that does not exist"),
            other => other.into(),
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest { .. } => ("bad-request", "The request could not be read"),
            Self::Invalid { .. } | Self::CertificateRefused(_) => {
                ("validation-error", "The request has invalid values")
            }
            Self::Unauthorized(_) => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            Self::Conflict(_) => ("conflict", "Conflict with the current state"),
            Self::SignaturesNotValid { .. } => (
                "signatures-not-valid",
                "The signed document does not verify",
            ),
            Self::PreconditionFailed(_) => ("precondition-failed", "The resource has changed"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            Self::UriTooLong { .. } => ("uri-too-long", "Path and query too long"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::RequestTimeout(_) => ("request-timeout", "The request took too long to send"),
            Self::Unavailable(_) => ("unavailable", "Service temporarily unavailable"),
            Self::SigningDeviceUnavailable(_) => (
                "signing-device-unavailable",
                "The device holding the signing key is unavailable",
            ),
            Self::Busy(_) => ("busy", "Too much work in progress"),
            Self::BadGateway(_) => ("bad-gateway", "A service this one depends on failed"),
            Self::Internal(_) => ("internal-error", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let invalid_params = match self {
            Self::BadRequest { invalid_params, .. } | Self::Invalid { invalid_params, .. } => {
                invalid_params.clone()
            }
            Self::CertificateRefused(refusal) => refusal.invalid_params.clone(),
            _ => Vec::new(),
        };
        let extensions = match self {
            Self::Invalid { extensions, .. } => extensions.clone(),
            _ => serde_json::Map::new(),
        };
        // Internal details stay in the log; the client gets a stable sentence.
        let detail = match self {
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            instance: None,
            invalid_params,
            extensions,
        }
    }

    /// The problem document as sent: [`ApiError::problem`] with the typed extension members of
    /// the error, if any.
    pub fn problem_json(&self) -> Vec<u8> {
        let problem = self.problem();
        let json = match self {
            Self::CertificateRefused(refusal) => serde_json::to_vec(&Extended {
                problem: &problem,
                extension: refusal.as_ref(),
            }),
            Self::SignaturesNotValid { verification, .. } => serde_json::to_vec(&Extended {
                problem: &problem,
                extension: &serde_json::json!({ "verification": verification }),
            }),
            _ => serde_json::to_vec(&problem),
        };
        json.unwrap_or_default()
    }
}

/// JSON text of a value kept in a text column (verdicts, receipts, report versions).
pub fn to_json_text(value: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(format!("encoding JSON: {e}")))
}

impl ApiError {
    /// `Retry-After` for answers that a later retry may turn into a success (the verification
    /// page sends it too).
    pub fn retry_after_secs(&self) -> Option<&'static str> {
        match self {
            // A signature job takes well under a second: by then slots have been freed.
            Self::Busy(_) => Some("2"),
            // The pool tries to reconnect on every request; a failover takes a few seconds.
            Self::Unavailable(_) | Self::SigningDeviceUnavailable(_) => Some("5"),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid { .. } | Self::CertificateRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::SignaturesNotValid { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable(_) | Self::Busy(_) | Self::SigningDeviceUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(error) => tracing::error!(detail = %error.chain(), "request failed"),
            Self::Unavailable(detail)
            | Self::BadGateway(detail)
            | Self::SigningDeviceUnavailable(detail) => {
                tracing::error!(%detail, "request failed");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if let Some(seconds) = self.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static(seconds)));
        }
        response.body(self.problem_json())
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => ApiError::NotFound("the record does not exist".into()),
            DbError::Duplicate { constraint } => ApiError::Conflict(format!(
                "a record with the same key already exists ({constraint})"
            )),
            DbError::MissingReference { constraint } => ApiError::invalid(
                "reference",
                format!("refers to a record that does not exist ({constraint})"),
            ),
            DbError::Refused(reason) => {
                ApiError::Conflict(format!("the database refused the change: {reason}"))
            }
            DbError::Unavailable(reason) => {
                ApiError::Unavailable(format!("the database is unavailable: {reason}"))
            }
            DbError::Other(reason) => ApiError::internal(reason),
        }
    }
}

impl From<motcua_db::DieselError> for ApiError {
    fn from(error: motcua_db::DieselError) -> Self {
        DbError::from(error).into()
    }
}

/// The documented error responses, shared by every operation's OpenAPI entry.
pub mod responses {
    use super::Problem;

    /// Failures every authenticated read can have.
    #[derive(utoipa::IntoResponses)]
    pub enum ReadErrors {
        #[response(
            status = 400,
            description = "Malformed query or path parameter",
            content_type = "application/problem+json"
        )]
        BadRequest(#[to_schema] Problem),
        #[response(
            status = 401,
            description = "Missing, unknown or revoked API key",
            content_type = "application/problem+json"
        )]
        Unauthorized(Problem),
        #[response(
            status = 403,
            description = "The key's role, scopes or unit do not allow this",
            content_type = "application/problem+json"
        )]
        Forbidden(Problem),
        #[response(
            status = 404,
            description = "No such record",
            content_type = "application/problem+json"
        )]
        NotFound(Problem),
        #[response(
            status = 414,
            description = "Path and query longer than 16 KiB",
            content_type = "application/problem+json"
        )]
        UriTooLong(Problem),
        #[response(
            status = 503,
            description = "The database is unavailable, or every signature slot is busy (`Retry-After` says when to retry)",
            content_type = "application/problem+json"
        )]
        Unavailable(Problem),
    }

    /// Failures every write can have, on top of the read failures.
    #[derive(utoipa::IntoResponses)]
    pub enum WriteErrors {
        #[response(
            status = 400,
            description = "Malformed JSON or parameter",
            content_type = "application/problem+json"
        )]
        BadRequest(#[to_schema] Problem),
        #[response(
            status = 401,
            description = "Missing, unknown or revoked API key",
            content_type = "application/problem+json"
        )]
        Unauthorized(Problem),
        #[response(
            status = 403,
            description = "The key's role, scopes or unit do not allow this",
            content_type = "application/problem+json"
        )]
        Forbidden(Problem),
        #[response(
            status = 404,
            description = "No such record",
            content_type = "application/problem+json"
        )]
        NotFound(Problem),
        #[response(
            status = 409,
            description = "Conflicts with the current state, or the Idempotency-Key is in use",
            content_type = "application/problem+json"
        )]
        Conflict(Problem),
        #[response(
            status = 408,
            description = "The body did not arrive within the body timeout",
            content_type = "application/problem+json"
        )]
        RequestTimeout(Problem),
        #[response(
            status = 413,
            description = "Body over the configured limit",
            content_type = "application/problem+json"
        )]
        PayloadTooLarge(Problem),
        #[response(
            status = 415,
            description = "Body is not application/json",
            content_type = "application/problem+json"
        )]
        UnsupportedMediaType(Problem),
        #[response(
            status = 422,
            description = "Invalid values; `invalid_params` names each field",
            content_type = "application/problem+json"
        )]
        Invalid(Problem),
        #[response(
            status = 414,
            description = "Path and query longer than 16 KiB",
            content_type = "application/problem+json"
        )]
        UriTooLong(Problem),
        #[response(
            status = 503,
            description = "The database is unavailable, or every signature slot is busy (`Retry-After` says when to retry)",
            content_type = "application/problem+json"
        )]
        Unavailable(Problem),
    }

    /// The failure of a change made conditional with `If-Match`.
    #[derive(utoipa::IntoResponses)]
    pub enum PreconditionErrors {
        #[response(
            status = 412,
            description = "`If-Match` does not match the current `ETag`: the resource changed since it was read; nothing was changed",
            content_type = "application/problem+json"
        )]
        PreconditionFailed(Problem),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use motcua_pki::binding::BindingMethod;
    use motcua_pki::{Purpose, RevocationPolicy, VerdictStatus};

    use super::*;

    #[test]
    fn a_refused_certificate_is_told_with_its_verdict_and_binding_after_the_other_members() {
        let refusal = ApiError::CertificateRefused(Box::new(CertificateRefusal {
            detail: "the certificate is not trusted".into(),
            invalid_params: vec![InvalidParam::new("chain", "no trust anchor")],
            verdict: Verdict {
                status: VerdictStatus::Untrusted,
                summary: "no path".into(),
                revocation: None,
                chain: Vec::new(),
                checks: Vec::new(),
                validated_at: chrono::DateTime::UNIX_EPOCH,
                purpose: Purpose::Signing,
                revocation_policy: RevocationPolicy::Require,
            },
            binding: Some(Binding {
                bound: false,
                method: BindingMethod::Cccd,
                detail: "no CCCD".into(),
            }),
        }));
        let body = String::from_utf8(refusal.problem_json()).unwrap();
        assert!(
            body.starts_with(
                r#"{"type":"/problems/validation-error","title":"The request has invalid values","status":422,"detail":"the certificate is not trusted","invalid_params":[{"name":"chain","reason":"no trust anchor"}],"verdict":{"status":"untrusted","#
            ),
            "{body}"
        );
        assert!(
            body.ends_with(r#"},"binding":{"bound":false,"method":"cccd","detail":"no CCCD"}}"#),
            "{body}"
        );
    }
}
