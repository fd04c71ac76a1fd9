//! The verification page for people at `/verification`: the report of an uploaded signed PDF,
//! such as a report received from a district. Public, unlike the report endpoints: it shows only
//! what the person sends. HTML, so it stays out of the OpenAPI document.

use actix_web::web::{self, Data, Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use motcua_web::verification_page::{answer_upload, Lang, Page, PAGE_PATH};

use crate::signature_check::verify_now;
use crate::state::AppState;

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
    }
}

async fn show(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    page(&state, Lang::from_query(req.query_string())).form()
}

async fn upload(req: HttpRequest, payload: Payload, state: Data<AppState>) -> HttpResponse {
    let page = page(&state, Lang::from_query(req.query_string()));
    answer_upload(&req, payload.into_inner(), page, |pdf| {
        verify_now(&state, pdf)
    })
    .await
}
