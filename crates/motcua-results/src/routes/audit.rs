//! Reading the audit trail (admins and auditors).

use actix_web::get;
use actix_web::web::{Data, Json};
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::record_ids::{ApiKeyId, AuditEventId};
use motcua_db::audit::{self, AuditEvent, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::Principal;
use crate::state::AppState;
use motcua_web::error::responses::ReadErrors;
use motcua_web::error::ApiError;
use motcua_web::extract::ValidQuery;
use motcua_web::pagination::{finish_page, PageParams};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventView {
    pub id: AuditEventId,
    pub at: DateTime<Utc>,
    pub actor_key_id: Option<ApiKeyId>,
    pub actor_name: String,
    /// E.g. `unit.merge`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub request_id: String,
    /// The record after the change.
    pub detail: serde_json::Value,
    /// `hash` of the previous record (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of the canonical encoding of this record (see API-DESIGN.md).
    pub hash: String,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::String(e.detail)),
            id: e.id,
            at: utc(e.at),
            actor_key_id: e.actor_key_id,
            actor_name: e.actor_name,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            request_id: e.request_id,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

motcua_web::page_type!(AuditEventPage, AuditEventView);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// E.g. `unit`, `official`, `api_key`.
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub action: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The audit trail, oldest first.
#[utoipa::path(tag = "audit", params(AuditQuery), responses((status = 200, body = AuditEventPage), ReadErrors), security(("api_key" = [])))]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<AuditQuery>,
) -> Result<Json<AuditEventPage>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(AuditEventId));
    let filter = AuditFilter {
        object_type: query.object_type,
        object_id: query.object_id,
        action: query.action,
    };
    let rows = state
        .read(move |conn| Ok(audit::list(conn, &filter, after, limit + 1)?))
        .await?;
    let (rows, next) = finish_page(rows, limit, |e| e.id.0);
    Ok(Json(AuditEventPage {
        items: rows.into_iter().map(AuditEventView::from).collect(),
        next,
    }))
}
