//! Hostile variants of a signed PDF, each an incremental update as an attacker would append it:
//! signature-field trees with cycles or thousands of levels, and more signature fields than a
//! verifier should look at.

/// `pdf` with a field that lists itself three times as a kid.
pub fn field_listing_itself(pdf: &[u8]) -> Vec<u8> {
    let next = Tail::of(pdf).size;
    with_fields(
        pdf,
        &[(
            next,
            format!("<< /T (loop) /Kids [{next} 0 R {next} 0 R {next} 0 R] >>"),
        )],
    )
}

/// `pdf` with two fields that are each other's kid.
pub fn two_field_cycle(pdf: &[u8]) -> Vec<u8> {
    let a = Tail::of(pdf).size;
    let b = a + 1;
    with_fields(
        pdf,
        &[
            (a, format!("<< /T (a) /Kids [{b} 0 R] >>")),
            (b, format!("<< /T (b) /Kids [{a} 0 R] >>")),
        ],
    )
}

/// `pdf` with a chain of `depth` nested fields.
pub fn deeply_nested(pdf: &[u8], depth: u32) -> Vec<u8> {
    let first = Tail::of(pdf).size;
    let fields: Vec<(u32, String)> = (0..depth)
        .map(|level| {
            let id = first + level;
            let kids = if level + 1 < depth {
                format!("/Kids [{} 0 R]", id + 1)
            } else {
                String::new()
            };
            (id, format!("<< /T (n{level}) {kids} >>"))
        })
        .collect();
    with_fields(pdf, &fields)
}

/// `pdf` with `count` more signature fields, each claiming the first signature's value.
pub fn many_signature_fields(pdf: &[u8], count: u32) -> Vec<u8> {
    let first = Tail::of(pdf).size;
    let value = signature_value(pdf);
    let fields: Vec<(u32, String)> = (0..count)
        .map(|index| {
            (
                first + index,
                format!("<< /FT /Sig /T (s{index}) /V {value} 0 R >>"),
            )
        })
        .collect();
    with_fields(pdf, &fields)
}

/// Appends `fields` (object number, dictionary) and an AcroForm listing the document's fields
/// and the first of them (the others are reached as its kids, or listed too when none has
/// kids).
fn with_fields(pdf: &[u8], fields: &[(u32, String)]) -> Vec<u8> {
    let tail = Tail::of(pdf);
    let (form, existing) = acro_form(pdf);
    let listed: Vec<String> = if fields.iter().any(|(_, body)| body.contains("/Kids")) {
        vec![format!("{} 0 R", fields[0].0)]
    } else {
        fields.iter().map(|(id, _)| format!("{id} 0 R")).collect()
    };
    let mut objects = fields.to_vec();
    objects.push((
        form,
        format!(
            "<< /Fields [{existing} {}] /SigFlags 3 >>",
            listed.join(" ")
        ),
    ));
    append(pdf, &tail, &objects)
}

/// The last trailer's `/Root` and `/Size` and the last `startxref`.
struct Tail {
    root: u32,
    size: u32,
    startxref: usize,
}

impl Tail {
    fn of(pdf: &[u8]) -> Self {
        let text = String::from_utf8_lossy(pdf);
        let trailer = &text[text.rfind("trailer").expect("a trailer")..];
        Self {
            root: number_after(trailer, "/Root"),
            size: number_after(trailer, "/Size"),
            startxref: number_after(
                &text[text.rfind("startxref").expect("startxref")..],
                "startxref",
            ) as usize,
        }
    }
}

fn number_after(text: &str, key: &str) -> u32 {
    let rest = &text[text.find(key).unwrap_or_else(|| panic!("{key}")) + key.len()..];
    rest.split_whitespace()
        .next()
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("a number after {key}"))
}

/// The AcroForm's object number and its `/Fields` entries, from their last definitions.
fn acro_form(pdf: &[u8]) -> (u32, String) {
    let text = String::from_utf8_lossy(pdf);
    let root = Tail::of(pdf).root;
    let catalog = last_object(&text, root);
    let form = number_after(catalog, "/AcroForm");
    let body = last_object(&text, form);
    let fields = &body[body.find("/Fields").expect("/Fields") + "/Fields".len()..];
    let fields = &fields[fields.find('[').expect("[") + 1..fields.find(']').expect("]")];
    (form, fields.trim().to_owned())
}

/// The object number of the first signature field's value.
fn signature_value(pdf: &[u8]) -> u32 {
    let text = String::from_utf8_lossy(pdf);
    let field = &text[text.find("/FT /Sig").expect("a signature field")..];
    number_after(field, "/V")
}

fn last_object(text: &str, id: u32) -> &str {
    let header = format!("\n{id} 0 obj");
    let start = text.rfind(&header).unwrap_or_else(|| panic!("object {id}"));
    let body = &text[start + header.len()..];
    &body[..body.find("endobj").expect("endobj")]
}

/// Appends an incremental update writing `objects` with a classic cross-reference table.
fn append(pdf: &[u8], tail: &Tail, objects: &[(u32, String)]) -> Vec<u8> {
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets = Vec::new();
    for (id, body) in objects {
        offsets.push((*id, out.len()));
        out.extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f \n");
    for (id, offset) in &offsets {
        out.extend_from_slice(format!("{id} 1\n{offset:010} 00000 n \n").as_bytes());
    }
    let size = objects
        .iter()
        .map(|(id, _)| id + 1)
        .max()
        .unwrap_or(tail.size)
        .max(tail.size);
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {size} /Root {} 0 R /Prev {} >>\nstartxref\n{xref}\n%%EOF\n",
            tail.root, tail.startxref
        )
        .as_bytes(),
    );
    out
}
