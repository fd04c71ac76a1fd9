//! Helpers shared by the integration tests. Each test binary uses a subset of them.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::{Certificate, CheckKind, Outcome, Purpose, RevocationPolicy, TrustStore, Verdict};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A fixed reference time, so that failures are reproducible.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap_or_default()
}

pub fn days(count: i64) -> Duration {
    Duration::days(count)
}

/// A test PKI and a store holding its root, issuing CA, and current CRLs; the issuing CA's CRL
/// is built from `issuing_crl`.
pub struct Fixture {
    pub pki: TestPki,
    pub store: TrustStore,
}

impl Fixture {
    pub fn new(key: KeySpec) -> Result<Self, motcua_pki::PkiError> {
        let pki = TestPki::new(key, now())?;
        Self::with_crl(pki, &CrlSpec::current(now()))
    }

    pub fn with_crl(pki: TestPki, issuing_crl: &CrlSpec) -> Result<Self, motcua_pki::PkiError> {
        let mut store = pki.trust_store()?;
        store.add_crl(&pki.root_crl(&CrlSpec::current(pki.now()))?)?;
        store.add_crl(&pki.crl(issuing_crl)?)?;
        Ok(Self { pki, store })
    }

    pub fn official(&self) -> Result<TestCert, motcua_pki::PkiError> {
        self.pki
            .issue(&self.pki.individual("Thân Văn Thuận", "024085001234"))
    }

    pub fn validate(&self, certificate: &Certificate) -> Verdict {
        self.validate_at(certificate, now())
    }

    pub fn validate_at(&self, certificate: &Certificate, at: DateTime<Utc>) -> Verdict {
        self.store.validate(
            certificate,
            &[],
            at,
            Purpose::Signing,
            RevocationPolicy::Require,
        )
    }
}

/// The outcome of the first check of `kind` on the certificate whose subject contains `subject`.
pub fn outcome(verdict: &Verdict, kind: CheckKind, subject: &str) -> Option<Outcome> {
    verdict
        .checks
        .iter()
        .find(|check| check.check == kind && check.subject.contains(subject))
        .map(|check| check.outcome)
}
