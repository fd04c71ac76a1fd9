//! An event as other systems receive it: CloudEvents 1.0 in the JSON event format (structured
//! mode, `application/cloudevents+json`).

use chrono::{DateTime, Utc};
use motcua_core::event::EventType;
use motcua_db::events::StoredEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::data::EventData;

/// The media type of one event in the JSON event format.
pub const MEDIA_TYPE: &str = "application/cloudevents+json";

/// One event (CloudEvents 1.0, JSON format), with the `sequence` extension.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CloudEvent {
    /// Always `1.0`.
    pub specversion: String,
    /// Unique per event (a UUID): a receiver that sees it twice has the same event twice.
    pub id: String,
    /// The service that published it: its public URL (`MOTCUA_PUBLIC_URL`), or
    /// `urn:motcua:results` / `urn:motcua:reports` when none is configured.
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The dossier code, certificate id or report id the event is about.
    pub subject: String,
    /// When the change was committed.
    pub time: DateTime<Utc>,
    /// Always `application/json`.
    pub datacontenttype: String,
    /// The event's position in the service's log (the CloudEvents sequence extension): digits,
    /// zero-padded to 20 so that texts sort as numbers; `GET /events?after=` takes it as a number.
    pub sequence: String,
    /// The unit the event belongs to (an extension attribute).
    pub unitid: Option<i64>,
    #[schema(value_type = EventData)]
    pub data: serde_json::Value,
}

impl CloudEvent {
    /// The stored event as published by `source`.
    pub fn from_stored(stored: StoredEvent, source: &str) -> Self {
        Self {
            specversion: "1.0".into(),
            id: stored.id,
            source: source.to_owned(),
            event_type: stored.event_type,
            subject: stored.subject,
            time: stored.occurred_at.and_utc(),
            datacontenttype: "application/json".into(),
            sequence: sequence_text(stored.sequence),
            unitid: stored.unit_id.map(|unit| unit.0),
            // Written by `publish` from a `serde_json::Value`; unreadable only if the row was
            // edited by hand, and then the text is passed on as it is.
            data: serde_json::from_str(&stored.data)
                .unwrap_or(serde_json::Value::String(stored.data)),
        }
    }

    /// The sequence as a number.
    pub fn sequence_number(&self) -> i64 {
        self.sequence.parse().unwrap_or(0)
    }
}

/// A sequence as the `sequence` attribute writes it.
pub fn sequence_text(sequence: i64) -> String {
    format!("{sequence:020}")
}

/// The `source` of a service's events.
pub fn source(public_url: Option<&str>, service: &str) -> String {
    match public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("urn:motcua:{service}"),
    }
}
