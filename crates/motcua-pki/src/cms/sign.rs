//! Making a signature: [`prepare`] the signed attributes, have them signed, [`assemble`] the
//! SignedData.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use openssl::ecdsa::EcdsaSig;
use openssl::error::ErrorStack;
use openssl::md::Md;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::sign::RsaPssSaltlen;
use serde::{Deserialize, Serialize};

use super::{attributes, oid};
use crate::der;
use crate::error::PkiError;
use crate::parse::Certificate;
use crate::signature::{self, HashAlg, SignatureAlgorithm};

/// The first step of a signature: what the signer's key must sign.
///
/// Keep it on the server between the two steps; only `to_be_signed` goes to the signer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    /// DER of the `SET OF` signed attributes. The signer signs these bytes with SHA-256 and its
    /// key (RSA with [`rsa_padding`](Self::rsa_padding), or ECDSA), hashing them itself as a normal signing call does.
    pub to_be_signed: Vec<u8>,
    /// SHA-256 of `to_be_signed`, for signers that only accept a pre-computed hash.
    pub to_be_signed_digest: Vec<u8>,
    /// The time given to [`prepare`] (also the PDF signature's `/M`).
    pub signing_time: DateTime<Utc>,
    /// Whether `signing_time` is a signed attribute.
    pub with_signing_time: bool,
    /// SHA-256 of the DER of the certificate the attributes designate, hex.
    pub signer_fingerprint_sha256: String,
    /// How an RSA key must sign (ignored for ECDSA keys); PKCS#1 v1.5 for sessions stored
    /// before the choice existed.
    #[serde(default)]
    pub rsa_padding: RsaPadding,
}

/// The RSA signature scheme: PKCS#1 v1.5, or RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a
/// 32-byte salt (RFC 4055, the parameters recommended for SHA-256).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RsaPadding {
    /// RSASSA-PKCS1-v1_5 (`sha256WithRSAEncryption`).
    #[default]
    Pkcs1v15,
    /// RSASSA-PSS (`id-RSASSA-PSS`).
    Pss,
}

/// Salt length of the PSS signatures made here: the length of SHA-256.
const PSS_SALT_LENGTH: u8 = 32;

/// Something that signs with the private key of a certificate: an in-process key
/// ([`KeySigner`]), later an HSM or PKCS#11 token.
pub trait Signer {
    /// The signer's certificate.
    fn certificate(&self) -> &Certificate;

    /// Signs `to_be_signed` with SHA-256: RSA with [`rsa_padding`](Self::rsa_padding), or ECDSA
    /// (DER `ECDSA-Sig-Value`, or the raw `r || s` that PKCS#11 tokens return).
    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, PkiError>;

    /// The RSA scheme [`sign`](Self::sign) uses; PKCS#1 v1.5 unless the signer says otherwise.
    fn rsa_padding(&self) -> RsaPadding {
        RsaPadding::Pkcs1v15
    }

    /// Whether every signature [`sign`](Self::sign) returns is known to verify with the
    /// certificate's key, so that assembling need not check it again. Signers outside the
    /// process (tokens, HSMs) keep the default, and their signatures are checked.
    fn signatures_known_valid(&self) -> bool {
        false
    }
}

/// A [`Signer`] holding a private key in memory, loaded once.
#[derive(Debug, Clone)]
pub struct KeySigner {
    key: PKey<Private>,
    /// Identifies the key among this thread's copies (see [`THREAD_KEYS`]).
    key_id: u64,
    certificate: Certificate,
    chain: Vec<Certificate>,
    rsa_padding: RsaPadding,
}

impl KeySigner {
    /// Pairs a key with its certificate; refuses a key that is not the certificate's.
    pub fn new(key: PKey<Private>, certificate: Certificate) -> Result<Self, PkiError> {
        let public = public_key(&certificate)?;
        // The certificate's key names its curve; a private key given with explicit parameters
        // is refused too, whatever its point.
        let key_spki = key
            .public_key_to_der()
            .map_err(PkiError::crypto("encoding the public part of the key"))?;
        crate::signature::named_curve_only(&key_spki).map_err(PkiError::SignatureRefused)?;
        if !key.public_eq(public) {
            return Err(PkiError::SignatureRefused(format!(
                "the private key does not belong to {}",
                certificate.info().subject.text
            )));
        }
        Ok(Self {
            key,
            key_id: NEXT_KEY_ID.fetch_add(1, Ordering::Relaxed),
            certificate,
            chain: Vec::new(),
            rsa_padding: RsaPadding::Pkcs1v15,
        })
    }

    /// The same key signing with RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt); refused for
    /// a key that is not RSA.
    pub fn with_pss(mut self) -> Result<Self, PkiError> {
        if self.key.id() != Id::RSA {
            return Err(PkiError::SignatureRefused(
                "only RSA keys can sign with RSASSA-PSS".into(),
            ));
        }
        self.rsa_padding = RsaPadding::Pss;
        // Another padding, so other signing contexts.
        self.key_id = NEXT_KEY_ID.fetch_add(1, Ordering::Relaxed);
        Ok(self)
    }

    /// Loads a PKCS#12 file (`.p12`, `.pfx`): its key, its certificate and the CA certificates
    /// it carries, available through [`chain`](Self::chain).
    pub fn from_pkcs12(der_bytes: &[u8], password: &str) -> Result<Self, PkiError> {
        let parsed = Pkcs12::from_der(der_bytes)
            .and_then(|pkcs12| pkcs12.parse2(password))
            .map_err(PkiError::crypto("reading the PKCS#12 file"))?;
        let missing = |what: &str| PkiError::SignatureRefused(format!("the PKCS#12 has no {what}"));
        let key = parsed.pkey.ok_or_else(|| missing("private key"))?;
        let certificate = parsed.cert.ok_or_else(|| missing("certificate"))?;
        let certificate_der = certificate
            .to_der()
            .map_err(PkiError::crypto("encoding the PKCS#12 certificate"))?;
        let mut signer = Self::new(key, Certificate::from_der(&certificate_der)?)?;
        for authority in parsed.ca.into_iter().flatten() {
            let authority_der = authority
                .to_der()
                .map_err(PkiError::crypto("encoding a PKCS#12 CA certificate"))?;
            signer.chain.push(Certificate::from_der(&authority_der)?);
        }
        Ok(signer)
    }

    /// CA certificates that came with the key (from a PKCS#12 file).
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
}

/// Most keys one thread keeps ready; the oldest goes first.
const MAX_THREAD_KEYS: usize = 16;

static NEXT_KEY_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's signing contexts for in-process keys, each over its own copy of the key.
    /// OpenSSL blinds every RSA operation with factors kept in the key, for the thread that
    /// made them; other threads share a second set under a lock, which cost about 8 % of the
    /// signing throughput on two cores. A context made once also spares the algorithm lookups
    /// of setting one up for every signature.
    static THREAD_KEYS: RefCell<Vec<(u64, PkeyCtx<Private>)>> = const { RefCell::new(Vec::new()) };
}

impl KeySigner {
    /// Signs the SHA-256 `digest` with this thread's context for the key, made on first use.
    fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, ErrorStack> {
        THREAD_KEYS.with_borrow_mut(|contexts| {
            let index = match contexts.iter().position(|(id, _)| *id == self.key_id) {
                Some(index) => index,
                None => {
                    if contexts.len() >= MAX_THREAD_KEYS {
                        contexts.remove(0);
                    }
                    contexts.push((self.key_id, self.signing_context()?));
                    contexts.len() - 1
                }
            };
            let mut signature = Vec::new();
            contexts[index].1.sign_to_vec(digest, &mut signature)?;
            Ok(signature)
        })
    }

    /// A context signing SHA-256 digests with a copy of the key (the key itself if it cannot be
    /// copied) and the signer's padding.
    fn signing_context(&self) -> Result<PkeyCtx<Private>, ErrorStack> {
        let key = self
            .key
            .private_key_to_der()
            .and_then(|der| PKey::private_key_from_der(&der))
            .unwrap_or_else(|_| self.key.clone());
        let mut context = PkeyCtx::new(&key)?;
        context.sign_init()?;
        if key.id() == Id::RSA {
            context.set_signature_md(Md::sha256())?;
            if self.rsa_padding == RsaPadding::Pss {
                context.set_rsa_padding(Padding::PKCS1_PSS)?;
                context.set_rsa_mgf1_md(Md::sha256())?;
                context.set_rsa_pss_saltlen(RsaPssSaltlen::custom(i32::from(PSS_SALT_LENGTH)))?;
            } else {
                context.set_rsa_padding(Padding::PKCS1)?;
            }
        }
        Ok(context)
    }
}

impl Signer for KeySigner {
    fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, PkiError> {
        // RSA keys sign with the signer's padding; ECDSA signatures come out DER-encoded.
        self.sign_digest(&super::sha256(to_be_signed))
            .map_err(PkiError::crypto("signing"))
    }

    fn rsa_padding(&self) -> RsaPadding {
        self.rsa_padding
    }

    /// The key was matched with the certificate in [`KeySigner::new`], and OpenSSL checks each
    /// RSA-CRT result itself before returning it (a faulty one would leak the key); checking
    /// again would add a public-key operation to every signature.
    fn signatures_known_valid(&self) -> bool {
        true
    }
}

fn public_key(certificate: &Certificate) -> Result<&PKey<Public>, PkiError> {
    certificate
        .public_key()
        .map_err(|reason| PkiError::UnsupportedKey {
            subject: certificate.info().subject.text.clone(),
            reason: reason.to_owned(),
        })
}

/// First step: the signed attributes for content whose SHA-256 is `content_digest`, designating
/// `signer_certificate`. `signing_time` becomes a signed attribute only when
/// `with_signing_time` (plain CMS); PAdES leaves it out and puts the time in the PDF instead.
/// An RSA key signs with PKCS#1 v1.5; see [`prepare_with_padding`] for PSS.
pub fn prepare(
    content_digest: &[u8],
    signer_certificate: &Certificate,
    signing_time: DateTime<Utc>,
    with_signing_time: bool,
) -> Result<Prepared, PkiError> {
    prepare_with_padding(
        content_digest,
        signer_certificate,
        signing_time,
        with_signing_time,
        RsaPadding::Pkcs1v15,
    )
}

/// [`prepare`] for a signer whose RSA key signs with `rsa_padding`: step 2 then accepts only a
/// signature made that way and names that algorithm in the SignerInfo. PSS with an ECDSA key is
/// refused.
pub fn prepare_with_padding(
    content_digest: &[u8],
    signer_certificate: &Certificate,
    signing_time: DateTime<Utc>,
    with_signing_time: bool,
    rsa_padding: RsaPadding,
) -> Result<Prepared, PkiError> {
    if content_digest.len() != 32 {
        return Err(PkiError::SignatureRefused(format!(
            "the content digest must be SHA-256 (32 bytes), got {} bytes",
            content_digest.len()
        )));
    }
    // Fails early for keys that could not be verified at assembly.
    signature_scheme(public_key(signer_certificate)?, rsa_padding)?;
    let to_be_signed = attributes::build(
        content_digest,
        signer_certificate,
        with_signing_time.then_some(signing_time),
    )?;
    Ok(Prepared {
        to_be_signed_digest: super::sha256(&to_be_signed).to_vec(),
        to_be_signed,
        signing_time,
        with_signing_time,
        signer_fingerprint_sha256: signer_certificate.info().fingerprint_sha256.clone(),
        rsa_padding,
    })
}

/// Second step: checks that `raw_signature` verifies over `prepared.to_be_signed` with the key
/// of `signer_certificate` (the one it was prepared for), then returns the DER ContentInfo of a
/// detached SignedData carrying the signer certificate and `chain`.
pub fn assemble(
    prepared: &Prepared,
    raw_signature: &[u8],
    signer_certificate: &Certificate,
    chain: &[Certificate],
) -> Result<Vec<u8>, PkiError> {
    let info = signer_certificate.info();
    if !info
        .fingerprint_sha256
        .eq_ignore_ascii_case(&prepared.signer_fingerprint_sha256)
    {
        return Err(PkiError::SignatureRefused(format!(
            "the signature was prepared for another certificate than {}",
            info.subject.text
        )));
    }
    let key = public_key(signer_certificate)?;
    let (algorithm, _) = signature_scheme(key, prepared.rsa_padding)?;
    let signature = normalise_ecdsa(key, raw_signature);
    signature::verify(&algorithm, key, &prepared.to_be_signed, &signature).map_err(|reason| {
        PkiError::SignatureRefused(format!(
            "it does not verify with the key of {}: {reason}",
            info.subject.text
        ))
    })?;
    signed_data(prepared, &signature, signer_certificate, chain)
}

/// [`assemble`] for a signature `signer` just made, checked unless the signer's signatures are
/// [known to be valid](Signer::signatures_known_valid).
pub(crate) fn assemble_from(
    signer: &dyn Signer,
    prepared: &Prepared,
    raw_signature: &[u8],
    chain: &[Certificate],
) -> Result<Vec<u8>, PkiError> {
    let certificate = signer.certificate();
    if !signer.signatures_known_valid() {
        return assemble(prepared, raw_signature, certificate, chain);
    }
    let signature = normalise_ecdsa(public_key(certificate)?, raw_signature);
    signed_data(prepared, &signature, certificate, chain)
}

/// The DER ContentInfo of a detached SignedData with `signature` over the prepared attributes.
fn signed_data(
    prepared: &Prepared,
    signature: &[u8],
    signer_certificate: &Certificate,
    chain: &[Certificate],
) -> Result<Vec<u8>, PkiError> {
    let key = public_key(signer_certificate)?;
    let (_, algorithm_der) = signature_scheme(key, prepared.rsa_padding)?;
    let attributes = der::elements(&prepared.to_be_signed)?;
    let signed_attributes = match attributes.as_slice() {
        [set] if set.tag == der::TAG_SET => der::tlv(der::context(0, true), set.content),
        _ => {
            return Err(PkiError::SignatureRefused(
                "the prepared data is not a SET OF attributes".into(),
            ))
        }
    };
    let version = der::tlv(der::TAG_INTEGER, &[1]);
    let digest_algorithm = der::sequence(&[der::oid(oid::SHA256)?]);
    let signer_id = der::sequence(&[
        signer_certificate.issuer_der.clone(),
        der::unsigned_integer(&signer_certificate.serial),
    ]);
    let signer_info = der::sequence(&[
        version.clone(),
        signer_id,
        digest_algorithm.clone(),
        signed_attributes,
        algorithm_der,
        der::octet_string(signature),
    ]);
    let mut certificates = vec![signer_certificate.der().to_vec()];
    certificates.extend(chain.iter().map(|certificate| certificate.der().to_vec()));
    certificates.sort();
    certificates.dedup();
    let signed_data = der::sequence(&[
        version,
        der::set(&[digest_algorithm]),
        der::sequence(&[der::oid(oid::DATA)?]),
        der::tlv(der::context(0, true), &certificates.concat()),
        der::set(&[signer_info]),
    ]);
    Ok(der::sequence(&[
        der::oid(oid::SIGNED_DATA)?,
        der::tlv(der::context(0, true), &signed_data),
    ]))
}

/// Both steps with a [`Signer`]: a detached CAdES-B-B signature of `content`.
pub fn sign_detached(
    content: &[u8],
    signer: &dyn Signer,
    chain: &[Certificate],
    signing_time: DateTime<Utc>,
    with_signing_time: bool,
) -> Result<Vec<u8>, PkiError> {
    let certificate = signer.certificate();
    let prepared = prepare_with_padding(
        &super::sha256(content),
        certificate,
        signing_time,
        with_signing_time,
        signer.rsa_padding(),
    )?;
    let raw_signature = signer.sign(&prepared.to_be_signed)?;
    assemble_from(signer, &prepared, &raw_signature, chain)
}

/// The signature scheme for a key and its AlgorithmIdentifier DER.
pub(crate) fn signature_scheme(
    key: &PKey<Public>,
    rsa_padding: RsaPadding,
) -> Result<(SignatureAlgorithm, Vec<u8>), PkiError> {
    match (key.id(), rsa_padding) {
        (Id::RSA, RsaPadding::Pss) => Ok((
            SignatureAlgorithm::RsaPss {
                hash: HashAlg::Sha256,
                mgf1_hash: HashAlg::Sha256,
                salt_length: u32::from(PSS_SALT_LENGTH),
            },
            pss_algorithm_identifier()?,
        )),
        (Id::RSA, RsaPadding::Pkcs1v15) => Ok((
            SignatureAlgorithm::RsaPkcs1(HashAlg::Sha256),
            // RFC 4055 §5: the parameters of sha256WithRSAEncryption are NULL.
            der::sequence(&[der::oid(oid::SHA256_WITH_RSA)?, der::null()]),
        )),
        (Id::EC, RsaPadding::Pkcs1v15) => Ok((
            SignatureAlgorithm::Ecdsa(HashAlg::Sha256),
            // RFC 5758 §3.2: ecdsa-with-SHA256 has no parameters.
            der::sequence(&[der::oid(oid::ECDSA_WITH_SHA256)?]),
        )),
        (Id::EC, RsaPadding::Pss) => Err(PkiError::SignatureRefused(
            "RSASSA-PSS needs an RSA key, not an ECDSA one".into(),
        )),
        _ => Err(PkiError::SignatureRefused(
            "only RSA and ECDSA keys can sign".into(),
        )),
    }
}

/// `id-RSASSA-PSS` with RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm SHA-256 [0],
/// maskGenAlgorithm MGF1 with SHA-256 [1], saltLength 32 [2]; trailerField is the default 1 and
/// left out, as DER requires.
fn pss_algorithm_identifier() -> Result<Vec<u8>, PkiError> {
    let hash = der::sequence(&[der::oid(oid::SHA256)?, der::null()]);
    let mask = der::sequence(&[der::oid(oid::MGF1)?, hash.clone()]);
    let params = der::sequence(&[
        der::tlv(der::context(0, true), &hash),
        der::tlv(der::context(1, true), &mask),
        der::tlv(
            der::context(2, true),
            &der::tlv(der::TAG_INTEGER, &[PSS_SALT_LENGTH]),
        ),
    ]);
    Ok(der::sequence(&[der::oid(oid::RSASSA_PSS)?, params]))
}

/// PKCS#11 tokens return ECDSA signatures as `r || s`; CMS needs the DER `ECDSA-Sig-Value`.
/// A signature that already parses as DER, or does not have the raw length, is left as is.
fn normalise_ecdsa(key: &PKey<Public>, raw: &[u8]) -> Vec<u8> {
    if key.id() != Id::EC || EcdsaSig::from_der(raw).is_ok() {
        return raw.to_vec();
    }
    let field_bytes = key
        .ec_key()
        .ok()
        .and_then(|ec| ec.group().order_bits().try_into().ok())
        .map(|bits: usize| bits.div_ceil(8));
    let converted = field_bytes
        .filter(|&size| raw.len() == size * 2)
        .and_then(|size| {
            let (r, s) = raw.split_at(size);
            let r = openssl::bn::BigNum::from_slice(r).ok()?;
            let s = openssl::bn::BigNum::from_slice(s).ok()?;
            EcdsaSig::from_private_components(r, s).ok()?.to_der().ok()
        });
    converted.unwrap_or_else(|| raw.to_vec())
}
