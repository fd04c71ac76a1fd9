//! OCSP for the test PKI: responder certificates, the `openssl ca` index a responder reads, a
//! real third-party responder (`openssl ocsp`) on loopback, and a static HTTP server for CRLs
//! that can also hang or answer garbage.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream as AsyncStream};

use openssl::x509::X509Extension;

use super::crl::raw_extension;
use super::{CertSpec, NameSpec, TestCert, TestPki};
use crate::crl::RevocationReason;
use crate::der;
use crate::error::PkiError;
use crate::parse::{Certificate, KeyUsageFlag};
use crate::revocation::OID_OCSP_SIGNING;

/// id-pkix-ocsp-nocheck: the responder's own certificate need not be checked for revocation.
const OID_OCSP_NOCHECK: &str = "1.3.6.1.5.5.7.48.1.5";
/// How long a started responder may take to accept connections.
const STARTUP_LIMIT: Duration = Duration::from_secs(15);

/// The OCSP extensions `spec` asks for: authorityInfoAccess with one id-ad-ocsp URI, and
/// id-pkix-ocsp-nocheck.
pub(super) fn extensions(spec: &CertSpec) -> Result<Vec<X509Extension>, PkiError> {
    let mut extensions = Vec::new();
    if let Some(url) = &spec.ocsp_url {
        let access = der::sequence(&[der::sequence(&[
            der::oid("1.3.6.1.5.5.7.48.1")?,
            der::tlv(der::context(6, false), url.as_bytes()),
        ])]);
        extensions.push(raw_extension("1.3.6.1.5.5.7.1.1", false, &access)?);
    }
    if spec.ocsp_nocheck {
        extensions.push(raw_extension(OID_OCSP_NOCHECK, false, &der::null())?);
    }
    Ok(extensions)
}

fn io_error(context: &str) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |error| PkiError::TestPki(format!("{context}: {error}"))
}

impl CertSpec {
    /// Names `url` as the OCSP responder (authorityInfoAccess id-ad-ocsp).
    pub fn ocsp_url(mut self, url: &str) -> Self {
        self.ocsp_url = Some(url.to_owned());
        self
    }

    /// A delegated OCSP responder certificate: digitalSignature, extendedKeyUsage OCSPSigning
    /// and id-pkix-ocsp-nocheck.
    pub fn ocsp_signing(subject: NameSpec, now: DateTime<Utc>) -> Self {
        let mut spec = Self::new(subject, now);
        spec.key_usage = vec![KeyUsageFlag::DigitalSignature];
        spec.extended_key_usage = vec![OID_OCSP_SIGNING.to_owned()];
        spec.ocsp_nocheck = true;
        spec
    }
}

impl TestPki {
    /// The spec of the issuing CA's delegated OCSP responder ("OCSP <issuing CA name>").
    pub fn ocsp_responder_spec(&self) -> CertSpec {
        let subject = NameSpec::new()
            .add("C", "VN")
            .add("O", Self::CA_ORGANISATION)
            .add("CN", &format!("OCSP {}", Self::ISSUING_CA_NAME));
        CertSpec::ocsp_signing(subject, self.now)
    }
}

/// The `index.txt` of an `openssl ca` database: the certificates a responder knows, valid or
/// revoked. A certificate not listed gets the answer "unknown".
#[derive(Debug, Clone, Default)]
pub struct OcspIndex {
    lines: Vec<String>,
}

impl OcspIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lists `certificate` as valid.
    pub fn valid(mut self, certificate: &Certificate) -> Self {
        self.lines.push(index_line(certificate, "V", ""));
        self
    }

    /// Lists `certificate` as revoked at `revoked_at`. openssl knows the reasons up to
    /// certificateHold; later ones are written as unspecified.
    pub fn revoked(
        mut self,
        certificate: &Certificate,
        revoked_at: DateTime<Utc>,
        reason: Option<RevocationReason>,
    ) -> Self {
        let mut revocation = index_time(revoked_at);
        if let Some(reason) = reason {
            revocation.push(',');
            revocation.push_str(openssl_reason(reason));
        }
        self.lines.push(index_line(certificate, "R", &revocation));
        self
    }

    /// Writes the index file.
    pub fn write(&self, path: &Path) -> Result<(), PkiError> {
        let mut text = String::new();
        for line in &self.lines {
            let _ = writeln!(text, "{line}");
        }
        std::fs::write(path, text).map_err(io_error("writing the OCSP index"))
    }
}

fn index_line(certificate: &Certificate, status: &str, revocation: &str) -> String {
    format!(
        "{status}\t{}\t{revocation}\t{}\tunknown\t/CN={}",
        index_time(certificate.info().not_after),
        hex::encode_upper(&certificate.serial),
        hex::encode(&certificate.serial)
    )
}

/// UTCTime as `openssl ca` writes it (GeneralizedTime from 2050).
fn index_time(at: DateTime<Utc>) -> String {
    if at.year() < 2050 {
        at.format("%y%m%d%H%M%SZ").to_string()
    } else {
        at.format("%Y%m%d%H%M%SZ").to_string()
    }
}

fn openssl_reason(reason: RevocationReason) -> &'static str {
    match reason {
        RevocationReason::KeyCompromise => "keyCompromise",
        RevocationReason::CaCompromise => "CACompromise",
        RevocationReason::AffiliationChanged => "affiliationChanged",
        RevocationReason::Superseded => "superseded",
        RevocationReason::CessationOfOperation => "cessationOfOperation",
        RevocationReason::CertificateHold => "certificateHold",
        _ => "unspecified",
    }
}

/// `openssl ocsp` running as a responder on 127.0.0.1, killed on drop.
#[derive(Debug)]
pub struct OpensslOcspResponder {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl OpensslOcspResponder {
    /// Starts `openssl ocsp -index … -port N -rsigner … -rkey … -CA …` in `dir` (which receives
    /// the files it reads), answering for certificates of `ca` signed by `signer` (the CA itself
    /// or a delegated responder). With `next_update_minutes` answers carry a nextUpdate that
    /// far ahead, else none. Returns once the responder accepts connections.
    pub fn start(
        dir: &Path,
        index: &OcspIndex,
        ca: &TestCert,
        signer: &TestCert,
        next_update_minutes: Option<u32>,
    ) -> Result<Self, PkiError> {
        let port = free_port()?;
        let file = |name: &str| dir.join(format!("ocsp-{port}-{name}"));
        index.write(&file("index.txt"))?;
        std::fs::write(file("ca.pem"), ca.pem()).map_err(io_error("writing the CA"))?;
        std::fs::write(file("signer.pem"), signer.pem()).map_err(io_error("writing the signer"))?;
        std::fs::write(file("signer.key"), signer.private_key_pem()?)
            .map_err(io_error("writing the signer key"))?;
        let log = std::fs::File::create(file("log.txt")).map_err(io_error("creating the log"))?;
        let mut command = Command::new("openssl");
        command
            .arg("ocsp")
            .arg("-index")
            .arg(file("index.txt"))
            .args(["-port", &port.to_string()])
            .arg("-rsigner")
            .arg(file("signer.pem"))
            .arg("-rkey")
            .arg(file("signer.key"))
            .arg("-CA")
            .arg(file("ca.pem"))
            .args(["-rmd", "sha256", "-ignore_err"]);
        if let Some(minutes) = next_update_minutes {
            command.args(["-nmin", &minutes.to_string()]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(io_error("starting openssl ocsp"))?;
        let mut responder = Self {
            child: Some(child),
            port,
            dir: dir.to_owned(),
        };
        responder.wait_until_ready(&file("log.txt"))?;
        Ok(responder)
    }

    /// Waits for the responder to announce that it listens. It is not probed with a bare
    /// connection: openssl 3.0's responder then waits on it forever and answers nobody.
    fn wait_until_ready(&mut self, log: &Path) -> Result<(), PkiError> {
        let started = Instant::now();
        while started.elapsed() < STARTUP_LIMIT {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let output = std::fs::read_to_string(log).unwrap_or_default();
                    return Err(PkiError::TestPki(format!(
                        "openssl ocsp exited ({status}): {output}"
                    )));
                }
            }
            let output = std::fs::read_to_string(log).unwrap_or_default();
            if output.contains("waiting for OCSP client connections") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(PkiError::TestPki(format!(
            "openssl ocsp did not listen on port {} within {STARTUP_LIMIT:?}",
            self.port
        )))
    }

    /// The responder's URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Asks the responder with the `openssl ocsp` client (which sends its own random nonce
    /// unless `nonce` is false) and returns the DER `OCSPResponse`, unverified.
    pub fn query(
        &self,
        issuer: &TestCert,
        certificate: &TestCert,
        nonce: bool,
    ) -> Result<Vec<u8>, PkiError> {
        let stem = format!(
            "query-{}-{}",
            self.port,
            hex::encode(&certificate.certificate.serial)
        );
        let file = |name: &str| self.dir.join(format!("{stem}-{name}"));
        std::fs::write(file("issuer.pem"), issuer.pem()).map_err(io_error("writing the issuer"))?;
        std::fs::write(file("cert.pem"), certificate.pem())
            .map_err(io_error("writing the certificate"))?;
        let mut command = Command::new("openssl");
        command
            .arg("ocsp")
            .arg("-issuer")
            .arg(file("issuer.pem"))
            .arg("-cert")
            .arg(file("cert.pem"))
            .args(["-url", &self.url(), "-noverify", "-timeout", "10"])
            .arg("-respout")
            .arg(file("response.der"));
        if !nonce {
            command.arg("-no_nonce");
        }
        let output = command.output().map_err(io_error("running openssl ocsp"))?;
        if !output.status.success() {
            return Err(PkiError::TestPki(format!(
                "openssl ocsp query failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        std::fs::read(file("response.der")).map_err(io_error("reading the response"))
    }

    /// Stops the responder (it no longer answers).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OpensslOcspResponder {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port that was free a moment ago (the OS picks it).
fn free_port() -> Result<u16, PkiError> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(io_error("finding a free port"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(io_error("finding a free port"))
}

/// How a [`StaticHttpServer`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeMode {
    /// The files given to [`StaticHttpServer::serve`], 404 for others.
    Files,
    /// Reads the request and never answers.
    Hang,
    /// Answers 200 with bytes that are no CRL or OCSP response.
    Garbage,
}

/// A minimal HTTP server on 127.0.0.1 (port chosen by the OS) serving files from memory,
/// counting the requests it reads. Needs a tokio runtime; stops on drop.
#[derive(Debug)]
pub struct StaticHttpServer {
    base: String,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    mode: Arc<Mutex<ServeMode>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl StaticHttpServer {
    /// Starts serving in `mode`.
    pub async fn start(mode: ServeMode) -> Result<Self, PkiError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(io_error("binding the HTTP server"))?;
        let address = listener
            .local_addr()
            .map_err(io_error("reading the HTTP server address"))?;
        let files = Arc::new(Mutex::new(HashMap::new()));
        let mode = Arc::new(Mutex::new(mode));
        let hits = Arc::new(AtomicUsize::new(0));
        let shared = (Arc::clone(&files), Arc::clone(&mode), Arc::clone(&hits));
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (files, mode, hits) = (
                    Arc::clone(&shared.0),
                    Arc::clone(&shared.1),
                    Arc::clone(&shared.2),
                );
                tokio::spawn(answer(socket, files, mode, hits));
            }
        });
        Ok(Self {
            base: format!("http://{address}"),
            files,
            mode,
            hits,
            task,
        })
    }

    /// The URL of `path` (e.g. `ca.crl`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// Serves `body` at `path`.
    pub fn serve(&self, path: &str, body: Vec<u8>) {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(format!("/{}", path.trim_start_matches('/')), body);
    }

    /// Changes how requests are answered from now on.
    pub fn set_mode(&self, mode: ServeMode) {
        *self.mode.lock().unwrap_or_else(PoisonError::into_inner) = mode;
    }

    /// Requests read so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for StaticHttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    mut socket: AsyncStream,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    mode: Arc<Mutex<ServeMode>>,
    hits: Arc<AtomicUsize>,
) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(buffer.get(..read).unwrap_or_default()),
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let mode = *mode.lock().unwrap_or_else(PoisonError::into_inner);
    let (status, body) = match mode {
        ServeMode::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        ServeMode::Garbage => (
            "200 OK",
            b"<html>this is not revocation data</html>".to_vec(),
        ),
        ServeMode::Files => {
            let path = String::from_utf8_lossy(&request)
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            match files
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&path)
            {
                Some(body) => ("200 OK", body.clone()),
                None => ("404 Not Found", Vec::new()),
            }
        }
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = socket.write_all(header.as_bytes()).await;
    let _ = socket.write_all(&body).await;
    let _ = socket.shutdown().await;
}
