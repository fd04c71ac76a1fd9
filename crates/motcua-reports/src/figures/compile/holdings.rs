//! The sections of what the unit's subtree holds today: certificates and staff.

use std::collections::BTreeSet;

use motcua_core::record_ids::UnitId;

use super::tree::is_commune_level;
use super::Compilation;
use crate::figures::model::{
    coverage, AgencyStaff, CertificateFigures, StaffRow, Staffing, TitledStaff,
};
use crate::figures::rules::CompileError;

/// Certificates held, with the commune desks counted apart.
pub(super) async fn certificates(
    c: &mut Compilation<'_>,
) -> Result<CertificateFigures, CompileError> {
    let fetched = c.client.certificate_coverage(c.unit).await?;
    let held = c.keep(fetched);
    let today = held.at.date_naive();
    let commune_desks: Vec<UnitId> = c
        .listed
        .iter()
        .filter(|u| {
            is_commune_level(&u.kind)
                && u.valid_from <= today
                && u.valid_to.is_none_or(|d| d >= today)
        })
        .map(|u| u.id)
        .collect();
    let uncovered: BTreeSet<UnitId> = held.uncovered_desks.iter().map(|d| d.unit_id).collect();
    let covered_communes = commune_desks
        .iter()
        .filter(|id| !uncovered.contains(id))
        .count();
    Ok(CertificateFigures {
        officials: held.officials,
        desk_staff: held.desk_staff,
        desks: held.desks,
        commune_desks: coverage(covered_communes, commune_desks.len()),
    })
}

/// The staffing appendix: communes first, then the other desks.
pub(super) async fn staffing(c: &mut Compilation<'_>) -> Result<Staffing, CompileError> {
    let fetched = c.client.staffing(c.unit).await?;
    let table = c.keep(fetched);
    let tree = &c.tree;
    let is_commune = |id: UnitId| {
        tree.units
            .get(&id)
            .is_some_and(|u| is_commune_level(&u.kind))
    };
    let (mut ordered, others): (Vec<_>, Vec<_>) =
        table.rows.into_iter().partition(|r| is_commune(r.unit_id));
    ordered.extend(others);
    Ok(Staffing {
        rows: ordered
            .into_iter()
            .zip(1u32..)
            .map(|(r, ordinal)| StaffRow {
                ordinal,
                unit_id: r.unit_id,
                unit_code: r.unit_code,
                unit_kind: tree
                    .units
                    .get(&r.unit_id)
                    .map(|u| u.kind.clone())
                    .unwrap_or_default(),
                unit_name: r.unit_name,
                total: r.total,
                own_staff: r.own_staff,
                agency_sent: r.agency_sent,
                by_agency: r
                    .by_agency
                    .into_iter()
                    .map(|a| AgencyStaff {
                        agency: a.agency,
                        count: a.count,
                    })
                    .collect(),
                own_by_title: r
                    .own_by_title
                    .into_iter()
                    .map(|t| TitledStaff {
                        title: t.title,
                        count: t.count,
                    })
                    .collect(),
            })
            .collect(),
        total: table.total,
        own_staff: table.own_staff,
        agency_sent: table.agency_sent,
    })
}
