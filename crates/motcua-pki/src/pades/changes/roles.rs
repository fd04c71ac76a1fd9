//! The role each object plays in one version of the document: catalog, pages and their
//! contents and annotations, form fields, validation data (`/DSS`) and metadata.

use super::*;

impl Comparison<'_, '_, '_> {
    /// The roles of `document`'s objects, read within the limits; objects `shared` places
    /// where `document` does are read from `shared`.
    pub(super) fn roles(&mut self, document: &Source<'_>, shared: Option<&Source<'_>>) -> Roles {
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
}
