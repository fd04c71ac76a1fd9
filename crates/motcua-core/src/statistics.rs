//! What each dossier contributes to the statistics (Biểu 06/VPCP/KSTT and the QĐ 766
//! indicators), as counters per day. Every figure of a report is a sum of these counters, and the
//! same rule feeds the counters kept up to date on every change and the rebuild from scratch.
//!
//! With R = received, S = resolved, for a period from day A to day B:
//! - carried over (6) = R before A − S before A;
//! - new (4), (5) = R within the period, by channel;
//! - resolved (7)–(10) = S within the period, by [`Resolution`];
//! - in progress (11) = R up to B − S up to B;
//! - overdue (13) = dossiers due on or before C and not resolved by B, where C is
//!   [`overdue_through`] (B once the period has ended, the day before today while it runs)
//!   = `due` up to C − `due_met` up to C − `resolved_after_due` up to B, where `due_met` counts,
//!   on the due day, dossiers resolved on or before it, and `resolved_after_due` counts, on the
//!   resolution day, dossiers resolved after their due day. A dossier whose deadline is paused
//!   (waiting for a supplement or a payment) has no due day and is never overdue.

use chrono::NaiveDate;

use crate::dossier::{Channel, Rating, Resolution};

crate::text_enum! {
    /// A daily counter of dossiers.
    pub enum Metric {
        ReceivedOnline = "received_online",
        ReceivedDirect = "received_direct",
        ReceivedPostal = "received_postal",
        ResolvedEarly = "resolved_early",
        ResolvedOnTime = "resolved_on_time",
        ResolvedLate = "resolved_late",
        /// Keyed by the due day.
        Due = "due",
        /// Keyed by the due day: resolved on or before it.
        DueMet = "due_met",
        /// Keyed by the resolution day: resolved after the due day.
        ResolvedAfterDue = "resolved_after_due",
        /// Keyed by the reception day: every component digitised at reception.
        Digitised = "digitised",
        /// Keyed by the reception day: at least one component reused from stored data.
        Reused = "reused",
        /// Keyed by the resolution day: resolved with a result (not withdrawn, not stopped).
        ResultIssued = "result_issued",
        /// Keyed by the resolution day: an electronic result was issued.
        ElectronicResult = "electronic_result",
        /// Keyed by the resolution day: the dossier and its result are both digitised (every
        /// component digitised at reception and an electronic result), see [`digitised_result`].
        DigitisedResult = "digitised_result",
        /// Keyed by the day the result was handed over.
        RatedSatisfied = "rated_satisfied",
        RatedNormal = "rated_normal",
        RatedUnsatisfied = "rated_unsatisfied",
    }
}

impl Metric {
    pub fn received(channel: Channel) -> Self {
        match channel {
            Channel::Online => Self::ReceivedOnline,
            Channel::Direct => Self::ReceivedDirect,
            Channel::Postal => Self::ReceivedPostal,
        }
    }

    pub fn resolved(resolution: Resolution) -> Self {
        match resolution {
            Resolution::Early => Self::ResolvedEarly,
            Resolution::OnTime => Self::ResolvedOnTime,
            Resolution::Late => Self::ResolvedLate,
        }
    }

    pub fn rated(rating: Rating) -> Self {
        match rating {
            Rating::Satisfied => Self::RatedSatisfied,
            Rating::Normal => Self::RatedNormal,
            Rating::Unsatisfied => Self::RatedUnsatisfied,
        }
    }
}

/// The last due day that makes a dossier still open at the end of a period overdue, for a period
/// ending on `last_day`, as of `today` (Vietnam calendar days).
///
/// Once the period has ended, that is its last day. While it runs, it is the day before today: a
/// dossier due later in the period is not late yet, and one due today can still be resolved on
/// its due day, which counts as on time (days are compared by calendar day).
pub fn overdue_through(last_day: NaiveDate, today: NaiveDate) -> NaiveDate {
    last_day.min(today.pred_opt().unwrap_or(today))
}

/// The facts of one dossier that the statistics depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DossierFacts {
    pub channel: Channel,
    pub received_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub resolution: Option<Resolution>,
    pub returned_on: Option<NaiveDate>,
    pub digitised: bool,
    pub reused: bool,
    pub electronic_result: bool,
    /// Resolved with a result (`releasing`, then `done`); a withdrawn or stopped dossier is
    /// resolved without one.
    pub with_result: bool,
    pub rating: Option<Rating>,
}

/// A resolved dossier counts as "số hóa hồ sơ, kết quả giải quyết" when both ends are digital:
/// every component was digitised at reception and the result was issued electronically (a paper
/// result is not digitised by the system, so it does not count).
pub fn digitised_result(facts: &DossierFacts) -> bool {
    facts.resolved_on.is_some()
        && facts.resolution.is_some()
        && facts.digitised
        && facts.electronic_result
}

/// The counters a dossier in this state adds to, one each.
pub fn contributions(facts: &DossierFacts) -> Vec<(NaiveDate, Metric)> {
    let Some(received) = facts.received_on else {
        return Vec::new();
    };
    let mut out = vec![(received, Metric::received(facts.channel))];
    if facts.digitised {
        out.push((received, Metric::Digitised));
    }
    if facts.reused {
        out.push((received, Metric::Reused));
    }
    if let Some(due) = facts.due_on {
        out.push((due, Metric::Due));
    }
    if let (Some(resolved), Some(resolution)) = (facts.resolved_on, facts.resolution) {
        out.push((resolved, Metric::resolved(resolution)));
        if facts.with_result {
            out.push((resolved, Metric::ResultIssued));
        }
        if facts.electronic_result {
            out.push((resolved, Metric::ElectronicResult));
        }
        if digitised_result(facts) {
            out.push((resolved, Metric::DigitisedResult));
        }
        match facts.due_on {
            Some(due) if resolved <= due => out.push((due, Metric::DueMet)),
            Some(_) => out.push((resolved, Metric::ResolvedAfterDue)),
            None => {}
        }
    }
    if let (Some(returned), Some(rating)) = (facts.returned_on, facts.rating) {
        out.push((returned, Metric::rated(rating)));
    }
    out
}

/// The change of counters when a dossier goes from `before` (None: it did not exist) to `after`.
pub fn delta(before: Option<&DossierFacts>, after: &DossierFacts) -> Vec<(NaiveDate, Metric, i64)> {
    let mut changes: Vec<(NaiveDate, Metric, i64)> = Vec::new();
    let mut add = |day: NaiveDate, metric: Metric, n: i64| match changes
        .iter_mut()
        .find(|(d, m, _)| *d == day && *m == metric)
    {
        Some(entry) => entry.2 += n,
        None => changes.push((day, metric, n)),
    };
    for (day, metric) in before.map(contributions).unwrap_or_default() {
        add(day, metric, -1);
    }
    for (day, metric) in contributions(after) {
        add(day, metric, 1);
    }
    changes.retain(|(_, _, n)| *n != 0);
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
    }

    fn received() -> DossierFacts {
        DossierFacts {
            channel: Channel::Online,
            received_on: Some(day(1)),
            due_on: Some(day(10)),
            resolved_on: None,
            resolution: None,
            returned_on: None,
            digitised: true,
            reused: false,
            electronic_result: false,
            with_result: false,
            rating: None,
        }
    }

    #[test]
    fn not_received_counts_nothing() {
        let facts = DossierFacts {
            received_on: None,
            ..received()
        };
        assert!(contributions(&facts).is_empty());
    }

    #[test]
    fn resolution_moves_counters() {
        let before = received();
        let after = DossierFacts {
            resolved_on: Some(day(12)),
            resolution: Some(Resolution::Late),
            ..before
        };
        let mut changes = delta(Some(&before), &after);
        changes.sort();
        assert_eq!(
            changes,
            vec![
                (day(12), Metric::ResolvedLate, 1),
                (day(12), Metric::ResolvedAfterDue, 1)
            ]
        );
    }

    #[test]
    fn a_digitised_result_needs_a_digitised_dossier_and_an_electronic_result() {
        let resolved = DossierFacts {
            resolved_on: Some(day(5)),
            resolution: Some(Resolution::Early),
            electronic_result: true,
            ..received()
        };
        assert!(digitised_result(&resolved));
        assert!(contributions(&resolved).contains(&(day(5), Metric::DigitisedResult)));
        let paper = DossierFacts {
            electronic_result: false,
            ..resolved
        };
        assert!(!digitised_result(&paper));
        let scanned_late = DossierFacts {
            digitised: false,
            ..resolved
        };
        assert!(!digitised_result(&scanned_late));
        let open = DossierFacts {
            electronic_result: true,
            ..received()
        };
        assert!(!digitised_result(&open), "no result yet");
    }

    #[test]
    fn only_a_dossier_resolved_with_a_result_counts_as_a_result_issued() {
        let released = DossierFacts {
            resolved_on: Some(day(5)),
            resolution: Some(Resolution::Early),
            with_result: true,
            ..received()
        };
        assert!(contributions(&released).contains(&(day(5), Metric::ResultIssued)));
        let withdrawn = DossierFacts {
            with_result: false,
            ..released
        };
        assert!(!contributions(&withdrawn).contains(&(day(5), Metric::ResultIssued)));
        assert!(contributions(&withdrawn).contains(&(day(5), Metric::ResolvedEarly)));
    }

    #[test]
    fn overdue_in_a_running_period_means_due_before_today() {
        assert_eq!(overdue_through(day(31), day(4)), day(3), "running");
        assert_eq!(overdue_through(day(31), day(31)), day(30), "its last day");
        let april = NaiveDate::from_ymd_opt(2024, 4, 2).unwrap();
        assert_eq!(overdue_through(day(31), april), day(31), "ended");
    }

    #[test]
    fn pausing_removes_the_due_day() {
        let before = received();
        let paused = DossierFacts {
            due_on: None,
            ..before
        };
        assert_eq!(
            delta(Some(&before), &paused),
            vec![(day(10), Metric::Due, -1)]
        );
        assert_eq!(delta(Some(&before), &before), vec![]);
    }
}
