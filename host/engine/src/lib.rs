//! # ordergate
//!
//! An embeddable rules engine for e-commerce order management: order mutations pass
//! through merchant-supplied WebAssembly components, run in-process in a wasmtime
//! sandbox, instead of HTTP callbacks to adapters.
//!
//! The public surface is what an embedder touches, re-exported here, plus a few
//! namespaces of data types and standalone engines:
//! - [`Host`] (built with [`HostBuilder`]) takes [`Mutation`]s from a [`Scope`] and
//!   answers [`Committed`] (with its [`Trace`]) or a [`MutationError`];
//! - [`Registry`] installs, replaces, rolls back and removes [`PluginManifest`]s with
//!   their components, checked against the [`SandboxConfig`]'s [`Limits`] and ceilings;
//! - [`Budgets`] and [`model::OrderLimits`] bound what one mutation may make the host do;
//! - [`model`]: the order model of the Norce Checkout API, its bounds and its shape;
//! - [`mutation`]: the spec's operations applied to a candidate order, with the state and
//!   lock rules;
//! - [`store`]: the storage traits (orders with versions, events, plugin versions, adapter
//!   configurations) a database implements, and [`store::MemoryStore`];
//! - [`events`]: the notification event model, the event log with claims and leases, and
//!   the delivery [`events::RetryPolicy`];
//! - [`patch`]: RFC 6902 JSON Patch, and order patches under the read-only rules;
//! - [`notify`]: notification conditions (JSON Pointer scope + JSON Schema) and invoke
//!   templates;
//! - [`observe`]: shadow versions' reports and kept runs (for replay), computed off the
//!   order path;
//! - [`runner`]: one plugin run on one input outside any store, as the host would run it
//!   (what `ordergate run` prints);
//! - [`clock`] and [`time`]: where time and ids come from, and times on the wire.
//!
//! The README's ARCHITECTURE section follows one mutation through the private modules
//! (pipeline, sandbox, registry, checks).
//!
//! ## Embedding
//!
//! ```no_run
//! use ordergate::{Host, Mutation, PluginKind, PluginManifest, Scope};
//! use ordergate::model::{self, NewOrder};
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

mod checks;
pub mod clock;
pub mod events;
mod host;
pub mod model;
pub mod mutation;
pub mod notify;
pub mod observe;
pub mod patch;
mod pipeline;
mod registry;
pub mod runner;
mod sandbox;
pub mod store;
pub mod time;
mod violation;
mod wit;

pub use checks::check_order as builtin_checks;
pub use host::{Host, HostBuilder};
pub use mutation::Mutation;
pub use pipeline::{
    Budget, Budgets, Committed, FiredNotification, MAX_ATTEMPTS, MutationError, PluginTrace, Scope,
    Trace, TraceError, Verdict,
};
pub use registry::{
    InstallReport, InstalledPlugin, LoadedCounts, OnFault, PluginManifest, Registry, RegistryError,
    TenantPlugins,
};
pub use sandbox::{
    ArtifactSource, CallContext, ChangeSummary, CompileError, CompiledPlugin, ComponentInfo, Fault,
    HookAnswer, LimitError, Limits, LimitsOverride, LogCeilings, LogLevel, LogLine,
    MAX_LOG_LINE_BYTES, OrderView, PANIC_PREFIX, PluginKind, PluginLog, Run, Sandbox,
    SandboxConfig,
};
pub use store::Tenant;
pub use violation::{BUILTIN, Violation};
