//! Example hook plugin: free shipping above a cart total.
//!
//! Configuration: `{"threshold": 500.0}`, the cart total including VAT at or above which
//! shipping is free. The manifest subscribes the hook to `cart`: whenever the cart changes,
//! it sets every shipping fee to zero if the cart qualifies.
//!
//! It only ever waives fees: a cart that drops below the threshold again keeps its zeroed
//! shipping until the shipping adapter prices it again, because the hook cannot know what
//! the fee was (and putting fees back is the shipping adapter's business).

use ordergate_guest::{Change, Context, Hook, Money, Operation, Order, Outcome, Shipping};
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
    // Parsed once, at install: a missing or misspelt `threshold` refuses the install.
    type Config = Config;

    fn handle(
        config: &Config,
        _ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<Outcome, String> {
        // The cart total alone decides; the shippings are read only for a cart that
        // qualifies.
        if !qualifies(order.cart_total().as_ref(), config) {
            return Ok(Outcome::default());
        }
        Ok(waive_fees(&order.shippings()))
    }
}

ordergate_guest::export_hook!(FreeShipping);

/// Whether a cart with this total ships free.
///
/// The cart total is what the customer sees as "your goods" (shipping excluded); a cart
/// without one has not been priced yet, and there is nothing to compare.
pub fn qualifies(cart_total: Option<&Money>, config: &Config) -> bool {
    cart_total.is_some_and(|total| total.including_vat + TOLERANCE >= config.threshold)
}

/// The patch that sets the fee of every shipping to zero, over the order's shippings so
/// it can be unit-tested natively.
pub fn waive_fees(shippings: &[Shipping]) -> Outcome {
    let free = Money::new(0.0, 0.0);
    let operations = shippings
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
    use ordergate_guest::OpKind;
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

    fn cart_total(total: f64) -> Option<Money> {
        Some(Money::new(total, total * 0.8))
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
        assert!(qualifies(cart_total(500.0).as_ref(), &CONFIG));
        let outcome = waive_fees(&[
            shipping(Some(Money::new(49.0, 39.2))),
            shipping(Some(Money::new(0.0, 0.0))),
            shipping(None),
            shipping(Some(Money::new(99.0, 79.2))),
        ]);
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
        assert!(qualifies(
            cart_total(0.7 + 0.1).as_ref(),
            &Config { threshold: 0.8 }
        ));
        let outcome = waive_fees(&[shipping(Some(Money::new(5.0, 4.0)))]);
        assert_eq!(outcome.operations.len(), 2);
    }

    #[test]
    fn below_the_threshold_changes_nothing() {
        assert!(!qualifies(cart_total(499.0).as_ref(), &CONFIG));
    }

    #[test]
    fn an_unpriced_cart_changes_nothing() {
        assert!(!qualifies(None, &CONFIG));
    }

    #[test]
    fn free_shippings_need_no_patch() {
        let outcome = waive_fees(&[shipping(Some(Money::new(0.0, 0.0))), shipping(None)]);
        assert!(outcome.operations.is_empty());
        assert!(outcome.triggers.is_empty());
    }

    #[test]
    fn a_bad_configuration_is_an_error() {
        for configuration in ["{}", r#"{"threshold": "500"}"#, r#"{"treshold": 500}"#] {
            let ctx = Context {
                configuration: configuration.into(),
                ..Context::default()
            };
            let error = ctx.hook_config::<Config>().unwrap_err();
            assert!(
                error.starts_with("invalid configuration: "),
                "{configuration}: {error}"
            );
        }
    }
}
