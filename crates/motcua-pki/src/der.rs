//! A minimal DER writer and reader: for the test PKI (names with chosen string types, raw
//! extension values, CRL entries, re-signed certificates) and for CMS signatures, whose signed
//! attributes must be encoded byte for byte as they will be signed.

use chrono::{DateTime, Datelike, Utc};

use crate::error::PkiError;

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_ENUMERATED: u8 = 0x0a;
pub(crate) const TAG_UTF8_STRING: u8 = 0x0c;
pub(crate) const TAG_PRINTABLE_STRING: u8 = 0x13;
pub(crate) const TAG_UTC_TIME: u8 = 0x17;
pub(crate) const TAG_GENERALIZED_TIME: u8 = 0x18;
pub(crate) const TAG_BMP_STRING: u8 = 0x1e;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_SET: u8 = 0x31;

/// Context-specific tag `[number]`, constructed or primitive.
pub(crate) fn context(number: u8, constructed: bool) -> u8 {
    let form = if constructed { 0x20 } else { 0 };
    0x80 | form | (number & 0x1f)
}

pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|&&byte| byte == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

pub(crate) fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &parts.concat())
}

pub(crate) fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(TAG_SET, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub(crate) fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude
        .iter()
        .take_while(|&&byte| byte == 0)
        .count()
        .min(magnitude.len().saturating_sub(1));
    let significant = magnitude.get(skip..).unwrap_or_default();
    let mut content = Vec::with_capacity(significant.len() + 1);
    if significant.first().is_none_or(|&byte| byte & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(significant);
    tlv(TAG_INTEGER, &content)
}

pub(crate) fn oid(dotted: &str) -> Result<Vec<u8>, PkiError> {
    let invalid = || PkiError::InvalidDer(format!("invalid OID {dotted}"));
    let arcs = dotted
        .split('.')
        .map(|arc| arc.parse::<u64>().map_err(|_| invalid()))
        .collect::<Result<Vec<u64>, _>>()?;
    let (first, second, rest) = match arcs.as_slice() {
        [first, second, rest @ ..] if *first <= 2 => (*first, *second, rest),
        _ => return Err(invalid()),
    };
    let mut content = Vec::new();
    let head = first
        .checked_mul(40)
        .and_then(|value| value.checked_add(second))
        .ok_or_else(invalid)?;
    for arc in std::iter::once(head).chain(rest.iter().copied()) {
        push_base128(&mut content, arc);
    }
    Ok(tlv(TAG_OID, &content))
}

fn push_base128(out: &mut Vec<u8>, value: u64) {
    let mut groups = vec![(value & 0x7f) as u8];
    let mut remaining = value >> 7;
    while remaining > 0 {
        groups.push(0x80 | (remaining & 0x7f) as u8);
        remaining >>= 7;
    }
    out.extend(groups.iter().rev());
}

pub(crate) fn octet_string(content: &[u8]) -> Vec<u8> {
    tlv(TAG_OCTET_STRING, content)
}

pub(crate) fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend_from_slice(bytes);
    tlv(TAG_BIT_STRING, &content)
}

pub(crate) fn null() -> Vec<u8> {
    tlv(TAG_NULL, &[])
}

pub(crate) fn enumerated(value: u8) -> Vec<u8> {
    tlv(TAG_ENUMERATED, &[value])
}

pub(crate) fn bmp_string(text: &str) -> Vec<u8> {
    let content: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    tlv(TAG_BMP_STRING, &content)
}

/// UTCTime for 1950–2049 and GeneralizedTime otherwise, as RFC 5280 requires.
pub(crate) fn time(at: DateTime<Utc>) -> Vec<u8> {
    if (1950..2050).contains(&at.year()) {
        tlv(
            TAG_UTC_TIME,
            at.format("%y%m%d%H%M%SZ").to_string().as_bytes(),
        )
    } else {
        tlv(
            TAG_GENERALIZED_TIME,
            at.format("%Y%m%d%H%M%SZ").to_string().as_bytes(),
        )
    }
}

/// One element read from DER.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    /// Header and content.
    pub(crate) encoded: &'a [u8],
    pub(crate) content: &'a [u8],
}

/// Splits `input` into its top-level elements (definite lengths, single-byte tags only).
pub(crate) fn elements(mut input: &[u8]) -> Result<Vec<Element<'_>>, PkiError> {
    let mut found = Vec::new();
    while !input.is_empty() {
        let (element, rest) = read_element(input)?;
        found.push(element);
        input = rest;
    }
    Ok(found)
}

/// The first element of `input`, ignoring what follows (such as the zero padding after a CMS in
/// a PDF signature's `/Contents`).
pub(crate) fn first_element(input: &[u8]) -> Result<Element<'_>, PkiError> {
    read_element(input).map(|(element, _)| element)
}

fn read_element(input: &[u8]) -> Result<(Element<'_>, &[u8]), PkiError> {
    let malformed = || PkiError::InvalidDer("malformed or non-DER length".into());
    let (&tag, after_tag) = input.split_first().ok_or_else(malformed)?;
    let (&first, after_length) = after_tag.split_first().ok_or_else(malformed)?;
    let (length, after_header) = if first < 0x80 {
        (usize::from(first), after_length)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > std::mem::size_of::<usize>() {
            return Err(malformed());
        }
        let bytes = after_length.get(..count).ok_or_else(malformed)?;
        let length = bytes
            .iter()
            .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
        (length, after_length.get(count..).ok_or_else(malformed)?)
    };
    let content = after_header.get(..length).ok_or_else(malformed)?;
    let rest = after_header.get(length..).ok_or_else(malformed)?;
    let header_length = input.len() - after_header.len();
    let encoded = input.get(..header_length + length).ok_or_else(malformed)?;
    Ok((
        Element {
            tag,
            encoded,
            content,
        },
        rest,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_oids() {
        assert_eq!(oid("2.5.4.3").unwrap(), vec![0x06, 0x03, 0x55, 0x04, 0x03]);
        assert_eq!(
            oid("1.2.840.113549.1.1.11").unwrap(),
            vec![0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]
        );
        assert_eq!(
            oid("0.9.2342.19200300.100.1.1").unwrap(),
            vec![0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01]
        );
        assert!(oid("3.1").is_err());
        assert!(oid("1").is_err());
    }

    #[test]
    fn encodes_integers_and_lengths() {
        assert_eq!(unsigned_integer(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(
            unsigned_integer(&[0x00, 0x00, 0x7f]),
            vec![0x02, 0x01, 0x7f]
        );
        assert_eq!(unsigned_integer(&[]), vec![0x02, 0x01, 0x00]);
        let long = tlv(TAG_OCTET_STRING, &[0u8; 300]);
        assert_eq!(long.get(..4).unwrap(), &[0x04, 0x82, 0x01, 0x2c]);
        let parts = elements(&long).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].content.len(), 300);
        assert!(elements(&[0x30, 0x05, 0x00]).is_err());
    }
}
