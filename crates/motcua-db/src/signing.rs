//! Two-step signing sessions and the signed files of dossier components.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::certificate::CertificateKind;
use motcua_core::ids::{CertificateId, DossierId, OfficialId};

use crate::schema::{certificates, component_files, dossier_components, signing_sessions};
use crate::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_sessions)]
pub struct SigningSession {
    pub id: String,
    pub dossier_id: DossierId,
    pub position: i32,
    pub official_id: OfficialId,
    pub certificate_id: CertificateId,
    pub prepared: String,
    pub pdf: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = component_files)]
pub struct ComponentFile {
    pub dossier_id: DossierId,
    pub position: i32,
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub official_id: OfficialId,
    pub certificate_id: CertificateId,
    pub signed_at: NaiveDateTime,
}

pub fn insert_session(conn: &mut DbConnection, session: &SigningSession) -> DbResult<()> {
    diesel::insert_into(signing_sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(())
}

pub fn find_session(conn: &mut DbConnection, id: &str) -> DbResult<SigningSession> {
    Ok(signing_sessions::table
        .find(id)
        .select(SigningSession::as_select())
        .first(conn)?)
}

/// Marks the session used; refused when another request completed it first.
pub fn complete_session(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> DbResult<()> {
    let updated = diesel::update(
        signing_sessions::table
            .find(id)
            .filter(signing_sessions::completed_at.is_null()),
    )
    .set(signing_sessions::completed_at.eq(at))
    .execute(conn)?;
    if updated == 1 {
        Ok(())
    } else {
        Err(DbError::Refused(
            "the signing session was already completed".into(),
        ))
    }
}

/// Stores (or replaces) the signed file of a component.
pub fn put_file(conn: &mut DbConnection, file: &ComponentFile) -> DbResult<()> {
    diesel::delete(component_files::table.find((file.dossier_id, file.position))).execute(conn)?;
    diesel::insert_into(component_files::table)
        .values(file)
        .execute(conn)?;
    Ok(())
}

pub fn find_file(
    conn: &mut DbConnection,
    dossier: DossierId,
    position: i32,
) -> DbResult<ComponentFile> {
    Ok(component_files::table
        .find((dossier, position))
        .select(ComponentFile::as_select())
        .first(conn)?)
}

/// Sets how a component was digitised.
pub fn set_digitisation(
    conn: &mut DbConnection,
    dossier: DossierId,
    position: i32,
    digitisation: motcua_core::dossier::Digitisation,
) -> DbResult<()> {
    diesel::update(
        dossier_components::table
            .filter(dossier_components::dossier_id.eq(dossier))
            .filter(dossier_components::position.eq(position)),
    )
    .set(dossier_components::digitisation.eq(digitisation))
    .execute(conn)?;
    Ok(())
}

/// The official's usable personal certificate that expires last, if any.
pub fn usable_personal_certificate(
    conn: &mut DbConnection,
    official: OfficialId,
) -> DbResult<Option<(CertificateId, Vec<u8>)>> {
    Ok(certificates::table
        .filter(certificates::official_id.eq(official))
        .filter(certificates::kind.eq(CertificateKind::Individual))
        .filter(certificates::usable.eq(true))
        .order(certificates::not_after.desc())
        .select((certificates::id, certificates::der))
        .first(conn)
        .optional()?)
}
