//! Detached CMS (CAdES-B-B) signatures: signing in one or two steps, verification with ETSI
//! indications, and cross-checks with the `openssl cms` command in both directions.

mod common;

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use common::{days, now, Fixture, TestResult};
use motcua_pki::cms::{
    assemble, prepare, prepare_with_padding, sha256, sign_detached, verify_detached, Indication,
    KeySigner, Prepared, RsaPadding, SignatureCheckKind, SignatureReport, Signer, SubIndication,
    ValidationMoment,
};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::{Certificate, IdentifierKind, Outcome, PkiError, RevocationPolicy};

const CONTENT: &[u8] =
    "Báo cáo số 05/BC-UBND về tình hình giải quyết thủ tục hành chính".as_bytes();

fn signer_of(cert: &TestCert) -> Result<KeySigner, PkiError> {
    KeySigner::new(cert.private_key().clone(), cert.certificate().clone())
}

fn chain(fixture: &Fixture) -> Vec<Certificate> {
    vec![fixture.pki.issuing_ca.certificate().clone()]
}

fn sign_at(fixture: &Fixture, cert: &TestCert, at: DateTime<Utc>) -> Result<Vec<u8>, PkiError> {
    sign_detached(CONTENT, &signer_of(cert)?, &chain(fixture), at, true)
}

fn verify(fixture: &Fixture, cms: &[u8], content: &[u8]) -> Result<SignatureReport, PkiError> {
    verify_detached(
        cms,
        content,
        &fixture.store,
        &[],
        now(),
        RevocationPolicy::Require,
    )
}

fn assert_indication(
    report: &SignatureReport,
    indication: Indication,
    sub_indication: Option<SubIndication>,
) {
    assert_eq!(
        (report.indication, report.sub_indication),
        (indication, sub_indication),
        "{report:#?}"
    );
}

/// Runs `openssl` with `arguments`; returns whether it succeeded and what it printed.
fn openssl(arguments: &[&str]) -> Result<(bool, String), std::io::Error> {
    let output = Command::new("openssl").args(arguments).output()?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), printed))
}

fn text(path: &Path) -> Result<&str, std::io::Error> {
    path.to_str()
        .ok_or_else(|| std::io::Error::other("non UTF-8 temporary path"))
}

/// `openssl cms -verify` on a signature of `CONTENT` made by `fixture`'s PKI. `-purpose any`
/// because OpenSSL's default S/MIME purpose is not what is being tested (key usage is checked
/// by motcua's own validation); `-attime` because the fixture's certificates are dated from a
/// fixed reference time, not the machine clock.
fn openssl_verifies(fixture: &Fixture, cms: &[u8]) -> Result<(bool, String), std::io::Error> {
    let directory = tempfile::tempdir()?;
    let signature = directory.path().join("signature.p7s");
    let content = directory.path().join("content.txt");
    let root = directory.path().join("root.pem");
    std::fs::write(&signature, cms)?;
    std::fs::write(&content, CONTENT)?;
    std::fs::write(&root, fixture.pki.root.pem())?;
    let at = now().timestamp().to_string();
    openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        text(&signature)?,
        "-content",
        text(&content)?,
        "-CAfile",
        text(&root)?,
        "-purpose",
        "any",
        "-attime",
        &at,
        "-out",
        if cfg!(windows) { "NUL" } else { "/dev/null" },
    ])
}

fn individual(fixture: &Fixture, key: KeySpec) -> Result<TestCert, PkiError> {
    fixture.pki.issue(
        &fixture
            .pki
            .individual("Thân Văn Thuận", "024085001234")
            .key(key),
    )
}

#[test]
fn rsa_signature_passes_and_names_the_signer() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let cms = sign_at(&fixture, &official, now())?;
    let report = verify(&fixture, &cms, CONTENT)?;
    assert_indication(&report, Indication::TotalPassed, None);
    assert!(report.is_valid());
    let signer = report.signer.as_ref().ok_or("no signer")?;
    assert_eq!(signer.name, "Thân Văn Thuận");
    assert!(signer
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::Cccd && id.value == "024085001234"));
    assert_eq!(report.claimed_signing_time, Some(now()));
    assert_eq!(report.signature_algorithm, "sha256WithRSAEncryption");
    assert!(report.checks.iter().all(|c| c.outcome == Outcome::Passed));
    let moments: Vec<_> = report
        .certificate_validations
        .iter()
        .map(|validation| validation.moment)
        .collect();
    assert_eq!(
        moments,
        [
            ValidationMoment::ClaimedSigningTime,
            ValidationMoment::ValidationTime
        ]
    );
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["indication"], "TOTAL_PASSED");
    assert!(json["sub_indication"].is_null());
    assert_eq!(json["checks"][0]["check"], "format");

    let (ok, output) = openssl_verifies(&fixture, &cms)?;
    assert!(ok, "openssl cms -verify refused: {output}");
    Ok(())
}

#[test]
fn ecdsa_p256_signature_passes_also_for_openssl() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let official = individual(&fixture, KeySpec::EcP256)?;
    let cms = sign_at(&fixture, &official, now())?;
    let report = verify(&fixture, &cms, CONTENT)?;
    assert_indication(&report, Indication::TotalPassed, None);
    assert_eq!(report.signature_algorithm, "ecdsa-with-SHA256");
    let (ok, output) = openssl_verifies(&fixture, &cms)?;
    assert!(ok, "openssl cms -verify refused: {output}");
    Ok(())
}

#[test]
fn organisation_signature_without_signing_time_passes() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let commune = fixture.pki.issue(
        &fixture
            .pki
            .organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
            .identifier(IdentifierKind::TaxCode, "2400123456"),
    )?;
    let cms = sign_detached(
        CONTENT,
        &signer_of(&commune)?,
        &chain(&fixture),
        now(),
        false,
    )?;
    let report = verify(&fixture, &cms, CONTENT)?;
    assert_indication(&report, Indication::TotalPassed, None);
    assert_eq!(report.claimed_signing_time, None);
    let signer = report.signer.as_ref().ok_or("no signer")?;
    assert!(signer
        .identifiers
        .iter()
        .any(|id| id.kind == IdentifierKind::TaxCode && id.value == "2400123456"));
    let signing_time = report
        .checks
        .iter()
        .find(|check| check.check == SignatureCheckKind::SigningTime)
        .ok_or("no signing time check")?;
    assert_eq!(signing_time.outcome, Outcome::Skipped);
    let (ok, output) = openssl_verifies(&fixture, &cms)?;
    assert!(ok, "openssl cms -verify refused: {output}");
    Ok(())
}

/// The key stays with the signer: only `to_be_signed` leaves the server.
#[test]
fn two_step_signing_with_an_external_key() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let prepared = prepare(&sha256(CONTENT), official.certificate(), now(), true)?;
    assert_eq!(prepared.to_be_signed.first(), Some(&0x31));
    assert_eq!(prepared.to_be_signed_digest, sha256(&prepared.to_be_signed));
    // What a token does: sign the bytes with SHA-256 and its key.
    let raw = signer_of(&official)?.sign(&prepared.to_be_signed)?;
    // The prepared state survives a round trip through storage between the two requests.
    let stored: Prepared = serde_json::from_str(&serde_json::to_string(&prepared)?)?;
    let cms = assemble(&stored, &raw, official.certificate(), &chain(&fixture))?;
    assert_indication(
        &verify(&fixture, &cms, CONTENT)?,
        Indication::TotalPassed,
        None,
    );
    let (ok, output) = openssl_verifies(&fixture, &cms)?;
    assert!(ok, "openssl cms -verify refused: {output}");
    Ok(())
}

/// PKCS#11 tokens return ECDSA signatures as `r || s`; they are accepted and re-encoded.
#[test]
fn two_step_signing_accepts_raw_ecdsa_signatures() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let official = individual(&fixture, KeySpec::EcP256)?;
    let prepared = prepare(&sha256(CONTENT), official.certificate(), now(), true)?;
    let der = signer_of(&official)?.sign(&prepared.to_be_signed)?;
    let parsed = openssl::ecdsa::EcdsaSig::from_der(&der)?;
    let mut raw = parsed.r().to_vec_padded(32)?;
    raw.extend(parsed.s().to_vec_padded(32)?);
    let cms = assemble(&prepared, &raw, official.certificate(), &chain(&fixture))?;
    assert_indication(
        &verify(&fixture, &cms, CONTENT)?,
        Indication::TotalPassed,
        None,
    );
    Ok(())
}

#[test]
fn assembly_refuses_a_wrong_signature_or_another_certificate() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let other = fixture
        .pki
        .issue(&fixture.pki.individual("Nguyễn Thị Lan", "001190000001"))?;
    let prepared = prepare(&sha256(CONTENT), official.certificate(), now(), true)?;
    let mut raw = signer_of(&official)?.sign(&prepared.to_be_signed)?;

    // Signed by another key, presented with the right certificate.
    let by_other = signer_of(&other)?.sign(&prepared.to_be_signed)?;
    let refused = assemble(&prepared, &by_other, official.certificate(), &[]);
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    // Presented with another certificate than the one it was prepared for.
    let refused = assemble(&prepared, &by_other, other.certificate(), &[]);
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    // A corrupted signature.
    if let Some(byte) = raw.get_mut(10) {
        *byte ^= 0x01;
    }
    let refused = assemble(&prepared, &raw, official.certificate(), &[]);
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    // A key that is not the certificate's is refused when the signer is created.
    let mismatched = KeySigner::new(other.private_key().clone(), official.certificate().clone());
    assert!(matches!(mismatched, Err(PkiError::SignatureRefused(_))));
    // A digest that is not SHA-256.
    assert!(prepare(&[0; 20], official.certificate(), now(), true).is_err());
    Ok(())
}

#[test]
fn tampered_content_is_a_hash_failure() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let cms = sign_at(&fixture, &fixture.official()?, now())?;
    let mut tampered = CONTENT.to_vec();
    if let Some(byte) = tampered.last_mut() {
        *byte ^= 0x01;
    }
    let report = verify(&fixture, &cms, &tampered)?;
    assert_indication(
        &report,
        Indication::TotalFailed,
        Some(SubIndication::HashFailure),
    );
    let json = serde_json::to_value(&report)?;
    assert_eq!(json["sub_indication"], "HASH_FAILURE");
    Ok(())
}

#[test]
fn tampered_signature_is_a_crypto_failure() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let mut cms = sign_at(&fixture, &fixture.official()?, now())?;
    // The signature value ends the SignerInfo, which ends the SignedData.
    if let Some(byte) = cms.last_mut() {
        *byte ^= 0x01;
    }
    let (ok, _) = openssl_verifies(&fixture, &cms)?;
    assert!(!ok, "openssl accepted a corrupted signature");
    assert_indication(
        &verify(&fixture, &cms, CONTENT)?,
        Indication::TotalFailed,
        Some(SubIndication::SigCryptoFailure),
    );
    Ok(())
}

#[test]
fn revoked_signer() -> TestResult {
    let pki = TestPki::new(KeySpec::Rsa2048, now())?;
    let official = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let revoked_at = now() - days(5);
    let crl = CrlSpec::current(now()).revoke(official.certificate(), revoked_at, None);
    let fixture = Fixture::with_crl(pki, &crl)?;

    // Claims to have signed after the revocation: proven bad.
    let after = sign_at(&fixture, &official, now())?;
    let report = verify(&fixture, &after, CONTENT)?;
    assert_indication(
        &report,
        Indication::TotalFailed,
        Some(SubIndication::Revoked),
    );
    // Claims to have signed before it: nothing proves it (no timestamp).
    let before = sign_at(&fixture, &official, now() - days(10))?;
    assert_indication(
        &verify(&fixture, &before, CONTENT)?,
        Indication::Indeterminate,
        Some(SubIndication::RevokedNoPoe),
    );
    Ok(())
}

#[test]
fn expired_signer() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let expired = fixture.pki.issue(
        &fixture
            .pki
            .individual("Thân Văn Thuận", "024085001234")
            .expired(),
    )?;
    // Claims to have signed after expiry.
    let late = sign_at(&fixture, &expired, now())?;
    assert_indication(
        &verify(&fixture, &late, CONTENT)?,
        Indication::TotalFailed,
        Some(SubIndication::Expired),
    );
    // Claims a time when the certificate was valid, but has no timestamp to prove it.
    let early = sign_at(&fixture, &expired, now() - days(10))?;
    assert_indication(
        &verify(&fixture, &early, CONTENT)?,
        Indication::Indeterminate,
        Some(SubIndication::OutOfBoundsNoPoe),
    );
    Ok(())
}

#[test]
fn untrusted_signer_has_no_chain() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let stranger = fixture
        .pki
        .issue_by_unknown_ca(&fixture.pki.individual("Kẻ Giả Mạo", "000000000000"))?;
    let cms = sign_detached(CONTENT, &signer_of(&stranger)?, &[], now(), true)?;
    assert_indication(
        &verify(&fixture, &cms, CONTENT)?,
        Indication::Indeterminate,
        Some(SubIndication::NoCertificateChainFound),
    );
    Ok(())
}

#[test]
fn unknown_revocation_status_is_try_later() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let cms = sign_at(&fixture, &fixture.official()?, now())?;
    let without_crls = fixture.pki.trust_store()?;
    let report = verify_detached(
        &cms,
        CONTENT,
        &without_crls,
        &[],
        now(),
        RevocationPolicy::Require,
    )?;
    assert_indication(
        &report,
        Indication::Indeterminate,
        Some(SubIndication::TryLater),
    );
    Ok(())
}

#[test]
fn pkcs12_key_signs() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let pkcs12 = official.pkcs12("mật khẩu", &[&fixture.pki.issuing_ca])?;
    let signer = KeySigner::from_pkcs12(&pkcs12, "mật khẩu")?;
    assert_eq!(signer.chain().len(), 1);
    let cms = sign_detached(CONTENT, &signer, signer.chain(), now(), true)?;
    assert_indication(
        &verify(&fixture, &cms, CONTENT)?,
        Indication::TotalPassed,
        None,
    );
    assert!(KeySigner::from_pkcs12(&pkcs12, "sai").is_err());
    Ok(())
}

#[test]
fn not_a_signature_is_an_error() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    for input in [&b""[..], b"hello", fixture.pki.root.der()] {
        assert!(verify(&fixture, input, CONTENT).is_err());
    }
    Ok(())
}

/// `openssl cms -sign` (with `-cades` for the signing-certificate-v2 attribute that CAdES
/// baseline requires) produces signatures motcua accepts; without `-cades` the missing
/// attribute is reported as a format failure.
#[test]
fn openssl_signatures_verify_in_motcua() -> TestResult {
    for key in [KeySpec::Rsa2048, KeySpec::EcP256] {
        let fixture = Fixture::new(key)?;
        let official = individual(&fixture, key)?;
        let directory = tempfile::tempdir()?;
        let path = |name: &str| directory.path().join(name);
        let (content, signer, key_file, ca) = (
            path("content.txt"),
            path("signer.pem"),
            path("key.pem"),
            path("ca.pem"),
        );
        std::fs::write(&content, CONTENT)?;
        std::fs::write(&signer, official.pem())?;
        std::fs::write(&key_file, official.private_key_pem()?)?;
        std::fs::write(&ca, fixture.pki.issuing_ca.pem())?;
        for (cades, expected) in [
            (true, (Indication::TotalPassed, None)),
            (
                false,
                (Indication::TotalFailed, Some(SubIndication::FormatFailure)),
            ),
        ] {
            let out = path("signature.p7s");
            let mut arguments = vec![
                "cms",
                "-sign",
                "-binary",
                "-md",
                "sha256",
                "-in",
                text(&content)?,
                "-signer",
                text(&signer)?,
                "-inkey",
                text(&key_file)?,
                "-certfile",
                text(&ca)?,
                "-outform",
                "DER",
                "-out",
                text(&out)?,
            ];
            if cades {
                arguments.push("-cades");
            }
            let (ok, output) = openssl(&arguments)?;
            assert!(ok, "openssl cms -sign failed: {output}");
            let cms = std::fs::read(&out)?;
            let report = verify(&fixture, &cms, CONTENT)?;
            assert_eq!(
                (report.indication, report.sub_indication),
                expected,
                "{key:?} cades={cades}: {report:#?}"
            );
            // OpenSSL stamps the machine clock as signing time.
            assert!(report.claimed_signing_time.is_some());
        }
    }
    Ok(())
}

/// Runs `openssl cms -sign -cades` on `CONTENT` with `official`'s PEM key and `extra` options.
fn openssl_sign(
    official: &TestCert,
    extra: &[&str],
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let directory = tempfile::tempdir()?;
    let content = directory.path().join("content.txt");
    let signer = directory.path().join("signer.pem");
    let key = directory.path().join("key.pem");
    let out = directory.path().join("signature.p7s");
    std::fs::write(&content, CONTENT)?;
    std::fs::write(&signer, official.pem())?;
    std::fs::write(&key, official.private_key_pem()?)?;
    let mut arguments = vec![
        "cms",
        "-sign",
        "-cades",
        "-binary",
        "-md",
        "sha256",
        "-in",
        text(&content)?,
        "-signer",
        text(&signer)?,
        "-inkey",
        text(&key)?,
        "-outform",
        "DER",
        "-out",
        text(&out)?,
    ];
    arguments.extend_from_slice(extra);
    let (ok, output) = openssl(&arguments)?;
    if !ok {
        return Err(format!("openssl cms -sign failed: {output}").into());
    }
    Ok(std::fs::read(&out)?)
}

/// RSA-PSS signatures (as OpenSSL makes them) are verified too.
#[test]
fn openssl_rsa_pss_signature_verifies() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let cms = openssl_sign(&official, &["-keyopt", "rsa_padding_mode:pss"])?;
    let report = verify(&fixture, &cms, CONTENT)?;
    assert_indication(&report, Indication::TotalPassed, None);
    assert!(
        report.signature_algorithm.starts_with("RSASSA-PSS"),
        "{report:#?}"
    );
    Ok(())
}

/// The DER AlgorithmIdentifier motcua writes for RSASSA-PSS: SHA-256, MGF1-SHA-256, salt 32,
/// trailer field left at its default.
const PSS_SHA256_IDENTIFIER: &str = "3041\
06092a864886f70d01010a\
3034\
a00f300d06096086480165030402010500\
a11c301a06092a864886f70d010108300d06096086480165030402010500\
a203020120";

/// motcua signs with RSA-PSS; motcua and `openssl cms -verify` both accept the signature.
#[test]
fn rsa_pss_signature_verifies_here_and_in_openssl() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let signer = signer_of(&official)?.with_pss()?;
    assert_eq!(signer.rsa_padding(), RsaPadding::Pss);
    let cms = sign_detached(CONTENT, &signer, &chain(&fixture), now(), true)?;
    assert!(
        hex::encode(&cms).contains(PSS_SHA256_IDENTIFIER),
        "the SignerInfo does not name id-RSASSA-PSS with the SHA-256 parameters"
    );
    let report = verify(&fixture, &cms, CONTENT)?;
    assert_indication(&report, Indication::TotalPassed, None);
    assert!(
        report.signature_algorithm.starts_with("RSASSA-PSS"),
        "{report:#?}"
    );
    let (ok, output) = openssl_verifies(&fixture, &cms)?;
    assert!(ok, "openssl cms -verify refused: {output}");
    let (ok, printed) = {
        let directory = tempfile::tempdir()?;
        let path = directory.path().join("signature.p7s");
        std::fs::write(&path, &cms)?;
        openssl(&[
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            text(&path)?,
        ])?
    };
    assert!(ok, "{printed}");
    assert!(printed.contains("rsassaPss"), "{printed}");
    Ok(())
}

/// Two-step signing with PSS: the session knows the scheme, accepts a PSS signature from the
/// token and refuses a PKCS#1 v1.5 one (and the other way round).
#[test]
fn two_step_pss_session_refuses_a_pkcs1_signature() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let prepared = prepare_with_padding(
        &sha256(CONTENT),
        official.certificate(),
        now(),
        true,
        RsaPadding::Pss,
    )?;
    let stored: Prepared = serde_json::from_str(&serde_json::to_string(&prepared)?)?;
    assert_eq!(stored.rsa_padding, RsaPadding::Pss);

    let pkcs1 = signer_of(&official)?.sign(&prepared.to_be_signed)?;
    let refused = assemble(&stored, &pkcs1, official.certificate(), &chain(&fixture));
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );

    let pss = signer_of(&official)?
        .with_pss()?
        .sign(&prepared.to_be_signed)?;
    let cms = assemble(&stored, &pss, official.certificate(), &chain(&fixture))?;
    assert_indication(
        &verify(&fixture, &cms, CONTENT)?,
        Indication::TotalPassed,
        None,
    );
    let (ok, output) = openssl_verifies(&fixture, &cms)?;
    assert!(ok, "openssl cms -verify refused: {output}");

    // A PKCS#1 v1.5 session refuses a PSS signature.
    let pkcs1_session = prepare(&sha256(CONTENT), official.certificate(), now(), true)?;
    let pss = signer_of(&official)?
        .with_pss()?
        .sign(&pkcs1_session.to_be_signed)?;
    let refused = assemble(&pkcs1_session, &pss, official.certificate(), &[]);
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    // Sessions stored before the choice existed are PKCS#1 v1.5.
    let mut old = serde_json::to_value(&pkcs1_session)?;
    if let Some(object) = old.as_object_mut() {
        object.remove("rsa_padding");
    }
    let old: Prepared = serde_json::from_value(old)?;
    assert_eq!(old.rsa_padding, RsaPadding::Pkcs1v15);
    Ok(())
}

/// PSS needs an RSA key.
#[test]
fn pss_is_refused_for_ecdsa_keys() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let official = individual(&fixture, KeySpec::EcP256)?;
    assert!(matches!(
        signer_of(&official)?.with_pss(),
        Err(PkiError::SignatureRefused(_))
    ));
    let refused = prepare_with_padding(
        &sha256(CONTENT),
        official.certificate(),
        now(),
        true,
        RsaPadding::Pss,
    );
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    Ok(())
}

/// A signature that does not carry its certificate verifies when the certificate is supplied,
/// and is INDETERMINATE / NO_SIGNING_CERTIFICATE_FOUND otherwise.
#[test]
fn signer_certificate_can_be_supplied() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let cms = openssl_sign(&official, &["-nocerts"])?;
    let report = verify(&fixture, &cms, CONTENT)?;
    assert_indication(
        &report,
        Indication::Indeterminate,
        Some(SubIndication::NoSigningCertificateFound),
    );
    assert!(report.signer.is_none());
    let supplied = [official.certificate().clone()];
    let report = verify_detached(
        &cms,
        CONTENT,
        &fixture.store,
        &supplied,
        now(),
        RevocationPolicy::Require,
    )?;
    assert_indication(&report, Indication::TotalPassed, None);
    Ok(())
}

/// One in-process signer used from several threads, each turning its copy into a PSS signer
/// on a thread that already signed with PKCS#1 v1.5: every signature verifies with the scheme
/// its signer names (each thread keeps its own signing context per key and padding).
#[test]
fn one_signer_signs_from_many_threads_with_its_own_padding() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let pkcs1 = signer_of(&official)?;
    let signatures = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let pkcs1 = pkcs1.clone();
                scope.spawn(move || -> Result<_, PkiError> {
                    let first = sign_detached(CONTENT, &pkcs1, &[], now(), true)?;
                    let pss = pkcs1.with_pss()?;
                    let second = sign_detached(CONTENT, &pss, &[], now(), true)?;
                    Ok([first, second])
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().map_err(|_| "a signing thread panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    for signed in signatures {
        let [first, second] = signed?;
        for (cms, pss) in [(first, false), (second, true)] {
            let report = verify(&fixture, &cms, CONTENT)?;
            assert_indication(&report, Indication::TotalPassed, None);
            assert_eq!(
                report.signature_algorithm.starts_with("RSASSA-PSS"),
                pss,
                "{report:#?}"
            );
        }
    }
    Ok(())
}

/// A signer outside the process is not trusted to return a valid signature: one that does not
/// verify with its certificate's key is refused before anything is assembled.
#[test]
fn a_faulty_external_signer_is_refused() -> TestResult {
    struct Faulty(KeySigner);
    impl Signer for Faulty {
        fn certificate(&self) -> &Certificate {
            self.0.certificate()
        }
        fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, PkiError> {
            let mut signature = self.0.sign(to_be_signed)?;
            if let Some(last) = signature.last_mut() {
                *last ^= 1;
            }
            Ok(signature)
        }
    }
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let faulty = Faulty(signer_of(&fixture.official()?)?);
    let refused = sign_detached(CONTENT, &faulty, &chain(&fixture), now(), true);
    assert!(
        matches!(refused, Err(PkiError::SignatureRefused(_))),
        "{refused:?}"
    );
    Ok(())
}
