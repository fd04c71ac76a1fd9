//! Events for other government systems: what changed, when, in the order it was committed.
//!
//! Every change that another system may need to follow (a dossier received, moved, given its
//! signed result or handed over; a certificate registered or its verdict changed; a report
//! issued, submitted, acknowledged or received) appends one event to the service's event log in
//! the transaction of the change ([`publish`]), as a CloudEvents 1.0 record ([`cloudevent`]) with
//! a sequence number. Other systems read the log with `GET /events` (keyset pagination and
//! long-polling, [`routes`]), or subscribe a callback URL to have them POSTed, signed, one at a
//! time in order ([`subscriptions`], delivered by [`delivery`]; callback URLs are checked by
//! [`callback`], secrets kept by [`secret`]).
//!
//! Separate from `motcua-web` because it is a duty of its own towards integrators, the same in
//! both services; the services decide what each change publishes.

pub mod callback;
pub mod cloudevent;
pub mod data;
pub mod delivery;
pub mod openapi;
pub mod publish;
pub mod routes;
pub mod secret;
pub mod subscriptions;
pub mod webhooks;

pub use cloudevent::CloudEvent;
pub use publish::{publish, Publication};
pub use webhooks::{WebhookConfig, Webhooks};
