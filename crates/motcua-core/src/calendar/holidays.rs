//! Public holidays (ngày nghỉ lễ, tết) and make-up working days (ngày làm bù), as data.
//!
//! Every year the Government announces which days the public sector takes off; an administrator
//! loads that decision as a [`YearCalendar`] in JSON:
//!
//! ```json
//! {"year": 2025, "source": "…decision number…",
//!  "days_off": [{"date": "2025-01-01", "name": "Tết Dương lịch"}],
//!  "working_days": [{"date": "2025-04-26", "name": "Làm bù cho thứ Sáu 02/05/2025"}]}
//! ```
//!
//! A year without data falls back to [`statutory_default`], the days the Labour Code 2019 itself
//! guarantees. The yearly decisions differ from that rule only by moving days (Art. 112(3) lets the
//! Prime Minister choose the Tết days and the second National Day), so the rule is a safe estimate
//! for years whose decision is not yet published.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::lunar::{to_solar, LunarDate};
use super::CalendarError;

/// Years for which [`statutory_default`] can compute the lunar holidays.
pub const STATUTORY_YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// Name given to the compensating day off of a holiday that fell on a weekly rest day.
const COMPENSATION_PREFIX: &str = "Nghỉ bù ";

/// The yearly decisions shipped with motcua (see `calendars/` in this crate).
const SHIPPED_YEARS: [&str; 5] = [
    include_str!("../../calendars/vn-2023.json"),
    include_str!("../../calendars/vn-2024.json"),
    include_str!("../../calendars/vn-2025.json"),
    include_str!("../../calendars/vn-2026.json"),
    include_str!("../../calendars/vn-2027.json"),
];

/// A dated entry of a holiday calendar: a day off, or a make-up working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    /// In Vietnamese, as the decision words it ("Tết Nguyên đán", "Nghỉ bù Quốc khánh").
    #[serde(default)]
    pub name: String,
}

impl CalendarDay {
    pub fn new(date: NaiveDate, name: impl Into<String>) -> Self {
        Self {
            date,
            name: name.into(),
        }
    }
}

/// The days off and make-up working days of one year.
///
/// A loaded year replaces the statutory rule for that year entirely, so it lists every day off,
/// not only the days the decision moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YearCalendar {
    pub year: i32,
    /// Where the days come from: `statutory rule`, or the number of the official decision.
    #[serde(default)]
    pub source: String,
    /// Days without work, besides the weekly rest days (a day off that falls on a weekly rest
    /// day may be listed too; it changes nothing).
    pub days_off: Vec<CalendarDay>,
    /// Weekly rest days declared working days to make up for a day off moved elsewhere.
    #[serde(default)]
    pub working_days: Vec<CalendarDay>,
}

impl YearCalendar {
    /// Reads and checks one year's calendar from JSON.
    pub fn from_json(json: &str) -> Result<Self, CalendarError> {
        let year: Self =
            serde_json::from_str(json).map_err(|e| CalendarError::InvalidData(e.to_string()))?;
        year.check()?;
        Ok(year)
    }

    pub fn to_json(&self) -> Result<String, CalendarError> {
        serde_json::to_string_pretty(self).map_err(|e| CalendarError::InvalidData(e.to_string()))
    }

    /// The entry of `date` among the days off, if any.
    pub fn day_off(&self, date: NaiveDate) -> Option<&CalendarDay> {
        self.days_off.iter().find(|d| d.date == date)
    }

    /// The entry of `date` among the make-up working days, if any.
    pub fn make_up_day(&self, date: NaiveDate) -> Option<&CalendarDay> {
        self.working_days.iter().find(|d| d.date == date)
    }

    /// Checks what does not depend on the weekly rest days: every date lies in `year`, and no
    /// date is both a day off and a working day.
    fn check(&self) -> Result<(), CalendarError> {
        for day in self.days_off.iter().chain(&self.working_days) {
            if day.date.year() != self.year {
                return Err(CalendarError::DateOutsideYear {
                    year: self.year,
                    date: day.date,
                });
            }
        }
        match self
            .working_days
            .iter()
            .find(|w| self.day_off(w.date).is_some())
        {
            Some(w) => Err(CalendarError::ConflictingDay(w.date)),
            None => Ok(()),
        }
    }
}

/// The holiday calendar of a one-stop office: the weekly rest days and, per year, the days off
/// and make-up working days.
///
/// In JSON: `{"weekly_rest": ["Sat", "Sun"], "years": [<YearCalendar>, …]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarData", into = "CalendarData")]
pub struct HolidayCalendar {
    weekly_rest: Vec<Weekday>,
    years: BTreeMap<i32, YearCalendar>,
}

/// The serialised form of [`HolidayCalendar`], checked on the way in.
#[derive(Serialize, Deserialize)]
struct CalendarData {
    #[serde(default = "default_weekly_rest")]
    weekly_rest: Vec<Weekday>,
    #[serde(default)]
    years: Vec<YearCalendar>,
}

fn default_weekly_rest() -> Vec<Weekday> {
    vec![Weekday::Sat, Weekday::Sun]
}

impl TryFrom<CalendarData> for HolidayCalendar {
    type Error = CalendarError;

    fn try_from(data: CalendarData) -> Result<Self, Self::Error> {
        let mut calendar = Self::new(data.weekly_rest)?;
        for year in data.years {
            calendar.insert(year)?;
        }
        Ok(calendar)
    }
}

impl From<HolidayCalendar> for CalendarData {
    fn from(calendar: HolidayCalendar) -> Self {
        Self {
            weekly_rest: calendar.weekly_rest,
            years: calendar.years.into_values().collect(),
        }
    }
}

impl Default for HolidayCalendar {
    /// Saturday and Sunday off, no yearly data: every year follows [`statutory_default`].
    fn default() -> Self {
        Self {
            weekly_rest: default_weekly_rest(),
            years: BTreeMap::new(),
        }
    }
}

impl HolidayCalendar {
    /// A calendar with the given weekly rest days and no yearly data.
    pub fn new(weekly_rest: impl IntoIterator<Item = Weekday>) -> Result<Self, CalendarError> {
        let mut days: Vec<Weekday> = weekly_rest.into_iter().collect();
        days.sort_by_key(Weekday::num_days_from_monday);
        days.dedup();
        if days.len() >= 7 {
            return Err(CalendarError::NoWorkingWeekday);
        }
        Ok(Self {
            weekly_rest: days,
            years: BTreeMap::new(),
        })
    }

    /// Saturday and Sunday off, with the yearly calendars shipped in `calendars/vn-*.json`.
    pub fn vietnam_defaults() -> Result<Self, CalendarError> {
        let mut calendar = Self::default();
        for json in SHIPPED_YEARS {
            calendar.insert(YearCalendar::from_json(json)?)?;
        }
        Ok(calendar)
    }

    pub fn from_json(json: &str) -> Result<Self, CalendarError> {
        serde_json::from_str(json).map_err(|e| CalendarError::InvalidData(e.to_string()))
    }

    pub fn to_json(&self) -> Result<String, CalendarError> {
        serde_json::to_string_pretty(self).map_err(|e| CalendarError::InvalidData(e.to_string()))
    }

    /// Adds a year's calendar, replacing the one loaded for that year (returned), if any.
    pub fn insert(&mut self, year: YearCalendar) -> Result<Option<YearCalendar>, CalendarError> {
        year.check()?;
        if let Some(day) = year
            .working_days
            .iter()
            .find(|d| !self.is_weekly_rest(d.date))
        {
            return Err(CalendarError::MakeUpDayNotRestDay(day.date));
        }
        Ok(self.years.insert(year.year, year))
    }

    pub fn weekly_rest(&self) -> &[Weekday] {
        &self.weekly_rest
    }

    /// The calendar loaded for `year`, if any.
    pub fn loaded_year(&self, year: i32) -> Option<&YearCalendar> {
        self.years.get(&year)
    }

    /// The calendar in force for `year`: the loaded one, else [`statutory_default`].
    pub fn year(&self, year: i32) -> Result<Cow<'_, YearCalendar>, CalendarError> {
        match self.years.get(&year) {
            Some(loaded) => Ok(Cow::Borrowed(loaded)),
            None => statutory_default(year).map(Cow::Owned),
        }
    }

    pub fn is_weekly_rest(&self, date: NaiveDate) -> bool {
        self.weekly_rest.contains(&date.weekday())
    }

    /// Whether officials work on `date`: a make-up working day, or a day that is neither a
    /// weekly rest day nor a day off.
    ///
    /// A year with no loaded data whose statutory holidays cannot be computed (outside
    /// [`STATUTORY_YEARS`]) only has its weekly rest days off.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.year(date.year()) {
            Ok(year) => working_in(self, &year, date),
            Err(_) => !self.is_weekly_rest(date),
        }
    }
}

/// Whether `date` is a working day under the weekly rest days of `calendar` and the days of
/// `year` (the calendar of `date`'s year).
pub(crate) fn working_in(calendar: &HolidayCalendar, year: &YearCalendar, date: NaiveDate) -> bool {
    if year.make_up_day(date).is_some() {
        return true;
    }
    !calendar.is_weekly_rest(date) && year.day_off(date).is_none()
}

/// The days off that the Labour Code 2019 guarantees in `year`, with Saturday and Sunday as the
/// weekly rest days.
///
/// - Art. 112(1): Tết Dương lịch (1/1); Tết Nguyên đán, 5 days, taken here as the last day of the
///   lunar year and days 1–4 of the new one; Giỗ Tổ Hùng Vương (10/3 lunar); Ngày Chiến thắng
///   (30/4); Quốc tế Lao động (1/5); Quốc khánh (2/9) and one adjacent day.
/// - The adjacent day of Quốc khánh is chosen by the Prime Minister every year (Art. 112(3)). The
///   rule here is the one the decisions have followed since 2021, joining the holiday to a
///   weekend: 3/9 when 2/9 falls on a Sunday, Monday or Thursday; 1/9 otherwise.
/// - Art. 111(3): a holiday that falls on a weekly rest day gives a compensating day off (nghỉ bù)
///   on the next day that is neither a rest day nor a holiday nor already a compensating day.
/// - Two holidays on the same date (Giỗ Tổ can fall on 30/4 or 1/5) count as one day off.
///
/// The yearly decisions sometimes place a Tết compensating day before Tết instead of after, or
/// swap a working day with a Saturday; load the decision to get those.
pub fn statutory_default(year: i32) -> Result<YearCalendar, CalendarError> {
    if !STATUTORY_YEARS.contains(&year) {
        return Err(CalendarError::UnsupportedYear(year));
    }
    let unsupported = || CalendarError::UnsupportedYear(year);
    let date = |month, day| NaiveDate::from_ymd_opt(year, month, day).ok_or_else(unsupported);
    let lunar = |month, day| {
        to_solar(LunarDate {
            year,
            month,
            day,
            leap: false,
        })
        .ok_or_else(unsupported)
    };

    let mut holidays: BTreeMap<NaiveDate, String> = BTreeMap::new();
    let mut add = |day: NaiveDate, name: &str| {
        holidays
            .entry(day)
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(name);
            })
            .or_insert_with(|| name.to_owned());
    };

    add(date(1, 1)?, "Tết Dương lịch");
    let tet = lunar(1, 1)?;
    let first_tet_day = tet.pred_opt().ok_or_else(unsupported)?;
    for offset in 0..5 {
        let day = first_tet_day
            .checked_add_days(Days::new(offset))
            .ok_or_else(unsupported)?;
        add(day, "Tết Nguyên đán");
    }
    add(lunar(3, 10)?, "Giỗ Tổ Hùng Vương");
    add(date(4, 30)?, "Ngày Chiến thắng");
    add(date(5, 1)?, "Quốc tế Lao động");
    let national_day = date(9, 2)?;
    let second_day = match national_day.weekday() {
        Weekday::Sun | Weekday::Mon | Weekday::Thu => date(9, 3)?,
        _ => date(9, 1)?,
    };
    add(national_day, "Quốc khánh");
    add(second_day, "Quốc khánh");

    let is_rest = |day: NaiveDate| matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let mut compensations: BTreeMap<NaiveDate, String> = BTreeMap::new();
    for (&day, name) in holidays.iter().filter(|(day, _)| is_rest(**day)) {
        let mut candidate = day;
        while is_rest(candidate)
            || holidays.contains_key(&candidate)
            || compensations.contains_key(&candidate)
        {
            candidate = candidate.succ_opt().ok_or_else(unsupported)?;
        }
        compensations.insert(candidate, format!("{COMPENSATION_PREFIX}{name}"));
    }

    let mut days_off: Vec<CalendarDay> = holidays
        .into_iter()
        .chain(compensations)
        .map(|(date, name)| CalendarDay { date, name })
        .collect();
    days_off.sort_by_key(|d| d.date);
    Ok(YearCalendar {
        year,
        source: "statutory rule".to_owned(),
        days_off,
        working_days: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn off_dates(year: &YearCalendar) -> Vec<NaiveDate> {
        year.days_off.iter().map(|d| d.date).collect()
    }

    fn range(first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
        first.iter_days().take_while(|d| *d <= last).collect()
    }

    #[test]
    fn statutory_2025() {
        let year = statutory_default(2025).unwrap();
        assert_eq!(year.source, "statutory rule");
        let expected = [
            (d(2025, 1, 1), "Tết Dương lịch"),
            (d(2025, 1, 28), "Tết Nguyên đán"),
            (d(2025, 1, 29), "Tết Nguyên đán"),
            (d(2025, 1, 30), "Tết Nguyên đán"),
            (d(2025, 1, 31), "Tết Nguyên đán"),
            (d(2025, 2, 1), "Tết Nguyên đán"),
            (d(2025, 2, 3), "Nghỉ bù Tết Nguyên đán"),
            (d(2025, 4, 7), "Giỗ Tổ Hùng Vương"),
            (d(2025, 4, 30), "Ngày Chiến thắng"),
            (d(2025, 5, 1), "Quốc tế Lao động"),
            (d(2025, 9, 1), "Quốc khánh"),
            (d(2025, 9, 2), "Quốc khánh"),
        ];
        let got: Vec<(NaiveDate, &str)> = year
            .days_off
            .iter()
            .map(|d| (d.date, d.name.as_str()))
            .collect();
        assert_eq!(got, expected);
        assert!(year.working_days.is_empty());
    }

    #[test]
    fn statutory_compensations_follow_the_weekend() {
        // 2023: 1/1 is a Sunday; Giỗ Tổ (29/4) and 30/4 fall on Saturday and Sunday.
        let year = statutory_default(2023).unwrap();
        let off = off_dates(&year);
        assert!(off.contains(&d(2023, 1, 2)));
        assert_eq!(
            year.day_off(d(2023, 5, 2)).unwrap().name,
            "Nghỉ bù Giỗ Tổ Hùng Vương"
        );
        assert_eq!(
            year.day_off(d(2023, 5, 3)).unwrap().name,
            "Nghỉ bù Ngày Chiến thắng"
        );
        // 2/9/2023 is a Saturday: 1/9 is the second day, and Monday 4/9 the compensation.
        assert!(off.contains(&d(2023, 9, 1)) && off.contains(&d(2023, 9, 4)));
        // 2027: Tết on Saturday 6/2; compensations on Wednesday 10/2 and Thursday 11/2.
        let off = off_dates(&statutory_default(2027).unwrap());
        for day in range(d(2027, 2, 5), d(2027, 2, 11)) {
            assert!(off.contains(&day), "{day}");
        }
        assert!(!off.contains(&d(2027, 2, 12)));
    }

    #[test]
    fn second_national_day() {
        // 2/9 on Monday (2024) and Thursday (2021): 3/9; on Tuesday (2025) and Friday (2022): 1/9.
        for (year, second) in [
            (2024, d(2024, 9, 3)),
            (2021, d(2021, 9, 3)),
            (2025, d(2025, 9, 1)),
            (2022, d(2022, 9, 1)),
        ] {
            let calendar = statutory_default(year).unwrap();
            assert_eq!(calendar.day_off(second).unwrap().name, "Quốc khánh");
        }
    }

    #[test]
    fn statutory_years_are_complete() {
        // 11 holidays a year, each on its own date unless Giỗ Tổ meets 30/4 or 1/5, and one
        // compensation per holiday on a weekend; nothing but compensations on a weekday added.
        for y in STATUTORY_YEARS {
            let year = statutory_default(y).unwrap();
            let holidays = year
                .days_off
                .iter()
                .filter(|d| !d.name.starts_with(COMPENSATION_PREFIX))
                .count();
            let merged = year
                .days_off
                .iter()
                .filter(|d| !d.name.starts_with(COMPENSATION_PREFIX) && d.name.contains(", "))
                .count();
            assert_eq!(holidays + merged, 11, "{y}");
            let on_weekend = year
                .days_off
                .iter()
                .filter(|d| matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun))
                .count();
            assert_eq!(year.days_off.len(), holidays + on_weekend, "{y}");
            year.check().unwrap();
        }
        assert!(statutory_default(1899).is_err());
        assert!(statutory_default(2200).is_err());
    }

    #[test]
    fn shipped_years_load() {
        let calendar = HolidayCalendar::vietnam_defaults().unwrap();
        for y in 2023..=2027 {
            let year = calendar.loaded_year(y).unwrap();
            assert_eq!(year.year, y);
            assert!(!year.source.is_empty());
        }
        // Years marked as the statutory rule are exactly its output.
        for y in [2026, 2027] {
            assert_eq!(
                calendar.loaded_year(y).unwrap(),
                &statutory_default(y).unwrap()
            );
        }
        // A year without data falls back to the rule.
        assert!(calendar.loaded_year(2030).is_none());
        assert_eq!(
            calendar.year(2030).unwrap().into_owned(),
            statutory_default(2030).unwrap()
        );
        assert!(!calendar.is_working_day(d(2030, 9, 2)));
    }

    #[test]
    fn shipped_official_decisions() {
        let calendar = HolidayCalendar::vietnam_defaults().unwrap();
        let off = |first, last| {
            for day in range(first, last) {
                assert!(!calendar.is_working_day(day), "{day} should be off");
            }
        };
        let working = |day| assert!(calendar.is_working_day(day), "{day} should be worked");
        // Tết 2023: 20/1 to 26/1.
        working(d(2023, 1, 19));
        off(d(2023, 1, 20), d(2023, 1, 26));
        working(d(2023, 1, 27));
        // Tết 2024: 8/2 to 14/2.
        working(d(2024, 2, 7));
        off(d(2024, 2, 8), d(2024, 2, 14));
        working(d(2024, 2, 15));
        // 30/4–1/5/2024: 27/4 to 1/5, Saturday 4/5 worked.
        working(d(2024, 4, 26));
        off(d(2024, 4, 27), d(2024, 5, 1));
        working(d(2024, 5, 2));
        working(d(2024, 5, 4));
        // Tết 2025: 25/1 to 2/2.
        working(d(2025, 1, 24));
        off(d(2025, 1, 25), d(2025, 2, 2));
        working(d(2025, 2, 3));
        // 30/4–1/5/2025: 30/4 to 4/5, Saturday 26/4 worked.
        working(d(2025, 4, 26));
        working(d(2025, 4, 29));
        off(d(2025, 4, 30), d(2025, 5, 4));
        working(d(2025, 5, 5));
        // Quốc khánh 2025: 30/8 to 2/9.
        working(d(2025, 8, 29));
        off(d(2025, 8, 30), d(2025, 9, 2));
        working(d(2025, 9, 3));
        // Tết 2026 (the rule gives the official 14/2 to 22/2).
        working(d(2026, 2, 13));
        off(d(2026, 2, 14), d(2026, 2, 22));
        working(d(2026, 2, 23));
    }

    #[test]
    fn json_round_trip() {
        let json = r#"{"year":2025,"days_off":[{"date":"2025-01-01","name":"Tết Dương lịch"}],
            "working_days":[{"date":"2025-04-26"}]}"#;
        let year = YearCalendar::from_json(json).unwrap();
        assert_eq!(
            year.working_days,
            vec![CalendarDay::new(d(2025, 4, 26), "")]
        );
        assert_eq!(
            YearCalendar::from_json(&year.to_json().unwrap()).unwrap(),
            year
        );

        let mut calendar = HolidayCalendar::new([Weekday::Sun]).unwrap();
        assert!(calendar
            .insert(statutory_default(2024).unwrap())
            .unwrap()
            .is_none());
        let json = calendar.to_json().unwrap();
        assert!(json.contains(
            r#""weekly_rest": [
    "Sun"
  ]"#
        ));
        assert_eq!(HolidayCalendar::from_json(&json).unwrap(), calendar);
        // Defaults when fields are left out.
        assert_eq!(
            HolidayCalendar::from_json("{}").unwrap(),
            HolidayCalendar::default()
        );
    }

    #[test]
    fn rejects_bad_data() {
        let bad = |json: &str| YearCalendar::from_json(json).unwrap_err();
        assert!(matches!(bad("{"), CalendarError::InvalidData(_)));
        assert_eq!(
            bad(r#"{"year":2025,"days_off":[{"date":"2024-12-31","name":"x"}]}"#),
            CalendarError::DateOutsideYear {
                year: 2025,
                date: d(2024, 12, 31)
            }
        );
        assert_eq!(
            bad(
                r#"{"year":2025,"days_off":[{"date":"2025-04-26"}],"working_days":[{"date":"2025-04-26"}]}"#
            ),
            CalendarError::ConflictingDay(d(2025, 4, 26))
        );
        let weekday_make_up = r#"{"weekly_rest":["Sat","Sun"],"years":[{"year":2025,"days_off":[],"working_days":[{"date":"2025-04-25"}]}]}"#;
        assert!(HolidayCalendar::from_json(weekday_make_up)
            .unwrap_err()
            .to_string()
            .contains("2025-04-25"));
        assert_eq!(
            HolidayCalendar::new([
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun
            ])
            .unwrap_err(),
            CalendarError::NoWorkingWeekday
        );
    }

    #[test]
    fn working_days() {
        let mut calendar = HolidayCalendar::default();
        calendar
            .insert(YearCalendar {
                year: 2025,
                source: String::new(),
                days_off: vec![CalendarDay::new(d(2025, 5, 2), "Nghỉ hoán đổi")],
                working_days: vec![CalendarDay::new(d(2025, 4, 26), "Làm bù")],
            })
            .unwrap();
        assert!(calendar.is_working_day(d(2025, 4, 25)));
        assert!(calendar.is_working_day(d(2025, 4, 26)));
        assert!(!calendar.is_working_day(d(2025, 4, 27)));
        assert!(!calendar.is_working_day(d(2025, 5, 2)));
        // The loaded year replaces the rule entirely: 30/4 is not listed, so it is worked.
        assert!(calendar.is_working_day(d(2025, 4, 30)));
        // Outside the rule's years only weekly rest days are off.
        assert!(calendar.is_working_day(d(2200, 1, 1)));
        assert!(!calendar.is_working_day(d(2200, 1, 4)));
    }
}
