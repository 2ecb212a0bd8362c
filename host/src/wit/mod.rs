//! Host bindings of the `ordergate:checkout` WIT package, and the conversions between the
//! order model and the WIT types plugins see.

mod convert;

pub use convert::{
    change, context, order, patch_operations, trigger_notification, violation_from_wit,
};

/// Bindings of the `validator` world (and of the interfaces it uses).
#[allow(missing_docs)]
pub mod validator {
    wasmtime::component::bindgen!({ path: "../wit", world: "validator" });
}

/// Bindings of the `hook` world; its order types are the validator world's.
#[allow(missing_docs)]
pub mod hook {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "hook",
        with: {
            "ordergate:checkout/types": super::validator::ordergate::checkout::types,
            "ordergate:checkout/log": super::validator::ordergate::checkout::log,
        },
    });
}

pub use hook::ordergate::checkout::patch::{OpKind, Operation};
pub use hook::{Outcome, Trigger};
pub use validator::ordergate::checkout::log;
pub use validator::ordergate::checkout::types::{Change, Context, Order, OrderStatus, Violation};
