//! The hook stage: after a committed change, every hook plugin it concerns runs and may
//! answer with a JSON Patch, which is applied atomically, validated like a mutation and
//! committed as a change of its own, which may concern further hooks.
//!
//! Loop prevention follows the reference platform: a hook never runs on a change it made,
//! a change made by adapter X (the `x-adapterid` header, or the adapter of the hook that
//! made it) never runs X's hooks, and a cascade deeper than the host's bound stops with a
//! recorded error.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::clock::rfc3339;
use crate::host::Host;
use crate::model::{Notification, Order, OrderStatus};
use crate::mutation::{self, Applied};
use crate::registry::InstalledPlugin;
use crate::sandbox::PluginKind;
use crate::sandbox::{ChangeSummary, OrderView};
use crate::store::{OrderWrite, StoreError, StoredOrder};
use crate::trace::{PluginTrace, Trace, Verdict};

use super::Scope;
use super::fire::{Jsons, Moment};
use super::validate::{describe, plugin_context};

/// How deep hook changes may cascade by default: a mutation's own hooks are depth 1, the
/// hooks of their patches depth 2, …
pub const DEFAULT_MAX_CASCADE_DEPTH: u32 = 8;

/// A committed change that hooks may react to.
struct Change {
    /// The order before the change (`None` when it was created by it).
    before: Option<Arc<Order>>,
    touched: Vec<String>,
    from_status: Option<OrderStatus>,
    to_status: Option<OrderStatus>,
    /// The adapter that made the change, whose hooks do not run on it.
    made_by_adapter: Option<String>,
    /// The hook that made the change, which does not run on it.
    made_by_hook: Option<String>,
    depth: u32,
}

/// The view plugins read an order version through: hooks that leave the order unchanged
/// hand the next hook the same version, whose view (and its flattened lines) is reused.
#[derive(Default)]
struct LatestView {
    view: Option<Arc<OrderView>>,
}

impl LatestView {
    fn of(&mut self, stored: &StoredOrder) -> &Arc<OrderView> {
        let current = self
            .view
            .as_ref()
            .is_some_and(|v| Arc::ptr_eq(v.order(), &stored.order));
        if !current {
            self.view = Some(Arc::new(OrderView::new(Arc::clone(&stored.order))));
        }
        self.view.as_ref().expect("set above")
    }
}

/// What became of one hook run.
enum HookResult {
    /// The hook's patch committed this change.
    Patched(Box<Change>),
    /// Nothing to cascade.
    Done,
    /// The order changed under the hook (another host): run it again on the new order.
    Conflict,
}

impl Host {
    /// Runs the hooks of a committed mutation and of every change they make, breadth
    /// first; returns the order as it stands at the end.
    pub(super) fn cascade(
        &self,
        scope: &Scope,
        before: Option<&Arc<Order>>,
        committed: StoredOrder,
        applied: &Applied,
        jsons: &mut Jsons<'_>,
        trace: &mut Trace,
    ) -> StoredOrder {
        let mut latest = committed;
        // The WIT copy of the latest order, shared by the hooks that run on that version.
        let mut view = LatestView::default();
        let mut queue = VecDeque::from([Change {
            before: before.cloned(),
            touched: applied.touched.clone(),
            from_status: applied.from_status,
            to_status: applied.to_status,
            made_by_adapter: scope.adapter_id.clone(),
            made_by_hook: None,
            depth: 1,
        }]);
        while let Some(change) = queue.pop_front() {
            let hooks = self.hooks_for(scope, &change, &latest.order);
            if hooks.is_empty() {
                continue;
            }
            if change.depth > self.max_cascade_depth {
                let ids: Vec<_> = hooks.iter().map(|h| h.manifest.id.as_str()).collect();
                trace.errors.push(format!(
                    "cascade stopped at depth {}: the bound is {}; hooks not run: {}",
                    change.depth,
                    self.max_cascade_depth,
                    ids.join(", ")
                ));
                continue;
            }
            for hook in &hooks {
                for _ in 0..super::MAX_ATTEMPTS {
                    match self.run_hook(scope, hook, &change, &mut latest, &mut view, jsons, trace)
                    {
                        HookResult::Patched(next) => queue.push_back(*next),
                        HookResult::Done => {}
                        HookResult::Conflict => {
                            let key = crate::store::OrderKey::of(&latest.order);
                            if let Ok(Some(fresh)) = self.store.load(&key) {
                                latest = fresh;
                                continue;
                            }
                        }
                    }
                    break;
                }
            }
        }
        latest
    }

    /// The hook plugins a change concerns, bound to this order, minus the hook and the
    /// adapter that made the change.
    fn hooks_for(
        &self,
        scope: &Scope,
        change: &Change,
        order: &Order,
    ) -> Vec<std::sync::Arc<InstalledPlugin>> {
        let mut hooks = self
            .registry
            .concerned(&scope.tenant, PluginKind::Hook, &change.touched);
        hooks.retain(|hook| {
            let id = &hook.manifest.id;
            let bound = order.hooks.iter().any(|b| b.id.as_deref() == Some(id));
            let own_change = change.made_by_hook.as_ref() == Some(id);
            let own_adapter = hook.manifest.adapter_id.is_some()
                && hook.manifest.adapter_id == change.made_by_adapter;
            bound && !own_change && !own_adapter
        });
        hooks
    }

    #[allow(clippy::too_many_arguments)]
    fn run_hook(
        &self,
        scope: &Scope,
        hook: &InstalledPlugin,
        change: &Change,
        latest: &mut StoredOrder,
        view: &mut LatestView,
        jsons: &mut Jsons<'_>,
        trace: &mut Trace,
    ) -> HookResult {
        let depth = change.depth;
        let now = self.clock.now();
        let at = Moment { now, depth };
        let acting = Scope {
            tenant: scope.tenant.clone(),
            adapter_id: change.made_by_adapter.clone(),
        };
        let ctx = plugin_context(&acting, hook);
        let order = view.of(latest);
        let summary = ChangeSummary {
            touched: &change.touched,
            from_status: change.from_status,
            to_status: change.to_status,
        };
        let run = self
            .sandbox
            .hook(&hook.compiled, &hook.limits, &ctx, order, &summary);
        let record = |trace: &mut Trace, at: usize, verdict| {
            trace
                .plugins
                .insert(at, PluginTrace::new(hook, depth, &run, verdict));
        };
        let slot = trace.plugins.len();
        let outcome = match &run.outcome {
            Err(fault) => {
                let verdict = Verdict::Faulted {
                    fault: fault.clone(),
                    on_fault: hook.manifest.on_fault,
                };
                record(trace, slot, verdict);
                return HookResult::Done;
            }
            Ok(Err(message)) => {
                let message = message.clone();
                record(trace, slot, Verdict::HookFailed { message });
                return HookResult::Done;
            }
            Ok(Ok(outcome)) => outcome,
        };
        let id = &hook.manifest.id;
        let triggers = self.checked_triggers(id, &outcome.triggers, trace);
        let before_change = change.before.as_ref();

        let ops = match outcome.patch.clone() {
            Ok(ops) => ops,
            Err(reason) => {
                record(trace, slot, Verdict::PatchRefused { reason });
                self.commit_trigger_events(id, before_change, latest, &triggers, at, jsons, trace);
                return HookResult::Done;
            }
        };
        if ops.is_empty() {
            record(trace, slot, Verdict::Unchanged);
            self.commit_trigger_events(id, before_change, latest, &triggers, at, jsons, trace);
            return HookResult::Done;
        }
        let applied = match self.patch(&latest.order, &ops, now) {
            Ok(applied) => applied,
            Err(reason) => {
                record(trace, slot, Verdict::PatchRefused { reason });
                self.commit_trigger_events(id, before_change, latest, &triggers, at, jsons, trace);
                return HookResult::Done;
            }
        };
        let hook_scope = Scope {
            tenant: scope.tenant.clone(),
            adapter_id: hook.manifest.adapter_id.clone(),
        };
        let violations = self.validate(&hook_scope, &applied, depth, trace);
        if !violations.is_empty() {
            let reason = format!(
                "the patched order fails validation: {}",
                describe(&violations)
            );
            record(trace, slot, Verdict::PatchRefused { reason });
            self.commit_trigger_events(id, before_change, latest, &triggers, at, jsons, trace);
            return HookResult::Done;
        }
        let mut fired =
            self.fire_order_notifications(Some(&latest.order), &applied.order, at, jsons, trace);
        fired.extend(self.fire_triggers(
            id,
            before_change,
            &applied.order,
            &triggers,
            at,
            jsons,
            trace,
        ));
        let write = OrderWrite::Replace {
            order: &applied.order,
            expected_version: latest.version,
        };
        let (events, fired) = fired.split();
        match self.store.commit(write, events) {
            Ok(version) => {
                let version = version.expect("an order write yields a version");
                trace.notifications.extend(fired);
                let operations = ops.len();
                record(
                    trace,
                    slot,
                    Verdict::Patched {
                        operations,
                        version,
                    },
                );
                let before = std::mem::replace(
                    latest,
                    StoredOrder {
                        order: applied.order,
                        version,
                    },
                );
                HookResult::Patched(Box::new(Change {
                    before: Some(before.order),
                    touched: applied.touched,
                    from_status: applied.from_status,
                    to_status: applied.to_status,
                    made_by_adapter: hook.manifest.adapter_id.clone(),
                    made_by_hook: Some(id.clone()),
                    depth: depth + 1,
                }))
            }
            Err(StoreError::Conflict { .. }) => {
                trace.plugins.truncate(slot);
                HookResult::Conflict
            }
            Err(err) => {
                let reason = format!("the store refused the patched order: {err}");
                record(trace, slot, Verdict::PatchRefused { reason });
                HookResult::Done
            }
        }
    }

    /// Applies a hook's operations to the order: atomically, off limits for read-only
    /// paths, and through the same state rules as a mutation if the status changes.
    fn patch(
        &self,
        order: &Order,
        ops: &[crate::patch::PatchOperation],
        now: std::time::SystemTime,
    ) -> Result<Applied, String> {
        let mut patched = crate::patch::patch_order(order, ops).map_err(|e| e.to_string())?;
        let now = rfc3339(now);
        let from = order.state.current_status;
        let to = patched.state.current_status;
        let mut touched: Vec<String> = Vec::new();
        for op in ops {
            let path = op.path().to_string();
            if !touched.contains(&path) {
                touched.push(path);
            }
            if let json_patch::PatchOperation::Move(m) = op {
                let from = m.from.to_string();
                if !touched.contains(&from) {
                    touched.push(from);
                }
            }
        }
        let to_status = if to != from {
            // The status moves like a mutation's: allowed transitions, consents, and a
            // transition appended by the host (transitions are read-only to patches).
            patched.state.current_status = from;
            mutation::set_state(&mut patched, to, &now).map_err(|v| describe(&v))?;
            Some(to)
        } else {
            None
        };
        patched.last_modified = now;
        Ok(Applied {
            order: Arc::new(patched),
            touched,
            from_status: Some(from),
            to_status,
        })
    }

    /// A hook's triggers as notifications, minus (recorded) the ones that are invalid.
    fn checked_triggers(
        &self,
        hook: &str,
        triggers: &[(String, Result<Notification, String>)],
        trace: &mut Trace,
    ) -> Vec<Notification> {
        let mut valid = Vec::with_capacity(triggers.len());
        for (reference, trigger) in triggers {
            let checked = trigger.clone().and_then(|n| {
                crate::notify::check(&n, &self.schemas)
                    .map(|()| n)
                    .map_err(|e| e.to_string())
            });
            match checked {
                Ok(n) => valid.push(n),
                Err(reason) => trace.errors.push(format!(
                    "hook `{hook}`: trigger `{reference}` refused: {reason}"
                )),
            }
        }
        valid
    }

    /// Records the events of a hook's triggers when its patch did not commit (there was
    /// none, or it was refused): an events-only commit.
    #[allow(clippy::too_many_arguments)]
    fn commit_trigger_events(
        &self,
        hook: &str,
        before: Option<&Arc<Order>>,
        latest: &StoredOrder,
        triggers: &[Notification],
        at: Moment,
        jsons: &mut Jsons<'_>,
        trace: &mut Trace,
    ) {
        if triggers.is_empty() {
            return;
        }
        let (events, fired) = self
            .fire_triggers(hook, before, &latest.order, triggers, at, jsons, trace)
            .split();
        if events.is_empty() {
            return;
        }
        match self.store.commit(OrderWrite::Unchanged, events) {
            Ok(_) => trace.notifications.extend(fired),
            Err(err) => trace.errors.push(format!(
                "hook `{hook}`: could not record its notification events: {err}"
            )),
        }
    }
}
