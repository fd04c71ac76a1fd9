//! The unit scope of API keys, read from this service's unit tree; authentication itself is
//! shared (`motcua_web::auth`).

use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_db::officials::{self, Official};
use motcua_db::{units, DbConnection, DbError};
pub use motcua_web::auth::*;

use motcua_web::error::ApiError;

/// What a key limited to a unit subtree may reach.
pub trait UnitScope {
    fn require_unit(&self, conn: &mut DbConnection, unit: UnitId) -> Result<(), ApiError>;
    fn require_official(
        &self,
        conn: &mut DbConnection,
        official: OfficialId,
        field: &str,
    ) -> Result<Official, ApiError>;
    fn require_tree_change(&self, what: &str) -> Result<(), ApiError>;
    fn listed_units(
        &self,
        conn: &mut DbConnection,
        unit: Option<UnitId>,
        under: Option<UnitId>,
    ) -> Result<Option<Vec<UnitId>>, ApiError>;
    fn visible_units(
        &self,
        conn: &mut DbConnection,
        under: Option<UnitId>,
    ) -> Result<Option<Vec<UnitId>>, ApiError>;
}

impl UnitScope for Principal {
    /// Refuses with 403 when the key is limited to a subtree that does not contain `unit`.
    fn require_unit(&self, conn: &mut DbConnection, unit: UnitId) -> Result<(), ApiError> {
        match self.unit {
            Some(root) if !units::is_within(conn, root, unit)? => {
                Err(ApiError::Forbidden(format!(
                "this key is limited to unit {root} and the units below it; unit {unit} is outside"
            )))
            }
            _ => Ok(()),
        }
    }

    /// The official a request names in `field`, if the caller may name them: a known, active
    /// official (422 on `field` otherwise) within the key's unit subtree (403 otherwise, as for
    /// any record outside it).
    fn require_official(
        &self,
        conn: &mut DbConnection,
        official: OfficialId,
        field: &str,
    ) -> Result<Official, ApiError> {
        let found = officials::find(conn, official).map_err(|error| match error {
            DbError::NotFound => {
                ApiError::invalid(field, "refers to an official who does not exist")
            }
            other => other.into(),
        })?;
        if !found.active {
            return Err(ApiError::invalid(
                field,
                format!("official {official} is no longer active"),
            ));
        }
        self.require_unit(conn, found.unit_id).map_err(|_| {
            ApiError::Forbidden(format!(
                "`{field}`: official {official} works at unit {}, outside the unit subtree this \
                 key is limited to",
                found.unit_id
            ))
        })?;
        Ok(found)
    }

    /// Refuses with 403 a change of the unit tree's structure (parents, merges) by a key limited
    /// to a unit: such a key could otherwise detach its own subtree from the units above it, and
    /// from their statistics.
    fn require_tree_change(&self, what: &str) -> Result<(), ApiError> {
        match self.unit {
            Some(root) => Err(ApiError::Forbidden(format!(
                "a key limited to a unit ({root}) cannot change the unit tree: {what}"
            ))),
            None => Ok(()),
        }
    }

    /// The units a list filtered by `unit` (that unit only) or `under` (a subtree) covers for the
    /// caller: `None` means all.
    fn listed_units(
        &self,
        conn: &mut DbConnection,
        unit: Option<UnitId>,
        under: Option<UnitId>,
    ) -> Result<Option<Vec<UnitId>>, ApiError> {
        match unit {
            Some(unit) => {
                self.require_unit(conn, unit)?;
                Ok(Some(vec![unit]))
            }
            None => self.visible_units(conn, under),
        }
    }

    /// The units the caller may see below `under` (or below its own unit): `None` means all.
    fn visible_units(
        &self,
        conn: &mut DbConnection,
        under: Option<UnitId>,
    ) -> Result<Option<Vec<UnitId>>, ApiError> {
        match (under, self.unit) {
            (Some(under), _) => {
                self.require_unit(conn, under)?;
                Ok(Some(units::subtree(conn, under)?))
            }
            (None, Some(root)) => Ok(Some(units::subtree(conn, root)?)),
            (None, None) => Ok(None),
        }
    }
}
