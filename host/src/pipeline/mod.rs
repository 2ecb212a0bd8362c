//! The mutation pipeline: candidate order → built-in checks → validation plugins →
//! commit (with the notification events it fired) → hooks, in a bounded cascade.
//!
//! A refused mutation changes nothing. An accepted one is committed as a new version only
//! if nobody else committed in between; otherwise it is recomputed on the new version
//! (plugins run again on what will really be stored), up to [`MAX_ATTEMPTS`] times with
//! jittered exponential backoff.
//!
//! Within one host, mutations of the same order also take a striped lock, so they queue
//! instead of racing and wasting plugin runs; the version check is what keeps several
//! hosts sharing one store correct.
//!
//! Stages, one file each: [`validate`](self) (checks and validation plugins),
//! `cascade` (hooks and their patches), `fire` (notification events).

mod cascade;
mod fire;
mod validate;

use std::sync::Arc;

use serde::Serialize;

use crate::clock::rfc3339;
use crate::host::Host;
use crate::model::{NewOrder, Order};
use crate::mutation::{self, Applied, Mutation};
use crate::registry::Tenant;
use crate::sandbox::PluginKind;
use crate::store::{OrderKey, OrderWrite, StoreError, StoredOrder};
use crate::trace::Trace;
use crate::violation::Violation;

pub use cascade::DEFAULT_MAX_CASCADE_DEPTH;
pub(crate) use fire::JsonMemo;
use fire::{Jsons, Moment};

/// How many times a mutation is recomputed after losing a race before giving up.
pub const MAX_ATTEMPTS: u32 = 16;

/// Stripes of the per-order lock: orders hashing to one stripe queue behind each other.
pub(crate) const ORDER_LOCK_STRIPES: usize = 256;

/// Who is asking: the spec's `x-merchant`, `x-channel` and `x-adapterid` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Merchant and channel.
    pub tenant: Tenant,
    /// The adapter making the change, if any: its own hooks do not run on the change.
    pub adapter_id: Option<String>,
}

impl Scope {
    /// A scope with no acting adapter.
    pub fn new(merchant: impl Into<String>, channel: impl Into<String>) -> Self {
        Self {
            tenant: Tenant::new(merchant, channel),
            adapter_id: None,
        }
    }

    /// The same tenant, acting as adapter `adapter_id` (the `x-adapterid` header).
    pub fn as_adapter(mut self, adapter_id: impl Into<String>) -> Self {
        self.adapter_id = Some(adapter_id.into());
        self
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
    /// The order kept changing under the mutation for [`MAX_ATTEMPTS`] attempts.
    #[error("order `{0}` is too busy: gave up after {MAX_ATTEMPTS} concurrent modifications")]
    Contended(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl Host {
    /// Creates an order with a new id.
    pub fn create_order(&self, scope: &Scope, new: NewOrder) -> Result<Committed, MutationError> {
        let id = self.ids.new_id("o");
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
        let key = OrderKey {
            merchant: scope.tenant.merchant.clone(),
            channel: scope.tenant.channel.clone(),
            id: order_id.to_owned(),
        };
        let _queue = self.order_lock(&key);
        for attempt in 1..=MAX_ATTEMPTS {
            if attempt > 1 {
                backoff(attempt);
            }
            let mut trace = Trace {
                attempts: attempt,
                ..Trace::default()
            };
            let current = self.store.load(&key).map_err(MutationError::Store)?;
            // One reading of the clock per attempt: `lastModified`, the new transition and
            // the events' `createdAt` are the same instant, the commit's.
            let now = self.clock.now();
            let applied = self.apply(scope, &key, current.as_ref(), &mutation, now)?;
            let violations = self.validate(scope, &applied, 0, &mut trace);
            if !violations.is_empty() {
                return Err(MutationError::Rejected { violations, trace });
            }
            let before = current.as_ref().map(|c| &c.order);
            let mut jsons = Jsons::new(&self.json_memo);
            let (events, fired) = self
                .fire_order_notifications(
                    before,
                    &applied.order,
                    Moment { now, depth: 0 },
                    &mut jsons,
                    &mut trace,
                )
                .split();
            let write = match &current {
                None => OrderWrite::Insert(&applied.order),
                Some(stored) => OrderWrite::Replace {
                    order: &applied.order,
                    expected_version: stored.version,
                },
            };
            match self.store.commit(write, events) {
                Ok(version) => {
                    trace.notifications.extend(fired);
                    let committed = StoredOrder {
                        order: Arc::clone(&applied.order),
                        version,
                    };
                    let latest =
                        self.cascade(scope, before, committed, &applied, &mut jsons, &mut trace);
                    jsons.keep(&latest.order);
                    return Ok(Committed {
                        order: latest.order,
                        version: latest.version,
                        trace,
                    });
                }
                Err(StoreError::Conflict { .. } | StoreError::AlreadyExists) => continue,
                Err(err) => return Err(MutationError::Store(err)),
            }
        }
        Err(MutationError::Contended(key.id))
    }

    /// The candidate order: the mutation applied to the current one (or a new order), with
    /// the order-level rules (transitions, editing lock, consents) enforced.
    fn apply(
        &self,
        scope: &Scope,
        key: &OrderKey,
        current: Option<&StoredOrder>,
        mutation: &Mutation,
        now: std::time::SystemTime,
    ) -> Result<Applied, MutationError> {
        let now = rfc3339(now);
        let rejected = |violations| MutationError::Rejected {
            violations,
            trace: Trace::default(),
        };
        if let Mutation::CreateNotification(notification) = mutation {
            self.check_notification(notification).map_err(rejected)?;
        }
        match (current, mutation) {
            (None, Mutation::CreateOrder(new)) => {
                let mut applied =
                    mutation::create(&key.merchant, &key.channel, &key.id, &now, new.clone());
                // Just created, so not shared yet: `make_mut` copies nothing.
                Arc::make_mut(&mut applied.order).hooks = self.hook_bindings(&scope.tenant);
                Ok(applied)
            }
            (None, _) => Err(MutationError::NotFound(key.id.clone())),
            (Some(stored), _) => mutation
                .apply(&stored.order, &now, &mut |prefix| self.ids.new_id(prefix))
                .map_err(rejected),
        }
    }

    /// The order's `hooks` for a new order: one binding per installed hook plugin. A hook
    /// plugin runs on an order only while its binding is there (`DELETE …/hooks/{id}`
    /// removes it).
    fn hook_bindings(&self, tenant: &Tenant) -> Vec<crate::model::Hook> {
        self.registry
            .list(tenant)
            .iter()
            .filter(|p| p.manifest.kind == PluginKind::Hook)
            .map(|p| crate::model::Hook {
                id: Some(p.manifest.id.clone()),
                adapter_id: p.manifest.adapter_id.clone(),
                subscribe_to: (!p.manifest.subscribe_to.is_empty())
                    .then(|| p.manifest.subscribe_to.join(",")),
                target: None,
                invoke: Some(format!("plugin:{}", p.manifest.id)),
            })
            .collect()
    }

    fn order_lock(&self, key: &OrderKey) -> std::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
        let stripe = &self.order_locks[hash as usize % self.order_locks.len()];
        // A panic while holding the lock poisons it; the lock guards no data, so go on.
        stripe
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Sleeps a random time up to 50 µs × 2^(attempt-2), capped at 3.2 ms: writers that keep
/// colliding spread out instead of colliding again.
fn backoff(attempt: u32) {
    let ceiling = 50u64 << attempt.saturating_sub(2).min(6);
    std::thread::sleep(std::time::Duration::from_micros(fastrand::u64(0..=ceiling)));
}
