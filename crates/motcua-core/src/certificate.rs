//! Digital certificates (chứng thư số) of officials and units, and the CA certificates they are
//! checked against.

crate::text_enum! {
    /// Whose certificate it is.
    pub enum CertificateKind {
        /// A personal certificate (chứng thư số cá nhân) of an official, bound by the CCCD in
        /// its `UID`.
        Individual = "individual",
        /// A collective certificate (chứng thư số tập thể) of a unit, bound by the unit's tax
        /// code (`UID=MST:`), budget code (`UID=MNS:`) or name.
        Organisation = "organisation",
    }
}

crate::text_enum! {
    /// What a CA certificate of the trust store is trusted for.
    pub enum TrustAnchorKind {
        /// A trusted root: chains that end here are trusted (e.g. "RootCA chuyên dùng Chính phủ
        /// G2", "Vietnam National Root CA").
        Root = "root",
        /// An intermediate CA: used to build chains, trusted only through a root.
        Intermediate = "intermediate",
    }
}
