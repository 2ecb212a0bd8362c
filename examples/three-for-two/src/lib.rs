//! Example hook plugin: "3 for 2", every third unit of a line is free.
//!
//! Configuration: `{"skus": ["TSHIRT-M", "TSHIRT-L"]}` limits the offer to those SKUs;
//! without `skus` (or with `{}`) every line takes part. The manifest subscribes the hook to
//! `cart`.
//!
//! For every top-level line with a quantity of 3 or more, `floor(quantity / 3)` units are
//! free. The sum becomes one cart discount with code `3for2`, and the cart total is
//! recomputed to include it. The rule is deliberately simple (one line's units only, no
//! "cheapest of a mixed basket"): the point of the example is the patch, not the pricing.

use ordergate_guest::{Cart, Change, Context, Hook, Item, Money, Operation, Order, Outcome};
use serde::Deserialize;
use serde_json::json;

/// The discount code that marks the cart as already discounted by this plugin.
pub const CODE: &str = "3for2";

/// The merchant's configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The SKUs the offer applies to; `None` means every line.
    #[serde(default)]
    pub skus: Option<Vec<String>>,
}

impl Config {
    fn applies_to(&self, item: &Item) -> bool {
        match &self.skus {
            None => true,
            // A line without a SKU cannot be on a list of SKUs.
            Some(skus) => item
                .sku
                .as_ref()
                .is_some_and(|sku| skus.iter().any(|s| s == sku)),
        }
    }
}

/// The plugin; all its state is in the call's arguments.
pub struct ThreeForTwo;

impl Hook for ThreeForTwo {
    fn handle(ctx: Context, order: Order, _change: Change) -> Result<Outcome, String> {
        let config: Config = ctx
            .config()
            .map_err(|e| format!("invalid configuration: {}", e.json_error()))?;
        Ok(three_for_two(&order, &config))
    }
}

ordergate_guest::export_hook!(ThreeForTwo);

/// The rule itself, over plain SDK types so it can be unit-tested natively.
pub fn three_for_two(order: &Order, config: &Config) -> Outcome {
    let Some(cart) = &order.cart else {
        return Outcome::default();
    };
    // Idempotence: the host applies this hook's patch as a new change of the cart, and
    // a host that cascades would run the hook again on it. Once the discount is there,
    // there is nothing left to do (and adding it twice would discount twice).
    if cart
        .discounts
        .iter()
        .any(|discount| discount.code.as_deref() == Some(CODE))
    {
        return Outcome::default();
    }

    let mut discount = Money::new(0.0, 0.0);
    let mut qualifies = false;
    // Only top-level lines: a bundle's components are priced inside their parent line, so
    // discounting them too would count the same goods twice.
    for item in top_level(cart) {
        let (Some(quantity), Some(price)) = (item.quantity, &item.price) else {
            continue;
        };
        if quantity < 3 || !config.applies_to(item) {
            continue;
        }
        let free = (quantity / 3) as f64;
        discount.including_vat += free * price.including_vat;
        discount.excluding_vat += free * price.excluding_vat;
        qualifies = true;
    }
    if !qualifies {
        return Outcome::default();
    }

    let entry = json!({
        "type": "bundle",
        "name": "3 for 2",
        "code": CODE,
        "value": discount,
    });
    // The SDK gives an absent `discounts` and an empty one alike as an empty list. `add` of
    // the whole member is right for both (it creates the member, or replaces `[]` with the
    // same one-element array an append would give); appending with `-` needs the array.
    let add = if cart.discounts.is_empty() {
        Operation::add("/cart/discounts", &[entry])
    } else {
        Operation::add("/cart/discounts/-", &entry)
    };

    // Recomputed from the lines rather than by subtracting from `cart.total`, so a stale
    // incoming total is corrected rather than carried over: lines minus every cart
    // discount, the new one included.
    let mut total = Money::new(0.0, 0.0);
    for item in top_level(cart) {
        let line = line_total(item);
        total.including_vat += line.including_vat;
        total.excluding_vat += line.excluding_vat;
    }
    for value in cart.discounts.iter().filter_map(|d| d.value.as_ref()) {
        total.including_vat -= value.including_vat;
        total.excluding_vat -= value.excluding_vat;
    }
    total.including_vat -= discount.including_vat;
    total.excluding_vat -= discount.excluding_vat;

    Outcome::patch(vec![add, Operation::replace("/cart/total", &total)])
}

/// The cart's top-level lines (the flattened `items` list has them first, but filtering
/// on `parent` does not depend on that).
fn top_level(cart: &Cart) -> impl Iterator<Item = &Item> {
    cart.items.iter().filter(|item| item.parent.is_none())
}

/// A line's total; a line without one counts as price × quantity, and one with neither
/// as zero (it has not been priced, so it adds nothing the customer pays).
fn line_total(item: &Item) -> Money {
    if let Some(total) = &item.total {
        return Money::new(total.including_vat, total.excluding_vat);
    }
    match (&item.price, item.quantity) {
        (Some(price), Some(quantity)) => {
            let quantity = quantity as f64;
            Money::new(
                price.including_vat * quantity,
                price.excluding_vat * quantity,
            )
        }
        _ => Money::new(0.0, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ordergate_guest::{Discount, OpKind};
    use serde_json::Value;

    fn line(sku: &str, quantity: i64, unit: f64) -> Item {
        Item {
            sku: Some(sku.into()),
            quantity: Some(quantity),
            price: Some(Money::new(unit, unit * 0.8)),
            total: Some(Money::new(
                unit * quantity as f64,
                unit * 0.8 * quantity as f64,
            )),
            ..Item::default()
        }
    }

    fn discount(code: &str, value: Money) -> Discount {
        Discount {
            type_: None,
            name: None,
            reference: None,
            description: None,
            code: Some(code.into()),
            value: Some(value),
            attributes: None,
        }
    }

    fn order(items: Vec<Item>, discounts: Vec<Discount>) -> Order {
        Order {
            cart: Some(Cart {
                items,
                discounts,
                // Deliberately stale: the rule must not start from it.
                total: Some(Money::new(1.0, 1.0)),
                ..Cart::default()
            }),
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

    #[test]
    fn discounts_every_third_unit_and_recomputes_the_total() {
        // 7 × 10: 2 free; 3 × 20: 1 free; 2 × 50: none. A nested line of 9 is ignored.
        let mut nested = line("PART", 9, 1.0);
        nested.parent = Some(0);
        let order = order(
            vec![
                line("A", 7, 10.0),
                line("B", 3, 20.0),
                line("C", 2, 50.0),
                nested,
            ],
            vec![],
        );
        let outcome = three_for_two(&order, &Config::default());
        assert_eq!(
            ops(&outcome),
            vec![
                (
                    OpKind::Add,
                    "/cart/discounts",
                    Some(json!([{
                        "type": "bundle",
                        "name": "3 for 2",
                        "code": "3for2",
                        "value": {"includingVat": 40.0, "excludingVat": 32.0},
                    }]))
                ),
                (
                    OpKind::Replace,
                    "/cart/total",
                    // Lines 70 + 60 + 100 = 230 (184 excl.), minus 40 (32).
                    Some(json!({"includingVat": 190.0, "excludingVat": 152.0}))
                ),
            ]
        );
        assert!(outcome.triggers.is_empty());
    }

    #[test]
    fn appends_to_existing_discounts_and_subtracts_them() {
        let order = order(
            vec![line("A", 3, 10.0)],
            vec![discount("WELCOME", Money::new(5.0, 4.0))],
        );
        let outcome = three_for_two(&order, &Config::default());
        assert_eq!(
            ops(&outcome),
            vec![
                (
                    OpKind::Add,
                    "/cart/discounts/-",
                    Some(json!({
                        "type": "bundle",
                        "name": "3 for 2",
                        "code": "3for2",
                        "value": {"includingVat": 10.0, "excludingVat": 8.0},
                    }))
                ),
                (
                    OpKind::Replace,
                    "/cart/total",
                    // 30 (24) − 5 (4) − 10 (8).
                    Some(json!({"includingVat": 15.0, "excludingVat": 12.0}))
                ),
            ]
        );
    }

    #[test]
    fn only_listed_skus_take_part() {
        let order = order(vec![line("A", 3, 10.0), line("B", 6, 1.0)], vec![]);
        let config: Config = serde_json::from_str(r#"{"skus": ["B"]}"#).unwrap();
        let outcome = three_for_two(&order, &config);
        assert_eq!(
            outcome.operations[0].value_json().unwrap()[0]["value"],
            json!({"includingVat": 2.0, "excludingVat": 1.6})
        );
        let config: Config = serde_json::from_str(r#"{"skus": ["C"]}"#).unwrap();
        assert!(three_for_two(&order, &config).operations.is_empty());
    }

    #[test]
    fn is_idempotent() {
        let order = order(
            vec![line("A", 3, 10.0)],
            vec![discount(CODE, Money::new(10.0, 8.0))],
        );
        assert!(
            three_for_two(&order, &Config::default())
                .operations
                .is_empty()
        );
    }

    #[test]
    fn nothing_qualifies_nothing_changes() {
        let order = order(vec![line("A", 2, 10.0)], vec![]);
        assert!(
            three_for_two(&order, &Config::default())
                .operations
                .is_empty()
        );
        assert!(
            three_for_two(&Order::default(), &Config::default())
                .operations
                .is_empty()
        );
    }

    #[test]
    fn a_bad_configuration_is_an_error() {
        let ctx = Context {
            configuration: r#"{"skus": "A"}"#.into(),
            ..Context::default()
        };
        let error = ThreeForTwo::handle(ctx, Order::default(), Change::default()).unwrap_err();
        assert!(error.starts_with("invalid configuration: "), "{error}");
    }
}
