//! Host-wide settings of the sandbox, with the defaults a production host starts from.

use std::path::PathBuf;
use std::time::Duration;

use super::{LimitError, Limits, LimitsOverride};

/// Settings shared by every plugin of one host.
///
/// ```
/// use ordergate::SandboxConfig;
/// let config = SandboxConfig {
///     cache_dir: Some(std::env::temp_dir().join("ordergate-artifacts")),
///     ..SandboxConfig::default()
/// };
/// assert_eq!(config.max_concurrent_instances, 64);
/// ```
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where compiled plugins are kept across restarts; `None` keeps them in memory only.
    /// Default: `None`.
    pub cache_dir: Option<PathBuf>,
    /// Limits of a plugin whose manifest does not override them. Default: [`Limits::default`].
    pub default_limits: Limits,
    /// The size of a linear-memory slot in the instance pool, in bytes: no plugin can be
    /// granted more, whatever [`Self::ceilings`] says. Default: 256 MiB.
    pub max_memory_bytes: usize,
    /// The most a manifest may ask for, field by field: an install asking for more is
    /// refused ([`SandboxConfig::resolve_limits`]). Without them a manifest could give a
    /// looping plugin a one-hour deadline, and the order it runs on would stay locked for
    /// that hour. Defaults (10× the default limits, 4× for result bytes, the pool slot for
    /// memory):
    /// fuel 500 000 000 (a few hundred ms of wasm), deadline 1 s, memory 256 MiB, tables
    /// 100 000 elements, result 4 MiB.
    pub ceilings: Limits,
    /// What one run may log: beyond [`LogCeilings::lines`] lines or
    /// [`LogCeilings::bytes`] bytes, lines are counted, not kept. Default:
    /// [`LogCeilings::default`].
    pub log: LogCeilings,
    /// How many plugin instances may be alive at once across all threads (the pool size).
    /// One mutation runs its plugins one at a time, so this bounds concurrent mutations.
    /// Default: 64.
    pub max_concurrent_instances: u32,
    /// Native stack a plugin may use, in bytes. wasmtime sets this per engine, so it is
    /// host-wide rather than per plugin. Default: 512 KiB.
    pub max_wasm_stack: usize,
    /// How often the deadline clock ticks; deadlines are rounded up to whole ticks.
    /// Default: 1 ms.
    pub epoch_tick: Duration,
    /// Bytes of each linear memory kept resident (zeroed with `memset` rather than
    /// returned to the OS) when an instance slot is reused: fewer page faults per call.
    /// With [`Self::pagemap_scan`] only the pages a call dirtied are reset, so a plugin
    /// that touches little pays nothing for a larger figure, and one that reads a large
    /// cart in full (a few hundred KiB of guest memory) no longer faults those pages in on
    /// every call. Default: 512 KiB (measured in one run: small rules unchanged, a
    /// 200-line cart read line by line 0.77× the time it took at 128 KiB).
    pub keep_resident_bytes: usize,
    /// Whether plugins are metered in fuel: a deterministic instruction budget
    /// ([`Limits::fuel`]) and the fuel figure of every run. Without it the deadline alone
    /// bounds a plugin (still in bounded time, but where it stops depends on the machine),
    /// runs report 0 fuel, and compiled code is faster (the benchmarks measure by how
    /// much). Compiled artifacts depend on it, so changing it recompiles plugins.
    /// Default: `true`.
    pub fuel: bool,
    /// Whether a reused instance slot resets only the pages its last plugin dirtied, found
    /// with Linux's `PAGEMAP_SCAN` (kernel 6.7 or later; elsewhere the setting is ignored),
    /// instead of zeroing all of [`Self::keep_resident_bytes`] every time. Default: `true`.
    pub pagemap_scan: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            default_limits: Limits::default(),
            max_memory_bytes: 256 << 20,
            ceilings: Limits {
                fuel: 500_000_000,
                deadline: Duration::from_secs(1),
                memory_bytes: 256 << 20,
                table_elements: 100_000,
                max_result_bytes: 4 << 20,
            },
            log: LogCeilings::default(),
            max_concurrent_instances: 64,
            max_wasm_stack: 512 << 10,
            epoch_tick: Duration::from_millis(1),
            keep_resident_bytes: 512 << 10,
            fuel: true,
            pagemap_scan: true,
        }
    }
}

/// How much of what a plugin logs one run keeps: the log is part of every trace, so a
/// chatty plugin must not make traces (and the memory they hold) unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCeilings {
    /// Lines kept per run. Default: 100.
    pub lines: usize,
    /// Bytes of messages kept per run (each line is also cut to
    /// [`MAX_LOG_LINE_BYTES`](super::MAX_LOG_LINE_BYTES)). Default: 16 KiB.
    pub bytes: usize,
}

impl Default for LogCeilings {
    fn default() -> Self {
        Self {
            lines: 100,
            bytes: 16 << 10,
        }
    }
}

impl SandboxConfig {
    /// The limits of a plugin whose manifest states `overrides`: the overrides on top of
    /// [`Self::default_limits`], refused if any field is above its ceiling (memory also
    /// above [`Self::max_memory_bytes`], the pool slot). The registry calls it at install.
    ///
    /// ```
    /// use ordergate::{LimitsOverride, SandboxConfig};
    /// let config = SandboxConfig::default();
    /// let hour = LimitsOverride { deadline_ms: Some(3_600_000), ..LimitsOverride::default() };
    /// let err = config.resolve_limits(&hour).unwrap_err();
    /// assert_eq!(err.to_string(), "deadlineMs 3600000 exceeds this host's ceiling of 1000");
    /// ```
    pub fn resolve_limits(&self, overrides: &LimitsOverride) -> Result<Limits, LimitError> {
        let ceilings = Limits {
            memory_bytes: self.ceilings.memory_bytes.min(self.max_memory_bytes),
            ..self.ceilings
        };
        overrides.apply(self.default_limits).within(&ceilings)
    }

    pub(crate) fn engine_config(&self) -> wasmtime::Config {
        let mut pool = wasmtime::PoolingAllocationConfig::new();
        let instances = self.max_concurrent_instances;
        pool.total_component_instances(instances)
            // A component made by wit-component holds the plugin's module plus small
            // adapter modules (shims, fix-ups), each a core instance with its own table.
            .total_core_instances(instances.saturating_mul(8))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(8))
            .max_memory_size(self.max_memory_bytes)
            .linear_memory_keep_resident(self.keep_resident_bytes)
            .table_keep_resident(self.keep_resident_bytes / 2)
            .pagemap_scan(if self.pagemap_scan {
                wasmtime::Enabled::Auto
            } else {
                wasmtime::Enabled::No
            });

        let mut config = wasmtime::Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(self.fuel)
            .epoch_interruption(true)
            .max_wasm_stack(self.max_wasm_stack)
            .allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        config
    }
}
