//! The events of the certificate registry: a certificate registered with its first verdict, and
//! a verdict that changed on revalidation (a revocation, an expiry, a CA removed from the trust
//! store), published in the transaction that stores the verdict.

use motcua_core::event::EventType;
use motcua_db::certificates::StoredCertificate;
use motcua_db::{officials, DbConnection};
use motcua_events::data::{CertificateEventData, CertificateLinks};
use motcua_events::{publish, Publication};
use motcua_web::error::ApiError;

/// The verdict before a change.
#[derive(Debug, Clone, Copy)]
pub struct PreviousVerdict<'a> {
    pub status: &'a str,
    pub usable: bool,
}

/// Publishes `certificate` (as stored after the change) as `registered` when `previous` is
/// `None`, else as `verdict_changed`.
pub fn publish_certificate(
    conn: &mut DbConnection,
    certificate: &StoredCertificate,
    previous: Option<PreviousVerdict<'_>>,
) -> Result<(), ApiError> {
    // A personal certificate belongs to its holder's unit.
    let unit = match (certificate.unit_id, certificate.official_id) {
        (Some(unit), _) => Some(unit),
        (None, Some(official)) => Some(officials::find(conn, official)?.unit_id),
        (None, None) => None,
    };
    // Its unit only: readers find the subtree in the unit tree (see `motcua_db::events::Reach`).
    let chain: Vec<_> = unit.into_iter().collect();
    let data = CertificateEventData {
        certificate_id: certificate.id,
        kind: certificate.kind,
        unit_id: certificate.unit_id,
        official_id: certificate.official_id,
        subject: certificate.subject.clone(),
        fingerprint: certificate.fingerprint.clone(),
        status: certificate.status.clone(),
        usable: certificate.usable,
        previous_status: previous.map(|p| p.status.to_owned()),
        previous_usable: previous.map(|p| p.usable),
        summary: certificate.summary.clone(),
        links: CertificateLinks::new(certificate.id),
    };
    let event_type = if previous.is_some() {
        EventType::CertificateVerdictChanged
    } else {
        EventType::CertificateRegistered
    };
    let publication = Publication::new(event_type, certificate.id.to_string(), chain, &data)?;
    Ok(publish(conn, &[publication])?)
}
