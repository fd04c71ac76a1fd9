//! What the subscription endpoints and the delivery worker share: the settings
//! (`MOTCUA_WEBHOOK_*`), the key subscription secrets are sealed under, the secrets opened so
//! far, and how the service knows a unit's subtree.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use motcua_core::record_ids::{SubscriptionId, UnitId};
use motcua_db::events::Reach;
use motcua_db::subscriptions::Subscription;
use motcua_db::{DbConnection, DbResult};
use motcua_web::config::{env_or, ConfigError, Secret};
use motcua_web::error::ApiError;
use motcua_web::WebContext;

use crate::callback::AllowList;
use crate::secret::{SealingKey, SigningSecret};

/// Failures in a row after which a subscription is dead-lettered, by default.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// The wait after a first failure, by default; it doubles with each further one.
pub const DEFAULT_FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
pub const LONGEST_RETRY: Duration = Duration::from_secs(3600);

/// `MOTCUA_WEBHOOK_*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `MOTCUA_WEBHOOK_ALLOWED_HOSTS` (see [`AllowList`]); unset: any public host over https.
    pub allowed_hosts: AllowList,
    /// `MOTCUA_WEBHOOK_MAX_ATTEMPTS`: failures in a row before the dead letter, default 8.
    pub max_attempts: u32,
    /// `MOTCUA_WEBHOOK_FIRST_RETRY_MS`: the wait after a first failure, default 1000.
    pub first_retry: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: AllowList::default(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            first_retry: DEFAULT_FIRST_RETRY,
        }
    }
}

impl WebhookConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let max_attempts = env_or("MOTCUA_WEBHOOK_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)?;
        if !(1..=100).contains(&max_attempts) {
            return Err(ConfigError {
                name: "MOTCUA_WEBHOOK_MAX_ATTEMPTS",
                value: max_attempts.to_string(),
                reason: "between 1 and 100".into(),
            });
        }
        let first_retry_ms: u64 = env_or("MOTCUA_WEBHOOK_FIRST_RETRY_MS", 1000)?;
        if !(1..=3_600_000).contains(&first_retry_ms) {
            return Err(ConfigError {
                name: "MOTCUA_WEBHOOK_FIRST_RETRY_MS",
                value: first_retry_ms.to_string(),
                reason: "between 1 and 3600000 (an hour)".into(),
            });
        }
        Ok(Self {
            allowed_hosts: env_or("MOTCUA_WEBHOOK_ALLOWED_HOSTS", AllowList::default())?,
            max_attempts,
            first_retry: Duration::from_millis(first_retry_ms),
        })
    }
}

/// A unit and every unit below it, where the service keeps its unit tree (the report service
/// knows only the unit itself).
pub type UnitSubtree = fn(&mut DbConnection, UnitId) -> DbResult<Vec<UnitId>>;

/// Registered as app data by both services, and held by their delivery worker.
pub struct Webhooks {
    pub config: WebhookConfig,
    /// `None` without `MOTCUA_KEYSTORE_PASSWORD`: no subscription can be made or delivered.
    sealing: Option<SealingKey>,
    pub subtree: UnitSubtree,
    /// Secrets opened so far, so that each is decrypted once per process (ids are never reused).
    secrets: Mutex<HashMap<SubscriptionId, SigningSecret>>,
    /// Told when a subscription of this process becomes active (created, redelivered), so that
    /// a worker that had none to deliver starts at once.
    activations: Notify,
}

impl Webhooks {
    pub fn new(config: WebhookConfig, keystore: Option<&Secret>, subtree: UnitSubtree) -> Self {
        Self {
            config,
            sealing: keystore.map(SealingKey::derive),
            subtree,
            secrets: Mutex::default(),
            activations: Notify::new(),
        }
    }

    /// The sealing key, or 409 when the service has no key-store password.
    pub fn sealing(&self) -> Result<&SealingKey, ApiError> {
        self.sealing.as_ref().ok_or_else(|| {
            ApiError::Conflict(
                "subscriptions are not enabled: the service has no MOTCUA_KEYSTORE_PASSWORD to \
                 keep their secrets under"
                    .into(),
            )
        })
    }

    /// The signing secret of `subscription`, opened once.
    pub fn secret(&self, subscription: &Subscription) -> Result<SigningSecret, String> {
        let mut opened = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(secret) = opened.get(&subscription.id) {
            return Ok(secret.clone());
        }
        let sealing = self
            .sealing
            .as_ref()
            .ok_or("the service has no MOTCUA_KEYSTORE_PASSWORD to open the secret with")?;
        let secret = sealing.open(&subscription.secret_sealed)?;
        opened.insert(subscription.id, secret.clone());
        Ok(secret)
    }

    /// What a reader limited to each of `roots` may see of the events (see [`Reach`]), read
    /// through `web`: no query when there is no root (a key or subscription not limited to a
    /// unit).
    pub async fn read_reach(
        self: Arc<Self>,
        web: &WebContext,
        roots: Vec<UnitId>,
    ) -> Result<Vec<Reach>, ApiError> {
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        web.read(move |conn| {
            roots
                .into_iter()
                .map(|root| {
                    let units = (self.subtree)(conn, root)?;
                    Ok(Reach { root, units })
                })
                .collect()
        })
        .await
    }

    /// A subscription was created or redelivered in this process.
    pub fn activated(&self) {
        self.activations.notify_one();
    }

    /// Until a subscription is [`Self::activated`] (at once if one was since the last call).
    pub async fn next_activation(&self) {
        self.activations.notified().await;
    }

    /// Forgets the secret of a deleted subscription.
    pub fn forget(&self, id: SubscriptionId) {
        self.secrets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// The wait before the next attempt after `failures` failures in a row: doubling from
    /// `first_retry`, at most [`LONGEST_RETRY`], less up to a fifth at random so that
    /// subscriptions that failed together do not all retry together.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doubled = self
            .config
            .first_retry
            .saturating_mul(1 << failures.saturating_sub(1).min(31));
        let wait = doubled.min(LONGEST_RETRY);
        let jitter = rand::random::<f64>() * 0.2;
        wait.mul_f64(1.0 - jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        let webhooks = Webhooks::new(WebhookConfig::default(), None, |_, unit| Ok(vec![unit]));
        let within = |failures, secs: f64| {
            let wait = webhooks.backoff(failures).as_secs_f64();
            assert!(wait <= secs && wait >= secs * 0.8, "{failures}: {wait}");
        };
        within(1, 1.0);
        within(2, 2.0);
        within(5, 16.0);
        within(13, 3600.0);
        within(40, 3600.0);
    }
}
