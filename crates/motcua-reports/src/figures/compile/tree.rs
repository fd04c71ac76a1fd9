//! The unit tree a report is compiled over, and the level each unit counts at.

use std::collections::BTreeMap;

use motcua_core::record_ids::UnitId;
use motcua_core::unit::{Level, UnitKind};

use crate::client::Unit;
use crate::figures::model::UnitRef;

/// Deepest unit tree walked (parent chains, levels).
pub(super) const MAX_DEPTH: usize = 64;

pub(super) const COMMUNE: &str = "commune";

/// The level a unit of this kind counts at by itself (core's rule); none for desks, other
/// bodies and kinds this version does not know.
fn own_level(kind: &str) -> Option<Level> {
    kind.parse::<UnitKind>().ok().and_then(UnitKind::own_level)
}

/// A commune-level unit (xã, phường, thị trấn).
pub(super) fn is_commune_level(kind: &str) -> bool {
    own_level(kind) == Some(Level::Commune)
}

/// The unit tree as read: the subtree and the parent chain.
pub(super) struct Tree {
    pub(super) units: BTreeMap<UnitId, Unit>,
    /// Ids of the subtree (the root included), in the service's order.
    pub(super) subtree: Vec<UnitId>,
    pub(super) root: UnitId,
}

impl Tree {
    /// The level of Biểu 06 a unit counts at: the results service's rule.
    pub(super) fn level(&self, id: UnitId) -> &'static str {
        let mut current = self.units.get(&id);
        for _ in 0..MAX_DEPTH {
            let Some(unit) = current else {
                return "province";
            };
            match own_level(&unit.kind) {
                Some(level) => return level.as_str(),
                None => current = unit.parent_id.and_then(|p| self.units.get(&p)),
            }
        }
        "province"
    }

    pub(super) fn in_subtree(&self, id: UnitId) -> bool {
        self.subtree.contains(&id)
    }

    /// The unit a unit's records roll up to within the subtree: the unit it was merged into,
    /// else its parent; none for the root.
    pub(super) fn region_parent(&self, id: UnitId) -> Option<UnitId> {
        if id == self.root {
            return None;
        }
        let unit = self.units.get(&id)?;
        unit.merged_into_id
            .filter(|m| *m != id && self.in_subtree(*m))
            .or_else(|| unit.parent_id.filter(|p| self.in_subtree(*p)))
    }

    /// The units where a level starts: the root, and every unit whose level differs from the
    /// unit its records roll up to. In the service's order.
    pub(super) fn boundaries(&self) -> Vec<UnitId> {
        self.subtree
            .iter()
            .copied()
            .filter(|id| match self.region_parent(*id) {
                None => *id == self.root,
                Some(parent) => self.level(parent) != self.level(*id),
            })
            .collect()
    }

    /// The nearest boundary above a boundary (the root for the root's own children).
    pub(super) fn boundary_above(&self, id: UnitId, boundaries: &[UnitId]) -> Option<UnitId> {
        let mut current = self.region_parent(id);
        for _ in 0..MAX_DEPTH {
            let here = current?;
            if boundaries.contains(&here) {
                return Some(here);
            }
            current = self.region_parent(here);
        }
        Some(self.root)
    }

    pub(super) fn unit_ref(&self, unit: &Unit) -> UnitRef {
        UnitRef {
            id: unit.id,
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind.clone(),
            level: self.level(unit.id).to_owned(),
        }
    }
}
