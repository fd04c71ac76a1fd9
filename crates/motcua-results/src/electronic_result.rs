//! An electronic result as the service signs it: the verification QR code first (the public
//! verification URL with the SHA-256 of the document as received), then the unit's signature.
//! Without the web state, so that generated results are signed the same way.

use chrono::{DateTime, Utc};
use motcua_pki::cms::Signer;
use motcua_pki::pades::{self, SignatureRequest};
use motcua_pki::{Certificate, PkiError};
use motcua_web::verification_page::{PAGE_PATH, SHA256_PARAM};

/// A result signed by [`sign_result`]: not yet raised above B-B.
#[derive(Debug, Clone)]
pub struct SignedResult {
    pub pdf: Vec<u8>,
    /// What the verification QR code says.
    pub qr_url: String,
}

/// `{public_url}/verification?code={code}&sha256={sha256_hex}`: where the verification QR code
/// of dossier `code`'s result leads.
pub fn verification_url(public_url: &str, code: &str, sha256_hex: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair(SHA256_PARAM, sha256_hex)
        .finish();
    format!("{public_url}{PAGE_PATH}?{query}")
}

/// Adds the verification QR code to the result `pdf` of dossier `code` (its last page, in the
/// corner of the left and bottom margins), then signs it at B-B with `signer` at `at`, embedding
/// `chain`. `public_url` is the results service's base URL, without a trailing slash.
pub fn sign_result(
    pdf: &[u8],
    public_url: &str,
    code: &str,
    signer: &dyn Signer,
    chain: &[Certificate],
    at: DateTime<Utc>,
) -> Result<SignedResult, PkiError> {
    let with_qr = pades::verification_qr(pdf, |hex| verification_url(public_url, code, hex))?;
    let signed = SignatureRequest::new(at)
        .reason(format!("Kết quả giải quyết hồ sơ {code}"))
        .chain(chain.to_vec())
        .sign(&with_qr.pdf, signer)?;
    Ok(SignedResult {
        pdf: signed,
        qr_url: with_qr.url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_dossier_and_the_hash() {
        assert_eq!(
            verification_url(
                "https://motcua.example.vn",
                "000.00.24.H05-240115-0007",
                "ab"
            ),
            "https://motcua.example.vn/verification?code=000.00.24.H05-240115-0007&sha256=ab"
        );
    }
}
