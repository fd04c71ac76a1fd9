//! Verifying a detached signature: structure, digest, signature value, signing-certificate
//! attribute, then the signer certificate at the claimed signing time and now.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attributes::{self, SigningCertificateMismatch};
pub(crate) use super::context::Context;
use super::long_term;
use super::oid;
use super::parse::{self, SignerInfo};
use super::report::{
    CertificateValidation, Indication, SignatureCheck, SignatureCheckKind, SignatureReport,
    SignerIdentity, SubIndication, ValidationMoment,
};
use crate::budget::{Budget, BudgetExceeded};
use crate::der;
use crate::error::PkiError;
use crate::pades::VerifyOptions;
use crate::parse::Certificate;
use crate::signature::{self, SignatureAlgorithm};
use crate::store::TrustStore;
use crate::verdict::{Outcome, Purpose, RevocationPolicy};

/// Verifies a detached CMS signature (DER ContentInfo) of `content`.
///
/// The signer certificate is looked for in the signature, then in `supplied`; CA certificates
/// from both help build the chain. The certificate is validated for signing with `store` at
/// `validation_time` under `policy`, and at the claimed signing time for its validity dates.
///
/// Errors are for input that is not a SignedData with exactly one SignerInfo; every problem
/// with a readable signature is reported in the [`SignatureReport`].
pub fn verify_detached(
    cms: &[u8],
    content: &[u8],
    store: &TrustStore,
    supplied: &[Certificate],
    validation_time: DateTime<Utc>,
    policy: RevocationPolicy,
) -> Result<SignatureReport, PkiError> {
    let budget = Budget::unlimited();
    let context = Context::new(store, supplied, validation_time, policy, &budget);
    verify(cms, &[content], &context)
}

/// Verifies a CMS signature with the same checks as [`verify_detached`], within the budget of
/// `options`: over `content` when it is given (a detached signature), else over the content the
/// signature holds (`application/pkcs7-signature` made with the content inside, e.g.
/// `openssl cms -sign -nodetach`).
///
/// Errors are for input that is not a SignedData with exactly one SignerInfo, or that holds no
/// content when none is given.
pub fn verify_cms(
    cms: &[u8],
    content: Option<&[u8]>,
    options: &VerifyOptions<'_>,
) -> Result<CmsVerification, PkiError> {
    let context = Context::new(
        options.store,
        options.supplied,
        options.validation_time,
        options.policy,
        &options.budget,
    );
    let parsed = parse::signed_data(cms)?;
    let (form, content) = match (content, parsed.content) {
        (Some(content), _) => (CmsForm::Detached, content),
        (None, Some(inside)) => (CmsForm::Attached, inside),
        (None, None) => {
            return Err(PkiError::InvalidCms(
                "the signature holds no content: it is a detached signature, verify it with \
                 the signed data"
                    .into(),
            ))
        }
    };
    let encapsulation = match form {
        CmsForm::Detached => Encapsulation::Detached,
        CmsForm::Attached => Encapsulation::Attached,
    };
    let signature = verify_parsed(
        &parsed,
        &[content],
        encapsulation,
        &Profile::SIGNATURE,
        &context,
    )?;
    Ok(CmsVerification {
        form,
        content_length: u64::try_from(content.len()).unwrap_or(u64::MAX),
        content_sha256: hex::encode(openssl::sha::sha256(content)),
        signature,
    })
}

/// Where the signed content of a CMS signature was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CmsForm {
    /// Beside the signature (a detached signature and its data).
    Detached,
    /// Inside the signature.
    Attached,
}

/// The verification of a CMS signature and what it signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CmsVerification {
    /// Whether the content came beside the signature or inside it.
    pub form: CmsForm,
    /// Length of the signed content, in bytes.
    pub content_length: u64,
    /// SHA-256 of the signed content, hex: which content the report is about.
    pub content_sha256: String,
    /// The signature.
    pub signature: SignatureReport,
}

/// Whether the content is expected inside the signature or beside it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encapsulation {
    Detached,
    Attached,
}

/// What kind of SignedData is expected: a document signature, or an RFC 3161 timestamp token.
#[derive(Clone, Copy)]
pub(crate) struct Profile {
    /// The eContentType, and value of the content-type attribute, expected (dotted).
    pub(crate) content_type: &'static str,
    /// Its name, for messages.
    pub(crate) content_type_name: &'static str,
    /// What the signer certificate is validated for.
    pub(crate) purpose: Purpose,
    /// Whether the SHA-1 signing-certificate attribute (v1) binds the certificate when v2 is
    /// absent: RFC 3161 §2.4.1 allows it in tokens, CAdES baseline does not in signatures.
    pub(crate) signing_certificate_v1: bool,
    /// Whether the time given outside the CMS (`Context::claimed_time_outside`, a token's
    /// genTime) takes the place of any signing-time attribute.
    pub(crate) outside_time_first: bool,
}

impl Profile {
    /// A CAdES / PAdES signature of data.
    pub(crate) const SIGNATURE: Profile = Profile {
        content_type: oid::DATA,
        content_type_name: "id-data",
        purpose: Purpose::Signing,
        signing_certificate_v1: false,
        outside_time_first: false,
    };
}

/// Checks and problems found so far; the indication is the first TOTAL_FAILED problem, else the
/// first INDETERMINATE one, because a proven failure outweighs a missing proof.
#[derive(Default)]
pub(super) struct Findings {
    checks: Vec<SignatureCheck>,
    problems: Vec<(Indication, SubIndication, String)>,
}

impl Findings {
    fn passed(&mut self, check: SignatureCheckKind, detail: impl Into<String>) {
        self.push(check, Outcome::Passed, detail.into());
    }

    fn skipped(&mut self, check: SignatureCheckKind, detail: impl Into<String>) {
        self.push(check, Outcome::Skipped, detail.into());
    }

    fn failed(
        &mut self,
        check: SignatureCheckKind,
        indication: Indication,
        sub_indication: SubIndication,
        detail: impl Into<String>,
    ) {
        let detail = detail.into();
        self.problems
            .push((indication, sub_indication, detail.clone()));
        self.push(check, Outcome::Failed, detail);
    }

    pub(super) fn push(&mut self, check: SignatureCheckKind, outcome: Outcome, detail: String) {
        self.checks.push(SignatureCheck {
            check,
            outcome,
            detail,
        });
    }

    fn conclusion(&self) -> (Indication, Option<SubIndication>, String) {
        let first = |wanted: Indication| {
            self.problems
                .iter()
                .find(|(indication, _, _)| *indication == wanted)
        };
        match first(Indication::TotalFailed).or_else(|| first(Indication::Indeterminate)) {
            Some((indication, sub_indication, detail)) => {
                (*indication, Some(*sub_indication), detail.clone())
            }
            None => (
                Indication::TotalPassed,
                None,
                "the signature is valid and its certificate trusted".into(),
            ),
        }
    }
}

/// Verifies `cms` over the content made of `content` parts, in order (a PDF's two byte ranges
/// are hashed where they lie, without being copied together).
pub(crate) fn verify(
    cms: &[u8],
    content: &[&[u8]],
    context: &Context<'_>,
) -> Result<SignatureReport, PkiError> {
    let parsed = parse::signed_data(cms)?;
    verify_parsed(
        &parsed,
        content,
        Encapsulation::Detached,
        &Profile::SIGNATURE,
        context,
    )
}

/// The certificate of the only signer of `parsed`, from the signature or `supplied`.
pub(crate) fn signer_certificate<'a>(
    parsed: &'a parse::SignedData<'_>,
    supplied: &'a [Certificate],
) -> Option<&'a Certificate> {
    let [signer] = parsed.signer_infos.as_slice() else {
        return None;
    };
    parsed
        .certificates
        .iter()
        .chain(supplied)
        .find(|certificate| signer.sid.matches(certificate))
}

pub(crate) fn verify_parsed(
    parsed: &parse::SignedData<'_>,
    content: &[&[u8]],
    encapsulation: Encapsulation,
    profile: &Profile,
    context: &Context<'_>,
) -> Result<SignatureReport, PkiError> {
    use SignatureCheckKind as Kind;
    let [signer] = parsed.signer_infos.as_slice() else {
        return Err(PkiError::InvalidCms(format!(
            "exactly one SignerInfo is supported, found {}",
            parsed.signer_infos.len()
        )));
    };
    let mut findings = Findings::default();
    check_format(parsed, signer, encapsulation, profile, &mut findings);

    let certificate = parsed
        .certificates
        .iter()
        .chain(context.supplied)
        .find(|certificate| signer.sid.matches(certificate));
    let Some(certificate) = certificate else {
        findings.failed(
            Kind::SignerCertificate,
            Indication::Indeterminate,
            SubIndication::NoSigningCertificateFound,
            "the signer certificate is neither in the signature nor supplied",
        );
        return Ok(report(findings, None, None, signer, Vec::new(), context));
    };
    findings.passed(
        Kind::SignerCertificate,
        format!("signed by {}", certificate.info().subject.text),
    );
    check_digest(signer, content, context.budget, &mut findings);
    if let Err(stop) = context.budget.check() {
        // Stopped: only a failure already proven stands, nothing else is concluded.
        let stopped = |(_, sub_indication, _): &(Indication, SubIndication, String)| {
            *sub_indication == SubIndication::BudgetExceeded
        };
        if !findings.problems.iter().any(stopped) {
            findings.failed(
                Kind::SignatureValue,
                Indication::Indeterminate,
                SubIndication::BudgetExceeded,
                stop.to_string(),
            );
        }
        return Ok(report(
            findings,
            Some(certificate),
            None,
            signer,
            Vec::new(),
            context,
        ));
    }
    check_signature_value(signer, certificate, &mut findings);
    check_signing_certificate(signer, certificate, profile, &mut findings);
    let claimed = claimed_signing_time(signer, profile, context, &mut findings);

    let timestamps = if profile.purpose == Purpose::Signing {
        long_term::signature_timestamps(signer, context, &mut findings)
    } else {
        Vec::new()
    };
    let proof = long_term::proof_of_existence(&timestamps, context.archival_proof);
    let mut extra = parsed.certificates.clone();
    extra.extend(context.supplied.iter().cloned());
    let validate = |at, policy| context.validate(certificate, &extra, at, profile.purpose, policy);
    let now = validate(context.validation_time, context.policy);
    // Revocation is judged from the freshest evidence (at validation time, with the revocation
    // date); the claimed time only decides whether the dates of the certificate fit.
    let at_signing = claimed.map(|at| validate(at, RevocationPolicy::BestEffort));
    let at_proof = proof
        .as_ref()
        .map(|proof| validate(proof.time, context.policy));
    let problem = long_term::certificate_problem(&now, at_signing.as_ref(), claimed);
    match long_term::decide(
        problem,
        &now,
        at_proof.as_ref().zip(proof.as_ref()),
        claimed,
    ) {
        Err((indication, sub_indication, detail)) => findings.failed(
            Kind::CertificateValidation,
            indication,
            sub_indication,
            detail,
        ),
        Ok(detail) => findings.passed(Kind::CertificateValidation, detail),
    }
    let level = Some(long_term::level_of_form(&timestamps, context));
    let mut validations = Vec::new();
    if let Some(verdict) = at_signing {
        validations.push(CertificateValidation {
            moment: ValidationMoment::ClaimedSigningTime,
            verdict,
        });
    }
    if let Some(verdict) = at_proof {
        validations.push(CertificateValidation {
            moment: ValidationMoment::ProofOfExistence,
            verdict,
        });
    }
    validations.push(CertificateValidation {
        moment: ValidationMoment::ValidationTime,
        verdict: now,
    });
    let mut report = report(
        findings,
        Some(certificate),
        claimed,
        signer,
        validations,
        context,
    );
    report.timestamps = timestamps;
    report.proof_of_existence = proof;
    report.level = level;
    Ok(report)
}

fn report(
    findings: Findings,
    certificate: Option<&Certificate>,
    claimed_signing_time: Option<DateTime<Utc>>,
    signer: &SignerInfo<'_>,
    certificate_validations: Vec<CertificateValidation>,
    context: &Context<'_>,
) -> SignatureReport {
    let (indication, sub_indication, summary) = findings.conclusion();
    SignatureReport {
        indication,
        sub_indication,
        summary,
        signer: certificate.map(SignerIdentity::new),
        claimed_signing_time,
        signature_algorithm: signer.signature_algorithm.name(),
        certificate_validations,
        checks: findings.checks,
        validated_at: context.validation_time,
        timestamps: Vec::new(),
        proof_of_existence: None,
        level: None,
    }
}

fn check_format(
    parsed: &parse::SignedData<'_>,
    signer: &SignerInfo<'_>,
    encapsulation: Encapsulation,
    profile: &Profile,
    findings: &mut Findings,
) {
    let mut problems = Vec::new();
    if parsed.has_content && encapsulation == Encapsulation::Detached {
        problems.push("the content is inside the signature, a detached one was expected".into());
    }
    if parsed.content_type != profile.content_type {
        problems.push(format!(
            "the signed content type is {}, not {}",
            parsed.content_type, profile.content_type_name
        ));
    }
    if signer.attributes.is_empty() {
        problems.push("the signature has no signed attributes".into());
    }
    match signer.single_value(oid::CONTENT_TYPE) {
        Ok(Some(value))
            if der::oid(profile.content_type).is_ok_and(|wanted| wanted == value.encoded) => {}
        Ok(Some(_)) => problems.push(format!(
            "the content-type attribute is not {}",
            profile.content_type_name
        )),
        Ok(None) => problems.push("the content-type attribute is missing".into()),
        Err(problem) => problems.push(problem),
    }
    if problems.is_empty() {
        let form = match encapsulation {
            Encapsulation::Detached => "a detached signature of data with signed attributes",
            Encapsulation::Attached => "a signature holding its data, with signed attributes",
        };
        findings.passed(SignatureCheckKind::Format, form);
    } else {
        findings.failed(
            SignatureCheckKind::Format,
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            problems.join("; "),
        );
    }
}

/// Bytes hashed between two checks of the budget.
const DIGEST_CHUNK: usize = 1 << 20;

/// Why a digest was not computed.
enum DigestStopped {
    Crypto(openssl::error::ErrorStack),
    Budget(BudgetExceeded),
}

impl From<openssl::error::ErrorStack> for DigestStopped {
    fn from(error: openssl::error::ErrorStack) -> Self {
        Self::Crypto(error)
    }
}

/// The digest of the parts in order, hashed a chunk at a time with the budget checked before
/// each chunk.
fn digest_of_parts(
    algorithm: openssl::hash::MessageDigest,
    parts: &[&[u8]],
    budget: &Budget,
) -> Result<openssl::hash::DigestBytes, DigestStopped> {
    let mut hasher = openssl::hash::Hasher::new(algorithm)?;
    for part in parts {
        for chunk in part.chunks(DIGEST_CHUNK) {
            budget.check().map_err(DigestStopped::Budget)?;
            hasher.update(chunk)?;
        }
    }
    Ok(hasher.finish()?)
}

fn check_digest(
    signer: &SignerInfo<'_>,
    content: &[&[u8]],
    budget: &Budget,
    findings: &mut Findings,
) {
    let kind = SignatureCheckKind::MessageDigest;
    let Some(hash) = signer.digest else {
        findings.failed(
            kind,
            Indication::Indeterminate,
            SubIndication::CryptoConstraintsFailure,
            format!("the digest algorithm {} is not accepted", signer.digest_oid),
        );
        return;
    };
    let claimed = match signer.single_value(oid::MESSAGE_DIGEST) {
        Ok(Some(value)) if value.tag == der::TAG_OCTET_STRING => value.content,
        Ok(_) => {
            return findings.failed(
                kind,
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                "the message-digest attribute is missing or not an OCTET STRING",
            )
        }
        Err(problem) => {
            return findings.failed(
                kind,
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                problem,
            )
        }
    };
    match digest_of_parts(hash.message_digest(), content, budget) {
        Ok(actual) if actual.as_ref() == claimed => findings.passed(
            kind,
            format!("the {} digest of the content matches", hash.name()),
        ),
        Ok(_) => findings.failed(
            kind,
            Indication::TotalFailed,
            SubIndication::HashFailure,
            "the content was changed after signing: its digest differs from the signed one",
        ),
        Err(DigestStopped::Crypto(error)) => findings.failed(
            kind,
            Indication::Indeterminate,
            SubIndication::CryptoConstraintsFailure,
            format!("the content digest cannot be computed: {error}"),
        ),
        Err(DigestStopped::Budget(stop)) => findings.failed(
            kind,
            Indication::Indeterminate,
            SubIndication::BudgetExceeded,
            stop.to_string(),
        ),
    }
}

fn check_signature_value(
    signer: &SignerInfo<'_>,
    certificate: &Certificate,
    findings: &mut Findings,
) {
    let kind = SignatureCheckKind::SignatureValue;
    if let SignatureAlgorithm::Refused { name, reason } = &signer.signature_algorithm {
        return findings.failed(
            kind,
            Indication::Indeterminate,
            SubIndication::CryptoConstraintsFailure,
            format!("{name}: {reason}"),
        );
    }
    let key = match certificate.public_key() {
        Ok(key) => key,
        Err(reason) => {
            return findings.failed(
                kind,
                Indication::Indeterminate,
                SubIndication::CryptoConstraintsFailure,
                format!("the signer's key cannot be used: {reason}"),
            )
        }
    };
    match signature::verify(
        &signer.signature_algorithm,
        key,
        &signer.signed_attributes_der,
        signer.signature,
    ) {
        Ok(()) => findings.passed(
            kind,
            format!(
                "the {} signature verifies with the signer's key",
                signer.signature_algorithm.name()
            ),
        ),
        Err(reason) => findings.failed(
            kind,
            Indication::TotalFailed,
            SubIndication::SigCryptoFailure,
            reason,
        ),
    }
}

fn check_signing_certificate(
    signer: &SignerInfo<'_>,
    certificate: &Certificate,
    profile: &Profile,
    findings: &mut Findings,
) {
    let kind = SignatureCheckKind::SigningCertificateAttribute;
    let format_failure = |findings: &mut Findings, detail: String| {
        findings.failed(
            kind,
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            detail,
        );
    };
    match signer.single_value(oid::SIGNING_CERTIFICATE_V2) {
        Ok(Some(value)) => match attributes::check_signing_certificate_v2(value, certificate) {
            Ok(()) => findings.passed(
                kind,
                "signing-certificate-v2 designates the signer certificate",
            ),
            Err(SigningCertificateMismatch::Other(detail)) => findings.failed(
                kind,
                Indication::Indeterminate,
                SubIndication::NoSigningCertificateFound,
                format!("signing-certificate-v2: {detail}"),
            ),
            Err(SigningCertificateMismatch::Malformed(detail)) => {
                format_failure(
                    findings,
                    format!("unreadable signing-certificate-v2: {detail}"),
                );
            }
        },
        Ok(None) if profile.signing_certificate_v1 => {
            check_signing_certificate_v1(signer, certificate, findings);
        }
        Ok(None) => {
            // CAdES baseline requires v2: v1 binds the certificate with SHA-1 only.
            let detail = if signer
                .single_value(oid::SIGNING_CERTIFICATE)
                .is_ok_and(|v| v.is_some())
            {
                "only the SHA-1 signing-certificate attribute is present; CAdES baseline requires signing-certificate-v2"
            } else {
                "the signing-certificate-v2 attribute is missing, so nothing binds the signature to its certificate"
            };
            format_failure(findings, detail.into());
        }
        Err(problem) => format_failure(findings, problem),
    }
}

/// The SHA-1 signing-certificate attribute (RFC 2634 §5.4), accepted where the profile allows.
fn check_signing_certificate_v1(
    signer: &SignerInfo<'_>,
    certificate: &Certificate,
    findings: &mut Findings,
) {
    let kind = SignatureCheckKind::SigningCertificateAttribute;
    let result = match signer.single_value(oid::SIGNING_CERTIFICATE) {
        Ok(Some(value)) => attributes::check_signing_certificate_v1(value, certificate),
        Ok(None) => Err(SigningCertificateMismatch::Malformed(
            "neither signing-certificate-v2 nor signing-certificate is present, so nothing \
             binds the signature to its certificate"
                .into(),
        )),
        Err(problem) => Err(SigningCertificateMismatch::Malformed(problem)),
    };
    match result {
        Ok(()) => findings.passed(
            kind,
            "signing-certificate (SHA-1) designates the signer certificate",
        ),
        Err(SigningCertificateMismatch::Other(detail)) => findings.failed(
            kind,
            Indication::Indeterminate,
            SubIndication::NoSigningCertificateFound,
            format!("signing-certificate: {detail}"),
        ),
        Err(SigningCertificateMismatch::Malformed(detail)) => findings.failed(
            kind,
            Indication::TotalFailed,
            SubIndication::FormatFailure,
            detail,
        ),
    }
}

fn claimed_signing_time(
    signer: &SignerInfo<'_>,
    profile: &Profile,
    context: &Context<'_>,
    findings: &mut Findings,
) -> Option<DateTime<Utc>> {
    let kind = SignatureCheckKind::SigningTime;
    if let (true, Some(at)) = (profile.outside_time_first, context.claimed_time_outside) {
        findings.passed(kind, format!("the content states the time {at}"));
        return Some(at);
    }
    match signer.single_value(oid::SIGNING_TIME) {
        Ok(Some(value)) => match attributes::parse_time(value) {
            Some(at) => {
                findings.passed(kind, format!("the signer claims to have signed at {at}"));
                Some(at)
            }
            None => {
                findings.failed(
                    kind,
                    Indication::TotalFailed,
                    SubIndication::FormatFailure,
                    "the signing-time attribute cannot be read",
                );
                None
            }
        },
        Ok(None) => {
            match context.claimed_time_outside {
                Some(at) => findings.passed(
                    kind,
                    format!("no signing-time attribute; the document claims {at}"),
                ),
                None => findings.skipped(kind, "no signing-time attribute"),
            }
            context.claimed_time_outside
        }
        Err(problem) => {
            findings.failed(
                kind,
                Indication::TotalFailed,
                SubIndication::FormatFailure,
                problem,
            );
            None
        }
    }
}
