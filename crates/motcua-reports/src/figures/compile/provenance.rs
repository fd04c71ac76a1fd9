//! Which results-service requests each member of the figures was computed from.

use motcua_core::record_ids::UnitId;

use crate::client::Source;
use crate::figures::model::{Provenance, COMPUTED_FROM_RECORDS};

/// Whether a request path is one a member was computed from.
type Reads<'a> = dyn Fn(&str) -> bool + 'a;

/// One entry per member of the figures that was read, naming its requests in the order they
/// were fetched. Members whose sections were not compiled are left out.
pub(super) fn of(root: UnitId, sources: &[Source]) -> Vec<Provenance> {
    let unit = format!("/units/{root}");
    let indicators_of_root = format!("/statistics/indicators?unit={root}&");
    let is_unit = |path: &str| path.starts_with("/units/") && !path[7..].contains('/');
    let members: [(&str, &Reads); 9] = [
        ("unit", &|p| p == unit || p.starts_with("/units?")),
        ("parents", &|p| is_unit(p) && p != unit),
        ("form06", &|p| p.starts_with("/statistics/form-06?")),
        ("counting_rule", &|p| p.starts_with("/statistics/form-06?")),
        ("indicators", &|p| p.starts_with(&indicators_of_root)),
        ("level_rates", &|p| p.starts_with("/statistics/indicators?")),
        ("online_coverage", &|p| {
            p.starts_with("/procedures") || p.starts_with("/statistics/indicators?")
        }),
        ("certificates", &|p| {
            p.starts_with("/units/") && p.contains("/certificate-coverage")
                || p.starts_with("/units?")
        }),
        ("staffing", &|p| {
            p.starts_with("/units/") && p.ends_with("/staffing") || p.starts_with("/units?")
        }),
    ];
    members
        .into_iter()
        .map(|(member, read)| Provenance {
            figures: member.to_owned(),
            origin: COMPUTED_FROM_RECORDS.to_owned(),
            requests: sources
                .iter()
                .filter(|s| read(&s.path))
                .map(|s| s.path.clone())
                .collect(),
        })
        .filter(|p| !p.requests.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn source(path: &str) -> Source {
        Source {
            path: path.into(),
            sha256: String::new(),
            fetched_at: Utc::now(),
        }
    }

    #[test]
    fn each_member_names_its_requests() {
        let sources: Vec<Source> = [
            "/units/2",
            "/units?under=2&limit=500",
            "/units/1",
            "/statistics/form-06?unit=2&period=2024-Q1",
            "/statistics/indicators?unit=2&period=2024-Q1",
            "/statistics/form-06?unit=22&period=2024-Q1",
            "/statistics/indicators?unit=22&period=2024-Q1",
            "/units/2/staffing",
        ]
        .into_iter()
        .map(source)
        .collect();
        let found = of(UnitId(2), &sources);
        let requests = |member: &str| {
            found
                .iter()
                .find(|p| p.figures == member)
                .map(|p| p.requests.clone())
                .unwrap_or_default()
        };
        assert_eq!(requests("parents"), vec!["/units/1"]);
        assert_eq!(
            requests("indicators"),
            vec!["/statistics/indicators?unit=2&period=2024-Q1"]
        );
        assert_eq!(requests("level_rates").len(), 2);
        assert_eq!(requests("form06").len(), 2);
        assert_eq!(
            requests("staffing"),
            vec!["/units?under=2&limit=500", "/units/2/staffing"]
        );
        assert!(requests("certificates")
            .iter()
            .all(|p| p.starts_with("/units?")));
        assert!(found.iter().all(|p| p.origin == COMPUTED_FROM_RECORDS));
    }
}
