//! What the revisions after a signature changed, object by object, as DSS's and pyHanko's
//! difference analyses do: every object the cross-reference places elsewhere than the signed
//! revision did is read in both versions, compared, and classified by the role it plays (page,
//! content stream, annotation, form field, signature, validation data, catalog).
//!
//! Adding later signatures (their dictionary, field and widget, and the AcroForm, catalog and
//! page `/Annots` updates that attach them), validation data (`/DSS`) and document metadata is
//! allowed, and so is filling in an empty text field when the signature's `/Lock` permits form
//! filling and leaves that field open; anything else changes what was signed.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Object, ObjectId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod compare;
mod roles;

use super::serialize::decode_text;
use super::source::{object_span, Source};
use crate::budget::Budget;

/// Most objects compared for one signature.
pub(super) const MAX_COMPARED: usize = 10_000;
/// Most pages read from a page tree.
const MAX_PAGES: usize = 100_000;
/// Deepest page tree walked.
const MAX_PAGE_DEPTH: usize = 64;
/// Most objects of the validation data (`/DSS`) followed.
const MAX_DSS_OBJECTS: usize = 10_000;
/// Objects read between two checks of the budget.
const BUDGET_CHECK_EVERY: usize = 128;

/// One change made to the document after a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Modification {
    /// The object changed, `number generation`, e.g. `12 0`.
    pub object: String,
    /// What kind of change.
    pub kind: ModificationKind,
    /// What changed, in words, e.g. "page 1 content changed".
    pub detail: String,
}

/// The kind of a [`Modification`]. Signatures, validation data and metadata may be added
/// after a signature ([`is_allowed`](Self::is_allowed)); the other kinds change what was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModificationKind {
    /// A page's content or attributes (resources, media box, rotation) changed.
    PageContent,
    /// A page was added.
    PageAdded,
    /// An annotation (comment, link, stamp, drawing…) was added to a page.
    AnnotationAdded,
    /// An annotation was changed or removed.
    AnnotationChanged,
    /// A form field was added, removed or filled in.
    FormFieldChanged,
    /// A text field the signature left open was given its value and appearance (the number
    /// and date of a document written when it is issued). Allowed: the signature's lock does
    /// not lock this field and does not forbid form filling (`/P` 2, 3 or absent).
    FormFieldFilled,
    /// A later signature: its dictionary, its field and widget. Allowed.
    SignatureAdded,
    /// Validation data (`/DSS`: certificates, CRLs, OCSP responses) for long-term validation.
    /// Allowed.
    DssAdded,
    /// The document information dictionary or the XMP metadata. Allowed.
    MetadataChanged,
    /// The catalog or the AcroForm changed beyond attaching signatures and validation data.
    CatalogChanged,
    /// Any other object that existed when the document was signed changed, or was removed.
    Other,
}

impl ModificationKind {
    /// Whether a change of this kind leaves the signed content as it was.
    pub fn is_allowed(self) -> bool {
        matches!(
            self,
            Self::SignatureAdded | Self::DssAdded | Self::MetadataChanged | Self::FormFieldFilled
        )
    }
}

/// The changes found after one signature.
#[derive(Debug, Clone, Default)]
pub(super) struct Analysis {
    pub(super) modifications: Vec<Modification>,
    /// Why not every change could be compared (budget, limits, unreadable revision); `None`
    /// when the list is complete.
    pub(super) incomplete: Option<String>,
}

/// Compares the document as it stands (`current`) with its revision of `revision` bytes, read
/// from the start of `view` (the bytes `current` was read from: `pdf` with the `blanked`
/// signature holes blanked). An object that reads the same in both but holds a blanked hole is
/// compared byte for byte, so that a hole cannot hide a change. What the signature of the field
/// `signed_field` lets later revisions fill in is read from its lock in the signed revision.
pub(super) fn analyse(
    pdf: &[u8],
    view: &[u8],
    blanked: &[Range<usize>],
    current: &Source<'_>,
    (revision, signed_field): (usize, &str),
    budget: &Budget,
) -> Analysis {
    let mut analysis = Analysis::default();
    let old = match view
        .get(..revision)
        .ok_or_else(|| "the signed revision is not in the file".to_owned())
        .and_then(|signed| Source::open_for_reading(signed).map_err(|error| error.to_string()))
    {
        Ok(old) => old,
        Err(error) => {
            analysis.incomplete = Some(format!("the signed revision cannot be read: {error}"));
            return analysis;
        }
    };
    let fillable = Fillable::of(&old, signed_field);
    let mut comparison = Comparison {
        pdf,
        blanked,
        fillable,
        old: &old,
        new: current,
        old_roles: Roles::default(),
        new_roles: Roles::default(),
        budget,
        read: 0,
        analysis,
    };
    // The document as it stands first: its objects are mostly parsed already, and the signed
    // revision's objects that did not move are taken from it.
    comparison.new_roles = comparison.roles(current, None);
    comparison.old_roles = comparison.roles(&old, Some(current));
    comparison.compare_pages();
    comparison.compare_form();
    comparison.compare_objects();
    comparison.analysis
}

/// The role objects play in one version of the document.
#[derive(Default)]
struct Roles {
    root: Option<ObjectId>,
    catalog: Dictionary,
    /// Pages in order.
    pages: Vec<ObjectId>,
    page_numbers: HashMap<ObjectId, usize>,
    /// Intermediate nodes of the page tree.
    page_nodes: HashSet<ObjectId>,
    /// Content streams (and indirect `/Contents` arrays), with their page number.
    contents: HashMap<ObjectId, usize>,
    /// Annotations by reference, with their page number.
    annotations: HashMap<ObjectId, usize>,
    /// Indirect `/Annots` arrays, with their page number.
    annotation_arrays: HashMap<ObjectId, usize>,
    /// Each page's annotations, in order.
    page_annotations: HashMap<ObjectId, Vec<ObjectId>>,
    form_id: Option<ObjectId>,
    form: Option<Dictionary>,
    fields_array: Option<ObjectId>,
    /// Top-level fields by reference.
    fields: Vec<ObjectId>,
    dss_id: Option<ObjectId>,
    /// The DSS dictionary and every object it leads to.
    dss: HashSet<ObjectId>,
    info: Option<ObjectId>,
    metadata: Option<ObjectId>,
}

struct Comparison<'s, 'a, 'b> {
    pdf: &'s [u8],
    blanked: &'s [Range<usize>],
    fillable: Fillable,
    old: &'s Source<'a>,
    new: &'s Source<'b>,
    old_roles: Roles,
    new_roles: Roles,
    budget: &'s Budget,
    /// Objects read, for the budget checks.
    read: usize,
    analysis: Analysis,
}

impl Comparison<'_, '_, '_> {
    /// Counts one object read; `false` (and the analysis marked incomplete) when the budget ran
    /// out.
    fn tick(&mut self) -> bool {
        self.read += 1;
        if self.read % BUDGET_CHECK_EVERY == 0 {
            if let Err(stop) = self.budget.check() {
                self.stop(stop.to_string());
            }
        }
        self.analysis.incomplete.is_none()
    }

    fn stop(&mut self, why: String) {
        if self.analysis.incomplete.is_none() {
            self.analysis.incomplete = Some(why);
        }
    }

    fn push(&mut self, id: ObjectId, kind: ModificationKind, detail: impl Into<String>) {
        self.analysis.modifications.push(Modification {
            object: format!("{} {}", id.0, id.1),
            kind,
            detail: detail.into(),
        });
    }
}

/// Reads the objects of one version of the document, taking those that did not move from
/// the other version (parsed already).
struct Objects<'s, 'r> {
    document: &'s Source<'r>,
    shared: Option<&'s Source<'r>>,
}

impl Objects<'_, '_> {
    fn object(&self, id: ObjectId) -> Option<Object> {
        let from = match self.shared {
            Some(shared)
                if entry_key_of(shared, id.0).is_some()
                    && entry_key_of(shared, id.0) == entry_key_of(self.document, id.0) =>
            {
                shared
            }
            _ => self.document,
        };
        from.object(id).ok()
    }

    fn resolve(&self, object: &Object) -> Option<Object> {
        match object {
            Object::Reference(id) => self.object(*id),
            other => Some(other.clone()),
        }
    }

    fn dictionary(&self, id: ObjectId) -> Option<Dictionary> {
        match self.object(id)? {
            Object::Dictionary(dictionary) => Some(dictionary),
            Object::Stream(stream) => Some(stream.dict),
            _ => None,
        }
    }
}

/// The fields the signature lets later revisions fill in, from the `/Lock` of its field
/// (ISO 32000-2 §12.7.5.5): those it does not lock. None without a lock (filling a field after
/// a signature that says nothing of it is refused), or when the lock's `/P` forbids any change
/// (1), or it locks every field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fillable {
    /// `None`: no field may be filled.
    except_locked: Option<FieldLockAction>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldLockAction {
    /// Only these fields are locked.
    Include(Vec<String>),
    /// Every field but these is locked.
    Exclude(Vec<String>),
}

impl Fillable {
    /// Reads the lock of the top-level signature field `name` in `signed`.
    fn of(signed: &Source<'_>, name: &str) -> Self {
        Self::read(signed, name).unwrap_or_default()
    }

    fn read(signed: &Source<'_>, name: &str) -> Option<Self> {
        let root = signed
            .trailer()
            .get(b"Root")
            .and_then(Object::as_reference)
            .ok()?;
        let catalog = signed.dictionary(root).ok()?;
        let form = match signed.resolve(catalog.get(b"AcroForm").ok()?).ok()? {
            Object::Dictionary(form) => form,
            _ => return None,
        };
        let Object::Array(fields) = signed.resolve(form.get(b"Fields").ok()?).ok()? else {
            return None;
        };
        let field = fields
            .iter()
            .filter_map(|field| match signed.resolve(field).ok()? {
                Object::Dictionary(field) => Some(field),
                _ => None,
            })
            .find(|field| {
                field
                    .get(b"T")
                    .and_then(Object::as_str)
                    .map(decode_text)
                    .ok()
                    .as_deref()
                    == Some(name)
            })?;
        let Object::Dictionary(lock) = signed.resolve(field.get(b"Lock").ok()?).ok()? else {
            return None;
        };
        let permission = lock.get(b"P").and_then(Object::as_i64).unwrap_or(2);
        if !(2..=3).contains(&permission) {
            return None;
        }
        let names = || -> Vec<String> {
            match lock
                .get(b"Fields")
                .ok()
                .and_then(|f| signed.resolve(f).ok())
            {
                Some(Object::Array(names)) => names
                    .iter()
                    .filter_map(|name| name.as_str().ok().map(decode_text))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let action = match lock.get(b"Action").and_then(Object::as_name).ok()? {
            b"Include" => FieldLockAction::Include(names()),
            b"Exclude" => FieldLockAction::Exclude(names()),
            _ => return None,
        };
        Some(Self {
            except_locked: Some(action),
        })
    }

    fn permits(&self, field: &str) -> bool {
        match &self.except_locked {
            None => false,
            Some(FieldLockAction::Include(locked)) => !locked.iter().any(|name| name == field),
            Some(FieldLockAction::Exclude(open)) => open.iter().any(|name| name == field),
        }
    }
}

/// The references among `items`.
fn references(items: &[Object]) -> Vec<ObjectId> {
    items
        .iter()
        .filter_map(|item| item.as_reference().ok())
        .collect()
}

fn dictionary_of(object: &Object) -> Option<&Dictionary> {
    match object {
        Object::Dictionary(dictionary) => Some(dictionary),
        Object::Stream(stream) => Some(&stream.dict),
        _ => None,
    }
}

fn is_signature_dictionary(dictionary: &Dictionary) -> bool {
    dictionary.has(b"ByteRange")
        || dictionary.has_type(b"Sig")
        || dictionary.has_type(b"DocTimeStamp")
}

/// Objects equal in value: a stream's place in the file and a string's notation (literal or
/// hex) do not count.
fn same_object(old: &Object, new: &Object) -> bool {
    match (old, new) {
        (Object::Stream(old), Object::Stream(new)) => {
            same_dictionary(&old.dict, &new.dict) && old.content == new.content
        }
        (Object::String(old, _), Object::String(new, _)) => old == new,
        (Object::Array(old), Object::Array(new)) => {
            old.len() == new.len() && old.iter().zip(new).all(|(old, new)| same_object(old, new))
        }
        (Object::Dictionary(old), Object::Dictionary(new)) => same_dictionary(old, new),
        _ => old == new,
    }
}

fn same_dictionary(old: &Dictionary, new: &Dictionary) -> bool {
    old.len() == new.len()
        && old
            .iter()
            .all(|(key, value)| new.get(key).is_ok_and(|other| same_object(value, other)))
}

/// The keys whose values differ between `old` and `new`, except `ignored`, as `/A, /B`.
fn changed_keys(old: &Dictionary, new: &Dictionary, ignored: &[&[u8]]) -> String {
    let mut keys: Vec<&[u8]> = Vec::new();
    for (key, value) in old.iter() {
        if !new.get(key).is_ok_and(|other| same_object(value, other)) {
            keys.push(key);
        }
    }
    for (key, _) in new.iter() {
        if !old.has(key) {
            keys.push(key);
        }
    }
    keys.retain(|key| !ignored.contains(key));
    keys.iter()
        .take(8)
        .map(|key| format!("/{}", String::from_utf8_lossy(key)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An entry as comparable values: kind, offset or container, generation or index.
fn entry_key(entry: &XrefEntry) -> (u8, u32, u16) {
    match entry {
        XrefEntry::Free | XrefEntry::UnusableFree => (0, 0, 0),
        XrefEntry::Normal { offset, generation } => (1, *offset, *generation),
        XrefEntry::Compressed { container, index } => (2, *container, *index),
    }
}

fn entry_key_of(document: &Source<'_>, number: u32) -> Option<(u8, u32, u16)> {
    document.xref().get(number).map(entry_key)
}

/// The generation of the object an entry holds; `None` for a free entry.
fn generation(entry: &XrefEntry) -> Option<u16> {
    match entry {
        XrefEntry::Normal { generation, .. } => Some(*generation),
        XrefEntry::Compressed { .. } => Some(0),
        XrefEntry::Free | XrefEntry::UnusableFree => None,
    }
}
