//! {{name}}: an ordergate hook plugin.
//!
//! When the cart changes and has no reference yet, it sets one: the configured `prefix`
//! followed by the order id. Change the rule in `handle`, the settings in `Config` and in
//! `manifest.json`, then `ordergate build` and `cargo test`.

use ordergate_guest::{Change, Context, Hook, Operation, Order, Outcome};
use serde::Deserialize;

/// The merchant's settings: the manifest's `config`, parsed once, at install.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// What the cart reference starts with.
    pub prefix: String,
}

/// The plugin.
pub struct Plugin;

impl Hook for Plugin {
    type Config = Config;

    fn handle(
        config: &Config,
        _ctx: Context,
        order: &Order,
        _change: Change,
    ) -> Result<Outcome, String> {
        let Some(cart) = order.cart() else {
            return Ok(Outcome::default());
        };
        if cart.reference.is_some() {
            // Already set (perhaps by this hook): nothing to do, so the cascade settles.
            return Ok(Outcome::default());
        }
        let reference = format!("{}{}", config.prefix, order.id());
        Ok(Outcome::patch(vec![Operation::add(
            "/cart/reference",
            &reference,
        )]))
    }
}

ordergate_guest::export_hook!(Plugin);
