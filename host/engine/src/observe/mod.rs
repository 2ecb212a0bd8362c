//! What the host watches besides the mutation itself, off its critical path: shadow
//! versions run on the inputs the active versions ran on, and (when a merchant turns it
//! on) the inputs of recent runs are kept for replay.
//!
//! The pipeline collects [`Observation`]s while a mutation runs (nothing when the tenant
//! has no shadow and keeps nothing) and hands them over once the mutation is decided;
//! [`Observer::dispatch`] queues them on a bounded channel without waiting (a full queue
//! drops them, counted), and one worker thread runs the shadows under their own limits and
//! records the kept runs. A shadow can therefore neither slow, block nor change a
//! mutation: its time is spent on that thread, its answer only ever reaches its report.

mod decision;
mod kept;
mod shadow;

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use decision::Decision;
pub use kept::{KeptRun, Retention};
pub(crate) use shadow::observe as observe_shadow;
pub use shadow::{MAX_CASES, ShadowCase, ShadowReport};

use crate::registry::{InstalledPlugin, TenantPlugins};
use crate::runner::{ChangeInput, RunContext};
use crate::sandbox::{ChangeSummary, OrderView, Sandbox};
use crate::store::Tenant;
use kept::Kept;
use shadow::Tallies;

/// How many observations may wait for the worker. Beyond, new ones are dropped (and
/// counted in the shadow reports): the worker never holds a mutation back.
pub const QUEUE_CAPACITY: usize = 1024;

/// The input a plugin ran on, owned so it can outlive the mutation.
#[derive(Clone)]
pub(crate) struct Input {
    pub order: Arc<OrderView>,
    pub change: ChangeInput,
    pub acting_adapter_id: Option<String>,
    /// The cascade depth of the change (0: the mutation's own).
    pub depth: u32,
}

impl Input {
    pub(crate) fn new(
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
        acting_adapter_id: Option<&str>,
        depth: u32,
    ) -> Self {
        Self {
            order: Arc::clone(order),
            change: ChangeInput {
                touched: change.touched.to_vec(),
                from_status: change.from_status,
                to_status: change.to_status,
            },
            acting_adapter_id: acting_adapter_id.map(str::to_owned),
            depth,
        }
    }
}

/// What a mutation collects.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Watching {
    /// Shadow versions to run (the tenant has some).
    pub shadows: bool,
    /// Runs to keep (the tenant keeps them).
    pub runs: bool,
}

impl Watching {
    /// Whether anything is collected at all.
    pub(crate) fn any(self) -> bool {
        self.shadows || self.runs
    }
}

/// One thing seen during a mutation.
pub(crate) enum Observation {
    /// An active plugin ran: kept for replay when the tenant keeps runs.
    Ran {
        plugin: Arc<InstalledPlugin>,
        input: Input,
        decision: Decision,
        fuel: u64,
    },
    /// A shadow version to run on what its active version (or nothing) decided.
    Shadow {
        shadow: Arc<InstalledPlugin>,
        active_version: Option<u32>,
        input: Input,
        expected: Decision,
    },
}

enum Job {
    Observed(Tenant, Vec<Observation>),
    Flush(SyncSender<()>),
}

/// The queue, the worker and what it recorded: one per host.
pub(crate) struct Observer {
    queue: SyncSender<Job>,
    tallies: Arc<Tallies>,
    kept: Arc<Kept>,
}

impl Observer {
    /// Starts the worker thread, running shadows on `sandbox`. It ends when the observer
    /// is dropped.
    pub(crate) fn start(sandbox: Arc<Sandbox>) -> std::io::Result<Self> {
        let (queue, jobs) = mpsc::sync_channel(QUEUE_CAPACITY);
        let tallies = Arc::new(Tallies::default());
        let kept = Arc::new(Kept::default());
        let worker = Worker {
            sandbox,
            tallies: Arc::clone(&tallies),
            kept: Arc::clone(&kept),
        };
        std::thread::Builder::new()
            .name("ordergate-observer".to_owned())
            .spawn(move || worker.run(jobs))?;
        Ok(Self {
            queue,
            tallies,
            kept,
        })
    }

    /// What a mutation of `tenant` with these plugins has to observe: whether it has a
    /// shadow version, and whether it keeps runs. No lock when no tenant keeps runs.
    pub(crate) fn watches(&self, tenant: &Tenant, plugins: &TenantPlugins) -> Watching {
        Watching {
            shadows: plugins.has_shadows(),
            runs: self.kept.keeps(tenant),
        }
    }

    /// Hands a decided mutation's observations to the worker, without waiting.
    pub(crate) fn dispatch(&self, tenant: &Tenant, observations: Vec<Observation>) {
        if observations.is_empty() {
            return;
        }
        match self
            .queue
            .try_send(Job::Observed(tenant.clone(), observations))
        {
            Ok(()) => {}
            Err(TrySendError::Full(Job::Observed(tenant, observations))) => {
                self.tallies.dropped(&tenant, &observations);
            }
            // The worker is gone only if it panicked: observing stops, mutations go on.
            Err(_) => {}
        }
    }

    /// Waits until the worker has handled everything dispatched before the call.
    pub(crate) fn flush(&self) {
        let (done, wait) = mpsc::sync_channel(0);
        if self.queue.send(Job::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// The report of plugin `id`'s shadow version `version`.
    pub(crate) fn shadow_report(&self, tenant: &Tenant, id: &str, version: u32) -> ShadowReport {
        self.tallies.report(tenant, id, version)
    }

    /// Sets (or, with `None`, turns off and forgets) what `tenant` keeps.
    pub(crate) fn set_retention(&self, tenant: &Tenant, retention: Option<Retention>) {
        self.kept.set(tenant, retention);
    }

    /// What `tenant` keeps, if anything.
    pub(crate) fn retention(&self, tenant: &Tenant) -> Option<Retention> {
        self.kept.retention(tenant)
    }

    /// The kept runs of `tenant` (of plugin `plugin` when given) at or after `since`,
    /// oldest first, at most `limit`.
    pub(crate) fn kept_runs(
        &self,
        tenant: &Tenant,
        plugin: Option<&str>,
        since: Option<SystemTime>,
        limit: usize,
    ) -> Vec<KeptRun> {
        self.kept.runs(tenant, plugin, since, limit)
    }
}

struct Worker {
    sandbox: Arc<Sandbox>,
    tallies: Arc<Tallies>,
    kept: Arc<Kept>,
}

impl Worker {
    fn run(self, jobs: Receiver<Job>) {
        for job in jobs {
            match job {
                Job::Flush(done) => {
                    let _ = done.send(());
                }
                Job::Observed(tenant, observations) => {
                    let context = |acting: &Option<String>| RunContext {
                        merchant: tenant.merchant.clone(),
                        channel: tenant.channel.clone(),
                        acting_adapter_id: acting.clone(),
                    };
                    for observation in observations {
                        match observation {
                            Observation::Ran {
                                plugin,
                                input,
                                decision,
                                fuel,
                            } => {
                                let ctx = context(&input.acting_adapter_id);
                                self.kept.keep(&tenant, &plugin, ctx, input, decision, fuel);
                            }
                            Observation::Shadow {
                                shadow,
                                active_version,
                                input,
                                expected,
                            } => {
                                let ctx = context(&input.acting_adapter_id);
                                let run = shadow::run(&self.sandbox, &shadow, &ctx, &input);
                                self.tallies.record(
                                    &tenant,
                                    &shadow,
                                    active_version,
                                    &input,
                                    expected,
                                    run,
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A shared, poison-proof lock: what the worker and the routes read stays consistent
/// whatever a panicking holder did (every update is one insert or one counter).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
