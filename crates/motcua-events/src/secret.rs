//! Subscription secrets: the Standard Webhooks form (`whsec_` and the base64 of 24 to 64 random
//! bytes), the signature of a delivery, and the secret at rest, sealed with AES-256-GCM under a
//! key derived from the service's key-store password (`MOTCUA_KEYSTORE_PASSWORD`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use motcua_web::config::Secret;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};
use rand::RngCore;

/// The prefix of a secret in the Standard Webhooks form.
pub const PREFIX: &str = "whsec_";
/// Bytes of a generated secret.
const GENERATED_BYTES: usize = 32;
const MIN_BYTES: usize = 24;
const MAX_BYTES: usize = 64;

/// The bytes a subscription's deliveries are signed with.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

impl SigningSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = vec![0; GENERATED_BYTES];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// `whsec_<base64>` with 24 to 64 bytes; the reason when not.
    pub fn parse(text: &str) -> Result<Self, String> {
        let encoded = text
            .strip_prefix(PREFIX)
            .ok_or("a secret looks like `whsec_` followed by base64")?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| "the part after `whsec_` is not base64")?;
        if !(MIN_BYTES..=MAX_BYTES).contains(&bytes.len()) {
            return Err(format!(
                "a secret has {MIN_BYTES} to {MAX_BYTES} bytes; this one has {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    /// The Standard Webhooks form, shown once to the subscriber.
    pub fn to_text(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The `webhook-signature` header of a delivery: `v1,` and the base64 HMAC-SHA256 of
    /// `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut content = Vec::with_capacity(id.len() + body.len() + 24);
        content.extend_from_slice(id.as_bytes());
        content.push(b'.');
        content.extend_from_slice(timestamp.to_string().as_bytes());
        content.push(b'.');
        content.extend_from_slice(body);
        format!("v1,{}", STANDARD.encode(hmac_sha256(&self.0, &content)))
    }
}

fn hmac_sha256(key: &[u8], content: &[u8]) -> Vec<u8> {
    // HMAC over in-memory bytes fails only if OpenSSL itself is broken.
    #[allow(clippy::expect_used)]
    let signed = PKey::hmac(key)
        .and_then(|key| {
            let mut signer = Signer::new(MessageDigest::sha256(), &key)?;
            signer.update(content)?;
            signer.sign_to_vec()
        })
        .expect("HMAC-SHA256 with OpenSSL");
    signed
}

/// The key subscription secrets are sealed under.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(…)")
    }
}

/// Format version of a sealed secret, its first byte.
const SEALED_V1: u8 = 1;
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
/// Binds the derived key to its use, so that it is no other key derivable from the password.
const DERIVATION_SALT: &[u8] = b"motcua subscription secrets v1";
const DERIVATION_ITERATIONS: usize = 100_000;

impl SealingKey {
    /// PBKDF2-HMAC-SHA256 of the key-store password: derived once at start-up.
    pub fn derive(password: &Secret) -> Self {
        let mut key = [0; 32];
        // Fails only for an unusable digest or length, neither of which can happen here.
        #[allow(clippy::expect_used)]
        openssl::pkcs5::pbkdf2_hmac(
            password.expose().as_bytes(),
            DERIVATION_SALT,
            DERIVATION_ITERATIONS,
            MessageDigest::sha256(),
            &mut key,
        )
        .expect("PBKDF2 with OpenSSL");
        Self(key)
    }

    /// Version byte, random nonce, ciphertext and tag.
    pub fn seal(&self, secret: &SigningSecret) -> Vec<u8> {
        let mut nonce = [0; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut tag = [0; TAG_BYTES];
        // AES-256-GCM over a short in-memory buffer fails only if OpenSSL itself is broken.
        #[allow(clippy::expect_used)]
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            &[SEALED_V1],
            &secret.0,
            &mut tag,
        )
        .expect("AES-256-GCM with OpenSSL");
        let mut sealed = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len() + TAG_BYTES);
        sealed.push(SEALED_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed.extend_from_slice(&tag);
        sealed
    }

    /// The secret of `sealed`; fails when it was sealed under another password or altered.
    pub fn open(&self, sealed: &[u8]) -> Result<SigningSecret, String> {
        let unreadable = || {
            "the subscription's secret cannot be opened with this service's \
                             MOTCUA_KEYSTORE_PASSWORD"
                .to_owned()
        };
        let (&version, rest) = sealed.split_first().ok_or_else(unreadable)?;
        if version != SEALED_V1 || rest.len() < NONCE_BYTES + TAG_BYTES {
            return Err(unreadable());
        }
        let (nonce, rest) = rest.split_at(NONCE_BYTES);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_BYTES);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(nonce),
            &[SEALED_V1],
            ciphertext,
            tag,
        )
        .map(SigningSecret)
        .map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_24_to_64_bytes_in_the_whsec_form() {
        assert!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(SigningSecret::parse("whsec_not base64!").is_err());
        assert!(SigningSecret::parse(&format!("whsec_{}", STANDARD.encode([1; 23]))).is_err());
        assert!(SigningSecret::parse(&format!("whsec_{}", STANDARD.encode([1; 65]))).is_err());
        let generated = SigningSecret::generate();
        assert_eq!(
            SigningSecret::parse(&generated.to_text()).unwrap(),
            generated
        );
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_password() {
        let key = SealingKey::derive(&Secret::new("key-store password"));
        let secret = SigningSecret::generate();
        let sealed = key.seal(&secret);
        assert!(!sealed.windows(secret.0.len()).any(|w| w == secret.0));
        assert_eq!(key.open(&sealed).unwrap(), secret);
        let other = SealingKey::derive(&Secret::new("another password"));
        assert!(other.open(&sealed).is_err());
        let mut altered = sealed;
        altered[20] ^= 1;
        assert!(key.open(&altered).is_err());
    }
}
