//! Who is calling (the API key in `Authorization: Bearer …`) and what that key may do.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use futures_util::future::LocalBoxFuture;
use motcua_core::access::{Access, Resource, Role, Scope};
use motcua_core::record_ids::{ApiKeyId, UnitId};
use motcua_db::api_keys;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::context::WebContext;
use crate::error::ApiError;

/// Every key starts with this, so a leaked key is recognisable in logs and scanners.
pub const KEY_PREFIX: &str = "mc_";

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key_id: ApiKeyId,
    pub name: String,
    pub role: Role,
    /// The unit subtree the key is limited to, if any.
    pub unit: Option<UnitId>,
    pub scopes: Vec<Scope>,
}

impl Principal {
    /// Refuses with 403 unless the role (or, for integrations, a scope) grants `access`.
    pub fn require(&self, resource: Resource, access: Access) -> Result<(), ApiError> {
        if self.role.allows(&self.scopes, resource, access) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a key with role `{}` may not {access} {resource}",
                self.role
            )))
        }
    }

    /// Refuses with 403 unless the key is an admin key (e.g. for changes of the trust store).
    pub fn require_admin(&self, action: &str) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only admin keys may {action}; this key has role `{}`",
                self.role
            )))
        }
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    /// The caller [`authenticate`] found. Without a key the future fails at its first poll: put
    /// `Principal` before any body extractor, so that no byte of the body is read first (actix
    /// polls a handler's extractors in order).
    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let cached = req.extensions().get::<Principal>().cloned();
        let token = bearer_token(req);
        let state = req.app_data::<Data<WebContext>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            if let Some(principal) = cached {
                return Ok(principal);
            }
            let token = token.ok_or_else(|| {
                ApiError::Unauthorized("send an API key as `Authorization: Bearer <key>`".into())
            })?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let principal = resolve(&state, &token).await?;
            req.extensions_mut().insert(principal.clone());
            Ok(principal)
        })
    }
}

/// Authenticates a request that carries a key from its headers alone, before anything reads
/// its body or writes for it: an unknown or revoked key is answered 401 at once, whatever the
/// body. A request without a key goes on; the endpoints that need one refuse it with the
/// [`Principal`] extractor.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let token = bearer_token(req.request());
    let state = req.app_data::<Data<WebContext>>().cloned();
    if let (Some(token), Some(state)) = (token, state) {
        match resolve(&state, &token).await {
            Ok(principal) => {
                req.extensions_mut().insert(principal);
            }
            Err(error) => return Ok(req.error_response(error)),
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// The key's principal, from the cache or the database; 401 when it is unknown or revoked.
async fn resolve(state: &WebContext, token: &str) -> Result<Principal, ApiError> {
    let hash = hash_key(token);
    if let Some(principal) = state.keys.get(&hash) {
        return Ok(principal);
    }
    let lookup = hash.clone();
    let key = state
        .read(move |conn| Ok(api_keys::find_active_by_hash(conn, &lookup)?))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the API key is unknown or revoked".into()))?;
    let principal = Principal {
        key_id: key.id,
        name: key.name,
        role: key.role,
        unit: key.unit_id,
        scopes: parse_scopes(&key.scopes),
    };
    state.keys.put(hash, principal.clone());
    Ok(principal)
}

/// The key from `Authorization: Bearer <key>` (or `X-API-Key: <key>`).
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let headers = req.headers();
    let from_authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let from_api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    from_authorization
        .or(from_api_key)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Stored scopes are space-separated; unknown ones (from a newer version) are ignored.
pub fn parse_scopes(text: &str) -> Vec<Scope> {
    text.split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Keys already looked up, for a few seconds: most requests then need no database round trip to
/// authenticate. A revocation clears the cache of the instance that made it; other instances
/// behind the same database notice it within [`KEY_CACHE_SECONDS`].
#[derive(Default)]
pub struct KeyCache {
    entries: std::sync::RwLock<std::collections::HashMap<String, (Principal, std::time::Instant)>>,
}

pub const KEY_CACHE_SECONDS: u64 = 10;

impl KeyCache {
    fn get(&self, hash: &str) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        let (principal, cached_at) = entries.get(hash)?;
        (cached_at.elapsed().as_secs() < KEY_CACHE_SECONDS).then(|| principal.clone())
    }

    fn put(&self, hash: String, principal: Principal) {
        if let Ok(mut entries) = self.entries.write() {
            // Unknown keys are never cached, so the map holds at most the keys in use.
            entries.retain(|_, (_, cached_at)| cached_at.elapsed().as_secs() < KEY_CACHE_SECONDS);
            entries.insert(hash, (principal, std::time::Instant::now()));
        }
    }

    /// Forgets every key, after a revocation.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

/// SHA-256 of the key, hex. Keys are 256-bit random, so no slow hash is needed.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random key: `mc_` and 43 base64url characters (256 bits).
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is shown of a key after creation: enough to tell keys apart, useless to an attacker.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(KEY_PREFIX.len() + 6).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hash_stably() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + 43);
        assert_eq!(hash_key(&a), hash_key(&a));
        assert_eq!(hash_key(&a).len(), 64);
        assert_eq!(display_prefix(&a).len(), 9);
    }
}
