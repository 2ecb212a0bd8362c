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
//!   (`ordergate-guest = { path = "vendor/ordergate-guest", features = ["hook"] }`):
//!   linked into a validation plugin they would add the hook world's types to its
//!   imports. (The documentation shows them either way.)
//!
//! The host offers plugins nothing but [`log`]: no filesystem, network, clock, randomness
//! or environment. It refuses a component that imports anything else.
//!
//! ## Getting the SDK
//!
//! The SDK is not published on crates.io: `ordergate new validation|hook NAME` writes a
//! plugin crate with the SDK's sources (the exact ones the `ordergate` binary was built
//! with, WIT package included) in `vendor/ordergate-guest/`, so the crate builds anywhere
//! with only crates.io. The guide (`docs/guide.md` of the ordergate repository) starts
//! there. By hand, copy that directory into your crate and depend on it by path.
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
//! ordergate-guest = { path = "vendor/ordergate-guest" }
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
//! use ordergate_guest::{Change, Context, NoConfig, Order, Validation, Violation};
//!
//! struct NoEmptyCart;
//!
//! impl Validation for NoEmptyCart {
//!     // This rule takes no configuration: a manifest that gives one is refused at
//!     // install. A plugin with settings names its own `Deserialize` type here and gets
//!     // it, parsed once at install, as `config` in every call.
//!     type Config = NoConfig;
//!
//!     fn validate(
//!         _config: &NoConfig,
//!         _ctx: Context,
//!         order: &Order,
//!         _change: Change,
//!     ) -> Result<(), Vec<Violation>> {
//!         // The lines' numbers tell an empty cart as well as the whole cart would, for a
//!         // fraction of the copying.
//!         if order.lines().is_empty() {
//!             ordergate_guest::log::info("refusing an empty cart");
//!             let violation = Violation::new("/cart/items", "empty-cart", "the cart is empty");
//!             return Err(vec![violation]);
//!         }
//!         Ok(())
//!     }
//! }
//!
//! ordergate_guest::export_validation!(NoEmptyCart);
//! ```
//!
//! ## Reading the order
//!
//! The order is not handed over whole: [`Order`] is a handle to the host's copy, valid for
//! the duration of the call, and each of its methods copies one part of it into the
//! plugin's memory (`order.customer()`, `order.payments()`, `order.cart_total()`, …). A
//! plugin pays for what it reads, so:
//!
//! - read the smallest part that answers the question: [`Order::quantities`] (one number
//!   per cart line, copied as one block) for a rule on quantities; [`Order::lines`] (the
//!   numbers of every cart line: quantities, prices, totals, and where each line sits)
//!   rather than [`Order::cart`] (every line in full, with names, discounts and
//!   attributes); [`Order::cart_total`] rather than the cart for its total;
//!   [`Order::status`] rather than [`Order::state`] and its transitions; [`Order::item`]
//!   for the one line whose SKU or name the rule needs;
//! - read only when the answer depends on it: check the configuration and the [`Change`]
//!   first, and return before reading what the decision no longer needs;
//! - call a method once and keep the value: every call copies the part again.
//!
//! What a method returns is the order as it stands for this call (the candidate order for a
//! validation, the committed one for a hook); it does not change while the call runs.
//!
//! Keep the rule itself a function over those plain records (`fn check(lines: &[Line], …)`):
//! an [`Order`] exists only inside the host, so that function is what native unit tests
//! call.
//!
//! ## Setup paid once
//!
//! The host runs a plugin's `init` once per installed version, with its configuration,
//! and keeps what `init` left in the instance's memory as a snapshot; every call then
//! starts from a fresh copy of that snapshot. So whatever `init` builds is there, already
//! built, at the start of every call, and whatever a call builds is gone by the next one
//! (every call starts from the same clean state, whatever the one before did). A plugin
//! pays for its setup once if it does it in `init`, and on every call otherwise:
//!
//! - read the configuration through [`Validation::Config`]: the export macro's `init`
//!   parses it once. Calling [`Context::config`] in `validate` parses it again in every
//!   call;
//! - build what the configuration implies (a compiled pattern, a lookup set, parsed
//!   amounts) while it is parsed: deserialize the manifest's fields into a plain struct
//!   and convert it with `#[serde(try_from = "…")]`, so [`Validation::Config`] holds the
//!   built value (or override [`Validation::init`], parse with [`parse_config`], then
//!   build);
//! - a `static` filled on first use (`LazyLock`, `OnceLock`) is filled in the first call
//!   of every fresh instance, that is in every call: force it in `init` instead
//!   (`LazyLock::force(&PATTERN)` in an overridden [`Validation::init`]), and the snapshot
//!   keeps it filled.
//!
//! ```no_run
//! use std::collections::HashSet;
//!
//! use ordergate_guest::{Change, Context, Item, Order, Validation, Violation};
//! use serde::Deserialize;
//!
//! /// The configuration as the manifest spells it: `{"blockedSkus": ["A-1", "B-2"]}`.
//! #[derive(Deserialize)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields)]
//! struct Settings {
//!     blocked_skus: Vec<String>,
//! }
//!
//! /// What every call gets, built once at install from [`Settings`].
//! #[derive(Deserialize)]
//! #[serde(try_from = "Settings")]
//! struct Config {
//!     blocked: HashSet<String>,
//! }
//!
//! impl TryFrom<Settings> for Config {
//!     // `Err` refuses the install with this message.
//!     type Error = String;
//!
//!     fn try_from(settings: Settings) -> Result<Self, String> {
//!         // A compiled pattern goes here the same way (`Regex::new(&settings.pattern)`):
//!         // see `test-support/sku-rule` in the ordergate repository.
//!         Ok(Config { blocked: settings.blocked_skus.into_iter().collect() })
//!     }
//! }
//!
//! struct NoBlockedSkus;
//!
//! impl Validation for NoBlockedSkus {
//!     type Config = Config;
//!
//!     fn validate(config: &Config, _: Context, order: &Order, _: Change) -> Result<(), Vec<Violation>> {
//!         let items: Vec<Item> = (0..).map_while(|i| order.item(i)).collect();
//!         let blocked = items.iter().enumerate().filter_map(|(i, item)| {
//!             let sku = item.sku.as_deref()?;
//!             config.blocked.contains(sku).then(|| {
//!                 let path = format!("{}/sku", ordergate_guest::line_pointer(&items, i));
//!                 Violation::new(path, "sku-blocked", format!("{sku} cannot be ordered"))
//!             })
//!         });
//!         let violations: Vec<Violation> = blocked.collect();
//!         if violations.is_empty() { Ok(()) } else { Err(violations) }
//!     }
//! }
//!
//! ordergate_guest::export_validation!(NoBlockedSkus);
//! ```
//!
//! What it saves, from the ordergate benchmarks (`validation/sku-rule-untuned` against
//! `validation/sku-rule-init`): parsing a small configuration and compiling a `regex-lite`
//! pattern is about 26,000 wasm instructions (fuel), 2.6 µs of every call when done in the
//! call, nothing when done in `init`. Setup is not the only per-call cost, though: reading
//! every line in full with [`Order::item`] and matching each SKU costs 2 to 3 µs a line
//! (the host copies every string of the line into the plugin, about 2 µs; the pattern
//! engine runs on each), where [`Order::quantities`] costs some 30 ns a line. Read the
//! least the rule needs, then do the setup once.
//!
//! ## Building
//!
//! `ordergate build`, in the plugin crate, builds a core WebAssembly module for
//! `wasm32-unknown-unknown` with the flags below (adding the target to the toolchain when it
//! is missing), turns it into a component in-process, and writes
//! `target/ordergate/<crate>.wasm`, printing its size against the upload limit. By hand,
//! the same is:
//!
//! ```sh
//! rustup target add wasm32-unknown-unknown
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C link-arg=-zstack-size=65536" \
//!     cargo build --target wasm32-unknown-unknown --release
//! ```
//!
//! then, from Rust, `wit_component::ComponentEncoder::default().module(&bytes)?.validate(true).encode()?`
//! on `target/wasm32-unknown-unknown/release/no_empty_cart.wasm` (no WASI adapter).
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
//! Why the SDK brings its own allocator (feature `arena`, on by default): for the same
//! reason. Rust's default wasm allocator grows linear memory on its first allocation, and a
//! grown memory costs the host `mprotect` calls on every call; the SDK's bump arena lives
//! in the initial memory and hands over to the standard allocator only when it is full.
//! With it, a small rule's call costs about a third less (see the ordergate benchmarks).
//! A plugin with its own `#[global_allocator]` sets `default-features = false`.
//!
//! A panic traps the plugin: the host reports it as a fault of the plugin, not as a
//! refusal of the order. Return [`Violation`]s to refuse. The export macros install a
//! panic hook ([`install_panic_hook`]) before your `init`, which logs `panicked at
//! <file>:<line>:<column>: <message>` at level `error`: the host attaches that line to the
//! trap (`fault.panic` in the trace), and the service logs it with the fault.
//!
//! ## Helpers
//!
//! - [`Violation::new`], and `Violation::from(ConfigError)` for an invalid configuration;
//! - the plugin's configuration: name its type as [`Validation::Config`] (or
//!   `Hook::Config`) and the export macro's `init` parses it once, when the host installs
//!   the plugin: a configuration that does not fit is refused at install with serde's
//!   message, and every call gets the parsed value. Override [`Validation::init`] to check
//!   more. ([`Context::config`] and [`Context::hook_config`] still parse
//!   `ctx.configuration` by hand);
//! - [`pointer()`], [`Pointer`], [`line_pointer`] (for a line of [`Order::lines`] or
//!   `cart.items`) and [`Cart::item_pointer`] build JSON Pointers for violation paths;
//! - [`log::debug`], [`log::info`], [`log::warn`], [`log::error`] write to the run report;
//! - with the `hook` feature: `Operation::add`, `Operation::replace`, `Operation::test`,
//!   `Operation::remove`, `Operation::move_from`, `Operation::copy_from` build patch
//!   operations from any `serde::Serialize` value (`Money` serializes as the order JSON
//!   spells it); `Trigger::new` and its `with_…` methods build triggers;
//!   `Outcome::patch` and `Outcome::triggers` build answers.

#[cfg(feature = "arena")]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod arena;
mod bindings;
mod config;
mod defaults;
mod lines;
pub mod log;
#[cfg(any(feature = "hook", doc))]
mod patch;
mod plugin;
mod pointer;

#[cfg(any(feature = "hook", doc))]
pub use bindings::hook;
pub use bindings::validation;
pub use config::{ConfigError, parse_config};
pub use lines::{Nested, line_pointer};
pub use pointer::{Pointer, escape, pointer};

/// The records of the order model (the `ordergate:checkout/types` interface): what the
/// methods of [`Order`] return.
pub use validation::ordergate::checkout::types;

pub use types::{
    Addon, Address, BodyVersion, Callback, Cart, Change, Consent, Context, Customer, CustomerType,
    DeliveryDetails, Discount, Item, Json, Line, Logistics, Money, Notification, OrderState,
    OrderStatus, Payment, PaymentAction, PaymentState, PaymentType, PickupAddress, PickupLocation,
    Recurring, Shipping, ShippingProduct, ShippingState, Transition, Upsell, Violation,
};

/// The order a plugin is called with: a handle to the host's copy, read part by part (see
/// [Reading the order](crate#reading-the-order)).
pub use validation::ordergate::checkout::view::Order;

/// An entry of the order's `hooks` (named `hook` in WIT; renamed here so it does not clash
/// with the `Hook` trait of the hook world).
pub use types::Hook as OrderHook;

/// JSON Patch operations a hook returns.
#[cfg(any(feature = "hook", doc))]
pub use hook::ordergate::checkout::patch::{OpKind, Operation};
/// What a hook returns: patch operations and notification triggers.
#[cfg(any(feature = "hook", doc))]
pub use hook::{Outcome, Trigger};

#[cfg(any(feature = "hook", doc))]
pub use plugin::Hook;
#[doc(hidden)]
pub use plugin::{__keep, NOT_INITIALIZED};
pub use plugin::{NoConfig, Validation, install_panic_hook};

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

    #[test]
    fn a_hooks_configuration_error_is_its_failure_message() {
        #[derive(Debug, serde::Deserialize)]
        struct Config {
            #[allow(dead_code)]
            limit: u32,
        }
        let ctx = Context {
            configuration: r#"{"limit": "three"}"#.into(),
            ..Context::default()
        };
        let error = ctx.hook_config::<Config>().unwrap_err();
        assert_eq!(
            error,
            "invalid configuration: invalid type: string \"three\", expected u32 at line 1 column 17"
        );
    }

    /// A validation whose `validate` is never called: only its `init` is under test.
    struct Capped;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Cap {
        max: u32,
    }

    impl Validation for Capped {
        type Config = Cap;

        fn validate(_: &Cap, _: Context, _: &Order, _: Change) -> Result<(), Vec<Violation>> {
            Ok(())
        }
    }

    #[test]
    fn the_default_init_parses_the_configuration_or_says_why_not() {
        assert_eq!(Capped::init(r#"{"max": 3}"#).unwrap().max, 3);
        assert_eq!(
            Capped::init(r#"{"max": 3, "min": 1}"#).unwrap_err(),
            "invalid plugin configuration: unknown field `min`, expected `max` at line 1 column 16"
        );
        assert_eq!(
            Capped::init("").unwrap_err(),
            "invalid plugin configuration: missing field `max` at line 1 column 2"
        );
    }

    #[test]
    fn no_config_accepts_only_an_empty_configuration() {
        assert_eq!(parse_config::<NoConfig>("").unwrap(), NoConfig {});
        assert_eq!(parse_config::<NoConfig>("{}").unwrap(), NoConfig {});
        let err = parse_config::<NoConfig>(r#"{"strict": true}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid plugin configuration: unknown field `strict`, there are no fields at line 1 column 9"
        );
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
