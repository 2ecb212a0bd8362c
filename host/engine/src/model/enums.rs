//! The enumerations of the spec, declared once through [`spec_enum!`].
//!
//! Every enum serializes in the spelling the spec's enum lists use (`"person"`, `"intent"`) and
//! also accepts, on input, the PascalCase form the spec's own examples use (`"Person"`,
//! `"Intent"`), which is simply the Rust variant name.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, Serializer};

/// Declares a spec enum: variants with their spec spelling, serde impls that accept the spec
/// spelling and the PascalCase variant name, `as_str()`, `Display` and an `ALL` list.
macro_rules! spec_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every variant, in the order the spec lists them.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The spec's spelling of this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Parses the spec spelling or its PascalCase alias.
            pub fn parse(text: &str) -> Option<Self> {
                $(if text == $text || text == stringify!($variant) {
                    return Some(Self::$variant);
                })+
                None
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                // The serialized spelling only: the PascalCase alias is accepted on input
                // but is not part of the documented API.
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text,)+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text)
                    .ok_or_else(|| D::Error::unknown_variant(&text, &[$($text,)+]))
            }
        }
    };
}

spec_enum! {
    /// State of an order (`state.currentStatus`).
    OrderStatus {
        /// The customer is still shopping; cart and customer may change.
        Checkout = "checkout",
        /// A payment has started; the order is considered validated.
        Processing = "processing",
        /// Payment accepted; only information from external systems may be added.
        Accepted = "accepted",
        /// All payments accepted and shippings ready.
        Completed = "completed",
        /// Failure after acceptance.
        Declined = "declined",
        /// The order was removed.
        Removed = "removed",
    }
}

spec_enum! {
    /// Whether a customer or address is a person or an organization.
    CustomerType {
        /// A private person.
        Person = "person",
        /// A company or other legal person.
        Organization = "organization",
    }
}

spec_enum! {
    /// Type of a payment.
    PaymentType {
        /// An ordinary payment.
        Default = "default",
        /// Paid in advance.
        Prepaid = "prepaid",
        /// A voucher, usually with an `upperLimitAmount`.
        Voucher = "voucher",
    }
}

spec_enum! {
    /// State of a payment.
    PaymentState {
        /// Created, nothing started yet.
        Intent = "intent",
        /// Removed from the order.
        Removed = "removed",
        /// Being processed by the provider.
        Processing = "processing",
        /// The provider failed.
        Failed = "failed",
        /// Confirmed by the provider.
        Confirmed = "confirmed",
        /// Waiting for the provider.
        Pending = "pending",
        /// Declined by the provider.
        Declined = "declined",
        /// Amount reserved.
        Reserved = "reserved",
        /// Amount credited back.
        Credited = "credited",
        /// Amount captured.
        Captured = "captured",
    }
}

spec_enum! {
    /// State of a shipping.
    ShippingState {
        /// Created, nothing started yet.
        Intent = "intent",
        /// Removed from the order.
        Removed = "removed",
        /// Being processed by the transport system.
        Processing = "processing",
        /// The transport system failed.
        Failed = "failed",
        /// Confirmed by the transport system.
        Confirmed = "confirmed",
    }
}

spec_enum! {
    /// Version of the order body a notification expects.
    BodyVersion {
        /// Version 0.
        V0 = "v0",
        /// Version 1.
        V1 = "v1",
    }
}

spec_enum! {
    /// Events in a payment's life (spec 004).
    PaymentEvent {
        /// The payment is opened.
        Open = "open",
        /// The payment is processed.
        Process = "process",
        /// The payment is confirmed.
        Confirm = "confirm",
        /// The payment is reopened.
        Reopen = "reopen",
        /// The payment is cancelled.
        Cancel = "cancel",
        /// An after-payment action runs.
        PaymentAction = "paymentAction",
        /// The amount is captured.
        Capture = "capture",
        /// The amount is refunded.
        Refund = "refund",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_spelling_and_pascal_case_alias() {
        assert_eq!(CustomerType::parse("Person"), Some(CustomerType::Person));
        assert_eq!(CustomerType::parse("person"), Some(CustomerType::Person));
        assert_eq!(
            PaymentEvent::parse("PaymentAction"),
            Some(PaymentEvent::PaymentAction)
        );
        assert_eq!(PaymentEvent::PaymentAction.to_string(), "paymentAction");
        assert_eq!(BodyVersion::parse("V1"), Some(BodyVersion::V1));
        assert_eq!(OrderStatus::ALL.len(), 6);
        let err = serde_json::from_str::<PaymentType>("\"cash\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown variant `cash`, expected one of `default`, `prepaid`, `voucher`"
        );
        assert_eq!(
            serde_json::to_string(&PaymentState::Captured).unwrap(),
            "\"captured\""
        );
    }
}
