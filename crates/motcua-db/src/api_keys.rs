//! API keys: who is calling. Only the SHA-256 of each secret is stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::access::Role;
use motcua_core::record_ids::{ApiKeyId, UnitId};

use crate::schema::api_keys;
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    /// The first characters of the secret, so people can tell keys apart.
    pub prefix: String,
    pub key_hash: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    /// Space-separated scopes such as `dossiers:write`.
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub scopes: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

pub fn insert(conn: &mut DbConnection, new: &NewApiKey) -> DbResult<ApiKey> {
    Ok(diesel::insert_into(api_keys::table)
        .values(new)
        .returning(api_keys::all_columns)
        .get_result(conn)?)
}

/// The key whose secret hashes to `key_hash`, if it is not revoked.
pub fn find_active_by_hash(conn: &mut DbConnection, key_hash: &str) -> DbResult<Option<ApiKey>> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: ApiKeyId) -> DbResult<ApiKey> {
    Ok(api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)?)
}

pub fn list(conn: &mut DbConnection, after: Option<ApiKeyId>, limit: i64) -> DbResult<Vec<ApiKey>> {
    let mut query = api_keys::table
        .select(ApiKey::as_select())
        .order(api_keys::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after));
    }
    Ok(query.load(conn)?)
}

pub fn revoke(conn: &mut DbConnection, id: ApiKeyId, at: NaiveDateTime) -> DbResult<ApiKey> {
    Ok(diesel::update(api_keys::table.find(id))
        .set(api_keys::revoked_at.eq(at))
        .returning(api_keys::all_columns)
        .get_result(conn)?)
}

pub fn count_active_admins(conn: &mut DbConnection) -> DbResult<i64> {
    Ok(api_keys::table
        .filter(api_keys::role.eq(Role::Admin))
        .filter(api_keys::revoked_at.is_null())
        .count()
        .get_result(conn)?)
}
