//! Dossiers: intake, the status machine, apologies, ratings, complaints, search and bulk import.

use actix_web::web::{Data, Json, Path};
use actix_web::{get, post, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::dossier::{
    ApplicantKind, Channel, Digitisation, DossierStatus, Rating, Resolution,
};
use motcua_core::record_ids::{DossierEventId, OfficialId, ProcedureId, UnitId};
use motcua_core::text::tidy;
use motcua_db::dossiers::{self, Component, Dossier, DossierFilter, Event};
use motcua_db::{now, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::{Principal, UnitScope};
use crate::intake;
use crate::lifecycle::{
    self, ApologyInput, Applicant, Changes, ComponentInput, DossierInput, TransitionInput,
};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::concurrency::{ETag, IfMatch};
use motcua_web::error::responses::{PreconditionErrors, ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, InvalidParam};
use motcua_web::extract::{ValidJson, ValidQuery};
use motcua_web::idempotency;
use motcua_web::pagination::{finish_page, PageParams};
use motcua_web::request_id::RequestId;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicantView {
    pub kind: ApplicantKind,
    pub name: String,
    /// CCCD, CMND or passport number of a citizen; tax or budget code of an organisation.
    pub id_number: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComponentView {
    pub position: i32,
    pub name: String,
    pub copies: i32,
    pub digitisation: Digitisation,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// The event's id; its audit record (`/audit-events?object_type=dossier&object_id=<code>`)
    /// names it as `detail.event.id`.
    pub id: DossierEventId,
    pub at: DateTime<Utc>,
    /// `status`, `apology`, `rating` or `complaint`.
    pub kind: String,
    pub from_status: Option<DossierStatus>,
    pub to_status: Option<DossierStatus>,
    pub official_id: Option<OfficialId>,
    pub note: Option<String>,
    /// The request that made the change (`X-Request-Id`), as in its audit record; `-` for
    /// events older than this field.
    pub request_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DossierView {
    /// `<unit code>-YYMMDD-NNNN` (TT 01/2018, Art. 19).
    pub code: String,
    pub unit_id: UnitId,
    pub procedure_id: ProcedureId,
    pub field: String,
    pub channel: Channel,
    pub status: DossierStatus,
    /// The national portal's status number (1–10).
    pub status_code: u8,
    pub applicant: ApplicantView,
    pub request_content: Option<String>,
    pub receiving_official_id: Option<OfficialId>,
    pub submitted_at: DateTime<Utc>,
    pub received_at: Option<DateTime<Utc>>,
    /// The appointment (ngày hẹn trả) in working days from reception, moved by pauses.
    pub due_at: Option<DateTime<Utc>>,
    /// Set while the deadline is paused (waiting for a supplement or a payment).
    pub paused_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<Resolution>,
    pub returned_at: Option<DateTime<Utc>>,
    /// The new appointment given with the latest apology.
    pub appointment_at: Option<DateTime<Utc>>,
    pub digitised: bool,
    pub reused: bool,
    pub electronic_result: bool,
    pub rating: Option<Rating>,
    /// Present on `GET /dossiers/{code}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentView>>,
    /// Present on `GET /dossiers/{code}`, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<EventView>>,
}

impl From<Dossier> for DossierView {
    fn from(d: Dossier) -> Self {
        Self {
            status_code: d.status.portal_code(),
            code: d.code,
            unit_id: d.unit_id,
            procedure_id: d.procedure_id,
            field: d.field,
            channel: d.channel,
            status: d.status,
            applicant: ApplicantView {
                kind: d.applicant_kind,
                name: d.applicant_name,
                id_number: d.applicant_id_number,
                address: d.applicant_address,
                phone: d.applicant_phone,
                email: d.applicant_email,
            },
            request_content: d.request_content,
            receiving_official_id: d.receiving_official_id,
            submitted_at: utc(d.submitted_at),
            received_at: d.received_at.map(utc),
            due_at: d.due_at.map(utc),
            paused_at: d.paused_at.map(utc),
            resolved_at: d.resolved_at.map(utc),
            resolution: d.resolution,
            returned_at: d.returned_at.map(utc),
            appointment_at: d.appointment_at.map(utc),
            digitised: d.digitised,
            reused: d.reused,
            electronic_result: d.electronic_result,
            rating: d.rating,
            components: None,
            history: None,
        }
    }
}

fn component_view(c: Component) -> ComponentView {
    ComponentView {
        position: c.position,
        name: c.name,
        copies: c.copies,
        digitisation: c.digitisation,
    }
}

fn event_view(e: Event) -> EventView {
    EventView {
        id: e.id,
        at: utc(e.at),
        kind: e.kind,
        from_status: e.from_status,
        to_status: e.to_status,
        official_id: e.official_id,
        note: e.note,
        request_id: e.request_id,
    }
}

motcua_web::page_type!(DossierPage, DossierView);

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantRequest {
    pub kind: ApplicantKind,
    pub name: String,
    pub id_number: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentRequest {
    pub name: String,
    #[serde(default = "one")]
    pub copies: u16,
    #[serde(default = "not_digitised")]
    pub digitisation: Digitisation,
}

fn one() -> u16 {
    1
}

fn not_digitised() -> Digitisation {
    Digitisation::NotDigitised
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDossierRequest {
    /// The receiving unit (its code opens the dossier code).
    pub unit_id: UnitId,
    pub procedure_id: ProcedureId,
    pub channel: Channel,
    pub applicant: ApplicantRequest,
    pub request_content: Option<String>,
    #[serde(default)]
    pub components: Vec<ComponentRequest>,
    pub receiving_official_id: Option<OfficialId>,
    /// When it arrived; default now. The due time counts from here when it is accepted at once.
    #[serde(default, deserialize_with = "motcua_core::time::optional_instant")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// `new` (default: accepted at the desk) or `receiving` (submitted online, to be accepted).
    pub status: Option<DossierStatus>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub to: DossierStatus,
    /// When it happened; default now. Not before the dossier's latest event.
    #[serde(default, deserialize_with = "motcua_core::time::optional_instant")]
    pub at: Option<DateTime<Utc>>,
    pub official_id: Option<OfficialId>,
    /// Required for `denied`, `waiting`, `paying`, `cancelled` and `unresolved`.
    pub note: Option<String>,
    /// For `releasing`: the result is an electronic document.
    #[serde(default)]
    pub electronic_result: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApologyRequest {
    #[serde(deserialize_with = "motcua_core::time::instant")]
    pub new_appointment_at: DateTime<Utc>,
    pub reason: String,
    pub official_id: Option<OfficialId>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_instant")]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    pub rating: Rating,
    #[serde(default, deserialize_with = "motcua_core::time::optional_instant")]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintRequest {
    pub content: String,
    #[serde(default, deserialize_with = "motcua_core::time::optional_instant")]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DossierQuery {
    /// Received at this unit.
    pub unit: Option<UnitId>,
    /// Received at this unit or any unit below it.
    pub under: Option<UnitId>,
    pub procedure: Option<ProcedureId>,
    pub field: Option<String>,
    pub status: Option<DossierStatus>,
    pub channel: Option<Channel>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub received_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub received_to: Option<NaiveDate>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub due_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub due_to: Option<NaiveDate>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub resolved_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub resolved_to: Option<NaiveDate>,
    /// Only open dossiers past their due time now.
    pub overdue: Option<bool>,
    /// Part of the applicant's name.
    pub applicant: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Search dossiers, in order of creation.
#[utoipa::path(tag = "dossiers", params(DossierQuery), responses((status = 200, body = DossierPage), ReadErrors), security(("api_key" = [])))]
#[get("/dossiers")]
pub async fn list_dossiers(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<DossierQuery>,
) -> Result<Json<DossierPage>, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let q = query.into_inner();
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (
        page.limit()?,
        page.after()?.map(motcua_core::record_ids::DossierId),
    );
    let rows = state
        .read(move |conn| {
            let among_units = who.listed_units(conn, q.unit, q.under)?;
            let filter = DossierFilter {
                among_units,
                procedure: q.procedure,
                field: q.field,
                status: q.status,
                channel: q.channel,
                received_from: q.received_from,
                received_to: q.received_to,
                due_from: q.due_from,
                due_to: q.due_to,
                resolved_from: q.resolved_from,
                resolved_to: q.resolved_to,
                overdue_at: q.overdue.filter(|o| *o).map(|_| now()),
                applicant_contains: q.applicant,
            };
            Ok(dossiers::list(conn, &filter, after, limit + 1)?)
        })
        .await?;
    let (rows, next) = finish_page(rows, limit, |d| d.id.0);
    Ok(Json(DossierPage {
        items: rows.into_iter().map(DossierView::from).collect(),
        next,
    }))
}

/// Receive a dossier: assigns its code and computes its due time in working days.
#[utoipa::path(tag = "dossiers", request_body = NewDossierRequest, responses((status = 201, body = DossierView), WriteErrors), security(("api_key" = [])))]
#[post("/dossiers")]
pub async fn create_dossier(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewDossierRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let input = validate_dossier(body.into_inner(), Utc::now()).map_err(ApiError::invalid_all)?;
    let actor = Actor::new(&who, &request_id);
    let answer = |dossier: Dossier| {
        Answer::created(
            Some(format!("/dossiers/{}", dossier.code)),
            &DossierView::from(dossier),
        )
    };
    if idempotency::answer_is_kept() {
        let calendar = state.calendar();
        return state
            .write_answer(move |conn| {
                answer(intake::create_in(conn, &calendar, who, input, actor)?)
            })
            .await;
    }
    answer(intake::create(&state, who, input, actor).await?)
}

/// One dossier with its components and history.
///
/// Its `ETag` changes with every change of the dossier; send it back as `If-Match` to make a
/// change conditional.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path)), responses((status = 200, body = DossierView, headers(("ETag" = String, description = "Strong entity tag of this representation"))), ReadErrors), security(("api_key" = [])))]
#[get("/dossiers/{code}")]
pub async fn get_dossier(
    state: Data<AppState>,
    who: Principal,
    code: Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let (view, etag) = state
        .read(move |conn| {
            let dossier = find_visible(conn, &who, &code)?;
            let view = full_view(conn, dossier)?;
            let etag = ETag::of(&view)?;
            Ok((view, etag))
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag.header()).json(view))
}

/// The dossier as `GET /dossiers/{code}` shows it: with its components and history.
fn full_view(conn: &mut DbConnection, dossier: Dossier) -> Result<DossierView, ApiError> {
    let components = dossiers::components(conn, dossier.id)?;
    let events = dossiers::events(conn, dossier.id)?;
    let mut view = DossierView::from(dossier);
    view.components = Some(components.into_iter().map(component_view).collect());
    view.history = Some(events.into_iter().map(event_view).collect());
    Ok(view)
}

/// The `ETag` of the dossier as it is now in the transaction, read again so that it is exactly
/// what a `GET` would answer.
pub(crate) fn current_etag(conn: &mut DbConnection, code: &str) -> Result<ETag, ApiError> {
    let dossier = find(conn, code)?;
    ETag::of(&full_view(conn, dossier)?)
}

/// The dossier a change addresses: within the caller's unit subtree and, when the request is
/// conditional, still as the client read it (412 otherwise). Called inside the change's
/// transaction, so no other change can come between the check and the change.
pub(crate) fn find_for_change(
    conn: &mut DbConnection,
    who: &Principal,
    code: &str,
    if_match: &IfMatch,
) -> Result<Dossier, ApiError> {
    let dossier = find_visible(conn, who, code)?;
    if_match.check_with(|| ETag::of(&full_view(conn, dossier.clone())?))?;
    Ok(dossier)
}

/// Move a dossier to another status (accept, refuse, process, request a supplement, resume,
/// resolve, hand over, withdraw, stop).
#[utoipa::path(tag = "dossiers", params(("code" = String, Path), IfMatch), request_body = TransitionRequest, responses((status = 200, body = DossierView, headers(("ETag" = String, description = "The dossier's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/dossiers/{code}/transitions")]
pub async fn transition(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    code: Path<String>,
    if_match: IfMatch,
    body: ValidJson<TransitionRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let input = transition_input(body.into_inner(), Utc::now());
    let actor = Actor::new(&who, &request_id);
    let calendar = state.calendar();
    state
        .write_answer(move |conn| {
            let dossier = find_for_change(conn, &who, &code, &if_match)?;
            if let Some(official) = input.official_id {
                who.require_official(conn, official, "official_id")?;
            }
            let next = Changes::within(conn, |conn, changes| {
                lifecycle::transition(conn, &calendar, &dossier, &input, &actor, changes)
            })?;
            Ok(Answer::ok(&DossierView::from(next))?.with_etag(current_etag(conn, &code)?))
        })
        .await
}

/// Apologise for an overdue dossier and give a new appointment.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path), IfMatch), request_body = ApologyRequest, responses((status = 200, body = DossierView, headers(("ETag" = String, description = "The dossier's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/dossiers/{code}/apologies")]
pub async fn apologise(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    code: Path<String>,
    if_match: IfMatch,
    body: ValidJson<ApologyRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let body = body.into_inner();
    let reason =
        required_text(&body.reason, "reason", 2000).map_err(|p| ApiError::invalid_all(vec![p]))?;
    let actor = Actor::new(&who, &request_id);
    let at = body.at.unwrap_or_else(Utc::now);
    state
        .write_answer(move |conn| {
            let dossier = find_for_change(conn, &who, &code, &if_match)?;
            if let Some(official) = body.official_id {
                who.require_official(conn, official, "official_id")?;
            }
            let apology = ApologyInput {
                new_appointment: body.new_appointment_at,
                at,
                official_id: body.official_id,
                reason,
            };
            let next = Changes::within(conn, |conn, changes| {
                lifecycle::apologise(conn, &dossier, &apology, &actor, changes)
            })?;
            Ok(Answer::ok(&DossierView::from(next))?.with_etag(current_etag(conn, &code)?))
        })
        .await
}

/// Record the applicant's rating when the result is handed over.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path), IfMatch), request_body = RatingRequest, responses((status = 200, body = DossierView, headers(("ETag" = String, description = "The dossier's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/dossiers/{code}/rating")]
pub async fn rate(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    code: Path<String>,
    if_match: IfMatch,
    body: ValidJson<RatingRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let body = body.into_inner();
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            let dossier = find_for_change(conn, &who, &code, &if_match)?;
            let at = body.at.unwrap_or_else(Utc::now);
            let next = Changes::within(conn, |conn, changes| {
                lifecycle::rate(conn, &dossier, body.rating, at, &actor, changes)
            })?;
            Ok(Answer::ok(&DossierView::from(next))?.with_etag(current_etag(conn, &code)?))
        })
        .await
}

/// Record a complaint about a dossier.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path), IfMatch), request_body = ComplaintRequest, responses((status = 201, body = DossierView, headers(("ETag" = String, description = "The dossier's new entity tag"))), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/dossiers/{code}/complaints")]
pub async fn complain(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    code: Path<String>,
    if_match: IfMatch,
    body: ValidJson<ComplaintRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let body = body.into_inner();
    let content = required_text(&body.content, "content", 4000)
        .map_err(|p| ApiError::invalid_all(vec![p]))?;
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            let dossier = find_for_change(conn, &who, &code, &if_match)?;
            let at = body.at.unwrap_or_else(Utc::now);
            Changes::within(conn, |conn, changes| {
                lifecycle::complain(conn, &dossier, content, at, &actor, changes)
            })?;
            Ok(Answer::created(None, &DossierView::from(dossier))?
                .with_etag(current_etag(conn, &code)?))
        })
        .await
}

/// The dossier with `code`, if it lies within the caller's unit subtree.
fn find_visible(conn: &mut DbConnection, who: &Principal, code: &str) -> Result<Dossier, ApiError> {
    let dossier = find(conn, code)?;
    who.require_unit(conn, dossier.unit_id)?;
    Ok(dossier)
}

pub(crate) fn find(conn: &mut DbConnection, code: &str) -> Result<Dossier, ApiError> {
    dossiers::find_by_code(conn, code).map_err(ApiError::not_found_as(format!("dossier {code}")))
}

pub(crate) fn transition_input(body: TransitionRequest, now: DateTime<Utc>) -> TransitionInput {
    TransitionInput {
        to: body.to,
        at: body.at.unwrap_or(now),
        official_id: body.official_id,
        note: body.note.map(|n| tidy(&n)).filter(|n| !n.is_empty()),
        electronic_result: body.electronic_result,
    }
}

fn required_text(text: &str, field: &str, max: usize) -> Result<String, InvalidParam> {
    let text = tidy(text);
    if text.is_empty() || text.chars().count() > max {
        return Err(InvalidParam::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(text)
}

fn optional_text(
    text: Option<String>,
    field: &str,
    max: usize,
    problems: &mut Vec<InvalidParam>,
) -> Option<String> {
    let text = text.map(|t| tidy(&t)).filter(|t| !t.is_empty())?;
    if text.chars().count() > max {
        problems.push(InvalidParam::new(
            field,
            format!("at most {max} characters"),
        ));
    }
    Some(text)
}

/// Checks every field of a new dossier, reporting all problems at once.
pub(crate) fn validate_dossier(
    req: NewDossierRequest,
    now: DateTime<Utc>,
) -> Result<DossierInput, Vec<InvalidParam>> {
    let mut problems = Vec::new();
    let name = required_text(&req.applicant.name, "applicant.name", 300)
        .map_err(|p| problems.push(p))
        .unwrap_or_default();
    let id_number = req
        .applicant
        .kind
        .validate_id_number(&req.applicant.id_number)
        .unwrap_or_else(|reason| {
            problems.push(InvalidParam::new("applicant.id_number", reason));
            String::new()
        });
    let email = optional_text(req.applicant.email, "applicant.email", 254, &mut problems);
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        problems.push(InvalidParam::new(
            "applicant.email",
            "not an e-mail address",
        ));
    }
    let phone = optional_text(req.applicant.phone, "applicant.phone", 20, &mut problems);
    if phone.as_deref().is_some_and(|p| {
        !p.chars()
            .all(|c| c.is_ascii_digit() || " +.-()".contains(c))
    }) {
        problems.push(InvalidParam::new(
            "applicant.phone",
            "digits, spaces and + . - ( ) only",
        ));
    }
    let address = optional_text(
        req.applicant.address,
        "applicant.address",
        500,
        &mut problems,
    );
    let request_content =
        optional_text(req.request_content, "request_content", 4000, &mut problems);
    if req.components.len() > 200 {
        problems.push(InvalidParam::new("components", "at most 200 components"));
    }
    let components = req
        .components
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let name = required_text(&c.name, &format!("components[{i}].name"), 500)
                .map_err(|p| problems.push(p))
                .unwrap_or_default();
            if c.copies > 100 {
                problems.push(InvalidParam::new(
                    format!("components[{i}].copies"),
                    "at most 100 copies",
                ));
            }
            ComponentInput {
                name,
                copies: i32::from(c.copies),
                digitisation: c.digitisation,
            }
        })
        .collect();
    let status = req.status.unwrap_or(DossierStatus::New);
    if !matches!(status, DossierStatus::New | DossierStatus::Receiving) {
        problems.push(InvalidParam::new(
            "status",
            "a dossier starts as `new` or `receiving`",
        ));
    }
    if status == DossierStatus::Receiving && req.channel != Channel::Online {
        problems.push(InvalidParam::new(
            "status",
            "only online submissions wait in `receiving`",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(DossierInput {
        unit_id: req.unit_id,
        procedure_id: req.procedure_id,
        channel: req.channel,
        applicant: Applicant {
            kind: req.applicant.kind,
            name,
            id_number,
            address,
            phone,
            email,
        },
        request_content,
        components,
        receiving_official_id: req.receiving_official_id,
        submitted_at: req.submitted_at.unwrap_or(now),
        status,
    })
}
