//! Receiver mode (the report service of the province): packages from districts and communes are
//! verified (every signature, chain and the attached figures), stored, acknowledged with a
//! receipt signed by the province's organisation key, and rolled up per period.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json, Path};
use actix_web::{get, post, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use motcua_audit::Actor;
use motcua_core::access::{Access, Resource};
use motcua_core::event::EventType;
use motcua_core::form06::Form06Columns;
use motcua_core::record_ids::UnitId;
use motcua_core::report::ReportKind;
use motcua_db::reports::{self, ReceivedReport};
use motcua_db::{now, DbConnection};
use motcua_events::data::{ReceivedLinks, ReceivedReportData};
use motcua_events::{publish, Publication};
use motcua_keys::keystore::{self, OrganisationSigner};
use motcua_pki::{pades, TrustStore};
use motcua_web::answer::Answer;
use motcua_web::archival::SignatureKind;
use motcua_web::auth::Principal;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{to_json_text, ApiError, InvalidParam};
use motcua_web::extract::{DocumentJson, ValidQuery};
use motcua_web::openapi::PdfDocument;
use motcua_web::request_id::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::figures::Figures;
use crate::package::{
    sha256_hex, sign_receipt, verify_package, PackageVerification, Receipt, ReportPackage,
    SignedReceipt, VerifiedPackage,
};
use crate::routes::organisation_keys::organisation_signer;
use crate::signature_check::{document_valid, finds_no_chain, verify_stored};
use crate::state::AppState;
use crate::workflow::{require_unit_scope, utc};

/// Receives a report package. A delivery of a package already received (same report id and
/// content) answers the same receipt with 200, so retries are harmless; a different package
/// under the same id is refused. A package that fails verification is refused with 422 and the
/// verification report (`verification`), and nothing is stored. The receipt's signature is
/// raised to the receipt's configured level (CAdES B-LT by default with a timestamp authority).
#[utoipa::path(tag = "inbox", request_body = ReportPackage, responses((status = 201, body = SignedReceipt), (status = 200, description = "Already received: the same receipt", body = SignedReceipt), (status = 502, description = "The timestamp authority or a revocation source failed and no fallback level is configured; nothing was stored", body = motcua_web::error::Problem, content_type = "application/problem+json"), WriteErrors), security(("api_key" = [])))]
#[post("/inbox")]
pub async fn receive_package(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: DocumentJson<ReportPackage>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Submissions, Access::Write)?;
    let package = body.into_inner();
    let receiver_unit = state.config.receiver_unit_id.ok_or_else(|| {
        ApiError::Conflict(
            "this report service is not a receiver (MOTCUA_RECEIVER_UNIT_ID is not set)".into(),
        )
    })?;
    require_sender(&who, &package)?;
    let id = package.report_id.clone();
    let already = state
        .read(move |conn| Ok(reports::find_received(conn, &id)?))
        .await?;
    if let Some(stored) = already {
        return repeated_delivery(&stored, &package);
    }
    let store = state.trust_store()?;
    // Signature work waits for a slot: a burst cannot take every core.
    let _slot = state.web.signature_slot().await?;
    let verified = verified_package(&state, &package, store.clone()).await?;
    let actor = Actor::new(&who, &request_id);
    // Read, sign and raise the receipt to its level outside any transaction, then store it
    // unless another delivery of the same package was stored meanwhile.
    let prepared = match prepare_receipt(&state, &package, &verified, receiver_unit).await? {
        PreparedReceipt::AlreadyStored(receipt) => return Answer::ok(&receipt),
        PreparedReceipt::ToSign(prepared) => prepared,
    };
    let signed = sign_and_finish_receipt(&state, prepared, &store).await?;
    let answer = state
        .write_answer(move |conn| {
            if let Some(stored) = reports::find_received(conn, &package.report_id)? {
                // Another delivery of the same package won the race.
                return Answer::ok(&stored_receipt(&stored)?);
            }
            store_receipt(conn, &package, &verified, signed, &who, &actor)
        })
        .await?;
    if answer.status() == StatusCode::CREATED && !answer.is_replay() {
        state
            .web
            .metrics
            .signatures_made
            .with_label_values(&["receipt"])
            .inc();
    }
    Ok(answer)
}

/// What [`prepare_receipt`] read: the receipt of an earlier delivery, or one to sign.
enum PreparedReceipt {
    AlreadyStored(SignedReceipt),
    ToSign(ReceiptToSign),
}

/// A receipt and the receiving organisation's key, read in one read transaction.
struct ReceiptToSign {
    receipt: Receipt,
    signer: Arc<dyn OrganisationSigner>,
    received_at: NaiveDateTime,
}

/// Reads the receiving unit's key and makes the receipt of `package`, unless it was received
/// meanwhile.
async fn prepare_receipt(
    state: &Data<AppState>,
    package: &ReportPackage,
    verified: &VerifiedPackage,
    receiver_unit: UnitId,
) -> Result<PreparedReceipt, ApiError> {
    let (package, verified, signers) = (package.clone(), verified.clone(), state.clone());
    state
        .read(move |conn| {
            if let Some(stored) = reports::find_received(conn, &package.report_id)? {
                return Ok(PreparedReceipt::AlreadyStored(stored_receipt(&stored)?));
            }
            let key = reports::current_key(conn, receiver_unit)?.ok_or_else(|| {
                ApiError::Conflict(format!(
                    "no organisation key of the receiving unit {receiver_unit} is stored; \
                     receipts cannot be signed"
                ))
            })?;
            let signer = organisation_signer(&signers, &key)?;
            let received_at = now();
            let receiver = signer.certificate().info().subject.text.clone();
            Ok(PreparedReceipt::ToSign(ReceiptToSign {
                receipt: receipt_for(&package, &verified, received_at, receiver),
                signer,
                received_at,
            }))
        })
        .await
}

/// Signs the receipt (B-B, on the blocking pool) and raises its signature to the receipt's
/// level: a failing authority without fallback refuses the delivery (502), nothing stored.
async fn sign_and_finish_receipt(
    state: &AppState,
    prepared: ReceiptToSign,
    store: &TrustStore,
) -> Result<(SignedReceipt, NaiveDateTime), ApiError> {
    let received_at = prepared.received_at;
    let chain_store = store.clone();
    let mut signed = actix_web::web::block(move || {
        // The key's file may lack the intermediates: the trust roots complete the chain.
        let chain = keystore::chain_to_embed(prepared.signer.as_ref(), &chain_store);
        sign_receipt(prepared.receipt, prepared.signer.as_ref(), &chain)
    })
    .await
    .map_err(|e| ApiError::internal(format!("signing task failed: {e}")))??;
    let cms = STANDARD
        .decode(&signed.signature_base64)
        .map_err(ApiError::internal_from)?;
    let finished = state
        .archival
        .finish_detached(SignatureKind::Receipt, cms, store)
        .await?;
    signed.signature_base64 = STANDARD.encode(&finished.cms);
    signed.signature_level = finished.level;
    signed.fallback_reason = finished.fallback_reason;
    Ok((signed, received_at))
}

/// Stores the received report with its signed receipt, and its audit record.
fn store_receipt(
    conn: &mut DbConnection,
    package: &ReportPackage,
    verified: &VerifiedPackage,
    (signed, received_at): (SignedReceipt, NaiveDateTime),
    who: &Principal,
    actor: &Actor,
) -> Result<Answer, ApiError> {
    let signed_json = to_json_text(&signed)?;
    let row = received_row(package, verified, signed_json, received_at, who)?;
    reports::insert_received(conn, &row)?;
    actor.record(
        conn,
        "report.received",
        "received_report",
        &package.report_id,
        &serde_json::json!({
            "sender_unit_id": package.sender.unit_id,
            "number": package.number_text,
            "pdf_sha256": verified.pdf_sha256,
            "receipt_signature_level": signed.signature_level,
            "fallback_reason": signed.fallback_reason,
        }),
    )?;
    publish_received(conn, &row)?;
    Answer::created(None, &signed)
}

/// Publishes the report received, for the province's other systems.
fn publish_received(conn: &mut DbConnection, row: &ReceivedReport) -> Result<(), ApiError> {
    let data = ReceivedReportData {
        report_id: row.report_id.clone(),
        kind: row.kind,
        sender_unit_id: row.sender_unit_id,
        sender_unit_name: row.sender_unit_name.clone(),
        number_text: row.number_text.clone(),
        issued_at: utc(row.issued_at),
        corrects: row.corrects.clone(),
        links: ReceivedLinks::new(&row.report_id),
    };
    let chain = reports::unit_chain(&sender_scope(row)?);
    let publication = Publication::new(
        EventType::ReportReceived,
        row.report_id.clone(),
        chain,
        &data,
    )?;
    Ok(publish(conn, &[publication])?)
}

/// Refuses a key limited to a unit that sends another unit's package.
fn require_sender(who: &Principal, package: &ReportPackage) -> Result<(), ApiError> {
    match who.unit {
        Some(unit) if unit != package.sender.unit_id => Err(ApiError::Forbidden(format!(
            "this key sends for unit {unit}, not for unit {}",
            package.sender.unit_id
        ))),
        _ => Ok(()),
    }
}

/// Verifies the package on the blocking pool, counting each signature's verdict; a package
/// that fails is refused with its verification report.
async fn verified_package(
    state: &AppState,
    package: &ReportPackage,
    store: TrustStore,
) -> Result<VerifiedPackage, ApiError> {
    let verify = |store: TrustStore| {
        let checked = package.clone();
        actix_web::web::block(move || verify_package(&checked, &store, Utc::now()))
    };
    let mut verified = verify(store).await.map_err(ApiError::internal_from)?;
    // A sender's CA installed in the results service since its trust store was last read.
    if let Err(failed) = &verified {
        if finds_no_chain(&failed.signatures) && state.trust.refresh_now().await {
            verified = verify(state.trust_store()?)
                .await
                .map_err(ApiError::internal_from)?;
        }
    }
    let verification = match &verified {
        Ok(verified) => &verified.verification,
        Err(verification) => verification,
    };
    for signature in &verification.signatures {
        state.web.metrics.verified(&signature.report.indication);
    }
    verified.map_err(|verification| rejection(&verification))
}

/// What the receipt of a verified package says.
fn receipt_for(
    package: &ReportPackage,
    verified: &VerifiedPackage,
    received_at: chrono::NaiveDateTime,
    receiver: String,
) -> Receipt {
    Receipt {
        report_id: package.report_id.clone(),
        sender_unit_id: package.sender.unit_id,
        number_text: package.number_text.clone(),
        pdf_sha256: verified.pdf_sha256.clone(),
        figures_sha256: package.figures_sha256.clone(),
        received_at: utc(received_at),
        receiver,
    }
}

/// The stored row of a verified package and its signed receipt.
fn received_row(
    package: &ReportPackage,
    verified: &VerifiedPackage,
    receipt: String,
    received_at: chrono::NaiveDateTime,
    who: &Principal,
) -> Result<ReceivedReport, ApiError> {
    Ok(ReceivedReport {
        report_id: package.report_id.clone(),
        sender_unit_id: package.sender.unit_id,
        sender_unit_name: package.sender.name.clone(),
        sender_level: package.sender.level.clone(),
        kind: package.kind,
        periods: package.periods.join(" "),
        number_text: package.number_text.clone(),
        issued_at: package.issued_at.naive_utc(),
        corrects: package.corrects.clone(),
        figures: verified.figures_json.clone(),
        figures_sha256: package.figures_sha256.clone(),
        pdf: verified.pdf.clone(),
        pdf_sha256: verified.pdf_sha256.clone(),
        verification: to_json_text(&verified.verification)?,
        receipt,
        received_at,
        received_by: Some(who.key_id),
    })
}

fn stored_receipt(stored: &ReceivedReport) -> Result<SignedReceipt, ApiError> {
    serde_json::from_str(&stored.receipt).map_err(ApiError::internal_from)
}

fn repeated_delivery(stored: &ReceivedReport, package: &ReportPackage) -> Result<Answer, ApiError> {
    let pdf = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        package.pdf_base64.trim(),
    )
    .map_err(|_| ApiError::invalid("pdf_base64", "not base64"))?;
    if sha256_hex(&pdf) == stored.pdf_sha256 {
        Answer::ok(&stored_receipt(stored)?)
    } else {
        Err(ApiError::Conflict(format!(
            "report {} was already received with other content; a correction is a new report \
             that refers to it (`corrects`)",
            stored.report_id
        )))
    }
}

fn rejection(verification: &PackageVerification) -> ApiError {
    let params = verification
        .findings
        .iter()
        .map(|finding| InvalidParam::new(finding.check.clone(), finding.detail.clone()))
        .collect();
    ApiError::invalid_all(params).with_extension(
        "verification",
        serde_json::to_value(verification).unwrap_or_default(),
    )
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// The periods as the report lists them, space-separated, e.g. `2023 2024-Q1` (years 1900 to
    /// 2199).
    pub periods: Option<String>,
    pub kind: Option<ReportKind>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceivedView {
    pub report_id: String,
    pub sender_unit_id: UnitId,
    pub sender_unit_name: String,
    pub sender_level: String,
    pub kind: ReportKind,
    pub periods: Vec<String>,
    pub number_text: String,
    pub issued_at: DateTime<Utc>,
    pub corrects: Option<String>,
    pub pdf_sha256: String,
    pub figures_sha256: String,
    pub received_at: DateTime<Utc>,
    /// The verification made on receipt.
    pub verification: PackageVerification,
    pub receipt: SignedReceipt,
}

fn received_view(row: &ReceivedReport) -> Result<ReceivedView, ApiError> {
    Ok(ReceivedView {
        report_id: row.report_id.clone(),
        sender_unit_id: row.sender_unit_id,
        sender_unit_name: row.sender_unit_name.clone(),
        sender_level: row.sender_level.clone(),
        kind: row.kind,
        periods: row.periods.split_whitespace().map(str::to_owned).collect(),
        number_text: row.number_text.clone(),
        issued_at: utc(row.issued_at),
        corrects: row.corrects.clone(),
        pdf_sha256: row.pdf_sha256.clone(),
        figures_sha256: row.figures_sha256.clone(),
        received_at: utc(row.received_at),
        verification: serde_json::from_str(&row.verification).map_err(ApiError::internal_from)?,
        receipt: stored_receipt(row)?,
    })
}

/// Reports received, oldest first.
#[utoipa::path(tag = "inbox", params(InboxQuery), responses((status = 200, body = Vec<ReceivedView>), ReadErrors), security(("api_key" = [])))]
#[get("/inbox")]
pub async fn list_received(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<InboxQuery>,
) -> Result<Json<Vec<ReceivedView>>, ApiError> {
    who.require(Resource::Reports, Access::Read)?;
    let query = query.into_inner();
    if let Some(periods) = &query.periods {
        for period in periods.split_whitespace() {
            period
                .parse::<motcua_core::period::Period>()
                .map_err(|e| ApiError::bad_param("periods", e))?;
        }
    }
    let rows = state
        .read(move |conn| {
            let rows = reports::received(conn, query.periods.as_deref(), query.kind)?;
            within_scope(&who, rows)?
                .iter()
                .map(received_view)
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    Ok(Json(rows))
}

/// A received report the key may read: 404 when none, 403 when its sender is outside the unit
/// subtree the key is limited to.
async fn find_received(
    state: &AppState,
    who: &Principal,
    id: String,
) -> Result<ReceivedReport, ApiError> {
    who.require(Resource::Reports, Access::Read)?;
    let row = state
        .read(move |conn| {
            reports::find_received(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("no report {id} was received")))
        })
        .await?;
    require_unit_scope(who, &sender_scope(&row)?, row.sender_unit_id)?;
    Ok(row)
}

/// The received reports a key limited to a unit may read: those its unit or a unit below it
/// sent. The rule is the one of `/reports` ([`require_unit_scope`]).
fn within_scope(
    who: &Principal,
    rows: Vec<ReceivedReport>,
) -> Result<Vec<ReceivedReport>, ApiError> {
    if who.unit.is_none() {
        return Ok(rows);
    }
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        if require_unit_scope(who, &sender_scope(&row)?, row.sender_unit_id).is_ok() {
            kept.push(row);
        }
    }
    Ok(kept)
}

/// The sender's place in the unit tree as its signed figures give it: its unit, then the units
/// above it (as far as the sender's key could read them, so a scope never reaches further up than
/// the sender declared).
fn sender_scope(row: &ReceivedReport) -> Result<String, ApiError> {
    #[derive(Deserialize)]
    struct Node {
        id: UnitId,
    }
    #[derive(Deserialize)]
    struct Ancestry {
        unit: Node,
        parents: Vec<Node>,
    }
    let ancestry: Ancestry = serde_json::from_str(&row.figures)
        .map_err(|e| ApiError::internal(format!("stored figures of {}: {e}", row.report_id)))?;
    let chain: Vec<UnitId> = std::iter::once(ancestry.unit.id)
        .chain(ancestry.parents.iter().map(|parent| parent.id))
        .collect();
    Ok(reports::unit_scope(&chain))
}

/// One received report.
#[utoipa::path(tag = "inbox", params(("id" = String, Path)), responses((status = 200, body = ReceivedView), ReadErrors), security(("api_key" = [])))]
#[get("/inbox/{id}")]
pub async fn get_received(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<Json<ReceivedView>, ApiError> {
    let row = find_received(&state, &who, id.into_inner()).await?;
    Ok(Json(received_view(&row)?))
}

/// The signed PDF as received.
#[utoipa::path(tag = "inbox", params(("id" = String, Path)), responses((status = 200, description = "The PDF", content_type = "application/pdf", body = PdfDocument), ReadErrors), security(("api_key" = [])))]
#[get("/inbox/{id}/document")]
pub async fn download_received(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = find_received(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .body(row.pdf))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reverification {
    pub report_id: String,
    pub valid: bool,
    pub signatures: Vec<pades::PdfSignatureReport>,
}

/// Verifies a received report's signatures again, now (e.g. after a revocation).
#[utoipa::path(tag = "inbox", params(("id" = String, Path)), responses((status = 200, body = Reverification), ReadErrors), security(("api_key" = [])))]
#[get("/inbox/{id}/verification")]
pub async fn reverify_received(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<Json<Reverification>, ApiError> {
    let row = find_received(&state, &who, id.into_inner()).await?;
    let signatures = verify_stored(&state, &row.report_id, row.pdf.clone()).await?;
    let valid = document_valid(&signatures, 2);
    Ok(Json(Reverification {
        report_id: row.report_id,
        valid,
        signatures,
    }))
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RollupQuery {
    /// One period: `2023`, `2024-Q1`, `2024-03` or `2024-01-01..2024-03-31` (years 1900 to 2199).
    #[param(
        pattern = r"^[0-9]{4}(-Q[1-4]|-[0-9]{2}|-[0-9]{2}-[0-9]{2}\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$"
    )]
    pub period: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollupLevel {
    pub level: String,
    #[schema(value_type = crate::figures::schema::Form06ColumnsSchema)]
    pub columns: Form06Columns,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RollupSource {
    pub report_id: String,
    pub sender_unit_id: UnitId,
    pub sender_unit_name: String,
    pub number_text: String,
    pub figures_sha256: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rollup {
    pub period: String,
    /// Biểu 06 summed over the received reports, by level.
    pub levels: Vec<RollupLevel>,
    #[schema(value_type = crate::figures::schema::Form06ColumnsSchema)]
    pub total: Form06Columns,
    /// Staff at the one-stop desks of the reporting units.
    pub staff: i64,
    /// The reports counted: per unit, the latest that is not corrected by another.
    pub reports: Vec<RollupSource>,
}

/// The province's roll-up of one period: the figures of every received report that covers it,
/// summed by level. A corrected report counts only through its correction.
#[utoipa::path(tag = "inbox", params(RollupQuery), responses((status = 200, body = Rollup), ReadErrors), security(("api_key" = [])))]
#[get("/rollup")]
pub async fn rollup(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<RollupQuery>,
) -> Result<Json<Rollup>, ApiError> {
    who.require(Resource::Reports, Access::Read)?;
    let period = query.into_inner().period;
    let label = period
        .parse::<motcua_core::period::Period>()
        .map(|parsed| crate::client::period_label(&parsed))
        .map_err(|e| ApiError::bad_param("period", e))?;
    let rows = state
        .read(move |conn| within_scope(&who, reports::received(conn, None, None)?))
        .await?;
    let corrected: HashSet<String> = rows.iter().filter_map(|row| row.corrects.clone()).collect();
    let mut levels: BTreeMap<String, Form06Columns> = BTreeMap::new();
    let mut total = Form06Columns::default();
    let mut staff = 0;
    let mut sources = Vec::new();
    let mut counted_units = HashSet::new();
    // Newest first, so a unit's latest report is the one counted.
    for row in rows.iter().rev() {
        if corrected.contains(&row.report_id) || row.kind != ReportKind::OneStopActivity {
            continue;
        }
        let figures: Figures =
            serde_json::from_str(&row.figures).map_err(ApiError::internal_from)?;
        let Some(form) = figures.form06.iter().find(|form| form.period == label) else {
            continue;
        };
        if !counted_units.insert(row.sender_unit_id) {
            continue;
        }
        for level in &form.levels {
            levels
                .entry(level.level.clone())
                .or_default()
                .add(&level.total);
        }
        total.add(&form.total);
        staff += figures.staffing.total;
        sources.push(RollupSource {
            report_id: row.report_id.clone(),
            sender_unit_id: row.sender_unit_id,
            sender_unit_name: row.sender_unit_name.clone(),
            number_text: row.number_text.clone(),
            figures_sha256: row.figures_sha256.clone(),
        });
    }
    Ok(Json(Rollup {
        period: label,
        levels: levels
            .into_iter()
            .map(|(level, columns)| RollupLevel { level, columns })
            .collect(),
        total,
        staff,
        reports: sources,
    }))
}
