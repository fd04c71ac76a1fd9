//! Renders documents and checks them with poppler's tools (pdftotext, pdffonts, pdfdetach,
//! pdftoppm), qpdf when present, and lopdf as motcua-pki reads them.

use std::path::{Path, PathBuf};
use std::process::Command;

use motcua_document::sample::{seed_like_report, staff_table, UNITS};
use motcua_document::{render, Block, DocumentError, RenderedDocument, Span};

const LEFT_MARGIN: f64 = 30.0 * 72.0 / 25.4;
const RIGHT_EDGE: f64 = 595.28 - 15.0 * 72.0 / 25.4;

/// Runs a tool; `None` (with a message) when it is not installed on a developer's machine, so
/// the check is skipped; in CI (`CI` set) a missing tool fails the test.
fn tool(name: &str, args: &[&str]) -> Option<Vec<u8>> {
    match Command::new(name).args(args).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{name} {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(out.stdout)
        }
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: {name} is not available ({e}); install poppler-utils");
            None
        }
        Err(e) => panic!("{name} cannot run in CI: {e}"),
    }
}

fn write(dir: &Path, rendered: &RenderedDocument) -> PathBuf {
    let path = dir.join("doc.pdf");
    std::fs::write(&path, &rendered.pdf).expect("write pdf");
    path
}

fn seed() -> RenderedDocument {
    render(&seed_like_report()).expect("render seed")
}

fn text_of(rendered: &RenderedDocument) -> Option<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), rendered);
    let out = tool("pdftotext", &["-layout", path.to_str()?, "-"])?;
    Some(String::from_utf8(out).expect("utf-8 text"))
}

#[test]
fn text_extracts_exactly() {
    let rendered = seed();
    let Some(text) = text_of(&rendered) else {
        return;
    };
    for expected in [
        "UBND TỈNH BẮC GIANG",
        "UBND THỊ XÃ VIỆT YÊN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 05/BC-UBND",
        "Việt Yên, ngày 05 tháng 4 năm 2024",
        "BÁO CÁO",
        "I. TÌNH HÌNH, KẾT QUẢ TIẾP NHẬN, GIẢI QUYẾT TTHC",
        "Nơi nhận:",
        "- Lưu: VT.",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Thân Văn Thuận",
        "UBND thị xã Việt Yên trân trọng báo cáo./.",
        "PHỤ LỤC",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    for (unit, _) in UNITS {
        assert!(text.contains(unit), "missing unit {unit:?}");
    }
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(pages.len() as u32, rendered.pages);
    assert!(!pages[0]
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .all(|c| c.is_ascii_digit()));
    for (i, page) in pages.iter().enumerate().skip(1) {
        let first = page.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        assert_eq!(
            first.trim(),
            (i + 1).to_string(),
            "page number at the top of page {}",
            i + 1
        );
    }
}

#[test]
fn fonts_are_embedded_subset_with_unicode_maps() {
    let rendered = seed();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &rendered);
    let Some(out) = tool("pdffonts", &[path.to_str().expect("path")]) else {
        return;
    };
    let out = String::from_utf8(out).expect("utf-8");
    let fonts: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(fonts.len(), 4, "four styles used:\n{out}");
    for line in fonts {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let name = cols[0];
        assert!(
            name.len() > 7 && name.as_bytes()[6] == b'+',
            "subset prefix in {name}"
        );
        assert!(name[7..].starts_with("LiberationSerif"), "{name}");
        assert!(line.contains("CID TrueType"), "{line}");
        assert!(line.contains("Identity-H"), "{line}");
        let flags = &cols[cols.len() - 5..cols.len() - 2];
        assert_eq!(flags, ["yes", "yes", "yes"], "emb sub uni in {line}");
    }
}

#[test]
fn attachment_round_trips_byte_exact() {
    let document = seed_like_report();
    let rendered = render(&document).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &rendered);
    let pdf = path.to_str().expect("path");
    let Some(list) = tool("pdfdetach", &["-list", pdf]) else {
        return;
    };
    let list = String::from_utf8(list).expect("utf-8");
    assert!(list.contains("1 embedded files"), "{list}");
    assert!(list.contains("so-lieu-bao-cao.json"), "{list}");
    let out = dir.path().join("out.json");
    tool(
        "pdfdetach",
        &["-save", "1", "-o", out.to_str().expect("path"), pdf],
    );
    assert_eq!(
        std::fs::read(&out).expect("saved attachment"),
        document.attachments[0].content
    );
    let raw = String::from_utf8_lossy(&rendered.pdf);
    assert!(raw.contains("/Subtype /application#2Fjson"));
    assert!(raw.contains("/AFRelationship /Data"));
    assert!(raw.contains("/AF ["));
}

#[test]
fn loads_with_lopdf_and_counts_pages() {
    let rendered = seed();
    let doc = lopdf::Document::load_mem(&rendered.pdf).expect("lopdf loads the PDF");
    assert_eq!(doc.get_pages().len() as u32, rendered.pages);
    assert!(
        rendered.pages >= 4,
        "the seed-like report has several pages"
    );
    assert!(rendered.pdf.starts_with(b"%PDF-1.7\n"));
    let raw = String::from_utf8_lossy(&rendered.pdf);
    assert!(raw.contains("\nxref\n0 "), "classic cross-reference table");
    assert!(
        !raw.contains("/ObjStm") && !raw.contains("/XRef"),
        "no object or xref streams"
    );
    assert_eq!(raw.matches("%%EOF").count(), 1, "one revision");
    assert!(raw.contains("/ID [<"));
}

#[test]
fn qpdf_accepts_the_file() {
    let rendered = seed();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &rendered);
    let Some(out) = tool("qpdf", &["--check", path.to_str().expect("path")]) else {
        return;
    };
    let out = String::from_utf8_lossy(&out);
    assert!(out.contains("No syntax or stream encoding errors"), "{out}");
}

/// Every word of `rendered` lies between the left and right margins.
fn assert_within_margins(rendered: &RenderedDocument) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), rendered);
    let Some(out) = tool("pdftotext", &["-bbox", path.to_str().expect("path"), "-"]) else {
        return;
    };
    let html = String::from_utf8(out).expect("utf-8");
    let attr = |line: &str, name: &str| -> f64 {
        let start = line.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
        let end = start + line[start..].find('"').expect("quote");
        line[start..end].parse().expect("number")
    };
    let mut words = 0;
    for line in html
        .lines()
        .filter(|l| l.trim_start().starts_with("<word "))
    {
        words += 1;
        let (x_min, x_max) = (attr(line, "xMin"), attr(line, "xMax"));
        assert!(x_min >= LEFT_MARGIN - 0.5, "left overflow: {line}");
        assert!(x_max <= RIGHT_EDGE + 0.5, "right overflow: {line}");
    }
    assert!(words > 0);
}

#[test]
fn text_stays_within_margins() {
    assert_within_margins(&seed());
}

#[test]
fn long_words_are_broken_not_overflowing() {
    let mut document = seed_like_report();
    let long = "https://dichvucong.bacgiang.gov.vn/".to_string() + &"tham-so-rat-dai-".repeat(20);
    document.body.insert(
        0,
        Block::Paragraph(vec![Span::plain(format!("Địa chỉ: {long} hết."))]),
    );
    document.recipients.push(long.clone());
    let mut table = staff_table();
    table.rows[0][1] = long;
    document.body.push(Block::Table(table));
    assert_within_margins(&render(&document).expect("render"));
}

#[test]
fn rendering_is_deterministic() {
    let document = seed_like_report();
    let a = render(&document).expect("render");
    let b = render(&document).expect("render");
    assert_eq!(a, b);
}

#[test]
fn missing_glyph_is_an_error() {
    for c in ['中', '😀'] {
        let mut document = seed_like_report();
        document.subject = format!("Báo cáo {c}");
        assert_eq!(render(&document), Err(DocumentError::MissingGlyph(c)));
    }
}

#[test]
fn decomposed_input_is_normalised() {
    let mut document = seed_like_report();
    document.signer_name = "Tha\u{302}n Va\u{306}n Thua\u{323}\u{302}n".into();
    let rendered = render(&document).expect("render");
    let Some(text) = text_of(&rendered) else {
        return;
    };
    assert!(text.contains("Thân Văn Thuận"));
}

#[test]
fn long_table_repeats_its_header_on_each_page() {
    let mut document = seed_like_report();
    let mut table = staff_table();
    table.rows = (1..=200)
        .map(|i| {
            vec![
                i.to_string(),
                format!("Đơn vị số {i}"),
                "3".into(),
                String::new(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    document.body = vec![Block::Table(table)];
    document.appendices.clear();
    let rendered = render(&document).expect("render");
    let Some(text) = text_of(&rendered) else {
        return;
    };
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| p.contains("Đơn vị số"))
        .collect();
    assert!(
        pages.len() >= 4,
        "200 rows span several pages, got {}",
        pages.len()
    );
    for page in &pages {
        assert!(
            page.contains("Ghi chú") && page.contains("Tổng số"),
            "header repeated:\n{page}"
        );
    }
    for i in [1, 57, 200] {
        assert!(text.contains(&format!("Đơn vị số {i}")), "row {i}");
    }
}

#[test]
fn signature_slots_follow_nd30() {
    let rendered = seed();
    let s = rendered.signature_slots;
    assert!(s.page >= 1 && s.page <= rendered.pages);
    let [x1, y1, x2, y2] = s.signer;
    let mm = 72.0 / 25.4;
    assert!(((x2 - x1) - 60.0 * mm).abs() < 1.0 && ((y2 - y1) - 40.0 * mm).abs() < 1.0);
    let [sx1, sy1, sx2, sy2] = s.seal;
    assert!(((sx2 - sx1) - 38.0 * mm).abs() < 1.0 && ((sy2 - sy1) - 38.0 * mm).abs() < 1.0);
    // The seal stays between the authority lines and the name.
    assert!(sy1 >= y1 && sy2 <= y2, "the seal fits the signer's space");
    assert!(
        (sx2 - (x1 + (x2 - x1) / 3.0)).abs() < 0.5,
        "seal covers the left third"
    );
    assert!(
        ((sy1 + sy2) / 2.0 - (y1 + y2) / 2.0).abs() < 0.5,
        "vertically centred"
    );
    assert!(x2 <= RIGHT_EDGE as f32 && sx1 >= LEFT_MARGIN as f32);
}

#[test]
fn model_round_trips_through_json() {
    let document = seed_like_report();
    let json = serde_json::to_string(&document).expect("serialise");
    let back: motcua_document::AdministrativeDocument =
        serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, document);
}

#[test]
fn page_one_renders_to_png() {
    let rendered = seed();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), &rendered);
    let prefix = dir.path().join("page");
    let args = [
        "-png",
        "-r",
        "60",
        "-f",
        "1",
        "-l",
        "1",
        path.to_str().expect("path"),
        prefix.to_str().expect("path"),
    ];
    if tool("pdftoppm", &args).is_none() {
        return;
    }
    let png = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "png"));
    let png = png.expect("a PNG of page 1");
    assert!(std::fs::metadata(png.path()).expect("png").len() > 10_000);
}

#[test]
fn signature_block_is_whole_and_keeps_the_closing_sentence() {
    let rendered = seed();
    let Some(text) = text_of(&rendered) else {
        return;
    };
    let pages: Vec<&str> = text.split('\u{c}').collect();
    let index = pages
        .iter()
        .position(|p| p.contains("KT. CHỦ TỊCH"))
        .expect("authority line");
    let page = pages[index];
    for part in [
        "Nơi nhận:",
        "- Lưu: VT.",
        "PHÓ CHỦ TỊCH",
        "Thân Văn Thuận",
        "trân trọng báo cáo./.",
    ] {
        assert!(
            page.contains(part),
            "{part:?} on the signature page:\n{page}"
        );
    }
    assert_eq!(rendered.signature_slots.page as usize, index + 1);
}

#[test]
fn number_and_date_can_be_left_as_fields_to_fill_at_issue() {
    let mut document = seed_like_report();
    document.number_line = "Số:      /BC-UBND".into();
    document.place_date = "Việt Yên, ngày      tháng      năm 2024".into();
    document.fill_in_at_issue = true;
    let rendered = render(&document).expect("render");
    let names: Vec<&str> = rendered.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [motcua_document::NUMBER_FIELD, motcua_document::DATE_FIELD]
    );
    for field in &rendered.fields {
        assert_eq!(field.page, 1);
        let [x1, y1, x2, y2] = field.rect;
        assert!(x1 >= LEFT_MARGIN as f32 - 0.01 && x2 <= RIGHT_EDGE as f32 + 0.01);
        assert!(y1 < field.baseline && field.baseline < y2, "{field:?}");
    }
    assert!(rendered.fields[1].italic && !rendered.fields[0].italic);
    let pdf = lopdf::Document::load_mem(&rendered.pdf).expect("lopdf reads it");
    let catalog = pdf.catalog().expect("catalog");
    let form = pdf
        .get_dictionary(
            catalog
                .get(b"AcroForm")
                .and_then(lopdf::Object::as_reference)
                .expect("form"),
        )
        .expect("AcroForm");
    let fields = form
        .get(b"Fields")
        .and_then(lopdf::Object::as_array)
        .expect("fields");
    assert_eq!(fields.len(), 2);
    for field in fields {
        let field = pdf
            .get_dictionary(field.as_reference().expect("reference"))
            .expect("field");
        assert!(!field.has(b"V"), "left without value");
        assert_eq!(
            field.get(b"FT").and_then(lopdf::Object::as_name).ok(),
            Some(&b"Tx"[..])
        );
    }
    // The blanks show through the fields' appearances, where the lines would be printed.
    let Some(text) = text_of(&rendered) else {
        return;
    };
    assert!(
        text.contains("Số:      /BC-UBND") || text.contains("Số: /BC-UBND"),
        "{text}"
    );
    assert!(text.contains("Việt Yên, ngày"), "{text}");
}
