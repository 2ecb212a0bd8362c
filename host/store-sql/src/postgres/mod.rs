//! [`PostgresStore`]: the storage in a PostgreSQL database (or one schema of it), shared by
//! every node that connects to it.

use std::time::SystemTime;

use ::postgres::{Client, Config, NoTls};
use r2d2::{Pool, PooledConnection};

use crate::SqlError;
use crate::codec::micros;
use crate::migrate;

mod events;
mod orders;
mod plugins;
mod pool;

use pool::Manager;

/// Connections per store: enough for the blocking pool's concurrent storage calls of one
/// node without taking a large share of the server's `max_connections` (100 by default)
/// when several nodes, and tests, share it.
const POOL_SIZE: u32 = 16;

/// Key of the advisory lock that serializes migrations: database-wide, so two processes
/// starting at once never both migrate (whatever their schema).
const MIGRATION_LOCK: i64 = 0x6f72_6465_7267_6174; // "ordergat"

/// Orders, events, plugin versions and adapter configurations in PostgreSQL: the storage
/// of a deployment of several nodes. Every node sees the same plugins (the generation tells
/// it when to reload), no update to an order is lost (`UPDATE … WHERE version = expected`),
/// and delivery claims take events with `FOR UPDATE SKIP LOCKED`, so two nodes never claim
/// one event.
///
/// Connects without TLS (a database on the same host or a private network). Holds a pool of
/// up to 16 connections, opened as needed.
///
/// # Blocking
///
/// Every call blocks on the network. The synchronous `postgres` client runs a runtime of its
/// own and panics when called from a thread that is driving a tokio runtime: from async
/// code, call through `tokio::task::spawn_blocking` (or a worker pool), never directly.
pub struct PostgresStore {
    pool: Pool<Manager>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`)
    /// and applies the migrations it lacks. The URL may choose a schema with
    /// `?options=-c%20search_path%3D<schema>` (the schema must exist), so that several
    /// stores share one database apart.
    ///
    /// Fails at once when the URL does not parse or the server cannot be reached: the
    /// first connection is made here, not lazily.
    pub fn connect(url: &str) -> Result<PostgresStore, SqlError> {
        let config: Config = url.parse().map_err(SqlError::Postgres)?;
        let mut first = config.connect(NoTls).map_err(SqlError::Postgres)?;
        migrate(&mut first)?;
        drop(first);
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            // A checkout does not spend a round trip on a test query; a connection the
            // server closed is noticed by its error and dropped (`has_broken`).
            .test_on_check_out(false)
            .build(Manager(config))?;
        Ok(PostgresStore { pool })
    }

    /// A pooled connection with its prepared statements.
    fn client(&self) -> Result<PooledConnection<Manager>, r2d2::Error> {
        self.pool.get()
    }
}

/// Applies the migrations the schema lacks, in one transaction under an advisory lock.
fn migrate(client: &mut Client) -> Result<(), SqlError> {
    let failed = |version, name| {
        move |e: ::postgres::Error| SqlError::Migration {
            version,
            name,
            source: e.into(),
        }
    };
    let mut tx = client.transaction().map_err(failed(0, "begin"))?;
    // Released at commit or rollback: a second process waits here, then finds the
    // migrations applied.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(failed(0, "lock"))?;
    tx.batch_execute(migrate::CREATE_TABLE)
        .map_err(failed(0, "schema_migrations"))?;
    let applied: i64 = tx
        .query_one(migrate::NEWEST, &[])
        .and_then(|row| row.try_get(0))
        .map_err(failed(0, "schema_migrations"))?;
    for m in migrate::pending(migrate::POSTGRES, applied)? {
        tx.batch_execute(m.sql).map_err(failed(m.version, m.name))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &[&m.version, &m.name, &micros(SystemTime::now())],
        )
        .map_err(failed(m.version, m.name))?;
    }
    tx.commit().map_err(failed(applied, "commit"))
}
