//! Bulk import of dossiers from other systems, also used to load historical data: a JSON array or
//! NDJSON (one dossier per line), all or nothing, with a report of every rejected line.

use actix_web::web::{Bytes, Data, Payload};
use actix_web::{post, HttpRequest};
use chrono::Utc;
use motcua_core::access::{Access, Resource};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dossiers::{
    transition_input, validate_dossier, NewDossierRequest, RatingRequest, TransitionRequest,
};
use crate::auth::{Principal, UnitScope};
use crate::intake;
use crate::lifecycle::{self, Changes, DossierInput, TransitionInput};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::error::responses::WriteErrors;
use motcua_web::error::{ApiError, InvalidParam};
use motcua_web::extract::{media_type, parse_json, read_body};
use motcua_web::request_id::RequestId;

/// The most dossiers one import may carry.
pub const MAX_IMPORT_ITEMS: usize = 20_000;

/// One dossier with what happened to it since.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedDossier {
    pub dossier: NewDossierRequest,
    /// Status changes in order, each with its time (`at`).
    #[serde(default)]
    pub events: Vec<TransitionRequest>,
    pub rating: Option<RatingRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub imported: usize,
    /// The codes given, in the order of the input.
    pub codes: Vec<String>,
}

/// A line the import refused (1-based: the array index + 1, or the NDJSON line number).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RejectedLine {
    pub line: usize,
    pub invalid_params: Vec<InvalidParam>,
}

struct Item {
    line: usize,
    dossier: DossierInput,
    events: Vec<TransitionInput>,
    rating: Option<RatingRequest>,
}

/// Import dossiers, all or nothing. Body: a JSON array (`application/json`) or one JSON object
/// per line (`application/x-ndjson`) of `ImportedDossier`, at most 20 000. If any line is wrong,
/// nothing is stored and the 422 problem lists every rejected line under `rejected`.
#[utoipa::path(
    tag = "dossiers",
    request_body(content = Vec<ImportedDossier>, content_type = "application/json"),
    responses((status = 201, body = ImportReport), WriteErrors),
    security(("api_key" = []))
)]
#[post("/dossiers/import")]
pub async fn import_dossiers(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    req: HttpRequest,
    payload: Payload,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let ndjson = match media_type(&req).as_str() {
        "application/json" => false,
        "application/x-ndjson" | "application/ndjson" => true,
        _ => {
            return Err(ApiError::UnsupportedMediaType(
                "send a JSON array (application/json) or NDJSON (application/x-ndjson)".into(),
            ))
        }
    };
    let body = read_body(payload.into_inner(), state.config.max_import_bytes).await?;
    let items = parse_items(&body, ndjson)?;
    let actor = Actor::new(&who, &request_id);
    let calendar = state.calendar();
    state
        .write_answer(move |conn| {
            let codes = Changes::within(conn, |conn, changes| {
                import_all(conn, &calendar, &who, &items, &actor, changes)
            })?;
            Answer::created(
                None,
                &ImportReport {
                    imported: codes.len(),
                    codes,
                },
            )
        })
        .await
}

/// Every line in the connection's transaction, or nothing: the codes of the dossiers made.
fn import_all(
    conn: &mut motcua_db::DbConnection,
    calendar: &motcua_core::calendar::WorkingCalendar,
    who: &Principal,
    items: &[Item],
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Vec<String>, ApiError> {
    let mut codes = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    let mut outside = Vec::new();
    for item in items {
        let outcome = require_allowed(conn, who, item)
            .and_then(|()| import_one(conn, calendar, item, actor, changes));
        match outcome {
            Ok(code) => codes.push(code),
            // The database refused a statement: on PostgreSQL the transaction can go no further.
            Err(error @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => return Err(error),
            Err(ApiError::Forbidden(reason)) => outside.push((item.line, reason)),
            Err(error) => rejected.push(RejectedLine {
                line: item.line,
                invalid_params: reasons(&error),
            }),
        }
    }
    if !outside.is_empty() {
        return Err(outside_scope(&outside));
    }
    if !rejected.is_empty() {
        return Err(rejection(&rejected));
    }
    Ok(codes)
}

/// Refuses a line the key may not import, as it would refuse the same dossier created alone
/// (403): its unit or an official it names is outside the key's unit subtree.
fn require_allowed(
    conn: &mut motcua_db::DbConnection,
    who: &Principal,
    item: &Item,
) -> Result<(), ApiError> {
    intake::require_allowed(conn, who, &item.dossier)?;
    for (index, event) in item.events.iter().enumerate() {
        if let Some(official) = event.official_id {
            who.require_official(conn, official, &format!("events[{index}].official_id"))?;
        }
    }
    Ok(())
}

/// The whole import is refused when a line is outside the key's reach, like a single creation:
/// 403 naming every such line.
fn outside_scope(outside: &[(usize, String)]) -> ApiError {
    // Named one by one up to a bound, so that a large import gets a readable answer.
    const NAMED: usize = 100;
    let mut lines: Vec<String> = outside
        .iter()
        .take(NAMED)
        .map(|(line, reason)| format!("line {line}: {reason}"))
        .collect();
    if outside.len() > NAMED {
        lines.push(format!("and {} more", outside.len() - NAMED));
    }
    ApiError::Forbidden(format!(
        "{} line(s) outside the key's reach; nothing was imported. {}",
        outside.len(),
        lines.join("; ")
    ))
}

fn import_one(
    conn: &mut motcua_db::DbConnection,
    calendar: &motcua_core::calendar::WorkingCalendar,
    item: &Item,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<String, ApiError> {
    let mut dossier = lifecycle::create(conn, calendar, &item.dossier, actor, changes)?;
    for (index, event) in item.events.iter().enumerate() {
        dossier = lifecycle::transition(conn, calendar, &dossier, event, actor, changes)
            .map_err(|e| prefix(e.into(), &format!("events[{index}]")))?;
    }
    if let Some(rating) = &item.rating {
        let at = rating.at.unwrap_or_else(Utc::now);
        dossier = lifecycle::rate(conn, &dossier, rating.rating, at, actor, changes)
            .map_err(|e| prefix(e.into(), "rating"))?;
    }
    Ok(dossier.code)
}

fn parse_items(body: &Bytes, ndjson: bool) -> Result<Vec<Item>, ApiError> {
    let raw: Vec<(usize, &[u8])> = if ndjson {
        body.split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(i, line)| (i + 1, line))
            .collect()
    } else {
        return parse_array(body);
    };
    collect_items(
        raw.into_iter()
            .map(|(line, bytes)| (line, parse_json::<ImportedDossier>(bytes))),
    )
}

fn parse_array(body: &Bytes) -> Result<Vec<Item>, ApiError> {
    let values: Vec<serde_json::Value> = parse_json(body)?;
    collect_items(values.into_iter().enumerate().map(|(i, value)| {
        let text = serde_json::to_vec(&value).unwrap_or_default();
        (i + 1, parse_json::<ImportedDossier>(&text))
    }))
}

fn collect_items(
    parsed: impl Iterator<Item = (usize, Result<ImportedDossier, ApiError>)>,
) -> Result<Vec<Item>, ApiError> {
    let now = Utc::now();
    let mut items = Vec::new();
    let mut rejected = Vec::new();
    for (line, result) in parsed {
        if line > MAX_IMPORT_ITEMS {
            return Err(ApiError::invalid(
                "body",
                format!("at most {MAX_IMPORT_ITEMS} dossiers per import"),
            ));
        }
        let checked = result.map_err(|e| reasons(&e)).and_then(|imported| {
            let events = imported
                .events
                .into_iter()
                .map(|e| transition_input(e, now))
                .collect();
            validate_dossier(imported.dossier, now).map(|dossier| Item {
                line,
                dossier,
                events,
                rating: imported.rating,
            })
        });
        match checked {
            Ok(item) => items.push(item),
            Err(invalid_params) => rejected.push(RejectedLine {
                line,
                invalid_params,
            }),
        }
    }
    if !rejected.is_empty() {
        return Err(rejection(&rejected));
    }
    if items.is_empty() {
        return Err(ApiError::invalid("body", "no dossier to import"));
    }
    Ok(items)
}

fn rejection(rejected: &[RejectedLine]) -> ApiError {
    let lines = rejected.len();
    let value = serde_json::to_value(rejected).unwrap_or_default();
    let error = ApiError::invalid_all(vec![InvalidParam::new(
        "body",
        format!("{lines} line(s) rejected; nothing was imported"),
    )]);
    error.with_extension("rejected", value)
}

/// The field-level reasons of an error, or its sentence under `dossier`.
fn reasons(error: &ApiError) -> Vec<InvalidParam> {
    match error {
        ApiError::Invalid { invalid_params, .. } | ApiError::BadRequest { invalid_params, .. }
            if !invalid_params.is_empty() =>
        {
            invalid_params.clone()
        }
        other => vec![InvalidParam::new("dossier", other.to_string())],
    }
}

fn prefix(error: ApiError, path: &str) -> ApiError {
    match error {
        ApiError::Invalid { invalid_params, .. } => ApiError::invalid_all(
            invalid_params
                .into_iter()
                .map(|p| InvalidParam::new(format!("{path}.{}", p.name), p.reason))
                .collect(),
        ),
        ApiError::Conflict(reason) => ApiError::invalid(path, reason),
        other => other,
    }
}
