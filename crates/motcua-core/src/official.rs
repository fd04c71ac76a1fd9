//! Officials who work at one-stop desks and how they are staffed.

crate::text_enum! {
    /// What an official does at the desk.
    pub enum OfficialRole {
        /// Receives dossiers and returns results (tiếp nhận, trả kết quả).
        Reception = "reception",
        /// Handles dossiers in a specialised field (chuyên viên).
        Specialist = "specialist",
        /// Signs results and reports (Chủ tịch, Phó Chủ tịch, Trưởng bộ phận).
        Leader = "leader",
        /// Clerical and records work (văn thư).
        Clerk = "clerk",
    }
}

crate::text_enum! {
    /// How an official came to the desk; the seed report's appendix counts these separately.
    pub enum StaffingCategory {
        /// On the desk's own establishment (thuộc biên chế).
        OwnStaff = "own_staff",
        /// Seconded to the desk (biệt phái); counted with own staff in the appendix.
        Seconded = "seconded",
        /// Sent by a specialised agency (cơ quan chuyên môn được cử đến).
        AgencySent = "agency_sent",
    }
}

impl StaffingCategory {
    /// The appendix merges own and seconded staff into one column.
    pub fn counts_as_own(self) -> bool {
        matches!(self, Self::OwnStaff | Self::Seconded)
    }
}

crate::text_enum! {
    /// The agency that sent an official to the desk.
    pub enum Agency {
        /// Land registration office branch (Chi nhánh Văn phòng đăng ký đất đai).
        LandRegistry = "land_registry",
        /// Social insurance (BHXH).
        SocialInsurance = "social_insurance",
        /// Tax department (Chi cục thuế).
        Tax = "tax",
        /// Vietnam Post (Bưu điện), for postal reception and return.
        PostOffice = "post_office",
        /// Electricity company (Điện lực).
        Electricity = "electricity",
        /// Natural resources and environment division (phòng TN&MT).
        NaturalResources = "natural_resources",
        /// Police (Công an).
        Police = "police",
        /// Justice division (phòng Tư pháp).
        Justice = "justice",
        /// Any other agency; name it in `agency_name`.
        Other = "other",
    }
}

impl Agency {
    /// How the appendix of a report names the agency.
    pub fn vietnamese_name(self) -> &'static str {
        match self {
            Self::LandRegistry => "Chi nhánh Văn phòng đăng ký đất đai",
            Self::SocialInsurance => "Bảo hiểm xã hội",
            Self::Tax => "Chi cục thuế",
            Self::PostOffice => "Bưu điện",
            Self::Electricity => "Điện lực",
            Self::NaturalResources => "Phòng Tài nguyên và Môi trường",
            Self::Police => "Công an",
            Self::Justice => "Phòng Tư pháp",
            Self::Other => "cơ quan khác",
        }
    }
}
