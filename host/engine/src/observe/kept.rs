//! The inputs of recent plugin runs, kept per tenant when the merchant turns it on, for
//! `ordergate replay`. They hold orders, which hold personal data (names, addresses,
//! e-mails): off by default, bounded in count and bytes, in this host's memory only, and
//! forgotten when turned off.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{Decision, Input, lock};
use crate::model::Order;
use crate::registry::InstalledPlugin;
use crate::runner::{ChangeInput, RunContext};
use crate::sandbox::PluginKind;
use crate::store::Tenant;

/// What a tenant keeps: the latest runs, within both bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retention {
    /// The most runs kept (oldest dropped first). At most [`Retention::MAX_RUNS`].
    pub max_runs: usize,
    /// The most bytes of kept runs (their JSON). At most [`Retention::MAX_BYTES`].
    pub max_bytes: usize,
}

impl Retention {
    /// The ceiling of [`Retention::max_runs`].
    pub const MAX_RUNS: usize = 10_000;
    /// The ceiling of [`Retention::max_bytes`]: 64 MiB.
    pub const MAX_BYTES: usize = 64 << 20;

    /// Whether both bounds are within their ceilings.
    pub fn is_within_ceilings(&self) -> bool {
        self.max_runs <= Self::MAX_RUNS && self.max_bytes <= Self::MAX_BYTES
    }
}

/// One kept run: the input a plugin ran on and what it decided, as `ordergate replay`
/// reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptRun {
    /// `run_<n>`, in the order kept.
    pub id: String,
    /// The plugin id.
    pub plugin: String,
    /// The version that ran.
    pub version: u32,
    /// Validation or hook.
    pub kind: PluginKind,
    /// When it was kept (RFC 3339).
    pub at: String,
    /// The cascade depth of the change.
    pub depth: u32,
    /// Who asked.
    pub context: RunContext,
    /// The change the plugin was told about.
    pub change: ChangeInput,
    /// The order it saw.
    pub order: Order,
    /// What it decided.
    pub decision: Decision,
    /// Its fuel.
    pub fuel_consumed: u64,
}

#[derive(Default)]
struct TenantKept {
    retention: Option<Retention>,
    runs: VecDeque<(SystemTime, usize, KeptRun)>,
    bytes: usize,
    next: u64,
}

/// Every tenant's kept runs.
#[derive(Default)]
pub(super) struct Kept {
    tenants: Mutex<HashMap<Tenant, TenantKept>>,
    /// How many tenants keep anything: lets [`Kept::keeps`] skip the lock for a host
    /// where none does (the default).
    keeping: AtomicUsize,
}

impl Kept {
    pub(super) fn keeps(&self, tenant: &Tenant) -> bool {
        self.keeping.load(Ordering::Relaxed) > 0
            && lock(&self.tenants)
                .get(tenant)
                .is_some_and(|t| t.retention.is_some())
    }

    pub(super) fn set(&self, tenant: &Tenant, retention: Option<Retention>) {
        let mut tenants = lock(&self.tenants);
        let was = tenants.get(tenant).is_some_and(|t| t.retention.is_some());
        match retention {
            None => {
                tenants.remove(tenant);
            }
            Some(retention) => {
                let kept = tenants.entry(tenant.clone()).or_default();
                kept.retention = Some(retention);
                trim(kept);
            }
        }
        match (was, retention.is_some()) {
            (false, true) => {
                self.keeping.fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                self.keeping.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    pub(super) fn retention(&self, tenant: &Tenant) -> Option<Retention> {
        lock(&self.tenants).get(tenant).and_then(|t| t.retention)
    }

    pub(super) fn keep(
        &self,
        tenant: &Tenant,
        plugin: &InstalledPlugin,
        context: RunContext,
        input: Input,
        decision: Decision,
        fuel: u64,
    ) {
        // Turned off since the mutation: nothing to copy.
        if self.retention(tenant).is_none() {
            return;
        }
        let now = SystemTime::now();
        let mut run = KeptRun {
            id: String::new(),
            plugin: plugin.manifest.id.clone(),
            version: plugin.version,
            kind: plugin.manifest.kind,
            at: crate::clock::rfc3339(now),
            depth: input.depth,
            context,
            change: input.change,
            order: input.order.order().as_ref().clone(),
            decision,
            fuel_consumed: fuel,
        };
        // Sized outside the lock.
        let bytes = serde_json::to_vec(&run).map_or(0, |json| json.len());
        let mut tenants = lock(&self.tenants);
        let Some(kept) = tenants.get_mut(tenant).filter(|t| t.retention.is_some()) else {
            return;
        };
        kept.next += 1;
        run.id = format!("run_{}", kept.next);
        kept.bytes += bytes;
        kept.runs.push_back((now, bytes, run));
        trim(kept);
    }

    pub(super) fn runs(
        &self,
        tenant: &Tenant,
        plugin: Option<&str>,
        since: Option<SystemTime>,
        limit: usize,
    ) -> Vec<KeptRun> {
        let tenants = lock(&self.tenants);
        let Some(kept) = tenants.get(tenant) else {
            return Vec::new();
        };
        kept.runs
            .iter()
            .filter(|(at, _, run)| {
                since.is_none_or(|since| *at >= since) && plugin.is_none_or(|p| run.plugin == p)
            })
            .take(limit)
            .map(|(_, _, run)| run.clone())
            .collect()
    }
}

/// Drops the oldest runs until both bounds hold.
fn trim(kept: &mut TenantKept) {
    let Some(retention) = kept.retention else {
        return;
    };
    while kept.runs.len() > retention.max_runs || kept.bytes > retention.max_bytes {
        match kept.runs.pop_front() {
            Some((_, bytes, _)) => kept.bytes -= bytes,
            None => break,
        }
    }
}
