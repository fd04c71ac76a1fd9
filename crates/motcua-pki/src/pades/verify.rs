//! Verifying every signature of a PDF.

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Object};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::serialize::{decode_text, parse_pdf_date};
use super::source::Source;
use crate::budget::Budget;
use crate::cms::{
    verify_with_context, Indication, SignatureCheck, SignatureCheckKind, SignatureReport,
    SubIndication, VerifyContext,
};
use crate::der;
use crate::error::PkiError;
use crate::parse::Certificate;
use crate::store::TrustStore;
use crate::verdict::{Outcome, RevocationPolicy};

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
    /// What was appended after this signature's revision.
    pub changes_after: ChangesAfter,
    /// The signature itself.
    pub report: SignatureReport,
}

/// What a PDF received after a signature was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangesAfter {
    /// The signature covers the whole file.
    Nothing,
    /// Only revisions that are themselves signed followed (e.g. the organisation after the
    /// leader).
    FurtherSignatures,
    /// An unsigned revision followed: the content may have been changed after signing.
    OtherContent,
}

/// Verifies every signature of `pdf`, in the order they were added. A document without
/// signatures gives an empty list; errors are for files that cannot be read as PDF.
pub fn verify_pdf(
    pdf: &[u8],
    store: &TrustStore,
    supplied: &[Certificate],
    validation_time: DateTime<Utc>,
    policy: RevocationPolicy,
) -> Result<Vec<PdfSignatureReport>, PkiError> {
    let masked = without_signature_contents(pdf);
    let document = Source::open_for_reading(masked.as_deref().unwrap_or(pdf))?;
    let mut reports = Vec::new();
    let budget = Budget::unlimited();
    for (field_name, signature) in signature_fields(&document) {
        let mut context = VerifyContext {
            store,
            supplied,
            validation_time,
            policy,
            claimed_time_outside: None,
            budget: &budget,
        };
        reports.push(verify_one(pdf, field_name, &signature, &mut context));
    }
    reports.sort_by_key(|report| report.revision_length);
    judge_later_changes(pdf, &mut reports);
    Ok(reports)
}

/// Classifies what followed each signature. Each revision of a PDF ends with `%%EOF`; every
/// revision after a signature must be one that a later signature covers, and the last one must
/// be signed, or the document was changed after signing.
fn judge_later_changes(pdf: &[u8], reports: &mut [PdfSignatureReport]) {
    let ends: Vec<u64> = reports.iter().map(|r| r.revision_length).collect();
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
        report.changes_after = if report.covers_whole_document {
            ChangesAfter::Nothing
        } else if last_is_signed && revisions_after == signed_after {
            ChangesAfter::FurtherSignatures
        } else {
            ChangesAfter::OtherContent
        };
        record_changes(
            &mut report.report,
            report.changes_after,
            revisions_after,
            signed_after,
        );
    }
}

/// The PDF parser spends most of its time decoding the large hex strings that hold signatures,
/// which are read from the raw bytes by their byte range anyway. They are blanked out before the
/// structure is parsed: `<hex…>` becomes `()` and spaces of the same length, so every offset of
/// the cross-reference stays right. `None` when there is nothing to blank.
pub(super) fn without_signature_contents(pdf: &[u8]) -> Option<Vec<u8>> {
    let mut masked: Option<Vec<u8>> = None;
    for found in memchr::memmem::find_iter(pdf, b"/ByteRange") {
        let Some([_, hole_start, hole_end, _]) = byte_range_at(pdf, found + b"/ByteRange".len())
        else {
            continue;
        };
        let hole = pdf.get(hole_start..hole_end).unwrap_or_default();
        if hole.len() < 2 || hole.first() != Some(&b'<') || hole.last() != Some(&b'>') {
            continue;
        }
        let copy = masked.get_or_insert_with(|| pdf.to_vec());
        if let Some(target) = copy.get_mut(hole_start..hole_end) {
            target.fill(b' ');
            target[0] = b'(';
            target[1] = b')';
        }
    }
    masked
}

/// The hex digits of the CMS at the start of a `/Contents` hole, without the zero padding after
/// it: the DER header gives the length, so only the signature itself is decoded. The whole hole
/// when the header cannot be read (the decoder then reports the problem).
fn signature_hex(hole: &[u8]) -> &[u8] {
    let header: Vec<u8> = hole
        .get(..12)
        .and_then(|h| hex::decode(h).ok())
        .unwrap_or_default();
    let total = match header.as_slice() {
        [_, length, ..] if *length < 0x80 => Some(2 + usize::from(*length)),
        [_, 0x81, a, ..] => Some(3 + usize::from(*a)),
        [_, 0x82, a, b, ..] => Some(4 + (usize::from(*a) << 8 | usize::from(*b))),
        [_, 0x83, a, b, c, ..] => {
            Some(5 + (usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c)))
        }
        _ => None,
    };
    total
        .and_then(|bytes| hole.get(..bytes * 2))
        .unwrap_or(hole)
}

/// Reads `[a b c d]` after `at`.
fn byte_range_at(pdf: &[u8], at: usize) -> Option<[usize; 4]> {
    let rest = pdf.get(at..at.saturating_add(100))?;
    let text = std::str::from_utf8(rest.split(|b| *b == b']').next()?).ok()?;
    let mut numbers = text
        .trim_start()
        .strip_prefix('[')?
        .split_whitespace()
        .map(|n| n.parse::<usize>().ok());
    let range = [
        numbers.next()??,
        numbers.next()??,
        numbers.next()??,
        numbers.next()??,
    ];
    Some(range)
}

fn count_eof_markers(bytes: &[u8]) -> usize {
    bytes
        .windows(5)
        .filter(|window| *window == b"%%EOF")
        .count()
}

fn record_changes(
    report: &mut SignatureReport,
    changes: ChangesAfter,
    revisions: usize,
    signed: usize,
) {
    let (outcome, detail) = match changes {
        ChangesAfter::Nothing => (Outcome::Passed, "nothing was appended after this signature".to_owned()),
        ChangesAfter::FurtherSignatures => (Outcome::Passed, format!("only further signatures followed ({signed})")),
        ChangesAfter::OtherContent => (
            Outcome::Failed,
            format!("{revisions} revision(s) followed, of which only {signed} are signed: the document was changed after signing"),
        ),
    };
    report.checks.push(SignatureCheck {
        check: SignatureCheckKind::ChangesAfterSigning,
        outcome,
        detail,
    });
    if changes == ChangesAfter::OtherContent && report.indication != Indication::TotalFailed {
        report.indication = Indication::TotalFailed;
        report.sub_indication = Some(SubIndication::SigConstraintsFailure);
        report.summary = "the document was changed after this signature".into();
    }
}

fn verify_one(
    pdf: &[u8],
    field_name: String,
    signature: &Dictionary,
    context: &mut VerifyContext<'_>,
) -> PdfSignatureReport {
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
    context.claimed_time_outside = signature
        .get(b"M")
        .and_then(Object::as_str)
        .ok()
        .and_then(|date| parse_pdf_date(&decode_text(date)));
    let checked = check_byte_range(pdf, &byte_range);
    let revision_length = checked
        .as_ref()
        .map_or(0, |range| range[2].saturating_add(range[3]));
    let covers_whole_document = revision_length == pdf.len();
    let report = match checked {
        Ok(range) => verify_contents(pdf, range, &sub_filter, context),
        Err(problem) => failed_report(problem, context.validation_time),
    };
    PdfSignatureReport {
        field_name,
        sub_filter,
        byte_range,
        revision_length: u64::try_from(revision_length).unwrap_or(u64::MAX),
        covers_whole_document,
        changes_after: ChangesAfter::Nothing,
        report,
    }
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

/// Checks that the byte range is `[0 a b c]` with the hole exactly the `/Contents` hex string
/// and `b + c` the end of a revision (an `%%EOF` marker), so nothing of the revision is left
/// unsigned.
fn check_byte_range(pdf: &[u8], byte_range: &[i64]) -> Result<[usize; 4], String> {
    let values: Vec<usize> = byte_range
        .iter()
        .filter_map(|value| usize::try_from(*value).ok())
        .collect();
    let [start, first_length, second_start, second_length] = values.as_slice() else {
        return Err("/ByteRange must be four non-negative integers".into());
    };
    let range = [*start, *first_length, *second_start, *second_length];
    if *start != 0 {
        return Err("/ByteRange does not start at the beginning of the file".into());
    }
    if second_start <= first_length {
        return Err("/ByteRange parts overlap".into());
    }
    let end = second_start.saturating_add(*second_length);
    if end > pdf.len() {
        return Err("/ByteRange goes beyond the end of the file".into());
    }
    let hole = pdf.get(*first_length..*second_start).unwrap_or_default();
    let is_hex_string = hole.first() == Some(&b'<')
        && hole.last() == Some(&b'>')
        && hole.len() >= 2
        && hole
            .get(1..hole.len() - 1)
            .unwrap_or_default()
            .iter()
            .all(u8::is_ascii_hexdigit);
    if !is_hex_string {
        return Err("the unsigned hole of /ByteRange is not exactly the /Contents string".into());
    }
    let revision = pdf.get(..end).unwrap_or_default();
    let trimmed = revision
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(&[][..], |last| revision.get(..=last).unwrap_or_default());
    if !trimmed.ends_with(b"%%EOF") {
        return Err("/ByteRange does not end at the end of a revision".into());
    }
    Ok(range)
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
    }
}

/// Signature fields with a value, by fully qualified name, walking the AcroForm field tree.
fn signature_fields(document: &Source<'_>) -> Vec<(String, Dictionary)> {
    let as_dictionary = |object: Object| match object {
        Object::Dictionary(dictionary) => Some(dictionary),
        _ => None,
    };
    let fields = document
        .trailer()
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok()
        .and_then(|root| document.dictionary(root).ok())
        .and_then(|catalog| catalog.get(b"AcroForm").ok().cloned())
        .and_then(|form| document.resolve(&form).ok())
        .and_then(as_dictionary)
        .and_then(|form| form.get(b"Fields").ok().cloned())
        .and_then(|fields| document.resolve(&fields).ok())
        .and_then(|fields| match fields {
            Object::Array(fields) => Some(fields),
            _ => None,
        })
        .unwrap_or_default();
    let mut found = Vec::new();
    // (field, parent name, inherited field type); depth-limited against reference loops.
    let mut pending: Vec<(Object, String, Option<Vec<u8>>, usize)> = fields
        .into_iter()
        .map(|field| (field, String::new(), None, 0))
        .collect();
    while let Some((field, parent, inherited_type, depth)) = pending.pop() {
        let Some(field) = document.resolve(&field).ok().and_then(as_dictionary) else {
            continue;
        };
        let partial = field
            .get(b"T")
            .and_then(Object::as_str)
            .map(decode_text)
            .ok();
        let name = match (parent.is_empty(), partial) {
            (_, None) => parent.clone(),
            (true, Some(partial)) => partial,
            (false, Some(partial)) => format!("{parent}.{partial}"),
        };
        let field_type = field
            .get(b"FT")
            .and_then(Object::as_name)
            .map(<[u8]>::to_vec)
            .ok()
            .or(inherited_type);
        let kids = field
            .get(b"Kids")
            .ok()
            .and_then(|kids| document.resolve(kids).ok());
        if let Some(Object::Array(kids)) = kids {
            if depth < 32 {
                for kid in kids {
                    pending.push((kid, name.clone(), field_type.clone(), depth + 1));
                }
            }
        }
        if field_type.as_deref() != Some(b"Sig") {
            continue;
        }
        let value = field
            .get(b"V")
            .ok()
            .and_then(|value| document.resolve(value).ok())
            .and_then(as_dictionary);
        if let Some(value) = value {
            found.push((name, value));
        }
    }
    found
}
