//! The mutation pipeline: candidate order → built-in checks → validation plugins →
//! commit, with optimistic concurrency.
//!
//! A refused mutation changes nothing. An accepted one is committed as a new version only
//! if nobody else committed in between; otherwise it is recomputed on the new version
//! (plugins run again on what will really be stored), up to [`MAX_ATTEMPTS`] times with
//! jittered exponential backoff.
//!
//! Within one host, mutations of the same order also take a striped lock, so they queue
//! instead of racing and wasting plugin runs; the version check is what keeps several
//! hosts sharing one store correct.

use std::sync::Arc;

use serde::Serialize;

use crate::checks;
use crate::clock::rfc3339;
use crate::host::Host;
use crate::model::{NewOrder, Order};
use crate::mutation::{self, Applied, Mutation};
use crate::registry::{InstalledPlugin, OnFault, Tenant};
use crate::sandbox::PluginKind;
use crate::store::{OrderKey, StoreError, StoredOrder};
use crate::trace::{PluginTrace, Trace, Verdict};
use crate::violation::Violation;
use crate::wit;

/// How many times a mutation is recomputed after losing a race before giving up.
pub const MAX_ATTEMPTS: u32 = 16;

/// Stripes of the per-order lock: orders hashing to one stripe queue behind each other.
pub(crate) const ORDER_LOCK_STRIPES: usize = 256;

/// Who is asking: the spec's `x-merchant`, `x-channel` and `x-adapterid` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Merchant and channel.
    pub tenant: Tenant,
    /// The adapter making the change, if any.
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
}

/// A committed mutation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Committed {
    /// The order as stored.
    pub order: Order,
    /// Its new version.
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
    /// this id), through the built-in checks and the tenant's validation plugins.
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
            let current = self.store.get(&key).map_err(MutationError::Store)?;
            let now = rfc3339(self.clock.now());
            let applied = match (&current, &mutation) {
                (None, Mutation::CreateOrder(new)) => {
                    mutation::create(&key.merchant, &key.channel, &key.id, &now, new.clone())
                }
                (None, _) => return Err(MutationError::NotFound(key.id)),
                (Some(stored), _) => mutation
                    .apply(&stored.order, &now, &mut |prefix| self.ids.new_id(prefix))
                    .map_err(|violations| MutationError::Rejected {
                        violations,
                        trace: Trace {
                            attempts: attempt,
                            plugins: Vec::new(),
                        },
                    })?,
            };
            let mut trace = Trace {
                attempts: attempt,
                plugins: Vec::new(),
            };
            let violations = self.validate(scope, &applied, &mut trace);
            if !violations.is_empty() {
                return Err(MutationError::Rejected { violations, trace });
            }
            match self.commit(current.as_ref(), &applied.order) {
                Ok(version) => {
                    return Ok(Committed {
                        order: applied.order,
                        version,
                        trace,
                    });
                }
                Err(StoreError::Conflict { .. } | StoreError::AlreadyExists) => continue,
                Err(err) => return Err(MutationError::Store(err)),
            }
        }
        Err(MutationError::Contended(key.id))
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

    fn commit(&self, current: Option<&StoredOrder>, order: &Order) -> Result<u64, StoreError> {
        match current {
            None => self.store.insert(order).map(|()| 1),
            Some(stored) => self.store.replace(order, stored.version),
        }
    }

    /// Built-in checks, then every concerned validation plugin in priority order. All run,
    /// so the merchant sees every reason at once.
    fn validate(&self, scope: &Scope, applied: &Applied, trace: &mut Trace) -> Vec<Violation> {
        let mut violations = checks::check_order(&applied.order);
        let plugins =
            self.registry
                .concerned(&scope.tenant, PluginKind::Validation, &applied.touched);
        if plugins.is_empty() {
            return violations;
        }
        // One WIT copy of the candidate, shared by every plugin.
        let order = wit::order(&applied.order);
        let change = wit::change(&applied.touched, applied.from_status, applied.to_status);
        for plugin in &plugins {
            let (found, plugin_trace) = self.run_validation(scope, plugin, &order, &change);
            violations.extend(found);
            trace.plugins.push(plugin_trace);
        }
        violations
    }

    fn run_validation(
        &self,
        scope: &Scope,
        plugin: &Arc<InstalledPlugin>,
        order: &wit::Order,
        change: &wit::Change,
    ) -> (Vec<Violation>, PluginTrace) {
        let id = &plugin.manifest.id;
        let ctx = wit::context(
            &scope.tenant.merchant,
            &scope.tenant.channel,
            id,
            plugin.manifest.adapter_id.as_deref(),
            scope.adapter_id.as_deref(),
            &plugin.config_json,
        );
        let run = self
            .sandbox
            .validate(&plugin.compiled, &plugin.limits, &ctx, order, change);
        let checked = match &run.outcome {
            Ok(Ok(())) => Ok(Vec::new()),
            Ok(Err(found)) => found
                .iter()
                .cloned()
                .map(|v| wit::violation_from_wit(id, v))
                .collect(),
            Err(fault) => Err(fault.clone()),
        };
        match checked {
            Ok(found) => {
                let verdict = if found.is_empty() {
                    Verdict::Accepted
                } else {
                    Verdict::Rejected {
                        violations: found.len(),
                    }
                };
                (found, PluginTrace::new(plugin, &run, verdict))
            }
            Err(fault) => {
                let on_fault = plugin.manifest.on_fault;
                let found = match on_fault {
                    OnFault::Allow => Vec::new(),
                    OnFault::Reject => vec![Violation {
                        plugin: id.clone(),
                        path: String::new(),
                        code: "plugin-fault".to_owned(),
                        message: format!("plugin `{id}` failed: {fault}"),
                    }],
                };
                let verdict = Verdict::Faulted { fault, on_fault };
                (found, PluginTrace::new(plugin, &run, verdict))
            }
        }
    }
}

/// Sleeps a random time up to 50 µs × 2^(attempt-2), capped at 3.2 ms: writers that keep
/// colliding spread out instead of colliding again.
fn backoff(attempt: u32) {
    let ceiling = 50u64 << attempt.saturating_sub(2).min(6);
    std::thread::sleep(std::time::Duration::from_micros(fastrand::u64(0..=ceiling)));
}
