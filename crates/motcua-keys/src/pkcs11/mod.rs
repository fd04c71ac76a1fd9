//! Organisation keys held on a PKCS#11 token or HSM.
//!
//! A [`DeviceKey`] names the module, the token, the key and where the PIN comes from (an
//! environment variable or a file, never the API). [`DeviceSigner`] signs through a
//! [`pool::TokenPool`] of sessions shared by every signer of the same key: the token's
//! concurrency limit is its number of sessions, a reset token is reopened and the signature tried
//! again once, and no call waits longer than the timeout. Keys can also be generated on the token
//! with a PKCS#10 request for the CA ([`generate`]).

pub mod generate;
pub mod modules;
pub mod pool;
pub mod tokens;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use motcua_pki::cms::{RsaPadding, Signer};
use motcua_pki::{Certificate, PkiError};
use openssl::pkey::{Id, PKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::keystore::OrganisationSigner;
use motcua_web::error::ApiError;

/// Sessions a pool opens on one token unless told otherwise: USB tokens often allow few.
pub const DEFAULT_SESSIONS: u32 = 4;
/// How long a signature may wait for the token, queue included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A key on a PKCS#11 token, and how to log in to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceKey {
    /// Path of the PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`).
    #[schema(value_type = String)]
    pub module: PathBuf,
    /// The token's label; give it or `token_serial`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_label: Option<String>,
    /// The token's serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_serial: Option<String>,
    /// The private key's `CKA_LABEL`; give it or `key_id_hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_label: Option<String>,
    /// The private key's `CKA_ID`, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id_hex: Option<String>,
    /// Where the user PIN is read: `env:NAME` (an environment variable of the service) or
    /// `file:/path` (first line of a file). The PIN itself never goes through the API.
    pub pin_source: String,
    /// Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys only).
    #[serde(default)]
    pub rsa_pss: bool,
    /// Sessions opened on the token: the most signatures it makes at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<u32>,
    /// A PIN typed by the person at the terminal (`motcua sign`), used instead of
    /// `pin_source`; never read from or written to JSON.
    #[serde(skip)]
    #[schema(ignore)]
    pub typed_pin: Option<TypedPin>,
}

/// A PIN typed at the terminal; its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TypedPin(pub String);

impl fmt::Debug for TypedPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TypedPin(…)")
    }
}

impl DeviceKey {
    /// Where the PIN comes from: the typed one, or `pin_source`.
    pub fn pin(&self) -> Result<PinSource, DeviceError> {
        match &self.typed_pin {
            Some(pin) => Ok(PinSource::Typed(pin.clone())),
            None => PinSource::parse(&self.pin_source).map_err(DeviceError::Pin),
        }
    }

    /// Checks the fields that can be checked without the token; errors name the field, after
    /// `prefix` (e.g. `device.`).
    pub fn check(&self, prefix: &str) -> Result<(), ApiError> {
        let field = |name: &str| format!("{prefix}{name}");
        if self.module.as_os_str().is_empty() || !self.module.is_absolute() {
            return Err(ApiError::invalid(
                field("module"),
                "must be the absolute path of a PKCS#11 module",
            ));
        }
        if self.token_label.is_none() == self.token_serial.is_none() {
            return Err(ApiError::invalid(
                field("token_label"),
                "give exactly one of token_label and token_serial",
            ));
        }
        if self.key_label.is_none() == self.key_id_hex.is_none() {
            return Err(ApiError::invalid(
                field("key_label"),
                "give exactly one of key_label and key_id_hex",
            ));
        }
        if let Some(id) = &self.key_id_hex {
            if id.is_empty() || hex::decode(id).is_err() {
                return Err(ApiError::invalid(field("key_id_hex"), "is not hexadecimal"));
            }
        }
        PinSource::parse(&self.pin_source)
            .map_err(|reason| ApiError::invalid(field("pin_source"), reason))?;
        if matches!(self.sessions, Some(0) | Some(65..)) {
            return Err(ApiError::invalid(field("sessions"), "must be from 1 to 64"));
        }
        Ok(())
    }

    /// How the token is named in messages.
    pub fn token_name(&self) -> String {
        match (&self.token_label, &self.token_serial) {
            (Some(label), _) => format!("token \"{label}\""),
            (None, Some(serial)) => format!("token with serial {serial}"),
            (None, None) => "token".to_owned(),
        }
    }

    /// How the key is named in messages.
    pub fn key_name(&self) -> String {
        match (&self.key_label, &self.key_id_hex) {
            (Some(label), _) => format!("key \"{label}\""),
            (None, Some(id)) => format!("key with id {id}"),
            (None, None) => "key".to_owned(),
        }
    }
}

/// Where a PIN is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    /// An environment variable of the process.
    Env(String),
    /// The first line of a file.
    File(PathBuf),
    /// Typed at the terminal (never parsed from text).
    Typed(TypedPin),
}

impl PinSource {
    /// Reads `env:NAME` or `file:/absolute/path`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(name) = text.strip_prefix("env:") {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return if valid {
                Ok(Self::Env(name.to_owned()))
            } else {
                Err("`env:` must be followed by a variable name (A-Z, 0-9, _)".into())
            };
        }
        if let Some(path) = text.strip_prefix("file:") {
            let path = PathBuf::from(path);
            return if path.is_absolute() {
                Ok(Self::File(path))
            } else {
                Err("`file:` must be followed by an absolute path".into())
            };
        }
        Err("must be `env:NAME` or `file:/path` (the PIN itself is never accepted)".into())
    }

    /// The PIN, read now (so that a corrected file or variable is used at the next attempt).
    pub fn read(&self) -> Result<String, DeviceError> {
        let pin = match self {
            Self::Typed(pin) => pin.0.clone(),
            Self::Env(name) => std::env::var(name)
                .map_err(|_| DeviceError::Pin(format!("the variable {name} is not set")))?,
            Self::File(path) => std::fs::read_to_string(path)
                .map_err(|e| DeviceError::Pin(format!("cannot read {}: {e}", path.display())))?
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
        if pin.is_empty() {
            return Err(DeviceError::Pin("the PIN source is empty".into()));
        }
        Ok(pin)
    }
}

/// Why a device could not sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// The module cannot be loaded or initialised.
    #[error("the PKCS#11 module cannot be used: {0}")]
    Module(String),
    /// No slot holds the token (removed, or not yet inserted).
    #[error("{0} is not present")]
    TokenAbsent(String),
    /// The PIN was refused, or cannot be read.
    #[error("the PIN is not usable: {0}")]
    Pin(String),
    /// The token holds no such key, or it cannot sign.
    #[error("{0}")]
    Key(String),
    /// The token did not answer in time.
    #[error("the token did not answer within {0:?}")]
    Timeout(Duration),
    /// Any other failure of the token.
    #[error("the token failed: {0}")]
    Token(String),
}

impl DeviceError {
    /// The problem of a request that needed the device: 503, naming the token.
    pub fn to_api(&self, device: &DeviceKey) -> ApiError {
        ApiError::SigningDeviceUnavailable(format!("{}: {self}", device.token_name()))
    }
}

/// The private key of a certificate on a token.
pub struct DeviceSigner {
    device: DeviceKey,
    certificate: Certificate,
    chain: Vec<Certificate>,
    mechanism: pool::SignMechanism,
    pool: Arc<pool::TokenPool>,
    timeout: Duration,
}

impl fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSigner")
            .field("token", &self.device.token_name())
            .field("key", &self.device.key_name())
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

impl DeviceSigner {
    /// A signer for `certificate` whose key is `device`; nothing is asked of the token yet. The
    /// mechanism follows the certificate's key: ECDSA for P-256, RSA with the device's padding.
    pub fn new(device: DeviceKey, certificate: Certificate) -> Result<Self, DeviceError> {
        let mechanism = mechanism_for(&certificate, device.rsa_pss)?;
        let pool = pool::TokenPool::shared(&device)?;
        Ok(Self {
            device,
            certificate,
            chain: Vec::new(),
            mechanism,
            pool,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Waits at most `timeout` for each signature.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The device the key is on.
    pub fn device(&self) -> &DeviceKey {
        &self.device
    }

    /// Signs `to_be_signed` as [`Signer::sign`] does, with the device's error kept.
    pub fn sign_on_device(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, DeviceError> {
        let digest = motcua_pki::cms::sha256(to_be_signed);
        self.pool
            .sign(self.mechanism, digest.to_vec(), self.timeout)
    }

    /// Signs a probe and checks the signature with the certificate's key: proves that the
    /// token, the PIN and the key are right and that the key is the certificate's.
    pub fn probe(&self) -> Result<(), DeviceError> {
        let probe = b"motcua: probe of an organisation key";
        let signature = self.sign_on_device(probe)?;
        if verifies(&self.certificate, probe, &signature, self.mechanism) {
            Ok(())
        } else {
            Err(DeviceError::Key(format!(
                "the {} on the {} is not the key of the certificate ({})",
                self.device.key_name(),
                self.device.token_name(),
                self.certificate.info().subject.text
            )))
        }
    }
}

impl Signer for DeviceSigner {
    fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, PkiError> {
        self.sign_on_device(to_be_signed)
            .map_err(|e| PkiError::SigningDevice(format!("{}: {e}", self.device.token_name())))
    }

    fn rsa_padding(&self) -> RsaPadding {
        match self.mechanism {
            pool::SignMechanism::RsaPss => RsaPadding::Pss,
            _ => RsaPadding::Pkcs1v15,
        }
    }
}

impl OrganisationSigner for DeviceSigner {
    fn chain(&self) -> &[Certificate] {
        &self.chain
    }
}

/// The mechanism that signs for `certificate`'s key.
fn mechanism_for(
    certificate: &Certificate,
    rsa_pss: bool,
) -> Result<pool::SignMechanism, DeviceError> {
    let key = certificate_key(certificate)?;
    match (key.id(), rsa_pss) {
        (Id::RSA, false) => Ok(pool::SignMechanism::RsaPkcs1v15),
        (Id::RSA, true) => Ok(pool::SignMechanism::RsaPss),
        (Id::EC, false) => Ok(pool::SignMechanism::EcdsaP256),
        (Id::EC, true) => Err(DeviceError::Key(
            "RSASSA-PSS was asked for an elliptic-curve key".into(),
        )),
        _ => Err(DeviceError::Key(
            "the certificate's key is neither RSA nor ECDSA".into(),
        )),
    }
}

fn certificate_key(certificate: &Certificate) -> Result<PKey<openssl::pkey::Public>, DeviceError> {
    openssl::x509::X509::from_der(certificate.der())
        .and_then(|x509| x509.public_key())
        .map_err(|e| DeviceError::Key(format!("the certificate's key cannot be read: {e}")))
}

/// Whether `signature` (as the token returns it) verifies over `data` with the certificate.
fn verifies(
    certificate: &Certificate,
    data: &[u8],
    signature: &[u8],
    mechanism: pool::SignMechanism,
) -> bool {
    let Ok(key) = certificate_key(certificate) else {
        return false;
    };
    let signature = match mechanism {
        pool::SignMechanism::EcdsaP256 => match raw_ecdsa_to_der(signature) {
            Some(der) => der,
            None => return false,
        },
        _ => signature.to_vec(),
    };
    let Ok(mut verifier) =
        openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key)
    else {
        return false;
    };
    if mechanism == pool::SignMechanism::RsaPss
        && (verifier
            .set_rsa_padding(openssl::rsa::Padding::PKCS1_PSS)
            .is_err()
            || verifier
                .set_rsa_pss_saltlen(openssl::sign::RsaPssSaltlen::custom(32))
                .is_err())
    {
        return false;
    }
    verifier.verify_oneshot(&signature, data).unwrap_or(false)
}

/// DER `ECDSA-Sig-Value` of the raw `r || s` a token returns.
pub fn raw_ecdsa_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || raw.len() % 2 != 0 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let r = openssl::bn::BigNum::from_slice(r).ok()?;
    let s = openssl::bn::BigNum::from_slice(s).ok()?;
    openssl::ecdsa::EcdsaSig::from_private_components(r, s)
        .and_then(|sig| sig.to_der())
        .ok()
}

#[cfg(test)]
mod tests;
