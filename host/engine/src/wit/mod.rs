//! Host bindings of the `ordergate:checkout` WIT package, the conversions from the order
//! model to the WIT types, and the [`OrderView`] plugins read the order through.
//!
//! Internal to the crate: the sandbox's API speaks the host's own types and converts at
//! its edge, so nothing generated is part of the public API.

mod convert;
mod view;

pub(crate) use convert::status;
pub(crate) use view::OrderReader;
pub use view::OrderView;

/// Bindings of the `validator` world (and of the interfaces it uses).
pub(crate) mod validator {
    wasmtime::component::bindgen!({
        // `wit` is a link to the workspace's one WIT package, inside the crate so that
        // `cargo package` ships it.
        path: "wit",
        world: "validator",
        // Reading the order fails only if the host serves no order: a trap, not a value.
        imports: { "ordergate:checkout/view": trappable },
        with: { "ordergate:checkout/view.order": super::OrderView },
    });
}

/// Bindings of the `hook` world; its order types are the validator world's.
pub(crate) mod hook {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "hook",
        with: {
            "ordergate:checkout/types": super::validator::ordergate::checkout::types,
            "ordergate:checkout/view": super::validator::ordergate::checkout::view,
            "ordergate:checkout/log": super::validator::ordergate::checkout::log,
        },
    });

    // `Operation` is in scope already: the world `use`s it.
    pub(crate) use self::ordergate::checkout::patch::OpKind;
}

pub(crate) use validator::ordergate::checkout::{log, types};
