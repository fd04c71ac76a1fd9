//! A key pair generated on the token, and the PKCS#10 request the CA needs to certify it.
//!
//! The private key is made `CKA_SENSITIVE` and not `CKA_EXTRACTABLE`: it never leaves the token;
//! the request is signed on the token with it.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::asn1::{Any, BitString, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey, EcPoint};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, Version};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use super::pool::{find_private_key, find_token, SignMechanism};
use super::{modules, raw_ecdsa_to_der, DeviceError, DeviceKey};

/// DER of the named curve P-256 (`prime256v1`, 1.2.840.10045.3.1.7) for `CKA_EC_PARAMS`.
pub(super) const P256_PARAMS: [u8; 10] =
    [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// ecdsa-with-SHA256 and sha256WithRSAEncryption, the algorithms of the request's signature.
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// The kind of key pair to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256.
    EcP256,
    /// RSA with this modulus size (2048, 3072 or 4096 bits).
    Rsa(u32),
}

/// What generation produced.
#[derive(Debug, Clone)]
pub struct Generated {
    /// `CKA_ID` given to both halves of the pair, hex.
    pub key_id_hex: String,
    /// DER of the PKCS#10 request, signed on the token.
    pub csr_der: Vec<u8>,
}

/// Generates a key pair labelled `device.key_label` on the token `device` names, and a PKCS#10
/// request for `subject` (DER of an X.509 Name) signed with it. Refused when the token already
/// holds a private key with that label.
pub fn generate(
    device: &DeviceKey,
    kind: KeyKind,
    subject_der: &[u8],
) -> Result<Generated, DeviceError> {
    let pin = device.pin()?.read()?;
    generate_with_pin(device, &pin, kind, subject_der)
}

/// [`generate`] with a PIN typed by the person at the terminal (`device.pin_source` unused).
pub fn generate_with_pin(
    device: &DeviceKey,
    pin: &str,
    kind: KeyKind,
    subject_der: &[u8],
) -> Result<Generated, DeviceError> {
    let label = device
        .key_label
        .clone()
        .ok_or_else(|| DeviceError::Key("a key label is needed to generate a key".into()))?;
    let module = modules::module(&device.module)?;
    let slot = find_token(&module, device)?;
    let session = modules::open_rw_session(&module, slot)
        .map_err(|e| DeviceError::Token(format!("opening a session: {e}")))?;
    session
        .login(UserType::User, Some(&AuthPin::from(pin.to_owned())))
        .map_err(|e| DeviceError::Pin(format!("logging in: {e}")))?;
    if find_private_key(&session, device).is_ok() {
        return Err(DeviceError::Key(format!(
            "the {} already holds a key labelled \"{label}\"",
            device.token_name()
        )));
    }
    let mut id = [0u8; 16];
    openssl::rand::rand_bytes(&mut id)
        .map_err(|e| DeviceError::Token(format!("making a key id: {e}")))?;
    let (public, private) = generate_pair(&session, kind, label.as_bytes(), &id)?;
    let spki = public_key_info(&session, public, kind)?;
    let csr_der = signed_request(&session, private, kind, subject_der, &spki)?;
    Ok(Generated {
        key_id_hex: hex::encode(id),
        csr_der,
    })
}

fn generate_pair(
    session: &Session,
    kind: KeyKind,
    label: &[u8],
    id: &[u8],
) -> Result<(ObjectHandle, ObjectHandle), DeviceError> {
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Label(label.to_vec()),
        Attribute::Id(id.to_vec()),
    ];
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Label(label.to_vec()),
        Attribute::Id(id.to_vec()),
    ];
    let mechanism = match kind {
        KeyKind::EcP256 => {
            public.push(Attribute::EcParams(P256_PARAMS.to_vec()));
            Mechanism::EccKeyPairGen
        }
        KeyKind::Rsa(bits) => {
            public.push(Attribute::ModulusBits(u64::from(bits).into()));
            public.push(Attribute::PublicExponent(vec![0x01, 0x00, 0x01]));
            Mechanism::RsaPkcsKeyPairGen
        }
    };
    session
        .generate_key_pair(&mechanism, &public, &private)
        .map_err(|e| DeviceError::Token(format!("generating the key pair: {e}")))
}

/// DER `SubjectPublicKeyInfo` of the generated public key, read from the token.
fn public_key_info(
    session: &Session,
    public: ObjectHandle,
    kind: KeyKind,
) -> Result<Vec<u8>, DeviceError> {
    let failed =
        |e: &dyn std::fmt::Display| DeviceError::Token(format!("reading the public key: {e}"));
    let wanted: &[AttributeType] = match kind {
        KeyKind::EcP256 => &[AttributeType::EcPoint],
        KeyKind::Rsa(_) => &[AttributeType::Modulus, AttributeType::PublicExponent],
    };
    let attributes = session
        .get_attributes(public, wanted)
        .map_err(|e| failed(&e))?;
    let key = match kind {
        KeyKind::EcP256 => {
            let Some(Attribute::EcPoint(point)) = attributes.first() else {
                return Err(failed(&"no CKA_EC_POINT"));
            };
            // CKA_EC_POINT is the DER of an OCTET STRING holding the point.
            let point = OctetString::from_der(point)
                .map(|octets| octets.as_bytes().to_vec())
                .unwrap_or_else(|_| point.clone());
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(|e| failed(&e))?;
            let mut context = BigNumContext::new().map_err(|e| failed(&e))?;
            let point =
                EcPoint::from_bytes(&group, &point, &mut context).map_err(|e| failed(&e))?;
            EcKey::from_public_key(&group, &point)
                .and_then(PKey::from_ec_key)
                .map_err(|e| failed(&e))?
        }
        KeyKind::Rsa(_) => {
            let (Some(Attribute::Modulus(n)), Some(Attribute::PublicExponent(e))) =
                (attributes.first(), attributes.get(1))
            else {
                return Err(failed(&"no modulus or exponent"));
            };
            let n = BigNum::from_slice(n).map_err(|e| failed(&e))?;
            let e = BigNum::from_slice(e).map_err(|e| failed(&e))?;
            Rsa::from_public_components(n, e)
                .and_then(PKey::from_rsa)
                .map_err(|e| failed(&e))?
        }
    };
    key.public_key_to_der().map_err(|e| failed(&e))
}

/// The PKCS#10 request for `spki` and `subject_der`, signed with SHA-256 on the token.
fn signed_request(
    session: &Session,
    private: ObjectHandle,
    kind: KeyKind,
    subject_der: &[u8],
    spki: &[u8],
) -> Result<Vec<u8>, DeviceError> {
    let encoding = |e: der::Error| DeviceError::Key(format!("encoding the request: {e}"));
    let info = CertReqInfo {
        version: Version::V1,
        subject: Name::from_der(subject_der).map_err(encoding)?,
        public_key: SubjectPublicKeyInfoOwned::from_der(spki).map_err(encoding)?,
        attributes: Default::default(),
    };
    let to_be_signed = info.to_der().map_err(encoding)?;
    let digest = motcua_pki::cms::sha256(&to_be_signed);
    let (mechanism, algorithm) = match kind {
        KeyKind::EcP256 => (
            SignMechanism::EcdsaP256,
            AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA256,
                parameters: None,
            },
        ),
        KeyKind::Rsa(_) => (
            SignMechanism::RsaPkcs1v15,
            AlgorithmIdentifierOwned {
                oid: SHA256_WITH_RSA,
                parameters: Some(Any::null()),
            },
        ),
    };
    let (mechanism_value, input) = mechanism.prepare(&digest);
    let raw = session
        .sign(&mechanism_value, private, &input)
        .map_err(|e| DeviceError::Token(format!("signing the request: {e}")))?;
    let signature = match kind {
        KeyKind::EcP256 => raw_ecdsa_to_der(&raw)
            .ok_or_else(|| DeviceError::Token("the token's ECDSA signature is malformed".into()))?,
        KeyKind::Rsa(_) => raw,
    };
    CertReq {
        info,
        algorithm,
        signature: BitString::from_bytes(&signature).map_err(encoding)?,
    }
    .to_der()
    .map_err(encoding)
}
