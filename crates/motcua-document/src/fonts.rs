//! The four Liberation Serif faces: glyph lookup, metrics and the glyphs each document uses.

use std::collections::HashMap;

use subsetter::GlyphRemapper;
use ttf_parser::Face;

use crate::DocumentError;

const REGULAR: &[u8] = include_bytes!("../fonts/LiberationSerif-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/LiberationSerif-Bold.ttf");
const ITALIC: &[u8] = include_bytes!("../fonts/LiberationSerif-Italic.ttf");
const BOLD_ITALIC: &[u8] = include_bytes!("../fonts/LiberationSerif-BoldItalic.ttf");

/// A text style; the index into [`Fonts::faces`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Regular = 0,
    Bold = 1,
    Italic = 2,
    BoldItalic = 3,
}

impl Style {
    pub fn from_flags(bold: bool, italic: bool) -> Self {
        match (bold, italic) {
            (false, false) => Style::Regular,
            (true, false) => Style::Bold,
            (false, true) => Style::Italic,
            (true, true) => Style::BoldItalic,
        }
    }

    pub fn resource_name(self) -> &'static str {
        ["F1", "F2", "F3", "F4"][self as usize]
    }
}

/// A glyph as used in the PDF: its CID (the subset glyph id) and advance in font units.
#[derive(Debug, Clone, Copy)]
pub struct Glyph {
    pub cid: u16,
    pub advance: u16,
}

/// One face with the glyphs used so far, numbered in order of first use.
pub struct FontFace {
    pub data: &'static [u8],
    pub base_name: &'static str,
    pub face: Face<'static>,
    pub units_per_em: f32,
    pub remapper: GlyphRemapper,
    /// Unicode text of each CID, for /ToUnicode.
    pub cid_chars: Vec<Option<char>>,
    cache: HashMap<char, Glyph>,
}

impl FontFace {
    fn new(data: &'static [u8], base_name: &'static str) -> Result<Self, DocumentError> {
        let face = Face::parse(data, 0).map_err(|e| DocumentError::Font(e.to_string()))?;
        let units_per_em = f32::from(face.units_per_em());
        Ok(Self {
            data,
            base_name,
            face,
            units_per_em,
            remapper: GlyphRemapper::new(),
            cid_chars: vec![None],
            cache: HashMap::new(),
        })
    }

    /// The glyph for `c`, recording it as used; a character the font lacks is an error
    /// rather than a silent blank.
    pub fn glyph(&mut self, c: char) -> Result<Glyph, DocumentError> {
        if let Some(g) = self.cache.get(&c) {
            return Ok(*g);
        }
        let gid = self
            .face
            .glyph_index(c)
            .ok_or(DocumentError::MissingGlyph(c))?;
        let advance = self.face.glyph_hor_advance(gid).unwrap_or(0);
        let cid = self.remapper.remap(gid.0);
        let slot = usize::from(cid);
        if self.cid_chars.len() <= slot {
            self.cid_chars.resize(slot + 1, None);
        }
        if self.cid_chars[slot].is_none() {
            self.cid_chars[slot] = Some(c);
        }
        let g = Glyph { cid, advance };
        self.cache.insert(c, g);
        Ok(g)
    }

    /// Width of `text` at `size` points.
    pub fn width(&mut self, text: &str, size: f32) -> Result<f32, DocumentError> {
        let mut units = 0u32;
        for c in text.chars() {
            units += u32::from(self.glyph(c)?.advance);
        }
        Ok(units as f32 * size / self.units_per_em)
    }

    pub fn is_used(&self) -> bool {
        self.remapper.num_gids() > 1
    }
}

/// The document's four faces.
pub struct Fonts {
    pub faces: [FontFace; 4],
}

impl Fonts {
    pub fn new() -> Result<Self, DocumentError> {
        Ok(Self {
            faces: [
                FontFace::new(REGULAR, "LiberationSerif")?,
                FontFace::new(BOLD, "LiberationSerif-Bold")?,
                FontFace::new(ITALIC, "LiberationSerif-Italic")?,
                FontFace::new(BOLD_ITALIC, "LiberationSerif-BoldItalic")?,
            ],
        })
    }

    pub fn face(&mut self, style: Style) -> &mut FontFace {
        &mut self.faces[style as usize]
    }

    pub fn width(&mut self, style: Style, text: &str, size: f32) -> Result<f32, DocumentError> {
        self.face(style).width(text, size)
    }
}
