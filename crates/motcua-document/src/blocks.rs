//! The parts of a document: page-1 header, body blocks, the signature block and appendices.

use crate::fonts::Style;
use crate::layout::{
    baseline, line_height, Composer, ParaStyle, BODY_SIZE, BOTTOM, LEFT, MM, PARA_SPACE,
    TEXT_WIDTH, TOP,
};
use crate::model::{AdministrativeDocument, Appendix, Block, Span};
use crate::table;
use crate::text::{draw_line, Laid, Placement, TextAlign};
use crate::{DocumentError, SignatureSlots, TextFieldSlot, DATE_FIELD, NUMBER_FIELD};

/// Left header column: about 40 % of the text width (issuing body and number).
const HEADER_LEFT: f32 = TEXT_WIDTH * 0.4;

/// Page-1 header: issuing body on the left, national motto on the right, then number and date
/// on one baseline.
pub fn header(c: &mut Composer, doc: &AdministrativeDocument) -> Result<(), DocumentError> {
    let left = ParaStyle::column(LEFT, HEADER_LEFT, 13.0, TextAlign::Centre);
    let right = ParaStyle::column(
        LEFT + HEADER_LEFT,
        TEXT_WIDTH - HEADER_LEFT,
        13.0,
        TextAlign::Centre,
    );
    let top = c.y;

    let mut y_left = top;
    if let Some(superior) = &doc.superior_body {
        y_left -= centred(c, Style::Regular, superior, left, y_left)?;
    }
    let body = c.lay_out(&[(Style::Bold, doc.issuing_body.as_str())], left)?;
    y_left -= c.draw_fixed(&body, left, y_left)?;
    let body_width = Composer::widest(&body);
    c.rule(
        LEFT + HEADER_LEFT / 2.0,
        (body_width / 3.0).max(40.0),
        y_left - 1.0,
    );

    let mut y_right = top;
    y_right -= centred(
        c,
        Style::Bold,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        right,
        y_right,
    )?;
    let motto_style = ParaStyle {
        size: 14.0,
        ..right
    };
    let motto = c.lay_out(&[(Style::Bold, "Độc lập - Tự do - Hạnh phúc")], motto_style)?;
    y_right -= c.draw_fixed(&motto, motto_style, y_right)?;
    let motto_width = Composer::widest(&motto);
    c.rule(right.x + right.width / 2.0, motto_width, y_right - 1.0);

    let y = y_left.min(y_right) - 8.0;
    let date_style = ParaStyle {
        size: 14.0,
        ..right
    };
    let (h_left, h_right) = if doc.fill_in_at_issue {
        (
            field_line(c, NUMBER_FIELD, Style::Regular, &doc.number_line, left, y)?,
            field_line(c, DATE_FIELD, Style::Italic, &doc.place_date, date_style, y)?,
        )
    } else {
        (
            centred(c, Style::Regular, &doc.number_line, left, y)?,
            centred(c, Style::Italic, &doc.place_date, date_style, y)?,
        )
    };
    c.y = y - h_left.max(h_right) - 18.0;
    Ok(())
}

/// Centred text in a column at a fixed position; returns the height used.
fn centred(
    c: &mut Composer,
    style: Style,
    text: &str,
    at: ParaStyle,
    top: f32,
) -> Result<f32, DocumentError> {
    let laid = c.lay_out(&[(style, text)], at)?;
    c.draw_fixed(&laid, at, top)
}

/// A centred line drawn as the appearance of the text field `name` instead of the page;
/// returns the height used.
fn field_line(
    c: &mut Composer,
    name: &str,
    style: Style,
    text: &str,
    at: ParaStyle,
    top: f32,
) -> Result<f32, DocumentError> {
    let page = c.pages.len() - 1;
    let drawn_from = c.pages[page].len();
    let height = centred(c, style, text, at, top)?;
    let appearance = c.pages[page].split_off(drawn_from);
    let slot = TextFieldSlot {
        name: name.to_owned(),
        page: c.page_number(),
        rect: [at.x, top - height, at.x + at.width, top],
        centre_x: at.x + at.width / 2.0,
        baseline: baseline(top, at.size),
        size: at.size,
        italic: style == Style::Italic,
    };
    c.fields.push((slot, appearance));
    Ok(height)
}

/// "BÁO CÁO", the subject and a short rule under it.
pub fn title(c: &mut Composer, doc: &AdministrativeDocument) -> Result<(), DocumentError> {
    let style = ParaStyle::column(LEFT, TEXT_WIDTH, BODY_SIZE, TextAlign::Centre);
    let top = c.y;
    let kind_h = centred(c, Style::Bold, &doc.kind, style, top)?;
    let subject_style = ParaStyle {
        x: LEFT + 15.0 * MM,
        width: TEXT_WIDTH - 30.0 * MM,
        ..style
    };
    let subject = c.lay_out(&[(Style::Bold, doc.subject.as_str())], subject_style)?;
    let subject_h = c.draw_fixed(&subject, subject_style, top - kind_h)?;
    let rule_y = top - kind_h - subject_h - 2.0;
    let width = (Composer::widest(&subject) / 3.0).clamp(50.0, 150.0);
    c.rule(LEFT + TEXT_WIDTH / 2.0, width, rule_y);
    c.y = rule_y - 16.0;
    Ok(())
}

/// Body blocks in order; a heading keeps with what follows.
pub fn blocks(c: &mut Composer, blocks: &[Block]) -> Result<(), DocumentError> {
    blocks_range(c, blocks, 0, blocks.len())
}

/// Blocks `start..end`, looking past `end` for what a heading keeps with.
fn blocks_range(
    c: &mut Composer,
    blocks: &[Block],
    start: usize,
    end: usize,
) -> Result<(), DocumentError> {
    for (i, block) in blocks.iter().enumerate().take(end).skip(start) {
        match block {
            Block::Heading { level, text } => {
                let style = match level {
                    0..=2 => Style::Bold,
                    _ => Style::BoldItalic,
                };
                let next = blocks.get(i + 1).map_or(0.0, |b| first_line_height(c, b));
                let laid =
                    c.lay_out(&[(style, text.as_str())], ParaStyle::body(TextAlign::Left))?;
                let lh = line_height(BODY_SIZE);
                c.ensure(lh * laid.lines.len() as f32 + PARA_SPACE + next);
                c.paragraph(
                    &[(style, text.as_str())],
                    ParaStyle::body(TextAlign::Justify),
                    1,
                )?;
            }
            Block::Paragraph(spans) => spans_paragraph(c, spans, None)?,
            Block::Bullet(spans) => spans_paragraph(c, spans, Some("- "))?,
            Block::Table(t) => table::table(c, t)?,
            Block::Closing(text) => {
                c.paragraph(
                    &[(Style::Regular, text.as_str())],
                    ParaStyle::body(TextAlign::Justify),
                    1,
                )?;
            }
        }
    }
    Ok(())
}

/// What must fit under a heading so it is not left alone at the bottom of a page.
fn first_line_height(c: &mut Composer, block: &Block) -> f32 {
    match block {
        Block::Table(t) => table::min_height(c, t).unwrap_or(0.0),
        _ => line_height(BODY_SIZE),
    }
}

fn spans_paragraph(
    c: &mut Composer,
    spans: &[Span],
    prefix: Option<&str>,
) -> Result<(), DocumentError> {
    let mut runs: Vec<(Style, &str)> = Vec::with_capacity(spans.len() + 1);
    if let Some(p) = prefix {
        runs.push((Style::Regular, p));
    }
    runs.extend(
        spans
            .iter()
            .map(|s| (Style::from_flags(s.bold, s.italic), s.text.as_str())),
    );
    // Two lines together: no single line of a paragraph left at the bottom of a page.
    c.paragraph(&runs, ParaStyle::body(TextAlign::Justify), 2)
}

/// The signature block laid out: "Nơi nhận" on the left, authority and name on the right.
pub struct SignatureBlock {
    heading: Laid,
    items: Vec<Laid>,
    authority: Vec<Laid>,
    name: Laid,
}

/// Room between the authority lines and the name: the 38 mm seal fits in it.
const SIGN_SPACE: f32 = 40.0 * MM;
const SIGN_LEFT: f32 = TEXT_WIDTH * 0.42;

fn sign_right() -> ParaStyle {
    ParaStyle::column(
        LEFT + SIGN_LEFT,
        TEXT_WIDTH - SIGN_LEFT,
        BODY_SIZE,
        TextAlign::Centre,
    )
}

fn sign_heading() -> ParaStyle {
    ParaStyle::column(LEFT, SIGN_LEFT, 12.0, TextAlign::Left)
}

fn sign_item() -> ParaStyle {
    ParaStyle {
        size: 11.0,
        ..sign_heading()
    }
}

impl SignatureBlock {
    pub fn lay_out(c: &mut Composer, doc: &AdministrativeDocument) -> Result<Self, DocumentError> {
        let heading = c.lay_out(&[(Style::BoldItalic, "Nơi nhận:")], sign_heading())?;
        let mut items = Vec::with_capacity(doc.recipients.len());
        for r in &doc.recipients {
            let text = format!("- {r}");
            items.push(c.lay_out(&[(Style::Regular, text.as_str())], sign_item())?);
        }
        let authority = one_line_each(c, &doc.authority, sign_right())?;
        let name = c.lay_out(&[(Style::Bold, doc.signer_name.as_str())], sign_right())?;
        Ok(Self {
            heading,
            items,
            authority,
            name,
        })
    }

    fn left_height(&self) -> f32 {
        line_height(12.0) * self.heading.lines.len() as f32
            + self
                .items
                .iter()
                .map(|l| line_height(11.0) * l.lines.len() as f32)
                .sum::<f32>()
    }

    pub fn height(&self) -> f32 {
        let lines =
            self.authority.iter().map(|l| l.lines.len()).sum::<usize>() + self.name.lines.len();
        (line_height(BODY_SIZE) * lines as f32 + SIGN_SPACE).max(self.left_height())
    }

    /// Draws the block, whole: on the next page when it does not fit here.
    pub fn draw(&self, c: &mut Composer) -> Result<SignatureSlots, DocumentError> {
        if c.y - self.height() < BOTTOM {
            c.new_page();
        }
        let top = c.y;
        let mut y = top - c.draw_fixed(&self.heading, sign_heading(), top)?;
        for laid in &self.items {
            y -= c.draw_fixed(laid, sign_item(), y)?;
        }
        let right = sign_right();
        let mut y = top;
        for laid in &self.authority {
            y -= c.draw_fixed(laid, right, y)?;
        }
        let centre = right.x + right.width / 2.0;
        let signer = [centre - 30.0 * MM, y - SIGN_SPACE, centre + 30.0 * MM, y];
        y -= SIGN_SPACE;
        y -= c.draw_fixed(&self.name, right, y)?;
        c.y = y.min(top - self.left_height());
        Ok(SignatureSlots {
            page: c.page_number(),
            signer,
            seal: seal_rect(signer),
        })
    }
}

/// The body and the signature block; when the block must move to a new page, the last body
/// block (normally the closing sentence) moves with it so the signature is not alone.
pub fn body_and_signature(
    c: &mut Composer,
    doc: &AdministrativeDocument,
) -> Result<SignatureSlots, DocumentError> {
    let last = doc.body.len().saturating_sub(1);
    blocks_range(c, &doc.body, 0, last)?;
    let mark = c.mark();
    blocks_range(c, &doc.body, last, doc.body.len())?;
    let signature = SignatureBlock::lay_out(c, doc)?;
    let moved_alone = c.y - signature.height() < BOTTOM;
    if moved_alone && c.pages.len() == mark.pages && mark.y < TOP - 0.01 && last < doc.body.len() {
        c.rewind(mark);
        c.new_page();
        blocks_range(c, &doc.body, last, doc.body.len())?;
    }
    signature.draw(c)
}

/// Each authority line laid out on its own (they are separate lines, not one paragraph).
fn one_line_each(
    c: &mut Composer,
    lines: &[String],
    style: ParaStyle,
) -> Result<Vec<Laid>, DocumentError> {
    lines
        .iter()
        .map(|l| c.lay_out(&[(Style::Bold, l.as_str())], style))
        .collect()
}

/// The seal: a 38 mm square whose right part covers the left third of the signer's rect,
/// vertically centred on it (NĐ 30: the seal overlaps about a third of the signature).
fn seal_rect(signer: [f32; 4]) -> [f32; 4] {
    let side = 38.0 * MM;
    let right = signer[0] + (signer[2] - signer[0]) / 3.0;
    let centre_y = (signer[1] + signer[3]) / 2.0;
    [
        right - side,
        centre_y - side / 2.0,
        right,
        centre_y + side / 2.0,
    ]
}

/// An appendix on a new page: title, subtitle, blocks.
pub fn appendix(c: &mut Composer, appendix: &Appendix) -> Result<(), DocumentError> {
    c.new_page();
    let style = ParaStyle::column(LEFT, TEXT_WIDTH, BODY_SIZE, TextAlign::Centre);
    let top = c.y;
    let mut h = centred(c, Style::Bold, &appendix.title, style, top)?;
    if let Some(sub) = &appendix.subtitle {
        h += centred(c, Style::Bold, sub, style, top - h)?;
    }
    c.y = top - h - 12.0;
    blocks(c, &appendix.blocks)
}

/// Page numbers from page 2, centred in the top margin.
pub fn page_numbers(c: &mut Composer) -> Result<(), DocumentError> {
    let style = ParaStyle::column(LEFT, TEXT_WIDTH, 13.0, TextAlign::Centre);
    let top = TOP + 10.0 * MM;
    for page in 1..c.pages.len() {
        let text = (page + 1).to_string();
        let laid = c.lay_out(&[(Style::Regular, text.as_str())], style)?;
        let at = Placement {
            x: style.x,
            baseline: baseline(top, 13.0),
            width: style.width,
            align: TextAlign::Centre,
            last: true,
        };
        if let Some(line) = laid.lines.first() {
            draw_line(&mut c.pages[page], &mut c.fonts, &laid, *line, at)?;
        }
    }
    Ok(())
}
