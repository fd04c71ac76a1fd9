//! The HTTP answer to a refused dossier change.

use crate::lifecycle::LifecycleError;
use motcua_web::error::ApiError;

impl From<LifecycleError> for ApiError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::Invalid { field, reason } => ApiError::invalid(field, reason),
            LifecycleError::MissingReference(field) => {
                ApiError::missing_reference(field)(motcua_db::DbError::NotFound)
            }
            LifecycleError::Conflict(detail) => ApiError::Conflict(detail),
            LifecycleError::Internal(detail) => ApiError::internal(detail),
            LifecycleError::Db(error) => error.into(),
        }
    }
}
