//! `motcua keys generate --pkcs11 …`: a key pair generated on a token or HSM (never leaving
//! it) and the PKCS#10 request the CA certifies; the certificate it returns is then registered
//! (`POST /certificates`) and bound to the key (`POST /units/{id}/organisation-keys/device`).

use std::path::PathBuf;

use clap::Subcommand;
use motcua_keys::pkcs11::generate::{generate, generate_with_pin, KeyKind};
use motcua_keys::pkcs11::DeviceKey;
use openssl::x509::X509NameBuilder;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate a non-extractable key pair on a PKCS#11 token and write its PKCS#10 request.
    Generate {
        /// The key goes on a PKCS#11 token or HSM (the only kind this command makes).
        #[arg(long, required = true)]
        pkcs11: bool,
        /// Path of the PKCS#11 module.
        #[arg(long)]
        module: PathBuf,
        /// The token's label.
        #[arg(long)]
        token: String,
        /// The label given to the key pair.
        #[arg(long)]
        label: String,
        /// An RSA key of this many bits instead of ECDSA P-256.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["2048", "3072", "4096"]))]
        rsa: Option<String>,
        /// The subject asked for, e.g. `C=VN,L=Bắc Giang,O=UBND THỊ XÃ VIỆT YÊN,CN=UBND XÃ TĂNG TIẾN`.
        #[arg(long)]
        subject: String,
        /// Where the PIN is read (`env:NAME` or `file:/path`); prompted without echo otherwise.
        #[arg(long)]
        pin_source: Option<String>,
        /// Where the request is written (PEM).
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(command: KeysCommand) -> Result<(), String> {
    let KeysCommand::Generate {
        pkcs11: _,
        module,
        token,
        label,
        rsa,
        subject,
        pin_source,
        out,
    } = command;
    let kind = match rsa.as_deref() {
        Some(bits) => KeyKind::Rsa(bits.parse().map_err(|_| "--rsa: a number of bits")?),
        None => KeyKind::EcP256,
    };
    let device = DeviceKey {
        module,
        token_label: Some(token),
        token_serial: None,
        key_label: Some(label),
        key_id_hex: None,
        pin_source: pin_source.clone().unwrap_or_else(|| "env:UNUSED".into()),
        rsa_pss: false,
        sessions: None,
        typed_pin: None,
    };
    device.check("--").map_err(|e| e.to_string())?;
    let subject_der = subject_der(&subject)?;
    let generated = match pin_source {
        Some(_) => generate(&device, kind, &subject_der),
        None => {
            let pin = rpassword::prompt_password(format!("PIN of {}: ", device.token_name()))
                .map_err(|e| format!("reading the PIN: {e}"))?;
            generate_with_pin(&device, &pin, kind, &subject_der)
        }
    }
    .map_err(|e| e.to_string())?;
    let request = openssl::x509::X509Req::from_der(&generated.csr_der)
        .and_then(|request| request.to_pem())
        .map_err(|e| format!("encoding the request: {e}"))?;
    std::fs::write(&out, request).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!(
        "Key pair \"{}\" generated on the {} (CKA_ID {}); request written to {}.",
        device.key_label.as_deref().unwrap_or_default(),
        device.token_name(),
        generated.key_id_hex,
        out.display()
    );
    Ok(())
}

/// DER of the X.509 name `C=…,L=…,O=…,CN=…` (values in UTF-8, no commas inside).
fn subject_der(text: &str) -> Result<Vec<u8>, String> {
    let mut name = X509NameBuilder::new().map_err(|e| e.to_string())?;
    for part in text.split(',') {
        let (attribute, value) = part
            .split_once('=')
            .ok_or_else(|| format!("--subject: `{part}` is not ATTRIBUTE=value"))?;
        name.append_entry_by_text(attribute.trim(), value.trim())
            .map_err(|e| format!("--subject: `{part}`: {e}"))?;
    }
    name.build().to_der().map_err(|e| e.to_string())
}
