//! Page geometry and the flowing composer: blocks go down the page, breaking to a new page
//! where they do not fit.

use std::fmt::Write as _;

use crate::fonts::{Fonts, Style};
use crate::text::{draw_line, lay_out, num, Laid, Placement, TextAlign};
use crate::DocumentError;

pub const MM: f32 = 72.0 / 25.4;
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
pub const LEFT: f32 = 30.0 * MM;
pub const RIGHT: f32 = PAGE_WIDTH - 15.0 * MM;
pub const TOP: f32 = PAGE_HEIGHT - 20.0 * MM;
pub const BOTTOM: f32 = 20.0 * MM;
pub const TEXT_WIDTH: f32 = RIGHT - LEFT;
pub const BODY_SIZE: f32 = 14.0;
pub const INDENT: f32 = 10.0 * MM;
pub const PARA_SPACE: f32 = 6.0;

/// Side of the verification QR code, quiet zone included.
pub const VERIFICATION_QR_SIDE: f32 = 18.0 * MM;
/// Lower-left corner of the verification QR code from the page's lower-left corner: in the
/// corner where the left and bottom margins meet, so no text or seal of the layout is under it.
pub const VERIFICATION_QR_ORIGIN: (f32, f32) = (5.0 * MM, 4.5 * MM);
// The QR code stays left of the text column (the bottom margin alone, 20 mm, is narrower than
// 4.5 mm + 18 mm).
const _: () = assert!(VERIFICATION_QR_ORIGIN.0 + VERIFICATION_QR_SIDE < LEFT);

/// Line height: 1.25 × the font size, about 1.15 "lines" of Times New Roman as Word counts them.
pub fn line_height(size: f32) -> f32 {
    size * 1.25
}

/// Baseline of a line whose box starts at `top`: the glyphs' ascent-plus-descent box is centred
/// in the line box (Liberation Serif ascent 0.891 em, descent 0.216 em).
pub fn baseline(top: f32, size: f32) -> f32 {
    top - (line_height(size) - 1.107 * size) / 2.0 - 0.891 * size
}

/// A paragraph's look.
#[derive(Debug, Clone, Copy)]
pub struct ParaStyle {
    pub size: f32,
    pub x: f32,
    pub width: f32,
    pub first_indent: f32,
    pub align: TextAlign,
}

impl ParaStyle {
    pub fn body(align: TextAlign) -> Self {
        Self {
            size: BODY_SIZE,
            x: LEFT,
            width: TEXT_WIDTH,
            first_indent: INDENT,
            align,
        }
    }

    pub fn column(x: f32, width: f32, size: f32, align: TextAlign) -> Self {
        Self {
            size,
            x,
            width,
            first_indent: 0.0,
            align,
        }
    }
}

/// A position in the output: page count, length of the last page's operators, cursor.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub pages: usize,
    pub len: usize,
    pub y: f32,
}

pub struct Composer {
    pub fonts: Fonts,
    pub pages: Vec<String>,
    /// Top of the free space on the current page.
    pub y: f32,
    /// Text fields, each with the operators of its appearance (in page coordinates).
    pub fields: Vec<(crate::TextFieldSlot, String)>,
}

impl Composer {
    pub fn new(fonts: Fonts) -> Self {
        Self {
            fonts,
            pages: vec![String::new()],
            y: TOP,
            fields: Vec::new(),
        }
    }

    pub fn page_number(&self) -> u32 {
        u32::try_from(self.pages.len()).unwrap_or(u32::MAX)
    }

    pub fn new_page(&mut self) {
        self.pages.push(String::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` fits; never on a fresh page, so an oversize item
    /// cannot produce endless blank pages.
    pub fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM - 0.01 && self.y < TOP - 0.01 {
            self.new_page();
        }
    }

    /// Where the composer is, to undo what follows with [`Composer::rewind`].
    pub fn mark(&self) -> Mark {
        Mark {
            pages: self.pages.len(),
            len: self.pages.last().map_or(0, String::len),
            y: self.y,
        }
    }

    pub fn rewind(&mut self, mark: Mark) {
        self.pages.truncate(mark.pages);
        if let Some(page) = self.pages.last_mut() {
            page.truncate(mark.len);
        }
        self.y = mark.y;
    }

    pub fn ops(&mut self) -> &mut String {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub fn lay_out(
        &mut self,
        runs: &[(Style, &str)],
        style: ParaStyle,
    ) -> Result<Laid, DocumentError> {
        lay_out(
            &mut self.fonts,
            runs,
            style.size,
            style.width - style.first_indent,
            style.width,
        )
    }

    /// Draws laid-out lines from `top` down, without page breaks; returns the height used.
    pub fn draw_fixed(
        &mut self,
        laid: &Laid,
        style: ParaStyle,
        top: f32,
    ) -> Result<f32, DocumentError> {
        let lh = line_height(style.size);
        let last = self.pages.len() - 1;
        for (i, line) in laid.lines.iter().enumerate() {
            let indent = if i == 0 { style.first_indent } else { 0.0 };
            let at = Placement {
                x: style.x + indent,
                baseline: baseline(top - lh * i as f32, style.size),
                width: style.width - indent,
                align: style.align,
                last: i + 1 == laid.lines.len(),
            };
            draw_line(&mut self.pages[last], &mut self.fonts, laid, *line, at)?;
        }
        Ok(lh * laid.lines.len() as f32)
    }

    /// Flows a paragraph down the page, line by line, then the paragraph spacing.
    pub fn paragraph(
        &mut self,
        runs: &[(Style, &str)],
        style: ParaStyle,
        keep_lines: usize,
    ) -> Result<(), DocumentError> {
        let laid = self.lay_out(runs, style)?;
        let lh = line_height(style.size);
        self.ensure(lh * keep_lines.min(laid.lines.len()).max(1) as f32);
        for (i, line) in laid.lines.iter().enumerate() {
            self.ensure(lh);
            let indent = if i == 0 { style.first_indent } else { 0.0 };
            let at = Placement {
                x: style.x + indent,
                baseline: baseline(self.y, style.size),
                width: style.width - indent,
                align: style.align,
                last: i + 1 == laid.lines.len(),
            };
            let last = self.pages.len() - 1;
            draw_line(&mut self.pages[last], &mut self.fonts, &laid, *line, at)?;
            self.y -= lh;
        }
        self.y -= PARA_SPACE;
        Ok(())
    }

    /// A horizontal rule of `width` centred on `centre`.
    pub fn rule(&mut self, centre: f32, width: f32, y: f32) {
        let _ = writeln!(
            self.ops(),
            "0.6 w {} {} m {} {} l S",
            num(centre - width / 2.0),
            num(y),
            num(centre + width / 2.0),
            num(y)
        );
    }

    /// Width of the widest line of a layout.
    pub fn widest(laid: &Laid) -> f32 {
        laid.lines.iter().map(|l| l.width).fold(0.0, f32::max)
    }
}
