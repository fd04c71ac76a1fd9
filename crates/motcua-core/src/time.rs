//! The range of dates and instants the services accept: years 1900 to 2199. No record of a
//! one-stop office is older or further ahead, and both backends store every day of that range
//! the same way (PostgreSQL refuses some far-off dates and answers others with errors).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

/// The reason given for a date or instant outside the range.
pub const OUT_OF_RANGE: &str = "dates must lie in the years 1900 to 2199";

/// Whether `year` is in the accepted range.
pub fn year_in_range(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

/// `day` when its year is in the accepted range.
pub fn check_day(day: NaiveDate) -> Result<NaiveDate, String> {
    if year_in_range(day.year()) {
        Ok(day)
    } else {
        Err(format!("{day} is out of range: {OUT_OF_RANGE}"))
    }
}

/// `at` when its year (in UTC) is in the accepted range.
pub fn check_instant(at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if year_in_range(at.year()) {
        Ok(at)
    } else {
        Err(format!("{at} is out of range: {OUT_OF_RANGE}"))
    }
}

/// Parses a calendar day strictly as `YYYY-MM-DD` (four-digit year, no sign) within the range.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(format!("`{text}` is not a day; use YYYY-MM-DD"));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not a day of the calendar"))?;
    check_day(day)
}

/// Parses an RFC 3339 instant within the range.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|e| format!("`{text}` is not an RFC 3339 instant: {e}"))?;
    check_instant(at.with_timezone(&Utc))
}

fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer)
}

/// serde: a day in the range (`#[serde(deserialize_with = "motcua_core::time::day")]`).
pub fn day<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    parse_day(&text(deserializer)?).map_err(serde::de::Error::custom)
}

/// serde: an optional day in the range (with `default`).
pub fn optional_day<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<NaiveDate>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|t| parse_day(&t).map_err(serde::de::Error::custom))
        .transpose()
}

/// serde: a day that PATCH may clear: absent (`default`) leaves it, `null` clears it.
pub fn patched_day<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<NaiveDate>>, D::Error> {
    optional_day(deserializer).map(Some)
}

/// serde: an instant in the range.
pub fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    parse_instant(&text(deserializer)?).map_err(serde::de::Error::custom)
}

/// serde: an optional instant in the range (with `default`).
pub fn optional_instant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|t| parse_instant(&t).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_strict_and_in_range() {
        assert_eq!(parse_day("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in [
            "+99999-01-01",
            "-0044-03-15",
            "1899-12-31",
            "2200-01-01",
            "2024-2-29",
            "2024-02-30",
            "２０２４-01-01",
            "",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
        assert!(parse_day("1900-01-01").is_ok());
        assert!(parse_day("2199-12-31").is_ok());
    }

    #[test]
    fn instants_are_in_range() {
        assert!(parse_instant("2024-03-04T02:00:00Z").is_ok());
        assert!(parse_instant("2024-03-04T09:00:00+07:00").is_ok());
        assert!(parse_instant("12345-03-04T02:00:00Z").is_err());
        assert!(parse_instant("1800-03-04T02:00:00Z").is_err());
        assert!(parse_instant("2200-01-01T00:00:00Z").is_err());
    }
}
