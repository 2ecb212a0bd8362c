//! The validation stage: built-in checks, then every concerned validation plugin.

use std::sync::Arc;

use super::context::MutationCtx;
use super::trace::{PluginTrace, Trace, TraceError, Verdict};
use super::{MutationError, Pipeline, Scope};
use crate::checks;
use crate::mutation::Applied;
use crate::observe::{Decision, Input, Observation, observe_shadow};
use crate::registry::{InstalledPlugin, OnFault};
use crate::sandbox::{CallContext, ChangeSummary, Fault, OrderView, PluginKind};
use crate::violation::Violation;

impl Pipeline {
    /// The order as it stands, through the built-in checks and every validation plugin of
    /// the tenant (each concerned, as on creation: the whole order is in question). Nothing
    /// is written.
    pub(crate) fn validate_stored(
        &self,
        scope: &Scope,
        order_id: &str,
    ) -> Result<Trace, MutationError> {
        let Some(stored) = self.load(&scope.tenant, order_id)? else {
            return Err(MutationError::NotFound(order_id.to_owned()));
        };
        let plugins = self.registry.tenant(&scope.tenant)?;
        let mut cx = MutationCtx::new(self, scope, plugins, 1);
        let applied = Applied {
            from_status: Some(stored.order.state.current_status),
            order: stored.order,
            touched: vec![String::new()],
            to_status: None,
        };
        let violations = self.validate_mutation(&mut cx, &applied);
        self.observe(&mut cx);
        if violations.is_empty() {
            Ok(cx.trace)
        } else {
            Err(MutationError::Rejected {
                violations,
                trace: cx.trace,
            })
        }
    }

    /// A mutation's validation: built-in checks, then every validation plugin the change
    /// concerns, in priority order. All run, so the merchant sees every reason at once, and
    /// whatever the budget: skipping one would let the mutation past it.
    pub(super) fn validate_mutation(
        &self,
        cx: &mut MutationCtx<'_>,
        applied: &Applied,
    ) -> Vec<Violation> {
        let plugins = cx
            .plugins
            .concerned(PluginKind::Validation, &applied.touched);
        cx.account.count_runs(plugins.len());
        let scope = cx.scope;
        self.validate(cx, scope, &plugins, applied, 0)
    }

    /// A hook patch's validation, as a mutation's, at its cascade depth. Its plugin runs
    /// are taken from the mutation's budget; when the budget cannot pay for all of them the
    /// patch cannot be validated: `Err`.
    pub(super) fn validate_patch(
        &self,
        cx: &mut MutationCtx<'_>,
        scope: &Scope,
        applied: &Applied,
        depth: u32,
    ) -> Result<Vec<Violation>, TraceError> {
        let plugins = cx
            .plugins
            .concerned(PluginKind::Validation, &applied.touched);
        cx.account.take_runs(plugins.len())?;
        Ok(self.validate(cx, scope, &plugins, applied, depth))
    }

    fn validate(
        &self,
        cx: &mut MutationCtx<'_>,
        scope: &Scope,
        plugins: &[Arc<InstalledPlugin>],
        applied: &Applied,
        depth: u32,
    ) -> Vec<Violation> {
        let mut violations = checks::check_order(&applied.order);
        let shadowed = cx.observing.shadows
            && cx
                .plugins
                .concerned_shadows(PluginKind::Validation, &applied.touched)
                .next()
                .is_some();
        if plugins.is_empty() && !shadowed {
            return violations;
        }
        // One view of the candidate, shared by every plugin.
        let order = Arc::new(OrderView::new(Arc::clone(&applied.order)));
        let change = ChangeSummary {
            touched: &applied.touched,
            from_status: applied.from_status,
            to_status: applied.to_status,
        };
        let observing = cx.observing;
        // Built only when something is observed: the order path pays nothing otherwise.
        let input = observing
            .any()
            .then(|| Input::new(&order, &change, scope.adapter_id.as_deref(), depth));
        let mut decided = Vec::new();
        for plugin in plugins {
            let (found, plugin_trace, decision) =
                self.run_validation(scope, plugin, &order, &change, depth);
            violations.extend(found);
            if let (true, Some(input)) = (observing.runs, &input) {
                cx.observations.push(Observation::Ran {
                    plugin: Arc::clone(plugin),
                    input: input.clone(),
                    decision: decision.clone(),
                    fuel: plugin_trace.fuel_consumed,
                });
            }
            if shadowed {
                decided.push((Arc::clone(plugin), decision));
            }
            cx.trace.plugins.push(plugin_trace);
        }
        if let (true, Some(input)) = (shadowed, &input) {
            let shadows = cx
                .plugins
                .concerned_shadows(PluginKind::Validation, &applied.touched);
            let shadows: Vec<_> = shadows
                .map(|shadow| {
                    let active = decided
                        .iter()
                        .find(|(p, _)| p.manifest.id == shadow.manifest.id)
                        .map(|(p, d)| (p.as_ref(), d));
                    observe_shadow(shadow, active, input)
                })
                .collect();
            cx.observations.extend(shadows);
        }
        violations
    }

    fn run_validation(
        &self,
        scope: &Scope,
        plugin: &Arc<InstalledPlugin>,
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
        depth: u32,
    ) -> (Vec<Violation>, PluginTrace, Decision) {
        let ctx = plugin_context(scope, plugin);
        let run = self
            .sandbox
            .validate(&plugin.compiled, &plugin.limits, &ctx, order, change);
        let (found, verdict) = validation_verdict(plugin, &run.outcome);
        let decision = Decision::of_validation(&run.outcome);
        (
            found,
            PluginTrace::new(plugin, depth, &run, verdict),
            decision,
        )
    }
}

/// What a validation's answer means for the mutation: the violations it adds and the
/// verdict the trace records. A fault adds nothing under `onFault: allow` and one
/// `plugin-fault` violation under `onFault: reject`. The runner ([`crate::runner`]) calls
/// this too, so a local run says what the host would.
pub(crate) fn validation_verdict(
    plugin: &InstalledPlugin,
    outcome: &Result<Result<(), Vec<Violation>>, Fault>,
) -> (Vec<Violation>, Verdict) {
    let id = &plugin.manifest.id;
    match outcome {
        Ok(Ok(())) => (Vec::new(), Verdict::Accepted),
        Ok(Err(found)) if found.is_empty() => (Vec::new(), Verdict::Accepted),
        Ok(Err(found)) => {
            let violations = found.len();
            (found.clone(), Verdict::Rejected { violations })
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
            let fault = fault.clone();
            (found, Verdict::Faulted { fault, on_fault })
        }
    }
}

/// The context a plugin is called with.
pub(crate) fn plugin_context<'a>(scope: &'a Scope, plugin: &'a InstalledPlugin) -> CallContext<'a> {
    plugin_context_of(
        &scope.tenant.merchant,
        &scope.tenant.channel,
        scope.adapter_id.as_deref(),
        plugin,
    )
}

/// The context a plugin is called with for this merchant, channel and acting adapter.
pub(crate) fn plugin_context_of<'a>(
    merchant: &'a str,
    channel: &'a str,
    acting_adapter_id: Option<&'a str>,
    plugin: &'a InstalledPlugin,
) -> CallContext<'a> {
    CallContext {
        merchant,
        channel,
        plugin_id: &plugin.manifest.id,
        adapter_id: plugin.manifest.adapter_id.as_deref(),
        acting_adapter_id,
        configuration: &plugin.config_json,
    }
}

/// Violations in one line, for the trace of a hook patch refused by validation.
pub(crate) fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("{} at {}: {}", v.plugin, v.path, v.message))
        .collect::<Vec<_>>()
        .join("; ")
}
