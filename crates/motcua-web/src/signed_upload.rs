//! The body of `POST /verify`: a signed PDF, a CMS signature holding its content, or a detached
//! CMS signature with the data it signs, each read within the document limit.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::dev::Payload;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::extract::{declared_length, document_limit, media_type, read_body, read_pdf};
use crate::limits::is_body_timeout;

/// Media types of a CMS signature sent on its own.
pub const CMS_MEDIA_TYPES: &[&str] = &[
    "application/pkcs7-signature",
    "application/pkcs7-mime",
    "application/cms",
];

/// The multipart part holding a detached signature.
pub const SIGNATURE_PART: &str = "signature";
/// The multipart part holding the data a detached signature signs.
pub const DATA_PART: &str = "data";

/// A CMS signature is a few kilobytes (the signer's chain included); 1 MiB leaves room for
/// long chains and embedded revocation data.
pub const MAX_SIGNATURE_BYTES: usize = 1024 * 1024;

/// Boundaries and part headers of a two-part form.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;

/// What was uploaded for verification.
#[derive(Debug, Clone)]
pub enum SignedUpload {
    /// `application/pdf`: every signature of the PDF.
    Pdf(Bytes),
    /// `application/pkcs7-signature` (or `pkcs7-mime`, `cms`): a signature holding its
    /// content, DER or PEM.
    AttachedCms(Bytes),
    /// `multipart/form-data` with the parts `signature` (DER or PEM) and `data`.
    DetachedCms { signature: Vec<u8>, data: Vec<u8> },
}

impl FromRequest for SignedUpload {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = document_limit(req);
        let media_type = media_type(req);
        let declared_length = declared_length(req);
        let headers = req.headers().clone();
        let payload = payload.take();
        Box::pin(async move {
            let room = match media_type.as_str() {
                "multipart/form-data" => limit
                    .saturating_add(MAX_SIGNATURE_BYTES)
                    .saturating_add(FORM_OVERHEAD_BYTES),
                _ => limit,
            };
            if declared_length.is_some_and(|length| length > room) {
                return Err(ApiError::PayloadTooLarge { limit: room });
            }
            match media_type.as_str() {
                "application/pdf" => Ok(SignedUpload::Pdf(read_pdf(payload, limit).await?)),
                cms if CMS_MEDIA_TYPES.contains(&cms) => {
                    Ok(SignedUpload::AttachedCms(read_body(payload, limit).await?))
                }
                "multipart/form-data" => {
                    read_detached(Multipart::new(&headers, payload), limit).await
                }
                _ => Err(ApiError::UnsupportedMediaType(
                    "send a signed PDF as application/pdf, a signature holding its content as \
                     application/pkcs7-signature, or a detached signature and its data as \
                     multipart/form-data with the parts `signature` and `data`"
                        .into(),
                )),
            }
        })
    }
}

/// The two parts of a detached signature; any other part, or a part sent twice, is refused.
async fn read_detached(mut form: Multipart, limit: usize) -> Result<SignedUpload, ApiError> {
    let mut signature = None;
    let mut data = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|error| form_error("body", &error))?;
        let name = field.name().unwrap_or_default().to_owned();
        let (slot, part_limit) = match name.as_str() {
            SIGNATURE_PART => (&mut signature, MAX_SIGNATURE_BYTES),
            DATA_PART => (&mut data, limit),
            _ => {
                return Err(ApiError::invalid(
                    if name.is_empty() { "body" } else { &name },
                    "unknown part: a detached signature is sent as the parts `signature` and \
                     `data`",
                ))
            }
        };
        if slot.is_some() {
            return Err(ApiError::invalid(&name, "sent twice"));
        }
        let bytes = read_part(&mut field, part_limit)
            .await
            .map_err(|error| form_error(&name, &error))?
            .ok_or(ApiError::PayloadTooLarge { limit: part_limit })?;
        *slot = Some(bytes);
    }
    match (signature, data) {
        (Some(signature), Some(data)) if !signature.is_empty() => {
            Ok(SignedUpload::DetachedCms { signature, data })
        }
        (Some(_), Some(_)) => Err(ApiError::invalid(SIGNATURE_PART, "is empty")),
        (None, _) => Err(ApiError::invalid(SIGNATURE_PART, "is missing")),
        (_, None) => Err(ApiError::invalid(DATA_PART, "is missing")),
    }
}

fn form_error(name: &str, error: &MultipartError) -> ApiError {
    match error {
        MultipartError::Payload(payload) if is_body_timeout(payload) => {
            ApiError::RequestTimeout(payload.to_string())
        }
        other => ApiError::bad_param(name, format!("malformed multipart form: {other}")),
    }
}

/// A part's bytes, or `None` as soon as they pass `limit`.
pub async fn read_part(field: &mut Field, limit: usize) -> Result<Option<Vec<u8>>, MultipartError> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > limit {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes.to_vec()))
}
