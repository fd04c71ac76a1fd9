//! The Vietnamese lunar calendar (âm lịch) for the time zone UTC+7.
//!
//! Conversion follows Hồ Ngọc Đức's published algorithm: months start on the local day of the
//! astronomical new moon, month 11 is the month containing the winter solstice, and in a year with
//! 13 months the first month after month 11 that contains no major solar term (trung khí) is the
//! leap month. New moons and the sun's longitude come from the series in Jean Meeus's
//! *Astronomical Algorithms*. Over 1900–2100 every day round-trips, and the result agrees day for
//! day with a full ephemeris computation except for three months whose new moon falls within two
//! minutes of local midnight (June 1944, December 2072, November 2077), which start one day later
//! here.
//!
//! Before 1968 the official calendar in the North was computed for UTC+8; this module always uses
//! UTC+7, so a few historical dates can differ from calendars printed at the time.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Vietnam's offset from UTC, in hours, used to date new moons.
const TIME_ZONE_HOURS: f64 = 7.0;
/// Julian date of the mean new moon of January 1900, from which lunations are counted.
const EPOCH_JD: f64 = 2_415_021.076_998_695;
/// Mean length of a synodic month, in days.
const SYNODIC_MONTH: f64 = 29.530_588_853;
/// Chrono counts days from 0001-01-01 (day 1); this is that day's Julian day number minus one.
const JD_OF_CE_DAY_ZERO: i64 = 1_721_425;

/// A date of the Vietnamese lunar calendar.
///
/// `year` is the Gregorian year in which the lunar year starts (Tết of 2025 starts lunar year
/// 2025, Ất Tỵ). `leap` marks the leap month (tháng nhuận), which repeats the number of the month
/// before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LunarDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub leap: bool,
}

impl std::fmt::Display for LunarDate {
    /// Formats as Vietnamese calendars print it: `10/3/2025`, `1/6 nhuận/2025`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let leap = if self.leap { " nhuận" } else { "" };
        write!(f, "{}/{}{}/{}", self.day, self.month, leap, self.year)
    }
}

/// Converts a Gregorian date to the Vietnamese lunar date.
pub fn to_lunar(date: NaiveDate) -> LunarDate {
    let day_number = julian_day(date);
    let month_start = month_start(day_number);
    let solar_year = date.year();
    // `a11` and `b11` are the starts of the months 11 that enclose the date.
    let mut a11 = month_11(solar_year);
    let mut b11 = a11;
    let mut year = if a11 >= month_start {
        a11 = month_11(solar_year - 1);
        solar_year
    } else {
        b11 = month_11(solar_year + 1);
        solar_year + 1
    };
    let day = day_number - month_start + 1;
    let diff = (month_start - a11) / 29;
    let mut leap = false;
    let mut month = diff + 11;
    if b11 - a11 > 365 {
        let leap_offset = leap_month_offset(a11);
        if diff >= leap_offset {
            month = diff + 10;
            leap = diff == leap_offset;
        }
    }
    if month > 12 {
        month -= 12;
    }
    // Months 11 and 12 that start before the new lunar year belong to the previous one.
    if month >= 11 && diff < 4 {
        year -= 1;
    }
    LunarDate {
        year,
        month: month as u8,
        day: day as u8,
        leap,
    }
}

/// Converts a Vietnamese lunar date to the Gregorian date.
///
/// Returns `None` when the date does not exist: a month out of 1–12, a day past the month's
/// 29 or 30 days, or `leap` set on a month that is not that year's leap month.
pub fn to_solar(lunar: LunarDate) -> Option<NaiveDate> {
    if !(1..=12).contains(&lunar.month) || !(1..=30).contains(&lunar.day) {
        return None;
    }
    // Keeps `year ± 1` below from overflowing; such years have no Gregorian date anyway.
    if !(NaiveDate::MIN.year() < lunar.year && lunar.year < NaiveDate::MAX.year()) {
        return None;
    }
    let (a11, b11) = if lunar.month < 11 {
        (month_11(lunar.year - 1), month_11(lunar.year))
    } else {
        (month_11(lunar.year), month_11(lunar.year + 1))
    };
    let k = (0.5 + (a11 as f64 - EPOCH_JD) / SYNODIC_MONTH).floor() as i64;
    let mut offset = (i64::from(lunar.month) + 12 - 11) % 12;
    if b11 - a11 > 365 {
        let leap_offset = leap_month_offset(a11);
        let leap_month = (leap_offset - 2).rem_euclid(12);
        if lunar.leap && i64::from(lunar.month) != leap_month {
            return None;
        }
        if lunar.leap || offset >= leap_offset {
            offset += 1;
        }
    } else if lunar.leap {
        return None;
    }
    let month_start = new_moon_day(k + offset);
    let date = from_julian_day(month_start + i64::from(lunar.day) - 1)?;
    // Day 30 of a 29-day month spills into the next month: reject it.
    (to_lunar(date) == lunar).then_some(date)
}

/// The day on which the lunar month containing `day_number` starts.
fn month_start(day_number: i64) -> i64 {
    // The mean lunation gives the right new moon or one next to it (true new moons drift up to
    // about 14 hours from the mean), so step until the month encloses the day.
    let mut k = ((day_number as f64 - EPOCH_JD) / SYNODIC_MONTH).floor() as i64;
    for _ in 0..4 {
        if new_moon_day(k) > day_number {
            k -= 1;
        } else if new_moon_day(k + 1) <= day_number {
            k += 1;
        } else {
            break;
        }
    }
    new_moon_day(k)
}

/// The Julian day number of a Gregorian date.
fn julian_day(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) + JD_OF_CE_DAY_ZERO
}

fn from_julian_day(jd: i64) -> Option<NaiveDate> {
    let days = i32::try_from(jd - JD_OF_CE_DAY_ZERO).ok()?;
    NaiveDate::from_num_days_from_ce_opt(days)
}

/// The Julian day number of the local (UTC+7) day of the `k`-th new moon after 1900-01-01.
fn new_moon_day(k: i64) -> i64 {
    let k = k as f64;
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = std::f64::consts::PI / 180.0;
    let mut jd1 = 2_415_020.759_33 + 29.530_588_68 * k + 0.000_117_8 * t2 - 0.000_000_155 * t3;
    jd1 += 0.000_33 * ((166.56 + 132.87 * t - 0.009_173 * t2) * dr).sin();
    // Mean anomalies of the sun and the moon, and the moon's argument of latitude.
    let m = 359.2242 + 29.105_356_08 * k - 0.000_033_3 * t2 - 0.000_003_47 * t3;
    let mpr = 306.0253 + 385.816_918_06 * k + 0.010_730_6 * t2 + 0.000_012_36 * t3;
    let f = 21.2964 + 390.670_506_46 * k - 0.001_652_8 * t2 - 0.000_002_39 * t3;
    let mut c1 = (0.1734 - 0.000_393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    // Difference between dynamical time and universal time, in days.
    let delta_t = if t < -11.0 {
        0.001 + 0.000_839 * t + 0.000_226_1 * t2 - 0.000_008_45 * t3 - 0.000_000_081 * t * t3
    } else {
        -0.000_278 + 0.000_265 * t + 0.000_262 * t2
    };
    let jd_new = jd1 + c1 - delta_t;
    (jd_new + 0.5 + TIME_ZONE_HOURS / 24.0).floor() as i64
}

/// The sun's longitude at the start of local day `jd`, as the index (0–11) of the 30° sector
/// it lies in; a change of sector is a major solar term.
fn sun_sector(jd: i64) -> i64 {
    let t = (jd as f64 - 2_451_545.5 - TIME_ZONE_HOURS / 24.0) / 36525.0;
    let t2 = t * t;
    let dr = std::f64::consts::PI / 180.0;
    let m = 357.529_10 + 35_999.050_30 * t - 0.000_155_9 * t2 - 0.000_000_48 * t * t2;
    let l0 = 280.466_45 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let mut dl = (1.914_600 - 0.004_817 * t - 0.000_014 * t2) * (dr * m).sin();
    dl += (0.019_993 - 0.000_101 * t) * (dr * 2.0 * m).sin() + 0.000_290 * (dr * 3.0 * m).sin();
    let longitude = ((l0 + dl) * dr).rem_euclid(2.0 * std::f64::consts::PI);
    (longitude / std::f64::consts::PI * 6.0).floor() as i64
}

/// The Julian day number on which lunar month 11 starts in the Gregorian year `year` (the month
/// that contains the winter solstice).
fn month_11(year: i32) -> i64 {
    let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).map_or_else(
        // Out of chrono's range: extrapolate, the result is then meaningless but finite.
        || (f64::from(year) * 365.2425 + 1_721_424.5) as i64,
        julian_day,
    );
    let k = ((dec31 as f64 - EPOCH_JD) / SYNODIC_MONTH).floor() as i64;
    let new_moon = new_moon_day(k);
    // A new moon at or after the sun's longitude 270° (sector 9) starts a month after the
    // solstice: month 11 is then the month before.
    if sun_sector(new_moon) >= 9 {
        new_moon_day(k - 1)
    } else {
        new_moon
    }
}

/// In a 13-month year starting at month 11 on day `a11`, the offset (in months from `a11`) of the
/// leap month: the first month without a major solar term.
fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - EPOCH_JD) / SYNODIC_MONTH + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            return i - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn l(year: i32, month: u8, day: u8, leap: bool) -> LunarDate {
        LunarDate {
            year,
            month,
            day,
            leap,
        }
    }

    #[test]
    fn tet_dates() {
        for (year, tet) in [
            (2023, d(2023, 1, 22)),
            (2024, d(2024, 2, 10)),
            (2025, d(2025, 1, 29)),
            (2026, d(2026, 2, 17)),
            (2027, d(2027, 2, 6)),
        ] {
            assert_eq!(to_lunar(tet), l(year, 1, 1, false), "{tet}");
            assert_eq!(to_solar(l(year, 1, 1, false)), Some(tet));
        }
    }

    #[test]
    fn hung_kings_day() {
        for (year, date) in [
            (2023, d(2023, 4, 29)),
            (2024, d(2024, 4, 18)),
            (2025, d(2025, 4, 7)),
            (2026, d(2026, 4, 26)),
        ] {
            assert_eq!(to_solar(l(year, 3, 10, false)), Some(date));
            assert_eq!(to_lunar(date), l(year, 3, 10, false));
        }
    }

    #[test]
    fn leap_months() {
        // 2023: leap 2nd month; 2025: leap 6th month.
        assert_eq!(to_lunar(d(2023, 3, 22)), l(2023, 2, 1, true));
        assert_eq!(to_solar(l(2023, 2, 1, true)), Some(d(2023, 3, 22)));
        assert_eq!(to_lunar(d(2023, 2, 20)), l(2023, 2, 1, false));
        assert_eq!(to_lunar(d(2023, 4, 20)), l(2023, 3, 1, false));
        assert_eq!(to_lunar(d(2025, 7, 25)), l(2025, 6, 1, true));
        assert_eq!(to_solar(l(2025, 6, 1, true)), Some(d(2025, 7, 25)));
        assert_eq!(to_lunar(d(2025, 6, 25)), l(2025, 6, 1, false));
        // 2024 has no leap month.
        assert_eq!(to_solar(l(2024, 6, 1, true)), None);
        // A leap flag on the wrong month of a leap year.
        assert_eq!(to_solar(l(2023, 3, 1, true)), None);
    }

    #[test]
    fn last_days_of_the_lunar_year() {
        // Month 12 of Quý Mão had 30 days; month 12 of Giáp Thìn had 29.
        assert_eq!(to_lunar(d(2024, 2, 9)), l(2023, 12, 30, false));
        assert_eq!(to_lunar(d(2025, 1, 28)), l(2024, 12, 29, false));
        assert_eq!(to_solar(l(2024, 12, 30, false)), None);
    }

    #[test]
    fn rejects_impossible_dates() {
        assert_eq!(to_solar(l(2025, 0, 1, false)), None);
        assert_eq!(to_solar(l(2025, 13, 1, false)), None);
        assert_eq!(to_solar(l(2025, 1, 0, false)), None);
        assert_eq!(to_solar(l(2025, 1, 31, false)), None);
    }

    #[test]
    fn extreme_dates_do_not_panic() {
        let _ = to_lunar(NaiveDate::MIN);
        let _ = to_lunar(NaiveDate::MAX);
        assert_eq!(to_solar(l(i32::MAX, 1, 1, false)), None);
        assert_eq!(to_solar(l(i32::MIN, 1, 1, false)), None);
        let _ = to_solar(l(NaiveDate::MAX.year() - 1, 12, 30, false));
    }

    #[test]
    fn display() {
        assert_eq!(l(2025, 6, 1, true).to_string(), "1/6 nhuận/2025");
        assert_eq!(l(2025, 3, 10, false).to_string(), "10/3/2025");
    }

    /// Every day of 1900–2100 converts to a valid lunar date and back, days and months follow
    /// each other, and a month has 29 or 30 days.
    #[test]
    fn round_trip_1900_2100() {
        let mut date = d(1900, 1, 1);
        let mut previous = to_lunar(date);
        let mut leap_months = 0;
        while date < d(2100, 12, 31) {
            date = date.succ_opt().unwrap();
            let lunar = to_lunar(date);
            assert_eq!(to_solar(lunar), Some(date), "{date} -> {lunar}");
            if lunar.day == 1 {
                assert!(
                    previous.day == 29 || previous.day == 30,
                    "{date}: {previous}"
                );
                if lunar.leap {
                    leap_months += 1;
                    assert_eq!((lunar.year, lunar.month), (previous.year, previous.month));
                    assert!(!previous.leap);
                } else if lunar.month == 1 {
                    assert_eq!((lunar.year, previous.month), (previous.year + 1, 12));
                } else {
                    assert_eq!(
                        (lunar.year, lunar.month),
                        (previous.year, previous.month + 1)
                    );
                }
            } else {
                assert_eq!(lunar.day, previous.day + 1, "{date}");
                assert_eq!(
                    (lunar.year, lunar.month, lunar.leap),
                    (previous.year, previous.month, previous.leap)
                );
            }
            previous = lunar;
        }
        // 7 leap months every 19 years: about 74 in 201 years.
        assert!((72..=76).contains(&leap_months), "{leap_months}");
    }
}
