//! Adding a signature to a PDF: the incremental update with its placeholder, then the CMS.

use chrono::{DateTime, Utc};
use lopdf::{Dictionary, Object, ObjectId};
use serde::{Deserialize, Serialize};

use super::image::AppearanceImage;
use super::invalid;
use super::serialize::{
    append_update, decode_text, pdf_date, text_string, write_dictionary, write_object, UpdateObject,
};
use super::source::Source;
use crate::cms::{self, Prepared, RsaPadding, Signer};
use crate::error::PkiError;
use crate::parse::Certificate;

/// Where and how to sign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PdfSignatureOptions {
    /// The claimed signing time, written to `/M` (PAdES keeps it out of the CMS).
    pub signing_time: DateTime<Utc>,
    /// Name of the new signature field; `Signature<n>` (first free number) when `None`.
    pub field_name: Option<String>,
    /// Page of the (invisible) signature widget, from 1.
    pub page: u32,
    /// `/Reason`, e.g. "Phê duyệt".
    pub reason: Option<String>,
    /// `/Location`, e.g. "Việt Yên, Bắc Giang".
    pub location: Option<String>,
    /// `/Name`: who signs, e.g. the organisation's name (the certificate says it too).
    #[serde(default)]
    pub name: Option<String>,
    /// Bytes reserved for the CMS; the `/Contents` hole is twice as many hex digits.
    pub reserved_bytes: usize,
    /// Where the signature shows on the page; invisible when `None`.
    #[serde(default)]
    pub appearance: Option<SignatureAppearance>,
    /// How an RSA key signs in two-step signing ([`prepare_pdf`]); [`sign_pdf`] takes the
    /// signer's own [`Signer::rsa_padding`] instead.
    #[serde(default)]
    pub rsa_padding: RsaPadding,
    /// What the signature lets later revisions change; nothing but further signatures and
    /// validation data when `None`.
    #[serde(default)]
    pub lock: Option<SignatureLock>,
    /// Text fields filled in the same update as the signature, which covers them.
    #[serde(default)]
    pub fill: Vec<FieldFill>,
}

/// A lock on the signature's field (ISO 32000-2 §12.7.5.5) and the matching FieldMDP
/// reference in its signature dictionary (§12.8.2.4): every field the document has when it is
/// signed is locked except `fillable`, which later revisions may fill in, as they may add
/// signatures — so that the number and date of a document can be written, and the
/// organisation's signature added, when it is issued after its signer approved it. The lock
/// names the locked fields (`/Action /Include`), so that fields added later (the next
/// signature's) are not locked. It has no `/P`: a DocMDP level of 2 would permit the same, but
/// validators such as pyHanko then treat the signature as a certification and refuse the
/// organisation's visible signature after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureLock {
    /// Names of the fields left open to filling.
    pub fillable: Vec<String>,
}

/// A text field given its value, with an appearance drawing the value as the document would
/// have printed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldFill {
    pub value: String,
    /// The field's name, place and text settings, as the document renderer reported them.
    pub slot: motcua_document::TextFieldSlot,
}

/// A visible signature: a rectangle on the page with a drawing in it. Decree 30/2020 puts the
/// signer's mark between the authority line and the name, and the organisation's seal over the
/// left third of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignatureAppearance {
    /// `[x1 y1 x2 y2]` in page coordinates (points).
    pub rect: [f32; 4],
    pub mark: SignatureMark,
    /// Lines written inside the rectangle over the mark, e.g. "Ký bởi: Thân Văn Thuận" and
    /// "Thời gian: 2024-04-05 10:12:30 +07:00", in Liberation Serif (embedded with only the
    /// glyphs used); none when empty. For a [`SignatureMark::Seal`] drawn without image, the
    /// first line is the organisation's name, written around the seal's ring; over a seal's
    /// image, nothing is written.
    #[serde(default)]
    pub text: Vec<String>,
    /// The image drawn instead of the mark (the signer's handwritten signature, the
    /// organisation's seal), as large as the rectangle allows, centred.
    #[serde(default)]
    pub image: Option<AppearanceImage>,
}

impl SignatureAppearance {
    /// A mark in `rect` without text.
    pub fn new(rect: [f32; 4], mark: SignatureMark) -> Self {
        Self {
            rect,
            mark,
            text: Vec::new(),
            image: None,
        }
    }
}

/// What is drawn inside the rectangle when there is no image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMark {
    /// A personal signature without its image: a neutral grey stroke standing in for it.
    Personal,
    /// An organisation's seal without its image: two red concentric rings with a star, the
    /// organisation's name around the ring.
    Seal,
}

impl SignatureMark {
    /// The appearance stream's content, drawn in a `width` × `height` box.
    fn drawing(self, width: f32, height: f32) -> String {
        match self {
            SignatureMark::Personal => format!(
                "q 0.45 0.45 0.45 RG 1.2 w 1 J \
                 {x0:.2} {y0:.2} m {x1:.2} {y1:.2} {x2:.2} {y2:.2} {x3:.2} {y3:.2} c S Q",
                x0 = width * 0.2,
                y0 = height * 0.4,
                x1 = width * 0.4,
                y1 = height * 0.75,
                x2 = width * 0.6,
                y2 = height * 0.2,
                x3 = width * 0.8,
                y3 = height * 0.55,
            ),
            SignatureMark::Seal => {
                let (cx, cy) = (width / 2.0, height / 2.0);
                let outer = seal_radius(width, height);
                format!(
                    "q 0.85 0 0 RG 0.85 0 0 rg 2 w {} 1 w {} {} Q",
                    circle(cx, cy, outer),
                    circle(cx, cy, outer * 0.72),
                    star(cx, cy, outer * 0.3)
                )
            }
        }
    }
}

/// The outer ring's radius of a seal drawn in a `width` × `height` box.
fn seal_radius(width: f32, height: f32) -> f32 {
    width.min(height) / 2.0 - 2.0
}

/// A filled five-pointed star of outer radius `r`, a point up.
fn star(cx: f32, cy: f32, r: f32) -> String {
    let mut path = String::new();
    for index in 0..10 {
        let radius = if index % 2 == 0 { r } else { r * 0.4 };
        let angle = std::f32::consts::FRAC_PI_2 + index as f32 * std::f32::consts::PI / 5.0;
        let (x, y) = (cx + radius * angle.cos(), cy + radius * angle.sin());
        path.push_str(&format!(
            "{x:.2} {y:.2} {} ",
            if index == 0 { "m" } else { "l" }
        ));
    }
    path.push_str("h f");
    path
}

/// The organisation's name around the top of the seal's ring, glyph by glyph, each turned
/// along the circle; `font` holds one glyph a line.
fn ring_text(font: &motcua_document::EmbeddedTextFont, width: f32, height: f32) -> String {
    let (cx, cy) = (width / 2.0, height / 2.0);
    let outer = seal_radius(width, height);
    let inner = outer * 0.72;
    let radius = inner + (outer - inner) * 0.28;
    let total: f32 = font.line_widths.iter().sum();
    // At most 300° of the ring; smaller type when the name is long.
    let mut size = (outer - inner) * 0.62;
    if total > 0.0 {
        size = size.min(300f32.to_radians() * radius / total);
    }
    let span = total * size / radius;
    let mut angle = std::f32::consts::FRAC_PI_2 + span / 2.0;
    let mut content = format!(" q BT 0.85 0 0 rg /F1 {size:.2} Tf");
    for (glyph, advance) in font.encoded_lines.iter().zip(&font.line_widths) {
        let half = advance * size / 2.0 / radius;
        let middle = angle - half;
        let turn = middle - std::f32::consts::FRAC_PI_2;
        let (cos, sin) = (turn.cos(), turn.sin());
        let x = cx + radius * middle.cos() - advance * size / 2.0 * cos;
        let y = cy + radius * middle.sin() - advance * size / 2.0 * sin;
        content.push_str(&format!(
            " {cos:.4} {sin:.4} {:.4} {cos:.4} {x:.2} {y:.2} Tm {glyph} Tj",
            -sin
        ));
        angle -= 2.0 * half;
    }
    content.push_str(" ET Q");
    content
}

/// A circle as four Bézier arcs (κ = 0.5523), stroked.
fn circle(cx: f32, cy: f32, r: f32) -> String {
    let k = 0.5523 * r;
    format!(
        "{x0:.2} {cy:.2} m {x0:.2} {a:.2} {b:.2} {y1:.2} {cx:.2} {y1:.2} c \
         {c:.2} {y1:.2} {x1:.2} {a:.2} {x1:.2} {cy:.2} c \
         {x1:.2} {d:.2} {c:.2} {y0:.2} {cx:.2} {y0:.2} c \
         {b:.2} {y0:.2} {x0:.2} {d:.2} {x0:.2} {cy:.2} c S",
        x0 = cx - r,
        x1 = cx + r,
        y0 = cy - r,
        y1 = cy + r,
        a = cy + k,
        b = cx - k,
        c = cx + k,
        d = cy - k,
    )
}

impl PdfSignatureOptions {
    /// Defaults: page 1, generated field name, 16 KiB for the CMS (a certificate chain of three
    /// RSA 4096 certificates and the signature fit with room to spare).
    pub fn new(signing_time: DateTime<Utc>) -> Self {
        Self {
            signing_time,
            field_name: None,
            page: 1,
            reason: None,
            location: None,
            name: None,
            reserved_bytes: 16 * 1024,
            appearance: None,
            rsa_padding: RsaPadding::Pkcs1v15,
            lock: None,
            fill: Vec::new(),
        }
    }
}

/// The first step of a PDF signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedPdf {
    /// The document with the update appended and `/Contents` still zero-filled.
    pub pdf: Vec<u8>,
    /// `/ByteRange`: offset and length of the two signed parts.
    pub byte_range: [usize; 4],
    /// What the signer must sign (see [`Prepared::to_be_signed`]).
    pub prepared: Prepared,
}

const BYTE_RANGE_PLACEHOLDER: &[u8] = b"[0 0000000000 0000000000 0000000000]";

/// First step: appends a signature field for `signer_certificate` to `pdf` and prepares the CMS
/// over the byte ranges.
pub fn prepare_pdf(
    pdf: &[u8],
    signer_certificate: &Certificate,
    options: &PdfSignatureOptions,
) -> Result<PreparedPdf, PkiError> {
    prepare_pdf_with(pdf, signer_certificate, options, options.rsa_padding)
}

fn prepare_pdf_with(
    pdf: &[u8],
    signer_certificate: &Certificate,
    options: &PdfSignatureOptions,
    rsa_padding: RsaPadding,
) -> Result<PreparedPdf, PkiError> {
    let (output, byte_range) = append_field_with_hole(pdf, options, FieldValue::Signature)?;
    let digest = signed_digest(&output, byte_range)?;
    let prepared = cms::prepare_with_padding(
        &digest,
        signer_certificate,
        options.signing_time,
        false,
        rsa_padding,
    )?;
    Ok(PreparedPdf {
        pdf: output,
        byte_range,
        prepared,
    })
}

/// What the value of a new field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldValue {
    /// A `/Sig` dictionary for a CAdES signature.
    Signature,
    /// A `/DocTimeStamp` dictionary for an RFC 3161 token (ETSI EN 319 142-1 §5.4.3).
    DocumentTimestamp,
}

impl FieldValue {
    fn name_prefix(self) -> &'static str {
        match self {
            Self::Signature => "Signature",
            Self::DocumentTimestamp => "DocumentTimestamp",
        }
    }
}

/// The first free object number of `document`.
pub(super) fn next_free_id(document: &Source<'_>) -> u32 {
    let declared_size = document
        .trailer()
        .get(b"Size")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|size| u32::try_from(size).ok())
        .unwrap_or(0);
    declared_size.max(document.max_id().saturating_add(1))
}

/// The trailer of an update of `document`: `/Size`, `/Root`, `/Info` and `/ID` kept, `/Prev`
/// chained to the previous cross-reference.
pub(super) fn update_trailer(
    document: &Source<'_>,
    size: u32,
    root_id: ObjectId,
) -> Result<Dictionary, PkiError> {
    let mut trailer = Dictionary::new();
    trailer.set("Size", i64::from(size));
    trailer.set("Root", Object::Reference(root_id));
    for key in [&b"Info"[..], b"ID"] {
        if let Ok(value) = document.trailer().get(key) {
            trailer.set(key.to_vec(), value.clone());
        }
    }
    trailer.set(
        "Prev",
        i64::try_from(document.xref_start()).map_err(invalid)?,
    );
    Ok(trailer)
}

/// The catalog's object id.
pub(super) fn root_id(document: &Source<'_>) -> Result<ObjectId, PkiError> {
    document
        .trailer()
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| invalid("the trailer has no /Root"))
}

/// Appends a field whose value is `kind` with a zero-filled `/Contents` hole of
/// `options.reserved_bytes`; returns the document and its filled-in `/ByteRange`.
pub(super) fn append_field_with_hole(
    pdf: &[u8],
    options: &PdfSignatureOptions,
    kind: FieldValue,
) -> Result<(Vec<u8>, [usize; 4]), PkiError> {
    let document = Source::open(pdf)?;
    let root_id = root_id(&document)?;
    let page_id = document.page(options.page)?;
    let mut next_id = next_free_id(&document);
    let mut allocate = || {
        let id = (next_id, 0);
        next_id = next_id.saturating_add(1);
        id
    };
    let signature_id = allocate();
    let widget_id = allocate();
    let appearance_id = options.appearance.as_ref().map(|_| allocate());

    let mut update = Update::default();
    let mut catalog = document.dictionary(root_id)?;
    let locked = options
        .lock
        .as_ref()
        .map(|lock| lock.locked_fields(&document, &catalog));
    let field_name = add_field(
        &document,
        &mut catalog,
        widget_id,
        (options, kind),
        &mut allocate,
        &mut update,
    )?;
    let mut page = document.dictionary(page_id)?;
    append_to_array(&document, &mut page, b"Annots", widget_id, &mut update)?;
    fill_fields(&document, &catalog, options, &mut allocate, &mut update)?;
    update.dictionary(root_id, &catalog)?;
    update.dictionary(page_id, &page)?;

    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    // Printed and locked (ISO 32000-1 §12.5.3: 4 + 128); zero-size when invisible.
    let rect = options.appearance.as_ref().map_or([0.0; 4], |a| a.rect);
    widget.set(
        "Rect",
        Object::Array(rect.iter().map(|v| Object::Real(*v)).collect()),
    );
    widget.set("F", 132);
    if let (Some(locked), FieldValue::Signature) = (&locked, kind) {
        let mut locked = locked.clone();
        locked.push(field_name.clone());
        widget.set(
            "Lock",
            Object::Dictionary(lock_dictionary(b"SigFieldLock", &locked)),
        );
    }
    if let (Some(appearance), Some(id)) = (&options.appearance, appearance_id) {
        let mut ap = Dictionary::new();
        ap.set("N", Object::Reference(id));
        widget.set("AP", Object::Dictionary(ap));
        let font = appearance_font(appearance, &mut allocate)?;
        let image = appearance.image.as_ref().map(|picture| {
            let (image_id, mask_id) = (allocate(), allocate());
            let (image, mask) = picture.xobjects(mask_id);
            update.objects.push(UpdateObject {
                id: image_id,
                body: image,
            });
            update.objects.push(UpdateObject {
                id: mask_id,
                body: mask,
            });
            image_id
        });
        update.objects.push(UpdateObject {
            id,
            body: appearance_stream(appearance, font.as_ref(), image),
        });
        for object in font.into_iter().flat_map(|font| font.objects) {
            let id = u32::try_from(object.id).map_err(invalid)?;
            update.objects.push(UpdateObject {
                id: (id, 0),
                body: object.body,
            });
        }
    }
    widget.set("P", Object::Reference(page_id));
    widget.set("T", text_string(&field_name));
    widget.set("V", Object::Reference(signature_id));
    update.dictionary(widget_id, &widget)?;

    let locked = locked.map(|mut locked| {
        locked.push(field_name.clone());
        locked
    });
    let (signature_body, byte_range_at, contents_at) =
        signature_dictionary(options, kind, locked.as_deref())?;
    let hole_length = options.reserved_bytes.saturating_mul(2).saturating_add(2);
    update.objects.push(UpdateObject {
        id: signature_id,
        body: signature_body,
    });

    let trailer = update_trailer(&document, next_id, root_id)?;
    drop(document);
    let (mut output, bodies) = append_update(pdf, &update.objects, &trailer)?;
    let signature_at = *bodies
        .last()
        .ok_or_else(|| invalid("no signature object"))?;
    let contents_start = signature_at + contents_at;
    let contents_end = contents_start + hole_length;
    let byte_range = [
        0,
        contents_start,
        contents_end,
        output.len().saturating_sub(contents_end),
    ];
    let mut filled =
        format!("[0 {} {} {}]", byte_range[1], byte_range[2], byte_range[3]).into_bytes();
    if filled.len() > BYTE_RANGE_PLACEHOLDER.len() {
        return Err(invalid("the document is too large for the byte range"));
    }
    filled.resize(BYTE_RANGE_PLACEHOLDER.len(), b' ');
    let placeholder = output
        .get_mut(signature_at + byte_range_at..signature_at + byte_range_at + filled.len())
        .ok_or_else(|| invalid("byte range placeholder out of bounds"))?;
    placeholder.copy_from_slice(&filled);
    Ok((output, byte_range))
}

/// Second step: checks `raw_signature` (see [`cms::assemble`]) and writes the CMS into the
/// `/Contents` hole.
pub fn assemble_pdf(
    prepared: &PreparedPdf,
    raw_signature: &[u8],
    signer_certificate: &Certificate,
    chain: &[Certificate],
) -> Result<Vec<u8>, PkiError> {
    let signed = cms::assemble(&prepared.prepared, raw_signature, signer_certificate, chain)?;
    let mut pdf = prepared.pdf.clone();
    fill_contents(&mut pdf, prepared.byte_range, &signed)?;
    Ok(pdf)
}

/// Writes the CMS `signed` in hex into the `/Contents` hole of `pdf`.
pub(super) fn fill_contents(
    pdf: &mut [u8],
    byte_range: [usize; 4],
    signed: &[u8],
) -> Result<(), PkiError> {
    let [_, start, end, _] = byte_range;
    let capacity = end.saturating_sub(start).saturating_sub(2);
    if signed.len() * 2 > capacity {
        return Err(PkiError::SignatureRefused(format!(
            "the CMS needs {} bytes but only {} were reserved",
            signed.len(),
            capacity / 2
        )));
    }
    let hole = pdf
        .get_mut(start + 1..start + 1 + signed.len() * 2)
        .ok_or_else(|| invalid("the /Contents hole is outside the document"))?;
    hex::encode_to_slice(signed, hole).map_err(invalid)?;
    hole.make_ascii_uppercase();
    Ok(())
}

/// Both steps with a [`Signer`]; the prepared document becomes the signed one without a copy.
pub fn sign_pdf(
    pdf: &[u8],
    signer: &dyn Signer,
    chain: &[Certificate],
    options: &PdfSignatureOptions,
) -> Result<Vec<u8>, PkiError> {
    let certificate = signer.certificate();
    let PreparedPdf {
        mut pdf,
        byte_range,
        prepared,
    } = prepare_pdf_with(pdf, certificate, options, signer.rsa_padding())?;
    let raw_signature = signer.sign(&prepared.to_be_signed)?;
    let signed = cms::assemble_from(signer, &prepared, &raw_signature, chain)?;
    fill_contents(&mut pdf, byte_range, &signed)?;
    Ok(pdf)
}

/// The font objects for the appearance's text, numbered with ids from `allocate`; `None`
/// without text.
fn appearance_font(
    appearance: &SignatureAppearance,
    allocate: &mut impl FnMut() -> ObjectId,
) -> Result<Option<motcua_document::EmbeddedTextFont>, PkiError> {
    let lines = appearance_lines(appearance);
    if lines.iter().all(|line| line.trim().is_empty()) {
        return Ok(None);
    }
    let first = allocate().0;
    let font = motcua_document::embed_text_font(&lines, first as usize).map_err(|error| {
        PkiError::SignatureRefused(format!("the appearance text cannot be drawn: {error}"))
    })?;
    // The objects are numbered consecutively; take the numbers after the first.
    for _ in 1..font.objects.len() {
        allocate();
    }
    Ok(Some(font))
}

/// The text as embedded: a seal without image writes its first line around the ring, one
/// glyph at a time; a seal's image carries its own name, so nothing is written over it.
fn appearance_lines(appearance: &SignatureAppearance) -> Vec<String> {
    match (appearance.mark, &appearance.image) {
        (SignatureMark::Seal, Some(_)) => Vec::new(),
        (SignatureMark::Seal, None) => appearance
            .text
            .first()
            .map(|name| name.chars().map(String::from).collect())
            .unwrap_or_default(),
        _ => appearance.text.clone(),
    }
}

/// Largest font size for the text lines, at most 10 points, fitting `width` × `height` with
/// a margin of 3 points and a line height of 1.2 × the size.
fn text_size(line_widths: &[f32], width: f32, height: f32) -> f32 {
    let widest = line_widths.iter().copied().fold(0.0_f32, f32::max);
    let lines = line_widths.len().max(1) as f32;
    let by_width = if widest > 0.0 {
        (width - 6.0) / widest
    } else {
        10.0
    };
    let by_height = (height - 6.0) / (lines * 1.2);
    by_width.min(by_height).clamp(1.0, 10.0)
}

/// The text operators writing the lines from the top left corner of the box.
fn text_content(font: &motcua_document::EmbeddedTextFont, width: f32, height: f32) -> String {
    let size = text_size(&font.line_widths, width, height);
    let leading = size * 1.2;
    let lines = font.encoded_lines.len() as f32;
    // Centred vertically, left-aligned with a 3 point margin.
    let top = (height + lines * leading) / 2.0 - size;
    let mut content = format!(" q BT 0 0 0 rg /F1 {size:.2} Tf {leading:.2} TL 3 {top:.2} Td",);
    for (index, line) in font.encoded_lines.iter().enumerate() {
        if index > 0 {
            content.push_str(" T*");
        }
        content.push(' ');
        content.push_str(line);
        content.push_str(" Tj");
    }
    content.push_str(" ET Q");
    content
}

/// The form XObject drawn in the widget's rectangle; `image` is the id of the image XObject
/// when the appearance has one.
fn appearance_stream(
    appearance: &SignatureAppearance,
    font: Option<&motcua_document::EmbeddedTextFont>,
    image: Option<ObjectId>,
) -> Vec<u8> {
    let [x1, y1, x2, y2] = appearance.rect;
    let (width, height) = ((x2 - x1).abs(), (y2 - y1).abs());
    let mut content = match (&appearance.image, image) {
        (Some(picture), Some(_)) => {
            let (x, y, w, h) = picture.fitted(width, height);
            format!("q {w:.2} 0 0 {h:.2} {x:.2} {y:.2} cm /Im1 Do Q")
        }
        _ => appearance.mark.drawing(width, height),
    };
    let mut resources = Vec::new();
    if let Some(font) = font {
        let ring = appearance.mark == SignatureMark::Seal && appearance.image.is_none();
        content.push_str(&if ring {
            ring_text(font, width, height)
        } else {
            text_content(font, width, height)
        });
        resources.push(format!("/Font <</F1 {} 0 R>>", font.font_id));
    }
    if let Some((number, generation)) = image {
        resources.push(format!("/XObject <</Im1 {number} {generation} R>>"));
    }
    let resources = if resources.is_empty() {
        String::new()
    } else {
        format!(" /Resources <<{}>>", resources.join(" "))
    };
    let mut body = format!(
        "<</Type /XObject /Subtype /Form /BBox [0 0 {width:.2} {height:.2}]{resources} /Length {}>>\nstream\n",
        content.len()
    )
    .into_bytes();
    body.extend_from_slice(content.as_bytes());
    body.extend_from_slice(b"\nendstream");
    body
}

/// SHA-256 of the two signed parts of `pdf`.
pub(super) fn signed_digest(pdf: &[u8], byte_range: [usize; 4]) -> Result<[u8; 32], PkiError> {
    let [first_start, first_length, second_start, second_length] = byte_range;
    let part = |start: usize, length: usize| {
        pdf.get(start..start.saturating_add(length))
            .ok_or_else(|| invalid("the byte range goes beyond the end of the file"))
    };
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(part(first_start, first_length)?);
    hasher.update(part(second_start, second_length)?);
    Ok(hasher.finish())
}

/// The `/Sig` dictionary with its placeholders, and where the byte range and the `/Contents`
/// hole are inside it.
fn signature_dictionary(
    options: &PdfSignatureOptions,
    kind: FieldValue,
    locked: Option<&[String]>,
) -> Result<(Vec<u8>, usize, usize), PkiError> {
    let mut body = Vec::new();
    body.extend_from_slice(match kind {
        FieldValue::Signature => {
            &b"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange "[..]
        }
        FieldValue::DocumentTimestamp => {
            b"<</Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 /ByteRange "
        }
    });
    let byte_range_at = body.len();
    body.extend_from_slice(BYTE_RANGE_PLACEHOLDER);
    body.extend_from_slice(b" /Contents ");
    let contents_at = body.len();
    body.push(b'<');
    body.resize(body.len() + options.reserved_bytes.saturating_mul(2), b'0');
    body.push(b'>');
    if kind == FieldValue::DocumentTimestamp {
        // The token holds the time and the authority; nothing else belongs here.
        body.extend_from_slice(b">>");
        return Ok((body, byte_range_at, contents_at));
    }
    body.extend_from_slice(b" /M ");
    write_object(
        &mut body,
        &Object::string_literal(pdf_date(options.signing_time)),
    )?;
    if let Some(locked) = locked {
        let mut reference = Dictionary::new();
        reference.set("Type", Object::Name(b"SigRef".to_vec()));
        reference.set("TransformMethod", Object::Name(b"FieldMDP".to_vec()));
        reference.set(
            "TransformParams",
            Object::Dictionary(lock_dictionary(b"TransformParams", locked)),
        );
        body.extend_from_slice(b" /Reference ");
        write_object(
            &mut body,
            &Object::Array(vec![Object::Dictionary(reference)]),
        )?;
    }
    for (key, value) in [
        (&b"Name"[..], &options.name),
        (b"Reason", &options.reason),
        (b"Location", &options.location),
    ] {
        if let Some(value) = value {
            body.push(b' ');
            write_object(&mut body, &Object::Name(key.to_vec()))?;
            body.push(b' ');
            write_object(&mut body, &text_string(value))?;
        }
    }
    body.extend_from_slice(b">>");
    Ok((body, byte_range_at, contents_at))
}

impl SignatureLock {
    /// The fields of the document to lock: all it has but the fillable ones.
    fn locked_fields(&self, document: &Source<'_>, catalog: &Dictionary) -> Vec<String> {
        let form = match catalog.get(b"AcroForm") {
            Ok(Object::Reference(id)) => document.dictionary(*id).unwrap_or_default(),
            Ok(Object::Dictionary(form)) => form.clone(),
            _ => Dictionary::new(),
        };
        field_names(document, &form)
            .into_iter()
            .filter(|name| !self.fillable.contains(name))
            .collect()
    }
}

/// A `/Lock` dictionary or FieldMDP transform parameters, locking the fields `locked`.
fn lock_dictionary(kind: &[u8], locked: &[String]) -> Dictionary {
    let mut lock = Dictionary::new();
    lock.set("Type", Object::Name(kind.to_vec()));
    lock.set("Action", Object::Name(b"Include".to_vec()));
    lock.set(
        "Fields",
        Object::Array(locked.iter().map(|name| text_string(name)).collect()),
    );
    if kind == b"TransformParams" {
        lock.set("V", Object::Name(b"1.2".to_vec()));
    }
    lock
}

/// Gives each field of `options.fill` its value and a new appearance drawing it, in `update`.
fn fill_fields(
    document: &Source<'_>,
    catalog: &Dictionary,
    options: &PdfSignatureOptions,
    allocate: &mut impl FnMut() -> ObjectId,
    update: &mut Update,
) -> Result<(), PkiError> {
    if options.fill.is_empty() {
        return Ok(());
    }
    let form = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => document.dictionary(*id)?,
        Ok(Object::Dictionary(form)) => form.clone(),
        _ => return Err(invalid("the document has no form to fill")),
    };
    let fields = form
        .get(b"Fields")
        .ok()
        .and_then(|fields| document.resolve(fields).ok());
    let fields = match fields {
        Some(Object::Array(fields)) => fields,
        _ => Vec::new(),
    };
    for fill in &options.fill {
        let found = fields
            .iter()
            .filter_map(|f| f.as_reference().ok())
            .find(|id| {
                document.dictionary(*id).is_ok_and(|field| {
                    field
                        .get(b"T")
                        .and_then(Object::as_str)
                        .map(decode_text)
                        .ok()
                        == Some(fill.slot.name.clone())
                })
            });
        let id = found
            .ok_or_else(|| invalid(format!("the document has no field {}", fill.slot.name)))?;
        let mut field = document.dictionary(id)?;
        if field.get(b"FT").and_then(Object::as_name).ok() != Some(&b"Tx"[..]) {
            return Err(invalid(format!("{} is not a text field", fill.slot.name)));
        }
        let appearance_id = allocate();
        let first = allocate().0;
        let font = motcua_document::embed_text_font_styled(
            std::slice::from_ref(&fill.value),
            first as usize,
            fill.slot.italic,
        )
        .map_err(|error| {
            PkiError::SignatureRefused(format!("{} cannot be drawn: {error}", fill.slot.name))
        })?;
        for _ in 1..font.objects.len() {
            allocate();
        }
        update.objects.push(UpdateObject {
            id: appearance_id,
            body: filled_appearance(fill, &font),
        });
        for object in font.objects {
            let id = u32::try_from(object.id).map_err(invalid)?;
            update.objects.push(UpdateObject {
                id: (id, 0),
                body: object.body,
            });
        }
        field.set("V", text_string(&fill.value));
        let mut ap = Dictionary::new();
        ap.set("N", Object::Reference(appearance_id));
        field.set("AP", Object::Dictionary(ap));
        update.dictionary(id, &field)?;
    }
    Ok(())
}

/// The value drawn on one line centred where the document sets it, smaller when it would not
/// fit the field; in page coordinates, the box being the widget's rectangle.
fn filled_appearance(fill: &FieldFill, font: &motcua_document::EmbeddedTextFont) -> Vec<u8> {
    let slot = &fill.slot;
    let [x1, y1, x2, y2] = slot.rect;
    let per_point = font.line_widths.first().copied().unwrap_or(0.0);
    let size = if per_point * slot.size > (x2 - x1) - 2.0 && per_point > 0.0 {
        ((x2 - x1) - 2.0) / per_point
    } else {
        slot.size
    };
    let x = slot.centre_x - per_point * size / 2.0;
    let line = font.encoded_lines.first().map_or("<>", String::as_str);
    let content = format!(
        "q BT 0 0 0 rg /F1 {size:.2} Tf 1 0 0 1 {x:.2} {:.2} Tm {line} Tj ET Q",
        slot.baseline
    );
    let mut body = format!(
        "<</Type /XObject /Subtype /Form /BBox [{x1:.2} {y1:.2} {x2:.2} {y2:.2}] /Resources <</Font <</F1 {} 0 R>>>> /Length {}>>\nstream\n",
        font.font_id,
        content.len()
    )
    .into_bytes();
    body.extend_from_slice(content.as_bytes());
    body.extend_from_slice(b"\nendstream");
    body
}

/// Objects rewritten or added by the update.
#[derive(Default)]
struct Update {
    objects: Vec<UpdateObject>,
}

impl Update {
    fn dictionary(&mut self, id: ObjectId, dictionary: &Dictionary) -> Result<(), PkiError> {
        let mut body = Vec::new();
        write_dictionary(&mut body, dictionary)?;
        self.objects.push(UpdateObject { id, body });
        Ok(())
    }

    fn object(&mut self, id: ObjectId, object: &Object) -> Result<(), PkiError> {
        let mut body = Vec::new();
        write_object(&mut body, object)?;
        self.objects.push(UpdateObject { id, body });
        Ok(())
    }
}

/// Adds the field to the AcroForm (created when missing) and sets `/SigFlags 3` (signatures
/// exist, append only). Returns the field's name.
fn add_field(
    document: &Source<'_>,
    catalog: &mut Dictionary,
    widget_id: ObjectId,
    (options, kind): (&PdfSignatureOptions, FieldValue),
    allocate: &mut impl FnMut() -> ObjectId,
    update: &mut Update,
) -> Result<String, PkiError> {
    let (form_id, mut form) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (Some(*id), document.dictionary(*id)?),
        Ok(Object::Dictionary(form)) => (None, form.clone()),
        _ => (None, Dictionary::new()),
    };
    let existing = field_names(document, &form);
    let name = match &options.field_name {
        Some(name) if existing.contains(name) => {
            return Err(invalid(format!("a field named {name} already exists")))
        }
        Some(name) => name.clone(),
        None => (1..)
            .map(|number| format!("{}{number}", kind.name_prefix()))
            .find(|name| !existing.contains(name))
            .unwrap_or_default(),
    };
    append_to_array(document, &mut form, b"Fields", widget_id, update)?;
    form.set("SigFlags", 3);
    let form_id = form_id.unwrap_or_else(allocate);
    update.dictionary(form_id, &form)?;
    catalog.set("AcroForm", Object::Reference(form_id));
    Ok(name)
}

fn field_names(document: &Source<'_>, form: &Dictionary) -> Vec<String> {
    let fields = form
        .get(b"Fields")
        .ok()
        .and_then(|fields| document.resolve(fields).ok());
    let fields = match fields {
        Some(Object::Array(fields)) => fields,
        _ => Vec::new(),
    };
    fields
        .iter()
        .filter_map(|field| document.resolve(field).ok())
        .filter_map(|field| match field {
            Object::Dictionary(field) => Some(field),
            _ => None,
        })
        .filter_map(|field| {
            field
                .get(b"T")
                .and_then(Object::as_str)
                .ok()
                .map(decode_text)
        })
        .collect()
}

/// Appends a reference to the array `key` of `holder`, rewriting the array object when the
/// array is indirect.
fn append_to_array(
    document: &Source<'_>,
    holder: &mut Dictionary,
    key: &[u8],
    item: ObjectId,
    update: &mut Update,
) -> Result<(), PkiError> {
    match holder.get(key) {
        Ok(Object::Reference(id)) => {
            let id = *id;
            let mut array = match document.object(id)? {
                Object::Array(array) => array,
                _ => {
                    return Err(invalid(format!(
                        "/{} is not an array",
                        String::from_utf8_lossy(key)
                    )))
                }
            };
            array.push(Object::Reference(item));
            update.object(id, &Object::Array(array))?;
        }
        Ok(Object::Array(array)) => {
            let mut array = array.clone();
            array.push(Object::Reference(item));
            holder.set(key.to_vec(), Object::Array(array));
        }
        _ => holder.set(key.to_vec(), Object::Array(vec![Object::Reference(item)])),
    }
    Ok(())
}
