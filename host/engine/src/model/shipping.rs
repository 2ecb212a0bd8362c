//! Shippings.

use serde::{Deserialize, Serialize};

use super::{Attributes, Money, ShippingState};

/// A shipping of the order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Shipping {
    /// Shipping id; the host assigns one if absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Merchant identifier (set by the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant: Option<String>,
    /// Merchant channel (set by the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// State of the shipping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<ShippingState>,
    /// External reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Reference in the transport management system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tms_reference: Option<String>,
    /// Id of the order (set by the host).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Adapter that handles the shipping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Shipping fee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
    /// VAT rate as a fraction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<f64>,
    /// Carrier, product and pickup location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_details: Option<DeliveryDetails>,
    /// Paid extras.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addons: Option<Vec<Addon>>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}

/// How a shipping is delivered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveryDetails {
    /// Carrier name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Carrier's product id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_product_id: Option<String>,
    /// Delivery class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// Delivery product.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<DeliveryProduct>,
    /// Where the customer picks the parcel up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pickup_location: Option<PickupLocation>,
}

/// A carrier's delivery product.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveryProduct {
    /// Product reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Product name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A pickup point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PickupLocation {
    /// Pickup point reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Pickup point name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pickup point address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<PickupAddress>,
}

/// The short address of a pickup point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PickupAddress {
    /// Street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country, ISO 3166 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A paid shipping extra.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Addon {
    /// Addon reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Addon price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
}
