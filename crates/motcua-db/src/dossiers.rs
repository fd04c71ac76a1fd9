//! Dossiers, their components and their history.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
use motcua_core::dossier::{
    vietnam_day, ApplicantKind, Channel, Digitisation, DossierStatus, Rating, Resolution,
};
use motcua_core::record_ids::{
    ApiKeyId, DossierEventId, DossierId, OfficialId, ProcedureId, UnitId,
};
use motcua_core::statistics::DossierFacts;

use crate::schema::{dossier_components, dossier_events, dossiers};
use crate::units::escape_like;
use crate::unnest::{Returning, Statement, Unnest};
use crate::{DbConnection, DbError, DbResult};

/// Runs `$statement` on the backend's own connection, bound to `$backend`: multi-row inserts
/// cannot be expressed over both backends at once by the shared query layer.
macro_rules! on_own_connection {
    ($conn:expr, |$backend:ident| $statement:expr) => {
        match $conn {
            DbConnection::Postgresql($backend) => $statement,
            DbConnection::Sqlite($backend) => $statement,
        }
    };
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dossiers)]
pub struct Dossier {
    pub id: DossierId,
    pub code: String,
    pub unit_id: UnitId,
    pub procedure_id: ProcedureId,
    pub field: String,
    pub channel: Channel,
    pub status: DossierStatus,
    pub applicant_kind: ApplicantKind,
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub applicant_address: Option<String>,
    pub applicant_phone: Option<String>,
    pub applicant_email: Option<String>,
    pub request_content: Option<String>,
    pub receiving_official_id: Option<OfficialId>,
    pub submitted_at: NaiveDateTime,
    pub received_at: Option<NaiveDateTime>,
    pub received_on: Option<NaiveDate>,
    pub due_at: Option<NaiveDateTime>,
    pub due_on: Option<NaiveDate>,
    pub paused_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_on: Option<NaiveDate>,
    pub resolution: Option<Resolution>,
    pub returned_at: Option<NaiveDateTime>,
    pub appointment_at: Option<NaiveDateTime>,
    pub digitised: bool,
    pub reused: bool,
    pub electronic_result: bool,
    pub rating: Option<Rating>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Dossier {
    /// What the statistics count of this dossier.
    pub fn facts(&self) -> DossierFacts {
        facts(
            self.channel,
            self.received_on,
            self.due_on,
            self.resolved_on,
            self.resolution,
            self.returned_at,
            [self.digitised, self.reused, self.electronic_result],
            self.status,
            self.rating,
        )
    }
}

/// The lifecycle fields, written together after every change.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = dossiers, treat_none_as_null = true)]
pub struct DossierState {
    pub status: DossierStatus,
    pub received_at: Option<NaiveDateTime>,
    pub received_on: Option<NaiveDate>,
    pub due_at: Option<NaiveDateTime>,
    pub due_on: Option<NaiveDate>,
    pub paused_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_on: Option<NaiveDate>,
    pub resolution: Option<Resolution>,
    pub returned_at: Option<NaiveDateTime>,
    pub appointment_at: Option<NaiveDateTime>,
    pub digitised: bool,
    pub electronic_result: bool,
    pub rating: Option<Rating>,
    pub updated_at: NaiveDateTime,
}

impl From<&Dossier> for DossierState {
    fn from(d: &Dossier) -> Self {
        Self {
            status: d.status,
            received_at: d.received_at,
            received_on: d.received_on,
            due_at: d.due_at,
            due_on: d.due_on,
            paused_at: d.paused_at,
            resolved_at: d.resolved_at,
            resolved_on: d.resolved_on,
            resolution: d.resolution,
            returned_at: d.returned_at,
            appointment_at: d.appointment_at,
            digitised: d.digitised,
            electronic_result: d.electronic_result,
            rating: d.rating,
            updated_at: d.updated_at,
        }
    }
}

/// A dossier before it has an id.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dossiers)]
pub struct NewDossier {
    pub code: String,
    pub unit_id: UnitId,
    pub procedure_id: ProcedureId,
    pub field: String,
    pub channel: Channel,
    pub status: DossierStatus,
    pub applicant_kind: ApplicantKind,
    pub applicant_name: String,
    pub applicant_id_number: String,
    pub applicant_address: Option<String>,
    pub applicant_phone: Option<String>,
    pub applicant_email: Option<String>,
    pub request_content: Option<String>,
    pub receiving_official_id: Option<OfficialId>,
    pub submitted_at: NaiveDateTime,
    pub received_at: Option<NaiveDateTime>,
    pub received_on: Option<NaiveDate>,
    pub due_at: Option<NaiveDateTime>,
    pub due_on: Option<NaiveDate>,
    pub paused_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_on: Option<NaiveDate>,
    pub resolution: Option<Resolution>,
    pub returned_at: Option<NaiveDateTime>,
    pub appointment_at: Option<NaiveDateTime>,
    pub digitised: bool,
    pub reused: bool,
    pub electronic_result: bool,
    pub rating: Option<Rating>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewDossier {
    /// What the statistics will count of this dossier once stored.
    pub fn facts(&self) -> DossierFacts {
        facts(
            self.channel,
            self.received_on,
            self.due_on,
            self.resolved_on,
            self.resolution,
            self.returned_at,
            [self.digitised, self.reused, self.electronic_result],
            self.status,
            self.rating,
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn facts(
    channel: Channel,
    received_on: Option<NaiveDate>,
    due_on: Option<NaiveDate>,
    resolved_on: Option<NaiveDate>,
    resolution: Option<Resolution>,
    returned_at: Option<NaiveDateTime>,
    [digitised, reused, electronic_result]: [bool; 3],
    status: DossierStatus,
    rating: Option<Rating>,
) -> DossierFacts {
    DossierFacts {
        channel,
        received_on,
        due_on,
        resolved_on,
        resolution,
        returned_on: returned_at.map(|at| vietnam_day(at.and_utc())),
        digitised,
        reused,
        electronic_result,
        with_result: matches!(status, DossierStatus::Releasing | DossierStatus::Done),
        rating,
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dossier_components)]
pub struct Component {
    pub id: i64,
    pub dossier_id: DossierId,
    pub position: i32,
    pub name: String,
    pub copies: i32,
    pub digitisation: Digitisation,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dossier_components)]
pub struct NewComponent {
    pub dossier_id: DossierId,
    pub position: i32,
    pub name: String,
    pub copies: i32,
    pub digitisation: Digitisation,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = dossier_events)]
pub struct Event {
    pub id: DossierEventId,
    pub dossier_id: DossierId,
    pub at: NaiveDateTime,
    /// `status`, `apology`, `rating` or `complaint`.
    pub kind: String,
    pub from_status: Option<DossierStatus>,
    pub to_status: Option<DossierStatus>,
    pub official_id: Option<OfficialId>,
    pub actor_key_id: Option<ApiKeyId>,
    pub note: Option<String>,
    /// The request that made the change (`-` for rows older than this column).
    pub request_id: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dossier_events)]
pub struct NewEvent {
    pub dossier_id: DossierId,
    pub at: NaiveDateTime,
    pub kind: String,
    pub from_status: Option<DossierStatus>,
    pub to_status: Option<DossierStatus>,
    pub official_id: Option<OfficialId>,
    pub actor_key_id: Option<ApiKeyId>,
    pub note: Option<String>,
    pub request_id: String,
}

struct TakeNumbers;
impl Statement for TakeNumbers {
    const INTO: &'static str = "dossier_sequences (unit_id, day, last_number)";
    const THEN: &'static str = "ON CONFLICT (unit_id, day) DO UPDATE \
         SET last_number = dossier_sequences.last_number + excluded.last_number \
         RETURNING unit_id, day, last_number";
}
impl Returning for TakeNumbers {
    type SqlType = (BigInt, Date, Integer);
}

/// Takes `count` consecutive numbers of the day at each unit of `groups` (unit, day, count) in
/// one statement; returns the last number taken for each group, in the order given. The upsert
/// locks each unit's row for the day until the transaction ends, so concurrent creations get
/// consecutive numbers and a rolled-back creation gives its numbers back. Give the groups
/// sorted, so that concurrent transactions lock them in the same order.
pub fn take_numbers(
    conn: &mut DbConnection,
    groups: &[(UnitId, NaiveDate, i32)],
) -> DbResult<Vec<i32>> {
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = BigInt)]
        unit_id: i64,
        #[diesel(sql_type = Date)]
        day: NaiveDate,
        #[diesel(sql_type = Integer)]
        last_number: i32,
    }
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let taken: Vec<Taken> = match conn {
        DbConnection::Postgresql(pg) => Unnest::<TakeNumbers>::new()
            .column::<BigInt, _, _>(groups, |(unit, _, _)| *unit)
            .column::<Date, _, _>(groups, |(_, day, _)| *day)
            .column::<Integer, _, _>(groups, |(_, _, count)| *count)
            .load::<(i64, NaiveDate, i32)>(pg)?
            .into_iter()
            .map(|(unit_id, day, last_number)| Taken {
                unit_id,
                day,
                last_number,
            })
            .collect(),
        DbConnection::Sqlite(_) => {
            // Integers and dates only, formatted by this code.
            let values: Vec<String> = groups
                .iter()
                .map(|(unit, day, count)| format!("({}, '{day}', {count})", unit.0))
                .collect();
            diesel::sql_query(format!(
                "INSERT INTO dossier_sequences (unit_id, day, last_number) VALUES {} {}",
                values.join(", "),
                TakeNumbers::THEN
            ))
            .load(conn)?
        }
    };
    groups
        .iter()
        .map(|(unit, day, _)| {
            taken
                .iter()
                .find(|t| t.unit_id == unit.0 && t.day == *day)
                .map(|t| t.last_number)
                .ok_or_else(|| DbError::Other(format!("no number taken for unit {unit} on {day}")))
        })
        .collect()
}

/// Inserts dossiers (unique codes) in one statement and returns them in the order given.
pub fn insert_returning(conn: &mut DbConnection, new: &[NewDossier]) -> DbResult<Vec<Dossier>> {
    let inserted: Vec<Dossier> = match conn {
        DbConnection::Postgresql(pg) => {
            dossier_rows::<InsertDossiersReturning>(new).get_results(pg)?
        }
        DbConnection::Sqlite(lite) => diesel::insert_into(dossiers::table)
            .values(new)
            .returning(dossiers::all_columns)
            .get_results(lite)?,
    };
    // RETURNING promises no order: put the rows back in the order of the codes given.
    let mut by_code: std::collections::HashMap<String, Dossier> = inserted
        .into_iter()
        .map(|dossier| (dossier.code.clone(), dossier))
        .collect();
    new.iter()
        .map(|dossier| {
            by_code
                .remove(&dossier.code)
                .ok_or_else(|| DbError::Other(format!("dossier {} was not returned", dossier.code)))
        })
        .collect()
}

/// Inserts components (of one or several dossiers): one statement on PostgreSQL, statements of up
/// to 1 000 rows on SQLite, well under its limit on bound parameters whatever the caller gives.
pub fn insert_components(conn: &mut DbConnection, components: &[NewComponent]) -> DbResult<()> {
    if components.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgresql(pg) => {
            Unnest::<InsertComponents>::new()
                .column::<BigInt, _, _>(components, |c| c.dossier_id)
                .column::<Integer, _, _>(components, |c| c.position)
                .column::<Text, _, _>(components, |c| c.name.as_str())
                .column::<Integer, _, _>(components, |c| c.copies)
                .column::<Text, _, _>(components, |c| c.digitisation)
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            for chunk in components.chunks(1000) {
                diesel::insert_into(dossier_components::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Inserts one history event; returns its id.
pub fn insert_event(conn: &mut DbConnection, event: &NewEvent) -> DbResult<DossierEventId> {
    Ok(diesel::insert_into(dossier_events::table)
        .values(event)
        .returning(dossier_events::id)
        .get_result(conn)?)
}

pub fn find_by_id(conn: &mut DbConnection, id: DossierId) -> DbResult<Dossier> {
    Ok(dossiers::table
        .find(id)
        .select(Dossier::as_select())
        .first(conn)?)
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> DbResult<Dossier> {
    Ok(dossiers::table
        .filter(dossiers::code.eq(code))
        .select(Dossier::as_select())
        .first(conn)?)
}

/// Writes the new state, unless someone changed the dossier since `seen_at` (then `Refused`).
pub fn save_state(
    conn: &mut DbConnection,
    id: DossierId,
    seen_at: NaiveDateTime,
    state: &DossierState,
) -> DbResult<()> {
    let updated = diesel::update(
        dossiers::table
            .filter(dossiers::id.eq(id))
            .filter(dossiers::updated_at.eq(seen_at)),
    )
    .set(state)
    .execute(conn)?;
    if updated == 1 {
        Ok(())
    } else {
        Err(DbError::Refused(
            "the dossier was changed by another request".into(),
        ))
    }
}

pub fn components(conn: &mut DbConnection, id: DossierId) -> DbResult<Vec<Component>> {
    Ok(dossier_components::table
        .filter(dossier_components::dossier_id.eq(id))
        .order(dossier_components::position.asc())
        .select(Component::as_select())
        .load(conn)?)
}

pub fn events(conn: &mut DbConnection, id: DossierId) -> DbResult<Vec<Event>> {
    Ok(dossier_events::table
        .filter(dossier_events::dossier_id.eq(id))
        .order(dossier_events::id.asc())
        .select(Event::as_select())
        .load(conn)?)
}

/// The time of the latest event; a new event may not be dated before it.
pub fn last_event_at(conn: &mut DbConnection, id: DossierId) -> DbResult<Option<NaiveDateTime>> {
    Ok(dossier_events::table
        .filter(dossier_events::dossier_id.eq(id))
        .select(diesel::dsl::max(dossier_events::at))
        .first(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    pub among_units: Option<Vec<UnitId>>,
    pub procedure: Option<ProcedureId>,
    pub field: Option<String>,
    pub status: Option<DossierStatus>,
    pub channel: Option<Channel>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub resolved_from: Option<NaiveDate>,
    pub resolved_to: Option<NaiveDate>,
    /// Open dossiers whose due time has passed at this instant.
    pub overdue_at: Option<NaiveDateTime>,
    pub applicant_contains: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &DossierFilter,
    after: Option<DossierId>,
    limit: i64,
) -> DbResult<Vec<Dossier>> {
    let mut query = dossiers::table
        .select(Dossier::as_select())
        .order(dossiers::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(dossiers::id.gt(after));
    }
    if let Some(units) = &filter.among_units {
        query = query.filter(dossiers::unit_id.eq_any(units.clone()));
    }
    if let Some(procedure) = filter.procedure {
        query = query.filter(dossiers::procedure_id.eq(procedure));
    }
    if let Some(field) = &filter.field {
        query = query.filter(dossiers::field.eq(field.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(dossiers::status.eq(status));
    }
    if let Some(channel) = filter.channel {
        query = query.filter(dossiers::channel.eq(channel));
    }
    if let Some(day) = filter.received_from {
        query = query.filter(dossiers::received_on.ge(day));
    }
    if let Some(day) = filter.received_to {
        query = query.filter(dossiers::received_on.le(day));
    }
    if let Some(day) = filter.due_from {
        query = query.filter(dossiers::due_on.ge(day));
    }
    if let Some(day) = filter.due_to {
        query = query.filter(dossiers::due_on.le(day));
    }
    if let Some(day) = filter.resolved_from {
        query = query.filter(dossiers::resolved_on.ge(day));
    }
    if let Some(day) = filter.resolved_to {
        query = query.filter(dossiers::resolved_on.le(day));
    }
    if let Some(at) = filter.overdue_at {
        query = query
            .filter(dossiers::resolved_at.is_null())
            .filter(dossiers::received_at.is_not_null())
            .filter(dossiers::paused_at.is_null())
            .filter(dossiers::due_at.lt(at));
    }
    if let Some(text) = &filter.applicant_contains {
        query = query.filter(
            dossiers::applicant_name
                .like(format!("%{}%", escape_like(text)))
                .escape('\\'),
        );
    }
    Ok(query.load(conn)?)
}

/// One batch of dossiers in id order, for rebuilding the statistics.
pub fn batch_after(
    conn: &mut DbConnection,
    after: DossierId,
    limit: i64,
) -> DbResult<Vec<Dossier>> {
    Ok(dossiers::table
        .filter(dossiers::id.gt(after))
        .order(dossiers::id.asc())
        .limit(limit)
        .select(Dossier::as_select())
        .load(conn)?)
}

/// Inserts many dossiers at once (data generation and loading): multi-row statements on the
/// backend's own connection, which the shared query layer cannot express for both at once.
pub fn insert_many(conn: &mut DbConnection, rows: &[NewDossier]) -> DbResult<()> {
    match conn {
        DbConnection::Postgresql(pg) => {
            for chunk in rows.chunks(10_000) {
                dossier_rows::<InsertDossiers>(chunk).execute(pg)?;
            }
        }
        DbConnection::Sqlite(lite) => {
            for chunk in rows.chunks(500) {
                diesel::insert_into(dossiers::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// The columns of history events, bound as arrays for a statement that reads them with `unnest`.
fn event_rows<'a, S: Statement>(rows: &'a [NewEvent]) -> Unnest<'a, S> {
    Unnest::<S>::new()
        .column::<BigInt, _, _>(rows, |e| e.dossier_id)
        .column::<Timestamp, _, _>(rows, |e| e.at)
        .column::<Text, _, _>(rows, |e| e.kind.as_str())
        .column::<Nullable<Text>, _, _>(rows, |e| e.from_status)
        .column::<Nullable<Text>, _, _>(rows, |e| e.to_status)
        .column::<Nullable<BigInt>, _, _>(rows, |e| e.official_id)
        .column::<Nullable<BigInt>, _, _>(rows, |e| e.actor_key_id)
        .column::<Nullable<Text>, _, _>(rows, |e| e.note.as_deref())
        .column::<Text, _, _>(rows, |e| e.request_id.as_str())
}

/// Inserts many history events at once: one statement on PostgreSQL, statements of up to 1 000
/// rows on SQLite.
pub fn insert_events(conn: &mut DbConnection, rows: &[NewEvent]) -> DbResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgresql(pg) => {
            event_rows::<InsertEvents>(rows).execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(dossier_events::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Inserts one history event for each of several dossiers (each dossier once) like
/// [`insert_events`]; returns their ids in the order given.
pub fn insert_events_returning(
    conn: &mut DbConnection,
    rows: &[NewEvent],
) -> DbResult<Vec<DossierEventId>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let inserted: Vec<(DossierId, DossierEventId)> = match conn {
        DbConnection::Postgresql(pg) => {
            event_rows::<InsertEventsReturning>(rows).get_results(pg)?
        }
        DbConnection::Sqlite(lite) => {
            let mut inserted = Vec::with_capacity(rows.len());
            for chunk in rows.chunks(1000) {
                inserted.extend(
                    diesel::insert_into(dossier_events::table)
                        .values(chunk)
                        .returning((dossier_events::dossier_id, dossier_events::id))
                        .get_results::<(DossierId, DossierEventId)>(lite)?,
                );
            }
            inserted
        }
    };
    // RETURNING promises no order: match the ids to the dossiers given.
    let by_dossier: std::collections::HashMap<DossierId, DossierEventId> =
        inserted.into_iter().collect();
    rows.iter()
        .map(|row| {
            by_dossier.get(&row.dossier_id).copied().ok_or_else(|| {
                DbError::Other(format!("no event returned for dossier {}", row.dossier_id))
            })
        })
        .collect()
}

struct InsertComponents;
impl Statement for InsertComponents {
    const INTO: &'static str =
        "dossier_components (dossier_id, position, name, copies, digitisation)";
    const THEN: &'static str = "";
}

const EVENT_COLUMNS: &str = "dossier_events (dossier_id, at, kind, from_status, to_status, \
     official_id, actor_key_id, note, request_id)";

struct InsertEvents;
impl Statement for InsertEvents {
    const INTO: &'static str = EVENT_COLUMNS;
    const THEN: &'static str = "";
}

struct InsertEventsReturning;
impl Statement for InsertEventsReturning {
    const INTO: &'static str = EVENT_COLUMNS;
    const THEN: &'static str = "RETURNING dossier_id, id";
}
impl Returning for InsertEventsReturning {
    type SqlType = (BigInt, BigInt);
}

const DOSSIER_COLUMNS: &str = "dossiers (code, unit_id, procedure_id, field, channel, status, \
     applicant_kind, applicant_name, applicant_id_number, applicant_address, applicant_phone, \
     applicant_email, request_content, receiving_official_id, submitted_at, received_at, \
     received_on, due_at, due_on, paused_at, resolved_at, resolved_on, resolution, returned_at, \
     appointment_at, digitised, reused, electronic_result, rating, created_at, updated_at)";

struct InsertDossiers;
impl Statement for InsertDossiers {
    const INTO: &'static str = DOSSIER_COLUMNS;
    const THEN: &'static str = "";
}

struct InsertDossiersReturning;
impl Statement for InsertDossiersReturning {
    const INTO: &'static str = DOSSIER_COLUMNS;
    const THEN: &'static str = "RETURNING id, code, unit_id, procedure_id, field, channel, \
         status, applicant_kind, applicant_name, applicant_id_number, applicant_address, \
         applicant_phone, applicant_email, request_content, receiving_official_id, submitted_at, \
         received_at, received_on, due_at, due_on, paused_at, resolved_at, resolved_on, \
         resolution, returned_at, appointment_at, digitised, reused, electronic_result, rating, \
         created_at, updated_at";
}
impl Returning for InsertDossiersReturning {
    type SqlType = <dossiers::table as diesel::query_builder::AsQuery>::SqlType;
}

/// The columns of `rows` in the order of [`DOSSIER_COLUMNS`].
fn dossier_rows<S: Statement>(rows: &[NewDossier]) -> Unnest<'_, S> {
    Unnest::new()
        .column::<Text, _, _>(rows, |d| d.code.as_str())
        .column::<BigInt, _, _>(rows, |d| d.unit_id)
        .column::<BigInt, _, _>(rows, |d| d.procedure_id)
        .column::<Text, _, _>(rows, |d| d.field.as_str())
        .column::<Text, _, _>(rows, |d| d.channel)
        .column::<Text, _, _>(rows, |d| d.status)
        .column::<Text, _, _>(rows, |d| d.applicant_kind)
        .column::<Text, _, _>(rows, |d| d.applicant_name.as_str())
        .column::<Text, _, _>(rows, |d| d.applicant_id_number.as_str())
        .column::<Nullable<Text>, _, _>(rows, |d| d.applicant_address.as_deref())
        .column::<Nullable<Text>, _, _>(rows, |d| d.applicant_phone.as_deref())
        .column::<Nullable<Text>, _, _>(rows, |d| d.applicant_email.as_deref())
        .column::<Nullable<Text>, _, _>(rows, |d| d.request_content.as_deref())
        .column::<Nullable<BigInt>, _, _>(rows, |d| d.receiving_official_id)
        .column::<Timestamp, _, _>(rows, |d| d.submitted_at)
        .column::<Nullable<Timestamp>, _, _>(rows, |d| d.received_at)
        .column::<Nullable<Date>, _, _>(rows, |d| d.received_on)
        .column::<Nullable<Timestamp>, _, _>(rows, |d| d.due_at)
        .column::<Nullable<Date>, _, _>(rows, |d| d.due_on)
        .column::<Nullable<Timestamp>, _, _>(rows, |d| d.paused_at)
        .column::<Nullable<Timestamp>, _, _>(rows, |d| d.resolved_at)
        .column::<Nullable<Date>, _, _>(rows, |d| d.resolved_on)
        .column::<Nullable<Text>, _, _>(rows, |d| d.resolution)
        .column::<Nullable<Timestamp>, _, _>(rows, |d| d.returned_at)
        .column::<Nullable<Timestamp>, _, _>(rows, |d| d.appointment_at)
        .column::<Bool, _, _>(rows, |d| d.digitised)
        .column::<Bool, _, _>(rows, |d| d.reused)
        .column::<Bool, _, _>(rows, |d| d.electronic_result)
        .column::<Nullable<Text>, _, _>(rows, |d| d.rating)
        .column::<Timestamp, _, _>(rows, |d| d.created_at)
        .column::<Timestamp, _, _>(rows, |d| d.updated_at)
}

/// Ids of dossiers by code.
pub fn ids_by_code(
    conn: &mut DbConnection,
    codes: &[String],
) -> DbResult<Vec<(String, DossierId)>> {
    let mut found = Vec::with_capacity(codes.len());
    for chunk in codes.chunks(1000) {
        let rows: Vec<(String, DossierId)> = dossiers::table
            .filter(dossiers::code.eq_any(chunk))
            .select((dossiers::code, dossiers::id))
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// Records the last numbers used per unit and day for loaded dossiers (see [`insert_many`]).
pub fn insert_sequences(
    conn: &mut DbConnection,
    rows: &[(UnitId, NaiveDate, i32)],
) -> DbResult<()> {
    use crate::schema::dossier_sequences::dsl::{day, dossier_sequences, last_number, unit_id};
    let values: Vec<_> = rows
        .iter()
        .map(|(u, d, n)| (unit_id.eq(*u), day.eq(*d), last_number.eq(*n)))
        .collect();
    for chunk in values.chunks(1000) {
        on_own_connection!(&mut *conn, |backend| {
            diesel::insert_into(dossier_sequences)
                .values(chunk)
                .execute(backend)?
        });
    }
    Ok(())
}
