//! The hook stage: after a committed change, every hook plugin it concerns runs and may
//! answer with a JSON Patch, which is applied atomically, validated like a mutation and
//! committed as a change of its own, which may concern further hooks.
//!
//! Loop prevention follows the reference platform: a hook never runs on a change it made,
//! a change made by adapter X (the `x-adapterid` header, or the adapter of the hook that
//! made it) never runs X's hooks. A cascade deeper than [`Budgets::max_cascade_depth`]
//! stops with a recorded error, and so does one that spends any other of the mutation's
//! [`Budgets`](super::Budgets) (runs, versions, host time, schema compilations).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::context::MutationCtx;
use super::fire::Moment;
use super::trace::{PluginTrace, TraceError, Verdict};
use super::validate::{describe, plugin_context};
use super::{MAX_ATTEMPTS, Pipeline, Scope};
use crate::clock::rfc3339;
use crate::model::{self, Notification, Order, OrderStatus};
use crate::mutation::{self, Applied};
use crate::notify;
use crate::observe::{Decision, Input, Observation, observe_shadow};
use crate::registry::InstalledPlugin;
use crate::sandbox::{ChangeSummary, HookAnswer, OrderView, PluginKind, Run};
use crate::store::{OrderKey, OrderWrite, StoreError, StoredOrder};

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
    fn of(&mut self, stored: &StoredOrder) -> Arc<OrderView> {
        match &self.view {
            Some(view) if Arc::ptr_eq(view.order(), &stored.order) => Arc::clone(view),
            _ => {
                let view = Arc::new(OrderView::new(Arc::clone(&stored.order)));
                self.view = Some(Arc::clone(&view));
                view
            }
        }
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

impl Pipeline {
    /// Runs the hooks of a committed mutation and of every change they make, breadth
    /// first, within the mutation's budgets; returns the order as it stands at the end.
    pub(super) fn cascade(
        &self,
        cx: &mut MutationCtx<'_>,
        before: Option<&Arc<Order>>,
        committed: StoredOrder,
        applied: &Applied,
    ) -> StoredOrder {
        let mut latest = committed;
        let mut view = LatestView::default();
        let mut queue = VecDeque::from([Change {
            before: before.cloned(),
            touched: applied.touched.clone(),
            from_status: applied.from_status,
            to_status: applied.to_status,
            made_by_adapter: cx.scope.adapter_id.clone(),
            made_by_hook: None,
            depth: 1,
        }]);
        let bound = cx.account.budgets().max_cascade_depth;
        while let Some(change) = queue.pop_front() {
            let hooks = self.hooks_for(cx, &change, &latest.order);
            if cx.observing.shadows {
                observe_shadow_only_hooks(cx, &hooks, &change, &latest, &mut view);
            }
            if hooks.is_empty() {
                continue;
            }
            if change.depth > bound {
                cx.trace.errors.push(TraceError::CascadeDepth {
                    depth: change.depth,
                    bound,
                    hooks: hooks.iter().map(|h| h.manifest.id.clone()).collect(),
                });
                continue;
            }
            for hook in &hooks {
                if let Some(next) =
                    self.run_hook_until_settled(cx, hook, &change, &mut latest, &mut view)
                {
                    queue.push_back(next);
                }
                if cx.account.exhausted().is_some() {
                    // The reason is in the trace; nothing more of the cascade runs.
                    return latest;
                }
            }
        }
        latest
    }

    /// Runs a hook, again on the new order each time another host committed under it, until
    /// it settles; what it could not do is recorded in the trace.
    fn run_hook_until_settled(
        &self,
        cx: &mut MutationCtx<'_>,
        hook: &Arc<InstalledPlugin>,
        change: &Change,
        latest: &mut StoredOrder,
        view: &mut LatestView,
    ) -> Option<Change> {
        let not_run = |reason: String| TraceError::HookNotRun {
            hook: hook.manifest.id.clone(),
            reason,
        };
        for _ in 0..MAX_ATTEMPTS {
            if let Err(spent) = cx.account.take_runs(1) {
                cx.trace.errors.push(spent);
                return None;
            }
            match self.run_hook(cx, hook, change, latest, view) {
                HookResult::Patched(next) => return Some(*next),
                HookResult::Done => return None,
                HookResult::Conflict => match self.store.load(&OrderKey::of(&latest.order)) {
                    Ok(Some(fresh)) => *latest = fresh,
                    Ok(None) => {
                        let reason = "the order was deleted under it".to_owned();
                        cx.trace.errors.push(not_run(reason));
                        return None;
                    }
                    Err(err) => {
                        let reason = format!("the order could not be reloaded: {err}");
                        cx.trace.errors.push(not_run(reason));
                        return None;
                    }
                },
            }
        }
        let reason = format!("the order changed under it {MAX_ATTEMPTS} times in a row");
        cx.trace.errors.push(not_run(reason));
        None
    }

    /// The hook plugins a change concerns and the order has not unbound, minus the hook and
    /// the adapter that made the change.
    fn hooks_for(
        &self,
        cx: &MutationCtx<'_>,
        change: &Change,
        order: &Order,
    ) -> Vec<Arc<InstalledPlugin>> {
        let mut hooks = cx.plugins.concerned(PluginKind::Hook, &change.touched);
        hooks.retain(|hook| may_run(hook, change, order));
        hooks
    }

    fn run_hook(
        &self,
        cx: &mut MutationCtx<'_>,
        hook: &Arc<InstalledPlugin>,
        change: &Change,
        latest: &mut StoredOrder,
        view: &mut LatestView,
    ) -> HookResult {
        let depth = change.depth;
        let now = self.clock.now();
        let at = Moment { now, depth };
        let acting = Scope {
            tenant: cx.scope.tenant.clone(),
            adapter_id: change.made_by_adapter.clone(),
            request_id: cx.scope.request_id.clone(),
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
            .hook(&hook.compiled, &hook.limits, &ctx, &order, &summary);
        let slot = cx.trace.plugins.len();
        let observed = cx.observations.len();
        if cx.observing.any() {
            observe_hook(cx, hook, &run, &order, &summary, change);
        }
        let record = |cx: &mut MutationCtx<'_>, verdict| {
            let entry = PluginTrace::new(hook, depth, &run, verdict);
            cx.trace.plugins.insert(slot, entry);
        };
        let outcome = match &run.outcome {
            Err(fault) => {
                let verdict = Verdict::Faulted {
                    fault: fault.clone(),
                    on_fault: hook.manifest.on_fault,
                };
                record(cx, verdict);
                return HookResult::Done;
            }
            Ok(Err(message)) => {
                let message = message.clone();
                record(cx, Verdict::HookFailed { message });
                return HookResult::Done;
            }
            Ok(Ok(outcome)) => outcome,
        };
        // From here on the host works on the plugin's output, on the mutation's time budget.
        let started = Instant::now();
        let triggers = self.checked_triggers(cx, hook, &outcome.triggers);
        let answer = Answer {
            hook,
            before: change.before.as_ref(),
            triggers: &triggers,
            at,
        };
        let refused = |cx: &mut MutationCtx<'_>, latest: &StoredOrder, reason: String| {
            record(cx, Verdict::PatchRefused { reason });
            self.commit_trigger_events(cx, &answer, latest);
            HookResult::Done
        };
        let ops = match outcome.patch.clone() {
            Ok(ops) => ops,
            Err(reason) => return refused(cx, latest, reason),
        };
        if ops.is_empty() {
            record(cx, Verdict::Unchanged);
            self.commit_trigger_events(cx, &answer, latest);
            return HookResult::Done;
        }
        let applied = match apply_hook_patch(&latest.order, &ops, &self.order_limits, now) {
            Ok(applied) => applied,
            Err(reason) => return refused(cx, latest, reason),
        };
        let hook_scope = Scope {
            tenant: cx.scope.tenant.clone(),
            adapter_id: hook.manifest.adapter_id.clone(),
            request_id: cx.scope.request_id.clone(),
        };
        // Validations see the hook's adapter as the acting one.
        let violations = self.validate_patch(cx, &hook_scope, &applied, depth);
        match violations {
            Ok(violations) if violations.is_empty() => {}
            Ok(violations) => {
                let reason = format!(
                    "the patched order fails validation: {}",
                    describe(&violations)
                );
                return refused(cx, latest, reason);
            }
            Err(spent) => {
                let reason = format!("the patched order could not be validated: {spent}");
                cx.trace.errors.push(spent);
                return refused(cx, latest, reason);
            }
        }
        let mut fired = self.fire_order_notifications(cx, Some(&latest.order), &applied.order, at);
        let trigger_change = (change.before.as_ref(), &applied.order);
        fired.extend(self.fire_triggers(cx, &hook.manifest.id, trigger_change, &triggers, at));
        let spent = cx
            .account
            .spend_output_time(started)
            .and_then(|()| cx.account.take_version());
        if let Err(spent) = spent {
            let reason = format!("the patch was not committed: {spent}");
            cx.trace.errors.push(spent);
            record(cx, Verdict::PatchRefused { reason });
            return HookResult::Done;
        }
        let write = OrderWrite::Replace {
            order: &applied.order,
            expected_version: latest.version,
        };
        let (events, fired) = fired.split();
        match self.store.commit(write, events) {
            Ok(version) => {
                cx.trace.notifications.extend(fired);
                let operations = ops.len();
                record(
                    cx,
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
                    made_by_hook: Some(hook.manifest.id.clone()),
                    depth: depth + 1,
                }))
            }
            Err(StoreError::Conflict { .. }) => {
                cx.trace.plugins.truncate(slot);
                cx.observations.truncate(observed);
                HookResult::Conflict
            }
            Err(err) => {
                let reason = format!("the store refused the patched order: {err}");
                record(cx, Verdict::PatchRefused { reason });
                HookResult::Done
            }
        }
    }

    /// A hook's triggers as notifications, minus (recorded) the ones that fail the checks
    /// a notification passes, name another adapter than the hook's, or would compile more
    /// schemas than the mutation may. A trigger that names no adapter is the hook's
    /// adapter's.
    fn checked_triggers(
        &self,
        cx: &mut MutationCtx<'_>,
        hook: &InstalledPlugin,
        triggers: &[(String, Result<Notification, String>)],
    ) -> Vec<Notification> {
        let id = &hook.manifest.id;
        let limit = cx.account.budgets().max_triggers_per_hook;
        if triggers.len() > limit {
            cx.trace.errors.push(TraceError::TooManyTriggers {
                hook: id.clone(),
                count: triggers.len(),
                limit,
            });
            return Vec::new();
        }
        let mut valid = Vec::with_capacity(triggers.len());
        for (reference, trigger) in triggers {
            let refuse = |reason: String| TraceError::TriggerRefused {
                hook: id.clone(),
                reference: reference.clone(),
                reason,
            };
            let mut n = match trigger.clone() {
                Ok(n) => n,
                Err(reason) => {
                    cx.trace.errors.push(refuse(reason));
                    continue;
                }
            };
            let own = &hook.manifest.adapter_id;
            match (&n.adapter_id, own) {
                (None, _) => n.adapter_id.clone_from(own),
                (Some(named), Some(own)) if named == own => {}
                (Some(named), _) => {
                    let reason = match own {
                        Some(own) => format!(
                            "a hook of adapter `{own}` may raise triggers only for its own \
                             adapter, not for `{named}`"
                        ),
                        None => format!(
                            "a hook with no adapter may not raise triggers for adapter `{named}`"
                        ),
                    };
                    cx.trace.errors.push(refuse(reason));
                    continue;
                }
            }
            if let Some(schema) = &n.schema
                && !self.schemas.is_cached(schema)
                && let Err(spent) = cx.account.take_schema_compiles(1)
            {
                cx.trace.errors.push(spent);
                break;
            }
            match notify::check(&n, &self.schemas) {
                Ok(()) => valid.push(n),
                Err(e) => cx.trace.errors.push(refuse(e.to_string())),
            }
        }
        valid
    }

    /// Records the events of a hook's triggers when its patch did not commit (there was
    /// none, or it was refused): an events-only commit.
    fn commit_trigger_events(
        &self,
        cx: &mut MutationCtx<'_>,
        answer: &Answer<'_>,
        latest: &StoredOrder,
    ) {
        if answer.triggers.is_empty() {
            return;
        }
        let hook = &answer.hook.manifest.id;
        let change = (answer.before, &latest.order);
        let (events, fired) = self
            .fire_triggers(cx, hook, change, answer.triggers, answer.at)
            .split();
        if events.is_empty() {
            return;
        }
        match self.store.append_events(events) {
            Ok(()) => cx.trace.notifications.extend(fired),
            Err(err) => cx.trace.errors.push(TraceError::EventsNotRecorded {
                hook: hook.clone(),
                reason: err.to_string(),
            }),
        }
    }
}

/// Whether `hook` runs on `change` of `order`: not when the order unbound it, nor on its
/// own change, nor on a change its adapter made.
fn may_run(hook: &InstalledPlugin, change: &Change, order: &Order) -> bool {
    let id = &hook.manifest.id;
    let detached = order.detached_hooks.contains(id);
    let own_change = change.made_by_hook.as_ref() == Some(id);
    let own_adapter =
        hook.manifest.adapter_id.is_some() && hook.manifest.adapter_id == change.made_by_adapter;
    !detached && !own_change && !own_adapter
}

/// A hook's run, for the observer: kept, and its shadow version (if any) to run on the
/// same input.
fn observe_hook(
    cx: &mut MutationCtx<'_>,
    hook: &Arc<InstalledPlugin>,
    run: &Run<Result<HookAnswer, String>>,
    order: &Arc<OrderView>,
    summary: &ChangeSummary<'_>,
    change: &Change,
) {
    let decision = Decision::of_hook(&run.outcome);
    let acting = change.made_by_adapter.as_deref();
    let input = Input::new(order, summary, acting, change.depth);
    if let Some(shadow) = cx.plugins.shadow_of(&hook.manifest.id) {
        let shadow = observe_shadow(shadow, Some((hook, &decision)), &input);
        cx.observations.push(shadow);
    }
    if cx.observing.runs {
        cx.observations.push(Observation::Ran {
            plugin: Arc::clone(hook),
            input,
            decision,
            fuel: run.fuel_consumed,
        });
    }
}

/// The shadow hooks of ids with no active hook on `change`: run on it, expected to change
/// nothing (what their absence does).
fn observe_shadow_only_hooks(
    cx: &mut MutationCtx<'_>,
    hooks: &[Arc<InstalledPlugin>],
    change: &Change,
    latest: &StoredOrder,
    view: &mut LatestView,
) {
    let shadows: Vec<Arc<InstalledPlugin>> = cx
        .plugins
        .concerned_shadows(PluginKind::Hook, &change.touched)
        .filter(|s| !hooks.iter().any(|h| h.manifest.id == s.manifest.id))
        .filter(|s| may_run(s, change, &latest.order))
        .cloned()
        .collect();
    if shadows.is_empty() {
        return;
    }
    let summary = ChangeSummary {
        touched: &change.touched,
        from_status: change.from_status,
        to_status: change.to_status,
    };
    let order = view.of(latest);
    let acting = change.made_by_adapter.as_deref();
    let input = Input::new(&order, &summary, acting, change.depth);
    for shadow in &shadows {
        cx.observations.push(observe_shadow(shadow, None, &input));
    }
}

/// What a hook answered that stands whatever becomes of its patch: its triggers, evaluated
/// on the change it ran for.
struct Answer<'a> {
    hook: &'a InstalledPlugin,
    /// The order before the change the hook ran for.
    before: Option<&'a Arc<Order>>,
    triggers: &'a [Notification],
    at: Moment,
}

/// Applies a hook's operations to the order (the cascade's step, and the runner's):
/// atomically, off limits for read-only paths, and through the same state rules as a
/// mutation if the status changes.
pub(crate) fn apply_hook_patch(
    order: &Order,
    ops: &[crate::patch::PatchOperation],
    limits: &model::OrderLimits,
    now: SystemTime,
) -> Result<Applied, String> {
    let mut patched = crate::patch::patch_order(order, ops, limits).map_err(|e| e.to_string())?;
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
    if to_status.is_some() {
        // The host's transition added bytes after the patch's own bound check (the new
        // timestamp replaced one of the same length).
        model::check_order(&patched, limits)
            .map_err(|bound| format!("the patched order would be {bound}"))?;
    }
    Ok(Applied {
        order: Arc::new(patched),
        touched,
        from_status: Some(from),
        to_status,
    })
}
