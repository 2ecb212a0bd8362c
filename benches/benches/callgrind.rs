//! The CI guard on the hot paths: instruction counts under callgrind (through `gungraun`),
//! which a shared, noisy machine does not move, with absolute ceilings that fail the run
//! when exceeded.
//!
//! - `validation_20`: one validation all-in, max-quantity, 20 lines;
//! - `apply_10_ops`: applying a 10-operation hook patch to a 20-line order;
//! - `mutation_bare`: a 20-line `SetCart` with no plugins and no notifications;
//! - `mutation_full`: the same with 5 validations, 3 hooks and 100 notifications.
//!
//! Each is set up (host built, plugins installed, one call made so the path is warm) and
//! torn down outside the count; only the one operation is counted.
//!
//! The ceilings are in `benches/callgrind/ceilings.json` (compiled in): instructions
//! (callgrind's `Ir`) per build profile and benchmark. `bash benches/callgrind/refresh.sh` measures and
//! rewrites them (see there for the margin); with `ORDERGATE_CALLGRIND_REFRESH=1` the run
//! applies none. Run: `bash benches/callgrind/guard.sh` (installs valgrind and
//! `gungraun-runner` of the same version as `gungraun` when missing).

// gungraun's macros generate public modules without documentation.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use gungraun::{
    Callgrind, EventKind, LibraryBenchmarkConfig, library_benchmark, library_benchmark_group, main,
};
use ordergate::model::{Order, OrderLimits};
use ordergate::patch::{PatchOperation, patch_order};
use ordergate::{Host, InstalledPlugin, PluginKind, SandboxConfig};
use ordergate_benches::calls::validate_all_in;
use ordergate_benches::ten_replace_ops;
use ordergate_benches::*;
use serde_json::json;

/// The committed ceilings: benchmark name → instructions.
const CEILINGS: &str = include_str!("../callgrind/ceilings.json");

/// Callgrind with the ceiling of `name` as a hard limit on instructions, unless refreshing
/// (or no ceiling is recorded for it yet).
fn guarded(name: &str) -> LibraryBenchmarkConfig {
    // Instructions are what is guarded: no cache simulation (it doubles valgrind's time).
    let mut callgrind = Callgrind::with_args(["--cache-sim=no"]);
    let refreshing = std::env::var_os("ORDERGATE_CALLGRIND_REFRESH").is_some();
    // Ceilings are per build profile: the counts of an optimized build are not those of
    // the `dev` build CI checks.
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    let ceiling = serde_json::from_str::<serde_json::Value>(CEILINGS)
        .expect("benches/callgrind/ceilings.json is JSON")["ceilings"][profile][name]
        .as_u64();
    if let (false, Some(ceiling)) = (refreshing, ceiling) {
        callgrind.hard_limits([(EventKind::Ir, ceiling)]);
    }
    let mut config = LibraryBenchmarkConfig::default();
    config.tool(callgrind);
    config
}

/// A host valgrind can run: the default instance pool reserves address space for 128
/// linear memories (4 GiB each), more than valgrind maps; one instance at a time is all a
/// single-threaded benchmark uses. Its compiled plugins come from [`artifacts`], which
/// [`compile_natively`] fills: Cranelift under valgrind would take minutes.
fn small_host() -> Host {
    host_with(SandboxConfig {
        max_concurrent_instances: 1,
        cache_dir: Some(artifacts()),
        ..SandboxConfig::default()
    })
}

/// The artifact cache the benchmarks' hosts share: `<target>/ordergate-bench/callgrind-
/// artifacts`.
fn artifacts() -> PathBuf {
    results_dir().join("callgrind-artifacts")
}

/// The group's setup, which gungraun runs as a plain process (not under valgrind): compiles
/// every plugin the benchmarks install into [`artifacts`].
fn compile_natively() {
    drop(validation_rig());
    install_full_set(&small_host());
}

struct ValidationRig {
    host: Host,
    plugin: Arc<InstalledPlugin>,
    config: String,
    order: Arc<Order>,
}

fn validation_rig() -> ValidationRig {
    let (host, plugin) = plugin_on(
        small_host(),
        plugins::MAX_QUANTITY,
        "max-quantity",
        PluginKind::Validation,
        json!({"maxQuantity": MAX_QUANTITY}),
    );
    let rig = ValidationRig {
        host,
        config: plugin.manifest.config.to_string(),
        plugin,
        order: Arc::new(order(20)),
    };
    assert!(validate_all_in(&rig.host, &rig.plugin, &rig.config, &rig.order).is_empty());
    rig
}

#[library_benchmark(config = guarded("validation_20"))]
#[bench::max_quantity(setup = validation_rig, teardown = drop)]
fn validation_20(rig: ValidationRig) -> ValidationRig {
    black_box(validate_all_in(
        &rig.host,
        &rig.plugin,
        &rig.config,
        black_box(&rig.order),
    ));
    rig
}

fn patch_rig() -> (Arc<Order>, Vec<PatchOperation>) {
    let order = Arc::new(order(20));
    let ops = ten_replace_ops();
    patch_order(&order, &ops, &OrderLimits::default()).expect("the patch applies");
    (order, ops)
}

#[library_benchmark(config = guarded("apply_10_ops"))]
#[bench::twenty_lines(setup = patch_rig, teardown = drop)]
fn apply_10_ops(rig: (Arc<Order>, Vec<PatchOperation>)) -> (Arc<Order>, Vec<PatchOperation>) {
    black_box(
        patch_order(
            black_box(&rig.0),
            black_box(&rig.1),
            &OrderLimits::default(),
        )
        .ok(),
    );
    rig
}

fn mutation_rig(plugins: bool, notifications: usize) -> MutationRig {
    let rig = MutationRig::on(small_host(), plugins, notifications, 1);
    rig.mutate(0).expect("mutation commits");
    rig
}

#[library_benchmark(config = guarded("mutation_bare"))]
#[bench::no_plugins_no_notifications(setup = mutation_rig, args = (false, 0), teardown = drop)]
fn mutation_bare(rig: MutationRig) -> MutationRig {
    black_box(rig.mutate(0).is_ok());
    rig
}

#[library_benchmark(config = guarded("mutation_full"))]
#[bench::plugins_and_100_notifications(setup = mutation_rig, args = (true, 100), teardown = drop)]
fn mutation_full(rig: MutationRig) -> MutationRig {
    black_box(rig.mutate(0).is_ok());
    rig
}

library_benchmark_group!(
    name = hot_paths,
    setup = compile_natively(),
    benchmarks = [validation_20, apply_10_ops, mutation_bare, mutation_full]
);

main!(library_benchmark_groups = hot_paths);
