//! The steps both services' page handlers share: reading what the request asks for, and turning
//! an upload into a report page or a problem page, never into a JSON error.

use std::future::Future;

use actix_web::dev::Payload;
use actix_web::{HttpRequest, HttpResponse};
use motcua_pki::pades::PdfSignatureReport;

use super::{
    dossier_code, query_value, read_pdf_upload, Lang, Page, PageProblem, Subject, REPORT_PARAM,
    SHA256_PARAM,
};
use crate::verify_upload::VerificationError;

/// What a request of the page asks for: its language and, on the results service, a dossier;
/// on the report service, an issued report; with either, the hash of a verification QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub lang: Lang,
    pub dossier_code: Option<String>,
    pub report_id: Option<String>,
    /// As written in the query: [`parse_sha256`](super::parse_sha256) checks it.
    pub sha256: Option<String>,
}

impl PageRequest {
    pub fn of(req: &HttpRequest) -> Self {
        let query = req.query_string();
        Self {
            lang: Lang::from_query(query),
            dossier_code: dossier_code(query),
            report_id: query_value(query, REPORT_PARAM),
            sha256: query_value(query, SHA256_PARAM),
        }
    }
}

/// Reads the uploaded PDF within the page's limit, verifies it with `verify`, and answers with
/// the report or with the problem in the page's language.
pub async fn answer_upload<F, Fut>(
    req: &HttpRequest,
    payload: Payload,
    page: Page<'_>,
    verify: F,
) -> HttpResponse
where
    F: FnOnce(Vec<u8>) -> Fut,
    Fut: Future<Output = Result<Vec<PdfSignatureReport>, VerificationError>>,
{
    let upload = match read_pdf_upload(req, payload, page.max_upload_bytes).await {
        Ok(upload) => upload,
        Err(problem) => return page.problem(&problem),
    };
    let subject = Subject::Upload {
        file_name: upload.file_name.as_deref(),
    };
    match verify(upload.pdf).await {
        Ok(reports) => page.report(subject, &reports),
        Err(error) => page.problem(&PageProblem::from(error)),
    }
}
