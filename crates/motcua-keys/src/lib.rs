//! Keys the motcua services hold: the API keys people and systems authenticate with (issued,
//! listed and revoked here; checked on each request by `motcua_web::auth`), the organisation keys
//! of units' collective certificates (sealed under the key-store password, decrypted in memory
//! when something is signed, or held on a PKCS#11 token or HSM), and the stored key that signs audit checkpoints.
//!
//! Separate from `motcua-web` because holding secrets is not HTTP plumbing, and above
//! `motcua-audit` because issuing a key is an audited change and a stored key signs the trail's
//! checkpoints through the audit crate's seam.

pub mod api_keys;
pub mod checkpoint_key;
pub mod keystore;
pub mod pkcs11;
