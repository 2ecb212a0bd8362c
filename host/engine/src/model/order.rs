//! The order itself and the bodies that create it or change its state.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{
    Attributes, Callback, Cart, Customer, Hook, Money, Notification, OrderStatus, Payment, Shipping,
};

/// An order as stored and as handed to plugins (the spec's full order schema).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    /// Order id, e.g. `o_yClTSySjyAuuBjmiBlHCjuEcTf`.
    pub id: String,
    /// Merchant identifier.
    pub merchant: String,
    /// Merchant channel.
    pub channel: String,
    /// External order reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Last change (RFC 3339).
    pub last_modified: String,
    /// Current status and its history.
    pub state: OrderState,
    /// Culture, e.g. `sv-SE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culture: Option<String>,
    /// Currency, ISO 4217 alpha-3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Country, ISO 3166 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The cart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart: Option<Cart>,
    /// Shippings.
    #[serde(default)]
    pub shippings: Vec<Shipping>,
    /// Payments.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// The customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Consents the customer gives.
    #[serde(default)]
    pub consents: Vec<Consent>,
    /// Registered validations.
    #[serde(default)]
    pub validations: Vec<Callback>,
    /// The hook bindings in force: one per hook plugin installed for the order's merchant
    /// and channel, minus those deleted from this order. Kept up to date by the host.
    #[serde(default)]
    pub hooks: Vec<Hook>,
    /// Extension: ids of the hooks deleted from this order (`DELETE …/hooks/{id}`), which
    /// no longer run on it even while installed. Host-owned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detached_hooks: Vec<String>,
    /// Registered notifications. Shared between versions (most changes leave them as they
    /// are): a new version of the order copies a pointer, not a hundred notifications with
    /// their schemas, and the pipeline sees they did not change by comparing pointers.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Notification>))]
    pub notifications: Arc<Vec<Notification>>,
    /// Order total including shipping fees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}

/// The order's status and every move it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderState {
    /// The current status.
    pub current_status: OrderStatus,
    /// Every move, oldest first (read-only: only the host appends).
    #[serde(default)]
    pub transitions: Vec<Transition>,
}

/// One move of the order's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Transition {
    /// The status moved to.
    pub status: OrderStatus,
    /// When (RFC 3339).
    pub time_stamp: String,
}

/// A consent; a required one must be checked before the order moves to `processing`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Consent {
    /// Consent id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Whether the customer gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked: Option<bool>,
    /// The text shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether it must be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
}

/// The body that creates an order; id, times, state and merchant come from the host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrder {
    /// External order reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Culture, e.g. `sv-SE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culture: Option<String>,
    /// Currency, ISO 4217 alpha-3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Country, ISO 3166 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The initial cart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart: Option<Cart>,
    /// The initial customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Consents to ask for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<Consent>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}

/// The body of `PUT …/state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateUpdate {
    /// The status to move to.
    pub current_status: OrderStatus,
}
