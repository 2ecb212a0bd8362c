//! A loop to run under a profiler: one stage of the suite, nothing else, so `perf record`
//! sees only that stage (the criterion binary also runs every group's set-up).
//!
//! `cargo build --release -p ordergate-benches --example profile` then
//! `perf record -g target/release/examples/profile validation 20 200000` (or `mutation`,
//! `mutation-no-plugins`: a 20-line SetCart with 100 notifications on the order;
//! `plugin-load`: a fresh host installing max-quantity from a warm disk cache, what a
//! restart pays per plugin).

use std::sync::Arc;

use ordergate::model::OrderStatus;
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
            for _ in 0..rounds {
                let view = Arc::new(OrderView::new(Arc::clone(&order)));
                let run = host.sandbox().validate(
                    plugin.compiled(),
                    &plugin.limits,
                    &ctx,
                    &view,
                    &change,
                );
                assert!(matches!(run.outcome, Ok(Ok(()))));
            }
        }
        "mutation" | "mutation-no-plugins" => {
            let rig = MutationRig::new(stage == "mutation", 100, 1);
            for _ in 0..rounds {
                rig.mutate(0).expect("mutation commits");
            }
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
            for _ in 0..rounds {
                let host = host_with(sandbox.clone());
                host.registry()
                    .install(
                        &scope().tenant,
                        manifest("max-quantity", &["cart"], json!({"maxQuantity": 10})),
                        &bytes,
                    )
                    .expect("installs");
            }
        }
        other => panic!(
            "unknown stage {other}: validation, mutation, mutation-no-plugins or plugin-load"
        ),
    }
}
