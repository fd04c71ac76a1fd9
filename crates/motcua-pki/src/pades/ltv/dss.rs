//! The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): an
//! incremental update adding certificates, CRLs and OCSP responses as streams, merged with
//! what the document already holds, and a `/VRI` entry per signature naming its own.

use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Object, ObjectId};

use super::super::invalid;
use super::super::serialize::{append_update, write_dictionary, UpdateObject};
use super::super::sign::{next_free_id, root_id, update_trailer};
use super::super::source::Source;
use crate::archival::ValidationData;
use crate::error::PkiError;

/// Most entries read from one array of an existing store; beyond it the store is refused.
const MAX_DSS_ITEMS: usize = 10_000;
/// Largest existing stream decoded to compare it with new data; larger ones are kept as they
/// are, never matched.
const MAX_COMPARED_STREAM: usize = 1 << 20;

/// The validation data of one signature, under its `/VRI` key.
#[derive(Debug, Clone)]
pub(super) struct DssEntry {
    pub(super) vri_key: String,
    pub(super) data: ValidationData,
}

/// The three arrays of a store, by their keys, with what each `/VRI` entry calls them.
const KINDS: [(&[u8], &[u8]); 3] = [(b"Certs", b"Cert"), (b"CRLs", b"CRL"), (b"OCSPs", b"OCSP")];

/// The `/VRI` keys the document's store already has.
pub(super) fn vri_keys(pdf: &[u8]) -> Result<HashSet<String>, PkiError> {
    let document = Source::open_for_reading(pdf)?;
    let catalog = document.dictionary(root_id(&document)?)?;
    let Some(dss) = existing_dss(&document, &catalog)?.1 else {
        return Ok(HashSet::new());
    };
    let vri = match dss.get(b"VRI") {
        Ok(vri) => dictionary_of(&document, vri)?,
        Err(_) => Dictionary::new(),
    };
    Ok(vri
        .iter()
        .map(|(key, _)| String::from_utf8_lossy(key).to_ascii_uppercase())
        .collect())
}

/// `pdf` with an update adding `entries` to its store (created when missing).
pub(super) fn append_dss(pdf: &[u8], entries: &[DssEntry]) -> Result<Vec<u8>, PkiError> {
    let document = Source::open(pdf)?;
    let root_id = root_id(&document)?;
    let mut catalog = document.dictionary(root_id)?;
    let (dss_id, dss) = existing_dss(&document, &catalog)?;
    let mut dss = dss.unwrap_or_default();
    let mut next_id = next_free_id(&document);
    let mut objects = Vec::new();
    let mut vri = match dss.get(b"VRI") {
        Ok(vri) => dictionary_of(&document, vri)?,
        Err(_) => Dictionary::new(),
    };
    for (array_key, vri_array_key) in KINDS {
        let mut list = StreamList::read(&document, &dss, array_key)?;
        for entry in entries {
            let items = match array_key {
                b"Certs" => &entry.data.certificates,
                b"CRLs" => &entry.data.crls,
                _ => &entry.data.ocsp_responses,
            };
            let mut references = Vec::with_capacity(items.len());
            for item in items {
                references.push(list.add(item, &mut next_id, &mut objects)?);
            }
            if !references.is_empty() {
                add_to_vri(
                    &document,
                    &mut vri,
                    &entry.vri_key,
                    vri_array_key,
                    references,
                )?;
            }
        }
        if !list.references.is_empty() {
            dss.set(array_key.to_vec(), Object::Array(list.references));
        }
    }
    for entry in entries {
        // Present even when empty, so that the signature counts as seen.
        if vri.get(entry.vri_key.as_bytes()).is_err() {
            vri.set(entry.vri_key.as_bytes().to_vec(), Dictionary::new());
        }
    }
    dss.set("Type", Object::Name(b"DSS".to_vec()));
    dss.set("VRI", Object::Dictionary(vri));
    let dss_id = match dss_id {
        Some(id) => id,
        None => {
            let id = (next_id, 0);
            next_id = next_id.saturating_add(1);
            catalog.set("DSS", Object::Reference(id));
            objects.push(dictionary_object(root_id, &catalog)?);
            id
        }
    };
    objects.push(dictionary_object(dss_id, &dss)?);
    let trailer = update_trailer(&document, next_id, root_id)?;
    drop(document);
    Ok(append_update(pdf, &objects, &trailer)?.0)
}

/// The store's object id when it is an indirect object, and its dictionary.
fn existing_dss(
    document: &Source<'_>,
    catalog: &Dictionary,
) -> Result<(Option<ObjectId>, Option<Dictionary>), PkiError> {
    match catalog.get(b"DSS") {
        Ok(Object::Reference(id)) => Ok((Some(*id), Some(document.dictionary(*id)?))),
        Ok(Object::Dictionary(dss)) => Ok((None, Some(dss.clone()))),
        Ok(_) => Err(invalid("the catalog's /DSS is not a dictionary")),
        Err(_) => Ok((None, None)),
    }
}

fn dictionary_of(document: &Source<'_>, object: &Object) -> Result<Dictionary, PkiError> {
    match document.resolve(object)? {
        Object::Dictionary(dictionary) => Ok(dictionary),
        _ => Err(invalid("a /DSS entry that must be a dictionary is not one")),
    }
}

fn dictionary_object(id: ObjectId, dictionary: &Dictionary) -> Result<UpdateObject, PkiError> {
    let mut body = Vec::new();
    write_dictionary(&mut body, dictionary)?;
    Ok(UpdateObject { id, body })
}

/// One array of the store: its references, and the bytes of the streams already in it.
struct StreamList {
    references: Vec<Object>,
    known: HashMap<Vec<u8>, ObjectId>,
}

impl StreamList {
    fn read(document: &Source<'_>, dss: &Dictionary, key: &[u8]) -> Result<Self, PkiError> {
        let references = match dss.get(key) {
            Ok(array) => match document.resolve(array)? {
                Object::Array(items) => items,
                _ => return Err(invalid("a /DSS array is not an array")),
            },
            Err(_) => Vec::new(),
        };
        if references.len() > MAX_DSS_ITEMS {
            return Err(invalid(format!(
                "the /DSS has more than {MAX_DSS_ITEMS} entries in one array"
            )));
        }
        let mut known = HashMap::new();
        for reference in &references {
            let Object::Reference(id) = reference else {
                continue;
            };
            if let Some(bytes) = stream_bytes(document, *id) {
                known.entry(bytes).or_insert(*id);
            }
        }
        Ok(Self { references, known })
    }

    /// The reference to a stream holding `item`: the existing one, or a new one added to
    /// `objects`.
    fn add(
        &mut self,
        item: &[u8],
        next_id: &mut u32,
        objects: &mut Vec<UpdateObject>,
    ) -> Result<Object, PkiError> {
        if let Some(id) = self.known.get(item) {
            return Ok(Object::Reference(*id));
        }
        let id = (*next_id, 0);
        *next_id = next_id.saturating_add(1);
        objects.push(stream_object(id, item)?);
        self.known.insert(item.to_vec(), id);
        self.references.push(Object::Reference(id));
        Ok(Object::Reference(id))
    }
}

/// The decoded bytes of stream `id`: unfiltered or Flate without parameters, within
/// [`MAX_COMPARED_STREAM`]; `None` otherwise.
fn stream_bytes(document: &Source<'_>, id: ObjectId) -> Option<Vec<u8>> {
    let Object::Stream(stream) = document.object(id).ok()? else {
        return None;
    };
    match stream.dict.get(b"Filter") {
        Err(_) => (stream.content.len() <= MAX_COMPARED_STREAM).then_some(stream.content),
        Ok(Object::Name(name))
            if name == b"FlateDecode" && stream.dict.get(b"DecodeParms").is_err() =>
        {
            miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(
                &stream.content,
                MAX_COMPARED_STREAM,
            )
            .ok()
        }
        _ => None,
    }
}

fn stream_object(id: ObjectId, content: &[u8]) -> Result<UpdateObject, PkiError> {
    let mut dictionary = Dictionary::new();
    dictionary.set("Length", i64::try_from(content.len()).map_err(invalid)?);
    let mut body = Vec::with_capacity(content.len() + 64);
    write_dictionary(&mut body, &dictionary)?;
    body.extend_from_slice(b"\nstream\n");
    body.extend_from_slice(content);
    body.extend_from_slice(b"\nendstream");
    Ok(UpdateObject { id, body })
}

/// Adds `references` to the `key` array of the `/VRI` entry `vri_key`, keeping what it has.
fn add_to_vri(
    document: &Source<'_>,
    vri: &mut Dictionary,
    vri_key: &str,
    key: &[u8],
    references: Vec<Object>,
) -> Result<(), PkiError> {
    let mut entry = match vri.get(vri_key.as_bytes()) {
        Ok(entry) => dictionary_of(document, entry)?,
        Err(_) => Dictionary::new(),
    };
    let mut array = match entry.get(key).map(|array| document.resolve(array)) {
        Ok(Ok(Object::Array(items))) => items,
        _ => Vec::new(),
    };
    for reference in references {
        if !array.contains(&reference) {
            array.push(reference);
        }
    }
    entry.set(key.to_vec(), Object::Array(array));
    vri.set(vri_key.as_bytes().to_vec(), Object::Dictionary(entry));
    Ok(())
}
