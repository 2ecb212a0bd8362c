//! The cart: items (recursive), discounts, money.

use serde::{Deserialize, Serialize};

use super::Attributes;

/// An amount with and without VAT, in major currency units.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Money {
    /// Amount including VAT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub including_vat: Option<f64>,
    /// Amount excluding VAT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluding_vat: Option<f64>,
}

/// The order's cart (also the body of `PUT …/cart`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cart {
    /// Cart reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// Cart-level discounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discounts: Option<Vec<Discount>>,
    /// Cart total excluding shipping fees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}

/// A cart item; may contain items of its own (bundles).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Item {
    /// Item id, e.g. `ci_FpEzyBvBBUyKxkeNriFUxZOCje`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// External reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Stock keeping unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Product type, e.g. `physical` (not enumerated by the spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    /// Nested items.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// Product page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Product image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Quantity; signed so that a negative value parses and a check can report it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// Unit, e.g. `st`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Unit price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// Line total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
    /// Line total before discounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_total: Option<Money>,
    /// VAT rate as a fraction, e.g. `0.25`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<f64>,
    /// Item discounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discounts: Option<Vec<Discount>>,
    /// Weight, size and shipping data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logistics: Option<Logistics>,
    /// Whether the item was added as an upsell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upsell: Option<bool>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}

/// A discount on an item or on the cart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Discount {
    /// Discount type, e.g. `item` (not enumerated by the spec).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// External reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Discount code the customer entered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The amount taken off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Money>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}

/// Physical data of an item, for shipping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Logistics {
    /// Weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// Height.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
    /// Width.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    /// Length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<f64>,
    /// Free tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// When the item ships (date-time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_date: Option<String>,
}
