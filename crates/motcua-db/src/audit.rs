//! The append-only audit trail: every change, by whom, when, in which request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::ids::{ApiKeyId, AuditEventId};

use crate::schema::audit_events;
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: NaiveDateTime,
    pub actor_key_id: Option<ApiKeyId>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub request_id: String,
    /// JSON: the record after the change, or what the action needs to be understood.
    pub detail: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    pub at: NaiveDateTime,
    pub actor_key_id: Option<ApiKeyId>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub request_id: String,
    pub detail: String,
}

/// Appends one record; call it inside the transaction that makes the change.
pub fn append(conn: &mut DbConnection, event: &NewAuditEvent) -> DbResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after: Option<AuditEventId>,
    limit: i64,
) -> DbResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(audit_events::id.gt(after));
    }
    if let Some(object_type) = &filter.object_type {
        query = query.filter(audit_events::object_type.eq(object_type.clone()));
    }
    if let Some(object_id) = &filter.object_id {
        query = query.filter(audit_events::object_id.eq(object_id.clone()));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    Ok(query.load(conn)?)
}
