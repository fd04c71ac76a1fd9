//! A stored organisation key as the key that signs audit checkpoints (the
//! [`motcua_audit::CheckpointKey`] seam): looked up and decrypted at each checkpoint, since the
//! key may have been removed or its certificate revoked since the start.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use motcua_audit::config::TrailConfig;
use motcua_audit::{CheckpointKey, CheckpointSignature};
use motcua_db::DbConnection;
use motcua_pki::cms;
use motcua_pki::TrustStore;
use motcua_web::config::Secret;
use motcua_web::error::ApiError;

use crate::keystore::{chain_to_embed, KeyStore};

/// The stored PKCS#12 of key `K`, when it is still there and usable.
pub type StoredKey<K> = fn(&mut DbConnection, K) -> Result<Option<Vec<u8>>, ApiError>;

/// The trust store a service checks signatures against.
pub type TrustSource = Box<dyn Fn(&mut DbConnection) -> Result<TrustStore, ApiError> + Send + Sync>;

/// The organisation key `MOTCUA_AUDIT_CHECKPOINT_KEY` names, as a service stores it under ids
/// `K`; without one, checkpoints are unsigned but their signatures are still verified.
pub struct StoredCheckpointKey<K> {
    /// The configured key's id, and the key-store password.
    configured: Option<(K, Secret)>,
    stored: StoredKey<K>,
    trust: TrustSource,
    keys: KeyStore<K>,
}

impl<K: std::hash::Hash + Eq + Copy + std::fmt::Display + Send + Sync> StoredCheckpointKey<K> {
    /// No signing key: checkpoints are unsigned.
    pub fn unsigned(stored: StoredKey<K>, trust: TrustSource) -> Self {
        Self {
            configured: None,
            stored,
            trust,
            keys: KeyStore::default(),
        }
    }

    /// Signs with key `id`, whose stored PKCS#12 is `pkcs12`, decrypted now: a service told to
    /// sign its checkpoints with a key it cannot use does not start.
    pub fn signed_with(mut self, id: K, pkcs12: &[u8], password: Secret) -> Result<Self, ApiError> {
        self.keys.signer(id, pkcs12, &password)?;
        self.configured = Some((id, password));
        Ok(self)
    }

    /// Signs with the key `MOTCUA_AUDIT_CHECKPOINT_KEY` names, if set (unset: a warning, and
    /// checkpoints stay unsigned). `find` gives the stored key whose certificate has that
    /// fingerprint, or why there is none. The key is decrypted now: a service told to sign its
    /// checkpoints with a key it cannot use does not start.
    pub fn configured(
        self,
        trail: &TrailConfig,
        password: Option<&Secret>,
        find: impl FnOnce(&str) -> Result<(K, Vec<u8>), String>,
    ) -> Result<Self, String> {
        let Some(fingerprint) = &trail.checkpoint_key else {
            tracing::warn!(
                "MOTCUA_AUDIT_CHECKPOINT_KEY is not set: audit checkpoints will not be signed"
            );
            return Ok(self);
        };
        let refused =
            |reason: String| format!("MOTCUA_AUDIT_CHECKPOINT_KEY={fingerprint}: {reason}");
        let password = password.cloned().ok_or_else(|| {
            refused("organisation keys are off (MOTCUA_KEYSTORE_PASSWORD is not set)".into())
        })?;
        let (id, pkcs12) = find(fingerprint).map_err(refused)?;
        let signed = self
            .signed_with(id, &pkcs12, password)
            .map_err(|e| refused(format!("the key cannot be used: {e}")))?;
        tracing::info!(key = %id, %fingerprint, "audit checkpoints are signed with the configured organisation key");
        Ok(signed)
    }

    /// For services that register it: `Some`, as the trail's key.
    pub fn into_key(self) -> Option<Arc<dyn CheckpointKey>>
    where
        K: 'static,
    {
        Some(Arc::new(self))
    }
}

impl<K: std::hash::Hash + Eq + Copy + std::fmt::Display + Send + Sync> CheckpointKey
    for StoredCheckpointKey<K>
{
    fn sign(
        &self,
        conn: &mut DbConnection,
        statement: &[u8],
        at: DateTime<Utc>,
    ) -> Result<Option<CheckpointSignature>, ApiError> {
        let Some((id, password)) = &self.configured else {
            return Ok(None);
        };
        let Some(pkcs12) = (self.stored)(conn, *id)? else {
            return Ok(None);
        };
        let signer = self.keys.signer(*id, &pkcs12, password)?;
        // The chain up to the root, completed from the trust store; without a readable store,
        // the certificates that came with the key.
        let chain = match (self.trust)(conn) {
            Ok(store) => chain_to_embed(signer.as_ref(), &store),
            Err(error) => {
                tracing::warn!(%error, "audit checkpoint: no trust store to complete the chain");
                signer.chain().to_vec()
            }
        };
        let cms = cms::sign_detached(statement, signer.as_ref(), &chain, at, true)
            .map_err(|e| ApiError::internal(format!("signing the audit checkpoint: {e}")))?;
        let info = signer.certificate().info();
        Ok(Some(CheckpointSignature {
            cms,
            signer: info.subject.text.clone(),
            signer_fingerprint: info.fingerprint_sha256.clone(),
        }))
    }

    fn trust_store(&self, conn: &mut DbConnection) -> Result<TrustStore, ApiError> {
        (self.trust)(conn)
    }
}
