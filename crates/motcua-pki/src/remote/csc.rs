//! The Cloud Signature Consortium API (v1.0.4) as a [`RemoteSigner`]: `credentials/list`,
//! `credentials/info`, `credentials/authorize` (hash-pinned, one signature) and
//! `signatures/signHash`, with no authentication, HTTP Basic (`auth/login`) or OAuth 2.0 client
//! credentials. Every call has the configured timeout.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    Approval, ProviderAuth, RemoteCredential, RemoteError, RemoteFuture, RemoteSigner, Transaction,
};
use crate::http_body::read_limited;
use crate::Certificate;

/// The largest answer read from a provider: certificate chains, signatures and tokens are small.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// OID of SHA-256, the digest every prepared signature uses.
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
/// ecdsa-with-SHA256.
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
/// sha256WithRSAEncryption (PKCS#1 v1.5).
const RSA_SHA256: &str = "1.2.840.113549.1.1.11";

/// Where and how to reach a CSC server.
#[derive(Debug, Clone)]
pub struct CscConfig {
    /// The API's base, up to and including `/csc/v1`.
    pub base_url: String,
    pub auth: ProviderAuth,
    /// The longest any one call may take.
    pub timeout: Duration,
}

/// A CSC server.
#[derive(Debug, Clone)]
pub struct CscSigner {
    config: CscConfig,
    http: reqwest::Client,
}

/// What a CSC transaction keeps between `start` and `poll`: the SAD that authorizes signing
/// exactly this hash with this credential.
#[derive(Debug, Serialize, Deserialize)]
struct CscTransaction {
    credential: String,
    sad: String,
    hash: String,
    sign_algo: String,
}

impl CscSigner {
    pub fn new(config: CscConfig) -> Result<Self, RemoteError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|error| RemoteError::Unavailable(crate::error::chain_of_causes(&error)))?;
        Ok(Self { config, http })
    }

    /// POSTs `body` to the API method `method` and reads the JSON answer: a 4xx is the
    /// provider's refusal, anything else that is not a JSON success is unavailability.
    async fn call(&self, method: &str, body: &Value) -> Result<Value, RemoteError> {
        let url = format!("{}/{method}", self.config.base_url.trim_end_matches('/'));
        let mut request = self.http.post(&url).json(body);
        if let Some(token) = self.access_token().await? {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|error| unavailable(method, &crate::error::chain_of_causes(&error)))?;
        let status = response.status();
        let answer = read_limited(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|error| unavailable(method, &error.message()))?;
        if status.is_client_error() {
            return Err(RemoteError::Refused(format!(
                "{method}: HTTP {status}{}",
                error_description(&answer)
            )));
        }
        if !status.is_success() {
            return Err(unavailable(method, &format!("HTTP {status}")));
        }
        serde_json::from_slice(&answer)
            .map_err(|error| unavailable(method, &format!("the answer is not JSON: {error}")))
    }

    /// The bearer token of the configured authentication, fetched for each call: tokens are
    /// short-lived and calls are few.
    async fn access_token(&self) -> Result<Option<String>, RemoteError> {
        let request = match &self.config.auth {
            ProviderAuth::None => return Ok(None),
            ProviderAuth::Basic { user, password } => self
                .http
                .post(format!(
                    "{}/auth/login",
                    self.config.base_url.trim_end_matches('/')
                ))
                .basic_auth(user, Some(password))
                .json(&json!({"rememberMe": false})),
            ProviderAuth::Oauth2ClientCredentials {
                token_url,
                client_id,
                client_secret,
            } => self
                .http
                .post(token_url)
                .basic_auth(client_id, Some(client_secret))
                .form(&[("grant_type", "client_credentials")]),
        };
        let response = request
            .send()
            .await
            .map_err(|error| unavailable("auth", &crate::error::chain_of_causes(&error)))?;
        let status = response.status();
        let answer = read_limited(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|error| unavailable("auth", &error.message()))?;
        if !status.is_success() {
            return Err(RemoteError::Refused(format!(
                "authentication of the service: HTTP {status}{}",
                error_description(&answer)
            )));
        }
        let answer: Value = serde_json::from_slice(&answer)
            .map_err(|error| unavailable("auth", &format!("the answer is not JSON: {error}")))?;
        answer["access_token"]
            .as_str()
            .map(|token| Some(token.to_owned()))
            .ok_or_else(|| unavailable("auth", "no access_token in the answer"))
    }

    async fn list(&self, user: Option<&str>) -> Result<Vec<String>, RemoteError> {
        let mut body = json!({"maxResults": 100});
        if let Some(user) = user {
            body["userID"] = json!(user);
        }
        let answer = self.call("credentials/list", &body).await?;
        let ids = answer["credentialIDs"]
            .as_array()
            .ok_or_else(|| unavailable("credentials/list", "no credentialIDs"))?;
        Ok(ids
            .iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect())
    }

    async fn info(&self, id: &str) -> Result<RemoteCredential, RemoteError> {
        let answer = self
            .call(
                "credentials/info",
                &json!({"credentialID": id, "certificates": "chain"}),
            )
            .await?;
        let mut certificates = answer["cert"]["certificates"]
            .as_array()
            .ok_or_else(|| unavailable("credentials/info", "no cert/certificates"))?
            .iter()
            .map(|encoded| {
                encoded
                    .as_str()
                    .and_then(|text| STANDARD.decode(text).ok())
                    .ok_or_else(|| unavailable("credentials/info", "a certificate is not base64"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if certificates.is_empty() {
            return Err(unavailable("credentials/info", "no certificate"));
        }
        let certificate = certificates.remove(0);
        Ok(RemoteCredential {
            id: id.to_owned(),
            certificate,
            chain: certificates,
            enabled: answer["key"]["status"].as_str() == Some("enabled"),
        })
    }

    /// `credentials/authorize` for one signature of exactly `digest` (hash pinning): the SAD.
    async fn authorize(
        &self,
        id: &str,
        digest: [u8; 32],
        certificate: &Certificate,
    ) -> Result<Transaction, RemoteError> {
        let hash = STANDARD.encode(digest);
        let answer = self
            .call(
                "credentials/authorize",
                &json!({"credentialID": id, "numSignatures": 1, "hash": [&hash]}),
            )
            .await?;
        let sad = answer["SAD"]
            .as_str()
            .ok_or_else(|| unavailable("credentials/authorize", "no SAD"))?
            .to_owned();
        let transaction = CscTransaction {
            credential: id.to_owned(),
            sad,
            hash,
            sign_algo: sign_algorithm(certificate)?.to_owned(),
        };
        serde_json::to_string(&transaction)
            .map(Transaction)
            .map_err(|error| unavailable("credentials/authorize", &error.to_string()))
    }

    /// `signatures/signHash` with the transaction's SAD.
    async fn sign_hash(&self, transaction: &Transaction) -> Result<Approval, RemoteError> {
        let kept: CscTransaction = serde_json::from_str(&transaction.0)
            .map_err(|error| RemoteError::Refused(format!("not a CSC transaction: {error}")))?;
        let answer = self
            .call(
                "signatures/signHash",
                &json!({
                    "credentialID": kept.credential,
                    "SAD": kept.sad,
                    "hash": [kept.hash],
                    "hashAlgo": SHA256,
                    "signAlgo": kept.sign_algo,
                }),
            )
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(RemoteError::Refused(reason)) => return Ok(Approval::Rejected(reason)),
            Err(other) => return Err(other),
        };
        let signature = answer["signatures"][0]
            .as_str()
            .and_then(|text| STANDARD.decode(text).ok())
            .ok_or_else(|| unavailable("signatures/signHash", "no base64 signature"))?;
        Ok(Approval::Approved(signature))
    }
}

impl RemoteSigner for CscSigner {
    fn credentials<'a>(&'a self, user: Option<&'a str>) -> RemoteFuture<'a, Vec<String>> {
        Box::pin(self.list(user))
    }

    fn credential<'a>(&'a self, id: &'a str) -> RemoteFuture<'a, RemoteCredential> {
        Box::pin(self.info(id))
    }

    fn start<'a>(
        &'a self,
        id: &'a str,
        digest: [u8; 32],
        certificate: &'a Certificate,
    ) -> RemoteFuture<'a, Transaction> {
        Box::pin(self.authorize(id, digest, certificate))
    }

    fn poll<'a>(&'a self, transaction: &'a Transaction) -> RemoteFuture<'a, Approval> {
        Box::pin(self.sign_hash(transaction))
    }
}

/// The CSC signature algorithm for the certificate's key, over a SHA-256 digest.
fn sign_algorithm(certificate: &Certificate) -> Result<&'static str, RemoteError> {
    match certificate.info().key_algorithm.as_str() {
        "EC" => Ok(ECDSA_SHA256),
        "RSA" => Ok(RSA_SHA256),
        other => Err(RemoteError::Refused(format!(
            "the credential's key ({other}) cannot sign through CSC here: RSA or EC only"
        ))),
    }
}

fn unavailable(method: &str, reason: &str) -> RemoteError {
    RemoteError::Unavailable(format!("{method}: {reason}"))
}

/// The CSC error object's text (`error`, `error_description`), when the answer has one.
fn error_description(answer: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(answer) else {
        let text = String::from_utf8_lossy(answer);
        let text = text.trim();
        return if text.is_empty() || text.len() > 200 {
            String::new()
        } else {
            format!(" ({text})")
        };
    };
    let parts: Vec<&str> = ["error", "error_description"]
        .iter()
        .filter_map(|key| value[*key].as_str())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(": "))
    }
}
