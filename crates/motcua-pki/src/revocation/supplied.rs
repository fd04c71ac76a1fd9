//! Revocation data that came with a document (a PDF's `/DSS`, a signature's attributes), for
//! validating offline. Nothing in it is trusted by itself: a CRL or OCSP response is used for a
//! certificate only when it verifies against that certificate's issuer in the path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::archival::ValidationData;
use crate::crl::Crl;
use crate::parse::Certificate;
use crate::revocation::ocsp::verify_response;
use crate::revocation::RevocationConfig;
use crate::validate::Source;

/// Most items of each kind read from supplied data; a document needs a handful.
const MAX_SUPPLIED_ITEMS: usize = 256;
/// Most (certificate, issuer) pairs whose sources are remembered; past it they are checked
/// each time, as before.
const MAX_REMEMBERED_PAIRS: usize = 1024;

/// The sources found for a (certificate, issuer) pair, by certificate fingerprint and issuer
/// signer id.
type FoundSources = HashMap<([u8; 32], [u8; 32]), Vec<Source>>;

/// Certificates, CRLs and OCSP responses supplied with a document, parsed once, for
/// [`TrustStore::validate_with`](crate::TrustStore::validate_with).
#[derive(Debug, Clone, Default)]
pub struct SuppliedRevocation {
    certificates: Vec<Certificate>,
    crls: Vec<Crl>,
    ocsp_responses: Vec<Vec<u8>>,
    ocsp_max_age: Duration,
    problems: Vec<String>,
    /// What [`sources`](Self::sources) found for each pair. One document asks for the same
    /// pairs many times (its signature at the claimed, proven and validation times, each
    /// timestamp's authority, with and without the trust store's CRLs), and checking a CRL's or
    /// an OCSP answer's signature again each time was the largest cost of verifying a B-LTA
    /// document. The data is the document's and does not change, so neither does the answer.
    found: Arc<Mutex<FoundSources>>,
}

impl SuppliedRevocation {
    /// Reads `data`. Items that cannot be parsed are skipped and listed in
    /// [`problems`](Self::problems); OCSP answers without nextUpdate are relied on for the
    /// default maximum age of [`RevocationConfig`].
    pub fn from_validation_data(data: &ValidationData) -> Self {
        let mut supplied = Self {
            ocsp_max_age: RevocationConfig::default().ocsp_max_age,
            ..Self::default()
        };
        for (index, der) in data
            .certificates
            .iter()
            .take(MAX_SUPPLIED_ITEMS)
            .enumerate()
        {
            match Certificate::from_der(der) {
                Ok(certificate) => supplied.certificates.push(certificate),
                Err(error) => supplied
                    .problems
                    .push(format!("supplied certificate #{}: {error}", index + 1)),
            }
        }
        for (index, der) in data.crls.iter().take(MAX_SUPPLIED_ITEMS).enumerate() {
            match Crl::parse(der) {
                Ok(crl) => supplied.crls.push(crl),
                Err(error) => supplied
                    .problems
                    .push(format!("supplied CRL #{}: {error}", index + 1)),
            }
        }
        supplied.ocsp_responses = data
            .ocsp_responses
            .iter()
            .take(MAX_SUPPLIED_ITEMS)
            .cloned()
            .collect();
        let total = data.certificates.len() + data.crls.len() + data.ocsp_responses.len();
        let read = supplied.certificates.len()
            + supplied.crls.len()
            + supplied.ocsp_responses.len()
            + supplied.problems.len();
        if total > read {
            supplied.problems.push(format!(
                "only the first {MAX_SUPPLIED_ITEMS} items of each kind were read"
            ));
        }
        supplied
    }

    /// How long an OCSP answer without nextUpdate is relied on after its thisUpdate.
    pub fn with_ocsp_max_age(mut self, max_age: Duration) -> Self {
        self.ocsp_max_age = max_age;
        // Answers found under the former maximum age no longer hold.
        self.found = Arc::default();
        self
    }

    /// The supplied certificates, to help build chains (never trusted by themselves).
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// What could not be read.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Whether it holds any CRL or OCSP response (what makes a signature B-LT).
    pub(crate) fn holds_revocation_data(&self) -> bool {
        !self.crls.is_empty() || !self.ocsp_responses.is_empty()
    }

    /// The supplied CRLs and OCSP responses that verify against `issuer` and speak of
    /// `certificate`.
    pub(crate) fn sources(&self, certificate: &Certificate, issuer: &Certificate) -> Vec<Source> {
        let key = (certificate.fingerprint, issuer.signer_id);
        if let Some(found) = self
            .found
            .lock()
            .ok()
            .and_then(|found| found.get(&key).cloned())
        {
            return found;
        }
        let sources = self.check_sources(certificate, issuer);
        if let Ok(mut found) = self.found.lock() {
            if found.len() < MAX_REMEMBERED_PAIRS {
                found.insert(key, sources.clone());
            }
        }
        sources
    }

    /// [`sources`](Self::sources), each signature checked.
    fn check_sources(&self, certificate: &Certificate, issuer: &Certificate) -> Vec<Source> {
        let crls = self
            .crls
            .iter()
            .filter(|crl| crl.issuer_der == issuer.subject_der)
            .filter_map(|crl| crl.clone().verify_with_any([issuer]).ok())
            .map(|verified| Source::Crl(Arc::new(verified)));
        let answers = self
            .ocsp_responses
            .iter()
            .filter_map(|der| {
                verify_response(der, certificate, issuer, None, self.ocsp_max_age).ok()
            })
            .map(|answer| Source::Ocsp(Arc::new(answer)));
        crls.chain(answers).collect()
    }
}
