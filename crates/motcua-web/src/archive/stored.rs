//! The archival records of each service, as the renewal job reads and replaces them: results
//! by id, issued reports by report id.

use motcua_db::{dossier_results, reports, DbConnection, DbResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whose documents: the results service's electronic results or the report service's issued
/// reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveService {
    Results,
    Reports,
}

impl ArchiveService {
    /// The object type of its audit records.
    pub fn object_type(self) -> &'static str {
        match self {
            Self::Results => "dossier_result",
            Self::Reports => "report",
        }
    }
}

impl std::str::FromStr for ArchiveService {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "results" => Ok(Self::Results),
            "reports" => Ok(Self::Reports),
            other => Err(format!("unknown service {other:?}: results or reports")),
        }
    }
}

/// Where a walk has got to: the key of the last document read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Position {
    Result(i64),
    Report(String),
}

/// One stored document.
#[derive(Debug, Clone)]
pub(super) struct StoredDocument {
    pub position: Position,
    /// The dossier id of a result, the report id of a report.
    pub object_id: String,
    pub pdf: Vec<u8>,
    pub sha256: String,
}

pub(super) fn page(
    conn: &mut DbConnection,
    service: ArchiveService,
    after: Option<&Position>,
    limit: i64,
) -> DbResult<Vec<StoredDocument>> {
    Ok(match service {
        ArchiveService::Results => dossier_results::page_after(conn, result_key(after), limit)?
            .into_iter()
            .map(|stored| StoredDocument {
                position: Position::Result(stored.id),
                object_id: stored.dossier_id.to_string(),
                pdf: stored.pdf,
                sha256: stored.sha256,
            })
            .collect(),
        ArchiveService::Reports => reports::issued_documents_after(conn, report_key(after), limit)?
            .into_iter()
            .map(|stored| StoredDocument {
                position: Position::Report(stored.report_id.clone()),
                object_id: stored.report_id,
                pdf: stored.pdf,
                sha256: stored.sha256,
            })
            .collect(),
    })
}

pub(super) fn count_after(
    conn: &mut DbConnection,
    service: ArchiveService,
    after: Option<&Position>,
) -> DbResult<i64> {
    match service {
        ArchiveService::Results => dossier_results::count_after(conn, result_key(after)),
        ArchiveService::Reports => reports::count_issued_documents_after(conn, report_key(after)),
    }
}

/// Writes `pdf` over `stored` unless it changed since it was read; whether it was written.
pub(super) fn replace_if_unchanged(
    conn: &mut DbConnection,
    stored: &StoredDocument,
    pdf: &[u8],
    sha256: &str,
) -> DbResult<bool> {
    match &stored.position {
        Position::Result(id) => {
            dossier_results::replace_pdf_if_unchanged(conn, *id, &stored.sha256, pdf, sha256)
        }
        Position::Report(id) => {
            reports::replace_issued_document_if_unchanged(conn, id, &stored.sha256, pdf, sha256)
        }
    }
}

fn result_key(after: Option<&Position>) -> Option<i64> {
    match after {
        Some(Position::Result(id)) => Some(*id),
        _ => None,
    }
}

fn report_key(after: Option<&Position>) -> Option<&str> {
    match after {
        Some(Position::Report(id)) => Some(id),
        _ => None,
    }
}
