//! `motcua verify` on a PDF signed with a test PKI: exit code 0 only when every signature passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use chrono::Utc;
use motcua_pki::cms::KeySigner;
use motcua_pki::pades::{sign_pdf, PdfSignatureOptions};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};

fn minimal_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

fn motcua(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .env_remove("MOTCUA_TRUST_ROOTS_DIR")
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[test]
fn verify_reports_every_signature_and_fails_unless_all_pass() {
    let now = Utc::now();
    let pki = TestPki::new(KeySpec::EcP256, now).unwrap();
    let unit = pki
        .issue(&pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"))
        .unwrap();
    let signer = KeySigner::new(unit.private_key().clone(), unit.certificate().clone()).unwrap();
    let signed = sign_pdf(
        &minimal_pdf(),
        &signer,
        &[pki.issuing_ca.certificate().clone()],
        &PdfSignatureOptions::new(now),
    )
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let roots = dir.path().join("roots");
    std::fs::create_dir(&roots).unwrap();
    std::fs::write(roots.join("root.pem"), pki.root.pem()).unwrap();
    std::fs::write(roots.join("issuing.crt"), pki.issuing_ca.der()).unwrap();
    std::fs::write(
        roots.join("root.crl"),
        pki.root_crl(&CrlSpec::current(now)).unwrap(),
    )
    .unwrap();
    std::fs::write(
        roots.join("issuing.crl"),
        pki.crl(&CrlSpec::current(now)).unwrap(),
    )
    .unwrap();
    let file = dir.path().join("signed.pdf");
    std::fs::write(&file, &signed).unwrap();

    let (ok, printed) = motcua(&[
        "verify".as_ref(),
        file.as_os_str(),
        "--trust-roots".as_ref(),
        roots.as_os_str(),
    ]);
    assert!(ok, "{printed}");
    assert!(printed.contains("TOTAL_PASSED"), "{printed}");
    assert!(printed.contains("UBND XÃ TĂNG TIẾN"), "{printed}");
    // Which CRL each certificate was checked against.
    assert!(
        printed.contains(&format!(
            "revocation:   UBND XÃ TĂNG TIẾN: not listed on the CRL from CN={}",
            TestPki::ISSUING_CA_NAME
        )),
        "{printed}"
    );

    // Without CRLs, revocation data is required by default; --no-revocation-check says so.
    for crl in ["root.crl", "issuing.crl"] {
        std::fs::rename(roots.join(crl), dir.path().join(crl)).unwrap();
    }
    let with_roots = |extra: &[&str]| {
        let mut args = vec![
            "verify".as_ref(),
            file.as_os_str(),
            "--trust-roots".as_ref(),
            roots.as_os_str(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        motcua(&args)
    };
    let (ok, printed) = with_roots(&[]);
    assert!(!ok, "{printed}");
    assert!(printed.contains("INDETERMINATE / TRY_LATER"), "{printed}");
    assert!(
        printed.contains("no CRL or OCSP response from"),
        "{printed}"
    );
    let (ok, printed) = with_roots(&["--no-revocation-check"]);
    assert!(ok, "{printed}");
    assert!(
        printed.contains("revocation:   not required (--no-revocation-check)"),
        "{printed}"
    );
    assert!(printed.contains("revocation not checked"), "{printed}");
    for crl in ["root.crl", "issuing.crl"] {
        std::fs::rename(dir.path().join(crl), roots.join(crl)).unwrap();
    }

    // Without the trust roots the chain is not trusted.
    let (ok, printed) = motcua(&["verify".as_ref(), file.as_os_str()]);
    assert!(!ok, "{printed}");
    assert!(printed.contains("INDETERMINATE"), "{printed}");

    let mut tampered = signed;
    let at = tampered.windows(6).position(|w| w == b"/Count").unwrap();
    tampered[at + 1] = b'c';
    std::fs::write(&file, &tampered).unwrap();
    let (ok, printed) = motcua(&[
        "verify".as_ref(),
        file.as_os_str(),
        "--trust-roots".as_ref(),
        roots.as_os_str(),
    ]);
    assert!(!ok, "{printed}");
    assert!(printed.contains("TOTAL_FAILED"), "{printed}");
}
