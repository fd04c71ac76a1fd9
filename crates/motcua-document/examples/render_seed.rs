//! Renders the seed-like report, prints the time per render and optionally writes the PDF.
//!
//! `cargo run --release -p motcua-document --example render_seed [out.pdf]`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let document = motcua_document::sample::seed_like_report();
    let first = motcua_document::render(&document)?;
    let runs = 20u32;
    let start = Instant::now();
    for _ in 0..runs {
        motcua_document::render(&document)?;
    }
    let per = start.elapsed() / runs;
    println!(
        "{} pages, {} bytes, {:.2} ms per render",
        first.pages,
        first.pdf.len(),
        per.as_secs_f64() * 1000.0
    );
    println!("signature slots: {:?}", first.signature_slots);
    if let Some(path) = std::env::args().nth(1) {
        std::fs::write(path, &first.pdf)?;
    }
    Ok(())
}
