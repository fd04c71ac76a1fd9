//! The event log published to other systems: one row per change, appended in the transaction
//! of the change, read in sequence order (`GET /events`, the delivery of subscriptions).
//!
//! Appends take the audit trail's lock ([`audit::lock_trail`]), which every change takes anyway
//! for its audit record and which is held until commit: sequence numbers are therefore handed
//! out in commit order, and a reader that has seen sequence `n` can never later find a committed
//! event below `n`. Readers in the same process are woken when a transaction that appended
//! events commits ([`written`]).

use std::cell::Cell;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use motcua_core::event::EventType;
use motcua_core::record_ids::UnitId;
use tokio::sync::watch;

use crate::audit;
use crate::schema::events;
use crate::unnest::{Statement, Unnest};
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct StoredEvent {
    pub sequence: i64,
    /// The CloudEvents `id` (a UUID): what a subscriber de-duplicates on.
    pub id: String,
    pub event_type: EventType,
    /// The dossier code, certificate id or report id the event is about.
    pub subject: String,
    pub unit_id: Option<UnitId>,
    pub unit_scope: String,
    pub occurred_at: NaiveDateTime,
    /// JSON: the event's `data`.
    pub data: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = events)]
pub struct NewStoredEvent {
    pub id: String,
    pub event_type: EventType,
    pub subject: String,
    pub unit_id: Option<UnitId>,
    pub unit_scope: String,
    pub occurred_at: NaiveDateTime,
    pub data: String,
}

/// Which events a reader wants.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only these types (all when empty).
    pub types: Vec<EventType>,
    /// Only events within all of these (a key's unit and the unit asked for).
    pub within: Vec<Reach>,
}

/// The events of a unit's subtree: those of the units of the service's tree below it, as the
/// tree is when they are read (so that a regrouped or merged unit is followed), and those whose
/// written ancestry names it (a service that keeps no tree writes the ancestry it was given).
#[derive(Debug, Clone)]
pub struct Reach {
    pub root: UnitId,
    /// The root and the units below it in the service's tree.
    pub units: Vec<UnitId>,
}

/// `unit_scope` of a unit and the ancestors the writer knows, nearest first: padded so that
/// `LIKE '% 7 %'` finds every event written with unit 7 in its ancestry.
pub fn unit_scope(chain: &[UnitId]) -> String {
    let mut scope = String::from(" ");
    for unit in chain {
        scope.push_str(&unit.0.to_string());
        scope.push(' ');
    }
    scope
}

/// Appends `new` in order, in the caller's transaction.
pub fn append(conn: &mut DbConnection, new: &[NewStoredEvent]) -> DbResult<()> {
    if new.is_empty() {
        return Ok(());
    }
    audit::lock_trail(conn)?;
    // A batch in one statement (the dossiers of a group commit): its rows take their sequence
    // numbers in row order, and what readers rely on, that no lower number commits later,
    // holds under the lock either way.
    match conn {
        DbConnection::Postgresql(pg) => {
            Unnest::<InsertEvents>::new()
                .column::<Text, _, _>(new, |e| e.id.as_str())
                .column::<Text, _, _>(new, |e| e.event_type.as_str())
                .column::<Text, _, _>(new, |e| e.subject.as_str())
                .column::<Nullable<BigInt>, _, _>(new, |e| e.unit_id.map(|unit| unit.0))
                .column::<Text, _, _>(new, |e| e.unit_scope.as_str())
                .column::<Timestamp, _, _>(new, |e| e.occurred_at)
                .column::<Text, _, _>(new, |e| e.data.as_str())
                .execute(pg)?;
        }
        DbConnection::Sqlite(lite) => {
            // Under SQLite's limit on bound parameters.
            for chunk in new.chunks(500) {
                diesel::insert_into(events::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    APPENDED_IN_TRANSACTION.set(true);
    Ok(())
}

struct InsertEvents;
impl Statement for InsertEvents {
    const INTO: &'static str =
        "events (id, event_type, subject, unit_id, unit_scope, occurred_at, data)";
    const THEN: &'static str = "";
}

/// Up to `limit` events after sequence `after` that `filter` keeps, oldest first.
pub fn after(
    conn: &mut DbConnection,
    after: i64,
    filter: &EventFilter,
    limit: i64,
) -> DbResult<Vec<StoredEvent>> {
    let mut query = events::table
        .select(StoredEvent::as_select())
        .filter(events::sequence.gt(after))
        .into_boxed();
    if !filter.types.is_empty() {
        query = query.filter(events::event_type.eq_any(filter.types.clone()));
    }
    for reach in &filter.within {
        query = query.filter(
            events::unit_id
                .eq_any(reach.units.clone())
                .or(events::unit_scope.like(format!("% {} %", reach.root.0))),
        );
    }
    Ok(query.order(events::sequence).limit(limit).load(conn)?)
}

/// The highest sequence written so far (0 when there is none).
pub fn last_sequence(conn: &mut DbConnection) -> DbResult<i64> {
    let last: Option<i64> = events::table
        .select(diesel::dsl::max(events::sequence))
        .first(conn)?;
    Ok(last.unwrap_or(0))
}

pub fn find(conn: &mut DbConnection, id: &str) -> DbResult<StoredEvent> {
    Ok(events::table
        .filter(events::id.eq(id))
        .select(StoredEvent::as_select())
        .first(conn)?)
}

thread_local! {
    /// Set by [`append`] in the transaction running on this thread; read and cleared by
    /// [`crate::write_transaction`] when it ends.
    static APPENDED_IN_TRANSACTION: Cell<bool> = const { Cell::new(false) };
}

/// Counts the commits that appended events, in this process.
static WRITTEN: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// Changes each time a transaction that appended events commits in this process: long-polling
/// readers wait on it (and look again now and then for writers in other processes).
pub fn written() -> watch::Receiver<u64> {
    WRITTEN.subscribe()
}

/// Forgets appends of a transaction that is starting (a failed one before it on this thread).
pub(crate) fn transaction_started() {
    APPENDED_IN_TRANSACTION.set(false);
}

/// Wakes the readers if the transaction that just committed on this thread appended events.
pub(crate) fn transaction_committed() {
    if APPENDED_IN_TRANSACTION.replace(false) {
        WRITTEN.send_modify(|count| *count = count.wrapping_add(1));
    }
}
