//! The mutation pipeline: one way through an order mutation, top to bottom in
//! [`Pipeline::run`]:
//!
//! 1. **queue** behind other mutations of the same order on this host ([`locks`]);
//! 2. **load** the order and check the version the caller expects, if any;
//! 3. **apply** the mutation to a candidate order (state rules, bounds, hook bindings);
//! 4. **validate** it: built-in checks, then every concerned validation plugin
//!    ([`validate`](self));
//! 5. **fire** the order's notifications on the change ([`fire`](self));
//! 6. **commit** the candidate and its events together, if nobody committed in between;
//! 7. **cascade**: the hooks the change concerns run, and their patches go through steps
//!    3 to 6 again as changes of their own ([`cascade`](self)), within the mutation's
//!    [`Budgets`].
//!
//! A refused mutation changes nothing. An accepted one that lost a race to another writer is
//! recomputed on the new version (plugins run again on what will really be stored), up to
//! [`MAX_ATTEMPTS`] times with jittered backoff, unless the caller named the version it
//! expects: then the race is a [`MutationError::VersionMismatch`], never a retry.
//!
//! Everything one mutation carries (scope, trace, the tenant's plugins, the budget account)
//! is one [`MutationCtx`](context) value passed down the stages. No stage serializes the
//! whole order: notifications serialize the values at their scopes, events share the
//! committed order, patches serialize the members they touch.

mod budget;
mod cascade;
mod context;
mod fire;
mod locks;
mod trace;
mod validate;

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use crate::clock::{Clock, IdGenerator, rfc3339};
use crate::model::{self, Hook, Order, OrderLimits};
use crate::mutation::{self, Applied, Mutation};
use crate::notify::SchemaCache;
use crate::observe::Observer;
use crate::registry::{Registry, RegistryError, Tenant, TenantPlugins};
use crate::sandbox::{PluginKind, Sandbox};
use crate::store::{OrderKey, OrderWrite, Storage, StoreError, StoredOrder};
use crate::violation::Violation;

pub use budget::{Budget, Budgets};
pub(crate) use cascade::apply_hook_patch;
use context::MutationCtx;
use fire::Moment;
use locks::OrderLocks;
pub use trace::{FiredNotification, PluginTrace, Trace, TraceError, Verdict};
pub(crate) use validate::{describe, plugin_context, plugin_context_of, validation_verdict};

/// How many times a mutation is recomputed after losing a race before giving up.
pub const MAX_ATTEMPTS: u32 = 16;

/// Who is asking: the spec's `x-merchant`, `x-channel` and `x-adapterid` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Merchant and channel.
    pub tenant: Tenant,
    /// The adapter making the change, if any: its own hooks do not run on the change.
    pub adapter_id: Option<String>,
    /// The id of the request that asked for the change (a server's `x-request-id`), copied
    /// into the trace so that logs and traces of one request can be matched.
    pub request_id: Option<Arc<str>>,
}

impl Scope {
    /// A scope with no acting adapter.
    pub fn new(merchant: impl Into<String>, channel: impl Into<String>) -> Self {
        Self {
            tenant: Tenant::new(merchant, channel),
            adapter_id: None,
            request_id: None,
        }
    }

    /// The same scope, for the request with this id (it appears in the trace).
    pub fn with_request_id(mut self, request_id: impl Into<Arc<str>>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// The same tenant, acting as adapter `adapter_id` (the `x-adapterid` header).
    pub fn as_adapter(mut self, adapter_id: impl Into<String>) -> Self {
        self.adapter_id = Some(adapter_id.into());
        self
    }

    fn key(&self, order_id: &str) -> OrderKey {
        OrderKey {
            merchant: self.tenant.merchant.clone(),
            channel: self.tenant.channel.clone(),
            id: order_id.to_owned(),
        }
    }
}

/// A committed mutation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Committed {
    /// The order as stored after the mutation and every hook patch it caused.
    pub order: Arc<Order>,
    /// Its version.
    pub version: u64,
    /// What ran.
    pub trace: Trace,
}

/// Why a mutation was not committed.
#[derive(Debug, thiserror::Error)]
pub enum MutationError {
    /// Built-in checks or validation plugins refused it; nothing changed.
    #[error("mutation rejected with {} violation(s)", violations.len())]
    Rejected {
        /// Every violation, built-in checks first, then plugins in the order they ran.
        violations: Vec<Violation>,
        /// What ran.
        trace: Trace,
    },
    /// No such order for this tenant.
    #[error("order `{0}` not found")]
    NotFound(String),
    /// The caller expected another version of the order (HTTP `If-Match`); nothing ran.
    #[error("order is at version {current}, not the expected version {expected}")]
    VersionMismatch {
        /// The version the caller named.
        expected: u64,
        /// The version stored now.
        current: u64,
    },
    /// The order kept changing under the mutation for [`MAX_ATTEMPTS`] attempts.
    #[error("order `{0}` is too busy: gave up after {MAX_ATTEMPTS} concurrent modifications")]
    Contended(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// The tenant's plugins could not be loaded from the store.
    #[error("the plugins of this merchant and channel could not be loaded: {0}")]
    Plugins(RegistryError),
}

impl From<RegistryError> for MutationError {
    fn from(err: RegistryError) -> Self {
        match err {
            RegistryError::Store(err) => MutationError::Store(err),
            other => MutationError::Plugins(other),
        }
    }
}

/// Everything a mutation needs, owned in one place. [`crate::Host`] wires one up and
/// delegates its order calls to it.
pub(crate) struct Pipeline {
    sandbox: Arc<Sandbox>,
    registry: Arc<Registry>,
    store: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    budgets: Budgets,
    order_limits: OrderLimits,
    locks: OrderLocks,
    schemas: SchemaCache,
    observer: Arc<Observer>,
}

/// The parts a [`Pipeline`] is made of.
pub(crate) struct Parts {
    pub sandbox: Arc<Sandbox>,
    pub registry: Arc<Registry>,
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub budgets: Budgets,
    pub order_limits: OrderLimits,
    pub observer: Arc<Observer>,
}

impl Pipeline {
    pub(crate) fn new(parts: Parts) -> Self {
        Self {
            sandbox: parts.sandbox,
            registry: parts.registry,
            store: parts.store,
            clock: parts.clock,
            ids: parts.ids,
            budgets: parts.budgets,
            order_limits: parts.order_limits,
            locks: OrderLocks::new(),
            schemas: SchemaCache::default(),
            observer: parts.observer,
        }
    }

    /// A new order id.
    pub(crate) fn new_order_id(&self) -> String {
        self.ids.new_id("o")
    }

    /// Runs one mutation through every stage (see the module docs). `expected_version`:
    /// refuse unless the order is still at this version.
    pub(crate) fn run(
        &self,
        scope: &Scope,
        order_id: &str,
        mutation: &Mutation,
        expected_version: Option<u64>,
    ) -> Result<Committed, MutationError> {
        let key = scope.key(order_id);
        let _queue = self.locks.lock(&key);
        for attempt in 1..=MAX_ATTEMPTS {
            if attempt > 1 {
                backoff(attempt);
            }
            let plugins = self.registry.tenant(&scope.tenant)?;
            let mut cx = MutationCtx::new(self, scope, plugins, attempt);
            let current = self.store.load(&key).map_err(MutationError::Store)?;
            if let Some(expected) = expected_version {
                let current = current.as_ref().map_or(0, |c| c.version);
                if current != expected {
                    return Err(MutationError::VersionMismatch { expected, current });
                }
            }
            // One reading of the clock per attempt: `lastModified`, the new transition and
            // the events' `createdAt` are the same instant, the commit's.
            let now = self.clock.now();
            let applied = self.apply(&cx, &key, current.as_ref(), mutation, now)?;
            let violations = self.validate_mutation(&mut cx, &applied);
            if !violations.is_empty() {
                self.observe(&mut cx);
                return Err(MutationError::Rejected {
                    violations,
                    trace: cx.trace,
                });
            }
            let before = current.as_ref().map(|c| &c.order);
            let fired = self.fire_order_notifications(
                &mut cx,
                before,
                &applied.order,
                Moment { now, depth: 0 },
            );
            let write = match &current {
                None => OrderWrite::Insert(&applied.order),
                Some(stored) => OrderWrite::Replace {
                    order: &applied.order,
                    expected_version: stored.version,
                },
            };
            let (events, fired) = fired.split();
            match self.store.commit(write, events) {
                Ok(version) => {
                    cx.trace.notifications.extend(fired);
                    let committed = StoredOrder {
                        order: Arc::clone(&applied.order),
                        version,
                    };
                    let latest = self.cascade(&mut cx, before, committed, &applied);
                    self.observe(&mut cx);
                    return Ok(Committed {
                        order: latest.order,
                        version: latest.version,
                        trace: cx.trace,
                    });
                }
                Err(StoreError::Conflict { found, .. }) if expected_version.is_some() => {
                    let expected = expected_version.unwrap_or_default();
                    return Err(MutationError::VersionMismatch {
                        expected,
                        current: found,
                    });
                }
                Err(StoreError::Conflict { .. } | StoreError::AlreadyExists) => continue,
                Err(err) => return Err(MutationError::Store(err)),
            }
        }
        Err(MutationError::Contended(key.id))
    }

    /// Hands what a decided mutation saw to the observer (shadows, kept runs). Not on a
    /// lost race: the mutation is computed again, and observed then.
    fn observe(&self, cx: &mut MutationCtx<'_>) {
        let observations = std::mem::take(&mut cx.observations);
        self.observer.dispatch(&cx.scope.tenant, observations);
    }

    /// The candidate order: the mutation applied to the current one (or a new order), with
    /// the order-level rules (transitions, editing lock, consents) enforced and the hook
    /// bindings in force.
    fn apply(
        &self,
        cx: &MutationCtx<'_>,
        key: &OrderKey,
        current: Option<&StoredOrder>,
        mutation: &Mutation,
        now: SystemTime,
    ) -> Result<Applied, MutationError> {
        let now = rfc3339(now);
        let rejected = |violations| MutationError::Rejected {
            violations,
            trace: Trace::default(),
        };
        let checked;
        let mutation = match mutation {
            Mutation::CreateNotification(notification) => {
                let mut notification = notification.clone();
                self.check_notification(cx.scope, &mut notification)
                    .map_err(rejected)?;
                checked = Mutation::CreateNotification(notification);
                &checked
            }
            other => other,
        };
        let mut applied = match (current, mutation) {
            (None, Mutation::CreateOrder(new)) => {
                mutation::create(&key.merchant, &key.channel, &key.id, &now, new.clone())
            }
            (None, _) => return Err(MutationError::NotFound(key.id.clone())),
            (Some(stored), _) => mutation
                .apply(&stored.order, &now, &mut |prefix| self.ids.new_id(prefix))
                .map_err(rejected)?,
        };
        bind_hooks(&mut applied.order, &cx.plugins);
        // Before anything recursive (plugins' view, notifications, the store) walks it.
        model::check_order(&applied.order, &self.order_limits).map_err(|bound| {
            rejected(vec![Violation::builtin(
                "",
                bound.code(),
                format!("the order would be {bound}"),
            )])
        })?;
        Ok(applied)
    }

    /// The order as stored, with the hook bindings in force now.
    pub(crate) fn load(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<Option<StoredOrder>, MutationError> {
        let key = OrderKey {
            merchant: tenant.merchant.clone(),
            channel: tenant.channel.clone(),
            id: id.to_owned(),
        };
        let Some(mut stored) = self.store.load(&key).map_err(MutationError::Store)? else {
            return Ok(None);
        };
        let plugins = self.registry.tenant(tenant)?;
        bind_hooks(&mut stored.order, &plugins);
        Ok(Some(stored))
    }
}

/// Sets the order's `hooks` to the bindings in force: one per hook plugin installed for the
/// tenant, minus those deleted from this order (`DELETE …/hooks/{id}`). Hooks are bound by
/// the tenant, so a hook installed after the order was created runs on it too. Copies the
/// order only when the bindings changed.
fn bind_hooks(order: &mut Arc<Order>, plugins: &TenantPlugins) {
    let bindings: Vec<Hook> = plugins
        .of_kind(PluginKind::Hook)
        .filter(|p| !order.detached_hooks.contains(&p.manifest.id))
        .map(|p| Hook {
            id: Some(p.manifest.id.clone()),
            adapter_id: p.manifest.adapter_id.clone(),
            subscribe_to: (!p.manifest.subscribe_to.is_empty())
                .then(|| p.manifest.subscribe_to.join(",")),
            target: None,
            invoke: Some(format!("plugin:{}", p.manifest.id)),
        })
        .collect();
    if order.hooks != bindings {
        Arc::make_mut(order).hooks = bindings;
    }
}

/// Sleeps a random time up to 50 µs × 2^(attempt-2), capped at 3.2 ms: writers that keep
/// colliding spread out instead of colliding again.
fn backoff(attempt: u32) {
    let ceiling = 50u64 << attempt.saturating_sub(2).min(6);
    std::thread::sleep(std::time::Duration::from_micros(fastrand::u64(0..=ceiling)));
}
