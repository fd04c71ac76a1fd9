//! The verification page for people at `/verification`: the report of an uploaded signed PDF,
//! such as a report received from a district, or, with `?report={id}&sha256={hex}` as the
//! verification QR code of an issued report says, that issued report: what it is and the check
//! of its signatures, and whether the stored document is the one the code was printed on.
//! Public, unlike the report endpoints: a lookup shows issued reports only, never drafts. HTML,
//! so it stays out of the OpenAPI document.

use actix_web::web::{self, Data, Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use motcua_db::reports;
use motcua_pki::pades::has_revision_with_sha256;
use motcua_web::error::ApiError;
use motcua_web::verification_page::{
    answer_upload, parse_sha256, IssuedReport, Lang, Page, PageProblem, PageRequest, Subject,
    MAX_CODE_CHARS, PAGE_PATH,
};

use crate::report_document;
use crate::signature_check::verify_now;
use crate::state::AppState;
use crate::workflow::{current_version, find, vietnam, ISSUED};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        web::resource(PAGE_PATH)
            .route(web::get().to(show))
            .route(web::post().to(upload)),
    );
}

fn page(state: &AppState, lang: Lang) -> Page<'static> {
    Page {
        lang,
        max_upload_bytes: state.web.limits.max_document_bytes,
        dossier_lookup: false,
        dossier_code: None,
        report_id: None,
        sha256: None,
    }
}

/// The form, or with `?report=` the issued report and its check.
async fn show(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let asked = PageRequest::of(&req);
    let page = Page {
        report_id: asked.report_id.as_deref(),
        sha256: asked.sha256.as_deref(),
        ..page(&state, asked.lang)
    };
    let Some(id) = asked.report_id.as_deref() else {
        return page.form();
    };
    let expected = match asked.sha256.as_deref().map(parse_sha256).transpose() {
        Ok(expected) => expected,
        Err(_) => return page.problem(&PageProblem::MalformedHash),
    };
    let mut found = match issued_report(&state, id, asked.lang).await {
        Ok(found) => found,
        Err(problem) => return page.problem(&problem),
    };
    let matches = expected.map(|hash| has_revision_with_sha256(&found.pdf, &hash));
    match verify_now(&state, std::mem::take(&mut found.pdf)).await {
        Ok(reports) => page.checked_report(Subject::Report(found.shown()), &reports, matches),
        Err(error) => page.problem(&PageProblem::from(error)),
    }
}

async fn upload(req: HttpRequest, payload: Payload, state: Data<AppState>) -> HttpResponse {
    let page = page(&state, Lang::from_query(req.query_string()));
    answer_upload(&req, payload.into_inner(), page, |pdf| {
        verify_now(&state, pdf)
    })
    .await
}

/// An issued report as the page shows it, with its issued document.
struct Found {
    id: String,
    title: String,
    number: String,
    date: String,
    unit: String,
    pdf: Vec<u8>,
}

impl Found {
    fn shown(&self) -> IssuedReport<'_> {
        IssuedReport {
            id: &self.id,
            title: &self.title,
            number: &self.number,
            date: &self.date,
            issuing_unit: &self.unit,
        }
    }
}

/// The issued report `id`; [`PageProblem::NoIssuedReport`] for no report, or one not issued.
async fn issued_report(state: &AppState, id: &str, lang: Lang) -> Result<Found, PageProblem> {
    // No report has a longer id: not worth a query.
    if id.chars().count() > MAX_CODE_CHARS {
        return Err(PageProblem::NoIssuedReport);
    }
    let id = id.to_owned();
    let found = state
        .read(move |conn| {
            let report = find(conn, &id)?;
            let issued = reports::document(conn, &report.id, ISSUED)?;
            let (Some(document), true) = (issued, report.status.is_issued()) else {
                return Ok(None);
            };
            let version = current_version(conn, &report)?;
            let title = report_document::subject(report.kind, &version.figures, &version.content);
            let date = report
                .issued_at
                .map(|at| at.and_utc().with_timezone(&vietnam()).date_naive());
            Ok(Some((report, title, date, document.pdf)))
        })
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => PageProblem::NoIssuedReport,
            other => PageProblem::Service(other),
        })?;
    let (report, title, date, pdf) = found.ok_or(PageProblem::NoIssuedReport)?;
    let date = date.map_or_else(String::new, |date| match lang {
        Lang::Vi => date.format("%d/%m/%Y").to_string(),
        Lang::En => date.format("%Y-%m-%d").to_string(),
    });
    Ok(Found {
        id: report.id,
        title,
        number: report.number_text.unwrap_or_default(),
        date,
        unit: report.unit_name,
        pdf,
    })
}
