//! The one place a service says what signature it wants on a PDF: the level, where it shows,
//! why and where it was made, and the CA certificates it carries. Handlers build a
//! [`SignatureRequest`] and sign in one step ([`SignatureRequest::sign`]) or two
//! ([`SignatureRequest::prepare`], then [`PendingSignature::assemble`]); a new signature level
//! (B-T, B-LT, B-LTA) changes this module, not the handlers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::sign::{
    assemble_pdf, prepare_pdf, sign_pdf, PdfSignatureOptions, PreparedPdf, SignatureAppearance,
};
use crate::cms::{Prepared, Signer};
use crate::error::PkiError;
use crate::parse::Certificate;

/// The PAdES baseline level of a signature (ETSI EN 319 142-1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureLevel {
    /// B-B: the signature with the signer's certificate, no timestamp.
    #[default]
    BaselineB,
}

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

    pub fn level(&self) -> SignatureLevel {
        self.level
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

    /// Signs `pdf` in one step with a key the service holds.
    pub fn sign(&self, pdf: &[u8], signer: &dyn Signer) -> Result<Vec<u8>, PkiError> {
        match self.level {
            SignatureLevel::BaselineB => sign_pdf(pdf, signer, &self.chain, &self.options),
        }
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

    /// Second step: checks `raw_signature` and fills the placeholder of `pdf` (the document
    /// [`SignatureRequest::prepare`] returned).
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
        match self.level {
            SignatureLevel::BaselineB => assemble_pdf(&prepared, raw_signature, certificate, chain),
        }
    }
}
