//! The same certificates checked by `openssl verify` (run as a separate process) and by
//! motcua-pki must get the same answer.
//!
//! Revocation is checked for the whole chain on both sides (`-crl_check_all`), since motcua-pki
//! requires revocation evidence for every certificate below the root.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use common::{days, now, TestResult};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::{Purpose, RevocationPolicy, TrustStore, VerdictStatus};
use openssl::x509::X509Crl;

/// What `openssl verify` said.
#[derive(Debug)]
struct OpensslAnswer {
    ok: bool,
    output: String,
}

struct Setup {
    pki: TestPki,
    directory: tempfile::TempDir,
}

impl Setup {
    fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let pki = TestPki::new(KeySpec::Rsa2048, now())?;
        let directory = tempfile::tempdir()?;
        std::fs::write(directory.path().join("root.pem"), pki.root.pem())?;
        std::fs::write(directory.path().join("untrusted.pem"), pki.issuing_ca.pem())?;
        Ok(Self { pki, directory })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.directory.path().join(name)
    }

    /// Writes both CRLs to one PEM file and returns a store holding them.
    fn crls(
        &self,
        name: &str,
        root: &CrlSpec,
        issuing: &CrlSpec,
    ) -> Result<TrustStore, Box<dyn std::error::Error>> {
        let root_der = self.pki.root_crl(root)?;
        let issuing_der = self.pki.crl(issuing)?;
        let mut pem = X509Crl::from_der(&root_der)?.to_pem()?;
        pem.extend(X509Crl::from_der(&issuing_der)?.to_pem()?);
        std::fs::write(self.path(name), pem)?;
        let mut store = self.pki.trust_store()?;
        store.add_crl(&root_der)?;
        store.add_crl(&issuing_der)?;
        Ok(store)
    }

    fn leaf_file(&self, name: &str, leaf: &TestCert) -> Result<PathBuf, std::io::Error> {
        let path = self.path(name);
        std::fs::write(&path, leaf.pem())?;
        Ok(path)
    }

    fn openssl_verify(
        &self,
        leaf: &Path,
        crl_file: &str,
        at: DateTime<Utc>,
        purpose: &str,
    ) -> Result<OpensslAnswer, std::io::Error> {
        let output = Command::new("openssl")
            .arg("verify")
            .arg("-CAfile")
            .arg(self.path("root.pem"))
            .arg("-untrusted")
            .arg(self.path("untrusted.pem"))
            .arg("-crl_check_all")
            .arg("-CRLfile")
            .arg(self.path(crl_file))
            .args(["-attime", &at.timestamp().to_string(), "-purpose", purpose])
            .arg(leaf)
            .output()?;
        Ok(OpensslAnswer {
            ok: output.status.success(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

/// One certificate to check with both validators.
struct Case<'a> {
    leaf: &'a TestCert,
    at: DateTime<Utc>,
    /// `-purpose` of openssl verify.
    purpose: &'a str,
    expected: VerdictStatus,
    /// The openssl message for a failure; `None` when both must accept.
    openssl_error: Option<&'a str>,
}

impl<'a> Case<'a> {
    fn new(leaf: &'a TestCert, expected: VerdictStatus, openssl_error: Option<&'a str>) -> Self {
        Self {
            leaf,
            at: now(),
            purpose: "any",
            expected,
            openssl_error,
        }
    }
}

fn assert_agree(setup: &Setup, store: &TrustStore, crl_file: &str, case: &Case<'_>) -> TestResult {
    let leaf = case.leaf;
    let path = setup.leaf_file(
        &format!("leaf-{}.pem", leaf.certificate().info().serial),
        leaf,
    )?;
    let openssl = setup.openssl_verify(&path, crl_file, case.at, case.purpose)?;
    let verdict = store.validate(
        leaf.certificate(),
        &[],
        case.at,
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(
        verdict.status, case.expected,
        "motcua-pki: {}",
        verdict.summary
    );
    match case.openssl_error {
        None => assert!(
            openssl.ok && openssl.output.contains(": OK"),
            "openssl: {}",
            openssl.output
        ),
        Some(message) => {
            assert!(
                !openssl.ok,
                "openssl accepted what motcua-pki refused: {}",
                openssl.output
            );
            assert!(
                openssl.output.contains(message),
                "openssl said: {}",
                openssl.output
            );
        }
    }
    Ok(())
}

#[test]
fn openssl_verify_agrees_on_every_verdict() -> TestResult {
    let setup = Setup::new()?;
    let pki = &setup.pki;
    let valid = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let expired = pki.issue(&pki.individual("Hết Hạn", "024085001235").expired())?;
    let future = pki.issue(
        &pki.individual("Chưa Hiệu Lực", "024085001236")
            .not_yet_valid(),
    )?;
    let revoked = pki.issue(&pki.individual("Bị Thu Hồi", "024085001237"))?;
    let forged = pki.issue(
        &pki.individual("Chữ Ký Hỏng", "024085001238")
            .bad_signature(),
    )?;
    let stranger = pki.issue_by_unknown_ca(&pki.individual("Người Lạ", "024085001239"))?;
    let odd = pki.issue(
        &pki.individual("Mở Rộng Lạ", "024085001240")
            .unknown_critical_extension(),
    )?;
    let encryption = pki.issue(
        &pki.individual("Chỉ Mã Hóa", "024085001241")
            .wrong_key_usage(),
    )?;

    let issuing = CrlSpec::current(now()).revoke(revoked.certificate(), now() - days(3), None);
    let store = setup.crls("crls.pem", &CrlSpec::current(now()), &issuing)?;
    let cases = [
        Case::new(&valid, VerdictStatus::Valid, None),
        Case {
            purpose: "smimesign",
            ..Case::new(&valid, VerdictStatus::Valid, None)
        },
        Case::new(
            &expired,
            VerdictStatus::Expired,
            Some("certificate has expired"),
        ),
        Case::new(
            &future,
            VerdictStatus::NotYetValid,
            Some("certificate is not yet valid"),
        ),
        Case::new(
            &revoked,
            VerdictStatus::Revoked,
            Some("certificate revoked"),
        ),
        Case::new(
            &forged,
            VerdictStatus::BadSignature,
            Some("certificate signature failure"),
        ),
        Case::new(
            &stranger,
            VerdictStatus::Untrusted,
            Some("unable to get local issuer certificate"),
        ),
        Case::new(
            &odd,
            VerdictStatus::ConstraintViolation,
            Some("unhandled critical extension"),
        ),
        // `-purpose any` ignores key usage; the S/MIME signing purpose is the closest to ours.
        Case {
            purpose: "smimesign",
            ..Case::new(
                &encryption,
                VerdictStatus::WrongKeyUsage,
                Some("unsuitable certificate purpose"),
            )
        },
    ];
    for case in &cases {
        assert_agree(&setup, &store, "crls.pem", case)?;
    }
    Ok(())
}

#[test]
fn openssl_verify_agrees_on_crl_freshness_and_past_times() -> TestResult {
    let setup = Setup::new()?;
    let pki = &setup.pki;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    // CRLs current ten days ago, stale today.
    let past = now() - days(10);
    let old = CrlSpec::current(past);
    let store = setup.crls("old-crls.pem", &old, &old)?;
    let then = Case {
        at: past,
        ..Case::new(&leaf, VerdictStatus::Valid, None)
    };
    assert_agree(&setup, &store, "old-crls.pem", &then)?;
    let today = Case::new(
        &leaf,
        VerdictStatus::RevocationUnknown,
        Some("CRL has expired"),
    );
    assert_agree(&setup, &store, "old-crls.pem", &today)?;
    Ok(())
}
