//! Every kind of signature motcua makes, made by the real services over HTTP and checked by
//! validators that are not motcua's, each given only the root certificate as trust:
//!
//! - pyHanko (`pyhanko sign validate --force-revinfo --trust root.pem --trust-replace`), which
//!   fetches the CRLs of the issuing CA and of the signer from the distribution points the
//!   certificates name, served here by a small HTTP server on loopback;
//! - poppler's `pdfsig` against an NSS database that holds only the root;
//! - `openssl cms -verify` with only the root as CA file, for detached CMS signatures.
//!
//! The signatures: a scanned component signed by an official in two steps and the electronic
//! result of the dossier (the commune's key), a report signed by the district's leader in two
//! steps and then by the district, the province's receipt of the delivered report, and the audit
//! checkpoints of both services. None of the certificates has an authority information access
//! extension, so each signature must carry its issuing CA for the validators to find the root.
//! The organisation keys of the commune and of the province are uploaded without their issuing
//! CA, as PKCS#12 files sometimes are; the district's report service trusts the root alone and
//! learns the leader's chain from the results service.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::access::Role;
use motcua_core::record_ids::UnitId;
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::testpki::{sample_pdf, CertSpec, CrlSpec, KeySpec, NameSpec, TestCert, TestPki};
use motcua_pki::{parse_certificates, IdentifierKind};
use motcua_reports::config::Secret;
use motcua_tests::{Backend, ReportsApp, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::certificates::{officials_under, personal, register};
use crate::dossiers::{create, dossier, procedure, step};

motcua_tests::with_each_backend!(every_signature_validates_outside_given_only_the_root);

const P12_PASSWORD: &str = "mật khẩu PKCS#12";

/// A plain HTTP server on loopback serving the CRLs at the distribution points the test
/// certificates name, and noting every path asked for.
struct CrlServer {
    addr: SocketAddr,
    served: Arc<Mutex<Served>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Served {
    files: HashMap<String, Vec<u8>>,
    requests: Vec<String>,
}

impl CrlServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(Mutex::new(Served::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (served, stop) = (served.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        answer(stream, &served);
                    }
                }
            })
        };
        Self {
            addr,
            served,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn publish(&self, path: &str, der: Vec<u8>) {
        self.lock().files.insert(path.to_owned(), der);
    }

    /// The paths asked for since the last call.
    fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().requests)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Served> {
        self.served.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for CrlServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request head and answers with the CRL at its path (or 404), then closes.
fn answer(mut stream: TcpStream, served: &Mutex<Served>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let body = {
        let mut served = served.lock().unwrap_or_else(PoisonError::into_inner);
        if !path.is_empty() {
            served.requests.push(path.to_owned());
        }
        match method {
            "GET" => served.files.get(path).cloned(),
            _ => None,
        }
    };
    let response = match body {
        Some(body) => {
            let mut response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            response.extend_from_slice(&body);
            response
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    let _ = stream.write_all(&response);
}

/// The government hierarchy in miniature, with CRL distribution points on the CRL server: the
/// root's CRL in the issuing CA, the issuing CA's CRL in every holder's certificate. No
/// certificate says where its issuer can be downloaded.
struct Hierarchy {
    root: TestCert,
    issuing: TestCert,
    issuing_crl_url: String,
    now: DateTime<Utc>,
}

impl Hierarchy {
    fn new(server: &CrlServer) -> Self {
        let now = Utc::now();
        let ca_name = |common_name: &str| {
            NameSpec::new()
                .add("C", "VN")
                .add("O", TestPki::CA_ORGANISATION)
                .add("CN", common_name)
        };
        let root = TestCert::self_signed(&CertSpec::certificate_authority(
            ca_name(TestPki::ROOT_NAME),
            now,
            5,
            20,
        ))
        .unwrap();
        let mut issuing_spec =
            CertSpec::certificate_authority(ca_name(TestPki::ISSUING_CA_NAME), now, 3, 10)
                .crl_url(&server.url("/root.crl"));
        issuing_spec.path_len = Some(0);
        let issuing = root.issue(&issuing_spec).unwrap();
        let hierarchy = Self {
            root,
            issuing,
            issuing_crl_url: server.url("/issuing-ca.crl"),
            now,
        };
        let [root_crl, issuing_crl] = hierarchy.crls();
        server.publish("/root.crl", root_crl);
        server.publish("/issuing-ca.crl", issuing_crl);
        hierarchy
    }

    /// The CRLs of the root and of the issuing CA, current now (DER).
    fn crls(&self) -> [Vec<u8>; 2] {
        let current = CrlSpec::current(self.now);
        [
            self.root.crl(&current).unwrap(),
            self.issuing.crl(&current).unwrap(),
        ]
    }

    /// A personal certificate (`UID=CCCD:…`) on a P-256 key, as a token holds.
    fn person(&self, full_name: &str, cccd: &str) -> TestCert {
        let subject = NameSpec::new()
            .add("C", "VN")
            .add("CN", full_name)
            .add_identifier(IdentifierKind::Cccd, cccd);
        self.issue(CertSpec::new(subject, self.now).key(KeySpec::EcP256))
    }

    /// A collective certificate of a unit on an RSA 2048 key.
    fn organisation(&self, unit: &str, parent_body: &str) -> TestCert {
        let subject = NameSpec::new()
            .add("C", "VN")
            .add("L", "Bắc Giang")
            .add("O", parent_body)
            .add("CN", unit);
        self.issue(CertSpec::new(subject, self.now).key(KeySpec::Rsa2048))
    }

    fn issue(&self, spec: CertSpec) -> TestCert {
        self.issuing
            .issue(&spec.crl_url(&self.issuing_crl_url))
            .unwrap()
    }
}

/// Runs an outside tool in `dir`. `None` when it is not installed on a developer's machine;
/// CI installs every one of them (`.ci/run`), and there a missing tool fails the test.
fn run(dir: &Path, program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program).args(args).current_dir(dir).output() {
        Ok(output) => Some(output),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("{program} is not installed (see .ci/run); its check is skipped");
            None
        }
        Err(error) => panic!("{program} cannot run: {error}"),
    }
}

fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// pyHanko's one-line summary of a PDF signature: `<field>:<SHA-256 of the signer's
/// certificate>:<status>`, the status `INTACT:<flag>,<flag>,…` or `INVALID`.
fn pyhanko_summaries(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|line| {
            let parts: Vec<&str> = line.trim().split(':').collect();
            let at = parts.iter().position(|part| {
                part.len() == 64 && part.bytes().all(|byte| byte.is_ascii_hexdigit())
            })?;
            let field = parts.get(..at)?.join(":");
            let status = parts.get(at + 1..)?.join(":");
            Some((field, status))
        })
        .collect()
}

/// A pyHanko status that says the signature is intact and its signer trusted, with no change
/// after it that pyHanko disallows.
fn assert_intact_and_trusted(status: &str, context: &str) {
    let flags: Vec<&str> = status
        .strip_prefix("INTACT:")
        .unwrap_or_else(|| panic!("{context}: not intact: {status}"))
        .split(',')
        .collect();
    assert!(flags.contains(&"TRUSTED"), "{context}: {status}");
    assert!(
        !flags.contains(&"ILLEGAL_MODIFICATIONS"),
        "{context}: {status}"
    );
}

/// The outside validators, each given only the root.
pub(crate) struct Validators {
    dir: tempfile::TempDir,
    root: TestCert,
    issuing: TestCert,
    nss: Option<String>,
    /// How pyHanko treats revocation: required where the hierarchy serves CRLs.
    revocation: &'static str,
}

impl Validators {
    fn new(hierarchy: &Hierarchy) -> Self {
        Self {
            revocation: "--force-revinfo",
            ..Self::trusting(&hierarchy.root, &hierarchy.issuing)
        }
    }

    /// Validators given only `root`; `issuing` is the CA the signatures must carry. Its
    /// certificates have no CRL distribution point, so pyHanko does not check revocation.
    pub(crate) fn trusting(root: &TestCert, issuing: &TestCert) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("root.pem"), root.pem()).unwrap();
        let nss = Self::nss_database(dir.path());
        Self {
            dir,
            root: root.clone(),
            issuing: issuing.clone(),
            nss,
            revocation: "--no-revocation-check",
        }
    }

    /// An NSS database that trusts the root, and only it, to issue signing certificates (`,C,`:
    /// a CA for e-mail and document signers, the usage pdfsig checks; `C,,` is for TLS servers).
    fn nss_database(dir: &Path) -> Option<String> {
        let nss_dir = dir.join("nss");
        std::fs::create_dir(&nss_dir).unwrap();
        let nss = format!("sql:{}", nss_dir.display());
        let created = run(dir, "certutil", &["-N", "-d", &nss, "--empty-password"])?;
        assert!(created.status.success(), "{}", printed(&created));
        let added = run(
            dir,
            "certutil",
            &[
                "-A", "-d", &nss, "-n", "root", "-t", ",C,", "-i", "root.pem",
            ],
        )?;
        assert!(added.status.success(), "{}", printed(&added));
        Some(nss)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A signed PDF whose signature fields are `fields`, in order: pyHanko finds each intact
    /// and trusted, pdfsig each valid and trusted, and each carries exactly its signer and the
    /// issuing CA.
    pub(crate) fn pdf(&self, name: &str, pdf: &[u8], fields: &[&str]) {
        let file = self.write(name, pdf);
        let file = file.to_str().unwrap();
        let dir = self.dir.path();
        if let Some(output) = run(
            dir,
            "pyhanko",
            &[
                "sign",
                "validate",
                self.revocation,
                "--trust",
                "root.pem",
                "--trust-replace",
                file,
            ],
        ) {
            let text = printed(&output);
            assert!(output.status.success(), "pyHanko, {name}: {text}");
            let summaries = pyhanko_summaries(&String::from_utf8_lossy(&output.stdout));
            let found: Vec<&str> = summaries.iter().map(|(field, _)| field.as_str()).collect();
            assert_eq!(found, fields, "pyHanko, {name}: {text}");
            for (field, status) in &summaries {
                assert_intact_and_trusted(status, &format!("pyHanko, {name}, {field}: {text}"));
            }
        }
        let checked = self
            .nss
            .as_ref()
            .and_then(|nss| run(dir, "pdfsig", &["-nssdir", nss, file]));
        if let Some(output) = checked {
            let text = printed(&output);
            for expected in [
                "Signature Validation: Signature is Valid.",
                "Certificate Validation: Certificate is Trusted.",
            ] {
                assert_eq!(
                    text.matches(expected).count(),
                    fields.len(),
                    "pdfsig, {name}: {text}"
                );
            }
            for field in fields {
                assert!(
                    text.contains(&format!("Signature Field Name: {field}")),
                    "pdfsig, {name}: {text}"
                );
            }
            self.pdf_chains(name, file, fields.len());
        }
    }

    /// Each signature of the PDF (dumped by pdfsig) holds its signer and the issuing CA.
    fn pdf_chains(&self, name: &str, file: &str, count: usize) {
        let dumps = self.dir.path().join(format!("{name}.dumps"));
        std::fs::create_dir(&dumps).unwrap();
        let Some(output) = run(&dumps, "pdfsig", &["-nocert", "-dump", file]) else {
            return;
        };
        assert!(
            output.status.success(),
            "pdfsig -dump: {}",
            printed(&output)
        );
        let mut signatures: Vec<PathBuf> = std::fs::read_dir(&dumps)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        signatures.sort();
        assert_eq!(signatures.len(), count, "{name}: {signatures:?}");
        for signature in signatures {
            // pdfsig dumps the whole /Contents, zero padding included.
            let mut der = std::fs::read(&signature).unwrap();
            der.truncate(der_length(&der));
            self.chain(&format!("{name} {}", signature.display()), &der);
        }
    }

    /// The certificates a CMS signature carries are its signer and the issuing CA, not the root.
    fn chain(&self, context: &str, der: &[u8]) {
        let file = self.write("chain.der", der);
        let Some(output) = run(
            self.dir.path(),
            "openssl",
            &[
                "pkcs7",
                "-inform",
                "DER",
                "-in",
                file.to_str().unwrap(),
                "-print_certs",
            ],
        ) else {
            return;
        };
        assert!(output.status.success(), "{context}: {}", printed(&output));
        let carried = parse_certificates(&output.stdout).unwrap();
        let fingerprints: Vec<&str> = carried
            .iter()
            .map(|c| c.info().fingerprint_sha256.as_str())
            .collect();
        let issuing = &self.issuing.certificate().info().fingerprint_sha256;
        let root = &self.root.certificate().info().fingerprint_sha256;
        assert_eq!(carried.len(), 2, "{context}: {fingerprints:?}");
        assert!(
            fingerprints.contains(&issuing.as_str()),
            "{context}: {fingerprints:?}"
        );
        assert!(
            !fingerprints.contains(&root.as_str()),
            "{context}: {fingerprints:?}"
        );
    }

    /// A detached CMS signature over `content`: `openssl cms -verify` succeeds with the root as
    /// its only CA, pyHanko finds it intact and trusted, and it carries its signer and the
    /// issuing CA.
    fn cms(&self, name: &str, signature: &[u8], content: &[u8]) {
        let signature_file = self.write(&format!("{name}.p7s"), signature);
        let content_file = self.write(&format!("{name}.data"), content);
        let (signature_file, content_file) = (
            signature_file.to_str().unwrap(),
            content_file.to_str().unwrap(),
        );
        let dir = self.dir.path();
        if let Some(output) = run(
            dir,
            "openssl",
            &[
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                signature_file,
                "-content",
                content_file,
                "-CAfile",
                "root.pem",
                "-out",
                "/dev/null",
            ],
        ) {
            let text = printed(&output);
            assert!(output.status.success(), "openssl, {name}: {text}");
            assert!(text.contains("Verification successful"), "{name}: {text}");
        }
        if let Some(output) = run(
            dir,
            "pyhanko",
            &[
                "sign",
                "validate",
                "--force-revinfo",
                "--trust",
                "root.pem",
                "--trust-replace",
                "--detached",
                signature_file,
                content_file,
            ],
        ) {
            let text = printed(&output);
            assert!(output.status.success(), "pyHanko, {name}: {text}");
            let status = String::from_utf8_lossy(&output.stdout);
            assert_intact_and_trusted(status.trim(), &format!("pyHanko, {name}: {text}"));
        }
        self.chain(name, signature);
    }
}

/// Length of the DER element at the start of `bytes` (its header and content).
fn der_length(bytes: &[u8]) -> usize {
    let Some(&first) = bytes.get(1) else {
        return bytes.len();
    };
    if first < 0x80 {
        return 2 + usize::from(first);
    }
    let count = usize::from(first & 0x7f);
    let length = bytes
        .get(2..2 + count)
        .unwrap_or_default()
        .iter()
        .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
    (2 + count + length).min(bytes.len())
}

fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn decode(text: &Value) -> Vec<u8> {
    STANDARD.decode(text.as_str().unwrap()).unwrap()
}

async fn bytes(client: &reqwest::Client, url: String, key: &str) -> Vec<u8> {
    let response = client.get(&url).bearer_auth(key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.bytes().await.unwrap().to_vec()
}

/// A folder of trust roots and CRLs, as `MOTCUA_TRUST_ROOTS_DIR`.
fn trust_folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

#[allow(clippy::too_many_lines)]
async fn every_signature_validates_outside_given_only_the_root(backend: Backend) {
    let started = Instant::now();
    let crl_server = CrlServer::start();
    let pki = Hierarchy::new(&crl_server);
    let validators = Validators::new(&pki);
    let [root_crl, issuing_crl] = pki.crls();

    // The results service trusts the root, knows the issuing CA and holds both CRLs.
    let mut results = TestApp::start(backend).await;
    let seeded = results.seed_viet_yen();
    for (kind, certificate) in [("root", &pki.root), ("intermediate", &pki.issuing)] {
        let (status, added) = results
            .post(
                "/trust-anchors",
                &json!({"kind": kind, "certificate": certificate.pem()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
    }
    for crl in [&root_crl, &issuing_crl] {
        let (status, imported) = results.post("/crls", &json!({"crl": base64(crl)})).await;
        assert_eq!(status, StatusCode::CREATED, "{imported}");
    }

    // The commune's collective certificate and its key, uploaded without the issuing CA. The
    // certificate's answer gives the chain to embed: the issuing CA, not the root.
    let commune = seeded.communes[0].id.0;
    let commune_key = pki.organisation("UBND XÃ THƯỢNG LAN", "UBND THỊ XÃ VIỆT YÊN");
    let registered = register(
        &results,
        &json!({"certificate": commune_key.pem(), "unit_id": commune}),
    )
    .await;
    assert_eq!(registered["usable"], true, "{registered}");
    assert_eq!(registered["chain_pem"], json!([pki.issuing.pem()]));
    let certificate_id = registered["id"].as_i64().unwrap();
    let (status, shown) = results
        .get(&format!("/certificates/{certificate_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["chain_pem"], json!([pki.issuing.pem()]));
    let (_, listed) = results.get(&format!("/certificates?unit={commune}")).await;
    assert!(listed["items"][0].get("chain_pem").is_none(), "{listed}");
    let (status, stored) = results
        .post(
            &format!("/units/{commune}/organisation-keys"),
            &json!({
                "certificate_id": certificate_id,
                "pkcs12_base64": base64(&commune_key.pkcs12(P12_PASSWORD, &[]).unwrap()),
                "password": P12_PASSWORD,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    // Its key signs the audit checkpoints, as the service is told at start-up.
    let fingerprint = registered["fingerprint_sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    results
        .restart_with(|config| config.audit.checkpoint_key = Some(fingerprint))
        .await;

    // A dossier with a scanned component, which an official of the commune signs in two steps
    // with their token (here a key in memory).
    let procedure_id = procedure(&results, "1.000200", "Hộ tịch", 5).await;
    let mut body = dossier(commune, procedure_id, "direct", "2024-03-04T02:00:00Z");
    body["components"] = json!([{"name": "Tờ khai đăng ký khai sinh"}]);
    let code = create(&results, &body).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&results, &code, "processing", "2024-03-05T02:00:00Z", None).await;
    let official = officials_under(&results, commune).await.remove(0);
    let token = pki.person(
        official["full_name"].as_str().unwrap(),
        official["personal_id"].as_str().unwrap(),
    );
    register(&results, &personal(&token, &official)).await;
    let token_signer =
        KeySigner::new(token.private_key().clone(), token.certificate().clone()).unwrap();
    let (status, session) = results
        .post(
            &format!("/dossiers/{code}/components/1/signing-sessions"),
            &json!({"official_id": official["id"], "pdf_base64": base64(&sample_pdf("TO KHAI DANG KY KHAI SINH"))}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let signature = token_signer
        .sign(&decode(&session["to_be_signed_base64"]))
        .unwrap();
    let (status, file) = results
        .post(
            &format!(
                "/signing-sessions/{}/signature",
                session["session_id"].as_str().unwrap()
            ),
            &json!({"signature_base64": base64(&signature)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    let component = bytes(
        &results.client,
        results.url(file["download"].as_str().unwrap()),
        &results.admin_key,
    )
    .await;

    // The electronic result, signed with the commune's key.
    let response = results
        .client
        .post(results.url(&format!("/dossiers/{code}/result")))
        .bearer_auth(&results.admin_key)
        .header("content-type", "application/pdf")
        .body(sample_pdf("KET QUA GIAI QUYET HO SO"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let result = bytes(
        &results.client,
        results.url(&format!("/dossiers/{code}/result")),
        &results.admin_key,
    )
    .await;

    // The results service's audit checkpoint, signed with the configured organisation key.
    let (status, results_checkpoint) = results.post("/audit/checkpoints", &json!(null)).await;
    assert_eq!(status, StatusCode::CREATED, "{results_checkpoint}");
    assert_eq!(results_checkpoint["signed"], true, "{results_checkpoint}");

    // The province's receiver: its key uploaded without the issuing CA, its trust folder with
    // the root, the issuing CA and their CRLs.
    let (district, province) = (seeded.district.id.0, seeded.province.id.0);
    let receiver_trust = trust_folder(&[
        ("root.pem", pki.root.pem().as_bytes()),
        ("issuing-ca.pem", pki.issuing.pem().as_bytes()),
        ("root.crl", &root_crl),
        ("issuing-ca.crl", &issuing_crl),
    ]);
    let receiver_dir = receiver_trust.path().to_owned();
    let mut receiver = ReportsApp::start(backend, move |config| {
        config.receiver_unit_id = Some(UnitId(province));
        config.trust_roots_dir = Some(receiver_dir);
    })
    .await;
    let province_key = pki.organisation("UBND TỈNH BẮC GIANG", "UBND TỈNH BẮC GIANG");
    receiver
        .ok(
            Method::POST,
            "/organisation-keys",
            &receiver.admin_key,
            Some(&json!({
                "unit_id": province,
                "pkcs12_base64": base64(&province_key.pkcs12(P12_PASSWORD, &[]).unwrap()),
                "password": P12_PASSWORD,
            })),
        )
        .await;
    let fingerprint = province_key.certificate().info().fingerprint_sha256.clone();
    receiver
        .restart_with(|config| config.audit.checkpoint_key = Some(fingerprint))
        .await;
    let delivery_key = receiver.key(
        "UBND thị xã Việt Yên",
        Role::Integration,
        Some(UnitId(district)),
        &["submissions:write"],
    );

    // The district's report service trusts the root alone: the leader's chain comes from the
    // results service. Its own key comes with the issuing CA, as PKCS#12 files usually do.
    let district_trust = trust_folder(&[
        ("root.pem", pki.root.pem().as_bytes()),
        ("root.crl", &root_crl),
    ]);
    let district_dir = district_trust.path().to_owned();
    let results_key = results.key("auditor", None, &[]).await;
    let (results_url, receiver_url) = (results.base_url.clone(), receiver.base_url.clone());
    let reports = ReportsApp::start(backend, move |config| {
        config.results_url = Some(results_url);
        config.results_api_key = Some(Secret::new(results_key));
        config.receiver_url = Some(receiver_url);
        config.receiver_api_key = Some(Secret::new(delivery_key));
        config.trust_roots_dir = Some(district_dir);
    })
    .await;
    let admin = reports.admin_key.clone();
    let district_key = pki.organisation("UBND THỊ XÃ VIỆT YÊN", "UBND TỈNH BẮC GIANG");
    let district_pkcs12 = district_key.pkcs12(P12_PASSWORD, &[&pki.issuing]).unwrap();
    reports
        .ok(
            Method::POST,
            "/organisation-keys",
            &admin,
            Some(&json!({
                "unit_id": district,
                "pkcs12_base64": base64(&district_pkcs12),
                "password": P12_PASSWORD,
            })),
        )
        .await;

    // The leader, with a personal certificate registered in the results service.
    let (_, officials) = results
        .get(&format!("/officials?unit={district}&limit=200"))
        .await;
    let leader = officials["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["title"].as_str().unwrap_or("").contains("Chủ tịch"))
        .unwrap_or_else(|| panic!("no leader in {officials}"))
        .clone();
    let leader_token = pki.person(
        leader["full_name"].as_str().unwrap(),
        leader["personal_id"].as_str().unwrap(),
    );
    let leader_registered = register(&results, &personal(&leader_token, &leader)).await;
    assert_eq!(leader_registered["usable"], true, "{leader_registered}");

    // The report: compiled, made ready, signed by the leader in two steps, issued with the
    // district's signature, delivered and acknowledged with the province's signed receipt.
    let created = reports
        .ok(
            Method::POST,
            "/reports",
            &admin,
            Some(&json!({
                "kind": "form_06", "unit_id": district, "periods": ["2024-Q1"],
                "letterhead": {
                    "issuing_body": "UBND THỊ XÃ VIỆT YÊN",
                    "place": "Việt Yên",
                    "recipients": ["Văn phòng UBND tỉnh (b/c);", "Lưu: VT."],
                    "closing": "UBND thị xã Việt Yên trân trọng báo cáo./."
                },
            })),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/ready"),
            &admin,
            Some(&json!({"signatory_official_id": leader["id"]})),
        )
        .await;
    let session = reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/leader-signing-sessions"),
            &admin,
            None,
        )
        .await;
    let leader_signer = KeySigner::new(
        leader_token.private_key().clone(),
        leader_token.certificate().clone(),
    )
    .unwrap();
    let signature = leader_signer
        .sign(&decode(&session["to_be_signed_base64"]))
        .unwrap();
    reports
        .ok(
            Method::POST,
            &format!(
                "/leader-signing-sessions/{}/signature",
                session["session_id"].as_str().unwrap()
            ),
            &admin,
            Some(&json!({"signature_base64": base64(&signature)})),
        )
        .await;
    reports
        .ok(Method::POST, &format!("/reports/{id}/issue"), &admin, None)
        .await;
    let report = bytes(
        &reports.client,
        reports.url(&format!("/reports/{id}/document")),
        &admin,
    )
    .await;
    reports
        .ok(
            Method::POST,
            &format!("/reports/{id}/submission"),
            &admin,
            None,
        )
        .await;
    let waiting = Instant::now();
    let delivery = loop {
        let delivery = reports
            .ok(
                Method::GET,
                &format!("/reports/{id}/delivery"),
                &admin,
                None,
            )
            .await;
        if delivery["receipt"].is_object() {
            break delivery;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "not acknowledged: {delivery}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let receipt = &delivery["receipt"];

    // The receiver's audit checkpoint, signed with the province's key.
    let receiver_checkpoint = receiver
        .ok(
            Method::POST,
            "/audit/checkpoints",
            &receiver.admin_key,
            None,
        )
        .await;
    assert_eq!(receiver_checkpoint["signed"], true, "{receiver_checkpoint}");
    let made = started.elapsed();

    // Only the validators ask the CRL server; each must have fetched both CRLs.
    crl_server.take_requests();
    let checking = Instant::now();
    validators.pdf("component.pdf", &component, &["Signature1"]);
    validators.pdf("result.pdf", &result, &["Signature1"]);
    validators.pdf("report.pdf", &report, &["LanhDao", "ToChuc"]);
    validators.cms(
        "receipt",
        &decode(&receipt["signature_base64"]),
        &decode(&receipt["receipt_base64"]),
    );
    for (name, checkpoint) in [
        ("results-checkpoint", &results_checkpoint),
        ("reports-checkpoint", &receiver_checkpoint),
    ] {
        validators.cms(
            name,
            &decode(&checkpoint["signature_base64"]),
            checkpoint["statement"].as_str().unwrap().as_bytes(),
        );
    }
    let fetched = crl_server.take_requests();
    if run(validators.dir.path(), "pyhanko", &["--version"]).is_some() {
        for crl in ["/root.crl", "/issuing-ca.crl"] {
            assert!(
                fetched.iter().any(|path| path == crl),
                "pyHanko did not fetch {crl}: {fetched:?}"
            );
        }
    }
    eprintln!(
        "{backend:?}: signatures made in {:.1} s, checked by the outside validators in {:.1} s",
        made.as_secs_f64(),
        checking.elapsed().as_secs_f64()
    );
}
