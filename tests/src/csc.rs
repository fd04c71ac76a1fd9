//! A third-party remote signing provider for the tests: certomancer-csc-dummy (PyPI), a CSC API
//! server over a Certomancer test PKI, started on loopback with a PKI written for the test's
//! officials (`UID=CCCD:<personal id>`), the CRLs of that PKI served over HTTP at the
//! distribution points its certificates name, and a proxy that can hold the provider's answers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The Certomancer PKI architecture's label: credential ids are `motcua/<certificate label>`.
pub const ARCH: &str = "motcua";

/// An official (or, without a personal id, a unit) with a key at the provider.
pub struct Holder {
    /// The certificate's label in the PKI (and the credential's name).
    pub label: String,
    pub full_name: String,
    /// The CCCD number written as `UID=CCCD:<personal id>`; empty for a unit's certificate.
    pub personal_id: String,
    /// Whether the provider holds the private key: without it the provider refuses to authorize.
    pub key_available: bool,
}

/// The running provider and its PKI.
pub struct CscProvider {
    dir: tempfile::TempDir,
    /// The CSC API's base URL, up to `/csc/v1`.
    pub base_url: String,
    pub address: SocketAddr,
    server: Child,
    crl_server: Child,
}

/// A free loopback port (released at once; the caller binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether certomancer-csc-dummy is installed; CI installs it (`.ci/run`) and there its absence
/// fails the test.
pub fn available() -> bool {
    let found = Command::new("certomancer-csc")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "certomancer-csc is not installed (see .ci/run)"
        );
        eprintln!("certomancer-csc-dummy is not installed (see .ci/run); the test is skipped");
    }
    found
}

impl CscProvider {
    /// Writes the PKI (a root, an issuing CA, one certificate per holder, on keys made by openssl), makes its certificates and CRLs with certomancer, and starts the CSC server on
    /// `port` and the CRL server.
    pub fn start(port: u16, holders: &[Holder]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let crl_port = free_port();
        let mut labels = vec!["root", "issuing"];
        labels.extend(holders.iter().map(|holder| holder.label.as_str()));
        for label in &labels {
            make_key(dir.path(), label);
        }
        for holder in holders.iter().filter(|holder| !holder.key_available) {
            public_only(dir.path(), &holder.label);
        }
        std::fs::write(
            dir.path().join("pki.yml"),
            pki_yaml(&format!("http://127.0.0.1:{crl_port}"), holders),
        )
        .unwrap();
        certomancer(dir.path(), &["mass-summon", "--no-pfx", ARCH, "certs"]);
        let crls = dir.path().join("served").join(ARCH).join("crls");
        for issuer in ["root", "issuing"] {
            let folder = crls.join(issuer);
            std::fs::create_dir_all(&folder).unwrap();
            let file = folder.join("latest.crl");
            certomancer(
                dir.path(),
                &[
                    "necronomicon",
                    "--no-pem",
                    ARCH,
                    issuer,
                    file.to_str().unwrap(),
                ],
            );
        }
        let crl_server = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &crl_port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(dir.path().join("served"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Command::new("certomancer-csc")
            .args(["pki.yml", &port.to_string(), "1"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("csc.log")).unwrap())
            .spawn()
            .unwrap();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let provider = Self {
            base_url: format!("http://{address}/csc/v1"),
            address,
            server,
            crl_server,
            dir,
        };
        provider.wait_until_listening(address);
        provider.wait_until_listening(SocketAddr::from(([127, 0, 0, 1], crl_port)));
        provider
    }

    fn wait_until_listening(&self, address: SocketAddr) {
        let started = Instant::now();
        while TcpStream::connect(address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "nothing listens on {address}: {}",
                std::fs::read_to_string(self.dir.path().join("csc.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A certificate of the PKI, PEM (`root`, `issuing` or a holder's label).
    pub fn certificate_pem(&self, label: &str) -> String {
        let issuer = match label {
            "root" | "issuing" => "root",
            _ => "issuing",
        };
        std::fs::read_to_string(
            self.dir
                .path()
                .join("certs")
                .join(issuer)
                .join(format!("{label}.cert.pem")),
        )
        .unwrap()
    }

    /// The CRL of `issuer` (`root` or `issuing`), DER.
    pub fn crl(&self, issuer: &str) -> Vec<u8> {
        std::fs::read(
            self.dir
                .path()
                .join("served")
                .join(ARCH)
                .join("crls")
                .join(issuer)
                .join("latest.crl"),
        )
        .unwrap()
    }

    /// A file with the root alone, for validators that must trust nothing else.
    pub fn root_file(&self) -> PathBuf {
        let path = self.dir.path().join("root-only.pem");
        std::fs::write(&path, self.certificate_pem("root")).unwrap();
        path
    }

    pub fn credential(label: &str) -> String {
        format!("{ARCH}/{label}")
    }

    /// The holder `label`'s key and certificate with the issuing CA, as a PKCS#12 file under
    /// `password` (an organisation's key file).
    pub fn pkcs12(&self, label: &str, password: &str) -> Vec<u8> {
        let dir = self.dir.path();
        let (certificate, issuing) = (
            dir.join("certs")
                .join("issuing")
                .join(format!("{label}.cert.pem")),
            dir.join("certs").join("root").join("issuing.cert.pem"),
        );
        let out = dir.join(format!("{label}.p12"));
        let output = Command::new("openssl")
            .args(["pkcs12", "-export", "-passout"])
            .arg(format!("pass:{password}"))
            .arg("-inkey")
            .arg(dir.join(format!("{label}.key.pem")))
            .arg("-in")
            .arg(certificate)
            .arg("-certfile")
            .arg(issuing)
            .arg("-out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        std::fs::read(out).unwrap()
    }

    /// pyHanko (fetching the CRLs from the certificates' distribution points) and pdfsig (an NSS
    /// database holding only the root) both find each of the document's `signatures`
    /// signatures intact and trusted.
    pub fn validated_outside_with_the_root_only(&self, pdf: &[u8], signatures: usize) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("signed.pdf");
        std::fs::write(&file, pdf).unwrap();
        let root = self.root_file();
        let file_arg = file.to_str().unwrap();
        if let Some(output) = run(
            dir.path(),
            "pyhanko",
            &[
                "sign",
                "validate",
                "--force-revinfo",
                "--trust",
                root.to_str().unwrap(),
                "--trust-replace",
                file_arg,
            ],
        ) {
            let text = printed(&output);
            assert!(output.status.success(), "pyHanko: {text}");
            assert_eq!(
                text.matches(":INTACT:TRUSTED").count(),
                signatures,
                "pyHanko: {text}"
            );
        }
        let nss = format!("sql:{}", dir.path().join("nss").display());
        std::fs::create_dir(dir.path().join("nss")).unwrap();
        let Some(created) = run(
            dir.path(),
            "certutil",
            &["-N", "-d", &nss, "--empty-password"],
        ) else {
            return;
        };
        assert!(created.status.success(), "{}", printed(&created));
        let added = run(
            dir.path(),
            "certutil",
            &[
                "-A",
                "-d",
                &nss,
                "-n",
                "root",
                "-t",
                ",C,",
                "-i",
                root.to_str().unwrap(),
            ],
        )
        .unwrap();
        assert!(added.status.success(), "{}", printed(&added));
        if let Some(output) = run(dir.path(), "pdfsig", &["-nssdir", &nss, file_arg]) {
            let text = printed(&output);
            for expected in [
                "Signature Validation: Signature is Valid.",
                "Certificate Validation: Certificate is Trusted.",
            ] {
                assert_eq!(text.matches(expected).count(), signatures, "pdfsig: {text}");
            }
        }
    }
}

/// `program`'s output, or `None` when it is not installed outside CI (its check is skipped).
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

impl Drop for CscProvider {
    fn drop(&mut self) {
        for child in [&mut self.server, &mut self.crl_server] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The CAs get RSA keys: Certomancer makes the certificates again in every process, and only a
/// deterministic signature (PKCS#1 v1.5, unlike ECDSA) gives the provider the same certificate
/// bytes as the ones registered. Holders get P-256 keys, as tokens hold.
fn make_key(dir: &Path, label: &str) {
    let algorithm: &[&str] = match label {
        "root" | "issuing" => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        _ => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    };
    let output = Command::new("openssl")
        .arg("genpkey")
        .args(algorithm)
        .arg("-out")
        .arg(dir.join(format!("{label}.key.pem")))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// Replaces the holder's key file by its public half: the provider then cannot sign with it.
fn public_only(dir: &Path, label: &str) {
    let key = dir.join(format!("{label}.key.pem"));
    let public = dir.join(format!("{label}.pub.pem"));
    let output = Command::new("openssl")
        .args(["pkey", "-pubout"])
        .arg("-in")
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

fn certomancer(dir: &Path, args: &[&str]) {
    let output = Command::new("certomancer")
        .args(["--config", "pki.yml"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "certomancer {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The Certomancer configuration: a root and an issuing CA of the Ban Cơ yếu kind, each holder's
/// certificate (`C=VN, CN=<name>, UID=CCCD:<personal id>`, digitalSignature and
/// nonRepudiation) with the issuing CA's CRL as distribution point, and both CRL repositories.
fn pki_yaml(crl_prefix: &str, holders: &[Holder]) -> String {
    let mut keys =
        String::from("      root: {path: root.key.pem}\n      issuing: {path: issuing.key.pem}\n");
    let mut entities = String::new();
    let mut certs = String::new();
    for holder in holders {
        let label = &holder.label;
        if holder.key_available {
            keys.push_str(&format!("      {label}: {{path: {label}.key.pem}}\n"));
        } else {
            keys.push_str(&format!(
                "      {label}: {{path: {label}.pub.pem, public-only: true}}\n"
            ));
        }
        // Without a personal id, the certificate names a unit by its name (a collective one).
        if holder.personal_id.is_empty() {
            entities.push_str(&format!(
                "      {label}: {{common-name: \"{}\"}}\n",
                holder.full_name
            ));
        } else {
            entities.push_str(&format!(
                "      {label}: {{common-name: \"{}\", user-id: \"CCCD:{}\"}}\n",
                holder.full_name, holder.personal_id
            ));
        }
        certs.push_str(&holder_certificate(label));
    }
    format!(
        r#"external-url-prefix: "{crl_prefix}"
keysets:
  {ARCH}:
    path-prefix: .
    keys:
{keys}pki-architectures:
  {ARCH}:
    keyset: {ARCH}
    entity-defaults:
      country-name: VN
    entities:
      root: {{organization-name: "Ban Cơ yếu Chính phủ", common-name: "Certomancer Root CA"}}
      issuing: {{organization-name: "Ban Cơ yếu Chính phủ", common-name: "Certomancer Issuing CA"}}
{entities}    certs:
      root:
        subject: root
        issuer: root
        validity: {{valid-from: "2020-01-01T00:00:00+0000", valid-to: "2045-01-01T00:00:00+0000"}}
        extensions:
          - id: basic_constraints
            critical: true
            value: {{ca: true}}
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, key_cert_sign, crl_sign]}}
      issuing:
        subject: issuing
        issuer: root
        validity: {{valid-from: "2020-01-01T00:00:00+0000", valid-to: "2040-01-01T00:00:00+0000"}}
        extensions:
          - id: basic_constraints
            critical: true
            value: {{ca: true, path-len-constraint: 0}}
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, key_cert_sign, crl_sign]}}
          - id: crl_distribution_points
            smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [root]}}}}
{certs}    services:
      crl-repo:
        root: {{for-issuer: root, signing-key: root, simulated-update-schedule: "P30D"}}
        issuing: {{for-issuer: issuing, signing-key: issuing, simulated-update-schedule: "P30D"}}
"#
    )
}

/// A holder's certificate from the issuing CA.
fn holder_certificate(label: &str) -> String {
    format!(
        r#"      {label}:
        subject: {label}
        issuer: issuing
        validity: {{valid-from: "2024-01-01T00:00:00+0000", valid-to: "2036-01-01T00:00:00+0000"}}
        extensions:
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, non_repudiation]}}
          - id: crl_distribution_points
            smart-value: {{schema: crl-dist-url, params: {{crl-repo-names: [issuing]}}}}
"#
    )
}

/// An HTTP proxy in front of the provider that forwards every request except those whose path
/// contains `held`: those it never answers, as a provider whose holder never approves.
pub struct HoldingProxy {
    pub address: SocketAddr,
    stopped: Arc<AtomicBool>,
}

impl HoldingProxy {
    pub fn start(upstream: SocketAddr, held: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopped);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || serve(stream, upstream, held, &stop));
            }
        });
        Self { address, stopped }
    }
}

impl Drop for HoldingProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.address);
    }
}

/// Forwards the requests of one client connection, one at a time, each on a fresh upstream
/// connection closed after its answer; holds a request for `held` until the proxy stops.
fn serve(mut client: TcpStream, upstream: SocketAddr, held: &str, stopped: &AtomicBool) {
    while let Some(request) = read_request(&mut client) {
        let head = String::from_utf8_lossy(&request);
        let path = head.split_whitespace().nth(1).unwrap_or("");
        if path.contains(held) {
            while !stopped.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        let Ok(mut server) = TcpStream::connect(upstream) else {
            return;
        };
        let request = with_connection_close(&request);
        if server.write_all(&request).is_err() {
            return;
        }
        let mut answer = Vec::new();
        let _ = server.read_to_end(&mut answer);
        if client.write_all(&answer).is_err() {
            return;
        }
    }
}

/// One request (head and `Content-Length` body), or `None` at the end of the connection.
fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => data.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&data).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    data.extend_from_slice(&body);
    Some(data)
}

/// The request with `Connection: close`, so that the provider ends the answer with the connection.
fn with_connection_close(request: &[u8]) -> Vec<u8> {
    let end = request
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .unwrap_or(request.len());
    let head = String::from_utf8_lossy(&request[..end]);
    let mut rewritten: Vec<&str> = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    rewritten.push("Connection: close");
    let mut out = rewritten.join("\r\n").into_bytes();
    out.extend_from_slice(&request[end..]);
    out
}
