//! The document's font on its own, for text drawn by another producer into an existing PDF
//! (the signer's name and time in a signature appearance).

use std::fmt::Write as _;

use crate::fonts::{Fonts, Style};
use crate::pdf::Writer;
use crate::DocumentError;

/// One object of an embedded font: its number and its body (what goes between `obj` and
/// `endobj`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontObject {
    pub id: usize,
    pub body: Vec<u8>,
}

/// Liberation Serif Regular reduced to the glyphs of some lines, as a Type0 / CIDFontType2
/// font with Identity-H encoding and a `/ToUnicode` map (so that the text can be copied and
/// searched), and the lines encoded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedTextFont {
    /// The font's objects, numbered consecutively from the number given.
    pub objects: Vec<FontObject>,
    /// Number of the Type0 font object, for a `/Font` resource dictionary.
    pub font_id: usize,
    /// Each line as a PDF hex string of two-byte glyph codes (`<0001…>`), ready for `Tj`.
    pub encoded_lines: Vec<String>,
    /// Each line's width at a size of 1 point (multiply by the font size).
    pub line_widths: Vec<f32>,
}

/// Embeds the glyphs of `lines` (any Vietnamese text) as font objects numbered from
/// `first_id`. A character the font lacks is an error.
pub fn embed_text_font(
    lines: &[String],
    first_id: usize,
) -> Result<EmbeddedTextFont, DocumentError> {
    embed_text_font_styled(lines, first_id, false)
}

/// [`embed_text_font`] in Liberation Serif Italic when `italic` (the date line of a document).
pub fn embed_text_font_styled(
    lines: &[String],
    first_id: usize,
    italic: bool,
) -> Result<EmbeddedTextFont, DocumentError> {
    let mut fonts = Fonts::new()?;
    let face = fonts.face(if italic {
        Style::Italic
    } else {
        Style::Regular
    });
    let mut encoded_lines = Vec::with_capacity(lines.len());
    let mut line_widths = Vec::with_capacity(lines.len());
    for line in lines {
        let mut hex = String::from("<");
        let mut units = 0u32;
        for c in line.chars() {
            let glyph = face.glyph(c)?;
            units += u32::from(glyph.advance);
            let _ = write!(hex, "{:04X}", glyph.cid);
        }
        hex.push('>');
        encoded_lines.push(hex);
        line_widths.push(units as f32 / face.units_per_em);
    }
    let mut writer = Writer::numbered_from(first_id);
    let font_id = crate::fontobj::embed(&mut writer, face)?;
    let objects = writer
        .into_objects()
        .into_iter()
        .map(|(id, body)| FontObject { id, body })
        .collect();
    Ok(EmbeddedTextFont {
        objects,
        font_id,
        encoded_lines,
        line_widths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_lines_embed_with_a_to_unicode_map() {
        let lines = vec![
            "Ký bởi: Thân Văn Thuận".to_owned(),
            "Thời gian: 2024-04-05 10:12:30 +07:00".to_owned(),
        ];
        let font = embed_text_font(&lines, 40).expect("embedded");
        assert_eq!(font.objects.first().map(|o| o.id), Some(40));
        assert_eq!(font.objects.last().map(|o| o.id), Some(font.font_id));
        let ids: Vec<usize> = font.objects.iter().map(|o| o.id).collect();
        assert_eq!(ids, (40..40 + ids.len()).collect::<Vec<_>>());
        let type0 = String::from_utf8_lossy(&font.objects.last().expect("font").body).into_owned();
        assert!(type0.contains("/Subtype /Type0"), "{type0}");
        assert!(type0.contains("/Identity-H"), "{type0}");
        assert!(type0.contains("/ToUnicode"), "{type0}");
        assert_eq!(font.encoded_lines.len(), 2);
        assert!(font.encoded_lines[0].starts_with('<'));
        assert_eq!(
            font.encoded_lines[0].len(),
            2 + 4 * lines[0].chars().count()
        );
        assert!(font.line_widths.iter().all(|w| *w > 1.0));
        assert!(matches!(
            embed_text_font(&["\u{4e2d}".to_owned()], 1),
            Err(DocumentError::MissingGlyph(_))
        ));
    }
}
