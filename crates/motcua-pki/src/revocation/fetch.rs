//! Downloading revocation data: OCSP answers from the responders named in certificates
//! (authorityInfoAccess) and CRLs from their distribution points, with a cache keyed by issuer
//! that keeps each CRL until its nextUpdate and each OCSP answer until it expires.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use crate::archival::ValidationData;
use crate::crl::{Crl, CrlStatus, VerifiedCrl};
use crate::error::PkiError;
use crate::http_body::BodyError;
use crate::parse::Certificate;
use crate::path::{self, Path};
use crate::revocation::ocsp::{build_request, ocsp_urls, verify_response, OcspAnswer};
use crate::revocation::RevocationConfig;
use crate::store::TrustStore;
use crate::validate::{Evidence, Source};

/// OCSP answers kept at most; expired ones are dropped first.
const MAX_CACHED_ANSWERS: usize = 10_000;
/// CRLs kept at most (one per issuer): issuers can come with documents, so they are bounded.
const MAX_CACHED_CRLS: usize = 1_000;

/// Fetches CRLs and OCSP answers over HTTP(S) for validations
/// ([`TrustStore::validate_fetching`]), for signatures ([`validation_data`](Self::validation_data))
/// and to keep the store's CRLs current ([`refresh_store_crls`](Self::refresh_store_crls)).
///
/// Downloaded data is used only if the certificate's issuer (or a responder it authorised)
/// signed it. Every request is bounded by the configured timeout, and a host that timed out or
/// refused the connection is not asked again within the same validation.
#[derive(Debug)]
pub struct RevocationFetcher {
    pub(super) config: RevocationConfig,
    client: reqwest::Client,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
pub(super) struct Cache {
    /// Newest downloaded CRL per issuer (signer id), until its nextUpdate.
    pub(super) crls: HashMap<[u8; 32], Arc<VerifiedCrl>>,
    /// OCSP answers per issuer and serial, until nextUpdate or the configured maximum age.
    ocsp: HashMap<([u8; 32], Vec<u8>), Arc<OcspAnswer>>,
    /// CRL URLs seen per issuer, so that a refresh knows where to look.
    pub(super) crl_urls: HashMap<[u8; 32], Vec<String>>,
}

/// What one validation learnt about hosts, so that a dead host costs its timeout only once.
#[derive(Default)]
pub(super) struct Attempt {
    dead_hosts: HashSet<String>,
}

/// Where revocation data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    Ocsp,
    Crl,
}

/// A failed download; `dead` when the host did not answer at all (timeout, refused).
pub(super) struct Failure {
    message: String,
    dead: bool,
}

impl RevocationFetcher {
    /// A fetcher with the settings of `config`.
    pub fn new(config: RevocationConfig) -> Result<Self, PkiError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // One request per host and validation: idle connections would only risk reuse
            // after the server closed them.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|error| PkiError::HttpClient(crate::error::chain_of_causes(&error)))?;
        Ok(Self {
            config,
            client,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &RevocationConfig {
        &self.config
    }

    /// The certificates of the path from `leaf` to its trusted root (DER, leaf first) and, for
    /// each certificate below the root, a current OCSP response or CRL: what a signature needs
    /// to stay verifiable. Fails naming the certificate and every source tried when nothing
    /// current can be had for one of them.
    pub async fn validation_data(
        &self,
        store: &TrustStore,
        leaf: &Certificate,
        extra: &[Certificate],
    ) -> Result<ValidationData, PkiError> {
        let path = path::build(store, leaf, extra);
        if !path.anchored {
            return Err(PkiError::NoTrustedPath {
                subject: leaf.subject_text().to_owned(),
                reason: unanchored_reason(&path),
            });
        }
        let mut data = ValidationData {
            certificates: path.certificates.iter().map(|c| c.der().to_vec()).collect(),
            ..ValidationData::default()
        };
        let now = Utc::now();
        let mut attempt = Attempt::default();
        for pair in path.certificates.windows(2) {
            let [certificate, issuer] = pair else {
                continue;
            };
            let held = store.crl_from(issuer);
            let evidence = self
                .evidence(certificate, issuer, now, &mut attempt, held)
                .await;
            let deciding = evidence.sources().iter().find(|source| {
                !matches!(
                    source_status(source, certificate, now),
                    CrlStatus::Unknown(_)
                )
            });
            match deciding {
                Some(Source::Ocsp(answer)) => data.ocsp_responses.push(answer.der.clone()),
                Some(Source::Crl(crl)) => {
                    if !data.crls.contains(&crl.crl.der) {
                        data.crls.push(crl.crl.der.clone());
                    }
                }
                None => {
                    return Err(PkiError::RevocationUnavailable {
                        subject: certificate.subject_text().to_owned(),
                        failures: evidence_failures(&evidence, certificate, now),
                    })
                }
            }
        }
        Ok(data)
    }

    /// Revocation evidence for every certificate of `path` below its anchor, at `at`: a CRL of
    /// the store that decides is used as is; otherwise the network (and cache) is asked.
    pub(crate) async fn evidence_for_validation(
        &self,
        store: &TrustStore,
        path: &Path<'_>,
        at: DateTime<Utc>,
    ) -> Vec<Evidence> {
        let mut attempt = Attempt::default();
        let mut evidence = Vec::new();
        for pair in path.certificates.windows(2) {
            let [certificate, issuer] = pair else {
                continue;
            };
            let held = Evidence::from_store(store.crl_from(issuer));
            if held.covers(certificate, at) {
                evidence.push(held);
            } else {
                let held = store.crl_from(issuer);
                evidence.push(
                    self.evidence(certificate, issuer, at, &mut attempt, held)
                        .await,
                );
            }
        }
        evidence
    }

    /// The best evidence for `certificate` at `at`: a cached answer, else the sources it names
    /// in the configured order, else the `held` CRL with a note of what failed.
    pub(super) async fn evidence(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
        at: DateTime<Utc>,
        attempt: &mut Attempt,
        held: Option<Arc<VerifiedCrl>>,
    ) -> Evidence {
        if let Some(cached) = self.cached(certificate, issuer, at, true) {
            return cached;
        }
        let mut failures = Vec::new();
        let mut undecided = Vec::new();
        for (kind, url) in self.sources_in_order(certificate) {
            let fetched = match kind {
                SourceKind::Ocsp => self
                    .ocsp(&url, certificate, issuer, attempt)
                    .await
                    .map(Source::Ocsp),
                SourceKind::Crl => self.crl(&url, issuer, attempt).await.map(Source::Crl),
            };
            match fetched {
                Ok(source) => match source_status(&source, certificate, at) {
                    CrlStatus::Unknown(reason) => {
                        failures.push(reason);
                        undecided.push(source);
                    }
                    _ => return Evidence::new(vec![source], None),
                },
                Err(reason) => failures.push(reason),
            }
        }
        self.fallback(certificate, issuer, at, failures, undecided, held)
    }

    /// The HTTP(S) sources `certificate` names, in the configured order.
    fn sources_in_order(&self, certificate: &Certificate) -> Vec<(SourceKind, String)> {
        let ocsp = ocsp_urls(certificate)
            .into_iter()
            .map(|url| (SourceKind::Ocsp, url));
        let crl = certificate
            .info()
            .crl_distribution_points
            .iter()
            .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
            .map(|url| (SourceKind::Crl, url.clone()));
        if self.config.prefer_ocsp {
            ocsp.chain(crl).collect()
        } else {
            crl.chain(ocsp).collect()
        }
    }

    /// When no source decided: a cached copy that still covers `at`, else the `held` CRL,
    /// with a note of what failed.
    fn fallback(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
        at: DateTime<Utc>,
        mut failures: Vec<String>,
        undecided: Vec<Source>,
        held: Option<Arc<VerifiedCrl>>,
    ) -> Evidence {
        if failures.is_empty() {
            failures.push(
                "the certificate names no HTTP OCSP responder or CRL distribution point".into(),
            );
        }
        let failures = failures.join("; ");
        if let Some(cached) = self.cached(certificate, issuer, at, false) {
            // Past its caching time, yet still evidence for an earlier validation time.
            return cached.with_note(format!(
                "the sources could not be used ({failures}), so data cached from an earlier \
                 download was used"
            ));
        }
        let held_decides = held
            .as_ref()
            .is_some_and(|crl| !matches!(crl.status(certificate, at), CrlStatus::Unknown(_)));
        let note = if held_decides {
            format!("the CRL held in the trust store was used because downloads failed: {failures}")
        } else {
            failures
        };
        let mut sources = undecided;
        sources.extend(held.map(Source::Crl));
        Evidence::new(sources, Some(note))
    }

    /// A cached answer that decides at `at`; when `fresh_only`, only one still within its
    /// caching time (nextUpdate, or the maximum age of an OCSP answer without one).
    fn cached(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
        at: DateTime<Utc>,
        fresh_only: bool,
    ) -> Option<Evidence> {
        let now = Utc::now();
        let cache = self.lock_cache();
        let answer = cache
            .ocsp
            .get(&(issuer.signer_id, certificate.serial.clone()))
            .filter(|answer| !fresh_only || now <= answer.valid_until)
            .map(|answer| Source::Ocsp(Arc::clone(answer)));
        let crl = cache
            .crls
            .get(&issuer.signer_id)
            .filter(|crl| !fresh_only || crl.next_update().is_some_and(|next| now <= next))
            .map(|crl| Source::Crl(Arc::clone(crl)));
        answer
            .into_iter()
            .chain(crl)
            .find(|source| {
                !matches!(
                    source_status(source, certificate, at),
                    CrlStatus::Unknown(_)
                )
            })
            .map(|source| {
                let note = match &source {
                    Source::Ocsp(_) => "cached OCSP response: the responder was not asked again",
                    Source::Crl(_) => "cached CRL: not downloaded again",
                };
                Evidence::new(vec![source], Some(note.to_owned()))
            })
    }

    pub(super) fn lock_cache(&self) -> MutexGuard<'_, Cache> {
        // The maps stay consistent even if a holder panicked: every update is a single insert.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn ocsp(
        &self,
        url: &str,
        certificate: &Certificate,
        issuer: &Certificate,
        attempt: &mut Attempt,
    ) -> Result<Arc<OcspAnswer>, String> {
        let request = build_request(certificate, issuer, self.config.ocsp_nonce)
            .map_err(|error| format!("OCSP request for {url}: {error}"))?;
        let body = self
            .download(url, Some(request.der), self.config.max_ocsp_bytes, attempt)
            .await
            .map_err(|reason| format!("OCSP request to {url} failed: {reason}"))?;
        let answer = verify_response(
            &body,
            certificate,
            issuer,
            request.nonce.as_deref(),
            self.config.ocsp_max_age,
        )
        .map_err(|error| format!("OCSP response from {url}: {error}"))?;
        answer
            .check_current(Utc::now())
            .map_err(|reason| format!("OCSP response from {url} refused: {reason}"))?;
        let answer = Arc::new(answer);
        let mut cache = self.lock_cache();
        if cache.ocsp.len() >= MAX_CACHED_ANSWERS {
            let now = Utc::now();
            cache.ocsp.retain(|_, held| now <= held.valid_until);
            if cache.ocsp.len() >= MAX_CACHED_ANSWERS {
                cache.ocsp.clear();
            }
        }
        cache.ocsp.insert(
            (issuer.signer_id, certificate.serial.clone()),
            Arc::clone(&answer),
        );
        Ok(answer)
    }

    /// Downloads the CRL at `url`, verified against `issuer`, and caches it until nextUpdate.
    pub(super) async fn crl(
        &self,
        url: &str,
        issuer: &Certificate,
        attempt: &mut Attempt,
    ) -> Result<Arc<VerifiedCrl>, String> {
        self.remember_crl_url(issuer, url);
        let body = self
            .download(url, None, self.config.max_crl_bytes, attempt)
            .await
            .map_err(|reason| format!("CRL download from {url} failed: {reason}"))?;
        let crl = Crl::parse(&body).map_err(|error| format!("CRL from {url}: {error}"))?;
        let verified = crl
            .verify_with_any([issuer])
            .map(Arc::new)
            .map_err(|failures| format!("CRL from {url} not accepted: {}", failures.join("; ")))?;
        // Kept even when stale: it is reused without download only until its nextUpdate, but
        // still answers for earlier validation times when the host is down.
        let mut cache = self.lock_cache();
        let newer = cache
            .crls
            .get(&issuer.signer_id)
            .is_none_or(|held| verified.crl.is_newer_than(&held.crl));
        if newer {
            if cache.crls.len() >= MAX_CACHED_CRLS {
                cache.crls.clear();
            }
            cache.crls.insert(issuer.signer_id, Arc::clone(&verified));
        }
        Ok(verified)
    }

    fn remember_crl_url(&self, issuer: &Certificate, url: &str) {
        let mut cache = self.lock_cache();
        let urls = cache.crl_urls.entry(issuer.signer_id).or_default();
        if !urls.iter().any(|known| known == url) && urls.len() < 16 {
            urls.push(url.to_owned());
        }
    }

    /// GET `url`, or POST `post` to it as an OCSP request, after rewriting and the allow-list;
    /// at most `limit` bytes.
    pub(super) async fn download(
        &self,
        url: &str,
        post: Option<Vec<u8>>,
        limit: usize,
        attempt: &mut Attempt,
    ) -> Result<Vec<u8>, String> {
        let target = self.config.resolve(url)?;
        // A host is one address and port: another service on the same machine may be up.
        let host = reqwest::Url::parse(&target)
            .ok()
            .and_then(|parsed| {
                let port = parsed.port_or_known_default().unwrap_or_default();
                parsed.host_str().map(|host| format!("{host}:{port}"))
            })
            .unwrap_or_default();
        let shown = if target == url {
            String::new()
        } else {
            format!(" (as {target})")
        };
        if attempt.dead_hosts.contains(&host) {
            return Err(format!(
                "{host}{shown} not asked: it did not answer earlier in this validation"
            ));
        }
        match self.transfer(&target, post, limit).await {
            Ok(body) => Ok(body),
            Err(failure) => {
                if failure.dead {
                    attempt.dead_hosts.insert(host);
                }
                Err(format!("{}{shown}", failure.message))
            }
        }
    }

    async fn transfer(
        &self,
        url: &str,
        post: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<u8>, Failure> {
        let failed = |error: reqwest::Error| Failure {
            dead: error.is_timeout() || error.is_connect(),
            message: crate::error::chain_of_causes(&error),
        };
        let request = match post {
            Some(body) => self
                .client
                .post(url)
                .header("Content-Type", "application/ocsp-request")
                .body(body),
            None => self.client.get(url),
        };
        let response = request.send().await.map_err(failed)?;
        if !response.status().is_success() {
            return Err(Failure {
                message: format!("HTTP status {}", response.status()),
                dead: false,
            });
        }
        crate::http_body::read_limited(response, limit)
            .await
            .map_err(|error| match error {
                BodyError::Transport(error) => failed(error),
                too_large @ BodyError::TooLarge(_) => Failure {
                    message: too_large.message(),
                    dead: false,
                },
            })
    }
}

fn source_status(source: &Source, certificate: &Certificate, at: DateTime<Utc>) -> CrlStatus {
    match source {
        Source::Crl(crl) => crl.status(certificate, at),
        Source::Ocsp(answer) => answer.status_at(at),
    }
}

fn evidence_failures(evidence: &Evidence, certificate: &Certificate, at: DateTime<Utc>) -> String {
    let mut reasons: Vec<String> = evidence
        .sources()
        .iter()
        .filter_map(|source| match source_status(source, certificate, at) {
            CrlStatus::Unknown(reason) => Some(reason),
            _ => None,
        })
        .collect();
    reasons.extend(evidence.note().map(str::to_owned));
    reasons.join("; ")
}

fn unanchored_reason(path: &Path<'_>) -> String {
    match path.certificates.last() {
        Some(last) => format!(
            "the chain ends at {}, which is not a trusted root, and its issuer {} is not known",
            last.subject_text(),
            last.info().issuer.text
        ),
        None => "no chain".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// A service implementing `ArchivalServices::validation_data` must be able to return this
    /// future, which the trait requires to be `Send`.
    #[test]
    fn validation_data_future_is_send() -> Result<(), PkiError> {
        let fetcher = RevocationFetcher::new(RevocationConfig::default())?;
        let store = TrustStore::new();
        let pki = crate::testpki::TestPki::new(crate::testpki::KeySpec::EcP256, Utc::now())?;
        let future = fetcher.validation_data(&store, pki.issuing_ca.certificate(), &[]);
        assert_send(&future);
        Ok(())
    }
}
