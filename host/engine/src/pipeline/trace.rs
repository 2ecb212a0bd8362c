//! What a mutation did, plugin by plugin: the record a merchant reads to understand why an
//! order was accepted or refused, and what each plugin cost.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::budget::Budget;
use crate::registry::{InstalledPlugin, OnFault};
use crate::sandbox::{Fault, PluginKind, PluginLog, Run};

/// Every plugin run of one mutation, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// The request that asked for the mutation ([`super::Scope::request_id`]), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Arc<str>>,
    /// How many times the mutation was computed: more than 1 when a concurrent write to
    /// the same order forced a retry (the trace then shows the last attempt).
    pub attempts: u32,
    /// The plugins that ran, in order: the mutation's validations (depth 0), then each
    /// hook of the cascade followed by the validations its patch went through.
    pub plugins: Vec<PluginTrace>,
    /// Notification events recorded, in order.
    pub notifications: Vec<FiredNotification>,
    /// What stopped or disturbed the cascade (e.g. the depth bound, a spent budget).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<TraceError>,
}

/// Something that stopped or disturbed a mutation's cascade without refusing the mutation:
/// what committed stays committed, and the trace says what did not happen and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum TraceError {
    /// A change was deeper than [`Budgets::max_cascade_depth`](super::Budgets): its hooks
    /// did not run.
    #[error(
        "cascade stopped at depth {depth}: the bound is {bound}; hooks not run: {}",
        hooks.join(", ")
    )]
    CascadeDepth {
        /// The depth of the change.
        depth: u32,
        /// The bound.
        bound: u32,
        /// The hooks that would have run.
        hooks: Vec<String>,
    },
    /// A per-mutation budget ran out: nothing more of the cascade ran.
    #[error("cascade stopped: the budget of {budget} ({limit}) is spent")]
    BudgetExceeded {
        /// Which budget.
        budget: Budget,
        /// Its limit (milliseconds for time).
        limit: u64,
    },
    /// A hook could not run: the store failed, or the order kept changing under it.
    #[error("hook `{hook}` did not run: {reason}")]
    HookNotRun {
        /// The hook.
        hook: String,
        /// Why.
        reason: String,
    },
    /// A hook answered with more triggers than [`Budgets::max_triggers_per_hook`](super::Budgets):
    /// none of them was evaluated.
    #[error("hook `{hook}`: {count} triggers exceed the limit of {limit}; none was evaluated")]
    TooManyTriggers {
        /// The hook.
        hook: String,
        /// How many it returned.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A hook's trigger failed the checks a notification passes.
    #[error("hook `{hook}`: trigger `{reference}` refused: {reason}")]
    TriggerRefused {
        /// The hook.
        hook: String,
        /// The trigger's reference.
        reference: String,
        /// Why.
        reason: String,
    },
    /// A notification could not be evaluated on a change.
    #[error("notification `{reference}` ({origin}) could not be evaluated: {reason}")]
    NotificationNotEvaluated {
        /// The notification's reference.
        reference: String,
        /// `order`, or the hook whose trigger it was.
        origin: String,
        /// Why.
        reason: String,
    },
    /// The events of a hook's triggers could not be recorded.
    #[error("hook `{hook}`: could not record its notification events: {reason}")]
    EventsNotRecorded {
        /// The hook.
        hook: String,
        /// Why.
        reason: String,
    },
}

/// A notification that fired: an event was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredNotification {
    /// The recorded event's id.
    pub event_id: String,
    /// The notification's reference.
    pub reference: String,
    /// Its scope.
    pub scope: String,
    /// `order` for a notification on the order, else the id of the hook whose trigger it was.
    pub source: String,
    /// The cascade depth of the change it fired on (0: the mutation itself).
    pub depth: u32,
}

/// One plugin run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginTrace {
    /// The plugin id.
    pub plugin: String,
    /// The installed version that ran.
    pub version: u32,
    /// Validation or hook.
    pub kind: PluginKind,
    /// The cascade depth of the change it ran on (0: the mutation itself; 1: a change made
    /// by a hook on the mutation; …).
    pub depth: u32,
    /// What it decided.
    pub verdict: Verdict,
    /// Fuel (≈ wasm instructions) consumed.
    pub fuel_consumed: u64,
    /// Peak linear memory, bytes.
    pub memory_peak: usize,
    /// Time to create the fresh instance; serialized as `instantiateUs`, in microseconds.
    #[serde(rename = "instantiateUs", with = "crate::sandbox::micros")]
    pub instantiate_time: Duration,
    /// Total time of the run; serialized as `durationUs`, in microseconds.
    #[serde(rename = "durationUs", with = "crate::sandbox::micros")]
    pub duration: Duration,
    /// What the plugin logged.
    pub log: PluginLog,
}

impl PluginTrace {
    pub(crate) fn new<T>(
        plugin: &InstalledPlugin,
        depth: u32,
        run: &Run<T>,
        verdict: Verdict,
    ) -> Self {
        Self {
            plugin: plugin.manifest.id.clone(),
            version: plugin.version,
            kind: plugin.manifest.kind,
            depth,
            verdict,
            fuel_consumed: run.fuel_consumed,
            memory_peak: run.memory_peak,
            instantiate_time: run.instantiate_time,
            duration: run.duration,
            log: run.log.clone(),
        }
    }
}

/// A plugin's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "verdict",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Verdict {
    /// The validation accepted the order.
    Accepted,
    /// The validation refused it with this many violations.
    Rejected {
        /// How many.
        violations: usize,
    },
    /// The hook's patch was applied and committed.
    Patched {
        /// How many operations it had.
        operations: usize,
        /// The order version it produced.
        version: u64,
    },
    /// The hook returned no operations.
    Unchanged,
    /// The hook's patch was refused as a whole; the order is as it was.
    PatchRefused {
        /// Why, e.g. `operation 0 (replace /id): /id is read-only`.
        reason: String,
    },
    /// The hook reported a failure itself (`err` from `handle`).
    HookFailed {
        /// Its message.
        message: String,
    },
    /// The plugin faulted; for a validation, `onFault` says what that meant for the
    /// mutation (a hook's fault only drops its patch).
    Faulted {
        /// What went wrong.
        fault: Fault,
        /// The plugin's policy that was applied.
        on_fault: OnFault,
    },
}

impl Verdict {
    /// The verdict's name as the trace serializes it (`verdict`): `accepted`, `rejected`,
    /// `patched`, `unchanged`, `patchRefused`, `hookFailed` or `faulted`.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Rejected { .. } => "rejected",
            Verdict::Patched { .. } => "patched",
            Verdict::Unchanged => "unchanged",
            Verdict::PatchRefused { .. } => "patchRefused",
            Verdict::HookFailed { .. } => "hookFailed",
            Verdict::Faulted { .. } => "faulted",
        }
    }
}
