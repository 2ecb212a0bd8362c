//! [`Host`]: the embeddable engine, tying the sandbox, the plugin registry, the order
//! store and the pipeline together.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::clock::{Clock, IdGenerator, RandomIds, SystemClock};
use crate::events::EventLog;
use crate::notify::SchemaCache;
use crate::pipeline::DEFAULT_MAX_CASCADE_DEPTH;
use crate::registry::{Registry, Tenant};
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::store::{MemoryStore, OrderKey, Storage, StoreError, StoredOrder};

/// The ordergate host: install plugins, then send order mutations through them.
///
/// Cheap to share: wrap it in an `Arc` and call it from as many threads as you like.
pub struct Host {
    pub(crate) sandbox: Arc<Sandbox>,
    pub(crate) registry: Registry,
    pub(crate) store: Arc<dyn Storage>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) order_locks: Box<[std::sync::Mutex<()>]>,
    pub(crate) schemas: SchemaCache,
    pub(crate) adapter_configs: RwLock<HashMap<(String, String), serde_json::Value>>,
    pub(crate) max_cascade_depth: u32,
    pub(crate) json_memo: crate::pipeline::JsonMemo,
}

/// Builds a [`Host`]. Defaults: [`SandboxConfig::default`], an in-memory store, the
/// system clock, random ids, a cascade bound of [`DEFAULT_MAX_CASCADE_DEPTH`].
pub struct HostBuilder {
    sandbox: SandboxConfig,
    store: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    max_cascade_depth: u32,
}

impl HostBuilder {
    /// Sandbox settings (limits, pool size, artifact cache directory).
    pub fn sandbox(mut self, config: SandboxConfig) -> Self {
        self.sandbox = config;
        self
    }
    /// Where orders and their notification events are kept (one store, so that an
    /// order change and the events it caused commit together).
    pub fn store(mut self, store: Arc<dyn Storage>) -> Self {
        self.store = store;
        self
    }
    /// How deep hook changes may cascade; deeper changes run no hooks and the trace says
    /// so. Default [`DEFAULT_MAX_CASCADE_DEPTH`].
    pub fn max_cascade_depth(mut self, depth: u32) -> Self {
        self.max_cascade_depth = depth;
        self
    }
    /// Where time comes from.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// Where new ids come from.
    pub fn ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = ids;
        self
    }
    /// Creates the engine and its deadline thread.
    pub fn build(self) -> wasmtime::Result<Host> {
        let sandbox = Arc::new(Sandbox::new(self.sandbox)?);
        Ok(Host {
            registry: Registry::new(sandbox.clone()),
            sandbox,
            store: self.store,
            clock: self.clock,
            ids: self.ids,
            order_locks: (0..crate::pipeline::ORDER_LOCK_STRIPES)
                .map(|_| std::sync::Mutex::new(()))
                .collect(),
            schemas: SchemaCache::default(),
            adapter_configs: RwLock::new(HashMap::new()),
            max_cascade_depth: self.max_cascade_depth,
            json_memo: Default::default(),
        })
    }
}

impl Host {
    /// A builder with the defaults.
    pub fn builder() -> HostBuilder {
        HostBuilder {
            sandbox: SandboxConfig::default(),
            store: Arc::new(MemoryStore::new()),
            clock: Arc::new(SystemClock),
            ids: Arc::new(RandomIds),
            max_cascade_depth: DEFAULT_MAX_CASCADE_DEPTH,
        }
    }

    /// The installed plugins.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The WebAssembly runtime.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The notification events (list, get, record an attempt, retry).
    pub fn events(&self) -> &dyn EventLog {
        &*self.store
    }

    /// Sets a merchant's configuration of an adapter: what `{configuration.adapter.…}`
    /// placeholders in notification `invoke` templates resolve against.
    pub fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: serde_json::Value,
    ) {
        self.adapter_configs
            .write()
            .expect("adapter configuration lock")
            .insert((merchant.to_owned(), adapter_id.to_owned()), configuration);
    }

    /// A stored order and its version.
    pub fn order(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredOrder>, StoreError> {
        self.store.load(&OrderKey {
            merchant: tenant.merchant.clone(),
            channel: tenant.channel.clone(),
            id: id.to_owned(),
        })
    }
}
