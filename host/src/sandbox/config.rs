//! Host-wide settings of the sandbox, with the defaults a production host starts from.

use std::path::PathBuf;
use std::time::Duration;

use super::Limits;

/// Settings shared by every plugin of one host.
///
/// ```
/// use ordergate::sandbox::SandboxConfig;
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
    /// The most linear memory any plugin may be granted, in bytes: the size of a slot in
    /// the instance pool. A manifest asking for more is refused at install.
    /// Default: 256 MiB.
    pub max_memory_bytes: usize,
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
    /// Default: 128 KiB.
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
            max_concurrent_instances: 64,
            max_wasm_stack: 512 << 10,
            epoch_tick: Duration::from_millis(1),
            keep_resident_bytes: 128 << 10,
            fuel: true,
            pagemap_scan: true,
        }
    }
}

impl SandboxConfig {
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
