//! CAdES B-T and B-LT on a detached signature outside any PDF (a signed receipt), checked by
//! openssl: `openssl cms -verify` still accepts the signature over its content, `openssl ts
//! -verify` accepts the signature timestamp over the signature value, and `openssl cms -cmsout
//! -print` finds the CRLs and the OCSP answer (an `openssl ocsp` responder's) that were added.
//! Without openssl the test is skipped on a developer's machine and fails in CI.

use std::process::{Command, Output};

use chrono::Utc;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};
use motcua_pki::archival::{ArchivalServices, ValidationData};
use motcua_pki::cms::{sign_detached, KeySigner};
use motcua_pki::pades::{extend_detached, SignatureLevel};
use motcua_pki::testpki::{CrlSpec, KeySpec, OcspIndex, OpensslOcspResponder, TestPki};
use motcua_pki::tsp::{timestamp_request, TimestampAuthority};
use motcua_pki::{Certificate, PkiError};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const RECEIPT: &[u8] = br#"{"report_id":"0193c2d6-0000-7000-8000-000000000001"}"#;
const SIGNATURE_TIMESTAMP: &str = "1.2.840.113549.1.9.16.2.14";
const REVOCATION_VALUES: &str = "1.2.840.113549.1.9.16.2.24";

/// motcua's authority for the token, and the validation data a fetcher would have gathered.
struct Services {
    authority: TimestampAuthority,
    data: ValidationData,
}

impl ArchivalServices for Services {
    async fn timestamp(&self, imprint: [u8; 32]) -> Result<Vec<u8>, PkiError> {
        let request = timestamp_request(&imprint, None)?;
        let reply = self.authority.respond(&request.der, Utc::now());
        let response = x509_tsp::TimeStampResp::from_der(&reply)
            .map_err(|error| PkiError::InvalidTimestamp(error.to_string()))?;
        response
            .time_stamp_token
            .ok_or_else(|| PkiError::InvalidTimestamp("no token granted".into()))?
            .to_der()
            .map_err(|error| PkiError::InvalidTimestamp(error.to_string()))
    }

    async fn validation_data(
        &self,
        _leaf: &Certificate,
        _extra: &[Certificate],
    ) -> Result<ValidationData, PkiError> {
        Ok(self.data.clone())
    }
}

fn openssl(args: &[&str]) -> Option<Output> {
    match Command::new("openssl").args(args).output() {
        Ok(output) => Some(output),
        Err(error) if std::env::var_os("CI").is_none() => {
            eprintln!("openssl cannot run ({error}); skipped");
            None
        }
        Err(error) => panic!("openssl cannot run: {error}"),
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn signature_value_and_token(cms: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), der::Error> {
    let signed: SignedData = ContentInfo::from_der(cms)?.content.decode_as()?;
    let signer = signed
        .signer_infos
        .0
        .get(0)
        .cloned()
        .ok_or(der::ErrorKind::Failed)?;
    let token = signer
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .find(|attribute| attribute.oid.to_string() == SIGNATURE_TIMESTAMP)
        .and_then(|attribute| attribute.values.get(0))
        .map(Encode::to_der)
        .transpose()?;
    Ok((signer.signature.as_bytes().to_vec(), token))
}

#[tokio::test]
async fn a_receipt_signature_reaches_b_lt_and_openssl_accepts_it() -> TestResult {
    if openssl(&["version"]).is_none() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let path = |name: &str| dir.path().join(name).display().to_string();
    let pki = TestPki::new(KeySpec::Rsa2048, Utc::now())?;
    let province =
        pki.issue(&pki.organisation("UBND TỈNH BẮC GIANG", "UBND TỈNH BẮC GIANG", "Bắc Giang"))?;
    let tsa_certificate = pki.issue(&pki.tsa())?;
    let authority = TimestampAuthority::new(
        KeySigner::new(
            tsa_certificate.private_key().clone(),
            tsa_certificate.certificate().clone(),
        )?,
        &[pki.issuing_ca.certificate().clone()],
        "1.2.704.1.3161",
    )?;
    let index = OcspIndex::new().valid(province.certificate());
    let mut responder = OpensslOcspResponder::start(
        dir.path(),
        &index,
        &pki.issuing_ca,
        &pki.issuing_ca,
        Some(60),
    )?;
    let ocsp = responder.query(&pki.issuing_ca, &province, false)?;
    responder.stop();
    let crl = pki.crl(&CrlSpec::current(pki.now()))?;
    let services = Services {
        authority,
        data: ValidationData {
            certificates: vec![pki.root.der().to_vec(), tsa_certificate.der().to_vec()],
            crls: vec![crl],
            ocsp_responses: vec![ocsp],
        },
    };
    let signer = KeySigner::new(
        province.private_key().clone(),
        province.certificate().clone(),
    )?;
    let chain = [pki.issuing_ca.certificate().clone()];
    let signed = sign_detached(RECEIPT, &signer, &chain, Utc::now(), true)?;

    assert_eq!(
        extend_detached(signed.clone(), SignatureLevel::BaselineB, &services).await?,
        signed
    );
    assert!(matches!(
        extend_detached(signed.clone(), SignatureLevel::BaselineLta, &services).await,
        Err(PkiError::CannotExtend(_))
    ));
    let extended = extend_detached(signed.clone(), SignatureLevel::BaselineLt, &services).await?;
    // Raising it again adds no second timestamp.
    let again = extend_detached(extended.clone(), SignatureLevel::BaselineT, &services).await?;
    assert_eq!(again, extended);

    let (value, token) = signature_value_and_token(&extended)?;
    assert_eq!(value, signature_value_and_token(&signed)?.0);
    let token = token.ok_or("no signature timestamp")?;
    std::fs::write(path("root.pem"), pki.root.pem())?;
    std::fs::write(path("issuing.pem"), pki.issuing_ca.pem())?;
    std::fs::write(path("token.der"), &token)?;
    std::fs::write(path("value"), &value)?;
    std::fs::write(path("receipt.json"), RECEIPT)?;
    std::fs::write(path("receipt.p7s"), &extended)?;
    let stamped = openssl(&[
        "ts",
        "-verify",
        "-token_in",
        "-in",
        &path("token.der"),
        "-data",
        &path("value"),
        "-CAfile",
        &path("root.pem"),
        "-untrusted",
        &path("issuing.pem"),
    ])
    .ok_or("openssl disappeared")?;
    assert!(
        text(&stamped).contains("Verification: OK"),
        "{}",
        text(&stamped)
    );
    let verified = openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        &path("receipt.p7s"),
        "-content",
        &path("receipt.json"),
        "-CAfile",
        &path("root.pem"),
        "-purpose",
        "any",
        "-out",
        &path("content.out"),
    ])
    .ok_or("openssl disappeared")?;
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(text(&verified).contains("Verification successful"));
    // What was added, read back: the CRL, the certificates, the OCSP answer's BasicOCSPResponse.
    let added: SignedData = ContentInfo::from_der(&extended)?.content.decode_as()?;
    let crls: Vec<Vec<u8>> = added
        .crls
        .iter()
        .flat_map(|crls| crls.0.iter())
        .map(Encode::to_der)
        .collect::<Result<_, _>>()?;
    assert_eq!(crls, services.data.crls);
    let certificates: Vec<Vec<u8>> = added
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .map(Encode::to_der)
        .collect::<Result<_, _>>()?;
    for expected in &services.data.certificates {
        assert!(certificates.contains(expected));
    }
    assert_eq!(certificates.len(), 4, "signer, issuing CA, root, authority");
    let basic = x509_ocsp::OcspResponse::from_der(&services.data.ocsp_responses[0])?
        .response_bytes
        .ok_or("no OCSP response bytes")?
        .response;
    let signer_info = added.signer_infos.0.get(0).ok_or("no signer")?;
    let values = signer_info
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .find(|attribute| attribute.oid.to_string() == REVOCATION_VALUES)
        .and_then(|attribute| attribute.values.get(0))
        .ok_or("no revocation values")?
        .to_der()?;
    // SEQUENCE { [1] { SEQUENCE OF BasicOCSPResponse } }, the answer's bytes as they were.
    assert!(values
        .windows(basic.as_bytes().len())
        .any(|window| window == basic.as_bytes()));
    let printed = openssl(&[
        "cms",
        "-cmsout",
        "-print",
        "-inform",
        "DER",
        "-in",
        &path("receipt.p7s"),
    ])
    .ok_or("openssl disappeared")?;
    assert!(printed.status.success(), "{}", text(&printed));
    Ok(())
}
