//! Long-term signatures checked by outside tools: a test PKI whose certificates name an OCSP
//! responder (`openssl ocsp` on loopback), a third-party TSA (`openssl ts -reply`), and the
//! checks of poppler's `pdfsig`, pyHanko's `adesverify` and `openssl ts -verify` on every token.
//! A tool that is missing skips the check on a developer's machine and fails it in CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode, SliceReader};
use motcua_pki::testpki::tsa::{TsaBehaviour, TsaServer, TsaServerOptions};
use motcua_pki::testpki::{
    CertSpec, CrlSpec, KeySpec, OcspIndex, OpensslOcspResponder, TestCert, TestPki,
};
use tempfile::TempDir;

/// The OCSP URL the certificates name; the signing configuration rewrites it to the responder.
pub const INTERNAL_OCSP: &str = "http://ocsp.motcua.test/";

/// Runs `program`; `None` when it is not installed and `CI` is unset (the check is skipped).
pub fn run(program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program).args(args).output() {
        Ok(output) => Some(output),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("{program} is not installed; check skipped");
            None
        }
        Err(error) => panic!("{program}: {error}"),
    }
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether `openssl` can be run (outside CI its absence skips the test).
pub fn openssl_available() -> bool {
    run("openssl", &["version"]).is_some()
}

/// The test PKI, a TSA certificate it issued, a delegated OCSP responder certificate, and the
/// root and issuing CA written as PEM files for the outside tools.
pub struct LongTermPki {
    pub pki: TestPki,
    pub tsa: TestCert,
    pub ocsp_signer: TestCert,
    pub dir: TempDir,
}

impl LongTermPki {
    pub fn new() -> Self {
        let pki = TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap();
        let tsa = pki
            .issue(&pki.tsa().key(KeySpec::EcP256).ocsp_url(INTERNAL_OCSP))
            .unwrap();
        let ocsp_signer = pki
            .issue(&pki.ocsp_responder_spec().key(KeySpec::EcP256))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("root.pem"), pki.root.pem()).unwrap();
        std::fs::write(dir.path().join("chain.pem"), pki.issuing_ca.pem()).unwrap();
        Self {
            pki,
            tsa,
            ocsp_signer,
            dir,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A certificate of the issuing CA naming the OCSP responder.
    pub fn issue_with_ocsp(&self, spec: CertSpec) -> TestCert {
        self.pki
            .issue(&spec.key(KeySpec::EcP256).ocsp_url(INTERNAL_OCSP))
            .unwrap()
    }

    /// `openssl ocsp` answering for the issuing CA's `certificates` (all good) and the TSA.
    pub fn responder(&self, certificates: &[&TestCert]) -> OpensslOcspResponder {
        let mut index = OcspIndex::new().valid(self.tsa.certificate());
        for certificate in certificates {
            index = index.valid(certificate.certificate());
        }
        OpensslOcspResponder::start(
            self.dir.path(),
            &index,
            &self.pki.issuing_ca,
            &self.ocsp_signer,
            Some(60),
        )
        .unwrap()
    }

    /// `openssl ts -reply` behind HTTP, behaving as `behaviour`.
    pub async fn tsa_server(&self, behaviour: TsaBehaviour) -> TsaServer {
        TsaServer::openssl(
            &self.tsa,
            &[&self.pki.issuing_ca],
            TsaServerOptions {
                behaviour,
                ..TsaServerOptions::default()
            },
        )
        .await
        .unwrap()
    }

    /// Whether `openssl ts -verify` accepts `token` (a DER TimeStampToken, or with `reply` a
    /// TimeStampResp) over `data`, trusting only the root.
    pub fn timestamp_verifies(
        &self,
        timestamp: &[u8],
        data: &[u8],
        reply: bool,
    ) -> Result<(), String> {
        let work = tempfile::tempdir().unwrap();
        let (timestamp_path, data_path) = (work.path().join("ts.der"), work.path().join("data"));
        std::fs::write(&timestamp_path, timestamp).unwrap();
        std::fs::write(&data_path, data).unwrap();
        let mut args = vec!["ts", "-verify"];
        if !reply {
            args.push("-token_in");
        }
        let (timestamp_text, data_text) = (
            timestamp_path.display().to_string(),
            data_path.display().to_string(),
        );
        let (root, chain) = (
            self.path("root.pem").display().to_string(),
            self.path("chain.pem").display().to_string(),
        );
        args.extend([
            "-in",
            &timestamp_text,
            "-data",
            &data_text,
            "-CAfile",
            &root,
            "-untrusted",
            &chain,
        ]);
        let Some(output) = run("openssl", &args) else {
            return Ok(());
        };
        let printed = text(&output);
        if output.status.success() && printed.contains("Verification: OK") {
            Ok(())
        } else {
            Err(printed)
        }
    }

    /// Checks every timestamp of `pdf` with `openssl ts -verify`: the signature timestamp of
    /// each CAdES signature over its signature value, each document timestamp over its byte
    /// range. Returns how many of each there are.
    pub fn check_tokens(&self, pdf: &[u8]) -> Tokens {
        let mut tokens = Tokens::default();
        for value in embedded(pdf) {
            if value.sub_filter == "ETSI.RFC3161" {
                self.timestamp_verifies(&value.content_info, &value.signed_bytes, false)
                    .unwrap();
                tokens.document_timestamps += 1;
            } else if let (signature, Some(token)) = signature_value_and_token(&value.content_info)
            {
                self.timestamp_verifies(&token, &signature, false).unwrap();
                tokens.signature_timestamps += 1;
            }
        }
        tokens
    }

    /// A folder holding only the root, the issuing CA and the root's CRL: what a service's
    /// `MOTCUA_TRUST_ROOTS_DIR` would hold (the PKI's own folder also holds the responder's
    /// files).
    pub fn trust_folder(&self) -> PathBuf {
        let folder = self.path("trust");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("root.pem"), self.pki.root.pem()).unwrap();
        std::fs::write(folder.join("issuing.pem"), self.pki.issuing_ca.pem()).unwrap();
        let current = CrlSpec::current(self.pki.now());
        std::fs::write(
            folder.join("root.crl"),
            self.pki.root_crl(&current).unwrap(),
        )
        .unwrap();
        folder
    }

    /// pyHanko's AdES validation (`pyhanko sign adesverify`), trusting only the root: every
    /// signature and its timestamp intact and trusted. The validation time is given (now):
    /// pyHanko 0.2x otherwise asks the OCSP responder a certificate names and ignores the OCSP
    /// answers the document holds; at a stated time it validates with the document's `/DSS`.
    pub fn pyhanko_accepts(&self, pdf: &[u8], signatures: usize) {
        let path = self.path(&format!(
            "pyhanko-{}.pdf",
            Utc::now().timestamp_nanos_opt().unwrap_or(0)
        ));
        std::fs::write(&path, pdf).unwrap();
        let root = self.path("root.pem").display().to_string();
        let file = path.display().to_string();
        let now = Utc::now().format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
        let Some(output) = run(
            "pyhanko",
            &[
                "sign",
                "adesverify",
                "--trust-replace",
                "--trust",
                &root,
                "--validation-time",
                &now,
                &file,
            ],
        ) else {
            return;
        };
        let printed = text(&output);
        if let Some(keep) = std::env::var_os("MOTCUA_LONG_TERM_OUT") {
            let _ = std::fs::write(Path::new(&keep).join("pyhanko.pdf"), pdf);
            let _ = std::fs::write(Path::new(&keep).join("root.pem"), self.pki.root.pem());
        }
        assert!(output.status.success(), "{printed}");
        let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(lines.len(), signatures, "{printed}");
        for line in &lines {
            assert!(
                line.contains(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,"),
                "{line}"
            );
        }
    }
}

/// How many timestamps of each kind a document holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tokens {
    pub signature_timestamps: usize,
    pub document_timestamps: usize,
}

impl Default for LongTermPki {
    fn default() -> Self {
        Self::new()
    }
}

/// The signing configuration (TOML) for `levels`, the authorities at `tsa_urls` and the OCSP
/// responder at `responder_url`.
pub fn signing_toml(
    levels: &str,
    tsa_urls: &[&str],
    timeout_secs: u32,
    responder_url: &str,
) -> String {
    let mut toml = format!("[levels]\n{levels}\n[tsa]\ntimeout = {timeout_secs}\n");
    for url in tsa_urls {
        toml.push_str(&format!("[[tsa.endpoints]]\nurl = \"{url}\"\n"));
    }
    toml.push_str(&format!(
        "[revocation]\ntimeout = {timeout_secs}\nrewrites = [{{ from = \"{INTERNAL_OCSP}\", to = \"{responder_url}\" }}]\n"
    ));
    toml
}

/// What `pdfsig` says of each signature: every one valid, except document timestamps, which
/// poppler 22 does not verify. Returns how many signatures it found valid (`None` when the tool
/// is missing).
pub fn pdfsig_accepts(pdf: &[u8]) -> Option<usize> {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("signed.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = run("pdfsig", &[&path.display().to_string()])?;
    let printed = text(&output);
    let blocks: Vec<&str> = printed.split("Signature #").skip(1).collect();
    assert!(!blocks.is_empty(), "{printed}");
    let mut valid = 0;
    for block in blocks {
        if block.contains("Signature Validation: Signature is Valid.") {
            valid += 1;
        } else {
            // Poppler 22.12 names the type of a document timestamp "unknown".
            let timestamp = (block.contains("ETSI.RFC3161")
                || block.contains("Signature Field Name: DocumentTimestamp"))
                && block.contains("Signature Validation: Signature has not yet been verified.");
            assert!(timestamp, "{printed}");
        }
    }
    Some(valid)
}

/// A signature value of the document, read by its byte range.
struct Embedded {
    sub_filter: String,
    signed_bytes: Vec<u8>,
    content_info: Vec<u8>,
}

/// Every signature and document timestamp of `pdf`, in file order, by scanning for the byte
/// ranges motcua writes.
fn embedded(pdf: &[u8]) -> Vec<Embedded> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = find(pdf, b"/ByteRange [", from) {
        let start = at + b"/ByteRange [".len();
        let end = find(pdf, b"]", start).unwrap();
        let numbers: Vec<usize> = std::str::from_utf8(&pdf[start..end])
            .unwrap()
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        let [0, first, second, length] = numbers[..] else {
            panic!("unexpected byte range {numbers:?}");
        };
        let contents = hex::decode(&pdf[first + 1..second - 1]).unwrap();
        let mut reader = SliceReader::new(&contents).unwrap();
        let content_info = ContentInfo::decode(&mut reader).unwrap().to_der().unwrap();
        let dictionary_start = pdf[..at]
            .windows(2)
            .rposition(|window| window == b"<<")
            .unwrap();
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
    found
}

/// Where `needle` first occurs in `haystack` at or after `from`.
pub fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The signature value and the signature timestamp token (if any) of a CAdES signature.
pub fn signature_value_and_token(content_info: &[u8]) -> (Vec<u8>, Option<Vec<u8>>) {
    let signed: SignedData = ContentInfo::from_der(content_info)
        .unwrap()
        .content
        .decode_as()
        .unwrap();
    let signer = signed.signer_infos.0.get(0).unwrap().clone();
    let token = signer
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .find(|attribute| attribute.oid.to_string() == "1.2.840.113549.1.9.16.2.14")
        .and_then(|attribute| attribute.values.get(0))
        .map(|value| value.to_der().unwrap());
    (signer.signature.as_bytes().to_vec(), token)
}

/// Writes `bytes` to a file of `dir` and returns its path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
