//! What the `/archive` endpoints of both services share: the request body and the bound on a
//! renewal made within one request.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// Renewals one request may ask for: each asks the timestamp authority once.
pub const MAX_RENEWALS_PER_REQUEST: u64 = 10_000;
const DEFAULT_RENEWALS_PER_REQUEST: u64 = 100;

/// The body of `POST /archive/renewals`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewalRequest {
    /// Renewals to make at most, 1 to 10000 (default 100); the next request goes on where
    /// this one stopped.
    #[schema(minimum = 1, maximum = 10000)]
    pub limit: Option<u64>,
}

impl RenewalRequest {
    /// The limit, checked.
    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_RENEWALS_PER_REQUEST),
            Some(limit) if (1..=MAX_RENEWALS_PER_REQUEST).contains(&limit) => Ok(limit),
            Some(_) => Err(ApiError::invalid(
                "limit",
                format!("must be between 1 and {MAX_RENEWALS_PER_REQUEST}"),
            )),
        }
    }
}
