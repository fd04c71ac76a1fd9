//! The trust store: trusted roots, known intermediates and the newest verified CRL of each
//! issuer, indexed so that validating against it costs hash lookups and signature checks only.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::crl::{Crl, CrlInfo, VerifiedCrl};
use crate::error::PkiError;
use crate::parse::{parse_certificates, Certificate};
use crate::path;
use crate::revocation::{RevocationFetcher, SuppliedRevocation};
use crate::validate::{evaluate, Evidence};
use crate::verdict::{Purpose, RevocationPolicy, Verdict};

/// Roots, intermediates and CRLs. Build it once, then share it (`Send + Sync`): validation
/// takes `&self`, and public keys are loaded when certificates are added.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    certificates: Vec<StoredCertificate>,
    by_subject: HashMap<Vec<u8>, Vec<usize>>,
    by_fingerprint: HashMap<[u8; 32], usize>,
    /// Newest CRL per signer (issuer name and key).
    crls: HashMap<[u8; 32], Arc<VerifiedCrl>>,
    /// Signature checks between store certificates (child, issuer fingerprints), done once when
    /// they are added: every chain through the store repeats them.
    links: HashMap<([u8; 32], [u8; 32]), Result<(), String>>,
}

/// Extensions of the files `TrustStore::from_dir` reads as certificates.
const CERTIFICATE_EXTENSIONS: &[&str] = &["pem", "crt", "cer", "der", "p7b", "p7c"];

#[derive(Debug, Clone)]
struct StoredCertificate {
    certificate: Certificate,
    anchor: bool,
}

impl TrustStore {
    /// A store of the CA certificates (self-signed ones are roots, the others intermediates)
    /// and CRLs (`.crl`) in the files of `dir`; other files are ignored.
    pub fn from_dir(dir: &Path) -> Result<TrustStore, String> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        let mut store = TrustStore::new();
        let mut crls = Vec::new();
        for file in files {
            let extension = file
                .extension()
                .and_then(|ext| ext.to_str())
                .map(str::to_ascii_lowercase)
                .unwrap_or_default();
            if extension == "crl" {
                crls.push(file);
                continue;
            }
            if !CERTIFICATE_EXTENSIONS.contains(&extension.as_str()) {
                continue;
            }
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            for certificate in
                parse_certificates(&bytes).map_err(|e| format!("{}: {e}", file.display()))?
            {
                let added = if certificate.is_self_signed() {
                    store.add_root(certificate)
                } else {
                    store.add_intermediate(certificate)
                };
                added.map_err(|e| format!("{}: {e}", file.display()))?;
            }
        }
        // CRLs after the certificates: each needs its issuer in the store.
        for file in crls {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            store
                .add_crl(&bytes)
                .map_err(|e| format!("{}: {e}", file.display()))?;
        }
        Ok(store)
    }

    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trusted root. It must be a CA certificate with a usable key; its revocation is not
    /// checked, since trusting it is a decision of the configuration. A root with the name of a
    /// root already held but another key is refused ([`PkiError::AnchorCollision`]): two keys
    /// answering to one trusted name is how a look-alike root would slip in.
    pub fn add_root(&mut self, certificate: Certificate) -> Result<(), PkiError> {
        if let Some(held) = self.colliding_anchor(&certificate) {
            return Err(PkiError::AnchorCollision {
                subject: certificate.subject_text().to_owned(),
                serial: certificate.info().serial.clone(),
                same_serial: held.info().serial == certificate.info().serial,
                held_fingerprint: held.info().fingerprint_sha256.clone(),
                new_fingerprint: certificate.info().fingerprint_sha256.clone(),
            });
        }
        self.add(certificate, true)
    }

    /// Adds an intermediate CA certificate, used to build chains but not trusted by itself. A
    /// self-signed certificate is refused ([`PkiError::SelfSignedIntermediate`]): it ends every
    /// chain it is in, so it can only be a root.
    pub fn add_intermediate(&mut self, certificate: Certificate) -> Result<(), PkiError> {
        if certificate.is_self_signed() {
            return Err(PkiError::SelfSignedIntermediate {
                subject: certificate.subject_text().to_owned(),
            });
        }
        self.add(certificate, false)
    }

    /// A held root with the subject of `certificate` and another public key.
    fn colliding_anchor(&self, certificate: &Certificate) -> Option<&Certificate> {
        self.certificates_named(&certificate.subject_der)
            .filter(|held| self.is_anchor(held))
            .find(|held| held.signer_id != certificate.signer_id)
    }

    /// The same roots and intermediates without any CRL: with a document's own revocation
    /// data, it tells whether that data alone validates a certificate.
    pub fn without_crls(&self) -> TrustStore {
        let mut store = self.clone();
        store.crls.clear();
        store
    }

    /// Imports a CRL (DER or PEM). Its issuer must already be in the store, with a key that
    /// verifies the CRL's signature and, when keyUsage is present, cRLSign. A CRL older than the
    /// one held for the same issuer is accepted but not used (`current: false`).
    pub fn add_crl(&mut self, der_or_pem: &[u8]) -> Result<CrlInfo, PkiError> {
        let crl = Crl::parse(der_or_pem)?;
        let verified = self.verify_crl(crl)?;
        Ok(self.keep_newest(verified))
    }

    /// Validates `leaf` at time `at` using only the CRLs held by the store.
    /// `extra_intermediates` are CA certificates that came with the leaf (e.g. from a signature);
    /// they help build the chain but are never trusted by themselves.
    pub fn validate(
        &self,
        leaf: &Certificate,
        extra_intermediates: &[Certificate],
        at: DateTime<Utc>,
        purpose: Purpose,
        policy: RevocationPolicy,
    ) -> Verdict {
        let path = path::build(self, leaf, extra_intermediates);
        let evidence: Vec<Evidence> = path
            .certificates
            .windows(2)
            .map(|pair| match pair {
                [_, issuer] => Evidence::from_store(self.crl_from(issuer)),
                _ => Evidence::default(),
            })
            .collect();
        evaluate(&path, &evidence, at, purpose, policy)
    }

    /// Like [`validate`](Self::validate), but when the store has no CRL that decides for a
    /// certificate, asks `fetcher` for an OCSP answer or a CRL from the sources the certificate
    /// names (cached until they expire).
    pub async fn validate_fetching(
        &self,
        leaf: &Certificate,
        extra_intermediates: &[Certificate],
        at: DateTime<Utc>,
        purpose: Purpose,
        policy: RevocationPolicy,
        fetcher: &RevocationFetcher,
    ) -> Verdict {
        let path = path::build(self, leaf, extra_intermediates);
        let evidence = fetcher.evidence_for_validation(self, &path, at).await;
        evaluate(&path, &evidence, at, purpose, policy)
    }

    /// Like [`validate`](Self::validate), offline, with the revocation data that came with the
    /// document (`supplied`, e.g. from a PDF's /DSS) besides the store's CRLs. A supplied CRL or
    /// OCSP response counts for a certificate only if it verifies against that certificate's
    /// issuer in the path; a revocation before `at` decides, else the freshest evidence proving
    /// the certificate not revoked. Supplied certificates help build the chain, never as
    /// anchors.
    pub fn validate_with(
        &self,
        leaf: &Certificate,
        extra_intermediates: &[Certificate],
        at: DateTime<Utc>,
        purpose: Purpose,
        policy: RevocationPolicy,
        supplied: &SuppliedRevocation,
    ) -> Verdict {
        let candidates: Vec<Certificate> = extra_intermediates
            .iter()
            .chain(supplied.certificates())
            .cloned()
            .collect();
        let path = path::build(self, leaf, &candidates);
        let evidence: Vec<Evidence> = path
            .certificates
            .windows(2)
            .map(|pair| match pair {
                [certificate, issuer] => {
                    let mut evidence = Evidence::from_store(self.crl_from(issuer));
                    for source in supplied.sources(certificate, issuer) {
                        evidence.push(source);
                    }
                    evidence
                }
                _ => Evidence::default(),
            })
            .collect();
        evaluate(&path, &evidence, at, purpose, policy)
    }

    fn add(&mut self, certificate: Certificate, anchor: bool) -> Result<(), PkiError> {
        let subject = || certificate.subject_text().to_owned();
        if !certificate.info().is_ca {
            return Err(PkiError::NotCa { subject: subject() });
        }
        if let Err(reason) = certificate.public_key() {
            return Err(PkiError::UnsupportedKey {
                subject: subject(),
                reason: reason.to_owned(),
            });
        }
        if let Some(&index) = self.by_fingerprint.get(&certificate.fingerprint) {
            if let Some(stored) = self.certificates.get_mut(index) {
                stored.anchor |= anchor;
            }
            return Ok(());
        }
        let index = self.certificates.len();
        self.by_fingerprint.insert(certificate.fingerprint, index);
        self.by_subject
            .entry(certificate.subject_der.clone())
            .or_default()
            .push(index);
        self.certificates.push(StoredCertificate {
            certificate,
            anchor,
        });
        self.record_links(index);
        Ok(())
    }

    /// Checks the signatures between the certificate at `index` and the store certificates that
    /// may have issued it or that it may have issued.
    fn record_links(&mut self, index: usize) {
        let Some(added) = self
            .certificates
            .get(index)
            .map(|stored| &stored.certificate)
        else {
            return;
        };
        let mut links = Vec::new();
        for other in self.certificates.iter().map(|stored| &stored.certificate) {
            if other.fingerprint == added.fingerprint {
                continue;
            }
            if other.subject_der == added.issuer_der {
                links.push((
                    (added.fingerprint, other.fingerprint),
                    path::check_signature(added, other),
                ));
            }
            if added.subject_der == other.issuer_der {
                links.push((
                    (other.fingerprint, added.fingerprint),
                    path::check_signature(other, added),
                ));
            }
        }
        self.links.extend(links);
    }

    /// The signature check of `child` by `issuer` if both are store certificates.
    pub(crate) fn link(
        &self,
        child: &Certificate,
        issuer: &Certificate,
    ) -> Option<&Result<(), String>> {
        self.links.get(&(child.fingerprint, issuer.fingerprint))
    }

    fn verify_crl(&self, crl: Crl) -> Result<VerifiedCrl, PkiError> {
        let issuer = crl.issuer.clone();
        let candidates: Vec<&Certificate> = self.certificates_named(&crl.issuer_der).collect();
        if candidates.is_empty() {
            return Err(PkiError::CrlIssuerUnknown { issuer });
        }
        crl.verify_with_any(candidates)
            .map_err(|failures| PkiError::CrlNotSignedByIssuer {
                issuer,
                reason: failures.join("; "),
            })
    }

    pub(crate) fn keep_newest(&mut self, verified: VerifiedCrl) -> CrlInfo {
        let held = self.crls.get(&verified.signer_id);
        if held.is_some_and(|held| !verified.crl.is_newer_than(&held.crl)) {
            return verified.crl.info(false);
        }
        let info = verified.crl.info(true);
        self.crls.insert(verified.signer_id, Arc::new(verified));
        info
    }

    pub(crate) fn certificates_named<'a>(
        &'a self,
        subject_der: &[u8],
    ) -> impl Iterator<Item = &'a Certificate> + 'a {
        self.by_subject
            .get(subject_der)
            .into_iter()
            .flatten()
            .filter_map(|&index| self.certificates.get(index))
            .map(|stored| &stored.certificate)
    }

    pub(crate) fn contains(&self, certificate: &Certificate) -> bool {
        self.by_fingerprint.contains_key(&certificate.fingerprint)
    }

    pub(crate) fn is_anchor(&self, certificate: &Certificate) -> bool {
        self.by_fingerprint
            .get(&certificate.fingerprint)
            .and_then(|&index| self.certificates.get(index))
            .is_some_and(|stored| stored.anchor)
    }

    pub(crate) fn crl_from(&self, issuer: &Certificate) -> Option<Arc<VerifiedCrl>> {
        self.crls.get(&issuer.signer_id).cloned()
    }

    /// The CRL used for the certificates `authority` signs, with its DER (to keep or hand on);
    /// `None` when the store holds none for it.
    pub fn held_crl(&self, authority: &Certificate) -> Option<(CrlInfo, &[u8])> {
        self.crls
            .get(&authority.signer_id)
            .map(|held| (held.crl.info(true), held.crl.der.as_slice()))
    }

    /// Every CA certificate of the store (roots and intermediates).
    pub fn ca_certificates(&self) -> Vec<Certificate> {
        self.certificates
            .iter()
            .map(|stored| stored.certificate.clone())
            .collect()
    }

    /// The store certificates that `authority` signed.
    pub(crate) fn certificates_issued_by<'a>(
        &'a self,
        authority: &'a Certificate,
    ) -> impl Iterator<Item = &'a Certificate> + 'a {
        self.certificates
            .iter()
            .map(|stored| &stored.certificate)
            .filter(move |issued| {
                issued.fingerprint != authority.fingerprint
                    && self
                        .link(issued, authority)
                        .is_some_and(|link| link.is_ok())
            })
    }

    /// The CA certificates between `leaf` and its trust anchor, issuing CA first: the chain
    /// [`validate`](Self::validate) builds (from the store and `extra`) without the leaf and
    /// without the anchor, which is what a signature should carry so that validators holding
    /// only the root can build the path. When no chain reaches an anchor, the CA certificates of
    /// the best partial chain.
    pub fn intermediates_for(&self, leaf: &Certificate, extra: &[Certificate]) -> Vec<Certificate> {
        let path = path::build(self, leaf, extra);
        let end = if path.anchored {
            path.certificates.len().saturating_sub(1)
        } else {
            path.certificates.len()
        };
        path.certificates
            .get(1..end)
            .unwrap_or_default()
            .iter()
            .map(|certificate| (*certificate).clone())
            .collect()
    }
}
