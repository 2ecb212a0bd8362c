//! The typed side of an order's members: whether two orders hold the same value in one,
//! a copy without some, and replacing one with a parsed JSON value. Each lists `Order`'s
//! fields by destructuring, so a field added to `Order` does not compile until it is
//! listed here too.

use std::sync::Arc;

use serde_json::Value;

use crate::model::Order;
use crate::model::bounds::OrderLimits;
use crate::model::parse::{ModelError, from_value_within};

/// Whether `a` and `b` hold the same value in the top-level member `name` (its JSON
/// name): then their JSON there is the same. `false` for a name the order does not have.
pub fn same_member(a: &Order, b: &Order, name: &str) -> bool {
    // Destructured, so that a field added to `Order` does not compile until listed here.
    let Order {
        id,
        merchant,
        channel,
        reference,
        created,
        last_modified,
        state,
        culture,
        currency,
        country,
        cart,
        shippings,
        payments,
        customer,
        consents,
        validations,
        hooks,
        detached_hooks,
        notifications,
        total,
        attributes,
    } = a;
    match name {
        "id" => *id == b.id,
        "merchant" => *merchant == b.merchant,
        "channel" => *channel == b.channel,
        "reference" => *reference == b.reference,
        "created" => *created == b.created,
        "lastModified" => *last_modified == b.last_modified,
        "state" => *state == b.state,
        "culture" => *culture == b.culture,
        "currency" => *currency == b.currency,
        "country" => *country == b.country,
        "cart" => *cart == b.cart,
        "shippings" => *shippings == b.shippings,
        "payments" => *payments == b.payments,
        "customer" => *customer == b.customer,
        "consents" => *consents == b.consents,
        "validations" => *validations == b.validations,
        "hooks" => *hooks == b.hooks,
        "detachedHooks" => *detached_hooks == b.detached_hooks,
        "notifications" => {
            Arc::ptr_eq(notifications, &b.notifications) || notifications == &b.notifications
        }
        "total" => *total == b.total,
        "attributes" => *attributes == b.attributes,
        _ => false,
    }
}

/// A copy of `order` but for the members `skip` names (JSON names), which are left at
/// their defaults: for a copy whose members are about to be replaced, without copying
/// what is replaced (a 20-line cart is most of an order).
pub fn clone_without(order: &Order, skip: impl Fn(&str) -> bool) -> Order {
    fn keep<T: Clone + Default>(skipped: bool, value: &T) -> T {
        if skipped { T::default() } else { value.clone() }
    }
    let Order {
        id,
        merchant,
        channel,
        reference,
        created,
        last_modified,
        state,
        culture,
        currency,
        country,
        cart,
        shippings,
        payments,
        customer,
        consents,
        validations,
        hooks,
        detached_hooks,
        notifications,
        total,
        attributes,
    } = order;
    Order {
        id: keep(skip("id"), id),
        merchant: keep(skip("merchant"), merchant),
        channel: keep(skip("channel"), channel),
        reference: keep(skip("reference"), reference),
        created: keep(skip("created"), created),
        last_modified: keep(skip("lastModified"), last_modified),
        // A status has no default; a state is small.
        state: state.clone(),
        culture: keep(skip("culture"), culture),
        currency: keep(skip("currency"), currency),
        country: keep(skip("country"), country),
        cart: keep(skip("cart"), cart),
        shippings: keep(skip("shippings"), shippings),
        payments: keep(skip("payments"), payments),
        customer: keep(skip("customer"), customer),
        consents: keep(skip("consents"), consents),
        validations: keep(skip("validations"), validations),
        hooks: keep(skip("hooks"), hooks),
        detached_hooks: keep(skip("detachedHooks"), detached_hooks),
        notifications: keep(skip("notifications"), notifications),
        total: keep(skip("total"), total),
        attributes: keep(skip("attributes"), attributes),
    }
}

/// Replaces the top-level member `name` (its JSON name) of `order` with `value` parsed as
/// that member, or with the member's default when `value` is `None` (as parsing an order
/// without it does). Errors as parsing a whole order with that member would, but for the
/// error's path, which is the member's own; a required member without a value, or a name
/// the order does not have, is an error too.
pub fn set_member(order: &mut Order, name: &str, value: Option<Value>) -> Result<(), ModelError> {
    fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ModelError> {
        from_value_within(value, &OrderLimits::UNBOUNDED)
    }
    fn optional<T: serde::de::DeserializeOwned>(v: Option<Value>) -> Result<Option<T>, ModelError> {
        v.map(parse).transpose()
    }
    fn listed<T: serde::de::DeserializeOwned + Default>(v: Option<Value>) -> Result<T, ModelError> {
        v.map(parse).transpose().map(Option::unwrap_or_default)
    }
    let required = |v: Option<Value>| {
        v.ok_or_else(|| ModelError {
            path: String::new(),
            message: format!("missing field `{name}`"),
            bounds: None,
        })
    };
    let Order {
        id,
        merchant,
        channel,
        reference,
        created,
        last_modified,
        state,
        culture,
        currency,
        country,
        cart,
        shippings,
        payments,
        customer,
        consents,
        validations,
        hooks,
        detached_hooks,
        notifications,
        total,
        attributes,
    } = order;
    match name {
        "id" => *id = parse(required(value)?)?,
        "merchant" => *merchant = parse(required(value)?)?,
        "channel" => *channel = parse(required(value)?)?,
        "reference" => *reference = optional(value)?,
        "created" => *created = parse(required(value)?)?,
        "lastModified" => *last_modified = parse(required(value)?)?,
        "state" => *state = parse(required(value)?)?,
        "culture" => *culture = optional(value)?,
        "currency" => *currency = optional(value)?,
        "country" => *country = optional(value)?,
        "cart" => *cart = optional(value)?,
        "shippings" => *shippings = listed(value)?,
        "payments" => *payments = listed(value)?,
        "customer" => *customer = optional(value)?,
        "consents" => *consents = listed(value)?,
        "validations" => *validations = listed(value)?,
        "hooks" => *hooks = listed(value)?,
        "detachedHooks" => *detached_hooks = listed(value)?,
        "notifications" => *notifications = listed(value)?,
        "total" => *total = optional(value)?,
        "attributes" => *attributes = optional(value)?,
        other => {
            return Err(ModelError {
                path: String::new(),
                message: format!("unknown field `{other}`"),
                bounds: None,
            });
        }
    }
    Ok(())
}
