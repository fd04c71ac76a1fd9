//! Path validation in the spirit of RFC 5280 §6: every certificate of the built chain is checked
//! at the validation time, and every check is recorded for the verdict.
//!
//! Simplifications, each on the safe side: trust anchors must be CA certificates and their
//! self-signature is not checked; name constraints are evaluated for directoryName and
//! rfc822Name only (`constraints.rs`), so a critical nameConstraints on another form is refused;
//! policy constraints, policy mappings and inhibitAnyPolicy are not evaluated, so a certificate
//! marking one of them critical is refused; certificate policies are not filtered (any policy is
//! acceptable). Self-issued intermediates (key rollover) do not count against pathLenConstraint
//! (§6.1.4 (l)) and are not held to name constraints unless they end the path (§6.1.3 (b)).
//!
//! Times are compared in whole seconds, the resolution of X.509 validity: a certificate is valid
//! through the whole second of its notAfter.
//!
//! Besides RFC 5280 §6, the profile rules the government PKI holds its CAs to
//! ([`check_profile`]; `CONFORMANCE.md` lists which RFC 5280 CA-side rules are enforced and why).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::constraints::{judge, Judgement, MAX_COMPARISONS};
use crate::crl::{CrlStatus, VerifiedCrl};
use crate::parse::{eku_name, Certificate, KeyUsageFlag};
use crate::path::Path;
use crate::revocation::OcspAnswer;
use crate::verdict::{
    ChainEntry, Check, CheckKind, Outcome, Purpose, RevocationInfo, RevocationPolicy, Verdict,
    VerdictStatus, SIGNING_EXTENDED_KEY_USAGES, TIMESTAMPING_EXTENDED_KEY_USAGE,
};

/// One piece of revocation evidence about a certificate.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Crl(Arc<VerifiedCrl>),
    Ocsp(Arc<OcspAnswer>),
}

impl Source {
    fn status(&self, certificate: &Certificate, at: DateTime<Utc>) -> CrlStatus {
        match self {
            Self::Crl(crl) => crl.status(certificate, at),
            Self::Ocsp(answer) => answer.status_at(at),
        }
    }
}

/// The revocation evidence found for one certificate of the chain: CRLs and OCSP answers, each
/// already verified against the certificate's issuer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Evidence {
    sources: Vec<Source>,
    /// Why no better evidence could be had (e.g. a failed download), or where it came from.
    note: Option<String>,
}

impl Evidence {
    pub(crate) fn from_store(crl: Option<Arc<VerifiedCrl>>) -> Self {
        Self {
            sources: crl.map(Source::Crl).into_iter().collect(),
            note: None,
        }
    }

    pub(crate) fn new(sources: Vec<Source>, note: Option<String>) -> Self {
        Self { sources, note }
    }

    pub(crate) fn sources(&self) -> &[Source] {
        &self.sources
    }

    pub(crate) fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    pub(crate) fn with_note(mut self, note: String) -> Self {
        self.note = Some(note);
        self
    }

    pub(crate) fn push(&mut self, source: Source) {
        self.sources.push(source);
    }

    /// Whether this evidence decides the status of `certificate` at `at`.
    pub(crate) fn covers(&self, certificate: &Certificate, at: DateTime<Utc>) -> bool {
        self.sources
            .iter()
            .any(|source| !matches!(source.status(certificate, at), CrlStatus::Unknown(_)))
    }

    /// The deciding answer: a revocation before `at` from any source (a CA never un-revokes),
    /// else the freshest source proving the certificate not revoked, else why none decides.
    fn status(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
        at: DateTime<Utc>,
    ) -> CrlStatus {
        let statuses: Vec<CrlStatus> = self
            .sources
            .iter()
            .map(|source| source.status(certificate, at))
            .collect();
        let revoked = statuses
            .iter()
            .filter(|status| matches!(status, CrlStatus::Revoked(..)))
            .min_by_key(|status| match status {
                CrlStatus::Revoked(entry, _) => Some(entry.revoked_at),
                _ => None,
            });
        let freshest = statuses
            .iter()
            .filter_map(|status| match status {
                CrlStatus::NotRevoked { issued, .. } => Some((*issued, status)),
                _ => None,
            })
            .max_by_key(|(issued, _)| *issued)
            .map(|(_, status)| status);
        let status = match revoked.or(freshest) {
            Some(status) => status.clone(),
            None => {
                let reasons: Vec<String> = statuses
                    .into_iter()
                    .filter_map(|status| match status {
                        CrlStatus::Unknown(reason) => Some(reason),
                        _ => None,
                    })
                    .collect();
                CrlStatus::Unknown(if reasons.is_empty() {
                    format!(
                        "no CRL or OCSP response from {} is available",
                        issuer.subject_text()
                    )
                } else {
                    reasons.join("; ")
                })
            }
        };
        match (status, &self.note) {
            (CrlStatus::Unknown(reason), Some(note)) => {
                CrlStatus::Unknown(format!("{reason}; {note}"))
            }
            (CrlStatus::NotRevoked { detail, issued }, Some(note)) => CrlStatus::NotRevoked {
                detail: format!("{detail} ({note})"),
                issued,
            },
            (status, _) => status,
        }
    }
}

/// Checks `path` and turns the findings into a verdict.
pub(crate) fn evaluate(
    path: &Path<'_>,
    evidence: &[Evidence],
    at: DateTime<Utc>,
    purpose: Purpose,
    policy: RevocationPolicy,
) -> Verdict {
    let mut findings = Findings::default();
    let last = path.certificates.len().saturating_sub(1);
    let mut comparisons = 0;
    for (index, certificate) in path.certificates.iter().enumerate() {
        let position = Position {
            index,
            certificate,
            issuer: path.certificates.get(index + 1).copied(),
            anchor: path.anchored && index == last,
        };
        check_signature(&mut findings, &position, path.signatures.get(index));
        check_validity(&mut findings, certificate, at);
        if index > 0 {
            check_issuer_role(&mut findings, &position, &path.certificates);
        } else if purpose == Purpose::Signing {
            check_signing_usage(&mut findings, certificate);
        } else if purpose == Purpose::Timestamping {
            check_timestamping_usage(&mut findings, certificate);
        }
        check_critical_extensions(&mut findings, certificate);
        if !position.anchor {
            check_profile(&mut findings, &position, path);
        }
        check_name_constraints(
            &mut findings,
            &position,
            &path.certificates,
            &mut comparisons,
        );
        if let (Some(issuer), false) = (position.issuer, position.anchor) {
            let evidence = evidence.get(index).cloned().unwrap_or_default();
            check_revocation(
                &mut findings,
                certificate,
                evidence.status(certificate, issuer, at),
                policy,
            );
        }
    }
    check_trust_anchor(&mut findings, path);
    findings.into_verdict(path, at, purpose, policy)
}

struct Position<'a> {
    index: usize,
    certificate: &'a Certificate,
    issuer: Option<&'a Certificate>,
    anchor: bool,
}

#[derive(Default)]
struct Findings {
    checks: Vec<Check>,
    /// The status each failed check leads to, aligned with `checks`.
    failures: Vec<Option<VerdictStatus>>,
    revocation: Option<RevocationInfo>,
}

impl Findings {
    fn record(
        &mut self,
        check: CheckKind,
        certificate: &Certificate,
        outcome: Outcome,
        detail: String,
        fails_with: Option<VerdictStatus>,
    ) {
        self.checks.push(Check {
            check,
            subject: certificate.subject_text().to_owned(),
            outcome,
            detail,
        });
        self.failures
            .push(fails_with.filter(|_| outcome == Outcome::Failed));
    }

    fn passed(&mut self, check: CheckKind, certificate: &Certificate, detail: String) {
        self.record(check, certificate, Outcome::Passed, detail, None);
    }

    fn skipped(&mut self, check: CheckKind, certificate: &Certificate, detail: String) {
        self.record(check, certificate, Outcome::Skipped, detail, None);
    }

    fn failed(
        &mut self,
        check: CheckKind,
        certificate: &Certificate,
        detail: String,
        status: VerdictStatus,
    ) {
        self.record(check, certificate, Outcome::Failed, detail, Some(status));
    }

    fn into_verdict(
        self,
        path: &Path<'_>,
        at: DateTime<Utc>,
        purpose: Purpose,
        policy: RevocationPolicy,
    ) -> Verdict {
        let worst = self
            .failures
            .iter()
            .enumerate()
            .filter_map(|(index, status)| status.map(|status| (status, index)))
            .min();
        let (status, summary) = match worst
            .and_then(|(status, index)| self.checks.get(index).map(|check| (status, check)))
        {
            Some((status, check)) => (status, format!("{}: {}", check.subject, check.detail)),
            None => (VerdictStatus::Valid, self.valid_summary(path, at)),
        };
        let last = path.certificates.len().saturating_sub(1);
        Verdict {
            status,
            summary,
            revocation: self.revocation.filter(|_| status == VerdictStatus::Revoked),
            chain: path
                .certificates
                .iter()
                .enumerate()
                .map(|(index, certificate)| {
                    ChainEntry::new(certificate, path.anchored && index == last)
                })
                .collect(),
            checks: self.checks,
            validated_at: at,
            purpose,
            revocation_policy: policy,
        }
    }

    fn valid_summary(&self, path: &Path<'_>, at: DateTime<Utc>) -> String {
        let root = path
            .certificates
            .last()
            .map(|root| root.subject_text())
            .unwrap_or_default();
        let unchecked = self
            .checks
            .iter()
            .filter(|check| {
                check.check == CheckKind::Revocation && check.outcome == Outcome::Skipped
            })
            .count();
        let caveat = if unchecked > 0 {
            format!("; revocation not checked for {unchecked} certificate(s)")
        } else {
            String::new()
        };
        format!(
            "valid at {at}: chain of {} certificate(s) to the trusted root {root}{caveat}",
            path.certificates.len()
        )
    }
}

fn check_signature(
    findings: &mut Findings,
    position: &Position<'_>,
    signature: Option<&Result<(), String>>,
) {
    let certificate = position.certificate;
    let algorithm = &certificate.info().signature_algorithm;
    match (signature, position.issuer) {
        (Some(Ok(())), Some(issuer)) => findings.passed(
            CheckKind::Signature,
            certificate,
            format!("signed by {} ({algorithm})", issuer.subject_text()),
        ),
        (Some(Err(reason)), Some(issuer)) => findings.failed(
            CheckKind::Signature,
            certificate,
            format!(
                "signature by {} does not verify: {reason}",
                issuer.subject_text()
            ),
            VerdictStatus::BadSignature,
        ),
        _ if position.anchor => findings.skipped(
            CheckKind::Signature,
            certificate,
            "trusted root: trusted by configuration, its self-signature is not checked".into(),
        ),
        _ => findings.skipped(
            CheckKind::Signature,
            certificate,
            format!(
                "issuer {} not found: the signature cannot be checked",
                certificate.info().issuer.text
            ),
        ),
    }
}

fn check_validity(findings: &mut Findings, certificate: &Certificate, at: DateTime<Utc>) {
    let info = certificate.info();
    let period = format!("valid from {} to {}", info.not_before, info.not_after);
    // X.509 times have one-second resolution: notAfter covers its whole second.
    let second = at.timestamp();
    if second < info.not_before.timestamp() {
        findings.failed(
            CheckKind::Validity,
            certificate,
            format!("not yet valid at {at}: {period}"),
            VerdictStatus::NotYetValid,
        );
    } else if second > info.not_after.timestamp() {
        findings.failed(
            CheckKind::Validity,
            certificate,
            format!("expired at {at}: {period}"),
            VerdictStatus::Expired,
        );
    } else {
        findings.passed(CheckKind::Validity, certificate, period);
    }
}

/// Checks of a certificate that issued the one below it in the chain.
fn check_issuer_role(findings: &mut Findings, position: &Position<'_>, chain: &[&Certificate]) {
    let certificate = position.certificate;
    let info = certificate.info();
    if certificate.has_empty_subject() {
        findings.failed(
            CheckKind::BasicConstraints,
            certificate,
            "a CA certificate with an empty subject: an issuer must be named (RFC 5280 §4.1.2.6)"
                .into(),
            VerdictStatus::ConstraintViolation,
        );
    }
    if info.is_ca {
        findings.passed(
            CheckKind::BasicConstraints,
            certificate,
            "is a CA (basicConstraints cA)".into(),
        );
    } else {
        findings.failed(
            CheckKind::BasicConstraints,
            certificate,
            "issued a certificate but is not a CA (basicConstraints cA is not set)".into(),
            VerdictStatus::ConstraintViolation,
        );
    }
    if let Some(limit) = info
        .basic_constraints
        .and_then(|constraints| constraints.path_len)
    {
        // CA certificates between this one and the leaf, self-issued ones (key rollover) not
        // counted (RFC 5280 §6.1.4 (l)).
        let below = chain
            .get(1..position.index)
            .unwrap_or_default()
            .iter()
            .filter(|intermediate| !intermediate.is_self_issued())
            .count();
        let detail = format!(
            "pathLenConstraint {limit}, {below} CA certificate(s) below it, self-issued ones not \
             counted"
        );
        if u32::try_from(below).map_or(true, |below| below > limit) {
            findings.failed(
                CheckKind::PathLength,
                certificate,
                detail,
                VerdictStatus::ConstraintViolation,
            );
        } else {
            findings.passed(CheckKind::PathLength, certificate, detail);
        }
    }
    match certificate.has_key_usage(KeyUsageFlag::KeyCertSign) {
        Some(true) => findings.passed(
            CheckKind::KeyUsage,
            certificate,
            "keyUsage allows keyCertSign".into(),
        ),
        Some(false) => findings.failed(
            CheckKind::KeyUsage,
            certificate,
            "keyUsage does not allow keyCertSign, so it cannot issue certificates".into(),
            VerdictStatus::WrongKeyUsage,
        ),
        None => findings.passed(
            CheckKind::KeyUsage,
            certificate,
            "no keyUsage extension: usage not restricted".into(),
        ),
    }
}

fn check_signing_usage(findings: &mut Findings, certificate: &Certificate) {
    let signs = [KeyUsageFlag::DigitalSignature, KeyUsageFlag::NonRepudiation]
        .into_iter()
        .map(|flag| certificate.has_key_usage(flag))
        .collect::<Vec<_>>();
    match signs.as_slice() {
        [None, ..] => findings.passed(
            CheckKind::KeyUsage,
            certificate,
            "no keyUsage extension: usage not restricted".into(),
        ),
        [Some(false), Some(false)] => findings.failed(
            CheckKind::KeyUsage,
            certificate,
            "keyUsage allows neither digitalSignature nor nonRepudiation: not a signing certificate".into(),
            VerdictStatus::WrongKeyUsage,
        ),
        _ => findings.passed(
            CheckKind::KeyUsage,
            certificate,
            "keyUsage allows digitalSignature or nonRepudiation".into(),
        ),
    }
    let Some(usages) = &certificate.extended_key_usage_oids else {
        return;
    };
    let allowed = usages.iter().find_map(|oid| {
        SIGNING_EXTENDED_KEY_USAGES
            .iter()
            .find(|(allowed, _)| allowed == oid)
            .map(|(_, name)| *name)
    });
    match allowed {
        Some(name) => findings.passed(
            CheckKind::ExtendedKeyUsage,
            certificate,
            format!("extendedKeyUsage allows document signing ({name})"),
        ),
        None => findings.failed(
            CheckKind::ExtendedKeyUsage,
            certificate,
            format!(
                "extendedKeyUsage ({}) does not include a document-signing usage",
                usages
                    .iter()
                    .map(|oid| eku_name(oid))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            VerdictStatus::WrongKeyUsage,
        ),
    }
}

/// RFC 3161 §2.3: a TSA certificate has exactly one extended key usage, timeStamping, in a
/// critical extension; its keyUsage, if any, allows signing and nothing else.
fn check_timestamping_usage(findings: &mut Findings, certificate: &Certificate) {
    match &certificate.info().key_usage {
        None => findings.passed(
            CheckKind::KeyUsage,
            certificate,
            "no keyUsage extension: usage not restricted".into(),
        ),
        Some(flags)
            if !flags.is_empty()
                && flags.iter().all(|flag| {
                    matches!(
                        flag,
                        KeyUsageFlag::DigitalSignature | KeyUsageFlag::NonRepudiation
                    )
                }) =>
        {
            findings.passed(
                CheckKind::KeyUsage,
                certificate,
                "keyUsage allows only digitalSignature and/or nonRepudiation".into(),
            )
        }
        Some(_) => findings.failed(
            CheckKind::KeyUsage,
            certificate,
            "keyUsage of a timestamping certificate must allow digitalSignature and/or \
             nonRepudiation and nothing else (RFC 3161 §2.3)"
                .into(),
            VerdictStatus::WrongKeyUsage,
        ),
    }
    let problem = match &certificate.extended_key_usage_oids {
        None => Some("no extendedKeyUsage extension: a TSA certificate needs timeStamping".into()),
        Some(usages) if usages.as_slice() != [TIMESTAMPING_EXTENDED_KEY_USAGE] => Some(format!(
            "extendedKeyUsage ({}) must hold timeStamping and nothing else",
            usages
                .iter()
                .map(|oid| eku_name(oid))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Some(_) if !certificate.extended_key_usage_critical => {
            Some("extendedKeyUsage timeStamping is not marked critical".to_owned())
        }
        Some(_) => None,
    };
    match problem {
        None => findings.passed(
            CheckKind::ExtendedKeyUsage,
            certificate,
            "critical extendedKeyUsage allows timestamping only (RFC 3161 §2.3)".into(),
        ),
        Some(detail) => findings.failed(
            CheckKind::ExtendedKeyUsage,
            certificate,
            format!("{detail} (RFC 3161 §2.3)"),
            VerdictStatus::WrongKeyUsage,
        ),
    }
}

/// The RFC 5280 rules on issuing CAs that the government PKI holds its CAs to, where a
/// relying party can see them broken (`CONFORMANCE.md` lists the rules left to the CAs):
/// a positive serial number (§4.1.2.2, CRLs and OCSP find certificates by it); an
/// authorityKeyIdentifier on a certificate issued by an intermediate CA (§4.2.1.1, the
/// intermediates are re-keyed and the identifier tells which key signed); keyCertSign only in a
/// CA certificate (§4.2.1.3); and, when the subject is empty, a critical subjectAltName
/// (§4.2.1.6), without which the certificate names nobody.
fn check_profile(findings: &mut Findings, position: &Position<'_>, path: &Path<'_>) {
    let certificate = position.certificate;
    let mut broken = Vec::new();
    if !certificate.serial_positive {
        broken.push("its serial number is zero or negative (RFC 5280 §4.1.2.2)");
    }
    let issued_by_intermediate = position.issuer.is_some()
        && !(path.anchored && position.index + 2 == path.certificates.len());
    if issued_by_intermediate && certificate.authority_key_id.is_none() {
        broken.push(
            "it was issued by an intermediate CA but has no authorityKeyIdentifier \
             (RFC 5280 §4.2.1.1)",
        );
    }
    if certificate.has_key_usage(KeyUsageFlag::KeyCertSign) == Some(true)
        && !certificate.info().is_ca
    {
        broken.push("its keyUsage has keyCertSign but it is not a CA (RFC 5280 §4.2.1.3)");
    }
    if certificate.has_empty_subject() && certificate.subject_alt_name_critical != Some(true) {
        broken.push(
            "its subject is empty and no critical subjectAltName names it (RFC 5280 §4.2.1.6)",
        );
    }
    if broken.is_empty() {
        findings.passed(
            CheckKind::Profile,
            certificate,
            "follows the certificate profile (serial, key identifiers, usages, names)".into(),
        );
    } else {
        findings.failed(
            CheckKind::Profile,
            certificate,
            format!("breaks the certificate profile: {}", broken.join("; ")),
            VerdictStatus::ConstraintViolation,
        );
    }
}

/// RFC 5280 §6.1.3 (b)(c): the certificate's names against the name constraints of every CA
/// above it. A self-issued intermediate is not checked (key rollover keeps the CA's name).
fn check_name_constraints(
    findings: &mut Findings,
    position: &Position<'_>,
    chain: &[&Certificate],
    comparisons: &mut usize,
) {
    let certificate = position.certificate;
    let above = chain.get(position.index + 1..).unwrap_or_default();
    let mut constraints = above
        .iter()
        .filter_map(|authority| authority.name_constraints.as_ref())
        .peekable();
    if constraints.peek().is_none() {
        return;
    }
    if position.index > 0 && certificate.is_self_issued() {
        findings.skipped(
            CheckKind::NameConstraints,
            certificate,
            "self-issued CA certificate: name constraints apply to the certificates it issues"
                .into(),
        );
        return;
    }
    match judge(&certificate.names, constraints, comparisons) {
        Judgement::Within => findings.passed(
            CheckKind::NameConstraints,
            certificate,
            "its names are within the name constraints of the CAs above it".into(),
        ),
        Judgement::Violates(reason) => findings.failed(
            CheckKind::NameConstraints,
            certificate,
            format!("name constraints of a CA above it: {reason}"),
            VerdictStatus::ConstraintViolation,
        ),
        Judgement::TooMuchWork(spent) => findings.failed(
            CheckKind::NameConstraints,
            certificate,
            format!(
                "checking the name constraints would take {spent} comparisons, more than the \
                 {MAX_COMPARISONS} allowed"
            ),
            VerdictStatus::ConstraintViolation,
        ),
    }
}

fn check_critical_extensions(findings: &mut Findings, certificate: &Certificate) {
    let unhandled = &certificate.unhandled_critical_extensions;
    if unhandled.is_empty() {
        findings.passed(
            CheckKind::CriticalExtensions,
            certificate,
            "every critical extension is understood".into(),
        );
    } else {
        findings.failed(
            CheckKind::CriticalExtensions,
            certificate,
            format!(
                "critical extension(s) not understood: {}",
                unhandled.join(", ")
            ),
            VerdictStatus::ConstraintViolation,
        );
    }
}

fn check_revocation(
    findings: &mut Findings,
    certificate: &Certificate,
    status: CrlStatus,
    policy: RevocationPolicy,
) {
    match status {
        CrlStatus::NotRevoked { detail, .. } => {
            findings.passed(CheckKind::Revocation, certificate, detail)
        }
        CrlStatus::Revoked(entry, source) => {
            let reason = entry
                .reason
                .map(|reason| format!(" ({})", reason.name()))
                .unwrap_or_default();
            findings.failed(
                CheckKind::Revocation,
                certificate,
                format!("revoked on {}{reason}, {source}", entry.revoked_at),
                VerdictStatus::Revoked,
            );
            findings.revocation.get_or_insert(RevocationInfo {
                subject: certificate.subject_text().to_owned(),
                serial: certificate.info().serial.clone(),
                revoked_at: entry.revoked_at,
                reason: entry.reason,
            });
        }
        CrlStatus::Unknown(reason) => match policy {
            RevocationPolicy::Require => findings.failed(
                CheckKind::Revocation,
                certificate,
                format!("revocation status unknown: {reason}"),
                VerdictStatus::RevocationUnknown,
            ),
            RevocationPolicy::BestEffort => findings.skipped(
                CheckKind::Revocation,
                certificate,
                format!("revocation not checked (best effort): {reason}"),
            ),
        },
    }
}

/// Why no chain was found although certificates named like the issuers were there.
fn untried_paths(path: &Path<'_>) -> String {
    let effort = path.effort;
    let mut limits = Vec::new();
    if effort.length_limit_reached {
        limits.push(format!(
            "chains stop at {} certificates",
            crate::path::MAX_CHAIN_LENGTH
        ));
    }
    if effort.signature_checks_exhausted {
        limits.push(format!(
            "the search stops after {} signature checks",
            crate::path::MAX_SIGNATURE_CHECKS
        ));
    }
    let limits = if limits.is_empty() {
        String::new()
    } else {
        format!(" ({})", limits.join("; "))
    };
    format!(
        "no path to a trusted root: {} candidate issuer certificate(s) were tried, none leads to a \
         trusted root{limits}",
        effort.candidates.max(effort.named_like_last_issuer)
    )
}

fn check_trust_anchor(findings: &mut Findings, path: &Path<'_>) {
    let Some(last) = path.certificates.last() else {
        return;
    };
    if path.anchored {
        findings.passed(
            CheckKind::TrustAnchor,
            last,
            "the chain ends at this trusted root".into(),
        );
        return;
    }
    let detail = if let Some(anchor) = path.impersonated_anchor {
        format!(
            "the chain ends at a certificate named like the trusted root {} but with another key \
             (fingerprint {}, the trusted root's is {}): untrusted",
            anchor.subject_text(),
            last.info().fingerprint_sha256,
            anchor.info().fingerprint_sha256
        )
    } else if last.subject_der == last.issuer_der && crate::path::is_self_signed(last) {
        "self-signed, but not a trusted root of the store".to_owned()
    } else if path.effort.issuers_were_there() {
        untried_paths(path)
    } else {
        format!(
            "no path to a trusted root: issuer {} is neither in the trust store nor supplied",
            last.info().issuer.text
        )
    };
    findings.failed(
        CheckKind::TrustAnchor,
        last,
        detail,
        VerdictStatus::Untrusted,
    );
}
