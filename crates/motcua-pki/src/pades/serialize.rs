//! Writing PDF objects and an incremental update (ISO 32000-1 §7.5.6) by hand: the update must
//! append to the original bytes without touching them, which a PDF library that rewrites the
//! document cannot promise.

use std::io::Write;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use lopdf::{Dictionary, Object, ObjectId};

use super::invalid;
use crate::error::PkiError;

/// Serialises `object`; strings are written in hex so no escaping can go wrong. Streams are
/// refused: an update only rewrites dictionaries and arrays (catalog, page, form, lists).
pub(super) fn write_object(out: &mut Vec<u8>, object: &Object) -> Result<(), PkiError> {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(value) => out.extend_from_slice(if *value { b"true" } else { b"false" }),
        Object::Integer(value) => out.extend_from_slice(value.to_string().as_bytes()),
        Object::Real(value) => {
            // Display never uses exponents, which PDF does not allow.
            let value = if value.is_finite() { *value } else { 0.0 };
            out.extend_from_slice(value.to_string().as_bytes());
        }
        Object::Name(name) => write_name(out, name),
        Object::String(bytes, _) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode_upper(bytes).as_bytes());
            out.push(b'>');
        }
        Object::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b' ');
                }
                write_object(out, item)?;
            }
            out.push(b']');
        }
        Object::Dictionary(dictionary) => write_dictionary(out, dictionary)?,
        Object::Stream(_) => return Err(invalid("a stream cannot be rewritten in an update")),
        Object::Reference((id, generation)) => {
            out.extend_from_slice(format!("{id} {generation} R").as_bytes());
        }
    }
    Ok(())
}

pub(super) fn write_dictionary(out: &mut Vec<u8>, dictionary: &Dictionary) -> Result<(), PkiError> {
    out.extend_from_slice(b"<<");
    for (key, value) in dictionary {
        write_name(out, key);
        out.push(b' ');
        write_object(out, value)?;
    }
    out.extend_from_slice(b">>");
    Ok(())
}

fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &byte in name {
        let regular = (b'!'..=b'~').contains(&byte) && !b"#()<>[]{}/%".contains(&byte);
        if regular {
            out.push(byte);
        } else {
            out.extend_from_slice(format!("#{byte:02X}").as_bytes());
        }
    }
}

/// A PDF text string: ASCII as is (PDFDocEncoding agrees), anything else (Vietnamese) as
/// UTF-16BE with its byte-order mark.
pub(super) fn text_string(text: &str) -> Object {
    let bytes = if text.bytes().all(|byte| (0x20..0x7f).contains(&byte)) {
        text.as_bytes().to_vec()
    } else {
        let mut bytes = vec![0xfe, 0xff];
        bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        bytes
    };
    Object::string_literal(bytes)
}

/// Reads a text string back (UTF-16BE with BOM, else bytes as Latin-1/PDFDocEncoding).
pub(super) fn decode_text(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xfe, 0xff]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|pair| match pair {
                    [high, low] => u16::from_be_bytes([*high, *low]),
                    _ => 0xfffd,
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        None => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// `D:YYYYMMDDHHmmSS+00'00'`.
pub(super) fn pdf_date(at: DateTime<Utc>) -> String {
    at.format("D:%Y%m%d%H%M%S+00'00'").to_string()
}

/// Reads a PDF date (ISO 32000-1 §7.9.4): `D:YYYY[MM[DD[HH[mm[SS]]]]]` then `Z`, `+HH'mm'` or
/// `-HH'mm'` (missing parts take their defaults, no offset means UTC).
pub(super) fn parse_pdf_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.strip_prefix("D:").unwrap_or(text);
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let rest = text.get(digits.len()..)?;
    let part = |range: std::ops::Range<usize>, default: u32| -> Option<u32> {
        match digits.get(range) {
            Some(value) => value.parse().ok(),
            None => Some(default),
        }
    };
    let year = i32::try_from(part(0..4, 0)?).ok()?;
    if digits.len() < 4 {
        return None;
    }
    let naive = NaiveDate::from_ymd_opt(year, part(4..6, 1)?, part(6..8, 1)?)?.and_hms_opt(
        part(8..10, 0)?,
        part(10..12, 0)?,
        part(12..14, 0)?,
    )?;
    let offset_seconds = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let numbers: Vec<i32> = rest
                .get(1..)?
                .split('\'')
                .filter(|piece| !piece.is_empty())
                .map(|piece| piece.parse().ok())
                .collect::<Option<_>>()?;
            let hours = numbers.first().copied().unwrap_or(0);
            let minutes = numbers.get(1).copied().unwrap_or(0);
            let seconds = hours * 3600 + minutes * 60;
            if sign == '-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => 0,
    };
    FixedOffset::east_opt(offset_seconds)?
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// An object of the update: its id and serialised body.
pub(super) struct UpdateObject {
    pub(super) id: ObjectId,
    pub(super) body: Vec<u8>,
}

/// Appends `objects`, a cross-reference section for them and a trailer chained to the previous
/// one by `/Prev`. Returns the new file and, for each object, the offset of its body.
pub(super) fn append_update(
    original: &[u8],
    objects: &[UpdateObject],
    trailer: &Dictionary,
) -> Result<(Vec<u8>, Vec<usize>), PkiError> {
    let failed = |error: std::io::Error| invalid(error);
    // Sized once for the whole update, so a large document is never reallocated (copied).
    let update_size: usize = objects
        .iter()
        .map(|object| object.body.len() + 64)
        .sum::<usize>()
        + objects.len() * 24
        + 1024;
    let mut out = Vec::with_capacity(original.len() + update_size);
    out.extend_from_slice(original);
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    let mut entries: Vec<(ObjectId, usize)> = Vec::with_capacity(objects.len());
    let mut bodies = Vec::with_capacity(objects.len());
    for object in objects {
        let (id, generation) = object.id;
        entries.push((object.id, out.len()));
        writeln!(out, "{id} {generation} obj").map_err(failed)?;
        bodies.push(out.len());
        out.extend_from_slice(&object.body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    entries.sort_by_key(|((id, _), _)| *id);
    out.extend_from_slice(b"xref\n");
    // Subsections of consecutive object numbers.
    let mut index = 0;
    while let Some(((first, _), _)) = entries.get(index) {
        let run = entries
            .get(index..)
            .unwrap_or_default()
            .iter()
            .zip(*first..)
            .take_while(|(((id, _), _), expected)| id == expected)
            .count();
        writeln!(out, "{first} {run}").map_err(failed)?;
        for ((_, generation), offset) in entries.get(index..index + run).unwrap_or_default() {
            // Each entry is exactly 20 bytes, ending with space and LF.
            writeln!(out, "{offset:010} {generation:05} n ").map_err(failed)?;
        }
        index += run;
    }
    out.extend_from_slice(b"trailer\n");
    write_dictionary(&mut out, trailer)?;
    write!(out, "\nstartxref\n{xref_at}\n%%EOF\n").map_err(failed)?;
    Ok((out, bodies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let at = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
        assert_eq!(parse_pdf_date(&pdf_date(at)), Some(at));
        assert_eq!(
            parse_pdf_date("D:20250615223320+07'00'"),
            DateTime::from_timestamp(1_750_001_600, 0)
        );
        assert_eq!(
            parse_pdf_date("D:2025"),
            DateTime::from_timestamp(1_735_689_600, 0)
        );
        assert_eq!(parse_pdf_date("D:20"), None);
    }

    #[test]
    fn names_and_text_are_escaped() {
        let mut out = Vec::new();
        write_object(&mut out, &Object::Name(b"A B#".to_vec())).unwrap();
        assert_eq!(out, b"/A#20B#23");
        let text = text_string("Chữ ký");
        let Object::String(bytes, _) = &text else {
            panic!("not a string")
        };
        assert_eq!(decode_text(bytes), "Chữ ký");
    }
}
