//! Administrative units: the tree province → district → commune (any depth, as data), plus the
//! one-stop desks that belong to them.

crate::text_enum! {
    /// What kind of body a unit is. Communes, wards and townships are all commune level.
    pub enum UnitKind {
        Province = "province",
        District = "district",
        /// A rural commune (xã).
        Commune = "commune",
        /// An urban ward (phường), commune level.
        Ward = "phuong",
        /// A township (thị trấn), commune level; abolished with the district level in 2025.
        Township = "thi_tran",
        /// A one-stop desk (Bộ phận Một cửa) with its own staff, e.g. the district's desk.
        OneStopDesk = "one_stop_desk",
        /// A provincial department or sector agency (sở, ngành).
        Department = "department",
        Other = "other",
    }
}

impl UnitKind {
    /// The level a unit of this kind counts at by itself; `None` for desks and other bodies,
    /// which take the level of the unit above them.
    pub fn own_level(self) -> Option<Level> {
        match self {
            Self::Commune | Self::Ward | Self::Township => Some(Level::Commune),
            Self::District => Some(Level::District),
            Self::Province | Self::Department => Some(Level::Province),
            Self::OneStopDesk | Self::Other => None,
        }
    }

    /// A commune-level unit: xã, phường or thị trấn.
    pub fn is_commune_level(self) -> bool {
        self.own_level() == Some(Level::Commune)
    }

    /// A unit with a one-stop desk of its own staff: every commune-level unit and every desk.
    /// The officials of these units are the desk staff (công chức Một cửa), whatever their role
    /// (a desk's head is one of them); the leaders who sign for a district or province sit at
    /// that unit and are not. The staffing appendix and the certificate coverage of desk staff
    /// count the same people.
    pub fn has_desk(self) -> bool {
        self.is_commune_level() || self == Self::OneStopDesk
    }

    /// How documents name this kind of unit: "xã", "phường", "thị trấn", ….
    pub fn vietnamese_name(self) -> &'static str {
        match self {
            Self::Province => "tỉnh",
            Self::District => "huyện",
            Self::Commune => "xã",
            Self::Ward => "phường",
            Self::Township => "thị trấn",
            Self::OneStopDesk => "Bộ phận Một cửa",
            Self::Department => "sở, ngành",
            Self::Other => "cơ quan",
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wards_and_townships_count_at_commune_level() {
        for kind in [UnitKind::Commune, UnitKind::Ward, UnitKind::Township] {
            assert_eq!(kind.own_level(), Some(Level::Commune), "{kind:?}");
            assert!(kind.has_desk());
        }
        assert_eq!(UnitKind::OneStopDesk.own_level(), None);
        assert!(UnitKind::OneStopDesk.has_desk());
        assert!(!UnitKind::District.has_desk());
        assert_eq!(
            "thi_tran".parse::<UnitKind>().ok(),
            Some(UnitKind::Township)
        );
        assert_eq!(UnitKind::Ward.as_str(), "phuong");
        assert_eq!(UnitKind::Township.vietnamese_name(), "thị trấn");
    }
}
