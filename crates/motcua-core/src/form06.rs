//! Biểu 06/VPCP/KSTT and the QĐ 766 indicators as the results service answers them: the 13
//! columns, the form's own arithmetic between them, and the scoring of an indicator. The results
//! service computes with these types; the report service reads them back and re-checks the same
//! rules, so each rule is stated once, here.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::period::Period;
use crate::record_ids::UnitId;
use crate::unit::Level;

/// The names of the form's rules between the columns of one row, as the form states them.
pub mod rules {
    pub const TOTAL: &str = "(3) = (4) + (5) + (6)";
    pub const DIRECT_POSTAL: &str = "(5) = direct + postal";
    pub const RESOLVED: &str = "(7) = (8) + (9) + (10)";
    pub const IN_PROGRESS: &str = "(11) = (12) + (13)";
    pub const BALANCE: &str = "(3) = (7) + (11)";
    pub const NON_NEGATIVE: &str = "no negative figure";
}

/// The 13 columns of Biểu 06, with the three channels kept apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Form06Columns {
    /// (3) dossiers to resolve: (4) + (5) + (6).
    pub total: i64,
    /// (4) new, received online.
    pub new_online: i64,
    /// (5) new, received directly or by post.
    pub new_direct_postal: i64,
    // Of (5): received directly (left out of the results service's schema).
    pub new_direct: i64,
    // Of (5): received by post (left out of the results service's schema).
    pub new_postal: i64,
    /// (6) carried over from the previous period.
    pub carried_over: i64,
    /// (7) resolved: (8) + (9) + (10).
    pub resolved: i64,
    /// (8) resolved before the due date.
    pub resolved_early: i64,
    /// (9) resolved on the due date.
    pub resolved_on_time: i64,
    /// (10) resolved after the due date.
    pub resolved_late: i64,
    /// (11) in progress at the end of the period: (12) + (13).
    pub in_progress: i64,
    /// (12) in progress, within the due date.
    pub within_due: i64,
    /// (13) in progress, overdue.
    pub overdue: i64,
}

impl Form06Columns {
    /// The columns from what they are made of: the sums follow from the parts.
    pub fn from_parts(
        carried_over: i64,
        new: [i64; 3],
        resolved: [i64; 3],
        in_progress: i64,
        overdue: i64,
    ) -> Self {
        let [new_online, new_direct, new_postal] = new;
        let [resolved_early, resolved_on_time, resolved_late] = resolved;
        Self {
            total: carried_over + new_online + new_direct + new_postal,
            new_online,
            new_direct_postal: new_direct + new_postal,
            new_direct,
            new_postal,
            carried_over,
            resolved: resolved_early + resolved_on_time + resolved_late,
            resolved_early,
            resolved_on_time,
            resolved_late,
            in_progress,
            within_due: in_progress - overdue,
            overdue,
        }
    }

    /// Column-wise sum.
    pub fn add(&mut self, other: &Self) {
        self.total += other.total;
        self.new_online += other.new_online;
        self.new_direct_postal += other.new_direct_postal;
        self.new_direct += other.new_direct;
        self.new_postal += other.new_postal;
        self.carried_over += other.carried_over;
        self.resolved += other.resolved;
        self.resolved_early += other.resolved_early;
        self.resolved_on_time += other.resolved_on_time;
        self.resolved_late += other.resolved_late;
        self.in_progress += other.in_progress;
        self.within_due += other.within_due;
        self.overdue += other.overdue;
    }

    /// The column-wise sum of rows.
    pub fn sum<'a>(rows: impl IntoIterator<Item = &'a Self>) -> Self {
        let mut total = Self::default();
        for row in rows {
            total.add(row);
        }
        total
    }

    /// Every column in declaration order: (3), (4), (5), of (5) direct and postal, (6) to (13).
    pub fn values(&self) -> [i64; 13] {
        [
            self.total,
            self.new_online,
            self.new_direct_postal,
            self.new_direct,
            self.new_postal,
            self.carried_over,
            self.resolved,
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.in_progress,
            self.within_due,
            self.overdue,
        ]
    }

    /// The columns the form prints, (3) to (13), with (5) as one figure.
    pub fn printed(&self) -> [i64; 11] {
        let [total, online, direct_postal, _, _, rest @ ..] = self.values();
        let mut printed = [0; 11];
        printed[..3].copy_from_slice(&[total, online, direct_postal]);
        printed[3..].copy_from_slice(&rest);
        printed
    }

    /// New dossiers of the period: (4) + (5).
    pub fn new_total(&self) -> i64 {
        self.new_online + self.new_direct_postal
    }

    /// The first of the form's [`rules`] the row breaks, if any.
    pub fn broken_rule(&self) -> Option<&'static str> {
        let checks = [
            (
                rules::TOTAL,
                self.total == self.new_online + self.new_direct_postal + self.carried_over,
            ),
            (
                rules::DIRECT_POSTAL,
                self.new_direct_postal == self.new_direct + self.new_postal,
            ),
            (
                rules::RESOLVED,
                self.resolved == self.resolved_early + self.resolved_on_time + self.resolved_late,
            ),
            (
                rules::IN_PROGRESS,
                self.in_progress == self.within_due + self.overdue,
            ),
            (
                rules::BALANCE,
                self.total == self.resolved + self.in_progress,
            ),
        ];
        if let Some((rule, _)) = checks.iter().find(|(_, holds)| !holds) {
            return Some(rule);
        }
        let values = [
            self.carried_over,
            self.new_online,
            self.new_direct,
            self.new_postal,
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.within_due,
            self.overdue,
        ];
        values.iter().any(|v| *v < 0).then_some(rules::NON_NEGATIVE)
    }

    /// The form's own arithmetic; a table that breaks it is a bug, never a figure to print.
    pub fn check(&self) -> Result<(), String> {
        match self.broken_rule() {
            None => Ok(()),
            Some(rules::NON_NEGATIVE) => Err(format!("Biểu 06 has a negative figure: {self:?}")),
            Some(rule) => Err(format!("Biểu 06 invariant {rule} does not hold: {self:?}")),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Form06Row {
    pub level: Level,
    /// Field (lĩnh vực).
    pub field: String,
    pub columns: Form06Columns,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelTotal {
    pub level: Level,
    pub columns: Form06Columns,
}

/// How the figures were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// From the counters kept with every change (the normal way).
    #[default]
    Counters,
    /// Straight from the dossiers with one GROUP BY (the reference, slower).
    Raw,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Form06 {
    pub unit_id: UnitId,
    pub period: Period,
    pub method: Method,
    pub rule: String,
    /// By level, then field.
    pub rows: Vec<Form06Row>,
    pub levels: Vec<LevelTotal>,
    pub total: Form06Columns,
}

/// One QĐ 766 indicator: a rate and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Indicator {
    pub key: String,
    pub name: String,
    pub numerator: i64,
    pub denominator: i64,
    /// Percent, two decimals rounded once from the counts (`motcua_core::percent`); absent when
    /// the denominator is zero.
    pub rate_percent: Option<f64>,
    /// Percent; `None` when the score is proportional to the rate.
    pub target_percent: Option<f64>,
    pub max_points: f64,
    /// P_max if rate ≥ target, else rate × P_max ÷ target (or rate × P_max without a target).
    pub score: Option<f64>,
}

impl Indicator {
    /// The indicator of `numerator` out of `denominator`, rated and scored.
    pub fn new(
        key: &str,
        name: &str,
        numerator: i64,
        denominator: i64,
        target_percent: Option<f64>,
        max_points: f64,
    ) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let rate = (denominator > 0).then(|| numerator as f64 * 100.0 / denominator as f64);
        let score = rate.map(|rate| match target_percent {
            Some(target) if rate >= target => max_points,
            Some(target) => rate * max_points / target,
            None => rate * max_points / 100.0,
        });
        let round = |v: f64| (v * 100.0).round() / 100.0;
        Self {
            key: key.into(),
            name: name.into(),
            numerator,
            denominator,
            // Printed rates follow the one rounding rule, from the counts.
            rate_percent: crate::percent::value(numerator, denominator),
            target_percent,
            max_points,
            score: score.map(round),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Indicators {
    pub unit_id: UnitId,
    pub period: Period,
    pub indicators: Vec<Indicator>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn columns_from_parts_hold_every_rule() {
        let c = Form06Columns::from_parts(2, [3, 4, 5], [1, 2, 3], 8, 3);
        assert_eq!(c.broken_rule(), None);
        assert_eq!(c.total, 14);
        assert_eq!(c.new_total(), 12);
        assert_eq!(c.within_due, 5);
        assert_eq!(c.values(), [14, 3, 9, 4, 5, 2, 6, 1, 2, 3, 8, 5, 3]);
        assert_eq!(c.printed(), [14, 3, 9, 2, 6, 1, 2, 3, 8, 5, 3]);
        assert_eq!(Form06Columns::sum([&c, &c]).total, 28);
    }

    #[test]
    fn each_rule_is_named() {
        let good = Form06Columns::from_parts(2, [3, 4, 5], [1, 2, 3], 8, 3);
        let broken = |edit: fn(&mut Form06Columns)| {
            let mut c = good;
            edit(&mut c);
            c.broken_rule()
        };
        assert_eq!(broken(|c| c.total += 1), Some(rules::TOTAL));
        assert_eq!(broken(|c| c.new_direct += 1), Some(rules::DIRECT_POSTAL));
        assert_eq!(broken(|c| c.resolved_late += 1), Some(rules::RESOLVED));
        assert_eq!(broken(|c| c.overdue += 1), Some(rules::IN_PROGRESS));
        assert_eq!(
            broken(|c| {
                c.resolved += 1;
                c.resolved_late += 1;
            }),
            Some(rules::BALANCE)
        );
        assert_eq!(
            broken(|c| {
                c.within_due -= 6;
                c.overdue += 6;
            }),
            Some(rules::NON_NEGATIVE)
        );
        assert!(good.check().is_ok());
        let negative = Form06Columns::from_parts(0, [1, 0, 0], [0, 0, 0], 1, 2);
        assert!(negative.check().unwrap_err().contains("negative"));
    }

    #[test]
    fn indicators_score_against_their_target() {
        let i = Indicator::new("k", "n", 1, 3, Some(50.0), 6.0);
        assert_eq!(i.rate_percent, Some(33.33));
        assert_eq!(i.score, Some(4.0));
        assert_eq!(Indicator::new("k", "n", 0, 0, None, 6.0).score, None);
    }
}
