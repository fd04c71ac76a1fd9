//! Where a signature's bytes are: its `/ByteRange` read and checked against the file, its
//! `/Contents` hole found in its own signature dictionary, and the holes blanked before the
//! structure is parsed.

use std::ops::Range;

use lopdf::{Dictionary, ObjectId};

use crate::pades::source::{object_body, object_span, Location, Source};

/// The message for a signature field with an empty or missing `/Contents`.
fn no_contents(name: &str) -> String {
    format!("the signature field {name} has no /Contents")
}

/// Checks that the signature's byte range is well formed and its hole is the `/Contents` of
/// the signature dictionary itself, written in the object `holder`: a field cannot borrow
/// another field's signature. The hole must be the hex string after the object's first
/// `/Contents` key; being hex, it cannot end the object, so only the bytes before it are read.
pub(super) fn own_byte_range(
    pdf: &[u8],
    (document, blanked): (&Source<'_>, &[Range<usize>]),
    name: &str,
    holder: Option<ObjectId>,
    signature: &Dictionary,
    byte_range: &[i64],
) -> Result<[usize; 4], String> {
    if !signature.has(b"Contents") {
        return Err(no_contents(name));
    }
    let (id, body) = holder_body(pdf, document, name, holder)?;
    let Some(own) = own_contents(pdf, body) else {
        return Err(no_contents(name));
    };
    if pdf.get(own + 1) == Some(&b'>') {
        return Err(no_contents(name));
    }
    let range = check_byte_range(pdf, byte_range, blanked)?;
    if range[1] != own {
        return Err(format!(
            "the /ByteRange of the signature field {name} does not point at its own /Contents in its signature dictionary (object {} {})",
            id.0, id.1
        ));
    }
    Ok(range)
}

/// Where the body of the object holding a signature dictionary starts.
fn holder_body(
    pdf: &[u8],
    document: &Source<'_>,
    name: &str,
    holder: Option<ObjectId>,
) -> Result<(ObjectId, usize), String> {
    let Some(id) = holder else {
        return Err(format!(
            "the signature dictionary of the field {name} is not written in an object of the file"
        ));
    };
    match document.location(id) {
        Location::At(offset) => object_body(pdf, id, offset).map(|body| (id, body)).ok_or_else(|| {
            format!(
                "the cross-reference does not point at the signature dictionary of the field {name} (object {} {})",
                id.0, id.1
            )
        }),
        Location::InObjectStream(_) => Err(format!(
            "the signature dictionary of the field {name} (object {} {}) is inside an object stream, which cannot hold a /Contents hole",
            id.0, id.1
        )),
        Location::Missing => Err(format!(
            "the signature dictionary of the field {name} (object {} {}) is not in the cross-reference",
            id.0, id.1
        )),
    }
}

/// Where the hex string after the first `/Contents` key of the object whose body starts at
/// `body` opens (its `<`); `None` when the object has no such key before its `endobj` or the
/// value is not a hex string.
fn own_contents(pdf: &[u8], body: usize) -> Option<usize> {
    let object = pdf.get(body..)?;
    let key = b"/Contents";
    let found = memchr::memmem::find_iter(object, key).find(|at| {
        // The whole name, not `/ContentsX`.
        object
            .get(at + key.len())
            .is_some_and(|next| next.is_ascii_whitespace() || b"<([/".contains(next))
    })?;
    if memchr::memmem::find(object.get(..found)?, b"endobj").is_some() {
        // The key belongs to a later object.
        return None;
    }
    let mut at = found + key.len();
    while object.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    if object.get(at) != Some(&b'<') || object.get(at + 1) == Some(&b'<') {
        return None;
    }
    Some(body + at)
}

/// The byte range as far as it reads, and the problem to report, for a signature dictionary
/// the parser refused.
pub(super) fn unreadable(
    pdf: &[u8],
    document: &Source<'_>,
    holder: Option<ObjectId>,
    error: &str,
) -> (Vec<i64>, String) {
    let object = holder.map_or_else(
        || " ".to_owned(),
        |id| format!(" (object {} {}) ", id.0, id.1),
    );
    let fallback = format!("the signature dictionary{object}cannot be read: {error}");
    let span = holder.and_then(|id| match document.location(id) {
        Location::At(offset) => object_span(pdf, id, offset),
        _ => None,
    });
    let Some(span) = span else {
        return (Vec::new(), fallback);
    };
    let Some(found) = pdf
        .get(span.clone())
        .and_then(|object| memchr::memmem::find(object, b"/ByteRange"))
    else {
        return (Vec::new(), fallback);
    };
    let at = span.start + found + b"/ByteRange".len();
    let written = raw_byte_range(pdf, at);
    let fits = byte_range_at(pdf, at).is_some_and(|range| {
        range[2]
            .checked_add(range[3])
            .is_some_and(|end| end <= pdf.len())
            && range[0]
                .checked_add(range[1])
                .is_some_and(|end| end <= pdf.len())
    });
    if fits {
        (written, fallback)
    } else {
        (
            written,
            "/ByteRange is not four integers that fit the file".to_owned(),
        )
    }
}

/// The integers of `[a b c d]` after `at` that fit an `i64`.
fn raw_byte_range(pdf: &[u8], at: usize) -> Vec<i64> {
    let Some(rest) = pdf.get(at..at.saturating_add(200)) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(rest.split(|b| *b == b']').next().unwrap_or_default());
    text.trim_start()
        .strip_prefix('[')
        .unwrap_or_default()
        .split_whitespace()
        .take(4)
        .filter_map(|number| number.parse().ok())
        .collect()
}

/// [`without_signature_contents`](super::without_signature_contents), and the holes it blanked.
pub(super) fn blank_signature_contents(pdf: &[u8]) -> (Option<Vec<u8>>, Vec<Range<usize>>) {
    let mut holes: Vec<(usize, usize)> = memchr::memmem::find_iter(pdf, b"/ByteRange")
        .filter_map(|found| byte_range_at(pdf, found + b"/ByteRange".len()))
        .map(|[_, hole_start, hole_end, _]| (hole_start, hole_end))
        .filter(|(hole_start, hole_end)| {
            after_contents_key(pdf, *hole_start) && hole_start < hole_end
        })
        .collect();
    holes.sort_unstable();
    holes.dedup();
    let mut masked: Option<Vec<u8>> = None;
    let mut blanked = Vec::new();
    let mut blanked_to = 0;
    for (hole_start, hole_end) in holes {
        if hole_start < blanked_to {
            continue;
        }
        let hole = pdf.get(hole_start..hole_end).unwrap_or_default();
        let is_hex_string = hole.len() >= 2
            && hole.first() == Some(&b'<')
            && hole.last() == Some(&b'>')
            && all_hex(&hole[1..hole.len() - 1]);
        if !is_hex_string {
            continue;
        }
        let copy = masked.get_or_insert_with(|| pdf.to_vec());
        if let Some(target) = copy.get_mut(hole_start..hole_end) {
            target.fill(b' ');
            target[0] = b'(';
            target[1] = b')';
        }
        blanked_to = hole_end;
        blanked.push(hole_start..hole_end);
    }
    (masked, blanked)
}

/// Whether every byte is a hex digit. Branch-free arithmetic on blocks of 64 bytes, which the
/// compiler turns into vector instructions: the holes of signatures are tens of kilobytes.
pub(super) fn all_hex(bytes: &[u8]) -> bool {
    let hex = |byte: u8| (byte.wrapping_sub(b'0') < 10) | ((byte | 0x20).wrapping_sub(b'a') < 6);
    bytes
        .chunks(64)
        .all(|block| block.iter().fold(true, |all, byte| all & hex(*byte)))
}

/// Whether `at` follows a `/Contents` key (and whitespace): a byte range pointing elsewhere
/// must not blank another string of the document.
fn after_contents_key(pdf: &[u8], at: usize) -> bool {
    let before = pdf.get(at.saturating_sub(64)..at).unwrap_or_default();
    let key_end = before
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(0, |last| last + 1);
    before[..key_end].ends_with(b"/Contents")
}

/// The hex digits of the CMS at the start of a `/Contents` hole, without the zero padding after
/// it: the DER header gives the length, so only the signature itself is decoded. The whole hole
/// when the header cannot be read (the decoder then reports the problem).
pub(super) fn signature_hex(hole: &[u8]) -> &[u8] {
    let header: Vec<u8> = hole
        .get(..12)
        .and_then(|h| hex::decode(h).ok())
        .unwrap_or_default();
    let total = match header.as_slice() {
        [_, length, ..] if *length < 0x80 => Some(2 + usize::from(*length)),
        [_, 0x81, a, ..] => Some(3 + usize::from(*a)),
        [_, 0x82, a, b, ..] => Some(4 + (usize::from(*a) << 8 | usize::from(*b))),
        [_, 0x83, a, b, c, ..] => {
            Some(5 + (usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c)))
        }
        _ => None,
    };
    total
        .and_then(|bytes| hole.get(..bytes * 2))
        .unwrap_or(hole)
}

/// Reads `[a b c d]` after `at`.
fn byte_range_at(pdf: &[u8], at: usize) -> Option<[usize; 4]> {
    let rest = pdf.get(at..at.saturating_add(100))?;
    let text = std::str::from_utf8(rest.split(|b| *b == b']').next()?).ok()?;
    let mut numbers = text
        .trim_start()
        .strip_prefix('[')?
        .split_whitespace()
        .map(|n| n.parse::<usize>().ok());
    let range = [
        numbers.next()??,
        numbers.next()??,
        numbers.next()??,
        numbers.next()??,
    ];
    Some(range)
}

/// Checks that the byte range is `[0 a b c]` with the hole exactly the `/Contents` hex string
/// and `b + c` the end of a revision (an `%%EOF` marker), so nothing of the revision is left
/// unsigned.
fn check_byte_range(
    pdf: &[u8],
    byte_range: &[i64],
    blanked: &[Range<usize>],
) -> Result<[usize; 4], String> {
    let values: Vec<usize> = byte_range
        .iter()
        .filter_map(|value| usize::try_from(*value).ok())
        .collect();
    let [start, first_length, second_start, second_length] = values.as_slice() else {
        return Err("/ByteRange is not four integers that fit the file".into());
    };
    let range = [*start, *first_length, *second_start, *second_length];
    if *start != 0 {
        return Err("/ByteRange does not start at the beginning of the file".into());
    }
    if second_start <= first_length {
        return Err("/ByteRange parts overlap".into());
    }
    let end = second_start.saturating_add(*second_length);
    if end > pdf.len() {
        return Err("/ByteRange goes beyond the end of the file".into());
    }
    let hole = pdf.get(*first_length..*second_start).unwrap_or_default();
    // A hole blanked before parsing was found to be a hex string then.
    let checked = blanked
        .iter()
        .any(|done| done.start == *first_length && done.end == *second_start);
    let is_hex_string = checked
        || (hole.first() == Some(&b'<')
            && hole.last() == Some(&b'>')
            && hole.len() >= 2
            && all_hex(hole.get(1..hole.len() - 1).unwrap_or_default()));
    if !is_hex_string {
        return Err("the unsigned hole of /ByteRange is not exactly the /Contents string".into());
    }
    let revision = pdf.get(..end).unwrap_or_default();
    let trimmed = revision
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(&[][..], |last| revision.get(..=last).unwrap_or_default());
    if !trimmed.ends_with(b"%%EOF") {
        return Err("/ByteRange does not end at the end of a revision".into());
    }
    Ok(range)
}
