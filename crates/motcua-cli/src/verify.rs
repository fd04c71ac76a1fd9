//! `motcua verify`: the signatures of a PDF, of a CMS signature holding its content, or of a
//! detached CMS signature and its data, checked offline against CA certificates and CRLs from a
//! folder.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_pki::cms::{
    decode_signature, verify_cms, Indication, SignatureReport, ValidationMoment,
};
use motcua_pki::pades::{verify_pdf_with, PdfSignatureReport, VerifyOptions};
use motcua_pki::{Budget, CheckKind, RevocationPolicy, TrustStore};

/// What to verify.
#[derive(Clone, Copy)]
pub enum Signed<'a> {
    /// A signed PDF or a CMS signature holding its content (told apart by their first bytes).
    File(&'a Path),
    /// A detached CMS signature and the data it signs.
    Detached { data: &'a Path, signature: &'a Path },
}

/// Verifies, prints the report, and fails unless every signature is TOTAL_PASSED. Revocation
/// data is required unless `check_revocation` is false, which the report then says in words.
pub fn run(
    signed: Signed<'_>,
    trust_roots: Option<&Path>,
    check_revocation: bool,
    budget: Duration,
) -> Result<(), String> {
    let store = match trust_roots {
        Some(dir) => TrustStore::from_dir(dir)?,
        None => TrustStore::new(),
    };
    let policy = if check_revocation {
        RevocationPolicy::Require
    } else {
        RevocationPolicy::BestEffort
    };
    let options = VerifyOptions::new(&store, Utc::now(), policy).budget(Budget::new(budget));
    let (name, verified) = verify(signed, &options)?;
    let signatures = verified.described();
    let (text, passed) = describe(&signatures, policy);
    print!("{text}");
    if signatures.is_empty() {
        Err(format!("{name} has no signatures"))
    } else if passed {
        Ok(())
    } else {
        Err("not every signature is TOTAL_PASSED".into())
    }
}

/// One verified signature, as printed: where it is (a PDF field name, or the file of a CMS
/// signature), what it covers and its report.
pub struct Described<'a> {
    pub location: String,
    pub coverage: Option<&'static str>,
    /// What changed after the signature (allowed changes, such as further signatures and
    /// permitted form filling, then the others), then what could not be walked in the document.
    pub notes: Vec<String>,
    pub report: &'a SignatureReport,
}

impl<'a> From<&'a PdfSignatureReport> for Described<'a> {
    fn from(signature: &'a PdfSignatureReport) -> Self {
        Self {
            location: signature.field_name.clone(),
            coverage: Some(if signature.covers_whole_document {
                "the whole document"
            } else {
                "an earlier revision"
            }),
            notes: signature
                .modifications
                .iter()
                .map(|change| {
                    // What later updates did, allowed or not: an auditor sees why an issue's
                    // update (the number and date filled in, the seal) leaves the signature
                    // valid.
                    let label = if change.kind.is_allowed() {
                        "allowed after:"
                    } else {
                        "changed after:"
                    };
                    format!("{label} {} (object {})", change.detail, change.object)
                })
                .chain(
                    signature
                        .document_warnings
                        .iter()
                        .map(|warning| format!("document:     {warning}")),
                )
                .collect(),
            report: &signature.report,
        }
    }
}

enum Verified {
    Pdf(Vec<PdfSignatureReport>),
    Cms(String, Box<SignatureReport>),
}

impl Verified {
    fn described(&self) -> Vec<Described<'_>> {
        match self {
            Self::Pdf(reports) => reports.iter().map(Described::from).collect(),
            Self::Cms(location, report) => vec![Described {
                location: location.clone(),
                coverage: None,
                notes: Vec::new(),
                report,
            }],
        }
    }
}

/// The name of what was verified (for messages) and the reports.
fn verify(signed: Signed<'_>, options: &VerifyOptions<'_>) -> Result<(String, Verified), String> {
    match signed {
        Signed::File(file) => {
            let name = file.display().to_string();
            let bytes = read(file)?;
            if bytes.starts_with(b"%PDF-") {
                let reports =
                    verify_pdf_with(&bytes, options).map_err(|e| format!("{name}: {e}"))?;
                return Ok((name, Verified::Pdf(reports)));
            }
            let cms = decode_signature(&bytes).map_err(|e| format!("{name}: {e}"))?;
            let verified = verify_cms(&cms, None, options).map_err(|e| format!("{name}: {e}"))?;
            Ok((
                name.clone(),
                Verified::Cms(name, Box::new(verified.signature)),
            ))
        }
        Signed::Detached { data, signature } => {
            let name = signature.display().to_string();
            let content = read(data)?;
            let cms = decode_signature(&read(signature)?).map_err(|e| format!("{name}: {e}"))?;
            let verified =
                verify_cms(&cms, Some(&content), options).map_err(|e| format!("{name}: {e}"))?;
            Ok((
                name.clone(),
                Verified::Cms(name, Box::new(verified.signature)),
            ))
        }
    }
}

fn read(file: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

/// The printed report, and whether every signature passed (false when there is none).
pub fn describe(signatures: &[Described<'_>], policy: RevocationPolicy) -> (String, bool) {
    let mut text = String::new();
    for (index, signature) in signatures.iter().enumerate() {
        describe_one(&mut text, index + 1, signature, policy);
    }
    let passed = !signatures.is_empty()
        && signatures
            .iter()
            .all(|signature| signature.report.indication == Indication::TotalPassed);
    (text, passed)
}

fn describe_one(
    text: &mut String,
    number: usize,
    signature: &Described<'_>,
    policy: RevocationPolicy,
) {
    let report = signature.report;
    let indication = serde_text(&report.indication);
    let sub = report
        .sub_indication
        .as_ref()
        .map(|sub| format!(" / {}", serde_text(sub)))
        .unwrap_or_default();
    let signer = report
        .signer
        .as_ref()
        .map_or("(unknown)".to_owned(), |signer| signer.subject.clone());
    let time = report
        .claimed_signing_time
        .as_ref()
        .map_or("(none)".to_owned(), DateTime::<Utc>::to_rfc3339);
    let _ = writeln!(
        text,
        "Signature {number} ({}): {indication}{sub}\n  signer:       {signer}\n  signing time: {time}",
        signature.location,
    );
    if let Some(coverage) = signature.coverage {
        let _ = writeln!(text, "  covers:       {coverage}");
    }
    for note in &signature.notes {
        let _ = writeln!(text, "  {note}");
    }
    for line in revocation_lines(report, policy) {
        let _ = writeln!(text, "  revocation:   {line}");
    }
    let _ = writeln!(text, "  {}", report.summary);
}

/// Which revocation data was used for each certificate of the chain at the validation time, or
/// that none was: an auditor must see what a "valid" rests on.
fn revocation_lines(report: &SignatureReport, policy: RevocationPolicy) -> Vec<String> {
    let mut lines = Vec::new();
    if policy == RevocationPolicy::BestEffort {
        lines.push(
            "not required (--no-revocation-check): a certificate without revocation data \
             does not change the result"
                .to_owned(),
        );
    }
    let now = report
        .certificate_validations
        .iter()
        .find(|validation| validation.moment == ValidationMoment::ValidationTime);
    let Some(now) = now else {
        lines.push("none: the signer's certificate was not validated".to_owned());
        return lines;
    };
    let checks: Vec<_> = now
        .verdict
        .checks
        .iter()
        .filter(|check| check.check == CheckKind::Revocation)
        .collect();
    if checks.is_empty() {
        lines.push("none: no chain to a trusted root was found, so no CRL applies".to_owned());
    }
    lines.extend(
        checks
            .into_iter()
            .map(|check| format!("{}: {}", common_name(&check.subject), check.detail)),
    );
    lines
}

/// The CN of an RFC 4514 subject, or the whole subject.
fn common_name(subject: &str) -> &str {
    subject
        .split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(subject)
}

fn serde_text(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}
