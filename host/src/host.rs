//! [`Host`]: the embeddable engine, tying the sandbox, the plugin registry, the order
//! store and the pipeline together.

use std::sync::Arc;

use crate::clock::{Clock, IdGenerator, RandomIds, SystemClock};
use crate::registry::{Registry, Tenant};
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::store::{MemoryStore, OrderKey, OrderStore, StoreError, StoredOrder};

/// The ordergate host: install plugins, then send order mutations through them.
///
/// Cheap to share: wrap it in an `Arc` and call it from as many threads as you like.
pub struct Host {
    pub(crate) sandbox: Arc<Sandbox>,
    pub(crate) registry: Registry,
    pub(crate) store: Arc<dyn OrderStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) order_locks: Box<[std::sync::Mutex<()>]>,
}

/// Builds a [`Host`]. Defaults: [`SandboxConfig::default`], an in-memory store, the
/// system clock, random ids.
pub struct HostBuilder {
    sandbox: SandboxConfig,
    store: Arc<dyn OrderStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl HostBuilder {
    /// Sandbox settings (limits, pool size, artifact cache directory).
    pub fn sandbox(mut self, config: SandboxConfig) -> Self {
        self.sandbox = config;
        self
    }
    /// Where orders are kept.
    pub fn store(mut self, store: Arc<dyn OrderStore>) -> Self {
        self.store = store;
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

    /// A stored order and its version.
    pub fn order(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredOrder>, StoreError> {
        self.store.get(&OrderKey {
            merchant: tenant.merchant.clone(),
            channel: tenant.channel.clone(),
            id: id.to_owned(),
        })
    }
}
