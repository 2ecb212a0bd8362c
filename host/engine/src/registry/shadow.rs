//! Shadow versions: a new version that runs beside the active one on live changes, its
//! answers recorded and never enforced, until it is promoted (made the active version, on
//! every host sharing the store from their next mutation on) or ended.

use super::{InstallReport, Placement, PluginManifest, Registry, RegistryError, Tenant};
use crate::store::{PluginStatus, PluginVersion, StoreError};

impl Registry {
    /// Uploads `component` as plugin `manifest.id`'s shadow version (its next version):
    /// checked and loaded as any upload, then run beside the active version (or, for an
    /// id with no active version, beside nothing) without deciding anything. A previous
    /// shadow version of the id is superseded.
    pub fn upload_shadow(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
        uploaded_by: Option<String>,
    ) -> Result<InstallReport, RegistryError> {
        self.store_version(tenant, manifest, component, uploaded_by, Placement::Shadow)
    }

    /// The shadow version of plugin `id`, if it has one.
    pub fn shadow_version(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Option<PluginVersion>, RegistryError> {
        let versions = self.store.versions(tenant, id)?;
        Ok(versions
            .into_iter()
            .find(|v| v.status == PluginStatus::Shadow))
    }

    /// Makes plugin `id`'s shadow version the active one, in one store write (the version
    /// active before is superseded, and can be activated again: rolling back stays one
    /// call). [`RegistryError::NoShadow`] when it has none.
    pub fn promote(&self, tenant: &Tenant, id: &str) -> Result<PluginVersion, RegistryError> {
        let shadow = self
            .shadow_version(tenant, id)?
            .ok_or_else(|| RegistryError::NoShadow(id.to_owned()))?;
        self.rollback(tenant, id, shadow.version)
    }

    /// Stops plugin `id`'s shadow version (it becomes superseded); the active version is
    /// untouched. [`RegistryError::NoShadow`] when it has none.
    pub fn end_shadow(&self, tenant: &Tenant, id: &str) -> Result<(), RegistryError> {
        match self.store.end_shadow(tenant, id) {
            Err(StoreError::NotFound) => return Err(RegistryError::NoShadow(id.to_owned())),
            other => other?,
        }
        self.refresh(tenant, None)?;
        Ok(())
    }
}
