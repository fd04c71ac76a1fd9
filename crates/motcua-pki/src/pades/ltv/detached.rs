//! CAdES baseline B-T and B-LT (ETSI EN 319 122-1 §6.3) for a detached CMS signature that is
//! not in a PDF, such as a signed receipt: the signature timestamp goes into the signer's
//! unsigned attributes; the certificates and CRLs of the signer and of the timestamping
//! authority go into `SignedData.certificates` and `SignedData.crls`, OCSP answers into a
//! `revocation-values` attribute (RFC 5126 §6.3.4). The signed attributes, and so the
//! signature, do not change.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::revocation::{RevocationInfoChoice, RevocationInfoChoices};
use cms::signed_data::{CertificateSet, SignedData, SignerInfos};
use der::asn1::{ContextSpecific, ObjectIdentifier, SetOfVec};
use der::{Any, Decode, Encode, Tag, TagMode, TagNumber};
use x509_cert::attr::Attribute;
use x509_cert::crl::CertificateList;
use x509_ocsp::OcspResponse;

use super::token::{
    add_signature_timestamp, cms_error, read_signed_data, read_token, signed_data, SIGNED_DATA,
};
use crate::archival::{ArchivalServices, ValidationData};
use crate::error::PkiError;
use crate::pades::SignatureLevel;

/// id-aa-ets-revocationValues (RFC 5126 §6.3.4).
const REVOCATION_VALUES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.24");
/// Most items of validation data added to one signature.
const MAX_VALIDATION_ITEMS: usize = 256;

/// Raises the detached CMS signature `cms` (a DER ContentInfo with one signer) to `level`:
/// B-T adds the signature timestamp (unless it has one), B-LT also the validation data of the
/// signer and of the timestamp's authority. B-LTA needs archive timestamps, which motcua makes
/// only in PDFs (document timestamps): it is refused.
pub async fn extend_detached(
    cms: Vec<u8>,
    level: SignatureLevel,
    services: &impl ArchivalServices,
) -> Result<Vec<u8>, PkiError> {
    match level {
        SignatureLevel::BaselineB => return Ok(cms),
        SignatureLevel::BaselineLta => {
            return Err(PkiError::CannotExtend(
                "B-LTA is made for PDF documents only; a detached signature reaches B-LT at most"
                    .into(),
            ))
        }
        SignatureLevel::BaselineT | SignatureLevel::BaselineLt => {}
    }
    let signed = read_signed_data(&cms)?;
    let cms = match &signed.signature_timestamp {
        Some(_) => cms,
        None => {
            let imprint = openssl::sha::sha256(&signed.signature_value);
            let token = services.timestamp(imprint).await?;
            if read_token(&token)?.imprint != imprint {
                return Err(PkiError::CannotExtend(
                    "the timestamping authority stamped another signature value".into(),
                ));
            }
            add_signature_timestamp(&cms, &token)?
        }
    };
    if level == SignatureLevel::BaselineT {
        return Ok(cms);
    }
    let data = validation_data_of(&cms, services).await?;
    add_validation_data(&cms, &data)
}

/// The certificates and revocation data of the signer of `cms` and of its timestamp's
/// authority.
async fn validation_data_of(
    cms: &[u8],
    services: &impl ArchivalServices,
) -> Result<ValidationData, PkiError> {
    let signed = read_signed_data(cms)?;
    let mut data = services
        .validation_data(&signed.signer, &signed.others)
        .await?;
    if let Some(token) = &signed.signature_timestamp {
        let authority = read_token(token)?.signed;
        data.merge(
            services
                .validation_data(&authority.signer, &authority.others)
                .await?,
        );
    }
    Ok(data)
}

/// `cms` with `data` added: certificates it does not carry yet, CRLs, and OCSP answers.
fn add_validation_data(cms: &[u8], data: &ValidationData) -> Result<Vec<u8>, PkiError> {
    let items = data.certificates.len() + data.crls.len() + data.ocsp_responses.len();
    if items > MAX_VALIDATION_ITEMS {
        return Err(PkiError::CannotExtend(format!(
            "{items} items of validation data for one signature; at most \
             {MAX_VALIDATION_ITEMS} are embedded"
        )));
    }
    let mut signed_data = signed_data(cms)?;
    add_certificates(&mut signed_data, &data.certificates)?;
    add_crls(&mut signed_data, &data.crls)?;
    if !data.ocsp_responses.is_empty() {
        add_ocsp_responses(&mut signed_data, &data.ocsp_responses)?;
    }
    let content_info = ContentInfo {
        content_type: SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(cms_error)?,
    };
    content_info.to_der().map_err(cms_error)
}

fn add_certificates(
    signed_data: &mut SignedData,
    certificates: &[Vec<u8>],
) -> Result<(), PkiError> {
    let mut set = signed_data
        .certificates
        .take()
        .map_or_else(SetOfVec::new, |set| set.0);
    for der in certificates {
        let certificate = x509_cert::Certificate::from_der(der).map_err(cms_error)?;
        let choice = CertificateChoices::Certificate(certificate);
        if !set.iter().any(|held| *held == choice) {
            set.insert(choice).map_err(cms_error)?;
        }
    }
    signed_data.certificates = Some(CertificateSet(set));
    Ok(())
}

fn add_crls(signed_data: &mut SignedData, crls: &[Vec<u8>]) -> Result<(), PkiError> {
    if crls.is_empty() {
        return Ok(());
    }
    let mut set = signed_data
        .crls
        .take()
        .map_or_else(SetOfVec::new, |set| set.0);
    for der in crls {
        let choice = RevocationInfoChoice::Crl(CertificateList::from_der(der).map_err(cms_error)?);
        if !set.iter().any(|held| *held == choice) {
            set.insert(choice).map_err(cms_error)?;
        }
    }
    signed_data.crls = Some(RevocationInfoChoices(set));
    Ok(())
}

/// OCSP answers as the `ocspVals` of a `revocation-values` unsigned attribute:
/// `RevocationValues ::= SEQUENCE { crlVals [0] …, ocspVals [1] SEQUENCE OF BasicOCSPResponse
/// OPTIONAL, … }`, explicitly tagged.
fn add_ocsp_responses(signed_data: &mut SignedData, responses: &[Vec<u8>]) -> Result<(), PkiError> {
    let mut basic = Vec::with_capacity(responses.len());
    for der in responses {
        let response = OcspResponse::from_der(der).map_err(cms_error)?;
        let bytes = response
            .response_bytes
            .ok_or_else(|| cms_error("an OCSP answer without a response"))?;
        basic.push(Any::from_der(bytes.response.as_bytes()).map_err(cms_error)?);
    }
    let ocsp_vals = ContextSpecific {
        tag_number: TagNumber::N1,
        tag_mode: TagMode::Explicit,
        value: basic,
    };
    let values =
        Any::new(Tag::Sequence, ocsp_vals.to_der().map_err(cms_error)?).map_err(cms_error)?;
    let attribute = Attribute {
        oid: REVOCATION_VALUES,
        values: SetOfVec::try_from(vec![values]).map_err(cms_error)?,
    };
    let mut signer_infos = signed_data.signer_infos.0.clone().into_vec();
    let signer_info = signer_infos
        .first_mut()
        .ok_or_else(|| cms_error("a SignedData without signer"))?;
    let mut unsigned = signer_info.unsigned_attrs.take().unwrap_or_default();
    if unsigned.iter().any(|held| held.oid == REVOCATION_VALUES) {
        return Err(PkiError::CannotExtend(
            "the signature already carries revocation values".into(),
        ));
    }
    unsigned.insert(attribute).map_err(cms_error)?;
    signer_info.unsigned_attrs = Some(unsigned);
    signed_data.signer_infos = SignerInfos::try_from(signer_infos).map_err(cms_error)?;
    Ok(())
}
