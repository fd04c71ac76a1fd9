//! Subscriptions of other systems to the service's events. A subscription's cursor
//! (`delivered_through`) is its outbox: the delivery worker reads the events after it and moves
//! it past each one acknowledged, in the same order, so nothing is written per delivery.
//!
//! Workers claim a subscription with a lease (`lease_holder`, `lease_until`) before delivering,
//! so that two instances of a service on one database never deliver one subscription at once;
//! every write of a delivery's outcome names the holder, and is lost if the lease was taken over.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::event::SubscriptionState;
use motcua_core::record_ids::{ApiKeyId, SubscriptionId, UnitId};

use crate::schema::subscriptions;
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = subscriptions)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub callback_url: String,
    /// Space-separated CloudEvents types; empty: all.
    pub event_types: String,
    pub unit_id: Option<UnitId>,
    /// The signing secret, sealed under the key-store password.
    pub secret_sealed: Vec<u8>,
    pub state: SubscriptionState,
    pub delivered_through: i64,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_delivered_at: Option<NaiveDateTime>,
    pub lease_holder: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = subscriptions)]
pub struct NewSubscription {
    pub callback_url: String,
    pub event_types: String,
    pub unit_id: Option<UnitId>,
    pub secret_sealed: Vec<u8>,
    pub state: SubscriptionState,
    pub delivered_through: i64,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

pub fn insert(conn: &mut DbConnection, new: &NewSubscription) -> DbResult<Subscription> {
    let id: SubscriptionId = diesel::insert_into(subscriptions::table)
        .values(new)
        .returning(subscriptions::id)
        .get_result(conn)?;
    find(conn, id)
}

pub fn find(conn: &mut DbConnection, id: SubscriptionId) -> DbResult<Subscription> {
    Ok(subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .first(conn)?)
}

/// Up to `limit` subscriptions after `after` in id order; only those of `unit` when given (a
/// key limited to a unit sees the subscriptions it could have made).
pub fn list(
    conn: &mut DbConnection,
    after: Option<SubscriptionId>,
    unit: Option<&[UnitId]>,
    limit: i64,
) -> DbResult<Vec<Subscription>> {
    let mut query = subscriptions::table
        .select(Subscription::as_select())
        .order(subscriptions::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(subscriptions::id.gt(after));
    }
    if let Some(units) = unit {
        query = query.filter(subscriptions::unit_id.eq_any(units.to_vec()));
    }
    Ok(query.load(conn)?)
}

pub fn delete(conn: &mut DbConnection, id: SubscriptionId) -> DbResult<()> {
    let deleted = diesel::delete(subscriptions::table.find(id)).execute(conn)?;
    if deleted == 0 {
        return Err(crate::DbError::NotFound);
    }
    Ok(())
}

/// Puts the subscription back to work at once: active, no failure counted, and its cursor at
/// `from` when given (a rewind, or a jump ahead). A worker's lease is cancelled, so that a round
/// in progress stops at its next step instead of moving the cursor past the rewind.
pub fn redeliver(
    conn: &mut DbConnection,
    id: SubscriptionId,
    from: Option<i64>,
    at: NaiveDateTime,
) -> DbResult<Subscription> {
    let target = subscriptions::table.find(id);
    let changes = (
        subscriptions::state.eq(SubscriptionState::Active),
        subscriptions::attempts.eq(0),
        subscriptions::next_attempt_at.eq(at),
        subscriptions::lease_holder.eq(None::<String>),
        subscriptions::lease_until.eq(None::<NaiveDateTime>),
    );
    let query = diesel::update(target);
    let updated = match from {
        Some(from) => query
            .set((changes, subscriptions::delivered_through.eq(from)))
            .execute(conn)?,
        None => query.set(changes).execute(conn)?,
    };
    if updated == 0 {
        return Err(crate::DbError::NotFound);
    }
    find(conn, id)
}

/// Ids of active subscriptions due at `at`, behind the log's `last_sequence` and not leased by
/// another worker, oldest due first: a subscription that is up to date costs no write.
pub fn due(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    last_sequence: i64,
    limit: i64,
) -> DbResult<Vec<SubscriptionId>> {
    Ok(subscriptions::table
        .select(subscriptions::id)
        .filter(subscriptions::state.eq(SubscriptionState::Active))
        .filter(subscriptions::delivered_through.lt(last_sequence))
        .filter(subscriptions::next_attempt_at.le(at))
        .filter(
            subscriptions::lease_until
                .is_null()
                .or(subscriptions::lease_until.lt(at)),
        )
        .order(subscriptions::next_attempt_at)
        .limit(limit)
        .load(conn)?)
}

/// Whether any subscription is active (to be delivered now or later).
pub fn any_active(conn: &mut DbConnection) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        subscriptions::table.filter(subscriptions::state.eq(SubscriptionState::Active)),
    ))
    .get_result(conn)?)
}

/// Claims `id` for `holder` until `until` when it is still due and unleased (or leased by
/// `holder`); returns it, or `None` when another worker holds it or it is no longer due.
pub fn claim(
    conn: &mut DbConnection,
    id: SubscriptionId,
    holder: &str,
    at: NaiveDateTime,
    until: NaiveDateTime,
) -> DbResult<Option<Subscription>> {
    let claimed = diesel::update(
        subscriptions::table
            .find(id)
            .filter(subscriptions::state.eq(SubscriptionState::Active))
            .filter(subscriptions::next_attempt_at.le(at))
            .filter(
                subscriptions::lease_until
                    .is_null()
                    .or(subscriptions::lease_until.lt(at))
                    .or(subscriptions::lease_holder.eq(holder)),
            ),
    )
    .set((
        subscriptions::lease_holder.eq(holder),
        subscriptions::lease_until.eq(until),
    ))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    Ok(Some(find(conn, id)?))
}

/// Moves the cursor of a subscription `holder` leases to `through` (an event acknowledged, or
/// events the filter passes over) and extends the lease; `false` when the lease was lost.
pub fn advance(
    conn: &mut DbConnection,
    id: SubscriptionId,
    holder: &str,
    through: i64,
    delivered_at: Option<NaiveDateTime>,
    lease_until: NaiveDateTime,
) -> DbResult<bool> {
    let target = leased(id, holder);
    let cursor = (
        subscriptions::delivered_through.eq(through),
        subscriptions::attempts.eq(0),
        subscriptions::lease_until.eq(lease_until),
    );
    let updated = match delivered_at {
        Some(at) => diesel::update(target)
            .set((
                cursor,
                subscriptions::last_delivered_at.eq(at),
                subscriptions::last_attempt_at.eq(at),
                subscriptions::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        None => diesel::update(target).set(cursor).execute(conn)?,
    };
    Ok(updated == 1)
}

/// What a failed delivery attempt leaves.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: String,
    pub at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    /// Failures in a row that make the subscription dead-lettered.
    pub max_attempts: i32,
}

/// Counts a failed attempt of a subscription `holder` leases and releases the lease: the next
/// attempt is at `failure.next_attempt_at`, or never (dead letter) once `max_attempts` failures
/// follow each other. Returns the subscription after it, `None` when the lease was lost.
pub fn fail(
    conn: &mut DbConnection,
    id: SubscriptionId,
    holder: &str,
    failure: &Failure,
) -> DbResult<Option<Subscription>> {
    let Some(current) = find_leased(conn, id, holder)? else {
        return Ok(None);
    };
    let attempts = current.attempts.saturating_add(1);
    let state = if attempts >= failure.max_attempts {
        SubscriptionState::DeadLetter
    } else {
        SubscriptionState::Active
    };
    diesel::update(leased(id, holder))
        .set((
            subscriptions::attempts.eq(attempts),
            subscriptions::state.eq(state),
            subscriptions::last_error.eq(&failure.error),
            subscriptions::last_attempt_at.eq(failure.at),
            subscriptions::next_attempt_at.eq(failure.next_attempt_at),
            subscriptions::lease_holder.eq(None::<String>),
            subscriptions::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(Some(find(conn, id)?))
}

/// Gives up `holder`'s lease (the subscription is up to date), so that the next event is
/// delivered by whichever worker sees it first.
pub fn release(conn: &mut DbConnection, id: SubscriptionId, holder: &str) -> DbResult<()> {
    diesel::update(leased(id, holder))
        .set((
            subscriptions::lease_holder.eq(None::<String>),
            subscriptions::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

fn find_leased(
    conn: &mut DbConnection,
    id: SubscriptionId,
    holder: &str,
) -> DbResult<Option<Subscription>> {
    Ok(leased(id, holder)
        .select(Subscription::as_select())
        .first(conn)
        .optional()?)
}

type Leased<'a> = diesel::dsl::Filter<
    diesel::dsl::Find<subscriptions::table, SubscriptionId>,
    diesel::dsl::Eq<subscriptions::lease_holder, &'a str>,
>;

fn leased(id: SubscriptionId, holder: &str) -> Leased<'_> {
    subscriptions::table
        .find(id)
        .filter(subscriptions::lease_holder.eq(holder))
}
