//! A loop to run under a profiler: one stage of the suite, nothing else, so `perf record`
//! sees only that stage (the criterion binary also runs every group's set-up). At the end
//! it prints the median and p99 of one round, so that two builds (before and after a
//! change) can be compared back to back on a shared machine.
//!
//! `cargo build --release -p ordergate-benches --example profile` then
//! `perf record -g target/release/examples/profile <stage> 20 200000`, stages:
//! - `validation`: one max-quantity call all-in;
//! - `mutation`: a 20-line SetCart, 5 validations, 3 hooks, 100 notifications
//!   (`mutation/full`);
//! - `mutation-no-plugins`: the same without plugins (`mutation/no-plugins`);
//! - `mutation-bare`: no plugins and no notifications (`mutation/bare`);
//! - `patch`: `patch_order` with 10 replace operations (`hook/apply-10-ops`);
//! - `plugin-load`: a fresh host installing max-quantity from a warm disk cache, what a
//!   restart pays per plugin.

use std::sync::Arc;
use std::time::Instant;

use ordergate::model::{OrderLimits, OrderStatus};
use ordergate::patch::patch_order;
use ordergate::{ChangeSummary, OrderView};
use ordergate::{PluginKind, SandboxConfig};
use ordergate_benches::*;
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stage = args.get(1).map_or("validation", String::as_str);
    let lines: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20);
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let fuel = std::env::var_os("ORDERGATE_NO_FUEL").is_none();
    let mut samples: Vec<u64> = Vec::with_capacity(rounds);
    let mut timed = |round: &mut dyn FnMut()| {
        for _ in 0..rounds {
            let start = Instant::now();
            round();
            samples.push(start.elapsed().as_nanos() as u64);
        }
    };
    match stage {
        "validation" => {
            let sandbox = SandboxConfig {
                fuel,
                ..SandboxConfig::default()
            };
            let (host, plugin) = plugin_on(
                host_with(sandbox),
                plugins::MAX_QUANTITY,
                "max-quantity",
                PluginKind::Validation,
                json!({"maxQuantity": MAX_QUANTITY}),
            );
            let config = serde_json::to_string(&plugin.manifest.config).expect("config");
            let ctx = call_context("max-quantity", &config);
            let touched = ["/cart".to_owned()];
            let change = ChangeSummary {
                touched: &touched,
                from_status: Some(OrderStatus::Checkout),
                to_status: None,
            };
            let order = Arc::new(order(lines));
            timed(&mut || {
                let view = Arc::new(OrderView::new(Arc::clone(&order)));
                let run = host.sandbox().validate(
                    plugin.compiled(),
                    &plugin.limits,
                    &ctx,
                    &view,
                    &change,
                );
                assert!(matches!(run.outcome, Ok(Ok(()))));
            });
        }
        "mutation" | "mutation-no-plugins" | "mutation-bare" => {
            let notifications = if stage == "mutation-bare" { 0 } else { 100 };
            let rig = MutationRig::new(stage == "mutation", notifications, 1);
            timed(&mut || {
                rig.mutate(0).expect("mutation commits");
            });
        }
        "plugin-load" => {
            // What a restarted host pays per plugin on a tenant's first need: a fresh host
            // (empty memory cache) loading max-quantity from a warm disk cache.
            let cache = tempfile::tempdir().expect("cache dir");
            let sandbox = SandboxConfig {
                cache_dir: Some(cache.path().to_owned()),
                ..SandboxConfig::default()
            };
            let bytes = plugin(plugins::MAX_QUANTITY);
            timed(&mut || {
                let host = host_with(sandbox.clone());
                host.registry()
                    .install(
                        &scope().tenant,
                        manifest("max-quantity", &["cart"], json!({"maxQuantity": 10})),
                        &bytes,
                    )
                    .expect("installs");
            });
        }
        "patch" => {
            let order = order(lines);
            let ops = ten_replace_ops();
            let limits = OrderLimits::default();
            timed(&mut || {
                patch_order(&order, &ops, &limits).expect("patch applies");
            });
        }
        other => panic!(
            "unknown stage {other}: validation, mutation, mutation-no-plugins, mutation-bare, \
             patch or plugin-load"
        ),
    }
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize] as f64 / 1e3;
    println!(
        "{stage} {lines} lines, {rounds} rounds: median {:.1} µs, p99 {:.1} µs",
        at(0.5),
        at(0.99)
    );
}
