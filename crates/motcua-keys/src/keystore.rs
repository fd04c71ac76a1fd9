//! The private keys of units' collective certificates (chứng thư số tập thể), which sign
//! electronic results.
//!
//! An uploaded PKCS#12 file is opened with its own password, checked against the registered
//! certificate, and stored re-encrypted (PBES2 with AES-256-CBC, HMAC-SHA-256 integrity) under the
//! key-store password of the configuration (`MOTCUA_KEYSTORE_PASSWORD`). Keys are decrypted in
//! memory only, when a result is signed, and kept there as [`Signer`]s per certificate. Signing
//! goes through the [`Signer`] trait: a key on a PKCS#11 token or HSM ([`crate::pkcs11`]) takes
//! the place of a stored one for the certificates bound to a device.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use motcua_core::record_ids::CertificateId;
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::{Certificate, TrustStore};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::stack::Stack;

use crate::pkcs11::{DeviceKey, DeviceSigner};
use motcua_web::config::Secret;
use motcua_web::error::ApiError;

/// PBKDF2 iterations of the stored files.
const KEY_ITERATIONS: u32 = 100_000;

/// Something that signs for a certificate, with the CA certificates to embed in signatures.
pub trait OrganisationSigner: Signer + Send + Sync {
    /// CA certificates to embed (issuing CA first); may be empty.
    fn chain(&self) -> &[Certificate];
}

impl OrganisationSigner for KeySigner {
    fn chain(&self) -> &[Certificate] {
        KeySigner::chain(self)
    }
}

/// The CA certificates a signature by `signer` carries: its chain up to, not including, the
/// trust anchor of `store`, built from the store and the certificates that came with the key (a
/// PKCS#12 file may hold none, or not all), so that a validator given only the root can verify.
pub fn chain_to_embed(signer: &dyn OrganisationSigner, store: &TrustStore) -> Vec<Certificate> {
    store.intermediates_for(signer.certificate(), signer.chain())
}

/// An uploaded key, checked and ready to store.
#[derive(Debug)]
pub struct SealedKey {
    /// The PKCS#12 re-encrypted under the key-store password.
    pub pkcs12: Vec<u8>,
    /// The certificate the key belongs to.
    pub certificate: Certificate,
}

/// Opens an uploaded PKCS#12 with `password`, checks that its key belongs to its certificate,
/// and re-encrypts it under `keystore`. Errors name the field at fault (`pkcs12_base64`,
/// `password`).
pub fn seal(uploaded: &[u8], password: &str, keystore: &Secret) -> Result<SealedKey, ApiError> {
    let file = Pkcs12::from_der(uploaded)
        .map_err(|_| ApiError::invalid("pkcs12_base64", "is not a PKCS#12 file (.p12, .pfx)"))?;
    let parsed = file.parse2(password).map_err(|_| {
        ApiError::invalid(
            "password",
            "cannot open the PKCS#12 file with this password",
        )
    })?;
    let key = parsed
        .pkey
        .ok_or_else(|| ApiError::invalid("pkcs12_base64", "the PKCS#12 file has no private key"))?;
    let x509 = parsed
        .cert
        .ok_or_else(|| ApiError::invalid("pkcs12_base64", "the PKCS#12 file has no certificate"))?;
    let der = x509
        .to_der()
        .map_err(|e| ApiError::invalid("pkcs12_base64", format!("unreadable certificate: {e}")))?;
    let certificate = Certificate::from_der(&der)
        .map_err(|e| ApiError::invalid("pkcs12_base64", format!("unreadable certificate: {e}")))?;
    // Refuses a key that is not the certificate's.
    KeySigner::new(key.clone(), certificate.clone())
        .map_err(|e| ApiError::invalid("pkcs12_base64", e.to_string()))?;
    let mut authorities =
        Stack::new().map_err(|e| ApiError::internal(format!("PKCS#12 chain: {e}")))?;
    for authority in parsed.ca.into_iter().flatten() {
        authorities
            .push(authority)
            .map_err(|e| ApiError::internal(format!("PKCS#12 chain: {e}")))?;
    }
    let name = certificate
        .info()
        .subject
        .first("CN")
        .unwrap_or("organisation")
        .to_owned();
    let pkcs12 = Pkcs12::builder()
        .name(&name)
        .pkey(&key)
        .cert(&x509)
        .ca(authorities)
        .key_algorithm(Nid::AES_256_CBC)
        .cert_algorithm(Nid::AES_256_CBC)
        .key_iter(KEY_ITERATIONS)
        .mac_md(MessageDigest::sha256())
        .build2(keystore.expose())
        .and_then(|file| file.to_der())
        .map_err(|e| ApiError::internal(format!("encrypting the key: {e}")))?;
    Ok(SealedKey {
        pkcs12,
        certificate,
    })
}

/// Signers of stored keys, decrypted once and kept in memory, and of keys on PKCS#11 devices.
/// Keyed by whatever identifies a stored key in the service (its certificate's id).
pub struct KeyStore<K = CertificateId> {
    signers: RwLock<HashMap<K, Arc<dyn OrganisationSigner>>>,
}

impl<K> Default for KeyStore<K> {
    fn default() -> Self {
        Self {
            signers: RwLock::new(HashMap::new()),
        }
    }
}

impl<K> std::fmt::Debug for KeyStore<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self
            .signers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("KeyStore").field("held", &held).finish()
    }
}

impl<K: std::hash::Hash + Eq + Copy + std::fmt::Display> KeyStore<K> {
    /// The signer of `certificate`: the one in memory, or `stored` decrypted with `keystore`.
    pub fn signer(
        &self,
        certificate: K,
        stored: &[u8],
        keystore: &Secret,
    ) -> Result<Arc<dyn OrganisationSigner>, ApiError> {
        if let Some(held) = self.held(certificate) {
            return Ok(held);
        }
        let signer: Arc<dyn OrganisationSigner> = Arc::new(
            KeySigner::from_pkcs12(stored, keystore.expose()).map_err(|e| {
                ApiError::internal(format!(
                    "the stored key of certificate {certificate} cannot be opened with the \
                 configured key-store password: {e}"
                ))
            })?,
        );
        self.keep(certificate, signer.clone());
        Ok(signer)
    }

    /// The signer of `certificate` whose key is on the device described by `device_json` (as
    /// stored by the service); the token is not asked anything until a signature.
    pub fn device_signer(
        &self,
        certificate: K,
        device_json: &str,
        certificate_der: &[u8],
    ) -> Result<Arc<dyn OrganisationSigner>, ApiError> {
        if let Some(held) = self.held(certificate) {
            return Ok(held);
        }
        let device: DeviceKey = serde_json::from_str(device_json).map_err(|e| {
            ApiError::internal(format!(
                "the stored device of certificate {certificate}: {e}"
            ))
        })?;
        let parsed = Certificate::from_der(certificate_der)
            .map_err(|e| ApiError::internal(format!("stored certificate {certificate}: {e}")))?;
        let signer: Arc<dyn OrganisationSigner> =
            Arc::new(DeviceSigner::new(device.clone(), parsed).map_err(|e| e.to_api(&device))?);
        self.keep(certificate, signer.clone());
        Ok(signer)
    }

    fn held(&self, certificate: K) -> Option<Arc<dyn OrganisationSigner>> {
        self.signers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&certificate)
            .cloned()
    }

    fn keep(&self, certificate: K, signer: Arc<dyn OrganisationSigner>) {
        self.signers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(certificate, signer);
    }
}

/// The configured key-store password, or why the feature is off.
pub fn password(configured: Option<&Secret>) -> Result<&Secret, ApiError> {
    configured.ok_or_else(|| {
        ApiError::Conflict(
            "organisation keys are not enabled: the service has no MOTCUA_KEYSTORE_PASSWORD".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use motcua_pki::testpki::{KeySpec, TestPki};

    use super::*;

    /// DER of the OIDs of PBES2 (1.2.840.113549.1.5.13) and AES-256-CBC (2.16.840.1.101.3.4.1.42).
    const PBES2: &[u8] = &[6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 5, 13];
    const AES_256_CBC: &[u8] = &[6, 9, 0x60, 0x86, 0x48, 1, 0x65, 3, 4, 1, 0x2a];

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    #[test]
    fn sealed_keys_open_only_with_the_keystore_password() {
        let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
        let unit = pki
            .issue(&pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"))
            .unwrap();
        let uploaded = unit.pkcs12("upload", &[&pki.issuing_ca]).unwrap();
        let keystore = Secret::new("key-store password");

        let sealed = seal(&uploaded, "upload", &keystore).unwrap();
        assert_eq!(sealed.certificate.der(), unit.der());
        assert!(contains(&sealed.pkcs12, PBES2) && contains(&sealed.pkcs12, AES_256_CBC));
        assert!(KeySigner::from_pkcs12(&sealed.pkcs12, "upload").is_err());

        let store = KeyStore::<CertificateId>::default();
        let signer = store
            .signer(CertificateId(7), &sealed.pkcs12, &keystore)
            .unwrap();
        assert_eq!(signer.certificate().der(), unit.der());
        assert_eq!(signer.chain().len(), 1);
        assert!(store
            .signer(
                CertificateId(8),
                &sealed.pkcs12,
                &Secret::new("wrong password")
            )
            .is_err());

        let refused = seal(&uploaded, "wrong", &keystore).unwrap_err();
        assert!(refused.to_string().contains("password"), "{refused}");
        assert!(format!("{keystore:?}").contains('…'));
        assert!(!format!("{keystore:?}").contains("key-store password"));
    }

    #[test]
    fn signatures_carry_the_chain_up_to_the_root_even_without_it_in_the_file() {
        let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
        let unit = pki
            .issue(&pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"))
            .unwrap();
        let issuing = pki.issuing_ca.der().to_vec();
        let store = pki.trust_store().unwrap();
        for held in [
            vec![],
            vec![&pki.issuing_ca],
            vec![&pki.issuing_ca, &pki.root],
        ] {
            let file = unit.pkcs12("p", &held).unwrap();
            let signer = KeySigner::from_pkcs12(&file, "p").unwrap();
            let chain = chain_to_embed(&signer, &store);
            let ders: Vec<&[u8]> = chain.iter().map(Certificate::der).collect();
            assert_eq!(
                ders,
                [issuing.as_slice()],
                "with {} in the file",
                held.len()
            );
        }
        // Without a trust anchor, what the file holds is kept.
        let file = unit.pkcs12("p", &[&pki.issuing_ca]).unwrap();
        let signer = KeySigner::from_pkcs12(&file, "p").unwrap();
        let chain = chain_to_embed(&signer, &TrustStore::new());
        assert_eq!(chain.len(), 1);
        assert_eq!(chain[0].der(), issuing.as_slice());
    }
}
