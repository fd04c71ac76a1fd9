//! Reading typed configuration from the environment, shared by both services.

use std::str::FromStr;

/// A value kept out of logs and `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A variable that is set but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {name}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

const MIN_KEYSTORE_PASSWORD_CHARS: usize = 12;

/// `MOTCUA_KEYSTORE_PASSWORD`: unset or empty turns organisation keys off; a short one is refused.
pub fn keystore_password() -> Result<Option<Secret>, ConfigError> {
    const NAME: &str = "MOTCUA_KEYSTORE_PASSWORD";
    match std::env::var(NAME) {
        Ok(value) if value.is_empty() => Ok(None),
        Ok(value) if value.chars().count() < MIN_KEYSTORE_PASSWORD_CHARS => Err(ConfigError {
            name: NAME,
            value: "(hidden)".into(),
            reason: format!("at least {MIN_KEYSTORE_PASSWORD_CHARS} characters"),
        }),
        Ok(value) => Ok(Some(Secret::new(value))),
        Err(_) => Ok(None),
    }
}

/// Reads `name`, or returns `default` when it is unset.
pub fn env_or<T>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(value) => value.parse().map_err(|e: T::Err| ConfigError {
            name,
            reason: e.to_string(),
            value,
        }),
        Err(_) => Ok(default),
    }
}
