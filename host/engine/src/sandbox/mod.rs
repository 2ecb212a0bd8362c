//! The sandbox: wasmtime with the component model, running merchant plugins with a fresh
//! instance per invocation under per-plugin limits.
//!
//! It knows plugins and the WIT order types, and nothing of HTTP, storage or the
//! pipeline that calls it. Its API speaks the host's own types ([`CallContext`],
//! [`ChangeSummary`], [`crate::Violation`], [`HookAnswer`]); the generated WIT bindings
//! stay inside.
//!
//! - One [`wasmtime::Engine`] per [`Sandbox`], configured by [`SandboxConfig`]: fuel
//!   (unless turned off) and epoch interruption on, the pooling instance allocator, a
//!   host-wide wasm stack cap, and [ceilings](SandboxConfig::ceilings) no manifest can
//!   exceed.
//! - [`Sandbox::prepare`] compiles a component (or loads it from the in-memory or on-disk
//!   [artifact cache](artifact_cache)), refuses it if it imports anything but the
//!   `ordergate:checkout` interfaces, type-checks it against its world, runs its `init`
//!   with the plugin's configuration under the plugin's limits, and keeps the state `init`
//!   left as a snapshot every call starts from (Wizer's technique, with the
//!   `wasmtime-wizer` crate).
//! - [`Sandbox::validate`] and [`Sandbox::hook`] instantiate the plugin afresh from that
//!   snapshot (nothing leaks between orders or merchants), hand it a borrowed handle to the
//!   order's [`OrderView`], run it under its [`Limits`] and report a [`Run`]: the answer or
//!   the [`Fault`], fuel, peak memory, time and log.

pub mod artifact_cache;
mod call;
mod compile;
mod config;
mod epoch;
mod inspect;
mod limits;
mod profile;
mod run;
mod snapshot;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Engine, Store};

use crate::violation::Violation;
pub use crate::wit::OrderView;
use crate::wit::{self, OrderReader};
pub use call::{CallContext, ChangeSummary, HookAnswer};
pub use compile::{ArtifactSource, CompileError};
pub use config::{LogCeilings, SandboxConfig};
pub use inspect::ComponentInfo;
pub use limits::{LimitError, Limits, LimitsOverride};
pub use profile::Profile;
pub(crate) use run::micros;
pub use run::{Fault, LogLevel, LogLine, MAX_LOG_LINE_BYTES, PANIC_PREFIX, PluginLog, Run};

use artifact_cache::{ArtifactCache, content_hash};
use compile::{check_header, check_imports};
use limits::StoreLimiter;

/// What a plugin is for, which decides the world its component must implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PluginKind {
    /// Sees the candidate order before commit; world `validator`.
    Validation,
    /// Runs after a committed change; world `hook`.
    Hook,
}

impl PluginKind {
    /// The WIT world a component of this kind must implement.
    pub fn world(self) -> &'static str {
        match self {
            PluginKind::Validation => "validator",
            PluginKind::Hook => "hook",
        }
    }

    /// The function of its world the host calls on every change.
    fn entry_point(self) -> &'static str {
        match self {
            PluginKind::Validation => "validate",
            PluginKind::Hook => "handle",
        }
    }
}

/// A component compiled, type-checked, initialized with its configuration and
/// pre-instantiated from that initialized state: ready to run.
pub struct CompiledPlugin {
    kind: PluginKind,
    content_hash: String,
    size_bytes: usize,
    source: ArtifactSource,
    load_time: Duration,
    init_fuel: u64,
    pre: KindPre,
}

enum KindPre {
    Validation(wit::validator::ValidatorPre<HostState>),
    Hook(wit::hook::HookPre<HostState>),
}

impl KindPre {
    /// Type-checks `pre` against the world of `kind`.
    fn new(kind: PluginKind, pre: InstancePre<HostState>) -> Result<Self, CompileError> {
        let wrong_world = |reason| CompileError::WrongWorld {
            world: kind.world(),
            reason,
        };
        Ok(match kind {
            PluginKind::Validation => {
                KindPre::Validation(wit::validator::ValidatorPre::new(pre).map_err(wrong_world)?)
            }
            PluginKind::Hook => KindPre::Hook(wit::hook::HookPre::new(pre).map_err(wrong_world)?),
        })
    }
}

impl CompiledPlugin {
    /// The plugin's kind.
    pub fn kind(&self) -> PluginKind {
        self.kind
    }
    /// SHA-256 of the component bytes as uploaded, hex.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }
    /// Size of the component as uploaded, in bytes.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }
    /// Where the compiled code of the initialized component came from.
    pub fn source(&self) -> ArtifactSource {
        self.source
    }
    /// How long preparing took: compiling or loading, checking, `init` and the snapshot.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }
    /// Fuel the plugin's `init` consumed (0 when fuel is off): paid once, at install,
    /// instead of on every call.
    pub fn init_fuel(&self) -> u64 {
        self.init_fuel
    }
}

impl std::fmt::Debug for CompiledPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledPlugin")
            .field("kind", &self.kind)
            .field("content_hash", &self.content_hash)
            .field("size_bytes", &self.size_bytes)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// Per-invocation state of a store: limits accounting, the plugin's log and the order it
/// reads.
pub(crate) struct HostState {
    limiter: StoreLimiter,
    log: PluginLog,
    log_ceilings: LogCeilings,
    reader: OrderReader,
    /// Set for a profiled run only ([`Sandbox::validate_profiled`]).
    profiler: Option<Box<profile::Profiler>>,
}

impl wit::log::Host for HostState {
    fn log(&mut self, level: wit::log::Level, message: String) {
        use wit::log::Level;
        let level = match level {
            Level::Trace => LogLevel::Trace,
            Level::Debug => LogLevel::Debug,
            Level::Info => LogLevel::Info,
            Level::Warn => LogLevel::Warn,
            Level::Error => LogLevel::Error,
        };
        self.log.push(level, message, &self.log_ceilings);
    }
}

/// An epoch deadline no snapshot reaches (`u64::MAX` would overflow: wasmtime adds the
/// current epoch to it).
const NO_DEADLINE: u64 = u64::MAX / 2;

/// What the install-time run of `init` produced.
enum Initialized {
    /// The initialized component.
    Snapshot(Vec<u8>),
    /// `init` answered `err` with this message.
    Refused(String),
    /// `init` succeeded but its state could not be read back.
    Unreadable(wasmtime::Error),
}

/// The WebAssembly runtime of one host. Cheap to share behind an `Arc`; every method
/// takes `&self` and may be called from many threads.
pub struct Sandbox {
    engine: Engine,
    linker: Linker<HostState>,
    config: SandboxConfig,
    disk: Option<ArtifactCache>,
    memory: Mutex<HashMap<String, Component>>,
    _ticker: epoch::Ticker,
}

impl Sandbox {
    /// Creates the engine, the instance pool and the deadline clock.
    pub fn new(config: SandboxConfig) -> wasmtime::Result<Self> {
        let engine = Engine::new(&config.engine_config())?;
        let mut linker = Linker::new(&engine);
        wit::log::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)?;
        wit::validator::ordergate::checkout::view::add_to_linker::<HostState, HasSelf<OrderReader>>(
            &mut linker,
            |state| &mut state.reader,
        )?;
        let disk = match &config.cache_dir {
            Some(dir) => Some(ArtifactCache::open(dir, &engine)?),
            None => None,
        };
        let ticker = epoch::Ticker::start(&engine, config.epoch_tick)?;
        Ok(Self {
            engine,
            linker,
            config,
            disk,
            memory: Mutex::new(HashMap::new()),
            _ticker: ticker,
        })
    }

    /// The settings this sandbox was created with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Prepares a component as a plugin of `kind` with its configuration (JSON text):
    /// compiles it (or loads it from cache), checks its imports and its world, runs its
    /// `init(config)` under `limits`, and pre-instantiates the state `init` left, which
    /// every call then starts from.
    ///
    /// `init` answering `err` is [`CompileError::InitFailed`] with the plugin's message;
    /// `init` trapping or running out of its limits is [`CompileError::InitFaulted`].
    pub fn prepare(
        &self,
        kind: PluginKind,
        bytes: &[u8],
        config: &str,
        limits: &Limits,
    ) -> Result<CompiledPlugin, CompileError> {
        let start = Instant::now();
        check_header(bytes)?;
        let hash = content_hash(bytes);
        let (cx, instrumented) = match snapshot::instrument(bytes) {
            Ok(instrumented) => instrumented,
            // Wizer refuses what does not validate and what it cannot rewrite. A broken
            // upload, a forbidden import or a wrong world says more than "cannot be
            // pre-initialized", so those are looked for first.
            Err(err) => {
                let (component, _) = self.component(bytes)?;
                self.check(kind, &component)?;
                return Err(CompileError::Snapshot(err));
            }
        };
        let (component, _) = self.component(&instrumented)?;
        // The instrumented component has the plugin's imports and exports (and one export
        // more): checked before anything of the plugin runs.
        let instance_pre = self.check(kind, &component)?;

        let run = self.run(
            limits,
            OrderReader::default(),
            |store| instance_pre.instantiate(store),
            |instance, store| {
                let init = instance
                    .get_typed_func::<(&str,), (Result<(), String>,)>(&mut *store, "init")?;
                if let Err(message) = init.call(&mut *store, (config,))?.0 {
                    return Ok(Initialized::Refused(message));
                }
                // Reading the state back is the host's work, not the plugin's: it must not
                // be charged to (or stopped by) the plugin's budget.
                let fuel_left = store.get_fuel().ok();
                if fuel_left.is_some() {
                    store.set_fuel(u64::MAX)?;
                }
                store.set_epoch_deadline(NO_DEADLINE);
                let taken = snapshot::take(&cx, store, *instance);
                if let Some(left) = fuel_left {
                    store.set_fuel(left)?;
                }
                Ok(match taken {
                    Ok(bytes) => Initialized::Snapshot(bytes),
                    Err(err) => Initialized::Unreadable(err),
                })
            },
            // Only the refusal's message is the plugin's answer; the snapshot is the host's.
            |initialized| match initialized {
                Initialized::Refused(message) => message.len(),
                Initialized::Snapshot(_) | Initialized::Unreadable(_) => 0,
            },
        );
        let initialized = match run.outcome {
            Err(fault) => return Err(CompileError::InitFaulted { fault }),
            Ok(Initialized::Refused(message)) => return Err(CompileError::InitFailed { message }),
            Ok(Initialized::Unreadable(err)) => return Err(CompileError::Snapshot(err)),
            Ok(Initialized::Snapshot(bytes)) => bytes,
        };

        let (component, source) = self.component(&initialized)?;
        let instance_pre = self.check(kind, &component)?;
        Ok(CompiledPlugin {
            kind,
            content_hash: hash,
            size_bytes: bytes.len(),
            source,
            load_time: start.elapsed(),
            init_fuel: run.fuel_consumed,
            pre: KindPre::new(kind, instance_pre)?,
        })
    }

    /// Refuses a component that imports what the host does not offer or does not
    /// implement the world of `kind`; pre-instantiates it otherwise.
    fn check(
        &self,
        kind: PluginKind,
        component: &Component,
    ) -> Result<InstancePre<HostState>, CompileError> {
        check_imports(&self.engine, component)?;
        // The export that names the world first: "no `validate`" says what is wrong with
        // a component of another world, where "no `init`" would not.
        let entry = kind.entry_point();
        if component.get_export_index(None, entry).is_none() {
            return Err(CompileError::WrongWorld {
                world: kind.world(),
                reason: wasmtime::format_err!("no export `{entry}` found"),
            });
        }
        let instance_pre =
            self.linker
                .instantiate_pre(component)
                .map_err(|reason| CompileError::WrongWorld {
                    world: kind.world(),
                    reason,
                })?;
        KindPre::new(kind, instance_pre.clone())?;
        Ok(instance_pre)
    }

    /// Compiles `bytes`, or loads what an earlier compile of the same bytes left in memory
    /// or on disk.
    fn component(&self, bytes: &[u8]) -> Result<(Component, ArtifactSource), CompileError> {
        let hash = &content_hash(bytes);
        // The map stays consistent whatever a panicking holder did: one insert or none.
        let cached = self
            .memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .cloned();
        if let Some(component) = cached {
            return Ok((component.clone(), ArtifactSource::MemoryCache));
        }
        let (component, source) = match self.disk.as_ref().and_then(|d| d.load(&self.engine, hash))
        {
            Some(component) => (component, ArtifactSource::DiskCache),
            None => {
                let component =
                    Component::new(&self.engine, bytes).map_err(CompileError::Malformed)?;
                if let Some(disk) = &self.disk {
                    // A full disk must not stop the install: the plugin runs from memory
                    // and is recompiled after a restart.
                    if let Err(err) = disk.store(hash, &component) {
                        tracing::warn!(error = %err, "could not cache compiled plugin");
                    }
                }
                (component, ArtifactSource::Compiled)
            }
        };
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(hash.to_owned(), component.clone());
        Ok((component, source))
    }

    /// Runs a validation plugin on a fresh instance.
    ///
    /// The outcome is `Ok(Ok(()))` when the plugin accepts, `Ok(Err(violations))` when it
    /// refuses (each attributed to `ctx.plugin_id`), and `Err(fault)` when it could not
    /// answer within its limits or answered a violation whose path is not a JSON Pointer
    /// ([`Fault::InvalidOutput`]).
    pub fn validate(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &CallContext<'_>,
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
    ) -> Run<Result<(), Vec<Violation>>> {
        self.validate_with(plugin, limits, ctx, order, change, false)
            .0
    }

    /// [`Sandbox::validate`], with a guest profile of the run (Firefox profiler JSON), or
    /// why none could be taken.
    pub fn validate_profiled(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &CallContext<'_>,
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
    ) -> (Run<Result<(), Vec<Violation>>>, Profile) {
        let (run, profile) = self.validate_with(plugin, limits, ctx, order, change, true);
        (
            run,
            profile.unwrap_or_else(|| Err("no profile was taken".to_owned())),
        )
    }

    fn validate_with(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &CallContext<'_>,
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
        profiled: bool,
    ) -> (Run<Result<(), Vec<Violation>>>, Option<Profile>) {
        let KindPre::Validation(pre) = &plugin.pre else {
            let fault = wrong_kind(plugin.kind, PluginKind::Validation);
            return (Run::refused(fault), None);
        };
        let (wit_ctx, wit_change) = (ctx.to_wit(), change.to_wit());
        let profiler = profiled.then(|| self.profiler(ctx, pre.instance_pre().component()));
        let (run, profile) = self.run_profiled(
            limits,
            OrderReader::new(Arc::clone(order)),
            profiler,
            |store| pre.instantiate(store),
            |instance, store| {
                instance.call_validate(store, &wit_ctx, OrderReader::handle(), &wit_change)
            },
            call::violation_bytes,
        );
        let run = run.and_then(|answer| match answer {
            Ok(()) => Ok(Ok(())),
            Err(found) => call::violations(ctx.plugin_id, found).map(Err),
        });
        (run, profile)
    }

    /// Runs a hook plugin on a fresh instance.
    ///
    /// The outcome is `Ok(Ok(answer))` with the hook's patch and triggers (each checked on
    /// its own), `Ok(Err(message))` when the hook reports a failure itself, and
    /// `Err(fault)` when it could not answer within its limits.
    pub fn hook(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &CallContext<'_>,
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
    ) -> Run<Result<HookAnswer, String>> {
        self.hook_with(plugin, limits, ctx, order, change, false).0
    }

    /// [`Sandbox::hook`], with a guest profile of the run (Firefox profiler JSON), or why
    /// none could be taken.
    pub fn hook_profiled(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &CallContext<'_>,
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
    ) -> (Run<Result<HookAnswer, String>>, Profile) {
        let (run, profile) = self.hook_with(plugin, limits, ctx, order, change, true);
        (
            run,
            profile.unwrap_or_else(|| Err("no profile was taken".to_owned())),
        )
    }

    fn hook_with(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &CallContext<'_>,
        order: &Arc<OrderView>,
        change: &ChangeSummary<'_>,
        profiled: bool,
    ) -> (Run<Result<HookAnswer, String>>, Option<Profile>) {
        let KindPre::Hook(pre) = &plugin.pre else {
            return (
                Run::refused(wrong_kind(plugin.kind, PluginKind::Hook)),
                None,
            );
        };
        let (wit_ctx, wit_change) = (ctx.to_wit(), change.to_wit());
        let profiler = profiled.then(|| self.profiler(ctx, pre.instance_pre().component()));
        let (run, profile) = self.run_profiled(
            limits,
            OrderReader::new(Arc::clone(order)),
            profiler,
            |store| pre.instantiate(store),
            |instance, store| {
                instance.call_handle(store, &wit_ctx, OrderReader::handle(), &wit_change)
            },
            call::outcome_bytes,
        );
        (
            run.and_then(|answer| Ok(answer.map(call::hook_answer))),
            profile,
        )
    }

    /// A profiler of the plugin's modules, or why there is none.
    fn profiler(
        &self,
        ctx: &CallContext<'_>,
        component: &Component,
    ) -> Result<Box<profile::Profiler>, String> {
        profile::Profiler::new(&self.engine, ctx.plugin_id, component)
            .map(Box::new)
            .map_err(|e| format!("{e:#}"))
    }

    /// Instantiates, calls and accounts for one invocation. Every way a plugin can fail
    /// ends here as a [`Fault`]; the store (and the instance's pool slot) is dropped
    /// before returning, whatever happened.
    fn run<I, T>(
        &self,
        limits: &Limits,
        reader: OrderReader,
        instantiate: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<I>,
        call: impl FnOnce(&I, &mut Store<HostState>) -> wasmtime::Result<T>,
        result_bytes: impl FnOnce(&T) -> usize,
    ) -> Run<T> {
        self.run_profiled(limits, reader, None, instantiate, call, result_bytes)
            .0
    }

    /// [`Sandbox::run`], sampled by `profiler` when given: the profile (or why there is
    /// none) comes back beside the run.
    #[allow(clippy::type_complexity)]
    fn run_profiled<I, T>(
        &self,
        limits: &Limits,
        reader: OrderReader,
        profiler: Option<Result<Box<profile::Profiler>, String>>,
        instantiate: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<I>,
        call: impl FnOnce(&I, &mut Store<HostState>) -> wasmtime::Result<T>,
        result_bytes: impl FnOnce(&T) -> usize,
    ) -> (Run<T>, Option<Profile>) {
        let start = Instant::now();
        let (profiler, unprofiled) = match profiler {
            Some(Ok(profiler)) => (Some(profiler), None),
            Some(Err(why)) => (None, Some(Err(why))),
            None => (None, None),
        };
        let mut store = Store::new(
            &self.engine,
            HostState {
                limiter: StoreLimiter::new(limits),
                log: PluginLog::default(),
                log_ceilings: self.config.log,
                reader,
                profiler,
            },
        );
        store.limiter(|state| &mut state.limiter);
        let mut fuel_set = false;
        if self.config.fuel {
            // Fails only on an engine without fuel, which `self.config.fuel` rules out;
            // should it fail anyway, the run goes unmetered but still has its deadline.
            fuel_set = store.set_fuel(limits.fuel).is_ok();
        }
        let deadline = epoch::ticks(limits.deadline, self.config.epoch_tick);
        store.set_epoch_deadline(deadline);
        profile::install(&mut store, deadline);
        let outcome = match instantiate(&mut store) {
            Err(err) => Err((Fault::from_instantiate_error(&err), start.elapsed())),
            Ok(instance) => {
                let instantiated = start.elapsed();
                match call(&instance, &mut store) {
                    Ok(value) => {
                        let bytes = result_bytes(&value);
                        if bytes > limits.max_result_bytes {
                            Err((Fault::ResultTooLarge { bytes }, instantiated))
                        } else {
                            Ok((value, instantiated))
                        }
                    }
                    Err(err) => Err((Fault::from_error(&err), instantiated)),
                }
            }
        };
        let duration = start.elapsed();
        let fuel_consumed = match store.get_fuel() {
            Ok(left) if fuel_set => limits.fuel.saturating_sub(left),
            _ => 0,
        };
        let state = store.into_data();
        let (outcome, instantiate_time) = match outcome {
            Ok((value, t)) => (Ok(value), t),
            Err((fault, t)) => (Err(fault.with_panic_from(&state.log)), t),
        };
        let profile = match state.profiler {
            Some(profiler) => Some(profile::finish(*profiler)),
            None => unprofiled,
        };
        let run = Run {
            outcome,
            fuel_consumed,
            memory_peak: state.limiter.memory_peak,
            instantiate_time,
            duration,
            log: state.log,
        };
        (run, profile)
    }
}

fn wrong_kind(actual: PluginKind, wanted: PluginKind) -> Fault {
    Fault::Unavailable {
        message: format!("a {actual:?} plugin cannot be run as a {wanted:?} plugin"),
    }
}
