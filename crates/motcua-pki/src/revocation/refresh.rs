//! Keeping the CRLs of a trust store current: run on a schedule, before the nextUpdate of the
//! CRLs held, so that validations never depend on the network at the moment they run.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::parse::Certificate;
use crate::revocation::fetch::{Attempt, RevocationFetcher};
use crate::store::TrustStore;

/// The result of refreshing the CRL of one issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CrlRefresh {
    /// The CA, RFC 4514 text.
    pub issuer: String,
    /// thisUpdate of the CRL now held for it, if any.
    pub this_update: Option<DateTime<Utc>>,
    /// nextUpdate of the CRL now held for it, if any.
    pub next_update: Option<DateTime<Utc>>,
    /// What happened.
    pub outcome: CrlRefreshOutcome,
}

/// What a refresh did for one issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "reason")]
pub enum CrlRefreshOutcome {
    /// A newer CRL was downloaded and is now used.
    Refreshed,
    /// The CRL downloaded is not newer than the one held.
    Unchanged,
    /// No CRL could be had; the reason names every URL tried.
    Failed(String),
}

impl RevocationFetcher {
    /// For every CA certificate of `store`, downloads its CRL from the distribution points
    /// named by the certificates it issued (in the store) and the URLs seen in earlier fetches
    /// for it, verifies it, and adds it to the store when newer than the one held.
    pub async fn refresh_store_crls(&self, store: &mut TrustStore) -> Vec<CrlRefresh> {
        let mut attempt = Attempt::default();
        let mut reports = Vec::new();
        for authority in store.ca_certificates() {
            let urls = self.crl_urls_of(store, &authority);
            let outcome = self
                .refresh_one(store, &authority, &urls, &mut attempt)
                .await;
            let held = store.crl_from(&authority);
            reports.push(CrlRefresh {
                issuer: authority.subject_text().to_owned(),
                this_update: held.as_ref().map(|crl| crl.crl.this_update),
                next_update: held.as_ref().and_then(|crl| crl.next_update()),
                outcome,
            });
        }
        reports
    }

    async fn refresh_one(
        &self,
        store: &mut TrustStore,
        authority: &Certificate,
        urls: &[String],
        attempt: &mut Attempt,
    ) -> CrlRefreshOutcome {
        if urls.is_empty() {
            return CrlRefreshOutcome::Failed(
                "no CRL distribution point is known for this CA: none of the certificates it \
                 issued in the store names one, and none was fetched yet"
                    .into(),
            );
        }
        let mut failures = Vec::new();
        for url in urls {
            match self.crl(url, authority, attempt).await {
                Ok(verified) => {
                    // keep_newest marks the CRL current only when it supersedes the one held.
                    return if store.keep_newest((*verified).clone()).current {
                        CrlRefreshOutcome::Refreshed
                    } else {
                        CrlRefreshOutcome::Unchanged
                    };
                }
                Err(reason) => failures.push(reason),
            }
        }
        CrlRefreshOutcome::Failed(failures.join("; "))
    }

    fn crl_urls_of(&self, store: &TrustStore, authority: &Certificate) -> Vec<String> {
        let mut urls: Vec<String> = store
            .certificates_issued_by(authority)
            .flat_map(|issued| issued.info().crl_distribution_points.iter().cloned())
            .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
            .collect();
        let seen = self
            .lock_cache()
            .crl_urls
            .get(&authority.signer_id)
            .cloned()
            .unwrap_or_default();
        for url in seen {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        urls
    }
}
