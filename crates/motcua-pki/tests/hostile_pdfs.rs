//! Hostile PDFs: real documents signed twice with the test PKI, then mutated (truncated, byte
//! ranges edited, field trees with cycles or thousands of levels, `/Prev` cycles, many
//! signature fields). Every verification must answer within its budget, never panic, and never
//! call a signature valid over bytes that are not the ones signed. The defects an audit found
//! are tested in their exact shapes.

mod common;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{now, Fixture};
use motcua_pki::cms::{Indication, KeySigner, SubIndication};
use motcua_pki::pades::{
    sign_pdf, verify_pdf, verify_pdf_with, ChangesAfter, ModificationKind, PdfSignatureOptions,
    PdfSignatureReport, VerifyOptions,
};
use motcua_pki::testpki::KeySpec;
use motcua_pki::{Budget, PkiError, RevocationPolicy};
use proptest::prelude::*;

/// The budget of each verification in these tests.
const BUDGET: Duration = Duration::from_secs(2);
/// What a loaded machine may add to it.
const MARGIN: Duration = Duration::from_millis(1500);

struct Samples {
    fixture: Fixture,
    /// Signed by the leader.
    once: Vec<u8>,
    /// Then by the organisation.
    twice: Vec<u8>,
    ids: Ids,
}

/// Object numbers of the twice-signed document.
struct Ids {
    root: u32,
    page: u32,
    form: u32,
    /// (widget, signature dictionary) of each signature, in signing order.
    signatures: Vec<(u32, u32)>,
    size: u32,
}

fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let fixture = Fixture::new(KeySpec::EcP256).expect("fixture");
        let sign = |pdf: &[u8], cert: &motcua_pki::testpki::TestCert| {
            let signer = KeySigner::new(cert.private_key().clone(), cert.certificate().clone())
                .expect("signer");
            sign_pdf(
                pdf,
                &signer,
                &[fixture.pki.issuing_ca.certificate().clone()],
                &PdfSignatureOptions::new(now()),
            )
            .expect("signed")
        };
        let leader = fixture.official().expect("leader");
        let unit = fixture
            .pki
            .issue(
                &fixture
                    .pki
                    .organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
                    .key(KeySpec::EcP256),
            )
            .expect("organisation");
        let once = sign(
            &motcua_pki::testpki::sample_pdf("BAO CAO So: 05/BC-UBND"),
            &leader,
        );
        let twice = sign(&once, &unit);
        let ids = ids_of(&twice);
        Samples {
            fixture,
            once,
            twice,
            ids,
        }
    })
}

fn ids_of(pdf: &[u8]) -> Ids {
    let document = lopdf::Document::load_mem(pdf).expect("loads");
    let root = document
        .trailer
        .get(b"Root")
        .and_then(lopdf::Object::as_reference)
        .expect("root");
    let catalog = document.get_dictionary(root).expect("catalog");
    let form = catalog
        .get(b"AcroForm")
        .and_then(lopdf::Object::as_reference)
        .expect("form");
    let fields = document
        .get_dictionary(form)
        .and_then(|form| form.get(b"Fields"))
        .and_then(lopdf::Object::as_array)
        .expect("fields");
    let signatures = fields
        .iter()
        .map(|field| {
            let widget = field.as_reference().expect("a reference");
            let value = document
                .get_dictionary(widget)
                .and_then(|widget| widget.get(b"V"))
                .and_then(lopdf::Object::as_reference)
                .expect("a value");
            (widget.0, value.0)
        })
        .collect();
    let page = *document.get_pages().get(&1).expect("page 1");
    Ids {
        root: root.0,
        page: page.0,
        form: form.0,
        signatures,
        size: document.max_id + 1,
    }
}

/// The offset after the last `startxref`.
fn last_startxref(pdf: &[u8]) -> usize {
    let at = pdf
        .windows(9)
        .rposition(|window| window == b"startxref")
        .expect("startxref");
    String::from_utf8_lossy(&pdf[at + 9..])
        .split_whitespace()
        .next()
        .and_then(|number| number.parse().ok())
        .expect("an offset")
}

/// Appends an incremental update writing `objects` (number, body) with a classic table.
fn append(pdf: &[u8], objects: &[(u32, String)], size: u32, root: u32) -> Vec<u8> {
    append_with_prev(pdf, objects, size, root, Some(last_startxref(pdf)))
}

fn append_with_prev(
    pdf: &[u8],
    objects: &[(u32, String)],
    size: u32,
    root: u32,
    prev: Option<usize>,
) -> Vec<u8> {
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets = Vec::new();
    for (number, body) in objects {
        offsets.push((*number, out.len()));
        out.extend_from_slice(format!("{number} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (number, offset) in offsets {
        out.extend_from_slice(format!("{number} 1\n{offset:010} 00000 n \n").as_bytes());
    }
    let prev = prev.map_or(String::new(), |prev| format!(" /Prev {prev}"));
    out.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root {root} 0 R{prev} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

/// A widget of signature `index` (0: the leader's), rewritten with `extra` entries.
fn widget(index: usize, extra: &str) -> (u32, String) {
    let ids = &samples().ids;
    let (widget, value) = ids.signatures[index];
    (
        widget,
        format!(
            "<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /F 132 /P {} 0 R /T (Signature{}) /V {value} 0 R {extra} >>",
            ids.page,
            index + 1
        ),
    )
}

fn form_with(fields: &str) -> (u32, String) {
    (
        samples().ids.form,
        format!("<< /Fields [{fields}] /SigFlags 3 >>"),
    )
}

fn options(budget: Duration) -> VerifyOptions<'static> {
    VerifyOptions::new(&samples().fixture.store, now(), RevocationPolicy::Require)
        .budget(Budget::new(budget))
}

/// Verifies `pdf` with the test budget, checking the time it took and that no signature is
/// called valid over bytes other than the ones signed.
fn verify_hostile(pdf: &[u8]) -> Result<Vec<PdfSignatureReport>, PkiError> {
    let started = Instant::now();
    let result = verify_pdf_with(pdf, &options(BUDGET));
    let elapsed = started.elapsed();
    assert!(
        elapsed < BUDGET + MARGIN,
        "took {elapsed:?} with a budget of {BUDGET:?}"
    );
    if let Ok(reports) = &result {
        let samples = samples();
        for report in reports {
            if report.report.indication != Indication::TotalPassed {
                continue;
            }
            // Valid only over the bytes one of the two signers signed, by that signer's field:
            // the hole (unsigned, padded) may differ.
            let index = usize::from(report.field_name == "Signature2");
            let original = if index == 0 {
                &samples.once
            } else {
                &samples.twice
            };
            let [_, hole_start, hole_end, rest] = byte_range_of(original, index);
            let signed_range: Vec<i64> = [0, hole_start, hole_end, rest]
                .iter()
                .map(|n| i64::try_from(*n).unwrap_or(-1))
                .collect();
            assert!(
                ["Signature1", "Signature2"].contains(&report.field_name.as_str()),
                "valid for a field that was never signed: {report:#?}"
            );
            assert_eq!(report.byte_range, signed_range, "{report:#?}");
            assert_eq!(
                pdf.get(..hole_start),
                original.get(..hole_start),
                "valid over changed bytes: {report:#?}"
            );
            assert_eq!(
                pdf.get(hole_end..hole_end + rest),
                original.get(hole_end..),
                "valid over changed bytes: {report:#?}"
            );
        }
    }
    result
}

/// Replaces the byte range of signature `index` in place (the slot is padded with spaces).
fn with_byte_range(pdf: &[u8], index: usize, text: &str) -> Vec<u8> {
    let mut out = pdf.to_vec();
    let at = pdf
        .windows(10)
        .enumerate()
        .filter(|(_, window)| *window == b"/ByteRange")
        .map(|(at, _)| at)
        .nth(index)
        .expect("a byte range")
        + 11;
    let slot_end = at
        + pdf[at..]
            .windows(9)
            .position(|w| w == b"/Contents")
            .expect("contents");
    let mut filled = text.as_bytes().to_vec();
    assert!(filled.len() < slot_end - at, "{text} does not fit");
    filled.resize(slot_end - at, b' ');
    out[at..slot_end].copy_from_slice(&filled);
    out
}

fn byte_range_of(pdf: &[u8], index: usize) -> [usize; 4] {
    let at = pdf
        .windows(10)
        .enumerate()
        .filter(|(_, window)| *window == b"/ByteRange")
        .map(|(at, _)| at)
        .nth(index)
        .expect("a byte range")
        + 10;
    let text = String::from_utf8_lossy(&pdf[at..at + 60]).into_owned();
    let inner = text
        .trim_start()
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or_default()
        .to_owned();
    let numbers: Vec<usize> = inner
        .split_whitespace()
        .map(|n| n.parse().expect("a number"))
        .collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

fn both_widgets() -> String {
    let ids = &samples().ids;
    format!("{} 0 R {} 0 R", ids.signatures[0].0, ids.signatures[1].0)
}

// Defect 1: a field that lists itself three times as its kid made the walk exponential.
#[test]
fn a_field_listing_itself_three_times_answers_at_once() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let own = ids.signatures[0].0;
    let cyclic = append(
        &samples.once,
        &[widget(0, &format!("/Kids [{own} 0 R {own} 0 R {own} 0 R]"))],
        ids.size,
        ids.root,
    );
    assert!(cyclic.len() > 30_000, "{} bytes", cyclic.len());
    let started = Instant::now();
    let reports = verify_pdf(
        &cyclic,
        &samples.fixture.store,
        &[],
        now(),
        RevocationPolicy::Require,
    )?;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reports.len(), 1, "{reports:#?}");
    // The signature itself is intact; the widget changed after it.
    assert_eq!(reports[0].changes_after, ChangesAfter::OtherContent);
    assert!(reports[0]
        .modifications
        .iter()
        .any(|m| m.kind == ModificationKind::AnnotationChanged));
    Ok(())
}

#[test]
fn a_two_field_cycle_is_walked_once() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let (first, second) = (ids.signatures[0].0, ids.signatures[1].0);
    let cyclic = append(
        &samples.twice,
        &[
            widget(0, &format!("/Kids [{second} 0 R]")),
            widget(1, &format!("/Kids [{first} 0 R]")),
        ],
        ids.size,
        ids.root,
    );
    let started = Instant::now();
    let reports = verify_hostile(&cyclic)?;
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(reports.len(), 2, "{reports:#?}");
    Ok(())
}

#[test]
fn thousands_of_nested_fields_are_cut_at_the_depth_limit() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let first = ids.size;
    let depth = 5000u32;
    let mut objects: Vec<(u32, String)> = (0..depth)
        .map(|level| {
            let number = first + level;
            let kids = if level + 1 < depth {
                format!("/Kids [{} 0 R]", number + 1)
            } else {
                String::new()
            };
            (number, format!("<< /T (n{level}) /FT /Sig {kids} >>"))
        })
        .collect();
    objects.push(form_with(&format!("{} {first} 0 R", both_widgets())));
    let deep = append(&samples.twice, &objects, first + depth, ids.root);
    let reports = verify_hostile(&deep)?;
    assert_eq!(reports.len(), 2, "{reports:#?}");
    assert!(
        reports[0]
            .document_warnings
            .iter()
            .any(|warning| warning.contains("deeper than")),
        "{:?}",
        reports[0].document_warnings
    );
    Ok(())
}

// Defect 3: a byte range integer too large for 64 bits dropped the signature from the report.
#[test]
fn a_byte_range_overflowing_64_bits_is_reported_not_dropped() -> common::TestResult {
    let samples = samples();
    let huge = with_byte_range(&samples.twice, 0, "[0 18446744073709551616 1 2]");
    let reports = verify_hostile(&huge)?;
    assert_eq!(reports.len(), 2, "{reports:#?}");
    let broken = reports
        .iter()
        .find(|report| report.field_name == "Signature1")
        .ok_or("Signature1 is not reported")?;
    assert_eq!(
        (broken.report.indication, broken.report.sub_indication),
        (Indication::TotalFailed, Some(SubIndication::FormatFailure)),
        "{broken:#?}"
    );
    assert_eq!(
        broken.report.summary,
        "/ByteRange is not four integers that fit the file"
    );
    Ok(())
}

// Defect 4: a field without a signature borrowed another field's hole and its signer.
#[test]
fn a_field_without_contents_does_not_borrow_another_signature() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let [a, b, c, d] = byte_range_of(&samples.twice, 1);
    let (widget_id, signature_id) = (ids.size, ids.size + 1);
    let borrowed = append(
        &samples.twice,
        &[
            (
                widget_id,
                format!(
                    "<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /P {} 0 R /T (Borrower) /V {signature_id} 0 R >>",
                    ids.page
                ),
            ),
            (
                signature_id,
                format!(
                    "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [{a} {b} {c} {d}] /Contents <> >>"
                ),
            ),
            form_with(&format!("{} {widget_id} 0 R", both_widgets())),
        ],
        ids.size + 2,
        ids.root,
    );
    let reports = verify_hostile(&borrowed)?;
    assert_eq!(reports.len(), 3, "{reports:#?}");
    let borrower = reports
        .iter()
        .find(|report| report.field_name == "Borrower")
        .ok_or("the borrower is not reported")?;
    assert_eq!(borrower.report.indication, Indication::TotalFailed);
    assert_eq!(borrower.report.signer, None, "{borrower:#?}");
    assert_eq!(
        borrower.report.summary,
        "the signature field Borrower has no /Contents"
    );
    // The same with a /Contents of its own but the byte range of the other.
    let pointing = with_byte_range(&samples.twice, 0, &format!("[{a} {b} {c} {d}]"));
    let reports = verify_hostile(&pointing)?;
    let leader = reports
        .iter()
        .find(|report| report.field_name == "Signature1")
        .ok_or("Signature1 is not reported")?;
    assert_eq!(leader.report.indication, Indication::TotalFailed);
    assert!(
        leader
            .report
            .summary
            .contains("does not point at its own /Contents"),
        "{leader:#?}"
    );
    Ok(())
}

#[test]
fn two_fields_sharing_one_signature_both_fail() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let (_, signature) = ids.signatures[1];
    let twin = ids.size;
    let shared = append(
        &samples.twice,
        &[
            (
                twin,
                format!(
                    "<< /Type /Annot /Subtype /Widget /FT /Sig /Rect [0 0 0 0] /P {} 0 R /T (Twin) /V {signature} 0 R >>",
                    ids.page
                ),
            ),
            form_with(&format!("{} {twin} 0 R", both_widgets())),
        ],
        ids.size + 1,
        ids.root,
    );
    let reports = verify_hostile(&shared)?;
    assert_eq!(reports.len(), 3);
    for name in ["Signature2", "Twin"] {
        let report = reports
            .iter()
            .find(|report| report.field_name == name)
            .ok_or("not reported")?;
        assert_eq!(report.report.indication, Indication::TotalFailed);
        assert!(
            report.report.summary.contains("also claimed"),
            "{report:#?}"
        );
    }
    Ok(())
}

#[test]
fn too_many_signatures_are_refused_before_any_is_verified() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let (_, signature) = ids.signatures[0];
    let count = 60u32;
    let mut objects: Vec<(u32, String)> = (0..count)
        .map(|index| {
            (
                ids.size + index,
                format!("<< /FT /Sig /T (Extra{index}) /V {signature} 0 R >>"),
            )
        })
        .collect();
    let extra: Vec<String> = (0..count)
        .map(|index| format!("{} 0 R", ids.size + index))
        .collect();
    objects.push(form_with(&format!(
        "{} {}",
        both_widgets(),
        extra.join(" ")
    )));
    let many = append(&samples.twice, &objects, ids.size + count, ids.root);
    match verify_hostile(&many) {
        Err(PkiError::TooManySignatures { found, limit }) => {
            assert_eq!((found, limit), (51, 50));
            let message = PkiError::TooManySignatures { found, limit }.to_string();
            assert!(message.contains("more than 50"), "{message}");
        }
        other => return Err(format!("{other:?}").into()),
    }
    let accepted = verify_pdf_with(&many, &options(BUDGET).max_signatures(100))?;
    assert_eq!(accepted.len(), 62);
    Ok(())
}

#[test]
fn a_cancelled_or_exhausted_budget_stops_the_verification() -> common::TestResult {
    let samples = samples();
    let budget = Budget::unlimited();
    budget.canceller().cancel();
    let stopped = verify_pdf_with(&samples.twice, &options(BUDGET).budget(budget));
    match stopped {
        Err(PkiError::VerificationStopped(reason)) => {
            assert_eq!(reason, "verification stopped: the client went away");
        }
        other => return Err(format!("{other:?}").into()),
    }
    let stopped = verify_pdf_with(&samples.twice, &options(Duration::ZERO));
    assert!(
        matches!(&stopped, Err(PkiError::VerificationStopped(reason)) if reason.contains("budget of 0 s")),
        "{stopped:?}"
    );
    Ok(())
}

#[test]
fn prev_cycles_are_followed_once() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    // An update whose /Prev is its own table.
    let mut looped = samples.twice.clone();
    let at = looped.len();
    let xref = at;
    looped.extend_from_slice(
        format!(
            "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size {} /Root {} 0 R /Prev {xref} >>\nstartxref\n{xref}\n%%EOF\n",
            ids.size, ids.root
        )
        .as_bytes(),
    );
    let _ = verify_hostile(&looped);
    // Two updates pointing at each other.
    let first = append(
        &samples.twice,
        &[form_with(&both_widgets())],
        ids.size,
        ids.root,
    );
    let first_xref = last_startxref(&first);
    let second = append_with_prev(
        &first,
        &[form_with(&both_widgets())],
        ids.size,
        ids.root,
        Some(first_xref),
    );
    let second_xref = last_startxref(&second);
    // The first update's /Prev now points at the second update's table.
    let old_prev = format!("/Prev {}", last_startxref(&samples.twice));
    let new_prev = format!("/Prev {second_xref}");
    let mut crossed = second.clone();
    if let Some(at) = second
        .windows(old_prev.len())
        .position(|window| window == old_prev.as_bytes())
    {
        if new_prev.len() == old_prev.len() {
            crossed[at..at + new_prev.len()].copy_from_slice(new_prev.as_bytes());
        }
    }
    let _ = verify_hostile(&crossed);
    Ok(())
}

#[test]
fn later_changes_are_named() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let note = ids.size;
    let annotated = append(
        &samples.twice,
        &[
            (
                note,
                format!(
                    "<< /Type /Annot /Subtype /Text /Rect [10 10 30 30] /P {} 0 R /Contents (duyet) >>",
                    ids.page
                ),
            ),
            (
                ids.page,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> /Annots [{} {note} 0 R] >>",
                    both_widgets()
                ),
            ),
        ],
        ids.size + 1,
        ids.root,
    );
    let reports = verify_hostile(&annotated)?;
    for report in &reports {
        assert_eq!(report.changes_after, ChangesAfter::OtherContent);
        let added = report
            .modifications
            .iter()
            .find(|m| m.kind == ModificationKind::AnnotationAdded)
            .ok_or("the annotation is not named")?;
        assert_eq!(added.object, format!("{note} 0"));
        assert!(
            report.report.summary.contains(&format!(
                "annotation (Text) added on page 1 (object {note} 0)"
            )),
            "{}",
            report.report.summary
        );
    }
    // The page's text replaced.
    let text = "BT /F1 14 Tf 72 770 Td (BAO CAO So: 99/BC-UBND) Tj ET";
    let rewritten = append(
        &samples.twice,
        &[(
            4,
            format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        )],
        ids.size,
        ids.root,
    );
    let reports = verify_hostile(&rewritten)?;
    assert_eq!(reports.len(), 2);
    for report in &reports {
        assert_eq!(
            report.report.summary,
            "the document was changed after this signature: page 1 content changed (object 4 0)"
        );
        assert_eq!(
            report.report.sub_indication,
            Some(SubIndication::SigConstraintsFailure)
        );
    }
    // The leader's signature is followed by the organisation's only.
    let reports = verify_hostile(&samples.twice)?;
    assert_eq!(reports[0].changes_after, ChangesAfter::FurtherSignatures);
    assert!(reports[0]
        .modifications
        .iter()
        .all(|m| m.kind == ModificationKind::SignatureAdded));
    assert!(!reports[0].modifications.is_empty());
    Ok(())
}

/// A byte range pointing at a hex string of a page's content blanks it for the parser; a
/// later revision changing only that string must still be seen as a change.
#[test]
fn a_change_hidden_in_a_blanked_string_is_still_seen() -> common::TestResult {
    let samples = samples();
    let ids = &samples.ids;
    let leader = samples.fixture.official()?;
    let signer = KeySigner::new(leader.private_key().clone(), leader.certificate().clone())?;
    // The page shows the hex string <41424344> ("ABCD"), after a /Contents name.
    let original = motcua_pki::testpki::sample_pdf(") Tj /Contents <41424344> Tj (");
    let signed = sign_pdf(
        &original,
        &signer,
        &[samples.fixture.pki.issuing_ca.certificate().clone()],
        &PdfSignatureOptions::new(now()),
    )?;
    let content_id = 4;
    let text = "BT /F1 14 Tf 72 770 Td () Tj /Contents <45464748> Tj () Tj ET";
    let changed = append(
        &signed,
        &[(
            content_id,
            format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        )],
        ids.size,
        1,
    );
    // Byte ranges pointing at the old and the new string, in an object of their own.
    let old_hole = find(&changed, b"<41424344>");
    let new_hole = find(&changed, b"<45464748>");
    let pointers = format!(
        "<< /A << /ByteRange [0 {} {} 0] >> /B << /ByteRange [0 {} {} 0] >> >>",
        old_hole,
        old_hole + 10,
        new_hole,
        new_hole + 10
    );
    let hidden = append(&changed, &[(ids.size, pointers)], ids.size + 1, 1);
    // Not `verify_hostile`: this is another document than the samples.
    let reports = verify_pdf_with(&hidden, &options(BUDGET))?;
    assert_eq!(reports.len(), 1, "{reports:#?}");
    assert_eq!(
        reports[0].changes_after,
        ChangesAfter::OtherContent,
        "{reports:#?}"
    );
    assert_eq!(reports[0].report.indication, Indication::TotalFailed);
    assert!(
        reports[0]
            .modifications
            .iter()
            .any(|m| m.object == format!("{content_id} 0")),
        "{:#?}",
        reports[0].modifications
    );
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .rposition(|window| window == needle)
        .expect("found")
}

#[derive(Debug, Clone)]
enum Hostile {
    Truncate(usize),
    ByteRange { index: usize, text: String },
    PointAtOtherHole,
    SelfKid { index: usize, times: usize },
    TwoNodeCycle,
    Nested(u32),
    PrevToItself,
    ManyFields(u32),
    Flip { at: usize, mask: u8 },
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let numbers = prop_oneof![
        Just("18446744073709551616".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just("-5".to_owned()),
        Just("0".to_owned()),
        Just("1.5".to_owned()),
        (0usize..200_000).prop_map(|n| n.to_string()),
    ];
    prop_oneof![
        any::<usize>().prop_map(Hostile::Truncate),
        (0usize..2, prop::collection::vec(numbers, 0..6)).prop_map(|(index, numbers)| {
            Hostile::ByteRange {
                index,
                text: format!("[{}]", numbers.join(" ")),
            }
        }),
        Just(Hostile::PointAtOtherHole),
        (0usize..2, 1usize..4).prop_map(|(index, times)| Hostile::SelfKid { index, times }),
        Just(Hostile::TwoNodeCycle),
        (1u32..3000).prop_map(Hostile::Nested),
        Just(Hostile::PrevToItself),
        (1u32..120).prop_map(Hostile::ManyFields),
        (any::<usize>(), 1u8..).prop_map(|(at, mask)| Hostile::Flip { at, mask }),
    ]
}

fn apply(mutation: &Hostile) -> Vec<u8> {
    let samples = samples();
    let ids = &samples.ids;
    let twice = &samples.twice;
    match mutation {
        Hostile::Truncate(at) => twice[..at % twice.len()].to_vec(),
        Hostile::ByteRange { index, text } => {
            if text.len() < 36 {
                with_byte_range(twice, *index, text)
            } else {
                twice.clone()
            }
        }
        Hostile::PointAtOtherHole => {
            let [a, b, c, d] = byte_range_of(twice, 1);
            with_byte_range(twice, 0, &format!("[{a} {b} {c} {d}]"))
        }
        Hostile::SelfKid { index, times } => {
            let own = ids.signatures[*index].0;
            let kids = vec![format!("{own} 0 R"); *times].join(" ");
            append(
                twice,
                &[widget(*index, &format!("/Kids [{kids}]"))],
                ids.size,
                ids.root,
            )
        }
        Hostile::TwoNodeCycle => {
            let (first, second) = (ids.signatures[0].0, ids.signatures[1].0);
            append(
                twice,
                &[
                    widget(0, &format!("/Kids [{second} 0 R]")),
                    widget(1, &format!("/Kids [{first} 0 R]")),
                ],
                ids.size,
                ids.root,
            )
        }
        Hostile::Nested(depth) => {
            let first = ids.size;
            let mut objects: Vec<(u32, String)> = (0..*depth)
                .map(|level| {
                    let number = first + level;
                    (
                        number,
                        format!("<< /T (n) /FT /Sig /Kids [{} 0 R] >>", number + 1),
                    )
                })
                .collect();
            objects.push(form_with(&format!("{} {first} 0 R", both_widgets())));
            append(twice, &objects, first + depth + 1, ids.root)
        }
        Hostile::PrevToItself => {
            let mut looped = twice.clone();
            let xref = looped.len();
            looped.extend_from_slice(
                format!(
                    "xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size {} /Root {} 0 R /Prev {xref} >>\nstartxref\n{xref}\n%%EOF\n",
                    ids.size, ids.root
                )
                .as_bytes(),
            );
            looped
        }
        Hostile::ManyFields(count) => {
            let (_, signature) = ids.signatures[1];
            let mut objects: Vec<(u32, String)> = (0..*count)
                .map(|index| {
                    (
                        ids.size + index,
                        format!("<< /FT /Sig /T (F{index}) /V {signature} 0 R >>"),
                    )
                })
                .collect();
            let extra: Vec<String> = (0..*count)
                .map(|index| format!("{} 0 R", ids.size + index))
                .collect();
            objects.push(form_with(&format!(
                "{} {}",
                both_widgets(),
                extra.join(" ")
            )));
            append(twice, &objects, ids.size + count, ids.root)
        }
        Hostile::Flip { at, mask } => {
            let mut flipped = twice.clone();
            let length = flipped.len();
            flipped[at % length] ^= mask;
            flipped
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn hostile_pdfs_answer_in_time_and_are_never_valid_when_changed(
        mutations in prop::collection::vec(hostile(), 1..3)
    ) {
        let mut pdf = apply(&mutations[0]);
        if let Some(Hostile::Truncate(at)) = mutations.get(1) {
            pdf.truncate(at % pdf.len().max(1));
        }
        let _ = verify_hostile(&pdf);
    }
}

/// Writes signed PDFs (and hostile variants of them) as seeds of the `verify_pdf` fuzz target:
/// `cargo test --test hostile_pdfs -- --ignored write_fuzz_seeds`.
#[test]
#[ignore = "writes the fuzzing corpus; run by hand"]
fn write_fuzz_seeds() -> common::TestResult {
    let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/verify_pdf");
    std::fs::create_dir_all(&directory)?;
    let samples = samples();
    std::fs::write(directory.join("signed_once.pdf"), &samples.once)?;
    std::fs::write(directory.join("signed_twice.pdf"), &samples.twice)?;
    let variants = [
        Hostile::SelfKid { index: 0, times: 3 },
        Hostile::TwoNodeCycle,
        Hostile::Nested(100),
        Hostile::PrevToItself,
        Hostile::ManyFields(5),
        Hostile::PointAtOtherHole,
    ];
    for (index, variant) in variants.iter().enumerate() {
        std::fs::write(
            directory.join(format!("hostile_{index}.pdf")),
            apply(variant),
        )?;
    }
    Ok(())
}
