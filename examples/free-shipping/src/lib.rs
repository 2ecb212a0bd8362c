//! Example hook plugin: free shipping above a cart total.
//!
//! Configuration: `{"threshold": 500.0}`, the cart total including VAT at or above which
//! shipping is free. The manifest subscribes the hook to `cart`: whenever the cart changes,
//! it sets every shipping fee to zero if the cart qualifies.
//!
//! It only ever waives fees: a cart that drops below the threshold again keeps its zeroed
//! shipping until the shipping adapter prices it again, because the hook cannot know what
//! the fee was (and putting fees back is the shipping adapter's business).

use ordergate_guest::{Change, Context, Hook, Money, Operation, Order, Outcome};
use serde::Deserialize;

/// Half a cent: the cart total is an `f64` sum of prices, so a cart meant to be exactly at
/// the threshold may land a rounding error below it (0.7 + 0.1 is 0.7999999999999999).
const TOLERANCE: f64 = 0.005;

/// The merchant's configuration. `threshold` is required: a default would make shipping
/// free (or never free) because of a typo in the manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Cart total including VAT at or above which shipping is free.
    pub threshold: f64,
}

/// The plugin; all its state is in the call's arguments.
pub struct FreeShipping;

impl Hook for FreeShipping {
    fn handle(ctx: Context, order: Order, _change: Change) -> Result<Outcome, String> {
        // An unusable configuration is a fault the merchant must see in the run report,
        // not a silent "no free shipping".
        let config: Config = ctx
            .config()
            .map_err(|e| format!("invalid configuration: {}", e.json_error()))?;
        Ok(free_shipping(&order, &config))
    }
}

ordergate_guest::export_hook!(FreeShipping);

/// The rule itself, over plain SDK types so it can be unit-tested natively.
pub fn free_shipping(order: &Order, config: &Config) -> Outcome {
    // The cart total is what the customer sees as "your goods" (shipping excluded); a cart
    // without one has not been priced yet, and there is nothing to compare.
    let Some(total) = order.cart.as_ref().and_then(|cart| cart.total.as_ref()) else {
        return Outcome::default();
    };
    if total.including_vat + TOLERANCE < config.threshold {
        return Outcome::default();
    }
    let free = Money::new(0.0, 0.0);
    let operations = order
        .shippings
        .iter()
        .enumerate()
        // A shipping without a total has no fee to waive (and `replace` needs the member
        // to exist); one already at zero needs no operation, so re-running the hook is
        // a no-op.
        .filter_map(|(index, shipping)| {
            let current = shipping.total.as_ref()?;
            let is_free = current.including_vat == 0.0 && current.excluding_vat == 0.0;
            (!is_free).then_some((index, current))
        })
        .flat_map(|(index, current)| {
            let path = format!("/shippings/{index}/total");
            // The `test` makes the host reject the whole patch if the fee changed since
            // the hook read the order (a shipping adapter repriced it, or shippings were
            // reordered): better no free shipping this time than overwriting a change
            // this decision did not see.
            [
                Operation::test(&path, current),
                Operation::replace(path, &free),
            ]
        })
        .collect();
    Outcome::patch(operations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordergate_guest::{Cart, OpKind, Shipping};
    use serde_json::{Value, json};

    fn shipping(total: Option<Money>) -> Shipping {
        Shipping {
            id: None,
            merchant: None,
            channel: None,
            state: None,
            reference: None,
            tms_reference: None,
            order_id: None,
            adapter_id: None,
            name: None,
            total,
            vat_rate: None,
            delivery_details: None,
            addons: Vec::new(),
            attributes: None,
        }
    }

    fn order(cart_total: f64, shippings: Vec<Shipping>) -> Order {
        Order {
            cart: Some(Cart {
                total: Some(Money::new(cart_total, cart_total * 0.8)),
                ..Cart::default()
            }),
            shippings,
            ..Order::default()
        }
    }

    fn ops(outcome: &Outcome) -> Vec<(OpKind, &str, Option<Value>)> {
        outcome
            .operations
            .iter()
            .map(|op| (op.op, op.path.as_str(), op.value_json()))
            .collect()
    }

    const CONFIG: Config = Config { threshold: 500.0 };

    #[test]
    fn zeroes_every_paid_shipping_at_the_threshold() {
        let order = order(
            500.0,
            vec![
                shipping(Some(Money::new(49.0, 39.2))),
                shipping(Some(Money::new(0.0, 0.0))),
                shipping(None),
                shipping(Some(Money::new(99.0, 79.2))),
            ],
        );
        let outcome = free_shipping(&order, &CONFIG);
        let zero = json!({"includingVat": 0.0, "excludingVat": 0.0});
        assert_eq!(
            ops(&outcome),
            vec![
                (
                    OpKind::Test,
                    "/shippings/0/total",
                    Some(json!({"includingVat": 49.0, "excludingVat": 39.2}))
                ),
                (OpKind::Replace, "/shippings/0/total", Some(zero.clone())),
                (
                    OpKind::Test,
                    "/shippings/3/total",
                    Some(json!({"includingVat": 99.0, "excludingVat": 79.2}))
                ),
                (OpKind::Replace, "/shippings/3/total", Some(zero)),
            ]
        );
        assert!(outcome.triggers.is_empty());
    }

    #[test]
    fn rounding_noise_below_the_threshold_still_qualifies() {
        let order = order(0.7 + 0.1, vec![shipping(Some(Money::new(5.0, 4.0)))]);
        let outcome = free_shipping(&order, &Config { threshold: 0.8 });
        assert_eq!(outcome.operations.len(), 2);
    }

    #[test]
    fn below_the_threshold_changes_nothing() {
        let order = order(499.0, vec![shipping(Some(Money::new(49.0, 39.2)))]);
        let outcome = free_shipping(&order, &CONFIG);
        assert!(outcome.operations.is_empty());
        assert!(outcome.triggers.is_empty());
    }

    #[test]
    fn an_unpriced_cart_changes_nothing() {
        let order = Order {
            shippings: vec![shipping(Some(Money::new(49.0, 39.2)))],
            ..Order::default()
        };
        assert!(free_shipping(&order, &CONFIG).operations.is_empty());
    }

    #[test]
    fn a_bad_configuration_is_an_error() {
        for configuration in ["{}", r#"{"threshold": "500"}"#, r#"{"treshold": 500}"#] {
            let ctx = Context {
                configuration: configuration.into(),
                ..Context::default()
            };
            let error =
                FreeShipping::handle(ctx, order(600.0, vec![]), Change::default()).unwrap_err();
            assert!(
                error.starts_with("invalid configuration: "),
                "{configuration}: {error}"
            );
        }
    }
}
