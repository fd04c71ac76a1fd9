//! Asking timestamp authorities for tokens over HTTP (RFC 3161 §3.4), one after the other
//! until one answers a token that passes every check.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::response::{self, GRANTED, GRANTED_WITH_MODS};
use super::{check_token, timestamp_request, TimestampCheck};
use crate::budget::Budget;
use crate::cms::SubIndication;
use crate::error::PkiError;
use crate::store::TrustStore;
use crate::verdict::RevocationPolicy;

/// Where and how to ask for timestamps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TsaConfig {
    /// The authorities, asked in this order.
    pub endpoints: Vec<TsaEndpoint>,
    /// Longest wait for one authority (connection and answer), in seconds in a config file.
    #[serde(default = "default_timeout", deserialize_with = "seconds")]
    pub timeout: Duration,
    /// The TSA policy to ask for and require (dotted OID); any when absent.
    #[serde(default)]
    pub policy: Option<String>,
    /// Largest response accepted; a token with its chain is a few KiB.
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: usize,
    /// Largest accepted difference between a token's genTime and the local clock, in seconds
    /// in a config file.
    #[serde(default = "default_max_clock_skew", deserialize_with = "seconds")]
    pub max_clock_skew: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_max_response_bytes() -> usize {
    1024 * 1024
}

fn default_max_clock_skew() -> Duration {
    Duration::from_secs(60)
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let value = f64::deserialize(deserializer)?;
    Duration::try_from_secs_f64(value).map_err(serde::de::Error::custom)
}

/// One timestamp authority.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TsaEndpoint {
    /// Its HTTP(S) URL.
    pub url: String,
    /// What it requires to answer, if anything.
    #[serde(default)]
    pub credentials: Option<TsaCredentials>,
}

/// Credentials some authorities require.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TsaCredentials {
    /// HTTP Basic authentication.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// An `Authorization: Bearer` token.
    Bearer(String),
}

impl fmt::Debug for TsaCredentials {
    /// Names the kind and the user, never a secret.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { user, .. } => write!(formatter, "Basic {{ user: {user:?}, .. }}"),
            Self::Bearer(_) => formatter.write_str("Bearer(..)"),
        }
    }
}

/// A checked timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// The DER `TimeStampToken`, as the authority sent it.
    pub token: Vec<u8>,
    /// The time it states.
    pub gen_time: DateTime<Utc>,
    /// The authority that gave it.
    pub url: String,
    /// The TSA certificate's subject.
    pub tsa: String,
}

/// Why one authority's answer was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsaFailure {
    /// The authority.
    pub url: String,
    /// What went wrong.
    pub reason: String,
}

impl TsaFailure {
    /// Every failure, as one sentence naming each URL.
    pub(crate) fn describe_all(failures: &[TsaFailure]) -> String {
        if failures.is_empty() {
            return "no authority is configured".into();
        }
        failures
            .iter()
            .map(|failure| format!("{}: {}", failure.url, failure.reason))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Asks the configured authorities for timestamps.
#[derive(Debug, Clone)]
pub struct TsaClient {
    config: TsaConfig,
    http: reqwest::Client,
}

impl TsaClient {
    /// A client for `config`; refuses a configuration without endpoints.
    pub fn new(config: TsaConfig) -> Result<Self, PkiError> {
        if config.endpoints.is_empty() {
            return Err(PkiError::TsaConfig(
                "no timestamp authority endpoint is configured".into(),
            ));
        }
        if let Some(policy) = &config.policy {
            der::asn1::ObjectIdentifier::new(policy).map_err(|error| {
                PkiError::TsaConfig(format!("the policy {policy} is not an OID: {error}"))
            })?;
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|error| PkiError::HttpClient(crate::error::chain_of_causes(&error)))?;
        Ok(Self { config, http })
    }

    /// A timestamp of the SHA-256 `imprint` from the first authority, in configured order, whose
    /// answer passes every check: granted, for this imprint and nonce, carrying the TSA
    /// certificate, which chains to a trust anchor of `store` and may sign timestamps (its
    /// revocation checked when `store` holds CRLs for it), under the configured policy, with a
    /// genTime within the allowed clock skew.
    pub async fn timestamp(
        &self,
        imprint: [u8; 32],
        store: &TrustStore,
    ) -> Result<Timestamp, PkiError> {
        let mut failures = Vec::new();
        for endpoint in &self.config.endpoints {
            match self.ask(endpoint, &imprint, store).await {
                Ok(timestamp) => return Ok(timestamp),
                Err(reason) => failures.push(TsaFailure {
                    url: endpoint.url.clone(),
                    reason,
                }),
            }
        }
        Err(PkiError::TimestampUnavailable { failures })
    }

    async fn ask(
        &self,
        endpoint: &TsaEndpoint,
        imprint: &[u8; 32],
        store: &TrustStore,
    ) -> Result<Timestamp, String> {
        let request = timestamp_request(imprint, self.config.policy.as_deref())
            .map_err(|error| error.to_string())?;
        let body = self.post(endpoint, request.der).await?;
        let answer = response::decode(&body)?;
        if ![GRANTED, GRANTED_WITH_MODS].contains(&answer.status) {
            return Err(format!("the request was refused: {}", answer.describe()));
        }
        let token = answer
            .token
            .ok_or_else(|| format!("{} but no token came with it", answer.describe()))?;
        let now = Utc::now();
        let check = check_token(
            token,
            imprint,
            store,
            now,
            RevocationPolicy::BestEffort,
            &Budget::new(self.config.timeout),
        )
        .map_err(|error| error.to_string())?;
        self.judge(&check, &request.nonce, now)?;
        Ok(Timestamp {
            token: token.to_vec(),
            gen_time: check.gen_time,
            url: endpoint.url.clone(),
            tsa: check.tsa.map(|tsa| tsa.subject).unwrap_or_default(),
        })
    }

    /// The checks of a token beyond its own validity: what this request asked for.
    fn judge(
        &self,
        check: &TimestampCheck,
        nonce: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        if check.sub_indication == Some(SubIndication::NoSigningCertificateFound)
            && check.tsa.is_none()
        {
            return Err(
                "the token lacks the TSA certificate that the request asked for (certReq)".into(),
            );
        }
        if !check.is_valid() {
            return Err(format!("the token is not acceptable: {}", check.summary));
        }
        if check.nonce.as_deref() != Some(hex::encode(nonce).as_str()) {
            return Err(
                "the token does not echo the request's nonce: it answers another request (replayed?)".into(),
            );
        }
        if let Some(policy) = &self.config.policy {
            if &check.policy != policy {
                return Err(format!(
                    "the token was issued under policy {}, not the required {policy}",
                    check.policy
                ));
            }
        }
        let skew = (check.gen_time - now).abs();
        let allowed =
            chrono::Duration::from_std(self.config.max_clock_skew).unwrap_or(chrono::Duration::MAX);
        if skew > allowed {
            return Err(format!(
                "the token's genTime {} is {} s away from the local clock {now}; at most {} s is allowed",
                check.gen_time,
                skew.num_seconds(),
                allowed.num_seconds()
            ));
        }
        Ok(())
    }

    /// POSTs the query and reads at most `max_response_bytes` of a successful answer.
    async fn post(&self, endpoint: &TsaEndpoint, query: Vec<u8>) -> Result<Vec<u8>, String> {
        let mut request = self
            .http
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .header(reqwest::header::ACCEPT, "application/timestamp-reply")
            .body(query);
        request = match &endpoint.credentials {
            Some(TsaCredentials::Basic { user, password }) => {
                request.basic_auth(user, Some(password))
            }
            Some(TsaCredentials::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|error| crate::error::chain_of_causes(&error))?;
        if !response.status().is_success() {
            return Err(format!("HTTP status {}", response.status()));
        }
        crate::http_body::read_limited(response, self.config.max_response_bytes)
            .await
            .map_err(|error| error.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_config_file_with_defaults_and_hides_secrets() {
        let config: TsaConfig = serde_json::from_str(
            r#"{"endpoints": [
                {"url": "https://tsa.example.vn/tsr", "credentials": {"basic": {"user": "ubnd", "password": "bí mật"}}},
                {"url": "https://tsa2.example.vn", "credentials": {"bearer": "token-123"}},
                {"url": "http://tsa3.example.vn"}
            ], "timeout": 2.5}"#,
        )
        .unwrap();
        assert_eq!(config.timeout, Duration::from_millis(2500));
        assert_eq!(config.max_clock_skew, Duration::from_secs(60));
        assert_eq!(config.max_response_bytes, 1024 * 1024);
        assert!(config.policy.is_none());
        assert!(config.endpoints[2].credentials.is_none());
        let shown = format!("{config:?}");
        assert!(shown.contains("ubnd"), "{shown}");
        assert!(
            !shown.contains("bí mật") && !shown.contains("token-123"),
            "{shown}"
        );
        assert!(serde_json::from_str::<TsaConfig>(r#"{"endpoints": [], "timeout": -1}"#).is_err());
    }

    #[test]
    fn refuses_unusable_configs() {
        let mut config: TsaConfig = serde_json::from_str(r#"{"endpoints": []}"#).unwrap();
        assert!(matches!(
            TsaClient::new(config.clone()),
            Err(PkiError::TsaConfig(_))
        ));
        config.endpoints.push(TsaEndpoint {
            url: "http://127.0.0.1:1".into(),
            credentials: None,
        });
        config.policy = Some("not an oid".into());
        assert!(matches!(
            TsaClient::new(config),
            Err(PkiError::TsaConfig(_))
        ));
    }
}
