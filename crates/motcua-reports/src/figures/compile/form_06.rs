//! `form_06`: the Biểu 06/VPCP/KSTT table alone.
//!
//! The document prints only the table, but the figures attached to it stay complete: a province
//! reading the figures of a `form_06` report finds the same sections, checked by the same rules,
//! as in any other report of the unit.

use super::Section;

/// Every section.
pub(super) const SECTIONS: &[Section] = Section::ALL;
