//! PAdES B-T, B-LT and B-LTA through the signing seam, with `openssl ts -reply` as the
//! timestamping authority and the test PKI's CRLs as validation data; the documents are
//! checked by poppler's `pdfsig`, `qpdf --check`, pyHanko's AdES (LTA) validation and
//! `openssl ts -verify` on every token. A tool that is missing skips the test on a developer's
//! machine and fails it in CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Utc};
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode, SliceReader};
use motcua_pki::archival::{ArchivalServices, ValidationData};
use motcua_pki::cms::KeySigner;
use motcua_pki::pades::{
    newest_document_timestamp, renew_archive_timestamp, renewal_need, verify_pdf, ChangesAfter,
    PdfSignatureKind, PdfSignatureOptions, PdfSignatureReport, RenewalNeed, SignatureLevel,
    SignatureRequest,
};
use motcua_pki::testpki::{sample_pdf, CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::{Certificate, HashAlg, IdentifierKind, PkiError, RevocationPolicy};
use tempfile::TempDir;

type TestResult = Result<(), Box<dyn std::error::Error>>;
type Failure = Box<dyn std::error::Error>;

const TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";

/// Runs `program`; `None` when it is not installed and `CI` is unset (then the test skips).
fn run(program: &str, args: &[&str]) -> Result<Option<Output>, Failure> {
    match Command::new(program).args(args).output() {
        Ok(output) => Ok(Some(output)),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("{program} is not installed; skipped");
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The test PKI, a timestamping authority it issued, and `openssl ts` configured for it.
struct Archive {
    pki: TestPki,
    tsa: TestCert,
    directory: TempDir,
}

impl Archive {
    /// `None` when openssl is not installed (outside CI).
    fn new() -> Result<Option<Self>, Failure> {
        if run("openssl", &["version"])?.is_none() {
            return Ok(None);
        }
        let pki = TestPki::new(KeySpec::Rsa2048, Utc::now())?;
        let tsa = pki.issue(
            &pki.organisation(
                "Dịch vụ cấp dấu thời gian",
                "Ban Cơ yếu Chính phủ",
                "Hà Nội",
            )
            .critical_extended_key_usage(&[TIME_STAMPING]),
        )?;
        let directory = tempfile::tempdir()?;
        let path = |name: &str| directory.path().join(name);
        std::fs::write(path("tsa.pem"), tsa.pem())?;
        std::fs::write(path("tsa.key"), tsa.private_key_pem()?)?;
        std::fs::write(path("chain.pem"), pki.issuing_ca.pem())?;
        std::fs::write(path("root.pem"), pki.root.pem())?;
        write_for_inspection(pki.root.pem().as_bytes(), "root.pem");
        std::fs::write(path("serial"), "01\n")?;
        let config = format!(
            "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\nserial = {}\n\
             crypto_device = builtin\nsigner_cert = {}\ncerts = {}\nsigner_key = {}\n\
             signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\n\
             accuracy = secs:1\nordering = no\ntsa_name = yes\ness_cert_id_chain = no\n\
             ess_cert_id_alg = sha256\n",
            path("serial").display(),
            path("tsa.pem").display(),
            path("chain.pem").display(),
            path("tsa.key").display(),
        );
        std::fs::write(path("tsa.cnf"), config)?;
        Ok(Some(Self {
            pki,
            tsa,
            directory,
        }))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.directory.path().join(name)
    }

    fn signer(&self, cert: &TestCert) -> Result<KeySigner, PkiError> {
        KeySigner::new(cert.private_key().clone(), cert.certificate().clone())
    }

    fn leader(&self) -> Result<TestCert, PkiError> {
        self.pki
            .issue(&self.pki.individual("Thân Văn Thuận", "024085001234"))
    }

    fn organisation(&self) -> Result<TestCert, PkiError> {
        self.pki.issue(
            &self
                .pki
                .organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
                .identifier(IdentifierKind::TaxCode, "2400123456"),
        )
    }

    fn chain(&self) -> Vec<Certificate> {
        vec![self.pki.issuing_ca.certificate().clone()]
    }

    /// A token from `openssl ts -reply`, in a directory of its own so that requests made in
    /// parallel do not meet.
    fn stamp(&self, imprint: [u8; 32]) -> Result<Vec<u8>, Failure> {
        let work = tempfile::tempdir()?;
        let query = work.path().join("request.tsq");
        let token = work.path().join("token.der");
        let query_text = query.display().to_string();
        let asked = run(
            "openssl",
            &[
                "ts",
                "-query",
                "-digest",
                &hex::encode(imprint),
                "-sha256",
                "-cert",
                "-out",
                &query_text,
            ],
        )?
        .ok_or("openssl disappeared")?;
        if !asked.status.success() {
            return Err(text(&asked).into());
        }
        let config = self.path("tsa.cnf").display().to_string();
        let token_text = token.display().to_string();
        let replied = run(
            "openssl",
            &[
                "ts",
                "-reply",
                "-config",
                &config,
                "-queryfile",
                &query_text,
                "-token_out",
                "-out",
                &token_text,
            ],
        )?
        .ok_or("openssl disappeared")?;
        if !replied.status.success() {
            return Err(text(&replied).into());
        }
        Ok(std::fs::read(token)?)
    }

    /// Whether `openssl ts -verify` accepts `token` over `data`, trusting only the root.
    fn token_verifies(&self, token: &[u8], data: &[u8]) -> Result<(), Failure> {
        let work = tempfile::tempdir()?;
        let token_path = work.path().join("token.der");
        let data_path = work.path().join("data");
        std::fs::write(&token_path, token)?;
        std::fs::write(&data_path, data)?;
        let output = run(
            "openssl",
            &[
                "ts",
                "-verify",
                "-token_in",
                "-in",
                &token_path.display().to_string(),
                "-data",
                &data_path.display().to_string(),
                "-CAfile",
                &self.path("root.pem").display().to_string(),
                "-untrusted",
                &self.path("chain.pem").display().to_string(),
            ],
        )?
        .ok_or("openssl disappeared")?;
        let printed = text(&output);
        if output.status.success() && printed.contains("Verification: OK") {
            Ok(())
        } else {
            Err(printed.into())
        }
    }
}

impl ArchivalServices for Archive {
    async fn timestamp(&self, imprint: [u8; 32]) -> Result<Vec<u8>, PkiError> {
        self.stamp(imprint)
            .map_err(|error| PkiError::SignatureRefused(format!("openssl ts: {error}")))
    }

    async fn validation_data(
        &self,
        leaf: &Certificate,
        _extra: &[Certificate],
    ) -> Result<ValidationData, PkiError> {
        // Issued now, after the timestamp it accompanies, as a fetcher would find them.
        let now = Utc::now();
        let fresh = CrlSpec {
            this_update: now,
            ..CrlSpec::current(now)
        };
        Ok(ValidationData {
            certificates: vec![
                leaf.der().to_vec(),
                self.pki.issuing_ca.der().to_vec(),
                self.pki.root.der().to_vec(),
            ],
            crls: vec![self.pki.crl(&fresh)?, self.pki.root_crl(&fresh)?],
            ocsp_responses: Vec::new(),
        })
    }
}

/// A signature value of the document, read by its byte range.
struct Embedded {
    sub_filter: String,
    signed_bytes: Vec<u8>,
    content_info: Vec<u8>,
}

/// Every signature and document timestamp of `pdf`, in file order, by scanning for the byte
/// ranges motcua writes.
fn embedded(pdf: &[u8]) -> Result<Vec<Embedded>, Failure> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = find(pdf, b"/ByteRange [", from) {
        let start = at + b"/ByteRange [".len();
        let end = find(pdf, b"]", start).ok_or("unterminated byte range")?;
        let numbers: Vec<usize> = std::str::from_utf8(&pdf[start..end])?
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        let [0, first, second, length] = numbers[..] else {
            return Err("unexpected byte range".into());
        };
        let digits = &pdf[first + 1..second - 1];
        let contents = hex::decode(digits)?;
        let mut reader = SliceReader::new(&contents)?;
        let content_info = ContentInfo::decode(&mut reader)?.to_der()?;
        let dictionary_start = pdf[..at]
            .windows(2)
            .rposition(|window| window == b"<<")
            .ok_or("no dictionary")?;
        let dictionary = String::from_utf8_lossy(&pdf[dictionary_start..first]);
        let sub_filter = dictionary
            .split("/SubFilter /")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default()
            .to_owned();
        let mut signed_bytes = pdf[..first].to_vec();
        signed_bytes.extend_from_slice(&pdf[second..second + length]);
        found.push(Embedded {
            sub_filter,
            signed_bytes,
            content_info,
        });
        from = end;
    }
    Ok(found)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The signature value and the signature timestamp token (if any) of a CAdES signature.
fn signature_value_and_token(content_info: &[u8]) -> Result<(Vec<u8>, Option<Vec<u8>>), Failure> {
    let signed: SignedData = ContentInfo::from_der(content_info)?.content.decode_as()?;
    let signer = signed
        .signer_infos
        .0
        .get(0)
        .ok_or("no signer info")?
        .clone();
    let token = signer
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .find(|attribute| attribute.oid.to_string() == "1.2.840.113549.1.9.16.2.14")
        .and_then(|attribute| attribute.values.get(0))
        .map(Encode::to_der)
        .transpose()?;
    Ok((signer.signature.as_bytes().to_vec(), token))
}

/// Checks every token of `pdf` with `openssl ts -verify`; returns the counts of signature
/// timestamps and document timestamps.
fn check_tokens(archive: &Archive, pdf: &[u8]) -> Result<(usize, usize), Failure> {
    let (mut signature_timestamps, mut document_timestamps) = (0, 0);
    for value in embedded(pdf)? {
        if value.sub_filter == "ETSI.RFC3161" {
            archive.token_verifies(&value.content_info, &value.signed_bytes)?;
            document_timestamps += 1;
        } else if let (signature, Some(token)) = signature_value_and_token(&value.content_info)? {
            archive.token_verifies(&token, &signature)?;
            signature_timestamps += 1;
        }
    }
    Ok((signature_timestamps, document_timestamps))
}

/// What `pdfsig` says of each signature, in file order: `Some(true)` valid, `Some(false)` not
/// verified (poppler before 24 cannot verify document timestamps: "Unable to validate this
/// type of signature"); an invalid signature fails the test. `None` when the tool is missing.
fn pdfsig_verdicts(pdf: &[u8]) -> Result<Option<Vec<(String, bool)>>, Failure> {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("signed.pdf");
    std::fs::write(&path, pdf)?;
    let Some(output) = run("pdfsig", &[&path.display().to_string()])? else {
        return Ok(None);
    };
    let printed = text(&output);
    let mut verdicts = Vec::new();
    for block in printed.split("Signature #").skip(1) {
        let field = block
            .split("Signature Field Name: ")
            .nth(1)
            .and_then(|rest| rest.lines().next())
            .unwrap_or_default()
            .to_owned();
        let valid = block.contains("Signature Validation: Signature is Valid.");
        let unverified =
            block.contains("Signature Validation: Signature has not yet been verified.");
        assert!(valid || unverified, "{printed}");
        verdicts.push((field, valid));
    }
    Ok(Some(verdicts))
}

/// `qpdf --check` finds no problem.
fn qpdf_check(pdf: &[u8]) -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("signed.pdf");
    std::fs::write(&path, pdf)?;
    let Some(output) = run("qpdf", &["--check", &path.display().to_string()])? else {
        return Ok(());
    };
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("No syntax or stream encoding errors"),
        "{}",
        text(&output)
    );
    Ok(())
}

/// pyHanko's CLI, `pyhanko sign adesverify` (AdES validation following the LTA profile:
/// signature timestamps, `/DSS` revocation data, document timestamps) trusting only the root,
/// without network; its summary line per signature. `None` when pyHanko is missing.
fn pyhanko_adesverify(archive: &Archive, pdf: &Path) -> Result<Option<Vec<String>>, Failure> {
    let Some(output) = run(
        "pyhanko",
        &[
            "sign",
            "adesverify",
            "--trust-replace",
            "--trust",
            &archive.path("root.pem").display().to_string(),
            &pdf.display().to_string(),
        ],
    )?
    else {
        return Ok(None);
    };
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    Ok(Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
    ))
}

/// The same validation through pyHanko's API, for what the CLI does not print: the AdES
/// indication of each signature (`ades_lta_validation`) and whether each document timestamp
/// is intact, valid and trusted (`validate_pdf_timestamp`).
const PYHANKO_ADES: &str = r#"
import asyncio, sys
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import PdfSignatureValidationSpec, SignatureValidationSpec
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager

root = load_cert_from_pemder(sys.argv[1])
policy = CertValidationPolicySpec(
    trust_manager=SimpleTrustManager.build(trust_roots=[root]),
    revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO),
)
spec = PdfSignatureValidationSpec(
    signature_validation_spec=SignatureValidationSpec(cert_validation_policy=policy),
    diff_policy=DEFAULT_DIFF_POLICY,
)
with open(sys.argv[2], 'rb') as f:
    reader = PdfFileReader(f)
    for sig in reader.embedded_regular_signatures:
        result = asyncio.run(ades_lta_validation(sig, spec, timing_info=ValidationTimingInfo.now()))
        print('SIGNATURE', sig.field_name, result.ades_subindic)
    for ts in reader.embedded_timestamp_signatures:
        context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode='soft-fail')
        status = validate_pdf_timestamp(ts, validation_context=context)
        print('TIMESTAMP', ts.field_name, status.intact, status.valid, status.trusted)
"#;

/// Lines printed by [`PYHANKO_ADES`]; `None` when python or pyHanko is missing.
fn pyhanko_api(archive: &Archive, pdf: &Path) -> Result<Option<Vec<String>>, Failure> {
    let Some(output) = run(
        "python3",
        &[
            "-c",
            PYHANKO_ADES,
            &archive.path("root.pem").display().to_string(),
            &pdf.display().to_string(),
        ],
    )?
    else {
        return Ok(None);
    };
    let printed = text(&output);
    if printed.contains("ModuleNotFoundError") && std::env::var_os("CI").is_none() {
        eprintln!("pyHanko is not installed (pip install pyhanko); skipped");
        return Ok(None);
    }
    assert!(output.status.success(), "{printed}");
    Ok(Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
    ))
}

/// pyHanko accepts a B-LT or B-LTA document: the CLI finds every signature and its timestamp
/// intact and trusted; for B-LTA, the AdES indication of every signature is PASSED and every
/// document timestamp is intact, valid and trusted.
fn check_with_pyhanko(
    archive: &Archive,
    pdf: &[u8],
    signatures: usize,
    document_timestamps: usize,
) -> TestResult {
    let path = archive.path(&format!(
        "pyhanko-{}.pdf",
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::write(&path, pdf)?;
    if let Some(lines) = pyhanko_adesverify(archive, &path)? {
        assert_eq!(lines.len(), signatures, "{lines:#?}");
        for line in &lines {
            assert!(
                line.contains(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,"),
                "{line}"
            );
            assert!(line.ends_with(",ACCEPTABLE_MODIFICATIONS"), "{line}");
        }
    }
    if document_timestamps == 0 {
        // pyHanko's AdES algorithm wants a proof of existence of the validation data, which
        // only a document timestamp gives (B-LT is INDETERMINATE / NO_POE there).
        return Ok(());
    }
    if let Some(lines) = pyhanko_api(archive, &path)? {
        let (passed, timestamps): (Vec<&String>, Vec<&String>) = lines
            .iter()
            .partition(|line| line.starts_with("SIGNATURE "));
        assert_eq!(passed.len(), signatures, "{lines:#?}");
        assert!(
            passed.iter().all(|line| line.ends_with(" AdESPassed.OK")),
            "{lines:#?}"
        );
        assert_eq!(timestamps.len(), document_timestamps, "{lines:#?}");
        assert!(
            timestamps
                .iter()
                .all(|line| line.ends_with(" True True True")),
            "{lines:#?}"
        );
    }
    Ok(())
}

fn write_for_inspection(pdf: &[u8], name: &str) {
    if let Some(directory) = std::env::var_os("MOTCUA_LTV_OUT") {
        let _ = std::fs::write(Path::new(&directory).join(name), pdf);
    }
}

/// What motcua's verifier says of the signatures and document timestamps.
fn motcua_reports(archive: &Archive, pdf: &[u8]) -> Result<Vec<PdfSignatureReport>, Failure> {
    let now = Utc::now();
    let mut store = archive.pki.trust_store()?;
    store.add_crl(&archive.pki.root_crl(&CrlSpec::current(now))?)?;
    store.add_crl(&archive.pki.crl(&CrlSpec::current(now))?)?;
    Ok(verify_pdf(
        pdf,
        &store,
        &[],
        now,
        RevocationPolicy::Require,
    )?)
}

fn request(level: SignatureLevel) -> SignatureRequest {
    SignatureRequest::new(Utc::now())
        .reason("Phê duyệt")
        .level(level)
}

const LEVELS: [SignatureLevel; 4] = [
    SignatureLevel::BaselineB,
    SignatureLevel::BaselineT,
    SignatureLevel::BaselineLt,
    SignatureLevel::BaselineLta,
];

/// How many signature and document timestamps a single signature has at `level`.
fn expected_tokens(level: SignatureLevel) -> (usize, usize) {
    match level {
        SignatureLevel::BaselineB => (0, 0),
        SignatureLevel::BaselineT | SignatureLevel::BaselineLt => (1, 0),
        SignatureLevel::BaselineLta => (1, 1),
    }
}

/// Checks a document with `signatures` CAdES signatures and the expected tokens with every
/// tool.
fn check_document(
    archive: &Archive,
    pdf: &[u8],
    signatures: usize,
    tokens: (usize, usize),
    level: SignatureLevel,
) -> TestResult {
    assert_eq!(check_tokens(archive, pdf)?, tokens);
    if let Some(verdicts) = pdfsig_verdicts(pdf)? {
        assert_eq!(verdicts.len(), signatures + tokens.1, "{verdicts:?}");
        for (field, valid) in verdicts {
            // Only document timestamps may be left unverified by an older poppler.
            assert!(valid || field.starts_with("DocumentTimestamp"), "{field}");
        }
    }
    qpdf_check(pdf)?;
    let reports = motcua_reports(archive, pdf)?;
    assert_eq!(reports.len(), signatures + tokens.1);
    let signed: Vec<_> = reports
        .iter()
        .filter(|report| report.kind == PdfSignatureKind::Signature)
        .collect();
    assert_eq!(signed.len(), signatures);
    // The last signature reaches the level asked for; the verifier reads the level back.
    let last = signed.last().ok_or("no signature")?;
    assert_eq!(last.report.level, Some(level), "{last:#?}");
    for report in &reports {
        assert!(report.report.is_valid(), "{report:#?}");
        // What follows a signature (signatures, /DSS, document timestamps) is accepted.
        let expected = if report.covers_whole_document {
            ChangesAfter::Nothing
        } else {
            ChangesAfter::FurtherSignatures
        };
        assert_eq!(report.changes_after, expected, "{report:#?}");
    }
    if matches!(
        level,
        SignatureLevel::BaselineLt | SignatureLevel::BaselineLta
    ) {
        check_with_pyhanko(archive, pdf, signatures, tokens.1)?;
    }
    Ok(())
}

#[tokio::test]
async fn one_signature_at_every_level() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let leader = archive.leader()?;
    for level in LEVELS {
        let signed = request(level)
            .chain(archive.chain())
            .sign_archival(&sample_pdf("BAO CAO"), &archive.signer(&leader)?, &archive)
            .await?;
        write_for_inspection(&signed, &format!("single-{level:?}.pdf"));
        check_document(&archive, &signed, 1, expected_tokens(level), level)?;
        let newest = newest_document_timestamp(&signed)?;
        assert_eq!(newest.is_some(), level == SignatureLevel::BaselineLta);
    }
    Ok(())
}

#[tokio::test]
async fn leader_in_two_steps_then_organisation_in_one() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let leader = archive.leader()?;
    let organisation = archive.organisation()?;
    for level in LEVELS {
        // The leader's key stays with the leader: prepare, sign outside, assemble, timestamp.
        let leader_request = request(level).field("LanhDao", 1);
        let (prepared, pending) =
            leader_request.prepare(&sample_pdf("BAO CAO"), leader.certificate())?;
        let session_level = pending.level;
        let raw = motcua_pki::cms::Signer::sign(&archive.signer(&leader)?, pending.to_be_signed())?;
        let once = pending.assemble(prepared, &raw, leader.certificate(), &archive.chain())?;
        let once = session_level.extend(once, &archive).await?;
        let twice = request(level)
            .field("DonVi", 1)
            .chain(archive.chain())
            .sign_archival(&once, &archive.signer(&organisation)?, &archive)
            .await?;
        write_for_inspection(&twice, &format!("two-{level:?}.pdf"));
        assert!(twice.starts_with(&once));
        let (signature_timestamps, document_timestamps) = expected_tokens(level);
        check_document(
            &archive,
            &twice,
            2,
            (signature_timestamps * 2, document_timestamps * 2),
            level,
        )?;
    }
    Ok(())
}

#[tokio::test]
async fn renewal_adds_a_document_timestamp_each_time() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let signed = request(SignatureLevel::BaselineLt)
        .chain(archive.chain())
        .sign_archival(
            &sample_pdf("BAO CAO"),
            &archive.signer(&archive.leader()?)?,
            &archive,
        )
        .await?;
    assert_eq!(newest_document_timestamp(&signed)?, None);
    let before: DateTime<Utc> = Utc::now() - chrono::Duration::seconds(2);
    let once = renew_archive_timestamp(&signed, &archive).await?;
    let first = newest_document_timestamp(&once)?.ok_or("no document timestamp")?;
    assert!(first.generation_time >= before, "{first:?}");
    assert_eq!(
        first.tsa_certificate_not_after,
        archive.tsa.certificate().info().not_after
    );
    assert_eq!(first.hash_algorithm, Some(HashAlg::Sha256));
    let twice = renew_archive_timestamp(&once, &archive).await?;
    write_for_inspection(&twice, "renewed-twice.pdf");
    assert!(twice.starts_with(&once) && once.starts_with(&signed));
    let second = newest_document_timestamp(&twice)?.ok_or("no document timestamp")?;
    assert!(second.generation_time >= first.generation_time);
    // One store, each certificate once (signer, TSA, issuing CA, root), and a /VRI entry for
    // the signature and for the document timestamp renewed.
    let document = lopdf::Document::load_mem(&twice)?;
    let dss = document
        .catalog()?
        .get_deref(b"DSS", &document)?
        .as_dict()?;
    assert_eq!(dss.get(b"Certs")?.as_array()?.len(), 4, "{dss:?}");
    assert_eq!(dss.get(b"VRI")?.as_dict()?.len(), 2, "{dss:?}");
    check_document(&archive, &twice, 1, (1, 2), SignatureLevel::BaselineLta)?;
    Ok(())
}

#[tokio::test]
async fn renewal_need_follows_the_newest_document_timestamp() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let year = chrono::TimeDelta::days(365);
    let now = Utc::now();
    let unsigned = sample_pdf("BAO CAO");
    assert_eq!(
        renewal_need(&unsigned, now, year, &[])?,
        RenewalNeed::NotNeeded
    );
    let signed = request(SignatureLevel::BaselineLt)
        .chain(archive.chain())
        .sign_archival(&unsigned, &archive.signer(&archive.leader()?)?, &archive)
        .await?;
    assert_eq!(
        renewal_need(&signed, now, year, &[])?,
        RenewalNeed::NoDocumentTimestamp
    );
    let renewed = renew_archive_timestamp(&signed, &archive).await?;
    assert_eq!(
        renewal_need(&renewed, now, year, &[])?,
        RenewalNeed::NotNeeded
    );
    // The test authority's certificate ends in two years: within a three-year margin.
    let not_after = archive.tsa.certificate().info().not_after;
    assert_eq!(
        renewal_need(&renewed, now, year * 3, &[])?,
        RenewalNeed::AuthorityExpiring { not_after }
    );
    assert_eq!(
        renewal_need(&renewed, not_after, chrono::TimeDelta::zero(), &[])?,
        RenewalNeed::AuthorityExpiring { not_after }
    );
    assert_eq!(
        renewal_need(&renewed, now, year, &["SHA-256".to_owned()])?,
        RenewalNeed::HashRetired {
            algorithm: "sha256".into()
        }
    );
    assert!(renewal_need(b"not a pdf", now, year, &[]).is_err());
    Ok(())
}

#[tokio::test]
async fn a_hole_too_small_for_the_timestamp_is_refused() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let leader = archive.leader()?;
    let mut options = PdfSignatureOptions::new(Utc::now());
    options.reserved_bytes = 3000;
    let signed = motcua_pki::pades::sign_pdf(
        &sample_pdf("BAO CAO"),
        &archive.signer(&leader)?,
        &archive.chain(),
        &options,
    )?;
    let refused = SignatureLevel::BaselineT.extend(signed, &archive).await;
    assert!(
        matches!(
            refused,
            Err(PkiError::ContentsTooSmall { reserved: 3000, .. })
        ),
        "{refused:?}"
    );
    Ok(())
}

#[test]
fn levels_are_stored_by_name_and_old_sessions_stay_b_b() -> TestResult {
    for (level, name) in
        LEVELS
            .iter()
            .zip(["baseline_b", "baseline_t", "baseline_lt", "baseline_lta"])
    {
        assert_eq!(serde_json::to_value(level)?, serde_json::json!(name));
    }
    let request = SignatureRequest::new(Utc::now()).level(SignatureLevel::BaselineLta);
    assert_eq!(request.signature_level(), SignatureLevel::BaselineLta);
    assert_eq!(request.options().reserved_bytes, 32 * 1024);
    assert_eq!(
        SignatureRequest::new(Utc::now()).options().reserved_bytes,
        16 * 1024
    );
    Ok(())
}

/// The futures handlers await must be sendable between threads.
#[test]
fn archival_futures_are_send() -> TestResult {
    fn send<T: Send>(_: &T) {}
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let pdf = sample_pdf("BAO CAO");
    let signer = archive.signer(&archive.leader()?)?;
    let request = request(SignatureLevel::BaselineLta);
    send(&request.sign_archival(&pdf, &signer, &archive));
    send(&request.extend(pdf.clone(), &archive));
    send(&renew_archive_timestamp(&pdf, &archive));
    drop(signer);
    Ok(())
}

/// A document whose cross-reference is a stream (as qpdf writes it) gets classic-table updates
/// chained to it by `/Prev`, as the B-B signer writes them; every tool accepts the result.
#[tokio::test]
async fn a_document_with_a_cross_reference_stream_reaches_b_lta() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let input = archive.path("plain.pdf");
    std::fs::write(&input, sample_pdf("BAO CAO"))?;
    let output = archive.path("xref-stream.pdf");
    let Some(converted) = run(
        "qpdf",
        &[
            "--object-streams=generate",
            &input.display().to_string(),
            &output.display().to_string(),
        ],
    )?
    else {
        return Ok(());
    };
    assert!(converted.status.success());
    let original = std::fs::read(&output)?;
    assert!(find(&original, b"/XRef", 0).is_some());
    let leader = archive.leader()?;
    let signed = request(SignatureLevel::BaselineLta)
        .chain(archive.chain())
        .sign_archival(&original, &archive.signer(&leader)?, &archive)
        .await?;
    write_for_inspection(&signed, "xref-stream-lta.pdf");
    check_document(&archive, &signed, 1, (1, 1), SignatureLevel::BaselineLta)?;
    Ok(())
}

/// The timestamp goes into the signature's own `/Contents`, which later revisions cover: a
/// signature followed by other revisions cannot be raised to B-T any more.
#[tokio::test]
async fn a_signature_followed_by_other_revisions_is_not_timestamped() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let signed = request(SignatureLevel::BaselineB)
        .chain(archive.chain())
        .sign(&sample_pdf("BAO CAO"), &archive.signer(&archive.leader()?)?)?;
    let archived = renew_archive_timestamp(&signed, &archive).await?;
    assert!(newest_document_timestamp(&archived)?.is_some());
    let refused = SignatureLevel::BaselineT
        .extend(archived.clone(), &archive)
        .await;
    assert!(
        matches!(refused, Err(PkiError::CannotExtend(_))),
        "{refused:?}"
    );
    // B-B asks for nothing and changes nothing.
    assert_eq!(
        SignatureLevel::BaselineB
            .extend(archived.clone(), &archive)
            .await?,
        archived
    );
    Ok(())
}

#[tokio::test]
async fn documents_without_signatures_are_refused() -> TestResult {
    let Some(archive) = Archive::new()? else {
        return Ok(());
    };
    let unsigned = sample_pdf("BAO CAO");
    assert_eq!(newest_document_timestamp(&unsigned)?, None);
    let extended = SignatureLevel::BaselineLta
        .extend(unsigned.clone(), &archive)
        .await;
    assert!(
        matches!(extended, Err(PkiError::CannotExtend(_))),
        "{extended:?}"
    );
    let renewed = renew_archive_timestamp(&unsigned, &archive).await;
    assert!(
        matches!(renewed, Err(PkiError::CannotExtend(_))),
        "{renewed:?}"
    );
    assert!(newest_document_timestamp(b"not a pdf").is_err());
    Ok(())
}

/// A B-LTA document made once for the property test below; `None` without openssl.
fn archived_sample() -> Option<&'static Vec<u8>> {
    static SAMPLE: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
    SAMPLE
        .get_or_init(|| {
            let archive = Archive::new().ok()??;
            let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
            let signer = archive.signer(&archive.leader().ok()?).ok()?;
            runtime
                .block_on(
                    request(SignatureLevel::BaselineLta)
                        .chain(archive.chain())
                        .sign_archival(&sample_pdf("BAO CAO"), &signer, &archive),
                )
                .ok()
        })
        .as_ref()
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config {
        cases: 64,
        ..proptest::test_runner::Config::default()
    })]

    /// Damage anywhere in the last revision (the document timestamp and its token) gives an
    /// answer or an error, never a panic.
    #[test]
    fn a_damaged_document_timestamp_never_panics(
        from_end in 1usize..20_000,
        byte in proptest::prelude::any::<u8>(),
        cut in proptest::prelude::any::<bool>(),
    ) {
        let Some(sample) = archived_sample() else {
            return Ok(());
        };
        let mut damaged = sample.clone();
        let at = damaged.len().saturating_sub(from_end);
        if cut {
            damaged.truncate(at);
        } else if let Some(target) = damaged.get_mut(at) {
            *target = byte;
        }
        let _ = newest_document_timestamp(&damaged);
    }
}
