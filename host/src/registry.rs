//! Installed plugins, per merchant and channel: install, replace (new version), list,
//! remove, and which plugins a change concerns.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sandbox::{
    ArtifactSource, CompileError, CompiledPlugin, Limits, LimitsOverride, PluginKind, Sandbox,
};

/// A merchant's channel: plugins are installed for one and run only on its orders.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tenant {
    /// The `x-merchant` header.
    pub merchant: String,
    /// The `x-channel` header.
    pub channel: String,
}

impl Tenant {
    /// The tenant of these headers.
    pub fn new(merchant: impl Into<String>, channel: impl Into<String>) -> Self {
        Self {
            merchant: merchant.into(),
            channel: channel.into(),
        }
    }
}

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

/// The top-level order fields a subscription may name without a leading `/`.
const ORDER_PARTS: &[&str] = &[
    "reference",
    "state",
    "culture",
    "currency",
    "country",
    "cart",
    "shippings",
    "payments",
    "customer",
    "consents",
    "validations",
    "hooks",
    "notifications",
    "total",
    "attributes",
];

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
}

/// A plugin ready to run, with its manifest resolved against the host's defaults.
#[derive(Debug)]
pub struct InstalledPlugin {
    /// The manifest as given.
    pub manifest: PluginManifest,
    /// 1 on install, +1 per replace.
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
    /// Time to compile or load, check and pre-instantiate.
    #[serde(with = "crate::sandbox::micros")]
    pub load_time: Duration,
}

type Plugins = Vec<Arc<InstalledPlugin>>;

/// The plugins of every tenant.
pub struct Registry {
    sandbox: Arc<Sandbox>,
    tenants: RwLock<HashMap<Tenant, Plugins>>,
}

impl Registry {
    /// An empty registry compiling with `sandbox`.
    pub fn new(sandbox: Arc<Sandbox>) -> Self {
        Self {
            sandbox,
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
        self.put(tenant, manifest, component, false)
    }

    /// Installs a new version of an installed plugin. Mutations already running keep the
    /// version they started with.
    pub fn replace(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
    ) -> Result<InstallReport, RegistryError> {
        self.put(tenant, manifest, component, true)
    }

    fn put(
        &self,
        tenant: &Tenant,
        manifest: PluginManifest,
        component: &[u8],
        replace: bool,
    ) -> Result<InstallReport, RegistryError> {
        let id = manifest.id.clone();
        let invalid = |reason: String| RegistryError::InvalidManifest {
            id: id.clone(),
            reason,
        };
        let limits = self
            .sandbox
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
        // Compiling is slow: do it before taking the lock.
        let config_json = manifest.config.to_string();
        let compiled = self
            .sandbox
            .prepare(manifest.kind, component, &config_json, &limits)
            .map_err(|reason| RegistryError::Compile {
                id: id.clone(),
                reason,
            })?;

        let mut tenants = self.tenants.write().expect("registry lock");
        let plugins = tenants.entry(tenant.clone()).or_default();
        let existing = plugins.iter().position(|p| p.manifest.id == id);
        let version = match (existing, replace) {
            (Some(_), false) => return Err(RegistryError::AlreadyInstalled(id)),
            (None, true) => return Err(RegistryError::NotInstalled(id)),
            (Some(i), true) => plugins.remove(i).version + 1,
            (None, false) => 1,
        };
        let report = InstallReport {
            id,
            version,
            content_hash: compiled.content_hash().to_owned(),
            size_bytes: compiled.size_bytes(),
            source: compiled.source(),
            load_time: compiled.load_time(),
        };
        plugins.push(Arc::new(InstalledPlugin {
            config_json,
            manifest,
            version,
            limits,
            subscriptions,
            compiled,
        }));
        plugins.sort_by(|a, b| {
            (a.manifest.priority, &a.manifest.id).cmp(&(b.manifest.priority, &b.manifest.id))
        });
        Ok(report)
    }

    /// Uninstalls a plugin.
    pub fn remove(&self, tenant: &Tenant, id: &str) -> Result<(), RegistryError> {
        let mut tenants = self.tenants.write().expect("registry lock");
        let plugins = tenants.get_mut(tenant);
        let index = plugins
            .as_ref()
            .and_then(|p| p.iter().position(|p| p.manifest.id == id))
            .ok_or_else(|| RegistryError::NotInstalled(id.to_owned()))?;
        plugins.expect("found above").remove(index);
        Ok(())
    }

    /// The tenant's plugins, in the order they run.
    pub fn list(&self, tenant: &Tenant) -> Vec<Arc<InstalledPlugin>> {
        let tenants = self.tenants.read().expect("registry lock");
        tenants.get(tenant).cloned().unwrap_or_default()
    }

    /// The tenant's plugins of `kind` that a change touching `touched` concerns, in the
    /// order they run. A snapshot: later installs do not affect it.
    pub fn concerned(
        &self,
        tenant: &Tenant,
        kind: PluginKind,
        touched: &[String],
    ) -> Vec<Arc<InstalledPlugin>> {
        let tenants = self.tenants.read().expect("registry lock");
        tenants
            .get(tenant)
            .into_iter()
            .flatten()
            .filter(|p| p.manifest.kind == kind && p.concerned_by(touched))
            .cloned()
            .collect()
    }
}

/// `cart` → `/cart`; a JSON Pointer stays as it is; anything else is refused.
fn subscription(s: &str) -> Option<String> {
    if s.starts_with('/') {
        jsonptr::Pointer::parse(s).ok().map(|p| p.to_string())
    } else {
        ORDER_PARTS.contains(&s).then(|| format!("/{s}"))
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
