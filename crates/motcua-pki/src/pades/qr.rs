//! The verification QR code of a document: the public verification URL with the SHA-256 of the
//! document, drawn as vector squares in the corner of the last page's left and bottom margins.
//!
//! A file cannot hold its own hash, so the code is added as an incremental update over the
//! unsigned document and names the hash of the bytes before that update. Updates keep earlier
//! revisions as a byte prefix, so whoever holds the signed file finds a revision that hashes to
//! the code's value ([`has_revision_with_sha256`]).

use lopdf::{Dictionary, Object, ObjectId};
use motcua_document::{VERIFICATION_QR_ORIGIN, VERIFICATION_QR_SIDE};
use qrcode::{Color, EcLevel, QrCode};

use super::invalid;
use super::serialize::{append_update, write_dictionary, write_object, UpdateObject};
use super::sign::{next_free_id, root_id, update_trailer};
use super::source::Source;
use crate::error::PkiError;

/// Light modules around the code, as ISO/IEC 18004 asks.
pub const QR_QUIET_ZONE: usize = 4;
/// Revisions of a document examined for the code's hash; the code's revision is one of the
/// first, later ones are signatures and timestamps.
pub const MAX_REVISIONS_EXAMINED: usize = 64;
/// Deepest `/Parent` chain followed for inherited page attributes.
const MAX_INHERITANCE_DEPTH: usize = 32;

/// A document with its verification QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationQr {
    /// The document with the code's update appended.
    pub pdf: Vec<u8>,
    /// What the code says.
    pub url: String,
    /// SHA-256 of the document before the update, the hash the URL carries.
    pub sha256: [u8; 32],
}

/// The modules of a QR code for `text`, error correction M, with its quiet zone: `side` × `side`
/// booleans, row by row from the top, `true` for dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    pub side: usize,
    pub dark: Vec<bool>,
}

impl QrModules {
    pub fn of(text: &str) -> Result<Self, PkiError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .map_err(|error| invalid(format!("no QR code holds the URL: {error}")))?;
        let width = code.width();
        let side = width + 2 * QR_QUIET_ZONE;
        let mut dark = vec![false; side * side];
        for (index, color) in code.to_colors().into_iter().enumerate() {
            let (row, column) = (index / width, index % width);
            if let Some(module) =
                dark.get_mut((row + QR_QUIET_ZONE) * side + column + QR_QUIET_ZONE)
            {
                *module = color == Color::Dark;
            }
        }
        Ok(Self { side, dark })
    }

    pub fn is_dark(&self, row: usize, column: usize) -> bool {
        column < self.side && self.dark.get(row * self.side + column) == Some(&true)
    }

    /// A content stream in module units (y up): a white square, then the dark modules, one
    /// rectangle per horizontal run.
    fn drawing(&self) -> String {
        let side = self.side;
        let mut content = format!("1 g 0 0 {side} {side} re f 0 g");
        for row in 0..side {
            let y = side - 1 - row;
            let mut column = 0;
            while column < side {
                if !self.is_dark(row, column) {
                    column += 1;
                    continue;
                }
                let start = column;
                while self.is_dark(row, column) {
                    column += 1;
                }
                content.push_str(&format!(" {start} {y} {} 1 re", column - start));
            }
        }
        content.push_str(" f");
        content
    }
}

/// Adds the verification QR code of `pdf` to its last page: `url` receives the SHA-256 of `pdf`
/// in lowercase hex and returns what the code says. The code is a form XObject drawn
/// [`VERIFICATION_QR_SIDE`] wide at [`VERIFICATION_QR_ORIGIN`] from the page's lower-left
/// corner, in a content stream of its own after the page's (whose graphics state is saved
/// and restored around them, so nothing of the page moves or changes).
pub fn verification_qr(
    pdf: &[u8],
    url: impl FnOnce(&str) -> String,
) -> Result<VerificationQr, PkiError> {
    let sha256 = crate::cms::sha256(pdf);
    let url = url(&hex::encode(sha256));
    let modules = QrModules::of(&url)?;
    let document = Source::open(pdf)?;
    let root_id = root_id(&document)?;
    let page_id = document.page(page_count(&document, root_id)?)?;
    let mut next_id = next_free_id(&document);
    let mut allocate = || {
        let id = (next_id, 0);
        next_id = next_id.saturating_add(1);
        id
    };
    let (save_id, draw_id, form_id) = (allocate(), allocate(), allocate());

    let mut page = document.dictionary(page_id)?;
    let origin = page_origin(&document, &page)?;
    let name = set_form_resource(&document, &mut page, form_id)?;
    let mut contents = vec![Object::Reference(save_id)];
    contents.extend(page_contents(&document, &page)?);
    contents.push(Object::Reference(draw_id));
    page.set("Contents", Object::Array(contents));

    let scale = VERIFICATION_QR_SIDE / modules.side as f32;
    let (x, y) = (
        origin.0 + VERIFICATION_QR_ORIGIN.0,
        origin.1 + VERIFICATION_QR_ORIGIN.1,
    );
    let draw = format!("Q q {scale:.5} 0 0 {scale:.5} {x:.3} {y:.3} cm /{name} Do Q");
    let form = format!(
        "/Type /XObject /Subtype /Form /BBox [0 0 {side} {side}]",
        side = modules.side
    );
    let mut objects = vec![
        UpdateObject {
            id: save_id,
            body: stream("", "q"),
        },
        UpdateObject {
            id: draw_id,
            body: stream("", &draw),
        },
        UpdateObject {
            id: form_id,
            body: compressed_stream(&form, &modules.drawing()),
        },
    ];
    let mut body = Vec::new();
    write_dictionary(&mut body, &page)?;
    objects.push(UpdateObject { id: page_id, body });
    let trailer = update_trailer(&document, next_id, root_id)?;
    drop(document);
    let (pdf, _) = append_update(pdf, &objects, &trailer)?;
    Ok(VerificationQr { pdf, url, sha256 })
}

/// Whether a revision of `pdf` (a prefix ending at a `%%EOF` marker, with or without its end of
/// line) has the SHA-256 `expected`; the first [`MAX_REVISIONS_EXAMINED`] markers are examined.
pub fn has_revision_with_sha256(pdf: &[u8], expected: &[u8; 32]) -> bool {
    let mut hasher = openssl::sha::Sha256::new();
    let mut hashed = 0;
    let ends = memchr::memmem::find_iter(pdf, b"%%EOF").take(MAX_REVISIONS_EXAMINED);
    for marker in ends {
        let end = marker + b"%%EOF".len();
        let mut candidates = vec![end];
        match pdf.get(end..end + 2) {
            Some(b"\r\n") => candidates.extend([end + 1, end + 2]),
            _ if matches!(pdf.get(end), Some(b'\r' | b'\n')) => candidates.push(end + 1),
            _ => {}
        }
        for candidate in candidates {
            hasher.update(pdf.get(hashed..candidate).unwrap_or_default());
            hashed = candidate;
            if &hasher.clone().finish() == expected {
                return true;
            }
        }
    }
    false
}

/// `/Count` of the page tree: the number of the last page.
fn page_count(document: &Source<'_>, root_id: ObjectId) -> Result<u32, PkiError> {
    let pages = document
        .dictionary(root_id)?
        .get(b"Pages")
        .and_then(Object::as_reference)
        .map_err(|_| invalid("the catalog has no /Pages"))?;
    let count = document.dictionary(pages)?.get(b"Count").cloned();
    count
        .ok()
        .and_then(|count| count.as_i64().ok())
        .and_then(|count| u32::try_from(count).ok())
        .filter(|count| *count > 0)
        .ok_or_else(|| invalid("the page tree has no pages"))
}

/// The page's attribute `key`, its own or inherited from the page tree (ISO 32000-1 §7.7.3.4).
fn inherited(
    document: &Source<'_>,
    page: &Dictionary,
    key: &[u8],
) -> Result<Option<Object>, PkiError> {
    let mut node = page.clone();
    for _ in 0..MAX_INHERITANCE_DEPTH {
        if let Ok(value) = node.get(key) {
            return document.resolve(value).map(Some);
        }
        let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) else {
            return Ok(None);
        };
        node = document.dictionary(parent)?;
    }
    Err(invalid("the page tree is too deep"))
}

/// Lower-left corner of the page's visible area: its crop box, else its media box.
fn page_origin(document: &Source<'_>, page: &Dictionary) -> Result<(f32, f32), PkiError> {
    let area = match inherited(document, page, b"CropBox")? {
        Some(area) => area,
        None => inherited(document, page, b"MediaBox")?
            .ok_or_else(|| invalid("the last page has no /MediaBox"))?,
    };
    let corners: Vec<f32> = area
        .as_array()
        .map_err(|_| invalid("the page's box is not an array"))?
        .iter()
        .map(|corner| match document.resolve(corner) {
            Ok(Object::Integer(value)) => Ok(value as f32),
            Ok(Object::Real(value)) => Ok(value),
            _ => Err(invalid("the page's box is not four numbers")),
        })
        .collect::<Result<_, _>>()?;
    match corners.as_slice() {
        [x1, y1, x2, y2] => Ok((x1.min(*x2), y1.min(*y2))),
        _ => Err(invalid("the page's box is not four numbers")),
    }
}

/// The page's content streams, as references.
fn page_contents(document: &Source<'_>, page: &Dictionary) -> Result<Vec<Object>, PkiError> {
    match page.get(b"Contents") {
        Err(_) | Ok(Object::Null) => Ok(Vec::new()),
        Ok(Object::Array(items)) => Ok(items.clone()),
        Ok(Object::Reference(id)) => match document.object(*id)? {
            Object::Array(items) => Ok(items),
            _ => Ok(vec![Object::Reference(*id)]),
        },
        Ok(_) => Err(invalid(
            "the page's /Contents is neither a stream nor an array",
        )),
    }
}

/// Gives the page its own resources (copied from what it has or inherits) with the form
/// `form_id` under a name no other XObject of the page has; returns that name. Shared resource
/// dictionaries are left as they are.
fn set_form_resource(
    document: &Source<'_>,
    page: &mut Dictionary,
    form_id: ObjectId,
) -> Result<String, PkiError> {
    let mut resources = match inherited(document, page, b"Resources")? {
        Some(Object::Dictionary(resources)) => resources,
        Some(_) => return Err(invalid("the page's /Resources is not a dictionary")),
        None => Dictionary::new(),
    };
    let mut xobjects = match resources.get(b"XObject") {
        Ok(xobjects) => match document.resolve(xobjects)? {
            Object::Dictionary(xobjects) => xobjects,
            _ => {
                return Err(invalid(
                    "the page's /XObject resources are not a dictionary",
                ))
            }
        },
        Err(_) => Dictionary::new(),
    };
    let name = (1..)
        .map(|n| format!("VerificationQR{n}"))
        .find(|name| !xobjects.has(name.as_bytes()))
        .unwrap_or_default();
    xobjects.set(name.clone().into_bytes(), Object::Reference(form_id));
    resources.set("XObject", Object::Dictionary(xobjects));
    // The copy must be writable in an update: no stream may sit directly in it.
    write_object(&mut Vec::new(), &Object::Dictionary(resources.clone()))?;
    page.set("Resources", Object::Dictionary(resources));
    Ok(name)
}

/// A stream object with `dictionary` entries and `content` as it is.
fn stream(dictionary: &str, content: &str) -> Vec<u8> {
    stream_of(dictionary, content.as_bytes())
}

/// A stream object with `dictionary` entries and `content` deflated.
fn compressed_stream(dictionary: &str, content: &str) -> Vec<u8> {
    let data = miniz_oxide::deflate::compress_to_vec_zlib(content.as_bytes(), 6);
    stream_of(&format!("{dictionary} /Filter /FlateDecode"), &data)
}

fn stream_of(dictionary: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<<{dictionary} /Length {}>>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}
