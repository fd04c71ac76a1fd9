//! A report's document and figures for people and programs: the PDF at its latest stage, the
//! frozen figures as JSON and CSV, and the verification of its signatures at any time.

use actix_web::web::{Data, Json, Path};
use actix_web::{get, HttpResponse};
use motcua_core::access::Access;
use motcua_db::reports;
use motcua_pki::pades::PdfSignatureReport;
use motcua_web::auth::Principal;
use motcua_web::error::responses::ReadErrors;
use motcua_web::error::ApiError;
use motcua_web::extract::ValidQuery;
use motcua_web::openapi::PdfDocument;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::signature_check::{document_valid, verify_stored};
use crate::state::AppState;
use crate::workflow::{current_version, find, require_report, ISSUED, LEADER_SIGNED, RENDERED};

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    /// `rendered`, `leader_signed` or `issued`; the latest when absent.
    #[param(pattern = "^(rendered|leader_signed|issued)$")]
    pub stage: Option<String>,
}

/// The latest document of a report (or the one of a stage), with the stage it is at.
async fn latest_document(
    state: &AppState,
    who: Principal,
    id: String,
    stage: Option<String>,
) -> Result<(String, Vec<u8>), ApiError> {
    if let Some(stage) = &stage {
        if ![RENDERED, LEADER_SIGNED, ISSUED].contains(&stage.as_str()) {
            return Err(ApiError::bad_param(
                "stage",
                "one of rendered, leader_signed, issued",
            ));
        }
    }
    state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Read)?;
            let stages = match &stage {
                Some(stage) => vec![stage.clone()],
                None => vec![ISSUED.into(), LEADER_SIGNED.into(), RENDERED.into()],
            };
            for stage in stages {
                if let Some(document) = reports::document(conn, &report.id, &stage)? {
                    return Ok((stage, document.pdf));
                }
            }
            Err(ApiError::NotFound(format!(
                "report {} has no document yet: it is rendered when made ready for signature",
                report.id
            )))
        })
        .await
}

/// The report's PDF.
#[utoipa::path(tag = "reports", params(("id" = String, Path), DocumentQuery), responses((status = 200, description = "The PDF", content_type = "application/pdf", body = PdfDocument), ReadErrors), security(("api_key" = [])))]
#[get("/reports/{id}/document")]
pub async fn download_document(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
    query: ValidQuery<DocumentQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (stage, pdf) = latest_document(&state, who, id.clone(), query.into_inner().stage).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"bao-cao-{id}-{stage}.pdf\""),
        ))
        .body(pdf))
}

/// The frozen figures of the current version (the JSON attached to the PDF, byte for byte).
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses((status = 200, description = "The figures, motcua.report-figures/1", content_type = "application/json", body = Object), ReadErrors), security(("api_key" = [])))]
#[get("/reports/{id}/figures")]
pub async fn download_figures(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let json = state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Read)?;
            Ok(reports::version(conn, &report.id, report.current_version)?.figures)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(json))
}

/// The figures as CSV (UTF-8, RFC 4180), one table with a `section` column.
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses((status = 200, description = "CSV", content_type = "text/csv", body = String), ReadErrors), security(("api_key" = [])))]
#[get("/reports/{id}/figures.csv")]
pub async fn download_figures_csv(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let csv = state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Read)?;
            Ok(current_version(conn, &report)?.figures.to_csv())
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(csv))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentVerification {
    pub report_id: String,
    /// The stage of the document verified.
    pub stage: String,
    /// Every signature is TOTAL_PASSED and nothing but signatures followed them.
    pub valid: bool,
    pub signatures: Vec<PdfSignatureReport>,
}

/// Verifies the signatures of the report's latest document now, against the trust store.
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses((status = 200, body = DocumentVerification), ReadErrors), security(("api_key" = [])))]
#[get("/reports/{id}/verification")]
pub async fn verify_report(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<Json<DocumentVerification>, ApiError> {
    let id = id.into_inner();
    let (stage, pdf) = latest_document(&state, who, id.clone(), None).await?;
    let signatures = verify_stored(&state, &id, pdf).await?;
    let valid = document_valid(&signatures, 1);
    Ok(Json(DocumentVerification {
        report_id: id,
        stage,
        valid,
        signatures,
    }))
}
