//! Keyset pagination: pages in id order, with an opaque cursor for the next page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// `limit` and `cursor`, accepted by every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
            Some(_) => Err(ApiError::bad_param(
                "limit",
                format!("between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The id after which the page starts.
    pub fn after(&self) -> Result<Option<i64>, ApiError> {
        self.cursor.as_deref().map(decode_cursor).transpose()
    }
}

pub fn encode_cursor(last_id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("id:{last_id}"))
}

fn decode_cursor(cursor: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::bad_param("cursor", "not a cursor returned by this list");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("id:")
        .and_then(|id| id.parse().ok())
        .ok_or_else(bad)
}

/// Cuts one extra row off a page fetched with `limit + 1` and returns the cursor if it existed.
pub fn finish_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    id_of: impl Fn(&T) -> i64,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|row| encode_cursor(id_of(row)));
        (rows, next)
    } else {
        (rows, None)
    }
}

/// Declares the page type of a list: `{ "items": [...], "next": "cursor" | null }`.
#[macro_export]
macro_rules! page_type {
    ($page:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub struct $page {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            pub next: Option<String>,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_rejects_garbage() {
        let params = PageParams {
            limit: None,
            cursor: Some(encode_cursor(42)),
        };
        assert_eq!(params.after().unwrap(), Some(42));
        let params = PageParams {
            limit: Some(0),
            cursor: Some("!!".into()),
        };
        assert!(params.after().is_err());
        assert!(params.limit().is_err());
    }

    #[test]
    fn page_cut() {
        let (rows, next) = finish_page(vec![1, 2, 3], 2, |r| *r);
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(next, Some(encode_cursor(2)));
        let (rows, next) = finish_page(vec![1, 2], 2, |r| *r);
        assert_eq!((rows.len(), next), (2, None));
    }
}
