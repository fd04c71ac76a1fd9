//! The signature fields of a PDF, found by a bounded walk of the AcroForm field tree.
//!
//! The tree comes from the file, so it can hold anything: a field listed as its own kid, two
//! fields that are each other's kid, a chain of thousands of levels, millions of kids. The walk
//! visits each object once, stops at a depth and a number of fields, and checks the budget as it
//! goes, so that its cost is linear in the size of the tree it read.

use std::collections::HashSet;
use std::rc::Rc;

use lopdf::{Dictionary, Object, ObjectId};

use super::serialize::decode_text;
use super::source::Source;
use crate::budget::{Budget, BudgetExceeded};

/// Most fields walked; a real form has a few hundred at most.
pub(super) const MAX_FIELDS: usize = 10_000;
/// Deepest field tree walked; real forms have a few levels.
pub(super) const MAX_FIELD_DEPTH: usize = 32;
/// Most kids queued over the whole walk: kids arrays shared between fields could otherwise
/// queue the same fields again and again.
const MAX_QUEUED: usize = 4 * MAX_FIELDS;
/// Longest field name kept, in bytes; longer ones are cut.
const MAX_NAME: usize = 1024;
/// Fields walked between two checks of the budget.
const BUDGET_CHECK_EVERY: usize = 256;

/// A signature field with a value.
#[derive(Debug)]
pub(super) struct SignatureField {
    /// Fully qualified name.
    pub(super) name: String,
    /// The signature dictionary (`/V`), or why it cannot be read.
    pub(super) value: SignatureValue,
    /// The indirect object the signature dictionary is written in: `/V`'s own when it is a
    /// reference, else the nearest indirect object holding the field.
    pub(super) holder: Option<ObjectId>,
}

#[derive(Debug)]
pub(super) enum SignatureValue {
    Dictionary(Dictionary),
    /// The parser refused it; the error.
    Unreadable(String),
}

/// What the walk found.
#[derive(Debug, Default)]
pub(super) struct FieldWalk {
    /// Signature fields with a value, in the order walked.
    pub(super) fields: Vec<SignatureField>,
    /// Why the walk did not read the whole tree (too many fields, too deep).
    pub(super) problems: Vec<String>,
    /// Set when the budget ran out during the walk.
    pub(super) stopped: Option<BudgetExceeded>,
    /// Set to the count when more than the accepted number of signatures was found; the walk
    /// stopped there.
    pub(super) too_many: Option<usize>,
}

/// A field still to walk: the field object, its parent's name, the inherited field type, its
/// depth, and the nearest indirect object holding it.
struct Pending {
    field: Object,
    parent: Rc<str>,
    inherited_type: Option<Rc<[u8]>>,
    depth: usize,
    holder: Option<ObjectId>,
}

/// The queue of fields to walk, with what bounds it.
#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    /// Fields walked, by object.
    visited: HashSet<ObjectId>,
    /// Kids arrays queued, by object.
    arrays: HashSet<ObjectId>,
    queued: usize,
    full: bool,
}

impl Queue {
    /// Queues `kids` (read from the array object `array`, when indirect), skipping fields
    /// already walked and arrays already queued, up to [`MAX_QUEUED`] in all.
    fn push_kids(
        &mut self,
        kids: Vec<Object>,
        array: Option<ObjectId>,
        parent: &Rc<str>,
        inherited_type: Option<&Rc<[u8]>>,
        depth: usize,
        holder: Option<ObjectId>,
    ) {
        if array.is_some_and(|array| !self.arrays.insert(array)) {
            return;
        }
        let start = self.pending.len();
        for field in kids {
            if let Object::Reference(id) = field {
                if self.visited.contains(&id) {
                    continue;
                }
            }
            if self.queued >= MAX_QUEUED {
                self.full = true;
                break;
            }
            self.queued += 1;
            self.pending.push(Pending {
                field,
                parent: Rc::clone(parent),
                inherited_type: inherited_type.cloned(),
                depth,
                holder,
            });
        }
        // Popped from the end: reversed so that fields are walked in the written order.
        self.pending[start..].reverse();
    }
}

/// Walks the AcroForm field tree of `document` and returns the signature fields with a value.
/// More than `max_signatures` of them stops the walk (see [`FieldWalk::too_many`]).
pub(super) fn signature_fields(
    document: &Source<'_>,
    budget: &Budget,
    max_signatures: usize,
) -> FieldWalk {
    let mut walk = FieldWalk::default();
    let root = document
        .trailer()
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok();
    let Some((fields, holder)) = root.and_then(|root| top_fields(document, root)) else {
        return walk;
    };
    let mut queue = Queue::default();
    let (fields, fields_array) = fields;
    queue.push_kids(fields, fields_array, &Rc::from(""), None, 0, holder);
    let mut walked = 0usize;
    let mut too_deep = false;
    while let Some(Pending {
        field,
        parent,
        inherited_type,
        depth,
        holder,
    }) = queue.pending.pop()
    {
        let holder = match &field {
            Object::Reference(id) => {
                // A field reached twice (a cycle, or listed twice) is walked once.
                if !queue.visited.insert(*id) {
                    continue;
                }
                Some(*id)
            }
            _ => holder,
        };
        walked += 1;
        if walked > MAX_FIELDS {
            walk.problems.push(format!(
                "the form has more than {MAX_FIELDS} fields: the walk stopped there, so signatures beyond them are not reported"
            ));
            break;
        }
        if walked % BUDGET_CHECK_EVERY == 0 {
            if let Err(stop) = budget.check() {
                walk.stopped = Some(stop);
                break;
            }
        }
        let field = match document.resolve(&field) {
            Ok(Object::Dictionary(field)) => field,
            _ => continue,
        };
        let partial = field
            .get(b"T")
            .and_then(Object::as_str)
            .map(decode_text)
            .ok();
        let name: Rc<str> = match (parent.is_empty(), partial) {
            (_, None) => parent,
            (true, Some(partial)) => Rc::from(cut(partial)),
            (false, Some(partial)) => Rc::from(cut(format!("{parent}.{partial}"))),
        };
        let field_type = field
            .get(b"FT")
            .and_then(Object::as_name)
            .map(Rc::from)
            .ok()
            .or(inherited_type);
        if let Ok(kids) = field.get(b"Kids") {
            if depth >= MAX_FIELD_DEPTH {
                too_deep = true;
            } else {
                let array = kids.as_reference().ok();
                if let Ok(Object::Array(kids)) = document.resolve(kids) {
                    queue.push_kids(
                        kids,
                        array,
                        &name,
                        field_type.as_ref(),
                        depth + 1,
                        array.or(holder),
                    );
                }
            }
        }
        if field_type.as_deref() != Some(&b"Sig"[..]) {
            continue;
        }
        let name = name.to_string();
        let value = match field.get(b"V") {
            Err(_) | Ok(Object::Null) => continue,
            Ok(Object::Reference(id)) => match document.object(*id) {
                Ok(Object::Dictionary(value)) => SignatureField {
                    name,
                    value: SignatureValue::Dictionary(value),
                    holder: Some(*id),
                },
                Ok(_) => SignatureField {
                    name,
                    value: SignatureValue::Unreadable(format!(
                        "the value of the field (object {} {}) is not a dictionary",
                        id.0, id.1
                    )),
                    holder: Some(*id),
                },
                Err(error) => SignatureField {
                    name,
                    value: SignatureValue::Unreadable(error.to_string()),
                    holder: Some(*id),
                },
            },
            Ok(Object::Dictionary(value)) => SignatureField {
                name,
                value: SignatureValue::Dictionary(value.clone()),
                holder,
            },
            Ok(_) => SignatureField {
                name,
                value: SignatureValue::Unreadable(
                    "the value of the field is not a dictionary".into(),
                ),
                holder,
            },
        };
        walk.fields.push(value);
        if walk.fields.len() > max_signatures {
            walk.too_many = Some(walk.fields.len());
            break;
        }
    }
    if queue.full {
        walk.problems.push(format!(
            "the form's field tree lists more than {MAX_QUEUED} kids: the others were not read"
        ));
    }
    if too_deep {
        walk.problems.push(format!(
            "the form's field tree is deeper than {MAX_FIELD_DEPTH} levels: fields below were not read"
        ));
    }
    walk
}

/// Kids, the array object holding them (when indirect) and the nearest indirect object.
type Kids = ((Vec<Object>, Option<ObjectId>), Option<ObjectId>);

/// The AcroForm's `/Fields` and the nearest indirect object holding that array.
fn top_fields(document: &Source<'_>, root: ObjectId) -> Option<Kids> {
    let catalog = document.dictionary(root).ok()?;
    let form_entry = catalog.get(b"AcroForm").ok()?;
    let form_holder = form_entry.as_reference().ok().unwrap_or(root);
    let Object::Dictionary(form) = document.resolve(form_entry).ok()? else {
        return None;
    };
    let fields_entry = form.get(b"Fields").ok()?;
    let holder = fields_entry.as_reference().ok().unwrap_or(form_holder);
    match document.resolve(fields_entry).ok()? {
        Object::Array(fields) => Some(((fields, fields_entry.as_reference().ok()), Some(holder))),
        _ => None,
    }
}

/// `name` cut to [`MAX_NAME`] bytes.
fn cut(mut name: String) -> String {
    if name.len() > MAX_NAME {
        let mut end = MAX_NAME;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
        name.push('…');
    }
    name
}
