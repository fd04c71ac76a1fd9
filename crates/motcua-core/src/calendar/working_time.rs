//! Working-time arithmetic for due dates (ngày hẹn trả), in Vietnam time.
//!
//! Instants come in and go out as UTC; every rule below reads them in Vietnam local time (UTC+7,
//! no daylight saving), because the working days are local dates.
//!
//! # Due time
//!
//! - **Effective start**: the received instant if its local date is a working day; otherwise the
//!   office opening time (default 07:30) of the next working day. A dossier received on a
//!   Saturday thus counts from Monday 07:30, while one submitted online at 22:00 on a working day
//!   counts from 22:00.
//! - **Due time for N working days** (N ≥ 1): the effective start's local clock time on the N-th
//!   working day after the effective start's day. Received Friday 10:00 with 3 working days: due
//!   Wednesday 10:00.
//! - **N = 0** (same-day procedures): the effective start's day at the office closing time
//!   (default 17:00), or the effective start itself if it is already past closing.
//!
//! # Working time
//!
//! Each working day counts its whole 24 hours and any other day counts nothing, so that N working
//! days are N × 24 h of working time. [`WorkingCalendar::working_duration`] measures the working
//! time between two instants and [`WorkingCalendar::advance`] adds working time to an instant.
//! From a start on a working day, advancing N × 24 h lands on the N-th next working day at the
//! same clock time, which is exactly the due time. When the working time runs out at the very end
//! of a working day, `advance` returns the start of the next working day (no working time passes
//! in between), so a deadline never lands on a day off.
//!
//! # Pausing (chờ bổ sung)
//!
//! While a dossier waits for the applicant to supplement it, its deadline stops:
//!
//! - on pause, the remaining time is `working_duration(paused_at, due)` (zero if already late);
//! - on resume, the new due time is `advance(effective start of resumed_at, remaining)`.
//!
//! A pause therefore moves the due time by the working time it lasted: two working days of
//! pause add two working days; a pause from Friday to Monday adds only Friday's and Monday's
//! working hours, not the weekend. [`WorkingCalendar::resume_due`] applies the rule.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::holidays::{working_in, HolidayCalendar, YearCalendar};
use super::CalendarError;

/// Vietnam's offset from UTC.
const VIETNAM_OFFSET: Duration = Duration::hours(7);
/// Office opening time by default (giờ hành chính).
pub const DEFAULT_OPENING: NaiveTime = hm(7, 30);
/// Office closing time by default.
pub const DEFAULT_CLOSING: NaiveTime = hm(17, 0);
/// How far to look for a working day before deciding the calendar has none (ten years).
const MAX_SEARCH_DAYS: u32 = 3660;
/// The longest span computed, about a century: far beyond any procedure, and it bounds the
/// day-by-day walks below.
pub const MAX_SPAN_DAYS: u32 = 36_600;

const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(time) => time,
        None => NaiveTime::MIN,
    }
}

/// A holiday calendar with office hours: computes due times in working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    holidays: HolidayCalendar,
    opening: NaiveTime,
    closing: NaiveTime,
}

impl WorkingCalendar {
    /// Office hours 07:30–17:00.
    pub fn new(holidays: HolidayCalendar) -> Self {
        Self {
            holidays,
            opening: DEFAULT_OPENING,
            closing: DEFAULT_CLOSING,
        }
    }

    /// [`HolidayCalendar::vietnam_defaults`] with office hours 07:30–17:00.
    pub fn vietnam_defaults() -> Result<Self, CalendarError> {
        HolidayCalendar::vietnam_defaults().map(Self::new)
    }

    pub fn with_office_hours(
        self,
        opening: NaiveTime,
        closing: NaiveTime,
    ) -> Result<Self, CalendarError> {
        if opening >= closing {
            return Err(CalendarError::InvalidOfficeHours { opening, closing });
        }
        Ok(Self {
            opening,
            closing,
            ..self
        })
    }

    pub fn holidays(&self) -> &HolidayCalendar {
        &self.holidays
    }

    pub fn opening_time(&self) -> NaiveTime {
        self.opening
    }

    pub fn closing_time(&self) -> NaiveTime {
        self.closing
    }

    /// Whether `date` (a local date) is a working day; see [`HolidayCalendar::is_working_day`].
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.holidays.is_working_day(date)
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.days().next_working_day(date)
    }

    /// The instant from which a dossier received at `received` is counted (see the module doc).
    pub fn effective_start(&self, received: DateTime<Utc>) -> Result<DateTime<Utc>, CalendarError> {
        let start = self.effective_start_local(&mut self.days(), to_local(received)?)?;
        to_utc(start)
    }

    /// The due time of a dossier received at `received` with `working_days` working days to
    /// process it (see the module doc). An error past [`MAX_SPAN_DAYS`] working days.
    pub fn due_time(
        &self,
        received: DateTime<Utc>,
        working_days: u32,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if working_days > MAX_SPAN_DAYS {
            return Err(CalendarError::OutOfRange);
        }
        let mut days = self.days();
        let start = self.effective_start_local(&mut days, to_local(received)?)?;
        if working_days == 0 {
            return to_utc(start.max(start.date().and_time(self.closing)));
        }
        let mut day = start.date();
        for _ in 0..working_days {
            day = days.next_working_day(day)?;
        }
        to_utc(day.and_time(start.time()))
    }

    /// The working time between `from` and `to`: the part of the interval that lies on working
    /// days. Zero when `to` is not after `from`; an error past [`MAX_SPAN_DAYS`].
    pub fn working_duration(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Duration, CalendarError> {
        if to <= from {
            return Ok(Duration::zero());
        }
        if to - from > Duration::days(MAX_SPAN_DAYS.into()) {
            return Err(CalendarError::OutOfRange);
        }
        let (from, to) = (to_local(from)?, to_local(to)?);
        let mut days = self.days();
        let mut total = Duration::zero();
        let mut day = from.date();
        while day <= to.date() {
            let next = day.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if days.is_working_day(day) {
                let start = from.max(day.and_time(NaiveTime::MIN));
                let end = to.min(next.and_time(NaiveTime::MIN));
                total += end - start;
            }
            day = next;
        }
        Ok(total)
    }

    /// The instant at which `working` time on working days has passed since `from`.
    ///
    /// A `from` on a day off starts counting at the next working day's midnight; when the time
    /// runs out at the end of a working day, the result is the next working day's midnight. An
    /// error past [`MAX_SPAN_DAYS`] of working time.
    pub fn advance(
        &self,
        from: DateTime<Utc>,
        working: Duration,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if working < Duration::zero() {
            return Err(CalendarError::NegativeDuration);
        }
        if working > Duration::days(MAX_SPAN_DAYS.into()) {
            return Err(CalendarError::OutOfRange);
        }
        let mut days = self.days();
        let local = to_local(from)?;
        let (mut day, mut position) = if days.is_working_day(local.date()) {
            (local.date(), local)
        } else {
            let day = days.next_working_day(local.date())?;
            (day, day.and_time(NaiveTime::MIN))
        };
        let mut remaining = working;
        loop {
            let end_of_day = day
                .succ_opt()
                .ok_or(CalendarError::OutOfRange)?
                .and_time(NaiveTime::MIN);
            let available = end_of_day - position;
            if remaining < available {
                return to_utc(position + remaining);
            }
            remaining -= available;
            day = days.next_working_day(day)?;
            position = day.and_time(NaiveTime::MIN);
        }
    }

    /// The due time after a pause (chờ bổ sung) from `paused_at` to `resumed_at` of a deadline
    /// that was `old_due` (see the module doc).
    pub fn resume_due(
        &self,
        paused_at: DateTime<Utc>,
        old_due: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, CalendarError> {
        if resumed_at < paused_at {
            return Err(CalendarError::ResumeBeforePause);
        }
        let remaining = self.working_duration(paused_at, old_due)?;
        self.advance(self.effective_start(resumed_at)?, remaining)
    }

    fn effective_start_local(
        &self,
        days: &mut WorkingDays<'_>,
        local: NaiveDateTime,
    ) -> Result<NaiveDateTime, CalendarError> {
        if days.is_working_day(local.date()) {
            Ok(local)
        } else {
            Ok(days.next_working_day(local.date())?.and_time(self.opening))
        }
    }

    fn days(&self) -> WorkingDays<'_> {
        WorkingDays {
            holidays: &self.holidays,
            year: None,
        }
    }
}

/// Walks the calendar day by day, keeping the current year's calendar so that a year without
/// data computes its statutory holidays once per walk rather than once per day.
struct WorkingDays<'a> {
    holidays: &'a HolidayCalendar,
    /// The year last looked at, and its calendar (`None` if it has none: weekly rest only).
    year: Option<(i32, Option<Cow<'a, YearCalendar>>)>,
}

impl WorkingDays<'_> {
    fn is_working_day(&mut self, date: NaiveDate) -> bool {
        let holidays = self.holidays;
        let (_, year) = match &mut self.year {
            Some(cached) if cached.0 == date.year() => cached,
            slot => slot.insert((date.year(), holidays.year(date.year()).ok())),
        };
        match year {
            Some(year) => working_in(holidays, year, date),
            None => !holidays.is_weekly_rest(date),
        }
    }

    fn next_working_day(&mut self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        for _ in 0..MAX_SEARCH_DAYS {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if self.is_working_day(day) {
                return Ok(day);
            }
        }
        Err(CalendarError::NoWorkingDayFound(MAX_SEARCH_DAYS))
    }
}

fn to_local(instant: DateTime<Utc>) -> Result<NaiveDateTime, CalendarError> {
    instant
        .naive_utc()
        .checked_add_signed(VIETNAM_OFFSET)
        .ok_or(CalendarError::OutOfRange)
}

fn to_utc(local: NaiveDateTime) -> Result<DateTime<Utc>, CalendarError> {
    local
        .checked_sub_signed(VIETNAM_OFFSET)
        .map(|utc| utc.and_utc())
        .ok_or(CalendarError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::holidays::{CalendarDay, YearCalendar};

    /// A Vietnam local time, as UTC.
    fn vn(y: i32, m: u32, d: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        let local = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap();
        to_utc(local).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::vietnam_defaults().unwrap()
    }

    #[test]
    fn friday_plus_three_is_wednesday() {
        let cal = calendar();
        let due = cal.due_time(vn(2025, 3, 7, 10, 0), 3).unwrap();
        assert_eq!(due, vn(2025, 3, 12, 10, 0));
        assert_eq!(to_local(due).unwrap().weekday(), chrono::Weekday::Wed);
    }

    #[test]
    fn saturday_counts_from_monday_opening() {
        let cal = calendar();
        let received = vn(2025, 3, 8, 14, 0);
        assert_eq!(
            cal.effective_start(received).unwrap(),
            vn(2025, 3, 10, 7, 30)
        );
        assert_eq!(cal.due_time(received, 3).unwrap(), vn(2025, 3, 13, 7, 30));
    }

    #[test]
    fn local_dates_decide() {
        let cal = calendar();
        // Sunday 20:00 UTC is Monday 03:00 in Vietnam: a working day, counted as received.
        let received = DateTime::parse_from_rfc3339("2025-03-09T20:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(cal.effective_start(received).unwrap(), received);
        assert_eq!(cal.due_time(received, 1).unwrap(), vn(2025, 3, 11, 3, 0));
    }

    #[test]
    fn same_day_procedures() {
        let cal = calendar();
        assert_eq!(
            cal.due_time(vn(2025, 3, 7, 10, 0), 0).unwrap(),
            vn(2025, 3, 7, 17, 0)
        );
        // Received after closing: due at once, never before receipt.
        assert_eq!(
            cal.due_time(vn(2025, 3, 7, 18, 0), 0).unwrap(),
            vn(2025, 3, 7, 18, 0)
        );
        assert_eq!(
            cal.due_time(vn(2025, 3, 8, 18, 0), 0).unwrap(),
            vn(2025, 3, 10, 17, 0)
        );
    }

    #[test]
    fn tet_2025_break_is_skipped() {
        let cal = calendar();
        // Friday 24/1; off 25/1–2/2; working days 3, 4, 5, 6, 7 February.
        assert_eq!(
            cal.due_time(vn(2025, 1, 24, 10, 0), 5).unwrap(),
            vn(2025, 2, 7, 10, 0)
        );
    }

    #[test]
    fn make_up_saturday_counts() {
        let cal = calendar();
        // Saturday 26/4/2025 is a make-up working day; 30/4–4/5 are off.
        assert!(cal.is_working_day(date(2025, 4, 26)));
        assert_eq!(
            cal.due_time(vn(2025, 4, 25, 10, 0), 1).unwrap(),
            vn(2025, 4, 26, 10, 0)
        );
        assert_eq!(
            cal.due_time(vn(2025, 4, 25, 10, 0), 3).unwrap(),
            vn(2025, 4, 29, 10, 0)
        );
        assert_eq!(
            cal.due_time(vn(2025, 4, 26, 9, 0), 3).unwrap(),
            vn(2025, 5, 5, 9, 0)
        );
        // Received on the make-up Saturday: counted from the receipt, not from Monday.
        assert_eq!(
            cal.effective_start(vn(2025, 4, 26, 9, 0)).unwrap(),
            vn(2025, 4, 26, 9, 0)
        );
    }

    #[test]
    fn custom_office_hours() {
        let cal = calendar().with_office_hours(hm(8, 0), hm(16, 30)).unwrap();
        assert_eq!(
            cal.due_time(vn(2025, 3, 8, 14, 0), 1).unwrap(),
            vn(2025, 3, 11, 8, 0)
        );
        assert_eq!(
            cal.due_time(vn(2025, 3, 10, 9, 0), 0).unwrap(),
            vn(2025, 3, 10, 16, 30)
        );
        assert_eq!(
            calendar().with_office_hours(hm(17, 0), hm(7, 30)),
            Err(CalendarError::InvalidOfficeHours {
                opening: hm(17, 0),
                closing: hm(7, 30)
            })
        );
    }

    #[test]
    fn working_duration_skips_days_off() {
        let cal = calendar();
        // Friday 10:00 to Monday 10:00: 14 h on Friday and 10 h on Monday.
        assert_eq!(
            cal.working_duration(vn(2025, 3, 7, 10, 0), vn(2025, 3, 10, 10, 0))
                .unwrap(),
            Duration::hours(24)
        );
        // Across Tết 2025.
        assert_eq!(
            cal.working_duration(vn(2025, 1, 24, 10, 0), vn(2025, 2, 3, 10, 0))
                .unwrap(),
            Duration::hours(24)
        );
        // Within a day, and backwards.
        assert_eq!(
            cal.working_duration(vn(2025, 3, 7, 10, 0), vn(2025, 3, 7, 11, 30))
                .unwrap(),
            Duration::minutes(90)
        );
        assert_eq!(
            cal.working_duration(vn(2025, 3, 8, 10, 0), vn(2025, 3, 9, 11, 0))
                .unwrap(),
            Duration::zero()
        );
        assert_eq!(
            cal.working_duration(vn(2025, 3, 10, 0, 0), vn(2025, 3, 7, 0, 0))
                .unwrap(),
            Duration::zero()
        );
    }

    #[test]
    fn advance_matches_due_time() {
        let cal = calendar();
        let start = vn(2025, 1, 24, 10, 0);
        assert_eq!(
            cal.advance(start, Duration::days(5)).unwrap(),
            cal.due_time(start, 5).unwrap()
        );
        // Running out at midnight after the last working day before Tết: next working day.
        assert_eq!(
            cal.advance(vn(2025, 1, 24, 0, 0), Duration::days(1))
                .unwrap(),
            vn(2025, 2, 3, 0, 0)
        );
        // From a day off, counting starts at the next working day's midnight.
        assert_eq!(
            cal.advance(vn(2025, 3, 8, 15, 0), Duration::hours(10))
                .unwrap(),
            vn(2025, 3, 10, 10, 0)
        );
        assert_eq!(
            cal.advance(start, Duration::hours(-1)),
            Err(CalendarError::NegativeDuration)
        );
    }

    #[test]
    fn pause_of_two_working_days() {
        let cal = calendar();
        let received = vn(2025, 3, 3, 10, 0);
        let due = cal.due_time(received, 5).unwrap();
        assert_eq!(due, vn(2025, 3, 10, 10, 0));
        // Paused Tuesday 10:00, resumed Thursday 10:00.
        let new_due = cal
            .resume_due(vn(2025, 3, 4, 10, 0), due, vn(2025, 3, 6, 10, 0))
            .unwrap();
        assert_eq!(new_due, vn(2025, 3, 12, 10, 0));
        assert_eq!(new_due, cal.due_time(due, 2).unwrap());
        assert_eq!(
            cal.working_duration(due, new_due).unwrap(),
            Duration::days(2)
        );
    }

    #[test]
    fn pause_across_a_weekend() {
        let cal = calendar();
        let due = vn(2025, 3, 10, 10, 0);
        // Paused Friday 10:00, resumed Monday 10:00: one working day of pause, not three.
        let new_due = cal
            .resume_due(vn(2025, 3, 7, 10, 0), due, vn(2025, 3, 10, 10, 0))
            .unwrap();
        assert_eq!(new_due, vn(2025, 3, 11, 10, 0));
        // Resumed on Sunday: counting restarts Monday 07:30.
        let paused = vn(2025, 3, 7, 10, 0);
        let new_due = cal.resume_due(paused, due, vn(2025, 3, 9, 15, 0)).unwrap();
        let remaining = cal.working_duration(paused, due).unwrap();
        assert_eq!(
            new_due,
            cal.advance(vn(2025, 3, 10, 7, 30), remaining).unwrap()
        );
        // Paused after the due time: nothing remains, due at the effective resume time.
        assert_eq!(
            cal.resume_due(vn(2025, 3, 11, 9, 0), due, vn(2025, 3, 12, 9, 0))
                .unwrap(),
            vn(2025, 3, 12, 9, 0)
        );
        assert_eq!(
            cal.resume_due(paused, due, vn(2025, 3, 6, 10, 0)),
            Err(CalendarError::ResumeBeforePause)
        );
    }

    #[test]
    fn statutory_year_without_data() {
        let cal = WorkingCalendar::new(HolidayCalendar::default());
        // 2/9/2030 is a Monday: 2/9 and 3/9 off.
        assert_eq!(
            cal.due_time(vn(2030, 8, 30, 10, 0), 1).unwrap(),
            vn(2030, 9, 4, 10, 0)
        );
    }

    #[test]
    fn calendar_without_working_days() {
        let mut holidays =
            HolidayCalendar::new([chrono::Weekday::Sat, chrono::Weekday::Sun]).unwrap();
        for year in 2030..=2045 {
            let days_off = NaiveDate::from_ymd_opt(year, 1, 1)
                .unwrap()
                .iter_days()
                .take_while(|d| d.year() == year)
                .map(|d| CalendarDay::new(d, "x"))
                .collect();
            holidays
                .insert(YearCalendar {
                    year,
                    source: String::new(),
                    days_off,
                    working_days: Vec::new(),
                })
                .unwrap();
        }
        let cal = WorkingCalendar::new(holidays);
        assert_eq!(
            cal.due_time(vn(2029, 12, 31, 10, 0), 1),
            Err(CalendarError::NoWorkingDayFound(MAX_SEARCH_DAYS))
        );
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let cal = calendar();
        assert_eq!(
            cal.due_time(DateTime::<Utc>::MAX_UTC, 1),
            Err(CalendarError::OutOfRange)
        );
        assert_eq!(
            cal.working_duration(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC),
            Err(CalendarError::OutOfRange)
        );
        assert_eq!(
            cal.advance(vn(2025, 1, 1, 0, 0), Duration::MAX),
            Err(CalendarError::OutOfRange)
        );
        assert_eq!(
            cal.due_time(vn(2025, 1, 1, 0, 0), u32::MAX),
            Err(CalendarError::OutOfRange)
        );
        // A century is still computed.
        let far = cal.due_time(vn(2025, 1, 1, 10, 0), MAX_SPAN_DAYS).unwrap();
        assert!(far > vn(2160, 1, 1, 0, 0));
    }

    /// A small deterministic generator, so that the property tests need no extra crate.
    struct XorShift(u64);

    impl XorShift {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    #[test]
    fn property_due_time() {
        let cal = calendar();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let base = vn(2022, 12, 1, 0, 0);
        for _ in 0..3000 {
            let received = base + Duration::minutes(rng.below(6 * 366 * 24 * 60) as i64);
            let n = rng.below(40) as u32;
            let due = cal.due_time(received, n).unwrap();
            assert!(due >= received, "{received} + {n}: {due}");
            let local = to_local(due).unwrap();
            assert!(
                cal.is_working_day(local.date()),
                "{received} + {n}: {local}"
            );
            let start = cal.effective_start(received).unwrap();
            if n > 0 {
                // Due time and working time agree.
                assert_eq!(cal.advance(start, Duration::days(n.into())).unwrap(), due);
                assert_eq!(
                    cal.working_duration(start, due).unwrap(),
                    Duration::days(n.into())
                );
            }
            // Working time round-trips through advance.
            let working = Duration::minutes(rng.below(30 * 24 * 60) as i64);
            let reached = cal.advance(received, working).unwrap();
            assert_eq!(cal.working_duration(received, reached).unwrap(), working);
            assert!(cal.is_working_day(to_local(reached).unwrap().date()));
        }
    }

    #[test]
    fn property_pause() {
        let cal = calendar();
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        let base = vn(2023, 1, 1, 0, 0);
        for _ in 0..1000 {
            let received = base + Duration::minutes(rng.below(4 * 366 * 24 * 60) as i64);
            let due = cal.due_time(received, 1 + rng.below(30) as u32).unwrap();
            let paused = received + Duration::minutes(rng.below(20 * 24 * 60) as i64);
            let resumed = paused + Duration::minutes(rng.below(20 * 24 * 60) as i64);
            let new_due = cal.resume_due(paused, due, resumed).unwrap();
            assert!(new_due >= due.min(resumed));
            assert!(new_due >= resumed);
            // Working time left after the resume equals what was left at the pause.
            let restart = cal.effective_start(resumed).unwrap();
            assert_eq!(
                cal.working_duration(restart, new_due).unwrap(),
                cal.working_duration(paused, due).unwrap()
            );
        }
    }
}
