//! `motcua sign --service …`: an official's signing program. It fetches a signing session (by id,
//! or the oldest open one of the official), shows what is signed, signs with the official's
//! token (PKCS#11) or a PKCS#12 file, posts the signature back and prints the outcome. The PIN or
//! password is typed without echo, or read from a file descriptor; never a command-line argument.

use std::io::BufRead;
use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use motcua_keys::pkcs11::{DeviceKey, DeviceSigner, TypedPin};
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::Certificate;
use serde_json::{json, Value};

/// Which session to sign.
pub enum Which {
    Session(String),
    NextFor(i64),
}

/// The key that signs.
pub enum Key {
    Pkcs12(PathBuf),
    Pkcs11 {
        module: PathBuf,
        token: String,
        key: String,
    },
}

pub struct ServiceSigning {
    pub service: String,
    pub api_key: String,
    pub which: Which,
    pub key: Key,
    /// A file descriptor to read the PIN or password from (first line).
    pub pin_fd: Option<u32>,
}

/// The two kinds of sessions, and where each is read and completed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Component,
    Leader,
}

impl Kind {
    fn collection(self) -> &'static str {
        match self {
            Self::Component => "/signing-sessions",
            Self::Leader => "/leader-signing-sessions",
        }
    }
}

pub fn run(signing: ServiceSigning) -> Result<(), String> {
    actix_web::rt::System::new().block_on(sign_session(signing))
}

async fn sign_session(signing: ServiceSigning) -> Result<(), String> {
    let client = reqwest::Client::new();
    let base = signing.service.trim_end_matches('/').to_owned();
    let (kind, session) = find_session(&client, &base, &signing.api_key, &signing.which).await?;
    show(kind, &session);
    if session["open"] != json!(true) {
        return Err("the session no longer takes a signature (used or expired)".into());
    }
    let certificate = text(&session, "certificate_base64")
        .and_then(|b64| STANDARD.decode(b64).map_err(|e| e.to_string()))
        .and_then(|der| Certificate::from_der(&der).map_err(|e| e.to_string()))?;
    let to_be_signed = text(&session, "to_be_signed_base64")
        .and_then(|b64| STANDARD.decode(b64).map_err(|e| e.to_string()))?;
    let pss = session["rsa_padding"] == json!("pss");
    let secret = read_secret(&signing)?;
    let signature = sign_with(&signing.key, secret, certificate, pss, &to_be_signed)?;
    let id = text(&session, "session_id")?;
    let url = format!("{base}{}/{id}/signature", kind.collection());
    let response = client
        .post(&url)
        .bearer_auth(&signing.api_key)
        .json(&json!({"signature_base64": STANDARD.encode(signature)}))
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!(
            "the service refused the signature ({status}): {}",
            answer["detail"].as_str().unwrap_or("no detail")
        ));
    }
    match kind {
        Kind::Component => println!(
            "Signed: component {} of dossier {}, signature level {}, file SHA-256 {}",
            answer["position"], answer["dossier_code"], answer["signature_level"], answer["sha256"]
        ),
        Kind::Leader => println!(
            "Signed: report {} is now {}",
            answer["id"], answer["status"]
        ),
    }
    Ok(())
}

/// The session named, or the official's oldest open one, from whichever service holds it.
async fn find_session(
    client: &reqwest::Client,
    base: &str,
    api_key: &str,
    which: &Which,
) -> Result<(Kind, Value), String> {
    for kind in [Kind::Component, Kind::Leader] {
        let url = match which {
            Which::Session(id) => format!("{base}{}/{id}", kind.collection()),
            Which::NextFor(official) => {
                format!("{base}{}?official_id={official}", kind.collection())
            }
        };
        let response = client
            .get(&url)
            .bearer_auth(api_key)
            .send()
            .await
            .map_err(|e| format!("cannot reach {url}: {e}"))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            continue;
        }
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("{url}: unreadable answer: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "{url}: {status}: {}",
                body["detail"].as_str().unwrap_or("no detail")
            ));
        }
        match which {
            Which::Session(_) => return Ok((kind, body)),
            Which::NextFor(_) => {
                if let Some(first) = body["items"].as_array().and_then(|items| items.first()) {
                    return Ok((kind, first.clone()));
                }
            }
        }
    }
    Err(match which {
        Which::Session(id) => format!("the service has no signing session {id}"),
        Which::NextFor(official) => format!("official {official} has no open signing session"),
    })
}

/// What is being signed, before anything is asked.
fn show(kind: Kind, session: &Value) {
    let field = |name: &str| session[name].as_str().unwrap_or("?").to_owned();
    match kind {
        Kind::Component => println!(
            "Signing component {} of dossier {} ({})",
            session["position"],
            field("dossier_code"),
            field("unit_name")
        ),
        Kind::Leader => println!(
            "Signing report {} \"{}\" ({}) as {}",
            field("report_id"),
            field("report_title"),
            field("unit_name"),
            field("official_name")
        ),
    }
    println!("Document SHA-256: {}", field("document_sha256"));
    println!(
        "Session {} open until {}",
        field("session_id"),
        field("expires_at")
    );
}

fn text<'a>(value: &'a Value, name: &str) -> Result<&'a str, String> {
    value[name]
        .as_str()
        .ok_or_else(|| format!("the session has no {name}"))
}

/// The PIN or password: from the descriptor, or typed without echo.
fn read_secret(signing: &ServiceSigning) -> Result<String, String> {
    if let Some(fd) = signing.pin_fd {
        let path = format!("/proc/self/fd/{fd}");
        let file = std::fs::File::open(&path).map_err(|e| format!("--pin-fd {fd}: {e}"))?;
        let mut line = String::new();
        std::io::BufReader::new(file)
            .read_line(&mut line)
            .map_err(|e| format!("--pin-fd {fd}: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let prompt = match &signing.key {
        Key::Pkcs12(path) => format!("Password of {}: ", path.display()),
        Key::Pkcs11 { token, .. } => format!("PIN of token \"{token}\": "),
    };
    rpassword::prompt_password(prompt).map_err(|e| format!("reading the PIN: {e}"))
}

fn sign_with(
    key: &Key,
    secret: String,
    certificate: Certificate,
    pss: bool,
    to_be_signed: &[u8],
) -> Result<Vec<u8>, String> {
    match key {
        Key::Pkcs12(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut signer = KeySigner::from_pkcs12(&bytes, &secret).map_err(|e| e.to_string())?;
            if signer.certificate().der() != certificate.der() {
                return Err(format!(
                    "{} holds the certificate of {}, not the one the session was prepared for ({})",
                    path.display(),
                    signer.certificate().info().subject.text,
                    certificate.info().subject.text
                ));
            }
            if pss {
                signer = signer.with_pss().map_err(|e| e.to_string())?;
            }
            signer.sign(to_be_signed).map_err(|e| e.to_string())
        }
        Key::Pkcs11 { module, token, key } => {
            let device = DeviceKey {
                module: module.clone(),
                token_label: Some(token.clone()),
                token_serial: None,
                key_label: Some(key.clone()),
                key_id_hex: None,
                pin_source: String::new(),
                rsa_pss: pss,
                sessions: Some(1),
                typed_pin: Some(TypedPin(secret)),
            };
            let signer = DeviceSigner::new(device, certificate).map_err(|e| e.to_string())?;
            // The token's signature is checked against the certificate before it is sent.
            signer.probe().map_err(|e| e.to_string())?;
            signer
                .sign_on_device(to_be_signed)
                .map_err(|e| e.to_string())
        }
    }
}
