//! The customer and their addresses.

use serde::{Deserialize, Serialize};

use super::{Attributes, CustomerType};

/// The customer of an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Customer {
    /// Billing address (body of `PUT …/customer/billing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing: Option<Address>,
    /// Shipping address (body of `PUT …/customer/shipping`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Address>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
    /// Person or organization.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CustomerType>,
}

/// A billing or shipping address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// Person or organization.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CustomerType>,
    /// Given name or first name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name or last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Care of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub care_of: Option<String>,
    /// Reference to the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Name of the organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Street address, first line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// Street address, second line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address2: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Country, ISO 3166 alpha-2 (`^[A-Za-z]{2}$`, checked by the built-in checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Personal identity number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_identification_number: Option<String>,
    /// Corporate identity number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_identification_number: Option<String>,
    /// Custom attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub attributes: Option<Attributes>,
}
