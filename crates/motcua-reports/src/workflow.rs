//! The steps of a report's life and the rules around them: who may act on a report, what a
//! report looks like to clients, and rendering a version into its document.

use actix_web::http::StatusCode;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_core::report::{ReportKind, ReportStatus};
use motcua_db::reports::{self, Report, ReportVersion};
use motcua_db::DbConnection;
use motcua_document::RenderedDocument;
use motcua_pki::pades::{self, SignatureLevel, VerificationQr};
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::concurrency::{ETag, IfMatch};
use motcua_web::error::ApiError;
use motcua_web::verification_page::{PAGE_PATH, REPORT_PARAM, SHA256_PARAM};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::content::VersionContent;
use crate::figures::Figures;
use crate::lifecycle::{self, Transition};
use crate::report_document::{self, Issue};
use crate::state::AppState;

/// Vietnam's time zone (UTC+7, no daylight saving): document dates are Vietnamese dates.
pub fn vietnam() -> FixedOffset {
    const SECONDS: i32 = 7 * 3600;
    match FixedOffset::east_opt(SECONDS) {
        Some(offset) => offset,
        None => Utc.fix(),
    }
}

/// The stages of a report's document, in order.
pub const RENDERED: &str = "rendered";
pub const LEADER_SIGNED: &str = "leader_signed";
pub const ISSUED: &str = "issued";

/// Refuses unless the key may `access` reports and, when limited to a unit, the report's unit is
/// that unit or below it.
pub fn require_report(who: &Principal, report: &Report, access: Access) -> Result<(), ApiError> {
    who.require(Resource::Reports, access)?;
    require_unit_scope(who, &report.unit_scope, report.unit_id)
}

/// Refuses unless a key limited to a unit reaches `unit` (whose ancestry is `scope`).
pub fn require_unit_scope(who: &Principal, scope: &str, unit: UnitId) -> Result<(), ApiError> {
    match who.unit {
        Some(root) if !scope.contains(&format!(" {} ", root.0)) => {
            Err(ApiError::Forbidden(format!(
                "this key is limited to unit {root} and the units below it; unit {unit} is outside"
            )))
        }
        _ => Ok(()),
    }
}

/// The report, or 404.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Report, ApiError> {
    reports::find(conn, id).map_err(ApiError::not_found_as(format!("report {id}")))
}

/// The report as `GET /reports/{id}` shows it now, and its `ETag`. Read again inside a change's
/// transaction, so that both are exactly what a later read answers.
pub fn current_view(conn: &mut DbConnection, id: &str) -> Result<(ReportView, ETag), ApiError> {
    let report = find(conn, id)?;
    let version = reports::version(conn, &report.id, report.current_version)?;
    let view = view(&report, &version);
    let etag = ETag::of(&view)?;
    Ok((view, etag))
}

/// Refuses with 412 a conditional change of a report that changed since the client read it.
/// Called inside the change's transaction, so no other change can come in between.
pub fn require_unchanged(
    conn: &mut DbConnection,
    id: &str,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    if_match.check_with(|| current_view(conn, id).map(|(_, etag)| etag))
}

/// The answer to a change of a report (`200` or `201`): the report as it now is, with its
/// `ETag`.
pub fn changed(status: StatusCode, (view, etag): (ReportView, ETag)) -> Result<Answer, ApiError> {
    let answer = if status == StatusCode::CREATED {
        Answer::created(None, &view)?
    } else {
        Answer::ok(&view)?
    };
    Ok(answer.with_etag(etag))
}

/// The report and its current version, read for `transition` by a key that may write it:
/// the first, read-only phase of a step that works outside the write transaction.
pub async fn read_for_step(
    state: &AppState,
    who: &Principal,
    id: &str,
    transition: Transition,
) -> Result<(Report, DecodedVersion), ApiError> {
    let (who, id) = (who.clone(), id.to_owned());
    state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Write)?;
            lifecycle::check(&report, transition)?;
            let version = current_version(conn, &report)?;
            Ok((report, version))
        })
        .await
}

/// The current version of a report, decoded.
pub struct DecodedVersion {
    pub row: ReportVersion,
    pub figures: Figures,
    pub content: VersionContent,
}

pub fn current_version(
    conn: &mut DbConnection,
    report: &Report,
) -> Result<DecodedVersion, ApiError> {
    let row = reports::version(conn, &report.id, report.current_version)?;
    decode_version(row)
}

pub fn decode_version(row: ReportVersion) -> Result<DecodedVersion, ApiError> {
    let figures = serde_json::from_str(&row.figures)
        .map_err(|e| ApiError::internal(format!("stored figures of {}: {e}", row.report_id)))?;
    let content = serde_json::from_str(&row.texts)
        .map_err(|e| ApiError::internal(format!("stored texts of {}: {e}", row.report_id)))?;
    Ok(DecodedVersion {
        row,
        figures,
        content,
    })
}

/// Renders a version. Rendering is deterministic, so the document a leader signed can be
/// rendered again to find where the signatures go.
pub fn render(
    report: &Report,
    version: &DecodedVersion,
    issue: Issue<'_>,
) -> Result<RenderedDocument, ApiError> {
    let created = version.row.created_at.and_utc().with_timezone(&vietnam());
    let document = report_document::build(
        report.kind,
        &version.figures,
        version.row.figures.as_bytes(),
        version.row.sources.as_bytes(),
        &version.content,
        issue,
        created,
    );
    motcua_document::render(&document).map_err(|e| match e {
        motcua_document::DocumentError::MissingGlyph(c) => ApiError::invalid(
            "texts",
            format!(
                "the character {c:?} (U+{:04X}) cannot be printed with the document font",
                c as u32
            ),
        ),
        other => ApiError::internal(format!("rendering report {}: {other}", report.id)),
    })
}

/// Renders a version as the leader signs it: without number and date, which the issue adds
/// in the organisation's signature.
pub fn render_unnumbered(
    report: &Report,
    version: &DecodedVersion,
) -> Result<RenderedDocument, ApiError> {
    let issue = Issue {
        number_text: None,
        date: None,
    };
    render(report, version, issue)
}

/// `{public_url}/verification?report={report_id}&sha256={sha256_hex}`: where the verification
/// QR code of a report's document leads; the hash is that of the document before the code.
pub fn verification_url(public_url: &str, report_id: &str, sha256_hex: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(REPORT_PARAM, report_id)
        .append_pair(SHA256_PARAM, sha256_hex)
        .finish();
    format!("{public_url}{PAGE_PATH}?{query}")
}

/// The rendered document as the leader signs it: with its verification QR code in the corner of
/// the last page's margins, which the layout keeps free. Every issued report carries it.
pub fn with_verification_qr(
    rendered: &RenderedDocument,
    public_url: &str,
    report_id: &str,
) -> Result<VerificationQr, ApiError> {
    pades::verification_qr(&rendered.pdf, |hex| {
        verification_url(public_url, report_id, hex)
    })
    .map_err(|e| {
        ApiError::internal(format!(
            "the verification QR code of report {report_id}: {e}"
        ))
    })
}

/// The date of `at` in Vietnam.
pub fn vietnam_date(at: NaiveDateTime) -> NaiveDate {
    at.and_utc().with_timezone(&vietnam()).date_naive()
}

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// What clients see of a report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportView {
    pub id: String,
    pub kind: ReportKind,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub periods: Vec<String>,
    pub status: ReportStatus,
    /// The report this one corrects.
    pub corrects: Option<String>,
    pub version: i32,
    /// SHA-256 of the current version's figures (canonical JSON), hex.
    pub figures_sha256: String,
    pub compiled_at: DateTime<Utc>,
    pub leader: Option<LeaderView>,
    /// "05/BC-UBND", once issued.
    pub number_text: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub links: ReportLinks,
    /// In the answers of `ready` and `issue` only: what the verification QR code on the last page
    /// of the document says (the report's verification page with the SHA-256 of the document
    /// before the code and the signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_qr_url: Option<String>,
    /// In the answer of a signing step only: the level the signature just made reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureOutcome>,
}

/// The level a signature reached, and why it is below the configured one when it fell back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignatureOutcome {
    pub level: SignatureLevel,
    /// Set when the configured level could not be reached and the fallback level was used.
    pub fallback_reason: Option<String>,
}

/// The answer of a signing step: the report as it is now, with the level its new signature
/// reached.
pub fn signed(
    (mut view, etag): (ReportView, ETag),
    level: SignatureLevel,
    fallback_reason: Option<String>,
) -> Result<Answer, ApiError> {
    view.signature = Some(SignatureOutcome {
        level,
        fallback_reason,
    });
    changed(StatusCode::OK, (view, etag))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderView {
    pub official_id: OfficialId,
    pub full_name: String,
    pub signed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportLinks {
    pub document: String,
    pub figures: String,
    pub figures_csv: String,
    pub verification: String,
}

pub fn view(report: &Report, version: &ReportVersion) -> ReportView {
    let base = format!("/reports/{}", report.id);
    ReportView {
        id: report.id.clone(),
        kind: report.kind,
        unit_id: report.unit_id,
        unit_name: report.unit_name.clone(),
        periods: report
            .periods
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        status: report.status,
        corrects: report.corrects.clone(),
        version: report.current_version,
        figures_sha256: version.figures_sha256.clone(),
        compiled_at: utc(version.compiled_at),
        leader: report
            .leader_official_id
            .zip(report.leader_name.clone())
            .map(|(official_id, full_name)| LeaderView {
                official_id,
                full_name,
                signed_at: report.leader_signed_at.map(utc),
            }),
        number_text: report.number_text.clone(),
        issued_at: report.issued_at.map(utc),
        submitted_at: report.submitted_at.map(utc),
        acknowledged_at: report.acknowledged_at.map(utc),
        created_at: utc(report.created_at),
        updated_at: utc(report.updated_at),
        links: ReportLinks {
            document: format!("{base}/document"),
            figures: format!("{base}/figures"),
            figures_csv: format!("{base}/figures.csv"),
            verification: format!("{base}/verification"),
        },
        verification_qr_url: None,
        signature: None,
    }
}
