//! The trust store signatures are verified against: the CA certificates and CRLs of
//! `MOTCUA_TRUST_ROOTS_DIR`, read at every verification, and those installed in the results
//! service's trust store (`GET /trust-store`, read with the service's read key), kept in memory
//! and refreshed every `MOTCUA_TRUST_REFRESH_SECS` and at once when a verification finds no
//! chain. A results service that does not answer within a few seconds leaves the folder alone,
//! with a warning: no request waits longer on it.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use motcua_core::certificate::TrustAnchorKind;
use motcua_pki::{Certificate, TrustStore};
use motcua_web::error::ApiError;
use serde::Deserialize;

use crate::client::{ClientOptions, ResultsClient};

/// The longest wait for the results service's trust store.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// After a failed read, the next one is tried no sooner than this.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);
/// Reads asked by verifications that found no chain, at most one per this gap: a burst of
/// unknown signatures cannot flood the results service.
const MIN_FORCED_GAP: Duration = Duration::from_secs(1);

/// `TrustStoreExport` of the results service.
#[derive(Debug, Clone, Deserialize)]
struct Exported {
    version: i64,
    anchors: Vec<ExportedAnchor>,
    #[serde(default)]
    crls_der_base64: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct ExportedAnchor {
    kind: TrustAnchorKind,
    der_base64: String,
}

/// What was read from the results service, decoded.
#[derive(Debug, Default)]
struct Remote {
    version: Option<i64>,
    roots: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    crls: Vec<Vec<u8>>,
}

#[derive(Debug, Default)]
struct Held {
    remote: Arc<Remote>,
    /// When the results service was last asked, and whether it answered.
    last_attempt: Option<(Instant, bool)>,
}

/// The folder and the results service's trust store, shared by every worker.
#[derive(Debug)]
pub struct SharedTrust {
    folder: Option<PathBuf>,
    results: Option<ResultsClient>,
    refresh: Duration,
    held: RwLock<Held>,
    /// One read of the results service at a time.
    reading: tokio::sync::Mutex<()>,
}

impl SharedTrust {
    /// The folder `folder`, and the results service at `results_url` with `api_key` when given.
    pub fn new(
        folder: Option<PathBuf>,
        results: Option<(&str, &str)>,
        refresh: Duration,
    ) -> Result<Self, String> {
        let options = ClientOptions {
            timeout: FETCH_TIMEOUT,
            connect_timeout: FETCH_TIMEOUT,
            retries: 0,
            ..ClientOptions::default()
        };
        let results = results
            .map(|(url, key)| ResultsClient::new(url, key, options))
            .transpose()
            .map_err(|e| format!("MOTCUA_RESULTS_URL: {e}"))?;
        Ok(Self {
            folder,
            results,
            refresh,
            held: RwLock::new(Held::default()),
            reading: tokio::sync::Mutex::new(()),
        })
    }

    /// The folder read now, with what was last read from the results service; never waits on
    /// the network.
    pub fn store(&self) -> Result<TrustStore, ApiError> {
        let mut store = match &self.folder {
            Some(dir) => TrustStore::from_dir(dir)
                .map_err(|e| ApiError::internal(format!("MOTCUA_TRUST_ROOTS_DIR: {e}")))?,
            None => TrustStore::new(),
        };
        let remote = self
            .held
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .remote
            .clone();
        add_remote(&mut store, &remote);
        Ok(store)
    }

    /// Reads the results service's trust store when the last read is older than the refresh
    /// interval (or failed long enough ago): the scheduled refresh.
    pub async fn refresh_when_due(&self) {
        let refresh = self.refresh;
        self.read_if(|(at, answered)| {
            at.elapsed()
                >= if answered {
                    refresh
                } else {
                    RETRY_AFTER_FAILURE
                }
        })
        .await;
    }

    /// Reads the results service's trust store now, unless it was read within the last
    /// moments: after a verification found no chain. Whether what is held changed.
    pub async fn refresh_now(&self) -> bool {
        self.read_if(|(at, _)| at.elapsed() >= MIN_FORCED_GAP).await
    }

    /// Reads when there is a results service and `due` says the last attempt is old enough
    /// (checked again once this read has the turn); whether the material held changed.
    async fn read_if(&self, due: impl Fn((Instant, bool)) -> bool) -> bool {
        let Some(results) = &self.results else {
            return false;
        };
        let is_due = |held: &Held| held.last_attempt.is_none_or(&due);
        let seen = {
            let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
            if !is_due(&held) {
                return false;
            }
            held.remote.version
        };
        let _turn = self.reading.lock().await;
        {
            // Another read may have run meanwhile: what it brought counts as this one's.
            let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
            if !is_due(&held) {
                return held.remote.version != seen;
            }
        }
        let read = tokio::time::timeout(FETCH_TIMEOUT, fetch(results)).await;
        let read = read.unwrap_or_else(|_| Err(format!("no answer within {FETCH_TIMEOUT:?}")));
        let mut held = self.held.write().unwrap_or_else(PoisonError::into_inner);
        match read {
            Ok(remote) => {
                held.remote = Arc::new(remote);
                held.last_attempt = Some((Instant::now(), true));
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    "the results service's trust store cannot be read; signatures are verified \
                     against MOTCUA_TRUST_ROOTS_DIR alone"
                );
                held.remote = Arc::new(Remote::default());
                held.last_attempt = Some((Instant::now(), false));
            }
        }
        held.remote.version != seen
    }
}

/// `GET /trust-store` of the results service, decoded.
async fn fetch(results: &ResultsClient) -> Result<Remote, String> {
    let exported = results
        .get_json::<Exported>("/trust-store", &[])
        .await
        .map_err(|e| e.to_string())?
        .value;
    let decode = |text: &str| {
        STANDARD
            .decode(text)
            .map_err(|e| format!("GET /trust-store: not base64: {e}"))
    };
    let mut remote = Remote {
        version: Some(exported.version),
        ..Remote::default()
    };
    for anchor in exported.anchors {
        let certificate = Certificate::from_der(&decode(&anchor.der_base64)?)
            .map_err(|e| format!("GET /trust-store: a certificate: {e}"))?;
        match anchor.kind {
            TrustAnchorKind::Root => remote.roots.push(certificate),
            TrustAnchorKind::Intermediate => remote.intermediates.push(certificate),
        }
    }
    for crl in exported.crls_der_base64 {
        remote.crls.push(decode(&crl)?);
    }
    Ok(remote)
}

/// Adds what the results service trusts to `store`; what the store refuses (a root with the
/// name of another root of the folder, say) is left out with a warning, the folder prevails.
fn add_remote(store: &mut TrustStore, remote: &Remote) {
    let held: std::collections::HashSet<String> = store
        .ca_certificates()
        .iter()
        .map(|certificate| certificate.info().fingerprint_sha256.clone())
        .collect();
    let new = |certificate: &&Certificate| !held.contains(&certificate.info().fingerprint_sha256);
    for root in remote.roots.iter().filter(new) {
        if let Err(error) = store.add_root(root.clone()) {
            tracing::warn!(%error, "a root of the results service's trust store is not used");
        }
    }
    for intermediate in remote.intermediates.iter().filter(new) {
        if let Err(error) = store.add_intermediate(intermediate.clone()) {
            tracing::warn!(%error, "an intermediate of the results service is not used");
        }
    }
    for crl in &remote.crls {
        if let Err(error) = store.add_crl(crl) {
            tracing::debug!(%error, "a CRL of the results service's trust store is not used");
        }
    }
}
