//! What the revisions after a signature changed, object by object, as DSS's and pyHanko's
//! difference analyses do: every object the cross-reference places elsewhere than the signed
//! revision did is read in both versions, compared, and classified by the role it plays (page,
//! content stream, annotation, form field, signature, validation data, catalog).
//!
//! Adding later signatures (their dictionary, field and widget, and the AcroForm, catalog and
//! page `/Annots` updates that attach them), validation data (`/DSS`) and document metadata is
//! allowed; anything else changes what was signed.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Object, ObjectId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
            Self::SignatureAdded | Self::DssAdded | Self::MetadataChanged
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
/// compared byte for byte, so that a hole cannot hide a change.
pub(super) fn analyse(
    pdf: &[u8],
    view: &[u8],
    blanked: &[Range<usize>],
    current: &Source<'_>,
    revision: usize,
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
    let mut comparison = Comparison {
        pdf,
        blanked,
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

    /// The roles of `document`'s objects, read within the limits; objects `shared` places
    /// where `document` does are read from `shared`.
    fn roles(&mut self, document: &Source<'_>, shared: Option<&Source<'_>>) -> Roles {
        let reader = Objects { document, shared };
        let mut roles = Roles {
            root: document
                .trailer()
                .get(b"Root")
                .and_then(Object::as_reference)
                .ok(),
            info: document
                .trailer()
                .get(b"Info")
                .and_then(Object::as_reference)
                .ok(),
            ..Roles::default()
        };
        let catalog = roles
            .root
            .and_then(|root| reader.dictionary(root))
            .unwrap_or_default();
        roles.metadata = catalog.get(b"Metadata").and_then(Object::as_reference).ok();
        if let Ok(form) = catalog.get(b"AcroForm") {
            roles.form_id = form.as_reference().ok();
            if let Some(Object::Dictionary(form)) = reader.resolve(form) {
                if let Ok(fields) = form.get(b"Fields") {
                    roles.fields_array = fields.as_reference().ok();
                    if let Some(Object::Array(fields)) = reader.resolve(fields) {
                        roles.fields = references(&fields);
                    }
                }
                roles.form = Some(form);
            }
        }
        if let Ok(dss) = catalog.get(b"DSS") {
            roles.dss_id = dss.as_reference().ok();
            self.follow_dss(&reader, dss, &mut roles.dss);
        }
        if let Ok(pages) = catalog.get(b"Pages").and_then(Object::as_reference) {
            self.walk_pages(&reader, pages, &mut roles);
        }
        roles.catalog = catalog;
        roles
    }

    /// Every object the validation data leads to.
    fn follow_dss(
        &mut self,
        reader: &Objects<'_, '_>,
        dss: &Object,
        found: &mut HashSet<ObjectId>,
    ) {
        let mut pending = vec![dss.clone()];
        while let Some(object) = pending.pop() {
            let object = match object {
                Object::Reference(id) => {
                    if !found.insert(id) {
                        continue;
                    }
                    if found.len() > MAX_DSS_OBJECTS {
                        self.stop(format!(
                            "the validation data (/DSS) has more than {MAX_DSS_OBJECTS} objects"
                        ));
                        return;
                    }
                    if !self.tick() {
                        return;
                    }
                    match reader.object(id) {
                        Some(object) => object,
                        None => continue,
                    }
                }
                other => other,
            };
            match object {
                Object::Array(items) => pending.extend(items),
                Object::Dictionary(dictionary) => {
                    pending.extend(dictionary.iter().map(|(_, value)| value.clone()));
                }
                Object::Stream(stream) => {
                    pending.extend(stream.dict.iter().map(|(_, value)| value.clone()));
                }
                _ => {}
            }
            if pending.len() > MAX_DSS_OBJECTS {
                self.stop(format!(
                    "the validation data (/DSS) has more than {MAX_DSS_OBJECTS} objects"
                ));
                return;
            }
        }
    }

    /// The pages under `pages` in order, each object once, within the depth and count limits.
    fn walk_pages(&mut self, reader: &Objects<'_, '_>, pages: ObjectId, roles: &mut Roles) {
        let mut seen = HashSet::new();
        let mut pending = vec![(pages, 0usize)];
        while let Some((node, depth)) = pending.pop() {
            if !seen.insert(node) {
                continue;
            }
            if !self.tick() {
                return;
            }
            let Some(dictionary) = reader.dictionary(node) else {
                continue;
            };
            if let Ok(kids) = dictionary.get(b"Kids") {
                roles.page_nodes.insert(node);
                if depth >= MAX_PAGE_DEPTH {
                    self.stop(format!(
                        "the page tree is deeper than {MAX_PAGE_DEPTH} levels"
                    ));
                    return;
                }
                if let Some(Object::Array(kids)) = reader.resolve(kids) {
                    let start = pending.len();
                    pending.extend(
                        references(&kids)
                            .into_iter()
                            .take(MAX_PAGES)
                            .map(|kid| (kid, depth + 1)),
                    );
                    pending[start..].reverse();
                }
                continue;
            }
            if roles.pages.len() >= MAX_PAGES {
                self.stop(format!("the document has more than {MAX_PAGES} pages"));
                return;
            }
            roles.pages.push(node);
            let number = roles.pages.len();
            roles.page_numbers.insert(node, number);
            // A reference is not resolved: it is usually a large stream, and an indirect array
            // of streams, if changed, is still reported (as an object changed).
            match dictionary.get(b"Contents") {
                Ok(Object::Reference(id)) => {
                    roles.contents.insert(*id, number);
                }
                Ok(Object::Array(streams)) => {
                    for stream in references(streams) {
                        roles.contents.insert(stream, number);
                    }
                }
                _ => {}
            }
            if let Ok(annotations) = dictionary.get(b"Annots") {
                if let Ok(id) = annotations.as_reference() {
                    roles.annotation_arrays.insert(id, number);
                }
                if let Some(Object::Array(annotations)) = reader.resolve(annotations) {
                    let annotations = references(&annotations);
                    for annotation in &annotations {
                        roles.annotations.entry(*annotation).or_insert(number);
                    }
                    roles.page_annotations.insert(node, annotations);
                }
            }
        }
    }

    /// Pages added, removed or reordered, and annotations attached to or taken off pages.
    fn compare_pages(&mut self) {
        let old_pages: HashSet<ObjectId> = self.old_roles.pages.iter().copied().collect();
        let new_pages: HashSet<ObjectId> = self.new_roles.pages.iter().copied().collect();
        for (index, page) in self.new_roles.pages.clone().into_iter().enumerate() {
            if !old_pages.contains(&page) {
                self.push(
                    page,
                    ModificationKind::PageAdded,
                    format!("page {} added", index + 1),
                );
            }
        }
        for (index, page) in self.old_roles.pages.clone().into_iter().enumerate() {
            if !new_pages.contains(&page) {
                self.push(
                    page,
                    ModificationKind::Other,
                    format!("page {} removed", index + 1),
                );
            }
        }
        let kept_old: Vec<ObjectId> = self
            .old_roles
            .pages
            .iter()
            .filter(|page| new_pages.contains(page))
            .copied()
            .collect();
        let kept_new: Vec<ObjectId> = self
            .new_roles
            .pages
            .iter()
            .filter(|page| old_pages.contains(page))
            .copied()
            .collect();
        if kept_old != kept_new {
            if let Some(root) = self.new_roles.root {
                self.push(
                    root,
                    ModificationKind::Other,
                    "the order of the pages changed",
                );
            }
        }
        for (page_index, page) in self.new_roles.pages.clone().into_iter().enumerate() {
            if !old_pages.contains(&page) {
                continue;
            }
            let number = page_index + 1;
            let before: Vec<ObjectId> = self
                .old_roles
                .page_annotations
                .get(&page)
                .cloned()
                .unwrap_or_default();
            let after: Vec<ObjectId> = self
                .new_roles
                .page_annotations
                .get(&page)
                .cloned()
                .unwrap_or_default();
            if before == after {
                continue;
            }
            let before_set: HashSet<ObjectId> = before.iter().copied().collect();
            let after_set: HashSet<ObjectId> = after.iter().copied().collect();
            for annotation in after.iter().filter(|a| !before_set.contains(a)) {
                if !self.tick() {
                    return;
                }
                match self.signature_widget(*annotation) {
                    Some(name) => self.push(
                        *annotation,
                        ModificationKind::SignatureAdded,
                        format!("signature field {name} added on page {number}"),
                    ),
                    None => {
                        let subtype = self
                            .new
                            .dictionary(*annotation)
                            .ok()
                            .and_then(|d| {
                                d.get(b"Subtype")
                                    .and_then(Object::as_name)
                                    .ok()
                                    .map(<[u8]>::to_vec)
                            })
                            .map(|name| format!(" ({})", String::from_utf8_lossy(&name)))
                            .unwrap_or_default();
                        self.push(
                            *annotation,
                            ModificationKind::AnnotationAdded,
                            format!("annotation{subtype} added on page {number}"),
                        );
                    }
                }
            }
            for annotation in before.iter().filter(|a| !after_set.contains(a)) {
                self.push(
                    *annotation,
                    ModificationKind::AnnotationChanged,
                    format!("annotation removed from page {number}"),
                );
            }
        }
    }

    /// The name of the signature field `id` is the widget of, if it is one.
    fn signature_widget(&self, id: ObjectId) -> Option<String> {
        let widget = self.new.dictionary(id).ok()?;
        let own_type = widget.get(b"FT").and_then(Object::as_name).ok();
        let parent = widget
            .get(b"Parent")
            .and_then(Object::as_reference)
            .ok()
            .and_then(|parent| self.new.dictionary(parent).ok());
        let field_type = own_type.or_else(|| {
            parent
                .as_ref()
                .and_then(|parent| parent.get(b"FT").and_then(Object::as_name).ok())
        });
        if field_type != Some(&b"Sig"[..]) {
            return None;
        }
        let name = widget
            .get(b"T")
            .ok()
            .or_else(|| parent.as_ref().and_then(|parent| parent.get(b"T").ok()))
            .and_then(|name| name.as_str().ok())
            .map(decode_text)
            .unwrap_or_default();
        Some(name)
    }

    /// The AcroForm: keys other than the field list, and fields taken off or added to it.
    fn compare_form(&mut self) {
        // Not needed after this comparison.
        let (old_form, new_form) = (
            self.old_roles.form.take().unwrap_or_default(),
            self.new_roles.form.take().unwrap_or_default(),
        );
        let holder = self
            .new_roles
            .form_id
            .or(self.new_roles.root)
            .unwrap_or((0, 0));
        let changed = changed_keys(
            &old_form,
            &new_form,
            &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"],
        );
        if !changed.is_empty() {
            self.push(
                holder,
                ModificationKind::CatalogChanged,
                format!("the AcroForm changed: {changed}"),
            );
        }
        let new_fields: HashSet<ObjectId> = self.new_roles.fields.iter().copied().collect();
        let old_fields: HashSet<ObjectId> = self.old_roles.fields.iter().copied().collect();
        for field in self.old_roles.fields.clone() {
            if !new_fields.contains(&field) {
                self.push(
                    field,
                    ModificationKind::FormFieldChanged,
                    "form field removed from the AcroForm",
                );
            }
        }
        for field in self.new_roles.fields.clone() {
            if old_fields.contains(&field) || !self.tick() {
                continue;
            }
            // A field that existed before and was attached now; new fields are classified with
            // the other new objects.
            if self.old.object(field).is_ok() && self.signature_widget(field).is_none() {
                self.push(
                    field,
                    ModificationKind::FormFieldChanged,
                    "an existing form field was added to the AcroForm",
                );
            }
        }
    }

    /// Every object written after the signed revision, compared with its signed version.
    fn compare_objects(&mut self) {
        let (old_document, new_document) = (self.old, self.new);
        let mut changed = Vec::new();
        for (index, (number, entry)) in new_document.xref().entries.iter().enumerate() {
            if index % 4096 == 4095 {
                if let Err(stop) = self.budget.check() {
                    self.stop(stop.to_string());
                    return;
                }
            }
            if changed.len() >= MAX_COMPARED {
                self.stop(format!(
                    "more than {MAX_COMPARED} objects were written after this signature"
                ));
                break;
            }
            let old_entry = old_document.xref().get(*number);
            let same = match (old_entry, entry) {
                (Some(old), new) if entry_key(old) == entry_key(new) => match new {
                    // Same place in the same object stream: unchanged if the stream is.
                    XrefEntry::Compressed { container, .. } => {
                        entry_key_of(old_document, *container)
                            == entry_key_of(new_document, *container)
                    }
                    _ => true,
                },
                (None, XrefEntry::Free | XrefEntry::UnusableFree) => true,
                _ => false,
            };
            if !same {
                changed.push((*number, old_entry.and_then(generation), generation(entry)));
            }
        }
        for (number, old_generation, new_generation) in changed {
            if !self.tick() {
                return;
            }
            let old = old_generation.and_then(|g| self.old.object((number, g)).ok());
            let new = new_generation.and_then(|g| self.new.object((number, g)).ok());
            if let (Some(old_object), Some(new_object)) = (&old, &new) {
                if same_object(old_object, new_object) {
                    if self.hidden_change(
                        (number, old_generation),
                        (number, new_generation),
                        new_object,
                    ) {
                        self.push(
                            (number, new_generation.unwrap_or(0)),
                            ModificationKind::Other,
                            "object changed inside a string that a signature's byte range hid from the parser",
                        );
                    }
                    continue;
                }
            }
            let id = (number, new_generation.or(old_generation).unwrap_or(0));
            self.classify(id, old.as_ref(), new.as_ref());
        }
    }

    /// Whether the two versions of an object that read the same differ in their bytes while one
    /// of them holds a blanked hole (a signature dictionary holds its own, and is not compared).
    fn hidden_change(
        &self,
        (number, old_generation): (u32, Option<u16>),
        (_, new_generation): (u32, Option<u16>),
        new: &Object,
    ) -> bool {
        if self.blanked.is_empty() || dictionary_of(new).is_some_and(is_signature_dictionary) {
            return false;
        }
        let span = |document: &Source<'_>, generation: Option<u16>| {
            let id = (number, generation?);
            match document.location(id) {
                super::source::Location::At(offset) => object_span(self.pdf, id, offset),
                _ => None,
            }
        };
        let (Some(old), Some(new)) = (
            span(self.old, old_generation),
            span(self.new, new_generation),
        ) else {
            return false;
        };
        let holds_hole = |span: &Range<usize>| {
            self.blanked
                .iter()
                .any(|hole| hole.start < span.end && span.start < hole.end)
        };
        (holds_hole(&old) || holds_hole(&new)) && self.pdf.get(old) != self.pdf.get(new)
    }

    /// Classifies one object that differs from its signed version (`old` is `None` for a new
    /// object, `new` for a removed one).
    fn classify(&mut self, id: ObjectId, old: Option<&Object>, new: Option<&Object>) {
        use ModificationKind as Kind;
        let new_dictionary = new.and_then(dictionary_of);
        let old_dictionary = old.and_then(dictionary_of);
        let is_root = self.old_roles.root == Some(id) || self.new_roles.root == Some(id);
        if is_root {
            let changed = changed_keys(
                &self.old_roles.catalog,
                &self.new_roles.catalog,
                &[b"AcroForm", b"DSS", b"Extensions", b"Perms", b"Metadata"],
            );
            if !changed.is_empty() {
                self.push(
                    id,
                    Kind::CatalogChanged,
                    format!("the catalog changed: {changed}"),
                );
            }
            return;
        }
        let is_form = [
            self.old_roles.form_id,
            self.new_roles.form_id,
            self.old_roles.fields_array,
            self.new_roles.fields_array,
        ]
        .contains(&Some(id));
        if is_form {
            // Compared as a whole in `compare_form`.
            return;
        }
        if let Some(number) = self
            .old_roles
            .page_numbers
            .get(&id)
            .or_else(|| self.new_roles.page_numbers.get(&id))
            .copied()
        {
            if let (Some(old), Some(new)) = (old_dictionary, new_dictionary) {
                let changed = changed_keys(old, new, &[b"Annots"]);
                if !changed.is_empty() {
                    self.push(
                        id,
                        Kind::PageContent,
                        format!("page {number} changed: {changed}"),
                    );
                }
            }
            // Added and removed pages, and annotations: `compare_pages`.
            return;
        }
        if self.old_roles.page_nodes.contains(&id) || self.new_roles.page_nodes.contains(&id) {
            if let (Some(old), Some(new)) = (old_dictionary, new_dictionary) {
                let changed = changed_keys(old, new, &[b"Kids", b"Count"]);
                if !changed.is_empty() {
                    self.push(
                        id,
                        Kind::PageContent,
                        format!("the page tree changed: {changed}"),
                    );
                }
            }
            return;
        }
        if self.old_roles.annotation_arrays.contains_key(&id)
            || self.new_roles.annotation_arrays.contains_key(&id)
        {
            // The annotations it lists: `compare_pages`.
            return;
        }
        if let Some(number) = self.old_roles.contents.get(&id).copied() {
            let detail = if new.is_some() {
                format!("page {number} content changed")
            } else {
                format!("page {number} content removed")
            };
            self.push(id, Kind::PageContent, detail);
            return;
        }
        let annotation_page = self
            .old_roles
            .annotations
            .get(&id)
            .or_else(|| self.new_roles.annotations.get(&id))
            .copied();
        let is_annotation = annotation_page.is_some()
            || new_dictionary.is_some_and(|d| d.has_type(b"Annot"))
            || old_dictionary.is_some_and(|d| d.has_type(b"Annot"));
        if is_annotation {
            let on_page = annotation_page.map_or(String::new(), |n| format!(" on page {n}"));
            match (old_dictionary, new_dictionary) {
                // New annotations are listed by `compare_pages` when on a page; elsewhere they
                // show nowhere.
                (None, _) => {}
                (Some(_), None) => {
                    self.push(
                        id,
                        Kind::AnnotationChanged,
                        format!("annotation{on_page} removed"),
                    );
                }
                (Some(old), Some(new)) => {
                    let signed_only = self.signature_widget(id).is_some()
                        && changed_keys(old, new, &[b"V", b"AP", b"AS"]).is_empty();
                    if signed_only {
                        self.push(
                            id,
                            Kind::SignatureAdded,
                            format!("signature field{on_page} signed"),
                        );
                    } else {
                        self.push(
                            id,
                            Kind::AnnotationChanged,
                            format!(
                                "annotation{on_page} changed: {}",
                                changed_keys(old, new, &[])
                            ),
                        );
                    }
                }
            }
            return;
        }
        if new_dictionary.is_some_and(is_signature_dictionary) {
            if old.is_none() {
                self.push(id, Kind::SignatureAdded, "signature dictionary added");
            } else {
                self.push(id, Kind::Other, "a signature dictionary was rewritten");
            }
            return;
        }
        let is_field =
            |d: &Dictionary| d.has(b"FT") || (d.has(b"T") && (d.has(b"Parent") || d.has(b"Kids")));
        if new_dictionary.is_some_and(is_field) || old_dictionary.is_some_and(is_field) {
            let name = new_dictionary
                .or(old_dictionary)
                .and_then(|d| d.get(b"T").and_then(Object::as_str).ok())
                .map(|t| format!(" {}", decode_text(t)))
                .unwrap_or_default();
            if old.is_none() && self.signature_widget(id).is_some() {
                self.push(
                    id,
                    Kind::SignatureAdded,
                    format!("signature field{name} added"),
                );
            } else if old.is_none() {
                self.push(
                    id,
                    Kind::FormFieldChanged,
                    format!("form field{name} added"),
                );
            } else if new.is_none() {
                self.push(
                    id,
                    Kind::FormFieldChanged,
                    format!("form field{name} removed"),
                );
            } else {
                self.push(
                    id,
                    Kind::FormFieldChanged,
                    format!("form field{name} changed"),
                );
            }
            return;
        }
        if self.new_roles.dss.contains(&id) && (old.is_none() || self.old_roles.dss.contains(&id)) {
            if self.new_roles.dss_id == Some(id) {
                let detail = if old.is_none() {
                    "validation data (/DSS) added"
                } else {
                    "validation data (/DSS) updated"
                };
                self.push(id, Kind::DssAdded, detail);
            }
            return;
        }
        let is_metadata = [self.old_roles.info, self.new_roles.info].contains(&Some(id))
            || [self.old_roles.metadata, self.new_roles.metadata].contains(&Some(id));
        if is_metadata {
            self.push(id, Kind::MetadataChanged, "document metadata changed");
            return;
        }
        match (old, new) {
            // A new object nothing signed refers to: it can only matter through an object that
            // refers to it, which is compared itself.
            (None, _) => {}
            (Some(_), None) => self.push(id, Kind::Other, "object removed"),
            (Some(_), Some(_)) => self.push(id, Kind::Other, "object changed"),
        }
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
