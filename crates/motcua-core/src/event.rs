//! The kinds of event the services publish to other systems (`GET /events`, subscriptions): one
//! event per change of a dossier, a certificate's verdict or a report, written in the transaction
//! of the change. The texts are CloudEvents `type` attributes, reverse-DNS as the specification
//! recommends.

crate::text_enum! {
    /// The CloudEvents `type` of an event.
    pub enum EventType {
        /// A dossier was received (at the desk, online, by post, or imported).
        DossierCreated = "vn.motcua.dossier.created",
        /// A dossier's status changed (other than to `done`, or by signing its result).
        DossierTransitioned = "vn.motcua.dossier.transitioned",
        /// The dossier's electronic result was signed with the unit's collective certificate
        /// (the dossier moved to `releasing`).
        DossierResultSigned = "vn.motcua.dossier.result_signed",
        /// The result was handed over to the applicant (the dossier moved to `done`).
        DossierReturned = "vn.motcua.dossier.returned",
        /// A certificate was registered, with its first verdict.
        CertificateRegistered = "vn.motcua.certificate.registered",
        /// A registered certificate's verdict (status or usability) changed on revalidation.
        CertificateVerdictChanged = "vn.motcua.certificate.verdict_changed",
        /// A report was numbered, dated and signed by the organisation.
        ReportIssued = "vn.motcua.report.issued",
        /// An issued report was queued for delivery to the province.
        ReportSubmitted = "vn.motcua.report.submitted",
        /// The province's signed receipt of a submitted report was verified.
        ReportAcknowledged = "vn.motcua.report.acknowledged",
        /// At the province: a report package from a lower unit was received and verified.
        ReportReceived = "vn.motcua.report.received",
    }
}

crate::text_enum! {
    /// Whether a subscription's events are being delivered.
    pub enum SubscriptionState {
        /// Delivered as they come, retried with backoff after a failure.
        Active = "active",
        /// Given up after too many consecutive failures; nothing is sent until a redelivery
        /// is asked for.
        DeadLetter = "dead_letter",
    }
}
