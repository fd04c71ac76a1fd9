//! How much a client may send, how slowly, and how much signature work runs at once: the bounds
//! that keep one slow or greedy client from starving the others. Both services read the same
//! variables.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::error::PayloadError;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{Error, HttpMessage};
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use crate::config::{env_or, ConfigError};
use crate::context::WebContext;
use crate::error::ApiError;

/// Upper bounds on what a request may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// JSON bodies.
    pub max_body_bytes: usize,
    /// Documents sent as raw bytes (`application/pdf`, packages).
    pub max_document_bytes: usize,
    /// The largest body any route accepts (bulk imports included): what the idempotency layer
    /// may buffer.
    pub max_any_bytes: usize,
    /// The whole body must have arrived this long after the request head.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_any_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// 50 MiB: a scanned dossier component or a signed report with its attachments.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 50 * 1024 * 1024;

/// 300 s: 50 MiB at under 2 Mbit/s. A constant, because [`ServerLimits::default`] asks the
/// system for the number of cores (files under /proc and /sys), too slow for every request.
const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(300);

/// Timeouts of the HTTP server and the cap on signature work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// `MOTCUA_REQUEST_HEAD_TIMEOUT_SECS`, default 10: a client that has not sent its request
    /// line and headers by then gets 408 and is disconnected (slow-loris).
    pub request_head_timeout: Duration,
    /// `MOTCUA_REQUEST_BODY_TIMEOUT_SECS`, default 300 (50 MiB at under 2 Mbit/s): a body
    /// still arriving after that is refused with 408.
    pub body_timeout: Duration,
    /// `MOTCUA_KEEP_ALIVE_SECS`, default 30: how long an idle keep-alive connection is kept.
    pub keep_alive: Duration,
    /// `MOTCUA_SHUTDOWN_TIMEOUT_SECS`, default 30: on SIGTERM, how long requests in flight may
    /// take to finish.
    pub shutdown_timeout: Duration,
    /// `MOTCUA_MAX_SIGNATURE_JOBS`, default one per core: signatures made or verified at once.
    pub max_signature_jobs: usize,
    /// `MOTCUA_SIGNATURE_QUEUE_SECS`, default 10: how long a request waits for a signature slot
    /// before it is answered 503 with `Retry-After`.
    pub signature_queue_timeout: Duration,
    /// `MOTCUA_VERIFY_BUDGET_SECS` (default 5) and `MOTCUA_MAX_SIGNATURES_PER_DOCUMENT`
    /// (default 50): how long one verification may take and how many signatures it checks.
    pub verification: VerificationLimits,
}

/// How much work one verification of an uploaded document may take, so that a hostile file
/// cannot hold a signature slot: past the budget, what is not verified is INDETERMINATE /
/// BUDGET_EXCEEDED; a document with more signatures is refused (422) before any is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerificationLimits {
    pub budget: Duration,
    pub max_signatures: usize,
}

impl Default for VerificationLimits {
    fn default() -> Self {
        Self {
            budget: motcua_pki::pades::DEFAULT_VERIFY_BUDGET,
            max_signatures: motcua_pki::pades::DEFAULT_MAX_SIGNATURES,
        }
    }
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            request_head_timeout: Duration::from_secs(10),
            body_timeout: DEFAULT_BODY_TIMEOUT,
            keep_alive: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
            max_signature_jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            signature_queue_timeout: Duration::from_secs(10),
            verification: VerificationLimits::default(),
        }
    }
}

impl ServerLimits {
    pub fn from_env() -> Result<Self, ConfigError> {
        let default = Self::default();
        let seconds = |name, default: Duration| -> Result<Duration, ConfigError> {
            positive(name, env_or(name, default.as_secs())?).map(Duration::from_secs)
        };
        Ok(Self {
            request_head_timeout: seconds(
                "MOTCUA_REQUEST_HEAD_TIMEOUT_SECS",
                default.request_head_timeout,
            )?,
            body_timeout: seconds("MOTCUA_REQUEST_BODY_TIMEOUT_SECS", default.body_timeout)?,
            keep_alive: seconds("MOTCUA_KEEP_ALIVE_SECS", default.keep_alive)?,
            shutdown_timeout: seconds("MOTCUA_SHUTDOWN_TIMEOUT_SECS", default.shutdown_timeout)?,
            max_signature_jobs: positive(
                "MOTCUA_MAX_SIGNATURE_JOBS",
                env_or("MOTCUA_MAX_SIGNATURE_JOBS", default.max_signature_jobs)?,
            )?,
            signature_queue_timeout: seconds(
                "MOTCUA_SIGNATURE_QUEUE_SECS",
                default.signature_queue_timeout,
            )?,
            verification: VerificationLimits {
                budget: seconds("MOTCUA_VERIFY_BUDGET_SECS", default.verification.budget)?,
                max_signatures: positive(
                    "MOTCUA_MAX_SIGNATURES_PER_DOCUMENT",
                    env_or(
                        "MOTCUA_MAX_SIGNATURES_PER_DOCUMENT",
                        default.verification.max_signatures,
                    )?,
                )?,
            },
        })
    }
}

/// Zero would turn a bound off or make the service refuse everything: neither is meant.
fn positive<T: PartialEq + Default + ToString>(
    name: &'static str,
    value: T,
) -> Result<T, ConfigError> {
    if value == T::default() {
        return Err(ConfigError {
            name,
            value: value.to_string(),
            reason: "must be at least 1".into(),
        });
    }
    Ok(value)
}

/// Slots for CPU-heavy signature work (signing and verifying PDFs): past the cap, requests wait
/// a little, then are told to come back, so that a burst cannot take every core and all memory.
pub struct SignatureJobs {
    slots: Arc<Semaphore>,
    capacity: usize,
    queue_timeout: Duration,
}

/// A slot held while one signature job runs; dropping it frees the slot.
#[derive(Debug)]
pub struct SignatureSlot(#[allow(dead_code)] OwnedSemaphorePermit);

impl SignatureJobs {
    pub fn new(capacity: usize, queue_timeout: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
            queue_timeout,
        }
    }

    /// Waits for a free slot, up to the queue timeout; then 503 with `Retry-After`.
    pub async fn slot(&self) -> Result<SignatureSlot, ApiError> {
        let waiting = Arc::clone(&self.slots).acquire_owned();
        match tokio::time::timeout(self.queue_timeout, waiting).await {
            Ok(Ok(permit)) => Ok(SignatureSlot(permit)),
            // The semaphore is never closed; treat it like a full queue all the same.
            Ok(Err(_)) | Err(_) => Err(ApiError::Busy(format!(
                "all {} signature slots are busy; try again shortly",
                self.capacity
            ))),
        }
    }

    /// Takes a slot only if one is free now.
    pub fn try_slot(&self) -> Option<SignatureSlot> {
        Arc::clone(&self.slots)
            .try_acquire_owned()
            .ok()
            .map(SignatureSlot)
    }

    /// Jobs running now.
    pub fn in_progress(&self) -> usize {
        self.capacity - self.slots.available_permits()
    }
}

/// Gives every request body a deadline: a client trickling its body (slow POST) is cut off with
/// 408 instead of holding the connection and its buffers for ever.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let timeout = req
        .app_data::<Data<WebContext>>()
        .map_or(DEFAULT_BODY_TIMEOUT, |web| web.limits.body_timeout);
    let payload = req.take_payload();
    let limited = DeadlinePayload {
        inner: payload,
        deadline: Box::pin(tokio::time::sleep(timeout)),
        expired: false,
    };
    req.set_payload(Payload::from(
        Box::pin(limited) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    next.call(req).await
}

struct DeadlinePayload {
    inner: Payload,
    deadline: Pin<Box<Sleep>>,
    expired: bool,
}

/// The error a body past its deadline ends with; [`crate::extract::read_body`] answers 408.
pub fn is_body_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut)
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired = true;
            let error = std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            );
            return Poll::Ready(Some(Err(PayloadError::Io(error))));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_set_of_slots_answers_busy_after_the_queue_timeout() {
        let jobs = SignatureJobs::new(1, Duration::from_millis(20));
        let held = jobs.slot().await.expect("a free slot");
        assert_eq!(jobs.in_progress(), 1);
        let refused = jobs.slot().await.expect_err("no slot while one is held");
        assert!(matches!(refused, ApiError::Busy(_)), "{refused:?}");
        drop(held);
        assert_eq!(jobs.in_progress(), 0);
        assert!(jobs.slot().await.is_ok());
    }

    #[tokio::test]
    async fn a_waiting_request_gets_the_slot_when_it_is_freed() {
        let jobs = Arc::new(SignatureJobs::new(1, Duration::from_secs(5)));
        let held = jobs.slot().await.expect("a free slot");
        let waiter = {
            let jobs = Arc::clone(&jobs);
            tokio::spawn(async move { jobs.slot().await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert!(waiter.await.expect("the waiter ran").is_ok());
    }
}
