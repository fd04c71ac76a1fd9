//! Timestamp authorities for tests: TSA certificates, and an HTTP/1.1 server on 127.0.0.1 that
//! answers `application/timestamp-query` with `openssl ts -reply` (a third-party TSA) or with a
//! [`TimestampAuthority`], optionally requiring credentials or misbehaving for fault tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::{CertSpec, NameSpec, TestCert, TestPki};
use crate::error::PkiError;
use crate::parse::KeyUsageFlag;
use crate::tsp::TimestampAuthority;
use crate::verdict::TIMESTAMPING_EXTENDED_KEY_USAGE;

/// The TSA policy of the test authorities.
pub const TEST_TSA_POLICY: &str = "1.3.6.1.4.1.55555.2.1";

/// Largest request head and body the server reads.
const MAX_HEAD_BYTES: usize = 16 * 1024;
const MAX_BODY_BYTES: usize = 64 * 1024;

impl TestPki {
    /// A TSA certificate as RFC 3161 §2.3 wants it: digitalSignature + nonRepudiation, and
    /// a critical extendedKeyUsage holding only timeStamping.
    pub fn tsa(&self) -> CertSpec {
        let subject = NameSpec::new()
            .add("C", "VN")
            .add("O", Self::CA_ORGANISATION)
            .add("CN", "Dịch vụ cấp dấu thời gian (thử nghiệm)");
        let mut spec = CertSpec::new(subject, self.now)
            .critical_extended_key_usage(&[TIMESTAMPING_EXTENDED_KEY_USAGE]);
        spec.key_usage = vec![KeyUsageFlag::DigitalSignature, KeyUsageFlag::NonRepudiation];
        spec
    }
}

/// Credentials the server requires (401 without them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequiredAuth {
    /// HTTP Basic.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

/// How the server answers an authorised request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TsaBehaviour {
    /// With the authority's response.
    #[default]
    Answer,
    /// With bytes that are not a `TimeStampResp`.
    Garbage,
    /// Never: the connection stays open without an answer.
    Hang,
    /// With the response to the first request, whatever is asked later (a replay).
    ReplayFirst,
}

/// Options of a test TSA server.
#[derive(Debug, Clone, Default)]
pub struct TsaServerOptions {
    /// Credentials to require.
    pub auth: Option<RequiredAuth>,
    /// How to answer.
    pub behaviour: TsaBehaviour,
    /// Added to the clock of a [`TimestampAuthority`] (to test clock skew).
    pub clock_offset: TimeDelta,
    /// Digits of fractions of a second in the genTime of `openssl ts -reply` (0 to 6).
    pub clock_precision_digits: u8,
}

/// What makes the responses.
enum Responder {
    Openssl {
        dir: TempDir,
        /// `openssl ts -reply` updates its serial file: one at a time.
        lock: Mutex<()>,
        count: AtomicU64,
    },
    Authority(Box<TimestampAuthority>),
}

struct State {
    responder: Responder,
    options: TsaServerOptions,
    first_reply: Mutex<Option<Vec<u8>>>,
}

/// An HTTP/1.1 TSA on 127.0.0.1 with a port the OS chose; stops when dropped.
pub struct TsaServer {
    url: String,
    task: JoinHandle<()>,
    state: Arc<State>,
}

impl Drop for TsaServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A third-party TSA: `openssl ts -reply` with the TSA key, certificate and chain written to a
/// temporary directory, behind a [`TsaServer`].
pub type OpensslTsa = TsaServer;

impl TsaServer {
    /// Serves `openssl ts -reply` signing with `tsa`, sending `chain` (CA certificates) along,
    /// under [`TEST_TSA_POLICY`]. Needs a tokio runtime and the `openssl` program.
    pub async fn openssl(
        tsa: &TestCert,
        chain: &[&TestCert],
        options: TsaServerOptions,
    ) -> Result<Self, PkiError> {
        let dir = write_openssl_tsa(tsa, chain, options.clock_precision_digits)?;
        let responder = Responder::Openssl {
            dir,
            lock: Mutex::new(()),
            count: AtomicU64::new(0),
        };
        Self::start(responder, options).await
    }

    /// Serves `authority`.
    pub async fn authority(
        authority: TimestampAuthority,
        options: TsaServerOptions,
    ) -> Result<Self, PkiError> {
        Self::start(Responder::Authority(Box::new(authority)), options).await
    }

    /// The URL to POST queries to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The directory holding the openssl TSA's files (`tsa.pem`, `tsa.key`, `chain.pem`,
    /// `tsa.cnf`), for an openssl TSA.
    pub fn openssl_dir(&self) -> Option<PathBuf> {
        match &self.state.responder {
            Responder::Openssl { dir, .. } => Some(dir.path().to_path_buf()),
            Responder::Authority(_) => None,
        }
    }

    async fn start(responder: Responder, options: TsaServerOptions) -> Result<Self, PkiError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|error| PkiError::TestPki(format!("cannot listen: {error}")))?;
        let address = listener
            .local_addr()
            .map_err(|error| PkiError::TestPki(format!("no local address: {error}")))?;
        let state = Arc::new(State {
            responder,
            options,
            first_reply: Mutex::new(None),
        });
        let task = tokio::spawn(serve(listener, Arc::clone(&state)));
        Ok(Self {
            url: format!("http://{address}/tsa"),
            task,
            state,
        })
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    // Dropped with the accept loop when the server is dropped, which ends hanging connections.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        connections.spawn(handle(stream, Arc::clone(&state)));
    }
}

struct HttpRequest {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn handle(mut stream: TcpStream, state: Arc<State>) {
    let Some(request) = read_request(&mut stream).await else {
        let _ = write_response(&mut stream, "400 Bad Request", "text/plain", b"bad request").await;
        return;
    };
    if !authorised(&state.options.auth, &request.headers) {
        let _ = write_response(
            &mut stream,
            "401 Unauthorized",
            "text/plain",
            b"unauthorised",
        )
        .await;
        return;
    }
    let reply = match state.options.behaviour {
        TsaBehaviour::Hang => std::future::pending::<Option<Vec<u8>>>().await,
        TsaBehaviour::Garbage => Some(b"this is not a timestamp reply".to_vec()),
        TsaBehaviour::Answer => respond(&state, &request.body).await,
        TsaBehaviour::ReplayFirst => {
            let mut first = state.first_reply.lock().await;
            if first.is_none() {
                *first = respond(&state, &request.body).await;
            }
            first.clone()
        }
    };
    let _ = match reply {
        Some(reply) => {
            write_response(&mut stream, "200 OK", "application/timestamp-reply", &reply).await
        }
        None => write_response(&mut stream, "500 Internal Server Error", "text/plain", b"").await,
    };
}

async fn respond(state: &State, query: &[u8]) -> Option<Vec<u8>> {
    match &state.responder {
        Responder::Authority(authority) => {
            Some(authority.respond(query, Utc::now() + state.options.clock_offset))
        }
        Responder::Openssl { dir, lock, count } => {
            let _one_at_a_time = lock.lock().await;
            let number = count.fetch_add(1, Ordering::Relaxed);
            let dir = dir.path().to_path_buf();
            let query = query.to_vec();
            tokio::task::spawn_blocking(move || openssl_reply(&dir, number, &query))
                .await
                .ok()
                .flatten()
        }
    }
}

/// Runs `openssl ts -reply` on `query`; `None` when it fails (its stderr is printed).
fn openssl_reply(dir: &std::path::Path, number: u64, query: &[u8]) -> Option<Vec<u8>> {
    let query_file = dir.join(format!("query-{number}.tsq"));
    let reply_file = dir.join(format!("reply-{number}.tsr"));
    std::fs::write(&query_file, query).ok()?;
    let output = std::process::Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(dir.join("tsa.cnf"))
        .arg("-queryfile")
        .arg(&query_file)
        .arg("-out")
        .arg(&reply_file)
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "openssl ts -reply failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    std::fs::read(&reply_file).ok()
}

fn write_openssl_tsa(
    tsa: &TestCert,
    chain: &[&TestCert],
    precision_digits: u8,
) -> Result<TempDir, PkiError> {
    let io =
        |error: std::io::Error| PkiError::TestPki(format!("cannot write the TSA files: {error}"));
    let dir = tempfile::tempdir().map_err(io)?;
    let path = dir.path();
    std::fs::write(path.join("tsa.pem"), tsa.pem()).map_err(io)?;
    std::fs::write(path.join("tsa.key"), tsa.private_key_pem()?).map_err(io)?;
    let chain_pem: String = chain.iter().map(|authority| authority.pem()).collect();
    std::fs::write(path.join("chain.pem"), chain_pem).map_err(io)?;
    std::fs::write(path.join("serial"), "01\n").map_err(io)?;
    let config = format!(
        "[ tsa ]\n\
         default_tsa = tsa_config\n\
         [ tsa_config ]\n\
         dir = {dir}\n\
         serial = $dir/serial\n\
         signer_cert = $dir/tsa.pem\n\
         certs = $dir/chain.pem\n\
         signer_key = $dir/tsa.key\n\
         signer_digest = sha256\n\
         default_policy = {TEST_TSA_POLICY}\n\
         digests = sha256, sha384, sha512\n\
         accuracy = secs:1\n\
         ordering = no\n\
         tsa_name = yes\n\
         ess_cert_id_chain = no\n\
         clock_precision_digits = {precision_digits}\n",
        dir = path.display()
    );
    std::fs::write(path.join("tsa.cnf"), config).map_err(io)?;
    Ok(dir)
}

/// Reads the head (up to [`MAX_HEAD_BYTES`]) and a `Content-Length` body (up to
/// [`MAX_BODY_BYTES`]).
async fn read_request(stream: &mut TcpStream) -> Option<HttpRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return None;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(chunk.get(..read)?);
    };
    let head = String::from_utf8_lossy(buffer.get(..head_end)?).into_owned();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return None;
    }
    let mut body = buffer.get(head_end + 4..)?.to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(chunk.get(..read)?);
    }
    body.truncate(length);
    Some(HttpRequest { headers, body })
}

fn authorised(required: &Option<RequiredAuth>, headers: &[(String, String)]) -> bool {
    let expected = match required {
        None => return true,
        Some(RequiredAuth::Basic { user, password }) => {
            let pair = format!("{user}:{password}");
            format!("Basic {}", openssl::base64::encode_block(pair.as_bytes()))
        }
        Some(RequiredAuth::Bearer(token)) => format!("Bearer {token}"),
    };
    headers
        .iter()
        .any(|(name, value)| name == "authorization" && *value == expected)
}

async fn write_response(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}
