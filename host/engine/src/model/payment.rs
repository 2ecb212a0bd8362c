//! Payments (spec 004).

use serde::{Deserialize, Serialize};

use super::{Attributes, PaymentState, PaymentType};

/// A payment of the order (also the body of `POST …/payments`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Payment {
    /// Payment id, e.g. `p_KBiXuYjvYxsezKCQAMuuSKGDaT`; the host assigns one if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Adapter that handles the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// Payment service provider name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Merchant identifier (set by the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant: Option<String>,
    /// Merchant channel (set by the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Currency, ISO 4217 alpha-3; defaults to the order's currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Type of payment.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<PaymentType>,
    /// Id of the order (set by the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Amount the payment covers, in major units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    /// Upper limit the payment may cover, e.g. a voucher's balance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upper_limit_amount: Option<f64>,
    /// State of the payment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<PaymentState>,
    /// External reference at the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
    /// After-payment actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<PaymentAction>>,
    /// Data for repeated purchases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring: Option<Recurring>,
    /// Upsell information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upsell: Option<PaymentUpsell>,
}

/// An after-payment action; the spec marks `adapterId`, `type` and `url` required.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentAction {
    /// Action id (read-only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Adapter that performs the action.
    pub adapter_id: String,
    /// Action type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where the action is invoked.
    pub url: String,
}

/// A recurring payment's token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recurring {
    /// Token for repeated purchases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}

/// Upsell information of a payment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentUpsell {
    /// Whether upsell is possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<bool>,
    /// Until when (date-time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// Upsell transactions; their shape is not specified, so free JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Vec<serde_json::Value>>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}
