//! Signed electronic results of dossiers (PAdES PDF), one per dossier.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::record_ids::{ApiKeyId, CertificateId, DossierId};

use crate::schema::dossier_results;
use crate::{DbConnection, DbResult};

/// A result without its PDF.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dossier_results)]
pub struct ResultMeta {
    pub id: i64,
    pub dossier_id: DossierId,
    /// SHA-256 of the signed PDF, lowercase hex.
    pub sha256: String,
    pub certificate_id: CertificateId,
    pub signed_at: NaiveDateTime,
    pub signed_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dossier_results)]
pub struct NewResult {
    pub dossier_id: DossierId,
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub certificate_id: CertificateId,
    pub signed_at: NaiveDateTime,
    pub signed_by: Option<ApiKeyId>,
}

pub fn insert(conn: &mut DbConnection, new: &NewResult) -> DbResult<ResultMeta> {
    Ok(diesel::insert_into(dossier_results::table)
        .values(new)
        .returning((
            dossier_results::id,
            dossier_results::dossier_id,
            dossier_results::sha256,
            dossier_results::certificate_id,
            dossier_results::signed_at,
            dossier_results::signed_by,
        ))
        .get_result::<ResultMeta>(conn)?)
}

/// Stores many results at once (generated data); the rows are written in chunks, so that a
/// statement stays within the backends' limits on parameters and size.
pub fn insert_many(conn: &mut DbConnection, rows: &[NewResult]) -> DbResult<()> {
    for chunk in rows.chunks(100) {
        match conn {
            DbConnection::Postgresql(pg) => {
                diesel::insert_into(dossier_results::table)
                    .values(chunk)
                    .execute(pg)?;
            }
            DbConnection::Sqlite(lite) => {
                diesel::insert_into(dossier_results::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

pub fn find_meta(conn: &mut DbConnection, dossier: DossierId) -> DbResult<Option<ResultMeta>> {
    Ok(dossier_results::table
        .filter(dossier_results::dossier_id.eq(dossier))
        .select(ResultMeta::as_select())
        .first(conn)
        .optional()?)
}

/// The signed PDF of a dossier.
pub fn find_pdf(conn: &mut DbConnection, dossier: DossierId) -> DbResult<Option<Vec<u8>>> {
    Ok(dossier_results::table
        .filter(dossier_results::dossier_id.eq(dossier))
        .select(dossier_results::pdf)
        .first(conn)
        .optional()?)
}

/// A stored result with its PDF, as the archive renewal reads it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dossier_results)]
pub struct StoredResult {
    pub id: i64,
    pub dossier_id: DossierId,
    pub pdf: Vec<u8>,
    pub sha256: String,
}

/// Up to `limit` results in id order after `after` (keyset).
pub fn page_after(
    conn: &mut DbConnection,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<StoredResult>> {
    Ok(dossier_results::table
        .filter(dossier_results::id.gt(after.unwrap_or(i64::MIN)))
        .order(dossier_results::id)
        .limit(limit)
        .select(StoredResult::as_select())
        .load(conn)?)
}

/// How many results come after `after` in id order.
pub fn count_after(conn: &mut DbConnection, after: Option<i64>) -> DbResult<i64> {
    Ok(dossier_results::table
        .filter(dossier_results::id.gt(after.unwrap_or(i64::MIN)))
        .count()
        .get_result(conn)?)
}

/// Replaces the PDF of result `id` only if its SHA-256 is still `expected` (compare and swap);
/// whether it was replaced.
pub fn replace_pdf_if_unchanged(
    conn: &mut DbConnection,
    id: i64,
    expected: &str,
    pdf: &[u8],
    sha256: &str,
) -> DbResult<bool> {
    let changed = diesel::update(
        dossier_results::table
            .filter(dossier_results::id.eq(id))
            .filter(dossier_results::sha256.eq(expected)),
    )
    .set((
        dossier_results::pdf.eq(pdf),
        dossier_results::sha256.eq(sha256),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}
