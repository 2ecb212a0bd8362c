//! # ordergate-guest: write ordergate plugins in Rust
//!
//! An ordergate **plugin** is a WebAssembly component a merchant uploads to check or
//! react to changes of their orders. There are two kinds, one WIT world each (see
//! `wit/worlds.wit` of the ordergate repository):
//!
//! - a **validation** plugin (world `validator`) sees the candidate order before it is
//!   committed and accepts it or refuses it with [`Violation`]s; implement [`Validation`]
//!   and export it with [`export_validation!`];
//! - a **hook** plugin (world `hook`) runs after a committed change and answers with JSON
//!   Patch `Operation`s and notification `Trigger`s; implement `Hook` and export it
//!   with `export_hook!`. The hook bindings are behind the `hook` feature
//!   (`ordergate-guest = { version = "0.1", features = ["hook"] }`): linked into a
//!   validation plugin they would add the hook world's types to its imports.
//!
//! The host offers plugins nothing but [`log`]: no filesystem, network, clock, randomness
//! or environment. It refuses a component that imports anything else.
//!
//! ## A minimal validation plugin
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "no-empty-cart"
//! version = "0.1.0"
//! edition = "2024"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! ordergate-guest = "0.1"
//!
//! [profile.release]
//! opt-level = "s"
//! lto = true
//! codegen-units = 1
//! panic = "abort"
//! strip = true
//! ```
//!
//! `src/lib.rs`:
//!
//! ```no_run
//! use ordergate_guest::{Change, Context, Order, Validation, Violation};
//!
//! struct NoEmptyCart;
//!
//! impl Validation for NoEmptyCart {
//!     fn validate(_ctx: Context, order: Order, _change: Change) -> Result<(), Vec<Violation>> {
//!         match &order.cart {
//!             Some(cart) if !cart.items.is_empty() => Ok(()),
//!             _ => {
//!                 ordergate_guest::log::info("refusing an empty cart");
//!                 Err(vec![Violation::new("/cart/items", "empty-cart", "the cart is empty")])
//!             }
//!         }
//!     }
//! }
//!
//! ordergate_guest::export_validation!(NoEmptyCart);
//! ```
//!
//! ## Building
//!
//! Build a core WebAssembly module for `wasm32-unknown-unknown`, then wrap it into a
//! component:
//!
//! ```sh
//! RUSTFLAGS="-C link-arg=-zstack-size=65536" \
//!     cargo build --target wasm32-unknown-unknown --release
//! wasm-tools component new target/wasm32-unknown-unknown/release/no_empty_cart.wasm \
//!     -o no-empty-cart.wasm
//! ```
//!
//! (or, from Rust, `wit_component::ComponentEncoder::default().module(&bytes)?.validate(true).encode()?`).
//!
//! Why this target: `wasm32-unknown-unknown` has no operating system, so the component
//! imports nothing but the `ordergate:checkout/log` interface (and only if the plugin
//! logs). A `wasm32-wasip2` build imports a dozen WASI interfaces even when it does no
//! I/O, and the host refuses any import but `log`.
//!
//! Why the small stack: Rust reserves a 1 MiB stack at the start of linear memory by
//! default; the host instantiates a fresh plugin for each call, and 64 KiB keeps the pages
//! it touches (and so the per-call cost) small. Plugins that recurse deeply can raise it.
//!
//! A panic traps the plugin: the host reports it as a fault of the plugin, not as a
//! refusal of the order. Return [`Violation`]s to refuse.
//!
//! ## Helpers
//!
//! - [`Violation::new`], and `Violation::from(ConfigError)` for an invalid configuration;
//! - [`Context::config`] parses the merchant's JSON configuration into your type;
//! - [`pointer()`], [`Pointer`] and [`Cart::item_pointer`] build JSON Pointers for
//!   violation paths;
//! - [`log::debug`], [`log::info`], [`log::warn`], [`log::error`] write to the run report;
//! - with the `hook` feature: `Operation::add`, `Operation::replace`, `Operation::test`,
//!   `Operation::remove`, `Operation::move_from`, `Operation::copy_from` build patch
//!   operations from any `serde::Serialize` value (`Money` serializes as the order JSON
//!   spells it); `Trigger::new` and its `with_…` methods build triggers;
//!   `Outcome::patch` and `Outcome::triggers` build answers.

mod bindings;
mod config;
mod defaults;
pub mod log;
#[cfg(feature = "hook")]
mod patch;
mod pointer;

#[cfg(feature = "hook")]
pub use bindings::hook;
pub use bindings::validation;
pub use config::ConfigError;
pub use pointer::{Pointer, escape, pointer};

/// The order model and the other shared records of the `ordergate:checkout/types`
/// interface.
pub use validation::ordergate::checkout::types;

pub use types::{
    Addon, Address, BodyVersion, Callback, Cart, Change, Consent, Context, Customer, CustomerType,
    DeliveryDetails, Discount, Item, Json, Logistics, Money, Notification, Order, OrderState,
    OrderStatus, Payment, PaymentAction, PaymentState, PaymentType, PickupAddress, PickupLocation,
    Recurring, Shipping, ShippingProduct, ShippingState, Transition, Upsell, Violation,
};

/// An entry of the order's `hooks` (named `hook` in WIT; renamed here so it does not clash
/// with the `Hook` trait of the hook world).
pub use types::Hook as OrderHook;

/// JSON Patch operations a hook returns.
#[cfg(feature = "hook")]
pub use hook::ordergate::checkout::patch::{OpKind, Operation};
/// What a hook returns: patch operations and notification triggers.
#[cfg(feature = "hook")]
pub use hook::{Outcome, Trigger};

/// The trait a hook plugin implements (the `hook` world's exports).
#[cfg(feature = "hook")]
pub use hook::Guest as Hook;
/// The trait a validation plugin implements (the `validator` world's exports).
pub use validation::Guest as Validation;

/// Exports a type implementing [`Hook`] as the plugin's `handle` function:
/// `ordergate_guest::export_hook!(MyHook);`.
#[cfg(feature = "hook")]
pub use hook::export_hook;
/// Exports a type implementing [`Validation`] as the plugin's `validate` function:
/// `ordergate_guest::export_validation!(MyRule);`.
pub use validation::export_validation;

impl Violation {
    /// A violation at `path` (a JSON Pointer into the order, `""` for the whole order) with a
    /// stable machine-readable `code` and a human-readable `message`.
    pub fn new(
        path: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Violation {
            path: path.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

impl Cart {
    /// The JSON Pointer of the flattened line `self.items[index]` in the order, e.g.
    /// `/cart/items/0/items/2` for the third child of the first top-level line.
    ///
    /// Follows `parent` links up to the top level and uses each line's `position`.
    /// An index out of range (or a broken parent chain) gives `/cart/items/{index}`.
    pub fn item_pointer(&self, index: usize) -> String {
        let fallback = || {
            Pointer::root()
                .key("cart")
                .key("items")
                .index(index)
                .into_string()
        };
        let mut positions = Vec::new();
        let mut current = index;
        loop {
            // A chain longer than the cart has lines must contain a cycle.
            if positions.len() > self.items.len() {
                return fallback();
            }
            let Some(item) = self.items.get(current) else {
                return fallback();
            };
            positions.push(item.position as usize);
            match item.parent {
                Some(parent) => current = parent as usize,
                None => break,
            }
        }
        let mut pointer = Pointer::root().key("cart");
        for position in positions.iter().rev() {
            pointer = pointer.key("items").index(*position);
        }
        pointer.into_string()
    }
}

impl Money {
    /// A money value with both amounts set.
    pub fn new(including_vat: f64, excluding_vat: f64) -> Self {
        Money {
            including_vat,
            excluding_vat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(parent: Option<u32>, position: u32) -> Item {
        Item {
            parent,
            position,
            ..Item::default()
        }
    }

    #[test]
    fn item_pointers_follow_parents() {
        let cart = Cart {
            items: vec![
                line(None, 0),
                line(None, 1),
                line(Some(0), 0),
                line(Some(0), 1),
                line(Some(3), 0),
            ],
            ..Cart::default()
        };
        assert_eq!(cart.item_pointer(1), "/cart/items/1");
        assert_eq!(cart.item_pointer(3), "/cart/items/0/items/1");
        assert_eq!(cart.item_pointer(4), "/cart/items/0/items/1/items/0");
        assert_eq!(cart.item_pointer(9), "/cart/items/9");
    }

    #[test]
    fn item_pointer_survives_a_parent_cycle() {
        let cart = Cart {
            items: vec![line(Some(1), 0), line(Some(0), 0)],
            ..Cart::default()
        };
        assert_eq!(cart.item_pointer(0), "/cart/items/0");
    }

    #[test]
    fn config_parses_and_reports_errors() {
        #[derive(Debug, serde::Deserialize)]
        struct Config {
            limit: u32,
        }
        let mut ctx = Context {
            configuration: r#"{"limit": 3}"#.into(),
            ..Context::default()
        };
        assert_eq!(ctx.config::<Config>().unwrap().limit, 3);
        ctx.configuration = "{}".into();
        let violation = Violation::from(ctx.config::<Config>().unwrap_err());
        assert_eq!(violation.path, "");
        assert_eq!(violation.code, "invalid-configuration");
        assert!(violation.message.contains("limit"), "{}", violation.message);
    }
}
