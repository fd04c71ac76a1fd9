//! How the report service's API document describes the types it shares with the results service
//! (`motcua_core::form06`): the same shape, in the report service's own words, which its
//! published document has always used.

use std::borrow::Cow;

use motcua_core::form06::Form06Columns;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// [`Form06Columns`] as the report service documents it; the `value_type` of its fields.
pub struct Form06ColumnsSchema;

const FORM06_COLUMNS: &str =
    "`Form06Columns`: the 13 columns of Biểu 06/VPCP/KSTT, with the three channels kept apart.";

/// The columns whose words differ from the results service's.
const FORM06_COLUMN_WORDS: [(&str, &str); 5] = [
    ("new_direct", "Of (5): received directly."),
    (
        "new_postal",
        "Of (5): received by post (bưu chính công ích).",
    ),
    ("resolved_early", "(8) before the due date."),
    ("resolved_on_time", "(9) on the due date."),
    ("resolved_late", "(10) after the due date."),
];

impl PartialSchema for Form06ColumnsSchema {
    fn schema() -> RefOr<Schema> {
        let mut schema = <Form06Columns as PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.description = Some(FORM06_COLUMNS.to_owned());
            for (name, words) in FORM06_COLUMN_WORDS {
                if let Some(RefOr::T(Schema::Object(column))) = object.properties.get_mut(name) {
                    column.description = Some(words.to_owned());
                }
            }
        }
        schema
    }
}

impl ToSchema for Form06ColumnsSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Form06Columns")
    }
}
