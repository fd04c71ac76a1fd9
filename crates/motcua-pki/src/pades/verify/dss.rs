//! The validation data a document carries in its `/DSS` (ETSI EN 319 142-1 §5.4.2):
//! certificates, CRLs and OCSP responses that let its signatures be checked without network,
//! after the certificates have expired. A hostile file may hold anything there, so the walk is
//! bounded in count and size, and every item is only a candidate: it counts for a certificate
//! only once verified against that certificate's issuer.

use lopdf::{Object, Stream};

use crate::archival::ValidationData;
use crate::budget::Budget;
use crate::pades::source::{inflate_within, Source};

/// Most items read from each of `/Certs`, `/CRLs` and `/OCSPs`.
const MAX_ITEMS: usize = 1_000;
/// Largest item once decoded; a national CA's CRL is a few MiB.
const MAX_ITEM_BYTES: usize = 16 << 20;
/// Most bytes read from the whole `/DSS`.
const MAX_TOTAL_BYTES: usize = 64 << 20;

/// The validation data of `document`, and what could not be read of it.
pub(super) fn document_validation_data(
    document: &Source<'_>,
    budget: &Budget,
) -> (ValidationData, Vec<String>) {
    let mut reader = DssReader {
        document,
        budget,
        total: 0,
        problems: Vec::new(),
    };
    let Some(dss) = reader.dss() else {
        return (ValidationData::default(), reader.problems);
    };
    let data = ValidationData {
        certificates: reader.items(&dss, b"Certs"),
        crls: reader.items(&dss, b"CRLs"),
        ocsp_responses: reader.items(&dss, b"OCSPs"),
    };
    (data, reader.problems)
}

struct DssReader<'a, 'b> {
    document: &'a Source<'b>,
    budget: &'a Budget,
    total: usize,
    problems: Vec<String>,
}

impl DssReader<'_, '_> {
    fn dss(&mut self) -> Option<lopdf::Dictionary> {
        let root = self.document.trailer().get(b"Root").ok()?;
        let catalog = self.document.resolve(root).ok()?;
        let dss = catalog.as_dict().ok()?.get(b"DSS").ok()?;
        match self.document.resolve(dss) {
            Ok(Object::Dictionary(dss)) => Some(dss),
            _ => {
                self.problems
                    .push("the document's /DSS is not a dictionary".into());
                None
            }
        }
    }

    /// The decoded streams of the array `key` of the DSS.
    fn items(&mut self, dss: &lopdf::Dictionary, key: &[u8]) -> Vec<Vec<u8>> {
        let name = String::from_utf8_lossy(key).into_owned();
        let Ok(array) = dss.get(key) else {
            return Vec::new();
        };
        let array = match self.document.resolve(array) {
            Ok(Object::Array(array)) => array,
            _ => {
                self.problems.push(format!("/DSS /{name} is not an array"));
                return Vec::new();
            }
        };
        if array.len() > MAX_ITEMS {
            self.problems.push(format!(
                "/DSS /{name} has {} entries; only the first {MAX_ITEMS} are read",
                array.len()
            ));
        }
        let mut items = Vec::new();
        for entry in array.iter().take(MAX_ITEMS) {
            if let Err(stop) = self.budget.check() {
                self.problems
                    .push(format!("/DSS /{name} not read entirely: {stop}"));
                break;
            }
            match self.document.resolve(entry) {
                Ok(Object::Stream(stream)) => {
                    if let Some(content) = self.decode(&stream, &name) {
                        items.push(content);
                    }
                }
                _ => self
                    .problems
                    .push(format!("an entry of /DSS /{name} is not a stream")),
            }
        }
        items
    }

    /// The content of `stream`, unfiltered or FlateDecode without parameters (what signing
    /// tools write), within the size limits.
    fn decode(&mut self, stream: &Stream, name: &str) -> Option<Vec<u8>> {
        let left = MAX_TOTAL_BYTES
            .saturating_sub(self.total)
            .min(MAX_ITEM_BYTES);
        let content = match stream.dict.get(b"Filter") {
            Err(_) => Some(stream.content.clone()).filter(|content| content.len() <= left),
            Ok(filter) if is_flate(filter) && !stream.dict.has(b"DecodeParms") => {
                inflate_within(&stream.content, left)
            }
            Ok(_) => {
                self.problems.push(format!(
                    "an entry of /DSS /{name} has a filter other than FlateDecode"
                ));
                return None;
            }
        };
        match content {
            Some(content) => {
                self.total = self.total.saturating_add(content.len());
                Some(content)
            }
            None => {
                self.problems.push(format!(
                    "an entry of /DSS /{name} is unreadable or larger than {left} bytes"
                ));
                None
            }
        }
    }
}

fn is_flate(filter: &Object) -> bool {
    match filter {
        Object::Name(name) => name == b"FlateDecode",
        Object::Array(filters) => {
            matches!(filters.as_slice(), [Object::Name(name)] if name == b"FlateDecode")
        }
        _ => false,
    }
}
