//! The verification page for people at `/verification`: the report of a signed PDF that is
//! uploaded, or of a dossier's stored electronic result looked up by its code. Public like
//! `/verify`, and HTML, so it stays out of the OpenAPI document.

use actix_web::web::{self, Data, Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use motcua_pki::pades::{has_revision_with_sha256, PdfSignatureReport};
use motcua_web::error::ApiError;
use motcua_web::verification_page::{
    answer_upload, parse_sha256, Lang, Page, PageProblem, PageRequest, Subject, MAX_CODE_CHARS,
    PAGE_PATH,
};

use motcua_pki::RevocationPolicy;

use super::results::stored_result;
use super::verification::verify;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        web::resource(PAGE_PATH)
            .route(web::get().to(show))
            .route(web::post().to(upload)),
    );
}

fn page<'a>(state: &AppState, lang: Lang, dossier_code: Option<&'a str>) -> Page<'a> {
    Page {
        lang,
        max_upload_bytes: state.web.limits.max_document_bytes,
        dossier_lookup: true,
        dossier_code,
        report_id: None,
        sha256: None,
    }
}

/// The form, or with `?code=` the report of that dossier's electronic result; with `&sha256=`
/// (from the result's verification QR code) also whether the stored result is that document.
async fn show(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let asked = PageRequest::of(&req);
    let code = asked.dossier_code.as_deref();
    let page = Page {
        sha256: asked.sha256.as_deref(),
        ..page(&state, asked.lang, code)
    };
    let Some(code) = code else {
        return page.form();
    };
    let expected = match asked.sha256.as_deref().map(parse_sha256).transpose() {
        Ok(expected) => expected,
        Err(_) => return page.problem(&PageProblem::MalformedHash),
    };
    match dossier_reports(&state, code, expected).await {
        Ok((reports, matches)) => page.checked_report(Subject::Dossier { code }, &reports, matches),
        Err(problem) => page.problem(&problem),
    }
}

async fn upload(req: HttpRequest, payload: Payload, state: Data<AppState>) -> HttpResponse {
    let page = page(&state, Lang::from_query(req.query_string()), None);
    answer_upload(&req, payload.into_inner(), page, |pdf| {
        verify(&state, pdf, RevocationPolicy::Require)
    })
    .await
}

/// The reports of the dossier's stored result and, when `expected` is given, whether a revision
/// of it has that SHA-256.
async fn dossier_reports(
    state: &Data<AppState>,
    code: &str,
    expected: Option<[u8; 32]>,
) -> Result<(Vec<PdfSignatureReport>, Option<bool>), PageProblem> {
    // No dossier has a longer code: not worth a query.
    if code.chars().count() > MAX_CODE_CHARS {
        return Err(PageProblem::NoResult);
    }
    let pdf = stored_result(state, code.to_owned())
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => PageProblem::NoResult,
            other => PageProblem::Service(other),
        })?;
    let matches = expected.map(|hash| has_revision_with_sha256(&pdf, &hash));
    Ok((
        verify(state, pdf, RevocationPolicy::Require).await?,
        matches,
    ))
}
