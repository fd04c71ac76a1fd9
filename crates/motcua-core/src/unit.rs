//! Administrative units: the tree province → district → commune (any depth, as data), plus the
//! one-stop desks that belong to them.

crate::text_enum! {
    /// What kind of body a unit is. Communes, wards and townships are all `commune` level.
    pub enum UnitKind {
        Province = "province",
        District = "district",
        Commune = "commune",
        /// A one-stop desk (Bộ phận Một cửa) with its own staff, e.g. the district's desk.
        OneStopDesk = "one_stop_desk",
        /// A provincial department or sector agency (sở, ngành).
        Department = "department",
        Other = "other",
    }
}

crate::text_enum! {
    /// The level at which a procedure is handled, and at which Biểu 06 groups its rows.
    pub enum Level {
        Province = "province",
        District = "district",
        Commune = "commune",
    }
}
