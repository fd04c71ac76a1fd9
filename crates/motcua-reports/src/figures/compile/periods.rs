//! The per-period section: Biểu 06 and the QĐ 766 indicators of the unit, checked against those
//! of the units below it where a level starts, and the level rates made from them.

use std::collections::BTreeMap;

use futures_util::{StreamExt, TryStreamExt};
use motcua_core::form06::{Form06Columns, Indicators};
use motcua_core::period::Period;
use motcua_core::record_ids::UnitId;

use super::tree::COMMUNE;
use super::Compilation;
use crate::client::{ClientError, Fetched, Form06, ResultsClient};
use crate::figures::model::{
    FieldRow, LevelForm06, LevelRates, PeriodForm06, PeriodIndicators, Rate,
};
use crate::figures::rules::{check_commune_sum, CompileError};

/// Requests to the results service in flight at once while reading the units' statistics.
const CONCURRENT_REQUESTS: usize = 6;

/// The figures of every period, in the order asked.
#[derive(Debug, Default)]
pub(super) struct PeriodFigures {
    /// The counting rule of Biểu 06, as the results service states it (the last period's).
    pub counting_rule: String,
    pub form06: Vec<PeriodForm06>,
    pub indicators: Vec<PeriodIndicators>,
    pub level_rates: Vec<LevelRates>,
}

/// Biểu 06 and the indicators of one unit for one period.
type UnitStatistics = (UnitId, Fetched<Form06>, Fetched<Indicators>);

/// Both statistics of one unit, read at once.
async fn unit_statistics(
    client: &ResultsClient,
    unit: UnitId,
    period: &Period,
) -> Result<UnitStatistics, ClientError> {
    let (form, indicators) =
        futures_util::try_join!(client.form06(unit, period), client.indicators(unit, period))?;
    Ok((unit, form, indicators))
}

pub(super) async fn compile(c: &mut Compilation<'_>) -> Result<PeriodFigures, CompileError> {
    let boundaries = c.tree.boundaries();
    let below: Vec<UnitId> = boundaries
        .iter()
        .copied()
        .filter(|b| *b != c.unit)
        .collect();
    // Every unit of every period is read a few at a time (a district has about twenty units
    // below it, each answered in milliseconds); `buffered` keeps the answers in the order asked,
    // so the sources and the figures do not depend on which answer came first.
    let client = c.client;
    let asked = c.periods.iter().flat_map(|period| {
        std::iter::once(c.unit)
            .chain(below.iter().copied())
            .map(move |unit| unit_statistics(client, unit, period))
    });
    let mut answers = futures_util::stream::iter(asked)
        .buffered(CONCURRENT_REQUESTS)
        .try_collect::<Vec<_>>()
        .await?
        .into_iter();
    let mut figures = PeriodFigures::default();
    let root_level = c.tree.level(c.unit);
    for (period, label) in c.periods.iter().zip(c.labels.clone()) {
        let mut counts: BTreeMap<UnitId, RateCounts> = BTreeMap::new();
        let mut communes = Vec::new();
        let mut form = None;
        let mut found = None;
        for (id, sub_form, sub_indicators) in answers.by_ref().take(below.len() + 1) {
            let sub_form = c.keep(sub_form);
            let sub_indicators = c.keep(sub_indicators);
            counts.insert(id, RateCounts::of(&sub_indicators));
            if id == c.unit {
                form = Some(sub_form);
                found = Some(sub_indicators);
            } else if c.tree.level(id) == COMMUNE {
                let name = c
                    .tree
                    .units
                    .get(&id)
                    .map(|u| u.name.clone())
                    .unwrap_or_default();
                communes.push((name, level_total(&sub_form, COMMUNE)));
            }
        }
        let (Some(form), Some(found)) = (form, found) else {
            return Err(CompileError::Invalid(format!(
                "no statistics of unit {} for {label}",
                c.unit
            )));
        };
        figures.counting_rule.clone_from(&form.rule);
        if root_level != COMMUNE {
            check_commune_sum(&label, &level_total(&form, COMMUNE), &communes)?;
        }
        // Each boundary's own region: its subtree minus the boundaries right below it.
        let mut by_level: BTreeMap<&str, RateCounts> = BTreeMap::new();
        for id in &boundaries {
            let mut own = counts.get(id).copied().unwrap_or_default();
            for child in &below {
                if c.tree.boundary_above(*child, &boundaries) == Some(*id) {
                    own.add(&counts.get(child).copied().unwrap_or_default(), -1);
                }
            }
            by_level.entry(c.tree.level(*id)).or_default().add(&own, 1);
        }
        for level in &form.levels {
            let rates = by_level
                .get(level.level.as_str())
                .copied()
                .unwrap_or_default()
                .0;
            figures.level_rates.push(LevelRates {
                period: label.clone(),
                level: level.level.clone(),
                digitisation: Rate::new(rates[0], rates[1]),
                electronic_result: Rate::new(rates[2], rates[3]),
                digitised_result: Rate::new(rates[4], rates[5]),
                reuse: Rate::new(rates[6], rates[7]),
            });
        }
        figures
            .form06
            .push(level_form(&form, &label, period.first_day, period.last_day));
        figures.indicators.push(PeriodIndicators {
            period: label,
            indicators: found.indicators,
        });
    }
    Ok(figures)
}

/// The counts behind the level rates, for one unit subtree.
#[derive(Debug, Clone, Copy, Default)]
struct RateCounts([i64; 8]);

impl RateCounts {
    fn of(indicators: &Indicators) -> Self {
        let find = |key: &str| {
            indicators
                .indicators
                .iter()
                .find(|i| i.key == key)
                .map_or((0, 0), |i| (i.numerator, i.denominator))
        };
        let (dn, dd) = find("digitisation_rate");
        let (en, ed) = find("electronic_result_rate");
        let (rn, rd) = find("result_digitisation_rate");
        let (un, ud) = find("reuse_rate");
        Self([dn, dd, en, ed, rn, rd, un, ud])
    }

    fn add(&mut self, other: &Self, sign: i64) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += sign * b;
        }
    }
}

fn level_form(
    form: &Form06,
    period: &str,
    first_day: chrono::NaiveDate,
    last_day: chrono::NaiveDate,
) -> PeriodForm06 {
    PeriodForm06 {
        period: period.to_owned(),
        first_day,
        last_day,
        levels: form
            .levels
            .iter()
            .map(|level| LevelForm06 {
                level: level.level.clone(),
                fields: form
                    .rows
                    .iter()
                    .filter(|r| r.level == level.level)
                    .map(|r| FieldRow {
                        field: r.field.clone(),
                        columns: r.columns,
                    })
                    .collect(),
                total: level.columns,
            })
            .collect(),
        total: form.total,
    }
}

fn level_total(form: &Form06, level: &str) -> Form06Columns {
    form.levels
        .iter()
        .find(|l| l.level == level)
        .map(|l| l.columns)
        .unwrap_or_default()
}
