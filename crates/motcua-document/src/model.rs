//! The document model: what the report service stores as JSON and hands to [`crate::render`].

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// A Vietnamese administrative document (báo cáo, công văn, quyết định …) in the
/// structure of Nghị định 30/2020/NĐ-CP, Phụ lục I.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdministrativeDocument {
    /// Line above the issuing body, e.g. "UBND TỈNH BẮC GIANG"; regular caps.
    pub superior_body: Option<String>,
    /// Issuing body, e.g. "UBND THỊ XÃ VIỆT YÊN"; bold caps with a short rule under it.
    pub issuing_body: String,
    /// "Số: 05/BC-UBND"; drafts leave the number blank.
    pub number_line: String,
    /// "Việt Yên, ngày 05 tháng 4 năm 2024" (set in italic).
    pub place_date: String,
    /// Kind of document, e.g. "BÁO CÁO".
    pub kind: String,
    /// Subject line ("trích yếu"), bold, centred, wrapped.
    pub subject: String,
    pub body: Vec<Block>,
    /// The "Nơi nhận:" list, one recipient a line (the "- " prefix is added).
    pub recipients: Vec<String>,
    /// Authority lines above the signature, e.g. ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"].
    pub authority: Vec<String>,
    pub signer_name: String,
    pub appendices: Vec<Appendix>,
    pub attachments: Vec<Attachment>,
    pub metadata: Metadata,
    /// When set, the number and date lines are text fields ([`NUMBER_FIELD`], [`DATE_FIELD`])
    /// without value whose appearance shows `number_line` and `place_date` (the blanks of a
    /// draft), so that the number and date can be filled in when the document is issued, in
    /// the update of the signature that issues it (NĐ 30, Điều 15); otherwise they are printed.
    #[serde(default)]
    pub fill_in_at_issue: bool,
}

/// Name of the text field holding the number line ("Số: 01/BC-UBND").
pub const NUMBER_FIELD: &str = "SoKyHieu";
/// Name of the text field holding the place and date line.
pub const DATE_FIELD: &str = "NgayBanHanh";

/// One block of body text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Block {
    /// Level 1 bold (caps as given), level 2 bold, level 3 bold italic.
    Heading {
        level: u8,
        text: String,
    },
    Paragraph(Vec<Span>),
    /// A paragraph starting with "- ".
    Bullet(Vec<Span>),
    Table(Table),
    /// The closing sentence, e.g. "UBND thị xã Việt Yên trân trọng báo cáo./.".
    Closing(String),
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

impl Span {
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            bold: false,
            italic: false,
        }
    }

    pub fn bold(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            bold: true,
            italic: false,
        }
    }

    pub fn italic(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            bold: false,
            italic: true,
        }
    }
}

/// A bordered table; header rows may group columns with spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Header rows, cells placed left to right into the next free grid slot (as in HTML).
    pub header: Vec<Vec<HeaderCell>>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Indices into `rows` of rows set in bold (totals).
    pub bold_rows: Vec<usize>,
    /// Notes set under the table in 11 pt italic (footnotes).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderCell {
    pub text: String,
    pub col_span: u16,
    pub row_span: u16,
}

impl HeaderCell {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            col_span: 1,
            row_span: 1,
        }
    }

    pub fn spanning(text: impl Into<String>, col_span: u16, row_span: u16) -> Self {
        Self {
            text: text.into(),
            col_span,
            row_span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Relative width; the columns share the text width in these proportions.
    pub width: f32,
    pub align: Align,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    Left,
    Centre,
    Right,
}

/// An appendix ("PHỤ LỤC"); each starts on a new page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appendix {
    pub title: String,
    pub subtitle: Option<String>,
    pub blocks: Vec<Block>,
}

/// A file embedded in the PDF (e.g. the report's data as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub file_name: String,
    pub mime_type: String,
    pub description: String,
    /// Base64 in JSON, so the model stays plain text.
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

/// Written to the PDF's /Info dictionary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub title: String,
    /// Normally the issuing body.
    pub author: String,
    pub subject: String,
    pub keywords: Vec<String>,
    pub creation_date: DateTime<FixedOffset>,
}

/// The rendered PDF and where signature images go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderedDocument {
    pub pdf: Vec<u8>,
    pub pages: u32,
    pub signature_slots: SignatureSlots,
    /// The text fields left to fill at issue (empty unless
    /// [`AdministrativeDocument::fill_in_at_issue`]).
    #[serde(default)]
    pub fields: Vec<TextFieldSlot>,
}

/// Where a text field is and how its line is set, so that another producer can draw the value
/// exactly where the line would have been printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextFieldSlot {
    pub name: String,
    /// Page number, from 1.
    pub page: u32,
    /// The widget's rectangle, x1 y1 x2 y2 in page points.
    pub rect: [f32; 4],
    /// The line is centred on this x.
    pub centre_x: f32,
    pub baseline: f32,
    pub size: f32,
    pub italic: bool,
}

/// Rectangles (x1 y1 x2 y2, PDF points, origin bottom left) for the signature appearances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureSlots {
    /// Page number, from 1.
    pub page: u32,
    /// The space between the authority lines and the signer's name.
    pub signer: [f32; 4],
    /// The organisation's seal: overlaps the left third of `signer`, vertically centred on it.
    pub seal: [f32; 4],
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}
