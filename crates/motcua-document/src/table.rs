//! Bordered tables: grouped header rows with spans, repeated on each page; rows never split.

use std::fmt::Write as _;

use crate::fonts::Style;
use crate::layout::{line_height, Composer, ParaStyle, BOTTOM, LEFT, PARA_SPACE, TEXT_WIDTH};
use crate::model::{Align, Table};
use crate::text::{Laid, TextAlign};
use crate::DocumentError;

const SIZE: f32 = 12.0;
const PAD: f32 = 3.0;

/// A header cell placed in the grid.
struct Placed {
    row: usize,
    col: usize,
    rows: usize,
    cols: usize,
    laid: Laid,
}

/// The header laid out once and drawn on every page the table spans.
struct Header {
    cells: Vec<Placed>,
    row_heights: Vec<f32>,
}

impl Header {
    fn height(&self) -> f32 {
        self.row_heights.iter().sum()
    }
}

/// Column x positions (n + 1 edges) from the relative widths.
fn edges(table: &Table) -> Vec<f32> {
    let total: f32 = table.columns.iter().map(|c| c.width.max(0.0)).sum();
    let n = table.columns.len().max(1) as f32;
    let mut x = LEFT;
    let mut out = vec![x];
    for c in &table.columns {
        let share = if total > 0.0 {
            c.width.max(0.0) / total
        } else {
            1.0 / n
        };
        x += share * TEXT_WIDTH;
        out.push(x);
    }
    out
}

fn cell_style(edges: &[f32], col: usize, cols: usize, align: TextAlign) -> ParaStyle {
    let x = edges[col] + PAD;
    let width = (edges[col + cols] - edges[col] - 2.0 * PAD).max(1.0);
    ParaStyle::column(x, width, SIZE, align)
}

fn text_height(laid: &Laid) -> f32 {
    line_height(SIZE) * laid.lines.len().max(1) as f32 + 2.0 * PAD
}

/// Places header cells into the next free grid slot of their row, as HTML tables do.
fn header(c: &mut Composer, table: &Table, edges: &[f32]) -> Result<Header, DocumentError> {
    let ncols = table.columns.len();
    let nrows = table.header.len();
    let mut taken = vec![vec![false; ncols]; nrows];
    let mut cells = Vec::new();
    for (r, row) in table.header.iter().enumerate() {
        let mut col = 0;
        for cell in row {
            while col < ncols && taken[r][col] {
                col += 1;
            }
            if col >= ncols {
                break;
            }
            let cols = usize::from(cell.col_span.max(1)).min(ncols - col);
            let rows = usize::from(cell.row_span.max(1)).min(nrows - r);
            for line in taken.iter_mut().skip(r).take(rows) {
                for slot in line.iter_mut().skip(col).take(cols) {
                    *slot = true;
                }
            }
            let style = cell_style(edges, col, cols, TextAlign::Centre);
            let laid = c.lay_out(&[(Style::Bold, cell.text.as_str())], style)?;
            cells.push(Placed {
                row: r,
                col,
                rows,
                cols,
                laid,
            });
            col += cols;
        }
    }
    let row_heights = header_heights(&cells, nrows);
    Ok(Header { cells, row_heights })
}

/// Single-row cells set their row's height; a spanning cell that needs more grows its last row.
fn header_heights(cells: &[Placed], nrows: usize) -> Vec<f32> {
    let mut heights = vec![line_height(SIZE) + 2.0 * PAD; nrows];
    for cell in cells.iter().filter(|c| c.rows == 1) {
        heights[cell.row] = heights[cell.row].max(text_height(&cell.laid));
    }
    for cell in cells.iter().filter(|c| c.rows > 1) {
        let have: f32 = heights[cell.row..cell.row + cell.rows].iter().sum();
        let need = text_height(&cell.laid);
        if need > have {
            heights[cell.row + cell.rows - 1] += need - have;
        }
    }
    heights
}

/// Draws a bordered cell with its text centred vertically.
fn cell(
    c: &mut Composer,
    laid: &Laid,
    style: ParaStyle,
    rect: [f32; 4],
) -> Result<(), DocumentError> {
    let [x, top, w, h] = rect;
    let _ = writeln!(
        c.ops(),
        "0.5 w {} {} {} {} re S",
        crate::text::num(x),
        crate::text::num(top - h),
        crate::text::num(w),
        crate::text::num(h)
    );
    let text_h = line_height(SIZE) * laid.lines.len() as f32;
    c.draw_fixed(laid, style, top - (h - text_h) / 2.0)?;
    Ok(())
}

fn draw_header(c: &mut Composer, header: &Header, edges: &[f32]) -> Result<(), DocumentError> {
    let top = c.y;
    for p in &header.cells {
        let y = top - header.row_heights[..p.row].iter().sum::<f32>();
        let h: f32 = header.row_heights[p.row..p.row + p.rows].iter().sum();
        let style = cell_style(edges, p.col, p.cols, TextAlign::Centre);
        let rect = [edges[p.col], y, edges[p.col + p.cols] - edges[p.col], h];
        cell(c, &p.laid, style, rect)?;
    }
    c.y = top - header.height();
    Ok(())
}

fn align(a: Align) -> TextAlign {
    match a {
        Align::Left => TextAlign::Left,
        Align::Centre => TextAlign::Centre,
        Align::Right => TextAlign::Right,
    }
}

/// One body row laid out: each cell's text and the row height.
fn row(
    c: &mut Composer,
    table: &Table,
    edges: &[f32],
    index: usize,
) -> Result<(Vec<Laid>, f32), DocumentError> {
    let style = if table.bold_rows.contains(&index) {
        Style::Bold
    } else {
        Style::Regular
    };
    let mut cells = Vec::with_capacity(table.columns.len());
    let mut height = line_height(SIZE) + 2.0 * PAD;
    for (col, column) in table.columns.iter().enumerate() {
        let text = table.rows[index].get(col).map_or("", String::as_str);
        let laid = c.lay_out(
            &[(style, text)],
            cell_style(edges, col, 1, align(column.align)),
        )?;
        height = height.max(text_height(&laid));
        cells.push(laid);
    }
    Ok((cells, height))
}

/// Height the table needs at least: its header and first row (keeps a heading with it).
pub fn min_height(c: &mut Composer, table: &Table) -> Result<f32, DocumentError> {
    let edges = edges(table);
    let header = header(c, table, &edges)?;
    let first = if table.rows.is_empty() {
        0.0
    } else {
        row(c, table, &edges, 0)?.1
    };
    Ok(header.height() + first)
}

/// Draws a table, breaking between rows and repeating the header on each new page.
pub fn table(c: &mut Composer, table: &Table) -> Result<(), DocumentError> {
    if table.columns.is_empty() {
        return Ok(());
    }
    let edges = edges(table);
    let header = header(c, table, &edges)?;
    let mut pending = None;
    if let Some(first) = table
        .rows
        .first()
        .map(|_| row(c, table, &edges, 0))
        .transpose()?
    {
        c.ensure(header.height() + first.1);
        pending = Some(first);
    } else {
        c.ensure(header.height());
    }
    draw_header(c, &header, &edges)?;
    for index in 0..table.rows.len() {
        let (cells, height) = match pending.take() {
            Some(p) => p,
            None => row(c, table, &edges, index)?,
        };
        if c.y - height < BOTTOM {
            c.new_page();
            draw_header(c, &header, &edges)?;
        }
        let top = c.y;
        for (col, laid) in cells.iter().enumerate() {
            let style = cell_style(&edges, col, 1, align(table.columns[col].align));
            cell(
                c,
                laid,
                style,
                [edges[col], top, edges[col + 1] - edges[col], height],
            )?;
        }
        c.y = top - height;
    }
    c.y -= PARA_SPACE;
    for note in &table.notes {
        let style = ParaStyle {
            first_indent: 0.0,
            ..ParaStyle::column(LEFT, TEXT_WIDTH, 11.0, TextAlign::Justify)
        };
        c.paragraph(&[(Style::Italic, note.as_str())], style, 1)?;
    }
    Ok(())
}
