//! The `data` of each kind of event: what changed, and the links to fetch the resource. Personal
//! data of applicants never go into an event; a subscriber fetches them through the links, with
//! the scopes of its own key.

use chrono::{DateTime, Utc};
use motcua_core::certificate::CertificateKind;
use motcua_core::dossier::DossierStatus;
use motcua_core::record_ids::{CertificateId, OfficialId, ProcedureId, UnitId};
use motcua_core::report::{ReportKind, ReportStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `data` of `vn.motcua.dossier.*` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DossierEventData {
    pub dossier_code: String,
    pub unit_id: UnitId,
    pub procedure_id: ProcedureId,
    /// The status before the change; `null` when the dossier was created.
    pub from_status: Option<DossierStatus>,
    pub status: DossierStatus,
    /// When the change happened, as the dossier's history dates it (a desk may record a change
    /// some time after it happened; the event's `time` is when it was recorded).
    pub at: DateTime<Utc>,
    pub links: DossierLinks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DossierLinks {
    /// `GET` the dossier and its history.
    pub dossier: String,
    /// `GET` the signed electronic result, once there is one.
    pub result: Option<String>,
}

impl DossierLinks {
    pub fn new(code: &str, with_result: bool) -> Self {
        Self {
            dossier: format!("/dossiers/{code}"),
            result: with_result.then(|| format!("/dossiers/{code}/result")),
        }
    }
}

/// `data` of `vn.motcua.certificate.*` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CertificateEventData {
    pub certificate_id: CertificateId,
    /// `individual` (an official's) or `organisation` (a unit's collective certificate).
    pub kind: CertificateKind,
    pub unit_id: Option<UnitId>,
    pub official_id: Option<OfficialId>,
    pub subject: String,
    /// SHA-256 of the certificate, hex.
    pub fingerprint: String,
    /// The verdict's status after the change (`valid`, `revoked`, `expired`, …).
    pub status: String,
    /// Whether the certificate may sign now (bound to its holder and valid).
    pub usable: bool,
    /// Before the change (`verdict_changed` only).
    pub previous_status: Option<String>,
    pub previous_usable: Option<bool>,
    /// The verdict in one sentence.
    pub summary: String,
    pub links: CertificateLinks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CertificateLinks {
    /// `GET` the certificate with its full verdict.
    pub certificate: String,
}

impl CertificateLinks {
    pub fn new(id: CertificateId) -> Self {
        Self {
            certificate: format!("/certificates/{id}"),
        }
    }
}

/// `data` of `vn.motcua.report.issued`, `.submitted` and `.acknowledged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportEventData {
    pub report_id: String,
    pub kind: ReportKind,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub from_status: ReportStatus,
    pub status: ReportStatus,
    /// The document number ("12/BC-UBND"), once issued.
    pub number_text: Option<String>,
    pub links: ReportLinks,
}

/// Named apart in the OpenAPI document: the report service has a `ReportLinks` of its own (a
/// report's view), and one name would stand for both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = ReportEventLinks)]
pub struct ReportLinks {
    /// `GET` the report.
    pub report: String,
    /// `GET` the signed document, once issued.
    pub document: Option<String>,
    /// `GET` where its delivery to the province is, once submitted.
    pub delivery: Option<String>,
}

impl ReportLinks {
    pub fn new(id: &str, status: ReportStatus) -> Self {
        let issued = matches!(
            status,
            ReportStatus::Issued | ReportStatus::Submitted | ReportStatus::Acknowledged
        );
        let submitted = matches!(status, ReportStatus::Submitted | ReportStatus::Acknowledged);
        Self {
            report: format!("/reports/{id}"),
            document: issued.then(|| format!("/reports/{id}/document")),
            delivery: submitted.then(|| format!("/reports/{id}/delivery")),
        }
    }
}

/// `data` of `vn.motcua.report.received` (at the province).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReceivedReportData {
    pub report_id: String,
    pub kind: ReportKind,
    pub sender_unit_id: UnitId,
    pub sender_unit_name: String,
    pub number_text: String,
    pub issued_at: DateTime<Utc>,
    /// The report this one corrects, if it is a correction.
    pub corrects: Option<String>,
    pub links: ReceivedLinks,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReceivedLinks {
    /// `GET` the received report with its verification.
    pub received: String,
    /// `GET` the signed document as received.
    pub document: String,
}

impl ReceivedLinks {
    pub fn new(id: &str) -> Self {
        Self {
            received: format!("/inbox/{id}"),
            document: format!("/inbox/{id}/document"),
        }
    }
}

/// What an event's `data` may be, by its `type`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EventData {
    Dossier(DossierEventData),
    Certificate(CertificateEventData),
    Report(ReportEventData),
    Received(ReceivedReportData),
}
