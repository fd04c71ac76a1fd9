//! Remote signing: the personal key stays with a signing provider (a CSC server, a Vietnamese
//! provider's own API with approval on the phone), which signs the digest of the prepared
//! signature once its holder approves.
//!
//! Every provider is a [`RemoteSigner`]: `start` asks for a signature of one digest with one
//! credential and answers a transaction, `poll` says where that transaction is. A CSC server
//! ([`csc::CscSigner`]) authorizes at `start` and signs at the first `poll`; a provider that waits
//! for the holder's approval answers [`Approval::Waiting`] until the holder decides. The services
//! hold the transaction in their session and poll until an answer or the session's deadline.

pub mod csc;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::Certificate;

/// The future of a provider call: boxed, so that providers can sit behind `dyn RemoteSigner`.
pub type RemoteFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, RemoteError>> + Send + 'a>>;

/// A remote signing provider.
pub trait RemoteSigner: Send + Sync {
    /// The credentials (keys with their certificates) the provider holds for `user`, or every
    /// credential the service may use when `user` is `None`.
    fn credentials<'a>(&'a self, user: Option<&'a str>) -> RemoteFuture<'a, Vec<String>>;

    /// One credential: its certificate, the CA certificates the provider sends with it, and
    /// whether the provider says it can sign.
    fn credential<'a>(&'a self, id: &'a str) -> RemoteFuture<'a, RemoteCredential>;

    /// Asks for a signature of the SHA-256 `digest` with credential `id`, whose certificate is
    /// `certificate`; the provider may notify its holder. Answers the transaction to poll.
    fn start<'a>(
        &'a self,
        id: &'a str,
        digest: [u8; 32],
        certificate: &'a Certificate,
    ) -> RemoteFuture<'a, Transaction>;

    /// Where `transaction` is: signed, waiting for the holder, or refused.
    fn poll<'a>(&'a self, transaction: &'a Transaction) -> RemoteFuture<'a, Approval>;
}

/// A credential as its provider describes it.
#[derive(Debug, Clone)]
pub struct RemoteCredential {
    pub id: String,
    /// The signer's certificate (DER).
    pub certificate: Vec<u8>,
    /// The CA certificates the provider sent after it (DER).
    pub chain: Vec<Vec<u8>>,
    /// The provider says the key can sign (CSC `key/status` `enabled`).
    pub enabled: bool,
}

/// What a provider needs to find a signature request again, kept by the service between calls.
/// Its content is the provider's own (a CSC SAD, a provider's transaction id); it may hold a
/// short-lived authorisation and is never shown by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Transaction(pub String);

/// The state of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// The raw signature over the digest (PKCS#1 v1.5 for RSA, DER for ECDSA).
    Approved(Vec<u8>),
    /// The holder has not decided yet.
    Waiting,
    /// The holder or the provider refused, and why.
    Rejected(String),
}

/// Why a provider call did not give an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The provider answered that it will not do it (unknown credential, no authorisation,
    /// refused request): final.
    #[error("the signing provider refused: {0}")]
    Refused(String),
    /// No usable answer (connection, timeout, server error, unreadable answer): may be tried
    /// again until the session's deadline.
    #[error("the signing provider did not answer: {0}")]
    Unavailable(String),
}

/// How the service authenticates to a provider (secrets already read from their place).
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProviderAuth {
    /// No authentication (a provider reached over a private network or mutual TLS).
    #[default]
    None,
    /// HTTP Basic to the CSC `auth/login` endpoint, which answers a bearer token.
    Basic { user: String, password: String },
    /// OAuth 2.0 client credentials (RFC 6749 §4.4) at `token_url`, for a bearer token.
    Oauth2ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret: String,
    },
}

/// Names the method and the account, never the secret.
impl std::fmt::Debug for ProviderAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { user, .. } => write!(f, "Basic {{ user: {user:?} }}"),
            Self::Oauth2ClientCredentials {
                token_url,
                client_id,
                ..
            } => write!(
                f,
                "Oauth2ClientCredentials {{ token_url: {token_url:?}, client_id: {client_id:?} }}"
            ),
        }
    }
}
