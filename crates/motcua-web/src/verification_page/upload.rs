//! Reading the PDF of the upload form (`multipart/form-data`) within the service's document
//! limit, stopping as soon as the limit is passed.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::dev::Payload;
use actix_web::HttpRequest;
use futures_util::StreamExt;

use super::problem::PageProblem;
use crate::extract::{declared_length, media_type};
use crate::limits::is_body_timeout;
use crate::signed_upload::read_part;

/// The name of the form's file input.
pub const FILE_FIELD: &str = "document";

/// What the form may carry besides the file: boundaries, part headers and a few small fields.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;
/// Fields other than the file are read and dropped; a form with more is not the page's.
const MAX_FIELDS: usize = 8;

/// The uploaded PDF and the name the browser gave it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: Option<String>,
    pub pdf: Vec<u8>,
}

/// Reads the form: 415 for another content type or a file that is not a PDF, 413 past `limit`
/// bytes of file, 400 for a broken form, 408 for one still arriving at the body deadline, 422
/// without a file.
pub async fn read_pdf_upload(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
) -> Result<Upload, PageProblem> {
    if media_type(req) != "multipart/form-data" {
        return Err(PageProblem::NotAForm);
    }
    if declared_length(req).is_some_and(|length| length > limit.saturating_add(FORM_OVERHEAD_BYTES))
    {
        return Err(PageProblem::TooLarge { limit });
    }
    let mut form = Multipart::new(req.headers(), payload);
    let mut upload = None;
    let mut other_bytes = 0;
    for _ in 0..MAX_FIELDS {
        let Some(field) = form.next().await else {
            break;
        };
        let mut field = field.map_err(|error| malformed(&error))?;
        if field.name() == Some(FILE_FIELD) && upload.is_none() {
            let file_name = file_name(&field);
            let pdf = read_field(&mut field, limit)
                .await?
                .ok_or(PageProblem::TooLarge { limit })?;
            upload = Some(Upload { file_name, pdf });
        } else {
            let room = FORM_OVERHEAD_BYTES.saturating_sub(other_bytes);
            let bytes = read_field(&mut field, room)
                .await?
                .ok_or_else(|| PageProblem::MalformedForm("too many or too large fields".into()))?;
            other_bytes += bytes.len();
        }
    }
    let upload = upload
        .filter(|upload| !upload.pdf.is_empty())
        .ok_or(PageProblem::NoFile)?;
    // The bytes decide, not the name or the type the browser guessed from it.
    if !upload.pdf.starts_with(b"%PDF-") {
        return Err(PageProblem::NotPdf);
    }
    Ok(upload)
}

/// The field's bytes, or `None` as soon as they pass `limit`.
async fn read_field(field: &mut Field, limit: usize) -> Result<Option<Vec<u8>>, PageProblem> {
    read_part(field, limit)
        .await
        .map_err(|error| malformed(&error))
}

/// The file name without any folder a browser may have sent with it.
fn file_name(field: &Field) -> Option<String> {
    let name = field.content_disposition()?.get_filename()?;
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    (!base.is_empty()).then(|| base.to_owned())
}

fn malformed(error: &MultipartError) -> PageProblem {
    match error {
        MultipartError::Payload(payload) if is_body_timeout(payload) => PageProblem::TimedOut,
        other => PageProblem::MalformedForm(other.to_string()),
    }
}
