//! A document timestamp (ETSI EN 319 142-1 §5.4.3): a field whose `/DocTimeStamp` value holds
//! an RFC 3161 token over the SHA-256 of its byte ranges.

use chrono::Utc;

use super::super::sign::{
    append_field_with_hole, fill_contents, signed_digest, FieldValue, PdfSignatureOptions,
};
use super::token::read_token;
use crate::archival::ArchivalServices;
use crate::error::PkiError;

/// Bytes reserved for the token: a token with a chain of three RSA 4096 certificates fits.
const DOCUMENT_TIMESTAMP_RESERVED: usize = 16 * 1024;

/// `pdf` with a document timestamp appended.
pub(super) async fn append_document_timestamp(
    pdf: &[u8],
    services: &impl ArchivalServices,
) -> Result<Vec<u8>, PkiError> {
    // The time is not written: the token holds it.
    let mut options = PdfSignatureOptions::new(Utc::now());
    options.reserved_bytes = DOCUMENT_TIMESTAMP_RESERVED;
    let (mut output, byte_range) =
        append_field_with_hole(pdf, &options, FieldValue::DocumentTimestamp)?;
    let digest = signed_digest(&output, byte_range)?;
    let token = services.timestamp(digest).await?;
    let info = read_token(&token)?;
    if info.imprint != digest {
        return Err(PkiError::CannotExtend(
            "the timestamping authority stamped another document digest".into(),
        ));
    }
    fill_contents(&mut output, byte_range, &token)?;
    Ok(output)
}
