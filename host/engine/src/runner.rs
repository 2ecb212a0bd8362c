//! One plugin run on one input, outside any store: what `ordergate run` shows a plugin
//! author, computed by the code the host runs.
//!
//! A [`Runner`] loads a plugin as the registry does (the same limits resolved against the
//! same ceilings, the same import and world checks, the same `init` and snapshot) and runs
//! it as the pipeline does: the same call context, the same verdict for a validation's
//! answer (`onFault` included), and for a hook the same patch step (read-only paths, state
//! rules, order bounds, built-in checks). So the fuel and the verdict of a local run are
//! the ones the host records in its trace for the same input: the tests check it on every
//! example plugin.
//!
//! What a single run cannot show is what lies beyond the plugin: the other plugins of the
//! merchant (a patch is not re-validated by them here), notifications, and the commit.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::checks;
use crate::model::{self, Notification, Order, OrderLimits, OrderStatus};
use crate::observe::Decision;
use crate::patch::PatchOperation;
use crate::pipeline::{Scope, apply_hook_patch, plugin_context, validation_verdict};
use crate::registry::{self, InstalledPlugin, OnFault, PluginManifest, RegistryError};
use crate::sandbox::Profile;
use crate::sandbox::{
    ChangeSummary, CompileError, ComponentInfo, Fault, OrderView, PluginKind, PluginLog, Run,
    Sandbox, SandboxConfig, micros,
};
use crate::store::Tenant;
use crate::violation::Violation;

/// Runs plugins one at a time, as a host with the same [`SandboxConfig`] would.
pub struct Runner {
    sandbox: Sandbox,
    order_limits: OrderLimits,
}

/// A plugin loaded by a [`Runner`]: compiled, checked, its `init` run on its configuration.
#[derive(Debug)]
pub struct LoadedPlugin {
    plugin: InstalledPlugin,
}

impl LoadedPlugin {
    /// The manifest it was loaded with.
    pub fn manifest(&self) -> &PluginManifest {
        &self.plugin.manifest
    }

    /// How long loading took (compile, checks, `init`, snapshot).
    pub fn load_time(&self) -> Duration {
        self.plugin.compiled.load_time()
    }

    /// Fuel the plugin's `init` consumed.
    pub fn init_fuel(&self) -> u64 {
        self.plugin.compiled.init_fuel()
    }
}

/// Who is asking, as the host's request headers would say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunContext {
    /// The merchant (`x-merchant`). Default `local`.
    #[serde(default = "default_merchant")]
    pub merchant: String,
    /// The channel (`x-channel`). Default `default`.
    #[serde(default = "default_channel")]
    pub channel: String,
    /// The adapter that made the change (`x-adapterid`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_adapter_id: Option<String>,
}

fn default_merchant() -> String {
    "local".to_owned()
}

fn default_channel() -> String {
    "default".to_owned()
}

impl Default for RunContext {
    fn default() -> Self {
        Self {
            merchant: default_merchant(),
            channel: default_channel(),
            acting_adapter_id: None,
        }
    }
}

/// What the change touched, as the plugin's `change` argument receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeInput {
    /// JSON Pointers of the parts touched, e.g. `["/cart"]`; `[""]` is the whole order.
    pub touched: Vec<String>,
    /// The status before the change; absent on a creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status: Option<OrderStatus>,
    /// The status after it, when the change moved the state (and on a creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_status: Option<OrderStatus>,
}

impl ChangeInput {
    /// The change the host hands plugins when an order is created: the whole order,
    /// arriving at its first status.
    pub fn creation(order: &Order) -> Self {
        Self {
            touched: vec![String::new()],
            from_status: None,
            to_status: Some(order.state.current_status),
        }
    }

    /// The change from `before` to `after` as the host's mutations name it: each top-level
    /// member that differs (`/cart`, `/customer`, …; `lastModified` never), and the
    /// statuses when the status moved.
    pub fn between(before: &Order, after: &Order) -> Self {
        let (before_json, after_json) = (to_object(before), to_object(after));
        let mut touched: Vec<String> = after_json
            .keys()
            .chain(before_json.keys().filter(|k| !after_json.contains_key(*k)))
            .filter(|k| *k != "lastModified" && before_json.get(*k) != after_json.get(*k))
            .map(|k| jsonptr::PointerBuf::from_tokens([k.as_str()]).to_string())
            .collect();
        touched.dedup();
        let (from, to) = (before.state.current_status, after.state.current_status);
        Self {
            touched,
            from_status: Some(from),
            to_status: (from != to).then_some(to),
        }
    }
}

fn to_object(order: &Order) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(order) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// One input of a run: the order the plugin sees and the change it is told about.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInput {
    /// The order: the candidate for a validation, the committed order for a hook.
    pub order: Order,
    /// The change.
    pub change: ChangeInput,
    /// Who is asking.
    pub context: RunContext,
}

/// What a plugin decided, named as the trace names it (`verdict`), with what the trace
/// only counts: the violations, the operations and the order after them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "verdict",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RunVerdict {
    /// The validation accepted the order.
    Accepted,
    /// The validation refused it.
    Rejected {
        /// Why.
        violations: Vec<Violation>,
    },
    /// The hook's patch applies: the host would validate and commit `order`.
    Patched {
        /// The operations, as RFC 6902 operations.
        operations: Vec<PatchOperation>,
        /// The order after them.
        order: Box<Order>,
    },
    /// The hook returned no operations.
    Unchanged,
    /// The hook's patch would be refused as a whole.
    PatchRefused {
        /// Why, as the trace would say it.
        reason: String,
    },
    /// The hook reported a failure itself (`err` from `handle`).
    HookFailed {
        /// Its message.
        message: String,
    },
    /// The plugin faulted.
    Faulted {
        /// What went wrong (a panic's message and location included, see
        /// [`Fault::Trap`]).
        fault: Fault,
        /// The manifest's policy: for a validation, `reject` refuses the mutation.
        on_fault: OnFault,
    },
}

/// How a run ended, for an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunClass {
    /// Accepted, or a hook that answered with a patch that applies (or none).
    Accepted,
    /// Rejected, or a hook whose patch would be refused or that failed itself.
    Refused,
    /// The plugin faulted.
    Faulted,
}

impl RunVerdict {
    /// The trace's name of the verdict: `accepted`, `rejected`, `patched`, `unchanged`,
    /// `patchRefused`, `hookFailed` or `faulted`.
    pub fn name(&self) -> &'static str {
        match self {
            RunVerdict::Accepted => "accepted",
            RunVerdict::Rejected { .. } => "rejected",
            RunVerdict::Patched { .. } => "patched",
            RunVerdict::Unchanged => "unchanged",
            RunVerdict::PatchRefused { .. } => "patchRefused",
            RunVerdict::HookFailed { .. } => "hookFailed",
            RunVerdict::Faulted { .. } => "faulted",
        }
    }

    /// Accepted, refused or faulted.
    pub fn class(&self) -> RunClass {
        match self {
            RunVerdict::Accepted | RunVerdict::Patched { .. } | RunVerdict::Unchanged => {
                RunClass::Accepted
            }
            RunVerdict::Rejected { .. }
            | RunVerdict::PatchRefused { .. }
            | RunVerdict::HookFailed { .. } => RunClass::Refused,
            RunVerdict::Faulted { .. } => RunClass::Faulted,
        }
    }
}

/// A hook's trigger that is not a valid notification, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusedTrigger {
    /// The trigger's reference.
    pub reference: String,
    /// Why it is not a notification.
    pub reason: String,
}

/// What one run did and cost: what `ordergate run` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// The plugin id.
    pub plugin: String,
    /// Validation or hook.
    pub kind: PluginKind,
    /// The decision, flattened: `{"verdict": "rejected", "violations": […]}`.
    #[serde(flatten)]
    pub verdict: RunVerdict,
    /// A hook's triggers that are notifications (the host would evaluate them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<Notification>,
    /// A hook's triggers that are not, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused_triggers: Vec<RefusedTrigger>,
    /// Fuel (≈ wasm instructions) consumed.
    pub fuel_consumed: u64,
    /// Peak linear memory, bytes.
    pub memory_peak: usize,
    /// Time to create the fresh instance; serialized as `instantiateUs`, in microseconds.
    #[serde(rename = "instantiateUs", with = "micros")]
    pub instantiate_time: Duration,
    /// Total time of the run; serialized as `durationUs`, in microseconds.
    #[serde(rename = "durationUs", with = "micros")]
    pub duration: Duration,
    /// What the plugin logged.
    pub log: PluginLog,
    /// The decision in the form kept runs and shadow reports record it, to compare a
    /// local run with one of the service's ([`Decision::agrees_with`]).
    #[serde(skip)]
    pub decision: Decision,
}

impl Runner {
    /// A runner with the host's sandbox settings `config` (defaults, limits and ceilings)
    /// and the default order bounds.
    pub fn new(config: SandboxConfig) -> wasmtime::Result<Self> {
        Ok(Self {
            sandbox: Sandbox::new(config)?,
            order_limits: OrderLimits::default(),
        })
    }

    /// Describes a component (kind, WIT package version, imports, exports, compile time).
    pub fn inspect(&self, component: &[u8]) -> Result<ComponentInfo, CompileError> {
        self.sandbox.inspect(component)
    }

    /// Loads a plugin as the registry installs one: everything that can refuse an upload
    /// refuses it here, with the same error.
    pub fn load(
        &self,
        manifest: &PluginManifest,
        component: &[u8],
    ) -> Result<LoadedPlugin, RegistryError> {
        let plugin = registry::load_unstored(&self.sandbox, manifest, component, 0)?;
        Ok(LoadedPlugin { plugin })
    }

    /// Runs the plugin once on `input`.
    pub fn run(&self, loaded: &LoadedPlugin, input: &RunInput) -> RunReport {
        self.run_with(loaded, input, false).0
    }

    /// [`Runner::run`], with a guest profile of the run (Firefox profiler JSON, open it in
    /// profiler.firefox.com), or why none could be taken. Samples are taken at every tick
    /// of the runner's deadline clock: make [`SandboxConfig::epoch_tick`] fine (tens of
    /// microseconds) for a plugin that runs for less than a millisecond.
    pub fn run_profiled(&self, loaded: &LoadedPlugin, input: &RunInput) -> (RunReport, Profile) {
        let (report, profile) = self.run_with(loaded, input, true);
        (
            report,
            profile.unwrap_or_else(|| Err("no profile was taken".to_owned())),
        )
    }

    fn run_with(
        &self,
        loaded: &LoadedPlugin,
        input: &RunInput,
        profiled: bool,
    ) -> (RunReport, Option<Profile>) {
        let plugin = &loaded.plugin;
        let scope = Scope {
            tenant: Tenant::new(&input.context.merchant, &input.context.channel),
            adapter_id: input.context.acting_adapter_id.clone(),
            request_id: None,
        };
        let ctx = plugin_context(&scope, plugin);
        let order = Arc::new(input.order.clone());
        let view = Arc::new(OrderView::new(Arc::clone(&order)));
        let change = ChangeSummary {
            touched: &input.change.touched,
            from_status: input.change.from_status,
            to_status: input.change.to_status,
        };
        match plugin.manifest.kind {
            PluginKind::Validation => {
                let (compiled, limits) = (&plugin.compiled, &plugin.limits);
                let (run, profile) = if profiled {
                    let (run, profile) = self
                        .sandbox
                        .validate_profiled(compiled, limits, &ctx, &view, &change);
                    (run, Some(profile))
                } else {
                    let run = self
                        .sandbox
                        .validate(compiled, limits, &ctx, &view, &change);
                    (run, None)
                };
                let (violations, _) = validation_verdict(plugin, &run.outcome);
                let verdict = match &run.outcome {
                    Err(fault) => RunVerdict::Faulted {
                        fault: fault.clone(),
                        on_fault: plugin.manifest.on_fault,
                    },
                    Ok(_) if violations.is_empty() => RunVerdict::Accepted,
                    Ok(_) => RunVerdict::Rejected { violations },
                };
                let decision = Decision::of_validation(&run.outcome);
                let report = report(plugin, &run, verdict, decision, (Vec::new(), Vec::new()));
                (report, profile)
            }
            PluginKind::Hook => {
                let (compiled, limits) = (&plugin.compiled, &plugin.limits);
                let (run, profile) = if profiled {
                    let (run, profile) = self
                        .sandbox
                        .hook_profiled(compiled, limits, &ctx, &view, &change);
                    (run, Some(profile))
                } else {
                    (
                        self.sandbox.hook(compiled, limits, &ctx, &view, &change),
                        None,
                    )
                };
                let decision = Decision::of_hook(&run.outcome);
                let answer = match &run.outcome {
                    Err(fault) => {
                        let verdict = RunVerdict::Faulted {
                            fault: fault.clone(),
                            on_fault: plugin.manifest.on_fault,
                        };
                        let report = report(plugin, &run, verdict, decision, Default::default());
                        return (report, profile);
                    }
                    Ok(Err(message)) => {
                        let message = message.clone();
                        let verdict = RunVerdict::HookFailed { message };
                        let report = report(plugin, &run, verdict, decision, Default::default());
                        return (report, profile);
                    }
                    Ok(Ok(answer)) => answer,
                };
                let (mut triggers, mut refused) = (Vec::new(), Vec::new());
                for (reference, trigger) in &answer.triggers {
                    match trigger {
                        Ok(notification) => triggers.push(notification.clone()),
                        Err(reason) => refused.push(RefusedTrigger {
                            reference: reference.clone(),
                            reason: reason.clone(),
                        }),
                    }
                }
                let verdict = match &answer.patch {
                    Err(reason) => RunVerdict::PatchRefused {
                        reason: reason.clone(),
                    },
                    Ok(ops) if ops.is_empty() => RunVerdict::Unchanged,
                    Ok(ops) => self.patched(&order, ops),
                };
                let report = report(plugin, &run, verdict, decision, (triggers, refused));
                (report, profile)
            }
        }
    }

    /// The cascade's patch step on `order`, then the built-in checks the host's validation
    /// of a patched order starts with.
    fn patched(&self, order: &Order, ops: &[PatchOperation]) -> RunVerdict {
        match apply_hook_patch(order, ops, &self.order_limits, SystemTime::now()) {
            Err(reason) => RunVerdict::PatchRefused { reason },
            Ok(applied) => {
                let violations = checks::check_order(&applied.order);
                if violations.is_empty() {
                    RunVerdict::Patched {
                        operations: ops.to_vec(),
                        order: Box::new(Arc::unwrap_or_clone(applied.order)),
                    }
                } else {
                    RunVerdict::PatchRefused {
                        reason: format!(
                            "the patched order fails validation: {}",
                            crate::pipeline::describe(&violations)
                        ),
                    }
                }
            }
        }
    }
}

fn report<T>(
    plugin: &InstalledPlugin,
    run: &Run<T>,
    verdict: RunVerdict,
    decision: Decision,
    (triggers, refused_triggers): (Vec<Notification>, Vec<RefusedTrigger>),
) -> RunReport {
    RunReport {
        decision,
        plugin: plugin.manifest.id.clone(),
        kind: plugin.manifest.kind,
        verdict,
        triggers,
        refused_triggers,
        fuel_consumed: run.fuel_consumed,
        memory_peak: run.memory_peak,
        instantiate_time: run.instantiate_time,
        duration: run.duration,
        log: run.log.clone(),
    }
}

/// Parses an order file's text as the host parses a request body: the model's types,
/// unknown fields refused, with the JSON path of the first problem.
pub fn parse_order(text: &str) -> Result<Order, model::ModelError> {
    model::from_json(text)
}
