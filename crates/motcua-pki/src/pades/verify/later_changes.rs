//! What the revisions after each signature changed, and the check that reports it.

use std::collections::HashMap;
use std::ops::Range;

use super::{ChangesAfter, PdfSignatureReport};
use crate::budget::Budget;
use crate::cms::{Indication, SignatureCheck, SignatureCheckKind, SignatureReport, SubIndication};
use crate::pades::changes::{self, Modification};
use crate::pades::source::Source;
use crate::verdict::Outcome;

/// Classifies what followed each signature. Each revision of a PDF ends with `%%EOF`; the
/// objects written after a signature's revision are compared with their signed versions
/// ([`changes::analyse`]): only later signatures and validation data may be added. When that
/// comparison cannot be completed, every revision after a signature must be one that a later
/// signature covers, and the last one must be signed, or the document was changed after
/// signing.
pub(super) fn judge_later_changes(
    pdf: &[u8],
    (view, blanked): (&[u8], &[Range<usize>]),
    document: &Source<'_>,
    reports: &mut [PdfSignatureReport],
    budget: &Budget,
) {
    let ends: Vec<u64> = reports.iter().map(|r| r.revision_length).collect();
    let mut analyses: HashMap<(u64, String), changes::Analysis> = HashMap::new();
    for report in reports.iter_mut() {
        let start = usize::try_from(report.revision_length).unwrap_or(usize::MAX);
        let revisions_after = pdf.get(start..).map_or(0, count_eof_markers);
        let signed_after = ends
            .iter()
            .filter(|end| **end > report.revision_length)
            .count();
        let last_is_signed = ends
            .last()
            .is_some_and(|end| usize::try_from(*end).ok() == Some(pdf.len()));
        let by_revisions = if last_is_signed && revisions_after == signed_after {
            ChangesAfter::FurtherSignatures
        } else {
            ChangesAfter::OtherContent
        };
        let stopped = report.report.sub_indication == Some(SubIndication::BudgetExceeded);
        let analysable = !report.covers_whole_document && start > 0 && !stopped;
        let analysis = analysable.then(|| {
            analyses
                .entry((report.revision_length, report.field_name.clone()))
                .or_insert_with(|| {
                    let signed = (start, report.field_name.as_str());
                    changes::analyse(pdf, view, blanked, document, signed, budget)
                })
                .clone()
        });
        report.changes_after = match &analysis {
            _ if report.covers_whole_document => ChangesAfter::Nothing,
            Some(analysis) if analysis.modifications.iter().any(|m| !m.kind.is_allowed()) => {
                ChangesAfter::OtherContent
            }
            Some(analysis) if analysis.incomplete.is_none() => ChangesAfter::FurtherSignatures,
            _ => by_revisions,
        };
        let incomplete = analysis.as_ref().and_then(|a| a.incomplete.clone());
        report.modifications = analysis.map(|a| a.modifications).unwrap_or_default();
        if stopped {
            continue;
        }
        record_changes(
            &mut report.report,
            report.changes_after,
            &report.modifications,
            incomplete.as_deref(),
            (revisions_after, signed_after),
        );
    }
}

fn count_eof_markers(bytes: &[u8]) -> usize {
    bytes
        .windows(5)
        .filter(|window| *window == b"%%EOF")
        .count()
}

/// At most this many modifications are named in a report's summary and check.
const MODIFICATIONS_NAMED: usize = 10;

/// `page 1 content changed (object 4 0), …`.
fn describe(modifications: &[&Modification]) -> String {
    let mut text = modifications
        .iter()
        .take(MODIFICATIONS_NAMED)
        .map(|m| format!("{} (object {})", m.detail, m.object))
        .collect::<Vec<_>>()
        .join(", ");
    if modifications.len() > MODIFICATIONS_NAMED {
        text.push_str(&format!(
            " and {} more",
            modifications.len() - MODIFICATIONS_NAMED
        ));
    }
    text
}

fn record_changes(
    report: &mut SignatureReport,
    changes: ChangesAfter,
    modifications: &[Modification],
    incomplete: Option<&str>,
    (revisions, signed): (usize, usize),
) {
    let harmful: Vec<&Modification> = modifications
        .iter()
        .filter(|m| !m.kind.is_allowed())
        .collect();
    let allowed: Vec<&Modification> = modifications
        .iter()
        .filter(|m| m.kind.is_allowed())
        .collect();
    let unfinished = incomplete
        .map(|why| format!(" (the changes were not all compared: {why})"))
        .unwrap_or_default();
    let (outcome, detail) = match changes {
        ChangesAfter::Nothing => (Outcome::Passed, "nothing was appended after this signature".to_owned()),
        ChangesAfter::FurtherSignatures if allowed.is_empty() => (
            Outcome::Passed,
            format!("only further signatures followed ({signed}){unfinished}"),
        ),
        ChangesAfter::FurtherSignatures => (
            Outcome::Passed,
            format!(
                "only further signatures, validation data and the form filling this signature permits followed: {}{unfinished}",
                describe(&allowed)
            ),
        ),
        ChangesAfter::OtherContent if !harmful.is_empty() => (
            Outcome::Failed,
            format!(
                "the document was changed after this signature: {}{unfinished}",
                describe(&harmful)
            ),
        ),
        ChangesAfter::OtherContent => (
            Outcome::Failed,
            format!("{revisions} revision(s) followed, of which only {signed} are signed: the document was changed after signing{unfinished}"),
        ),
    };
    report.checks.push(SignatureCheck {
        check: SignatureCheckKind::ChangesAfterSigning,
        outcome,
        detail: detail.clone(),
    });
    if changes == ChangesAfter::OtherContent && report.indication != Indication::TotalFailed {
        report.indication = Indication::TotalFailed;
        report.sub_indication = Some(SubIndication::SigConstraintsFailure);
        report.summary = if harmful.is_empty() {
            format!("the document was changed after this signature: {detail}")
        } else {
            detail
        };
    }
}
