//! Request extractors that turn every bad input into a problem naming the field, normalise text
//! to NFC, and refuse unknown fields and oversized bodies.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use actix_web::{Error, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use motcua_core::text::{has_forbidden_character, FORBIDDEN_CHARACTERS};
use serde::de::DeserializeOwned;

use crate::context::WebContext;
use crate::error::{ApiError, InvalidParam};

/// A JSON body, read within the size limit, NFC-normalised and deserialised with the path of
/// the first wrong field.
pub struct ValidJson<T>(pub T);

impl<T> ValidJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = body_limit(req);
        let read = read_json(req, payload, limit);
        Box::pin(async move { read.await.map(ValidJson) })
    }
}

/// Like [`ValidJson`], for a JSON body that carries a document (a PDF in base64): read within
/// the document limit instead of the JSON one.
pub struct DocumentJson<T>(pub T);

impl<T> DocumentJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for DocumentJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_json(req, payload, document_limit(req));
        Box::pin(async move { read.await.map(DocumentJson) })
    }
}

fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    let content_type_ok = is_json_content_type(req);
    let declared_length = declared_length(req);
    let payload = payload.take();
    Box::pin(async move {
        if !content_type_ok {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        if declared_length.is_some_and(|length| length > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let bytes = read_body(payload, limit).await?;
        parse_json(&bytes)
    })
}

/// A PDF body (`Content-Type: application/pdf`), read within `MOTCUA_MAX_RESULT_BYTES`: 415 for
/// another content type, 413 when too large, 422 when the bytes do not start with `%PDF-`.
#[derive(Debug, Clone)]
pub struct PdfBody(pub Bytes);

impl PdfBody {
    pub fn into_inner(self) -> Bytes {
        self.0
    }
}

impl FromRequest for PdfBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = document_limit(req);
        let content_type_ok = media_type(req) == "application/pdf";
        let declared_length = declared_length(req);
        let payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "send the document as application/pdf".into(),
                ));
            }
            if declared_length.is_some_and(|length| length > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            read_pdf(payload, limit).await.map(PdfBody)
        })
    }
}

/// The largest document the service accepts (`max_document_bytes`).
pub fn document_limit(req: &HttpRequest) -> usize {
    req.app_data::<Data<WebContext>>()
        .map_or(crate::limits::DEFAULT_MAX_DOCUMENT_BYTES, |web| {
            web.limits.max_document_bytes
        })
}

/// A body that must be a PDF, read within `limit`: 422 when it does not start with `%PDF-`.
pub async fn read_pdf(payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    let bytes = read_body(payload, limit).await?;
    if !bytes.starts_with(b"%PDF-") {
        return Err(ApiError::invalid(
            "body",
            "is not a PDF document (it must start with %PDF-)",
        ));
    }
    Ok(bytes)
}

/// Reads a whole body, refusing it as soon as it passes `limit` bytes.
pub async fn read_body(mut payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if crate::limits::is_body_timeout(&e) {
                ApiError::RequestTimeout(e.to_string())
            } else {
                ApiError::bad_param("body", format!("cannot read the body: {e}"))
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses JSON text into `T`: syntax errors and duplicate keys are 400, wrong content is 422
/// with the field path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = crate::strict_json::parse(bytes).map_err(|e| match e {
        crate::strict_json::Error::DuplicateKey(path) => ApiError::bad_param(
            path,
            "the key appears twice in its object; send each key once",
        ),
        crate::strict_json::Error::Syntax(e) => ApiError::BadRequest {
            detail: format!("the body is not valid JSON: {e}"),
            invalid_params: vec![InvalidParam::new("body", e.to_string())],
        },
    })?;
    let value = motcua_core::text::nfc_json(value);
    if let Some(path) = control_character_path(&value, String::new()) {
        return Err(ApiError::invalid(path, FORBIDDEN_CHARACTERS));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let name = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid(name, e.into_inner().to_string())
    })
}

/// The path of the first string holding a forbidden character (control or bidirectional).
fn control_character_path(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) if has_forbidden_character(text) => {
            Some(if path.is_empty() { "body".into() } else { path })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| control_character_path(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let path = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if has_forbidden_character(k) {
                Some(path)
            } else {
                control_character_path(v, path)
            }
        }),
        _ => None,
    }
}

/// Middleware refusing a path with a control or bidirectional character (e.g. `%00` in a dossier
/// code) as 400 on `path`, as such text is refused in a body or a query: no record is named with
/// one, and PostgreSQL cannot compare text holding NUL.
pub async fn refuse_control_characters_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let path = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    if has_forbidden_character(&path) {
        return Ok(req.error_response(ApiError::bad_param("path", FORBIDDEN_CHARACTERS)));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// Query parameters, NFC-normalised, unknown names refused, errors naming the parameter.
pub struct ValidQuery<T>(pub T);

impl<T> ValidQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ValidQuery))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let mut normalised = form_urlencoded::Serializer::new(String::new());
    for (name, value) in query_pairs(query)? {
        if has_forbidden_character(&name) || has_forbidden_character(&value) {
            return Err(ApiError::bad_param(name, FORBIDDEN_CHARACTERS));
        }
        normalised.append_pair(
            &motcua_core::text::nfc(&name),
            &motcua_core::text::nfc(&value),
        );
    }
    let normalised = normalised.finish();
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(normalised.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let reason = e.inner().to_string();
        let path = e.path().to_string();
        let name = if path == "." {
            unknown_field_name(&reason).unwrap_or_else(|| "query".to_owned())
        } else {
            path
        };
        ApiError::bad_param(name, reason)
    })
}

/// The decoded name and value of each query parameter. Unlike `form_urlencoded::parse`, bytes
/// that are not UTF-8 are refused (400 naming the parameter) rather than replaced, so that a
/// search never runs on text the client did not send.
fn query_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |part: &str| {
        let plus_as_space = part.replace('+', " ");
        percent_encoding::percent_decode_str(&plus_as_space)
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name_text = decode(name).map_err(|_| {
                ApiError::bad_param(name, "the parameter name is not UTF-8 once percent-decoded")
            })?;
            let value_text = decode(value).map_err(|_| {
                ApiError::bad_param(
                    name_text.clone(),
                    "the value is not UTF-8 once percent-decoded",
                )
            })?;
            Ok((name_text, value_text))
        })
        .collect()
}

/// The longest request target (path and query) the service reads, below the HTTP codec's own
/// limit of 65 534 bytes (longer targets get a bare `400` from the codec, before any of this
/// code runs; see API-DESIGN.md).
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Middleware answering a request target longer than [`MAX_URI_BYTES`] with `414` problem+json.
pub async fn refuse_long_uris(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let length = req
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if length > MAX_URI_BYTES {
        return Ok(req.error_response(ApiError::UriTooLong {
            limit: MAX_URI_BYTES,
        }));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// A record id from the path segment `{id}`, in canonical decimal (`4`, never `+4`, `04` or
/// `4.0`): anything else is 400 on `path`, not 404, as the id is malformed.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub i64);

impl PathId {
    pub fn into_inner(self) -> i64 {
        self.0
    }
}

impl FromRequest for PathId {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let segment = req.match_info().get("id").unwrap_or_default();
        std::future::ready(path_number(segment).map(PathId))
    }
}

/// A number taken from a path segment (`{id}`, `{year}`, `{position}`): canonical decimal, or
/// 400 on `path`. The one parser of numbers in paths.
pub fn path_number(segment: &str) -> Result<i64, ApiError> {
    motcua_core::record_ids::parse_canonical_id(segment)
        .map_err(|reason| ApiError::bad_param("path", reason))
}

/// serde names an unknown field inside its message (`unknown field `x`, expected …`).
fn unknown_field_name(reason: &str) -> Option<String> {
    let rest = reason.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<Data<WebContext>>()
        .map_or(64 * 1024, |web| web.limits.max_body_bytes)
}

pub(crate) fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The media type of the body (`Content-Type` without parameters, lower case; empty if absent).
pub fn media_type(req: &HttpRequest) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let mime = media_type(req);
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Accepts `null` and a value alike as "set this field", so PATCH can clear an optional field.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        name: String,
        limit: Option<u32>,
    }

    #[test]
    fn json_errors_name_the_field() {
        let err = parse_json::<Probe>(br#"{"name": 5}"#).unwrap_err();
        assert!(
            matches!(&err, ApiError::Invalid { invalid_params, .. } if invalid_params[0].name == "name")
        );
        let err = parse_json::<Probe>(br#"{"name": "a", "extra": 1}"#).unwrap_err();
        assert!(
            matches!(&err, ApiError::Invalid { invalid_params, .. } if invalid_params[0].reason.contains("extra"))
        );
        let err = parse_json::<Probe>(b"{").unwrap_err();
        assert!(matches!(err, ApiError::BadRequest { .. }));
    }

    #[test]
    fn control_characters_are_refused_with_their_path() {
        let err = parse_json::<serde_json::Value>(br#"{"a": [{"b": "x\u0000y"}]}"#).unwrap_err();
        assert!(
            matches!(&err, ApiError::Invalid { invalid_params, .. } if invalid_params[0].name == "a[0].b")
        );
        assert!(parse_json::<serde_json::Value>(br#"{"a": "line\nbreak"}"#).is_ok());
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let err = parse_query::<Probe>("name=a&limit=x").unwrap_err();
        assert!(
            matches!(&err, ApiError::BadRequest { invalid_params, .. } if invalid_params[0].name == "limit")
        );
        let err = parse_query::<Probe>("name=a&limt=3").unwrap_err();
        assert!(
            matches!(&err, ApiError::BadRequest { invalid_params, .. } if invalid_params[0].name == "limt")
        );
        let probe = parse_query::<Probe>("name=Vie%CC%A3%CC%82t").unwrap();
        assert_eq!(probe.name, "Việt");
        let probe = parse_query::<Probe>("name=a+b%2Bc&&limit=3").unwrap();
        assert_eq!(probe.name, "a b+c");
        let err = parse_query::<Probe>("name=%FF%FE").unwrap_err();
        assert!(
            matches!(&err, ApiError::BadRequest { invalid_params, .. } if invalid_params[0].name == "name")
        );
        let err = parse_query::<Probe>("name=%E2%80%AEabc").unwrap_err();
        assert!(
            matches!(&err, ApiError::BadRequest { invalid_params, .. } if invalid_params[0].name == "name")
        );
    }

    #[test]
    fn duplicate_keys_are_refused_with_their_path() {
        let err = parse_json::<serde_json::Value>(br#"{"unit_id": 4, "unit_id": 5}"#).unwrap_err();
        assert!(
            matches!(&err, ApiError::BadRequest { invalid_params, .. } if invalid_params[0].name == "unit_id")
        );
        let err =
            parse_json::<serde_json::Value>(br#"{"a": [1, {"b": {"c": 1, "c": 2}}]}"#).unwrap_err();
        assert!(
            matches!(&err, ApiError::BadRequest { invalid_params, .. } if invalid_params[0].name == "a[1].b.c"),
            "{err:?}"
        );
        // Keys equal once normalised to NFC are the same key.
        let err = parse_json::<serde_json::Value>("{\"Yên\": 1, \"Ye\u{0302}n\": 2}".as_bytes())
            .unwrap_err();
        assert!(matches!(&err, ApiError::BadRequest { .. }), "{err:?}");
        assert!(parse_json::<serde_json::Value>(br#"{"a": {"x": 1}, "b": {"x": 1}}"#).is_ok());
    }
}
