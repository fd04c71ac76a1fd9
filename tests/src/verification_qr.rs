//! The verification QR code as it prints: the last page rendered by poppler (`pdftoppm -r 300`)
//! and every module of the code read at its centre, against the modules of the expected URL
//! (no QR decoder is needed: a code is determined by its text); and no text of the page under it
//! (`pdftotext -bbox`).

use std::path::Path;
use std::process::Command;

use motcua_document::{VERIFICATION_QR_ORIGIN, VERIFICATION_QR_SIDE};
use motcua_pki::pades::QrModules;

/// Dots per inch of the rendering: modules of about 0.3 mm are 3.5 pixels wide.
const DPI: f32 = 300.0;

/// Runs a poppler tool; `None` when it is not installed outside CI (in CI a failure).
fn poppler(name: &str, args: &[&str]) -> Option<Vec<u8>> {
    match Command::new(name).args(args).output() {
        Ok(output) => {
            assert!(
                output.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some(output.stdout)
        }
        Err(error) if std::env::var_os("CI").is_none() => {
            eprintln!("{name} cannot run ({error}); install poppler-utils; skipped");
            None
        }
        Err(error) => panic!("{name} cannot run in CI: {error}"),
    }
}

/// A grey page image: `width` × `height` bytes, row by row from the top.
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Grey {
    /// Reads a binary PGM (`P5`), as `pdftoppm -gray` writes it.
    fn from_pgm(bytes: &[u8]) -> Self {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
        }
        assert_eq!(fields[0], "P5", "not a binary PGM");
        let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        let pixels = bytes[at + 1..].to_vec();
        assert_eq!(pixels.len(), width * height, "a truncated PGM");
        Self {
            width,
            height,
            pixels,
        }
    }

    /// The grey level at a point in PDF points from the page's lower-left corner.
    fn at(&self, x: f32, y: f32) -> u8 {
        let scale = DPI / 72.0;
        let column = (x * scale) as usize;
        let row = self.height - 1 - (y * scale) as usize;
        self.pixels[row * self.width + column.min(self.width - 1)]
    }
}

/// The number of pages of `pdf`, from `pdfinfo`.
fn page_count(path: &Path) -> Option<u32> {
    let info = poppler("pdfinfo", &[path.to_str()?])?;
    let info = String::from_utf8_lossy(&info).into_owned();
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|count| count.trim().parse().ok())
}

/// Asserts that the last page of `pdf` shows the verification QR code of `url` in its place:
/// every module dark or light as the code of `url` has it, and no text under the code. Skipped
/// without poppler outside CI.
pub fn assert_qr_drawn(pdf: &[u8], url: &str) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("document.pdf");
    std::fs::write(&path, pdf).unwrap();
    let Some(last) = page_count(&path) else {
        return;
    };
    let last = last.to_string();
    let path_text = path.to_str().unwrap();
    let Some(image) = poppler(
        "pdftoppm",
        &["-r", "300", "-gray", "-f", &last, "-l", &last, path_text],
    ) else {
        return;
    };
    let image = Grey::from_pgm(&image);
    let modules = QrModules::of(url).unwrap();
    let module = VERIFICATION_QR_SIDE / modules.side as f32;
    let (left, bottom) = VERIFICATION_QR_ORIGIN;
    let mut wrong = Vec::new();
    for row in 0..modules.side {
        for column in 0..modules.side {
            let x = left + (column as f32 + 0.5) * module;
            let y = bottom + VERIFICATION_QR_SIDE - (row as f32 + 0.5) * module;
            let dark = image.at(x, y) < 128;
            if dark != modules.is_dark(row, column) {
                wrong.push((row, column));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} modules differ from the code of {url}: {:?}",
        wrong.len(),
        modules.side * modules.side,
        &wrong[..wrong.len().min(10)]
    );
    assert_no_text_under_the_code(path_text, &last, image.height as f32 * 72.0 / DPI);
}

/// `pdftotext -bbox` puts no word in the code's square (top-left coordinates in points).
fn assert_no_text_under_the_code(path: &str, page: &str, page_height: f32) {
    let Some(words) = poppler("pdftotext", &["-bbox", "-f", page, "-l", page, path, "-"]) else {
        return;
    };
    let words = String::from_utf8_lossy(&words).into_owned();
    let (left, bottom) = VERIFICATION_QR_ORIGIN;
    let (x1, x2) = (left, left + VERIFICATION_QR_SIDE);
    let (y1, y2) = (
        page_height - bottom - VERIFICATION_QR_SIDE,
        page_height - bottom,
    );
    let attribute = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        let end = start + line[start..].find('"').unwrap();
        line[start..end].parse().unwrap()
    };
    let mut count = 0;
    for line in words
        .lines()
        .filter(|line| line.trim_start().starts_with("<word "))
    {
        count += 1;
        let (x_min, x_max) = (attribute(line, "xMin"), attribute(line, "xMax"));
        let (y_min, y_max) = (attribute(line, "yMin"), attribute(line, "yMax"));
        let overlaps = x_min < x2 && x_max > x1 && y_min < y2 && y_max > y1;
        assert!(!overlaps, "text under the QR code: {line}");
    }
    assert!(count > 0, "pdftotext found no text on the page: {words}");
}
