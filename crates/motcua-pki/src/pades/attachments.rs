//! Files embedded in a PDF (ISO 32000-1 §7.11.4): a signed report carries its figures as an
//! attachment, so the signature covers both and a receiver can read the figures back.

use lopdf::{Dictionary, Document, Object};

use super::invalid;
use super::serialize::decode_text;
use super::verify::without_signature_contents;
use crate::error::PkiError;

/// One embedded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedFile {
    /// `/UF` (or `/F`) of the file specification.
    pub name: String,
    /// The decoded content.
    pub content: Vec<u8>,
}

/// The files listed in the catalog's `/Names /EmbeddedFiles` tree, in tree order.
pub fn embedded_files(pdf: &[u8]) -> Result<Vec<EmbeddedFile>, PkiError> {
    let masked = without_signature_contents(pdf);
    let document = Document::load_mem(masked.as_deref().unwrap_or(pdf)).map_err(invalid)?;
    let catalog = document.catalog().map_err(invalid)?;
    let Some(tree) = lookup(&document, catalog, b"Names")
        .and_then(|names| lookup(&document, names, b"EmbeddedFiles"))
    else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    collect(&document, tree, &mut files, 0)?;
    Ok(files)
}

fn resolve<'a>(document: &'a Document, object: &'a Object) -> Option<&'a Object> {
    match object {
        Object::Reference(id) => document.get_object(*id).ok(),
        other => Some(other),
    }
}

fn lookup<'a>(document: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    resolve(document, dict.get(key).ok()?)?.as_dict().ok()
}

/// Walks a name tree node: `/Names [name spec …]` leaves and `/Kids`.
fn collect(
    document: &Document,
    node: &Dictionary,
    files: &mut Vec<EmbeddedFile>,
    depth: usize,
) -> Result<(), PkiError> {
    if depth > 32 {
        return Err(invalid("the embedded-files name tree is too deep"));
    }
    if let Some(names) = node
        .get(b"Names")
        .ok()
        .and_then(|o| resolve(document, o))
        .and_then(|o| o.as_array().ok())
    {
        for pair in names.chunks(2) {
            if let [_, spec] = pair {
                if let Some(spec) = resolve(document, spec).and_then(|o| o.as_dict().ok()) {
                    files.push(file(document, spec)?);
                }
            }
        }
    }
    if let Some(kids) = node
        .get(b"Kids")
        .ok()
        .and_then(|o| resolve(document, o))
        .and_then(|o| o.as_array().ok())
    {
        for kid in kids {
            if let Some(kid) = resolve(document, kid).and_then(|o| o.as_dict().ok()) {
                collect(document, kid, files, depth + 1)?;
            }
        }
    }
    Ok(())
}

fn file(document: &Document, spec: &Dictionary) -> Result<EmbeddedFile, PkiError> {
    let name = [&b"UF"[..], b"F"]
        .iter()
        .find_map(|key| match spec.get(key).ok()? {
            Object::String(bytes, _) => Some(decode_text(bytes)),
            _ => None,
        })
        .unwrap_or_default();
    let stream = lookup(document, spec, b"EF")
        .and_then(|ef| ef.get(b"F").ok())
        .and_then(|o| resolve(document, o))
        .and_then(|o| o.as_stream().ok())
        .ok_or_else(|| invalid(format!("the embedded file {name:?} has no stream")))?;
    let content = if stream.dict.get(b"Filter").is_ok() {
        stream.decompressed_content().map_err(invalid)?
    } else {
        stream.content.clone()
    };
    Ok(EmbeddedFile { name, content })
}
