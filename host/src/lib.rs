//! # ordergate
//!
//! An embeddable rules engine for e-commerce order management: order mutations pass
//! through merchant-supplied WebAssembly components, run in-process in a wasmtime
//! sandbox, instead of HTTP callbacks to adapters.
//!
//! The pipeline, one module per stage:
//! - [`model`]: the order model of the Norce Checkout API, as serde types;
//! - [`mutation`]: the spec's operations (create order, set state, cart, addresses,
//!   payments, shippings) applied to a candidate order, with the state and lock rules;
//! - [`checks`]: built-in checks (ISO codes, non-negative amounts);
//! - [`sandbox`]: wasmtime, compiled-plugin caching, `init` snapshots, limits and
//!   faults, with the WIT bindings plugins are typed against kept inside;
//! - [`registry`]: installed plugins per merchant and channel;
//! - [`pipeline`]: a mutation through checks and validations to a commit, then the hooks
//!   it concerns, in a bounded cascade;
//! - [`patch`]: the JSON Patch hooks answer with, applied atomically with read-only paths;
//! - [`notify`]: notification conditions (JSON Pointer scope + JSON Schema) and events;
//! - [`events`]: the notification event log;
//! - [`store`]: orders and events (committed together, with optimistic concurrency),
//!   plugin versions and adapter configurations, behind traits a database can implement;
//! - [`Trace`]: what ran, what it decided and what it cost;
//! - [`time`]: times on the wire (RFC 3339 with microseconds).
//!
//! ## Embedding
//!
//! ```no_run
//! use ordergate::{Host, PluginKind, PluginManifest, Scope};
//! use ordergate::model::{self, NewOrder};
//! use ordergate::mutation::Mutation;
//!
//! # fn main() -> anyhow::Result<()> {
//! let host = Host::builder().build()?;
//! let scope = Scope::new("my-merchant", "b2c");
//!
//! // A validation plugin: a WebAssembly component built with the `ordergate-guest` SDK.
//! let component = std::fs::read("max_quantity.wasm")?;
//! let mut manifest = PluginManifest::new("max-quantity", PluginKind::Validation);
//! manifest.subscribe_to = vec!["cart".into()];
//! manifest.config = serde_json::json!({ "maxQuantity": 10 });
//! let report = host.registry().install(&scope.tenant, manifest, &component)?;
//! println!("installed v{} in {:?} ({:?})", report.version, report.load_time, report.source);
//!
//! let created = host.create_order(&scope, NewOrder::default())?;
//! let cart: model::Cart = model::from_json(r#"{"items":[{"sku":"A1","quantity":12}]}"#)?;
//! match host.mutate(&scope, &created.order.id, Mutation::SetCart(cart)) {
//!     Ok(committed) => println!("version {}", committed.version),
//!     Err(ordergate::MutationError::Rejected { violations, trace }) => {
//!         for v in violations {
//!             println!("{} at {}: {} ({})", v.plugin, v.path, v.message, v.code);
//!         }
//!         println!("{}", serde_json::to_string_pretty(&trace)?);
//!     }
//!     Err(other) => return Err(other.into()),
//! }
//! # Ok(())
//! # }
//! ```

pub mod checks;
pub mod clock;
pub mod events;
mod host;
pub mod model;
pub mod mutation;
pub mod notify;
pub mod patch;
mod pipeline;
pub mod registry;
pub mod sandbox;
pub mod store;
pub mod time;
pub mod violation;
mod wit;

pub use host::{Host, HostBuilder};
pub use pipeline::{
    Budget, Budgets, Committed, FiredNotification, MAX_ATTEMPTS, MutationError, PluginTrace, Scope,
    Trace, TraceError, Verdict,
};
pub use registry::{OnFault, PluginManifest, RegistryError, Tenant};
pub use sandbox::{Fault, Limits, PluginKind, SandboxConfig};
pub use violation::Violation;
