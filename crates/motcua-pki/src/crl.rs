//! Certificate revocation lists: parsing, issuer verification, and the revocation status of a
//! certificate at a given time.
//!
//! A CRL is evidence for a validation time `t` when `t ≤ nextUpdate`: either the CRL was
//! current at `t` (`thisUpdate ≤ t ≤ nextUpdate`), or it was issued after `t`, in which case it
//! lists every revocation that took effect before `t` (its revocation dates tell which). This is
//! what lets a signature made last year be checked against today's CRL. Delta CRLs, indirect
//! CRLs and CRLs restricted to some reasons are refused at import, because using them as complete
//! lists could hide a revocation.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use x509_parser::extensions::{DistributionPointName, ParsedExtension, X509Extension};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::{CertificateRevocationList, RevokedCertificate};

use crate::error::PkiError;
use crate::names::distinguished_name;
use crate::parse::{general_name_uris, normalized_serial, to_datetime, Certificate, KeyUsageFlag};
use crate::signature::{verify, SignatureAlgorithm};

const OID_CRL_NUMBER: &str = "2.5.29.20";
const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
const OID_ISSUING_DISTRIBUTION_POINT: &str = "2.5.29.28";
const OID_DELTA_CRL_INDICATOR: &str = "2.5.29.27";
const OID_FRESHEST_CRL: &str = "2.5.29.46";
const OID_REASON_CODE: &str = "2.5.29.21";
const OID_INVALIDITY_DATE: &str = "2.5.29.24";
const OID_CERTIFICATE_ISSUER: &str = "2.5.29.29";
/// reasonCode value of an entry that only appears in delta CRLs to lift a hold.
const REASON_REMOVE_FROM_CRL: u8 = 8;

/// Why a certificate was revoked (RFC 5280 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// unspecified (0)
    Unspecified,
    /// keyCompromise (1)
    KeyCompromise,
    /// cACompromise (2)
    CaCompromise,
    /// affiliationChanged (3)
    AffiliationChanged,
    /// superseded (4)
    Superseded,
    /// cessationOfOperation (5)
    CessationOfOperation,
    /// certificateHold (6): suspended; treated as revoked while listed.
    CertificateHold,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn,
    /// aACompromise (10)
    AaCompromise,
}

impl RevocationReason {
    /// The CRLReason code.
    pub fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::KeyCompromise => 1,
            Self::CaCompromise => 2,
            Self::AffiliationChanged => 3,
            Self::Superseded => 4,
            Self::CessationOfOperation => 5,
            Self::CertificateHold => 6,
            Self::PrivilegeWithdrawn => 9,
            Self::AaCompromise => 10,
        }
    }

    /// The name used in JSON and in verdict details, e.g. `key_compromise`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "key_compromise",
            Self::CaCompromise => "ca_compromise",
            Self::AffiliationChanged => "affiliation_changed",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessation_of_operation",
            Self::CertificateHold => "certificate_hold",
            Self::PrivilegeWithdrawn => "privilege_withdrawn",
            Self::AaCompromise => "aa_compromise",
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Self> {
        [
            Self::Unspecified,
            Self::KeyCompromise,
            Self::CaCompromise,
            Self::AffiliationChanged,
            Self::Superseded,
            Self::CessationOfOperation,
            Self::CertificateHold,
            Self::PrivilegeWithdrawn,
            Self::AaCompromise,
        ]
        .into_iter()
        .find(|reason| reason.code() == code)
    }
}

/// Summary of an imported CRL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CrlInfo {
    /// CRL issuer, RFC 4514 text.
    pub issuer: String,
    /// thisUpdate.
    pub this_update: DateTime<Utc>,
    /// nextUpdate, if the CRL has one.
    pub next_update: Option<DateTime<Utc>>,
    /// cRLNumber in hex, if present.
    pub number: Option<String>,
    /// Number of revoked certificates listed.
    pub revoked_count: usize,
    /// Whether this CRL is the one now used for its issuer (`false` when a newer one is held).
    pub current: bool,
}

/// One revoked certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RevokedEntry {
    pub(crate) revoked_at: DateTime<Utc>,
    pub(crate) reason: Option<RevocationReason>,
}

/// Which certificates a CRL speaks for (from its issuingDistributionPoint extension).
#[derive(Debug, Clone, Default)]
struct CrlScope {
    only_end_entities: bool,
    only_cas: bool,
    /// When set, the CRL covers only certificates naming one of these distribution points.
    distribution_points: Vec<String>,
}

/// A parsed CRL whose signature has not been checked yet.
#[derive(Debug, Clone)]
pub(crate) struct Crl {
    pub(crate) issuer_der: Vec<u8>,
    pub(crate) issuer: String,
    pub(crate) this_update: DateTime<Utc>,
    pub(crate) next_update: Option<DateTime<Utc>>,
    number: Option<Vec<u8>>,
    /// The whole CRL as received, to hand on as validation data (e.g. into a PDF's /DSS).
    pub(crate) der: Vec<u8>,
    tbs: Vec<u8>,
    signature_algorithm: SignatureAlgorithm,
    signature: Vec<u8>,
    authority_key_id: Option<Vec<u8>>,
    scope: CrlScope,
    /// Revoked serials (without sign padding) for O(1) lookup.
    entries: HashMap<Vec<u8>, RevokedEntry>,
}

/// A CRL whose signature was verified with the key of `signer_id`.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedCrl {
    pub(crate) crl: Crl,
    pub(crate) signer_id: [u8; 32],
}

/// What a piece of revocation evidence (a CRL or an OCSP response) says about one certificate
/// at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CrlStatus {
    /// The evidence does not decide for this certificate at this time.
    Unknown(String),
    /// Not revoked at the validation time; `issued` is when the evidence was issued, so that
    /// the freshest of several can be preferred.
    NotRevoked {
        detail: String,
        issued: DateTime<Utc>,
    },
    /// Revoked, with the phrase saying which evidence says so ("listed on the CRL from …").
    Revoked(RevokedEntry, String),
}

impl Crl {
    /// Parses one CRL from DER or PEM (`-----BEGIN X509 CRL-----`).
    pub(crate) fn parse(input: &[u8]) -> Result<Self, PkiError> {
        if input.trim_ascii_start().starts_with(b"-----BEGIN") {
            let block = Pem::iter_from_buffer(input)
                .filter_map(Result::ok)
                .find(|block| block.label == "X509 CRL")
                .ok_or_else(|| PkiError::InvalidCrl("no \"X509 CRL\" PEM block".into()))?;
            Self::parse_der(&block.contents)
        } else {
            Self::parse_der(input)
        }
    }

    fn parse_der(der: &[u8]) -> Result<Self, PkiError> {
        let invalid = |reason: String| PkiError::InvalidCrl(reason);
        let (rest, parsed) =
            CertificateRevocationList::from_der(der).map_err(|error| invalid(error.to_string()))?;
        if !rest.is_empty() {
            return Err(invalid(format!(
                "{} unexpected bytes after the CRL",
                rest.len()
            )));
        }
        let tbs = &parsed.tbs_cert_list;
        let issuer = distinguished_name(&tbs.issuer).text;
        let unsupported = |reason: String| PkiError::UnsupportedCrl {
            issuer: issuer.clone(),
            reason,
        };
        let extensions = CrlExtensions::read(tbs.extensions()).map_err(&unsupported)?;
        // RFC 5280 §5.2.3 requires it of every CRL issuer, and the government CAs number their
        // CRLs: without it two CRLs of one second cannot be ordered.
        if extensions.number.is_none() {
            return Err(unsupported(
                "the CRL has no cRLNumber, which RFC 5280 §5.2.3 requires".into(),
            ));
        }
        let mut entries = HashMap::with_capacity(tbs.revoked_certificates.len());
        for revoked in &tbs.revoked_certificates {
            let Some((serial, entry)) = read_entry(revoked).map_err(&unsupported)? else {
                continue;
            };
            entries
                .entry(serial)
                .and_modify(|held: &mut RevokedEntry| {
                    if entry.revoked_at < held.revoked_at {
                        *held = entry;
                    }
                })
                .or_insert(entry);
        }
        Ok(Self {
            issuer_der: tbs.issuer.as_raw().to_vec(),
            issuer,
            this_update: to_datetime(tbs.this_update).map_err(invalid)?,
            next_update: tbs
                .next_update
                .map(to_datetime)
                .transpose()
                .map_err(invalid)?,
            number: extensions.number,
            der: der.to_vec(),
            tbs: tbs.as_ref().to_vec(),
            signature_algorithm: SignatureAlgorithm::from_identifiers(
                &parsed.signature_algorithm,
                &tbs.signature,
            ),
            signature: parsed.signature_value.data.to_vec(),
            authority_key_id: extensions.authority_key_id,
            scope: extensions.scope,
            entries,
        })
    }

    /// The CRL, verified with the first of `candidates` that signed it and may sign CRLs; else
    /// what failed with each candidate.
    pub(crate) fn verify_with_any<'a>(
        self,
        candidates: impl IntoIterator<Item = &'a Certificate>,
    ) -> Result<VerifiedCrl, Vec<String>> {
        let mut failures = Vec::new();
        for candidate in candidates {
            match self.check_issuer(candidate) {
                Ok(()) => {
                    return Ok(VerifiedCrl {
                        crl: self,
                        signer_id: candidate.signer_id,
                    })
                }
                Err(reason) => failures.push(reason),
            }
        }
        Err(failures)
    }

    fn check_issuer(&self, issuer: &Certificate) -> Result<(), String> {
        let candidate = issuer.subject_text();
        if issuer.subject_der != self.issuer_der {
            return Err(format!("{candidate} is not the CRL issuer"));
        }
        if let (Some(crl_key_id), Some(issuer_key_id)) =
            (&self.authority_key_id, &issuer.subject_key_id)
        {
            if crl_key_id != issuer_key_id {
                return Err(format!(
                    "{candidate}: key identifier differs from the CRL's"
                ));
            }
        }
        if issuer.has_key_usage(KeyUsageFlag::CrlSign) == Some(false) {
            return Err(format!("{candidate}: keyUsage does not allow cRLSign"));
        }
        let key = issuer
            .public_key()
            .map_err(|reason| format!("{candidate}: {reason}"))?;
        verify(&self.signature_algorithm, key, &self.tbs, &self.signature)
            .map_err(|reason| format!("{candidate}: {reason}"))
    }

    /// Whether this CRL supersedes `other` from the same issuer.
    pub(crate) fn is_newer_than(&self, other: &Self) -> bool {
        (self.this_update, self.number_value()) > (other.this_update, other.number_value())
    }

    fn number_value(&self) -> (usize, &[u8]) {
        let number = self.number.as_deref().unwrap_or_default();
        (number.len(), number)
    }

    pub(crate) fn info(&self, current: bool) -> CrlInfo {
        CrlInfo {
            issuer: self.issuer.clone(),
            this_update: self.this_update,
            next_update: self.next_update,
            number: self.number.as_ref().map(hex::encode),
            revoked_count: self.entries.len(),
            current,
        }
    }
}

impl VerifiedCrl {
    /// The revocation status of `certificate` at `at` according to this CRL.
    ///
    /// A listing is final whatever the CRL's age (ETSI EN 319 102-1 and DSS read it so): a CA
    /// never un-revokes, so even a stale CRL proves a revocation dated before `at`. Freshness only
    /// matters for proving that a certificate is *not* revoked.
    pub(crate) fn status(&self, certificate: &Certificate, at: DateTime<Utc>) -> CrlStatus {
        let crl = &self.crl;
        if let Some(reason) = crl.scope.excludes(certificate) {
            return CrlStatus::Unknown(format!("the CRL from {} {reason}", crl.issuer));
        }
        let listed = crl.entries.get(&certificate.serial);
        if let Some(entry) = listed.filter(|entry| entry.revoked_at <= at) {
            return CrlStatus::Revoked(*entry, format!("listed on {}", self.describe()));
        }
        if let Some(reason) = self.staleness(at) {
            return CrlStatus::Unknown(reason);
        }
        let detail = match listed {
            Some(entry) => format!(
                "revoked on {}, after the validation time ({})",
                entry.revoked_at,
                self.describe()
            ),
            None => format!("not listed on {}", self.describe()),
        };
        CrlStatus::NotRevoked {
            detail,
            issued: crl.this_update,
        }
    }

    /// "the CRL from X issued T, next update N": which revocation data was used.
    pub(crate) fn describe(&self) -> String {
        let crl = &self.crl;
        format!(
            "the CRL from {} issued {}{}",
            crl.issuer,
            crl.this_update,
            crl.next_update
                .map(|next| format!(", next update {next}"))
                .unwrap_or_else(|| ", no next update".into())
        )
    }

    /// Why the CRL is no evidence at `at`, if it is not.
    pub(crate) fn staleness(&self, at: DateTime<Utc>) -> Option<String> {
        let crl = &self.crl;
        match crl.next_update {
            Some(next) if at > next => Some(format!(
                "the newest CRL from {} (issued {}, next update {next}) is stale at {at}",
                crl.issuer, crl.this_update
            )),
            None if at > crl.this_update => Some(format!(
                "the CRL from {} has no nextUpdate and was issued {}, before {at}",
                crl.issuer, crl.this_update
            )),
            _ => None,
        }
    }

    /// Until when this CRL may be cached.
    pub(crate) fn next_update(&self) -> Option<DateTime<Utc>> {
        self.crl.next_update
    }
}

impl CrlScope {
    fn excludes(&self, certificate: &Certificate) -> Option<&'static str> {
        let is_ca = certificate.info().is_ca;
        if self.only_end_entities && is_ca {
            return Some("covers only end-entity certificates");
        }
        if self.only_cas && !is_ca {
            return Some("covers only CA certificates");
        }
        let named = &certificate.info().crl_distribution_points;
        if !self.distribution_points.is_empty()
            && !self
                .distribution_points
                .iter()
                .any(|point| named.contains(point))
        {
            return Some("covers other distribution points than this certificate's");
        }
        None
    }
}

/// The CRL-level extension facts kept.
#[derive(Default)]
struct CrlExtensions {
    number: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    scope: CrlScope,
}

impl CrlExtensions {
    fn read(extensions: &[X509Extension<'_>]) -> Result<Self, String> {
        let mut read = Self::default();
        for extension in extensions {
            let oid = extension.oid.to_id_string();
            match (oid.as_str(), extension.parsed_extension()) {
                (OID_CRL_NUMBER, ParsedExtension::CRLNumber(number)) => {
                    read.number = Some(number.to_bytes_be());
                }
                (OID_AUTHORITY_KEY_ID, ParsedExtension::AuthorityKeyIdentifier(id)) => {
                    read.authority_key_id = id.key_identifier.as_ref().map(|id| id.0.to_vec());
                }
                (
                    OID_ISSUING_DISTRIBUTION_POINT,
                    ParsedExtension::IssuingDistributionPoint(idp),
                ) => {
                    if idp.indirect_crl {
                        return Err("indirect CRLs are not supported".into());
                    }
                    if idp.only_some_reasons.is_some() {
                        return Err(
                            "CRLs limited to some revocation reasons are not supported".into()
                        );
                    }
                    if idp.only_contains_attribute_certs {
                        return Err("attribute-certificate CRLs are not supported".into());
                    }
                    read.scope = CrlScope {
                        only_end_entities: idp.only_contains_user_certs,
                        only_cas: idp.only_contains_ca_certs,
                        distribution_points: idp_uris(idp.distribution_point.as_ref())?,
                    };
                }
                (OID_ISSUING_DISTRIBUTION_POINT, _) => {
                    return Err("malformed issuingDistributionPoint".into());
                }
                (OID_DELTA_CRL_INDICATOR, _) => {
                    return Err("delta CRLs are not supported: import the full CRL".into());
                }
                (OID_FRESHEST_CRL | OID_CRL_NUMBER | OID_AUTHORITY_KEY_ID, _) => {}
                _ if extension.critical => {
                    return Err(format!("unknown critical CRL extension {oid}"));
                }
                _ => {}
            }
        }
        Ok(read)
    }
}

fn idp_uris(name: Option<&DistributionPointName<'_>>) -> Result<Vec<String>, String> {
    match name {
        None => Ok(Vec::new()),
        Some(DistributionPointName::FullName(names)) => {
            let uris = general_name_uris(names);
            if uris.is_empty() && !names.is_empty() {
                return Err("distribution point names other than URIs are not supported".into());
            }
            Ok(uris)
        }
        Some(DistributionPointName::NameRelativeToCRLIssuer(_)) => {
            Err("relative distribution point names are not supported".into())
        }
    }
}

/// One CRL entry, or `None` for a removeFromCRL entry (which lifts a hold, so nothing is revoked).
fn read_entry(revoked: &RevokedCertificate<'_>) -> Result<Option<(Vec<u8>, RevokedEntry)>, String> {
    for extension in revoked.extensions() {
        let oid = extension.oid.to_id_string();
        if oid == OID_CERTIFICATE_ISSUER {
            return Err("indirect CRL entries (certificateIssuer) are not supported".into());
        }
        if extension.critical && oid != OID_REASON_CODE && oid != OID_INVALIDITY_DATE {
            return Err(format!("unknown critical CRL entry extension {oid}"));
        }
    }
    let code = revoked.reason_code().map(|(_, reason)| reason.0);
    if code == Some(REASON_REMOVE_FROM_CRL) {
        return Ok(None);
    }
    let entry = RevokedEntry {
        revoked_at: to_datetime(revoked.revocation_date)?,
        reason: code.and_then(RevocationReason::from_code),
    };
    Ok(Some((normalized_serial(revoked.raw_serial()), entry)))
}
