//! Plugin versions with the per-tenant generation, and adapter configurations, in SQLite.

use ordergate::store::{
    ConfigStore, PluginStatus, PluginStore, PluginUpload, PluginVersion, StoreError, Tenant,
    content_hash,
};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::Value;

use super::{SqliteStore, begin};
use crate::codec::{self, PLUGIN_COLUMNS, PluginRow, plugin_status};
use crate::error::Context;

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PluginRow> {
    Ok(PluginRow {
        id: r.get(0)?,
        version: r.get(1)?,
        manifest: r.get(2)?,
        component: r.get(3)?,
        content_hash: r.get(4)?,
        status: r.get(5)?,
        uploaded_by: r.get(6)?,
        uploaded_at: r.get(7)?,
    })
}

fn decode(rows: Vec<PluginRow>) -> Result<Vec<PluginVersion>, StoreError> {
    rows.into_iter()
        .map(PluginRow::decode)
        .collect::<Result<_, _>>()
        .store("decode a plugin version")
}

/// Moves the tenant's generation. First in every plugin write: the transaction then holds
/// the write lock, and a write that fails or changes nothing rolls the bump back.
fn bump_generation(tx: &Transaction<'_>, tenant: &Tenant) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO plugin_generations (merchant, channel, generation) VALUES (?1, ?2, 1)
         ON CONFLICT (merchant, channel) DO UPDATE SET generation = plugin_generations.generation + 1",
    )
    .and_then(|mut s| s.execute(params![tenant.merchant, tenant.channel]))
    .store("move the plugin generation")?;
    Ok(())
}

/// Makes the plugin's version with status `from` (one at most) `to`.
fn retire(
    tx: &Transaction<'_>,
    tenant: &Tenant,
    id: &str,
    from: PluginStatus,
    to: PluginStatus,
) -> Result<usize, StoreError> {
    tx.prepare_cached(
        "UPDATE plugin_versions SET status = ?4
         WHERE merchant = ?1 AND channel = ?2 AND id = ?3 AND status = ?5",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant.merchant,
            tenant.channel,
            id,
            plugin_status(to),
            plugin_status(from)
        ])
    })
    .store("retire a plugin version")
}

fn select_version(
    conn: &rusqlite::Connection,
    tenant: &Tenant,
    id: &str,
    version: u32,
) -> Result<Option<PluginVersion>, StoreError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {PLUGIN_COLUMNS} FROM plugin_versions
             WHERE merchant = ?1 AND channel = ?2 AND id = ?3 AND version = ?4"
        ))
        .and_then(|mut s| {
            s.query_row(params![tenant.merchant, tenant.channel, id, version], row)
                .optional()
        })
        .store("read a plugin version")?;
    Ok(decode(found.into_iter().collect())?.pop())
}

impl SqliteStore {
    /// Stores `upload` as the plugin's next version with `status`; the version that had
    /// `status` before (one at most) becomes superseded.
    fn insert_version(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
        status: PluginStatus,
    ) -> Result<PluginVersion, StoreError> {
        let manifest = codec::value_json(&upload.manifest).store("encode a manifest")?;
        let hash = content_hash(&upload.component);
        let mut conn = self.writer();
        let tx = begin(&mut conn).store("begin a plugin upload")?;
        bump_generation(&tx, tenant)?;
        let last: i64 = tx
            .prepare_cached(
                "SELECT COALESCE(MAX(version), 0) FROM plugin_versions WHERE merchant = ?1 AND channel = ?2 AND id = ?3",
            )
            .and_then(|mut s| s.query_row(params![tenant.merchant, tenant.channel, upload.id], |r| r.get(0)))
            .store("number a plugin version")?;
        let version = u32::try_from(last + 1).store("number a plugin version")?;
        retire(&tx, tenant, &upload.id, status, PluginStatus::Superseded)?;
        tx.prepare_cached(&format!(
            "INSERT INTO plugin_versions (merchant, channel, {PLUGIN_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?10, ?8, ?9)"
        ))
        .and_then(|mut s| {
            s.execute(params![
                tenant.merchant,
                tenant.channel,
                upload.id,
                version,
                manifest,
                &*upload.component,
                hash,
                upload.uploaded_by,
                codec::micros(upload.uploaded_at),
                plugin_status(status)
            ])
        })
        .store("store a plugin version")?;
        tx.commit().store("commit a plugin upload")?;
        Ok(codec::uploaded(upload, version, hash, status))
    }

    /// The tenant's versions with `status`, by id.
    fn with_status(
        &self,
        tenant: &Tenant,
        status: PluginStatus,
    ) -> Result<Vec<PluginVersion>, StoreError> {
        let conn = self.reader().store("list plugins")?;
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {PLUGIN_COLUMNS} FROM plugin_versions
                 WHERE merchant = ?1 AND channel = ?2 AND status = ?3 ORDER BY id"
            ))
            .and_then(|mut s| {
                s.query_map(
                    params![tenant.merchant, tenant.channel, plugin_status(status)],
                    row,
                )?
                .collect()
            })
            .store("list plugins")?;
        decode(rows)
    }

    /// Makes the plugin's version with status `from` `to`; NotFound when there is none.
    fn retire_one(
        &self,
        tenant: &Tenant,
        id: &str,
        from: PluginStatus,
        to: PluginStatus,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = begin(&mut conn).store("begin a plugin status change")?;
        bump_generation(&tx, tenant)?;
        if retire(&tx, tenant, id, from, to)? == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().store("commit a plugin status change")
    }
}

impl PluginStore for SqliteStore {
    fn add_version(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError> {
        self.insert_version(tenant, upload, PluginStatus::Active)
    }

    fn add_shadow(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError> {
        self.insert_version(tenant, upload, PluginStatus::Shadow)
    }

    fn activate(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<PluginVersion, StoreError> {
        let mut conn = self.writer();
        let tx = begin(&mut conn).store("begin an activation")?;
        bump_generation(&tx, tenant)?;
        let mut found = select_version(&tx, tenant, id, version)?.ok_or(StoreError::NotFound)?;
        if found.status == PluginStatus::Active {
            // Nothing changes: the transaction (and the generation's bump) rolls back.
            return Ok(found);
        }
        retire(
            &tx,
            tenant,
            id,
            PluginStatus::Active,
            PluginStatus::Superseded,
        )?;
        tx.prepare_cached(
            "UPDATE plugin_versions SET status = 'active'
             WHERE merchant = ?1 AND channel = ?2 AND id = ?3 AND version = ?4",
        )
        .and_then(|mut s| s.execute(params![tenant.merchant, tenant.channel, id, version]))
        .store("activate a plugin version")?;
        tx.commit().store("commit an activation")?;
        found.status = PluginStatus::Active;
        Ok(found)
    }

    fn remove(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError> {
        self.retire_one(tenant, id, PluginStatus::Active, PluginStatus::Removed)
    }

    fn end_shadow(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError> {
        self.retire_one(tenant, id, PluginStatus::Shadow, PluginStatus::Superseded)
    }

    fn active(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError> {
        self.with_status(tenant, PluginStatus::Active)
    }

    fn shadows(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError> {
        self.with_status(tenant, PluginStatus::Shadow)
    }

    fn versions(&self, tenant: &Tenant, id: &str) -> Result<Vec<PluginVersion>, StoreError> {
        let conn = self.reader().store("list plugin versions")?;
        let rows = conn
            .prepare_cached(&format!(
                "SELECT {PLUGIN_COLUMNS} FROM plugin_versions
                 WHERE merchant = ?1 AND channel = ?2 AND id = ?3 ORDER BY version"
            ))
            .and_then(|mut s| {
                s.query_map(params![tenant.merchant, tenant.channel, id], row)?
                    .collect()
            })
            .store("list plugin versions")?;
        decode(rows)
    }

    fn version(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<Option<PluginVersion>, StoreError> {
        let conn = self.reader().store("read a plugin version")?;
        select_version(&conn, tenant, id, version)
    }

    fn generation(&self, tenant: &Tenant) -> Result<u64, StoreError> {
        let conn = self.reader().store("read the plugin generation")?;
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
}

impl ConfigStore for SqliteStore {
    fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: Value,
    ) -> Result<(), StoreError> {
        let text = codec::value_json(&configuration).store("encode a configuration")?;
        self.writer()
            .prepare_cached(
                "INSERT INTO adapter_configurations (merchant, adapter_id, configuration) VALUES (?1, ?2, ?3)
                 ON CONFLICT (merchant, adapter_id) DO UPDATE SET configuration = excluded.configuration",
            )
            .and_then(|mut s| s.execute(params![merchant, adapter_id, text]))
            .store("set an adapter configuration")?;
        Ok(())
    }

    fn adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
    ) -> Result<Option<Value>, StoreError> {
        let conn = self.reader().store("read an adapter configuration")?;
        let text: Option<String> = conn
            .prepare_cached("SELECT configuration FROM adapter_configurations WHERE merchant = ?1 AND adapter_id = ?2")
            .and_then(|mut s| s.query_row(params![merchant, adapter_id], |r| r.get(0)).optional())
            .store("read an adapter configuration")?;
        text.map(|t| codec::value(&t))
            .transpose()
            .store("decode an adapter configuration")
    }
}
