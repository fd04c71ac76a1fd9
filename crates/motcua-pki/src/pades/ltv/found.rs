//! The signatures and document timestamps of a PDF, read by their byte ranges.

use lopdf::Object;

use super::super::fields::{signature_fields, SignatureValue, MAX_FIELDS};
use super::super::invalid;
use super::super::source::Source;
use super::super::verify::without_signature_contents;
use crate::budget::Budget;
use crate::der;
use crate::error::PkiError;

/// A signature (or document timestamp) value found in the document.
#[derive(Debug, Clone)]
pub(super) struct FoundSignature {
    pub(super) byte_range: [usize; 4],
    /// The `/Contents` string, padding included: what a `/VRI` key hashes.
    pub(super) contents: Vec<u8>,
    /// The DER ContentInfo at the start of `contents`.
    pub(super) cms: Vec<u8>,
    /// `/SubFilter /ETSI.RFC3161`.
    pub(super) document_timestamp: bool,
}

impl FoundSignature {
    /// Where the revision it signs ends.
    pub(super) fn revision_end(&self) -> usize {
        self.byte_range[2].saturating_add(self.byte_range[3])
    }

    /// Its key in the `/VRI` dictionary: upper-case hex SHA-1 of the `/Contents` string
    /// (ETSI EN 319 142-1 §5.4.2.2).
    pub(super) fn vri_key(&self) -> String {
        hex::encode_upper(openssl::sha::sha1(&self.contents))
    }
}

/// Every signature and document timestamp of `pdf` whose value can be read, in the order they
/// were added (by the end of the revision each signs).
pub(super) fn signatures(pdf: &[u8]) -> Result<Vec<FoundSignature>, PkiError> {
    let masked = without_signature_contents(pdf);
    let view = masked.as_deref().unwrap_or(pdf);
    let document = Source::open_for_reading(view)?;
    let walk = signature_fields(&document, &Budget::unlimited(), MAX_FIELDS);
    let mut found: Vec<FoundSignature> = walk
        .fields
        .into_iter()
        .filter_map(|field| match field.value {
            SignatureValue::Dictionary(dictionary) => read_value(pdf, &dictionary),
            SignatureValue::Unreadable(_) => None,
        })
        .collect();
    found.sort_by_key(FoundSignature::revision_end);
    Ok(found)
}

/// The value of one signature dictionary, or `None` when its byte range does not frame a
/// `/Contents` hole of hex digits holding a DER element.
fn read_value(pdf: &[u8], dictionary: &lopdf::Dictionary) -> Option<FoundSignature> {
    let sub_filter = dictionary
        .get(b"SubFilter")
        .and_then(Object::as_name)
        .ok()?;
    let byte_range = dictionary
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .ok()?;
    let byte_range: Vec<usize> = byte_range
        .iter()
        .map(|item| {
            item.as_i64()
                .ok()
                .and_then(|value| usize::try_from(value).ok())
        })
        .collect::<Option<_>>()?;
    let [0, start, end, length] = byte_range[..] else {
        return None;
    };
    if start >= end || end.checked_add(length)? > pdf.len() {
        return None;
    }
    let hole = pdf.get(start..end)?;
    let digits = hole.strip_prefix(b"<")?.strip_suffix(b">")?;
    let contents = hex::decode(digits).ok()?;
    let cms = der::first_element(&contents).ok()?.encoded.to_vec();
    Some(FoundSignature {
        byte_range: [0, start, end, length],
        contents,
        cms,
        document_timestamp: sub_filter == b"ETSI.RFC3161",
    })
}

/// The hole of `found` in `pdf` rewritten to hold `cms`, zero-padded; the byte range is
/// unchanged.
pub(super) fn rewrite_hole(
    pdf: &mut [u8],
    found: &mut FoundSignature,
    cms: Vec<u8>,
) -> Result<(), PkiError> {
    let [_, start, end, _] = found.byte_range;
    let capacity = end.saturating_sub(start).saturating_sub(2) / 2;
    if cms.len() > capacity {
        return Err(PkiError::ContentsTooSmall {
            needed: cms.len(),
            reserved: capacity,
        });
    }
    let digits = pdf
        .get_mut(start + 1..end - 1)
        .ok_or_else(|| invalid("the /Contents hole is outside the document"))?;
    digits.fill(b'0');
    let written = digits
        .get_mut(..cms.len() * 2)
        .ok_or_else(|| invalid("the /Contents hole is too small"))?;
    hex::encode_to_slice(&cms, written).map_err(invalid)?;
    written.make_ascii_uppercase();
    let mut contents = cms.clone();
    contents.resize(capacity, 0);
    found.contents = contents;
    found.cms = cms;
    Ok(())
}
