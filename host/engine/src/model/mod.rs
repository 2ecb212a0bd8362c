//! The order model: serde types for every object of the reference API's order.
//!
//! Field names, enums and shapes follow the Norce Checkout API pages in `shared/spec`. Every
//! struct rejects unknown fields, and optional fields are omitted when absent, so parsing then
//! serializing a body reproduces it.

pub mod bounds;
mod callbacks;
mod cart;
mod customer;
mod enums;
mod order;
mod parse;
pub mod parts;
mod payment;
pub mod shape;
mod shipping;

pub use bounds::{BoundsError, OrderLimits, check_order};
pub use callbacks::{Callback, Hook, Notification};
pub use cart::{Cart, Discount, Item, Logistics, Money};
pub use customer::{Address, Customer};
pub use enums::{
    BodyVersion, CustomerType, OrderStatus, PaymentEvent, PaymentState, PaymentType, ShippingState,
};
pub use order::{Consent, NewOrder, Order, OrderState, StateUpdate, Transition};
pub use parse::{ModelError, from_json, from_json_within, from_value, from_value_within};
pub use payment::{Payment, PaymentAction, PaymentUpsell, Recurring};
pub use shipping::{
    Addon, DeliveryDetails, DeliveryProduct, PickupAddress, PickupLocation, Shipping,
};

/// Free-form custom attributes, as the spec's `attributes` objects.
pub type Attributes = serde_json::Map<String, serde_json::Value>;
