//! Words, greedy line breaking and line drawing with Identity-H glyph codes.
//!
//! With a Type0 font and two-byte codes the `Tw` operator has no effect (it applies only to
//! the one-byte code 32), so justification puts explicit `TJ` offsets after each space glyph.

use std::fmt::Write as _;

use unicode_normalization::UnicodeNormalization;

use crate::fonts::{Fonts, Style};
use crate::DocumentError;

/// A part of a word in one style.
#[derive(Debug, Clone)]
pub struct Piece {
    pub style: Style,
    pub text: String,
}

/// A word, possibly mixing styles, with the space that follows it.
#[derive(Debug, Clone)]
pub struct Word {
    pub pieces: Vec<Piece>,
    pub width: f32,
    /// Width of the following space; `None` inside a word broken because it was too long.
    pub space: Option<(Style, f32)>,
}

impl Word {
    fn gap(&self) -> f32 {
        self.space.map_or(0.0, |(_, w)| w)
    }
}

/// Words `start..end` of a paragraph set on one line; `width` is their natural width.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub width: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAlign {
    Left,
    Centre,
    Right,
    /// Justified, the last line of a paragraph set flush left.
    Justify,
}

/// A paragraph laid out into lines.
pub struct Laid {
    pub words: Vec<Word>,
    pub lines: Vec<Line>,
    pub size: f32,
}

/// Splits styled runs into words (NFC-normalised, whitespace collapsed) and measures them.
pub fn words(
    fonts: &mut Fonts,
    runs: &[(Style, &str)],
    size: f32,
) -> Result<Vec<Word>, DocumentError> {
    let mut out: Vec<Word> = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    for (style, text) in runs {
        for c in text.nfc() {
            if c.is_whitespace() {
                if !current.is_empty() {
                    out.push(finish(fonts, std::mem::take(&mut current), size)?);
                }
                if let Some(last) = out.last_mut() {
                    if last.space.is_none() {
                        last.space = Some((*style, fonts.width(*style, " ", size)?));
                    }
                }
                continue;
            }
            match current.last_mut() {
                Some(piece) if piece.style == *style => piece.text.push(c),
                _ => current.push(Piece {
                    style: *style,
                    text: c.to_string(),
                }),
            }
        }
    }
    if !current.is_empty() {
        out.push(finish(fonts, current, size)?);
    }
    Ok(out)
}

fn finish(fonts: &mut Fonts, pieces: Vec<Piece>, size: f32) -> Result<Word, DocumentError> {
    let mut width = 0.0;
    for p in &pieces {
        width += fonts.width(p.style, &p.text, size)?;
    }
    Ok(Word {
        pieces,
        width,
        space: None,
    })
}

/// Breaks words wider than `max` into chunks that fit, so nothing overflows the margins.
fn split_long(
    fonts: &mut Fonts,
    words: Vec<Word>,
    max: f32,
    size: f32,
) -> Result<Vec<Word>, DocumentError> {
    if words.iter().all(|w| w.width <= max) {
        return Ok(words);
    }
    let mut out = Vec::with_capacity(words.len() + 4);
    for word in words {
        if word.width <= max {
            out.push(word);
            continue;
        }
        let mut chunk = Word {
            pieces: Vec::new(),
            width: 0.0,
            space: None,
        };
        for piece in &word.pieces {
            for c in piece.text.chars() {
                let mut buf = [0u8; 4];
                let w = fonts.width(piece.style, c.encode_utf8(&mut buf), size)?;
                if chunk.width + w > max && !chunk.pieces.is_empty() {
                    out.push(std::mem::replace(
                        &mut chunk,
                        Word {
                            pieces: Vec::new(),
                            width: 0.0,
                            space: None,
                        },
                    ));
                }
                match chunk.pieces.last_mut() {
                    Some(p) if p.style == piece.style => p.text.push(c),
                    _ => chunk.pieces.push(Piece {
                        style: piece.style,
                        text: c.to_string(),
                    }),
                }
                chunk.width += w;
            }
        }
        chunk.space = word.space;
        out.push(chunk);
    }
    Ok(out)
}

/// Lays out styled runs into lines of `first` (first line) and `rest` points.
pub fn lay_out(
    fonts: &mut Fonts,
    runs: &[(Style, &str)],
    size: f32,
    first: f32,
    rest: f32,
) -> Result<Laid, DocumentError> {
    let words = words(fonts, runs, size)?;
    let words = split_long(fonts, words, first.min(rest), size)?;
    let lines = break_lines(&words, first, rest);
    Ok(Laid { words, lines, size })
}

/// Greedy first-fit line breaking: linear in the number of words.
fn break_lines(words: &[Word], first: f32, rest: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut width = 0.0;
    for i in 0..words.len() {
        if i == start {
            width = words[i].width;
            continue;
        }
        let max = if lines.is_empty() { first } else { rest };
        let candidate = width + words[i - 1].gap() + words[i].width;
        if candidate > max + 0.01 {
            lines.push(Line {
                start,
                end: i,
                width,
            });
            start = i;
            width = words[i].width;
        } else {
            width = candidate;
        }
    }
    if start < words.len() {
        lines.push(Line {
            start,
            end: words.len(),
            width,
        });
    }
    lines
}

/// Where and how one line is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub x: f32,
    pub baseline: f32,
    pub width: f32,
    pub align: TextAlign,
    pub last: bool,
}

/// Appends the content-stream operators for one line.
pub fn draw_line(
    out: &mut String,
    fonts: &mut Fonts,
    laid: &Laid,
    line: Line,
    at: Placement,
) -> Result<(), DocumentError> {
    let words = &laid.words[line.start..line.end];
    let gaps = words[..words.len().saturating_sub(1)]
        .iter()
        .filter(|w| w.space.is_some())
        .count();
    let slack = (at.width - line.width).max(0.0);
    let (x, extra) = match at.align {
        TextAlign::Left => (at.x, 0.0),
        TextAlign::Centre => (at.x + slack / 2.0, 0.0),
        TextAlign::Right => (at.x + slack, 0.0),
        TextAlign::Justify if at.last || gaps == 0 => (at.x, 0.0),
        TextAlign::Justify => (at.x, slack / gaps as f32),
    };
    let size = laid.size;
    let _ = write!(out, "BT\n1 0 0 1 {} {} Tm\n", num(x), num(at.baseline));
    let mut run = Run {
        out,
        style: None,
        size,
    };
    for (i, word) in words.iter().enumerate() {
        for piece in &word.pieces {
            run.text(fonts, piece.style, &piece.text)?;
        }
        if i + 1 < words.len() {
            if let Some((style, _)) = word.space {
                run.text(fonts, style, " ")?;
                if extra > 0.0 {
                    let _ = write!(run.out, " {} ", num(-extra * 1000.0 / size));
                }
            }
        }
    }
    run.close();
    out.push_str("ET\n");
    Ok(())
}

/// An open `[...] TJ` array, switching fonts with `Tf` between arrays.
struct Run<'a> {
    out: &'a mut String,
    style: Option<Style>,
    size: f32,
}

impl Run<'_> {
    fn text(&mut self, fonts: &mut Fonts, style: Style, text: &str) -> Result<(), DocumentError> {
        if self.style != Some(style) {
            self.close();
            let _ = write!(
                self.out,
                "/{} {} Tf\n[",
                style.resource_name(),
                num(self.size)
            );
            self.style = Some(style);
        }
        self.out.push('<');
        let face = fonts.face(style);
        for c in text.chars() {
            let _ = write!(self.out, "{:04X}", face.glyph(c)?.cid);
        }
        self.out.push('>');
        Ok(())
    }

    fn close(&mut self) {
        if self.style.is_some() {
            self.out.push_str("] TJ\n");
        }
    }
}

/// A number for a content stream: at most two decimals, no exponent.
pub fn num(v: f32) -> String {
    let mut s = format!("{:.2}", v);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}
