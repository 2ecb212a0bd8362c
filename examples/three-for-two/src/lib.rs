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

use ordergate_guest::{Change, Context, Discount, Hook, Line, Money, Operation, Order, Outcome};
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
    /// Whether the offer applies to a line. The SKU is a function because it is not in
    /// the line's numbers: reading it copies the whole item, which only a list of SKUs
    /// needs.
    fn applies_to(&self, sku: impl FnOnce() -> Option<String>) -> bool {
        match &self.skus {
            None => true,
            // A line without a SKU cannot be on a list of SKUs.
            Some(skus) => sku().is_some_and(|sku| skus.contains(&sku)),
        }
    }
}

/// The plugin; all its state is in the call's arguments.
pub struct ThreeForTwo;

impl Hook for ThreeForTwo {
    type Config = Config;

    fn handle(
        config: &Config,
        _ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<Outcome, String> {
        // Quantities, prices and totals are in the lines' numbers; a SKU needs the line's
        // full item, read only for the lines the offer could apply to.
        let sku = |index: usize| {
            let item = order.item(u32::try_from(index).ok()?)?;
            item.sku
        };
        Ok(three_for_two(
            &order.lines(),
            &order.cart_discounts(),
            config,
            sku,
        ))
    }
}

ordergate_guest::export_hook!(ThreeForTwo);

/// The rule itself, over the cart's lines (empty without a cart) and discounts, so it can
/// be unit-tested natively. `sku(index)` is the SKU of `lines[index]`.
pub fn three_for_two(
    lines: &[Line],
    discounts: &[Discount],
    config: &Config,
    mut sku: impl FnMut(usize) -> Option<String>,
) -> Outcome {
    // Idempotence: the host applies this hook's patch as a new change of the cart, and
    // a host that cascades would run the hook again on it. Once the discount is there,
    // there is nothing left to do (and adding it twice would discount twice).
    if discounts
        .iter()
        .any(|discount| discount.code.as_deref() == Some(CODE))
    {
        return Outcome::default();
    }

    let mut discount = Money::new(0.0, 0.0);
    let mut qualifies = false;
    // Only top-level lines: a bundle's components are priced inside their parent line, so
    // discounting them too would count the same goods twice.
    for (index, line) in top_level(lines) {
        let (Some(quantity), Some(price)) = (line.quantity, &line.price) else {
            continue;
        };
        if quantity < 3 || !config.applies_to(|| sku(index)) {
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
    let add = if discounts.is_empty() {
        Operation::add("/cart/discounts", &[entry])
    } else {
        Operation::add("/cart/discounts/-", &entry)
    };

    // Recomputed from the lines rather than by subtracting from `cart.total`, so a stale
    // incoming total is corrected rather than carried over: lines minus every cart
    // discount, the new one included.
    let mut total = Money::new(0.0, 0.0);
    for (_, line) in top_level(lines) {
        let line = line_total(line);
        total.including_vat += line.including_vat;
        total.excluding_vat += line.excluding_vat;
    }
    for value in discounts.iter().filter_map(|d| d.value.as_ref()) {
        total.including_vat -= value.including_vat;
        total.excluding_vat -= value.excluding_vat;
    }
    total.including_vat -= discount.including_vat;
    total.excluding_vat -= discount.excluding_vat;

    Outcome::patch(vec![add, Operation::replace("/cart/total", &total)])
}

/// The cart's top-level lines with their indexes (the flattened list has them first, but
/// filtering on `parent` does not depend on that).
fn top_level(lines: &[Line]) -> impl Iterator<Item = (usize, &Line)> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.parent.is_none())
}

/// A line's total; a line without one counts as price × quantity, and one with neither
/// as zero (it has not been priced, so it adds nothing the customer pays).
fn line_total(line: &Line) -> Money {
    if let Some(total) = &line.total {
        return Money::new(total.including_vat, total.excluding_vat);
    }
    match (&line.price, line.quantity) {
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
    use ordergate_guest::OpKind;
    use serde_json::Value;

    /// A top-level line and its SKU.
    fn line(sku: &'static str, quantity: i64, unit: f64) -> (&'static str, Line) {
        let line = Line {
            quantity: Some(quantity),
            price: Some(Money::new(unit, unit * 0.8)),
            total: Some(Money::new(
                unit * quantity as f64,
                unit * 0.8 * quantity as f64,
            )),
            ..Line::default()
        };
        (sku, line)
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

    /// The rule on a cart of `items` (each line with its SKU) and `discounts`.
    fn run(items: &[(&str, Line)], discounts: &[Discount], config: &Config) -> Outcome {
        let lines: Vec<Line> = items.iter().map(|(_, line)| *line).collect();
        three_for_two(&lines, discounts, config, |index| {
            Some(items[index].0.to_string())
        })
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
        nested.1.parent = Some(0);
        let items = [
            line("A", 7, 10.0),
            line("B", 3, 20.0),
            line("C", 2, 50.0),
            nested,
        ];
        let outcome = run(&items, &[], &Config::default());
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
        let outcome = run(
            &[line("A", 3, 10.0)],
            &[discount("WELCOME", Money::new(5.0, 4.0))],
            &Config::default(),
        );
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
        let items = [line("A", 3, 10.0), line("B", 6, 1.0)];
        let config: Config = serde_json::from_str(r#"{"skus": ["B"]}"#).unwrap();
        let outcome = run(&items, &[], &config);
        assert_eq!(
            outcome.operations[0].value_json().unwrap()[0]["value"],
            json!({"includingVat": 2.0, "excludingVat": 1.6})
        );
        let config: Config = serde_json::from_str(r#"{"skus": ["C"]}"#).unwrap();
        assert!(run(&items, &[], &config).operations.is_empty());
    }

    #[test]
    fn reads_a_sku_only_when_a_line_could_take_part() {
        let mut nested = line("PART", 9, 1.0);
        nested.1.parent = Some(0);
        let items = [line("A", 3, 10.0), line("B", 2, 10.0), nested];
        let lines: Vec<Line> = items.iter().map(|(_, line)| *line).collect();
        let mut asked = Vec::new();
        three_for_two(&lines, &[], &Config::default(), |index| {
            asked.push(index);
            None
        });
        assert!(asked.is_empty(), "no list of SKUs, yet asked for {asked:?}");
        let config: Config = serde_json::from_str(r#"{"skus": ["A"]}"#).unwrap();
        three_for_two(&lines, &[], &config, |index| {
            asked.push(index);
            None
        });
        assert_eq!(asked, [0]);
    }

    #[test]
    fn is_idempotent() {
        let outcome = run(
            &[line("A", 3, 10.0)],
            &[discount(CODE, Money::new(10.0, 8.0))],
            &Config::default(),
        );
        assert!(outcome.operations.is_empty());
    }

    #[test]
    fn nothing_qualifies_nothing_changes() {
        let outcome = run(&[line("A", 2, 10.0)], &[], &Config::default());
        assert!(outcome.operations.is_empty());
        // No cart: no lines.
        assert!(run(&[], &[], &Config::default()).operations.is_empty());
    }

    #[test]
    fn a_bad_configuration_is_an_error() {
        let ctx = Context {
            configuration: r#"{"skus": "A"}"#.into(),
            ..Context::default()
        };
        let error = ctx.hook_config::<Config>().unwrap_err();
        assert!(error.starts_with("invalid configuration: "), "{error}");
    }
}
