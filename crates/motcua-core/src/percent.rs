//! Percentages of counts, the one rule every figure follows: rounded once, half away from zero,
//! from the exact ratio to two decimals, and written the Vietnamese way ("1,45 %").
//!
//! Rounding a rate that was already rounded (1/71 = 1.408… → 1.4 → "1,40") prints a figure the
//! records do not give; every printed or serialised percentage therefore starts from the counts.

/// `numerator / denominator` in hundredths of a percent, rounded once from the exact ratio;
/// `None` when the denominator is not positive.
pub fn hundredths(numerator: i64, denominator: i64) -> Option<i64> {
    if denominator <= 0 {
        return None;
    }
    let scaled = i128::from(numerator).abs() * 10_000;
    let whole = i128::from(denominator);
    let rounded = (2 * scaled + whole) / (2 * whole);
    let signed = if numerator < 0 { -rounded } else { rounded };
    i64::try_from(signed).ok()
}

/// The percentage as a number with two decimals (for JSON), from [`hundredths`].
pub fn value(numerator: i64, denominator: i64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    hundredths(numerator, denominator).map(|h| h as f64 / 100.0)
}

/// "1,45 %", or "-" when the denominator is not positive.
pub fn written(numerator: i64, denominator: i64) -> String {
    hundredths(numerator, denominator).map_or_else(|| "-".into(), written_hundredths)
}

/// A number of hundredths of a percent written with a decimal comma: 14 500 → "145,00 %".
pub fn written_hundredths(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let magnitude = hundredths.unsigned_abs();
    format!("{sign}{},{:02} %", magnitude / 100, magnitude % 100)
}

/// A percentage that was not computed here (a figure read from another system), written with
/// the decimals it was given: 92.7 → "92,7 %". It is never rounded again.
pub fn written_as_given(value: f64) -> String {
    format!("{value} %").replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_once_from_the_exact_ratio() {
        assert_eq!(hundredths(1, 69), Some(145), "1/69 = 1.4492…");
        assert_eq!(written(1, 69), "1,45 %");
        // 1/71 = 1.4084…: one rounding gives 1,41; rounding 1.4 again would print 1,40.
        assert_eq!(written(1, 71), "1,41 %");
        assert_eq!(written(3_151, 3_159), "99,75 %");
        assert_eq!(written(241, 254), "94,88 %");
        assert_eq!(written(144, 156), "92,31 %");
        assert_eq!(written(69, 69), "100,00 %");
        assert_eq!(written(0, 18), "0,00 %");
    }

    #[test]
    fn halves_round_away_from_zero() {
        // 1/8 = 12.5 % exactly; 1/1600 = 0.0625 % → 0.06; 1/800 = 0.125 % → 0.13.
        assert_eq!(hundredths(1, 8), Some(1250));
        assert_eq!(hundredths(1, 1600), Some(6));
        assert_eq!(hundredths(1, 800), Some(13));
        assert_eq!(hundredths(-1, 800), Some(-13));
        assert_eq!(written(-1, 800), "-0,13 %");
    }

    #[test]
    fn no_denominator_no_percentage() {
        assert_eq!(hundredths(3, 0), None);
        assert_eq!(value(3, -1), None);
        assert_eq!(written(0, 0), "-");
    }

    #[test]
    fn value_is_the_written_figure() {
        assert_eq!(value(1, 69), Some(1.45));
        assert_eq!(value(1, 71), Some(1.41));
        assert_eq!(value(i64::MAX, 1), None, "too large for hundredths");
    }

    #[test]
    fn outside_figures_keep_their_decimals() {
        assert_eq!(written_as_given(92.7), "92,7 %");
        assert_eq!(written_as_given(100.0), "100 %");
    }
}
