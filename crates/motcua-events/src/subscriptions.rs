//! `/subscriptions`: other systems subscribe a callback URL to the service's events, which the
//! delivery worker ([`crate::delivery`]) POSTs to it one at a time, signed.

use actix_web::web::{Data, Json};
use actix_web::{delete, get, post, HttpResponse};
use chrono::{DateTime, Utc};
use motcua_audit::Actor;
use motcua_core::access::{Access, Resource};
use motcua_core::event::{EventType, SubscriptionState};
use motcua_core::record_ids::{SubscriptionId, UnitId};
use motcua_db::subscriptions::{self, NewSubscription, Subscription};
use motcua_db::{events, now, DbConnection};
use motcua_web::answer::{Answer, Secret};
use motcua_web::auth::Principal;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, InvalidParam};
use motcua_web::extract::{PathId, ValidJson, ValidQuery};
use motcua_web::pagination::{finish_page, PageParams};
use motcua_web::request_id::RequestId;
use motcua_web::WebContext;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::secret::SigningSecret;
use crate::webhooks::Webhooks;

/// A subscription as the API shows it: never its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    pub id: SubscriptionId,
    pub callback_url: String,
    /// The types delivered; empty: all.
    pub event_types: Vec<EventType>,
    /// Only events of this unit and the units below it; absent: every unit.
    pub unit_id: Option<UnitId>,
    /// `active`, or `dead_letter` after too many failures in a row (see `last_error`; ask for
    /// a redelivery to resume).
    pub state: SubscriptionState,
    /// The sequence of the last event delivered (or passed over by the filter): the next
    /// delivery is the first matching event after it.
    pub delivered_through: i64,
    /// Failed attempts in a row since the last success.
    pub attempts: i32,
    /// Why the last attempt failed, until one succeeds.
    pub last_error: Option<String>,
    /// No attempt is made before this time (after a failure).
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Subscription> for SubscriptionView {
    fn from(row: Subscription) -> Self {
        Self {
            id: row.id,
            callback_url: row.callback_url,
            event_types: stored_types(&row.event_types),
            unit_id: row.unit_id,
            state: row.state,
            delivered_through: row.delivered_through,
            attempts: row.attempts,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at.and_utc(),
            last_attempt_at: row.last_attempt_at.map(|t| t.and_utc()),
            last_delivered_at: row.last_delivered_at.map(|t| t.and_utc()),
            created_at: row.created_at.and_utc(),
        }
    }
}

/// The types of a stored `event_types` (types no longer known are left out).
pub fn stored_types(text: &str) -> Vec<EventType> {
    text.split_whitespace()
        .filter_map(|one| one.parse().ok())
        .collect()
}

motcua_web::page_type!(SubscriptionPage, SubscriptionView);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriptionRequest {
    /// Where the events are POSTed: `https` (plain `http` only to a host the service's
    /// allow-list names exactly), no user or password, a host the allow-list allows, public
    /// addresses only unless the allow-list names them.
    pub callback_url: String,
    /// Only these types; absent or empty: every type.
    #[serde(default)]
    pub event_types: Vec<EventType>,
    /// Only events of this unit and the units below it. A key limited to a unit gets its own
    /// unit when this is absent, and may only name units of its subtree.
    pub unit_id: Option<UnitId>,
    /// The signing secret in the Standard Webhooks form, `whsec_` and the base64 of 24 to 64
    /// bytes; generated when absent. Shown once, in the answer.
    pub secret: Option<String>,
    /// Deliver from this event on (its sequence, as `GET /events` shows it); absent: only
    /// events published after the subscription.
    #[schema(minimum = 1)]
    pub from_sequence: Option<i64>,
}

/// The new subscription; `secret` is never shown again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedSubscription {
    /// The signing secret (`whsec_…`), shown once. A replay of the creation
    /// (`Idempotent-Replayed: true`) has `null` here.
    #[schema(value_type = Option<String>, required = true)]
    pub secret: Secret,
    pub subscription: SubscriptionView,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeliveryRequest {
    /// Deliver again from this event on (its sequence); absent: from where the delivery stopped.
    #[schema(minimum = 1)]
    pub from_sequence: Option<i64>,
}

/// A checked request to subscribe.
struct Checked {
    callback_url: String,
    event_types: Vec<EventType>,
    unit_id: Option<UnitId>,
    secret: SigningSecret,
    from_sequence: Option<i64>,
}

async fn check_request(
    webhooks: &Webhooks,
    who: &Principal,
    request: NewSubscriptionRequest,
) -> Result<Checked, ApiError> {
    let mut problems = Vec::new();
    let allow = &webhooks.config.allowed_hosts;
    let checked_url = match allow.check_url(&request.callback_url) {
        Ok(callback) => allow.resolve(&callback).await.map(|_| callback),
        Err(reason) => Err(reason),
    };
    let callback_url = match checked_url {
        Ok(callback) => callback.url.to_string(),
        Err(reason) => {
            problems.push(InvalidParam::new("callback_url", reason));
            String::new()
        }
    };
    let secret = match request.secret.as_deref().map(SigningSecret::parse) {
        None => SigningSecret::generate(),
        Some(Ok(secret)) => secret,
        Some(Err(reason)) => {
            problems.push(InvalidParam::new("secret", reason));
            SigningSecret::generate()
        }
    };
    if request.from_sequence.is_some_and(|from| from < 1) {
        problems.push(InvalidParam::new("from_sequence", "a sequence, 1 or more"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_all(problems));
    }
    let mut event_types = request.event_types;
    event_types.sort();
    event_types.dedup();
    Ok(Checked {
        callback_url,
        event_types,
        unit_id: request.unit_id.or(who.unit),
        secret,
        from_sequence: request.from_sequence,
    })
}

/// Refuses with 403 a unit outside the key's subtree (422 when the service keeps units and has
/// no such unit).
fn require_unit(
    conn: &mut DbConnection,
    web: &WebContext,
    webhooks: &Webhooks,
    who: &Principal,
    unit: Option<UnitId>,
) -> Result<(), ApiError> {
    if let (Some(unit), Some(exists)) = (unit, web.unit_exists) {
        exists(conn, unit).map_err(ApiError::missing_reference("unit_id"))?;
    }
    let Some(root) = who.unit else {
        return Ok(());
    };
    match unit {
        Some(unit) if (webhooks.subtree)(conn, root)?.contains(&unit) => Ok(()),
        _ => Err(ApiError::Forbidden(format!(
            "this key is limited to unit {root} and the units below it: a subscription of this \
             key names one of them in `unit_id`"
        ))),
    }
}

/// Subscribe a callback URL to the service's events. The answer carries the signing secret,
/// once.
///
/// Each matching event is POSTed to the callback URL, one at a time in sequence order, as a
/// CloudEvent (`application/cloudevents+json`) signed in the Standard Webhooks way (see the
/// document's `webhooks`). A 2xx answer within 10 s acknowledges it; anything else is retried
/// with exponential backoff, and after `MOTCUA_WEBHOOK_MAX_ATTEMPTS` failures in a row the
/// subscription is dead-lettered. 409 when the service has no key-store password to keep the
/// secret under.
#[utoipa::path(tag = "events", request_body = NewSubscriptionRequest, responses((status = 201, body = CreatedSubscription), WriteErrors), security(("api_key" = [])))]
#[post("/subscriptions")]
pub async fn create_subscription(
    state: Data<WebContext>,
    webhooks: Data<Webhooks>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewSubscriptionRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Subscriptions, Access::Write)?;
    let sealing = webhooks.sealing()?.clone();
    let checked = check_request(&webhooks, &who, body.into_inner()).await?;
    let actor = Actor::new(&who, &request_id);
    let (web, worker) = (state.clone(), webhooks.clone());
    let answer = state
        .write_answer(move |conn| {
            require_unit(conn, &web, &webhooks, &who, checked.unit_id)?;
            let delivered_through = match checked.from_sequence {
                Some(from) => from - 1,
                None => events::last_sequence(conn)?,
            };
            let at = now();
            let types: Vec<&str> = checked.event_types.iter().map(|t| t.as_str()).collect();
            let created = subscriptions::insert(
                conn,
                &NewSubscription {
                    callback_url: checked.callback_url,
                    event_types: types.join(" "),
                    unit_id: checked.unit_id,
                    secret_sealed: sealing.seal(&checked.secret),
                    state: SubscriptionState::Active,
                    delivered_through,
                    attempts: 0,
                    next_attempt_at: at,
                    created_at: at,
                    created_by: Some(who.key_id),
                },
            )?;
            let view = SubscriptionView::from(created);
            actor.record(conn, "subscription.create", "subscription", view.id, &view)?;
            Answer::created(
                Some(format!("/subscriptions/{}", view.id)),
                &CreatedSubscription {
                    secret: Secret::new(checked.secret.to_text()),
                    subscription: view,
                },
            )
        })
        .await?;
    worker.activated();
    Ok(answer)
}

/// The subscriptions (a key limited to a unit: those of its subtree).
#[utoipa::path(tag = "events", params(SubscriptionQuery), responses((status = 200, body = SubscriptionPage), ReadErrors), security(("api_key" = [])))]
#[get("/subscriptions")]
pub async fn list_subscriptions(
    state: Data<WebContext>,
    webhooks: Data<Webhooks>,
    who: Principal,
    query: ValidQuery<SubscriptionQuery>,
) -> Result<Json<SubscriptionPage>, ApiError> {
    who.require(Resource::Subscriptions, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let (limit, after) = (page.limit()?, page.after()?.map(SubscriptionId));
    let subtree = webhooks.subtree;
    let rows = state
        .read(move |conn| {
            let units = who.unit.map(|root| subtree(conn, root)).transpose()?;
            Ok(subscriptions::list(
                conn,
                after,
                units.as_deref(),
                limit + 1,
            )?)
        })
        .await?;
    let (rows, next) = finish_page(rows, limit, |s| s.id.0);
    Ok(Json(SubscriptionPage {
        items: rows.into_iter().map(SubscriptionView::from).collect(),
        next,
    }))
}

/// One subscription: its state, where its delivery stands and why it last failed; never its
/// secret.
#[utoipa::path(tag = "events", params(("id" = i64, Path)), responses((status = 200, body = SubscriptionView), ReadErrors), security(("api_key" = [])))]
#[get("/subscriptions/{id}")]
pub async fn get_subscription(
    state: Data<WebContext>,
    webhooks: Data<Webhooks>,
    who: Principal,
    id: PathId,
) -> Result<Json<SubscriptionView>, ApiError> {
    who.require(Resource::Subscriptions, Access::Read)?;
    let id = SubscriptionId(id.into_inner());
    let web = state.clone();
    let found = state
        .read(move |conn| find_visible(conn, &web, &webhooks, &who, id))
        .await?;
    Ok(Json(found.into()))
}

/// Stop delivering to a subscription and remove it (its audit records stay).
#[utoipa::path(tag = "events", params(("id" = i64, Path)), responses((status = 204, description = "Removed"), WriteErrors), security(("api_key" = [])))]
#[delete("/subscriptions/{id}")]
pub async fn delete_subscription(
    state: Data<WebContext>,
    webhooks: Data<Webhooks>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
) -> Result<HttpResponse, ApiError> {
    who.require(Resource::Subscriptions, Access::Write)?;
    let id = SubscriptionId(id.into_inner());
    let actor = Actor::new(&who, &request_id);
    let (web, held) = (state.clone(), webhooks.clone());
    state
        .write(move |conn| {
            let found = find_visible(conn, &web, &held, &who, id)?;
            subscriptions::delete(conn, id)?;
            let view = SubscriptionView::from(found);
            actor.record(conn, "subscription.delete", "subscription", id, &view)
        })
        .await?;
    webhooks.forget(id);
    Ok(HttpResponse::NoContent().finish())
}

/// Resume delivery now: a dead-lettered subscription becomes active again with no failure
/// counted; with `from_sequence`, the events from that one on are delivered (again).
#[utoipa::path(tag = "events", params(("id" = i64, Path)), request_body = RedeliveryRequest, responses((status = 200, body = SubscriptionView), WriteErrors), security(("api_key" = [])))]
#[post("/subscriptions/{id}/redelivery")]
pub async fn redeliver(
    state: Data<WebContext>,
    webhooks: Data<Webhooks>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
    body: ValidJson<RedeliveryRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Subscriptions, Access::Write)?;
    let id = SubscriptionId(id.into_inner());
    let from = body.into_inner().from_sequence;
    if from.is_some_and(|from| from < 1) {
        return Err(ApiError::invalid("from_sequence", "a sequence, 1 or more"));
    }
    let actor = Actor::new(&who, &request_id);
    let (web, worker) = (state.clone(), webhooks.clone());
    let answer = state
        .write_answer(move |conn| {
            find_visible(conn, &web, &webhooks, &who, id)?;
            let resumed = subscriptions::redeliver(conn, id, from.map(|from| from - 1), now())?;
            let view = SubscriptionView::from(resumed);
            actor.record(conn, "subscription.redeliver", "subscription", id, &view)?;
            Answer::ok(&view)
        })
        .await?;
    worker.activated();
    Ok(answer)
}

/// The subscription `id`, 404 when there is none, 403 when it is outside the key's subtree.
fn find_visible(
    conn: &mut DbConnection,
    web: &WebContext,
    webhooks: &Webhooks,
    who: &Principal,
    id: SubscriptionId,
) -> Result<Subscription, ApiError> {
    let found = subscriptions::find(conn, id)
        .map_err(ApiError::not_found_as(format!("subscription {id}")))?;
    if who.unit.is_some() {
        require_unit(conn, web, webhooks, who, found.unit_id)?;
    }
    Ok(found)
}
