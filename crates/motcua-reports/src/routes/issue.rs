//! Issuing (number, time and the organisation's signature after the leader's), submitting to
//! the province through the outbox, and the state of the delivery.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json, Path};
use actix_web::{get, post};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Datelike, Utc};
use motcua_audit::Actor;
use motcua_core::access::Access;
use motcua_core::report::ReportStatus;
use motcua_db::now;
use motcua_db::reports::{self, OutboxEntry, ReportDocument};
use motcua_keys::keystore;
use motcua_pki::pades::{self, PdfSignatureOptions, SignatureAppearance, SignatureMark};
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::concurrency::IfMatch;
use motcua_web::error::responses::{PreconditionErrors, ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::request_id::RequestId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::document::Issue;
use crate::package::{sha256_hex, ReportPackage, Sender, SignedReceipt};
use crate::state::AppState;
use crate::workflow::{
    self, changed, current_version, current_view, find, require_report, require_status,
    require_unchanged, vietnam, ReportView, ISSUED, LEADER_SIGNED,
};

/// Numbers the report, stamps the time, and adds the organisation's signature (the seal over the
/// left third of the leader's) with the unit's stored key. An issued report never changes.
#[utoipa::path(tag = "signing", params(("id" = String, Path), IfMatch), responses((status = 200, body = ReportView, headers(("ETag" = String, description = "The report's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/reports/{id}/issue")]
pub async fn issue_report(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    if_match: IfMatch,
) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    let password = keystore::password(state.config.keystore_password.as_ref())?.clone();
    let actor = Actor::new(&who, &request_id);
    let signers = state.clone();
    let store = state.trust_store()?;
    // Signature work waits for a slot: a burst cannot take every core.
    let _slot = state.web.signature_slot().await?;
    let answer = state
        .write_answer(move |conn| {
            let mut report = find(conn, &id)?;
            require_report(&who, &report, Access::Write)?;
            require_unchanged(conn, &id, &if_match)?;
            require_status(&report, ReportStatus::LeaderSigned, "issue the report")?;
            let key = reports::current_key(conn, report.unit_id)?.ok_or_else(|| {
                ApiError::Conflict(format!(
                    "no organisation key is stored for unit {}; an admin uploads it at \
                     POST /organisation-keys",
                    report.unit_id
                ))
            })?;
            let signer = signers.signers.signer(key.id, &key.pkcs12, &password)?;
            let leader_signed = reports::document(conn, &report.id, LEADER_SIGNED)?
                .ok_or_else(|| ApiError::Internal("a signed report without document".into()))?;
            let version = current_version(conn, &report)?;
            let rendered = workflow::render(
                &report,
                &version,
                Issue {
                    number_text: None,
                    date: None,
                },
            )?;
            let issued_at = Utc::now();
            let local = issued_at.with_timezone(&vietnam());
            let year = local.year();
            let number = reports::next_number(conn, report.unit_id, year)?;
            let number_text = format!("{number:02}/{}", report.kind.number_suffix());
            let mut options = PdfSignatureOptions::new(issued_at);
            options.field_name = Some("ToChuc".into());
            options.page = rendered.signature_slots.page;
            // The number and time the system assigns are part of the organisation's signature
            // (NĐ 30, electronic documents): hh:mm:ss in Vietnam time, ISO 8601.
            options.reason = Some(format!(
                "Ban hành văn bản số {number_text} lúc {}",
                local.format("%Y-%m-%dT%H:%M:%S%:z")
            ));
            options.location = Some(version.content.letterhead.place);
            options.appearance = Some(SignatureAppearance {
                rect: rendered.signature_slots.seal,
                mark: SignatureMark::Seal,
                text: vec![
                    signer
                        .certificate()
                        .info()
                        .subject
                        .first("CN")
                        .unwrap_or_default()
                        .to_owned(),
                    format!("Số: {number_text}"),
                    local.format("%d/%m/%Y %H:%M:%S %:z").to_string(),
                ],
            });
            // The key's file may lack the intermediates: the trust roots complete the chain.
            let chain = keystore::chain_to_embed(signer.as_ref(), &store);
            let signed = pades::sign_pdf(&leader_signed.pdf, signer.as_ref(), &chain, &options)
                .map_err(|e| ApiError::Internal(format!("organisation signature: {e}")))?;
            let at = issued_at.naive_utc();
            reports::put_document(
                conn,
                &ReportDocument {
                    report_id: report.id.clone(),
                    stage: ISSUED.into(),
                    sha256: sha256_hex(&signed),
                    pdf: signed,
                    created_at: at,
                },
            )?;
            report.status = ReportStatus::Issued;
            report.number = Some(number);
            report.number_year = Some(year);
            report.number_text = Some(number_text.clone());
            report.issued_at = Some(at);
            report.updated_at = at;
            reports::save(conn, &report)?;
            actor.record(
                conn,
                "report.issued",
                "report",
                &report.id,
                &serde_json::json!({ "number": number_text, "organisation_key": key.id }),
            )?;
            changed(StatusCode::OK, current_view(conn, &report.id)?)
        })
        .await?;
    state
        .web
        .metrics
        .signatures_made
        .with_label_values(&["report_organisation"])
        .inc();
    Ok(answer)
}

/// Queues the issued package for delivery to the province; the outbox delivers it.
#[utoipa::path(tag = "delivery", params(("id" = String, Path), IfMatch), responses((status = 200, body = ReportView, headers(("ETag" = String, description = "The report's new entity tag"))), (status = 502, description = "The results service failed", body = motcua_web::error::Problem, content_type = "application/problem+json"), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/reports/{id}/submission")]
pub async fn submit_report(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    if_match: IfMatch,
) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    let destination = state.config.receiver_url.clone().ok_or_else(|| {
        ApiError::Conflict(
            "no provincial receiver is configured (MOTCUA_RECEIVER_URL); reports cannot be \
             submitted from here"
                .into(),
        )
    })?;
    let (report, version) = {
        let (who, id) = (who.clone(), id.clone());
        state
            .read(move |conn| {
                let report = find(conn, &id)?;
                require_report(&who, &report, Access::Write)?;
                require_status(&report, ReportStatus::Issued, "submit the report")?;
                let version = current_version(conn, &report)?;
                Ok((report, version))
            })
            .await?
    };
    let unit = state
        .results()?
        .unit(report.unit_id)
        .await
        .map_err(|e| ApiError::BadGateway(format!("cannot read the unit: {e}")))?
        .value;
    let sender = Sender {
        unit_id: unit.id,
        name: unit.name,
        level: version.figures.unit.level.clone(),
        tax_code: unit.tax_code,
        budget_code: unit.budget_code,
    };
    let actor = Actor::new(&who, &request_id);
    let answer = state
        .write_answer(move |conn| {
            require_unchanged(conn, &id, &if_match)?;
            let mut report = find(conn, &id)?;
            require_status(&report, ReportStatus::Issued, "submit the report")?;
            let issued = reports::document(conn, &report.id, ISSUED)?
                .ok_or_else(|| ApiError::Internal("an issued report without document".into()))?;
            let package = ReportPackage {
                report_id: report.id.clone(),
                kind: report.kind,
                periods: version.figures.periods.clone(),
                sender,
                number_text: report.number_text.clone().unwrap_or_default(),
                issued_at: report.issued_at.map(workflow::utc).unwrap_or_else(Utc::now),
                corrects: report.corrects.clone(),
                figures_sha256: version.row.figures_sha256.clone(),
                pdf_base64: STANDARD.encode(&issued.pdf),
            };
            let at = now();
            reports::enqueue(
                conn,
                &OutboxEntry {
                    report_id: report.id.clone(),
                    destination: destination.clone(),
                    package: serde_json::to_vec(&package)
                        .map_err(|e| ApiError::Internal(e.to_string()))?,
                    attempts: 0,
                    next_attempt_at: at,
                    last_error: None,
                    delivered_at: None,
                    receipt: None,
                    created_at: at,
                },
            )?;
            report.status = ReportStatus::Submitted;
            report.submitted_at = Some(at);
            report.updated_at = at;
            reports::save(conn, &report)?;
            actor.record(
                conn,
                "report.submitted",
                "report",
                &report.id,
                &serde_json::json!({ "destination": destination }),
            )?;
            changed(StatusCode::OK, current_view(conn, &report.id)?)
        })
        .await?;
    Ok(answer)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub report_id: String,
    pub destination: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The province's signed receipt, once delivered.
    pub receipt: Option<SignedReceipt>,
}

/// Where the delivery of a submitted report stands.
#[utoipa::path(tag = "delivery", params(("id" = String, Path)), responses((status = 200, body = DeliveryView), ReadErrors), security(("api_key" = [])))]
#[get("/reports/{id}/delivery")]
pub async fn get_delivery(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<Json<DeliveryView>, ApiError> {
    let id = id.into_inner();
    let view = state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Read)?;
            let entry = reports::outbox_entry(conn, &report.id)?.ok_or_else(|| {
                ApiError::NotFound(format!("report {} has not been submitted", report.id))
            })?;
            let receipt = entry
                .receipt
                .as_deref()
                .map(serde_json::from_str::<SignedReceipt>)
                .transpose()
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(DeliveryView {
                report_id: entry.report_id,
                destination: entry.destination,
                attempts: entry.attempts,
                next_attempt_at: entry
                    .delivered_at
                    .is_none()
                    .then(|| workflow::utc(entry.next_attempt_at)),
                last_error: entry.last_error,
                delivered_at: entry.delivered_at.map(workflow::utc),
                receipt,
            })
        })
        .await?;
    Ok(Json(view))
}
