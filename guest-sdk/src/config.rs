//! The merchant-supplied plugin configuration.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::{Context, Violation};

/// The plugin configuration is not valid JSON or does not fit the plugin's type.
#[derive(Debug)]
pub struct ConfigError(serde_json::Error);

impl ConfigError {
    /// The underlying JSON error.
    pub fn json_error(&self) -> &serde_json::Error {
        &self.0
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid plugin configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// An invalid configuration as a violation of the whole order (path `""`), code
/// `invalid-configuration`, so a misconfigured validation refuses rather than lets
/// everything through.
impl From<ConfigError> for Violation {
    fn from(error: ConfigError) -> Self {
        Violation::new("", "invalid-configuration", error.to_string())
    }
}

/// Parses a configuration (JSON text; blank counts as `{}`) into `T`: what the default
/// `init` of the plugin traits and [`Context::config`] both do, for an `init` of one's own
/// that parses first and checks more.
pub fn parse_config<T: DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    let text = text.trim();
    let text = if text.is_empty() { "{}" } else { text };
    serde_json::from_str(text).map_err(ConfigError)
}

impl Context {
    /// Parses the plugin's configuration (JSON text; blank counts as `{}`) into `T`.
    ///
    /// A plugin rarely needs this: the default `init` of [`crate::Validation`] and
    /// `Hook` parses the configuration once, at install, and hands it to every call.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        parse_config(&self.configuration)
    }

    /// [`Context::config`] for a hook: an unusable configuration becomes the hook's own
    /// failure (`Err` of `handle`), `invalid configuration: …`, so the merchant sees it in
    /// the run report instead of a hook that silently does nothing.
    pub fn hook_config<T: DeserializeOwned>(&self) -> Result<T, String> {
        self.config()
            .map_err(|e| format!("invalid configuration: {}", e.json_error()))
    }
}
