//! The traits plugin authors implement, and the export macros that turn them into the
//! world's exports, `init` included.
//!
//! The WIT worlds export `init(config)` next to `validate` / `handle`. Most plugins want
//! the same `init`: parse the configuration into their own type, refuse the install if it
//! does not fit, and keep it for every call. So the traits here take the configuration as
//! an associated type with a default [`Validation::init`] that does exactly that, and the
//! export macros keep the parsed value and hand it to every call; a plugin writes no
//! parsing code, and its calls never parse the configuration again.

use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{Change, Context, Order, Violation};

/// The configuration of a plugin that takes none: only `{}` (or blank) is accepted, so a
/// configuration given to a plugin that would ignore it is refused at install.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// A validation plugin (the `validator` world); export it with
/// [`export_validation!`](crate::export_validation!).
pub trait Validation {
    /// The plugin's configuration, parsed from the manifest's JSON once, at install.
    /// [`NoConfig`] for a plugin without one.
    type Config: DeserializeOwned + Send + Sync + 'static;

    /// Turns the manifest's configuration (JSON text, `{}` when none) into
    /// [`Self::Config`]; `Err` refuses the install with this message. The default parses
    /// it with serde (blank counts as `{}`), so a typo in the configuration is refused
    /// with serde's own words (`invalid plugin configuration: unknown field …`). Override
    /// it to check more, or to precompute something every call would otherwise redo.
    fn init(configuration: &str) -> Result<Self::Config, String> {
        crate::parse_config(configuration).map_err(|e| e.to_string())
    }

    /// Accepts the candidate order (`Ok`) or refuses it with violations.
    fn validate(
        config: &Self::Config,
        ctx: Context,
        order: &Order,
        change: Change,
    ) -> Result<(), Vec<Violation>>;
}

/// A hook plugin (the `hook` world, feature `hook`); export it with
/// [`export_hook!`](crate::export_hook!).
#[cfg(any(feature = "hook", doc))]
pub trait Hook {
    /// As [`Validation::Config`].
    type Config: DeserializeOwned + Send + Sync + 'static;

    /// As [`Validation::init`].
    fn init(configuration: &str) -> Result<Self::Config, String> {
        crate::parse_config(configuration).map_err(|e| e.to_string())
    }

    /// Answers a committed change with patch operations and triggers, or reports its own
    /// failure (`Err`), in which case nothing of its answer is applied.
    fn handle(
        config: &Self::Config,
        ctx: Context,
        order: &Order,
        change: Change,
    ) -> Result<crate::Outcome, String>;
}

/// What a call made before `init` answers. The host always runs `init` first; this is
/// for a host that does not.
#[doc(hidden)]
pub const NOT_INITIALIZED: &str = "the plugin was called before `init`";

/// Installs the SDK's panic hook: a panic writes `panicked at <file>:<line>:<column>:
/// <message>` to the plugin's log at level `error` before the plugin traps, so the run's
/// fault says where and why (the host attaches that line to the trap), where the trap
/// alone only says `unreachable`. The export macros call it first thing in `init`, so the
/// hook is part of the state every call starts from; a plugin's own `init` may replace it
/// with `std::panic::set_hook`.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("a panic without a message");
        let line = match info.location() {
            Some(at) => format!(
                "panicked at {}:{}:{}: {message}",
                at.file(),
                at.line(),
                at.column()
            ),
            None => format!("panicked at an unknown location: {message}"),
        };
        crate::log::error(line);
    }));
}

/// Keeps what `init` produced for the calls of this instance.
#[doc(hidden)]
pub fn __keep<T>(cell: &OnceLock<T>, config: Result<T, String>) -> Result<(), String> {
    cell.set(config?)
        .map_err(|_| "`init` was already called on this instance".to_owned())
}

/// Exports a type implementing [`Validation`] as the plugin's `init` and `validate`:
/// `ordergate_guest::export_validation!(MyRule);`.
#[macro_export]
macro_rules! export_validation {
    ($plugin:ty) => {
        const _: () = {
            // A plugin instance is single-threaded; `OnceLock` is simply the std cell that
            // may live in a `static`.
            static CONFIG: ::std::sync::OnceLock<<$plugin as $crate::Validation>::Config> =
                ::std::sync::OnceLock::new();

            struct Export;

            impl $crate::validation::Guest for Export {
                fn init(config: $crate::Json) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::install_panic_hook();
                    $crate::__keep(&CONFIG, <$plugin as $crate::Validation>::init(&config))
                }

                fn validate(
                    ctx: $crate::Context,
                    order: &$crate::Order,
                    change: $crate::Change,
                ) -> ::std::result::Result<(), ::std::vec::Vec<$crate::Violation>> {
                    match CONFIG.get() {
                        Some(config) => {
                            <$plugin as $crate::Validation>::validate(config, ctx, order, change)
                        }
                        None => Err(::std::vec![$crate::Violation::new(
                            "",
                            "not-initialized",
                            $crate::NOT_INITIALIZED,
                        )]),
                    }
                }
            }

    $crate::validation::export_world!(Export with_types_in $crate::validation);
        };
    };
}

/// Exports a type implementing [`Hook`] as the plugin's `init` and `handle`:
/// `ordergate_guest::export_hook!(MyHook);` (feature `hook`).
#[cfg(any(feature = "hook", doc))]
#[macro_export]
macro_rules! export_hook {
    ($plugin:ty) => {
        const _: () = {
            static CONFIG: ::std::sync::OnceLock<<$plugin as $crate::Hook>::Config> =
                ::std::sync::OnceLock::new();

            struct Export;

            impl $crate::hook::Guest for Export {
                fn init(config: $crate::Json) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::install_panic_hook();
                    $crate::__keep(&CONFIG, <$plugin as $crate::Hook>::init(&config))
                }

                fn handle(
                    ctx: $crate::Context,
                    order: &$crate::Order,
                    change: $crate::Change,
                ) -> ::std::result::Result<$crate::Outcome, ::std::string::String> {
                    match CONFIG.get() {
                        Some(config) => {
                            <$plugin as $crate::Hook>::handle(config, ctx, order, change)
                        }
                        None => Err($crate::NOT_INITIALIZED.into()),
                    }
                }
            }

    $crate::hook::export_world!(Export with_types_in $crate::hook);
        };
    };
}
