//! The verification QR code: added over the unsigned document, it carries that document's
//! SHA-256, which a revision of the signed file still hashes to; the signatures made after it
//! stay valid with nothing but signatures after them.

mod common;

use common::{now, Fixture, TestResult};
use motcua_document::sample::seed_like_report;
use motcua_document::{render, VERIFICATION_QR_ORIGIN, VERIFICATION_QR_SIDE};
use motcua_pki::cms::{Indication, KeySigner};
use motcua_pki::pades::{
    has_revision_with_sha256, verification_qr, verify_pdf, ChangesAfter, QrModules,
    SignatureRequest,
};
use motcua_pki::testpki::{sample_pdf, KeySpec};
use motcua_pki::RevocationPolicy;

const URL: &str = "https://motcua.vietyen.gov.vn/verification?code=000.00.24.H05-240115-0007";

fn url(hex: &str) -> String {
    format!("{URL}&sha256={hex}")
}

#[test]
fn the_code_names_the_unsigned_document_and_the_signature_after_it_is_valid() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let unsigned = sample_pdf("Ket qua giai quyet ho so");
    let with_qr = verification_qr(&unsigned, url)?;
    assert_eq!(with_qr.sha256, motcua_pki::cms::sha256(&unsigned));
    assert_eq!(with_qr.url, url(&hex::encode(with_qr.sha256)));
    assert!(with_qr.pdf.starts_with(&unsigned), "an incremental update");

    let official = fixture.official()?;
    let signer = KeySigner::new(
        official.private_key().clone(),
        official.certificate().clone(),
    )?;
    let signed = SignatureRequest::new(now())
        .chain(vec![fixture.pki.issuing_ca.certificate().clone()])
        .sign(&with_qr.pdf, &signer)?;
    let reports = verify_pdf(
        &signed,
        &fixture.store,
        &[],
        now(),
        RevocationPolicy::Require,
    )?;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].report.indication, Indication::TotalPassed);
    assert_eq!(reports[0].changes_after, ChangesAfter::Nothing);

    assert!(has_revision_with_sha256(&signed, &with_qr.sha256));
    assert!(!has_revision_with_sha256(
        &signed,
        &motcua_pki::cms::sha256(b"another document")
    ));
    // The whole signed file is a revision too.
    assert!(has_revision_with_sha256(
        &signed,
        &motcua_pki::cms::sha256(&signed)
    ));
    Ok(())
}

#[test]
fn the_code_is_drawn_from_its_modules_on_the_last_page_of_a_rendered_document() -> TestResult {
    let rendered = render(&seed_like_report())?;
    let with_qr = verification_qr(&rendered.pdf, url)?;
    let document = lopdf::Document::load_mem(&with_qr.pdf)?;
    let pages = document.get_pages();
    let last = *pages.values().last().ok_or("no page")?;
    let content = String::from_utf8(document.get_page_content(last)?)?;
    let modules = QrModules::of(&with_qr.url)?;
    let scale = VERIFICATION_QR_SIDE / modules.side as f32;
    let placed = format!(
        "{scale:.5} 0 0 {scale:.5} {:.3} {:.3} cm /VerificationQR1 Do",
        VERIFICATION_QR_ORIGIN.0, VERIFICATION_QR_ORIGIN.1
    );
    assert!(content.starts_with('q'), "{content}");
    assert!(content.contains(&placed), "{content}");
    // Only the last page has it.
    let first = *pages.values().next().ok_or("no page")?;
    if first != last {
        let first_content = String::from_utf8(document.get_page_content(first)?)?;
        assert!(!first_content.contains("VerificationQR"));
    }
    // A URL of about 150 characters: version 8 or so, modules of about 0.3 mm, which a
    // 300 dpi printer still draws with 3 dots or more.
    let module_mm = 18.0 / modules.side as f32;
    assert!(module_mm >= 0.25, "{} modules a side", modules.side);
    assert!(modules.is_dark(4, 4), "a finder pattern's corner");
    assert!(!modules.is_dark(0, 0), "the quiet zone");
    Ok(())
}

#[test]
fn a_document_that_is_not_a_pdf_is_refused() {
    assert!(verification_qr(b"not a pdf", url).is_err());
}
