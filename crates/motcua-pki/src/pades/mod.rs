//! PAdES baseline B-B signatures (ETSI EN 319 142-1) on PDF documents.
//!
//! A signature is added as an incremental update, so earlier signatures stay valid: a new
//! signature field (invisible widget on a page) in the AcroForm, and a `/Sig` dictionary with
//! `/Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached`, the claimed signing time in `/M`,
//! and a `/ByteRange` covering the whole file except the `/Contents` hole that receives the CMS
//! (without signing-time attribute, as PAdES requires).
//!
//! Signing works in two steps like [`cms`](crate::cms): [`prepare_pdf`] writes the update with a
//! zero-filled `/Contents` and returns the bytes the signer must sign; [`assemble_pdf`] checks
//! the signature and fills the hole. [`sign_pdf`] does both with a [`Signer`].
//!
//! [`SignatureRequest`] is what services use: the level, appearance, reason and chain of a
//! signature in one place. Above B-B (B-T, B-LT, B-LTA), the signature is then extended with
//! a timestamp, a `/DSS` and a document timestamp from the
//! [`ArchivalServices`](crate::archival::ArchivalServices); [`renew_archive_timestamp`] adds
//! the next document timestamp, and [`newest_document_timestamp`] says when it is due.
//!
//! [`verification_qr`] adds the verification QR code (the public URL with the document's
//! SHA-256) to an unsigned document, before its first signature; [`has_revision_with_sha256`]
//! finds that hash again among the revisions of the signed file.
//!
//! [`verify_pdf`] checks every signature of a document: its byte range, then the CMS as
//! [`verify_detached`](crate::cms::verify_detached) does, then what later revisions changed.
//! [`verify_pdf_with`] does the same within the limits of [`VerifyOptions`]: a number of
//! signatures and a [`Budget`](crate::Budget) of time that another thread can cancel.
//!
//! [`Signer`]: crate::cms::Signer

mod attachments;
mod changes;
mod fields;
mod image;
mod ltv;
mod qr;
mod request;
mod serialize;
mod sign;
mod source;
mod verify;

pub use attachments::{embedded_files, EmbeddedFile};
pub use changes::{Modification, ModificationKind};
pub use image::{
    sample_seal_png, sample_signature_png, AppearanceImage, ImageError, MAX_IMAGE_SIDE,
};
pub use ltv::{
    extend_detached, newest_document_timestamp, renew_archive_timestamp, renewal_need,
    DocumentTimestampInfo, RenewalNeed,
};
pub use qr::{
    has_revision_with_sha256, verification_qr, QrModules, VerificationQr, MAX_REVISIONS_EXAMINED,
    QR_QUIET_ZONE,
};
pub use request::{PendingSignature, SignatureLevel, SignatureRequest};
pub use sign::{
    assemble_pdf, prepare_pdf, sign_pdf, FieldFill, PdfSignatureOptions, PreparedPdf,
    SignatureAppearance, SignatureLock, SignatureMark,
};
pub use verify::{
    verify_pdf, verify_pdf_with, ChangesAfter, PdfSignatureKind, PdfSignatureReport, VerifyOptions,
    DEFAULT_MAX_SIGNATURES, DEFAULT_VERIFY_BUDGET,
};

use crate::error::PkiError;

/// Why a PDF could not be used.
pub(crate) fn invalid(reason: impl std::fmt::Display) -> PkiError {
    PkiError::InvalidPdf(reason.to_string())
}
