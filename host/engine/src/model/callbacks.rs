//! What an order calls out to: validations, hooks and notifications.
//!
//! In ordergate these are served in-process by plugins; the shapes stay the spec's.

use serde::{Deserialize, Serialize};

use super::BodyVersion;

/// A validation registered on the order (the spec's `Callback`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Callback {
    /// Validation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Adapter (plugin) that validates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// Where the validation is invoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A hook: gets the whole order and answers with JSON Patch operations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hook {
    /// Hook id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Adapter (plugin) the hook belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// What the hook subscribes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribe_to: Option<String>,
    /// Target of the hook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What is invoked; may hold `{order_id}` / `{order.id}` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoke: Option<String>,
}

/// A notification: fires when the value at `scope` changes and matches `schema`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notification {
    /// Notification id, e.g. `ocGooDddTOjKOuFmNnkEozEpfuTh`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Adapter responsible for the notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// Reference, used to track the notification across orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Purpose of the notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Pointer inside the order, e.g. `/state/currentStatus` (not inside arrays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// JSON Schema (2020-12) the value at `scope` must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    /// What is invoked; may reference configuration and order in curly braces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoke: Option<String>,
    /// Order body version the receiver expects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<BodyVersion>,
    /// Delay in ms before the notification is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<i32>,
}
