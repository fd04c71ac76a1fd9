//! Downloading CRLs from the HTTP distribution points named in certificates, with a cache that
//! keeps each CRL until its nextUpdate.

use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::crl::{Crl, VerifiedCrl};
use crate::error::PkiError;
use crate::parse::Certificate;
use crate::validate::Evidence;

/// Largest CRL accepted from a server; a national CA's CRL is a few MiB at most.
const MAX_CRL_BYTES: usize = 32 * 1024 * 1024;

/// Fetches CRLs over HTTP(S) for [`TrustStore::validate_fetching`](crate::TrustStore::validate_fetching).
///
/// A downloaded CRL is used only if the issuer in the chain signed it. It is cached per URL
/// until its nextUpdate; two validations racing on the same URL may both download it.
#[derive(Debug)]
pub struct CrlFetcher {
    client: reqwest::Client,
    cache: Mutex<HashMap<String, Arc<VerifiedCrl>>>,
}

impl CrlFetcher {
    /// A fetcher whose downloads give up after `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, PkiError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|error| PkiError::HttpClient(error_chain(&error)))?;
        Ok(Self {
            client,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The best revocation evidence for `certificate`: a CRL from one of its HTTP distribution
    /// points that covers `at`, else whatever was `held`, with a note saying what failed.
    pub(crate) async fn evidence(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
        at: DateTime<Utc>,
        held: Evidence,
    ) -> Evidence {
        let mut notes = Vec::new();
        let mut downloaded = None;
        let urls = certificate
            .info()
            .crl_distribution_points
            .iter()
            .filter(|url| url.starts_with("http://") || url.starts_with("https://"));
        for url in urls {
            match self.crl(url, issuer).await {
                Ok(crl) => {
                    let candidate = Evidence::new(Some(crl), None);
                    if candidate.covers(certificate, at) {
                        return candidate;
                    }
                    notes.push(format!("the CRL downloaded from {url} does not cover {at}"));
                    downloaded = candidate.crl().cloned();
                }
                Err(reason) => notes.push(format!("CRL download from {url} failed: {reason}")),
            }
        }
        if notes.is_empty() {
            notes.push("the certificate names no HTTP CRL distribution point".into());
        }
        Evidence::new(
            downloaded.or_else(|| held.crl().cloned()),
            Some(notes.join("; ")),
        )
    }

    async fn crl(&self, url: &str, issuer: &Certificate) -> Result<Arc<VerifiedCrl>, String> {
        if let Some(cached) = self.cached(url, issuer) {
            return Ok(cached);
        }
        let body = self.download(url).await?;
        let crl = Crl::parse(&body).map_err(|error| error.to_string())?;
        let verified = crl
            .verify_with_any([issuer])
            .map(Arc::new)
            .map_err(|failures| format!("CRL not accepted: {}", failures.join("; ")))?;
        if verified.next_update().is_some_and(|next| next > Utc::now()) {
            self.lock_cache()
                .insert(url.to_owned(), Arc::clone(&verified));
        }
        Ok(verified)
    }

    fn cached(&self, url: &str, issuer: &Certificate) -> Option<Arc<VerifiedCrl>> {
        let now = Utc::now();
        let mut cache = self.lock_cache();
        let usable = cache.get(url).is_some_and(|crl| {
            crl.signer_id == issuer.signer_id && crl.next_update().is_some_and(|next| now <= next)
        });
        if usable {
            cache.get(url).cloned()
        } else {
            cache.remove(url);
            None
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<VerifiedCrl>>> {
        // The map stays consistent even if a holder panicked: every update is a single insert.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|error| error_chain(&error))?;
        if !response.status().is_success() {
            return Err(format!("HTTP status {}", response.status()));
        }
        let too_large = || format!("the CRL is larger than {MAX_CRL_BYTES} bytes");
        if response
            .content_length()
            .is_some_and(|length| length > MAX_CRL_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| error_chain(&error))?
        {
            if body.len() + chunk.len() > MAX_CRL_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// reqwest's top-level message hides the cause (refused connection, timeout…): include it.
fn error_chain(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
