//! The sandbox: wasmtime with the component model, running merchant plugins with a fresh
//! instance per invocation under per-plugin limits.
//!
//! It knows plugins and the WIT order types, and nothing of HTTP, storage or the
//! pipeline that calls it.
//!
//! - One [`wasmtime::Engine`] per [`Sandbox`], configured by [`SandboxConfig`]: fuel
//!   (unless turned off) and epoch interruption on, the pooling instance allocator, a host-wide wasm stack cap.
//! - [`Sandbox::compile`] compiles a component once (or loads it from the in-memory or
//!   on-disk [artifact cache](artifact_cache)), refuses it if it imports anything but the
//!   `ordergate:checkout` interfaces, type-checks it against its world and pre-instantiates
//!   it.
//! - [`Sandbox::validate`] instantiates the plugin afresh (nothing leaks between orders or
//!   merchants), hands it a borrowed handle to the order's [`OrderView`], runs it under its
//!   [`Limits`] and reports a [`Run`]: the verdict or the [`Fault`], fuel, peak memory, time
//!   and log.

pub mod artifact_cache;
mod config;
mod epoch;
mod limits;
mod run;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Engine, Store};

use crate::wit::{self, OrderReader, OrderView};
pub use config::SandboxConfig;
pub use limits::{Limits, LimitsOverride};
pub(crate) use run::micros;
pub use run::{Fault, LogLevel, LogLine, MAX_LOG_LINE_BYTES, MAX_LOG_LINES, PluginLog, Run};

use artifact_cache::{ArtifactCache, content_hash};
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
}

/// Why a component cannot be installed.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly component: the bytes do not start with the wasm magic number")]
    NotWasm,
    /// The bytes are a core module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component: build it with the ordergate \
         guest SDK and turn it into a component (e.g. `wasm-tools component new`)"
    )]
    CoreModule,
    /// wasmtime refused to compile the component.
    #[error("malformed component: {0:#}")]
    Malformed(wasmtime::Error),
    /// The component imports something the host does not offer.
    #[error(
        "the component imports `{import}`, which ordergate does not offer: plugins may \
         import only `ordergate:checkout/log` (no filesystem, network, clock, randomness \
         or environment; a guest built for wasm32-wasip2 imports WASI)"
    )]
    ForbiddenImport {
        /// The offending import's name.
        import: String,
    },
    /// The component does not implement the world of its kind.
    #[error("the component does not implement the `{world}` world: {reason:#}")]
    WrongWorld {
        /// The world the plugin's kind requires.
        world: &'static str,
        /// What wasmtime found missing or mistyped.
        reason: wasmtime::Error,
    },
}

/// Where a compiled plugin came from, and what it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ArtifactSource {
    /// Compiled now with Cranelift.
    Compiled,
    /// Loaded from the on-disk artifact cache.
    DiskCache,
    /// Shared with an already loaded copy of the same bytes.
    MemoryCache,
}

/// A component compiled, type-checked and pre-instantiated for its kind: ready to run.
pub struct CompiledPlugin {
    kind: PluginKind,
    content_hash: String,
    size_bytes: usize,
    source: ArtifactSource,
    load_time: Duration,
    pre: KindPre,
}

enum KindPre {
    Validation(wit::validator::ValidatorPre<HostState>),
    Hook(wit::hook::HookPre<HostState>),
}

impl CompiledPlugin {
    /// The plugin's kind.
    pub fn kind(&self) -> PluginKind {
        self.kind
    }
    /// SHA-256 of the component bytes, hex.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }
    /// Size of the component, in bytes.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }
    /// Where the compiled code came from.
    pub fn source(&self) -> ArtifactSource {
        self.source
    }
    /// How long compiling or loading took.
    pub fn load_time(&self) -> Duration {
        self.load_time
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
    reader: wit::OrderReader,
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
        self.log.push(level, message);
    }
}

/// Interfaces a plugin may import: the package's own. Anything else is refused.
const ALLOWED_IMPORT_PREFIX: &str = "ordergate:checkout/";
const ALLOWED_INTERFACES: [&str; 4] = ["log", "types", "view", "patch"];

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
        wit::validator::ordergate::checkout::view::add_to_linker::<
            HostState,
            HasSelf<wit::OrderReader>,
        >(&mut linker, |state| &mut state.reader)?;
        let disk = match &config.cache_dir {
            Some(dir) => Some(ArtifactCache::open(dir, &engine)?),
            None => None,
        };
        let ticker = epoch::Ticker::start(&engine, config.epoch_tick);
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

    /// Compiles (or loads from cache), checks and pre-instantiates a component as a
    /// plugin of `kind`.
    pub fn compile(&self, kind: PluginKind, bytes: &[u8]) -> Result<CompiledPlugin, CompileError> {
        let start = Instant::now();
        check_header(bytes)?;
        let hash = content_hash(bytes);
        let (component, source) = self.component(bytes, &hash)?;
        check_imports(&self.engine, &component)?;
        let instance_pre =
            self.linker
                .instantiate_pre(&component)
                .map_err(|reason| CompileError::WrongWorld {
                    world: kind.world(),
                    reason,
                })?;
        let pre = match kind {
            PluginKind::Validation => {
                KindPre::Validation(wit::validator::ValidatorPre::new(instance_pre).map_err(
                    |reason| CompileError::WrongWorld {
                        world: kind.world(),
                        reason,
                    },
                )?)
            }
            PluginKind::Hook => {
                KindPre::Hook(wit::hook::HookPre::new(instance_pre).map_err(|reason| {
                    CompileError::WrongWorld {
                        world: kind.world(),
                        reason,
                    }
                })?)
            }
        };
        Ok(CompiledPlugin {
            kind,
            content_hash: hash,
            size_bytes: bytes.len(),
            source,
            load_time: start.elapsed(),
            pre,
        })
    }

    fn component(
        &self,
        bytes: &[u8],
        hash: &str,
    ) -> Result<(Component, ArtifactSource), CompileError> {
        if let Some(component) = self.memory.lock().expect("cache lock").get(hash) {
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
            .expect("cache lock")
            .insert(hash.to_owned(), component.clone());
        Ok((component, source))
    }

    /// Runs a validation plugin on a fresh instance.
    ///
    /// The outcome is `Ok(Ok(()))` when the plugin accepts, `Ok(Err(violations))` when it
    /// refuses, and `Err(fault)` when it could not answer within its limits.
    pub fn validate(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &wit::Context,
        order: &Arc<OrderView>,
        change: &wit::Change,
    ) -> Run<Result<(), Vec<wit::Violation>>> {
        let KindPre::Validation(pre) = &plugin.pre else {
            return Run::refused(wrong_kind(plugin.kind, PluginKind::Validation));
        };
        self.run(
            limits,
            order,
            |store| pre.instantiate(store),
            |instance, store| instance.call_validate(store, ctx, OrderReader::handle(), change),
            |verdict| match verdict {
                Ok(()) => 0,
                Err(violations) => violations
                    .iter()
                    .map(|v| 64 + v.path.len() + v.code.len() + v.message.len())
                    .sum(),
            },
        )
    }

    /// Runs a hook plugin on a fresh instance.
    ///
    /// The outcome is `Ok(Ok(outcome))` with the hook's patch and triggers,
    /// `Ok(Err(message))` when the hook reports a failure itself, and `Err(fault)` when it
    /// could not answer within its limits.
    pub fn hook(
        &self,
        plugin: &CompiledPlugin,
        limits: &Limits,
        ctx: &wit::Context,
        order: &Arc<OrderView>,
        change: &wit::Change,
    ) -> Run<Result<wit::Outcome, String>> {
        let KindPre::Hook(pre) = &plugin.pre else {
            return Run::refused(wrong_kind(plugin.kind, PluginKind::Hook));
        };
        self.run(
            limits,
            order,
            |store| pre.instantiate(store),
            |instance, store| instance.call_handle(store, ctx, OrderReader::handle(), change),
            |answer| match answer {
                Err(message) => message.len(),
                Ok(outcome) => {
                    let ops: usize = outcome
                        .operations
                        .iter()
                        .map(|op| {
                            64 + op.path.len()
                                + op.from.as_ref().map_or(0, String::len)
                                + op.value.as_ref().map_or(0, String::len)
                        })
                        .sum();
                    let triggers: usize = outcome
                        .triggers
                        .iter()
                        .map(|t| {
                            64 + t.reference.len()
                                + t.scope.len()
                                + t.schema.len()
                                + t.description.as_ref().map_or(0, String::len)
                                + t.invoke.as_ref().map_or(0, String::len)
                        })
                        .sum();
                    ops + triggers
                }
            },
        )
    }

    /// Instantiates, calls and accounts for one invocation. Every way a plugin can fail
    /// ends here as a [`Fault`]; the store (and the instance's pool slot) is dropped
    /// before returning, whatever happened.
    fn run<I, T>(
        &self,
        limits: &Limits,
        order: &Arc<OrderView>,
        instantiate: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<I>,
        call: impl FnOnce(&I, &mut Store<HostState>) -> wasmtime::Result<T>,
        result_bytes: impl FnOnce(&T) -> usize,
    ) -> Run<T> {
        let start = Instant::now();
        let mut store = Store::new(
            &self.engine,
            HostState {
                limiter: StoreLimiter::new(limits),
                log: PluginLog::default(),
                reader: OrderReader::new(order.clone()),
            },
        );
        store.limiter(|state| &mut state.limiter);
        if self.config.fuel {
            store
                .set_fuel(limits.fuel)
                .expect("fuel is enabled on this engine");
        }
        store.set_epoch_deadline(epoch::ticks(limits.deadline, self.config.epoch_tick));

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
            Ok(left) => limits.fuel - left,
            Err(_) => 0,
        };
        let state = store.into_data();
        let (outcome, instantiate_time) = match outcome {
            Ok((value, t)) => (Ok(value), t),
            Err((fault, t)) => (Err(fault), t),
        };
        Run {
            outcome,
            fuel_consumed,
            memory_peak: state.limiter.memory_peak,
            instantiate_time,
            duration,
            log: state.log,
        }
    }
}

fn wrong_kind(actual: PluginKind, wanted: PluginKind) -> Fault {
    Fault::Unavailable {
        message: format!("a {actual:?} plugin cannot be run as a {wanted:?} plugin"),
    }
}

/// Tells a component from a core module or garbage before handing bytes to the compiler,
/// so the error says what to do.
fn check_header(bytes: &[u8]) -> Result<(), CompileError> {
    const MAGIC: &[u8] = b"\0asm";
    // Layer 0 is a core module (version 1); layer 1 is a component.
    const CORE_MODULE: &[u8] = &[1, 0, 0, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(CompileError::NotWasm);
    }
    if &bytes[4..8] == CORE_MODULE {
        return Err(CompileError::CoreModule);
    }
    Ok(())
}

fn check_imports(engine: &Engine, component: &Component) -> Result<(), CompileError> {
    for (name, item) in component.component_type().imports(engine) {
        // A world's `use view.{order}` becomes a top-level import of the type `order`: a
        // name for a type grants nothing, so only instances and functions are checked.
        if matches!(item.ty, ComponentItem::Type(_) | ComponentItem::Resource(_)) {
            continue;
        }
        let allowed = name
            .strip_prefix(ALLOWED_IMPORT_PREFIX)
            .and_then(|rest| rest.split('@').next())
            .is_some_and(|interface| ALLOWED_INTERFACES.contains(&interface));
        if !allowed {
            return Err(CompileError::ForbiddenImport {
                import: name.to_owned(),
            });
        }
    }
    Ok(())
}
