//! The API key, kept out of `Debug` output and logs.

use std::fmt;

/// The header that carries the key, as the API names it.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// The API key, kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; surrounding whitespace (a trailing newline in a key file) is dropped.
    /// Returns `None` for an empty key.
    #[must_use]
    pub fn new(key: &str) -> Option<Self> {
        let key = key.trim();
        (!key.is_empty()).then(|| Self(key.to_owned()))
    }

    /// The key itself, for the `X-API-Key` header.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_is_trimmed_and_redacted() {
        let key = ApiKey::new("  s3cret\n").unwrap();
        assert_eq!(key.expose(), "s3cret");
        assert!(!format!("{key:?}").contains("s3cret"));
        assert!(ApiKey::new(" \n").is_none());
    }
}
