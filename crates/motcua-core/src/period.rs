//! Reporting periods: a year, a quarter, a month or any range of days (both ends included).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A closed range of calendar days, as reports state them ("năm 2023", "quý I/2024").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

impl Period {
    /// A period from `first_day` to `last_day`, both in the accepted range (see [`crate::time`]).
    pub fn new(first_day: NaiveDate, last_day: NaiveDate) -> Result<Self, String> {
        crate::time::check_day(first_day)?;
        crate::time::check_day(last_day)?;
        if last_day < first_day {
            return Err(format!(
                "the period ends ({last_day}) before it starts ({first_day})"
            ));
        }
        Ok(Self {
            first_day,
            last_day,
        })
    }

    pub fn year(year: i32) -> Result<Self, String> {
        Self::new(ymd(year, 1, 1)?, ymd(year, 12, 31)?)
    }

    pub fn quarter(year: i32, quarter: u32) -> Result<Self, String> {
        if !(1..=4).contains(&quarter) {
            return Err(format!("a quarter is 1 to 4, not {quarter}"));
        }
        let first = ymd(year, 3 * quarter - 2, 1)?;
        let last = end_of_month(year, 3 * quarter)?;
        Self::new(first, last)
    }

    pub fn month(year: i32, month: u32) -> Result<Self, String> {
        Self::new(ymd(year, month, 1)?, end_of_month(year, month)?)
    }

    /// Whether `day` lies in the period.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    /// Parses `2023`, `2024-Q1`, `2024-03` or `2024-01-01..2024-03-31`, strictly: four-digit
    /// years, two-digit months, no signs or spaces, years 1900 to 2199.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "`{text}` is not a period; use 2023, 2024-Q1, 2024-03 or 2024-01-01..2024-03-31 (years 1900 to 2199)"
            )
        };
        if let Some((first, last)) = text.split_once("..") {
            return Self::new(
                crate::time::parse_day(first)?,
                crate::time::parse_day(last)?,
            );
        }
        let digits = |part: &str, len: usize| {
            (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
                .ok_or_else(bad)
        };
        let year = |part: &str| {
            let year = i32::try_from(digits(part, 4)?).map_err(|_| bad())?;
            if crate::time::year_in_range(year) {
                Ok(year)
            } else {
                Err(format!(
                    "`{text}` is out of range: {}",
                    crate::time::OUT_OF_RANGE
                ))
            }
        };
        if let Some((y, quarter)) = text.split_once("-Q") {
            return Self::quarter(year(y)?, digits(quarter, 1)?);
        }
        if let Some((y, month)) = text.split_once('-') {
            return Self::month(year(y)?, digits(month, 2)?);
        }
        Self::year(year(text)?)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.first_day, self.last_day)
    }
}

fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("{year}-{month:02}-{day:02} is not a date"))
}

fn end_of_month(year: i32, month: u32) -> Result<NaiveDate, String> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let first_of_next = ymd(next_year, next_month, 1)?;
    first_of_next
        .pred_opt()
        .ok_or_else(|| "date out of range".to_owned())
}

/// The quarter (1–4) a day falls in.
pub fn quarter_of(day: NaiveDate) -> u32 {
    (day.month() - 1) / 3 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let q1: Period = "2024-Q1".parse().unwrap();
        assert_eq!(q1.first_day.to_string(), "2024-01-01");
        assert_eq!(q1.last_day.to_string(), "2024-03-31");
        let feb: Period = "2024-02".parse().unwrap();
        assert_eq!(feb.last_day.to_string(), "2024-02-29");
        let year: Period = "2023".parse().unwrap();
        assert_eq!(year.last_day.to_string(), "2023-12-31");
        let range: Period = "2024-01-15..2024-02-15".parse().unwrap();
        assert!(range.contains(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()));
        assert!("2024-Q5".parse::<Period>().is_err());
        assert!("2024-03-01..2024-02-01".parse::<Period>().is_err());
        assert!("abc".parse::<Period>().is_err());
        for bad in [
            "99999",
            "12345-06",
            "+2024",
            " 2024",
            "2024-3",
            "2024-Q01",
            "1899",
            "2200-01",
            "-5000-01-01..2024-01-01",
            "2024-01-01..2200-01-01",
            "2024-13",
            "٢٠٢٤",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        assert!("1900".parse::<Period>().is_ok());
        assert!("2199-Q4".parse::<Period>().is_ok());
        assert_eq!(quarter_of(NaiveDate::from_ymd_opt(2024, 4, 1).unwrap()), 2);
    }
}
