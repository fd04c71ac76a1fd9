//! Document timestamps (`/SubFilter /ETSI.RFC3161`, ETSI EN 319 142-1 §5.5): an RFC 3161 token
//! over the byte ranges of the revision it closes. Checked newest first, each at the time the
//! next newer valid one proves it existed, they give every signature before them a proof of
//! existence (B-LTA) that outlives the signers' and the older authorities' certificates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cms::{
    Indication, ProofOfExistence, SignatureCheck, SignatureCheckKind, SignatureReport,
    SubIndication, VerifyContext,
};
use crate::tsp::{check_token_within, TimestampCheck};
use crate::verdict::Outcome;

/// The `/SubFilter` of a document timestamp.
pub(crate) const DOCUMENT_TIMESTAMP_SUB_FILTER: &str = "ETSI.RFC3161";

/// What a signature field holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PdfSignatureKind {
    /// A signature by a person or an organisation.
    #[default]
    Signature,
    /// A document timestamp by a timestamping authority.
    DocumentTimestamp,
}

/// The report of the document timestamp `token` over the byte ranges `signed`.
pub(super) fn verify_document_timestamp(
    token: &[u8],
    signed: [&[u8]; 2],
    context: &VerifyContext<'_>,
) -> SignatureReport {
    let check = match check_token_within(token, &signed, context) {
        Ok(check) => check,
        Err(error) => return unreadable(&error.to_string(), context.validation_time),
    };
    let mut checks = vec![SignatureCheck {
        check: SignatureCheckKind::ByteRange,
        outcome: Outcome::Passed,
        detail: format!(
            "the byte range covers the revision except the timestamp ({DOCUMENT_TIMESTAMP_SUB_FILTER})"
        ),
    }];
    checks.extend(check.checks.iter().cloned());
    SignatureReport {
        indication: check.indication,
        sub_indication: check.sub_indication,
        summary: check.summary.clone(),
        signer: check.tsa.clone(),
        claimed_signing_time: Some(check.gen_time),
        signature_algorithm: check.signature_algorithm.clone(),
        certificate_validations: check.certificate_validations.clone(),
        checks,
        validated_at: context.validation_time,
        proof_of_existence: None,
        level: None,
        timestamps: vec![check],
    }
}

/// The proof a valid document timestamp gives of everything before it.
pub(super) fn proof_from(report: &SignatureReport) -> Option<ProofOfExistence> {
    let check: &TimestampCheck = report.timestamps.first()?;
    check.is_valid().then(|| ProofOfExistence {
        time: check.gen_time,
        source: format!(
            "the document timestamp of {}",
            check
                .tsa
                .as_ref()
                .map_or("an unnamed TSA", |tsa| tsa.name.as_str())
        ),
    })
}

fn unreadable(problem: &str, validated_at: DateTime<Utc>) -> SignatureReport {
    let detail = format!("the document timestamp cannot be read: {problem}");
    SignatureReport {
        indication: Indication::TotalFailed,
        sub_indication: Some(SubIndication::FormatFailure),
        summary: detail.clone(),
        signer: None,
        claimed_signing_time: None,
        signature_algorithm: String::new(),
        certificate_validations: Vec::new(),
        checks: vec![SignatureCheck {
            check: SignatureCheckKind::Format,
            outcome: Outcome::Failed,
            detail,
        }],
        validated_at,
        timestamps: Vec::new(),
        proof_of_existence: None,
        level: None,
    }
}
