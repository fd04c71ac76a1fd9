//! Signed PDFs for the tests: a test PKI, signers with the identities Vietnamese certificates
//! carry (CCCD, MST, unit), and a folder of trust roots and CRLs as `MOTCUA_TRUST_ROOTS_DIR`
//! expects.

use std::path::{Path, PathBuf};

use chrono::Utc;
use motcua_pki::cms::KeySigner;
use motcua_pki::pades::{sign_pdf, PdfSignatureOptions};
use motcua_pki::testpki::{sample_pdf, CertSpec, CrlSpec, KeySpec, NameSpec, TestCert, TestPki};
use motcua_pki::IdentifierKind;

/// The words of the sample document; tampering changes them.
pub const SAMPLE_TEXT: &str = "KET QUA GIAI QUYET HO SO";

/// A test PKI with its trust roots written to a folder.
pub struct SigningPki {
    pub pki: TestPki,
    roots: tempfile::TempDir,
}

impl SigningPki {
    pub fn new() -> Self {
        let pki = TestPki::new(KeySpec::EcP256, Utc::now()).unwrap();
        let roots = tempfile::tempdir().unwrap();
        let dir = roots.path();
        std::fs::write(dir.join("root.pem"), pki.root.pem()).unwrap();
        std::fs::write(dir.join("issuing-ca.crt"), pki.issuing_ca.der()).unwrap();
        std::fs::write(dir.join("root.crl"), Self::root_crl(&pki)).unwrap();
        std::fs::write(dir.join("issuing-ca.crl"), Self::issuing_crl(&pki)).unwrap();
        Self { pki, roots }
    }

    /// The root, the issuing CA and both CRLs.
    pub fn roots_dir(&self) -> PathBuf {
        self.roots.path().to_owned()
    }

    /// The CRLs of the root and of the issuing CA, current now (DER).
    pub fn crls(&self) -> [Vec<u8>; 2] {
        [Self::root_crl(&self.pki), Self::issuing_crl(&self.pki)]
    }

    fn root_crl(pki: &TestPki) -> Vec<u8> {
        pki.root_crl(&CrlSpec::current(pki.now())).unwrap()
    }

    fn issuing_crl(pki: &TestPki) -> Vec<u8> {
        pki.crl(&CrlSpec::current(pki.now())).unwrap()
    }

    /// An organisation's certificate: the unit (`CN`), its office (`OU`), the body it belongs to
    /// (`O`), its locality and tax code (MST).
    pub fn organisation(&self, unit: &str, office: &str, tax_code: &str) -> TestCert {
        let subject = NameSpec::new()
            .add("C", "VN")
            .add("L", "Bắc Giang")
            .add("O", "UBND THỊ XÃ VIỆT YÊN")
            .add("OU", office)
            .add("CN", unit)
            .add_identifier(IdentifierKind::TaxCode, tax_code);
        self.issue(CertSpec::new(subject, self.pki.now()))
    }

    /// A person's certificate with their CCCD number.
    pub fn person(&self, full_name: &str, cccd: &str) -> TestCert {
        self.issue(self.pki.individual(full_name, cccd))
    }

    fn issue(&self, spec: CertSpec) -> TestCert {
        self.pki.issue(&spec.key(KeySpec::EcP256)).unwrap()
    }

    /// The sample document signed by `signer` (PAdES B-B), with the issuing CA in the signature.
    pub fn sign(&self, signer: &TestCert) -> Vec<u8> {
        let key =
            KeySigner::new(signer.private_key().clone(), signer.certificate().clone()).unwrap();
        sign_pdf(
            &sample_pdf(SAMPLE_TEXT),
            &key,
            &[self.pki.issuing_ca.certificate().clone()],
            &PdfSignatureOptions::new(Utc::now()),
        )
        .unwrap()
    }
}

impl Default for SigningPki {
    fn default() -> Self {
        Self::new()
    }
}

/// `pdf` with one letter of its signed text changed, as a forger would.
pub fn tampered(pdf: &[u8]) -> Vec<u8> {
    let mut changed = pdf.to_vec();
    let at = changed
        .windows(SAMPLE_TEXT.len())
        .position(|window| window == SAMPLE_TEXT.as_bytes())
        .expect("the sample text is in the PDF");
    changed[at] = b'X';
    changed
}

/// Writes `bytes` to `name` in `dir`, for a browser to upload.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
