//! The outcome of a validation, built so that a person can read why a certificate was accepted
//! or refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::crl::RevocationReason;
use crate::parse::Certificate;

/// What the certificate is validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Signing documents: the leaf needs keyUsage digitalSignature or nonRepudiation, and an
    /// extendedKeyUsage, when present, from [`SIGNING_EXTENDED_KEY_USAGES`].
    #[default]
    Signing,
    /// Signing RFC 3161 timestamps (§2.3): the leaf needs a critical extendedKeyUsage holding
    /// only timeStamping ([`TIMESTAMPING_EXTENDED_KEY_USAGE`]), and a keyUsage, when present,
    /// limited to digitalSignature and nonRepudiation.
    Timestamping,
    /// Chain checks only: the leaf's keyUsage and extendedKeyUsage are not looked at.
    Any,
}

/// Extended key usages that allow a leaf to sign documents. A certificate whose extendedKeyUsage
/// lists none of them (for example only codeSigning, serverAuth or clientAuth) was not issued for
/// signing documents.
pub const SIGNING_EXTENDED_KEY_USAGES: &[(&str, &str)] = &[
    ("2.5.29.37.0", "anyExtendedKeyUsage"),
    ("1.3.6.1.5.5.7.3.4", "emailProtection"),
    ("1.3.6.1.5.5.7.3.36", "documentSigning (RFC 9336)"),
    ("1.3.6.1.4.1.311.10.3.12", "Microsoft document signing"),
    ("1.2.840.113583.1.1.5", "Adobe Authentic Documents Trust"),
];

/// id-kp-timeStamping (RFC 5280 §4.2.1.12): the only extended key usage a TSA certificate may
/// have.
pub const TIMESTAMPING_EXTENDED_KEY_USAGE: &str = "1.3.6.1.5.5.7.3.8";

/// Whether revocation information is mandatory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevocationPolicy {
    /// Without a usable CRL for every certificate below the root the verdict is
    /// `revocation_unknown`.
    #[default]
    Require,
    /// Use CRLs when available; a missing or stale CRL is reported as a skipped check and does not
    /// change the verdict.
    BestEffort,
}

/// Overall result.
///
/// Variants are declared in order of precedence: when several problems are found, the verdict
/// is the first of them in this list. Problems that make the certificate worthless whatever the
/// date (forgery, unknown origin, misuse) come first, then the CA's explicit revocation, then
/// dates, and last the mere absence of revocation evidence.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum VerdictStatus {
    /// A signature in the chain does not verify or uses a refused algorithm or key.
    BadSignature,
    /// No chain leads to a trusted root.
    Untrusted,
    /// A certificate breaks a structural rule: an issuer is not a CA, a path length limit is
    /// exceeded, or a critical extension is not understood.
    ConstraintViolation,
    /// keyUsage or extendedKeyUsage does not allow this use.
    WrongKeyUsage,
    /// A certificate of the chain was revoked before the validation time.
    Revoked,
    /// A certificate of the chain had expired at the validation time.
    Expired,
    /// A certificate of the chain was not yet valid at the validation time.
    NotYetValid,
    /// No usable CRL or OCSP answer for a certificate of the chain (missing, stale, or badly
    /// signed).
    RevocationUnknown,
    /// Every check passed.
    Valid,
}

/// Details of a revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RevocationInfo {
    /// Subject of the revoked certificate.
    pub subject: String,
    /// Its serial number, hex.
    pub serial: String,
    /// When it was revoked.
    pub revoked_at: DateTime<Utc>,
    /// Why, when the CRL or OCSP response says.
    pub reason: Option<RevocationReason>,
}

/// One certificate of the chain that was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChainEntry {
    /// Subject, RFC 4514 text.
    pub subject: String,
    /// Issuer, RFC 4514 text.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint_sha256: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// Whether this certificate is a trusted root of the store.
    pub trust_anchor: bool,
}

impl ChainEntry {
    pub(crate) fn new(certificate: &Certificate, trust_anchor: bool) -> Self {
        let info = certificate.info();
        Self {
            subject: info.subject.text.clone(),
            issuer: info.issuer.text.clone(),
            serial: info.serial.clone(),
            fingerprint_sha256: info.fingerprint_sha256.clone(),
            not_before: info.not_before,
            not_after: info.not_after,
            trust_anchor,
        }
    }
}

/// The kind of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The issuer's signature on the certificate.
    Signature,
    /// notBefore ≤ validation time ≤ notAfter.
    Validity,
    /// The issuer is a CA (basicConstraints cA).
    BasicConstraints,
    /// The issuer's pathLenConstraint allows the CAs below it.
    PathLength,
    /// keyUsage allows the use (keyCertSign for issuers; signing for the leaf).
    KeyUsage,
    /// extendedKeyUsage allows the use.
    ExtendedKeyUsage,
    /// Every critical extension is understood.
    CriticalExtensions,
    /// The certificate's names are within the name constraints of the CAs above it
    /// (directoryName and rfc822Name, RFC 5280 §4.2.1.10).
    NameConstraints,
    /// The certificate follows the profile rules the government PKI holds CAs to: a positive
    /// serial, an authorityKeyIdentifier when issued by an intermediate, keyCertSign only in CA
    /// certificates, a critical subjectAltName when the subject is empty.
    Profile,
    /// The certificate is not revoked according to its issuer's CRL or OCSP responder.
    Revocation,
    /// The chain ends at a trusted root.
    TrustAnchor,
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check passed.
    Passed,
    /// The check failed; the verdict reflects it.
    Failed,
    /// The check did not apply or could not be made, without affecting the verdict.
    Skipped,
}

/// One check performed during validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Check {
    /// What was checked.
    pub check: CheckKind,
    /// Subject of the certificate checked, RFC 4514 text.
    pub subject: String,
    /// How it ended.
    pub outcome: Outcome,
    /// A sentence saying what was found.
    pub detail: String,
}

/// The result of validating a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    /// Overall status; see [`VerdictStatus`] for the precedence between problems.
    pub status: VerdictStatus,
    /// One sentence explaining the status.
    pub summary: String,
    /// Set when the status is `revoked`.
    pub revocation: Option<RevocationInfo>,
    /// The chain that was built, leaf first.
    pub chain: Vec<ChainEntry>,
    /// Every check performed, leaf first.
    pub checks: Vec<Check>,
    /// The time the certificate was validated at.
    pub validated_at: DateTime<Utc>,
    /// The purpose validated for.
    pub purpose: Purpose,
    /// The revocation policy applied.
    pub revocation_policy: RevocationPolicy,
}

impl Verdict {
    /// Whether the status is `valid`.
    pub fn is_valid(&self) -> bool {
        self.status == VerdictStatus::Valid
    }

    /// The failed checks, in order.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|check| check.outcome == Outcome::Failed)
    }
}
