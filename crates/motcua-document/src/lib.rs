//! # motcua-document
//!
//! Renders a Vietnamese administrative document (báo cáo, công văn …) to PDF in the layout of
//! Nghị định 30/2020/NĐ-CP, Phụ lục I: A4, margins 20/20/30/15 mm (top/bottom/left/right),
//! Liberation Serif (metric-compatible with Times New Roman) at 14 pt, justified body text with
//! a 1 cm first-line indent and 6 pt paragraph spacing; the two-column header (issuing body and
//! number on the left, national motto and place/date on the right), the title and subject,
//! bordered tables with grouped headers repeated on each page, a signature block that is never
//! split (with the rectangles where the signer's image and the organisation's seal go), page
//! numbers from page 2 and appendices on new pages.
//!
//! The PDF is plain 1.7 with a classic xref table and deterministic bytes, ready for
//! incremental-update signatures: fonts are embedded as subset Type0/CIDFontType2 (Identity-H)
//! with /ToUnicode so the Vietnamese text extracts exactly, and attachments are embedded files
//! listed in /EmbeddedFiles and /AF.

mod blocks;
mod fontobj;
mod fonts;
mod layout;
mod model;
mod pdf;
pub mod sample;
mod standalone;
mod table;
mod text;

use std::fmt::Write as _;

use md5::{Digest, Md5};

pub use layout::{VERIFICATION_QR_ORIGIN, VERIFICATION_QR_SIDE};
pub use model::*;
pub use standalone::{embed_text_font, embed_text_font_styled, EmbeddedTextFont, FontObject};

use crate::fonts::{Fonts, Style};
use crate::layout::{Composer, PAGE_HEIGHT, PAGE_WIDTH};
use crate::pdf::{ascii_string, name, text_string, Writer};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DocumentError {
    /// The embedded fonts have no glyph for this character.
    #[error("the font has no glyph for {0:?} (U+{code:04X})", code = u32::from(*.0))]
    MissingGlyph(char),
    #[error("font error: {0}")]
    Font(String),
}

/// Renders the document to PDF.
pub fn render(document: &AdministrativeDocument) -> Result<RenderedDocument, DocumentError> {
    let mut c = Composer::new(Fonts::new()?);
    blocks::header(&mut c, document)?;
    blocks::title(&mut c, document)?;
    let signature_slots = blocks::body_and_signature(&mut c, document)?;
    for appendix in &document.appendices {
        blocks::appendix(&mut c, appendix)?;
    }
    blocks::page_numbers(&mut c)?;
    let pages = c.page_number();
    let pdf = write_pdf(&c, document)?;
    let fields = c.fields.iter().map(|(slot, _)| slot.clone()).collect();
    Ok(RenderedDocument {
        pdf,
        pages,
        signature_slots,
        fields,
    })
}

fn write_pdf(c: &Composer, document: &AdministrativeDocument) -> Result<Vec<u8>, DocumentError> {
    let mut w = Writer::new();
    let catalog = w.reserve();
    let pages_id = w.reserve();
    let info = w.add(info(&document.metadata));
    let mut fonts = String::new();
    for style in [
        Style::Regular,
        Style::Bold,
        Style::Italic,
        Style::BoldItalic,
    ] {
        let face = &c.fonts.faces[style as usize];
        if face.is_used() {
            let id = fontobj::embed(&mut w, face)?;
            let _ = write!(fonts, "/{} {id} 0 R ", style.resource_name());
        }
    }
    let resources = w.add(format!("<< /Font << {fonts}>> >>"));
    let page_ids: Vec<usize> = c.pages.iter().map(|_| w.reserve()).collect();
    let widgets = text_fields(&mut w, c, &page_ids, resources);
    let mut kids = String::new();
    for (index, (ops, page)) in c.pages.iter().zip(&page_ids).enumerate() {
        let content = w.stream("", ops.as_bytes());
        let annots: String = widgets
            .iter()
            .filter(|(on, _)| *on == index + 1)
            .map(|(_, id)| format!("{id} 0 R "))
            .collect();
        let annots = if annots.is_empty() {
            String::new()
        } else {
            format!(" /Annots [{annots}]")
        };
        w.set(
            *page,
            format!(
                "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                 /Resources {resources} 0 R /Contents {content} 0 R{annots} >>"
            ),
        );
        let _ = write!(kids, "{page} 0 R ");
    }
    w.set(
        pages_id,
        format!("<< /Type /Pages /Kids [{kids}] /Count {} >>", c.pages.len()),
    );
    let files = attachments(&mut w, &document.attachments);
    let form = (!widgets.is_empty()).then(|| {
        let fields: String = widgets.iter().map(|(_, id)| format!("{id} 0 R ")).collect();
        w.add(format!(
            "<< /Fields [{fields}] /DR {resources} 0 R /DA (/F1 13 Tf 0 g) >>"
        ))
    });
    w.set(catalog, catalog_dict(pages_id, &files, form));
    Ok(w.finish(catalog, info))
}

/// The text fields as widgets (merged field and widget dictionaries) without value, their
/// appearance the line as drawn; returns (page number, widget id). Read-only for a viewer's
/// user: the issuing software fills them.
fn text_fields(
    w: &mut Writer,
    c: &Composer,
    page_ids: &[usize],
    resources: usize,
) -> Vec<(usize, usize)> {
    let mut widgets = Vec::with_capacity(c.fields.len());
    for (slot, ops) in &c.fields {
        let [x1, y1, x2, y2] = slot.rect;
        let appearance = w.stream(
            &format!(
                "/Type /XObject /Subtype /Form /BBox [{} {} {} {}] /Resources {resources} 0 R",
                text::num(x1),
                text::num(y1),
                text::num(x2),
                text::num(y2)
            ),
            ops.as_bytes(),
        );
        let page_index = usize::try_from(slot.page).unwrap_or(1).max(1);
        let page = page_ids.get(page_index - 1).copied().unwrap_or(page_ids[0]);
        let style = if slot.italic {
            Style::Italic
        } else {
            Style::Regular
        };
        let id = w.add(format!(
            "<< /Type /Annot /Subtype /Widget /FT /Tx /T {} /Ff 1 /F 4 /Rect [{} {} {} {}] \
             /P {page} 0 R /DA (/{} {} Tf 0 g) /Q 1 /AP << /N {appearance} 0 R >> >>",
            ascii_string(&slot.name),
            text::num(x1),
            text::num(y1),
            text::num(x2),
            text::num(y2),
            style.resource_name(),
            text::num(slot.size),
        ));
        widgets.push((page_index, id));
    }
    widgets
}

fn catalog_dict(pages: usize, files: &[(String, usize)], form: Option<usize>) -> String {
    let mut dict = format!("<< /Type /Catalog /Pages {pages} 0 R /Lang (vi-VN)");
    if let Some(form) = form {
        let _ = write!(dict, " /AcroForm {form} 0 R");
    }
    if !files.is_empty() {
        let names: String = files
            .iter()
            .map(|(key, id)| format!("{key} {id} 0 R "))
            .collect();
        let refs: String = files.iter().map(|(_, id)| format!("{id} 0 R ")).collect();
        let _ = write!(
            dict,
            " /Names << /EmbeddedFiles << /Names [{names}] >> >> /AF [{refs}]"
        );
    }
    dict.push_str(" >>");
    dict
}

/// Embedded file streams and their file specifications; returns (name-tree key, filespec id),
/// keys in sorted order as the name tree requires.
fn attachments(w: &mut Writer, attachments: &[Attachment]) -> Vec<(String, usize)> {
    let mut out = Vec::with_capacity(attachments.len());
    for (i, a) in attachments.iter().enumerate() {
        let checksum = hex::encode_upper(Md5::digest(&a.content));
        let stream = w.stream(
            &format!(
                "/Type /EmbeddedFile /Subtype {} /Params << /Size {} /CheckSum <{checksum}> >>",
                name(&a.mime_type),
                a.content.len()
            ),
            &a.content,
        );
        let spec = w.add(format!(
            "<< /Type /Filespec /F {} /UF {} /Desc {} /AFRelationship /Data /EF << /F {stream} 0 R /UF {stream} 0 R >> >>",
            ascii_string(&a.file_name),
            text_string(&a.file_name),
            text_string(&a.description),
        ));
        // A numeric prefix keeps keys unique and sorted whatever the file names are.
        out.push((ascii_string(&format!("{i:04} {}", a.file_name)), spec));
    }
    out
}

fn info(m: &Metadata) -> String {
    let date = m
        .creation_date
        .format("D:%Y%m%d%H%M%S%:z")
        .to_string()
        .replace(':', "'");
    let date = date.replacen("D'", "D:", 1);
    format!(
        "<< /Title {} /Author {} /Subject {} /Keywords {} /Creator (motcua-document) /Producer (motcua-document) \
         /CreationDate ({date}') /ModDate ({date}') >>",
        text_string(&m.title),
        text_string(&m.author),
        text_string(&m.subject),
        text_string(&m.keywords.join(", ")),
    )
}
