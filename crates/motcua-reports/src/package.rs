//! What a district or commune sends to the province: the issued report (signed PDF with its
//! figures attached) and its identification; what the province answers: a signed receipt. Both
//! sides verify with the same code.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::record_ids::UnitId;
use motcua_core::report::ReportKind;
use motcua_pki::binding::bind_subject_to_unit;
use motcua_pki::cms::{self, Indication, Signer};
use motcua_pki::pades::{self, ChangesAfter, PdfSignatureKind, PdfSignatureReport, SignatureLevel};
use motcua_pki::{Certificate, IdentifierKind, RevocationPolicy, TrustStore};
use motcua_web::error::ApiError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::figures::Figures;
use crate::report_document::FIGURES_ATTACHMENT;
use crate::signature_check::signatures_of;

/// The unit that issued a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Sender {
    pub unit_id: UnitId,
    pub name: String,
    /// `district`, `commune`, …
    pub level: String,
    #[serde(default)]
    pub tax_code: Option<String>,
    #[serde(default)]
    pub budget_code: Option<String>,
}

/// An issued report as delivered to the province.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPackage {
    /// The sender's report id; also the delivery's idempotency key.
    pub report_id: String,
    pub kind: ReportKind,
    pub periods: Vec<String>,
    pub sender: Sender,
    /// "05/BC-UBND".
    pub number_text: String,
    pub issued_at: DateTime<Utc>,
    /// The report this one corrects, if any.
    #[serde(default)]
    pub corrects: Option<String>,
    /// SHA-256 of the attached `figures.json`, hex.
    pub figures_sha256: String,
    /// The signed PDF, base64.
    pub pdf_base64: String,
}

/// The province's acknowledgement of a verified report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    pub report_id: String,
    pub sender_unit_id: UnitId,
    pub number_text: String,
    /// SHA-256 of the PDF as received, hex.
    pub pdf_sha256: String,
    pub figures_sha256: String,
    pub received_at: DateTime<Utc>,
    /// The receiving organisation, as its certificate names it.
    pub receiver: String,
}

/// A receipt and the receiver organisation's detached CMS signature over its JSON bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignedReceipt {
    pub receipt: Receipt,
    /// The exact bytes signed: the receipt as JSON, base64.
    pub receipt_base64: String,
    /// CMS detached signature (CAdES, at `signature_level`), base64.
    pub signature_base64: String,
    /// The level of the signature: B-LT carries its timestamp and the validation data of the
    /// receiver's certificate and of the timestamping authority. Absent from older receipts
    /// (B-B).
    #[serde(default)]
    pub signature_level: SignatureLevel,
    /// Why the signature is below the receiver's configured level, when it fell back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
}

/// One failed check of a package, named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// e.g. `pdf_sha256`, `signatures[1]`, `figures`.
    pub check: String,
    pub detail: String,
}

/// The verification of a package: the signatures and every failed check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PackageVerification {
    pub valid: bool,
    pub signatures: Vec<PdfSignatureReport>,
    pub findings: Vec<Finding>,
}

/// A package that passed verification, decoded.
#[derive(Debug, Clone)]
pub struct VerifiedPackage {
    pub pdf: Vec<u8>,
    pub pdf_sha256: String,
    pub figures: Figures,
    pub figures_json: String,
    pub verification: PackageVerification,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks everything the province must know before it accepts a report: the PDF decodes, every
/// signature is valid against `store` and nothing but signatures followed them, the first is a
/// personal signature (the leader's), the last is the sender organisation's and covers the whole
/// file, and the attached figures are the declared ones and obey the forms' rules.
pub fn verify_package(
    package: &ReportPackage,
    store: &TrustStore,
    at: DateTime<Utc>,
) -> Result<VerifiedPackage, PackageVerification> {
    let mut findings = Vec::new();
    let fail = |findings: Vec<Finding>, signatures: Vec<PdfSignatureReport>| PackageVerification {
        valid: false,
        signatures,
        findings,
    };
    let Ok(pdf) = STANDARD.decode(package.pdf_base64.trim()) else {
        findings.push(finding("pdf_base64", "not base64"));
        return Err(fail(findings, Vec::new()));
    };
    let signatures = match pades::verify_pdf(&pdf, store, &[], at, RevocationPolicy::BestEffort) {
        Ok(signatures) => signatures,
        Err(error) => {
            findings.push(finding("pdf_base64", error.to_string()));
            return Err(fail(findings, Vec::new()));
        }
    };
    check_signatures(&signatures, &package.sender, &mut findings);
    let figures = check_figures(&pdf, package, &mut findings);
    match figures {
        Some((figures, figures_json)) if findings.is_empty() => Ok(VerifiedPackage {
            pdf_sha256: sha256_hex(&pdf),
            pdf,
            figures,
            figures_json,
            verification: PackageVerification {
                valid: true,
                signatures,
                findings,
            },
        }),
        _ => Err(fail(findings, signatures)),
    }
}

fn finding(check: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding {
        check: check.into(),
        detail: detail.into(),
    }
}

/// The leader's and the organisation's signatures are those of kind `signature`; document
/// timestamps (B-LTA) must pass like every signature, and may follow the organisation's.
fn check_signatures(reports: &[PdfSignatureReport], sender: &Sender, out: &mut Vec<Finding>) {
    let signatures: Vec<(usize, &PdfSignatureReport)> = signatures_of(reports).collect();
    if signatures.len() < 2 {
        out.push(finding(
            "signatures",
            format!(
                "an issued report carries the leader's and the organisation's signatures; this \
                 one has {}",
                signatures.len()
            ),
        ));
    }
    for (index, report) in reports.iter().enumerate() {
        let at = format!("signatures[{index}]");
        if report.report.indication != Indication::TotalPassed {
            out.push(finding(&at, report.report.summary.clone()));
        }
        if report.changes_after == ChangesAfter::OtherContent {
            out.push(finding(
                &at,
                "content other than signatures was added after this signature",
            ));
        }
    }
    if let Some((index, first)) = signatures.first().filter(|_| signatures.len() >= 2) {
        let personal = first.report.signer.as_ref().is_some_and(|signer| {
            signer
                .identifiers
                .iter()
                .any(|id| matches!(id.kind, IdentifierKind::Cccd | IdentifierKind::Cmnd))
        });
        if !personal {
            out.push(finding(
                format!("signatures[{index}]"),
                "the first signature must be the leader's personal signature (a certificate \
                 with UID=CCCD:)",
            ));
        }
    }
    if let Some((index, last)) = signatures.last() {
        let at = format!("signatures[{index}]");
        // Only document timestamps (and their validation data) may follow the last signature.
        let only_timestamps_after = reports.get(index + 1..).is_some_and(|after| {
            after
                .iter()
                .all(|later| later.kind == PdfSignatureKind::DocumentTimestamp)
        });
        if !last.covers_whole_document && !only_timestamps_after {
            out.push(finding(
                &at,
                "the last signature does not cover the whole file",
            ));
        }
        check_organisation(last, sender, &at, out);
    }
}

/// The organisation's signature must be made with a certificate of the sender unit.
fn check_organisation(
    last: &PdfSignatureReport,
    sender: &Sender,
    at: &str,
    out: &mut Vec<Finding>,
) {
    let Some(signer) = &last.report.signer else {
        out.push(finding(
            at,
            "the organisation's certificate is not in the signature",
        ));
        return;
    };
    // `name` is the CN (the whole subject when there is none, which then matches no unit).
    let binding = bind_subject_to_unit(
        &signer.identifiers,
        Some(signer.name.as_str()),
        &sender.name,
        sender.tax_code.as_deref(),
        sender.budget_code.as_deref(),
    );
    if !binding.bound {
        out.push(finding(
            at,
            format!(
                "the organisation signature is not the sender's: {}",
                binding.detail
            ),
        ));
    }
}

fn check_figures(
    pdf: &[u8],
    package: &ReportPackage,
    out: &mut Vec<Finding>,
) -> Option<(Figures, String)> {
    let attached = match pades::embedded_files(pdf) {
        Ok(files) => files
            .into_iter()
            .find(|file| file.name == FIGURES_ATTACHMENT),
        Err(error) => {
            out.push(finding("figures", error.to_string()));
            return None;
        }
    };
    let Some(attached) = attached else {
        out.push(finding(
            "figures",
            format!("the PDF has no attached {FIGURES_ATTACHMENT}"),
        ));
        return None;
    };
    let digest = sha256_hex(&attached.content);
    if digest != package.figures_sha256 {
        out.push(finding(
            "figures_sha256",
            format!(
                "the attached figures hash to {digest}, the package declares {}",
                package.figures_sha256
            ),
        ));
    }
    let figures: Figures = match serde_json::from_slice(&attached.content) {
        Ok(figures) => figures,
        Err(error) => {
            out.push(finding("figures", format!("not report figures: {error}")));
            return None;
        }
    };
    if let Err(error) = figures.check() {
        out.push(finding("figures", error.to_string()));
    }
    if figures.unit.id != package.sender.unit_id || figures.periods != package.periods {
        out.push(finding(
            "figures",
            "the attached figures are of another unit or other periods than the package says",
        ));
    }
    let json = String::from_utf8(attached.content).ok()?;
    Some((figures, json))
}

/// Signs a receipt with the receiver organisation's key (B-B; the service raises it to its
/// level). A key on a device that cannot sign is the 503 `signing-device-unavailable`.
pub fn sign_receipt(
    receipt: Receipt,
    signer: &dyn Signer,
    chain: &[Certificate],
) -> Result<SignedReceipt, ApiError> {
    let bytes = serde_json::to_vec(&receipt).map_err(ApiError::internal_from)?;
    let signature =
        cms::sign_detached(&bytes, signer, chain, receipt.received_at, true).map_err(|e| {
            crate::routes::organisation_keys::signature_failed("signing the receipt", e)
        })?;
    Ok(SignedReceipt {
        receipt,
        receipt_base64: STANDARD.encode(&bytes),
        signature_base64: STANDARD.encode(signature),
        signature_level: SignatureLevel::BaselineB,
        fallback_reason: None,
    })
}

/// Checks a receipt the province returned for `package`: its signature is valid against
/// `store`, and it acknowledges this very PDF and figures.
pub fn verify_receipt(
    signed: &SignedReceipt,
    package: &ReportPackage,
    store: &TrustStore,
) -> Result<(), String> {
    let bytes = STANDARD
        .decode(&signed.receipt_base64)
        .map_err(|_| "the receipt is not base64".to_owned())?;
    let signature = STANDARD
        .decode(&signed.signature_base64)
        .map_err(|_| "the receipt signature is not base64".to_owned())?;
    let receipt: Receipt =
        serde_json::from_slice(&bytes).map_err(|e| format!("the signed receipt: {e}"))?;
    if receipt != signed.receipt {
        return Err("the receipt differs from what was signed".into());
    }
    let report = cms::verify_detached(
        &signature,
        &bytes,
        store,
        &[],
        Utc::now(),
        RevocationPolicy::BestEffort,
    )
    .map_err(|e| format!("the receipt signature: {e}"))?;
    if report.indication != Indication::TotalPassed {
        return Err(format!("the receipt signature: {}", report.summary));
    }
    let pdf = STANDARD
        .decode(package.pdf_base64.trim())
        .map_err(|_| "the package PDF is not base64".to_owned())?;
    if receipt.report_id != package.report_id
        || receipt.pdf_sha256 != sha256_hex(&pdf)
        || receipt.figures_sha256 != package.figures_sha256
    {
        return Err("the receipt acknowledges another report or other content".into());
    }
    Ok(())
}
