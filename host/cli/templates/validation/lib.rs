//! {{name}}: an ordergate validation plugin.
//!
//! It refuses a cart holding more than `maxItems` items in all (the sum of the lines'
//! quantities). Change the rule in `validate`, the settings in `Config` and in
//! `manifest.json`, then `ordergate build` and `cargo test`.

use ordergate_guest::{Change, Context, Order, Validation, Violation};
use serde::Deserialize;

/// The merchant's settings: the manifest's `config`, parsed once, at install. A
/// configuration without `maxItems`, or with a field this type does not know, is refused
/// at install with serde's message.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The most items a cart may hold in all.
    pub max_items: i64,
}

/// The plugin.
pub struct Plugin;

impl Validation for Plugin {
    type Config = Config;

    fn validate(
        config: &Config,
        _ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<(), Vec<Violation>> {
        // `quantities` copies one number per line: the cheapest read that settles this
        // rule (see the SDK docs on reading the order).
        let items: i64 = order.quantities().iter().sum();
        if items <= config.max_items {
            return Ok(());
        }
        ordergate_guest::log::info(format!("refusing a cart of {items} items"));
        Err(vec![Violation::new(
            "/cart/items",
            "too-many-items",
            format!(
                "the cart holds {items} items; at most {} are allowed",
                config.max_items
            ),
        )])
    }
}

ordergate_guest::export_validation!(Plugin);
