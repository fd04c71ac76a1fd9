//! The remote signing providers a service may ask for personal signatures, configured in one TOML
//! file named by `MOTCUA_REMOTE_SIGNING_CONFIG` (unset: no provider, remote signing is refused).
//!
//! ```toml
//! poll_interval_secs = 2            # how often awaited answers are asked for (default 2)
//!
//! [providers.vnpt-smartca]          # the name clients give in a remote signing request
//! kind = "csc"                      # the Cloud Signature Consortium API v1
//! base_url = "https://csc.example.vn/csc/v1"
//! approval_window_secs = 300        # how long the holder has to approve (default 300)
//! timeout_secs = 10                 # the longest any one call may take (default 10)
//! # auth: "none" (default), HTTP Basic to auth/login, or OAuth 2.0 client credentials;
//! # secrets are read from the environment variables named here, never from the file.
//! auth = { basic = { user = "motcua", password_env = "MOTCUA_CSC_PASSWORD" } }
//! # auth = { oauth2_client_credentials = { token_url = "https://…/oauth2/token",
//! #          client_id = "motcua", client_secret_env = "MOTCUA_CSC_SECRET" } }
//! ```
//!
//! A provider with its own API (asynchronous approval on the phone, a transaction id, status
//! polling) is one more `kind`: an implementation of [`RemoteSigner`] in `motcua-pki/src/remote/`
//! and its arm in [`RemoteSigners::new`]; the handlers and the session's state machine only see
//! the trait.
//!
//! What both services' sessions (a dossier component's, a report leader's) do alike with a
//! provider lives here too: finding the provider a request names, checking that its credential
//! holds the session's certificate and asking for the signature ([`Provider::request`]), listing
//! an official's credentials, the approval deadline, and one background step of an awaited
//! session ([`RemoteSigners::next_step`]). Each service keeps its own table and the audit
//! record of each move.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::StreamExt;
use motcua_core::record_ids::CertificateId;
use motcua_core::signing_session::SessionState;
use motcua_pki::remote::csc::{CscConfig, CscSigner};
use motcua_pki::remote::{Approval, ProviderAuth, RemoteError, RemoteSigner, Transaction};
use motcua_pki::Certificate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::config::ConfigError;
use crate::error::ApiError;

/// The parsed file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteSigningConfig {
    #[serde(default = "default_poll_interval")]
    pub poll_interval_secs: u64,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
}

impl Default for RemoteSigningConfig {
    fn default() -> Self {
        Self {
            poll_interval_secs: default_poll_interval(),
            providers: BTreeMap::new(),
        }
    }
}

/// One provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    pub base_url: String,
    #[serde(default = "default_approval_window")]
    pub approval_window_secs: u64,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default)]
    pub auth: AuthConfig,
}

/// The API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Cloud Signature Consortium API v1.
    Csc,
}

/// How the service authenticates to a provider; secrets are named by environment variable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthConfig {
    #[default]
    None,
    Basic {
        user: String,
        password_env: String,
    },
    Oauth2ClientCredentials {
        token_url: String,
        client_id: String,
        client_secret_env: String,
    },
}

fn default_poll_interval() -> u64 {
    2
}

fn default_approval_window() -> u64 {
    300
}

fn default_timeout() -> u64 {
    10
}

impl RemoteSigningConfig {
    /// Reads the file named by `MOTCUA_REMOTE_SIGNING_CONFIG`; unset: no provider.
    pub fn from_env() -> Result<Self, ConfigError> {
        const NAME: &str = "MOTCUA_REMOTE_SIGNING_CONFIG";
        match std::env::var(NAME) {
            Ok(path) if !path.is_empty() => {
                Self::from_file(Path::new(&path)).map_err(|reason| ConfigError {
                    name: NAME,
                    value: path,
                    reason,
                })
            }
            _ => Ok(Self::default()),
        }
    }

    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
        Self::from_toml(&text)
    }

    /// Parses and checks TOML text: bounded intervals and windows, an http(s) base URL.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|error| error.to_string())?;
        if !(1..=60).contains(&config.poll_interval_secs) {
            return Err("poll_interval_secs: between 1 and 60".into());
        }
        for (name, provider) in &config.providers {
            provider
                .check()
                .map_err(|reason| format!("{name}: {reason}"))?;
        }
        Ok(config)
    }
}

impl ProviderConfig {
    fn check(&self) -> Result<(), String> {
        if !(self.base_url.starts_with("https://") || self.base_url.starts_with("http://")) {
            return Err("base_url: an http(s) URL".into());
        }
        if !(1..=86_400).contains(&self.approval_window_secs) {
            return Err("approval_window_secs: between 1 and 86400 (a day)".into());
        }
        if !(1..=120).contains(&self.timeout_secs) {
            return Err("timeout_secs: between 1 and 120".into());
        }
        Ok(())
    }

    /// The authentication with its secret read from the environment.
    fn auth(&self) -> Result<ProviderAuth, String> {
        let secret = |variable: &str| {
            std::env::var(variable)
                .map_err(|_| format!("the environment variable {variable} is not set"))
        };
        Ok(match &self.auth {
            AuthConfig::None => ProviderAuth::None,
            AuthConfig::Basic { user, password_env } => ProviderAuth::Basic {
                user: user.clone(),
                password: secret(password_env)?,
            },
            AuthConfig::Oauth2ClientCredentials {
                token_url,
                client_id,
                client_secret_env,
            } => ProviderAuth::Oauth2ClientCredentials {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: secret(client_secret_env)?,
            },
        })
    }
}

/// A configured provider, ready to be called.
#[derive(Clone)]
pub struct Provider {
    pub name: String,
    pub signer: Arc<dyn RemoteSigner>,
    /// How long the holder has to approve.
    pub approval_window: Duration,
}

/// The configured providers by name.
#[derive(Clone, Default)]
pub struct RemoteSigners {
    providers: BTreeMap<String, Provider>,
    pub poll_interval: Duration,
}

impl RemoteSigners {
    /// Builds every provider of `config`; refused when a secret is missing.
    pub fn new(config: &RemoteSigningConfig) -> Result<Self, String> {
        let mut providers = BTreeMap::new();
        for (name, provider) in &config.providers {
            let auth = provider
                .auth()
                .map_err(|reason| format!("{name}: {reason}"))?;
            let signer: Arc<dyn RemoteSigner> = match provider.kind {
                ProviderKind::Csc => Arc::new(
                    CscSigner::new(CscConfig {
                        base_url: provider.base_url.clone(),
                        auth,
                        timeout: Duration::from_secs(provider.timeout_secs),
                    })
                    .map_err(|error| format!("{name}: {error}"))?,
                ),
            };
            providers.insert(
                name.clone(),
                Provider {
                    name: name.clone(),
                    signer,
                    approval_window: Duration::from_secs(provider.approval_window_secs),
                },
            );
        }
        Ok(Self {
            providers,
            poll_interval: Duration::from_secs(config.poll_interval_secs),
        })
    }

    pub fn get(&self, name: &str) -> Option<&Provider> {
        self.providers.get(name)
    }

    /// The configured names, for error messages.
    pub fn names(&self) -> Vec<&str> {
        self.providers.keys().map(String::as_str).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The provider `name`: 422 naming `provider` when none is configured by that name.
    pub fn provider(&self, name: &str) -> Result<Provider, ApiError> {
        self.get(name).cloned().ok_or_else(|| {
            let names = self.names();
            ApiError::invalid(
                "provider",
                if names.is_empty() {
                    "no remote signing provider is configured (MOTCUA_REMOTE_SIGNING_CONFIG)"
                        .to_owned()
                } else {
                    format!("no such provider; configured: {}", names.join(", "))
                },
            )
        })
    }

    /// The provider a query parameter names: 400 naming `provider` otherwise.
    pub fn provider_param(&self, name: &str) -> Result<Provider, ApiError> {
        self.get(name).cloned().ok_or_else(|| {
            ApiError::bad_param("provider", "no remote signing provider by this name")
        })
    }

    /// The provider of a remote signing request, its credential id checked (422 on the field).
    pub fn provider_for(&self, request: &RemoteSigningRequest) -> Result<Provider, ApiError> {
        let provider = self.provider(&request.provider)?;
        let id = &request.credential_id;
        if id.trim().is_empty() || id.len() > 255 {
            return Err(ApiError::invalid(
                "credential_id",
                "a credential id of 1 to 255 characters",
            ));
        }
        Ok(provider)
    }

    /// Asks the provider about an awaited session once, bounded by its deadline, and says how
    /// the session moves on.
    pub async fn next_step(
        &self,
        id: &str,
        session: &SessionStatus<'_>,
        transaction: Option<&str>,
    ) -> Step {
        let Some(remaining) = (session.deadline() - motcua_db::now())
            .to_std()
            .ok()
            .filter(|left| !left.is_zero())
        else {
            return Step::Expire;
        };
        let name = session.remote_provider.unwrap_or_default();
        let Some(provider) = self.get(name) else {
            return Step::Reject(format!(
                "the signing provider {name} is no longer configured"
            ));
        };
        let Some(transaction) = transaction.map(|t| Transaction(t.to_owned())) else {
            return Step::Reject("no transaction was recorded for the remote request".into());
        };
        // The provider's own timeout bounds each call; the deadline bounds the wait as a whole.
        match tokio::time::timeout(remaining, provider.signer.poll(&transaction)).await {
            Err(_) => Step::Expire,
            Ok(Ok(Approval::Approved(signature))) => Step::Sign(signature),
            Ok(Ok(Approval::Waiting)) => Step::Wait,
            Ok(Ok(Approval::Rejected(reason)) | Err(RemoteError::Refused(reason))) => {
                Step::Reject(reason)
            }
            Ok(Err(RemoteError::Unavailable(reason))) => {
                tracing::info!(session = id, provider = name, %reason, "remote signing: no answer yet; asked again next round");
                Step::Wait
            }
        }
    }
}

/// The audit trail's object type of a signing session, in both services; each move is recorded
/// as `signing_session.<new state>`.
pub const SESSION_OBJECT: &str = "signing_session";

/// Why a pending session expired.
pub const PENDING_EXPIRED: &str = "no signature came before the session's time ran out";

/// Sessions asked about in one background round, oldest first; the rest wait for the next.
pub const POLL_BATCH: i64 = 100;

/// Sessions asked about at once within a round.
const POLL_CONCURRENCY: usize = 16;

/// Ask a remote signing provider to sign the session's prepared signature.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteSigningRequest {
    /// A provider of the service's remote signing configuration (`MOTCUA_REMOTE_SIGNING_CONFIG`).
    pub provider: String,
    /// The provider's credential of the session's official; its certificate must be the one the
    /// session was prepared with.
    pub credential_id: String,
}

/// The provider whose credentials are listed (`?provider=`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CredentialQuery {
    /// A configured remote signing provider.
    pub provider: String,
}

/// The remote signing request of a session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemoteView {
    /// The configured provider's name.
    pub provider: String,
    /// The provider's credential that signs.
    pub credential_id: String,
    /// The holder's approval must come before this instant, or the session expires.
    pub approval_deadline: Option<DateTime<Utc>>,
}

/// A credential a provider holds for an official.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemoteCredentialView {
    pub credential_id: String,
    /// The subject of the credential's certificate.
    pub subject: String,
    /// SHA-256 of the credential's certificate, hex.
    pub certificate_sha256: String,
    /// The official's registered, usable personal certificate (in the results service) that the
    /// credential holds; `null` when it holds another certificate (it cannot sign the official's
    /// sessions).
    pub certificate_id: Option<CertificateId>,
    /// The provider says the key can sign.
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemoteCredentialList {
    pub provider: String,
    pub items: Vec<RemoteCredentialView>,
}

/// Credentials read from a provider in one listing: each costs a call.
const MAX_LISTED_CREDENTIALS: usize = 50;

/// What the provider answered a signature request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// It was asked; its answer is awaited with this transaction.
    Awaiting(Transaction),
    /// It refused at once, and why.
    Refused(String),
}

impl Started {
    /// The transaction to keep in the session, when there is one.
    pub fn transaction(&self) -> Option<String> {
        match self {
            Self::Awaiting(transaction) => Some(transaction.0.clone()),
            Self::Refused(_) => None,
        }
    }
}

impl Provider {
    /// Reads `credential_id` (422 unknown, 502 unreachable), checks that its certificate is
    /// exactly the session's `certificate` (409 otherwise), and asks for a signature of `digest`
    /// (502 when the provider cannot be reached). Nothing of the session changes here.
    pub async fn request(
        &self,
        credential_id: &str,
        certificate: &Certificate,
        digest: [u8; 32],
    ) -> Result<Started, ApiError> {
        let credential = self
            .signer
            .credential(credential_id)
            .await
            .map_err(|error| self.error("credential_id", error))?;
        if credential.certificate != certificate.der() {
            return Err(ApiError::Conflict(format!(
                "the credential {credential_id} of {} holds the certificate of {}, not the \
                 official's certificate that this session was prepared with ({})",
                self.name,
                subject_of(&credential.certificate),
                certificate.info().subject.text
            )));
        }
        match self.signer.start(credential_id, digest, certificate).await {
            Ok(transaction) => Ok(Started::Awaiting(transaction)),
            Err(RemoteError::Refused(reason)) => Ok(Started::Refused(reason)),
            Err(unavailable) => Err(self.error("provider", unavailable)),
        }
    }

    /// The credentials the provider lists for `user` (an official's CCCD), each with the
    /// registered certificate `registered` finds for its certificate's DER. 502 when the
    /// provider does not answer.
    pub async fn credentials(
        &self,
        user: &str,
        registered: impl Fn(&[u8]) -> Option<CertificateId>,
    ) -> Result<RemoteCredentialList, ApiError> {
        let unanswered = |error: RemoteError| {
            ApiError::BadGateway(format!("the signing provider {}: {error}", self.name))
        };
        let ids = self
            .signer
            .credentials(Some(user))
            .await
            .map_err(unanswered)?;
        let mut items = Vec::new();
        for id in ids.iter().take(MAX_LISTED_CREDENTIALS) {
            let credential = match self.signer.credential(id).await {
                Ok(credential) => credential,
                // A credential the provider will not describe cannot be used either.
                Err(RemoteError::Refused(_)) => continue,
                Err(other) => return Err(unanswered(other)),
            };
            items.push(RemoteCredentialView {
                subject: subject_of(&credential.certificate),
                certificate_sha256: hex::encode(Sha256::digest(&credential.certificate)),
                certificate_id: registered(&credential.certificate),
                enabled: credential.enabled,
                credential_id: credential.id,
            });
        }
        Ok(RemoteCredentialList {
            provider: self.name.clone(),
            items,
        })
    }

    /// The approval window from now, never past the session's own expiry.
    pub fn approval_deadline(&self, expires_at: NaiveDateTime) -> NaiveDateTime {
        let window =
            chrono::Duration::from_std(self.approval_window).unwrap_or(chrono::Duration::MAX);
        motcua_db::now()
            .checked_add_signed(window)
            .unwrap_or(expires_at)
            .min(expires_at)
    }

    /// A refusal is about the request's `field` (422); no answer is the provider's failure (502).
    fn error(&self, field: &str, error: RemoteError) -> ApiError {
        match error {
            RemoteError::Refused(reason) => {
                ApiError::invalid(field, format!("{}: {reason}", self.name))
            }
            RemoteError::Unavailable(reason) => ApiError::BadGateway(format!(
                "the signing provider {} did not answer: {reason}; nothing was changed",
                self.name
            )),
        }
    }
}

/// How one background step moves an awaited session on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No answer yet: asked again next round.
    Wait,
    /// The provider's raw signature, to be assembled as one handed in.
    Sign(Vec<u8>),
    /// The holder or the provider refused, and why.
    Reject(String),
    /// The approval deadline passed.
    Expire,
}

/// The state columns of a session, as both services' tables keep them.
#[derive(Debug, Clone, Copy)]
pub struct SessionStatus<'a> {
    pub state: SessionState,
    pub state_reason: Option<&'a str>,
    pub expires_at: NaiveDateTime,
    pub remote_provider: Option<&'a str>,
    pub remote_credential: Option<&'a str>,
    pub approval_deadline: Option<NaiveDateTime>,
}

impl SessionStatus<'_> {
    /// When the session stops waiting: its approval deadline once a provider was asked.
    pub fn deadline(&self) -> NaiveDateTime {
        self.approval_deadline.unwrap_or(self.expires_at)
    }

    /// The state and reason the API shows at `at`: a session whose time ran out shows `expired`
    /// even before the background round records it.
    pub fn shown_at(&self, at: NaiveDateTime) -> (SessionState, Option<String>) {
        match self.state {
            SessionState::Pending if at > self.expires_at => {
                (SessionState::Expired, Some(PENDING_EXPIRED.to_owned()))
            }
            SessionState::AwaitingApproval if at > self.deadline() => {
                (SessionState::Expired, Some(self.no_answer_reason()))
            }
            state => (state, self.state_reason.map(str::to_owned)),
        }
    }

    /// Why an awaited session expired.
    pub fn no_answer_reason(&self) -> String {
        format!(
            "the signing provider {} gave no signature before the approval deadline",
            self.remote_provider.unwrap_or("?")
        )
    }

    /// The remote signing request, once made.
    pub fn remote(&self) -> Option<RemoteView> {
        let (provider, credential) = self.remote_provider.zip(self.remote_credential)?;
        Some(RemoteView {
            provider: provider.to_owned(),
            credential_id: credential.to_owned(),
            approval_deadline: self.approval_deadline.map(|at| at.and_utc()),
        })
    }
}

/// Runs `advance` for each session id, side by side: one provider that hangs until its timeout
/// does not hold the others back past their deadlines. Failures are logged; the session is
/// tried again next round.
pub async fn each_session<F, Fut>(ids: Vec<String>, advance: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), ApiError>>,
{
    futures_util::stream::iter(ids)
        .for_each_concurrent(POLL_CONCURRENCY, |id| {
            let moved = advance(id.clone());
            async move {
                if let Err(error) = moved.await {
                    tracing::warn!(session = %id, %error, "signing session: could not move on");
                }
            }
        })
        .await;
}

/// The subject of a certificate, for messages.
pub fn subject_of(der: &[u8]) -> String {
    Certificate::from_der(der)
        .map(|certificate| certificate.info().subject.text.clone())
        .unwrap_or_else(|_| "an unreadable certificate".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: &str = r#"
[providers.smartca]
kind = "csc"
base_url = "https://csc.example.vn/csc/v1"
"#;

    #[test]
    fn defaults_fill_a_minimal_provider() {
        let config = RemoteSigningConfig::from_toml(PROVIDER).unwrap();
        let provider = &config.providers["smartca"];
        assert_eq!(config.poll_interval_secs, 2);
        assert_eq!(provider.approval_window_secs, 300);
        assert_eq!(provider.timeout_secs, 10);
        let signers = RemoteSigners::new(&config).unwrap();
        assert_eq!(signers.names(), ["smartca"]);
        assert_eq!(signers.poll_interval, Duration::from_secs(2));
    }

    #[test]
    fn refuses_unbounded_values_unknown_keys_and_missing_secrets() {
        for (text, expected) in [
            ("poll_interval_secs = 0", "poll_interval_secs"),
            ("[providers.a]\nkind = \"csc\"\nbase_url = \"ftp://x\"", "base_url"),
            (
                "[providers.a]\nkind = \"csc\"\nbase_url = \"https://x\"\ntimeout_secs = 0",
                "timeout_secs",
            ),
            (
                "[providers.a]\nkind = \"csc\"\nbase_url = \"https://x\"\napproval_window_secs = 90000",
                "approval_window_secs",
            ),
            ("[providers.a]\nkind = \"pkcs11\"\nbase_url = \"https://x\"", "kind"),
            ("[providers.a]\nkind = \"csc\"\nbase_url = \"https://x\"\npin = \"1\"", "pin"),
        ] {
            let error = RemoteSigningConfig::from_toml(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
        let config = RemoteSigningConfig::from_toml(&format!(
            "{PROVIDER}auth = {{ basic = {{ user = \"motcua\", password_env = \"MOTCUA_TEST_UNSET_CSC_PASSWORD\" }} }}\n"
        ))
        .unwrap();
        let error = RemoteSigners::new(&config).err().unwrap();
        assert!(error.contains("MOTCUA_TEST_UNSET_CSC_PASSWORD"), "{error}");
    }

    fn status(
        state: SessionState,
        approval_deadline: Option<NaiveDateTime>,
    ) -> SessionStatus<'static> {
        SessionStatus {
            state,
            state_reason: Some("stored reason"),
            expires_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
            remote_provider: approval_deadline.map(|_| "smartca"),
            remote_credential: approval_deadline.map(|_| "cred-1"),
            approval_deadline,
        }
    }

    #[test]
    fn a_session_whose_time_ran_out_shows_expired_before_it_is_recorded() {
        let pending = status(SessionState::Pending, None);
        let before = pending.expires_at - chrono::Duration::seconds(1);
        let after = pending.expires_at + chrono::Duration::seconds(1);
        assert_eq!(pending.shown_at(before).0, SessionState::Pending);
        assert_eq!(
            pending.shown_at(after),
            (SessionState::Expired, Some(PENDING_EXPIRED.to_owned()))
        );
        assert!(pending.remote().is_none());
        let deadline = pending.expires_at - chrono::Duration::minutes(30);
        let awaiting = status(SessionState::AwaitingApproval, Some(deadline));
        assert_eq!(awaiting.deadline(), deadline);
        assert_eq!(awaiting.shown_at(before).0, SessionState::Expired);
        assert!(awaiting.shown_at(before).1.unwrap().contains("smartca"));
        assert_eq!(awaiting.remote().unwrap().credential_id, "cred-1");
        let rejected = status(SessionState::Rejected, Some(deadline));
        assert_eq!(
            rejected.shown_at(after),
            (SessionState::Rejected, Some("stored reason".to_owned()))
        );
    }

    #[test]
    fn requests_name_the_field_that_is_wrong_and_deadlines_stay_within_the_session() {
        let signers =
            RemoteSigners::new(&RemoteSigningConfig::from_toml(PROVIDER).unwrap()).unwrap();
        let request = |provider: &str, credential: &str| RemoteSigningRequest {
            provider: provider.into(),
            credential_id: credential.into(),
        };
        let named = |error: ApiError| match error {
            ApiError::Invalid { invalid_params, .. } => invalid_params[0].name.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            named(signers.provider_for(&request("nobody", "c")).err().unwrap()),
            "provider"
        );
        assert_eq!(
            named(
                signers
                    .provider_for(&request("smartca", " "))
                    .err()
                    .unwrap()
            ),
            "credential_id"
        );
        let provider = signers.provider_for(&request("smartca", "c")).unwrap();
        let soon = motcua_db::now() + chrono::Duration::minutes(1);
        assert_eq!(provider.approval_deadline(soon), soon);
        let later = motcua_db::now() + chrono::Duration::hours(1);
        assert!(
            provider.approval_deadline(later) < later,
            "the 300 s window"
        );
    }
}
