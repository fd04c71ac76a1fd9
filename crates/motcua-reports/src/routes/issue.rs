//! Issuing (number, time and the organisation's signature after the leader's), submitting to
//! the province through the outbox, and the state of the delivery.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json, Path};
use actix_web::{get, post, HttpRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Datelike, Utc};
use motcua_audit::Actor;
use motcua_core::access::Access;
use motcua_core::record_ids::UnitId;
use motcua_db::reports::{self, AppearanceOwner, OutboxEntry, ReportDocument};
use motcua_db::{now, DbConnection, DbError};
use motcua_document::RenderedDocument;
use motcua_keys::keystore::{self, OrganisationSigner};
use motcua_pki::pades::{
    AppearanceImage, FieldFill, SignatureAppearance, SignatureMark, SignatureRequest,
};
use motcua_pki::TrustStore;
use motcua_web::answer::Answer;
use motcua_web::archival::{Finished, SignatureKind};
use motcua_web::auth::Principal;
use motcua_web::concurrency::{ETag, IfMatch};
use motcua_web::error::responses::{PreconditionErrors, ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::limits::SignatureSlot;
use motcua_web::location::absolute_url;
use motcua_web::request_id::RequestId;
use motcua_web::verify_upload::SignaturesVerdict;
use serde::Serialize;
use utoipa::ToSchema;

use crate::lifecycle::{self, LifecycleError, Step, Transition};
use crate::package::{sha256_hex, ReportPackage, Sender, SignedReceipt};
use crate::report_document;
use crate::routes::appearance_images::stored_image;
use crate::routes::organisation_keys::{organisation_signer, signature_failed};
use crate::signature_check::verify_just_signed;
use crate::state::AppState;
use crate::workflow::{
    self, changed, current_version, current_view, find, read_for_step, require_report,
    require_unchanged, vietnam, ReportView, ISSUED, LEADER_SIGNED,
};

/// How often an issue is prepared and signed again when concurrent issues of the unit took the
/// number it was signed with.
const ISSUE_ATTEMPTS: usize = 3;

/// An issue prepared from a read of the report, signed outside any write transaction.
struct PreparedIssue {
    etag: ETag,
    key_id: i64,
    signer: Arc<dyn OrganisationSigner>,
    leader_signed: Vec<u8>,
    request: SignatureRequest,
    number: i32,
    year: i32,
    number_text: String,
    /// What the verification QR code of the document says.
    qr_url: String,
}

/// Numbers the report, stamps the time, and adds the organisation's signature (the seal over the
/// left third of the leader's) with the unit's stored key, raised to its configured level
/// (B-LTA by default when a timestamp authority is configured: a document timestamp closes the
/// issued document). An issued report never changes.
#[utoipa::path(tag = "signing", params(("id" = String, Path), IfMatch), responses((status = 200, body = ReportView, headers(("ETag" = String, description = "The report's new entity tag"))), (status = 502, description = "The timestamp authority or a revocation source failed and no fallback level is configured; the report is not issued", body = motcua_web::error::Problem, content_type = "application/problem+json"), WriteErrors, PreconditionErrors, (status = 409, description = "`/problems/signatures-not-valid`: the signed document does not verify against the service's trust store (its `verification` member holds the report of every signature); the report is not issued and stays `leader_signed`. Other conflicts: `/problems/conflict`", body = motcua_web::error::Problem, content_type = "application/problem+json")), security(("api_key" = [])))]
#[post("/reports/{id}/issue")]
pub async fn issue_report(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    if_match: IfMatch,
    req: HttpRequest,
) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    let public_url = absolute_url(&req, "");
    let actor = Actor::new(&who, &request_id);
    let store = state.trust_store()?;
    // Signature work waits for a slot: a burst cannot take every core.
    let slot = state.web.signature_slot().await?;
    let mut attempt = 1;
    loop {
        let asked = (&who, id.as_str(), &if_match, public_url.as_str());
        let prepared = prepare_issue(&state, asked, &store).await?;
        let (prepared, signed) = sign_issue(prepared).await?;
        // The timestamp and validation data are fetched before the write: a slow or failing
        // authority holds no transaction, and a refusal (502) leaves the report as it was.
        let signed = state
            .archival
            .finish(SignatureKind::Report, signed, &store)
            .await?;
        refuse_unless_verified(&state, &slot, &id, &signed.pdf).await?;
        let number_taken = Arc::new(AtomicBool::new(false));
        let stored = {
            let (who, id, if_match) = (who.clone(), id.clone(), if_match.clone());
            let (actor, taken) = (actor.clone(), number_taken.clone());
            state
                .write_answer(move |conn| {
                    store_issue(conn, &who, &id, &if_match, &actor, prepared, signed, &taken)
                })
                .await
        };
        match stored {
            Err(_) if number_taken.load(Ordering::SeqCst) && attempt < ISSUE_ATTEMPTS => {
                attempt += 1;
            }
            Err(error) => return Err(error),
            Ok(answer) => {
                state
                    .web
                    .metrics
                    .signatures_made
                    .with_label_values(&["report_organisation"])
                    .inc();
                return Ok(answer);
            }
        }
    }
}

/// 409 with the report of every signature unless the issued document verifies here (both
/// signatures and any document timestamp TOTAL_PASSED): a report this service would call
/// invalid is never issued. Nothing is stored before.
async fn refuse_unless_verified(
    state: &AppState,
    slot: &SignatureSlot,
    id: &str,
    pdf: &[u8],
) -> Result<(), ApiError> {
    let signatures = verify_just_signed(state, slot, id, pdf.to_vec()).await?;
    let verdict = SignaturesVerdict::of(signatures, 2);
    if verdict.valid {
        return Ok(());
    }
    let failed: Vec<String> = verdict
        .signatures
        .iter()
        .filter(|signature| !signature.report.is_valid())
        .map(|signature| format!("{}: {}", signature.field_name, signature.report.summary))
        .collect();
    Err(ApiError::SignaturesNotValid {
        detail: format!(
            "report {id} is not issued: its signatures do not verify against this service's \
             trust store (MOTCUA_TRUST_ROOTS_DIR and the results service's trust anchors and \
             CRLs): {}",
            failed.join("; ")
        ),
        verification: Box::new(verdict),
    })
}

/// Reads the report and everything its issue needs, and takes the next free number of the
/// unit; nothing is reserved, [`store_issue`] checks the number is still free.
async fn prepare_issue(
    state: &Data<AppState>,
    (who, id, if_match, public_url): (&Principal, &str, &IfMatch, &str),
    store: &TrustStore,
) -> Result<PreparedIssue, ApiError> {
    let (who, id, if_match) = (who.clone(), id.to_owned(), if_match.clone());
    let public_url = public_url.to_owned();
    let (signers, store) = (state.clone(), store.clone());
    let level = state.archival.level(SignatureKind::Report);
    state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Write)?;
            require_unchanged(conn, &id, &if_match)?;
            lifecycle::check(&report, Transition::Issue)?;
            let key = reports::current_key(conn, report.unit_id)?.ok_or_else(|| {
                ApiError::Conflict(format!(
                    "no organisation key is stored for unit {}; an admin uploads it at \
                     POST /organisation-keys (or binds a token's at POST /organisation-keys/device)",
                    report.unit_id
                ))
            })?;
            let signer = organisation_signer(&signers, &key)?;
            let leader_signed = reports::document(conn, &report.id, LEADER_SIGNED)?
                .ok_or_else(|| ApiError::internal("a signed report without document"))?;
            let version = current_version(conn, &report)?;
            let rendered = workflow::render_unnumbered(&report, &version)?;
            let qr_url =
                workflow::verification_url(&public_url, &report.id, &sha256_hex(&rendered.pdf));
            let (_, etag) = current_view(conn, &id)?;
            let issued_at = Utc::now();
            let year = issued_at.with_timezone(&vietnam()).year();
            let number = reports::next_number(conn, report.unit_id, year)?;
            let number_text = format!("{number:02}/{}", report.kind.number_suffix());
            let place = version.content.letterhead.place;
            let fill = header_fill(&rendered, &number_text, &place, issued_at);
            let seal = stored_image(conn, AppearanceOwner::Unit(report.unit_id))?;
            let seal = (seal, report.unit_name.clone());
            let request = issue_signature(issued_at, &number_text, place, &rendered, seal)
                .fill(fill)
                // The key's file may lack the intermediates: the trust roots complete the chain.
                .chain(keystore::chain_to_embed(signer.as_ref(), &store))
                .level(level);
            Ok(PreparedIssue {
                etag,
                key_id: key.id,
                signer,
                leader_signed: leader_signed.pdf,
                request,
                number,
                year,
                number_text,
                qr_url,
            })
        })
        .await
}

/// The number and date lines written into the document's fields, in Vietnam time.
fn header_fill(
    rendered: &RenderedDocument,
    number_text: &str,
    place: &str,
    issued_at: DateTime<Utc>,
) -> Vec<FieldFill> {
    let date = issued_at.with_timezone(&vietnam()).date_naive();
    rendered
        .fields
        .iter()
        .filter_map(|slot| {
            let value = match slot.name.as_str() {
                motcua_document::NUMBER_FIELD => report_document::number_line(number_text),
                motcua_document::DATE_FIELD => {
                    report_document::date_line(place, Some(date), date.year())
                }
                _ => return None,
            };
            Some(FieldFill {
                value,
                slot: slot.clone(),
            })
        })
        .collect()
}

/// The organisation's signature: the number and time the system assigns are part of it (NĐ 30,
/// electronic documents), in Vietnam time; its appearance is the seal's image over the left
/// third of the leader's signature, or a seal drawn with the unit's name around it.
fn issue_signature(
    issued_at: DateTime<Utc>,
    number_text: &str,
    place: String,
    rendered: &RenderedDocument,
    (seal, unit_name): (Option<AppearanceImage>, String),
) -> SignatureRequest {
    let local = issued_at.with_timezone(&vietnam());
    SignatureRequest::new(issued_at)
        .field("ToChuc", rendered.signature_slots.page)
        .name(unit_name.clone())
        .reason(format!(
            "Ban hành văn bản số {number_text} lúc {}",
            local.format("%Y-%m-%dT%H:%M:%S%:z")
        ))
        .location(place)
        .appearance(SignatureAppearance {
            rect: rendered.signature_slots.seal,
            mark: SignatureMark::Seal,
            text: vec![unit_name.to_uppercase()],
            image: seal,
        })
}

/// Makes the organisation's signature on the blocking pool, outside any transaction.
async fn sign_issue(prepared: PreparedIssue) -> Result<(PreparedIssue, Vec<u8>), ApiError> {
    actix_web::web::block(move || {
        let signed = prepared
            .request
            .sign(&prepared.leader_signed, prepared.signer.as_ref())
            .map_err(|e| signature_failed("organisation signature", e))?;
        Ok((prepared, signed))
    })
    .await
    .map_err(|e| ApiError::internal(format!("signing task failed: {e}")))?
}

/// Stores the signed document and issues the report, if it is as [`prepare_issue`] read it and
/// its number is still free; a number taken meanwhile sets `number_taken`.
#[allow(clippy::too_many_arguments)]
fn store_issue(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
    if_match: &IfMatch,
    actor: &Actor,
    prepared: PreparedIssue,
    signed: Finished,
    number_taken: &AtomicBool,
) -> Result<Answer, ApiError> {
    let mut report = find(conn, id)?;
    require_report(who, &report, Access::Write)?;
    require_unchanged(conn, id, if_match)?;
    lifecycle::check(&report, Transition::Issue)?;
    let (_, etag) = current_view(conn, id)?;
    let free = reports::next_number(conn, report.unit_id, prepared.year)? == prepared.number;
    let unit = report.unit_id;
    if etag != prepared.etag || !free {
        return Err(numbered_meanwhile(id, unit, number_taken));
    }
    let at = prepared.request.signing_time().naive_utc();
    reports::put_document(
        conn,
        &ReportDocument {
            report_id: report.id.clone(),
            stage: ISSUED.into(),
            sha256: sha256_hex(&signed.pdf),
            pdf: signed.pdf,
            created_at: at,
        },
    )?;
    let step = Step::Issue {
        at,
        number: prepared.number,
        year: prepared.year,
        number_text: prepared.number_text,
        organisation_key: prepared.key_id,
        level: signed.level,
        fallback_reason: signed.fallback_reason.clone(),
    };
    // Where concurrent transactions do not wait for each other (PostgreSQL), the unique
    // number refuses the later one.
    match lifecycle::take(conn, &mut report, step, actor) {
        Err(LifecycleError::Db(DbError::Duplicate { .. })) => {
            return Err(numbered_meanwhile(id, unit, number_taken))
        }
        taken => taken?,
    }
    let (mut view, etag) = current_view(conn, &report.id)?;
    view.verification_qr_url = Some(prepared.qr_url);
    workflow::signed((view, etag), signed.level, signed.fallback_reason)
}

/// The refusal when other issues of the unit took the number; the flag lets the handler
/// prepare and sign again.
fn numbered_meanwhile(id: &str, unit: UnitId, number_taken: &AtomicBool) -> ApiError {
    number_taken.store(true, Ordering::SeqCst);
    ApiError::Conflict(format!(
        "report {id} could not be numbered: other reports of unit {unit} were issued meanwhile; \
         try again"
    ))
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
    let (report, version) = read_for_step(&state, &who, &id, Transition::Submit).await?;
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
            lifecycle::check(&report, Transition::Submit)?;
            let issued = reports::document(conn, &report.id, ISSUED)?
                .ok_or_else(|| ApiError::internal("an issued report without document"))?;
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
                    package: serde_json::to_vec(&package).map_err(ApiError::internal_from)?,
                    attempts: 0,
                    next_attempt_at: at,
                    last_error: None,
                    delivered_at: None,
                    receipt: None,
                    created_at: at,
                },
            )?;
            lifecycle::take(conn, &mut report, Step::Submit { at, destination }, &actor)?;
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
                .map_err(ApiError::internal_from)?;
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
