//! The comparison of the two versions, role by role (pages, the form), then object by object,
//! each difference classified as an allowed addition or a change of what was signed.

use super::*;

impl Comparison<'_, '_, '_> {
    /// Pages added, removed or reordered, and annotations attached to or taken off pages.
    pub(super) fn compare_pages(&mut self) {
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

    /// A text field's widget changed: filled in (its value and appearance only) where the
    /// signature's lock permits it, else a change of what was signed.
    fn text_field_changed(
        &mut self,
        id: ObjectId,
        old: &Dictionary,
        new: &Dictionary,
        on_page: &str,
    ) {
        let name = new
            .get(b"T")
            .and_then(Object::as_str)
            .map(decode_text)
            .unwrap_or_default();
        let changed = changed_keys(old, new, &[b"V", b"AP"]);
        let value = new
            .get(b"V")
            .and_then(Object::as_str)
            .map(decode_text)
            .unwrap_or_default();
        let was_empty = old.get(b"V").is_err();
        if changed.is_empty() && was_empty && self.fillable.permits(&name) {
            self.push(
                id,
                ModificationKind::FormFieldFilled,
                format!("form field {name}{on_page} filled in with {value:?}, which the signature's lock permits"),
            );
        } else if changed.is_empty() && was_empty {
            self.push(
                id,
                ModificationKind::FormFieldChanged,
                format!("form field {name}{on_page} filled in with {value:?}, which the signature's lock does not permit"),
            );
        } else {
            self.push(
                id,
                ModificationKind::FormFieldChanged,
                format!(
                    "form field {name}{on_page} changed: {}",
                    changed_keys(old, new, &[])
                ),
            );
        }
    }

    /// The AcroForm: keys other than the field list, and fields taken off or added to it.
    pub(super) fn compare_form(&mut self) {
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
    pub(super) fn compare_objects(&mut self) {
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
                crate::pades::source::Location::At(offset) => object_span(self.pdf, id, offset),
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
                (Some(old), Some(new)) if is_text_field(new) => {
                    self.text_field_changed(id, old, new, &on_page);
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

/// A text field's merged field and widget dictionary.
fn is_text_field(dictionary: &Dictionary) -> bool {
    dictionary.get(b"FT").and_then(Object::as_name).ok() == Some(&b"Tx"[..])
}
