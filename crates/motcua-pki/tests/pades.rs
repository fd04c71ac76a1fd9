//! PAdES B-B: signatures added to a PDF as incremental updates, the leader's first and the
//! organisation's second, each leaving the earlier one valid; cross-checked with poppler's
//! `pdfsig` when it is installed.

mod common;

use std::process::Command;

use common::{days, now, Fixture, TestResult};
use motcua_pki::cms::{Indication, KeySigner, RsaPadding, Signer, SubIndication};
use motcua_pki::pades::{
    assemble_pdf, prepare_pdf, sign_pdf, verify_pdf, ChangesAfter, PdfSignatureOptions,
    PdfSignatureReport, PendingSignature, SignatureAppearance, SignatureLevel, SignatureMark,
    SignatureRequest,
};
use motcua_pki::testpki::{KeySpec, TestCert};
use motcua_pki::{Certificate, IdentifierKind, PkiError, RevocationPolicy};

fn minimal_pdf() -> Vec<u8> {
    motcua_pki::testpki::sample_pdf("BAO CAO So: 05/BC-UBND")
}

fn signer_of(cert: &TestCert) -> Result<KeySigner, PkiError> {
    KeySigner::new(cert.private_key().clone(), cert.certificate().clone())
}

fn chain(fixture: &Fixture) -> Vec<Certificate> {
    vec![fixture.pki.issuing_ca.certificate().clone()]
}

fn verify(fixture: &Fixture, pdf: &[u8]) -> Result<Vec<PdfSignatureReport>, PkiError> {
    verify_pdf(pdf, &fixture.store, &[], now(), RevocationPolicy::Require)
}

fn organisation(fixture: &Fixture) -> Result<TestCert, PkiError> {
    fixture.pki.issue(
        &fixture
            .pki
            .organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
            .identifier(IdentifierKind::TaxCode, "2400123456"),
    )
}

/// The leader signs, then the organisation; returns both versions of the document.
fn signed_twice(fixture: &Fixture) -> Result<(Vec<u8>, Vec<u8>), PkiError> {
    let leader = fixture.official()?;
    let mut options = PdfSignatureOptions::new(now() - days(1));
    options.reason = Some("Phê duyệt".into());
    options.location = Some("Việt Yên, Bắc Giang".into());
    let once = sign_pdf(
        &minimal_pdf(),
        &signer_of(&leader)?,
        &chain(fixture),
        &options,
    )?;
    let twice = sign_pdf(
        &once,
        &signer_of(&organisation(fixture)?)?,
        &chain(fixture),
        &PdfSignatureOptions::new(now()),
    )?;
    Ok((once, twice))
}

#[test]
fn leader_then_organisation_both_stay_valid() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let (once, twice) = signed_twice(&fixture)?;
    assert!(
        twice.starts_with(&once),
        "the second signature must only append"
    );

    let reports = verify(&fixture, &once)?;
    assert_eq!(reports.len(), 1);
    assert!(reports[0].report.is_valid(), "{:#?}", reports[0]);
    assert!(reports[0].covers_whole_document);

    let reports = verify(&fixture, &twice)?;
    assert_eq!(reports.len(), 2, "{reports:#?}");
    let [leader, organisation] = reports.as_slice() else {
        return Err("two signatures expected".into());
    };
    assert!(leader.report.is_valid(), "{leader:#?}");
    assert!(organisation.report.is_valid(), "{organisation:#?}");
    assert_eq!(leader.field_name, "Signature1");
    assert_eq!(organisation.field_name, "Signature2");
    assert_eq!(leader.sub_filter, "ETSI.CAdES.detached");
    assert_eq!(leader.revision_length, once.len() as u64);
    assert!(!leader.covers_whole_document);
    assert!(organisation.covers_whole_document);
    assert_eq!(
        leader
            .report
            .signer
            .as_ref()
            .map(|signer| signer.name.as_str()),
        Some("Thân Văn Thuận")
    );
    assert_eq!(
        organisation
            .report
            .signer
            .as_ref()
            .map(|signer| signer.name.as_str()),
        Some("UBND XÃ TĂNG TIẾN")
    );
    // PAdES keeps signing-time out of the CMS; the claimed time is the dictionary's /M.
    assert_eq!(leader.report.claimed_signing_time, Some(now() - days(1)));
    assert_eq!(organisation.report.claimed_signing_time, Some(now()));
    Ok(())
}

#[test]
fn two_step_pdf_signing() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let leader = fixture.pki.issue(
        &fixture
            .pki
            .individual("Thân Văn Thuận", "024085001234")
            .key(KeySpec::EcP256),
    )?;
    let prepared = prepare_pdf(
        &minimal_pdf(),
        leader.certificate(),
        &PdfSignatureOptions::new(now()),
    )?;
    let raw = signer_of(&leader)?.sign(&prepared.prepared.to_be_signed)?;
    let other = fixture.official()?;
    assert!(assemble_pdf(&prepared, &raw, other.certificate(), &[]).is_err());
    let pdf = assemble_pdf(&prepared, &raw, leader.certificate(), &chain(&fixture))?;
    let reports = verify(&fixture, &pdf)?;
    assert_eq!(reports.len(), 1);
    assert!(reports[0].report.is_valid(), "{:#?}", reports[0]);
    Ok(())
}

/// RSA-PSS PDF signatures, in one step and in two steps: valid in motcua and in `pdfsig`; a
/// PKCS#1 v1.5 signature handed to a PSS session is refused.
#[test]
fn rsa_pss_pdf_signatures_verify_here_and_in_pdfsig() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let leader = fixture.official()?;
    let once = sign_pdf(
        &minimal_pdf(),
        &signer_of(&leader)?.with_pss()?,
        &chain(&fixture),
        &PdfSignatureOptions::new(now() - days(1)),
    )?;

    let unit = organisation(&fixture)?;
    let mut options = PdfSignatureOptions::new(now());
    options.rsa_padding = RsaPadding::Pss;
    let prepared = prepare_pdf(&once, unit.certificate(), &options)?;
    assert_eq!(prepared.prepared.rsa_padding, RsaPadding::Pss);
    let pkcs1 = signer_of(&unit)?.sign(&prepared.prepared.to_be_signed)?;
    let refused = assemble_pdf(&prepared, &pkcs1, unit.certificate(), &chain(&fixture));
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    let pss = signer_of(&unit)?
        .with_pss()?
        .sign(&prepared.prepared.to_be_signed)?;
    let twice = assemble_pdf(&prepared, &pss, unit.certificate(), &chain(&fixture))?;

    let reports = verify(&fixture, &twice)?;
    assert_eq!(reports.len(), 2, "{reports:#?}");
    for report in &reports {
        assert!(report.report.is_valid(), "{report:#?}");
        assert!(
            report.report.signature_algorithm.starts_with("RSASSA-PSS"),
            "{report:#?}"
        );
    }
    if let Some(printed) = pdfsig(&twice)? {
        assert_eq!(
            printed
                .matches("Signature Validation: Signature is Valid.")
                .count(),
            2,
            "{printed}"
        );
    }
    Ok(())
}

/// Dark pixels (< 128 of 255) of page 1 rendered by `pdftoppm -r 100 -gray` inside `rect`
/// (points, PDF coordinates on the 842 pt high sample page); `None` without poppler.
fn dark_pixels_in(pdf: &[u8], rect: [f32; 4]) -> Result<Option<usize>, Box<dyn std::error::Error>> {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("page.pdf");
    std::fs::write(&path, pdf)?;
    let prefix = directory.path().join("page");
    let rendered = Command::new("pdftoppm")
        .args(["-r", "100", "-gray", "-singlefile", "-f", "1", "-l", "1"])
        .arg(&path)
        .arg(&prefix)
        .output();
    match rendered {
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("pdftoppm is not installed (apt-get install poppler-utils); skipped");
            return Ok(None);
        }
        Err(error) => return Err(error.into()),
        Ok(output) if !output.status.success() => {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned().into())
        }
        Ok(_) => {}
    }
    let image = std::fs::read(directory.path().join("page.pgm"))?;
    // P5 header: magic, width, height, maximum, each followed by one whitespace.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while image.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        let start = at;
        while image.get(at).is_some_and(|b| !b.is_ascii_whitespace()) {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&image[start..at]).into_owned());
    }
    let pixels = &image[at + 1..];
    let (width, height): (usize, usize) = (fields[1].parse()?, fields[2].parse()?);
    assert_eq!(fields[0], "P5");
    let scale = 100.0 / 72.0;
    let column = |x: f32| ((x * scale) as usize).min(width);
    let row = |y: f32| (((842.0 - y) * scale) as usize).min(height);
    let mut dark = 0;
    for y in row(rect[3])..row(rect[1]) {
        for x in column(rect[0])..column(rect[2]) {
            if pixels.get(y * width + x).is_some_and(|&p| p < 128) {
                dark += 1;
            }
        }
    }
    Ok(Some(dark))
}

/// A visible signature with the signer's name and time in Vietnamese: drawn on the page
/// (rendered by poppler), its font embedded with a `/ToUnicode` map, and the signature still
/// valid for motcua and pdfsig.
#[test]
fn visible_appearance_shows_the_signer_and_time() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let leader = fixture.official()?;
    let rect = [320.0, 560.0, 540.0, 640.0];
    let sign_with = |text: Vec<String>| -> Result<Vec<u8>, PkiError> {
        let mut options = PdfSignatureOptions::new(now());
        options.appearance = Some(SignatureAppearance {
            rect,
            mark: SignatureMark::Personal,
            text,
            image: None,
        });
        sign_pdf(
            &minimal_pdf(),
            &signer_of(&leader)?,
            &chain(&fixture),
            &options,
        )
    };
    let lines = vec![
        "Ký bởi: Thân Văn Thuận".to_owned(),
        "Thời gian: 2024-04-05 10:12:30 +07:00".to_owned(),
    ];
    let signed = sign_with(lines)?;
    let mark_only = sign_with(Vec::new())?;

    let reports = verify(&fixture, &signed)?;
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].report.indication,
        Indication::TotalPassed,
        "{reports:#?}"
    );

    // The appearance stream decodes, writes text with the embedded Type0 font, and the font
    // maps its glyphs back to Unicode (ậ of "Thuận" is U+1EAD).
    let document = lopdf::Document::load_mem(&signed)?;
    let widget = document
        .objects
        .values()
        .filter_map(|object| object.as_dict().ok())
        .find(|dictionary| dictionary.has_type(b"Annot"))
        .ok_or("no widget")?;
    let appearance_id = widget.get(b"AP")?.as_dict()?.get(b"N")?.as_reference()?;
    let appearance = document.get_object(appearance_id)?.as_stream()?;
    let content = lopdf::content::Content::decode(&appearance.get_plain_content()?)?;
    assert!(
        content.operations.iter().any(|op| op.operator == "Tj"),
        "{:?}",
        content.operations
    );
    let resources = appearance.dict.get(b"Resources")?.as_dict()?;
    let font_id = resources
        .get(b"Font")?
        .as_dict()?
        .get(b"F1")?
        .as_reference()?;
    let font = document.get_dictionary(font_id)?;
    assert_eq!(font.get(b"Subtype")?.as_name()?, b"Type0");
    assert_eq!(font.get(b"Encoding")?.as_name()?, b"Identity-H");
    let to_unicode = document
        .get_object(font.get(b"ToUnicode")?.as_reference()?)?
        .as_stream()?
        .get_plain_content()?;
    let to_unicode = String::from_utf8_lossy(&to_unicode).into_owned();
    assert!(to_unicode.contains("<1EAD>"), "{to_unicode}");

    // Rendered, the rectangle holds more ink than the mark alone.
    if let (Some(with_text), Some(without)) = (
        dark_pixels_in(&signed, rect)?,
        dark_pixels_in(&mark_only, rect)?,
    ) {
        assert!(with_text > without + 200, "{with_text} vs {without}");
    }
    if let Some(printed) = pdfsig(&signed)? {
        assert!(
            printed.contains("Signature Validation: Signature is Valid."),
            "{printed}"
        );
    }
    // A character the font lacks is refused rather than drawn blank.
    let refused = sign_with(vec!["署名".to_owned()]);
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    Ok(())
}

/// Many producers write compressed cross-reference streams and object streams; the update's
/// classic table chains to them through `/Prev`.
#[test]
fn pdf_with_cross_reference_stream_can_be_signed() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let mut modern = Vec::new();
    lopdf::Document::load_mem(&minimal_pdf())?.save_modern(&mut modern)?;
    assert!(
        modern.windows(10).any(|window| window == b"/Type/XRef")
            || modern.windows(11).any(|window| window == b"/Type /XRef"),
        "not a cross-reference stream"
    );
    let once = sign_pdf(
        &modern,
        &signer_of(&fixture.official()?)?,
        &chain(&fixture),
        &PdfSignatureOptions::new(now()),
    )?;
    let twice = sign_pdf(
        &once,
        &signer_of(&organisation(&fixture)?)?,
        &chain(&fixture),
        &PdfSignatureOptions::new(now()),
    )?;
    let reports = verify(&fixture, &twice)?;
    assert_eq!(reports.len(), 2);
    assert!(
        reports.iter().all(|report| report.report.is_valid()),
        "{reports:#?}"
    );
    if let Some(printed) = pdfsig(&twice)? {
        assert_eq!(
            printed
                .matches("Signature Validation: Signature is Valid.")
                .count(),
            2,
            "{printed}"
        );
    }
    Ok(())
}

/// What `pdfsig` prints for `pdf`, or `None` when it is not installed on a developer's machine.
/// CI installs it (`.ci/run`), and there its absence is a failure, not a skip.
fn pdfsig(pdf: &[u8]) -> Result<Option<String>, Box<dyn std::error::Error>> {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("signed.pdf");
    std::fs::write(&path, pdf)?;
    match Command::new("pdfsig").arg(&path).output() {
        Ok(output) => Ok(Some(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("pdfsig is not installed (apt-get install poppler-utils); skipped");
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

#[test]
fn changed_first_revision_is_a_hash_failure() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let (_, mut twice) = signed_twice(&fixture)?;
    // Change the page text, which both signatures cover.
    let at = twice
        .windows(8)
        .position(|window| window == b"BAO CAO ")
        .ok_or("text not found")?;
    if let Some(byte) = twice.get_mut(at) {
        *byte = b'X';
    }
    let reports = verify(&fixture, &twice)?;
    assert_eq!(reports.len(), 2);
    for report in &reports {
        assert_eq!(
            (report.report.indication, report.report.sub_indication),
            (Indication::TotalFailed, Some(SubIndication::HashFailure)),
            "{report:#?}"
        );
    }
    Ok(())
}

#[test]
fn unsigned_pdf_has_no_signatures() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    assert!(verify(&fixture, &minimal_pdf())?.is_empty());
    assert!(verify(&fixture, b"not a pdf").is_err());
    Ok(())
}

#[test]
fn duplicate_field_name_is_refused() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let (once, _) = signed_twice(&fixture)?;
    let mut options = PdfSignatureOptions::new(now());
    options.field_name = Some("Signature1".into());
    assert!(prepare_pdf(&once, fixture.official()?.certificate(), &options).is_err());
    Ok(())
}

/// poppler's `pdfsig` checks every signature's digest and value (its certificate check uses
/// its own trust store, which does not know the test root, so only the signature line is read).
#[test]
fn pdfsig_accepts_both_signatures() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let (_, twice) = signed_twice(&fixture)?;
    let Some(printed) = pdfsig(&twice)? else {
        return Ok(());
    };
    assert_eq!(
        printed
            .matches("Signature Validation: Signature is Valid.")
            .count(),
        2,
        "{printed}"
    );
    assert!(printed.contains("Thân Văn Thuận"), "{printed}");
    assert!(printed.contains("Not total document signed"), "{printed}");
    assert!(printed.contains("\n  - Total document signed"), "{printed}");
    assert!(
        printed.contains("ETSI.CAdES.detached") || printed.contains("PAdES"),
        "{printed}"
    );
    Ok(())
}

/// Runs `pdfsig -nssdir` on `pdf` with an NSS database trusting `roots`; `None` when the NSS
/// tools are not installed on a developer's machine (CI installs them, and there they must run).
fn pdfsig_with_roots(
    pdf: &[u8],
    roots: &[&TestCert],
) -> Result<Option<String>, Box<dyn std::error::Error>> {
    let directory = tempfile::tempdir()?;
    let nss = format!("sql:{}", directory.path().display());
    let created = Command::new("certutil")
        .args(["-N", "-d", &nss, "--empty-password"])
        .output();
    match created {
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("certutil is not installed (apt-get install libnss3-tools); skipped");
            return Ok(None);
        }
        Err(error) => return Err(error.into()),
        Ok(output) if !output.status.success() => {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned().into())
        }
        Ok(_) => {}
    }
    for (index, root) in roots.iter().enumerate() {
        let path = directory.path().join(format!("root{index}.pem"));
        std::fs::write(&path, root.pem())?;
        let added = Command::new("certutil")
            .args([
                "-A",
                "-d",
                &nss,
                "-n",
                &format!("root{index}"),
                "-t",
                "CT,C,C",
                "-i",
            ])
            .arg(&path)
            .output()?;
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
    }
    let path = directory.path().join("signed.pdf");
    std::fs::write(&path, pdf)?;
    let output = Command::new("pdfsig")
        .args(["-nssdir", &nss])
        .arg(&path)
        .output()?;
    Ok(Some(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

#[test]
fn pdfsig_trusts_the_signer_only_when_given_the_root() -> TestResult {
    // pdfsig checks the certificate at the real current time, so this PKI lives now.
    let pki = motcua_pki::testpki::TestPki::new(KeySpec::Rsa2048, chrono::Utc::now())?;
    let leader = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let chain = vec![pki.issuing_ca.certificate().clone()];
    let signed = sign_pdf(
        &minimal_pdf(),
        &signer_of(&leader)?,
        &chain,
        &PdfSignatureOptions::new(chrono::Utc::now()),
    )?;
    let Some(trusted) = pdfsig_with_roots(&signed, &[&pki.root])? else {
        return Ok(());
    };
    assert!(
        trusted.contains("Signature Validation: Signature is Valid."),
        "{trusted}"
    );
    assert!(
        trusted.contains("Certificate Validation: Certificate is Trusted."),
        "{trusted}"
    );
    let Some(untrusted) = pdfsig_with_roots(&signed, &[])? else {
        return Ok(());
    };
    assert!(
        untrusted.contains("Signature Validation: Signature is Valid."),
        "{untrusted}"
    );
    assert!(
        !untrusted.contains("Certificate is Trusted."),
        "without the root the signer is not trusted: {untrusted}"
    );
    Ok(())
}

/// Appends an unsigned incremental update that replaces the page's text.
fn append_content_change(pdf: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut incremental: lopdf::IncrementalDocument = pdf.try_into()?;
    let page = *incremental
        .get_prev_documents()
        .get_pages()
        .get(&1)
        .ok_or("no page 1")?;
    let content_id = incremental
        .get_prev_documents()
        .get_page_contents(page)
        .first()
        .copied()
        .ok_or("no content")?;
    incremental.opt_clone_object_to_new_document(content_id)?;
    let changed = b"BT /F1 14 Tf 72 770 Td (BAO CAO So: 99/BC-UBND) Tj ET".to_vec();
    incremental.new_document.objects.insert(
        content_id,
        lopdf::Object::Stream(lopdf::Stream::new(lopdf::Dictionary::new(), changed)),
    );
    let mut out = Vec::new();
    incremental.save_to(&mut out)?;
    Ok(out)
}

#[test]
fn content_changed_after_signing_fails_and_further_signatures_do_not() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let (_, twice) = signed_twice(&fixture)?;
    let reports = verify(&fixture, &twice)?;
    assert_eq!(reports[0].changes_after, ChangesAfter::FurtherSignatures);
    assert_eq!(reports[1].changes_after, ChangesAfter::Nothing);
    assert!(reports
        .iter()
        .all(|r| r.report.indication == Indication::TotalPassed));

    let tampered = append_content_change(&twice)?;
    assert!(
        tampered.starts_with(&twice),
        "an incremental update keeps the signed bytes"
    );
    let reports = verify(&fixture, &tampered)?;
    assert_eq!(reports.len(), 2);
    for report in &reports {
        assert_eq!(
            report.changes_after,
            ChangesAfter::OtherContent,
            "{report:?}"
        );
        assert_eq!(report.report.indication, Indication::TotalFailed);
        assert_eq!(
            report.report.sub_indication,
            Some(SubIndication::SigConstraintsFailure)
        );
    }
    if let Some(printed) = pdfsig(&tampered)? {
        // pdfsig still finds both signatures intact over their own revisions, but neither covers
        // the document as it now stands.
        assert!(
            !printed.contains("\n  - Total document signed"),
            "{printed}"
        );
    }
    Ok(())
}

/// The signature request services use: one step with a held key, or prepared, kept as JSON
/// between the two steps (as sessions keep it) and assembled with the token's signature.
#[test]
fn signature_requests_sign_in_one_or_two_steps() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let leader = fixture.official()?;
    let request = SignatureRequest::new(now() - days(1))
        .field("LanhDao", 1)
        .reason("Phê duyệt")
        .location("Việt Yên, Bắc Giang")
        .appearance(SignatureAppearance::new(
            [300.0, 100.0, 450.0, 160.0],
            SignatureMark::Personal,
        ));
    assert_eq!(request.signature_level(), SignatureLevel::BaselineB);
    assert_eq!(request.options().field_name.as_deref(), Some("LanhDao"));
    let (prepared, pending) = request.prepare(&minimal_pdf(), leader.certificate())?;
    let stored = serde_json::to_string(&pending).map_err(|e| e.to_string())?;
    let pending: PendingSignature = serde_json::from_str(&stored).map_err(|e| e.to_string())?;
    let raw = signer_of(&leader)?.sign(pending.to_be_signed())?;
    let once = pending.assemble(prepared, &raw, leader.certificate(), &chain(&fixture))?;

    let seal = SignatureRequest::new(now())
        .field("ToChuc", 1)
        .chain(chain(&fixture));
    let twice = seal.sign(&once, &signer_of(&organisation(&fixture)?)?)?;
    let reports = verify(&fixture, &twice)?;
    assert_eq!(reports.len(), 2, "{reports:#?}");
    for report in &reports {
        assert!(report.report.is_valid(), "{report:#?}");
    }

    // Sessions stored before signature levels existed are B-B.
    let mut older: serde_json::Value = serde_json::from_str(&stored).map_err(|e| e.to_string())?;
    older
        .as_object_mut()
        .ok_or("not an object")?
        .remove("level");
    let older: PendingSignature = serde_json::from_value(older).map_err(|e| e.to_string())?;
    assert_eq!(older.level, SignatureLevel::BaselineB);
    Ok(())
}
