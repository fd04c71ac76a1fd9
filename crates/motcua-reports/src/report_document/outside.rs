//! Figures from outside the records: printed as their source's, attached apart.

use motcua_core::percent::written_as_given;
use motcua_document::{Block, Span};

use super::{number, period_name, EXTERNAL_FIGURES_SCHEMA, EXTERNAL_ORIGIN};
use crate::content::{ExternalFigure, ExternalUnit};

/// The external figures as attached: each marked `"origin": "external"` with its source.
pub fn external_figures_json(external: &[ExternalFigure]) -> Vec<u8> {
    let figures: Vec<serde_json::Value> = external
        .iter()
        .map(|figure| {
            serde_json::json!({
                "origin": EXTERNAL_ORIGIN,
                "label": figure.label,
                "period": figure.period,
                "value": figure.value,
                "unit": figure.unit,
                "source": figure.source,
                "as_of": figure.as_of,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schema": EXTERNAL_FIGURES_SCHEMA,
        "figures": figures,
    }))
    .unwrap_or_default()
}

/// "Theo số liệu của Cổng Dịch vụ công quốc gia (ngày 15/01/2024), năm 2023 tỷ lệ … đạt: 92,7 %."
pub(super) fn external_sentence(figure: &ExternalFigure) -> Block {
    let value = match figure.unit {
        ExternalUnit::Percent => written_as_given(figure.value),
        ExternalUnit::Dossiers => format!("{} hồ sơ", external_count(figure.value)),
        ExternalUnit::Procedures => format!("{} TTHC", external_count(figure.value)),
    };
    Block::Bullet(vec![
        Span::italic(format!(
            "Theo số liệu của {} (ngày {}), ",
            figure.source.trim(),
            figure.as_of.format("%d/%m/%Y")
        )),
        Span::plain(format!(
            "{} {} đạt: {value}.",
            period_name(&figure.period),
            figure.label.trim()
        )),
    ])
}

/// A count entered as a whole number (checked when entered).
fn external_count(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    number(value as i64)
}
