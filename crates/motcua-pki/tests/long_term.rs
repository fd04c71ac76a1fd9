//! Signatures that outlive their certificates. A leader signs at T; the certificate is revoked
//! at T+1 and expires at T+2; at T+3 the B-LT and B-LTA documents still pass, proven to have
//! existed at T by their timestamps, while a B-B copy is indeterminate and a document signed
//! after the revocation fails (ETSI EN 319 102-1 past signature validation). The timestamps come
//! from motcua's own timestamping authority answering at T, so that the time can be set.

use chrono::{DateTime, Duration, Utc};
use der::{Decode, Encode};
use motcua_pki::archival::{ArchivalServices, ValidationData};
use motcua_pki::cms::{Indication, KeySigner, SubIndication};
use motcua_pki::pades::{
    verify_pdf, PdfSignatureKind, PdfSignatureReport, SignatureLevel, SignatureRequest,
};
use motcua_pki::testpki::{sample_pdf, CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::tsp::{timestamp_request, TimestampAuthority};
use motcua_pki::{Certificate, PkiError, RevocationPolicy, TrustStore};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A timestamping authority whose clock is set, and validation data made at that time.
struct Clocked<'a> {
    authority: &'a TimestampAuthority,
    at: DateTime<Utc>,
    validation_data: ValidationData,
}

impl ArchivalServices for Clocked<'_> {
    async fn timestamp(&self, imprint: [u8; 32]) -> Result<Vec<u8>, PkiError> {
        let request = timestamp_request(&imprint, None)?;
        let reply = self.authority.respond(&request.der, self.at);
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
        Ok(self.validation_data.clone())
    }
}

struct Scene {
    pki: TestPki,
    tsa: TimestampAuthority,
    tsa_certificate: TestCert,
    leader: TestCert,
    /// Signing time of the first document.
    t: DateTime<Utc>,
}

impl Scene {
    fn new() -> Result<Self, PkiError> {
        let now = Utc::now();
        let t = now - Duration::days(3);
        let pki = TestPki::new(KeySpec::EcP256, now - Duration::days(30))?;
        let tsa_certificate = pki.issue(&pki.tsa().key(KeySpec::EcP256))?;
        let tsa = TimestampAuthority::new(
            KeySigner::new(
                tsa_certificate.private_key().clone(),
                tsa_certificate.certificate().clone(),
            )?,
            &[pki.issuing_ca.certificate().clone()],
            "1.2.704.1.3161",
        )?;
        let mut spec = pki
            .individual("Thân Văn Thuận", "024085001234")
            .key(KeySpec::EcP256);
        spec.not_before = t - Duration::days(60);
        spec.not_after = t + Duration::days(2);
        let leader = pki.issue(&spec)?;
        Ok(Self {
            pki,
            tsa,
            tsa_certificate,
            leader,
            t,
        })
    }

    fn revoked_at(&self) -> DateTime<Utc> {
        self.t + Duration::days(1)
    }

    /// The issuing CA's CRL at `at`, listing the leader's revocation once it happened.
    fn crl(&self, at: DateTime<Utc>) -> Result<Vec<u8>, PkiError> {
        let mut spec = CrlSpec::current(at);
        if at >= self.revoked_at() {
            spec = spec.revoke(self.leader.certificate(), self.revoked_at(), None);
        }
        self.pki.crl(&spec)
    }

    /// What a signer fetches at `at`: the chains and CRLs current then.
    fn services(&self, at: DateTime<Utc>) -> Result<Clocked<'_>, PkiError> {
        Ok(Clocked {
            authority: &self.tsa,
            at,
            validation_data: ValidationData {
                certificates: vec![
                    self.pki.issuing_ca.der().to_vec(),
                    self.pki.root.der().to_vec(),
                    self.tsa_certificate.der().to_vec(),
                ],
                crls: vec![self.crl(at)?, self.pki.root_crl(&CrlSpec::current(at))?],
                ocsp_responses: Vec::new(),
            },
        })
    }

    /// A document signed by the leader at `at`, raised to `level`.
    async fn signed(&self, at: DateTime<Utc>, level: SignatureLevel) -> Result<Vec<u8>, PkiError> {
        let signer = KeySigner::new(
            self.leader.private_key().clone(),
            self.leader.certificate().clone(),
        )?;
        let request = SignatureRequest::new(at).level(level).chain(vec![self
            .pki
            .issuing_ca
            .certificate()
            .clone()]);
        let signed = request.sign(&sample_pdf("BÁO CÁO"), &signer)?;
        request.extend(signed, &self.services(at)?).await
    }

    /// What an auditor holds at `at`: the roots and CAs, and (`with_crls`) the CRLs current
    /// then, the leader's revocation listed.
    fn store(&self, at: DateTime<Utc>, with_crls: bool) -> Result<TrustStore, PkiError> {
        let mut store = self.pki.trust_store()?;
        if with_crls {
            store.add_crl(&self.crl(at)?)?;
            store.add_crl(&self.pki.root_crl(&CrlSpec::current(at))?)?;
        }
        Ok(store)
    }
}

fn signatures(reports: &[PdfSignatureReport]) -> Vec<&PdfSignatureReport> {
    reports
        .iter()
        .filter(|report| report.kind == PdfSignatureKind::Signature)
        .collect()
}

#[tokio::test]
async fn a_timestamped_signature_outlives_revocation_and_expiry() -> TestResult {
    let scene = Scene::new()?;
    let later = scene.t + Duration::days(3);
    let long_term = scene.signed(scene.t, SignatureLevel::BaselineLt).await?;
    let archival = scene.signed(scene.t, SignatureLevel::BaselineLta).await?;
    let basic = scene.signed(scene.t, SignatureLevel::BaselineB).await?;

    for with_crls in [true, false] {
        let store = scene.store(later, with_crls)?;
        for (document, level) in [
            (&long_term, SignatureLevel::BaselineLt),
            (&archival, SignatureLevel::BaselineLta),
        ] {
            let reports = verify_pdf(document, &store, &[], later, RevocationPolicy::Require)?;
            let [signature] = signatures(&reports)[..] else {
                panic!("one signature expected: {reports:#?}");
            };
            let report = &signature.report;
            assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
            assert_eq!(report.level, Some(level), "{report:#?}");
            let proof = report.proof_of_existence.as_ref().ok_or("no proof")?;
            assert_eq!(proof.time.timestamp(), scene.t.timestamp());
            assert!(report.timestamps.iter().all(|check| check.is_valid()));
            for other in &reports {
                assert_eq!(
                    other.report.indication,
                    Indication::TotalPassed,
                    "{other:#?}"
                );
            }
        }
        let reports = verify_pdf(&basic, &store, &[], later, RevocationPolicy::Require)?;
        let report = &reports.first().ok_or("no signature")?.report;
        assert_eq!(report.indication, Indication::Indeterminate, "{report:#?}");
        // A level is the signature's form, whatever the verdict.
        assert_eq!(report.level, Some(SignatureLevel::BaselineB));
    }
    // With the CA's current CRL the B-B copy is known revoked after its claimed time.
    let store = scene.store(later, true)?;
    let reports = verify_pdf(&basic, &store, &[], later, RevocationPolicy::Require)?;
    let report = &reports.first().ok_or("no signature")?.report;
    assert_eq!(report.sub_indication, Some(SubIndication::RevokedNoPoe));
    Ok(())
}

#[tokio::test]
async fn a_signature_made_after_the_revocation_fails() -> TestResult {
    let scene = Scene::new()?;
    let later = scene.t + Duration::days(3);
    let after_revocation = scene.revoked_at() + Duration::hours(12);
    let document = scene
        .signed(after_revocation, SignatureLevel::BaselineLt)
        .await?;
    for with_crls in [true, false] {
        let store = scene.store(later, with_crls)?;
        let reports = verify_pdf(&document, &store, &[], later, RevocationPolicy::Require)?;
        let report = &signatures(&reports).first().ok_or("no signature")?.report;
        assert_eq!(report.indication, Indication::TotalFailed, "{report:#?}");
        assert_eq!(report.sub_indication, Some(SubIndication::Revoked));
        // Timestamped, with its validation data: B-LT in form, failed in substance.
        assert_eq!(report.level, Some(SignatureLevel::BaselineLt));
    }
    Ok(())
}

#[tokio::test]
async fn levels_are_reported_as_reached() -> TestResult {
    let scene = Scene::new()?;
    let store = scene.store(scene.t + Duration::hours(1), true)?;
    for level in [
        SignatureLevel::BaselineB,
        SignatureLevel::BaselineT,
        SignatureLevel::BaselineLt,
        SignatureLevel::BaselineLta,
    ] {
        let document = scene.signed(scene.t, level).await?;
        let at = scene.t + Duration::hours(1);
        let reports = verify_pdf(&document, &store, &[], at, RevocationPolicy::Require)?;
        let report = &signatures(&reports).first().ok_or("no signature")?.report;
        assert_eq!(report.indication, Indication::TotalPassed, "{report:#?}");
        assert_eq!(report.level, Some(level), "{level:?}: {report:#?}");
        let timestamps = reports
            .iter()
            .filter(|report| report.kind == PdfSignatureKind::DocumentTimestamp)
            .count();
        assert_eq!(
            timestamps,
            usize::from(level == SignatureLevel::BaselineLta)
        );
    }
    Ok(())
}
