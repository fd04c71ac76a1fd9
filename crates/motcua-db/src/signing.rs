//! Two-step signing sessions, shared by every table that keeps them (dossier components here,
//! the leader's report signature in [`crate::reports`]), and the signed files of dossier
//! components.
//!
//! A session keeps a prepared document on the server while a token the server never sees
//! signs it: it opens with an expiry, is used once, and is refused after.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use motcua_core::certificate::CertificateKind;
use motcua_core::record_ids::{CertificateId, DossierId, OfficialId};
use motcua_core::signing_session::SessionState;

use crate::schema::{certificates, component_files, dossier_components, signing_sessions};
use crate::{DbConnection, DbResult};

/// The id and times of a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOpening {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl SessionOpening {
    /// A session opened now that waits `minutes` for its signature.
    pub fn now(minutes: i64) -> Self {
        let created_at = crate::now();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            created_at,
            expires_at: created_at + Duration::minutes(minutes),
        }
    }
}

/// Why a session can no longer take a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionClosed {
    /// A signature was already handed in.
    Used,
    /// Its time ran out.
    Expired,
}

/// Refuses a session that was used or whose time ran out at `at`.
pub fn check_open(
    completed_at: Option<NaiveDateTime>,
    expires_at: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<(), SessionClosed> {
    if completed_at.is_some() {
        Err(SessionClosed::Used)
    } else if at > expires_at {
        Err(SessionClosed::Expired)
    } else {
        Ok(())
    }
}

/// `insert_session`, `find_session`, `open_sessions_of`, `move_session`, `awaiting_approval`
/// and `pending_expired` for a session table (`id` key, `official_id`, `created_at`,
/// `expires_at`, nullable `completed_at`, and the state columns of [`SessionMove`]) and its row
/// type.
macro_rules! session_storage {
    ($table:ident, $row:ty) => {
        pub fn insert_session(
            conn: &mut $crate::DbConnection,
            session: &$row,
        ) -> $crate::DbResult<()> {
            diesel::insert_into($table::table)
                .values(session)
                .execute(conn)?;
            Ok(())
        }

        pub fn find_session(conn: &mut $crate::DbConnection, id: &str) -> $crate::DbResult<$row> {
            Ok($table::table
                .find(id)
                .select(<$row>::as_select())
                .first(conn)?)
        }

        /// Ids of the sessions of `official` still waiting for a signature handed in at `at`
        /// (pending, not expired), oldest first.
        pub fn open_sessions_of(
            conn: &mut $crate::DbConnection,
            official: motcua_core::record_ids::OfficialId,
            at: chrono::NaiveDateTime,
        ) -> $crate::DbResult<Vec<String>> {
            Ok($table::table
                .filter($table::official_id.eq(official))
                .filter($table::completed_at.is_null())
                .filter($table::state.eq(motcua_core::signing_session::SessionState::Pending))
                .filter($table::expires_at.ge(at))
                .order(($table::created_at.asc(), $table::id.asc()))
                .select($table::id)
                .load(conn)?)
        }

        /// Moves session `id` from `from` (compare and swap: refused when another request moved
        /// it first, or when the move is not in the state table).
        pub fn move_session(
            conn: &mut $crate::DbConnection,
            id: &str,
            from: motcua_core::signing_session::SessionState,
            change: &$crate::signing::SessionMove,
        ) -> $crate::DbResult<()> {
            let to = change.target(from)?;
            let updated = diesel::update($table::table.find(id).filter($table::state.eq(from)))
                .set((
                    $table::state.eq(to),
                    change
                        .remote_provider
                        .as_ref()
                        .map(|v| $table::remote_provider.eq(v)),
                    change
                        .remote_credential
                        .as_ref()
                        .map(|v| $table::remote_credential.eq(v)),
                    change
                        .remote_transaction
                        .as_ref()
                        .map(|v| $table::remote_transaction.eq(v)),
                    change
                        .approval_deadline
                        .map(|v| $table::approval_deadline.eq(v)),
                    change
                        .state_reason
                        .as_ref()
                        .map(|v| $table::state_reason.eq(v)),
                    change.completed_at.map(|v| $table::completed_at.eq(v)),
                ))
                .execute(conn)?;
            $crate::signing::moved(updated, from)
        }

        /// The sessions waiting for a remote provider's answer, oldest first.
        pub fn awaiting_approval(
            conn: &mut $crate::DbConnection,
            limit: i64,
        ) -> $crate::DbResult<Vec<String>> {
            Ok($table::table
                .filter(
                    $table::state.eq(motcua_core::signing_session::SessionState::AwaitingApproval),
                )
                .order($table::created_at.asc())
                .select($table::id)
                .limit(limit)
                .load(conn)?)
        }

        /// The pending sessions whose time ran out before `at`, oldest first.
        pub fn pending_expired(
            conn: &mut $crate::DbConnection,
            at: chrono::NaiveDateTime,
            limit: i64,
        ) -> $crate::DbResult<Vec<String>> {
            Ok($table::table
                .filter($table::state.eq(motcua_core::signing_session::SessionState::Pending))
                .filter($table::expires_at.lt(at))
                .order($table::expires_at.asc())
                .select($table::id)
                .limit(limit)
                .load(conn)?)
        }
    };
}
pub(crate) use session_storage;

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
    /// Where the session is (`motcua_core::signing_session`); set only through
    /// [`move_session`].
    pub state: SessionState,
    /// The remote signing provider asked, by its configured name.
    pub remote_provider: Option<String>,
    /// The provider's credential chosen.
    pub remote_credential: Option<String>,
    /// The provider's transaction (kept for polling; never shown).
    pub remote_transaction: Option<String>,
    /// When an unanswered remote request expires.
    pub approval_deadline: Option<NaiveDateTime>,
    /// Why the session was rejected or expired.
    pub state_reason: Option<String>,
}

/// A move of a session's state with what it sets; `None` fields are left alone.
#[derive(Debug, Clone, Default)]
pub struct SessionMove {
    pub state: Option<SessionState>,
    pub remote_provider: Option<String>,
    pub remote_credential: Option<String>,
    pub remote_transaction: Option<String>,
    pub approval_deadline: Option<NaiveDateTime>,
    pub state_reason: Option<String>,
    pub completed_at: Option<NaiveDateTime>,
}

impl SessionMove {
    /// The session ends in `state` (`rejected`, `expired`) for `reason`.
    pub fn ending(state: SessionState, reason: String) -> Self {
        Self {
            state: Some(state),
            state_reason: Some(reason),
            ..Self::default()
        }
    }

    /// The state after the move from `from`, refused when the state table forbids it.
    pub(crate) fn target(&self, from: SessionState) -> DbResult<SessionState> {
        let to = self.state.unwrap_or(from);
        if to != from && !from.can_move_to(to) {
            return Err(crate::DbError::Refused(format!(
                "a signing session cannot move from {} to {}",
                from.as_str(),
                to.as_str()
            )));
        }
        Ok(to)
    }
}

/// Whether the compare and swap of a move changed the one row.
pub(crate) fn moved(updated: usize, from: SessionState) -> DbResult<()> {
    if updated == 1 {
        Ok(())
    } else {
        Err(crate::DbError::Refused(format!(
            "the signing session is no longer {}",
            from.as_str()
        )))
    }
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

session_storage!(signing_sessions, SigningSession);

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

/// Every usable personal certificate of the official (id and DER).
pub fn usable_personal_certificates(
    conn: &mut DbConnection,
    official: OfficialId,
) -> DbResult<Vec<(CertificateId, Vec<u8>)>> {
    Ok(certificates::table
        .filter(certificates::official_id.eq(official))
        .filter(certificates::kind.eq(CertificateKind::Individual))
        .filter(certificates::usable.eq(true))
        .order(certificates::id.asc())
        .select((certificates::id, certificates::der))
        .load(conn)?)
}
