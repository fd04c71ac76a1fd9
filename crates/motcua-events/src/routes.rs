//! `GET /events`: the event log, oldest first after a sequence, with long-polling.

use std::time::Duration;

use actix_web::get;
use actix_web::web::{Data, Json};
use motcua_core::access::{Access, Resource};
use motcua_core::event::EventType;
use motcua_core::record_ids::UnitId;
use motcua_db::events::{self, EventFilter};
use motcua_web::auth::Principal;
use motcua_web::error::responses::ReadErrors;
use motcua_web::error::ApiError;
use motcua_web::extract::ValidQuery;
use motcua_web::WebContext;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use utoipa::{IntoParams, ToSchema};

use crate::cloudevent::{source, CloudEvent};
use crate::webhooks::Webhooks;

/// Events in one page unless `limit` says otherwise.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;
/// The longest a reader may wait for a new event.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// How often a waiting reader looks again by itself, for events written by another process on
/// the same database (events committed in this process wake it at once).
const LOOK_AGAIN: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events after this sequence (default 0: from the first). Give the `next_after` of the
    /// previous page.
    pub after: Option<i64>,
    /// Only these types, comma-separated (e.g.
    /// `vn.motcua.dossier.created,vn.motcua.dossier.returned`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// Only events of this unit and the units below it.
    pub unit: Option<i64>,
    /// At most this many events (1–1000, default 100).
    pub limit: Option<i64>,
    /// When there is no event yet, wait up to this long for one (`30s`, or seconds as a
    /// number; at most 60 s; default 0: answer at once).
    pub wait: Option<String>,
}

/// A page of events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<CloudEvent>,
    /// Ask for `after=` this next: the last event's sequence, or the `after` asked for when the
    /// page is empty.
    pub next_after: i64,
}

/// The service's events after a sequence, oldest first. A key limited to a unit sees the events
/// of its subtree only. With `wait`, an empty answer is held until an event comes or the time
/// is up (long-polling).
#[utoipa::path(tag = "events", params(EventQuery), responses((status = 200, body = EventPage), ReadErrors), security(("api_key" = [])))]
#[get("/events")]
pub async fn list_events(
    state: Data<WebContext>,
    webhooks: Data<Webhooks>,
    who: Principal,
    query: ValidQuery<EventQuery>,
) -> Result<Json<EventPage>, ApiError> {
    who.require(Resource::Events, Access::Read)?;
    let query = query.into_inner();
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_param("after", "a sequence, 0 or more"));
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_param("limit", "between 1 and 1000"));
    }
    let wait = parse_wait(query.wait.as_deref())?;
    let types = parse_types(query.event_type.as_deref())?;
    let roots: Vec<UnitId> = who.unit.into_iter().chain(query.unit.map(UnitId)).collect();
    // The subtrees once per request: a unit regrouped during a long wait is seen next time.
    let within = webhooks.into_inner().read_reach(&state, roots).await?;
    let filter = EventFilter { types, within };
    let source = source(state.public_url.as_deref(), &state.service);
    let deadline = Instant::now() + wait;
    // Subscribed before the first look, so that a commit between the look and the wait wakes it.
    let mut written = events::written();
    loop {
        written.borrow_and_update();
        let reader = filter.clone();
        let stored = state
            .read(move |conn| Ok(events::after(conn, after, &reader, limit)?))
            .await?;
        let now = Instant::now();
        if !stored.is_empty() || now >= deadline {
            let next_after = stored.last().map_or(after, |event| event.sequence);
            let items = stored
                .into_iter()
                .map(|event| CloudEvent::from_stored(event, &source))
                .collect();
            return Ok(Json(EventPage { items, next_after }));
        }
        let pause = (deadline - now).min(LOOK_AGAIN);
        // Woken by a commit in this process, or after the pause; either way, look again.
        let _ = tokio::time::timeout(pause, written.changed()).await;
    }
}

/// `wait`: `30s`, `30` or `0`; at most [`MAX_WAIT`].
fn parse_wait(text: Option<&str>) -> Result<Duration, ApiError> {
    let Some(text) = text else {
        return Ok(Duration::ZERO);
    };
    let seconds: u64 = text
        .strip_suffix('s')
        .unwrap_or(text)
        .parse()
        .map_err(|_| ApiError::bad_param("wait", "a number of seconds, such as `30s`"))?;
    let wait = Duration::from_secs(seconds);
    if wait > MAX_WAIT {
        return Err(ApiError::bad_param("wait", "at most 60 seconds"));
    }
    Ok(wait)
}

fn parse_types(text: Option<&str>) -> Result<Vec<EventType>, ApiError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|one| {
            one.trim()
                .parse()
                .map_err(|e: motcua_core::UnknownVariant| {
                    ApiError::bad_param("type", e.to_string())
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn wait_is_seconds_up_to_a_minute() {
        assert_eq!(parse_wait(Some("30s")).unwrap(), Duration::from_secs(30));
        assert_eq!(parse_wait(Some("5")).unwrap(), Duration::from_secs(5));
        assert_eq!(parse_wait(None).unwrap(), Duration::ZERO);
        assert!(parse_wait(Some("61s")).is_err());
        assert!(parse_wait(Some("-1")).is_err());
        assert!(parse_wait(Some("1m")).is_err());
    }

    #[test]
    fn types_are_the_published_ones() {
        assert_eq!(
            parse_types(Some("vn.motcua.dossier.created, vn.motcua.report.received")).unwrap(),
            vec![EventType::DossierCreated, EventType::ReportReceived]
        );
        assert!(parse_types(Some("vn.motcua.dossier.deleted")).is_err());
    }
}
