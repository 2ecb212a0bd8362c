//! Installed plugins, per merchant and channel: install, replace (new version), list,
//! remove, and which plugins a change concerns.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sandbox::{
    ArtifactSource, CompileError, CompiledPlugin, Limits, LimitsOverride, PluginKind, Sandbox,
};
use crate::store::{PluginStore, PluginUpload, PluginVersion, StoreError};

mod shadow;

pub use crate::store::Tenant;

/// What happens to the mutation when a validation plugin faults (traps, exhausts its
/// fuel, misses its deadline…). The fault is recorded in the trace either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnFault {
    /// The mutation goes on as if the plugin had accepted. This is the default because
    /// the reference platform lets an action complete when a validation times out.
    #[default]
    Allow,
    /// The mutation is refused with a `plugin-fault` violation naming the fault.
    Reject,
}

/// A plugin as its author describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginManifest {
    /// Unique within the tenant, e.g. `max-quantity`.
    pub id: String,
    /// Validation or hook.
    pub kind: PluginKind,
    /// Order parts (`cart`, `state`, `customer`, `shippings`, `payments`, any top-level
    /// order field) or JSON Pointer prefixes (`/customer/billing`) the plugin cares about.
    /// Empty: every change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscribe_to: Vec<String>,
    /// Lower runs first; ties run in id order. Default 0.
    #[serde(default)]
    pub priority: i32,
    /// The adapter this plugin acts for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_id: Option<String>,
    /// Handed to the plugin on every call (`ctx.configuration`). Default `{}`.
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
    /// Overrides of the host's default limits.
    #[serde(default)]
    pub limits: LimitsOverride,
    /// What a fault means for the mutation. Default `allow`.
    #[serde(default)]
    pub on_fault: OnFault,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

impl PluginManifest {
    /// A manifest with the defaults: no subscriptions (every change), priority 0, no
    /// adapter, `{}` configuration, default limits, `onFault: allow`.
    pub fn new(id: impl Into<String>, kind: PluginKind) -> Self {
        Self {
            id: id.into(),
            kind,
            subscribe_to: Vec::new(),
            priority: 0,
            adapter_id: None,
            config: empty_object(),
            limits: LimitsOverride::default(),
            on_fault: OnFault::Allow,
        }
    }
}

/// Why a plugin cannot be installed, replaced or removed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The component was refused.
    #[error("plugin `{id}`: {reason}")]
    Compile {
        /// The plugin id.
        id: String,
        /// Why. Not the error's `source()`: the message already says it, and a chain
        /// printer (`{:#}`, anyhow's `Caused by`) would say it twice.
        reason: CompileError,
    },
    /// The manifest is inconsistent.
    #[error("plugin `{id}`: invalid manifest: {reason}")]
    InvalidManifest {
        /// The plugin id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// `install` of an id that is already installed (use `replace`).
    #[error("plugin `{0}` is already installed; replace it to install a new version")]
    AlreadyInstalled(String),
    /// `replace` or `remove` of an id that is not installed.
    #[error("plugin `{0}` is not installed")]
    NotInstalled(String),
    /// A promotion or an end of shadow of a plugin that has no shadow version.
    #[error("plugin `{0}` has no shadow version")]
    NoShadow(String),
    /// A rollback to a version that was never uploaded.
    #[error("plugin `{id}` has no version {version}")]
    NoSuchVersion {
        /// The plugin id.
        id: String,
        /// The version asked for.
        version: u32,
    },
    /// The plugin store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A plugin ready to run, with its manifest resolved against the host's defaults.
#[derive(Debug)]
pub struct InstalledPlugin {
    /// The manifest as given.
    pub manifest: PluginManifest,
    /// The stored version: 1 on the first upload of the id, +1 per upload.
    pub version: u32,
    /// The limits in force: the host's defaults with the manifest's overrides.
    pub limits: Limits,
    /// `subscribeTo` as JSON Pointers.
    pub(crate) subscriptions: Vec<String>,
    /// The configuration as the JSON text plugins receive.
    pub(crate) config_json: String,
    pub(crate) compiled: CompiledPlugin,
}

impl InstalledPlugin {
    /// Whether a change that touched these JSON Pointers concerns this plugin: a
    /// subscription matches a touched pointer inside it, or one that contains it.
    pub fn concerned_by(&self, touched: &[String]) -> bool {
        self.subscriptions.is_empty()
            || self.subscriptions.iter().any(|s| {
                touched.iter().any(|t| {
                    let (s, t) = (pointer(s), pointer(t));
                    t.starts_with(s) || s.starts_with(t)
                })
            })
    }

    /// The compiled component.
    pub fn compiled(&self) -> &CompiledPlugin {
        &self.compiled
    }
}

fn pointer(s: &str) -> &jsonptr::Pointer {
    jsonptr::Pointer::parse(s).unwrap_or(jsonptr::Pointer::root())
}

/// What an install or replace did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallReport {
    /// The plugin id.
    pub id: String,
    /// The version now installed.
    pub version: u32,
    /// SHA-256 of the component.
    pub content_hash: String,
    /// Size of the component in bytes.
    pub size_bytes: usize,
    /// Compiled now, or loaded from a cache.
    pub source: ArtifactSource,
    /// Time to compile or load, check, initialize and pre-instantiate; serialized as
    /// `loadUs`, in microseconds.
    #[serde(rename = "loadUs", with = "crate::sandbox::micros")]
    pub load_time: Duration,
    /// Fuel the plugin's `init` used (once, at install: every call starts from its result).
    pub init_fuel: u64,
}

/// One tenant's installed plugins, in the order they run: an immutable snapshot. A
/// mutation takes one at its start and keeps it, so an install or removal meanwhile applies
/// from the next mutation on, and the hot path reads it without a lock.
#[derive(Debug, Default)]
pub struct TenantPlugins {
    /// The store's generation of the tenant's plugins this snapshot was built from.
    generation: u64,
    plugins: Vec<Arc<InstalledPlugin>>,
    /// The shadow versions, by id: run beside the active ones, never enforced.
    shadows: Vec<Arc<InstalledPlugin>>,
}

impl TenantPlugins {
    /// Every plugin, in the order they run (priority, then id).
    pub fn all(&self) -> &[Arc<InstalledPlugin>] {
        &self.plugins
    }

    /// The plugins of `kind`, in the order they run.
    pub fn of_kind(&self, kind: PluginKind) -> impl Iterator<Item = &Arc<InstalledPlugin>> {
        self.plugins.iter().filter(move |p| p.manifest.kind == kind)
    }

    /// The plugins of `kind` that a change touching `touched` concerns, in the order they
    /// run.
    pub fn concerned(&self, kind: PluginKind, touched: &[String]) -> Vec<Arc<InstalledPlugin>> {
        self.of_kind(kind)
            .filter(|p| p.concerned_by(touched))
            .cloned()
            .collect()
    }

    /// The shadow versions of `kind` that a change touching `touched` concerns.
    pub fn concerned_shadows(
        &self,
        kind: PluginKind,
        touched: &[String],
    ) -> impl Iterator<Item = &Arc<InstalledPlugin>> {
        self.shadows
            .iter()
            .filter(move |p| p.manifest.kind == kind && p.concerned_by(touched))
    }

    /// The shadow version of plugin `id`, if it has one.
    pub fn shadow_of(&self, id: &str) -> Option<&Arc<InstalledPlugin>> {
        self.shadows.iter().find(|p| p.manifest.id == id)
    }

    /// Whether any plugin of the tenant has a shadow version.
    pub fn has_shadows(&self) -> bool {
        !self.shadows.is_empty()
    }

    fn find(&self, id: &str, version: u32, content_hash: &str) -> Option<&Arc<InstalledPlugin>> {
        self.plugins.iter().chain(&self.shadows).find(|p| {
            p.manifest.id == id && p.version == version && p.compiled.content_hash() == content_hash
        })
    }
}

/// The compiled plugins of every tenant: a cache of the plugin versions in the store.
///
/// The store is the truth: an install writes a new version there and a host reads the
/// tenant's active versions from it. Before every mutation the registry compares the
/// tenant's generation number in the store with the one its snapshot was built from, and
/// rebuilds the snapshot only when it moved, so a version installed, rolled back or removed
/// through one host applies on every host sharing the store from their next mutation on,
/// and a restarted host loads a tenant's plugins when it first needs them (compiled code
/// comes from the artifact cache; plugins whose version did not change are kept as they
/// are).
pub struct Registry {
    sandbox: Arc<Sandbox>,
    store: Arc<dyn PluginStore>,
    tenants: RwLock<HashMap<Tenant, Arc<TenantPlugins>>>,
}

impl Registry {
    /// A registry compiling with `sandbox` the plugins kept in `store`.
    pub fn new(sandbox: Arc<Sandbox>, store: Arc<dyn PluginStore>) -> Self {
        Self {
            sandbox,
            store,
            tenants: RwLock::new(HashMap::new()),
        }
    }

    /// Installs a new plugin; fails if the id is taken.
    pub fn install(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
    ) -> Result<InstallReport, RegistryError> {
        self.put(tenant, manifest, component, false, None)
    }

    /// Installs a new version of an installed plugin. Mutations already running keep the
    /// version they started with.
    pub fn replace(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
    ) -> Result<InstallReport, RegistryError> {
        self.put(tenant, manifest, component, true, None)
    }

    /// Installs `component` as the next version of plugin `manifest.id`, whether or not an
    /// earlier version is installed, recording who uploaded it: what an upload endpoint
    /// calls.
    pub fn upload(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
        uploaded_by: Option<String>,
    ) -> Result<InstallReport, RegistryError> {
        let replace = self.is_installed(tenant, &manifest.id)?;
        self.put(tenant, manifest, component, replace, uploaded_by)
    }

    fn is_installed(&self, tenant: &Tenant, id: &str) -> Result<bool, RegistryError> {
        let active = self.store.active(tenant)?;
        Ok(active.iter().any(|v| v.id == id))
    }

    fn put(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
        replace: bool,
        uploaded_by: Option<String>,
    ) -> Result<InstallReport, RegistryError> {
        let id = manifest.id.clone();
        match (self.is_installed(tenant, &id)?, replace) {
            (true, false) => return Err(RegistryError::AlreadyInstalled(id)),
            (false, true) => return Err(RegistryError::NotInstalled(id)),
            _ => {}
        }
        self.store_version(tenant, manifest, component, uploaded_by, Placement::Active)
    }

    /// Loads and stores a new version of `manifest.id`, as the active or the shadow one.
    fn store_version(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
        uploaded_by: Option<String>,
        placement: Placement,
    ) -> Result<InstallReport, RegistryError> {
        let id = manifest.id.clone();
        // Everything that can refuse the plugin runs before the store is written: a
        // version in the store is one that every host can load.
        let loaded = self.load(&manifest, component)?;
        let add = match placement {
            Placement::Active => PluginStore::add_version,
            Placement::Shadow => PluginStore::add_shadow,
        };
        let stored = add(
            &*self.store,
            tenant,
            PluginUpload {
                id: id.clone(),
                manifest: serde_json::to_value(&manifest).map_err(|e| {
                    RegistryError::InvalidManifest {
                        id: id.clone(),
                        reason: e.to_string(),
                    }
                })?,
                component: component.into(),
                uploaded_by,
                // The wall clock, not the host's order clock: when this deployment
                // received the upload is a fact about the deployment, not about an order.
                uploaded_at: std::time::SystemTime::now(),
            },
        )?;
        let report = InstallReport {
            id,
            version: stored.version,
            content_hash: loaded.compiled.content_hash().to_owned(),
            size_bytes: loaded.compiled.size_bytes(),
            source: loaded.compiled.source(),
            load_time: loaded.compiled.load_time(),
            init_fuel: loaded.compiled.init_fuel(),
        };
        // The snapshot is rebuilt on next use; the version just compiled is kept for it.
        self.refresh(tenant, Some(Arc::new(loaded.at_version(stored.version))))?;
        Ok(report)
    }

    /// Makes version `version` of plugin `id` the one that runs again (a rollback): the
    /// stored component is loaded as it was uploaded.
    pub fn rollback(
        &self,
        tenant: &Tenant,
        id: &str,
        version: u32,
    ) -> Result<PluginVersion, RegistryError> {
        let stored = self.store.version(tenant, id, version)?.ok_or_else(|| {
            RegistryError::NoSuchVersion {
                id: id.to_owned(),
                version,
            }
        })?;
        // Checked before it becomes the active version, as an upload is.
        let loaded = self.load_stored(&stored)?;
        let activated = self.store.activate(tenant, id, version)?;
        self.refresh(tenant, Some(Arc::new(loaded)))?;
        Ok(activated)
    }

    /// Uninstalls a plugin: no version of it runs any more; its versions are kept.
    pub fn remove(&self, tenant: &Tenant, id: &str) -> Result<(), RegistryError> {
        if !self.is_installed(tenant, id)? {
            return Err(RegistryError::NotInstalled(id.to_owned()));
        }
        self.store.remove(tenant, id)?;
        self.refresh(tenant, None)?;
        Ok(())
    }

    /// Every stored version of plugin `id`, oldest first.
    pub fn versions(&self, tenant: &Tenant, id: &str) -> Result<Vec<PluginVersion>, RegistryError> {
        Ok(self.store.versions(tenant, id)?)
    }

    /// The tenant's plugins as the store has them now: the cached snapshot while the
    /// tenant's generation in the store has not moved, else a new one.
    pub fn tenant(&self, tenant: &Tenant) -> Result<Arc<TenantPlugins>, RegistryError> {
        let generation = self.store.generation(tenant)?;
        let cached = self.cached(tenant);
        if let Some(cached) = &cached
            && cached.generation == generation
        {
            return Ok(Arc::clone(cached));
        }
        self.refresh(tenant, None)
    }

    /// The tenant's plugins, in the order they run.
    pub fn list(&self, tenant: &Tenant) -> Result<Vec<Arc<InstalledPlugin>>, RegistryError> {
        Ok(self.tenant(tenant)?.plugins.clone())
    }

    /// How many tenants have their plugins loaded in this registry, and how many plugins
    /// that is in all: a registry loads a tenant's plugins when the tenant first needs them,
    /// so after a restart these count only the tenants served since (what tests and
    /// operators check a restart by).
    pub fn loaded(&self) -> LoadedCounts {
        let tenants = self.tenants.read().unwrap_or_else(|p| p.into_inner());
        LoadedCounts {
            tenants: tenants.len(),
            plugins: tenants.values().map(|t| t.plugins.len()).sum(),
        }
    }

    fn cached(&self, tenant: &Tenant) -> Option<Arc<TenantPlugins>> {
        // The map only ever gets whole snapshots inserted: consistent after any panic.
        let tenants = self.tenants.read().unwrap_or_else(|p| p.into_inner());
        tenants.get(tenant).cloned()
    }

    /// Rebuilds the tenant's snapshot from the store, reusing the plugins of the previous
    /// snapshot (and `fresh`, just loaded) whose version did not change.
    fn refresh(
        &self,
        tenant: &Tenant,
        fresh: Option<Arc<InstalledPlugin>>,
    ) -> Result<Arc<TenantPlugins>, RegistryError> {
        // The generation is read before the versions: if a write lands in between, the
        // snapshot is labelled older than what it holds and is simply rebuilt next time.
        let generation = self.store.generation(tenant)?;
        let previous = self.cached(tenant).unwrap_or_default();
        let fresh = fresh.as_ref();
        let mut plugins = self.load_all(&self.store.active(tenant)?, fresh, &previous)?;
        plugins.sort_by(|a, b| {
            (a.manifest.priority, &a.manifest.id).cmp(&(b.manifest.priority, &b.manifest.id))
        });
        let shadows = self.load_all(&self.store.shadows(tenant)?, fresh, &previous)?;
        let snapshot = Arc::new(TenantPlugins {
            generation,
            plugins,
            shadows,
        });
        let mut tenants = self.tenants.write().unwrap_or_else(|p| p.into_inner());
        tenants.insert(tenant.clone(), Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// The stored versions loaded, each taken from `fresh` or the previous snapshot when
    /// its version did not change.
    fn load_all(
        &self,
        stored: &[PluginVersion],
        fresh: Option<&Arc<InstalledPlugin>>,
        previous: &TenantPlugins,
    ) -> Result<Vec<Arc<InstalledPlugin>>, RegistryError> {
        stored
            .iter()
            .map(|stored| {
                let known = fresh
                    .filter(|p| {
                        p.manifest.id == stored.id
                            && p.version == stored.version
                            && p.compiled.content_hash() == stored.content_hash
                    })
                    .or_else(|| previous.find(&stored.id, stored.version, &stored.content_hash));
                Ok(match known {
                    Some(plugin) => Arc::clone(plugin),
                    None => Arc::new(self.load_stored(stored)?),
                })
            })
            .collect()
    }

    /// Loads a stored version: its manifest parsed and checked, its component compiled (or
    /// taken from the artifact cache) and initialized.
    fn load_stored(&self, stored: &PluginVersion) -> Result<InstalledPlugin, RegistryError> {
        let manifest: PluginManifest =
            serde_json::from_value(stored.manifest.clone()).map_err(|e| {
                RegistryError::InvalidManifest {
                    id: stored.id.clone(),
                    reason: format!("the stored manifest does not parse: {e}"),
                }
            })?;
        Ok(self
            .load(&manifest, &stored.component)?
            .at_version(stored.version))
    }

    /// Checks a manifest against this host's limits and compiles its component: everything
    /// that can refuse a plugin.
    fn load(&self, manifest: &PluginManifest, component: &[u8]) -> Result<Loaded, RegistryError> {
        load(&self.sandbox, manifest, component)
    }
}

/// A plugin loaded outside any store, as the registry would load it (same limits, same
/// checks, same `init`), numbered `version`: what the runner ([`crate::runner`]) runs.
pub(crate) fn load_unstored(
    sandbox: &Sandbox,
    manifest: &PluginManifest,
    component: &[u8],
    version: u32,
) -> Result<InstalledPlugin, RegistryError> {
    Ok(load(sandbox, manifest, component)?.at_version(version))
}

/// Where a new version goes.
enum Placement {
    /// It becomes the active version.
    Active,
    /// It becomes the shadow version.
    Shadow,
}

/// What a [`Registry`] holds loaded: see [`Registry::loaded`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoadedCounts {
    /// Tenants whose plugins are loaded (a tenant with none installed counts once served).
    pub tenants: usize,
    /// Plugins loaded over all those tenants.
    pub plugins: usize,
}

/// Checks a manifest against `sandbox`'s limits and compiles its component: everything
/// that can refuse a plugin.
fn load(
    sandbox: &Sandbox,
    manifest: &PluginManifest,
    component: &[u8],
) -> Result<Loaded, RegistryError> {
    let id = &manifest.id;
    let invalid = |reason: String| RegistryError::InvalidManifest {
        id: id.clone(),
        reason,
    };
    let limits = sandbox
        .config()
        .resolve_limits(&manifest.limits)
        .map_err(|e| invalid(e.to_string()))?;
    let subscriptions = manifest
        .subscribe_to
        .iter()
        .map(|s| {
            subscription(s).ok_or_else(|| {
                invalid(format!(
                    "cannot subscribe to `{s}`: not an order part nor a JSON Pointer"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let config_json = manifest.config.to_string();
    let compiled = sandbox
        .prepare(manifest.kind, component, &config_json, &limits)
        .map_err(|reason| RegistryError::Compile {
            id: id.clone(),
            reason,
        })?;
    Ok(Loaded {
        config_json,
        manifest: manifest.clone(),
        limits,
        subscriptions,
        compiled,
    })
}

/// A plugin loaded but not yet numbered: the store gives the version.
struct Loaded {
    config_json: String,
    manifest: PluginManifest,
    limits: Limits,
    subscriptions: Vec<String>,
    compiled: CompiledPlugin,
}

impl Loaded {
    fn at_version(self, version: u32) -> InstalledPlugin {
        InstalledPlugin {
            config_json: self.config_json,
            manifest: self.manifest,
            version,
            limits: self.limits,
            subscriptions: self.subscriptions,
            compiled: self.compiled,
        }
    }
}

/// `cart` → `/cart` for an order part ([`crate::model::shape::is_part`]); a JSON Pointer
/// stays as it is; anything else is refused.
fn subscription(s: &str) -> Option<String> {
    if s.starts_with('/') {
        jsonptr::Pointer::parse(s).ok().map(|p| p.to_string())
    } else {
        crate::model::shape::is_part(s).then(|| jsonptr::PointerBuf::from_tokens([s]).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_accept_order_parts_and_pointers_only() {
        assert_eq!(subscription("cart").as_deref(), Some("/cart"));
        assert_eq!(
            subscription("/customer/billing").as_deref(),
            Some("/customer/billing")
        );
        assert_eq!(subscription("carts"), None);
        assert_eq!(subscription("/a~2"), None);
    }

    #[test]
    fn manifests_default_and_reject_unknown_fields() {
        let m: PluginManifest = serde_json::from_str(r#"{"id":"x","kind":"validation"}"#).unwrap();
        assert_eq!(m, PluginManifest::new("x", PluginKind::Validation));
        let err = serde_json::from_str::<PluginManifest>(
            r#"{"id":"x","kind":"validation","onfault":"allow"}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("unknown field `onfault`"),
            "{err}"
        );
    }
}
