//! The verification page for people at `/verification`: the report of a signed PDF that is
//! uploaded, or of a dossier's stored electronic result looked up by its code. Public like
//! `/verify`, and HTML, so it stays out of the OpenAPI document.

use actix_web::web::{self, Data, Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use motcua_pki::pades::PdfSignatureReport;
use motcua_web::error::ApiError;
use motcua_web::verification_page::{
    answer_upload, Lang, Page, PageProblem, PageRequest, Subject, MAX_CODE_CHARS, PAGE_PATH,
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
    }
}

/// The form, or with `?code=` the report of that dossier's electronic result.
async fn show(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let asked = PageRequest::of(&req);
    let code = asked.dossier_code.as_deref();
    let page = page(&state, asked.lang, code);
    match code {
        None => page.form(),
        Some(code) => match dossier_reports(&state, code).await {
            Ok(reports) => page.report(Subject::Dossier { code }, &reports),
            Err(problem) => page.problem(&problem),
        },
    }
}

async fn upload(req: HttpRequest, payload: Payload, state: Data<AppState>) -> HttpResponse {
    let page = page(&state, Lang::from_query(req.query_string()), None);
    answer_upload(&req, payload.into_inner(), page, |pdf| {
        verify(&state, pdf, RevocationPolicy::Require)
    })
    .await
}

async fn dossier_reports(
    state: &Data<AppState>,
    code: &str,
) -> Result<Vec<PdfSignatureReport>, PageProblem> {
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
    Ok(verify(state, pdf, RevocationPolicy::Require).await?)
}
