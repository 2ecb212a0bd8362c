//! A shadow version's runs and how often it agreed with the active version.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::{Decision, Input, Observation, lock};
use crate::clock::rfc3339;
use crate::pipeline::plugin_context_of;
use crate::registry::InstalledPlugin;
use crate::runner::RunContext;
use crate::sandbox::{ChangeSummary, PluginKind, Sandbox, micros};
use crate::store::Tenant;

/// How many differing cases a report keeps (the latest).
pub const MAX_CASES: usize = 50;

/// How a shadow version compares with the active one, on this host, since it was uploaded
/// (or since the host started).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowReport {
    /// The shadow version.
    pub shadow_version: u32,
    /// Runs on live changes.
    pub runs: u64,
    /// Runs that decided as the active version did (or, for an id without an active
    /// version, as its absence does: accepted, unchanged).
    pub agreed: u64,
    /// Runs that did not.
    pub differed: u64,
    /// Runs in which the shadow faulted (also counted as agreed or differed).
    pub faulted: u64,
    /// Runs not made because the observer's queue was full.
    pub dropped: u64,
    /// The latest differing runs, oldest first (at most [`MAX_CASES`]).
    pub cases: Vec<ShadowCase>,
}

/// One run where the shadow decided otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShadowCase {
    /// When the shadow ran (RFC 3339).
    pub at: String,
    /// The order.
    pub order_id: String,
    /// The cascade depth of the change.
    pub depth: u32,
    /// The active version that decided, if any.
    pub active_version: Option<u32>,
    /// What it decided.
    pub active: Decision,
    /// What the shadow decided.
    pub shadow: Decision,
    /// The shadow's fuel.
    pub fuel_consumed: u64,
    /// The shadow's time; serialized as `durationUs`, in microseconds.
    #[serde(rename = "durationUs", with = "micros")]
    pub duration: Duration,
}

/// What one shadow run gave.
pub(super) struct ShadowRun {
    decision: Decision,
    fuel: u64,
    duration: Duration,
}

/// Runs the shadow on `input` under its own limits.
pub(super) fn run(
    sandbox: &Sandbox,
    shadow: &InstalledPlugin,
    context: &RunContext,
    input: &Input,
) -> ShadowRun {
    let ctx = plugin_context_of(
        &context.merchant,
        &context.channel,
        context.acting_adapter_id.as_deref(),
        shadow,
    );
    let change = ChangeSummary {
        touched: &input.change.touched,
        from_status: input.change.from_status,
        to_status: input.change.to_status,
    };
    let (compiled, limits) = (shadow.compiled(), &shadow.limits);
    match shadow.manifest.kind {
        PluginKind::Validation => {
            let run = sandbox.validate(compiled, limits, &ctx, &input.order, &change);
            ShadowRun {
                decision: Decision::of_validation(&run.outcome),
                fuel: run.fuel_consumed,
                duration: run.duration,
            }
        }
        PluginKind::Hook => {
            let run = sandbox.hook(compiled, limits, &ctx, &input.order, &change);
            ShadowRun {
                decision: Decision::of_hook(&run.outcome),
                fuel: run.fuel_consumed,
                duration: run.duration,
            }
        }
    }
}

/// The reports, per tenant, plugin id and shadow version.
#[derive(Default)]
pub(super) struct Tallies {
    reports: Mutex<HashMap<(Tenant, String, u32), ShadowReport>>,
}

impl Tallies {
    pub(super) fn record(
        &self,
        tenant: &Tenant,
        shadow: &InstalledPlugin,
        active_version: Option<u32>,
        input: &Input,
        expected: Decision,
        run: ShadowRun,
    ) {
        let key = (tenant.clone(), shadow.manifest.id.clone(), shadow.version);
        let mut reports = lock(&self.reports);
        let report = reports.entry(key).or_insert_with(|| ShadowReport {
            shadow_version: shadow.version,
            ..ShadowReport::default()
        });
        report.runs += 1;
        if run.decision.verdict == "faulted" {
            report.faulted += 1;
        }
        if run.decision.agrees_with(&expected) {
            report.agreed += 1;
            return;
        }
        report.differed += 1;
        let mut cases = VecDeque::from(std::mem::take(&mut report.cases));
        if cases.len() == MAX_CASES {
            cases.pop_front();
        }
        cases.push_back(ShadowCase {
            at: rfc3339(SystemTime::now()),
            order_id: input.order.order().id.clone(),
            depth: input.depth,
            active_version,
            active: expected,
            shadow: run.decision,
            fuel_consumed: run.fuel,
            duration: run.duration,
        });
        report.cases = cases.into();
    }

    /// Counts the shadows of `observations` as dropped.
    pub(super) fn dropped(&self, tenant: &Tenant, observations: &[Observation]) {
        let mut reports = lock(&self.reports);
        for observation in observations {
            if let Observation::Shadow { shadow, .. } = observation {
                let key = (tenant.clone(), shadow.manifest.id.clone(), shadow.version);
                let report = reports.entry(key).or_insert_with(|| ShadowReport {
                    shadow_version: shadow.version,
                    ..ShadowReport::default()
                });
                report.dropped += 1;
            }
        }
    }

    pub(super) fn report(&self, tenant: &Tenant, id: &str, version: u32) -> ShadowReport {
        let key = (tenant.clone(), id.to_owned(), version);
        lock(&self.reports)
            .get(&key)
            .cloned()
            .unwrap_or_else(|| ShadowReport {
                shadow_version: version,
                ..ShadowReport::default()
            })
    }
}

/// The observation that runs `shadow` on `input`, expecting what the active version
/// decided there (`None`: no active version of the id ran).
pub(crate) fn observe(
    shadow: &Arc<InstalledPlugin>,
    active: Option<(&InstalledPlugin, &Decision)>,
    input: &Input,
) -> Observation {
    Observation::Shadow {
        shadow: Arc::clone(shadow),
        active_version: active.map(|(plugin, _)| plugin.version),
        input: input.clone(),
        expected: match active {
            Some((_, decision)) => decision.clone(),
            None => Decision::absent(shadow.manifest.kind == PluginKind::Validation),
        },
    }
}
