//! PAdES baseline B-T, B-LT and B-LTA (ETSI EN 319 142-1 §6.3) on a signed document:
//!
//! - B-T: the signature timestamp (RFC 3161) over the signature value, added to the CMS's
//!   unsigned attributes in the `/Contents` hole, whose byte range does not change;
//! - B-LT: an incremental update with a `/DSS` holding the certificates and revocation data of
//!   the signer and of the timestamping authority;
//! - B-LTA: then a document timestamp over the whole file.
//!
//! [`renew_archive_timestamp`] keeps a B-LTA document verifiable when its newest timestamp's
//! authority certificate nears its end: the validation data of that authority, then a new
//! document timestamp over everything.

mod detached;
mod document_timestamp;
mod dss;
mod found;
mod renewal;
mod token;

use chrono::{DateTime, Utc};

pub use self::detached::extend_detached;

use self::document_timestamp::append_document_timestamp;
use self::dss::{append_dss, vri_keys, DssEntry};
use self::found::{rewrite_hole, signatures, FoundSignature};
pub use self::renewal::{renewal_need, RenewalNeed};
use self::token::{add_signature_timestamp, read_signed_data, read_token};
use super::request::SignatureLevel;
use crate::archival::{ArchivalServices, ValidationData};
use crate::error::PkiError;
use crate::signature::HashAlg;

/// The newest document timestamp of a document: what decides when it needs renewing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentTimestampInfo {
    /// When the authority stamped the document.
    pub generation_time: DateTime<Utc>,
    /// The end of the authority certificate's validity: renew before it.
    pub tsa_certificate_not_after: DateTime<Utc>,
    /// The hash of the imprint; `None` when it is not SHA-2 (renew with SHA-256).
    pub hash_algorithm: Option<HashAlg>,
    /// Its object identifier, dotted.
    pub hash_algorithm_oid: String,
}

/// The newest document timestamp of `pdf`, if any; reads the file only.
pub fn newest_document_timestamp(pdf: &[u8]) -> Result<Option<DocumentTimestampInfo>, PkiError> {
    newest_of(&signatures(pdf)?)
}

/// The newest document timestamp among `found` (in the order they were added).
fn newest_of(found: &[FoundSignature]) -> Result<Option<DocumentTimestampInfo>, PkiError> {
    let Some(newest) = found.iter().rev().find(|found| found.document_timestamp) else {
        return Ok(None);
    };
    let token = read_token(&newest.cms)?;
    Ok(Some(DocumentTimestampInfo {
        generation_time: token.generation_time,
        tsa_certificate_not_after: token.signed.signer.info().not_after,
        hash_algorithm: token.hash_algorithm(),
        hash_algorithm_oid: token.hash_algorithm_oid,
    }))
}

/// Raises the last signature of `pdf` (not a document timestamp) to `level`. A level it
/// already has is not added again; B-B returns the document as it is.
pub(super) async fn extend_pdf(
    pdf: Vec<u8>,
    level: SignatureLevel,
    services: &impl ArchivalServices,
) -> Result<Vec<u8>, PkiError> {
    if level == SignatureLevel::BaselineB {
        return Ok(pdf);
    }
    let last = signatures(&pdf)?
        .into_iter()
        .rev()
        .find(|found| !found.document_timestamp)
        .ok_or_else(|| PkiError::CannotExtend("the document has no signature".into()))?;
    let (pdf, last) = add_timestamp(pdf, last, services).await?;
    if level == SignatureLevel::BaselineT {
        return Ok(pdf);
    }
    // The authority of the signature timestamp signs the document timestamp too: its data is
    // in the store before that timestamp is made.
    let entry = validation_data_of(&last, services).await?;
    let pdf = append_dss(&pdf, &[entry])?;
    if level == SignatureLevel::BaselineLt {
        return Ok(pdf);
    }
    append_document_timestamp(&pdf, services).await
}

/// B-T: the signature timestamp in the hole of `last`, unless it has one.
async fn add_timestamp(
    mut pdf: Vec<u8>,
    mut last: FoundSignature,
    services: &impl ArchivalServices,
) -> Result<(Vec<u8>, FoundSignature), PkiError> {
    let signed = read_signed_data(&last.cms)?;
    if signed.signature_timestamp.is_some() {
        return Ok((pdf, last));
    }
    if last.revision_end() != pdf.len() {
        return Err(PkiError::CannotExtend(
            "later revisions follow the signature: its timestamp goes into its /Contents, which \
             those revisions cover, so it must be added before them"
                .into(),
        ));
    }
    let imprint = openssl::sha::sha256(&signed.signature_value);
    let token = services.timestamp(imprint).await?;
    if read_token(&token)?.imprint != imprint {
        return Err(PkiError::CannotExtend(
            "the timestamping authority stamped another signature value".into(),
        ));
    }
    let extended = add_signature_timestamp(&last.cms, &token)?;
    rewrite_hole(&mut pdf, &mut last, extended)?;
    Ok((pdf, last))
}

/// The validation data of a signature (its signer, and the authority of its timestamp) or of
/// a document timestamp (its authority), under the signature's `/VRI` key.
async fn validation_data_of(
    found: &FoundSignature,
    services: &impl ArchivalServices,
) -> Result<DssEntry, PkiError> {
    let mut data = ValidationData::default();
    let signed = if found.document_timestamp {
        read_token(&found.cms)?.signed
    } else {
        read_signed_data(&found.cms)?
    };
    data.merge(
        services
            .validation_data(&signed.signer, &signed.others)
            .await?,
    );
    if let Some(token) = &signed.signature_timestamp {
        let authority = read_token(token)?.signed;
        data.merge(
            services
                .validation_data(&authority.signer, &authority.others)
                .await?,
        );
    }
    Ok(DssEntry {
        vri_key: found.vri_key(),
        data,
    })
}

/// Renews the archive timestamp of `pdf`: a store update with fresh validation data for the
/// newest document timestamp's authority (and for any signature or timestamp the store has no
/// entry for), then a new document timestamp over the whole file.
pub async fn renew_archive_timestamp(
    pdf: &[u8],
    services: &impl ArchivalServices,
) -> Result<Vec<u8>, PkiError> {
    let found = signatures(pdf)?;
    if found.is_empty() {
        return Err(PkiError::CannotExtend(
            "the document has no signature to keep".into(),
        ));
    }
    let known = vri_keys(pdf)?;
    let newest = found.iter().rposition(|found| found.document_timestamp);
    let mut entries = Vec::new();
    for (index, signature) in found.iter().enumerate() {
        if Some(index) == newest || !known.contains(&signature.vri_key()) {
            entries.push(validation_data_of(signature, services).await?);
        }
    }
    let pdf = if entries.is_empty() {
        pdf.to_vec()
    } else {
        append_dss(pdf, &entries)?
    };
    append_document_timestamp(&pdf, services).await
}
