//! The uploaded versions of merchants' plugins: every upload is kept, one version per plugin
//! id is active, and a per-tenant generation number tells a host when to reload.

use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{StoreError, Tenant};

/// Where a plugin version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginStatus {
    /// The version that runs: at most one per plugin id.
    Active,
    /// Replaced by a later upload or another activated version; can be activated again
    /// (rollback).
    Superseded,
    /// Was active when the plugin was removed; kept as history, can be activated again.
    Removed,
    /// Runs beside the active version on live changes, recorded and never enforced: at
    /// most one per plugin id. Activating it promotes it.
    Shadow,
}

/// A plugin upload, before the store numbers it.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginUpload {
    /// The plugin id (the manifest's).
    pub id: String,
    /// The manifest as JSON: the registry parses it; the store only keeps it, so storage
    /// depends on nothing that runs plugins.
    pub manifest: Value,
    /// The component's bytes.
    pub component: Arc<[u8]>,
    /// Who uploaded it, when known.
    pub uploaded_by: Option<String>,
    /// When it was uploaded.
    pub uploaded_at: SystemTime,
}

/// One stored version of a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginVersion {
    /// The plugin id.
    pub id: String,
    /// 1 for the first upload of this id in the tenant, +1 per upload.
    pub version: u32,
    /// The manifest as uploaded (JSON).
    pub manifest: Value,
    /// The component's bytes; shared, a version never changes.
    pub component: Arc<[u8]>,
    /// SHA-256 of `component`, lowercase hex ([`content_hash`]).
    pub content_hash: String,
    /// Where the version stands.
    pub status: PluginStatus,
    /// Who uploaded it, when known.
    pub uploaded_by: Option<String>,
    /// When it was uploaded.
    pub uploaded_at: SystemTime,
}

/// The SHA-256 of a component, lowercase hex: how every store fills
/// [`PluginVersion::content_hash`], so a host can tell identical uploads apart from new ones.
pub fn content_hash(component: &[u8]) -> String {
    format!("{:x}", Sha256::digest(component))
}

/// Plugin versions per tenant (merchant and channel) and plugin id.
pub trait PluginStore: Send + Sync {
    /// Stores `upload` as the plugin's next version and makes it the active one (the
    /// previous active version becomes superseded). Returns the stored version.
    fn add_version(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError>;

    /// Stores `upload` as the plugin's next version with status [`PluginStatus::Shadow`]:
    /// the active version (if any) stays active; the plugin's previous shadow version, if
    /// any, becomes superseded. Returns the stored version.
    fn add_shadow(
        &self,
        tenant: &Tenant,
        upload: PluginUpload,
    ) -> Result<PluginVersion, StoreError>;

    /// Makes version `version` of plugin `id` the active one (a rollback when it is an
    /// earlier one, a promotion when it is the shadow version); the version active before
    /// becomes superseded. [`StoreError::NotFound`] when there is no such version.
    /// Activating the active version changes nothing.
    fn activate(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<PluginVersion, StoreError>;

    /// Leaves plugin `id` with no active version (its active one becomes removed); every
    /// version is kept. [`StoreError::NotFound`] when it has no active version.
    fn remove(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError>;

    /// Ends plugin `id`'s shadow: its shadow version becomes superseded; the active one is
    /// untouched. [`StoreError::NotFound`] when it has no shadow version.
    fn end_shadow(&self, tenant: &Tenant, id: &str) -> Result<(), StoreError>;

    /// The tenant's active versions, one per plugin id, by id.
    fn active(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError>;

    /// The tenant's shadow versions, at most one per plugin id, by id.
    fn shadows(&self, tenant: &Tenant) -> Result<Vec<PluginVersion>, StoreError>;

    /// Every version of plugin `id`, oldest first (empty when there is none).
    fn versions(&self, tenant: &Tenant, id: &str) -> Result<Vec<PluginVersion>, StoreError>;

    /// Version `version` of plugin `id`, if stored.
    fn version(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<Option<PluginVersion>, StoreError>;

    /// A number that grows on every write to the tenant's plugins (and on no other
    /// tenant's): a host compares it before a mutation and reloads only when it moved.
    /// 0 for a tenant that never had a plugin; failed writes and no-ops leave it alone.
    fn generation(&self, tenant: &Tenant) -> Result<u64, StoreError>;
}
