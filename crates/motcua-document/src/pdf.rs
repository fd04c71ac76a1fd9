//! A minimal PDF 1.7 writer: numbered objects, Flate streams, one classic xref table.
//!
//! No object or xref streams, and nothing time- or environment-dependent, so the output is
//! deterministic and later incremental-update signatures can append to it.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

pub struct Writer {
    objects: Vec<Option<Vec<u8>>>,
    /// Number of the first object minus one: 0 for a whole file, more for objects appended to
    /// an existing one.
    base: usize,
}

impl Writer {
    pub fn new() -> Self {
        Self::numbered_from(1)
    }

    /// A writer whose first object is number `first` (at least 1); only for
    /// [`into_objects`](Self::into_objects), not [`finish`](Self::finish).
    pub fn numbered_from(first: usize) -> Self {
        Self {
            objects: Vec::new(),
            base: first.max(1) - 1,
        }
    }

    /// Reserves an object number (from 1).
    pub fn reserve(&mut self) -> usize {
        self.objects.push(None);
        self.base + self.objects.len()
    }

    pub fn set(&mut self, id: usize, body: impl Into<Vec<u8>>) {
        self.objects[id - 1 - self.base] = Some(body.into());
    }

    /// The objects with their numbers, without file structure.
    pub fn into_objects(self) -> Vec<(usize, Vec<u8>)> {
        let base = self.base;
        self.objects
            .into_iter()
            .enumerate()
            .map(|(index, body)| (base + index + 1, body.unwrap_or_else(|| b"null".to_vec())))
            .collect()
    }

    pub fn add(&mut self, body: impl Into<Vec<u8>>) -> usize {
        let id = self.reserve();
        self.set(id, body);
        id
    }

    /// A Flate-compressed stream object; `dict` holds the extra entries without `<< >>`.
    pub fn stream(&mut self, dict: &str, data: &[u8]) -> usize {
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(data, 9);
        let mut body = format!(
            "<< {dict} /Filter /FlateDecode /Length {} >>\nstream\n",
            compressed.len()
        )
        .into_bytes();
        body.extend_from_slice(&compressed);
        body.extend_from_slice(b"\nendstream");
        self.add(body)
    }

    /// Serialises the file; `/ID` is derived from a SHA-256 of all objects.
    pub fn finish(self, root: usize, info: usize) -> Vec<u8> {
        let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(self.objects.len());
        let mut hash = Sha256::new();
        for (i, obj) in self.objects.iter().enumerate() {
            offsets.push(out.len());
            let body = obj.as_deref().unwrap_or(b"null");
            hash.update(body);
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f\r\n", self.objects.len() + 1);
        for offset in offsets {
            let _ = write!(table, "{offset:010} 00000 n\r\n");
        }
        let id = hex::encode_upper(&hash.finalize()[..16]);
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root {root} 0 R /Info {info} 0 R /ID [<{id}> <{id}>] >>\nstartxref\n{xref}\n%%EOF\n",
            self.objects.len() + 1
        );
        out.extend_from_slice(table.as_bytes());
        out
    }
}

/// A text string as UTF-16BE hex with BOM (for Vietnamese in /Info, /UF, /Desc).
pub fn text_string(s: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in s.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// A byte string of the ASCII characters of `s` (others become '_'), escaped as a literal.
pub fn ascii_string(s: &str) -> String {
    let mut out = String::from("(");
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('_'),
        }
    }
    out.push(')');
    out
}

/// A name object, escaping delimiters and anything outside printable ASCII as `#xx`.
pub fn name(s: &str) -> String {
    let mut out = String::from("/");
    for b in s.bytes() {
        let regular = b.is_ascii_graphic() && !b"#/()<>[]{}%".contains(&b);
        if regular {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "#{b:02X}");
        }
    }
    out
}
