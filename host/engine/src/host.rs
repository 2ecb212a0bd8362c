//! [`Host`]: the embeddable engine. A thin facade: it wires the sandbox, the plugin
//! registry, the store and the mutation pipeline together and delegates to them.

use std::sync::Arc;

use crate::clock::{Clock, IdGenerator, RandomIds, SystemClock};
use crate::events::{EventLog, Page};
use crate::model::{NewOrder, OrderLimits};
use crate::mutation::Mutation;
use crate::observe::{KeptRun, Observer, Retention, ShadowReport};
use crate::pipeline::{Budgets, Committed, MutationError, Parts, Pipeline, Scope, Trace};
use crate::registry::{Registry, RegistryError, Tenant};
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::store::{MemoryStore, OrderKey, PluginStore, Storage, StoreError, StoredOrder};

/// The ordergate host: install plugins, then send order mutations through them.
///
/// Cheap to share: wrap it in an `Arc` and call it from as many threads as you like.
pub struct Host {
    sandbox: Arc<Sandbox>,
    registry: Arc<Registry>,
    store: Arc<dyn Storage>,
    observer: Arc<Observer>,
    pipeline: Pipeline,
}

/// Builds a [`Host`]. Defaults: [`SandboxConfig::default`], an in-memory store, the
/// system clock, random ids, [`Budgets::default`].
pub struct HostBuilder {
    sandbox: SandboxConfig,
    store: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    budgets: Budgets,
    order_limits: OrderLimits,
}

impl HostBuilder {
    /// Sandbox settings (limits and their ceilings, pool size, artifact cache directory).
    pub fn sandbox(mut self, config: SandboxConfig) -> Self {
        self.sandbox = config;
        self
    }
    /// Where orders, their notification events, installed plugins and adapter
    /// configurations are kept (one store, so that an order change and the events it
    /// caused commit together).
    pub fn store(mut self, store: Arc<dyn Storage>) -> Self {
        self.store = store;
        self
    }
    /// What one mutation may make the host do on plugins' behalf. Default
    /// [`Budgets::default`].
    pub fn budgets(mut self, budgets: Budgets) -> Self {
        self.budgets = budgets;
        self
    }
    /// The bounds every order stays within (serialized size, nesting depth), enforced on
    /// every mutation and after every hook patch. Default [`OrderLimits::default`].
    pub fn order_limits(mut self, limits: OrderLimits) -> Self {
        self.order_limits = limits;
        self
    }
    /// How deep hook changes may cascade; deeper changes run no hooks and the trace says
    /// so. Shorthand for [`Budgets::max_cascade_depth`]; default 8.
    pub fn max_cascade_depth(mut self, depth: u32) -> Self {
        self.budgets.max_cascade_depth = depth;
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
    /// Creates the engine, its deadline thread and its observer thread (shadow versions,
    /// kept runs).
    pub fn build(self) -> wasmtime::Result<Host> {
        let sandbox = Arc::new(Sandbox::new(self.sandbox)?);
        let observer = Arc::new(Observer::start(Arc::clone(&sandbox))?);
        let registry = Arc::new(Registry::new(
            Arc::clone(&sandbox),
            Arc::clone(&self.store) as Arc<dyn PluginStore>,
        ));
        let pipeline = Pipeline::new(Parts {
            sandbox: Arc::clone(&sandbox),
            registry: Arc::clone(&registry),
            store: Arc::clone(&self.store),
            clock: self.clock,
            ids: self.ids,
            budgets: self.budgets,
            order_limits: self.order_limits,
            observer: Arc::clone(&observer),
        });
        Ok(Host {
            sandbox,
            registry,
            store: self.store,
            observer,
            pipeline,
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
            budgets: Budgets::default(),
            order_limits: OrderLimits::default(),
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

    /// How plugin `id`'s shadow version compares with its active version on this host's
    /// live changes: runs, agreements, differences with each differing case (the latest
    /// [`crate::observe::MAX_CASES`]). `None` when the plugin has no shadow version.
    /// Shadows run on a background thread: a report may trail the latest mutations by the
    /// queue's length ([`Host::wait_for_observer`] waits it out).
    pub fn shadow_report(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Option<ShadowReport>, RegistryError> {
        Ok(self
            .registry
            .shadow_version(tenant, id)?
            .map(|shadow| self.observer.shadow_report(tenant, id, shadow.version)))
    }

    /// Waits until the observer has handled every mutation decided before the call (its
    /// shadow runs and kept runs): for tests and tools, never needed on the order path.
    pub fn wait_for_observer(&self) {
        self.observer.flush();
    }

    /// Keeps the inputs of `tenant`'s plugin runs from now on, within `retention`'s bounds,
    /// in this host's memory, for replay (`None` turns it off and forgets what was kept).
    /// Off by default: the kept orders hold personal data.
    pub fn set_retention(&self, tenant: &Tenant, retention: Option<Retention>) {
        self.observer.set_retention(tenant, retention);
    }

    /// What `tenant` keeps, if anything.
    pub fn retention(&self, tenant: &Tenant) -> Option<Retention> {
        self.observer.retention(tenant)
    }

    /// The kept runs of `tenant` (of plugin `plugin` when given) kept at or after `since`,
    /// oldest first, at most `limit`.
    pub fn kept_runs(
        &self,
        tenant: &Tenant,
        plugin: Option<&str>,
        since: Option<std::time::SystemTime>,
        limit: usize,
    ) -> Vec<KeptRun> {
        self.observer.kept_runs(tenant, plugin, since, limit)
    }

    /// The notification events (list, get, claim for delivery, record attempts, retry).
    pub fn events(&self) -> &dyn EventLog {
        &*self.store
    }

    /// Sets a merchant's configuration of an adapter: what `{configuration.adapter.…}`
    /// placeholders in the `invoke` templates of that adapter's notifications resolve
    /// against (and no other adapter's).
    pub fn set_adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
        configuration: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.store
            .set_adapter_configuration(merchant, adapter_id, configuration)
    }

    /// The merchant's configuration of an adapter, if set.
    pub fn adapter_configuration(
        &self,
        merchant: &str,
        adapter_id: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.store.adapter_configuration(merchant, adapter_id)
    }

    /// Creates an order with a new id.
    pub fn create_order(&self, scope: &Scope, new: NewOrder) -> Result<Committed, MutationError> {
        let id = self.pipeline.new_order_id();
        self.mutate(scope, &id, Mutation::CreateOrder(new))
    }

    /// Applies one of the spec's operations to an order (a `CreateOrder` creates it with
    /// this id), through the built-in checks and the tenant's validation plugins, commits
    /// it with the notification events it fired, then runs the hooks it concerns.
    pub fn mutate(
        &self,
        scope: &Scope,
        order_id: &str,
        mutation: Mutation,
    ) -> Result<Committed, MutationError> {
        self.pipeline.run(scope, order_id, &mutation, None)
    }

    /// [`Host::mutate`], only if the order is still at `expected_version` (compare and
    /// set, HTTP `If-Match`): otherwise [`MutationError::VersionMismatch`] before any
    /// plugin runs, and never a silent retry on a newer version.
    pub fn mutate_at(
        &self,
        scope: &Scope,
        order_id: &str,
        expected_version: u64,
        mutation: Mutation,
    ) -> Result<Committed, MutationError> {
        self.pipeline
            .run(scope, order_id, &mutation, Some(expected_version))
    }

    /// Runs the built-in checks and every validation plugin on the order as it stands
    /// (`POST …/orders/{id}/validate`), changing nothing: `Ok` with what ran when all pass,
    /// [`MutationError::Rejected`] with every violation otherwise.
    pub fn validate_order(&self, scope: &Scope, order_id: &str) -> Result<Trace, MutationError> {
        self.pipeline.validate_stored(scope, order_id)
    }

    /// The tenant's orders, oldest first, a page at a time (`GET …/orders`).
    pub fn list_orders(
        &self,
        tenant: &Tenant,
        offset: usize,
        limit: usize,
    ) -> Result<Page<StoredOrder>, MutationError> {
        (self.store.list_orders(tenant, offset, limit)).map_err(MutationError::Store)
    }

    /// Deletes an order (`DELETE …/orders/{id}`); its events stay in the log.
    /// [`MutationError::NotFound`] when the tenant has no such order.
    pub fn delete_order(&self, tenant: &Tenant, id: &str) -> Result<(), MutationError> {
        let key = OrderKey {
            merchant: tenant.merchant.clone(),
            channel: tenant.channel.clone(),
            id: id.to_owned(),
        };
        match self.store.delete_order(&key) {
            Ok(()) => Ok(()),
            Err(StoreError::NotFound) => Err(MutationError::NotFound(id.to_owned())),
            Err(err) => Err(MutationError::Store(err)),
        }
    }

    /// A stored order and its version, with the hook bindings in force now (reading them
    /// may load the tenant's plugins, hence the mutation's error type).
    pub fn order(&self, tenant: &Tenant, id: &str) -> Result<Option<StoredOrder>, MutationError> {
        self.pipeline.load(tenant, id)
    }
}
