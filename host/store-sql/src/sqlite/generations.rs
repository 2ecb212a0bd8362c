//! The tenants' plugin generations as last read, kept until the file may have changed under
//! them: the registry asks for a tenant's generation before every mutation and every read
//! of an order, and a read transaction of its own for a number that almost never moves cost
//! 6 % of a cart change's server time (`benches/HTTP.md`).
//!
//! Only the writer connection writes the generations of this store, and it forgets a
//! tenant's entry when it moves it. Every other writer (another process, or another store
//! on the same file) is seen through `PRAGMA data_version` on the writer connection, which
//! changes whenever a connection other than this one committed to the file: then every
//! entry is dropped. So an answer is never older than the file at the moment of the call,
//! as with a query.

use std::collections::HashMap;

use ordergate::store::{StoreError, Tenant};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Context;

/// The cache. Used only with the writer connection's lock held, so that a write of a
/// generation and a read of it cannot interleave.
#[derive(Debug, Default)]
pub(super) struct Generations {
    /// The writer's `data_version` when the entries were read.
    data_version: Option<i64>,
    by_tenant: HashMap<Tenant, u64>,
}

impl Generations {
    /// The tenant's generation, from the cache when nothing but `writer` (the store's
    /// writer connection, locked by the caller) wrote to the file since it was read.
    pub(super) fn get(&mut self, writer: &Connection, tenant: &Tenant) -> Result<u64, StoreError> {
        let data_version: i64 = writer
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .store("read the database's data version")?;
        if self.data_version != Some(data_version) {
            self.by_tenant.clear();
            self.data_version = Some(data_version);
        }
        if let Some(&generation) = self.by_tenant.get(tenant) {
            return Ok(generation);
        }
        let generation = read(writer, tenant)?;
        self.by_tenant.insert(tenant.clone(), generation);
        Ok(generation)
    }

    /// Drops the tenant's entry: the writer is about to move its generation (whether that
    /// write commits or rolls back, the next read asks the file).
    pub(super) fn forget(&mut self, tenant: &Tenant) {
        self.by_tenant.remove(tenant);
    }
}

/// The tenant's generation as stored (0 when it never had a plugin).
pub(super) fn read(conn: &Connection, tenant: &Tenant) -> Result<u64, StoreError> {
    let generation: Option<i64> = conn
        .prepare_cached(
            "SELECT generation FROM plugin_generations WHERE merchant = ?1 AND channel = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant.merchant, tenant.channel], |r| r.get(0))
                .optional()
        })
        .store("read the plugin generation")?;
    u64::try_from(generation.unwrap_or(0)).store("read the plugin generation")
}
