//! API keys. Admins only. The secret is shown once, when the key is created.

use actix_web::web::{Data, Json};
use actix_web::{delete, get, post};
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource, Role, Scope};
use motcua_core::record_ids::{ApiKeyId, UnitId};
use motcua_core::text::tidy;
use motcua_db::api_keys::{self, ApiKey, NewApiKey};
use motcua_db::{now, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use motcua_audit::Actor;
use motcua_web::answer::{Answer, Secret};
use motcua_web::auth::{display_prefix, generate_key, hash_key, parse_scopes, Principal};
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, InvalidParam};
use motcua_web::extract::{PathId, ValidJson, ValidQuery};
use motcua_web::pagination::{finish_page, PageParams};
use motcua_web::request_id::RequestId;
use motcua_web::WebContext;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    /// Scopes of an integration key, e.g. `dossiers:write`.
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        Self {
            scopes: parse_scopes(&key.scopes)
                .iter()
                .map(ToString::to_string)
                .collect(),
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            role: key.role,
            unit_id: key.unit_id,
            created_at: utc(key.created_at),
            revoked_at: key.revoked_at.map(utc),
        }
    }
}

motcua_web::page_type!(ApiKeyPage, ApiKeyView);

/// The new key; `key` is never shown again.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key itself, shown once. A replay of the creation (`Idempotent-Replayed: true`) has
    /// `null` here: the secret is never kept, not even for retries.
    #[schema(value_type = Option<String>, required = true)]
    pub key: Secret,
    pub api_key: ApiKeyView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    /// Who or what uses the key, e.g. `Cổng DVC tỉnh` or an official's name.
    pub name: String,
    pub role: Role,
    /// Required for officers; optional for integrations; refused for admins and auditors.
    pub unit_id: Option<UnitId>,
    /// Only for integrations, e.g. `["dossiers:write", "procedures:read"]`.
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyQuery {
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A validated request to issue a key.
#[derive(Debug, Clone)]
pub struct KeyRequest {
    pub name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub scopes: Vec<Scope>,
}

impl KeyRequest {
    pub fn validate(req: &NewApiKeyRequest) -> Result<Self, ApiError> {
        let mut problems = Vec::new();
        let name = tidy(&req.name);
        if name.is_empty() || name.chars().count() > 200 {
            problems.push(InvalidParam::new("name", "must be 1 to 200 characters"));
        }
        let scopes: Vec<Scope> = req
            .scopes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.parse()
                    .map_err(|reason| {
                        problems.push(InvalidParam::new(format!("scopes[{i}]"), reason))
                    })
                    .ok()
            })
            .collect();
        match req.role {
            Role::Integration if scopes.is_empty() => problems.push(InvalidParam::new(
                "scopes",
                "an integration key needs at least one scope",
            )),
            Role::Integration => {}
            _ if !req.scopes.is_empty() => problems.push(InvalidParam::new(
                "scopes",
                "only integration keys have scopes",
            )),
            _ => {}
        }
        match (req.role, req.unit_id) {
            (Role::Officer, None) => problems.push(InvalidParam::new(
                "unit_id",
                "an officer key is limited to a unit",
            )),
            (Role::Admin | Role::Auditor, Some(_)) => problems.push(InvalidParam::new(
                "unit_id",
                "admin and auditor keys are not limited to a unit",
            )),
            _ => {}
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid_all(problems));
        }
        Ok(Self {
            name,
            role: req.role,
            unit_id: req.unit_id,
            scopes,
        })
    }
}

/// Creates a key and records it; returns the secret, which is not stored.
pub fn issue_key(
    conn: &mut DbConnection,
    actor: &Actor,
    request: &KeyRequest,
    unit_exists: Option<motcua_web::context::UnitExists>,
) -> Result<(String, ApiKey), ApiError> {
    if let (Some(unit), Some(exists)) = (request.unit_id, unit_exists) {
        exists(conn, unit).map_err(ApiError::missing_reference("unit_id"))?;
    }
    let secret = generate_key();
    let scopes: Vec<String> = request.scopes.iter().map(ToString::to_string).collect();
    let key = api_keys::insert(
        conn,
        &NewApiKey {
            name: request.name.clone(),
            prefix: display_prefix(&secret),
            key_hash: hash_key(&secret),
            role: request.role,
            unit_id: request.unit_id,
            scopes: scopes.join(" "),
            created_at: now(),
            created_by: actor.key_id,
        },
    )?;
    actor.record(
        conn,
        "api_key.create",
        "api_key",
        key.id,
        &ApiKeyView::from(key.clone()),
    )?;
    Ok((secret, key))
}

/// List API keys (without their secrets).
#[utoipa::path(tag = "api-keys", params(ApiKeyQuery), responses((status = 200, body = ApiKeyPage), ReadErrors), security(("api_key" = [])))]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: Data<WebContext>,
    who: Principal,
    query: ValidQuery<ApiKeyQuery>,
) -> Result<Json<ApiKeyPage>, ApiError> {
    who.require(Resource::ApiKeys, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let (limit, after) = (page.limit()?, page.after()?.map(ApiKeyId));
    let rows = state
        .read(move |conn| Ok(api_keys::list(conn, after, limit + 1)?))
        .await?;
    let (rows, next) = finish_page(rows, limit, |k| k.id.0);
    Ok(Json(ApiKeyPage {
        items: rows.into_iter().map(ApiKeyView::from).collect(),
        next,
    }))
}

/// Create an API key. The response carries the key itself, once.
///
/// The secret is never kept, not even for retries: a retry with the same `Idempotency-Key` gets
/// the same answer with `key` null.
#[utoipa::path(tag = "api-keys", request_body = NewApiKeyRequest, responses((status = 201, body = CreatedApiKey), WriteErrors), security(("api_key" = [])))]
#[post("/api-keys")]
pub async fn create_api_key(
    state: Data<WebContext>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewApiKeyRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::ApiKeys, Access::Write)?;
    let request = KeyRequest::validate(&body.into_inner())?;
    let actor = Actor::new(&who, &request_id);
    let unit_exists = state.unit_exists;
    state
        .write_answer(move |conn| {
            let (secret, key) = issue_key(conn, &actor, &request, unit_exists)?;
            Answer::created(
                Some(format!("/api-keys/{}", key.id)),
                &CreatedApiKey {
                    key: Secret::new(secret),
                    api_key: key.into(),
                },
            )
        })
        .await
}

/// One API key (without its secret).
#[utoipa::path(tag = "api-keys", params(("id" = i64, Path)), responses((status = 200, body = ApiKeyView), ReadErrors), security(("api_key" = [])))]
#[get("/api-keys/{id}")]
pub async fn get_api_key(
    state: Data<WebContext>,
    who: Principal,
    id: PathId,
) -> Result<Json<ApiKeyView>, ApiError> {
    who.require(Resource::ApiKeys, Access::Read)?;
    let id = ApiKeyId(id.into_inner());
    let key = state.read(move |conn| find_key(conn, id)).await?;
    Ok(Json(key.into()))
}

/// Revoke an API key; it stops working at once. The last admin key cannot be revoked.
#[utoipa::path(tag = "api-keys", params(("id" = i64, Path)), responses((status = 200, body = ApiKeyView), WriteErrors), security(("api_key" = [])))]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    state: Data<WebContext>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
) -> Result<Json<ApiKeyView>, ApiError> {
    who.require(Resource::ApiKeys, Access::Write)?;
    let id = ApiKeyId(id.into_inner());
    let actor = Actor::new(&who, &request_id);
    let key = state
        .write(move |conn| {
            let key = find_key(conn, id)?;
            if key.revoked_at.is_some() {
                return Err(ApiError::Conflict(format!(
                    "API key {id} is already revoked"
                )));
            }
            if key.role == Role::Admin && api_keys::count_active_admins(conn)? <= 1 {
                return Err(ApiError::Conflict(
                    "this is the last admin key; create another admin key first".into(),
                ));
            }
            let revoked = api_keys::revoke(conn, id, now())?;
            actor.record(
                conn,
                "api_key.revoke",
                "api_key",
                id,
                &ApiKeyView::from(revoked.clone()),
            )?;
            Ok(revoked)
        })
        .await?;
    state.keys.clear();
    Ok(Json(key.into()))
}

fn find_key(conn: &mut DbConnection, id: ApiKeyId) -> Result<ApiKey, ApiError> {
    api_keys::find(conn, id).map_err(ApiError::not_found_as(format!("API key {id}")))
}

fn utc(time: chrono::NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}
