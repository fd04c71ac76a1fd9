//! PAdES B-B: signatures added to a PDF as incremental updates, the leader's first and the
//! organisation's second, each leaving the earlier one valid; cross-checked with poppler's
//! `pdfsig` when it is installed.

mod common;

use std::process::Command;

use common::{days, now, Fixture, TestResult};
use motcua_pki::cms::{Indication, KeySigner, Signer, SubIndication};
use motcua_pki::pades::{
    assemble_pdf, prepare_pdf, sign_pdf, verify_pdf, ChangesAfter, PdfSignatureOptions,
    PdfSignatureReport,
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
