//! Appending events in the transaction of the change they describe.

use motcua_core::event::EventType;
use motcua_core::record_ids::UnitId;
use motcua_db::events::{self, NewStoredEvent};
use motcua_db::{now, DbConnection, DbResult};
use motcua_web::error::ApiError;
use serde::Serialize;

/// One event to publish.
#[derive(Debug, Clone)]
pub struct Publication {
    pub event_type: EventType,
    /// The dossier code, certificate id or report id.
    pub subject: String,
    pub unit_id: Option<UnitId>,
    /// The unit and the ancestors its writer knows, nearest first (see
    /// [`motcua_db::events::Reach`]): the report service writes a report's, which it keeps; the
    /// results service writes the unit alone, and its readers look its subtree up in the tree.
    pub unit_chain: Vec<UnitId>,
    pub data: serde_json::Value,
}

impl Publication {
    pub fn new(
        event_type: EventType,
        subject: impl Into<String>,
        unit_chain: Vec<UnitId>,
        data: &impl Serialize,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            event_type,
            subject: subject.into(),
            unit_id: unit_chain.first().copied(),
            unit_chain,
            data: serde_json::to_value(data)
                .map_err(|e| ApiError::internal(format!("event data: {e}")))?,
        })
    }
}

/// Appends `publications` in order in the caller's transaction: they are committed with the
/// change, or not at all. Call it after the change's audit records (or anywhere once the audit
/// trail's lock is taken), so that the trail's lock is held only for the end of the transaction.
/// Fails only as storage fails, so that a database outage reaches the caller as one (503).
pub fn publish(conn: &mut DbConnection, publications: &[Publication]) -> DbResult<()> {
    let at = now();
    let rows: Vec<NewStoredEvent> = publications
        .iter()
        .map(|p| NewStoredEvent {
            // Time-ordered, so that ids sort roughly like the events.
            id: uuid::Uuid::now_v7().to_string(),
            event_type: p.event_type,
            subject: p.subject.clone(),
            unit_id: p.unit_id,
            unit_scope: events::unit_scope(&p.unit_chain),
            occurred_at: at,
            data: p.data.to_string(),
        })
        .collect();
    events::append(conn, &rows)
}
