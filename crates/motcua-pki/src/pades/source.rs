//! The objects the signer needs from a PDF, read on demand.
//!
//! Signing only needs the trailer, the catalog, the page tree down to one page and the
//! AcroForm: with classic cross-reference tables those few objects are parsed where they lie,
//! instead of loading (and copying the streams of) the whole document. Cross-reference streams,
//! hybrid files and encrypted files are loaded whole by lopdf, as before.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

use lopdf::xref::{Xref, XrefEntry, XrefType};
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, Reader};

use super::invalid;
use crate::error::PkiError;

/// A document to sign: its trailer, where its last cross-reference starts, and its objects.
pub(super) enum Source<'a> {
    /// Classic cross-reference tables: objects parsed when asked for.
    OnDemand(Box<OnDemand<'a>>),
    /// Anything else, loaded whole.
    Whole(Box<Document>),
}

/// A reader of objects where they lie, keeping each object it parsed: the signer asks for the
/// catalog and the page several times.
pub(super) struct OnDemand<'a> {
    reader: Reader<'a>,
    parsed: RefCell<HashMap<ObjectId, Object>>,
}

impl<'a> OnDemand<'a> {
    fn new(reader: Reader<'a>) -> Box<Self> {
        Box::new(Self {
            reader,
            parsed: RefCell::new(HashMap::new()),
        })
    }

    fn object(&self, id: ObjectId) -> lopdf::Result<Object> {
        if let Some(parsed) = self.parsed.borrow().get(&id) {
            return Ok(parsed.clone());
        }
        let object = self.reader.get_object(id, &mut HashSet::new())?;
        self.parsed.borrow_mut().insert(id, object.clone());
        Ok(object)
    }
}

/// Deepest page tree walked (real documents have a few levels).
const MAX_PAGE_TREE_DEPTH: usize = 64;

/// Where an object is written, by the cross-reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Location {
    /// At this offset of the file.
    At(usize),
    /// Inside the object stream with this number.
    InObjectStream(u32),
    /// Nowhere (free, or not in the cross-reference).
    Missing,
}

/// Where the body of object `id` written at `offset` starts: after its `N G obj` header.
/// `None` when no such header is there.
pub(super) fn object_body(pdf: &[u8], id: ObjectId, offset: usize) -> Option<usize> {
    let mut tokens = Tokens::new(pdf, offset);
    let number = tokens.number()?;
    let generation = tokens.number()?;
    if number != usize::try_from(id.0).ok()? || generation != usize::from(id.1) {
        return None;
    }
    // A word stops before `<`, so `obj<<` reads as `obj`; `obj[` as `obj[…`.
    if !tokens.word()?.starts_with(b"obj") {
        return None;
    }
    Some(tokens.at)
}

/// The bytes of object `id` written at `offset`: from its `N G obj` header to the end of its
/// `endobj`. `None` when no such header is there or the object has no end.
pub(super) fn object_span(
    pdf: &[u8],
    id: ObjectId,
    offset: usize,
) -> Option<std::ops::Range<usize>> {
    let body = object_body(pdf, id, offset)?;
    let end = body + memchr::memmem::find(pdf.get(body..)?, b"endobj")?;
    Some(offset..end + b"endobj".len())
}

impl<'a> Source<'a> {
    pub(super) fn open(pdf: &'a [u8]) -> Result<Self, PkiError> {
        if let Some(reader) = on_demand(pdf) {
            return Ok(Self::OnDemand(OnDemand::new(reader)));
        }
        let document = load_whole(pdf).map_err(invalid)?;
        if document.is_encrypted() {
            return Err(invalid("encrypted PDFs cannot be signed"));
        }
        Ok(Self::Whole(Box::new(document)))
    }

    /// Like [`open`](Self::open), but an encrypted document is read (its signatures can still
    /// be checked) rather than refused.
    pub(super) fn open_for_reading(pdf: &'a [u8]) -> Result<Self, PkiError> {
        if let Some(reader) = on_demand(pdf) {
            return Ok(Self::OnDemand(OnDemand::new(reader)));
        }
        Ok(Self::Whole(Box::new(load_whole(pdf).map_err(invalid)?)))
    }

    fn document(&self) -> &Document {
        match self {
            Self::OnDemand(on_demand) => &on_demand.reader.document,
            Self::Whole(document) => document,
        }
    }

    pub(super) fn trailer(&self) -> &Dictionary {
        &self.document().trailer
    }

    pub(super) fn xref_start(&self) -> usize {
        self.document().xref_start
    }

    pub(super) fn max_id(&self) -> u32 {
        self.document().max_id
    }

    /// The merged cross-reference: where each object's latest version is.
    pub(super) fn xref(&self) -> &Xref {
        &self.document().reference_table
    }

    /// Where the latest version of object `id` is written.
    pub(super) fn location(&self, id: ObjectId) -> Location {
        match self.xref().get(id.0) {
            Some(XrefEntry::Normal { offset, generation }) if *generation == id.1 => {
                usize::try_from(*offset).map_or(Location::Missing, Location::At)
            }
            Some(XrefEntry::Compressed { container, .. }) => Location::InObjectStream(*container),
            _ => Location::Missing,
        }
    }

    /// Object `id`, copied.
    pub(super) fn object(&self, id: ObjectId) -> Result<Object, PkiError> {
        let found = match self {
            Self::OnDemand(on_demand) => on_demand.object(id),
            Self::Whole(document) => document.get_object(id).cloned(),
        };
        found.map_err(|error| invalid(format!("object {} {}: {error}", id.0, id.1)))
    }

    /// `object` itself, or the object it refers to.
    pub(super) fn resolve(&self, object: &Object) -> Result<Object, PkiError> {
        match object {
            Object::Reference(id) => self.object(*id),
            other => Ok(other.clone()),
        }
    }

    pub(super) fn dictionary(&self, id: ObjectId) -> Result<Dictionary, PkiError> {
        match self.object(id)? {
            Object::Dictionary(dictionary) => Ok(dictionary),
            Object::Stream(stream) => Ok(stream.dict),
            _ => Err(invalid(format!(
                "object {} {} is not a dictionary",
                id.0, id.1
            ))),
        }
    }

    /// The object id of page `number` (from 1).
    pub(super) fn page(&self, number: u32) -> Result<ObjectId, PkiError> {
        // The same bounded walk for both kinds: lopdf's page iterator has no visited set (a
        // cycle yields the same pages again until its count of objects runs out).
        let missing = || invalid(format!("the document has no page {number}"));
        if number == 0 {
            return Err(missing());
        }
        let root = self
            .trailer()
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| invalid("the trailer has no /Root"))?;
        let pages = self
            .dictionary(root)?
            .get(b"Pages")
            .and_then(Object::as_reference)
            .map_err(|_| invalid("the catalog has no /Pages"))?;
        let mut remaining = number;
        let mut seen = HashSet::new();
        self.find_page(pages, &mut remaining, &mut seen, 0)?
            .ok_or_else(missing)
    }

    /// Walks the page tree under `node`, skipping whole subtrees by their `/Count`.
    fn find_page(
        &self,
        node: ObjectId,
        remaining: &mut u32,
        seen: &mut HashSet<ObjectId>,
        depth: usize,
    ) -> Result<Option<ObjectId>, PkiError> {
        if depth > MAX_PAGE_TREE_DEPTH || !seen.insert(node) {
            return Err(invalid("the page tree has a cycle or is too deep"));
        }
        let dictionary = self.dictionary(node)?;
        let Ok(kids) = dictionary.get(b"Kids") else {
            // A leaf: a page.
            *remaining = remaining.saturating_sub(1);
            return Ok((*remaining == 0).then_some(node));
        };
        let kids = self.resolve(kids)?;
        for kid in kids.as_array().map_err(invalid)? {
            let Ok(kid) = kid.as_reference() else {
                continue;
            };
            let count = self
                .dictionary(kid)?
                .get(b"Count")
                .and_then(Object::as_i64)
                .ok()
                .and_then(|count| u32::try_from(count).ok());
            let is_node = self.dictionary(kid)?.has(b"Kids");
            match count {
                Some(count) if is_node && count < *remaining => *remaining -= count,
                _ => {
                    if let Some(page) = self.find_page(kid, remaining, seen, depth + 1)? {
                        return Ok(Some(page));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// Most bytes the object streams of one document may inflate to when it is loaded whole.
const MAX_INFLATED: usize = 256 << 20;

thread_local! {
    /// Bytes inflated so far from the object streams of the document being loaded.
    static INFLATED: Cell<usize> = const { Cell::new(0) };
}

/// Loads `pdf` whole with lopdf, its object streams inflated within [`MAX_INFLATED`].
fn load_whole(pdf: &[u8]) -> lopdf::Result<Document> {
    INFLATED.with(|inflated| inflated.set(0));
    Document::load_mem_with_options(pdf, LoadOptions::with_filter(bounded_object_streams))
}

/// Called by lopdf on each object it loads: inflates an object stream compressed with Flate
/// alone here, within what is left of [`MAX_INFLATED`], instead of letting lopdf inflate it
/// without limit (a few kilobytes can inflate to gigabytes). A stream beyond the limit is
/// dropped, so the objects in it are missing. Other filters, and predictors, are left to lopdf
/// (producers compress object streams with Flate alone).
fn bounded_object_streams(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    // lopdf keeps what is returned for the objects found inside object streams (never streams)
    // and the object itself for the others.
    let Object::Stream(stream) = object else {
        return Some((id, object.clone()));
    };
    let flate_only = match stream.dict.get(b"Filter") {
        Ok(Object::Name(name)) => name == b"FlateDecode",
        Ok(Object::Array(filters)) => {
            matches!(filters.as_slice(), [Object::Name(name)] if name == b"FlateDecode")
        }
        _ => false,
    };
    if !stream.dict.has_type(b"ObjStm") || !flate_only || stream.dict.has(b"DecodeParms") {
        return Some((id, Object::Null));
    }
    let left = MAX_INFLATED.saturating_sub(INFLATED.with(Cell::get));
    let plain = inflate_within(&stream.content, left)?;
    INFLATED.with(|inflated| inflated.set(inflated.get().saturating_add(plain.len())));
    stream.dict.remove(b"Filter");
    stream.set_content(plain);
    Some((id, Object::Null))
}

/// `compressed` inflated as lopdf would (zlib, else raw deflate after the two header bytes,
/// which also ignores a wrong checksum), within `limit` bytes; `None` beyond it or when
/// neither reads.
pub(super) fn inflate_within(compressed: &[u8], limit: usize) -> Option<Vec<u8>> {
    use miniz_oxide::inflate::{self, TINFLStatus};
    match inflate::decompress_to_vec_zlib_with_limit(compressed, limit) {
        Ok(plain) => Some(plain),
        Err(error) if error.status == TINFLStatus::HasMoreOutput => None,
        Err(_) => inflate::decompress_to_vec_with_limit(compressed.get(2..)?, limit).ok(),
    }
}

/// A reader over `pdf` knowing its cross-reference and trailer, when every section of the
/// cross-reference is a classic table and the file is not encrypted.
fn on_demand(pdf: &[u8]) -> Option<Reader<'_>> {
    if !pdf.starts_with(b"%PDF-") {
        return None;
    }
    let xref_start = last_startxref(pdf)?;
    let mut xref = Xref::new(0, XrefType::CrossReferenceTable);
    let mut trailer: Option<Dictionary> = None;
    let mut at = xref_start;
    let mut seen = HashSet::new();
    loop {
        if !seen.insert(at) || seen.len() > 1000 {
            return None;
        }
        let (section_trailer, prev) = read_table(pdf, at, &mut xref)?;
        if section_trailer.has(b"XRefStm") || section_trailer.has(b"Encrypt") {
            return None;
        }
        if trailer.is_none() {
            trailer = Some(section_trailer);
        }
        match prev {
            Some(prev) => at = prev,
            None => break,
        }
    }
    let mut trailer = trailer?;
    trailer.remove(b"Prev");
    let size = trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|size| u32::try_from(size).ok())
        .unwrap_or(0)
        .max(xref.max_id().saturating_add(1));
    xref.size = size;
    let mut document = Document::new();
    document.max_id = size.saturating_sub(1);
    document.trailer = trailer;
    document.reference_table = xref;
    document.xref_start = xref_start;
    Some(Reader {
        buffer: pdf,
        document,
        encryption_state: None,
        raw_objects: BTreeMap::new(),
        password: None,
        strict: false,
    })
}

/// The offset after the last `startxref`.
fn last_startxref(pdf: &[u8]) -> Option<usize> {
    let tail_start = pdf.len().saturating_sub(2048);
    let tail = pdf.get(tail_start..)?;
    let keyword = memchr::memmem::rfind(tail, b"startxref")?;
    let mut tokens = Tokens::new(tail, keyword + b"startxref".len());
    tokens.number()
}

/// Reads the table at `at` into `xref` (entries already there, from later updates, win) and
/// returns its trailer and `/Prev`.
fn read_table(pdf: &[u8], at: usize, xref: &mut Xref) -> Option<(Dictionary, Option<usize>)> {
    let mut tokens = Tokens::new(pdf, at);
    if tokens.word()? != b"xref" {
        return None;
    }
    loop {
        let word = tokens.word()?;
        if word == b"trailer" {
            break;
        }
        let first: u32 = std::str::from_utf8(word).ok()?.parse().ok()?;
        let count: u32 = tokens.number()?.try_into().ok()?;
        for index in 0..count {
            let offset = tokens.number()?;
            let generation: u16 = tokens.number()?.try_into().ok()?;
            let kind = tokens.word()?;
            let id = first.checked_add(index)?;
            if xref.get(id).is_some() {
                continue;
            }
            match kind {
                b"n" => xref.insert(
                    id,
                    XrefEntry::Normal {
                        offset: offset.try_into().ok()?,
                        generation,
                    },
                ),
                // Remembered so that an older table cannot bring a deleted object back.
                b"f" => xref.insert(id, XrefEntry::Free),
                _ => return None,
            }
        }
    }
    let dictionary_start = tokens.at;
    let dictionary_end =
        dictionary_start + memchr::memmem::find(pdf.get(dictionary_start..)?, b"startxref")?;
    let trailer = parse_dictionary(pdf.get(dictionary_start..dictionary_end)?)?;
    let prev = trailer
        .get(b"Prev")
        .and_then(Object::as_i64)
        .ok()
        .map(|prev| usize::try_from(prev).ok())
        .map(|prev| prev.filter(|&prev| prev < pdf.len()));
    match prev {
        Some(None) => None,
        Some(Some(prev)) => Some((trailer, Some(prev))),
        None => Some((trailer, None)),
    }
}

/// Parses a dictionary written on its own (a trailer) with lopdf's object parser.
fn parse_dictionary(text: &[u8]) -> Option<Dictionary> {
    let mut buffer = b"1 0 obj\n".to_vec();
    buffer.extend_from_slice(text);
    buffer.extend_from_slice(b"\nendobj\n");
    let mut xref = Xref::new(2, XrefType::CrossReferenceTable);
    xref.insert(
        1,
        XrefEntry::Normal {
            offset: 0,
            generation: 0,
        },
    );
    let mut document = Document::new();
    document.reference_table = xref;
    let reader = Reader {
        buffer: &buffer,
        document,
        encryption_state: None,
        raw_objects: BTreeMap::new(),
        password: None,
        strict: false,
    };
    match reader.get_object((1, 0), &mut HashSet::new()).ok()? {
        Object::Dictionary(dictionary) => Some(dictionary),
        _ => None,
    }
}

/// Whitespace-separated words of the cross-reference section.
struct Tokens<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Tokens<'b> {
    fn new(bytes: &'b [u8], at: usize) -> Self {
        Self { bytes, at }
    }

    fn word(&mut self) -> Option<&'b [u8]> {
        let is_space = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0');
        while self.bytes.get(self.at).is_some_and(is_space) {
            self.at += 1;
        }
        let start = self.at;
        while self
            .bytes
            .get(self.at)
            .is_some_and(|b| !is_space(b) && *b != b'<')
        {
            self.at += 1;
        }
        (self.at > start).then(|| &self.bytes[start..self.at])
    }

    fn number(&mut self) -> Option<usize> {
        std::str::from_utf8(self.word()?).ok()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF with a two-level page tree (pages 1–2 under an intermediate node, page 3 directly
    /// under the root) and a classic cross-reference table.
    fn three_pages() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 3 >>",
            "<< /Type /Pages /Parent 2 0 R /Kids [4 0 R 5 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>",
            "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ];
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (index, object) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
        }
        let xref = pdf.len();
        pdf.extend_from_slice(b"xref\n0 7\n0000000000 65535 f \n");
        for offset in offsets {
            pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        pdf.extend_from_slice(
            format!("trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        pdf
    }

    #[test]
    fn pages_are_found_like_lopdf_finds_them() {
        let pdf = three_pages();
        let on_demand = Source::open(&pdf).expect("opened");
        assert!(matches!(on_demand, Source::OnDemand(_)));
        let loaded = Document::load_mem(&pdf).expect("loaded");
        let pages = loaded.get_pages();
        let whole = Source::Whole(Box::new(loaded));
        for number in 1..=3 {
            assert_eq!(
                on_demand.page(number).expect("page"),
                pages[&number],
                "page {number}"
            );
            assert_eq!(
                whole.page(number).expect("page"),
                pages[&number],
                "page {number}"
            );
        }
        assert_eq!(on_demand.page(3).expect("page"), (6, 0));
        assert!(on_demand.page(4).is_err());
        assert!(on_demand.page(0).is_err());
        assert_eq!(on_demand.xref_start(), whole.xref_start());
        assert_eq!(on_demand.max_id(), 6);
    }

    #[test]
    fn object_streams_inflate_within_a_limit() {
        let small = miniz_oxide::deflate::compress_to_vec_zlib(b"1 0 << >>", 6);
        assert_eq!(
            inflate_within(&small, 1 << 20).as_deref(),
            Some(&b"1 0 << >>"[..])
        );
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0; 4 << 20], 9);
        assert!(bomb.len() < 8 * 1024, "{} bytes", bomb.len());
        assert_eq!(inflate_within(&bomb, 1 << 20), None);
        assert_eq!(
            inflate_within(&bomb, 8 << 20).map(|plain| plain.len()),
            Some(4 << 20)
        );
        // Raw deflate behind a broken zlib header, as lopdf also reads it.
        let mut headless = vec![0, 0];
        headless.extend(miniz_oxide::deflate::compress_to_vec(b"2 0 [ ]", 6));
        assert_eq!(
            inflate_within(&headless, 1 << 20).as_deref(),
            Some(&b"2 0 [ ]"[..])
        );

        // A document whose objects are in object streams still loads whole and reads.
        let mut modern = Vec::new();
        Document::load_mem(&three_pages())
            .expect("loaded")
            .save_modern(&mut modern)
            .expect("saved");
        let source = Source::open_for_reading(&modern).expect("opened");
        assert!(matches!(source, Source::Whole(_)));
        assert_eq!(source.page(3).expect("page"), (6, 0));
    }

    #[test]
    fn a_page_tree_cycle_is_refused_for_both_kinds() {
        let pdf = String::from_utf8_lossy(&three_pages())
            .replace("/Kids [4 0 R 5 0 R]", "/Kids [3 0 R 4 0 R]")
            .into_bytes();
        let on_demand = Source::open(&pdf).expect("opened");
        let whole = Source::Whole(Box::new(Document::load_mem(&pdf).expect("loaded")));
        for source in [on_demand, whole] {
            assert!(source.page(1).is_err());
        }
    }

    #[test]
    fn later_tables_override_earlier_ones() {
        let mut pdf = three_pages();
        let prev = last_startxref(&pdf).expect("startxref");
        // An update replacing the catalog (object 1) with one that has an AcroForm.
        let at = pdf.len();
        pdf.extend_from_slice(
            b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /AcroForm << >> >>\nendobj\n",
        );
        let xref = pdf.len();
        pdf.extend_from_slice(
            format!(
                "xref\n1 1\n{at:010} 00000 n \ntrailer\n<< /Size 7 /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n"
            )
            .as_bytes(),
        );
        let source = Source::open(&pdf).expect("opened");
        assert!(matches!(source, Source::OnDemand(_)));
        assert!(source.dictionary((1, 0)).expect("catalog").has(b"AcroForm"));
        assert_eq!(source.page(2).expect("page"), (5, 0));
        assert_eq!(source.xref_start(), xref);
        assert!(!source.trailer().has(b"Prev"));
        // A broken /Prev falls back to lopdf, which refuses the file.
        let broken =
            String::from_utf8_lossy(&pdf).replace(&format!("/Prev {prev}"), "/Prev 99999999");
        assert!(Source::open(broken.as_bytes()).is_err());
    }
}
