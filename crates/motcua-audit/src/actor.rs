//! Writing the audit trail: one record per change, in the transaction of the change.

use motcua_core::record_ids::ApiKeyId;
use motcua_db::audit::{self, NewAuditEvent};
use motcua_db::{now, DbConnection};
use serde::Serialize;

use motcua_web::auth::Principal;
use motcua_web::error::ApiError;
use motcua_web::request_id::RequestId;

/// Who made a change, and in which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub key_id: Option<ApiKeyId>,
    pub name: String,
    pub request_id: String,
}

impl Actor {
    pub fn new(principal: &Principal, request_id: &RequestId) -> Self {
        Self {
            key_id: Some(principal.key_id),
            name: principal.name.clone(),
            request_id: request_id.0.clone(),
        }
    }

    /// Changes made by the command line (set-up, seeding), not through the API.
    pub fn command_line(what: &str) -> Self {
        Self {
            key_id: None,
            name: format!("command line: {what}"),
            request_id: "-".into(),
        }
    }

    /// Changes the service makes by itself: scheduled revalidation, start-up configuration.
    pub fn system(what: &str) -> Self {
        Self {
            key_id: None,
            name: format!("system: {what}"),
            request_id: "-".into(),
        }
    }

    /// Appends the record of `action` on `object_type` `object_id`; `detail` is usually the
    /// record after the change.
    pub fn record(
        &self,
        conn: &mut DbConnection,
        action: &str,
        object_type: &str,
        object_id: impl std::fmt::Display,
        detail: &impl Serialize,
    ) -> Result<(), ApiError> {
        audit::append(conn, &self.event(action, object_type, object_id, detail)?)?;
        Ok(())
    }

    /// The record [`Actor::record`] appends, for callers that append several in one go
    /// ([`audit::append_many`]).
    pub fn event(
        &self,
        action: &str,
        object_type: &str,
        object_id: impl std::fmt::Display,
        detail: &impl Serialize,
    ) -> Result<NewAuditEvent, ApiError> {
        let detail = serde_json::to_string(detail)
            .map_err(|e| ApiError::internal(format!("audit detail: {e}")))?;
        Ok(NewAuditEvent {
            at: now(),
            actor_key_id: self.key_id,
            actor_name: self.name.clone(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_string(),
            request_id: self.request_id.clone(),
            detail,
        })
    }
}
