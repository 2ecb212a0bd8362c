//! Example plugin: caps the quantity of every cart line.
//!
//! Configuration: `{"maxQuantity": 10}`. A merchant uses it to stop bulk buying of
//! limited stock; it applies to nested lines too (a bundle's components count on their own).

use ordergate_guest::{Change, Context, Line, Order, Validation, Violation, line_pointer};
use serde::Deserialize;

/// The merchant's configuration. `maxQuantity` is required: a cap that silently defaults
/// to "no cap" would hide a typo in the manifest.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The largest quantity a single line may have.
    pub max_quantity: u32,
}

/// The plugin; all its state is in the call's arguments and its configuration.
pub struct MaxQuantity;

impl Validation for MaxQuantity {
    // Parsed once, at install, by the SDK's default `init`: a configuration without
    // `maxQuantity` (or with a field it does not know) is refused there, with serde's
    // message, instead of refusing every order of the merchant later.
    type Config = Config;

    fn validate(
        config: &Config,
        _ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<(), Vec<Violation>> {
        // The quantities alone settle the common case, every line within the cap: one
        // column, copied as one block (an absent quantity reads 0, within any cap).
        let max = i64::from(config.max_quantity);
        if order.quantities().iter().all(|&quantity| quantity <= max) {
            return Ok(());
        }
        // Only a refusal needs more: where each offending line sits. `lines` copies the
        // numbers of every line, not the names, discounts and attributes `cart` would.
        let violations = check(&order.lines(), config);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(violations)
        }
    }
}

ordergate_guest::export_validation!(MaxQuantity);

/// The rule itself, over the cart's lines (empty without a cart), so it can be unit-tested
/// natively.
pub fn check(lines: &[Line], config: &Config) -> Vec<Violation> {
    let max = i64::from(config.max_quantity);
    lines
        .iter()
        .enumerate()
        // The lines are flattened (top-level lines, then nested ones), so one pass sees
        // every line; `line_pointer` rebuilds where the line sits in the JSON order.
        .filter_map(|(index, line)| {
            let quantity = line.quantity?;
            (quantity > max).then(|| {
                Violation::new(
                    format!("{}/quantity", line_pointer(lines, index)),
                    "max-quantity-exceeded",
                    format!("quantity {quantity} exceeds the maximum of {max} per line"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(parent: Option<u32>, position: u32, quantity: i64) -> Line {
        Line {
            parent,
            position,
            quantity: Some(quantity),
            ..Line::default()
        }
    }

    #[test]
    fn flags_top_level_and_nested_lines() {
        let lines = [
            line(None, 0, 3),
            line(None, 1, 12),
            line(Some(0), 0, 1),
            line(Some(0), 1, 11),
        ];
        let violations = check(&lines, &Config { max_quantity: 10 });
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].path, "/cart/items/1/quantity");
        assert_eq!(violations[0].code, "max-quantity-exceeded");
        assert_eq!(
            violations[0].message,
            "quantity 12 exceeds the maximum of 10 per line"
        );
        assert_eq!(violations[1].path, "/cart/items/0/items/1/quantity");
    }

    #[test]
    fn accepts_quantities_at_the_limit() {
        assert!(check(&[line(None, 0, 10)], &Config { max_quantity: 10 }).is_empty());
    }

    #[test]
    fn no_cart_no_violations() {
        assert!(check(&[], &Config { max_quantity: 0 }).is_empty());
    }
}
