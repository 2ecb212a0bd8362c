//! Host bindings of the `ordergate:checkout` WIT package, the conversions between the
//! order model and the WIT types, and the [`OrderView`] plugins read the order through.

mod convert;
mod view;

pub use convert::{change, context, patch_operations, trigger_notification, violation_from_wit};
pub use view::{OrderReader, OrderView};

/// Bindings of the `validator` world (and of the interfaces it uses).
#[allow(missing_docs)]
pub mod validator {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "validator",
        // Reading the order fails only if the host serves no order: a trap, not a value.
        imports: { "ordergate:checkout/view": trappable },
        with: { "ordergate:checkout/view.order": super::OrderView },
    });
}

/// Bindings of the `hook` world; its order types are the validator world's.
#[allow(missing_docs)]
pub mod hook {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "hook",
        with: {
            "ordergate:checkout/types": super::validator::ordergate::checkout::types,
            "ordergate:checkout/view": super::validator::ordergate::checkout::view,
            "ordergate:checkout/log": super::validator::ordergate::checkout::log,
        },
    });
}

pub use hook::ordergate::checkout::patch::{OpKind, Operation};
pub use hook::{Outcome, Trigger};
pub use validator::ordergate::checkout::log;
pub use validator::ordergate::checkout::types::{Change, Context, OrderStatus, Violation};
