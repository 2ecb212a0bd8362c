//! # ordergate-store-sql
//!
//! The engine's storage ([`ordergate::store::Storage`]: orders with versions, notification
//! events with claims and leases, plugin versions, adapter configurations) on two databases:
//!
//! - [`SqliteStore`]: an embedded SQLite file (compiled in, no system library), in WAL mode
//!   so readers run beside the one writer; for a single node.
//! - [`PostgresStore`]: PostgreSQL through a small connection pool; several nodes share one
//!   database, and claims use `FOR UPDATE SKIP LOCKED` so two nodes never deliver one event
//!   at once.
//!
//! Both apply their migrations when opened (versioned SQL embedded in the binary, recorded
//! in `schema_migrations`), commit an order change and its events in one transaction, and
//! guard every order write with its version (`UPDATE … WHERE version = expected`), so two
//! writers never lose an update. The engine's conformance suite runs against both.
//!
//! The calls block (the engine's storage traits are synchronous): from async code, call
//! them through `tokio::task::spawn_blocking` or a worker pool. For [`PostgresStore`] this is
//! a must, not advice: the synchronous `postgres` client drives its own runtime and panics
//! when called on a thread that is running a tokio runtime.
//!
//! ```no_run
//! use ordergate::store::{OrderStore, Tenant};
//! use ordergate_store_sql::{PostgresStore, SqliteStore};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let local = SqliteStore::open(std::path::Path::new("ordergate-data/ordergate.db"))?;
//! let shared = PostgresStore::connect(
//!     "postgres://ordergate:ordergate@127.0.0.1:5432/ordergate?options=-c%20search_path%3Dshop",
//! )?;
//! let page = shared.list_orders(&Tenant::new("norce", "b2c"), 0, 10)?;
//! # let _ = (local, page);
//! # Ok(())
//! # }
//! ```

mod codec;
mod error;
mod migrate;
mod postgres;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::SqlError;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
