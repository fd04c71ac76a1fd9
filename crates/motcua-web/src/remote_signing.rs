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

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use motcua_pki::remote::csc::{CscConfig, CscSigner};
use motcua_pki::remote::{ProviderAuth, RemoteSigner};
use serde::Deserialize;

use crate::config::ConfigError;

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
}
