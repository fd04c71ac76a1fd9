//! Parsing: Vietnamese names, identifiers, certificate facts, and every input encoding.

mod common;

use std::process::Command;

use common::{now, TestResult};
use motcua_pki::testpki::{CertSpec, KeySpec, NameSpec, TestPki};
use motcua_pki::{
    parse_certificates, BasicConstraintsInfo, IdentifierKind, KeyUsageFlag, NameAttribute, PkiError,
};
use openssl::pkcs12::Pkcs12;
use openssl::x509::X509;

fn attribute(name: &str, value: &str) -> NameAttribute {
    NameAttribute {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

/// The subject as OpenSSL decodes it, for an independent comparison.
fn openssl_subject(der: &[u8]) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let x509 = X509::from_der(der)?;
    let mut entries = Vec::new();
    for entry in x509.subject_name().entries() {
        let name = entry.object().nid().short_name()?.to_owned();
        entries.push((name, entry.data().to_string()?));
    }
    Ok(entries)
}

#[test]
fn vietnamese_organisation_name_round_trips() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let spec = pki
        .organisation("SỞ Y TẾ", "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG", "Đà Nẵng")
        .identifier(IdentifierKind::TaxCode, "0400260612")
        .identifier(IdentifierKind::BudgetCode, "1234567");
    let certificate = pki.issue(&spec)?;
    let info = certificate.certificate().info();
    assert_eq!(
        info.subject.attributes,
        vec![
            attribute("C", "VN"),
            attribute("L", "Đà Nẵng"),
            attribute("O", "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG"),
            attribute("CN", "SỞ Y TẾ"),
            attribute("UID", "MST:0400260612"),
            attribute("UID", "MNS:1234567"),
        ]
    );
    assert_eq!(
        info.subject.text,
        "UID=MNS:1234567, UID=MST:0400260612, CN=SỞ Y TẾ, \
         O=ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG, L=Đà Nẵng, C=VN"
    );
    let identifiers: Vec<_> = certificate
        .certificate()
        .identifiers()
        .iter()
        .map(|identifier| (identifier.kind, identifier.value.as_str()))
        .collect();
    assert_eq!(
        identifiers,
        vec![
            (IdentifierKind::TaxCode, "0400260612"),
            (IdentifierKind::BudgetCode, "1234567"),
        ]
    );
    let decoded_by_openssl = openssl_subject(certificate.der())?;
    let ours: Vec<(String, String)> = info
        .subject
        .attributes
        .iter()
        .map(|attribute| (attribute.name.clone(), attribute.value.clone()))
        .collect();
    assert_eq!(ours, decoded_by_openssl);
    assert_eq!(info.issuer.first("CN"), Some(TestPki::ISSUING_CA_NAME));
    assert_eq!(info.issuer.first("O"), Some("Ban Cơ yếu Chính phủ"));
    Ok(())
}

#[test]
fn individual_name_and_citizen_identifier() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let certificate = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let info = certificate.certificate().info();
    assert_eq!(info.subject.first("CN"), Some("Thân Văn Thuận"));
    assert_eq!(
        info.subject.text,
        "UID=CCCD:024085001234, CN=Thân Văn Thuận, C=VN"
    );
    assert_eq!(info.identifiers.len(), 1);
    assert_eq!(info.identifiers[0].kind, IdentifierKind::Cccd);
    assert_eq!(info.identifiers[0].value, "024085001234");
    Ok(())
}

#[test]
fn bmp_string_names_decode() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let subject = NameSpec::new()
        .add("C", "VN")
        .add_bmp("L", "Đà Nẵng")
        .add_bmp("CN", "Thân Văn Thuận")
        .add("UID", "CMND:123456789");
    let certificate = pki.issue(&CertSpec::new(subject, now()))?;
    let der = certificate.der();
    // "Đ" as UTF-16BE inside a BMPString: the encoding really is BMP.
    assert!(der.windows(3).any(|window| window == [0x1e, 0x0e, 0x01]));
    let info = certificate.certificate().info();
    assert_eq!(info.subject.first("L"), Some("Đà Nẵng"));
    assert_eq!(info.subject.first("CN"), Some("Thân Văn Thuận"));
    assert_eq!(info.identifiers[0].kind, IdentifierKind::Cmnd);
    Ok(())
}

#[test]
fn certificate_facts_match_openssl() -> TestResult {
    let pki = TestPki::new(KeySpec::Rsa2048, now())?;
    let spec = pki
        .individual("Thân Văn Thuận", "024085001234")
        .extended_key_usage(&["1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.36"])
        .crl_url("http://ca.gov.vn/crl/cpcnn-g2.crl");
    let leaf = pki.issue(&spec)?;
    let info = leaf.certificate().info();
    let x509 = X509::from_der(leaf.der())?;
    assert_eq!(
        info.serial,
        x509.serial_number().to_bn()?.to_hex_str()?.to_lowercase()
    );
    assert_eq!(
        info.fingerprint_sha256,
        hex::encode(x509.digest(openssl::hash::MessageDigest::sha256())?)
    );
    assert_eq!(info.not_before, spec.not_before);
    assert_eq!(info.not_after, spec.not_after);
    assert_eq!(info.key_algorithm, "RSA");
    assert_eq!(info.key_bits, Some(2048));
    assert_eq!(info.signature_algorithm, "sha256WithRSAEncryption");
    assert_eq!(
        info.key_usage,
        Some(vec![
            KeyUsageFlag::DigitalSignature,
            KeyUsageFlag::NonRepudiation
        ])
    );
    assert_eq!(
        info.extended_key_usage,
        Some(vec![
            "emailProtection".to_owned(),
            "documentSigning".to_owned()
        ])
    );
    assert_eq!(
        info.basic_constraints,
        Some(BasicConstraintsInfo {
            ca: false,
            path_len: None
        })
    );
    assert!(!info.is_ca);
    assert_eq!(
        info.crl_distribution_points,
        vec!["http://ca.gov.vn/crl/cpcnn-g2.crl"]
    );

    let ca = pki.issuing_ca.certificate().info();
    assert!(ca.is_ca);
    assert_eq!(ca.basic_constraints.and_then(|bc| bc.path_len), Some(0));
    assert_eq!(
        ca.key_usage,
        Some(vec![KeyUsageFlag::KeyCertSign, KeyUsageFlag::CrlSign])
    );
    let json = serde_json::to_value(info)?;
    assert_eq!(json["key_usage"][1], "non_repudiation");
    assert_eq!(json["identifiers"][0]["kind"], "cccd");
    Ok(())
}

#[test]
fn pem_der_and_concatenated_inputs() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let chain_pem = format!(
        "tệp chuỗi chứng thư\n{}{}{}",
        leaf.pem(),
        String::from_utf8(leaf.private_key_pem()?)?,
        pki.issuing_ca.pem()
    );
    let parsed = parse_certificates(chain_pem.as_bytes())?;
    assert_eq!(parsed.len(), 2, "the private key block is skipped");
    assert_eq!(parsed[0].der(), leaf.der());
    assert_eq!(parsed[1].der(), pki.issuing_ca.der());

    let parsed = parse_certificates(leaf.der())?;
    assert_eq!(parsed.len(), 1);
    let concatenated = [leaf.der(), pki.issuing_ca.der(), pki.root.der()].concat();
    let parsed = parse_certificates(&concatenated)?;
    assert_eq!(parsed.len(), 3);
    assert_eq!(
        parsed[2].info().subject.first("CN"),
        Some(TestPki::ROOT_NAME)
    );
    Ok(())
}

#[test]
fn pkcs7_bundles_parse_in_pem_and_der() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let directory = tempfile::tempdir()?;
    let chain = directory.path().join("chain.pem");
    std::fs::write(
        &chain,
        format!("{}{}{}", leaf.pem(), pki.issuing_ca.pem(), pki.root.pem()),
    )?;
    for form in ["PEM", "DER"] {
        let bundle = directory.path().join(format!("chain-{form}.p7b"));
        let status = Command::new("openssl")
            .args(["crl2pkcs7", "-nocrl", "-outform", form, "-certfile"])
            .arg(&chain)
            .arg("-out")
            .arg(&bundle)
            .status()?;
        assert!(status.success(), "openssl crl2pkcs7 failed");
        let parsed = parse_certificates(&std::fs::read(&bundle)?)?;
        let subjects: Vec<_> = parsed
            .iter()
            .map(|certificate| {
                certificate
                    .info()
                    .subject
                    .first("CN")
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            subjects,
            vec![
                "Thân Văn Thuận",
                TestPki::ISSUING_CA_NAME,
                TestPki::ROOT_NAME
            ],
            "{form}"
        );
    }
    Ok(())
}

#[test]
fn unusable_inputs_give_actionable_errors() {
    assert!(matches!(
        parse_certificates(b""),
        Err(PkiError::NoCertificate)
    ));
    assert!(matches!(
        parse_certificates(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        Err(PkiError::NoCertificate)
    ));
    let garbage = parse_certificates(b"\x30\x03\x02\x01\x01");
    assert!(
        matches!(garbage, Err(PkiError::InvalidCertificate { index: 1, .. })),
        "{garbage:?}"
    );
    assert!(matches!(
        parse_certificates(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"),
        Err(PkiError::InvalidPem(_))
    ));
    let message = PkiError::NoCertificate.to_string();
    assert!(message.contains("PKCS#7"), "{message}");
}

#[test]
fn pkcs12_and_key_exports() -> TestResult {
    let pki = TestPki::new(KeySpec::Rsa2048, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let bundle = leaf.pkcs12("mật-khẩu", &[&pki.issuing_ca, &pki.root])?;
    let parsed = Pkcs12::from_der(&bundle)?.parse2("mật-khẩu")?;
    let certificate = parsed.cert.ok_or("no certificate in PKCS#12")?;
    assert_eq!(certificate.to_der()?, leaf.der());
    let key = parsed.pkey.ok_or("no key in PKCS#12")?;
    assert!(key.public_eq(leaf.private_key()));
    assert_eq!(parsed.ca.map(|chain| chain.len()), Some(2));
    assert!(Pkcs12::from_der(&bundle)?.parse2("sai").is_err());

    let pem = leaf.private_key_pem()?;
    let reloaded = openssl::pkey::PKey::private_key_from_pem(&pem)?;
    assert!(reloaded.public_eq(leaf.private_key()));
    Ok(())
}
