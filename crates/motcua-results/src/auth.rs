//! The unit scope of API keys, read from this service's unit tree; authentication itself is
//! shared (`motcua_web::auth`).

use motcua_core::ids::UnitId;
use motcua_db::{units, DbConnection};
pub use motcua_web::auth::*;

use crate::error::ApiError;

/// What a key limited to a unit subtree may reach.
pub trait UnitScope {
    fn require_unit(&self, conn: &mut DbConnection, unit: UnitId) -> Result<(), ApiError>;
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
