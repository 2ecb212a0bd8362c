//! Host bindings of the `ordergate:checkout` WIT package, and the conversions between the
//! order model and the WIT types plugins see.

mod convert;

pub use convert::{change, context, order, violation_from_wit};

/// Bindings of the `validator` world (and of the interfaces it uses).
#[allow(missing_docs)]
pub mod validator {
    wasmtime::component::bindgen!({ path: "../wit", world: "validator" });
}

pub use validator::ordergate::checkout::log;
pub use validator::ordergate::checkout::types::{Change, Context, Order, OrderStatus, Violation};
