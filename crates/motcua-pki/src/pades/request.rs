//! The one place a service says what signature it wants on a PDF: the level, where it shows,
//! why and where it was made, and the CA certificates it carries. Handlers build a
//! [`SignatureRequest`] and sign in one step ([`SignatureRequest::sign`]) or two
//! ([`SignatureRequest::prepare`], then [`PendingSignature::assemble`]); a new signature level
//! (B-T, B-LT, B-LTA) changes this module, not the handlers.
//!
//! Above B-B, the signature is made as B-B first ([`SignatureRequest::sign`] or the two steps),
//! then raised with [`SignatureRequest::extend`], which needs the outside services
//! ([`ArchivalServices`]); [`SignatureRequest::sign_archival`] does both.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ltv::extend_pdf;
use super::sign::{
    assemble_pdf, prepare_pdf, sign_pdf, FieldFill, PdfSignatureOptions, PreparedPdf,
    SignatureAppearance, SignatureLock,
};
use crate::archival::ArchivalServices;
use crate::cms::{Prepared, Signer};
use crate::error::PkiError;
use crate::parse::Certificate;

/// The PAdES baseline level of a signature (ETSI EN 319 142-1).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SignatureLevel {
    /// B-B: the signature with the signer's certificate, no timestamp.
    #[default]
    BaselineB,
    /// B-T: B-B with a timestamp over the signature value, proving it existed then.
    BaselineT,
    /// B-LT: B-T with the certificates and revocation data of the signer and of the
    /// timestamping authority in the document's `/DSS`.
    BaselineLt,
    /// B-LTA: B-LT with a document timestamp over everything, renewed before it expires.
    BaselineLta,
}

impl SignatureLevel {
    /// Raises the last signature of `signed_pdf` to this level (see
    /// [`SignatureRequest::extend`]); for the two-step path, with the session's level.
    pub async fn extend(
        self,
        signed_pdf: Vec<u8>,
        services: &impl ArchivalServices,
    ) -> Result<Vec<u8>, PkiError> {
        extend_pdf(signed_pdf, self, services).await
    }
}

/// Bytes reserved for the CMS above B-B: the B-B signature, its chain and a timestamp token
/// with the authority's chain.
const ARCHIVAL_RESERVED_BYTES: usize = 32 * 1024;

/// What signature to add to a PDF.
#[derive(Debug, Clone)]
pub struct SignatureRequest {
    level: SignatureLevel,
    options: PdfSignatureOptions,
    chain: Vec<Certificate>,
}

impl SignatureRequest {
    /// An invisible B-B signature on page 1 claiming `signing_time`, carrying no CA certificate.
    pub fn new(signing_time: DateTime<Utc>) -> Self {
        Self {
            level: SignatureLevel::BaselineB,
            options: PdfSignatureOptions::new(signing_time),
            chain: Vec::new(),
        }
    }

    /// The level asked for.
    pub fn signature_level(&self) -> SignatureLevel {
        self.level
    }

    /// Asks for `level`; above B-B, reserves room for the timestamp in `/Contents`.
    pub fn level(mut self, level: SignatureLevel) -> Self {
        self.level = level;
        if level != SignatureLevel::BaselineB {
            self.options.reserved_bytes = self.options.reserved_bytes.max(ARCHIVAL_RESERVED_BYTES);
        }
        self
    }

    pub fn signing_time(&self) -> DateTime<Utc> {
        self.options.signing_time
    }

    /// Names the signature field and puts its widget on `page` (from 1).
    pub fn field(mut self, name: impl Into<String>, page: u32) -> Self {
        self.options.field_name = Some(name.into());
        self.options.page = page;
        self
    }

    /// `/Reason`.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.options.reason = Some(reason.into());
        self
    }

    /// `/Name`: who signs.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.options.name = Some(name.into());
        self
    }

    /// `/Location`.
    pub fn location(mut self, location: impl Into<String>) -> Self {
        self.options.location = Some(location.into());
        self
    }

    /// Where and how the signature shows on the page.
    pub fn appearance(mut self, appearance: SignatureAppearance) -> Self {
        self.options.appearance = Some(appearance);
        self
    }

    /// Locks every field but `fillable`, and lets later revisions fill in forms and sign (see
    /// [`SignatureLock`]).
    pub fn lock_except(mut self, fillable: Vec<String>) -> Self {
        self.options.lock = Some(SignatureLock { fillable });
        self
    }

    /// Fills the text fields `fill` in the signature's update, so that the signature covers
    /// them.
    pub fn fill(mut self, fill: Vec<FieldFill>) -> Self {
        self.options.fill = fill;
        self
    }

    /// The CA certificates the signature carries, so that a validator given only the root can
    /// build the path.
    pub fn chain(mut self, chain: Vec<Certificate>) -> Self {
        self.chain = chain;
        self
    }

    /// The options the PDF update is written with.
    pub fn options(&self) -> &PdfSignatureOptions {
        &self.options
    }

    /// Signs `pdf` in one step with a key the service holds: the B-B signature, whatever the
    /// level (see [`sign_archival`](Self::sign_archival)).
    pub fn sign(&self, pdf: &[u8], signer: &dyn Signer) -> Result<Vec<u8>, PkiError> {
        sign_pdf(pdf, signer, &self.chain, &self.options)
    }

    /// Signs `pdf` in one step and raises the signature to the level asked for. The B-B
    /// signature is made when this is called, so that the future holds no reference to the
    /// signer and can move between threads.
    pub fn sign_archival<'a>(
        &'a self,
        pdf: &[u8],
        signer: &dyn Signer,
        services: &'a impl ArchivalServices,
    ) -> impl Future<Output = Result<Vec<u8>, PkiError>> + Send + 'a {
        let signed = self.sign(pdf, signer);
        async move { self.extend(signed?, services).await }
    }

    /// Raises the last signature of `signed_pdf` (made with this request, in one step or two)
    /// to the level asked for: B-B is returned as it is.
    pub async fn extend(
        &self,
        signed_pdf: Vec<u8>,
        services: &impl ArchivalServices,
    ) -> Result<Vec<u8>, PkiError> {
        extend_pdf(signed_pdf, self.level, services).await
    }

    /// First of two steps, for a key the service does not hold: the document with its
    /// placeholder, and what the signer must sign. The chain is given again at
    /// [`PendingSignature::assemble`].
    pub fn prepare(
        &self,
        pdf: &[u8],
        certificate: &Certificate,
    ) -> Result<(Vec<u8>, PendingSignature), PkiError> {
        let PreparedPdf {
            pdf,
            byte_range,
            prepared,
        } = prepare_pdf(pdf, certificate, &self.options)?;
        Ok((
            pdf,
            PendingSignature {
                level: self.level,
                byte_range,
                prepared,
            },
        ))
    }
}

/// A prepared signature waiting for the signer's raw signature; kept (as JSON) on the server
/// between the two steps, next to the prepared document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignature {
    /// Absent from sessions stored before levels existed: those are B-B.
    #[serde(default)]
    pub level: SignatureLevel,
    pub byte_range: [usize; 4],
    pub prepared: Prepared,
}

impl PendingSignature {
    /// What the signer signs.
    pub fn to_be_signed(&self) -> &[u8] {
        &self.prepared.to_be_signed
    }

    /// SHA-256 of the bytes of the prepared `pdf` that the signature covers (its byte ranges):
    /// the document hash a signer is shown.
    pub fn document_digest(&self, pdf: &[u8]) -> Result<[u8; 32], PkiError> {
        super::sign::signed_digest(pdf, self.byte_range)
    }

    /// Second step: checks `raw_signature` and fills the placeholder of `pdf` (the document
    /// [`SignatureRequest::prepare`] returned). The signature is B-B; above it, pass the
    /// result to [`SignatureLevel::extend`] (keep the level before assembling) or
    /// [`SignatureRequest::extend`].
    pub fn assemble(
        self,
        pdf: Vec<u8>,
        raw_signature: &[u8],
        certificate: &Certificate,
        chain: &[Certificate],
    ) -> Result<Vec<u8>, PkiError> {
        let prepared = PreparedPdf {
            pdf,
            byte_range: self.byte_range,
            prepared: self.prepared,
        };
        assemble_pdf(&prepared, raw_signature, certificate, chain)
    }
}
