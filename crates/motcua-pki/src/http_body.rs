//! The body of an answer from another server (timestamp authority, revocation source, remote
//! signing provider), read up to a limit: a server cannot make the service buffer without end.

/// Why a body was not read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Announced or grown larger than the limit, in bytes.
    TooLarge(usize),
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

impl BodyError {
    pub(crate) fn message(&self) -> String {
        match self {
            Self::TooLarge(limit) => format!("the answer is larger than {limit} bytes"),
            Self::Transport(error) => crate::error::chain_of_causes(error),
        }
    }
}

/// The body of `response`, refused as soon as it is known to exceed `limit` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge(limit));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
