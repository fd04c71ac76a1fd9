//! The catalogue section: online public service offered at each level of the unit's subtree,
//! checked against the QĐ 766 indicators of every period.

use std::collections::BTreeSet;

use super::tree::COMMUNE;
use super::Compilation;
use crate::client::ProcedureFilter;
use crate::figures::model::{OnlineCoverage, OnlineCoverageTable, PeriodIndicators};
use crate::figures::rules::{self, violation, CompileError};

pub(super) async fn online_coverage(
    c: &mut Compilation<'_>,
    indicators: &[PeriodIndicators],
) -> Result<OnlineCoverageTable, CompileError> {
    let fetched = c.client.procedures(&ProcedureFilter::default()).await?;
    let catalogue = c.keep(fetched);
    let tree = &c.tree;
    let levels: BTreeSet<&str> = tree.subtree.iter().map(|id| tree.level(*id)).collect();
    let mut coverage_levels = Vec::new();
    let mut non_boundary = BTreeSet::new();
    for level in ["province", "district", COMMUNE] {
        if !levels.contains(level) {
            continue;
        }
        let at_level: Vec<_> = catalogue
            .iter()
            .filter(|p| p.current && p.levels.iter().any(|l| l == level))
            .collect();
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let procedures = count(at_level.len());
        let online = count(at_level.iter().filter(|p| p.is_online()).count());
        let boundary_free: Vec<_> = at_level.iter().filter(|p| p.non_boundary).collect();
        non_boundary.extend(boundary_free.iter().map(|p| p.id));
        coverage_levels.push(OnlineCoverage {
            level: level.to_owned(),
            procedures,
            online,
            rate_percent: motcua_core::percent::value(online, procedures),
            non_boundary: count(boundary_free.len()),
        });
    }
    for period in indicators {
        for level in &coverage_levels {
            let key = format!("online_service_coverage_{}", level.level);
            if let Some(i) = period.indicators.iter().find(|i| i.key == key) {
                if (i.numerator, i.denominator) != (level.online, level.procedures) {
                    return Err(violation(
                        rules::ONLINE_COVERAGE,
                        format!(
                            "{} {key}: indicator {}/{}, catalogue {}/{}",
                            period.period,
                            i.numerator,
                            i.denominator,
                            level.online,
                            level.procedures
                        ),
                    ));
                }
            }
        }
    }
    Ok(OnlineCoverageTable {
        procedures: coverage_levels.iter().map(|l| l.procedures).sum(),
        online: coverage_levels.iter().map(|l| l.online).sum(),
        non_boundary: i64::try_from(non_boundary.len()).unwrap_or(i64::MAX),
        levels: coverage_levels,
    })
}
