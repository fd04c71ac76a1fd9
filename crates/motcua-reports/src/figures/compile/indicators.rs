//! `indicators`: the QĐ 766/QĐ-TTg indicator table alone.
//!
//! As for `form_06`, the document prints one table and the figures attached to it stay complete
//! (the online coverage is also what the indicators are checked against).

use super::Section;

/// Every section.
pub(super) const SECTIONS: &[Section] = Section::ALL;
