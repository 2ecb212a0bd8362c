//! Plugin versions with the per-tenant generation, and adapter configurations, in
//! PostgreSQL.

use ordergate::store::{
    ConfigStore, PluginStatus, PluginStore, PluginUpload, PluginVersion, StoreError, Tenant,
    content_hash,
};
use postgres::Row;
use serde_json::Value;

use super::PostgresStore;
use super::pool::{Session, Tx};
use crate::codec::{self, PLUGIN_COLUMNS, PluginRow, plugin_status};
use crate::error::Context;

fn decode(rows: Vec<Row>) -> Result<Vec<PluginVersion>, StoreError> {
    rows.iter()
        .map(|r| {
            Ok(PluginRow {
                id: r.try_get(0)?,
                version: r.try_get(1)?,
                manifest: r.try_get(2)?,
                component: r.try_get(3)?,
                content_hash: r.try_get(4)?,
                status: r.try_get(5)?,
                uploaded_by: r.try_get(6)?,
                uploaded_at: r.try_get(7)?,
            })
        })
        .collect::<Result<Vec<_>, postgres::Error>>()
        .store("read a plugin version")?
        .into_iter()
        .map(PluginRow::decode)
        .collect::<Result<_, _>>()
        .store("decode a plugin version")
}

/// Moves the tenant's generation. First in every plugin write: the row lock it takes
/// serializes the tenant's plugin writes (two uploads cannot both number version n), and a
/// write that fails or changes nothing rolls the bump back.
fn bump_generation(tx: &mut Tx<'_>, tenant: &Tenant) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO plugin_generations (merchant, channel, generation) VALUES ($1, $2, 1)
         ON CONFLICT (merchant, channel) DO UPDATE SET generation = plugin_generations.generation + 1",
        &[&tenant.merchant, &tenant.channel],
    )
    .store("move the plugin generation")?;
    Ok(())
}

/// Makes the plugin's version with status `from` (one at most) `to`.
fn retire(
    tx: &mut Tx<'_>,
    tenant: &Tenant,
    id: &str,
    from: PluginStatus,
    to: PluginStatus,
) -> Result<u64, StoreError> {
    tx.execute(
        "UPDATE plugin_versions SET status = $4
         WHERE merchant = $1 AND channel = $2 AND id = $3 AND status = $5",
        &[
            &tenant.merchant,
            &tenant.channel,
            &id,
            &plugin_status(to),
            &plugin_status(from),
        ],
    )
    .store("retire a plugin version")
}

fn select_version(
    client: &mut impl Session,
    tenant: &Tenant,
    id: &str,
    version: u32,
) -> Result<Option<PluginVersion>, StoreError> {
    let rows = client
        .query(
            &format!(
                "SELECT {PLUGIN_COLUMNS} FROM plugin_versions
                 WHERE merchant = $1 AND channel = $2 AND id = $3 AND version = $4"
            ),
            &[&tenant.merchant, &tenant.channel, &id, &i64::from(version)],
        )
        .store("read a plugin version")?;
    Ok(decode(rows)?.pop())
}

impl PostgresStore {
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
        let mut client = self.client().store("upload a plugin")?;
        let mut tx = client.transaction().store("begin a plugin upload")?;
        bump_generation(&mut tx, tenant)?;
        let last: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM plugin_versions WHERE merchant = $1 AND channel = $2 AND id = $3",
                &[&tenant.merchant, &tenant.channel, &upload.id],
            )
            .and_then(|r| r.try_get(0))
            .store("number a plugin version")?;
        let version = u32::try_from(last + 1).store("number a plugin version")?;
        retire(
            &mut tx,
            tenant,
            &upload.id,
            status,
            PluginStatus::Superseded,
        )?;
        tx.execute(
            &format!(
                "INSERT INTO plugin_versions (merchant, channel, {PLUGIN_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9)"
            ),
            &[
                &tenant.merchant,
                &tenant.channel,
                &upload.id,
                &i64::from(version),
                &manifest,
                &&*upload.component,
                &hash,
                &upload.uploaded_by,
                &codec::micros(upload.uploaded_at),
                &plugin_status(status),
            ],
        )
        .store("store a plugin version")?;
        tx.commit().store("commit a plugin upload")?;
        Ok(codec::uploaded(upload, version, hash, status))
    }

    /// The tenant's versions with `status`, ids in byte order (the "C" collation), as
    /// the other stores sort them.
    fn with_status(
        &self,
        tenant: &Tenant,
        status: PluginStatus,
    ) -> Result<Vec<PluginVersion>, StoreError> {
        let rows = self
            .client()
            .store("list plugins")?
            .query(
                &format!(
                    "SELECT {PLUGIN_COLUMNS} FROM plugin_versions
                     WHERE merchant = $1 AND channel = $2 AND status = $3 ORDER BY id COLLATE \"C\""
                ),
                &[&tenant.merchant, &tenant.channel, &plugin_status(status)],
            )
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
        let mut client = self.client().store("change a plugin's status")?;
        let mut tx = client.transaction().store("begin a plugin status change")?;
        bump_generation(&mut tx, tenant)?;
        if retire(&mut tx, tenant, id, from, to)? == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().store("commit a plugin status change")
    }
}

impl PluginStore for PostgresStore {
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
        let mut client = self.client().store("activate a plugin version")?;
        let mut tx = client.transaction().store("begin an activation")?;
        bump_generation(&mut tx, tenant)?;
        let mut found =
            select_version(&mut tx, tenant, id, version)?.ok_or(StoreError::NotFound)?;
        if found.status == PluginStatus::Active {
            // Nothing changes: the transaction (and the generation's bump) rolls back.
            return Ok(found);
        }
        retire(
            &mut tx,
            tenant,
            id,
            PluginStatus::Active,
            PluginStatus::Superseded,
        )?;
        tx.execute(
            "UPDATE plugin_versions SET status = 'active'
             WHERE merchant = $1 AND channel = $2 AND id = $3 AND version = $4",
            &[&tenant.merchant, &tenant.channel, &id, &i64::from(version)],
        )
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
        let rows = self
            .client()
            .store("list plugin versions")?
            .query(
                &format!(
                    "SELECT {PLUGIN_COLUMNS} FROM plugin_versions
                     WHERE merchant = $1 AND channel = $2 AND id = $3 ORDER BY version"
                ),
                &[&tenant.merchant, &tenant.channel, &id],
            )
            .store("list plugin versions")?;
        decode(rows)
    }

    fn version(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<Option<PluginVersion>, StoreError> {
        let mut client = self.client().store("read a plugin version")?;
        select_version(&mut *client, tenant, id, version)
    }

    fn generation(&self, tenant: &Tenant) -> Result<u64, StoreError> {
        let row = self
            .client()
            .store("read the plugin generation")?
            .query_opt(
                "SELECT generation FROM plugin_generations WHERE merchant = $1 AND channel = $2",
                &[&tenant.merchant, &tenant.channel],
            )
            .store("read the plugin generation")?;
        let generation: i64 = match row {
            Some(row) => row.try_get(0).store("read the plugin generation")?,
            None => 0,
        };
        u64::try_from(generation).store("read the plugin generation")
    }
}

impl ConfigStore for PostgresStore {
    fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: Value,
    ) -> Result<(), StoreError> {
        let text = codec::value_json(&configuration).store("encode a configuration")?;
        self.client()
            .store("set an adapter configuration")?
            .execute(
                "INSERT INTO adapter_configurations (merchant, adapter_id, configuration) VALUES ($1, $2, $3)
                 ON CONFLICT (merchant, adapter_id) DO UPDATE SET configuration = excluded.configuration",
                &[&merchant, &adapter_id, &text],
            )
            .store("set an adapter configuration")?;
        Ok(())
    }

    fn adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
    ) -> Result<Option<Value>, StoreError> {
        let row = self
            .client()
            .store("read an adapter configuration")?
            .query_opt(
                "SELECT configuration FROM adapter_configurations WHERE merchant = $1 AND adapter_id = $2",
                &[&merchant, &adapter_id],
            )
            .store("read an adapter configuration")?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get(0).store("read an adapter configuration")?;
        codec::value(&text)
            .map(Some)
            .store("decode an adapter configuration")
    }
}
