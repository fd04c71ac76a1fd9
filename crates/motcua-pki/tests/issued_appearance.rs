//! The issued document as it prints: each page rendered by poppler (`pdftoppm -r 100 -png`)
//! and compared region by region. The seal's red stays inside its box, over the left third of
//! the leader's signature and clear of the title and the name; nothing is drawn in the side
//! and bottom margins; the number and date read in the header (`pdftotext -layout`). Drawn
//! with uploaded images and with the stand-ins used when there are none.

mod common;

use std::path::Path;
use std::process::Command;

use common::{now, Fixture, TestResult};
use motcua_document::sample::seed_like_report;
use motcua_document::{render, RenderedDocument, NUMBER_FIELD};
use motcua_pki::cms::KeySigner;
use motcua_pki::pades::{
    sample_seal_png, sample_signature_png, AppearanceImage, FieldFill, SignatureAppearance,
    SignatureMark, SignatureRequest,
};
use motcua_pki::testpki::{KeySpec, TestCert};
use motcua_pki::PkiError;

const PAGE_HEIGHT: f32 = 841.89;
const MM: f32 = 72.0 / 25.4;
const NUMBER: &str = "Số: 01/BC-UBND";
const DATE: &str = "Việt Yên, ngày 05 tháng 4 năm 2024";

fn signer_of(cert: &TestCert) -> Result<KeySigner, PkiError> {
    KeySigner::new(cert.private_key().clone(), cert.certificate().clone())
}

fn draft() -> RenderedDocument {
    let mut document = seed_like_report();
    document.number_line = "Số:      /BC-UBND".into();
    document.place_date = "Việt Yên, ngày      tháng      năm 2024".into();
    document.fill_in_at_issue = true;
    render(&document).expect("rendered")
}

/// The draft signed by the leader, then issued by the organisation, as the report service
/// does it.
fn issued(
    fixture: &Fixture,
    images: bool,
) -> Result<(RenderedDocument, Vec<u8>), Box<dyn std::error::Error>> {
    let rendered = draft();
    let slots = &rendered.signature_slots;
    let image = |png: Vec<u8>| images.then(|| AppearanceImage::from_png(&png)).transpose();
    let chain = vec![fixture.pki.issuing_ca.certificate().clone()];
    let leader = SignatureRequest::new(now())
        .field("LanhDao", slots.page)
        .lock_except(rendered.fields.iter().map(|f| f.name.clone()).collect())
        .appearance(SignatureAppearance {
            rect: slots.signer,
            mark: SignatureMark::Personal,
            text: Vec::new(),
            image: image(sample_signature_png(600, 200))?,
        })
        .chain(chain.clone())
        .sign(&rendered.pdf, &signer_of(&fixture.official()?)?)?;
    let organisation = fixture.pki.issue(&fixture.pki.organisation(
        "UBND THỊ XÃ VIỆT YÊN",
        "UBND TỈNH BẮC GIANG",
        "Bắc Giang",
    ))?;
    let fill = rendered
        .fields
        .iter()
        .map(|slot| FieldFill {
            value: if slot.name == NUMBER_FIELD {
                NUMBER
            } else {
                DATE
            }
            .into(),
            slot: slot.clone(),
        })
        .collect();
    let issued = SignatureRequest::new(now())
        .field("ToChuc", slots.page)
        .fill(fill)
        .appearance(SignatureAppearance {
            rect: slots.seal,
            mark: SignatureMark::Seal,
            text: vec!["UBND THỊ XÃ VIỆT YÊN".into()],
            image: image(sample_seal_png(600))?,
        })
        .chain(chain)
        .sign(&leader, &signer_of(&organisation)?)?;
    Ok((rendered, issued))
}

/// Runs a poppler tool; `None` without poppler outside CI.
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

/// A page rendered at 100 dpi: RGB pixels, row by row from the top.
struct PageImage {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl PageImage {
    fn render(pdf: &Path, page: u32) -> Option<Self> {
        let prefix = pdf.with_extension("");
        let page = page.to_string();
        poppler(
            "pdftoppm",
            &[
                "-r",
                "100",
                "-png",
                "-singlefile",
                "-f",
                &page,
                "-l",
                &page,
                pdf.to_str()?,
                prefix.to_str()?,
            ],
        )?;
        let file = std::fs::File::open(prefix.with_extension("png")).expect("the page image");
        let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
        let frame = reader.next_frame(&mut buffer).expect("a frame");
        let channels = frame.color_type.samples();
        let rgb = buffer[..frame.buffer_size()]
            .chunks_exact(channels)
            .flat_map(|pixel| {
                [
                    pixel[0],
                    pixel[1.min(channels - 1)],
                    pixel[2.min(channels - 1)],
                ]
            })
            .collect();
        Some(Self {
            width: frame.width as usize,
            height: frame.height as usize,
            rgb,
        })
    }

    /// Pixels in `rect` (PDF points) that `select` picks; `outside` counts those outside it
    /// instead.
    fn count(&self, rect: [f32; 4], outside: bool, select: impl Fn([u8; 3]) -> bool) -> usize {
        let scale = 100.0 / 72.0;
        let (x1, x2) = (rect[0] * scale, rect[2] * scale);
        let (y1, y2) = (
            (PAGE_HEIGHT - rect[3]) * scale,
            (PAGE_HEIGHT - rect[1]) * scale,
        );
        let mut found = 0;
        for y in 0..self.height {
            for x in 0..self.width {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                let inside = fx >= x1 && fx <= x2 && fy >= y1 && fy <= y2;
                let at = (y * self.width + x) * 3;
                let pixel = [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]];
                if inside != outside && select(pixel) {
                    found += 1;
                }
            }
        }
        found
    }
}

fn red([r, g, b]: [u8; 3]) -> bool {
    r > 150 && g < 110 && b < 110
}

fn ink([r, g, b]: [u8; 3]) -> bool {
    r < 200 || g < 200 || b < 200
}

/// Dark grey to black, as text is printed.
fn text_ink([r, g, b]: [u8; 3]) -> bool {
    r < 100 && g < 100 && b < 100
}

fn grown(rect: [f32; 4], by: f32) -> [f32; 4] {
    [rect[0] - by, rect[1] - by, rect[2] + by, rect[3] + by]
}

/// Word boxes of `page` from `pdftotext -bbox`, in PDF points: (word, [x1 y1 x2 y2]).
fn words(pdf: &Path, page: u32) -> Option<Vec<(String, [f32; 4])>> {
    let page = page.to_string();
    let html = poppler(
        "pdftotext",
        &["-bbox", "-f", &page, "-l", &page, pdf.to_str()?, "-"],
    )?;
    let html = String::from_utf8(html).expect("utf-8");
    let mut found = Vec::new();
    for line in html.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let number = |key: &str| -> f32 {
            let start = line.find(&format!("{key}=\"")).expect("attribute") + key.len() + 2;
            line[start..]
                .split('"')
                .next()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0.0)
        };
        let text = line
            .split('>')
            .nth(1)
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("");
        found.push((
            text.to_owned(),
            [
                number("xMin"),
                PAGE_HEIGHT - number("yMax"),
                number("xMax"),
                PAGE_HEIGHT - number("yMin"),
            ],
        ));
    }
    Some(found)
}

fn overlaps(a: [f32; 4], b: [f32; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

fn check(images: bool) -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let (rendered, pdf) = issued(&fixture, images)?;
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("issued.pdf");
    std::fs::write(&path, &pdf)?;
    if let Some(keep) = std::env::var_os("MOTCUA_KEEP_ISSUED_PDF") {
        // To look at it: MOTCUA_KEEP_ISSUED_PDF=/tmp/issued cargo test … (one file per case).
        std::fs::write(format!("{}-{images}.pdf", keep.to_string_lossy()), &pdf)?;
    }
    let slots = &rendered.signature_slots;

    // The overlap Decree 30 asks: the seal over about a third of the signature.
    let covered = (slots.seal[2] - slots.signer[0]) / (slots.signer[2] - slots.signer[0]);
    assert!((covered - 1.0 / 3.0).abs() < 0.02, "{covered}");

    let Some(text) = poppler(
        "pdftotext",
        &[
            "-layout",
            "-f",
            "1",
            "-l",
            "1",
            path.to_str().ok_or("path")?,
            "-",
        ],
    ) else {
        return Ok(());
    };
    let text = String::from_utf8(text)?;
    let header: Vec<&str> = text.lines().take(6).collect();
    assert!(header.iter().any(|line| line.contains(NUMBER)), "{text}");
    assert!(header.iter().any(|line| line.contains(DATE)), "{text}");

    let Some(page) = PageImage::render(&path, slots.page) else {
        return Ok(());
    };
    let seal_red = page.count(slots.seal, false, red);
    assert!(seal_red > 1_500, "the seal is drawn: {seal_red} red pixels");
    let stray_red = page.count(grown(slots.seal, 2.0), true, red);
    assert_eq!(stray_red, 0, "red outside the seal's box");
    let signer_ink = page.count(slots.signer, false, |[r, g, b]| {
        b > r.saturating_add(40) || (r == g && g == b && r < 180)
    });
    assert!(
        signer_ink > 150,
        "the leader's signature is drawn: {signer_ink}"
    );

    // The title and the name stay clear of the seal, on the page and in its pixels.
    let words = words(&path, slots.page).ok_or("pdftotext")?;
    let signature_words: Vec<&(String, [f32; 4])> = words
        .iter()
        .filter(|(word, rect)| {
            rect[0] >= slots.signer[0]
                && ["KT.", "CHỦ", "TỊCH", "PHÓ", "Thân", "Văn", "Thuận"].contains(&word.as_str())
        })
        .collect();
    assert_eq!(signature_words.len(), 9, "{words:?}");
    for (word, rect) in signature_words {
        assert!(!overlaps(*rect, slots.seal), "{word} under the seal");
        assert_eq!(page.count(*rect, false, red), 0, "red over {word}");
        assert!(page.count(*rect, false, text_ink) > 0, "{word} printed");
    }

    // Nothing in the side or bottom margins, on every page.
    for number in 1..=rendered.pages {
        let page = PageImage::render(&path, number).ok_or("pdftoppm")?;
        let text_area = [
            30.0 * MM - 2.0,
            20.0 * MM - 2.0,
            595.28 - 15.0 * MM + 2.0,
            PAGE_HEIGHT,
        ];
        let outside = page.count(text_area, true, ink);
        assert_eq!(outside, 0, "page {number}: {outside} pixels in the margins");
    }
    Ok(())
}

#[test]
fn uploaded_images_stay_in_their_boxes() -> TestResult {
    check(true)
}

#[test]
fn stand_ins_stay_in_their_boxes() -> TestResult {
    check(false)
}
