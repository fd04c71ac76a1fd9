//! Verifying every signature of a PDF.
//!
//! The file may be hostile: every walk over its structure is bounded (field tree, page tree,
//! later revisions), every signature's byte range must be its own `/Contents` hole, and a
//! [`Budget`] stops the work when its time runs out or the caller goes away.

mod byte_range;
mod dss;
mod later_changes;
mod timestamps;

use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lopdf::Object;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::changes::Modification;
use super::fields::{signature_fields, FieldWalk, SignatureField, SignatureValue};
use super::serialize::{decode_text, parse_pdf_date};
use super::source::Source;
use crate::budget::{Budget, BudgetExceeded};
use crate::cms::{
    token_is_sound, verify_with_context, Indication, ProofOfExistence, SignatureCheck,
    SignatureCheckKind, SignatureReport, SubIndication, VerifyContext,
};
use crate::der;
use crate::error::PkiError;
use crate::pades::SignatureLevel;
use crate::parse::Certificate;
use crate::revocation::SuppliedRevocation;
use crate::store::TrustStore;
use crate::verdict::{Outcome, RevocationPolicy};

use byte_range::{blank_signature_contents, own_byte_range, signature_hex, unreadable};
use later_changes::judge_later_changes;
pub use timestamps::PdfSignatureKind;
use timestamps::{proof_from, verify_document_timestamp, DOCUMENT_TIMESTAMP_SUB_FILTER};

/// Most signatures [`verify_pdf`] accepts in one document.
pub const DEFAULT_MAX_SIGNATURES: usize = 50;
/// How long [`verify_pdf`] may take.
pub const DEFAULT_VERIFY_BUDGET: Duration = Duration::from_secs(5);

/// What a verification needs besides the document.
#[derive(Debug, Clone)]
pub struct VerifyOptions<'a> {
    /// The trusted roots, intermediates and CRLs.
    pub store: &'a TrustStore,
    /// Certificates that may help build the signers' chains.
    pub supplied: &'a [Certificate],
    /// When the certificates are validated (now, usually).
    pub validation_time: DateTime<Utc>,
    /// Whether a missing CRL makes a signature indeterminate.
    pub policy: RevocationPolicy,
    /// A document with more signature fields with a value is refused
    /// ([`PkiError::TooManySignatures`]) before any is verified.
    pub max_signatures: usize,
    /// When to stop. Its clock starts when it is made: make the options for each verification.
    pub budget: Budget,
}

impl<'a> VerifyOptions<'a> {
    /// No supplied certificates, [`DEFAULT_MAX_SIGNATURES`], and a budget of
    /// [`DEFAULT_VERIFY_BUDGET`] from now.
    pub fn new(
        store: &'a TrustStore,
        validation_time: DateTime<Utc>,
        policy: RevocationPolicy,
    ) -> Self {
        Self {
            store,
            supplied: &[],
            validation_time,
            policy,
            max_signatures: DEFAULT_MAX_SIGNATURES,
            budget: Budget::new(DEFAULT_VERIFY_BUDGET),
        }
    }

    /// With certificates that may help build the signers' chains.
    #[must_use]
    pub fn supplied(mut self, supplied: &'a [Certificate]) -> Self {
        self.supplied = supplied;
        self
    }

    /// With another limit on the number of signatures.
    #[must_use]
    pub fn max_signatures(mut self, max_signatures: usize) -> Self {
        self.max_signatures = max_signatures;
        self
    }

    /// With another budget (e.g. one a web handler cancels when its client goes away).
    #[must_use]
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }
}

/// The verification of one signature of a PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PdfSignatureReport {
    /// Fully qualified name of the signature field.
    pub field_name: String,
    /// `/SubFilter`, e.g. `ETSI.CAdES.detached`.
    pub sub_filter: String,
    /// `/ByteRange` as written.
    pub byte_range: Vec<i64>,
    /// Length of the revision the signature covers (the file up to the end of its update).
    pub revision_length: u64,
    /// Whether the signature covers the whole file: false for every signature but the last
    /// when updates (such as later signatures) were appended.
    pub covers_whole_document: bool,
    /// A signature, or a document timestamp.
    #[serde(default)]
    pub kind: PdfSignatureKind,
    /// What was appended after this signature's revision.
    pub changes_after: ChangesAfter,
    /// What the revisions after this signature changed, object by object (empty when it covers
    /// the whole file).
    #[serde(default)]
    pub modifications: Vec<Modification>,
    /// Problems of the document as a whole met while looking for its signatures, the same on
    /// every report: e.g. a field tree too large or too deep to walk entirely, so that
    /// signatures beyond what was walked are not reported.
    #[serde(default)]
    pub document_warnings: Vec<String>,
    /// The signature itself.
    pub report: SignatureReport,
}

/// What a PDF received after a signature was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangesAfter {
    /// The signature covers the whole file.
    Nothing,
    /// Only further signatures (e.g. the organisation after the leader) and validation data
    /// followed.
    FurtherSignatures,
    /// Something else followed: the content may have been changed after signing (see
    /// [`PdfSignatureReport::modifications`]).
    OtherContent,
}

/// Verifies every signature of `pdf`, in the order they were added, with the default limits
/// ([`VerifyOptions::new`]). A document without signatures gives an empty list; errors are for
/// files that cannot be read as PDF, or that [`verify_pdf_with`] refuses.
pub fn verify_pdf(
    pdf: &[u8],
    store: &TrustStore,
    supplied: &[Certificate],
    validation_time: DateTime<Utc>,
    policy: RevocationPolicy,
) -> Result<Vec<PdfSignatureReport>, PkiError> {
    verify_pdf_with(
        pdf,
        &VerifyOptions::new(store, validation_time, policy).supplied(supplied),
    )
}

/// Verifies every signature of `pdf`, in the order they were added, within `options`' limits.
///
/// Errors: the file cannot be read as PDF ([`PkiError::InvalidPdf`]); it has more than
/// `max_signatures` signatures ([`PkiError::TooManySignatures`]); the budget ran out before any
/// signature was found ([`PkiError::VerificationStopped`]). When the budget runs out later, the
/// signatures verified keep their reports and the others are `INDETERMINATE` /
/// `BUDGET_EXCEEDED`.
pub fn verify_pdf_with(
    pdf: &[u8],
    options: &VerifyOptions<'_>,
) -> Result<Vec<PdfSignatureReport>, PkiError> {
    let budget = &options.budget;
    let stopped = |stop: BudgetExceeded| PkiError::VerificationStopped(stop.to_string());
    budget.check().map_err(stopped)?;
    let (masked, blanked) = blank_signature_contents(pdf);
    let view = masked.as_deref().unwrap_or(pdf);
    let document = Source::open_for_reading(view)?;
    budget.check().map_err(stopped)?;
    let walk = signature_fields(&document, budget, options.max_signatures);
    if let Some(found) = walk.too_many {
        return Err(PkiError::TooManySignatures {
            found,
            limit: options.max_signatures,
        });
    }
    if walk.fields.is_empty() {
        if let Some(stop) = walk.stopped {
            return Err(stopped(stop));
        }
    }
    Ok(verify_found(
        pdf,
        (view, &blanked),
        &document,
        walk,
        options,
    ))
}

/// Verifies the signature fields `walk` found in `document` (read from `view`, that is `pdf`
/// with the `blanked` holes blanked).
fn verify_found(
    pdf: &[u8],
    (view, blanked): (&[u8], &[Range<usize>]),
    document: &Source<'_>,
    walk: FieldWalk,
    options: &VerifyOptions<'_>,
) -> Vec<PdfSignatureReport> {
    let budget = &options.budget;
    let mut stop = walk.stopped;
    // The cheap checks first (byte range, own hole), so that two signatures claiming one hole
    // are both known before any CMS is read.
    let mut candidates = Vec::with_capacity(walk.fields.len());
    for field in walk.fields {
        if stop.is_none() {
            stop = budget.check().err();
        }
        candidates.push(Candidate::new(
            pdf,
            (document, blanked),
            field,
            stop.is_none(),
        ));
    }
    refuse_shared_holes(&mut candidates);
    let data = DocumentData::read(document, options);
    // Document timestamps first, newest first: each proves when what precedes it existed.
    let mut order: Vec<(usize, bool, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(index, candidate)| {
            (
                index,
                candidate.is_document_timestamp(),
                candidate.revision_length(),
            )
        })
        .collect();
    order.sort_by_key(|(_, timestamp, revision)| (!timestamp, std::cmp::Reverse(*revision)));
    let mut slots: Vec<Option<Candidate>> = candidates.into_iter().map(Some).collect();
    let mut reports = Vec::with_capacity(slots.len());
    let mut proofs: Vec<(usize, ProofOfExistence)> = Vec::new();
    // Where the sound document timestamps end: a signature before one is B-LTA in form.
    let mut archived_up_to: Vec<usize> = Vec::new();
    let mut proven_at = options.validation_time;
    for (index, timestamp, revision) in order {
        let Some(candidate) = slots.get_mut(index).and_then(Option::take) else {
            continue;
        };
        if stop.is_none() {
            stop = budget.check().err();
        }
        let report = match stop {
            Some(stop) => candidate.stopped(stop, options.validation_time, pdf.len()),
            None if timestamp => {
                let report = candidate.verify(pdf, &data.context(options, proven_at, None));
                if report.report.timestamps.first().is_some_and(token_is_sound) {
                    archived_up_to.push(revision);
                }
                if let Some(proof) = proof_from(&report.report) {
                    proven_at = proof.time;
                    proofs.push((revision, proof));
                }
                report
            }
            None => {
                let archival = proofs
                    .iter()
                    .filter(|(end, _)| *end > revision)
                    .map(|(_, proof)| proof)
                    .min_by_key(|proof| proof.time);
                let context = data.context(options, options.validation_time, archival);
                let mut report = candidate.verify(pdf, &context);
                let archived = archived_up_to.iter().any(|end| *end > revision);
                if archived && report.report.level == Some(SignatureLevel::BaselineLt) {
                    report.report.level = Some(SignatureLevel::BaselineLta);
                }
                report
            }
        };
        if report.report.sub_indication == Some(SubIndication::BudgetExceeded) {
            stop = stop.or_else(|| budget.check().err());
        }
        reports.push(report);
    }
    reports.sort_by_key(|report| report.revision_length);
    judge_later_changes(pdf, (view, blanked), document, &mut reports, budget);
    let mut warnings = walk.problems;
    warnings.extend(data.problems);
    for report in &mut reports {
        report.document_warnings.clone_from(&warnings);
    }
    reports
}

/// What the document carries for its own validation (its `/DSS`), read once.
struct DocumentData {
    supplied: Option<SuppliedRevocation>,
    /// The trust store without its CRLs, to tell whether `supplied` alone suffices.
    anchors_only: Option<TrustStore>,
    problems: Vec<String>,
}

impl DocumentData {
    fn read(document: &Source<'_>, options: &VerifyOptions<'_>) -> Self {
        let (data, mut problems) = dss::document_validation_data(document, &options.budget);
        if data.is_empty() {
            return Self {
                supplied: None,
                anchors_only: None,
                problems,
            };
        }
        let supplied = SuppliedRevocation::from_validation_data(&data);
        problems.extend(
            supplied
                .problems()
                .iter()
                .map(|problem| format!("/DSS: {problem}")),
        );
        Self {
            supplied: Some(supplied),
            anchors_only: Some(options.store.without_crls()),
            problems,
        }
    }

    /// The context for verifying at `at`, with the proof a later document timestamp gives.
    fn context<'a>(
        &'a self,
        options: &'a VerifyOptions<'_>,
        at: DateTime<Utc>,
        archival_proof: Option<&'a ProofOfExistence>,
    ) -> VerifyContext<'a> {
        VerifyContext {
            revocation: self.supplied.as_ref(),
            anchors_only: self.anchors_only.as_ref(),
            archival_proof,
            ..VerifyContext::new(
                options.store,
                options.supplied,
                at,
                options.policy,
                &options.budget,
            )
        }
    }
}

/// A signature field with what the cheap checks found.
struct Candidate {
    field_name: String,
    sub_filter: String,
    byte_range: Vec<i64>,
    claimed_time: Option<DateTime<Utc>>,
    /// The byte range, once checked to be the field's own hole; or why the signature fails
    /// before its CMS is read; `None` when the budget ran out before the checks.
    range: Option<Result<[usize; 4], String>>,
}

impl Candidate {
    fn new(
        pdf: &[u8],
        (document, blanked): (&Source<'_>, &[Range<usize>]),
        field: SignatureField,
        check: bool,
    ) -> Self {
        let SignatureField {
            name,
            value,
            holder,
        } = field;
        match value {
            SignatureValue::Unreadable(error) => {
                let (byte_range, problem) = unreadable(pdf, document, holder, &error);
                Self {
                    field_name: name,
                    sub_filter: String::new(),
                    byte_range,
                    claimed_time: None,
                    range: Some(Err(problem)),
                }
            }
            SignatureValue::Dictionary(signature) => {
                let sub_filter = signature
                    .get(b"SubFilter")
                    .and_then(Object::as_name)
                    .map(|name| String::from_utf8_lossy(name).into_owned())
                    .unwrap_or_default();
                let byte_range: Vec<i64> = signature
                    .get(b"ByteRange")
                    .and_then(Object::as_array)
                    .map(|items| items.iter().filter_map(|item| item.as_i64().ok()).collect())
                    .unwrap_or_default();
                let claimed_time = signature
                    .get(b"M")
                    .and_then(Object::as_str)
                    .ok()
                    .and_then(|date| parse_pdf_date(&decode_text(date)));
                let range = check.then(|| {
                    own_byte_range(
                        pdf,
                        (document, blanked),
                        &name,
                        holder,
                        &signature,
                        &byte_range,
                    )
                });
                Self {
                    field_name: name,
                    sub_filter,
                    byte_range,
                    claimed_time,
                    range,
                }
            }
        }
    }

    fn revision_length(&self) -> usize {
        match &self.range {
            Some(Ok(range)) => range[2].saturating_add(range[3]),
            _ => 0,
        }
    }

    fn into_report(self, report: SignatureReport, pdf_length: usize) -> PdfSignatureReport {
        let revision_length = self.revision_length();
        let kind = if self.is_document_timestamp() {
            PdfSignatureKind::DocumentTimestamp
        } else {
            PdfSignatureKind::Signature
        };
        PdfSignatureReport {
            field_name: self.field_name,
            sub_filter: self.sub_filter,
            byte_range: self.byte_range,
            revision_length: u64::try_from(revision_length).unwrap_or(u64::MAX),
            covers_whole_document: revision_length == pdf_length,
            kind,
            changes_after: ChangesAfter::Nothing,
            modifications: Vec::new(),
            document_warnings: Vec::new(),
            report,
        }
    }

    fn is_document_timestamp(&self) -> bool {
        self.sub_filter == DOCUMENT_TIMESTAMP_SUB_FILTER
    }

    fn verify(self, pdf: &[u8], context: &VerifyContext<'_>) -> PdfSignatureReport {
        let context = VerifyContext {
            claimed_time_outside: self.claimed_time,
            ..*context
        };
        let report = match &self.range {
            Some(Ok(range)) => verify_contents(pdf, *range, &self.sub_filter, &context),
            Some(Err(problem)) => failed_report(problem.clone(), context.validation_time),
            None => budget_report(BudgetExceeded::Cancelled, context.validation_time),
        };
        self.into_report(report, pdf.len())
    }

    /// The report of a signature the budget left unverified; one whose cheap checks already
    /// failed keeps that failure.
    fn stopped(
        self,
        stop: BudgetExceeded,
        validated_at: DateTime<Utc>,
        pdf_length: usize,
    ) -> PdfSignatureReport {
        let report = match &self.range {
            Some(Err(problem)) => failed_report(problem.clone(), validated_at),
            _ => budget_report(stop, validated_at),
        };
        self.into_report(report, pdf_length)
    }
}

/// `INDETERMINATE` / `BUDGET_EXCEEDED`: nothing was concluded.
fn budget_report(stop: BudgetExceeded, validated_at: DateTime<Utc>) -> SignatureReport {
    SignatureReport {
        indication: Indication::Indeterminate,
        sub_indication: Some(SubIndication::BudgetExceeded),
        summary: stop.to_string(),
        signer: None,
        claimed_signing_time: None,
        signature_algorithm: String::new(),
        certificate_validations: Vec::new(),
        checks: Vec::new(),
        validated_at,
        timestamps: Vec::new(),
        proof_of_existence: None,
        level: None,
    }
}

/// Fails every signature whose hole another signature also claims: one signature value can
/// only be one field's.
fn refuse_shared_holes(candidates: &mut [Candidate]) {
    let mut claims: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        if let Some(Ok(range)) = &candidate.range {
            claims.entry((range[1], range[2])).or_default().push(index);
        }
    }
    for claimants in claims.values().filter(|claimants| claimants.len() > 1) {
        let names: Vec<String> = claimants
            .iter()
            .filter_map(|index| candidates.get(*index))
            .map(|candidate| candidate.field_name.clone())
            .collect();
        for index in claimants {
            if let Some(candidate) = candidates.get_mut(*index) {
                let others: Vec<&str> = names
                    .iter()
                    .filter(|name| **name != candidate.field_name)
                    .map(String::as_str)
                    .collect();
                candidate.range = Some(Err(format!(
                    "the /Contents hole of the signature field {} is also claimed by the signature field {}",
                    candidate.field_name,
                    if others.is_empty() { candidate.field_name.clone() } else { others.join(", ") }
                )));
            }
        }
    }
}

/// The PDF parser spends most of its time decoding the large hex strings that hold signatures,
/// which are read from the raw bytes by their byte range anyway. They are blanked out before the
/// structure is parsed: `<hex…>` becomes `()` and spaces of the same length, so every offset of
/// the cross-reference stays right. `None` when there is nothing to blank.
///
/// Only hex strings written after a `/Contents` key are blanked, each hole once: holes that
/// overlap one already blanked are left, so the work is linear in the size of the file
/// whatever byte ranges it holds.
pub(super) fn without_signature_contents(pdf: &[u8]) -> Option<Vec<u8>> {
    blank_signature_contents(pdf).0
}

fn verify_contents(
    pdf: &[u8],
    range: [usize; 4],
    sub_filter: &str,
    context: &VerifyContext<'_>,
) -> SignatureReport {
    let hole = pdf.get(range[1] + 1..range[2] - 1).unwrap_or_default();
    let cms = match hex::decode(signature_hex(hole)) {
        Ok(bytes) => bytes,
        Err(error) => {
            return failed_report(
                format!("/Contents is not hex: {error}"),
                context.validation_time,
            )
        }
    };
    // The hole is larger than the CMS: only its first DER element counts, the rest is padding.
    let cms = match der::first_element(&cms) {
        Ok(element) => element.encoded.to_vec(),
        Err(error) => return failed_report(format!("/Contents: {error}"), context.validation_time),
    };
    // The CMS layer hashes the signed bytes with the algorithm it names: give it both ranges.
    let (Some(first), Some(second)) = (
        pdf.get(range[0]..range[0].saturating_add(range[1])),
        pdf.get(range[2]..range[2].saturating_add(range[3])),
    ) else {
        return failed_report(
            "the byte range goes beyond the end of the file",
            context.validation_time,
        );
    };
    if sub_filter == DOCUMENT_TIMESTAMP_SUB_FILTER {
        return verify_document_timestamp(&cms, [first, second], context);
    }
    let mut report = match verify_with_context(&cms, &[first, second], context) {
        Ok(report) => report,
        Err(error) => return failed_report(error.to_string(), context.validation_time),
    };
    let accepted = ["ETSI.CAdES.detached", "adbe.pkcs7.detached"].contains(&sub_filter);
    let (outcome, detail) = if accepted {
        (
            Outcome::Passed,
            format!("the byte range covers the revision except the signature ({sub_filter})"),
        )
    } else {
        (
            Outcome::Failed,
            format!("unsupported /SubFilter {sub_filter}"),
        )
    };
    report.checks.insert(
        0,
        SignatureCheck {
            check: SignatureCheckKind::ByteRange,
            outcome,
            detail: detail.clone(),
        },
    );
    if !accepted && report.indication != Indication::TotalFailed {
        report.indication = Indication::TotalFailed;
        report.sub_indication = Some(SubIndication::FormatFailure);
        report.summary = detail;
    }
    report
}

fn failed_report(problem: impl Into<String>, validated_at: DateTime<Utc>) -> SignatureReport {
    let problem = problem.into();
    SignatureReport {
        indication: Indication::TotalFailed,
        sub_indication: Some(SubIndication::FormatFailure),
        summary: problem.clone(),
        signer: None,
        claimed_signing_time: None,
        signature_algorithm: String::new(),
        certificate_validations: Vec::new(),
        checks: vec![SignatureCheck {
            check: SignatureCheckKind::ByteRange,
            outcome: Outcome::Failed,
            detail: problem,
        }],
        validated_at,
        timestamps: Vec::new(),
        proof_of_existence: None,
        level: None,
    }
}

#[cfg(test)]
mod tests {
    use super::byte_range::all_hex;
    use super::*;
    use crate::cms::KeySigner;
    use crate::pades::{sign_pdf, PdfSignatureOptions};
    use crate::testpki::{sample_pdf, CrlSpec, KeySpec, TestPki};

    #[test]
    fn hex_check_agrees_with_the_standard_library() {
        for byte in 0..=u8::MAX {
            assert_eq!(all_hex(&[byte]), byte.is_ascii_hexdigit(), "{byte}");
            // In a long block too, at every position.
            let mut block = vec![b'A'; 130];
            block[usize::from(byte) % 130] = byte;
            assert_eq!(all_hex(&block), byte.is_ascii_hexdigit(), "{byte}");
        }
        assert!(all_hex(b""));
    }

    /// Signatures found when the budget runs out are INDETERMINATE / BUDGET_EXCEEDED, with
    /// their byte range as written.
    #[test]
    fn signatures_found_when_the_budget_runs_out_are_not_concluded() -> Result<(), PkiError> {
        let now = Utc::now();
        let pki = TestPki::new(KeySpec::EcP256, now)?;
        let leader = pki.issue(
            &pki.individual("Thân Văn Thuận", "024085001234")
                .key(KeySpec::EcP256),
        )?;
        let signer = KeySigner::new(leader.private_key().clone(), leader.certificate().clone())?;
        let chain = [pki.issuing_ca.certificate().clone()];
        let once = sign_pdf(
            &sample_pdf("BAO CAO"),
            &signer,
            &chain,
            &PdfSignatureOptions::new(now),
        )?;
        let twice = sign_pdf(&once, &signer, &chain, &PdfSignatureOptions::new(now))?;
        let mut store = pki.trust_store()?;
        store.add_crl(&pki.root_crl(&CrlSpec::current(now))?)?;
        store.add_crl(&pki.crl(&CrlSpec::current(now))?)?;

        let budget = Budget::unlimited();
        let options =
            VerifyOptions::new(&store, now, RevocationPolicy::Require).budget(budget.clone());
        let (masked, blanked) = blank_signature_contents(&twice);
        let view = masked.as_deref().unwrap_or(&twice);
        let document = Source::open_for_reading(view)?;
        let walk = signature_fields(&document, &budget, DEFAULT_MAX_SIGNATURES);
        assert_eq!(walk.fields.len(), 2);
        // The client goes away once the fields are found.
        budget.canceller().cancel();
        let reports = verify_found(&twice, (view, &blanked), &document, walk, &options);
        assert_eq!(reports.len(), 2);
        for report in &reports {
            assert_eq!(report.report.indication, Indication::Indeterminate);
            assert_eq!(
                report.report.sub_indication,
                Some(SubIndication::BudgetExceeded)
            );
            assert_eq!(
                report.report.summary,
                "verification stopped: the client went away"
            );
            // Their byte ranges as written; not checked, as nothing more is done once stopped.
            assert_eq!(report.byte_range.len(), 4);
            assert_eq!(report.revision_length, 0);
        }
        assert_eq!(
            serde_json::to_value(SubIndication::BudgetExceeded).ok(),
            Some(serde_json::json!("BUDGET_EXCEEDED"))
        );
        // Verified without the budget running out, both pass.
        let reports = verify_pdf_with(
            &twice,
            &VerifyOptions::new(&store, now, RevocationPolicy::Require),
        )?;
        assert!(
            reports.iter().all(|report| report.report.is_valid()),
            "{reports:#?}"
        );
        Ok(())
    }
}
