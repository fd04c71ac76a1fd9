//! The delivery worker: POSTs each subscription's events to its callback URL, one at a time in
//! sequence order, signed, and moves the subscription's cursor past each event acknowledged.
//!
//! - **At least once.** The cursor is committed after the 2xx and before the next POST; a crash
//!   in between delivers that one event again, with the same `webhook-id` (the event id) for the
//!   subscriber to recognise it.
//! - **Per-subscription order.** Event k+1 is never sent before k is acknowledged; a failure
//!   stops the subscription's round, and the next attempt starts with the same event.
//! - **Retries.** A failure (not 2xx, no answer within 10 s, refused address) counts one
//!   attempt and waits [`Webhooks::backoff`]; after `max_attempts` in a row the subscription is
//!   dead-lettered until a redelivery is asked for.
//! - **Several instances on one database.** A worker leases a subscription in the database
//!   before delivering it; a lease not renewed for [`LEASE`] is taken over.
//! - **When.** On every commit that published events in this process while a subscription is
//!   active, when one is created or redelivered here, and every second for the events of other
//!   processes, their subscriptions and retries that became due; at most [`CONCURRENCY`]
//!   subscriptions are delivered at once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::web::Data;
use futures_util::StreamExt;
use motcua_core::record_ids::SubscriptionId;
use motcua_db::events::{self, EventFilter, StoredEvent};
use motcua_db::now;
use motcua_db::subscriptions::{self, Failure, Subscription};
use motcua_web::background::Stopping;
use motcua_web::error::ApiError;
use motcua_web::WebContext;

use crate::callback::CallbackUrl;
use crate::cloudevent::{source, CloudEvent, MEDIA_TYPE};
use crate::secret::SigningSecret;
use crate::subscriptions::stored_types;
use crate::webhooks::Webhooks;

/// The longest a subscriber may take to answer one delivery.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim on a subscription lasts without being renewed (each event acknowledged
/// renews it): longer than a delivery may take, and as short as that allows, because after a
/// crash the subscriptions the process held wait this long before another worker (or the
/// restarted process) takes them over.
pub const LEASE: Duration = Duration::from_secs(20);
/// Subscriptions delivered at once.
pub const CONCURRENCY: usize = 8;
/// How often the worker looks by itself: for events other processes wrote, and retries.
const LOOK_AGAIN: Duration = Duration::from_secs(1);
/// Events read from the log at once for one subscription.
const BATCH: i64 = 100;
/// How long a callback host's checked addresses are used before it is resolved again.
const RESOLVED_FOR: Duration = Duration::from_secs(60);

/// The worker of one service.
pub struct Worker {
    web: Data<WebContext>,
    webhooks: Data<Webhooks>,
    /// Names this worker's leases.
    holder: String,
    source: String,
    /// An HTTP client per callback host, connecting to its checked addresses only.
    clients: Mutex<HashMap<String, Target>>,
}

#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    resolved_at: Instant,
}

/// Why a delivery failed.
#[derive(Debug)]
enum Refusal {
    /// The attempt could not be made or was not acknowledged.
    Failed(String),
    /// The database failed; nothing is counted against the subscriber.
    Storage(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Self::Storage(error)
    }
}

impl Worker {
    pub fn new(web: Data<WebContext>, webhooks: Data<Webhooks>) -> Self {
        let source = source(web.public_url.as_deref(), &web.service);
        Self {
            web,
            webhooks,
            holder: uuid::Uuid::new_v4().to_string(),
            source,
            clients: Mutex::default(),
        }
    }

    /// Delivers until the service stops: every second, when a subscription of this process
    /// becomes active, and on each commit that published events while any subscription is
    /// active (without one, a round per commit would only slow the writers down).
    pub async fn run(self, mut stopping: Stopping) {
        let mut written = events::written();
        loop {
            written.borrow_and_update();
            let listening = self.round().await;
            let commit = async {
                if listening {
                    let _ = written.changed().await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                () = stopping.requested() => return,
                () = self.webhooks.next_activation() => {}
                _ = tokio::time::timeout(LOOK_AGAIN, commit) => {}
            }
        }
    }

    /// Delivers every due subscription as far as it goes; whether any subscription is active
    /// (due or not). A database error counts as active, so that the worker keeps looking.
    pub async fn round(&self) -> bool {
        let due = self
            .web
            .read(|conn| {
                let last = events::last_sequence(conn)?;
                let due = subscriptions::due(conn, now(), last, 1000)?;
                let active = !due.is_empty() || subscriptions::any_active(conn)?;
                Ok((due, active))
            })
            .await;
        let (due, active) = match due {
            Ok(found) => found,
            Err(error) => {
                tracing::warn!(%error, "webhook delivery: cannot read the subscriptions");
                return true;
            }
        };
        futures_util::stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |id| self.deliver_subscription(id))
            .await;
        active
    }

    async fn deliver_subscription(&self, id: SubscriptionId) {
        let holder = self.holder.clone();
        let claimed = self
            .web
            .write(move |conn| {
                let at = now();
                Ok(subscriptions::claim(conn, id, &holder, at, lease_end(at))?)
            })
            .await;
        let subscription = match claimed {
            Ok(Some(subscription)) => subscription,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, subscription = %id, "webhook delivery: cannot claim");
                return;
            }
        };
        match self.deliver_pending(&subscription).await {
            Ok(()) => self.release(id).await,
            Err(Refusal::Failed(reason)) => self.count_failure(&subscription, reason).await,
            Err(Refusal::Storage(error)) => {
                tracing::warn!(%error, subscription = %id, "webhook delivery: database error");
                self.release(id).await;
            }
        }
    }

    /// POSTs the subscription's events after its cursor until there is none left, or one fails.
    async fn deliver_pending(&self, subscription: &Subscription) -> Result<(), Refusal> {
        let secret = self
            .webhooks
            .secret(subscription)
            .map_err(Refusal::Failed)?;
        let within = self
            .webhooks
            .clone()
            .into_inner()
            .read_reach(&self.web, subscription.unit_id.into_iter().collect())
            .await?;
        let filter = EventFilter {
            types: stored_types(&subscription.event_types),
            within,
        };
        let mut cursor = subscription.delivered_through;
        loop {
            let reader = filter.clone();
            let (last, batch) = self
                .web
                .read(move |conn| {
                    // Read first: every event up to it is committed, so those the filtered
                    // read does not return can be passed over.
                    let last = events::last_sequence(conn)?;
                    Ok((last, events::after(conn, cursor, &reader, BATCH)?))
                })
                .await?;
            if batch.is_empty() {
                if last > cursor {
                    self.advance(subscription.id, last, false).await?;
                }
                return Ok(());
            }
            for event in batch {
                let sequence = event.sequence;
                self.post(subscription, &secret, event).await?;
                self.advance(subscription.id, sequence, true).await?;
                cursor = sequence;
            }
        }
    }

    /// Moves the cursor to `through`; a lost lease ends the round as a storage problem, so that
    /// the new holder alone goes on.
    async fn advance(
        &self,
        id: SubscriptionId,
        through: i64,
        delivered: bool,
    ) -> Result<(), Refusal> {
        let holder = self.holder.clone();
        let kept = self
            .web
            .write(move |conn| {
                let at = now();
                let delivered_at = delivered.then_some(at);
                Ok(subscriptions::advance(
                    conn,
                    id,
                    &holder,
                    through,
                    delivered_at,
                    lease_end(at),
                )?)
            })
            .await?;
        if kept {
            Ok(())
        } else {
            Err(Refusal::Storage(ApiError::Conflict(format!(
                "the lease on subscription {id} was taken over"
            ))))
        }
    }

    async fn release(&self, id: SubscriptionId) {
        let holder = self.holder.clone();
        let released = self
            .web
            .write(move |conn| Ok(subscriptions::release(conn, id, &holder)?))
            .await;
        if let Err(error) = released {
            tracing::warn!(%error, subscription = %id, "webhook delivery: cannot release");
        }
    }

    async fn count_failure(&self, subscription: &Subscription, reason: String) {
        let (id, holder) = (subscription.id, self.holder.clone());
        let failures = u32::try_from(subscription.attempts)
            .unwrap_or(0)
            .saturating_add(1);
        let wait = chrono::Duration::from_std(self.webhooks.backoff(failures))
            .unwrap_or(chrono::Duration::hours(1));
        let max_attempts = i32::try_from(self.webhooks.config.max_attempts).unwrap_or(i32::MAX);
        tracing::info!(subscription = %id, failures, error = %reason, "webhook delivery failed");
        let failed = self
            .web
            .write(move |conn| {
                let at = now();
                let failure = Failure {
                    error: reason,
                    at,
                    next_attempt_at: at + wait,
                    max_attempts,
                };
                Ok(subscriptions::fail(conn, id, &holder, &failure)?)
            })
            .await;
        match failed {
            Ok(Some(after)) if after.state != motcua_core::event::SubscriptionState::Active => {
                tracing::warn!(subscription = %id, "webhook subscription dead-lettered");
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, subscription = %id, "webhook delivery: cannot record a failure")
            }
        }
    }

    /// One signed POST of `event`; `Ok` on a 2xx answer.
    async fn post(
        &self,
        subscription: &Subscription,
        secret: &SigningSecret,
        event: StoredEvent,
    ) -> Result<(), Refusal> {
        let callback = self
            .webhooks
            .config
            .allowed_hosts
            .check_url(&subscription.callback_url)
            .map_err(Refusal::Failed)?;
        let client = self.client_for(&callback).await.map_err(Refusal::Failed)?;
        let event = CloudEvent::from_stored(event, &self.source);
        let body = serde_json::to_vec(&event)
            .map_err(|e| Refusal::Storage(ApiError::internal(format!("event JSON: {e}"))))?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = secret.sign(&event.id, timestamp, &body);
        let answer = client
            .post(callback.url.clone())
            .header("content-type", MEDIA_TYPE)
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| Refusal::Failed(describe(&e)))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(Refusal::Failed(format!(
                "the callback answered {status} to event {} (sequence {})",
                event.id, event.sequence
            )))
        }
    }

    /// A client that connects to `callback`'s host at its checked addresses only, follows no
    /// redirect and gives up after [`DELIVERY_TIMEOUT`]; resolved again after [`RESOLVED_FOR`].
    async fn client_for(&self, callback: &CallbackUrl) -> Result<reqwest::Client, String> {
        let key = format!("{}:{}", callback.host, callback.port);
        {
            let clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(target) = clients.get(&key) {
                if target.resolved_at.elapsed() < RESOLVED_FOR {
                    return Ok(target.client.clone());
                }
            }
        }
        let addresses = self.webhooks.config.allowed_hosts.resolve(callback).await?;
        let client = build_client(&callback.host, &addresses)?;
        let target = Target {
            client: client.clone(),
            resolved_at: Instant::now(),
        };
        self.clients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, target);
        Ok(client)
    }
}

fn build_client(host: &str, addresses: &[SocketAddr]) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .resolve_to_addrs(host, addresses)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DELIVERY_TIMEOUT)
        .connect_timeout(DELIVERY_TIMEOUT)
        .user_agent(concat!("motcua-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs())
    } else if error.is_connect() {
        format!("cannot connect: {error}")
    } else {
        error.to_string()
    }
}

fn lease_end(at: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    at + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::minutes(1))
}

/// Starts the worker among `background`'s tasks.
pub fn schedule(
    background: &mut motcua_web::background::Background,
    web: Data<WebContext>,
    webhooks: Data<Webhooks>,
) {
    let worker = Worker::new(web, webhooks);
    background.run("webhook delivery", move |stopping| worker.run(stopping));
}
