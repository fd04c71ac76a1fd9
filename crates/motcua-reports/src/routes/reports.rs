//! Compiling reports and preparing them for signature: create (compile), list, read, new
//! versions while a draft, make ready (render), and send back to draft.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json, Path};
use actix_web::{get, post, HttpRequest, HttpResponse};
use chrono::Utc;
use motcua_audit::Actor;
use motcua_core::access::Access;
use motcua_core::access::Resource;
use motcua_core::period::Period;
use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_core::report::{ReportKind, ReportStatus};
use motcua_db::reports::{self, Report, ReportDocument, ReportVersion};
use motcua_db::{now, DbConnection};
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::concurrency::IfMatch;
use motcua_web::error::responses::{PreconditionErrors, ReadErrors, WriteErrors};
use motcua_web::error::{to_json_text, ApiError};
use motcua_web::extract::{ValidJson, ValidQuery};
use motcua_web::location::absolute_url;
use motcua_web::request_id::RequestId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::client::ClientError;
use crate::content::{
    authority_for, check_external_figures, ExternalFigure, Letterhead, ReportTexts, Signatory,
    VersionContent,
};
use crate::figures::{self, CompileError, Compiled};
use crate::lifecycle::{self, NewDraft, Step, Transition};
use crate::package::sha256_hex;
use crate::routes::organisation_keys::organisation_signer;
use crate::state::AppState;
use crate::workflow::{
    self, changed, current_version, current_view, find, require_report, require_unchanged,
    require_unit_scope, view, ReportView, RENDERED,
};

/// At most this many periods side by side.
const MAX_PERIODS: usize = 4;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    pub kind: ReportKind,
    /// The unit reporting (its id in the results service).
    pub unit_id: UnitId,
    /// One to four periods side by side, e.g. `["2023", "2024-Q1"]`.
    #[schema(min_items = 1, max_items = 4)]
    pub periods: Vec<String>,
    pub letterhead: Letterhead,
    #[serde(default)]
    pub texts: ReportTexts,
    /// Figures read from other systems, each with its source (kept apart from the computed
    /// figures).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub external_figures: Vec<ExternalFigure>,
    /// An issued report this one corrects.
    #[serde(default)]
    pub corrects: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersion {
    /// Replaces the texts when given.
    #[serde(default)]
    pub texts: Option<ReportTexts>,
    /// Replaces the letterhead when given.
    #[serde(default)]
    pub letterhead: Option<Letterhead>,
    /// Replaces the external figures when given (`[]` removes them).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub external_figures: Option<Vec<ExternalFigure>>,
    /// Computes the figures again from the records (otherwise they are kept).
    #[serde(default)]
    pub recompile: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MakeReady {
    /// The leader who will sign (Chủ tịch or Phó Chủ tịch of the unit).
    pub signatory_official_id: OfficialId,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnToDraft {
    /// Why the report goes back (e.g. the leader's remarks).
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Reports of this unit and the units below it.
    pub under: Option<UnitId>,
    pub status: Option<ReportStatus>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next` of the previous page.
    pub cursor: Option<String>,
}

motcua_web::page_type!(ReportPage, ReportView);

#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub figures_sha256: String,
    pub compiled_at: chrono::DateTime<Utc>,
    pub created_at: chrono::DateTime<Utc>,
    pub texts: ReportTexts,
    pub letterhead: Letterhead,
    pub signatory: Option<Signatory>,
    /// Figures read from other systems, as entered, with their sources.
    pub external_figures: Vec<ExternalFigure>,
    /// What the figures were computed from: each response of the results service.
    pub sources: Vec<crate::client::Source>,
}

fn parse_periods(periods: &[String]) -> Result<Vec<Period>, ApiError> {
    if periods.is_empty() || periods.len() > MAX_PERIODS {
        return Err(ApiError::invalid(
            "periods",
            format!("give 1 to {MAX_PERIODS} periods"),
        ));
    }
    let mut parsed = Vec::new();
    for (index, text) in periods.iter().enumerate() {
        let period: Period = text
            .parse()
            .map_err(|e: String| ApiError::invalid(format!("periods[{index}]"), e))?;
        if parsed.contains(&period) {
            return Err(ApiError::invalid(
                format!("periods[{index}]"),
                "the same period twice",
            ));
        }
        parsed.push(period);
    }
    Ok(parsed)
}

/// The letterhead and external figures given, every wrong field at once.
fn check_content(
    letterhead: Option<&Letterhead>,
    external: Option<&[ExternalFigure]>,
) -> Result<(), ApiError> {
    let mut invalid = letterhead.map(letterhead_errors).unwrap_or_default();
    invalid.extend(
        external
            .map(check_external_figures)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, reason)| motcua_web::error::InvalidParam::new(&name, &reason)),
    );
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_all(invalid))
    }
}

fn letterhead_errors(letterhead: &Letterhead) -> Vec<motcua_web::error::InvalidParam> {
    let mut invalid = Vec::new();
    for (name, value) in [
        ("letterhead.issuing_body", &letterhead.issuing_body),
        ("letterhead.place", &letterhead.place),
    ] {
        if value.trim().is_empty() {
            invalid.push(motcua_web::error::InvalidParam::new(
                name,
                "must not be empty",
            ));
        }
    }
    if letterhead.recipients.is_empty() {
        invalid.push(motcua_web::error::InvalidParam::new(
            "letterhead.recipients",
            "list at least one recipient (Nơi nhận), ending with \"Lưu: VT\"",
        ));
    }
    invalid
}

/// Figures from the results service, or a problem that says what went wrong there.
pub async fn compile(
    state: &AppState,
    kind: ReportKind,
    unit: UnitId,
    periods: &[Period],
) -> Result<Compiled, ApiError> {
    let client = state.results()?;
    figures::compile(client, kind, unit, periods)
        .await
        .map_err(|error| match error {
            CompileError::Client(error) if error.is_unknown_record() => {
                ApiError::invalid("unit_id", "no such unit in the results service")
            }
            CompileError::Client(ClientError::Status { status, .. }) if status.as_u16() == 403 => {
                ApiError::BadGateway(format!(
                    "the results service refused this service's key ({status}); give it read \
                     access to the unit"
                ))
            }
            CompileError::Client(ClientError::Status {
                status,
                problem: Some(problem),
                ..
            }) if matches!(status.as_u16(), 400 | 422) => refused_by_results(status, &problem),
            CompileError::Invalid(detail) => ApiError::invalid("periods", detail),
            other => ApiError::BadGateway(format!("cannot compile the figures: {other}")),
        })
}

/// A request the results service refused as malformed (400) or invalid (422) is this request's
/// fault, not the results service's: the same status, with the parameters it named, so the
/// client can correct it (a retry would not help).
fn refused_by_results(status: reqwest::StatusCode, problem: &crate::client::Problem) -> ApiError {
    let detail = format!(
        "the results service refused the request: {}",
        problem.detail.as_deref().unwrap_or("no detail")
    );
    let invalid_params = problem
        .invalid_params
        .iter()
        .map(|p| motcua_web::error::InvalidParam::new(&p.name, &p.reason))
        .collect();
    if status == reqwest::StatusCode::BAD_REQUEST {
        ApiError::BadRequest {
            detail,
            invalid_params,
        }
    } else {
        ApiError::Invalid {
            detail,
            invalid_params,
            extensions: serde_json::Map::new(),
        }
    }
}

fn version_row(
    report_id: &str,
    version: i32,
    compiled: &Compiled,
    content: &VersionContent,
    who: &Principal,
) -> Result<ReportVersion, ApiError> {
    Ok(ReportVersion {
        report_id: report_id.to_owned(),
        version,
        figures: String::from_utf8(
            compiled
                .figures
                .canonical_json()
                .map_err(ApiError::internal_from)?,
        )
        .map_err(ApiError::internal_from)?,
        figures_sha256: compiled.figures_sha256.clone(),
        sources: to_json_text(&compiled.sources)?,
        compiled_at: compiled.compiled_at.naive_utc(),
        texts: to_json_text(content)?,
        created_at: now(),
        created_by: Some(who.key_id),
    })
}

/// Compiles a report's figures from the records and keeps them as version 1 of a draft.
#[utoipa::path(tag = "reports", request_body = CreateReport, responses((status = 201, body = ReportView), (status = 502, description = "The results service failed or its figures break a rule of the forms", body = motcua_web::error::Problem, content_type = "application/problem+json"), WriteErrors), security(("api_key" = [])))]
#[post("/reports")]
pub async fn create_report(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<CreateReport>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Reports, Access::Write)?;
    let body = body.into_inner();
    let periods = parse_periods(&body.periods)?;
    check_content(Some(&body.letterhead), Some(&body.external_figures))?;
    let compiled = compile(&state, body.kind, body.unit_id, &periods).await?;
    let report = lifecycle::draft(NewDraft {
        id: uuid::Uuid::now_v7().to_string(),
        kind: body.kind,
        unit_id: body.unit_id,
        unit_name: compiled.figures.unit.name.clone(),
        ancestry: std::iter::once(&compiled.figures.unit)
            .chain(&compiled.figures.parents)
            .map(|unit| unit.id)
            .collect(),
        periods: compiled.figures.periods.clone(),
        corrects: body.corrects.clone(),
        created_by: who.key_id,
    });
    require_unit_scope(&who, &report.unit_scope, body.unit_id)?;
    let id = report.id.clone();
    let content = VersionContent {
        texts: body.texts,
        letterhead: body.letterhead,
        signatory: None,
        external_figures: body.external_figures,
    };
    let version = version_row(&id, 1, &compiled, &content, &who)?;
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            if let Some(corrected) = &report.corrects {
                let old = reports::find(conn, corrected)
                    .map_err(ApiError::missing_reference("corrects"))?;
                if !old.status.is_issued() || old.unit_id != report.unit_id {
                    return Err(ApiError::invalid(
                        "corrects",
                        "only an issued report of the same unit can be corrected",
                    ));
                }
            }
            lifecycle::create(conn, &report, &version, &actor)?;
            Answer::created(
                Some(format!("/reports/{}", report.id)),
                &view(&report, &version),
            )
        })
        .await
}

/// Reports the key may see, oldest first.
#[utoipa::path(tag = "reports", params(ReportQuery), responses((status = 200, body = ReportPage), ReadErrors), security(("api_key" = [])))]
#[get("/reports")]
pub async fn list_reports(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<ReportQuery>,
) -> Result<Json<ReportPage>, ApiError> {
    who.require(Resource::Reports, Access::Read)?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_param("limit", "between 1 and 200"));
    }
    // A key limited to a unit also keeps only its own subtree's rows (below).
    let within = query.under.or(who.unit);
    let who_unit = who.unit;
    let page = state
        .read(move |conn| {
            let mut rows =
                reports::list(conn, within, query.status, query.cursor.clone(), limit + 1)?;
            if let Some(root) = who_unit {
                let needle = format!(" {} ", root.0);
                rows.retain(|report| report.unit_scope.contains(&needle));
            }
            let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            let mut items = Vec::new();
            for report in &rows {
                let version = reports::version(conn, &report.id, report.current_version)?;
                items.push(view(report, &version));
            }
            let next = if more {
                rows.last().map(|report| report.id.clone())
            } else {
                None
            };
            Ok(ReportPage { items, next })
        })
        .await?;
    Ok(Json(page))
}

/// One report.
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses((status = 200, body = ReportView, headers(("ETag" = String, description = "Strong entity tag of this representation; send it as `If-Match` to make a step conditional"))), ReadErrors), security(("api_key" = [])))]
#[get("/reports/{id}")]
pub async fn get_report(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let current = state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Read)?;
            current_view(conn, &id)
        })
        .await?;
    let (view, etag) = current;
    Ok(HttpResponse::Ok().insert_header(etag.header()).json(view))
}

/// Every version of a report: figures hashes, texts, and where the figures came from.
#[utoipa::path(tag = "reports", params(("id" = String, Path)), responses((status = 200, body = Vec<VersionView>), ReadErrors), security(("api_key" = [])))]
#[get("/reports/{id}/versions")]
pub async fn list_versions(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<Json<Vec<VersionView>>, ApiError> {
    let id = id.into_inner();
    let versions = state
        .read(move |conn| {
            let report = find(conn, &id)?;
            require_report(&who, &report, Access::Read)?;
            reports::versions(conn, &report.id)?
                .into_iter()
                .map(|row| {
                    let sources =
                        serde_json::from_str(&row.sources).map_err(ApiError::internal_from)?;
                    let decoded = workflow::decode_version(row)?;
                    Ok(VersionView {
                        version: decoded.row.version,
                        figures_sha256: decoded.row.figures_sha256.clone(),
                        compiled_at: workflow::utc(decoded.row.compiled_at),
                        created_at: workflow::utc(decoded.row.created_at),
                        texts: decoded.content.texts,
                        letterhead: decoded.content.letterhead,
                        signatory: decoded.content.signatory,
                        external_figures: decoded.content.external_figures,
                        sources,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()
        })
        .await?;
    Ok(Json(versions))
}

/// A new version of a draft: other texts or letterhead, or figures compiled again.
#[utoipa::path(tag = "reports", params(("id" = String, Path), IfMatch), request_body = NewVersion, responses((status = 201, body = ReportView, headers(("ETag" = String, description = "The report's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/reports/{id}/versions")]
pub async fn create_version(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    if_match: IfMatch,
    body: ValidJson<NewVersion>,
) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    let body = body.into_inner();
    check_content(body.letterhead.as_ref(), body.external_figures.as_deref())?;
    let (report, current) = {
        let (who, id) = (who.clone(), id.clone());
        state
            .read(move |conn| {
                let report = find(conn, &id)?;
                require_report(&who, &report, Access::Write)?;
                lifecycle::require_status(&report, ReportStatus::Draft, "change the report")?;
                let current = current_version(conn, &report)?;
                Ok((report, current))
            })
            .await?
    };
    let compiled = if body.recompile {
        let periods = parse_periods(
            &report
                .periods
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        )?;
        compile(&state, report.kind, report.unit_id, &periods).await?
    } else {
        Compiled {
            sources: serde_json::from_str(&current.row.sources).map_err(ApiError::internal_from)?,
            compiled_at: workflow::utc(current.row.compiled_at),
            figures_sha256: current.row.figures_sha256.clone(),
            figures: current.figures,
        }
    };
    let content = VersionContent {
        texts: body.texts.unwrap_or(current.content.texts),
        letterhead: body.letterhead.unwrap_or(current.content.letterhead),
        signatory: None,
        external_figures: body
            .external_figures
            .unwrap_or(current.content.external_figures),
    };
    let number = report.current_version + 1;
    let version = version_row(&id, number, &compiled, &content, &who)?;
    let actor = Actor::new(&who, &request_id);
    let answer = state
        .write_answer(move |conn| {
            require_unchanged(conn, &id, &if_match)?;
            let mut report = find(conn, &id)?;
            lifecycle::require_status(&report, ReportStatus::Draft, "change the report")?;
            if report.current_version + 1 != number {
                return Err(ApiError::Conflict(
                    "another version was made meanwhile; read the report again".into(),
                ));
            }
            reports::insert_version(conn, &version)?;
            report.current_version = number;
            report.updated_at = now();
            reports::save(conn, &report)?;
            actor.record(
                conn,
                "report.version_created",
                "report",
                &report.id,
                &serde_json::json!({ "version": number, "figures_sha256": version.figures_sha256 }),
            )?;
            changed(StatusCode::CREATED, current_view(conn, &report.id)?)
        })
        .await?;
    Ok(answer)
}

/// The official who will sign, from the results service: an active Chủ tịch or Phó Chủ tịch of
/// the reporting unit.
async fn signatory(
    state: &AppState,
    report: &Report,
    official_id: OfficialId,
) -> Result<Signatory, ApiError> {
    let official = state
        .results()?
        .official(official_id)
        .await
        .map_err(|error| {
            if error.is_unknown_record() {
                ApiError::invalid("signatory_official_id", "no such official")
            } else {
                ApiError::BadGateway(format!("cannot read the official: {error}"))
            }
        })?
        .value;
    if !official.active || official.unit_id != report.unit_id {
        return Err(ApiError::invalid(
            "signatory_official_id",
            "the signatory must be an active official of the reporting unit",
        ));
    }
    let title = official.title.clone().unwrap_or_default();
    let authority = authority_for(&title).ok_or_else(|| {
        ApiError::invalid(
            "signatory_official_id",
            format!(
                "a report is signed by the Chủ tịch or a Phó Chủ tịch; this official is {title:?}"
            ),
        )
    })?;
    Ok(Signatory {
        official_id,
        full_name: official.full_name,
        title,
        authority,
    })
}

/// Refuses (409) a step towards signature when the report could not be issued after it: no
/// organisation key of the unit, or a stored one without the key-store password to open it
/// with (a key on a token is asked nothing before the signature). Checked
/// when the report is made ready and when the leader's signing session opens, so that nobody
/// signs a report that would then wait at issue.
pub(crate) fn require_issuable(
    state: &AppState,
    conn: &mut DbConnection,
    unit: UnitId,
) -> Result<(), ApiError> {
    let key = reports::current_key(conn, unit)?.ok_or_else(|| {
        ApiError::Conflict(format!(
            "the report could not be issued: no organisation key is stored for unit {unit}; an \
             admin uploads it at POST /organisation-keys (or binds a token's at \
             POST /organisation-keys/device) before the report is signed"
        ))
    })?;
    if key.pkcs12.is_some() && state.config.keystore_password.is_none() {
        return Err(ApiError::Conflict(
            "the report could not be issued: the service has no MOTCUA_KEYSTORE_PASSWORD to open \
             the organisation's key with; set it and restart before the report is signed"
                .into(),
        ));
    }
    organisation_signer(state, &key).map(|_| ())
}

/// Freezes the draft for signature: fixes the signatory (the name and authority line are part
/// of what is signed) and renders the document with its verification QR code (the report's
/// verification page with the SHA-256 of the rendered document, `verification_qr_url`) in the
/// corner of the last page's left and bottom margins.
#[utoipa::path(tag = "reports", params(("id" = String, Path), IfMatch), request_body = MakeReady, responses((status = 200, body = ReportView, headers(("ETag" = String, description = "The report's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/reports/{id}/ready")]
pub async fn make_ready(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    if_match: IfMatch,
    body: ValidJson<MakeReady>,
    req: HttpRequest,
) -> Result<Answer, ApiError> {
    let public_url = absolute_url(&req, "");
    let id = id.into_inner();
    let official_id = body.into_inner().signatory_official_id;
    let report = {
        let (who, id) = (who.clone(), id.clone());
        state
            .read(move |conn| {
                let report = find(conn, &id)?;
                require_report(&who, &report, Access::Write)?;
                lifecycle::check(&report, Transition::MakeReady)?;
                Ok(report)
            })
            .await?
    };
    let signatory = signatory(&state, &report, official_id).await?;
    let actor = Actor::new(&who, &request_id);
    let issuer = state.clone();
    let answer = state
        .write_answer(move |conn| {
            require_unchanged(conn, &id, &if_match)?;
            let mut report = find(conn, &id)?;
            lifecycle::check(&report, Transition::MakeReady)?;
            require_issuable(&issuer, conn, report.unit_id)?;
            let current = current_version(conn, &report)?;
            let mut content = current.content.clone();
            content.signatory = Some(signatory.clone());
            let number = report.current_version + 1;
            let version = ReportVersion {
                version: number,
                texts: to_json_text(&content)?,
                created_at: now(),
                created_by: Some(who.key_id),
                ..current.row
            };
            reports::insert_version(conn, &version)?;
            report.current_version = number;
            let decoded = workflow::decode_version(version.clone())?;
            let rendered = workflow::render_unnumbered(&report, &decoded)?;
            let with_qr = workflow::with_verification_qr(&rendered, &public_url, &report.id)?;
            reports::put_document(
                conn,
                &ReportDocument {
                    report_id: report.id.clone(),
                    stage: RENDERED.into(),
                    sha256: sha256_hex(&with_qr.pdf),
                    pdf: with_qr.pdf,
                    created_at: now(),
                },
            )?;
            let step = Step::MakeReady {
                version: number,
                signatory,
            };
            lifecycle::take(conn, &mut report, step, &actor)?;
            let (mut view, etag) = current_view(conn, &report.id)?;
            view.verification_qr_url = Some(with_qr.url);
            changed(StatusCode::OK, (view, etag))
        })
        .await?;
    Ok(answer)
}

/// Sends a report waiting for signature back to draft (e.g. the leader asks for changes).
#[utoipa::path(tag = "reports", params(("id" = String, Path), IfMatch), request_body = ReturnToDraft, responses((status = 200, body = ReportView, headers(("ETag" = String, description = "The report's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/reports/{id}/return")]
pub async fn return_to_draft(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    if_match: IfMatch,
    body: ValidJson<ReturnToDraft>,
) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    let reason = body.into_inner().reason;
    if reason.trim().is_empty() {
        return Err(ApiError::invalid("reason", "say why the report goes back"));
    }
    let actor = Actor::new(&who, &request_id);
    let answer = state
        .write_answer(move |conn| {
            let mut report = find(conn, &id)?;
            require_report(&who, &report, Access::Write)?;
            require_unchanged(conn, &id, &if_match)?;
            lifecycle::check(&report, Transition::ReturnToDraft)?;
            reports::delete_documents(conn, &report.id)?;
            lifecycle::take(conn, &mut report, Step::ReturnToDraft { reason }, &actor)?;
            changed(StatusCode::OK, current_view(conn, &report.id)?)
        })
        .await?;
    Ok(answer)
}
