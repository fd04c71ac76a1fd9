//! The number and date of a document filled in when it is issued, in the update of the
//! organisation's signature: allowed by the leader's signature when its lock leaves those
//! fields open, refused otherwise.

mod common;

use common::{now, Fixture, TestResult};
use motcua_document::sample::seed_like_report;
use motcua_document::{render, RenderedDocument, DATE_FIELD, NUMBER_FIELD};
use motcua_pki::cms::{Indication, KeySigner};
use motcua_pki::pades::{
    verify_pdf, ChangesAfter, FieldFill, ModificationKind, PdfSignatureReport, SignatureRequest,
};
use motcua_pki::testpki::{KeySpec, TestCert};
use motcua_pki::{Certificate, PkiError, RevocationPolicy};

fn draft() -> RenderedDocument {
    let mut document = seed_like_report();
    document.number_line = "Số:      /BC-UBND".into();
    document.place_date = "Việt Yên, ngày      tháng      năm 2024".into();
    document.fill_in_at_issue = true;
    render(&document).expect("rendered")
}

fn signer_of(cert: &TestCert) -> Result<KeySigner, PkiError> {
    KeySigner::new(cert.private_key().clone(), cert.certificate().clone())
}

fn chain(fixture: &Fixture) -> Vec<Certificate> {
    vec![fixture.pki.issuing_ca.certificate().clone()]
}

fn fills(rendered: &RenderedDocument) -> Vec<FieldFill> {
    rendered
        .fields
        .iter()
        .map(|slot| FieldFill {
            value: if slot.name == NUMBER_FIELD {
                "Số: 01/BC-UBND".into()
            } else {
                "Việt Yên, ngày 05 tháng 4 năm 2024".into()
            },
            slot: slot.clone(),
        })
        .collect()
}

/// The leader signs the draft (with `lock` fields left open, or no lock), then the
/// organisation signs and fills the fields in one update.
fn issued(
    fixture: &Fixture,
    lock: Option<Vec<String>>,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let rendered = draft();
    let mut leader = SignatureRequest::new(now())
        .field("LanhDao", 1)
        .chain(chain(fixture));
    if let Some(open) = lock {
        leader = leader.lock_except(open);
    }
    let once = leader.sign(&rendered.pdf, &signer_of(&fixture.official()?)?)?;
    let organisation = fixture.pki.issue(&fixture.pki.organisation(
        "UBND THỊ XÃ VIỆT YÊN",
        "UBND TỈNH BẮC GIANG",
        "Bắc Giang",
    ))?;
    let twice = SignatureRequest::new(now())
        .field("ToChuc", 1)
        .chain(chain(fixture))
        .fill(fills(&rendered))
        .sign(&once, &signer_of(&organisation)?)?;
    Ok(twice)
}

fn verify(fixture: &Fixture, pdf: &[u8]) -> Result<Vec<PdfSignatureReport>, PkiError> {
    verify_pdf(pdf, &fixture.store, &[], now(), RevocationPolicy::Require)
}

fn kinds(report: &PdfSignatureReport) -> Vec<ModificationKind> {
    report.modifications.iter().map(|m| m.kind).collect()
}

#[test]
fn fields_the_lock_leaves_open_may_be_filled_at_issue() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let open = vec![NUMBER_FIELD.to_owned(), DATE_FIELD.to_owned()];
    let pdf = issued(&fixture, Some(open))?;
    let reports = verify(&fixture, &pdf)?;
    assert_eq!(reports.len(), 2);
    let leader = &reports[0];
    assert_eq!(
        leader.changes_after,
        ChangesAfter::FurtherSignatures,
        "{leader:#?}"
    );
    assert_eq!(
        leader.report.indication,
        Indication::TotalPassed,
        "{leader:#?}"
    );
    let filled: Vec<&str> = leader
        .modifications
        .iter()
        .filter(|m| m.kind == ModificationKind::FormFieldFilled)
        .map(|m| m.detail.as_str())
        .collect();
    assert_eq!(filled.len(), 2, "{leader:#?}");
    assert!(
        filled.iter().any(|d| d.contains("Số: 01/BC-UBND")),
        "{filled:?}"
    );
    assert!(
        kinds(leader).iter().all(|kind| kind.is_allowed()),
        "{leader:#?}"
    );
    assert!(reports[1].report.is_valid());
    let check = leader
        .report
        .checks
        .iter()
        .map(|c| c.detail.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        check.contains("form filling this signature permits"),
        "{check}"
    );
    Ok(())
}

#[test]
fn filling_a_field_without_a_lock_that_permits_it_changes_what_was_signed() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    for lock in [None, Some(vec![DATE_FIELD.to_owned()])] {
        let pdf = issued(&fixture, lock.clone())?;
        let reports = verify(&fixture, &pdf)?;
        let leader = &reports[0];
        assert_eq!(
            leader.changes_after,
            ChangesAfter::OtherContent,
            "{lock:?}: {leader:#?}"
        );
        assert_eq!(leader.report.indication, Indication::TotalFailed);
        assert!(
            leader
                .modifications
                .iter()
                .any(|m| m.kind == ModificationKind::FormFieldChanged
                    && m.detail.contains(NUMBER_FIELD)
                    && m.detail.contains("does not permit")),
            "{lock:?}: {leader:#?}"
        );
    }
    Ok(())
}

#[test]
fn a_filled_field_cannot_be_filled_again() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let open = vec![NUMBER_FIELD.to_owned(), DATE_FIELD.to_owned()];
    let pdf = issued(&fixture, Some(open))?;
    // A third signature that writes another number over the issued one.
    let rendered = draft();
    let refill: Vec<FieldFill> = fills(&rendered)
        .into_iter()
        .filter(|fill| fill.slot.name == NUMBER_FIELD)
        .map(|fill| FieldFill {
            value: "Số: 99/BC-UBND".into(),
            ..fill
        })
        .collect();
    let again = SignatureRequest::new(now())
        .field("Khac", 1)
        .chain(chain(&fixture))
        .fill(refill)
        .sign(&pdf, &signer_of(&fixture.official()?)?)?;
    let reports = verify(&fixture, &again)?;
    assert_eq!(reports.len(), 3);
    // The organisation's signature covers the issued number: writing another is a change of
    // what it signed (the leader left the field open, and sees it filled either way).
    let organisation = &reports[1];
    assert_eq!(
        organisation.changes_after,
        ChangesAfter::OtherContent,
        "{organisation:#?}"
    );
    assert_eq!(organisation.report.indication, Indication::TotalFailed);
    assert!(
        organisation.modifications.iter().any(
            |m| m.kind == ModificationKind::FormFieldChanged && m.detail.contains(NUMBER_FIELD)
        ),
        "{organisation:#?}"
    );
    Ok(())
}
