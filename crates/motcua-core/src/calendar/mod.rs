//! The working-day calendar used to compute dossier due dates (ngày hẹn trả).
//!
//! - [`lunar`]: Gregorian ↔ Vietnamese lunar dates, needed for Tết and Giỗ Tổ Hùng Vương.
//! - [`holidays`]: the days off and make-up working days of each year, as data an administrator
//!   can load from the year's official decision, with the Labour Code rules as the fallback.
//! - [`working_time`]: due times, working durations and deadline pauses in Vietnam time.

pub mod holidays;
pub mod lunar;
pub mod working_time;

pub use holidays::{statutory_default, CalendarDay, HolidayCalendar, YearCalendar};
pub use lunar::{to_lunar, to_solar, LunarDate};
pub use working_time::WorkingCalendar;

use chrono::{NaiveDate, NaiveTime};

/// Why a calendar could not be loaded or a working-time computation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("invalid calendar data: {0}")]
    InvalidData(String),
    #[error("{date} is listed in the calendar of {year} but lies outside that year")]
    DateOutsideYear { year: i32, date: NaiveDate },
    #[error("{0} is listed both as a day off and as a working day")]
    ConflictingDay(NaiveDate),
    #[error("{0} is listed as a make-up working day but is not a weekly rest day")]
    MakeUpDayNotRestDay(NaiveDate),
    #[error("every day of the week is a rest day: no working day can ever be found")]
    NoWorkingWeekday,
    #[error("the statutory holidays of {0} cannot be computed (supported years: 1900 to 2199)")]
    UnsupportedYear(i32),
    #[error("office hours must open before they close (opening {opening}, closing {closing})")]
    InvalidOfficeHours {
        opening: NaiveTime,
        closing: NaiveTime,
    },
    #[error("a working duration cannot be negative")]
    NegativeDuration,
    #[error("a deadline cannot resume before it was paused")]
    ResumeBeforePause,
    #[error("no working day found within {0} days")]
    NoWorkingDayFound(u32),
    #[error("date or time out of the supported range")]
    OutOfRange,
}
