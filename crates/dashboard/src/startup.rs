//! How the app starts: the URL and key given by flags, environment or key file
//! ([`StartupOptions`]), and where the key came from ([`KeySource`]).

use crate::client::ApiKey;

/// Where the API key came from, shown in Settings (never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// No key.
    None,
    /// `--api-key` or `SCOREWATCH_API_KEY`.
    Environment,
    /// `<data dir>/secrets/api_key`.
    KeyFile,
    /// The user asked to remember it in the settings.
    Remembered,
    /// Typed in Settings.
    Typed,
}

impl KeySource {
    /// Where the key came from, in a few words.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "no key",
            Self::Environment => "from --api-key / SCOREWATCH_API_KEY",
            Self::KeyFile => "from the key file",
            Self::Remembered => "remembered in the settings",
            Self::Typed => "typed in Settings",
        }
    }
}

/// How the app starts, from flags and environment.
#[derive(Debug, Clone)]
pub struct StartupOptions {
    /// Overrides the remembered API URL when set.
    pub api_url: Option<String>,
    /// The key from the command line, environment or key file.
    pub api_key: Option<ApiKey>,
    /// Where `api_key` came from.
    pub key_source: KeySource,
}
