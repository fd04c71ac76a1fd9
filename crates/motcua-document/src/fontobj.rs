//! Embedding the used glyphs of each face as a Type0 / CIDFontType2 font, Identity-H.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::fonts::FontFace;
use crate::pdf::Writer;
use crate::DocumentError;

/// Writes the font objects and returns the Type0 font's object number.
pub fn embed(w: &mut Writer, face: &FontFace) -> Result<usize, DocumentError> {
    let subset = subsetter::subset(face.data, 0, &face.remapper)
        .map_err(|e| DocumentError::Font(format!("{e:?}")))?;
    let base = format!("{}+{}", tag(face), face.base_name);
    let file = w.stream(&format!("/Length1 {}", subset.len()), &subset);
    let descriptor = w.add(descriptor(face, &base, file));
    let widths = widths(face);
    let cid_font = w.add(format!(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
         /FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /DW 1000 /W {widths} >>"
    ));
    let to_unicode = w.stream("", to_unicode(face).as_bytes());
    Ok(w.add(format!(
        "<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H \
         /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
    )))
}

/// Six capital letters derived from the glyph set, so equal input gives an equal name.
fn tag(face: &FontFace) -> String {
    let mut hash = Sha256::new();
    hash.update(face.base_name.as_bytes());
    for gid in face.remapper.remapped_gids() {
        hash.update(gid.to_be_bytes());
    }
    hash.finalize()
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

fn scale(face: &FontFace, v: i16) -> i32 {
    (f32::from(v) * 1000.0 / face.units_per_em).round() as i32
}

fn descriptor(face: &FontFace, base: &str, file: usize) -> String {
    let f = &face.face;
    let bbox = f.global_bounding_box();
    let italic = f.italic_angle();
    // Serif (2) + nonsymbolic (32), + italic (64).
    let flags = if italic != 0.0 { 98 } else { 34 };
    let cap = f.capital_height().unwrap_or(f.ascender());
    let stem = if face.base_name.contains("Bold") {
        120
    } else {
        80
    };
    format!(
        "<< /Type /FontDescriptor /FontName /{base} /Flags {flags} /FontBBox [{} {} {} {}] \
         /ItalicAngle {} /Ascent {} /Descent {} /CapHeight {} /StemV {stem} /FontFile2 {file} 0 R >>",
        scale(face, bbox.x_min),
        scale(face, bbox.y_min),
        scale(face, bbox.x_max),
        scale(face, bbox.y_max),
        crate::text::num(italic),
        scale(face, f.ascender()),
        scale(face, f.descender()),
        scale(face, cap),
    )
}

/// `/W [0 [w0 w1 …]]`: the widths of all CIDs in order, in thousandths of an em.
fn widths(face: &FontFace) -> String {
    let mut out = String::from("[0 [");
    for gid in face.remapper.remapped_gids() {
        let advance = face
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0);
        let w = (f32::from(advance) * 1000.0 / face.units_per_em).round() as i32;
        let _ = write!(out, "{w} ");
    }
    out.push_str("]]");
    out
}

/// The /ToUnicode CMap from CIDs to the characters they were drawn for.
fn to_unicode(face: &FontFace) -> String {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(usize, char)> = face
        .cid_chars
        .iter()
        .enumerate()
        .filter_map(|(cid, c)| c.map(|c| (cid, c)))
        .collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(out, "{} beginbfchar", chunk.len());
        for (cid, c) in chunk {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(out, "<{cid:04X}> <{hex}>");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}
