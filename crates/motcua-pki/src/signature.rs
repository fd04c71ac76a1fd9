//! Signature algorithms accepted on certificates and CRLs, and their verification with OpenSSL.
//!
//! Accepted: RSA PKCS#1 v1.5, RSA-PSS and ECDSA (P-256, P-384, P-521), each with SHA-256,
//! SHA-384 or SHA-512; RSA keys of at least 2048 bits. SHA-1, MD5 and anything else are
//! refused: a signature made with them proves nothing today.

use openssl::ec::EcKeyRef;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use x509_parser::signature_algorithm::RsaSsaPssParams;
use x509_parser::x509::AlgorithmIdentifier;

use crate::memo::Memo;

/// Minimum RSA modulus size accepted for an issuer key.
const MIN_RSA_BITS: u32 = 2048;

/// Hash function of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    pub(crate) fn message_digest(self) -> MessageDigest {
        match self {
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }

    pub(crate) fn from_oid(oid: &str) -> Option<Self> {
        match oid {
            "2.16.840.1.101.3.4.2.1" => Some(Self::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(Self::Sha384),
            "2.16.840.1.101.3.4.2.3" => Some(Self::Sha512),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA256",
            Self::Sha384 => "SHA384",
            Self::Sha512 => "SHA512",
        }
    }
}

/// A signature algorithm as read from an AlgorithmIdentifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    RsaPkcs1(HashAlg),
    RsaPss {
        hash: HashAlg,
        mgf1_hash: HashAlg,
        salt_length: u32,
    },
    Ecdsa(HashAlg),
    /// Kept so that the verdict can say which algorithm was refused and why.
    Refused {
        name: String,
        reason: String,
    },
}

impl SignatureAlgorithm {
    /// Reads the outer algorithm of a certificate or CRL; `inner` is the copy inside the signed
    /// part, which must be identical (RFC 5280 §4.1.1.2) or an attacker could swap algorithms.
    pub(crate) fn from_identifiers(
        outer: &AlgorithmIdentifier<'_>,
        inner: &AlgorithmIdentifier<'_>,
    ) -> Self {
        if outer != inner {
            return Self::Refused {
                name: outer.algorithm.to_id_string(),
                reason: "the algorithm inside the signed data differs from the outer one".into(),
            };
        }
        Self::from_identifier(outer)
    }

    pub(crate) fn from_identifier(identifier: &AlgorithmIdentifier<'_>) -> Self {
        let oid = identifier.algorithm.to_id_string();
        match oid.as_str() {
            "1.2.840.113549.1.1.11" => Self::RsaPkcs1(HashAlg::Sha256),
            "1.2.840.113549.1.1.12" => Self::RsaPkcs1(HashAlg::Sha384),
            "1.2.840.113549.1.1.13" => Self::RsaPkcs1(HashAlg::Sha512),
            "1.2.840.10045.4.3.2" => Self::Ecdsa(HashAlg::Sha256),
            "1.2.840.10045.4.3.3" => Self::Ecdsa(HashAlg::Sha384),
            "1.2.840.10045.4.3.4" => Self::Ecdsa(HashAlg::Sha512),
            "1.2.840.113549.1.1.10" => Self::rsa_pss(identifier),
            "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" => Self::Refused {
                name: oid,
                reason: "SHA-1 signatures are not accepted".into(),
            },
            "1.2.840.113549.1.1.4" => Self::Refused {
                name: oid,
                reason: "MD5 signatures are not accepted".into(),
            },
            _ => Self::Refused {
                name: oid,
                reason: "unsupported signature algorithm".into(),
            },
        }
    }

    fn rsa_pss(identifier: &AlgorithmIdentifier<'_>) -> Self {
        let refused = |reason: &str| Self::Refused {
            name: "RSASSA-PSS".into(),
            reason: reason.into(),
        };
        let Some(params) = identifier
            .parameters()
            .and_then(|any| RsaSsaPssParams::try_from(any).ok())
        else {
            return refused("missing or malformed RSASSA-PSS parameters");
        };
        let Some(hash) = HashAlg::from_oid(&params.hash_algorithm_oid().to_id_string()) else {
            return refused("the PSS hash must be SHA-256, SHA-384 or SHA-512");
        };
        let mgf1_hash = params.mask_gen_algorithm().ok().and_then(|mgf| {
            (mgf.mgf.to_id_string() == "1.2.840.113549.1.1.8")
                .then(|| HashAlg::from_oid(&mgf.hash.to_id_string()))
                .flatten()
        });
        let Some(mgf1_hash) = mgf1_hash else {
            return refused("the PSS mask must be MGF1 with SHA-256, SHA-384 or SHA-512");
        };
        if params.trailer_field() != 1 {
            return refused("the PSS trailer field must be 1");
        }
        Self::RsaPss {
            hash,
            mgf1_hash,
            salt_length: params.salt_length(),
        }
    }

    /// Human-readable name, as OpenSSL prints it.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::RsaPkcs1(hash) => format!("{}WithRSAEncryption", hash.name().to_lowercase()),
            Self::RsaPss { hash, .. } => format!("RSASSA-PSS ({})", hash.name()),
            Self::Ecdsa(hash) => format!("ecdsa-with-{}", hash.name()),
            Self::Refused { name, .. } => name.clone(),
        }
    }
}

/// Keys already loaded, by the SHA-256 of their SubjectPublicKeyInfo: OpenSSL 3 takes about as
/// long to decode a key as to verify a signature with it.
static LOADED_KEYS: Memo<[u8; 32], Result<PKey<Public>, String>> = Memo::new(4096);

/// Loads a SubjectPublicKeyInfo (once per process), refusing keys that cannot give a
/// trustworthy signature.
pub(crate) fn load_public_key(spki_der: &[u8]) -> Result<PKey<Public>, String> {
    LOADED_KEYS.get_or_compute(openssl::sha::sha256(spki_der), || {
        decode_public_key(spki_der)
    })
}

fn decode_public_key(spki_der: &[u8]) -> Result<PKey<Public>, String> {
    named_curve_only(spki_der)?;
    let key = PKey::public_key_from_der(spki_der)
        .map_err(|error| format!("OpenSSL cannot read the key: {error}"))?;
    match key.id() {
        Id::RSA | Id::RSA_PSS if key.bits() < MIN_RSA_BITS => Err(format!(
            "RSA key of {} bits is too weak (at least {MIN_RSA_BITS} required)",
            key.bits()
        )),
        Id::RSA | Id::RSA_PSS => Ok(key),
        Id::EC => {
            let ec = key
                .ec_key()
                .map_err(|error| format!("OpenSSL cannot read the EC key: {error}"))?;
            check_curve(&ec)?;
            Ok(key)
        }
        _ => Err("only RSA and ECDSA keys are supported".into()),
    }
}

/// id-ecPublicKey (RFC 5480 §2.1.1).
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

/// RFC 5480 §2.1.1: an EC key names its curve; implicit or explicit curve parameters are
/// refused, since a key could bring a curve of its own choosing under a familiar name.
pub(crate) fn named_curve_only(spki_der: &[u8]) -> Result<(), String> {
    use der::{Decode, Tag, Tagged};
    let spki = x509_cert::spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|error| format!("malformed subjectPublicKeyInfo: {error}"))?;
    if spki.algorithm.oid.to_string() != OID_EC_PUBLIC_KEY {
        return Ok(());
    }
    match spki.algorithm.parameters {
        Some(parameters) if parameters.tag() == Tag::ObjectIdentifier => Ok(()),
        Some(_) => Err(
            "the EC key has explicit curve parameters; only named curves are accepted (RFC 5480 \
             §2.1.1)"
                .into(),
        ),
        None => Err("the EC key names no curve (RFC 5480 §2.1.1)".into()),
    }
}

fn check_curve(key: &EcKeyRef<Public>) -> Result<(), String> {
    match key.group().curve_name() {
        Some(Nid::X9_62_PRIME256V1 | Nid::SECP384R1 | Nid::SECP521R1) => Ok(()),
        _ => Err("only the P-256, P-384 and P-521 curves are supported".into()),
    }
}

/// Verifies `signature` over `signed_data` with the issuer key.
pub(crate) fn verify(
    algorithm: &SignatureAlgorithm,
    key: &PKey<Public>,
    signed_data: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let key_is_rsa = matches!(key.id(), Id::RSA | Id::RSA_PSS);
    let verified = match algorithm {
        SignatureAlgorithm::Refused { name, reason } => return Err(format!("{name}: {reason}")),
        SignatureAlgorithm::RsaPkcs1(hash) if key.id() == Id::RSA => {
            verify_with(*hash, key, signed_data, signature, |_| Ok(()))
        }
        SignatureAlgorithm::RsaPss {
            hash,
            mgf1_hash,
            salt_length,
        } if key_is_rsa => {
            let salt = i32::try_from(*salt_length)
                .map_err(|_| format!("PSS salt length {salt_length} is out of range"))?;
            verify_with(*hash, key, signed_data, signature, |verifier| {
                verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
                verifier.set_rsa_mgf1_md(mgf1_hash.message_digest())?;
                verifier.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt))
            })
        }
        SignatureAlgorithm::Ecdsa(hash) if key.id() == Id::EC => {
            verify_with(*hash, key, signed_data, signature, |_| Ok(()))
        }
        _ => {
            return Err(format!(
                "the signature algorithm {} does not match the issuer's key type",
                algorithm.name()
            ))
        }
    };
    match verified {
        Ok(true) => Ok(()),
        Ok(false) => Err("the signature does not match the signed data".into()),
        Err(error) => Err(format!("the signature cannot be verified: {error}")),
    }
}

fn verify_with(
    hash: HashAlg,
    key: &PKey<Public>,
    signed_data: &[u8],
    signature: &[u8],
    configure: impl FnOnce(&mut Verifier<'_>) -> Result<(), openssl::error::ErrorStack>,
) -> Result<bool, openssl::error::ErrorStack> {
    let mut verifier = Verifier::new(hash.message_digest(), key)?;
    configure(&mut verifier)?;
    verifier.verify_oneshot(signature, signed_data)
}
