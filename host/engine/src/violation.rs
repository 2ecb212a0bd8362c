//! Why a mutation was refused: the common currency of built-in checks and plugins.

use serde::{Deserialize, Serialize};

/// The name built-in checks report as their plugin.
pub const BUILTIN: &str = "builtin";

/// One reason a mutation was refused.
///
/// Plugins return `path`, `code` and `message`; the host adds which plugin said it, so a
/// merchant with several validations can tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// The plugin that reported it, or [`BUILTIN`] for the host's own checks.
    pub plugin: String,
    /// JSON Pointer (RFC 6901) to the offending value, e.g. `/cart/items/3/quantity`.
    pub path: String,
    /// A stable, machine-readable code, e.g. `max-quantity-exceeded`.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

impl Violation {
    /// A violation found by the host's built-in checks.
    pub fn builtin(path: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            plugin: BUILTIN.to_owned(),
            path: path.into(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}
